//! Reliability checks over the code model. Outgoing HTTP calls are recognised by qualified
//! name (`requests.get`, `axios.post`, `fetch`) whatever the file called the module, and
//! through the client objects a file makes (`s = requests.Session(); s.get(...)`,
//! `const api = axios.create(); api.get(...)`, `self.session = httpx.Client()`).

pub mod rel001_request_without_timeout;
pub mod rel002_retry_without_backoff;

use audit_core::Span;
use audit_model::code::Call;
use audit_syntax::tree_sitter::Node;

use super::CodeContext;
use super::security::{elements, is_field, node_at, text_of};
use audit_model::code::nodes::{Fields, KindName};

/// A library that sends HTTP requests; each takes its timeout its own way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Library {
    Requests,
    Httpx,
    Urllib,
    Aiohttp,
    Axios,
    /// The WHATWG `fetch` (global, `cross-fetch`, `undici.fetch`): a `signal` only.
    Fetch,
    /// node-fetch 2 also takes a `timeout` option.
    NodeFetch,
    Got,
    Superagent,
}

/// An outgoing HTTP call, or the construction of a client that sends them.
pub(crate) struct HttpCall<'c> {
    pub library: Library,
    /// `requests.Session()`, `httpx.Client()`, `aiohttp.ClientSession()`, `axios.create()`,
    /// `got.extend()`: makes a client rather than sending a request.
    pub constructor: bool,
    /// For a request sent through a client object, the call that made the client.
    pub client: Option<&'c Call>,
}

/// Request functions of a module, and methods of its client objects.
const PYTHON_METHODS: &[&str] = &[
    "get", "post", "put", "patch", "delete", "head", "options", "request",
];
const JAVASCRIPT_METHODS: &[&str] = &[
    "get", "post", "put", "patch", "delete", "head", "options", "request",
];

/// What the library of a call given by its qualified name is, and whether it constructs a
/// client.
fn by_name(function: &str, javascript: bool) -> Option<(Library, bool)> {
    let (module, name) = function.rsplit_once('.').unwrap_or(("", function));
    if javascript {
        return match (module, name) {
            ("", "axios") => Some((Library::Axios, false)),
            ("axios", "create") => Some((Library::Axios, true)),
            ("axios", n)
                if JAVASCRIPT_METHODS.contains(&n)
                    || matches!(n, "postForm" | "putForm" | "patchForm") =>
            {
                Some((Library::Axios, false))
            }
            ("", "fetch" | "cross-fetch" | "isomorphic-fetch" | "isomorphic-unfetch")
            | ("cross-fetch", "fetch")
            | ("undici", "fetch") => Some((Library::Fetch, false)),
            ("", "node-fetch") | ("node-fetch", "default") => Some((Library::NodeFetch, false)),
            ("", "got") => Some((Library::Got, false)),
            ("got", "extend") => Some((Library::Got, true)),
            ("got", n) if JAVASCRIPT_METHODS.contains(&n) || n == "stream" => {
                Some((Library::Got, false))
            }
            ("", "superagent") => Some((Library::Superagent, false)),
            ("superagent", n) if JAVASCRIPT_METHODS.contains(&n) || n == "del" => {
                Some((Library::Superagent, false))
            }
            _ => None,
        };
    }
    match (module, name) {
        ("requests", n) if PYTHON_METHODS.contains(&n) => Some((Library::Requests, false)),
        ("requests" | "requests.sessions", "Session" | "session") => {
            Some((Library::Requests, true))
        }
        ("httpx", n) if PYTHON_METHODS.contains(&n) || n == "stream" => {
            Some((Library::Httpx, false))
        }
        ("httpx", "Client" | "AsyncClient") => Some((Library::Httpx, true)),
        ("urllib.request", "urlopen") => Some((Library::Urllib, false)),
        ("aiohttp", "request") => Some((Library::Aiohttp, false)),
        ("aiohttp", "ClientSession") => Some((Library::Aiohttp, true)),
        _ => None,
    }
}

