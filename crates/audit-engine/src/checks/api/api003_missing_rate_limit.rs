//! API003: sign-in, sign-up, password-reset, token and one-time-code routes with no rate
//! limiter before them.

use std::collections::HashSet;

use audit_model::routes::GuardKind;

use super::{path_has_word, route_label};
use crate::checks::{Check, Emit, RouteContext};

pub const CHECK: Check = Check::Routes { run: check };

/// Words of the paths attackers hammer: credentials and codes are guessed there.
const CREDENTIAL_WORDS: &[&str] = &[
    "login", "signin", "signup", "register", "password", "reset", "forgot", "token", "otp", "mfa",
    "2fa", "totp", "verify", "magic",
];

fn check(ctx: &RouteContext<'_>, out: &mut Emit<'_>) {
    let mut reported = HashSet::new();
    for route in &ctx.table.routes {
        let submits = route
            .methods
            .iter()
            .any(|m| matches!(m.as_str(), "POST" | "PUT" | "PATCH"));
        if !submits
            || route.partial
            || route.has_guard(GuardKind::RateLimit)
            // Callers already signed in are not guessing credentials.
            || route.has_guard(GuardKind::Auth)
            || !path_has_word(route, CREDENTIAL_WORDS)
        {
            continue;
        }
        if reported.insert((route.location.path.clone(), route.location.span)) {
            let label = route_label(route);
            out.report_at((*route.location).clone(), &[("route", &label)]);
        }
    }
}
