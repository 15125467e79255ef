//! Request input: the frameworks' request objects and their properties, and handler
//! parameters that are input themselves.
//!
//! - Express/Fastify/Next.js `req`/`request` `.body .query .params .headers .cookies
//!   .originalUrl .url .path .hostname .files`, `req.get()/header()/param()`;
//! - Koa `ctx.request.*`, `ctx.query`, `ctx.params`, `ctx.headers`;
//! - NestJS parameters decorated `@Body() @Query() @Param() @Headers() @Cookies()`;
//! - Flask/Quart `request` (imported) `.args .form .values .json .data .files .cookies
//!   .headers .get_json()`; Django/DRF/Starlette/aiohttp `request` parameters (and
//!   `self.request`) `.GET .POST .body .COOKIES .META .FILES .data .query_params
//!   .path_params .match_info .query`, `await request.json()/form()/post()/text()`;
//! - FastAPI and Flask route functions' parameters, except dependencies (`Depends`),
//!   framework objects and numbers (`item_id: int`, `<int:id>`), which cannot carry text;
//! - AWS Lambda handlers' `event` (with a `context` parameter after it).

use audit_core::Span;
use audit_syntax::tree_sitter::Node;

use super::eval::Evaluator;
use crate::code::nodes::{Fields, KindName};
use crate::code::{Binding, BindingKind, Function, Parameter, Scope};

/// What kind of request object a name is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum RequestObject {
    /// Express/Fastify/Next.js `req`, NestJS `@Req()`.
    Node,
    /// Koa's context.
    Koa,
    /// Flask's global or a Django/DRF/Starlette/aiohttp view's parameter.
    Python,
    /// A Lambda event: every property is input.
    LambdaEvent,
}

const NODE_PROPERTIES: &[&str] = &[
    "body",
    "cookies",
    "files",
    "file",
    "headers",
    "hostname",
    "originalUrl",
    "params",
    "path",
    "query",
    "signedCookies",
    "url",
];
const NODE_METHODS: &[&str] = &["get", "header", "param"];
const KOA_PROPERTIES: &[&str] = &[
    "request",
    "query",
    "params",
    "headers",
    "header",
    "querystring",
    "url",
    "originalUrl",
    "path",
    "href",
];
const PYTHON_PROPERTIES: &[&str] = &[
    "COOKIES",
    "FILES",
    "GET",
    "META",
    "POST",
    "args",
    "body",
    "cookies",
    "data",
    "files",
    "form",
    "full_path",
    "headers",
    "json",
    "match_info",
    "path",
    "path_params",
    "query",
    "query_params",
    "query_string",
    "rel_url",
    "url",
    "values",
    "view_args",
];
const PYTHON_METHODS: &[&str] = &[
    "body", "form", "get_data", "get_json", "json", "post", "read", "text",
];

/// NestJS parameter decorators that inject request input.
const NEST_INPUT_DECORATORS: &[&str] = &[
    "Body",
    "Cookies",
    "Headers",
    "HostParam",
    "Param",
    "Query",
    "UploadedFile",
    "UploadedFiles",
];

/// Route decorators' last segment (`app.get`, `router.post`, `bp.route`).
const ROUTE_DECORATORS: &[&str] = &[
    "api_route",
    "delete",
    "get",
    "head",
    "options",
    "patch",
    "post",
    "put",
    "route",
    "websocket",
];

/// Annotations that make a route parameter a number, a framework object or a dependency:
/// not text an attacker shapes.
const SAFE_ANNOTATIONS: &[&str] = &[
    "AsyncSession",
    "BackgroundTasks",
    "Decimal",
    "HTTPConnection",
    "Request",
    "Response",
    "Session",
    "UUID",
    "UUID1",
    "UUID3",
    "UUID4",
    "UUID5",
    "WebSocket",
    "bool",
    "date",
    "datetime",
    "float",
    "int",
    "uuid.UUID",
];

impl<'a> Evaluator<'a> {
    /// `node` is request input by itself: a source property of a request object
    /// (`req.query`, `req.query.q`, `request.args["q"]`, `event.body`), or a source method's
    /// call (`req.get("host")`, `request.get_json()`).
    pub(super) fn request_source(&self, node: Node<'_>) -> bool {
        let Some((root, steps)) = self.chain(node) else {
            return false;
        };
        let (object, first) = match self.request_object(root) {
            Some(object) => (object, 0),
            // `self.request.GET` in Django and DRF class-based views.
            None if !self.js
                && self.text_of(root) == "self"
                && steps.first().is_some_and(|s| s.name == "request") =>
            {
                (RequestObject::Python, 1)
            }
            None => return false,
        };
        steps
            .get(first)
            .is_some_and(|step| source_step(object, *step))
    }