/// The methods of a library's client objects that send a request.
fn client_method(library: Library, method: &str) -> bool {
    match library {
        Library::Requests => PYTHON_METHODS.contains(&method) || method == "send",
        Library::Httpx => PYTHON_METHODS.contains(&method) || method == "stream",
        Library::Aiohttp => PYTHON_METHODS.contains(&method) || method == "ws_connect",
        Library::Axios => {
            JAVASCRIPT_METHODS.contains(&method)
                || matches!(method, "postForm" | "putForm" | "patchForm")
        }
        Library::Got => JAVASCRIPT_METHODS.contains(&method) || method == "stream",
        _ => false,
    }
}

/// The HTTP call `call` is: a request function, a client constructor, a method of a client
/// the file made, or (JS) a call of an axios or got instance itself (`api(config)`).
pub(crate) fn http_call<'c>(ctx: &'c CodeContext<'_>, call: &'c Call) -> Option<HttpCall<'c>> {
    let javascript = ctx.grammar.is_javascript_family();
    if let Some(function) = &call.qualified_name {
        let (library, constructor) = by_name(function, javascript)?;
        if call.new && !matches!(library, Library::Requests | Library::Httpx) {
            return None;
        }
        return Some(HttpCall {
            library,
            constructor,
            client: None,
        });
    }
    let callee = ctx.node_at(call.callee)?;
    let text = ctx.source.text.as_str();
    let (object, method) = match callee.kind_name() {
        "attribute" => (callee.field("object")?, Some(callee.field("attribute")?)),
        "member_expression" => (callee.field("object")?, Some(callee.field("property")?)),
        "identifier" if javascript => (callee, None),
        _ => return None,
    };
    let client = made_by(ctx, object)?;
    let (library, true) = by_name(client.qualified_name.as_deref()?, javascript)? else {
        return None;
    };
    let sends = match method {
        Some(method) => client_method(library, text_of(text, method)),
        None => matches!(library, Library::Axios | Library::Got),
    };
    sends.then_some(HttpCall {
        library,
        constructor: false,
        client: Some(client),
    })
}

/// The call that made the value of `object`: the call itself, the value of the binding a
/// name refers to (`=`, `with ... as`), or what `self.x`/`this.x` is assigned in the file.
fn made_by<'c>(ctx: &'c CodeContext<'_>, object: Node<'_>) -> Option<&'c Call> {
    let semantics = ctx.semantics();
    let text = ctx.source.text.as_str();
    match object.kind_name() {
        "call" | "call_expression" | "new_expression" => semantics.call(span(object)),
        "parenthesized_expression" => made_by(ctx, *elements(object).first()?),
        "identifier" => {
            let binding = semantics.binding_at(text_of(text, object), object.start_byte())?;
            if !binding.path.is_empty() || binding.augmented {
                return None;
            }
            semantics.call(binding.value?)
        }
        "attribute" | "member_expression" => {
            let (receiver, field) = match object.kind_name() {
                "attribute" => ("attribute", "self"),
                _ => ("property", "this"),
            };
            let owner = object.field("object")?;
            if text_of(text, owner) != field {
                return None;
            }
            let name = text_of(text, object.field(receiver)?);
            member_value(ctx, name).and_then(|value| semantics.call(value))
        }
        _ => None,
    }
}

/// The value assigned to `self.<name>` (Python) or `this.<name>` or a class field `<name>`
/// (JS) somewhere in the file: the first such assignment.
fn member_value(ctx: &CodeContext<'_>, name: &str) -> Option<Span> {
    let (tree, text) = (ctx.tree, ctx.source.text.as_str());
    text.match_indices(name).find_map(|(at, _)| {
        let node = node_at(tree, Span::new(at, at + name.len()))?;
        let parent = node.parent()?;
        match (node.kind_name(), parent.kind_name()) {
            ("identifier", "attribute") | ("property_identifier", "member_expression") => {
                let assignment = parent.parent()?;
                let owner = parent.field("object")?;
                (matches!(text_of(text, owner), "self" | "this")
                    && matches!(
                        assignment.kind_name(),
                        "assignment" | "assignment_expression"
                    )
                    && is_field(assignment, "left", parent))
                .then(|| assignment.field("right"))
                .flatten()
                .map(span)
            }
            ("property_identifier", "public_field_definition" | "field_definition") => {
                parent.field("value").map(span)
            }
            _ => None,
        }
    })
}

