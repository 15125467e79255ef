//! Finding the spec's sinks among the file's calls and asking what reaches their
//! arguments; a parameter that reaches a sink is followed back to the calls of its
//! function.

use std::collections::{HashMap, HashSet};

use audit_core::Span;
use audit_syntax::tree_sitter::Node;

use super::eval::{Evaluator, From, Origin};
use super::sources::span;
use super::{Flow, Hit, HitKind, NonLiteral, REQUEST, Shape, Sink, Step};
use crate::code::Call;
use crate::code::nodes::Fields;
use crate::code::nodes::{KindName, elements, string_content};

/// How many rounds a parameter flow is followed back through callers.
const MAX_CALLER_ROUNDS: usize = 16;

/// A sink argument that a parameter of `function` reaches.
struct Pending {
    rule: usize,
    function: usize,
    position: usize,
    live: u64,
    whole: bool,
    /// The sink wants the input whole ([`Sink::whole`]).
    needs_whole: bool,
    structured: bool,
    /// The sink takes text ([`Sink::text`]).
    needs_text: bool,
    /// The sink takes a request body ([`Sink::body`]).
    needs_body: bool,
    /// From the parameter to the sink.
    steps: Vec<Step>,
    call: Span,
    callee: Span,
    argument: Span,
}

pub(super) fn hits(ev: &Evaluator<'_>) -> Vec<Hit> {
    let index = ev.spec.index();
    let family = usize::from(!ev.js);
    let (by_function, by_method, constructors) = (
        &index.functions[family],
        &index.methods[family],
        &index.constructors[family],
    );
    if by_function.is_empty() && by_method.is_empty() && constructors.is_empty() {
        return Vec::new();
    }
    let mut hits = Vec::new();
    let mut pending = Vec::new();
    for call in ev.semantics.calls() {
        // Sinks are found from the model's names first; the tree is looked at only for
        // the calls that may be one.
        let function_sinks = call
            .qualified_name
            .as_deref()
            .and_then(|q| by_function.get(q));
        let callee_text = &ev.text[call.callee.start..call.callee.end];
        let member = callee_text.rsplit_once('.').map(|(_, name)| name.trim());
        let method_sinks = member.and_then(|m| by_method.get(m));
        let last = member.unwrap_or(callee_text);
        let may_construct = !constructors.is_empty()
            && call.new == ev.js
            && last.starts_with(|c: char| c.is_ascii_uppercase());
        if function_sinks.is_none() && method_sinks.is_none() && !may_construct {
            continue;
        }
        let Some(node) = ev.nodes.node_at(call.span) else {
            continue;
        };
        let callee = node.field("function").or_else(|| node.field("constructor"));
        // The member as the tree names it (`a.b` of `a?.b`, not a subscript's text).
        let method_sinks = method_sinks.filter(|_| {
            callee
                .and_then(|c| ev.method_name(c))
                .is_some_and(|m| Some(m) == member)
        });
        let constructed = (may_construct && instantiates(ev, call, callee)).then_some(constructors);
        let sinks = function_sinks
            .into_iter()
            .chain(method_sinks)
            .chain(constructed)
            .flatten();
        for &(rule, at) in sinks {
            let sink = &ev.spec.rules()[rule].sinks[at];
            if sink
                .safe_with_option
                .as_deref()
                .is_some_and(|key| has_option(ev, call, key))
                || !receiver_allowed(ev, sink, callee)
                || (sink.fresh_target_ok && literal_target(ev, call))
            {
                continue;
            }
            for argument in sink_arguments(ev, sink, node) {
                check_argument(
                    ev,
                    rule,
                    sink,
                    call,
                    node,
                    argument,
                    &mut hits,
                    &mut pending,
                );
            }
        }
    }
    follow_callers(ev, pending, &mut hits);
    // A tainted hit supersedes the non-literal one at the same argument.
    let tainted: HashSet<(usize, Span)> = hits
        .iter()
        .filter(|h| matches!(h.kind, HitKind::Tainted(_)))
        .map(|h| (h.rule, h.argument))
        .collect();
    let mut seen = HashSet::new();
    hits.retain(|h| {
        let superseded =
            matches!(h.kind, HitKind::NonLiteral { .. }) && tainted.contains(&(h.rule, h.argument));
        !superseded && seen.insert((h.rule, h.argument))
    });
    hits.sort_by_key(|h| (h.call.start, h.argument.start, h.rule));
    hits
}