    /// What request object the identifier `node` names, if any.
    pub(super) fn request_object(&self, node: Node<'_>) -> Option<RequestObject> {
        if node.kind_name() != "identifier" {
            return None;
        }
        let name = self.text_of(node);
        let binding = self.semantics.binding_at(name, node.start_byte());
        match binding {
            None => None,
            Some(binding) if binding.kind == BindingKind::Parameter => {
                self.request_parameter(binding)
            }
            Some(binding) if !self.js => {
                let qualified = binding.qualified_name.as_deref()?;
                matches!(qualified, "flask.request" | "quart.request")
                    .then_some(RequestObject::Python)
            }
            Some(_) => None,
        }
    }

    pub(super) fn request_parameter(&self, binding: &Binding) -> Option<RequestObject> {
        let (function, parameter) = self.parameter_of(binding)?;
        if !parameter.path.is_empty() {
            return None;
        }
        let name = parameter.name.as_str();
        if self.js {
            if parameter
                .decorators
                .iter()
                .any(|d| matches!(last_segment(&d.name), "Req" | "Request"))
            {
                return Some(RequestObject::Node);
            }
            return match name {
                "req" | "request" => Some(RequestObject::Node),
                "ctx" if function.parameters.len() <= 2 => Some(RequestObject::Koa),
                "event" if lambda_handler(function, parameter) => Some(RequestObject::LambdaEvent),
                _ => None,
            };
        }
        match name {
            "request" | "req" => Some(RequestObject::Python),
            "event" if lambda_handler(function, parameter) => Some(RequestObject::LambdaEvent),
            _ => None,
        }
    }

    /// The parameter is request input itself: a NestJS input decorator, or a route
    /// function's parameter that is not a dependency, a framework object or a number.
    pub(super) fn parameter_source(&self, binding: &Binding) -> bool {
        let Some((function, parameter)) = self.parameter_of(binding) else {
            return false;
        };
        if self.js {
            return parameter
                .decorators
                .iter()
                .any(|d| NEST_INPUT_DECORATORS.contains(&last_segment(&d.name)));
        }
        let Some(route) = function.decorators.iter().find(|d| self.route_decorator(d)) else {
            return false;
        };
        if matches!(
            parameter.name.as_str(),
            "self" | "cls" | "request" | "response" | "db" | "session"
        ) || !matches!(
            parameter.kind,
            crate::code::ParameterKind::Positional | crate::code::ParameterKind::KeywordOnly
        ) {
            return false;
        }
        if let Some(default) = parameter.default {
            let default = &self.text[default.start..default.end];
            if default.starts_with("Depends(") || default.starts_with("Security(") {
                return false;
            }
        }
        if let Some(annotation) = parameter.annotation {
            let annotation = &self.text[annotation.start..annotation.end];
            if SAFE_ANNOTATIONS.contains(&annotation)
                || annotation.contains("Depends(")
                || annotation.contains("Security(")
                || SAFE_ANNOTATIONS
                    .iter()
                    .any(|safe| annotation.starts_with(&format!("Annotated[{safe},")))
            {
                return false;
            }
        }
        // Flask converters: `<int:id>` gives a number.
        if let Some(arguments) = route.arguments {
            let path = &self.text[arguments.start..arguments.end];
            let name = &parameter.name;
            for converter in ["int", "float", "uuid"] {
                if path.contains(&format!("<{converter}:{name}>")) {
                    return false;
                }
            }
        }
        true
    }

    /// A Python route parameter whose annotation the framework parses the input into: a
    /// string or a model, never an arbitrary object such as `{"$ne": null}`, so it is
    /// not the input whole. `dict`, `Any`, `Json` (anywhere in the annotation) and a
    /// missing annotation keep it whole.
    pub(super) fn typed_parameter(&self, binding: &Binding) -> bool {
        if self.js {
            return false;
        }
        let Some(annotation) = self
            .parameter_of(binding)
            .and_then(|(_, parameter)| parameter.annotation)
        else {
            return false;
        };
        // `dict[str, Any]`, `Optional[dict]`, `Annotated[Any, Body()]`, `Json | None`.
        !self.text[annotation.start..annotation.end]
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .any(|word| {
                matches!(
                    word,
                    "dict" | "Dict" | "Mapping" | "MutableMapping" | "Any" | "Json" | "object"
                )
            })
    }

