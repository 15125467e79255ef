//! REL001: outgoing HTTP requests that can wait forever. Python: requests (functions and
//! sessions), urllib's `urlopen`, aiohttp sessions, and `timeout=None` anywhere (httpx's
//! own default of 5 seconds is a timeout). JavaScript: axios calls and instances, fetch and
//! node-fetch without a `signal`, got, superagent without `.timeout()`. A timeout set
//! once on the client (`axios.create({ timeout })`, `axios.defaults.timeout = ...`,
//! `aiohttp.ClientSession(timeout=...)`, a session mounted with the file's own adapter)
//! covers the requests made through it; options the file cannot see (`**kwargs`, a
//! spread, a config passed in) are not guessed at.

use audit_core::Span;
use audit_model::code::Call;
use audit_syntax::tree_sitter::Node;

use super::{HttpCall, Key, Library, browser_code, http_call, object_key, span};
use crate::checks::excerpt;
use crate::checks::security::{arguments, is_field, text_of};
use crate::checks::{Check, CodeContext, Emit};
use audit_model::code::nodes::{Fields, KindName};

pub const CHECK: Check = Check::Code {
    anchors: &[
        "requests",
        "httpx",
        "urlopen",
        "aiohttp",
        "axios",
        "fetch",
        "'got'",
        "\"got\"",
        "superagent",
    ],
    run: check,
};

const NO_TIMEOUT: &str = "sends an HTTP request with no timeout";
const NO_SIGNAL: &str = "sends a request with no abort signal or timeout";
const TURNED_OFF: &str = "turns the request timeout off";
const AIOHTTP_DEFAULT: &str = "creates a session with only aiohttp's default timeout";

fn check(ctx: &CodeContext<'_>, out: &mut Emit<'_>) {
    if browser_code(ctx) {
        return;
    }
    let javascript = ctx.grammar.is_javascript_family();
    let text = ctx.source.text.as_str();
    // `axios.defaults.timeout = 5000` (or an instance's) covers the file's axios calls.
    let axios_defaults = javascript && text.contains("defaults.timeout");
    let session_patched = !javascript && requests_session_patched(ctx);
    for call in ctx.semantics().calls() {
        let Some(http) = http_call(ctx, call) else {
            continue;
        };
        let found = if javascript {
            javascript_call(ctx, call, &http, axios_defaults)
        } else {
            python_call(ctx, call, &http, session_patched)
        };
        if let Some((at, problem)) = found {
            let wait = if problem == AIOHTTP_DEFAULT {
                "for up to five minutes"
            } else {
                "indefinitely"
            };
            let callee = excerpt(&text[call.callee.start..call.callee.end]);
            out.report(
                ctx.source,
                at,
                &[
                    ("callee", &callee),
                    ("problem", problem),
                    ("wait", wait),
                    ("fix", fix(http.library)),
                ],
            );
        }
    }
}

fn fix(library: Library) -> &'static str {
    match library {
        Library::Requests => "pass `timeout=(connect, read)` in seconds on every call",
        Library::Httpx => "pass a finite `timeout=` (httpx waits 5 seconds by default)",
        Library::Urllib => "pass `timeout=` in seconds",
        Library::Aiohttp => "pass `timeout=aiohttp.ClientTimeout(total=...)` to the session",
        Library::Axios => {
            "set `timeout` (milliseconds) on the call or once in `axios.create({ timeout })`"
        }
        Library::Fetch => "pass `signal: AbortSignal.timeout(ms)`",
        Library::NodeFetch => {
            "pass `signal: AbortSignal.timeout(ms)` (or node-fetch 2's `timeout`)"
        }
        Library::Got => "set `timeout: { request: ms }` on the call or in `got.extend`",
        Library::Superagent => "chain `.timeout({ response, deadline })` onto the request",
    }
}

