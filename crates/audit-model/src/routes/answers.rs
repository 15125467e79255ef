//! What a handler answers and what it lists, read from its tree: each response it sends
//! (`res.status(400).json({ error })`, `reply.code(404).send(...)`, `return {...}, 400`,
//! `JSONResponse(content=..., status_code=...)`, `raise HTTPException(...)`) with its
//! status and body shape, and the reads that return a whole collection (`User.findAll()`,
//! `Item.objects.all()`) when nothing bounds them.

use audit_core::{Location, SourceText, Span};
use audit_syntax::tree_sitter::Node;

use crate::code::nodes::Fields;
use crate::code::nodes::{KindName, NodeIndex, elements, string_content, text_of};

/// One response a handler sends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    pub status: Status,
    pub body: Body,
    /// The sending call, return or raise.
    pub location: Location,
}

/// The status an answer is sent with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// None given: the framework's default (200, or the route's declared status).
    Default,
    Code(u16),
    /// Given, but not a literal or a known constant (`res.status(err.status)`).
    Unknown,
}

/// The body an answer sends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Body {
    /// An object or dict literal (or `jsonify(error=...)` keywords): its top-level keys,
    /// and the key that says the request failed (`error`, `errors`, `success: false`,
    /// `ok: false`, `status: "error"`), if any.
    Object {
        keys: Vec<String>,
        failure: Option<String>,
    },
    /// A string: `res.status(400).send("Bad request")`.
    Text,
    /// Anything else: a variable, a model, a serializer's data.
    Other,
}

impl Body {
    /// The shape clients must parse, as API009 compares them: the key that carries the
    /// error (`{error}`, `{errors}`, `{message}`, `{detail}`), `text` for a plain string.
    pub fn error_shape(&self) -> Option<String> {
        match self {
            Body::Text => Some("plain text".to_string()),
            Body::Other => None,
            Body::Object { keys, .. } => {
                let carrier = ["errors", "error", "detail", "message", "msg"]
                    .into_iter()
                    .find(|k| keys.iter().any(|key| key == k))?;
                Some(format!("{{{carrier}}}"))
            }
        }
    }
}

/// Keys whose presence (with a value that is not empty or null) says the request failed.
const FAILURE_KEYS: &[&str] = &["error", "errors", "err", "errorMessage", "error_message"];
/// Keys that say the request failed when they are false: `{ success: false }`.
const SUCCESS_FLAGS: &[&str] = &["success", "ok", "succeeded"];
/// `{ status: "error" }`, JSend's `"fail"`.
const FAILURE_STATUSES: &[&str] = &["error", "fail", "failed", "failure"];

/// Receivers JS handlers answer through: Express `res`, Fastify `reply`, and their
/// common spellings.
const JS_RESPONDERS: &[&str] = &["res", "response", "resp", "reply", "rep", "h"];

/// Python calls that build a response: (callee's last name, its status keyword).
const PY_RESPONSES: &[(&str, &str)] = &[
    ("JSONResponse", "status_code"),
    ("ORJSONResponse", "status_code"),
    ("UJSONResponse", "status_code"),
    ("PlainTextResponse", "status_code"),
    ("JsonResponse", "status"),
    ("Response", "status"),
    ("make_response", "status"),
];

