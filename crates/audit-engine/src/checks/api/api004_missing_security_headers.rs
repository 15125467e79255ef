//! API004: an Express/Fastify/Koa app in a project that never sets security headers; a
//! Django production settings file without `SecurityMiddleware` or HSTS.

use audit_core::Span;
use audit_model::code::nodes::{KindName, elements, string_content, text_of};
use audit_model::code::{BindingKind, Scope};

use crate::checks::{Check, CodeContext, Emit};
use crate::facts::ProjectFacts;

/// Packages that set the standard security headers (HSTS, CSP, X-Content-Type-Options...).
const HEADER_MODULES: &[&str] = &[
    "helmet",
    "@fastify/helmet",
    "fastify-helmet",
    "koa-helmet",
    "@koa/helmet",
];

pub const CHECK: Check = Check::Several(&[
    Check::Project { run: check },
    Check::Code {
        anchors: &["MIDDLEWARE", "INSTALLED_APPS", "import *"],
        run: django,
    },
]);

/// The middleware that sets Django's security headers (HSTS, nosniff, the SSL redirect).
const SECURITY_MIDDLEWARE: &str = "django.middleware.security.SecurityMiddleware";

/// Settings modules for development and tests, where HSTS would be wrong.
const NOT_PRODUCTION: &[&str] = &[
    "dev",
    "develop",
    "development",
    "local",
    "test",
    "tests",
    "testing",
    "ci",
    "debug",
];

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

/// A Django settings module served in production: `settings.py` (one file for every
/// environment) or `production.py`/`prod.py`, each checked for `SecurityMiddleware` in its
/// `MIDDLEWARE` and a `SECURE_HSTS_SECONDS` above 0. A shared `base.py`/`common.py` is
/// checked for the middleware only (HSTS belongs to the production module that extends it).
fn django(ctx: &CodeContext<'_>, out: &mut Emit<'_>) {
    if ctx.grammar.is_javascript_family() {
        return;
    }
    let path = &*ctx.source.path;
    let file = path.rsplit('/').next().unwrap_or(path);
    let Some(stem) = file.strip_suffix(".py") else {
        return;
    };
    let in_settings_package = path
        .rsplit('/')
        .nth(1)
        .is_some_and(|dir| dir == "settings" || dir == "config");
    let production = match stem {
        "settings" | "production" | "prod" => true,
        "base" | "common" | "shared" | "defaults" if in_settings_package => false,
        _ => return,
    };
    if NOT_PRODUCTION
        .iter()
        .any(|w| path.split('/').any(|p| p == *w))
    {
        return;
    }
    let text = ctx.source.text.as_str();
    let sem = ctx.semantics();
    let module_value = |name: &str| {
        sem.bindings()
            .iter()
            .rev()
            .filter(|b| b.scope == Scope::Module && b.kind == BindingKind::Variable)
            .find(|b| b.name == name)
            .map(|b| (b.span, b.value))
    };
    let middleware = module_value("MIDDLEWARE").or_else(|| module_value("MIDDLEWARE_CLASSES"));
    // A production module extending a shared one: `from .base import *`.
    let extends = sem
        .imports()
        .iter()
        .any(|i| i.kind == audit_model::code::ImportKind::Wildcard && i.module.starts_with('.'));
    let django_settings = middleware.is_some()
        || module_value("INSTALLED_APPS").is_some()
        || (production && stem != "settings" && extends);
    if !django_settings {
        return;
    }
    if let Some((name, Some(value))) = middleware
        && let Some(list) = ctx.node_at(value)
        && matches!(list.kind_name(), "list" | "tuple")
        && !text.contains(SECURITY_MIDDLEWARE)
        && elements(list)
            .iter()
            .any(|e| string_content(text, *e).is_some_and(|s| s.starts_with("django.")))
    {
        out.report_message(
            ctx.source.locate(name),
            format!(
                "`{}` in this production settings module has no `{SECURITY_MIDDLEWARE}`: add it first in the list so responses carry HSTS, X-Content-Type-Options and the HTTPS redirect.",
                text_of(text, ctx.node_at(name).unwrap_or(list)),
            ),
            None,
            Vec::new(),
        );
    }
    if !production {
        return;
    }
    match module_value("SECURE_HSTS_SECONDS") {
        Some((name, Some(value))) => {
            // A literal 0 turns HSTS off; any other expression (an environment lookup) is
            // the deployment's to set.
            let value_text = text.get(value.start..value.end).unwrap_or("");
            if value_text.trim() == "0" {
                out.report_message(
                    ctx.source.locate(Span::new(name.start, value.end)),
                    "`SECURE_HSTS_SECONDS = 0` in this production settings module turns HSTS off: set it to at least 31536000 (one year) once HTTPS works everywhere.".to_string(),
                    None,
                    Vec::new(),
                );
            }
        }
        Some((_, None)) => {}
        None => {
            // Where the settings begin: the middleware, else the first line.
            let at = middleware.map_or(Span::new(0, 0), |(name, _)| name);
            let at = if at.end == 0 {
                Span::new(0, text.find('\n').unwrap_or(text.len()))
            } else {
                at
            };
            out.report_message(
                ctx.source.locate(at),
                "This production settings module never sets `SECURE_HSTS_SECONDS`, so Django sends no Strict-Transport-Security header: set it (31536000 once HTTPS works everywhere), with `SECURE_HSTS_INCLUDE_SUBDOMAINS`.".to_string(),
                None,
                Vec::new(),
            );
        }
    }
}