#[allow(clippy::too_many_arguments)]
fn check_argument(
    ev: &Evaluator<'_>,
    rule: usize,
    sink: &Sink,
    call: &Call,
    call_node: Node<'_>,
    argument: Node<'_>,
    all_hits: &mut Vec<Hit>,
    all_pending: &mut Vec<Pending>,
) {
    let (mut hits, mut pending) = (Vec::new(), Vec::new());
    let bit = 1u64 << rule;
    let shape = (sink.url || sink.sql || sink.nonliteral != NonLiteral::Never)
        .then(|| ev.shape(argument, bit, 0));
    if sink.url && shape.as_ref().is_some_and(Shape::fixes_host) {
        return;
    }
    if sink.sql && !shape.as_ref().is_some_and(Shape::looks_like_sql) {
        return;
    }
    let hit = |kind| Hit {
        rule,
        call: call.span,
        callee: call.callee,
        argument: span(argument),
        kind,
    };
    for origin in ev.eval(argument).origins {
        if sink.url && (own_path(ev, &origin) || own_host(ev, &origin)) {
            continue;
        }
        if origin.live & bit == 0
            || (sink.whole && !origin.whole)
            || (sink.text && (origin.structured || whole_container(ev, &origin)))
            || (sink.body && (!request_body(ev, &origin) || validated_handler(ev, call.span)))
        {
            continue;
        }
        match origin.from {
            From::Request(source) => hits.push(hit(HitKind::Tainted(Flow {
                source,
                steps: origin.steps,
            }))),
            From::Parameter { function, position } => pending.push(Pending {
                rule,
                function,
                position,
                live: origin.live,
                whole: origin.whole,
                needs_whole: sink.whole,
                structured: origin.structured,
                needs_text: sink.text,
                needs_body: sink.body,
                steps: origin.steps,
                call: call.span,
                callee: call.callee,
                argument: span(argument),
            }),
            // Only an evaluator made for caught exceptions has these, and it finds no sinks.
            From::Error { .. } => {}
        }
    }
    let reported = match (sink.nonliteral, &shape) {
        (NonLiteral::Never, _) | (_, None) => None,
        (NonLiteral::Any, Some(Shape::Dynamic)) => Some(None),
        (NonLiteral::Any | NonLiteral::Building, Some(Shape::Built { building, .. })) => {
            Some(Some(*building))
        }
        (NonLiteral::Sql, Some(built @ Shape::Built { building, .. }))
            if built.looks_like_sql() =>
        {
            Some(Some(*building))
        }
        _ => None,
    };
    if let Some(building) = reported {
        hits.push(hit(HitKind::NonLiteral { building }));
    }
    // Validation by control flow around the sink: `if (isSafe(url)) res.redirect(url)`;
    // looked for only where something would be reported.
    if (hits.is_empty() && pending.is_empty())
        || identifiers(ev, argument)
            .iter()
            .any(|name| ev.guarded(call_node, name))
    {
        return;
    }
    all_hits.append(&mut hits);
    all_pending.append(&mut pending);
}

/// The names an argument is made from (at most a few): what a guard must check.
fn identifiers<'t>(ev: &Evaluator<'t>, argument: Node<'_>) -> Vec<&'t str> {
    let mut names = Vec::new();
    let mut cursor = argument.walk();
    let mut visit = vec![argument];
    while let Some(node) = visit.pop() {
        if names.len() >= 8 {
            break;
        }
        // A member chain is checked whole (`req.query.next`), not by its root.
        if matches!(
            node.kind_name(),
            "identifier" | "member_expression" | "attribute" | "subscript_expression" | "subscript"
        ) {
            names.push(ev.text_of(node));
            continue;
        }
        visit.extend(node.named_children(&mut cursor));
    }
    names
}

/// The argument nodes of `call` that `sink` watches.
fn sink_arguments<'t>(ev: &Evaluator<'t>, sink: &Sink, node: Node<'t>) -> Vec<Node<'t>> {
    let Some(arguments) = node.field("arguments") else {
        return Vec::new();
    };
    let mut watched = Vec::new();
    let mut position = 0;
    for argument in elements(arguments) {
        match argument.kind_name() {
            "keyword_argument" => {
                let name = argument.field("name").map(|n| ev.text_of(n));
                if name.is_some_and(|n| sink.keywords.iter().any(|k| k == n))
                    && let Some(value) = argument.field("value")
                {
                    watched.push(value);
                }
            }
            "dictionary_splat" => {
                if sink.unpacked {
                    watched.push(argument);
                }
            }
            _ => {
                if sink
                    .arguments
                    .as_ref()
                    .is_none_or(|a| a.contains(&position))
                {
                    watched.push(argument);
                }
                position += 1;
            }
        }
    }
    let Some(property) = &sink.property else {
        return watched;
    };
    watched
        .into_iter()
        .filter(|a| matches!(a.kind_name(), "object" | "dictionary"))
        .flat_map(elements)
        .filter(|pair| pair.kind_name() == "pair")
        .filter(|pair| {
            pair.field("key").is_some_and(|key| {
                let text = string_content(ev.text, key).unwrap_or_else(|| ev.text_of(key));
                text == property
            })
        })
        .filter_map(|pair| pair.field("value"))
        .collect()
}

