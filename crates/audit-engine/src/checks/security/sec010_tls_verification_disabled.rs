//! SEC010: TLS certificate verification turned off. Python's `verify=False`/`ssl=False` count
//! on the calls of HTTP client libraries, found by qualified name (`requests.get`,
//! `httpx.Client` through any alias), and on the methods of a client the file made
//! (`s = requests.Session(); s.get(...)`); the flags that name themselves
//! (`rejectUnauthorized: false`, `strictSSL`, `NODE_TLS_REJECT_UNAUTHORIZED`,
//! `ssl.CERT_NONE`, `check_hostname = False`) are found from their occurrences in the text,
//! without a walk of the tree.

use audit_core::Span;
use audit_model::code::Call;
use audit_syntax::tree_sitter::Node;

use super::{is_field, node_at, occurrences, string_content, text_of};
use crate::checks::excerpt;
use crate::checks::{Check, CodeContext, Emit};
use audit_model::code::nodes::{Fields, KindName};

pub const CHECK: Check = Check::Code {
    anchors: &[
        "rejectUnauthorized",
        "strictSSL",
        "NODE_TLS_REJECT_UNAUTHORIZED",
        "verify",
        "ssl",
        "CERT_NONE",
        "cert_reqs",
        "check_hostname",
    ],
    run: check,
};

/// Modules whose functions and clients take `verify`/`ssl` for certificate verification.
const HTTP_MODULES: &[&str] = &["requests", "httpx", "aiohttp"];

/// Their request functions and client methods.
const METHODS: &[&str] = &[
    "get", "post", "put", "patch", "delete", "head", "options", "request", "send", "stream",
    "urlopen",
];

/// `flag` is followed by `False` as a keyword argument, assignment or dict entry:
/// `verify=False`, `session.verify = False`, `"ssl": False`, `verify_ssl=False`.
fn set_false(text: &str, flag: &str) -> bool {
    memchr::memmem::find_iter(text.as_bytes(), flag.as_bytes()).any(|at| {
        text[at + flag.len()..]
            .trim_start_matches(['"', '\'', ' ', '=', ':'])
            .starts_with("False")
    })
}

/// Client and connector constructors: of the modules above, or of any imported module
/// (`hvac.Client(verify=False)`).
const CLIENTS: &[&str] = &[
    "Client",
    "AsyncClient",
    "Session",
    "session",
    "ClientSession",
    "TCPConnector",
];

fn check(ctx: &CodeContext<'_>, out: &mut Emit<'_>) {
    let mut found = Vec::new();
    if ctx.grammar.is_javascript_family() {
        javascript(ctx, &mut found);
    } else {
        python(ctx, &mut found);
    }
    found.sort_by_key(|s: &Span| (s.start, s.end));
    found.dedup();
    let text = ctx.source.text.as_str();
    for span in found {
        let report = excerpt(&text[span.start..span.end]);
        out.report(ctx.source, span, &[("report", &report)]);
    }
}