/// A key of a JS object literal, as far as the literal can tell.
pub(crate) enum Key<'t> {
    /// `key: value`, or the shorthand `{ key }` (its own node as the value).
    Set {
        pair: Node<'t>,
        value: Node<'t>,
    },
    Missing,
    /// The object has a spread or a computed key, or is not a literal the file shows.
    Unknown,
}

/// Looks `keys` up in the object `node` is, or that the name `node` is bound to. Through
/// a binding, a key the file sets later (`options.timeout = 5`) counts as unknown.
pub(crate) fn object_key<'t>(ctx: &'t CodeContext<'_>, node: Node<'t>, keys: &[&str]) -> Key<'t> {
    let text = ctx.source.text.as_str();
    let object = match node.kind_name() {
        "object" => node,
        "identifier" => {
            let name = text_of(text, node);
            let Some(object) = ctx
                .semantics()
                .binding_at(name, node.start_byte())
                .filter(|b| b.path.is_empty() && !b.augmented)
                .and_then(|b| b.value)
                .and_then(|value| ctx.node_at(value))
                .filter(|value| value.kind_name() == "object")
            else {
                return Key::Unknown;
            };
            match literal_key(text, object, keys) {
                Key::Missing
                    if keys
                        .iter()
                        .any(|key| text.contains(&format!("{name}.{key}"))) =>
                {
                    return Key::Unknown;
                }
                found => return found,
            }
        }
        _ => return Key::Unknown,
    };
    literal_key(text, object, keys)
}

fn literal_key<'t>(text: &str, object: Node<'t>, keys: &[&str]) -> Key<'t> {
    let mut found = Key::Missing;
    for member in elements(object) {
        match member.kind_name() {
            "pair" => {
                let Some(key) = member.field("key") else {
                    continue;
                };
                let name = match key.kind_name() {
                    "property_identifier" => text_of(text, key),
                    "string" => text_of(text, key).trim_matches(['"', '\'']),
                    _ => {
                        found = Key::Unknown;
                        continue;
                    }
                };
                if keys.contains(&name)
                    && let Some(value) = member.field("value")
                {
                    found = Key::Set {
                        pair: member,
                        value,
                    };
                }
            }
            "shorthand_property_identifier" if keys.contains(&text_of(text, member)) => {
                found = Key::Set {
                    pair: member,
                    value: member,
                };
            }
            // A spread may set any key; a key written after it wins again.
            "spread_element" => found = Key::Unknown,
            _ => {}
        }
    }
    found
}

/// Modules only browser code imports: UI frameworks.
const BROWSER_MODULES: &[&str] = &[
    "react",
    "react-dom",
    "vue",
    "@angular/core",
    "svelte",
    "preact",
    "solid-js",
    "lit",
];

/// Folders that hold what a browser runs rather than the backend.
const BROWSER_FOLDERS: &[&str] = &[
    "client", "frontend", "static", "public", "browser", "webapp",
];

/// A JS file that runs in a browser: it imports a UI framework or lives in a front-end
/// folder (`client/`, `frontend/`, `static/`). Its requests hold a page, not a server's
/// worker, and the server's reliability rules do not apply to it.
pub(crate) fn browser_code(ctx: &CodeContext<'_>) -> bool {
    if !ctx.grammar.is_javascript_family() {
        return false;
    }
    let path = &*ctx.source.path;
    path.split('/')
        .rev()
        .skip(1)
        .any(|folder| BROWSER_FOLDERS.contains(&folder))
        || ctx.semantics().imports().iter().any(|import| {
            BROWSER_MODULES.contains(&import.module.as_str())
                || import.module.starts_with("@vue/")
                || import.module.starts_with("next/")
        })
}

pub(crate) fn span(node: Node<'_>) -> Span {
    Span::from(node.byte_range())
}
