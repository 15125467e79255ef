//! Caught exceptions as origins, for [`super::DataFlow::errors`]: which bindings hold the
//! exception a handler caught, and whether the handler catches any error or one class
//! the code chose to handle.

use audit_syntax::tree_sitter::Node;

use super::eval::Evaluator;
use crate::code::nodes::elements;
use crate::code::nodes::{Fields, KindName};
use crate::code::{Binding, BindingKind, Function};

/// Calls that give the handled exception's traceback as text.
pub(super) const TRACEBACKS: &[&str] = &[
    "traceback.format_exc",
    "traceback.format_exception",
    "traceback.format_tb",
    "traceback.format_stack",
    "traceback.extract_tb",
];

/// Classes whose instances are any error (or a database's, driver's or network client's,
/// whose text holds queries, hosts and internal names): catching one is catching what
/// the code did not foresee.
const BROAD: &[&str] = &[
    "Exception",
    "BaseException",
    "SQLAlchemyError",
    "DBAPIError",
    "DatabaseError",
    "OperationalError",
    "ProgrammingError",
    "InterfaceError",
    "PyMongoError",
    "RedisError",
    "ClientError",
    "BotoCoreError",
    "RequestException",
    "RuntimeError",
    "OSError",
    "IOError",
    "InternalServerError",
];

/// What holds a caught exception.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Caught {
    /// The handler catches any error, not one class the code chose to handle.
    pub broad: bool,
    /// Only the callback convention says it is an error: the first parameter of a
    /// callback, named `e`/`ex` or named otherwise but tested or read as one.
    pub inferred: bool,
}

const SURE: Caught = Caught {
    broad: true,
    inferred: false,
};

/// Whether `binding` holds a caught exception: a JS `catch (err)`, Python `except E as e`,
/// an Express error middleware's first parameter (four parameters), a Fastify
/// `setErrorHandler` callback's first, a Flask `@errorhandler`'s first or a FastAPI
/// `@exception_handler`'s second, a Node error-first callback's first; and if so whether
/// any error is caught there. `read` says the binding is read as an error here
/// (`x.message`, `x.stack`).
pub(super) fn caught(ev: &Evaluator<'_>, binding: &Binding, read: bool) -> Option<Caught> {
    let broad = |broad| Caught {
        broad,
        inferred: false,
    };
    match binding.kind {
        BindingKind::Variable if binding.value.is_none() => {
            let node = ev.nodes.node_at(binding.span)?;
            if ev.js {
                return (ev.nodes.parent(node)?.kind_name() == "catch_clause").then_some(SURE);
            }
            let mut current = node;
            for _ in 0..4 {
                let parent = ev.nodes.parent(current)?;
                match parent.kind_name() {
                    "as_pattern" if parent.named_child(0)?.id() != current.id() => {
                        let clause = ev.nodes.parent(parent)?;
                        return matches!(
                            clause.kind_name(),
                            "except_clause" | "except_group_clause"
                        )
                        .then(|| broad(broad_class(ev, parent.named_child(0))));
                    }
                    "except_clause" | "except_group_clause" => {
                        return Some(broad(broad_class(ev, parent.field("value"))));
                    }
                    _ => current = parent,
                }
            }
            None
        }
        BindingKind::Parameter => {
            let (function, parameter) = ev.parameter_of(binding)?;
            if !parameter.path.is_empty() {
                return None;
            }
            if ev.js {
                let middleware = function.parameters.len() == 4
                    && function.parameters.iter().map(|p| p.position).eq(0..4);
                if (parameter.position == 0
                    && (middleware || error_handler_callback(ev, function.span)))
                    || promise_rejection(ev, function.span, parameter.position)
                {
                    return Some(SURE);
                }
                return (parameter.position == 0)
                    .then(|| error_first_callback(ev, function, &parameter.name, read))
                    .flatten();
            }
            function.decorators.iter().find_map(|decorator| {
                let method = decorator.name.rsplit('.').next()?;
                let position = match method {
                    "errorhandler" => 0,
                    "exception_handler" => 1,
                    _ => return None,
                };
                (parameter.position == position).then(|| {
                    let arguments = decorator.arguments.and_then(|a| ev.nodes.node_at(a));
                    broad(broad_class(
                        ev,
                        arguments.and_then(|a| elements(a).first().copied()),
                    ))
                })
            })
        }
        _ => None,
    }
}

/// Methods whose callback, given first, takes a value, not an error: iteration,
/// promises, timers (`items.find((item) => ...)`, where Mongoose's `Model.find(filter,
/// (err, docs) => ...)` takes its callback last).
const ITERATION: &[&str] = &[
    "map",
    "forEach",
    "filter",
    "reduce",
    "reduceRight",
    "find",
    "findIndex",
    "findLast",
    "some",
    "every",
    "sort",
    "flatMap",
    "then",
    "finally",
    "each",
    "forIn",
    "forOwn",
    "mapValues",
    "times",
    "setTimeout",
    "setInterval",
    "setImmediate",
    "nextTick",
    "subscribe",
    "pipe",
    "tap",
];