fn python_call(
    ctx: &CodeContext<'_>,
    call: &Call,
    http: &HttpCall<'_>,
    session_patched: bool,
) -> Option<(Span, &'static str)> {
    let args = arguments(ctx, call.arguments);
    // `**kwargs` may carry the timeout.
    if args.iter().any(|a| a.kind_name() == "dictionary_splat") {
        return None;
    }
    if let Some(timeout) = call.keyword("timeout") {
        return python_off(ctx, timeout.value).then_some((timeout.span, TURNED_OFF));
    }
    let missing = Some((call.callee, NO_TIMEOUT));
    match http.library {
        // httpx's default is five seconds.
        Library::Httpx => None,
        Library::Requests if http.constructor => None,
        Library::Requests if http.client.is_some() && session_patched => None,
        Library::Requests => missing,
        // `urlopen(url, data, timeout)`.
        Library::Urllib => {
            let positional = args.iter().filter(|a| a.kind_name() != "keyword_argument");
            (positional.count() < 3).then_some((call.callee, NO_TIMEOUT))
        }
        Library::Aiohttp if http.constructor => {
            (!aiohttp_requests_all_timed(ctx, call)).then_some((call.callee, AIOHTTP_DEFAULT))
        }
        // A request through a session: the session's timeout applies.
        Library::Aiohttp if http.client.is_some() => None,
        Library::Aiohttp => missing,
        _ => None,
    }
}

/// `None`, `httpx.Timeout(None)` or `aiohttp.ClientTimeout()` with every limit `None`.
fn python_off(ctx: &CodeContext<'_>, value: Span) -> bool {
    let text = ctx.source.text.as_str();
    if &text[value.start..value.end] == "None" {
        return true;
    }
    let Some(call) = ctx.semantics().call(value) else {
        return false;
    };
    if !matches!(
        call.qualified_name.as_deref(),
        Some("httpx.Timeout" | "aiohttp.ClientTimeout")
    ) {
        return false;
    }
    let args = arguments(ctx, call.arguments);
    args.iter().all(|a| {
        let value = match a.kind_name() {
            "keyword_argument" => a.field("value"),
            _ => Some(*a),
        };
        value.is_some_and(|v| v.kind_name() == "none")
    }) && !(args.is_empty() && call.qualified_name.as_deref() == Some("httpx.Timeout"))
}

/// Whether an `aiohttp.ClientSession()` made without a timeout is only used for requests
/// that each pass one (and for at least one).
fn aiohttp_requests_all_timed(ctx: &CodeContext<'_>, session: &Call) -> bool {
    let mut any = false;
    for call in ctx.semantics().calls() {
        if let Some(http) = http_call(ctx, call)
            && http.client.is_some_and(|c| c.span == session.span)
        {
            if call.keyword("timeout").is_none() {
                return false;
            }
            any = true;
        }
    }
    any
}

/// A requests session given a timeout the file's own way: mounted with an adapter class of
/// its own (`s.mount("https://", TimeoutAdapter(...))`), or with `request` replaced
/// (`s.request = functools.partial(s.request, timeout=5)`).
fn requests_session_patched(ctx: &CodeContext<'_>) -> bool {
    let text = ctx.source.text.as_str();
    let semantics = ctx.semantics();
    let own_adapter = text.contains(".mount(")
        && semantics.calls().iter().any(|call| {
            text[call.callee.start..call.callee.end].ends_with(".mount")
                && arguments(ctx, call.arguments)
                    .get(1)
                    .and_then(|adapter| semantics.call(span(*adapter)))
                    .is_some_and(|adapter| {
                        !matches!(
                            adapter.qualified_name.as_deref(),
                            Some("requests.adapters.HTTPAdapter" | "requests.HTTPAdapter")
                        )
                    })
        });
    own_adapter
        || text.match_indices(".request =").any(|(at, _)| {
            ctx.node_at(Span::new(at + 1, at + ".request".len()))
                .and_then(|name| name.parent())
                .and_then(|attribute| attribute.parent())
                .is_some_and(|assignment| assignment.kind_name() == "assignment")
        })
}