fn javascript(ctx: &CodeContext<'_>, found: &mut Vec<Span>) {
    let (tree, text) = (ctx.tree, ctx.source.text.as_str());
    let is_false = |n: Node<'_>| n.kind_name() == "false";
    let is_zero = |n: Node<'_>| match n.kind_name() {
        "number" => text_of(text, n) == "0",
        _ => string_content(text, n) == Some("0"),
    };
    for (flag, value) in [
        ("rejectUnauthorized", &is_false as &dyn Fn(Node<'_>) -> bool),
        ("strictSSL", &is_false),
        ("NODE_TLS_REJECT_UNAUTHORIZED", &is_zero),
    ] {
        let pairs = flag != "NODE_TLS_REJECT_UNAUTHORIZED";
        for node in occurrences(tree, text, flag) {
            // The key as a name, or as the whole content of a string.
            let key = match node.kind_name() {
                "property_identifier" => node,
                "string_fragment" => match node.parent() {
                    Some(string) if string_content(text, string) == Some(flag) => string,
                    _ => continue,
                },
                _ => continue,
            };
            let Some(parent) = key.parent() else { continue };
            match parent.kind_name() {
                // `{ rejectUnauthorized: false }`
                "pair"
                    if pairs
                        && is_field(parent, "key", key)
                        && parent.field("value").is_some_and(value) =>
                {
                    found.push(span(parent));
                }
                // `options.rejectUnauthorized = false`, `env["NODE_TLS_REJECT_UNAUTHORIZED"] = "0"`
                "member_expression" | "subscript_expression"
                    if is_field(parent, "property", key) || is_field(parent, "index", key) =>
                {
                    if let Some(assignment) = parent.parent()
                        && assignment.kind_name() == "assignment_expression"
                        && is_field(assignment, "left", parent)
                        && assignment.field("right").is_some_and(value)
                    {
                        found.push(span(assignment));
                    }
                }
                _ => {}
            }
        }
    }
}

fn python(ctx: &CodeContext<'_>, found: &mut Vec<Span>) {
    let (tree, text) = (ctx.tree, ctx.source.text.as_str());
    // Only a literal `False` turns verification off, so the calls (and the model they
    // need) are read only in a file that writes one after `verify` or `ssl`.
    let written_off = ["verify", "ssl"].iter().any(|flag| set_false(text, flag));
    let calls = if written_off || text.contains("cert_reqs") {
        ctx.semantics().calls()
    } else {
        &[]
    };
    for call in calls {
        for keyword in &call.keywords {
            let value = &text[keyword.value.start..keyword.value.end];
            let off = match keyword.name.as_str() {
                "verify" | "verify_ssl" | "ssl" => value == "False" && http_call(ctx, call),
                // urllib3's `cert_reqs="CERT_NONE"`.
                "cert_reqs" => node_at(tree, keyword.value)
                    .and_then(|v| string_content(text, v))
                    .is_some_and(|v| matches!(v, "CERT_NONE" | "NONE")),
                _ => false,
            };
            if off {
                found.push(keyword.span);
            }
        }
    }
    // `context.check_hostname = False`, `session.verify = False`.
    for flag in ["check_hostname", "verify"] {
        for node in occurrences(tree, text, flag) {
            if node.kind_name() == "identifier"
                && let Some(attribute) = node.parent()
                && attribute.kind_name() == "attribute"
                && is_field(attribute, "attribute", node)
                && let Some(assignment) = attribute.parent()
                && assignment.kind_name() == "assignment"
                && is_field(assignment, "left", attribute)
                && assignment
                    .field("right")
                    .is_some_and(|r| r.kind_name() == "false")
            {
                found.push(span(assignment));
            }
        }
    }
    // `verify_mode = ssl.CERT_NONE`, `cert_reqs=CERT_NONE`, `{"cert_reqs": CERT_NONE}`.
    for node in occurrences(tree, text, "CERT_NONE") {
        let Some(value) = ssl_member(ctx, node, &["ssl.CERT_NONE", "ssl.VerifyMode.CERT_NONE"])
        else {
            continue;
        };
        let Some(parent) = value.parent() else {
            continue;
        };
        let field = match parent.kind_name() {
            "assignment" => "right",
            "keyword_argument" | "pair" => "value",
            _ => continue,
        };
        if is_field(parent, field, value) {
            found.push(span(value));
        }
    }
    // `ssl._create_unverified_context`, called or installed as the default.
    for node in occurrences(tree, text, "_create_unverified_context") {
        let Some(value) = ssl_member(ctx, node, &["ssl._create_unverified_context"]) else {
            continue;
        };
        match value.parent() {
            Some(call)
                if value.kind_name() == "identifier"
                    && call.kind_name() == "call"
                    && is_field(call, "function", value) =>
            {
                found.push(span(call))
            }
            _ => found.push(span(value)),
        }
    }
}

/// The expression `name` (an identifier) ends, `ssl.CERT_NONE` or `CERT_NONE`, when it
/// resolves to one of `qualified`.
fn ssl_member<'t>(ctx: &CodeContext<'_>, name: Node<'t>, qualified: &[&str]) -> Option<Node<'t>> {
    if name.kind_name() != "identifier" {
        return None;
    }
    let expression = match name.parent() {
        Some(attribute) if attribute.kind_name() == "attribute" => {
            if !is_field(attribute, "attribute", name) {
                return None;
            }
            attribute
        }
        _ => name,
    };
    let resolved = ctx
        .semantics()
        .qualified_name(expression, &ctx.source.text)?;
    qualified.contains(&resolved.as_str()).then_some(expression)
}

/// A call of an HTTP client library, or a method of a client the file made from one.
fn http_call(ctx: &CodeContext<'_>, call: &Call) -> bool {
    if let Some(function) = &call.qualified_name {
        let (module, name) = match function.rsplit_once('.') {
            Some((module, name)) => (module, name),
            None => return false,
        };
        let root = module.split('.').next().unwrap_or(module);
        return CLIENTS.contains(&name)
            || (HTTP_MODULES.contains(&root) && METHODS.contains(&name));
    }
    // `session.get(...)`, `requests.Session().get(...)`: the object was made by a client
    // constructor, directly or as the value of its binding (`=`, `with ... as`).
    let text = ctx.source.text.as_str();
    let Some(callee) = ctx.node_at(call.callee) else {
        return false;
    };
    if callee.kind_name() != "attribute"
        || !callee
            .field("attribute")
            .is_some_and(|m| METHODS.contains(&text_of(text, m)))
    {
        return false;
    }
    let Some(object) = callee.field("object") else {
        return false;
    };
    let made_by = match object.kind_name() {
        "call" => ctx.semantics().call(span(object)),
        "identifier" => ctx
            .semantics()
            .binding_at(text_of(text, object), object.start_byte())
            .filter(|b| b.path.is_empty())
            .and_then(|b| b.value)
            .and_then(|value| ctx.semantics().call(value)),
        _ => None,
    };
    made_by
        .and_then(|c| c.qualified_name.as_deref())
        .and_then(|f| f.rsplit_once('.'))
        .is_some_and(|(module, name)| {
            let root = module.split('.').next().unwrap_or(module);
            HTTP_MODULES.contains(&root) && CLIENTS.contains(&name)
        })
}

fn span(node: Node<'_>) -> Span {
    Span::from(node.byte_range())
}
