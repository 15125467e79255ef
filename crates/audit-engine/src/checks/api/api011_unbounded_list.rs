//! API011: GET handlers that return a whole collection with no pagination.

use std::collections::HashSet;

use audit_model::routes::Framework;

use super::route_label;
use crate::checks::{Check, Emit, RouteContext, excerpt};

pub const CHECK: Check = Check::Routes { run: check };

fn check(ctx: &RouteContext<'_>, out: &mut Emit<'_>) {
    let mut reported = HashSet::new();
    for route in &ctx.table.routes {
        let Some(list) = &route.body.lists_all else {
            continue;
        };
        // A Django view serves every method; what it lists, it lists for its GETs.
        let reads_only = route.methods.iter().all(|m| m == "GET")
            || route.framework == Framework::Django && route.methods.iter().all(|m| m == "ALL");
        if !reads_only || !reported.insert((list.path.clone(), list.span)) {
            continue;
        }
        let context = &list.context;
        let call =
            excerpt(&context.text[context.span.start..context.span.end.min(context.text.len())]);
        out.report_at(
            (**list).clone(),
            &[("route", &route_label(route)), ("call", &call)],
        );
    }
}
