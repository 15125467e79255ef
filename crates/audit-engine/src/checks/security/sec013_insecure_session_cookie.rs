//! SEC013: session and auth cookies that scripts can read or that travel over plain HTTP.
//! express-session's `cookie` and cookie-session's options with `secure: false` or
//! `httpOnly: false`, or (as literals the file shows) without `secure`; `res.cookie(...)` and
//! `set_cookie(...)` of a cookie named like a session or token without `httpOnly` (both
//! default to readable by scripts) or with `secure` off; Django/Flask `SESSION_COOKIE_SECURE`,
//! `CSRF_COOKIE_SECURE` or `SESSION_COOKIE_HTTPONLY` set to `False`.

use audit_core::Span;
use audit_model::code::Call;
use audit_syntax::tree_sitter::Node;

use super::{
    arguments, development_settings, module_assignments, occurrences, positional_arguments,
    string_content,
};
use crate::checks::reliability::{Key, browser_code, object_key, span};
use crate::checks::{Check, CodeContext, Emit};
use audit_model::code::nodes::{Fields, KindName};

pub const CHECK: Check = Check::Code {
    anchors: &["session", "cookie", "Cookie", "COOKIE"],
    run: check,
};

const SETTINGS: &[(&str, &str)] = &[
    (
        "SESSION_COOKIE_SECURE",
        "`SESSION_COOKIE_SECURE = False` sends the session cookie over plain HTTP too, where anyone on the network reads it",
    ),
    (
        "CSRF_COOKIE_SECURE",
        "`CSRF_COOKIE_SECURE = False` sends the CSRF cookie over plain HTTP too",
    ),
    (
        "SESSION_COOKIE_HTTPONLY",
        "`SESSION_COOKIE_HTTPONLY = False` lets any script on the page (an XSS payload) read the session cookie",
    ),
];

fn check(ctx: &CodeContext<'_>, out: &mut Emit<'_>) {
    let mut found: Vec<(Span, String)> = Vec::new();
    for call in ctx.semantics().calls() {
        if ctx.grammar.is_javascript_family() {
            javascript_call(ctx, call, &mut found);
        } else {
            python_call(ctx, call, &mut found);
        }
    }
    if !ctx.grammar.is_javascript_family() && !development_settings(&ctx.source.path) {
        python_settings(ctx, &mut found);
    }
    found.sort_by_key(|(s, _)| (s.start, s.end));
    found.dedup_by_key(|(s, _)| *s);
    for (span, what) in found {
        out.report(ctx.source, span, &[("what", &what)]);
    }
}

/// A cookie name that says it holds a session or credentials: `sessionid`, `connect.sid`,
/// `refresh_token`, `jwt`; not `dojo-sidebar` or `csrftoken`.
fn auth_cookie(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let words = || lower.split(|c: char| !c.is_ascii_alphanumeric());
    (words().any(|w| matches!(w, "sid" | "sess" | "jwt"))
        || ["session", "token", "auth", "refresh", "access"]
            .iter()
            .any(|w| lower.contains(w)))
        && !lower.contains("csrf")
        && !lower.contains("xsrf")
}

/// A value that clears the cookie (`None`, `""`, `null`): a logout, not a session.
fn clears(text: &str, value: Option<&Node<'_>>) -> bool {
    value.is_some_and(|v| {
        matches!(v.kind_name(), "none" | "null" | "undefined")
            || string_content(text, *v) == Some("")
    })
}

fn javascript_call(ctx: &CodeContext<'_>, call: &Call, found: &mut Vec<(Span, String)>) {
    let text = ctx.source.text.as_str();
    let args = arguments(ctx, call.arguments);
    let callee = &text[call.callee.start..call.callee.end];
    match call.qualified_name.as_deref() {
        Some("express-session") => {
            let Some(options) = args.first() else { return };
            match object_key(ctx, *options, &["cookie"]) {
                Key::Set { value, .. } => cookie_options(ctx, value, call.callee, found),
                Key::Missing => found.push((
                    call.callee,
                    "express-session without `cookie: { secure: true }` sends the session cookie over plain HTTP too".into(),
                )),
                Key::Unknown => {}
            }
        }
        Some("cookie-session") => {
            if let Some(options) = args.first() {
                cookie_options(ctx, *options, call.callee, found);
            }
        }
        _ if callee.ends_with(".cookie")
            && !matches!(callee, "$.cookie" | "jQuery.cookie" | "document.cookie")
            && !browser_code(ctx) =>
        {
            let Some(name) = args.first().and_then(|a| string_content(text, *a)) else {
                return;
            };
            if !auth_cookie(name) || clears(text, args.get(1)) {
                return;
            }
            match args.get(2).map(|o| object_key(ctx, *o, &["httpOnly"])) {
                None | Some(Key::Missing) => found.push((
                    call.callee,
                    format!("the `{name}` cookie is set without `httpOnly: true`, so any script on the page (an XSS payload) can read it"),
                )),
                Some(Key::Set { pair, value }) if value.kind_name() == "false" => found.push((
                    span(pair),
                    format!("the `{name}` cookie is set with `httpOnly: false`, so any script on the page (an XSS payload) can read it"),
                )),
                _ => {}
            }
            if let Some(options) = args.get(2)
                && let Key::Set { pair, value } = object_key(ctx, *options, &["secure"])
                && value.kind_name() == "false"
            {
                found.push((
                    span(pair),
                    format!("the `{name}` cookie is set with `secure: false`, so it also travels over plain HTTP"),
                ));
            }
        }
        _ => {}
    }
}

