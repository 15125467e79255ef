//! API006: POST handlers that create a record and answer the default 200.

use std::collections::HashSet;

use audit_model::routes::Framework;

use super::{is_api, route_label};
use crate::checks::{Check, Emit, RouteContext};

pub const CHECK: Check = Check::Routes { run: check };

fn check(ctx: &RouteContext<'_>, out: &mut Emit<'_>) {
    let mut reported = HashSet::new();
    for route in &ctx.table.routes {
        // NestJS answers POST with 201 unless told otherwise.
        let defaults_to_201 = route.framework == Framework::NestJs;
        let Some(create) = &route.body.creates else {
            continue;
        };
        let post_only = route.methods.iter().all(|m| m == "POST");
        // A form post that renders a page answers 200 by design.
        if !post_only
            || !is_api(route)
            || defaults_to_201
            || route.body.answers_created
            || route.status.is_some_and(|s| s != 200)
        {
            continue;
        }
        if reported.insert((route.location.path.clone(), route.location.span)) {
            let label = route_label(route);
            let call = create.context.text
                [create.context.span.start..create.context.span.end.min(create.context.text.len())]
                .lines()
                .next()
                .unwrap_or("")
                .to_string();
            out.report_at(
                (*route.location).clone(),
                &[("route", &label), ("call", &call)],
            );
        }
    }
}