fn javascript_call(
    ctx: &CodeContext<'_>,
    call: &Call,
    http: &HttpCall<'_>,
    axios_defaults: bool,
) -> Option<(Span, &'static str)> {
    let text = ctx.source.text.as_str();
    let args = arguments(ctx, call.arguments);
    if args.iter().any(|a| a.kind_name() == "spread_element") {
        return None;
    }
    let method = ctx
        .node_at(call.callee)
        .filter(|c| c.kind_name() == "member_expression")
        .and_then(|c| c.field("property"))
        .map(|p| text_of(text, p));
    let first_is_object = args.first().is_some_and(|a| a.kind_name() == "object");
    match http.library {
        Library::Axios => {
            let index = match method {
                _ if http.constructor => 0,
                Some("request") => 0,
                Some("post" | "put" | "patch" | "postForm" | "putForm" | "patchForm") => 2,
                Some(_) => 1,
                None if first_is_object => 0,
                None => 1,
            };
            let covered = http.client.is_some() || axios_defaults;
            let problem = if http.constructor {
                "creates an axios instance with no timeout (axios waits forever by default)"
            } else {
                NO_TIMEOUT
            };
            match args.get(index).map(|o| object_key(ctx, *o, &["timeout"])) {
                Some(Key::Set { pair, value }) => {
                    (text_of(text, value) == "0").then(|| (span(pair), TURNED_OFF))
                }
                Some(Key::Unknown) => None,
                None | Some(Key::Missing) => (!covered).then_some((call.callee, problem)),
            }
        }
        Library::Fetch | Library::NodeFetch => {
            let first = *args.first()?;
            if is_request_object(ctx, first) {
                return None;
            }
            let keys: &[&str] = match http.library {
                Library::NodeFetch => &["signal", "timeout"],
                _ => &["signal"],
            };
            match args.get(1).map(|o| object_key(ctx, *o, keys)) {
                None | Some(Key::Missing) => Some((call.callee, NO_SIGNAL)),
                Some(_) => None,
            }
        }
        Library::Got => {
            // Requests through an instance get the instance's options.
            if http.client.is_some() {
                return None;
            }
            let options = if http.constructor || first_is_object {
                args.first()
            } else {
                args.get(1)
            };
            let problem = if http.constructor {
                "extends got with no timeout"
            } else {
                NO_TIMEOUT
            };
            match options.map(|o| object_key(ctx, *o, &["timeout"])) {
                None | Some(Key::Missing) => Some((call.callee, problem)),
                Some(_) => None,
            }
        }
        Library::Superagent => (!superagent_timed(ctx, call)).then_some((call.callee, NO_TIMEOUT)),
        _ => None,
    }
}

/// `new Request(url, init)`, or a name bound to one: its init may hold the signal.
fn is_request_object(ctx: &CodeContext<'_>, node: Node<'_>) -> bool {
    let semantics = ctx.semantics();
    let made = match node.kind_name() {
        "new_expression" => semantics.call(span(node)),
        "identifier" => semantics
            .binding_at(text_of(&ctx.source.text, node), node.start_byte())
            .and_then(|b| b.value)
            .and_then(|value| semantics.call(value)),
        _ => None,
    };
    made.is_some_and(|c| c.new && c.qualified_name.as_deref() == Some("Request"))
}

/// Whether a superagent request has `.timeout(...)` in its chain, or is kept in a variable
/// the file calls `.timeout(...)` on.
fn superagent_timed(ctx: &CodeContext<'_>, call: &Call) -> bool {
    let text = ctx.source.text.as_str();
    let Some(mut node) = ctx.node_at(call.span) else {
        return true;
    };
    while let Some(member) = node.parent()
        && member.kind_name() == "member_expression"
        && is_field(member, "object", node)
    {
        if member
            .field("property")
            .is_some_and(|p| text_of(text, p) == "timeout")
        {
            return true;
        }
        match member.parent() {
            Some(next) if next.kind_name() == "call_expression" => node = next,
            _ => return false,
        }
    }
    // `const req = superagent.get(url); ... req.timeout(5000)`.
    let declarator = match node.parent() {
        Some(p) if p.kind_name() == "await_expression" => p.parent(),
        parent => parent,
    };
    declarator
        .filter(|d| d.kind_name() == "variable_declarator")
        .and_then(|d| d.field("name"))
        .is_some_and(|name| text.contains(&format!("{}.timeout(", text_of(text, name))))
}
