//! SEC012: debug modes that show code, settings or a console to whoever triggers an error.
//! Flask `app.run(debug=True)`; `FastAPI(debug=True)`/`Starlette(debug=True)`; Django
//! `DEBUG = True` (or an environment lookup that defaults to true) in a settings module not
//! named for local, dev or test use; an Express error handler (`(err, req, res, next)`)
//! that sends `err.stack` without a check on the environment.

use audit_core::Span;
use audit_syntax::tree_sitter::Node;

use super::{
    development_settings, elements, module_assignments, occurrences, positional_arguments,
    string_content, text_of,
};
use crate::checks::reliability::span;
use crate::checks::{Check, CodeContext, Emit};
use audit_model::code::nodes::{Fields, KindName};

pub const CHECK: Check = Check::Code {
    anchors: &["debug", "DEBUG", "stack"],
    run: check,
};

fn check(ctx: &CodeContext<'_>, out: &mut Emit<'_>) {
    let mut found: Vec<(Span, &str)> = Vec::new();
    if ctx.grammar.is_javascript_family() {
        express_stack(ctx, &mut found);
    } else {
        python_calls(ctx, &mut found);
        django_debug(ctx, &mut found);
    }
    for (span, what) in found {
        out.report(ctx.source, span, &[("what", what)]);
    }
}

fn python_calls(ctx: &CodeContext<'_>, found: &mut Vec<(Span, &str)>) {
    let text = ctx.source.text.as_str();
    let flask = ctx
        .semantics()
        .imports()
        .iter()
        .any(|i| i.module == "flask" || i.module.starts_with("flask."));
    for call in ctx.semantics().calls() {
        let Some(debug) = call
            .keyword("debug")
            .filter(|k| &text[k.value.start..k.value.end] == "True")
        else {
            continue;
        };
        let callee = &text[call.callee.start..call.callee.end];
        match call.qualified_name.as_deref() {
            Some("fastapi.FastAPI" | "starlette.applications.Starlette") => found.push((
                debug.span,
                "`debug=True` answers every unhandled error with its traceback and source lines",
            )),
            _ if flask && callee.ends_with(".run") => found.push((
                debug.span,
                "`app.run(debug=True)` starts the Werkzeug debugger, whose console runs any Python code a visitor types",
            )),
            _ => {}
        }
    }
}

/// Django: the last module-level `DEBUG = ...` of a settings module meant for production.
fn django_debug(ctx: &CodeContext<'_>, found: &mut Vec<(Span, &str)>) {
    let (tree, text) = (ctx.tree, ctx.source.text.as_str());
    let path = &*ctx.source.path;
    if development_settings(path) || !settings_module(ctx) {
        return;
    }
    let Some((assignment, value)) = module_assignments(tree, text, "DEBUG").last() else {
        return;
    };
    if value.kind_name() == "true" {
        found.push((
            span(assignment),
            "`DEBUG = True` in a settings module not named for development shows a stack trace, local variables and settings on every error page",
        ));
    } else if defaults_to_true(ctx, value) {
        found.push((
            span(assignment),
            "`DEBUG` falls back to true when the environment does not set it, so a deployment that forgets the variable shows stack traces and settings on every error page",
        ));
    }
}

/// A Django settings module: named `settings*` or in a `settings/` folder, or setting what
/// only settings modules set.
fn settings_module(ctx: &CodeContext<'_>) -> bool {
    let (tree, text) = (ctx.tree, ctx.source.text.as_str());
    let path = &*ctx.source.path;
    path.split('/').any(|part| part.starts_with("settings"))
        || ["INSTALLED_APPS", "ROOT_URLCONF", "MIDDLEWARE"]
            .iter()
            .any(|name| module_assignments(tree, text, name).next().is_some())
}

