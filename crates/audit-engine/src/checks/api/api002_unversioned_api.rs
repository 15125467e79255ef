//! API002: `/api/...` routes with no version segment anywhere in their path.

use std::collections::BTreeMap;

use super::{HEALTH_WORDS, path_has_word, route_label};
use crate::checks::{Check, Emit, RouteContext};

pub const CHECK: Check = Check::Routes { run: check };

/// Probes and documentation are not part of the versioned contract.
const EXEMPT_WORDS: &[&str] = &[
    "metrics", "docs", "swagger", "openapi", "redoc", "graphql", "version", "versions",
];

fn check(ctx: &RouteContext<'_>, out: &mut Emit<'_>) {
    // One finding per file of routes: they share the prefix chain that lacks the version.
    let mut unversioned: BTreeMap<&str, Vec<&audit_model::routes::Route>> = BTreeMap::new();
    for route in &ctx.table.routes {
        let mut segments = route.static_segments();
        if segments.next() != Some("api") || route.has_unknown_part() {
            continue;
        }
        if route.path.split('/').any(is_version)
            || path_has_word(route, HEALTH_WORDS)
            || path_has_word(route, EXEMPT_WORDS)
        {
            continue;
        }
        unversioned
            .entry(&route.location.path)
            .or_default()
            .push(route);
    }
    for routes in unversioned.values() {
        let first = routes[0];
        let label = route_label(first);
        let count = routes.len().to_string();
        out.report_at(
            (*first.location).clone(),
            &[("route", &label), ("count", &count)],
        );
    }
}

/// `v1`, `v2`, `v1.1`, `v2beta1`, `2024-01-01`-style dated versions.
fn is_version(segment: &str) -> bool {
    let lower = segment.to_ascii_lowercase();
    if let Some(rest) = lower.strip_prefix('v') {
        return rest.starts_with(|c: char| c.is_ascii_digit())
            && rest
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_');
    }
    lower.len() == 10
        && lower.chars().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                c == '-'
            } else {
                c.is_ascii_digit()
            }
        })
}

#[cfg(test)]
mod tests {
    use super::is_version;

    #[test]
    fn versions_are_v_and_a_number_or_a_date() {
        for yes in ["v1", "V2", "v1.1", "v2beta1", "v10", "2024-01-01"] {
            assert!(is_version(yes), "{yes}");
        }
        for no in ["v", "vendors", "videos", "api", "1", "version"] {
            assert!(!is_version(no), "{no}");
        }
    }
}
