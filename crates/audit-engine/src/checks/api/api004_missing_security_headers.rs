//! API004: an Express/Fastify/Koa app in a project that never sets security headers.

use crate::checks::Emit;
use crate::facts::ProjectFacts;

/// Packages that set the standard security headers (HSTS, CSP, X-Content-Type-Options...).
const HEADER_MODULES: &[&str] = &[
    "helmet",
    "@fastify/helmet",
    "fastify-helmet",
    "koa-helmet",
    "@koa/helmet",
];

pub fn check(facts: &ProjectFacts, out: &mut Emit<'_>) {
    // Headers are usually set once, in a shared bootstrap file: any use anywhere counts.
    if facts
        .imports()
        .any(|module| HEADER_MODULES.contains(&module))
    {
        return;
    }
    for (path, app) in facts.apps() {
        // An app built inside a test (supertest, `app.inject`) never serves a browser.
        if is_test_path(path) {
            continue;
        }
        // `express()` only means Express where the file imports it.
        if facts
            .file_imports(path)
            .any(|module| module == app.framework.module())
        {
            out.report_at(app.location.clone(), &[("framework", app.framework.name())]);
        }
    }
}

/// Test files: under a `test`/`tests`/`__tests__`/`e2e` folder, or named `*.test.*`/`*.spec.*`.
fn is_test_path(path: &str) -> bool {
    let mut parts = path.rsplit('/');
    let file = parts.next().unwrap_or("");
    let named_as_test = file
        .split('.')
        .skip(1)
        .any(|part| matches!(part, "test" | "spec" | "e2e-spec"));
    named_as_test || parts.any(|dir| matches!(dir, "test" | "tests" | "__tests__" | "e2e"))
}

#[cfg(test)]
mod tests {
    use super::is_test_path;

    #[test]
    fn test_paths() {
        assert!(is_test_path("test/app.js"));
        assert!(is_test_path("src/__tests__/server.ts"));
        assert!(is_test_path("src/orders.spec.ts"));
        assert!(is_test_path("src/orders.test.js"));
        assert!(is_test_path("apps/api/test/app.e2e-spec.ts"));
        assert!(!is_test_path("src/server.ts"));
        assert!(!is_test_path("src/testing-utils/server.ts"));
        assert!(!is_test_path("src/latest.ts"));
    }
}
