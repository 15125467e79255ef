//! API007: paths that name an action (`/getUsers`, `/deleteItem/:id`, `/users/update`)
//! instead of a resource the HTTP method acts on.

use std::collections::HashSet;

use super::{is_api, route_label};
use crate::checks::words;
use crate::checks::{Check, Emit, RouteContext};

pub const CHECK: Check = Check::Routes { run: check };

/// Verbs the HTTP methods already say. `post`, `put` and `patch` are left out (`/post/:id`
/// is a blog post), and `edit`/`new` too: server-rendered apps serve their forms there.
const VERBS: &[&str] = &[
    "get", "fetch", "retrieve", "create", "add", "insert", "update", "modify", "set", "save",
    "delete", "remove", "destroy",
];

/// Segments that start with a verb and name a thing.
const NOUNS: &[&str] = &[
    "add-ons", "addons", "add_ons", "setup", "settings", "set-up",
];

fn check(ctx: &RouteContext<'_>, out: &mut Emit<'_>) {
    let mut reported = HashSet::new();
    for route in ctx.table.routes.iter().filter(|r| is_api(r)) {
        let Some(segment) = route.static_segments().find(|segment| {
            !NOUNS.contains(&segment.to_ascii_lowercase().as_str())
                && words(segment)
                    .first()
                    .is_some_and(|w| VERBS.contains(&w.as_str()))
        }) else {
            continue;
        };
        if reported.insert((route.location.path.clone(), route.location.span)) {
            let label = route_label(route);
            out.report_at(
                (*route.location).clone(),
                &[("segment", segment), ("route", &label)],
            );
        }
    }
}
