//! X003: drift between the routes the code serves and the paths its OpenAPI spec lists.

use std::collections::HashSet;

use audit_model::openapi::Spec;
use audit_model::routes::Route;

use crate::checks::{Check, Emit, SpecContext};

pub const CHECK: Check = Check::Specs {
    routes: true,
    run: check,
};

/// Routes no spec is expected to list: documentation, probes and metrics.
const UNDOCUMENTED: &[&str] = &[
    "docs",
    "redoc",
    "swagger",
    "openapi",
    "openapi.json",
    "openapi.yaml",
    "api-docs",
    "health",
    "healthz",
    "ready",
    "readyz",
    "live",
    "livez",
    "metrics",
    "favicon.ico",
    "static",
];

fn check(ctx: &SpecContext<'_>, out: &mut Emit<'_>) {
    let Some(table) = ctx.table else { return };
    if ctx.specs.is_empty() || table.routes.is_empty() {
        return;
    }
    // In a monorepo each service's specs describe its own routes: a spec belongs to the
    // service (folder with a package manifest) it is in, and is compared with that
    // service's routes, or, for a spec above every service that has routes (one spec at
    // the root of a workspace), with the routes of the services below it.
    // Each file's service is found once: finding it scans every service, and there are
    // as many lists to filter as services with specs.
    let service_of = |path: &str| ctx.facts.service_of(path);
    let spec_services: Vec<&str> = ctx
        .specs
        .iter()
        .map(|s| service_of(&s.location.path))
        .collect();
    let route_services: Vec<&str> = table
        .routes
        .iter()
        .map(|r| service_of(&r.location.path))
        .collect();
    let mut services = spec_services.clone();
    services.sort_unstable();
    services.dedup();
    for service in services {
        let specs: Vec<&Spec> = ctx
            .specs
            .iter()
            .copied()
            .zip(&spec_services)
            .filter(|(_, of)| **of == service)
            .map(|(spec, _)| spec)
            .collect();
        let own: Vec<&Route> = table
            .routes
            .iter()
            .zip(&route_services)
            .filter(|(_, of)| **of == service)
            .map(|(route, _)| route)
            .collect();
        let routes = if own.is_empty() {
            table
                .routes
                .iter()
                .filter(|r| below(service, &r.location.path))
                .collect()
        } else {
            own
        };
        if !routes.is_empty() {
            check_service(&specs, &routes, out);
        }
    }
}

/// Whether `path` is inside folder `service` (`""` holds everything).
fn below(service: &str, path: &str) -> bool {
    service.is_empty()
        || path
            .strip_prefix(service)
            .is_some_and(|rest| rest.starts_with('/'))
}

fn check_service(specs: &[&Spec], routes: &[&Route], out: &mut Emit<'_>) {
    // Spec operations as (normalised full path, method), for every base path.
    let mut documented: Vec<(Vec<String>, &str)> = Vec::new();
    // The first segments the specs cover: a spec of `/api/...` says nothing of `/admin`.
    let mut scope: HashSet<Vec<String>> = HashSet::new();
    for spec in specs {
        for path in &spec.paths {
            for base in &spec.base_paths {
                let full = normalise(&format!("{base}{}", path.template));
                scope.insert(full.iter().take(scope_depth(base)).cloned().collect());
                for operation in &path.operations {
                    documented.push((full.clone(), operation.method.as_str()));
                }
            }
        }
    }
    let routes: Vec<(&Route, Vec<String>)> = routes
        .iter()
        .copied()
        .filter(|r| !is_pattern(&r.path))
        .map(|r| (r, normalise(&r.path)))
        .collect();

    let mut reported = HashSet::new();
    for (route, path) in &routes {
        // A route whose prefix is not known may sit under any prefix; it is compared, below,
        // only as the end of a spec path.
        if route.partial || route.has_unknown_part() || !in_scope(&scope, path) {
            continue;
        }
        if route
            .static_segments()
            .any(|s| UNDOCUMENTED.contains(&s.to_ascii_lowercase().as_str()))
        {
            continue;
        }
        for method in route.methods.iter() {
            if matches!(method.as_str(), "HEAD" | "OPTIONS") {
                continue;
            }
            let listed = documented
                .iter()
                .any(|(p, m)| p == path && (method == "ALL" || *m == method));
            if !listed && reported.insert(route.location.span) {
                let label = format!("{} {}", route.methods.join(","), route.path);
                out.report_at(
                    (*route.location).clone(),
                    &[
                        (
                            "what",
                            &format!(
                                "`{label}` is served but no OpenAPI spec of the repository lists it"
                            ),
                        ),
                        (
                            "how",
                            "document it in the spec, or remove the route if it is dead",
                        ),
                    ],
                );
            }
        }
    }

    for spec in specs {
        for path in &spec.paths {
            let mut unrouted = Vec::new();
            for operation in &path.operations {
                let served = spec.base_paths.iter().any(|base| {
                    let full = normalise(&format!("{base}{}", path.template));
                    routes.iter().any(|(route, route_path)| {
                        let method = route
                            .methods
                            .iter()
                            .any(|m| m == "ALL" || *m == operation.method);
                        method && serves(route, route_path, &full)
                    })
                });
                if !served {
                    unrouted.push(operation.method.as_str());
                }
            }
            if unrouted.is_empty() {
                continue;
            }
            let label = format!("{} {}", unrouted.join(","), path.template);
            out.report_at(
                path.location.clone(),
                &[
                    (
                        "what",
                        &format!("the spec lists `{label}` but no route of the code serves it"),
                    ),
                    (
                        "how",
                        "implement it, fix the path in the spec, or remove it from the spec",
                    ),
                ],
            );
        }
    }
}

