//! API012: an app that serves routes but no health, readiness or liveness probe.

use std::collections::BTreeMap;

use super::{HEALTH_WORDS, path_has_word};
use crate::checks::{Check, Emit, RouteContext};

pub const CHECK: Check = Check::Routes { run: check };

fn check(ctx: &RouteContext<'_>, out: &mut Emit<'_>) {
    let serves_health = ctx
        .facts
        .files
        .iter()
        .filter_map(|(_, f)| f.routes.as_deref())
        .any(|r| r.health_package);
    if serves_health {
        return;
    }
    let is_probe = |route: &audit_model::routes::Route| {
        path_has_word(route, HEALTH_WORDS)
            || matches!(route.path.trim_end_matches('/'), "/status" | "/api/status")
    };
    // A probe whose mounting could not be followed may be any app's: none is reported.
    if ctx
        .table
        .routes
        .iter()
        .any(|r| r.app.is_none() && is_probe(r))
    {
        return;
    }
    let mut apps: BTreeMap<(&str, u32, u32), (&audit_core::Location, bool, usize)> =
        BTreeMap::new();
    for route in &ctx.table.routes {
        let Some(app) = &route.app else {
            continue;
        };
        let key = (&*app.path, app.start.line, app.start.column);
        let entry = apps.entry(key).or_insert((app, false, 0));
        entry.1 |= is_probe(route);
        entry.2 += 1;
    }
    for (app, has_probe, routes) in apps.into_values() {
        if !has_probe {
            let count = routes.to_string();
            out.report_at(app.clone(), &[("routes", &count)]);
        }
    }
}
