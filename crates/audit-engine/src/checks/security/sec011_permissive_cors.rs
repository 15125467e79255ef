//! SEC011: CORS that lets any website make credentialed requests. The `cors`,
//! `@koa/cors` and `@fastify/cors` options and NestJS `enableCors` with `credentials: true`
//! and an origin of `'*'`, `true`, a match-all regex or a callback that approves every
//! origin; Starlette/FastAPI `CORSMiddleware(allow_origins=["*"], allow_credentials=True)`;
//! flask-cors `supports_credentials=True` with its default (or an explicit) `*`;
//! django-cors-headers `CORS_ALLOW_ALL_ORIGINS = True` beside `CORS_ALLOW_CREDENTIALS = True`;
//! and a hand-written `Access-Control-Allow-Origin` copied from the request's `Origin` in a
//! handler that also allows credentials. A plain `*` without credentials is not reported:
//! a browser sends no cookies with it.

use audit_core::Span;
use audit_model::code::Call;
use audit_syntax::tree_sitter::Node;

use super::{
    arguments, development_settings, dictionary_key, elements, module_assignments,
    module_flag_true, occurrences, positional_arguments, string_content, text_of,
};
use crate::checks::reliability::{Key, object_key, span};
use crate::checks::{Check, CodeContext, Emit};
use audit_model::code::nodes::{Fields, KindName};

pub const CHECK: Check = Check::Code {
    anchors: &[
        "cors",
        "Cors",
        "CORS",
        "Access-Control-Allow-Origin",
        "access-control-allow-origin",
    ],
    run: check,
};

fn check(ctx: &CodeContext<'_>, out: &mut Emit<'_>) {
    let mut found: Vec<(Span, String)> = Vec::new();
    if ctx.grammar.is_javascript_family() {
        for call in ctx.semantics().calls() {
            if let Some(finding) = javascript_call(ctx, call) {
                found.push(finding);
            }
        }
    } else {
        for call in ctx.semantics().calls() {
            if let Some(finding) = python_call(ctx, call) {
                found.push(finding);
            }
        }
        django_settings(ctx, &mut found);
    }
    reflected_origin(ctx, &mut found);
    found.sort_by_key(|(s, _)| (s.start, s.end));
    found.dedup_by_key(|(s, _)| *s);
    for (span, what) in found {
        out.report(ctx.source, span, &[("what", &what)]);
    }
}

/// The options argument of a CORS middleware call, and whether a missing `origin` means
/// the request's own origin (`@koa/cors` reflects it by default; `cors` sends `*`).
fn javascript_options<'t>(ctx: &'t CodeContext<'_>, call: &Call) -> Option<(Node<'t>, bool)> {
    let text = ctx.source.text.as_str();
    let args = arguments(ctx, call.arguments);
    let callee = &text[call.callee.start..call.callee.end];
    match call.qualified_name.as_deref() {
        Some("cors") => return args.first().map(|o| (*o, false)),
        Some("@koa/cors" | "koa-cors" | "koa2-cors") => return args.first().map(|o| (*o, true)),
        _ => {}
    }
    // `fastify.register(cors, { ... })`, `app.enableCors({ ... })` (NestJS).
    if callee.ends_with(".register")
        && let [plugin, options, ..] = args.as_slice()
        && required_module(ctx, *plugin)
            .is_some_and(|m| matches!(m.as_str(), "@fastify/cors" | "fastify-cors"))
    {
        return Some((*options, false));
    }
    if callee.ends_with(".enableCors") {
        return args.first().map(|o| (*o, false));
    }
    None
}

/// The module a plugin argument is: an imported name, or `require("m")` written in place.
fn required_module(ctx: &CodeContext<'_>, plugin: Node<'_>) -> Option<String> {
    let text = ctx.source.text.as_str();
    if plugin.kind_name() == "call_expression"
        && plugin
            .field("function")
            .is_some_and(|f| text_of(text, f) == "require")
    {
        let args = plugin.field("arguments").map(elements)?;
        return string_content(text, *args.first()?).map(str::to_string);
    }
    ctx.semantics().qualified_name(plugin, text)
}

