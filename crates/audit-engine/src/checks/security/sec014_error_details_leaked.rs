//! SEC014: a caught exception's details sent to the client. The data-flow model follows
//! caught exceptions (`catch (err)`, `except E as e`, error middlewares and handlers,
//! `traceback.format_exc()`) into what a handler answers: Express/Fastify `res.json`/
//! `send`/`end`/`write`, Koa `ctx.body =`, Next.js `NextResponse.json`, NestJS HTTP
//! exceptions, Flask/Django/DRF/FastAPI/Starlette/aiohttp responses and `HTTPException`,
//! and what a Flask/FastAPI route or error handler returns; in JavaScript also through the
//! file's own helpers that answer with a parameter (`sendError(res, err)` where
//! `sendError` does `res.status(500).json({ error: err.message })`), reported at the
//! argument with the helper's status and what of the error it sends.
//!
//! A stack trace is always reported. The whole error is reported in JavaScript (a
//! driver's error serialises its query, host and internal fields) and, as text, in Python
//! when the handler catches any error (`except Exception`), not a class it chose to show.
//! A message alone (`err.message`, `e.args`) is reported only in a 5xx answer (and in
//! Python only from a handler of any error): a 4xx answer with the message of an error
//! the code threw on purpose is how validation errors are usually sent. Values behind a check on the environment are left alone, and
//! `err.stack` sent by an Express error middleware is SEC012's.

use audit_core::{Confidence, FlowStep, Span};
use audit_model::code::Function;
use audit_model::taint::{DataFlow, ErrorFlow, ErrorPart};
use audit_syntax::tree_sitter::Node;

use super::sec012_debug_enabled::environment_check;
use super::{elements, text_of};
use crate::checks::reliability::span;
use crate::checks::{Check, CodeContext, Emit, excerpt};
use audit_model::code::nodes::{Fields, KindName};

pub const CHECK: Check = Check::Code {
    anchors: &[
        "catch",
        "except",
        "next)",
        "setErrorHandler",
        "errorhandler",
        "exception_handler",
        "traceback",
        // Error-first callbacks: `function (err, rows)`.
        "(err",
    ],
    run: check,
};

/// Methods of a Node response object that send a body; `render` sends its locals to a
/// template.
const SEND_METHODS: &[&str] = &["json", "send", "end", "write", "jsonp", "render"];
/// Names response objects go by (SEC020's receivers).
const RESPONSE_OBJECTS: &[&str] = &["res", "response", "resp", "reply"];

/// Python calls whose arguments become the response (or an HTTP error's body).
const PYTHON_RESPONSES: &[&str] = &[
    "flask.jsonify",
    "flask.make_response",
    "flask.Response",
    "flask.abort",
    "werkzeug.exceptions.abort",
    "django.http.JsonResponse",
    "django.http.HttpResponse",
    "django.http.HttpResponseBadRequest",
    "django.http.HttpResponseServerError",
    "django.http.response.JsonResponse",
    "django.http.response.HttpResponse",
    "rest_framework.response.Response",
    "fastapi.HTTPException",
    "fastapi.exceptions.HTTPException",
    "starlette.exceptions.HTTPException",
    "fastapi.responses.JSONResponse",
    "fastapi.responses.PlainTextResponse",
    "fastapi.responses.HTMLResponse",
    "fastapi.responses.Response",
    "starlette.responses.JSONResponse",
    "starlette.responses.PlainTextResponse",
    "starlette.responses.HTMLResponse",
    "starlette.responses.Response",
    "aiohttp.web.json_response",
    "aiohttp.web.Response",
    "sanic.response.json",
    "sanic.response.text",
    "flask.render_template",
    "django.shortcuts.render",
];

/// Decorators whose function's return value is the response: Flask/FastAPI routes, DRF
/// `@api_view`, Flask and FastAPI error handlers.
const RESPONDING_DECORATORS: &[&str] = &[
    "route",
    "get",
    "post",
    "put",
    "patch",
    "delete",
    "api_route",
    "api_view",
    "errorhandler",
    "exception_handler",
];

