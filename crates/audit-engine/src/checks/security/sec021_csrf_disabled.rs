//! SEC021: CSRF protection turned off for code that changes state. Django's `@csrf_exempt`
//! (directly or through `method_decorator`) on a view that takes POST, PUT, PATCH or DELETE,
//! unless it is a webhook that checks a signature; a Django `MIDDLEWARE` list that has
//! sessions but no `CsrfViewMiddleware` and is not extended later in the file; Flask-WTF's
//! `WTF_CSRF_ENABLED = False` outside test and development configuration.

use audit_core::Span;
use audit_model::code::{Decorator, Function};
use audit_syntax::tree_sitter::Node;

use super::{
    arguments, development_settings, elements, module_assignments, node_at, occurrences,
    string_content, text_of,
};
use crate::checks::reliability::span;
use crate::checks::{Check, CodeContext, Emit};
use audit_model::code::nodes::{Fields, KindName};

pub const CHECK: Check = Check::Code {
    anchors: &["csrf_exempt", "WTF_CSRF_ENABLED", "MIDDLEWARE"],
    run: check,
};

const CSRF_EXEMPT: &str = "django.views.decorators.csrf.csrf_exempt";

fn check(ctx: &CodeContext<'_>, out: &mut Emit<'_>) {
    let text = ctx.source.text.as_str();
    let mut found: Vec<(Span, String)> = Vec::new();
    if text.contains("csrf_exempt") {
        exempt_views(ctx, &mut found);
    }
    if text.contains("WTF_CSRF_ENABLED") {
        flask_wtf(ctx, &mut found);
    }
    if text.contains("MIDDLEWARE") && !development_settings(&ctx.source.path) {
        django_middleware(ctx, &mut found);
    }
    found.sort_by_key(|(s, _)| (s.start, s.end));
    found.dedup_by_key(|(s, _)| *s);
    for (span, what) in found {
        out.report(ctx.source, span, &[("what", &what)]);
    }
}

/// `@csrf_exempt`, `@method_decorator(csrf_exempt, name="dispatch")`.
fn exempts(ctx: &CodeContext<'_>, decorator: &Decorator) -> bool {
    if decorator.qualified_name.as_deref() == Some(CSRF_EXEMPT) {
        return true;
    }
    let text = ctx.source.text.as_str();
    decorator
        .qualified_name
        .as_deref()
        .is_some_and(|q| q.ends_with("method_decorator"))
        && arguments(ctx, decorator.arguments)
            .first()
            .is_some_and(|a| {
                ctx.semantics().qualified_name(*a, text).as_deref() == Some(CSRF_EXEMPT)
            })
}

fn exempt_views(ctx: &CodeContext<'_>, found: &mut Vec<(Span, String)>) {
    let semantics = ctx.semantics();
    let text = ctx.source.text.as_str();
    for function in semantics.functions() {
        let Some(decorator) = function.decorators.iter().find(|d| exempts(ctx, d)) else {
            continue;
        };
        let name = function.name.as_deref().unwrap_or("view");
        if webhook(text, function) {
            continue;
        }
        if changes_state(ctx, function) && acts_as_user(ctx, function) {
            found.push((
                decorator.span,
                format!("`@csrf_exempt` on `{name}`, a view that accepts state-changing requests, lets any website submit them with the user's session"),
            ));
        }
    }
    // `@method_decorator(csrf_exempt, name="dispatch")` on a class-based view.
    for class in semantics.classes() {
        let Some(decorator) = class.decorators.iter().find(|d| exempts(ctx, d)) else {
            continue;
        };
        let name = class.name.as_deref().unwrap_or("view");
        let methods: Vec<&Function> = semantics
            .functions()
            .iter()
            .filter(|f| {
                f.class
                    .is_some_and(|c| semantics.classes()[c].span == class.span)
            })
            .collect();
        let state_changing = methods
            .iter()
            .any(|m| matches!(m.name.as_deref(), Some("post" | "put" | "patch" | "delete")));
        let hook =
            methods.iter().any(|m| webhook(text, m)) || name.to_ascii_lowercase().contains("hook");
        if state_changing && !hook {
            found.push((
                decorator.span,
                format!("`csrf_exempt` on `{name}`, a view with state-changing methods, lets any website submit them with the user's session"),
            ));
        }
    }
}

/// A view that takes POST, PUT, PATCH or DELETE: a method of that name, a method check, a
/// decorator that allows it, or a read of the request body.
fn changes_state(ctx: &CodeContext<'_>, function: &Function) -> bool {
    let text = ctx.source.text.as_str();
    if matches!(
        function.name.as_deref(),
        Some("post" | "put" | "patch" | "delete")
    ) {
        return true;
    }
    let allows = function.decorators.iter().any(|d| {
        let name = d.qualified_name.as_deref().unwrap_or(&d.name);
        name.ends_with("require_POST")
            || (name.ends_with("require_http_methods") || name.ends_with("api_view"))
                && d.arguments.is_some_and(|a| {
                    let args = &text[a.start..a.end];
                    ["POST", "PUT", "PATCH", "DELETE"]
                        .iter()
                        .any(|m| args.contains(m))
                })
    });
    let body = &text[function.body.start..function.body.end];
    allows
        || [
            "request.POST",
            "request.body",
            "request.data",
            "request.FILES",
        ]
        .iter()
        .any(|r| body.contains(r))
        || [
            "\"POST\"",
            "'POST'",
            "\"PUT\"",
            "'PUT'",
            "\"DELETE\"",
            "'DELETE'",
        ]
        .iter()
        .any(|m| body.contains(m))
}