fn javascript_call(ctx: &CodeContext<'_>, call: &Call) -> Option<(Span, String)> {
    let (options, reflects_by_default) = javascript_options(ctx, call)?;
    let Key::Set {
        value: credentials, ..
    } = object_key(ctx, options, &["credentials"])
    else {
        return None;
    };
    if credentials.kind_name() != "true" {
        return None;
    }
    match object_key(ctx, options, &["origin"]) {
        Key::Set { pair, value } => {
            let what = any_javascript_origin(ctx, value)?;
            Some((
                span(pair),
                format!("allows {what} with `credentials: true`"),
            ))
        }
        Key::Missing if reflects_by_default => Some((
            span(credentials),
            "reflects every request's origin (no `origin` option) with `credentials: true`"
                .to_string(),
        )),
        _ => None,
    }
}

/// How an `origin` option lets every site in: `'*'`, `true`, `/.*/`, or a callback that
/// answers yes whatever the origin.
fn any_javascript_origin(ctx: &CodeContext<'_>, value: Node<'_>) -> Option<&'static str> {
    let text = ctx.source.text.as_str();
    match value.kind_name() {
        "true" => Some("every origin (`origin: true` reflects the request's)"),
        "string" if string_content(text, value) == Some("*") => Some("every origin (`*`)"),
        "regex" => value
            .field("pattern")
            .is_some_and(|p| matches!(text_of(text, p), ".*" | "^.*$" | ".+" | "^.+$"))
            .then_some("every origin (a match-all pattern)"),
        "array" => elements(value)
            .iter()
            .any(|e| string_content(text, *e) == Some("*"))
            .then_some("every origin (`*`)"),
        "arrow_function" | "function_expression" | "function" => approves_every_origin(ctx, value)
            .then_some("every origin (the `origin` callback approves any)"),
        _ => None,
    }
}

/// `(origin, cb) => cb(null, true)` or `function (origin, callback) { callback(null, origin) }`:
/// a callback whose whole body answers yes.
fn approves_every_origin(ctx: &CodeContext<'_>, function: Node<'_>) -> bool {
    let text = ctx.source.text.as_str();
    let Some(parameters) = function.field("parameters") else {
        return false;
    };
    let names: Vec<&str> = elements(parameters)
        .iter()
        .map(|p| text_of(text, p.field("pattern").unwrap_or(*p)))
        .collect();
    let [origin, callback, ..] = names.as_slice() else {
        return false;
    };
    let Some(body) = function.field("body") else {
        return false;
    };
    let call = match body.kind_name() {
        "call_expression" => body,
        "statement_block" => match elements(body).as_slice() {
            [statement]
                if matches!(
                    statement.kind_name(),
                    "expression_statement" | "return_statement"
                ) =>
            {
                match statement.named_child(0) {
                    Some(call) => call,
                    None => return false,
                }
            }
            _ => return false,
        },
        _ => return false,
    };
    call.kind_name() == "call_expression"
        && call
            .field("function")
            .is_some_and(|f| text_of(text, f) == *callback)
        && call.field("arguments").map(elements).is_some_and(|args| {
            args.len() == 2 && (args[1].kind_name() == "true" || text_of(text, args[1]) == *origin)
        })
}

fn python_call(ctx: &CodeContext<'_>, call: &Call) -> Option<(Span, String)> {
    let text = ctx.source.text.as_str();
    let semantics = ctx.semantics();
    let is_true = |name: &str| {
        call.keyword(name)
            .is_some_and(|k| &text[k.value.start..k.value.end] == "True")
    };
    let function = call.qualified_name.as_deref().unwrap_or("");
    let starlette = function.ends_with(".CORSMiddleware")
        || positional_arguments(ctx, call.arguments)
            .first()
            .and_then(|m| semantics.qualified_name(*m, text))
            .is_some_and(|q| q.ends_with(".CORSMiddleware"));
    if starlette && is_true("allow_credentials") {
        if let Some(origins) = call.keyword("allow_origins")
            && ctx.node_at(origins.value).is_some_and(|v| star(text, v))
        {
            return Some((
                origins.span,
                "allows every origin (`allow_origins=[\"*\"]`, which Starlette answers with the request's own origin when it carries cookies) with `allow_credentials=True`".into(),
            ));
        }
        if let Some(regex) = call.keyword("allow_origin_regex")
            && ctx
                .node_at(regex.value)
                .and_then(|v| string_content(text, v))
                .is_some_and(|p| matches!(p, ".*" | "^.*$" | ".+" | "^.+$" | "https?://.*"))
        {
            return Some((
                regex.span,
                "allows every origin (a match-all `allow_origin_regex`) with `allow_credentials=True`".into(),
            ));
        }
        return None;
    }
    if matches!(function, "flask_cors.CORS" | "flask_cors.cross_origin")
        && is_true("supports_credentials")
        && flask_cors_any_origin(ctx, call)
    {
        let at = call
            .keyword("supports_credentials")
            .map_or(call.span, |k| k.span);
        return Some((
            at,
            "allows every origin (flask-cors's `*`, echoed back as the request's origin) with `supports_credentials=True`".into(),
        ));
    }
    None
}