/// The cookie options of express-session or cookie-session: `secure`/`httpOnly` turned
/// off, or `secure` missing from a literal the file shows.
fn cookie_options(
    ctx: &CodeContext<'_>,
    options: Node<'_>,
    callee: Span,
    found: &mut Vec<(Span, String)>,
) {
    match object_key(ctx, options, &["secure"]) {
        Key::Set { pair, value } if value.kind_name() == "false" => found.push((
            span(pair),
            "`secure: false` sends the session cookie over plain HTTP too".into(),
        )),
        Key::Missing => found.push((
            callee,
            "the session cookie options leave out `secure: true`, so the cookie also travels over plain HTTP".into(),
        )),
        _ => {}
    }
    if let Key::Set { pair, value } = object_key(ctx, options, &["httpOnly"])
        && value.kind_name() == "false"
    {
        found.push((
            span(pair),
            "`httpOnly: false` lets any script on the page (an XSS payload) read the session cookie".into(),
        ));
    }
}

/// `response.set_cookie("sessionid", value, httponly=False)`: Django and Flask default to
/// readable by scripts.
fn python_call(ctx: &CodeContext<'_>, call: &Call, found: &mut Vec<(Span, String)>) {
    let text = ctx.source.text.as_str();
    let callee = &text[call.callee.start..call.callee.end];
    if callee.ends_with(".set_cookie") {
        let name = call
            .keyword("key")
            .and_then(|k| ctx.node_at(k.value))
            .or_else(|| positional_arguments(ctx, call.arguments).first().copied())
            .and_then(|n| string_content(text, n));
        let Some(name) = name.filter(|n| auth_cookie(n)) else {
            return;
        };
        let value = call
            .keyword("value")
            .and_then(|k| ctx.node_at(k.value))
            .or_else(|| positional_arguments(ctx, call.arguments).get(1).copied());
        if clears(text, value.as_ref()) {
            return;
        }
        if call.keywords.is_empty() && text[call.span.start..call.span.end].contains("**") {
            return;
        }
        match call.keyword("httponly") {
            None => found.push((
                call.callee,
                format!("the `{name}` cookie is set without `httponly=True`, so any script on the page (an XSS payload) can read it"),
            )),
            Some(k) if &text[k.value.start..k.value.end] == "False" => found.push((
                k.span,
                format!("the `{name}` cookie is set with `httponly=False`, so any script on the page (an XSS payload) can read it"),
            )),
            _ => {}
        }
        if let Some(k) = call.keyword("secure")
            && &text[k.value.start..k.value.end] == "False"
        {
            found.push((
                k.span,
                format!("the `{name}` cookie is set with `secure=False`, so it also travels over plain HTTP"),
            ));
        }
        return;
    }
    // Flask: `app.config.update(SESSION_COOKIE_SECURE=False)`.
    if callee.ends_with("config.update") {
        for (setting, what) in SETTINGS {
            if let Some(k) = call.keyword(setting)
                && &text[k.value.start..k.value.end] == "False"
            {
                found.push((k.span, what.to_string()));
            }
        }
    }
}

/// Module-level `SESSION_COOKIE_SECURE = False` (Django) and
/// `app.config["SESSION_COOKIE_SECURE"] = False` (Flask).
fn python_settings(ctx: &CodeContext<'_>, found: &mut Vec<(Span, String)>) {
    let (tree, text) = (ctx.tree, ctx.source.text.as_str());
    for (setting, what) in SETTINGS {
        if !text.contains(setting) {
            continue;
        }
        if let Some((assignment, value)) = module_assignments(tree, text, setting).last()
            && value.kind_name() == "false"
        {
            found.push((span(assignment), what.to_string()));
        }
        for fragment in occurrences(tree, text, setting) {
            if let Some(string) = fragment.parent()
                && string.kind_name() == "string"
                && let Some(subscript) = string.parent()
                && subscript.kind_name() == "subscript"
                && let Some(assignment) = subscript.parent()
                && assignment.kind_name() == "assignment"
                && assignment
                    .field("right")
                    .is_some_and(|r| r.kind_name() == "false")
            {
                found.push((span(assignment), what.to_string()));
            }
        }
    }
}