/// A view that acts as the signed-in user: it reads `request.user` or `request.session`
/// (`self.request.user` too), or a decorator requires a login. A view that does neither
/// (a ping endpoint, an API authenticated by a key in a header) gains nothing from a
/// cookie a forged request carries.
fn acts_as_user(ctx: &CodeContext<'_>, function: &Function) -> bool {
    let text = ctx.source.text.as_str();
    let body = &text[function.body.start..function.body.end];
    body.contains("request.user")
        || body.contains("request.session")
        || function.decorators.iter().any(|d| {
            d.name.contains("login_required")
                || d.name.contains("permission_required")
                || d.name.contains("staff_member_required")
        })
}

/// A webhook endpoint (named so, or checking a signature): its callers cannot send a CSRF
/// token and it authenticates them another way.
fn webhook(text: &str, function: &Function) -> bool {
    let name = function.name.as_deref().unwrap_or("").to_ascii_lowercase();
    let body = text[function.body.start..function.body.end].to_ascii_lowercase();
    ["hook", "callback", "ipn", "notify", "notification", "bot"]
        .iter()
        .any(|w| name.contains(w))
        || ["signature", "hmac", "compare_digest"]
            .iter()
            .any(|w| body.contains(w))
}

/// `WTF_CSRF_ENABLED = False` at module level or in a config class not named for tests or
/// development; `app.config["WTF_CSRF_ENABLED"] = False`.
fn flask_wtf(ctx: &CodeContext<'_>, found: &mut Vec<(Span, String)>) {
    let (tree, text) = (ctx.tree, ctx.source.text.as_str());
    if development_settings(&ctx.source.path) {
        return;
    }
    const WHAT: &str = "`WTF_CSRF_ENABLED = False` turns Flask-WTF's CSRF check off for every form, so any website can submit them with the user's session";
    for name in occurrences(tree, text, "WTF_CSRF_ENABLED") {
        let target = match name.kind_name() {
            "identifier" => name,
            "string_content" => match name.parent().and_then(|s| s.parent()) {
                Some(subscript) if subscript.kind_name() == "subscript" => subscript,
                _ => continue,
            },
            _ => continue,
        };
        let Some(assignment) = target.parent().filter(|a| {
            a.kind_name() == "assignment"
                && a.field("left").is_some_and(|l| l.id() == target.id())
                && a.field("right").is_some_and(|r| r.kind_name() == "false")
        }) else {
            continue;
        };
        if in_development_class(text, assignment) {
            continue;
        }
        found.push((span(assignment), WHAT.to_string()));
    }
    for call in ctx.semantics().calls() {
        if let Some(k) = call.keyword("WTF_CSRF_ENABLED")
            && &text[k.value.start..k.value.end] == "False"
            && !node_at(tree, call.span).is_some_and(|n| in_development_class(text, n))
        {
            found.push((k.span, WHAT.to_string()));
        }
    }
}

/// Inside `class TestingConfig:` or `class DevelopmentConfig(Config):`.
fn in_development_class(text: &str, node: Node<'_>) -> bool {
    let mut current = node;
    while let Some(parent) = current.parent() {
        if matches!(
            parent.kind_name(),
            "class_definition" | "function_definition"
        ) && let Some(name) = parent.field("name")
        {
            let name = text_of(text, name).to_ascii_lowercase();
            if ["test", "dev", "local", "debug"]
                .iter()
                .any(|w| name.contains(w))
            {
                return true;
            }
        }
        current = parent;
    }
    false
}

/// A Django `MIDDLEWARE` list with sessions and without CSRF, not extended afterwards.
fn django_middleware(ctx: &CodeContext<'_>, found: &mut Vec<(Span, String)>) {
    let (tree, text) = (ctx.tree, ctx.source.text.as_str());
    if [
        "MIDDLEWARE +=",
        "MIDDLEWARE.append",
        "MIDDLEWARE.insert",
        "MIDDLEWARE.extend",
    ]
    .iter()
    .any(|m| text.contains(m))
    {
        return;
    }
    let Some((assignment, list)) = module_assignments(tree, text, "MIDDLEWARE").last() else {
        return;
    };
    if !matches!(list.kind_name(), "list" | "tuple") {
        return;
    }
    let entries: Vec<Option<&str>> = elements(list)
        .iter()
        .map(|e| string_content(text, *e))
        .collect();
    // A name or a splice (`*BASE_MIDDLEWARE`) may hold the CSRF middleware.
    if entries.iter().any(Option::is_none) {
        return;
    }
    let has = |suffix: &str| entries.iter().flatten().any(|e| e.ends_with(suffix));
    if has("SessionMiddleware") && !has("CsrfViewMiddleware") {
        found.push((
            span(assignment),
            "`MIDDLEWARE` has sessions but no `django.middleware.csrf.CsrfViewMiddleware`, so no form or POST view is protected against cross-site requests".into(),
        ));
    }
}