/// Every answer in the handler whose function is `function`, in source order. In JS they
/// are calls, found among the semantics' calls of the handler's span (no walk), Koa's
/// `ctx.body =` assignments, found by their text, and for a NestJS handler (`nest`) its
/// returns and throws, found in one walk that skips nested functions; in Python returns
/// and raises, found in one walk of its subtree with one cursor.
pub(super) fn answers(
    sem: &crate::code::CodeSemantics,
    nodes: &NodeIndex<'_>,
    source: &SourceText,
    function: Node<'_>,
    nest: bool,
) -> Vec<Answer> {
    let text = source.text.as_str();
    let answer = |node: Node<'_>, (status, body)| Answer {
        status,
        body,
        location: source.locate(Span::new(node.start_byte(), node.end_byte())),
    };
    if sem.grammar().is_javascript_family() {
        let whole = Span::new(function.start_byte(), function.end_byte());
        let mut found: Vec<Answer> = sem
            .calls_in(whole)
            .iter()
            .filter(|c| {
                let callee = &text[c.callee.start..c.callee.end];
                [".json", ".send", ".jsonp", ".sendStatus"]
                    .iter()
                    .any(|m| callee.ends_with(m))
            })
            .filter_map(|c| {
                let node = nodes.node_at(c.span)?;
                Some(answer(node, js_answer(text, node)?))
            })
            .collect();
        let body = &text[function.start_byte()..function.end_byte()];
        if body.contains("ctx.") {
            for (node, status, koa_body) in koa_answers(nodes, text, function) {
                found.push(answer(node, (status, koa_body)));
            }
        }
        if nest {
            nest_answers(text, function, &mut |node, status, nest_body| {
                found.push(answer(node, (status, nest_body)));
            });
        }
        if found.len() > 1 {
            found.sort_by_key(|a| a.location.span.start);
        }
        return found;
    }
    let mut found = Vec::new();
    let mut cursor = function.walk();
    loop {
        let node = cursor.node();
        let kind = node.kind_name();
        let exits = matches!(kind, "return_statement" | "raise_statement");
        if let Some(found_here) = exits.then(|| py_answer(text, node)).flatten() {
            found.push(answer(node, found_here));
        } else if encloses_statements(kind) && cursor.goto_first_child() {
            continue;
        }
        // Next: a sibling, or the sibling of the nearest ancestor that has one.
        loop {
            if cursor.node() == function {
                return found;
            }
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return found;
            }
        }
    }
}

/// Koa's `ctx.body = value` (and `ctx.response.body`), each with the status the nearest
/// `ctx.status = n` before it in the same or an enclosing block sets.
fn koa_answers<'t>(
    nodes: &NodeIndex<'t>,
    text: &str,
    function: Node<'t>,
) -> Vec<(Node<'t>, Status, Body)> {
    let (start, end) = (function.start_byte(), function.end_byte());
    // (assignment, is the body, value), in source order.
    let mut assignments = Vec::new();
    for (at, _) in text[start..end].match_indices("ctx.") {
        let at = start + at;
        let Some(assignment) = koa_assignment(nodes, text, at) else {
            continue;
        };
        assignments.push(assignment);
    }
    let mut out = Vec::new();
    for (index, (node, is_body, value)) in assignments.iter().enumerate() {
        if !*is_body {
            continue;
        }
        let status = assignments[..index]
            .iter()
            .rev()
            .filter(|(n, is_body, _)| !*is_body && encloses(n.parent(), *node))
            .map(|(_, _, v)| js_status(text, *v))
            .next()
            .unwrap_or(Status::Default);
        out.push((*node, status, js_body(text, *value)));
    }
    out
}

/// The `ctx.body = value` / `ctx.status = n` statement whose target starts at `at`.
fn koa_assignment<'t>(
    nodes: &NodeIndex<'t>,
    text: &str,
    at: usize,
) -> Option<(Node<'t>, bool, Node<'t>)> {
    let mut target = nodes
        .tree()
        .root_node()
        .descendant_for_byte_range(at, at + 3)?
        .parent()?;
    if target.kind_name() != "member_expression" {
        return None;
    }
    // `ctx.response.body`.
    if let Some(parent) = target.parent()
        && parent.kind_name() == "member_expression"
        && text_of(text, target) == "ctx.response"
    {
        target = parent;
    }
    let is_body = match text_of(text, target) {
        "ctx.body" | "ctx.response.body" => true,
        "ctx.status" | "ctx.response.status" => false,
        _ => return None,
    };
    let assignment = target.parent()?;
    if assignment.kind_name() != "assignment_expression" || assignment.field("left") != Some(target)
    {
        return None;
    }
    let value = assignment.field("right")?;
    let statement = assignment
        .parent()
        .filter(|p| p.kind_name() == "expression_statement")
        .unwrap_or(assignment);
    Some((statement, is_body, value))
}

/// Whether `block` (a statement's parent) holds `node`.
fn encloses(block: Option<Node<'_>>, node: Node<'_>) -> bool {
    block.is_some_and(|b| b.start_byte() <= node.start_byte() && node.end_byte() <= b.end_byte())
}