/// `env.bool("DEBUG", default=True)`, `config("DEBUG", default=True, cast=bool)`,
/// `os.environ.get("DEBUG", "True") == "True"`, `os.getenv("DEBUG", "1") in ("1", "true")`.
fn defaults_to_true(ctx: &CodeContext<'_>, value: Node<'_>) -> bool {
    let text = ctx.source.text.as_str();
    let truthy = |node: Node<'_>| {
        node.kind_name() == "true"
            || string_content(text, node).is_some_and(|s| {
                matches!(s.to_ascii_lowercase().as_str(), "true" | "1" | "yes" | "on")
            })
    };
    let (lookup, compared) = match value.kind_name() {
        "call" => (value, None),
        "comparison_operator" => {
            let operands = elements(value);
            match operands.as_slice() {
                [left, right] => (*left, Some(*right)),
                _ => return false,
            }
        }
        _ => return false,
    };
    // `os.getenv("DEBUG", "True").lower() == "true"`: the lookup under the method calls.
    let mut lookup = lookup;
    while lookup.kind_name() == "call"
        && let Some(function) = lookup.field("function")
        && function.kind_name() == "attribute"
        && let Some(object) = function.field("object")
        && object.kind_name() == "call"
        && function
            .field("attribute")
            .is_some_and(|a| matches!(text_of(text, a), "lower" | "upper" | "strip"))
    {
        lookup = object;
    }
    if lookup.kind_name() != "call" {
        return false;
    }
    let Some(function) = lookup.field("function") else {
        return false;
    };
    let name = text_of(text, function);
    let last = name.rsplit('.').next().unwrap_or(name);
    // `get_bool_from_env("DEBUG", True)` (saleor): a project's own environment helper.
    if !(matches!(last, "get" | "getenv" | "env" | "config" | "bool")
        || last.contains("env")
        || last.contains("config"))
    {
        return false;
    }
    let Some(arguments) = lookup.field("arguments") else {
        return false;
    };
    let default = elements(arguments)
        .into_iter()
        .find_map(|a| {
            (a.kind_name() == "keyword_argument"
                && a.field("name")
                    .is_some_and(|n| text_of(text, n) == "default"))
            .then(|| a.field("value"))
            .flatten()
        })
        .or_else(|| {
            positional_arguments(ctx, Some(span(arguments)))
                .get(1)
                .copied()
        });
    let Some(default) = default else {
        return false;
    };
    if !truthy(default) {
        return false;
    }
    match compared {
        None => true,
        Some(right) => match right.kind_name() {
            "tuple" | "list" | "set" => elements(right).into_iter().any(truthy),
            _ => truthy(right),
        },
    }
}

/// `res.json({ message: err.message, stack: err.stack })` in an Express error handler,
/// unless a condition on the environment guards it.
fn express_stack(ctx: &CodeContext<'_>, found: &mut Vec<(Span, &str)>) {
    let (tree, text) = (ctx.tree, ctx.source.text.as_str());
    for property in occurrences(tree, text, "stack") {
        let Some(member) = property.parent().filter(|m| {
            property.kind_name() == "property_identifier" && m.kind_name() == "member_expression"
        }) else {
            continue;
        };
        let Some(object) = member
            .field("object")
            .filter(|o| o.kind_name() == "identifier")
        else {
            continue;
        };
        let Some(function) = ctx.semantics().enclosing_function(member.start_byte()) else {
            continue;
        };
        let error_handler = function.parameters.len() == 4
            && function.parameters[0].position == 0
            && function.parameters[0].name == text_of(text, object)
            && function.parameters.iter().map(|p| p.position).eq(0..4);
        if error_handler && sent(text, member) {
            found.push((
                span(member),
                "an Express error handler sends `err.stack` to the client, showing file paths, library versions and code structure",
            ));
        }
    }
}

/// Whether `node` is (part of) the argument of a response method (`res.json`, `res.send`,
/// `res.status(500).send`, `res.end`), with no environment check on the way.
fn sent(text: &str, node: Node<'_>) -> bool {
    let mut current = node;
    while let Some(parent) = current.parent() {
        match parent.kind_name() {
            "pair"
            | "object"
            | "array"
            | "template_substitution"
            | "template_string"
            | "binary_expression"
            | "parenthesized_expression"
            | "arguments" => {}
            "ternary_expression" => {
                if parent
                    .field("condition")
                    .is_some_and(|c| environment_check(text, c))
                {
                    return false;
                }
            }
            "call_expression" => {
                let Some(callee) = parent.field("function") else {
                    return false;
                };
                let method = text_of(text, callee).rsplit('.').next().unwrap_or("");
                return matches!(method, "json" | "send" | "end" | "write" | "jsonp")
                    && !guarded(text, parent);
            }
            _ => return false,
        }
        current = parent;
    }
    false
}

/// An `if` around the call that checks the environment.
fn guarded(text: &str, call: Node<'_>) -> bool {
    let mut current = call;
    while let Some(parent) = current.parent() {
        if matches!(parent.kind_name(), "if_statement" | "ternary_expression")
            && parent
                .field("condition")
                .is_some_and(|c| environment_check(text, c))
        {
            return true;
        }
        if matches!(
            parent.kind_name(),
            "function_declaration" | "arrow_function" | "function_expression" | "method_definition"
        ) {
            return false;
        }
        current = parent;
    }
    false
}

/// A condition that reads the environment (`process.env.NODE_ENV`, `app.debug`): SEC014
/// leaves what it guards alone too.
pub(super) fn environment_check(text: &str, condition: Node<'_>) -> bool {
    let condition = text_of(text, condition).to_ascii_lowercase();
    ["env", "development", "production", "debug", "dev"]
        .iter()
        .any(|w| condition.contains(w))
}
