//! API009: error responses whose body shape differs from the project's usual one.

use std::collections::BTreeMap;

use audit_model::routes::Status;

use super::route_label;
use crate::checks::{Check, Emit, RouteContext};

pub const CHECK: Check = Check::Routes { run: check };

/// Error answers by shape, each with its place and route.
type Shapes<'r> = BTreeMap<String, Vec<(&'r audit_core::Location, String)>>;

fn check(ctx: &RouteContext<'_>, out: &mut Emit<'_>) {
    // Every error answer (4xx/5xx, or a failure payload) by shape, each place once, per
    // service: in a monorepo each service (folder with a package manifest) has its own
    // convention.
    let mut by_service: BTreeMap<&str, Shapes<'_>> = BTreeMap::new();
    let mut seen = std::collections::HashSet::new();
    for route in &ctx.table.routes {
        let by_shape = by_service
            .entry(ctx.facts.service_of(&route.location.path))
            .or_default();
        for answer in &route.body.answers {
            let error_status = matches!(answer.status, Status::Code(c) if c >= 400);
            let failure = matches!(
                &answer.body,
                audit_model::routes::Body::Object {
                    failure: Some(_),
                    ..
                }
            );
            let place = (answer.location.path.clone(), answer.location.span);
            if !(error_status || failure) || !seen.insert(place) {
                continue;
            }
            if let Some(shape) = answer.body.error_shape() {
                by_shape
                    .entry(shape)
                    .or_default()
                    .push((&answer.location, route_label(route)));
            }
        }
    }
    for by_shape in by_service.values() {
        report_minority(by_shape, out);
    }
}

fn report_minority(by_shape: &Shapes<'_>, out: &mut Emit<'_>) {
    // The convention is the JSON shape used most; plain-text errors (often a catch-all
    // `res.status(500).send("Server error")`) are never what clients should parse.
    let json = || by_shape.iter().filter(|(shape, _)| shape.starts_with('{'));
    let Some((dominant, count)) = json()
        .map(|(shape, uses)| (shape.clone(), uses.len()))
        .max_by_key(|(_, n)| *n)
    else {
        return;
    };
    // A shape is the project's only when it is used more than any other.
    if json().filter(|(_, uses)| uses.len() == count).count() > 1 {
        return;
    }
    let total: usize = by_shape.values().map(Vec::len).sum();
    for (shape, uses) in by_shape {
        if *shape == dominant {
            continue;
        }
        for (location, route) in uses {
            out.report_at(
                (*location).clone(),
                &[
                    ("route", route),
                    ("shape", shape),
                    ("dominant", &dominant),
                    ("count", &count.to_string()),
                    ("total", &total.to_string()),
                ],
            );
        }
    }
}