/// Follows parameters that reach sinks back to the calls of their functions: request
/// input passed there is a hit at the sink; a caller's own parameter is followed on.
fn follow_callers(ev: &Evaluator<'_>, mut pending: Vec<Pending>, hits: &mut Vec<Hit>) {
    if pending.is_empty() {
        return;
    }
    let mut callers: HashMap<usize, Vec<Node<'_>>> = HashMap::new();
    let names: HashSet<&str> = pending
        .iter()
        .filter_map(|p| ev.semantics.functions()[p.function].name.as_deref())
        .collect();
    for call in ev.semantics.calls() {
        let callee_text = &ev.text[call.callee.start..call.callee.end];
        let name = callee_text.rsplit('.').next().unwrap_or(callee_text);
        if !names.contains(name) {
            continue;
        }
        let Some(node) = ev.nodes.node_at(call.span) else {
            continue;
        };
        if let Some(function) = node
            .field("function")
            .and_then(|callee| ev.local_function(callee))
        {
            callers.entry(function).or_default().push(node);
        }
    }
    let mut seen: HashSet<(usize, usize, usize, Span)> = HashSet::new();
    for _ in 0..MAX_CALLER_ROUNDS {
        let mut next = Vec::new();
        for flow in pending {
            if !seen.insert((flow.rule, flow.function, flow.position, flow.argument)) {
                continue;
            }
            let name = ev.semantics.functions()[flow.function]
                .name
                .clone()
                .unwrap_or_else(|| "function".into());
            for &site in callers.get(&flow.function).into_iter().flatten() {
                let Some(argument) = site
                    .field("arguments")
                    .and_then(|a| ev.positional(a, flow.position))
                else {
                    continue;
                };
                for origin in ev.eval(argument).origins {
                    let live = origin.live & flow.live;
                    let structured = origin.structured || flow.structured;
                    if live & (1 << flow.rule) == 0
                        || (flow.needs_whole && !(origin.whole && flow.whole))
                        || (flow.needs_text && (structured || whole_container(ev, &origin)))
                        || (flow.needs_body && !request_body(ev, &origin))
                    {
                        continue;
                    }
                    let steps = joined(&origin, span(site), &name, &flow.steps);
                    match origin.from {
                        From::Request(source) => hits.push(Hit {
                            rule: flow.rule,
                            call: flow.call,
                            callee: flow.callee,
                            argument: flow.argument,
                            kind: HitKind::Tainted(Flow { source, steps }),
                        }),
                        From::Parameter { function, position } => next.push(Pending {
                            rule: flow.rule,
                            function,
                            position,
                            live: live | REQUEST,
                            whole: origin.whole && flow.whole,
                            needs_whole: flow.needs_whole,
                            structured,
                            needs_text: flow.needs_text,
                            needs_body: flow.needs_body,
                            steps,
                            call: flow.call,
                            callee: flow.callee,
                            argument: flow.argument,
                        }),
                        From::Error { .. } => {}
                    }
                }
            }
        }
        if next.is_empty() {
            return;
        }
        pending = next;
    }
}

/// JS and Python classes of the language itself: not models a request fills.
const LANGUAGE_CLASSES: &[&str] = &[
    "Array",
    "Blob",
    "Buffer",
    "Date",
    "Error",
    "Exception",
    "FormData",
    "Headers",
    "Map",
    "Object",
    "Promise",
    "RangeError",
    "RegExp",
    "Request",
    "Response",
    "Set",
    "TypeError",
    "URL",
    "URLSearchParams",
    "ValueError",
    "WeakMap",
    "WeakSet",
];