/// `["*"]`, `("*",)`, `"*"`.
fn star(text: &str, value: Node<'_>) -> bool {
    match value.kind_name() {
        "list" | "tuple" | "set" => elements(value)
            .iter()
            .any(|e| string_content(text, *e) == Some("*")),
        _ => string_content(text, value) == Some("*"),
    }
}

/// flask-cors's origins: the `origins` keyword, else each `resources` entry's `origins`,
/// else its default `*`.
fn flask_cors_any_origin(ctx: &CodeContext<'_>, call: &Call) -> bool {
    let text = ctx.source.text.as_str();
    if let Some(origins) = call.keyword("origins") {
        return ctx.node_at(origins.value).is_some_and(|v| star(text, v));
    }
    let Some(resources) = call.keyword("resources") else {
        return true;
    };
    let Some(resources) = ctx.node_at(resources.value) else {
        return false;
    };
    match resources.kind_name() {
        // A path pattern, or a list of them: the default origins apply.
        "string" | "list" => true,
        "dictionary" => elements(resources).iter().any(|pair| {
            pair.field("value")
                .filter(|v| v.kind_name() == "dictionary")
                .is_some_and(|options| match dictionary_key(text, options, "origins") {
                    Some((_, origins)) => star(text, origins),
                    None => !elements(options)
                        .iter()
                        .any(|e| e.kind_name() == "dictionary_splat"),
                })
        }),
        _ => false,
    }
}

/// django-cors-headers: `CORS_ALLOW_ALL_ORIGINS = True` (or the old `CORS_ORIGIN_ALLOW_ALL`)
/// and `CORS_ALLOW_CREDENTIALS = True` in one settings module meant for production.
fn django_settings(ctx: &CodeContext<'_>, found: &mut Vec<(Span, String)>) {
    let (tree, text) = (ctx.tree, ctx.source.text.as_str());
    if development_settings(&ctx.source.path)
        || !text.contains("CORS_ALLOW_CREDENTIALS")
        || !module_flag_true(tree, text, "CORS_ALLOW_CREDENTIALS")
    {
        return;
    }
    for setting in ["CORS_ALLOW_ALL_ORIGINS", "CORS_ORIGIN_ALLOW_ALL"] {
        if let Some((assignment, value)) = module_assignments(tree, text, setting).last()
            && value.kind_name() == "true"
        {
            found.push((
                span(assignment),
                format!(
                    "allows every origin (`{setting} = True`) with `CORS_ALLOW_CREDENTIALS = True`"
                ),
            ));
        }
    }
}

/// `res.setHeader("Access-Control-Allow-Origin", req.headers.origin)`,
/// `response.headers["Access-Control-Allow-Origin"] = request.headers.get("Origin")`: the
/// request's origin echoed back unchecked, in a function that also allows credentials.
fn reflected_origin(ctx: &CodeContext<'_>, found: &mut Vec<(Span, String)>) {
    let (tree, text) = (ctx.tree, ctx.source.text.as_str());
    for header in ["Access-Control-Allow-Origin", "access-control-allow-origin"] {
        for fragment in occurrences(tree, text, header) {
            let Some(string) = fragment
                .parent()
                .filter(|s| s.kind_name() == "string" && string_content(text, *s) == Some(header))
            else {
                continue;
            };
            let Some((setter, value)) = header_value(string) else {
                continue;
            };
            if !reads_request_origin(ctx, value, 2) || checked(text, setter) {
                continue;
            }
            let scope = ctx
                .semantics()
                .enclosing_function(setter.start_byte())
                .map_or(text, |f| &text[f.span.start..f.span.end]);
            if scope
                .to_ascii_lowercase()
                .contains("access-control-allow-credentials")
            {
                found.push((
                    span(setter),
                    "echoes the request's `Origin` back as `Access-Control-Allow-Origin` unchecked, with credentials allowed".into(),
                ));
            }
        }
    }
}

