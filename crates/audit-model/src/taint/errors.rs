//! Caught exceptions as origins, for [`super::DataFlow::errors`]: which bindings hold the
//! exception a handler caught, and whether the handler catches any error or one class
//! the code chose to handle.

use audit_syntax::tree_sitter::Node;

use super::eval::Evaluator;
use crate::code::nodes::Fields;
use crate::code::nodes::elements;
use crate::code::{Binding, BindingKind};

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

/// Whether `binding` holds a caught exception: a JS `catch (err)`, Python `except E as e`,
/// an Express error middleware's first parameter (four parameters), a Fastify
/// `setErrorHandler` callback's first, a Flask `@errorhandler`'s first or a FastAPI
/// `@exception_handler`'s second; and if so whether any error is caught there.
pub(super) fn caught(ev: &Evaluator<'_>, binding: &Binding) -> Option<bool> {
    match binding.kind {
        BindingKind::Variable if binding.value.is_none() => {
            let node = ev.nodes.node_at(binding.span)?;
            if ev.js {
                return (node.parent()?.kind() == "catch_clause").then_some(true);
            }
            let mut current = node;
            for _ in 0..4 {
                let parent = current.parent()?;
                match parent.kind() {
                    "as_pattern" if parent.named_child(0)?.id() != current.id() => {
                        let clause = parent.parent()?;
                        return matches!(clause.kind(), "except_clause" | "except_group_clause")
                            .then(|| broad_class(ev, parent.named_child(0)));
                    }
                    "except_clause" | "except_group_clause" => {
                        return Some(broad_class(ev, parent.field("value")));
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
                return ((parameter.position == 0
                    && (middleware || error_handler_callback(ev, function.span)))
                    || promise_rejection(ev, function.span, parameter.position))
                .then_some(true);
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
                    broad_class(ev, arguments.and_then(|a| elements(a).first().copied()))
                })
            })
        }
        _ => None,
    }
}

/// The function at `span` is passed to `setErrorHandler` (Fastify).
fn error_handler_callback(ev: &Evaluator<'_>, span: audit_core::Span) -> bool {
    ev.nodes
        .node_at(span)
        .and_then(|f| f.parent())
        .filter(|a| a.kind() == "arguments")
        .and_then(|a| a.parent())
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
    let Some(arguments) = function.parent().filter(|a| a.kind() == "arguments") else {
        return false;
    };
    let index = elements(arguments)
        .iter()
        .position(|a| a.id() == function.id());
    let method = arguments
        .parent()
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
    let classes = match class.kind() {
        "tuple" | "parenthesized_expression" | "list" => elements(class),
        _ => vec![class],
    };
    classes.into_iter().any(|class| {
        let text = ev.text_of(class);
        let last = text.rsplit('.').next().unwrap_or(text);
        BROAD.contains(&last) || last.starts_with('5') || last.contains("INTERNAL_SERVER_ERROR")
    })
}