/// A NestJS handler's `return {...}` and `throw new NotFoundException(...)` /
/// `throw new HttpException(body, status)`, outside nested functions.
fn nest_answers<'t>(
    text: &str,
    function: Node<'t>,
    found: &mut impl FnMut(Node<'t>, Status, Body),
) {
    let Some(body) = function.field("body") else {
        return;
    };
    let mut cursor = body.walk();
    loop {
        let node = cursor.node();
        let mut enter = true;
        match node.kind_name() {
            "arrow_function"
            | "function_expression"
            | "function_declaration"
            | "method_definition"
            | "class"
            | "class_declaration" => enter = false,
            "return_statement" => {
                enter = false;
                if let Some(value) = node.named_child(0) {
                    let value = if value.kind_name() == "await_expression" {
                        value.named_child(0).unwrap_or(value)
                    } else {
                        value
                    };
                    if matches!(value.kind_name(), "object" | "string" | "template_string") {
                        found(node, Status::Default, js_body(text, value));
                    }
                }
            }
            "throw_statement" => {
                enter = false;
                if let Some((status, thrown)) =
                    node.named_child(0).and_then(|e| nest_exception(text, e))
                {
                    found(node, status, thrown);
                }
            }
            _ => {}
        }
        if enter && cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.node() == body {
                return;
            }
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return;
            }
        }
    }
}

/// NestJS's built-in exceptions and the status each sends.
const NEST_EXCEPTIONS: &[(&str, u16)] = &[
    ("BadRequestException", 400),
    ("UnauthorizedException", 401),
    ("PaymentRequiredException", 402),
    ("ForbiddenException", 403),
    ("NotFoundException", 404),
    ("MethodNotAllowedException", 405),
    ("NotAcceptableException", 406),
    ("RequestTimeoutException", 408),
    ("ConflictException", 409),
    ("GoneException", 410),
    ("PayloadTooLargeException", 413),
    ("UnsupportedMediaTypeException", 415),
    ("UnprocessableEntityException", 422),
    ("InternalServerErrorException", 500),
    ("NotImplementedException", 501),
    ("BadGatewayException", 502),
    ("ServiceUnavailableException", 503),
    ("GatewayTimeoutException", 504),
];

/// `new NotFoundException("x")` sends Nest's `{ statusCode, message, error }`; an
/// object argument replaces that body. `new HttpException(body, status)`.
fn nest_exception(text: &str, thrown: Node<'_>) -> Option<(Status, Body)> {
    if thrown.kind_name() != "new_expression" {
        return None;
    }
    let name = text_of(text, thrown.field("constructor")?);
    let args = thrown.field("arguments").map_or_else(Vec::new, elements);
    let given = args
        .first()
        .filter(|a| a.kind_name() == "object")
        .map(|a| js_body(text, *a));
    let default = |keys: &[&str]| Body::Object {
        keys: keys.iter().map(|k| k.to_string()).collect(),
        failure: None,
    };
    if name == "HttpException" {
        let status = args.get(1).map_or(Status::Unknown, |s| js_status(text, *s));
        return Some((
            status,
            given.unwrap_or_else(|| default(&["statusCode", "message"])),
        ));
    }
    let (_, code) = NEST_EXCEPTIONS.iter().find(|(n, _)| *n == name)?;
    Some((
        Status::Code(*code),
        given.unwrap_or_else(|| default(&["statusCode", "message", "error"])),
    ))
}

/// Python nodes that hold statements: returns and raises are never inside expressions, so
/// the walk enters nothing else.
fn encloses_statements(kind: &str) -> bool {
    matches!(
        kind,
        "function_definition"
            | "decorated_definition"
            | "block"
            | "if_statement"
            | "elif_clause"
            | "else_clause"
            | "for_statement"
            | "while_statement"
            | "try_statement"
            | "except_clause"
            | "except_group_clause"
            | "finally_clause"
            | "with_statement"
            | "match_statement"
            | "case_clause"
    )
}