/// One place a response body is given: the expressions sent, the call (or statement)
/// that sends them, and whether its status is a literal 5xx.
struct Answer<'t> {
    values: Vec<Node<'t>>,
    sink: Node<'t>,
    server_error: bool,
    /// What a route or error handler returns.
    returned: bool,
}

/// `target = value` (`res.locals.error = err`, `ctx.body = {...}`): the value assigned to
/// the member as an answer.
fn assigned<'t>(ctx: &CodeContext<'t>, target: Node<'t>) -> Option<Answer<'t>> {
    let assignment = ctx.parent(target).filter(|a| {
        a.kind_name() == "assignment_expression"
            && a.field("left").is_some_and(|l| l.id() == target.id())
    })?;
    Some(Answer {
        values: vec![assignment.field("right")?],
        sink: assignment,
        server_error: false,
        returned: false,
    })
}

fn check(ctx: &CodeContext<'_>, out: &mut Emit<'_>) {
    let answers = if ctx.grammar.is_javascript_family() {
        javascript_answers(ctx)
    } else {
        python_answers(ctx)
    };
    if answers.is_empty() {
        return;
    }
    let text = ctx.source.text.as_str();
    let flow = DataFlow::errors(ctx.semantics(), ctx.nodes(), text, ctx.grammar);
    let mut reported: Vec<Span> = Vec::new();
    let helpers = if ctx.grammar.is_javascript_family() {
        helpers(ctx, &flow, &answers)
    } else {
        Vec::new()
    };
    for answer in answers {
        let errors: Vec<ErrorFlow> = answer
            .values
            .iter()
            .flat_map(|v| flow.caught_errors(*v))
            .collect();
        // SEC012 reports this answer (an error middleware sending `err.stack`).
        if errors.iter().any(|e| {
            ctx.node_at(e.source)
                .is_some_and(|n| sec012_reports(ctx, e, n, answer.sink))
        }) {
            continue;
        }
        for error in errors {
            let Some(node) = ctx.node_at(error.source) else {
                continue;
            };
            let Some((what, confidence)) = verdict(ctx, &error, node, answer.server_error) else {
                continue;
            };
            if environment_guarded(text, node) || environment_guarded(text, answer.sink) {
                continue;
            }
            let shown = converted(text, node);
            if reported.contains(&span(shown)) {
                continue;
            }
            reported.push(span(shown));
            let sink = excerpt(sink_name(text, &answer));
            let expression = excerpt(text_of(text, shown));
            let steps = flow_steps(ctx, &error, answer.sink, &sink);
            out.report_flow(
                ctx.source.locate(span(shown)),
                &[("expr", &expression), ("what", what), ("sink", &sink)],
                Some(confidence),
                steps,
            );
        }
    }
    for (call, error, server_error) in helper_calls(ctx, &flow, &helpers) {
        let Some(node) = ctx.node_at(error.source) else {
            continue;
        };
        let Some((what, confidence)) = verdict(ctx, &error, node, server_error) else {
            continue;
        };
        if environment_guarded(text, node) || reported.contains(&span(node)) {
            continue;
        }
        reported.push(span(node));
        let helper = call.field("function").map_or("", |f| text_of(text, f));
        let sink = excerpt(helper);
        let expression = excerpt(text_of(text, node));
        let steps = flow_steps(ctx, &error, call, &sink);
        out.report_flow(
            ctx.source.locate(span(node)),
            &[("expr", &expression), ("what", what), ("sink", &sink)],
            Some(confidence),
            steps,
        );
    }
}

/// A function of this file that sends what one of its parameters holds to the client
/// itself: `function sendError(res, err) { res.status(500).json({ error: err.message }) }`.
struct Helper {
    function: usize,
    position: usize,
    /// What of the parameter it sends.
    part: ErrorPart,
    server_error: bool,
}

