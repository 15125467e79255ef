//! API001: a route that writes (POST, PUT, PATCH, DELETE) with no authentication guard,
//! in a project whose other routes are guarded.

use std::collections::HashSet;

use audit_model::routes::{Framework, GuardKind, Route};

use super::{HEALTH_WORDS, PUBLIC_WORDS, path_has_word, route_label};
use crate::checks::{Check, Emit, RouteContext};

pub const CHECK: Check = Check::Routes { run: check };

fn check(ctx: &RouteContext<'_>, out: &mut Emit<'_>) {
    let routes = &ctx.table.routes;
    // Only a project that authenticates somewhere says what a protected route looks like.
    let Some(example) = routes.iter().find_map(|r| {
        r.guards
            .iter()
            .find(|g| g.kind == GuardKind::Auth)
            .map(|g| &*g.name)
    }) else {
        return;
    };
    // NestJS middleware bound in a module guards routes the table does not follow.
    let module_middleware = ctx
        .facts
        .files
        .iter()
        .filter_map(|(_, f)| f.routes.as_deref())
        .any(|r| r.module_middleware);
    let mut reported = HashSet::new();
    for route in routes {
        if !is_candidate(route) || module_middleware && route.framework == Framework::NestJs {
            continue;
        }
        if reported.insert((route.location.path.clone(), route.location.span)) {
            let label = route_label(route);
            out.report_at(
                (*route.location).clone(),
                &[("route", &label), ("guard", example)],
            );
        }
    }
}

/// `POST /users`: an unguarded create on the users collection itself is sign-up (the
/// RealWorld spec and many tutorials register there).
fn is_sign_up(route: &Route) -> bool {
    route.methods.iter().all(|m| m == "POST")
        && route
            .path
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .is_some_and(|last| matches!(last, "users" | "accounts" | "members"))
}

fn is_candidate(route: &Route) -> bool {
    let writes = route
        .methods
        .iter()
        .any(|m| matches!(m.as_str(), "POST" | "PUT" | "PATCH" | "DELETE"));
    writes
        && !route.partial
        && !route.body.checks_caller
        && !is_sign_up(route)
        && !route.has_guard(GuardKind::Auth)
        && !route.has_guard(GuardKind::Public)
        && !path_has_word(route, PUBLIC_WORDS)
        && !path_has_word(route, HEALTH_WORDS)
        && route.static_segments().next().is_some()
}