/// JS `new C(...)`, Python `C(...)`: a class with a capitalised name is instantiated.
fn instantiates(ev: &Evaluator<'_>, call: &Call, callee: Option<Node<'_>>) -> bool {
    if ev.js != call.new {
        return false;
    }
    let Some(callee) = callee else {
        return false;
    };
    let name = match callee.kind_name() {
        "identifier" => ev.text_of(callee),
        _ => match ev.method_name(callee) {
            Some(name) => name,
            None => return false,
        },
    };
    name.starts_with(|c: char| c.is_ascii_uppercase())
        && !name.bytes().all(|b| b.is_ascii_uppercase() || b == b'_')
        && !LANGUAGE_CLASSES.contains(&name)
        && !VALIDATING_CLASSES
            .iter()
            .any(|suffix| name.ends_with(suffix))
}

/// Classes that validate what they are given rather than store it: WTForms/Django forms,
/// DRF serializers, marshmallow schemas.
const VALIDATING_CLASSES: &[&str] = &["Form", "Serializer", "Schema", "Validator"];

/// Route middleware that validates the body against a schema (rejecting unknown keys by
/// default), such as `celebrate({ body })` or `validate(schema)`.
const VALIDATORS: &[&str] = &[
    "celebrate",
    "checkSchema",
    "validate",
    "validateBody",
    "validateRequest",
    "validationMiddleware",
    "validator",
    "zValidator",
];

/// The call sits in a handler registered after a validating middleware:
/// `router.post(path, celebrate({...}), async (req, res) => ...)`.
fn validated_handler(ev: &Evaluator<'_>, at: Span) -> bool {
    let Some(handler) = ev.semantics.enclosing_function(at.start) else {
        return false;
    };
    let Some(handler_node) = ev.nodes.node_at(handler.span) else {
        return false;
    };
    let Some(arguments) = ev
        .nodes
        .parent(handler_node)
        .filter(|p| p.kind_name() == "arguments")
    else {
        return false;
    };
    elements(arguments)
        .into_iter()
        .take_while(|a| a.id() != handler_node.id())
        .filter(|a| a.kind_name() == "call_expression")
        .filter_map(|a| a.field("function"))
        .any(|callee| {
            let name = ev.method_name(callee).unwrap_or_else(|| ev.text_of(callee));
            VALIDATORS.contains(&name)
        })
}

/// The first argument is an object or dict literal: a fresh copy is written, not a model.
fn literal_target(ev: &Evaluator<'_>, call: &Call) -> bool {
    call.arguments
        .and_then(|a| ev.nodes.node_at(a))
        .and_then(|a| elements(a).into_iter().next())
        .is_some_and(|first| matches!(first.kind_name(), "object" | "dictionary"))
}

/// An object (or dict) argument of `call` has `key`.
fn has_option(ev: &Evaluator<'_>, call: &Call, key: &str) -> bool {
    let Some(arguments) = call.arguments.and_then(|a| ev.nodes.node_at(a)) else {
        return false;
    };
    elements(arguments)
        .into_iter()
        .filter(|a| matches!(a.kind_name(), "object" | "dictionary"))
        .flat_map(elements)
        .any(|pair| {
            let key_node = match pair.kind_name() {
                "pair" => pair.field("key"),
                "shorthand_property_identifier" => Some(pair),
                _ => None,
            };
            key_node
                .is_some_and(|k| string_content(ev.text, k).unwrap_or_else(|| ev.text_of(k)) == key)
        })
}

/// Request input that is a whole parsed container (`req.body`, `request.GET`) and was
/// not built into text: sent on, it is serialised as JSON, not written as markup.
fn whole_container(ev: &Evaluator<'_>, origin: &Origin) -> bool {
    origin.whole
        && !origin.member
        && source_member(ev, origin).is_some_and(|member| {
            matches!(
                member,
                "body"
                    | "query"
                    | "params"
                    | "headers"
                    | "cookies"
                    | "args"
                    | "form"
                    | "json"
                    | "data"
                    | "GET"
                    | "POST"
                    | "query_params"
            )
        })
}

/// Request input that is a request body, whole: `req.body`, `ctx.request.body`,
/// `request.data`, `request.json`, `request.POST`, `request.get_json()`; not one of its
/// fields (`req.body.memo` is usually a value, not a set of columns).
fn request_body(ev: &Evaluator<'_>, origin: &Origin) -> bool {
    origin.whole
        && !origin.member
        && source_member(ev, origin).is_some_and(|member| {
            matches!(
                member,
                "body" | "data" | "json" | "form" | "POST" | "get_json"
            )
        })
}