/// The file's helpers that answer with a parameter, from the answers no caught error
/// reaches inside (those are reported where they are).
fn helpers(ctx: &CodeContext<'_>, flow: &DataFlow<'_>, answers: &[Answer<'_>]) -> Vec<Helper> {
    let semantics = ctx.semantics();
    let text = ctx.source.text.as_str();
    let mut out = Vec::new();
    for answer in answers {
        if answer
            .values
            .iter()
            .any(|v| !flow.caught_errors(*v).is_empty())
        {
            continue;
        }
        let Some(index) = semantics.enclosing_function_index(answer.sink.start_byte()) else {
            continue;
        };
        let function = &semantics.functions()[index];
        let mut visit: Vec<Node<'_>> = answer.values.clone();
        while let Some(node) = visit.pop() {
            match node.kind_name() {
                // `{ error }` sends the parameter whole.
                "identifier" | "shorthand_property_identifier" => {
                    let name = text_of(text, node);
                    let Some(parameter) = function.parameters.iter().find(|p| {
                        p.path.is_empty()
                            && p.name == name
                            && semantics
                                .binding_at(name, node.start_byte())
                                .is_some_and(|b| b.span == p.span)
                    }) else {
                        continue;
                    };
                    if let Some(part) = parameter_part(text, node) {
                        out.push(Helper {
                            function: index,
                            position: parameter.position,
                            part,
                            server_error: answer.server_error,
                        });
                    }
                }
                "arrow_function" | "function_expression" | "function" => {}
                _ => {
                    let mut cursor = node.walk();
                    visit.extend(node.named_children(&mut cursor));
                }
            }
        }
    }
    out
}

/// What of a helper's parameter its answer sends: `.stack`, `.message` or the text
/// (`String(err)`, `` `${err}` ``), the whole value; None for another member (`err.code`).
fn parameter_part(text: &str, node: Node<'_>) -> Option<ErrorPart> {
    // Asked of the few parameters an answer sends, not per node.
    let parent = node.parent().filter(|_| node.kind_name() == "identifier");
    let Some(parent) = parent else {
        return Some(ErrorPart::Whole);
    };
    if parent.kind_name() == "member_expression"
        && parent.field("object").is_some_and(|o| o.id() == node.id())
    {
        return match parent.field("property").map(|p| text_of(text, p)) {
            Some("stack") => Some(ErrorPart::Stack),
            Some("message") => Some(ErrorPart::Message),
            _ => None,
        };
    }
    if parent.kind_name() == "template_substitution" || converted(text, node).id() != node.id() {
        return Some(ErrorPart::Message);
    }
    Some(ErrorPart::Whole)
}

/// Caught errors passed to the file's helpers that send them (`sendError(res, err)` in a
/// `catch`), reported at the argument, with what the helper sends of it.
fn helper_calls<'t>(
    ctx: &'t CodeContext<'_>,
    flow: &DataFlow<'_>,
    helpers: &[Helper],
) -> Vec<(Node<'t>, ErrorFlow, bool)> {
    let semantics = ctx.semantics();
    let text = ctx.source.text.as_str();
    let mut out = Vec::new();
    for call in semantics.calls() {
        let Some(callee) = ctx
            .node_at(call.callee)
            .filter(|c| c.kind_name() == "identifier")
        else {
            continue;
        };
        let Some(binding) = semantics.binding_at(text_of(text, callee), callee.start_byte()) else {
            continue;
        };
        let function = match binding.kind {
            // A declaration's name lies inside its function.
            audit_model::code::BindingKind::Function => {
                semantics.enclosing_function_index(binding.span.start)
            }
            audit_model::code::BindingKind::Variable => {
                binding.value.and_then(|v| semantics.function_with_span(v))
            }
            _ => None,
        };
        let Some(function) = function else { continue };
        let Some(node) = ctx.node_at(call.span) else {
            continue;
        };
        let arguments = call
            .arguments
            .and_then(|a| ctx.node_at(a))
            .map_or_else(Vec::new, elements);
        for helper in helpers.iter().filter(|h| h.function == function) {
            let Some(argument) = arguments.get(helper.position) else {
                continue;
            };
            for mut error in flow.caught_errors(*argument) {
                error.part = match (error.part, helper.part) {
                    (ErrorPart::Stack, _) | (_, ErrorPart::Stack) => ErrorPart::Stack,
                    (ErrorPart::Message, _) | (_, ErrorPart::Message) => ErrorPart::Message,
                    _ => ErrorPart::Whole,
                };
                out.push((node, error, helper.server_error));
            }
        }
    }
    out
}

