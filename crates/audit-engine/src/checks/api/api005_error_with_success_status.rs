//! API005: handlers that send an error payload with a success status.

use std::collections::HashSet;

use audit_model::routes::{Body, Status};

use super::route_label;
use crate::checks::{Check, Emit, RouteContext};

pub const CHECK: Check = Check::Routes { run: check };

fn check(ctx: &RouteContext<'_>, out: &mut Emit<'_>) {
    let mut reported = HashSet::new();
    for route in &ctx.table.routes {
        for answer in &route.body.answers {
            let Body::Object {
                failure: Some(key), ..
            } = &answer.body
            else {
                continue;
            };
            let status = match answer.status {
                Status::Code(code) => code,
                // The route's declared status (FastAPI `status_code=`), else 200.
                Status::Default => route.status.unwrap_or(200),
                Status::Unknown => continue,
            };
            let place = (answer.location.path.clone(), answer.location.span);
            if !(200..300).contains(&status) || !reported.insert(place) {
                continue;
            }
            let how = match answer.status {
                Status::Default => format!("with no status (the default {status})"),
                _ => format!("with status {status}"),
            };
            out.report_at(
                answer.location.clone(),
                &[("route", &route_label(route)), ("key", key), ("how", &how)],
            );
        }
    }
}