/// `res.json(body)`, `res.status(n).json(body)`, `reply.code(n).send(body)`,
/// `res.sendStatus(n)`.
fn js_answer(text: &str, node: Node<'_>) -> Option<(Status, Body)> {
    if node.kind_name() != "call_expression" {
        return None;
    }
    let callee = node.field("function")?;
    if callee.kind_name() != "member_expression" {
        return None;
    }
    let method = text_of(text, callee.field("property")?);
    if !matches!(method, "json" | "send" | "jsonp" | "sendStatus") {
        return None;
    }
    let args = elements(node.field("arguments")?);
    let mut receiver = callee.field("object")?;
    if method == "sendStatus" {
        let status = js_status(text, *args.first()?);
        return responder(text, receiver).then_some((status, Body::Text));
    }
    // `response.json()` with no argument reads a fetch response.
    let body = *args.first()?;
    let mut status = Status::Default;
    while receiver.kind_name() == "call_expression" {
        let link = receiver.field("function")?;
        if link.kind_name() != "member_expression" {
            return None;
        }
        let name = text_of(text, link.field("property")?);
        let link_args = elements(receiver.field("arguments")?);
        match name {
            "status" | "code" => status = js_status(text, *link_args.first()?),
            "set" | "header" | "type" | "headers" | "cookie" | "clearCookie" | "vary"
            | "location" | "append" | "links" => {}
            _ => return None,
        }
        receiver = link.field("object")?;
    }
    responder(text, receiver).then(|| (status, js_body(text, body)))
}

fn responder(text: &str, receiver: Node<'_>) -> bool {
    receiver.kind_name() == "identifier" && JS_RESPONDERS.contains(&text_of(text, receiver))
}

fn js_status(text: &str, node: Node<'_>) -> Status {
    match node.kind_name() {
        "number" => code(text_of(text, node)),
        "member_expression" => named_status(text_of(text, node)),
        _ => Status::Unknown,
    }
}

fn js_body(text: &str, node: Node<'_>) -> Body {
    match node.kind_name() {
        "object" => {
            let mut keys = Vec::new();
            let mut failure = None;
            for pair in elements(node) {
                let (key, value) = match pair.kind_name() {
                    "pair" => {
                        let key = pair.field("key");
                        let key = key
                            .map(|k| string_content(text, k).unwrap_or_else(|| text_of(text, k)));
                        (key, pair.field("value"))
                    }
                    "shorthand_property_identifier" => (Some(text_of(text, pair)), None),
                    _ => (None, None),
                };
                let Some(key) = key else { continue };
                if failure.is_none() && fails(text, key, value) {
                    failure = Some(key.to_string());
                }
                keys.push(key.to_string());
            }
            Body::Object { keys, failure }
        }
        "string" | "template_string" => Body::Text,
        _ => Body::Other,
    }
}

/// Whether `key: value` says the request failed. A shorthand (`{ error }`) has no value
/// to read and counts for the error keys.
fn fails(text: &str, key: &str, value: Option<Node<'_>>) -> bool {
    let value_text = value.map(|v| text_of(text, v));
    let empty = |v: &str| {
        matches!(
            v,
            "null" | "undefined" | "None" | "false" | "False" | "[]" | "{}" | "\"\"" | "''"
        )
    };
    if FAILURE_KEYS.contains(&key) {
        return value_text.is_none_or(|v| !empty(v));
    }
    if SUCCESS_FLAGS.contains(&key) {
        return value_text.is_some_and(|v| v == "false" || v == "False");
    }
    if key == "status" {
        let status = value.and_then(|v| string_content(text, v));
        return status.is_some_and(|s| FAILURE_STATUSES.contains(&s));
    }
    false
}

/// `return body`, `return body, 400`, `return JSONResponse(...)`, `raise
/// HTTPException(status_code=404, detail=...)`.
fn py_answer(text: &str, node: Node<'_>) -> Option<(Status, Body)> {
    match node.kind_name() {
        "return_statement" => {
            let value = node.named_child(0)?;
            let parts = match value.kind_name() {
                "expression_list" | "tuple" => elements(value),
                _ => vec![value],
            };
            let body = *parts.first()?;
            match parts.get(1) {
                Some(status) => Some((py_status(text, *status), py_body(text, body).0)),
                None => py_body_answer(text, body),
            }
        }
        "raise_statement" => {
            let call = node.named_child(0)?;
            if call.kind_name() != "call" {
                return None;
            }
            let name = last_name(text, call.field("function")?);
            if name != "HTTPException" {
                return None;
            }
            let args = elements(call.field("arguments")?);
            let status = keyword(text, &args, "status_code")
                .or_else(|| {
                    args.first()
                        .copied()
                        .filter(|a| a.kind_name() != "keyword_argument")
                })
                .map_or(Status::Unknown, |s| py_status(text, s));
            let keys = vec!["detail".to_string()];
            Some((
                status,
                Body::Object {
                    keys,
                    failure: None,
                },
            ))
        }
        _ => None,
    }
}