/// Calls whose last callback never takes an error: string replacers, browser events,
/// test blocks.
const NOT_ERROR_FIRST: &[&str] = &[
    "replace",
    "replaceAll",
    "addEventListener",
    "describe",
    "it",
    "test",
    "beforeEach",
    "afterEach",
    "beforeAll",
    "afterAll",
    "before",
    "after",
];

/// Node's error-first convention: the first parameter of a function passed as the last
/// argument of a call (`fs.readFile(p, (err, data) => ...)`, `db.query(sql, function
/// (err, rows) {...})`, `passport.authenticate("local", (err, user) => ...)`). Named
/// `err`/`error` (or `dbErr`, `query_error`) it is an error; named `e`/`ex`, or otherwise
/// but tested (`if (x)`) or, before a value parameter, read as one (`x.message`), it
/// is probably one.
fn error_first_callback(
    ev: &Evaluator<'_>,
    function: &Function,
    name: &str,
    read: bool,
) -> Option<Caught> {
    let node = ev.nodes.node_at(function.span)?;
    if !matches!(node.kind_name(), "arrow_function" | "function_expression") {
        return None;
    }
    let arguments = ev
        .nodes
        .parent(node)
        .filter(|a| a.kind_name() == "arguments")?;
    let call = ev
        .nodes
        .parent(arguments)
        .filter(|c| c.kind_name() == "call_expression")?;
    if arguments
        .named_child(arguments.named_child_count().checked_sub(1)? as u32)?
        .id()
        != node.id()
    {
        return None;
    }
    let callee = call.field("function")?;
    let method = ev.method_name(callee).unwrap_or_else(|| ev.text_of(callee));
    if NOT_ERROR_FIRST.contains(&method)
        || (ITERATION.contains(&method) && arguments.named_child_count() == 1)
    {
        return None;
    }
    // `emitter.on("data", (chunk) => ...)`: only an error event gives an error.
    if matches!(method, "on" | "once" | "addListener") {
        let event = arguments.named_child(0).map(|e| ev.text_of(e))?;
        if !(event.contains("rror") || event.contains("xception")) {
            return None;
        }
    }
    let bare = name.trim_matches('_');
    let named = |suffix: &str| bare.len() > suffix.len() && bare.ends_with(suffix);
    if matches!(bare, "err" | "error") || ["Err", "Error", "_err", "_error"].into_iter().any(named)
    {
        return Some(SURE);
    }
    let inferred = Caught {
        broad: true,
        inferred: true,
    };
    // `(result, rows) => ... result.message`: read as an error where a value follows.
    if matches!(bare, "e" | "ex" | "er" | "exc" | "exception")
        || (read && function.parameters.len() >= 2)
    {
        return Some(inferred);
    }
    let body = &ev.text[function.body.start..function.body.end];
    ["if (", "if (!", "if(", "if(!"]
        .iter()
        .any(|test| body.contains(&format!("{test}{name})")))
        .then_some(inferred)
}

/// The function at `span` is passed to `setErrorHandler` (Fastify).
fn error_handler_callback(ev: &Evaluator<'_>, span: audit_core::Span) -> bool {
    ev.nodes
        .node_at(span)
        .and_then(|f| ev.nodes.parent(f))
        .filter(|a| a.kind_name() == "arguments")
        .and_then(|a| ev.nodes.parent(a))
        .and_then(|call| call.field("function"))
        .and_then(|callee| ev.method_name(callee))
        == Some("setErrorHandler")
}

/// The first parameter of a promise's rejection handler: `.catch((err) => ...)`, the
/// second callback of `.then(onValue, (err) => ...)`.
fn promise_rejection(ev: &Evaluator<'_>, span: audit_core::Span, position: usize) -> bool {
    let Some(function) = ev.nodes.node_at(span) else {
        return false;
    };
    let Some(arguments) = ev
        .nodes
        .parent(function)
        .filter(|a| a.kind_name() == "arguments")
    else {
        return false;
    };
    let index = elements(arguments)
        .iter()
        .position(|a| a.id() == function.id());
    let method = ev
        .nodes
        .parent(arguments)
        .and_then(|call| call.field("function"))
        .and_then(|callee| ev.method_name(callee));
    position == 0
        && matches!(
            (method, index),
            (Some("catch"), Some(0)) | (Some("then"), Some(1))
        )
}

/// An exception class (or tuple of classes, or status code) that covers any error:
/// `Exception`, `(ValueError, Exception)`, `500`, `HTTPStatus.INTERNAL_SERVER_ERROR`,
/// a database driver's base error. Nothing written (a bare handler) is broad too.
fn broad_class(ev: &Evaluator<'_>, class: Option<Node<'_>>) -> bool {
    let Some(class) = class else {
        return true;
    };
    let classes = match class.kind_name() {
        "tuple" | "parenthesized_expression" | "list" => elements(class),
        _ => vec![class],
    };
    classes.into_iter().any(|class| {
        let text = ev.text_of(class);
        let last = text.rsplit('.').next().unwrap_or(text);
        BROAD.contains(&last) || last.starts_with('5') || last.contains("INTERNAL_SERVER_ERROR")
    })
}
