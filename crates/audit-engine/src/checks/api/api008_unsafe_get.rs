//! API008: GET handlers that create, change or delete stored data.

use std::collections::HashSet;

use super::{path_has_word, route_label};
use crate::checks::{Check, Emit, RouteContext};

pub const CHECK: Check = Check::Routes { run: check };

/// GET routes that must write by their nature: links in e-mails, OAuth redirects,
/// webhook handshakes, schedulers that only send GET.
const EXEMPT_WORDS: &[&str] = &[
    "verify",
    "verification",
    "confirm",
    "confirmation",
    "activate",
    "unsubscribe",
    "callback",
    "oauth",
    "oauth2",
    "webhook",
    "webhooks",
    "login",
    "logout",
    "cron",
    "track",
];

fn check(ctx: &RouteContext<'_>, out: &mut Emit<'_>) {
    let mut reported = HashSet::new();
    for route in &ctx.table.routes {
        let safe_only = route.methods.iter().all(|m| m == "GET" || m == "HEAD");
        let Some(write) = &route.body.writes else {
            continue;
        };
        if !safe_only || path_has_word(route, EXEMPT_WORDS) {
            continue;
        }
        if reported.insert((write.path.clone(), write.span)) {
            let label = route_label(route);
            let call = write.context.text
                [write.context.span.start..write.context.span.end.min(write.context.text.len())]
                .lines()
                .next()
                .unwrap_or("")
                .to_string();
            out.report_at((**write).clone(), &[("route", &label), ("call", &call)]);
        }
    }
}