/// A returned value that is an answer: a dict, `jsonify(...)`, a response class; a
/// returned variable or model is left alone (it may be anything).
fn py_body_answer(text: &str, node: Node<'_>) -> Option<(Status, Body)> {
    let (body, status) = py_body(text, node);
    match body {
        Body::Other if status == Status::Default => None,
        body => Some((status, body)),
    }
}

/// The body a Python value sends, and the status a response class gives it.
fn py_body(text: &str, node: Node<'_>) -> (Body, Status) {
    match node.kind_name() {
        "dictionary" => (py_dict(text, node), Status::Default),
        "string" => (Body::Text, Status::Default),
        "call" => {
            let Some(function) = node.field("function") else {
                return (Body::Other, Status::Default);
            };
            let Some(arguments) = node.field("arguments") else {
                return (Body::Other, Status::Default);
            };
            let args = elements(arguments);
            let name = last_name(text, function);
            if name == "jsonify" {
                let body = match args.first() {
                    Some(first) if first.kind_name() == "keyword_argument" => {
                        py_keywords(text, &args)
                    }
                    Some(first) => py_body(text, *first).0,
                    None => Body::Other,
                };
                return (body, Status::Default);
            }
            let Some((_, status_keyword)) = PY_RESPONSES.iter().find(|(n, _)| *n == name) else {
                return (Body::Other, Status::Default);
            };
            let content = keyword(text, &args, "content")
                .or_else(|| keyword(text, &args, "data"))
                .or_else(|| {
                    args.first()
                        .copied()
                        .filter(|a| a.kind_name() != "keyword_argument")
                });
            let body = content.map_or(Body::Other, |c| py_body(text, c).0);
            let positional_status = (name == "make_response")
                .then(|| args.get(1).copied())
                .flatten()
                .filter(|a| a.kind_name() != "keyword_argument");
            let status = keyword(text, &args, status_keyword)
                .or(positional_status)
                .map_or(Status::Default, |s| py_status(text, s));
            (body, status)
        }
        _ => (Body::Other, Status::Default),
    }
}

fn py_dict(text: &str, node: Node<'_>) -> Body {
    let mut keys = Vec::new();
    let mut failure = None;
    for pair in elements(node) {
        if pair.kind_name() != "pair" {
            continue;
        }
        let Some(key) = pair.field("key").and_then(|k| string_content(text, k)) else {
            continue;
        };
        if failure.is_none() && fails(text, key, pair.field("value")) {
            failure = Some(key.to_string());
        }
        keys.push(key.to_string());
    }
    Body::Object { keys, failure }
}

/// `jsonify(error="not found", code=404)`.
fn py_keywords(text: &str, args: &[Node<'_>]) -> Body {
    let mut keys = Vec::new();
    let mut failure = None;
    for arg in args {
        let (Some(name), value) = (arg.field("name"), arg.field("value")) else {
            continue;
        };
        let key = text_of(text, name);
        if failure.is_none() && fails(text, key, value) {
            failure = Some(key.to_string());
        }
        keys.push(key.to_string());
    }
    Body::Object { keys, failure }
}

fn keyword<'t>(text: &str, args: &[Node<'t>], name: &str) -> Option<Node<'t>> {
    args.iter()
        .filter(|a| a.kind_name() == "keyword_argument")
        .find(|a| a.field("name").is_some_and(|n| text_of(text, n) == name))
        .and_then(|a| a.field("value"))
}

fn py_status(text: &str, node: Node<'_>) -> Status {
    match node.kind_name() {
        "integer" => code(text_of(text, node)),
        "attribute" | "identifier" => named_status(text_of(text, node)),
        _ => Status::Unknown,
    }
}

fn last_name<'t>(text: &'t str, node: Node<'_>) -> &'t str {
    let callee = text_of(text, node);
    callee.rsplit('.').next().unwrap_or(callee)
}