/// The statement or call that sets the header named by `string`, and the value it sets.
fn header_value(string: Node<'_>) -> Option<(Node<'_>, Node<'_>)> {
    let parent = string.parent()?;
    match parent.kind_name() {
        // `res.setHeader(name, value)`, `response.headers.set(name, value)`.
        "arguments" | "argument_list" => {
            let args = elements(parent);
            let at = args.iter().position(|a| a.id() == string.id())?;
            (at == 0).then_some(())?;
            Some((parent.parent()?, *args.get(1)?))
        }
        // `{ "Access-Control-Allow-Origin": value }`.
        "pair" => Some((parent, parent.field("value")?)),
        // `res.headers["Access-Control-Allow-Origin"] = value`.
        "subscript" | "subscript_expression" => {
            let assignment = parent.parent()?;
            matches!(
                assignment.kind_name(),
                "assignment" | "assignment_expression"
            )
            .then_some(())?;
            Some((assignment, assignment.field("right")?))
        }
        _ => None,
    }
}

/// Whether `value` is the request's `Origin` header: `req.headers.origin`,
/// `req.get("origin")`, `request.headers["Origin"]`, `request.META.get("HTTP_ORIGIN")`,
/// `request.origin`, or a name bound to one of them (`depth` bindings deep).
fn reads_request_origin(ctx: &CodeContext<'_>, value: Node<'_>, depth: u8) -> bool {
    let text = ctx.source.text.as_str();
    let origin_name = |s: &str| s.eq_ignore_ascii_case("origin") || s == "HTTP_ORIGIN";
    match value.kind_name() {
        "as_expression"
        | "non_null_expression"
        | "satisfies_expression"
        | "parenthesized_expression" => value
            .named_child(0)
            .is_some_and(|inner| reads_request_origin(ctx, inner, depth)),
        "member_expression" | "attribute" => {
            let property = value.field("property").or_else(|| value.field("attribute"));
            let object = value.field("object");
            property.is_some_and(|p| text_of(text, p) == "origin")
                && object.is_some_and(|o| {
                    let o = text_of(text, o);
                    o.ends_with("headers") || o == "request" || o == "req"
                })
        }
        "subscript_expression" | "subscript" => {
            let index = value.field("index").or_else(|| value.field("subscript"));
            let object = value.field("object").or_else(|| value.field("value"));
            index
                .and_then(|i| string_content(text, i))
                .is_some_and(origin_name)
                && object.is_some_and(|o| {
                    let o = text_of(text, o);
                    o.ends_with("headers") || o.ends_with("META")
                })
        }
        "call_expression" | "call" => {
            let Some(function) = value.field("function") else {
                return false;
            };
            let method = text_of(text, function).rsplit('.').next().unwrap_or("");
            matches!(method, "get" | "header" | "getHeader")
                && value
                    .field("arguments")
                    .map(elements)
                    .and_then(|args| args.first().copied())
                    .and_then(|a| string_content(text, a))
                    .is_some_and(origin_name)
        }
        "binary_expression" | "boolean_operator" => {
            let left = value.field("left");
            left.is_some_and(|l| reads_request_origin(ctx, l, depth))
        }
        "identifier" if depth > 0 => ctx
            .semantics()
            .binding_at(text_of(text, value), value.start_byte())
            .filter(|b| b.path.is_empty() && !b.augmented)
            .and_then(|b| b.value)
            .and_then(|v| ctx.node_at(v))
            .is_some_and(|v| reads_request_origin(ctx, v, depth - 1)),
        _ => false,
    }
}

/// Whether `setter` runs only under a condition about the origin (`if (allowed.includes(origin))`).
fn checked(text: &str, setter: Node<'_>) -> bool {
    let mut node = setter;
    while let Some(parent) = node.parent() {
        match parent.kind_name() {
            "if_statement" | "elif_clause" | "ternary_expression" | "conditional_expression" => {
                if let Some(condition) = parent.field("condition")
                    && text_of(text, condition)
                        .to_ascii_lowercase()
                        .contains("origin")
                {
                    return true;
                }
            }
            "function_declaration"
            | "function_definition"
            | "arrow_function"
            | "method_definition"
            | "function_expression" => return false,
            _ => {}
        }
        node = parent;
    }
    false
}
