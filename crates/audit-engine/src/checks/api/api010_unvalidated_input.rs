//! API010: write handlers that take the request body into a write with no validation on
//! the route or in the handler.

use std::collections::HashSet;

use audit_model::routes::{Framework, GuardKind};

use super::route_label;
use crate::checks::{Check, Emit, RouteContext};

pub const CHECK: Check = Check::Routes { run: check };

fn check(ctx: &RouteContext<'_>, out: &mut Emit<'_>) {
    let mut reported = HashSet::new();
    for route in &ctx.table.routes {
        // FastAPI validates bodies against their pydantic models; NestJS validates with
        // pipes whose global registration the model does not follow yet.
        if matches!(route.framework, Framework::FastApi | Framework::NestJs) {
            continue;
        }
        let (Some(read), Some(write)) = (&route.body.reads_body, &route.body.writes) else {
            continue;
        };
        let writes = route
            .methods
            .iter()
            .any(|m| matches!(m.as_str(), "POST" | "PUT" | "PATCH"));
        if !writes || route.body.validates_inline || route.has_guard(GuardKind::Validation) {
            continue;
        }
        if reported.insert((read.path.clone(), read.span)) {
            let label = route_label(route);
            let line = write.start.line.to_string();
            out.report_at((**read).clone(), &[("route", &label), ("line", &line)]);
        }
    }
}