fn code(literal: &str) -> Status {
    match literal.parse::<u16>() {
        Ok(n) if (100..600).contains(&n) => Status::Code(n),
        _ => Status::Unknown,
    }
}

/// `status.HTTP_404_NOT_FOUND`, `HTTPStatus.NOT_FOUND`, `HttpStatus.BAD_REQUEST`,
/// `StatusCodes.CREATED`.
fn named_status(name: &str) -> Status {
    let last = name.rsplit('.').next().unwrap_or(name);
    if let Some(rest) = last.strip_prefix("HTTP_") {
        return code(rest.get(..3).unwrap_or(rest));
    }
    let known = [
        ("OK", 200),
        ("CREATED", 201),
        ("ACCEPTED", 202),
        ("NO_CONTENT", 204),
        ("BAD_REQUEST", 400),
        ("UNAUTHORIZED", 401),
        ("FORBIDDEN", 403),
        ("NOT_FOUND", 404),
        ("CONFLICT", 409),
        ("UNPROCESSABLE_ENTITY", 422),
        ("TOO_MANY_REQUESTS", 429),
        ("INTERNAL_SERVER_ERROR", 500),
        ("SERVICE_UNAVAILABLE", 503),
    ];
    known
        .iter()
        .find(|(n, _)| *n == last)
        .map_or(Status::Unknown, |(_, c)| Status::Code(*c))
}

/// Methods that return every matching row unless bounded.
const JS_LISTS: &[&str] = &["findAll", "find", "findMany", "findAndCountAll", "getMany"];

/// Words that bound a read or read the client's page: in the call's chain or arguments,
/// or anywhere in the handler (`req.query.page`, `limit: int = 100`).
const PAGINATION: &[&str] = &[
    "limit",
    "take",
    "page",
    "offset",
    "cursor",
    "per_page",
    "perPage",
    "pageSize",
    "page_size",
    "paginate",
    "Paginator",
    "pagination",
    "first(",
    "[:",
    "slice(",
];

/// The first read in the handler that returns a whole collection with nothing bounding
/// it: `Model.findAll()`, `Model.find({})`, `prisma.x.findMany()`, `Model.objects.all()`,
/// `Model.query.all()`, `session.query(M).all()`, `session.exec(select(M)).all()`. None
/// when the handler reads pagination parameters anywhere.
pub(super) fn unbounded_list(
    sem: &crate::code::CodeSemantics,
    nodes: &NodeIndex<'_>,
    text: &str,
    body: Span,
) -> Option<Span> {
    let handler = text.get(body.start..body.end)?;
    if PAGINATION.iter().any(|w| handler.contains(w)) {
        return None;
    }
    sem.calls_in(body)
        .iter()
        .find(|c| {
            let callee = &text[c.callee.start..c.callee.end];
            let Some((receiver, method)) = callee.rsplit_once('.') else {
                return false;
            };
            let arguments = c.arguments.map_or("", |a| &text[a.start..a.end]);
            let whole = if sem.grammar().is_javascript_family() {
                JS_LISTS.contains(&method)
                    && super::writes::is_model(receiver)
                    && matches!(arguments.trim(), "()" | "({})")
            } else {
                method == "all"
                    && arguments == "()"
                    && (receiver.ends_with(".objects")
                        || receiver.ends_with(".query")
                        || receiver.contains("session.query(")
                        || receiver.contains(".exec(select(")
                        || receiver.contains(".scalars(select("))
            };
            whole && !chained_bound(nodes, text, c.span)
        })
        .map(|c| c.span)
}

/// Whether the call is bounded further along its chain: `User.find({}).limit(20)`,
/// `Item.objects.all()[:50]`.
fn chained_bound(nodes: &NodeIndex<'_>, text: &str, call: Span) -> bool {
    let Some(mut node) = nodes.node_at(call) else {
        return false;
    };
    while let Some(parent) = node.parent() {
        if !matches!(
            parent.kind_name(),
            "member_expression" | "call_expression" | "attribute" | "call" | "subscript"
        ) || parent.start_byte() != node.start_byte()
        {
            break;
        }
        node = parent;
    }
    let chain = &text[call.end.min(node.end_byte())..node.end_byte()];
    PAGINATION.iter().any(|w| chain.contains(w))
}