    /// `@app.get("/items/{id}")`, `@bp.route("/x/<name>")`: a method of an object whose
    /// first argument is a path, so `@mock.patch("pkg.mod")` is not one.
    fn route_decorator(&self, decorator: &crate::code::Decorator) -> bool {
        let Some((object, method)) = decorator.name.rsplit_once('.') else {
            return false;
        };
        if !ROUTE_DECORATORS.contains(&method)
            || matches!(object, "mock" | "patch" | "unittest.mock")
        {
            return false;
        }
        let Some(arguments) = decorator.arguments else {
            return false;
        };
        let arguments = self.text[arguments.start..arguments.end]
            .trim_start_matches('(')
            .trim_start();
        let path = arguments
            .trim_start_matches(['r', 'f'])
            .trim_start_matches(['"', '\'']);
        arguments.starts_with(['"', '\''])
            && (path.starts_with('/') || path.starts_with(['"', '\'']) || path.is_empty())
    }

    /// The function and the parameter a parameter binding is.
    pub(super) fn parameter_of(&self, binding: &Binding) -> Option<(&Function, &Parameter)> {
        let Scope::Function(index) = binding.scope else {
            return None;
        };
        let function = self.semantics.functions().get(index)?;
        let parameter = function
            .parameters
            .iter()
            .find(|p| p.span == binding.span)?;
        Some((function, parameter))
    }

    /// The identifier a member chain starts at and its steps, outermost last:
    /// `req.query.q` is `req` + [query, q]; `req.get("x")` is `req` + [get()];
    /// string subscripts are steps (`event["body"]`); `await` is looked through.
    pub(super) fn chain<'t>(&self, mut node: Node<'t>) -> Option<(Node<'t>, Vec<ChainStep<'a>>)> {
        let mut steps = Vec::new();
        let mut call = false;
        loop {
            match node.kind_name() {
                "identifier" => break,
                "member_expression" | "attribute" => {
                    let field = if self.js { "property" } else { "attribute" };
                    let property = node.field(field)?;
                    steps.push(ChainStep {
                        name: self.text_of(property),
                        call: std::mem::take(&mut call),
                    });
                    node = node.field("object")?;
                }
                "subscript_expression" | "subscript" => {
                    let index = if self.js {
                        node.field("index")?
                    } else {
                        node.field("subscript")?
                    };
                    let name = crate::code::nodes::string_content(self.text, index);
                    match name {
                        Some(name) => steps.push(ChainStep {
                            name,
                            call: std::mem::take(&mut call),
                        }),
                        // `request.args[key]`: the element of a source is a source too,
                        // which the caller finds on the object.
                        None => return None,
                    }
                    let field = if self.js { "object" } else { "value" };
                    node = node.field(field)?;
                }
                "call_expression" | "call" if !call => {
                    call = true;
                    node = node.field("function")?;
                }
                "await_expression" | "await" | "parenthesized_expression" => {
                    node = node.named_child(0)?;
                }
                _ => return None,
            }
        }
        if call {
            return None;
        }
        steps.reverse();
        Some((node, steps))
    }
}

/// Whether the first step of a chain from a request object reads input.
pub(super) fn source_step(object: RequestObject, step: ChainStep<'_>) -> bool {
    match object {
        RequestObject::Node => {
            (!step.call && NODE_PROPERTIES.contains(&step.name))
                || (step.call && NODE_METHODS.contains(&step.name))
        }
        RequestObject::Koa => KOA_PROPERTIES.contains(&step.name),
        RequestObject::Python => {
            (!step.call && PYTHON_PROPERTIES.contains(&step.name))
                || (step.call && PYTHON_METHODS.contains(&step.name))
        }
        RequestObject::LambdaEvent => true,
    }
}

#[derive(Clone, Copy, Debug)]
pub(super) struct ChainStep<'t> {
    pub name: &'t str,
    /// The step is called: `get` of `req.get("x")`.
    pub call: bool,
}

/// `exports.handler = async (event, context) => ...`, `def lambda_handler(event, context)`.
fn lambda_handler(function: &Function, parameter: &Parameter) -> bool {
    function
        .parameters
        .iter()
        .find(|p| p.position == parameter.position + 1)
        .is_some_and(|next| matches!(next.name.as_str(), "context" | "_context" | "ctx"))
}

fn last_segment(name: &str) -> &str {
    name.rsplit('.').next().unwrap_or(name)
}

/// The span of a node.
pub(super) fn span(node: Node<'_>) -> Span {
    Span::from(node.byte_range())
}
