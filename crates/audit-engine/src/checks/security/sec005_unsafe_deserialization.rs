//! SEC005: a loader that can build arbitrary objects or run code, found by the qualified
//! name of the call (`pickle.loads` through `import pickle as pkl` or `from pickle import
//! loads`, `yaml.load` without a safe loader, node-serialize's `unserialize`).

use audit_core::Span;
use audit_model::code::Call;
use audit_syntax::tree_sitter::Node;

use super::{arguments, elements, text_of};
use crate::checks::excerpt;
use crate::checks::{Check, CodeContext, Emit};
use audit_model::code::nodes::{Fields, KindName};

pub const CHECK: Check = Check::Code {
    anchors: &[
        "node-serialize",
        "DEFAULT_FULL_SCHEMA",
        "pickle",
        "cPickle",
        "dill",
        "marshal",
        "shelve",
        "yaml",
    ],
    run: check,
};

fn check(ctx: &CodeContext<'_>, out: &mut Emit<'_>) {
    let text = ctx.source.text.as_str();
    let javascript = ctx.grammar.is_javascript_family();
    if !javascript && !python_may_load(text) {
        return;
    }
    for call in ctx.semantics().calls() {
        let Some(function) = call.qualified_name.as_deref() else {
            continue;
        };
        let unsafe_load = if javascript {
            javascript_call(ctx, call, function)
        } else {
            python_call(ctx, call, function)
        };
        if unsafe_load {
            let callee = excerpt(&text[call.callee.start..call.callee.end]);
            // The payload is the first argument: proven request input makes it certain.
            let payload = arguments(ctx, call.arguments)
                .first()
                .map_or(call.span, |a| Span::from(a.byte_range()));
            ctx.report_input(out, call.span, payload, &[("callee", &callee)], &callee);
        }
    }
}

fn javascript_call(ctx: &CodeContext<'_>, call: &Call, function: &str) -> bool {
    let text = ctx.source.text.as_str();
    match function {
        // Evaluates the `_$$ND_FUNC$$_` functions of its payload.
        "node-serialize.unserialize" => !call.new,
        // js-yaml's full schema builds JavaScript functions and regular expressions.
        "js-yaml.load" | "js-yaml.loadAll" => arguments(ctx, call.arguments)
            .iter()
            .any(|a| full_schema(text, *a)),
        _ => false,
    }
}

/// `{ schema: yaml.DEFAULT_FULL_SCHEMA }`.
fn full_schema(text: &str, options: Node<'_>) -> bool {
    options.kind_name() == "object"
        && elements(options).iter().any(|pair| {
            pair.kind_name() == "pair"
                && pair.field("key").is_some_and(|k| {
                    k.kind_name() == "property_identifier" && text_of(text, k) == "schema"
                })
                && pair.field("value").is_some_and(|v| {
                    v.kind_name() == "member_expression"
                        && v.field("property")
                            .is_some_and(|p| text_of(text, p) == "DEFAULT_FULL_SCHEMA")
                })
        })
}

/// Whether a Python file names one of the loaders: every one is a `load`-named function
/// (whatever it is imported as, its import names it), `read_pickle`, `jsonpickle` or
/// `shelve`. A file that only dumps, or only calls `yaml.safe_load`, needs no model.
fn python_may_load(text: &str) -> bool {
    memchr::memmem::find_iter(text.as_bytes(), b"load")
        .any(|at| !text[..at].ends_with("safe_") || text[..at].ends_with("unsafe_"))
        || ["read_pickle", "jsonpickle", "shelve"]
            .iter()
            .any(|name| text.contains(name))
}

fn python_call(ctx: &CodeContext<'_>, call: &Call, function: &str) -> bool {
    match function.rsplit_once('.') {
        Some((
            "pickle" | "cPickle" | "_pickle" | "dill" | "marshal" | "cloudpickle",
            "load" | "loads",
        )) => true,
        Some(("pandas", "read_pickle")) => true,
        Some(("jsonpickle", "decode")) => true,
        Some(("shelve", "open")) => true,
        Some(("yaml", "unsafe_load" | "unsafe_load_all")) => true,
        Some(("yaml", "load" | "load_all")) => unsafe_yaml_load(ctx, call),
        _ => false,
    }
}

/// `yaml.load(s)` (no loader: PyYAML before 5.1 loads anything), or with a loader that
/// builds arbitrary objects (`Loader`, `UnsafeLoader`, `FullLoader` and their C forms).
fn unsafe_yaml_load(ctx: &CodeContext<'_>, call: &Call) -> bool {
    let args = arguments(ctx, call.arguments);
    if args.len() == 1 {
        return true;
    }
    let loader = match call.keyword("Loader") {
        Some(keyword) => ctx.node_at(keyword.value),
        None if args.len() == 2 && args[1].kind_name() != "keyword_argument" => Some(args[1]),
        None => None,
    };
    loader.is_some_and(|l| unsafe_loader(ctx, l))
}

/// A loader named `Loader`, `CLoader`, `UnsafeLoader`, `FullLoader`, `CFullLoader`...: by
/// what its name resolves to where that is known (`from yaml import SafeLoader as Loader`
/// is safe), else as written.
fn unsafe_loader(ctx: &CodeContext<'_>, loader: Node<'_>) -> bool {
    if !matches!(loader.kind_name(), "identifier" | "attribute") {
        return false;
    }
    let text = ctx.source.text.as_str();
    let resolved = ctx.semantics().qualified_name(loader, text);
    let name = resolved.as_deref().unwrap_or_else(|| text_of(text, loader));
    let last = name.rsplit('.').next().unwrap_or(name);
    let last = last.strip_prefix('C').unwrap_or(last);
    matches!(last, "Loader" | "UnsafeLoader" | "FullLoader")
}