/// What the finding says the value is, and how sure it is; None when it is no finding.
fn verdict(
    ctx: &CodeContext<'_>,
    error: &ErrorFlow,
    node: Node<'_>,
    server_error: bool,
) -> Option<(&'static str, Confidence)> {
    let javascript = ctx.grammar.is_javascript_family();
    // A JS error as text (`String(err)`, `err.toString()`, `` `${err}` ``) is its name and
    // message: no stack, none of a driver's fields.
    let part = match error.part {
        ErrorPart::Whole if javascript && stringified(ctx, error, node) => ErrorPart::Message,
        part => part,
    };
    // `(e, rows) => ...`: only the callback convention says `e` is an error.
    let sure = |yes: bool| {
        if yes && !error.inferred {
            Confidence::High
        } else {
            Confidence::Medium
        }
    };
    match part {
        ErrorPart::Stack => Some(("the stack trace of a caught error", sure(true))),
        ErrorPart::Whole if javascript => {
            Some(("the whole caught error object", sure(server_error)))
        }
        // Python names what it catches: a class the code chose (`except OutOfStock`) is
        // one whose text it means to show, whatever the status.
        ErrorPart::Whole if error.broad => Some((
            "the raw text of an exception the handler did not choose to show",
            sure(server_error),
        )),
        ErrorPart::Message if server_error && error.broad => Some((
            "the message of an unexpected error in a 5xx answer",
            Confidence::Medium,
        )),
        _ => None,
    }
}

/// `String(err)`, `err.toString()`, or text built around the error.
fn stringified(ctx: &CodeContext<'_>, error: &ErrorFlow, node: Node<'_>) -> bool {
    let text = ctx.source.text.as_str();
    let to_string = node.parent().is_some_and(|member| {
        member.kind_name() == "member_expression"
            && member
                .field("property")
                .is_some_and(|p| text_of(text, p) == "toString")
    });
    to_string
        || converted(text, node).id() != node.id()
        || error.steps.iter().any(|step| step.building.is_some())
}

/// `str(e)`, `String(err)`, `repr(e)`: the conversion is what the finding shows.
fn converted<'t>(text: &str, node: Node<'t>) -> Node<'t> {
    let Some(call) = node
        .parent()
        .filter(|a| {
            matches!(a.kind_name(), "arguments" | "argument_list") && a.named_child_count() == 1
        })
        .and_then(|a| a.parent())
    else {
        return node;
    };
    match call.field("function").map(|f| text_of(text, f)) {
        Some("str" | "repr" | "String") => call,
        _ => node,
    }
}

/// The callee of the sending call, the assigned member of `ctx.body = ...`, or `return`.
fn sink_name<'t>(text: &'t str, answer: &Answer<'_>) -> &'t str {
    let sink = answer.sink;
    if answer.returned {
        return "return";
    }
    sink.field("function")
        .or_else(|| sink.field("constructor"))
        .or_else(|| sink.field("left"))
        .map_or_else(|| text_of(text, sink), |n| text_of(text, n))
}

fn flow_steps(
    ctx: &CodeContext<'_>,
    error: &ErrorFlow,
    sink: Node<'_>,
    name: &str,
) -> Vec<FlowStep> {
    let note = format!("sent to the client by `{name}`");
    ctx.steps_from("caught error", error.source, &error.steps, span(sink), note)
}