/// The request's own path or URL (`req.path`, `req.url`, `request.get_full_path()`): a URL
/// on the same host, whatever the client sent.
fn own_path(ev: &Evaluator<'_>, origin: &Origin) -> bool {
    let From::Request(source) = origin.from else {
        return false;
    };
    let text = &ev.text[source.start..source.end];
    let text = text.find('(').map_or(text, |call| &text[..call]);
    request_member(text).is_some_and(|member| {
        matches!(
            member,
            "path"
                | "url"
                | "originalUrl"
                | "full_path"
                | "get_full_path"
                | "path_info"
                | "baseUrl"
        )
    })
}

/// The member a chain reads of the request object itself (`req.path`, `request.url`,
/// `ctx.request.path`, `self.request.path`), not of its input (`req.query.path`).
fn request_member(text: &str) -> Option<&str> {
    let mut members = text.rsplit('.');
    let member = members.next()?;
    let direct =
        text.matches('.').count() == 1 || members.next().is_some_and(|object| object == "request");
    direct.then_some(member)
}

/// The host the client addressed (`req.hostname`, `req.headers.host`, `req.get("host")`,
/// `request.get_host()`): a link cannot set it, so a redirect to it sends a browser back
/// to the site it asked for, as `https://${req.headers.host}${req.url}` does.
fn own_host(ev: &Evaluator<'_>, origin: &Origin) -> bool {
    let From::Request(source) = origin.from else {
        return false;
    };
    names_own_host(&ev.text[source.start..source.end])
}

fn names_own_host(text: &str) -> bool {
    let host = |name: &str| {
        let name = name.trim_matches(|c| matches!(c, '"' | '\'' | '`' | ' '));
        [
            "host",
            "x-forwarded-host",
            "http_host",
            "http_x_forwarded_host",
        ]
        .iter()
        .any(|header| name.eq_ignore_ascii_case(header))
    };
    // `req`, `request.headers`, `request.META`: where headers are read, not query input.
    let headers = |object: &str| {
        !object.contains('.') || object.ends_with(".headers") || object.ends_with(".META")
    };
    if let Some((callee, rest)) = text.split_once('(') {
        let argument = rest.strip_suffix(')').unwrap_or(rest);
        let (object, method) = callee.rsplit_once('.').unwrap_or(("", callee));
        return match method {
            "get_host" => true,
            "get" | "header" => headers(object) && host(argument),
            // `req.hostname.replace(/^www\./, "")`: still the host the client addressed.
            "slice" | "substring" | "replace" | "toLowerCase" | "trim" | "lower" | "strip"
            | "removeprefix" => names_own_host(object),
            _ => false,
        };
    }
    if let Some((object, key)) = text.strip_suffix(']').and_then(|t| t.rsplit_once('[')) {
        return object.contains('.') && headers(object) && host(key);
    }
    // `req.host`, `ctx.request.hostname`, `req.headers.host`, but not `req.query.host`.
    match text.rsplit_once('.') {
        Some((headers, "host"))
            if headers.ends_with(".headers") || headers.ends_with(".header") =>
        {
            true
        }
        _ => matches!(request_member(text), Some("host" | "hostname")),
    }
}

/// The last member of a request source, a call's arguments dropped: `get_json` of
/// `request.get_json(force=True)`, `body` of `req.body`.
fn source_member<'t>(ev: &Evaluator<'t>, origin: &Origin) -> Option<&'t str> {
    let From::Request(source) = origin.from else {
        return None;
    };
    let text = &ev.text[source.start..source.end];
    let text = text.find('(').map_or(text, |call| &text[..call]);
    text.rsplit('.').next()
}

/// The sink's receiver conditions ([`Sink::receivers`], [`Sink::receiver_not`]) hold.
fn receiver_allowed(ev: &Evaluator<'_>, sink: &Sink, callee: Option<Node<'_>>) -> bool {
    if sink.receivers.is_empty() && sink.receiver_not.is_empty() {
        return true;
    }
    let Some(object) = callee
        .filter(|c| matches!(c.kind_name(), "member_expression" | "attribute"))
        .and_then(|c| c.field("object"))
    else {
        return sink.receivers.is_empty();
    };
    let text = ev.text_of(object);
    if sink
        .receiver_not
        .iter()
        .any(|word| text.contains(word.as_str()))
    {
        return false;
    }
    let first = text
        .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
        .next()
        .unwrap_or("");
    sink.receivers.is_empty() || sink.receivers.iter().any(|r| r == first)
}

fn joined(origin: &Origin, site: Span, name: &str, inside: &[Step]) -> Vec<Step> {
    let mut steps = origin.steps.clone();
    steps.push(Step {
        span: site,
        note: format!("passed to `{name}()`"),
        building: None,
    });
    steps.extend(inside.iter().cloned());
    steps
}
