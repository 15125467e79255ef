//! API checks: the route table against the guides' API standards, and API004 over the
//! project's imports.

pub mod api001_unauthenticated_write_route;
pub mod api002_unversioned_api;
pub mod api003_missing_rate_limit;
pub mod api004_missing_security_headers;
pub mod api005_error_with_success_status;
pub mod api006_create_not_201;
pub mod api007_verb_in_path;
pub mod api008_unsafe_get;
pub mod api009_inconsistent_error_shape;
pub mod api010_unvalidated_input;
pub mod api011_unbounded_list;
pub mod api012_missing_health_check;
pub mod api013_no_graceful_shutdown;
pub mod api014_graphql_unbounded_queries;
pub mod api015_openapi_contract;

use audit_model::routes::{Framework, Route};

use crate::checks::words;

/// An API route rather than a server-rendered page (HTML forms can only GET and POST, so
/// `/checks/1/remove` is how such apps are written): under `/api`, `/rest` or a version,
/// or served by a framework that serves APIs only.
pub(crate) fn is_api(route: &Route) -> bool {
    matches!(
        route.framework,
        Framework::FastApi | Framework::NestJs | Framework::Fastify
    ) || route.static_segments().any(|s| {
        matches!(s.to_ascii_lowercase().as_str(), "api" | "rest" | "graphql")
            || s.len() >= 2 && s.starts_with('v') && s[1..].chars().all(|c| c.is_ascii_digit())
    })
}

/// `POST /api/orders`, as messages name a route.
pub(crate) fn route_label(route: &Route) -> String {
    format!("{} {}", route.methods.join(","), route.path)
}

/// Whether any static segment of the route's path has one of `names` as a word.
pub(crate) fn path_has_word(route: &Route, names: &[&str]) -> bool {
    route
        .static_segments()
        .flat_map(words)
        .any(|w| names.contains(&w.as_str()))
}

/// Health, readiness and liveness probes, by the words of their paths.
pub(crate) const HEALTH_WORDS: &[&str] = &[
    "health",
    "healthz",
    "healthcheck",
    "ready",
    "readyz",
    "readiness",
    "live",
    "livez",
    "liveness",
    "ping",
    "heartbeat",
    "alive",
];

/// Paths that are public by design: signing in and up, tokens, password resets, OAuth
/// callbacks, webhooks (they authenticate by signature), public forms.
pub(crate) const PUBLIC_WORDS: &[&str] = &[
    "login",
    "signin",
    "logout",
    "signout",
    "session",
    "sessions",
    "register",
    "registration",
    "signup",
    "token",
    "tokens",
    "refresh",
    "password",
    "passwords",
    "reset",
    "forgot",
    "recover",
    "recovery",
    "verify",
    "verification",
    "confirm",
    "confirmation",
    "activate",
    "oauth",
    "oauth2",
    "callback",
    "callbacks",
    "auth",
    "authenticate",
    "otp",
    "magic",
    "webhook",
    "webhooks",
    "hook",
    "hooks",
    "contact",
    "feedback",
    "newsletter",
    "subscribe",
    "unsubscribe",
    "graphql",
    "csp",
    "report",
    "telemetry",
    "events",
];