/// An `if` or a conditional around `node`, in its function, whose condition checks the
/// environment (`process.env.NODE_ENV === "development" ? err.stack : undefined`); or,
/// outside the function, an `if` that names development (`if (app.get("env") ===
/// "development") { app.use(function (err, req, res, next) {...}) }`: the handler exists
/// only there).
fn environment_guarded(text: &str, node: Node<'_>) -> bool {
    let mut current = node;
    let mut outside = false;
    while let Some(parent) = current.parent() {
        match parent.kind_name() {
            "if_statement" | "ternary_expression" | "conditional_expression" => {
                let condition = parent.field("condition").or_else(|| {
                    parent
                        .named_child(1)
                        .filter(|_| parent.kind_name() == "conditional_expression")
                });
                let guard = |c: Node<'_>| {
                    if outside {
                        development_only(text, c)
                    } else {
                        environment_check(text, c)
                    }
                };
                if condition.is_some_and(|c| c.id() != current.id() && guard(c)) {
                    return true;
                }
            }
            // `...(config.env === "development" && { stack: err.stack })`.
            "binary_expression" | "boolean_operator"
                if parent
                    .field("operator")
                    .is_some_and(|o| matches!(text_of(text, o), "&&" | "and"))
                    && parent
                        .field("left")
                        .is_some_and(|l| l.id() != current.id() && environment_check(text, l)) =>
            {
                return true;
            }
            "function_expression" | "arrow_function"
                if parent
                    .parent()
                    .is_some_and(|a| a.kind_name() == "arguments") =>
            {
                outside = true;
            }
            "function_declaration"
            | "function_expression"
            | "arrow_function"
            | "method_definition"
            | "function_definition" => return false,
            _ => {}
        }
        current = parent;
    }
    false
}

/// A condition that holds only in development: it names development or debugging, or
/// tests that the environment is not production.
fn development_only(text: &str, condition: Node<'_>) -> bool {
    let condition = text_of(text, condition).to_ascii_lowercase();
    condition.contains("develop")
        || condition.contains("debug")
        || condition.contains("production") && condition.contains("!=")
}

/// SEC012 reports `err.stack` sent straight from an Express error middleware.
fn sec012_reports(
    ctx: &CodeContext<'_>,
    error: &ErrorFlow,
    node: Node<'_>,
    sink: Node<'_>,
) -> bool {
    let text = ctx.source.text.as_str();
    if error.part != ErrorPart::Stack
        || !ctx.grammar.is_javascript_family()
        || node.kind_name() != "member_expression"
    {
        return false;
    }
    let inside = sink.start_byte() <= node.start_byte() && node.end_byte() <= sink.end_byte();
    let object = node.field("object").map(|o| text_of(text, o));
    let middleware = |f: &Function| {
        f.parameters.len() == 4
            && f.parameters.iter().map(|p| p.position).eq(0..4)
            && Some(f.parameters[0].name.as_str()) == object
    };
    inside
        && ctx
            .semantics()
            .enclosing_function(node.start_byte())
            .is_some_and(middleware)
}

/// A literal 5xx status: `500`, `HttpStatus.INTERNAL_SERVER_ERROR`,
/// `status.HTTP_503_SERVICE_UNAVAILABLE`.
fn server_error_status(text: &str, node: Node<'_>) -> bool {
    let status = text_of(text, node);
    let last = status.rsplit('.').next().unwrap_or(status);
    (node.kind_name() == "number" || node.kind_name() == "integer")
        && status.starts_with('5')
        && status.len() == 3
        || last.starts_with("HTTP_5")
        || last.contains("INTERNAL_SERVER_ERROR")
        || last.contains("SERVICE_UNAVAILABLE")
        || last.contains("BAD_GATEWAY")
}

