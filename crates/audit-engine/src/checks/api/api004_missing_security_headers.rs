//! API004: an Express/Fastify/Koa app in a project that never sets security headers.

use crate::checks::{Check, Emit};
use crate::facts::ProjectFacts;

/// Packages that set the standard security headers (HSTS, CSP, X-Content-Type-Options...).
const HEADER_MODULES: &[&str] = &[
    "helmet",
    "@fastify/helmet",
    "fastify-helmet",
    "koa-helmet",
    "@koa/helmet",
];

pub const CHECK: Check = Check::Project { run: check };

fn check(facts: &ProjectFacts, out: &mut Emit<'_>) {
    // Headers are usually set once, in a shared bootstrap file: any use anywhere counts.
    if facts
        .imports()
        .any(|module| HEADER_MODULES.contains(&module))
    {
        return;
    }
    for (path, app) in facts.apps() {
        // `express()` only means Express where the file imports it.
        if facts
            .file_imports(path)
            .any(|module| module == app.framework.module())
        {
            out.report_at(app.location.clone(), &[("framework", app.framework.name())]);
        }
    }
}