/// A path written as a regular expression (`re_path(r"^items/(?P<id>\d+)$")`, Express
/// `/ab*cd`), which cannot be compared segment by segment; `${prefix}` is not one.
fn is_pattern(path: &str) -> bool {
    let mut chars = path.chars().peekable();
    while let Some(c) = chars.next() {
        let dollar_alone = c == '$' && chars.peek() != Some(&'{');
        if dollar_alone || matches!(c, '^' | '(' | '*' | '|' | '\\') {
            return true;
        }
    }
    false
}

/// How many leading segments of a spec path say what it covers: the base path's and one
/// more (`/api/v1` + `users`).
fn scope_depth(base: &str) -> usize {
    base.split('/').filter(|s| !s.is_empty()).count() + 1
}

fn in_scope(scope: &HashSet<Vec<String>>, path: &[String]) -> bool {
    scope.iter().any(|prefix| path.starts_with(prefix))
}

/// Whether `route` serves the spec path `full`: the same segments, or, for a route whose
/// prefix is not known, the same last segments.
fn serves(route: &Route, route_path: &[String], full: &[String]) -> bool {
    if route.partial || route.has_unknown_part() {
        let known: Vec<&String> = route_path.iter().skip_while(|s| s.contains("${")).collect();
        !known.is_empty()
            && known.len() <= full.len()
            && full[full.len() - known.len()..]
                .iter()
                .zip(&known)
                .all(|(a, b)| a == *b)
    } else {
        route_path == full
    }
}

/// A path's segments with every parameter (`:id`, `{id}`, `<int:id>`, `<id>`) as `{}`,
/// empty segments and a trailing slash dropped.
fn normalise(path: &str) -> Vec<String> {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            let parameter = s.starts_with(':')
                || s.starts_with('{') && s.ends_with('}')
                || s.starts_with('<') && s.ends_with('>');
            if parameter {
                "{}".to_string()
            } else {
                s.to_string()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::normalise;

    fn scan(files: &[(&str, &[u8])]) -> crate::ScanOutput {
        let engine = crate::Engine::new(&crate::ConfigFile::default()).unwrap();
        engine.scan_sources(
            files
                .iter()
                .map(|(p, t)| (p.to_string(), t.to_vec()))
                .collect(),
        )
    }

    const APP: &[u8] = b"const app = require('express')();\napp.get('/api/v1/users/:id', show);\napp.listen(3000);\n";

    #[test]
    fn malformed_specs_are_notes_and_the_scan_goes_on() {
        let specs: &[&[u8]] = &[
            b"openapi: 3.0.0\npaths:\n  /a: [\n",
            b"{\"swagger\": \"2.0\", \"paths\": {\"/a\": {\"get\": [}}}",
            b"openapi: 3.0.0\n\tpaths: x\n",
            b"openapi: 3.0.0\npaths:\n  /a:\n    get: &a\n      responses: *a\n",
            b"openapi: \xff\xfe\n",
            b"openapi: 3.0.0\npaths: {? [a, b] : {get: {}}, /b: {get: 1, post: [1]}}\n",
        ];
        for spec in specs {
            let output = scan(&[("docs/openapi.yaml", spec), ("src/app.js", APP)]);
            let internal = output
                .notes
                .iter()
                .any(|n| n.kind == audit_core::NoteKind::InternalError);
            assert!(
                !internal,
                "{:?}: {:?}",
                String::from_utf8_lossy(spec),
                output.notes
            );
        }
        let output = scan(&[("docs/openapi.yaml", specs[0]), ("src/app.js", APP)]);
        let note = &output.notes[0];
        assert_eq!(note.kind, audit_core::NoteKind::ParseError);
        assert_eq!(
            (note.path.as_deref(), note.line),
            (Some("docs/openapi.yaml"), Some(4))
        );
        assert!(!output.diagnostics.iter().any(|d| d.rule.as_str() == "X003"));
    }

    #[test]
    fn only_a_repository_with_a_spec_is_compared() {
        let rules = |output: &crate::ScanOutput| -> Vec<String> {
            output
                .diagnostics
                .iter()
                .filter(|d| d.rule.as_str() == "X003")
                .map(|d| format!("{}:{}", d.location.path, d.location.start.line))
                .collect()
        };
        assert!(rules(&scan(&[("src/app.js", APP)])).is_empty());
        let spec = b"openapi: 3.0.0\nservers: [{url: /api/v1}]\npaths:\n  /users/{id}/posts:\n    get: {}\n";
        assert_eq!(
            rules(&scan(&[("spec.yml", spec), ("src/app.js", APP)])),
            ["spec.yml:4", "src/app.js:2"]
        );
    }

    #[test]
    fn templates_of_every_framework_normalise_alike() {
        for path in [
            "/users/:id/posts/",
            "/users/{id}/posts",
            "users/<int:id>/posts",
            "/users/<id>/posts",
        ] {
            assert_eq!(normalise(path), ["users", "{}", "posts"], "{path}");
        }
    }
}