fn javascript_answers<'t>(ctx: &'t CodeContext<'_>) -> Vec<Answer<'t>> {
    let text = ctx.source.text.as_str();
    let mut answers = Vec::new();
    for call in ctx.semantics().calls() {
        let Some(node) = ctx.node_at(call.span) else {
            continue;
        };
        let arguments = || {
            call.arguments
                .and_then(|a| ctx.node_at(a))
                .map_or_else(Vec::new, elements)
        };
        let qualified = call.qualified_name.as_deref().unwrap_or("");
        if let Some(nest) = qualified.strip_prefix("@nestjs/common.")
            && nest.ends_with("Exception")
        {
            let values = arguments();
            let server_error = matches!(
                nest,
                "InternalServerErrorException"
                    | "ServiceUnavailableException"
                    | "BadGatewayException"
                    | "GatewayTimeoutException"
                    | "NotImplementedException"
            ) || values.get(1).is_some_and(|s| server_error_status(text, *s));
            answers.push(Answer {
                values,
                sink: node,
                server_error,
                returned: false,
            });
            continue;
        }
        if matches!(qualified, "next/server.NextResponse.json" | "Response.json")
            || (call.new && matches!(qualified, "Response" | "next/server.NextResponse"))
        {
            let values = arguments();
            let server_error = values.get(1).is_some_and(|o| option_status(text, *o));
            answers.push(Answer {
                values: values.into_iter().take(1).collect(),
                sink: node,
                server_error,
                returned: false,
            });
            continue;
        }
        let Some(callee) = ctx
            .node_at(call.callee)
            .filter(|c| c.kind_name() == "member_expression")
        else {
            continue;
        };
        let method = callee.field("property").map(|p| text_of(text, p));
        if !method.is_some_and(|m| SEND_METHODS.contains(&m)) {
            continue;
        }
        let Some(receiver) = callee.field("object") else {
            continue;
        };
        let receiver_text = text_of(text, receiver);
        let root = receiver_text
            .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
            .next()
            .unwrap_or("");
        if !RESPONSE_OBJECTS.contains(&root) {
            continue;
        }
        let mut values = arguments();
        // `res.render("error", { error: err })`: the view's name is no body.
        if method == Some("render") && !values.is_empty() {
            values.remove(0);
        }
        // Express 3's `res.send(500, err)`: the status first.
        let status_first = values.len() == 2 && values[0].kind_name() == "number";
        let server_error = if status_first {
            server_error_status(text, values.remove(0))
        } else {
            chained_status(text, receiver)
        };
        answers.push(Answer {
            values,
            sink: node,
            server_error,
            returned: false,
        });
    }
    // Express `res.locals.error = err`: what the rendered view is given.
    for (at, _) in text.match_indices(".locals") {
        let start = text[..at]
            .rfind(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
            .map_or(0, |before| before + 1);
        if !RESPONSE_OBJECTS.contains(&&text[start..at]) {
            continue;
        }
        let Some(locals) = ctx.node_at(Span::new(start, at + ".locals".len())) else {
            continue;
        };
        let target = locals
            .parent()
            .filter(|m| {
                m.kind_name() == "member_expression"
                    && m.field("object").is_some_and(|o| o.id() == locals.id())
            })
            .unwrap_or(locals);
        answers.extend(assigned(ctx, target));
    }
    // Koa: `ctx.body = { error: err.message }`.
    for (at, _) in text.match_indices("ctx.body") {
        let Some(member) = ctx.node_at(Span::new(at, at + "ctx.body".len())) else {
            continue;
        };
        answers.extend(assigned(ctx, member));
    }
    answers
}

/// `res.status(500).json(...)`, `reply.code(503).send(...)`: the status set in the chain.
fn chained_status(text: &str, receiver: Node<'_>) -> bool {
    let mut current = receiver;
    while current.kind_name() == "call_expression" {
        let Some(function) = current.field("function") else {
            return false;
        };
        let method = function.field("property").map(|p| text_of(text, p));
        if matches!(method, Some("status" | "code" | "writeHead"))
            && let Some(first) = current
                .field("arguments")
                .and_then(|a| elements(a).first().copied())
        {
            return server_error_status(text, first);
        }
        match function.field("object") {
            Some(object) => current = object,
            None => return false,
        }
    }
    false
}

/// `{ status: 500 }` of `NextResponse.json(body, { status: 500 })`.
fn option_status(text: &str, options: Node<'_>) -> bool {
    options.kind_name() == "object"
        && elements(options).into_iter().any(|pair| {
            pair.kind_name() == "pair"
                && pair
                    .field("key")
                    .is_some_and(|k| text_of(text, k) == "status")
                && pair
                    .field("value")
                    .is_some_and(|v| server_error_status(text, v))
        })
}

fn python_answers<'t>(ctx: &'t CodeContext<'_>) -> Vec<Answer<'t>> {
    let text = ctx.source.text.as_str();
    let mut answers = Vec::new();
    for call in ctx.semantics().calls() {
        let Some(qualified) = call.qualified_name.as_deref() else {
            continue;
        };
        if !PYTHON_RESPONSES.contains(&qualified) {
            continue;
        }
        let Some(node) = ctx.node_at(call.span) else {
            continue;
        };
        let mut values = Vec::new();
        let mut server_error = qualified.ends_with("HttpResponseServerError");
        let status_first = qualified.ends_with("abort") || qualified.ends_with("HTTPException");
        let arguments = call
            .arguments
            .and_then(|a| ctx.node_at(a))
            .map_or_else(Vec::new, elements);
        for (i, argument) in arguments.into_iter().enumerate() {
            if argument.kind_name() == "keyword_argument" {
                let name = argument.field("name").map(|n| text_of(text, n));
                let Some(value) = argument.field("value") else {
                    continue;
                };
                if matches!(name, Some("status" | "status_code" | "code")) {
                    server_error |= server_error_status(text, value);
                } else {
                    values.push(value);
                }
            } else if i == 0 && status_first {
                server_error |= server_error_status(text, argument);
            } else {
                values.push(argument);
            }
        }
        answers.push(Answer {
            values,
            sink: node,
            server_error,
            returned: false,
        });
    }
    for function in ctx.semantics().functions() {
        if !resource_method(ctx, function)
            && !function.decorators.iter().any(|d| {
                let (object, method) = d.name.rsplit_once('.').unwrap_or(("", &d.name));
                RESPONDING_DECORATORS.contains(&method)
                    && !matches!(object, "mock" | "patch" | "unittest.mock")
            })
        {
            continue;
        }
        let Some(body) = ctx.node_at(function.body) else {
            continue;
        };
        for returned in returns(ctx, function, body) {
            // `return jsonify(...), 500`: the body and the status of a Flask tuple.
            let (values, server_error) = match returned.kind_name() {
                "tuple" | "expression_list" => {
                    let parts = elements(returned);
                    let status = parts.get(1).is_some_and(|s| server_error_status(text, *s));
                    (parts.into_iter().take(1).collect(), status)
                }
                _ => (vec![returned], false),
            };
            // A response constructor returned is answered above, with its own status.
            if values.iter().any(|v| {
                v.kind_name() == "call"
                    && ctx
                        .semantics()
                        .call(span(*v))
                        .and_then(|c| c.qualified_name.as_deref())
                        .is_some_and(|q| PYTHON_RESPONSES.contains(&q))
            }) {
                if server_error {
                    answers
                        .iter_mut()
                        .filter(|a| values.iter().any(|v| v.id() == a.sink.id()))
                        .for_each(|a| a.server_error = true);
                }
                continue;
            }
            answers.push(Answer {
                values,
                sink: returned,
                server_error,
                returned: true,
            });
        }
    }
    answers
}

/// A Flask-RESTful/flask-restx `Resource`'s or a Flask `MethodView`'s HTTP method: what
/// it returns is the response.
fn resource_method(ctx: &CodeContext<'_>, function: &Function) -> bool {
    let text = ctx.source.text.as_str();
    if !matches!(
        function.name.as_deref(),
        Some("get" | "post" | "put" | "patch" | "delete")
    ) {
        return false;
    }
    let Some(class) = function
        .class
        .and_then(|c| ctx.semantics().classes().get(c))
    else {
        return false;
    };
    ctx.node_at(class.span)
        .and_then(|c| c.field("superclasses"))
        .is_some_and(|bases| {
            elements(bases).into_iter().any(|base| {
                let name = text_of(text, base);
                let last = name.rsplit('.').next().unwrap_or(name);
                last.ends_with("Resource") || last == "MethodView"
            })
        })
}

/// The returned expressions of `function`, not of functions inside it.
fn returns<'t>(ctx: &CodeContext<'_>, function: &Function, body: Node<'t>) -> Vec<Node<'t>> {
    let mut found = Vec::new();
    let mut visit = vec![body];
    while let Some(node) = visit.pop() {
        if node.kind_name() == "return_statement" {
            if ctx
                .semantics()
                .enclosing_function(node.start_byte())
                .is_some_and(|f| f.span == function.span)
                && let Some(value) = node.named_child(0)
            {
                found.push(value);
            }
            continue;
        }
        if matches!(
            node.kind_name(),
            "function_definition" | "lambda" | "class_definition"
        ) && node.id() != body.id()
        {
            continue;
        }
        let mut cursor = node.walk();
        visit.extend(node.named_children(&mut cursor));
    }
    found
}
