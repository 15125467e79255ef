//! The evaluator: what an expression carries, computed backwards from the expression
//! through bindings, operators and calls, memoised per binding and per function summary.
//! Recursion (cyclic assignments, recursive functions) and depth are bounded: a value
//! whose evaluation is already under way, or too deep, carries nothing.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use audit_core::Span;
use audit_syntax::Grammar;
use audit_syntax::tree_sitter::Node;

use super::errors::Caught;
use super::sources::span;
use super::{ErrorFlow, ErrorPart, Flow, REQUEST, Step, TaintSpec};
use crate::code::nodes::Fields;
use crate::code::nodes::{KindName, NodeIndex, elements};
use crate::code::{BindingKind, CodeSemantics};

/// How deep one evaluation may recurse through expressions, bindings and calls.
const MAX_DEPTH: u32 = 96;
/// Origins kept per value, steps kept per origin: enough to explain a flow, bounded for
/// generated code.
const MAX_ORIGINS: usize = 4;
const MAX_STEPS: usize = 12;

/// Calls whose result is a number or a boolean whatever they are given: no rule's
/// payload survives them.
pub(super) const NUMBERS: &[&str] = &[
    "Boolean",
    "Date.now",
    "Math.abs",
    "Math.ceil",
    "Math.floor",
    "Math.max",
    "Math.min",
    "Math.round",
    "Math.trunc",
    "Number",
    "Number.isInteger",
    "Number.parseFloat",
    "Number.parseInt",
    "bool",
    "decimal.Decimal",
    "float",
    "int",
    "isNaN",
    "len",
    "parseFloat",
    "parseInt",
    "uuid.UUID",
];

/// Calls whose result carries what their arguments carry.
const PROPAGATORS: &[&str] = &[
    "Array.from",
    "Buffer.from",
    "JSON.parse",
    "JSON.stringify",
    "Object.assign",
    "Object.entries",
    "Object.keys",
    "Object.values",
    "String",
    "URL",
    "base64.b64decode",
    "bytes",
    "decodeURI",
    "decodeURIComponent",
    "dict",
    "json.loads",
    "list",
    "os.path.abspath",
    "os.path.join",
    "os.path.normpath",
    "os.path.realpath",
    "path.join",
    "path.normalize",
    "path.resolve",
    "posixpath.join",
    "str",
    "unescape",
    "url.parse",
    "urllib.parse.unquote",
    "urllib.parse.unquote_plus",
    "urllib.parse.urljoin",
];

/// Methods whose result is a boolean or a number: the receiver's payload does not pass.
const NON_TEXT_METHODS: &[&str] = &[
    "count",
    "endsWith",
    "endswith",
    "every",
    "find",
    "hasOwnProperty",
    "includes",
    "index",
    "indexOf",
    "isalnum",
    "isalpha",
    "isdigit",
    "isnumeric",
    "lastIndexOf",
    "localeCompare",
    "some",
    "startsWith",
    "startswith",
    "test",
];

/// Methods whose arguments flow into the result as well as the receiver.
const ARGUMENT_METHODS: &[&str] = &["concat", "format", "format_map", "join", "replace"];

/// A value's origins: request input or a parameter of its function.
#[derive(Clone, Debug, Default)]
pub(super) struct Taint {
    pub origins: Vec<Origin>,
}

#[derive(Clone, Debug)]
pub(super) struct Origin {
    pub from: From,
    /// The rules (bits) not sanitised on the way, plus [`REQUEST`].
    pub live: u64,
    /// The value is the input itself, not a literal built around part of it.
    pub whole: bool,
    /// The value sits inside an object or array literal.
    pub structured: bool,
    /// The value is a part of what the source gave (`body.user`, `const { name } = body`),
    /// not the whole container.
    pub member: bool,
    /// The part of an error this value reads from a parameter (`e.message` in
    /// `function describe(e)`): a caught error passed there arrives as that part.
    pub read: Option<ErrorPart>,
    pub steps: Vec<Step>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum From {
    Request(Span),
    /// A parameter of the file's function `function`, for summaries.
    Parameter {
        function: usize,
        position: usize,
    },
    /// A caught exception, or the part of it read there (only in an evaluator made for
    /// [`super::DataFlow::errors`]); `broad` when the handler catches any error,
    /// `inferred` when only the callback convention says it is one.
    Error {
        span: Span,
        part: ErrorPart,
        broad: bool,
        inferred: bool,
    },
}

impl Taint {
    fn is_empty(&self) -> bool {
        self.origins.is_empty()
    }

    fn join(mut self, other: Taint) -> Taint {
        for origin in other.origins {
            if self.origins.len() >= MAX_ORIGINS {
                break;
            }
            match self.origins.iter_mut().find(|o| o.from == origin.from) {
                Some(kept) => kept.live |= origin.live,
                None => self.origins.push(origin),
            }
        }
        self
    }

    /// The value built around this one: `{ q }`, `[q]`, `"a" + q`.
    fn wrapped(mut self) -> Taint {
        for origin in &mut self.origins {
            origin.whole = false;
            origin.structured = true;
        }
        self
    }

    fn step(
        mut self,
        span: Span,
        note: impl Fn() -> String,
        building: Option<&'static str>,
    ) -> Taint {
        for origin in &mut self.origins {
            // `"a" + x + "b"` is one concatenation, not one per operator.
            if let Some(last) = origin.steps.last_mut()
                && last.building.is_some()
                && last.building == building
                && span.start <= last.span.start
                && last.span.end <= span.end
            {
                last.span = span;
            } else if origin.steps.len() < MAX_STEPS
                && origin.steps.last().is_none_or(|s| s.span != span)
            {
                origin.steps.push(Step {
                    span,
                    note: note(),
                    building,
                });
            }
            if building.is_some() {
                origin.whole = false;
            }
        }
        self
    }

    /// `e.message` of a parameter `e`: what a caught error passed there becomes.
    fn reads(mut self, part: Option<ErrorPart>) -> Taint {
        for origin in &mut self.origins {
            if matches!(origin.from, From::Parameter { .. }) && !origin.member {
                origin.read = origin.read.or(part);
            }
        }
        self
    }

    /// A part of the value: `value.field`, `value[i]`, a destructured name.
    fn part(mut self) -> Taint {
        for origin in &mut self.origins {
            origin.member = true;
        }
        self
    }

    fn mask(mut self, keep: u64) -> Taint {
        for origin in &mut self.origins {
            origin.live &= keep;
        }
        self.origins.retain(|o| o.live != 0);
        self
    }
}

pub(super) struct Evaluator<'a> {
    pub semantics: &'a CodeSemantics,
    pub nodes: &'a NodeIndex<'a>,
    pub text: &'a str,
    pub spec: &'a TaintSpec,
    pub js: bool,
    /// Caught exceptions are origins too ([`From::Error`]).
    pub errors: bool,
    /// Every rule's bit and [`REQUEST`].
    all: u64,
    bindings: RefCell<HashMap<usize, Option<Taint>>>,
    summaries: RefCell<HashMap<usize, Option<Rc<Taint>>>>,
    depth: Cell<u32>,
}

impl<'a> Evaluator<'a> {
    pub(super) fn new(
        semantics: &'a CodeSemantics,
        nodes: &'a NodeIndex<'a>,
        text: &'a str,
        grammar: Grammar,
        spec: &'a TaintSpec,
    ) -> Evaluator<'a> {
        let rules = spec.rules().len().min(63);
        Evaluator {
            semantics,
            nodes,
            text,
            spec,
            js: grammar.is_javascript_family(),
            errors: false,
            all: REQUEST | ((1u64 << rules) - 1),
            bindings: RefCell::new(HashMap::new()),
            summaries: RefCell::new(HashMap::new()),
            depth: Cell::new(0),
        }
    }

    pub(super) fn text_of(&self, node: Node<'_>) -> &'a str {
        &self.text[node.byte_range()]
    }

    /// The first flow of request input into `node` whose origin keeps `bit`.
    pub(super) fn flow_into(&self, node: Node<'_>, bit: u64) -> Option<Flow> {
        self.eval(node)
            .origins
            .into_iter()
            .find_map(|o| match o.from {
                From::Request(source) if o.live & bit != 0 => Some(Flow {
                    source,
                    steps: o.steps,
                }),
                _ => None,
            })
    }

    /// Whether request input reaches `node` as a whole request container (`req.body`,
    /// `request.headers`), not a part of one; with the flow and the container's name.
    pub(super) fn container_into(&self, node: Node<'_>) -> Option<(Flow, &'a str)> {
        self.eval(node).origins.into_iter().find_map(|o| {
            let From::Request(source) = o.from else {
                return None;
            };
            let text = &self.text[source.start..source.end];
            let text = text.find('(').map_or(text, |call| &text[..call]);
            let member = text.rsplit('.').next()?;
            let container =
                o.live & REQUEST != 0 && !o.member && super::CONTAINERS.contains(&member);
            container.then_some((
                Flow {
                    source,
                    steps: o.steps,
                },
                member,
            ))
        })
    }

    /// The caught exceptions (or their parts) that reach `node`; a whole exception known
    /// only as an unnamed part of it (`describe(err)` reading some property) is left out.
    pub(super) fn errors_into(&self, node: Node<'_>) -> Vec<ErrorFlow> {
        self.eval(node)
            .origins
            .into_iter()
            .filter_map(|o| match o.from {
                From::Error {
                    span,
                    part,
                    broad,
                    inferred,
                } if part != ErrorPart::Whole || !o.member => Some(ErrorFlow {
                    source: span,
                    part,
                    broad,
                    inferred,
                    structured: o.structured,
                    steps: o.steps,
                }),
                _ => None,
            })
            .collect()
    }

    fn error(&self, at: Span, part: ErrorPart, caught: Caught) -> Taint {
        let from = From::Error {
            span: at,
            part,
            broad: caught.broad,
            inferred: caught.inferred,
        };
        self.origin(from, true)
    }

    /// A value with one origin, live for every rule, not yet passed through anything.
    fn origin(&self, from: From, whole: bool) -> Taint {
        Taint {
            origins: vec![Origin {
                from,
                live: self.all,
                whole,
                structured: false,
                member: false,
                read: None,
                steps: Vec::new(),
            }],
        }
    }

    /// `err.stack`, `err.message`, `e.args` of a caught exception `err`: the part it is;
    /// any other property (`err.code`, `err.status`) carries nothing. None when the object
    /// is no caught exception.
    fn error_member(&self, node: Node<'_>) -> Option<Taint> {
        let object = node.field("object")?;
        let property = node.field("property").or_else(|| node.field("attribute"))?;
        let caught =
            self.caught_identifier(object, error_part(self.text_of(property)).is_some())?;
        // `err.toString()`: the method's receiver is the whole error, read by `call`.
        if let Some(parent) = node.parent()
            && matches!(parent.kind_name(), "call_expression" | "call")
            && parent
                .field("function")
                .is_some_and(|f| f.id() == node.id())
        {
            return None;
        }
        Some(match error_part(self.text_of(property)) {
            Some(part) => self.error(span(node), part, caught),
            None => Taint::default(),
        })
    }

    /// Whether the identifier `node` names a caught exception, and if so how it was
    /// caught; `read` when a part of an error is read from it there (`x.message`).
    fn caught_identifier(&self, node: Node<'_>, read: bool) -> Option<Caught> {
        if node.kind_name() != "identifier" {
            return None;
        }
        let binding = self
            .semantics
            .binding_at(self.text_of(node), node.start_byte())?;
        super::errors::caught(self, binding, read)
    }

    /// What `node` carries.
    pub(super) fn eval(&self, node: Node<'_>) -> Taint {
        let depth = self.depth.get();
        if depth >= MAX_DEPTH {
            return Taint::default();
        }
        self.depth.set(depth + 1);
        let taint = self.eval_node(node);
        self.depth.set(depth);
        taint
    }

    fn request(&self, node: Node<'_>) -> Taint {
        self.request_at(span(node))
    }

    fn eval_node(&self, node: Node<'_>) -> Taint {
        match node.kind_name() {
            "identifier" | "shorthand_property_identifier" => {
                if self.errors
                    && let Some(caught) = self.caught_identifier(node, false)
                {
                    return self.error(span(node), ErrorPart::Whole, caught);
                }
                self.identifier(node)
            }
            "member_expression" | "attribute" | "subscript_expression" | "subscript" => {
                if self.errors
                    && let Some(taint) = self.error_member(node)
                {
                    return taint;
                }
                if self.request_source(node) {
                    return self.request(node);
                }
                let field = match node.kind_name() {
                    "subscript" => "value",
                    _ => "object",
                };
                let property = node.field("property").or_else(|| node.field("attribute"));
                if property.is_some_and(|p| self.text_of(p) == "length") {
                    return Taint::default();
                }
                let read = property
                    .filter(|_| self.errors)
                    .and_then(|p| error_part(self.text_of(p)));
                node.field(field)
                    .map(|object| self.eval(object).reads(read).part())
                    .unwrap_or_default()
            }
            "call_expression" | "call" | "new_expression" => self.call(node),
            "await_expression"
            | "await"
            | "parenthesized_expression"
            | "non_null_expression"
            | "as_expression"
            | "satisfies_expression"
            | "type_assertion"
            | "spread_element"
            | "list_splat"
            | "dictionary_splat"
            | "expression_statement" => node
                .named_child(0)
                .map(|inner| self.eval(inner))
                .unwrap_or_default(),
            "binary_expression" | "binary_operator" => self.binary(node),
            "boolean_operator" => self.all_children(node),
            // `ALLOWED.includes(x) ? x : fallback`: only the fallback can carry input.
            "ternary_expression" if self.allow_list_ternary(node) => node
                .field("alternative")
                .map(|n| self.eval(n))
                .unwrap_or_default(),
            "conditional_expression" if self.allow_list_ternary(node) => node
                .named_child(2)
                .map(|n| self.eval(n))
                .unwrap_or_default(),
            "ternary_expression" => ["consequence", "alternative"]
                .iter()
                .filter_map(|f| node.field(f))
                .fold(Taint::default(), |t, n| t.join(self.eval(n))),
            "conditional_expression" => [0, 2]
                .iter()
                .filter_map(|&i| node.named_child(i))
                .fold(Taint::default(), |t, n| t.join(self.eval(n))),
            "template_string" => {
                let mut taint = Taint::default();
                for part in elements(node) {
                    if part.kind_name() == "template_substitution"
                        && let Some(inner) = part.named_child(0)
                    {
                        taint = taint.join(self.eval(inner));
                    }
                }
                taint.step(
                    span(node),
                    || "a template literal".into(),
                    Some("a template literal"),
                )
            }
            "string" if !self.js => {
                let mut taint = Taint::default();
                for part in elements(node) {
                    if part.kind_name() == "interpolation"
                        && let Some(inner) = part.named_child(0)
                    {
                        taint = taint.join(self.eval(inner));
                    }
                }
                taint.step(span(node), || "an f-string".into(), Some("an f-string"))
            }
            "concatenated_string" => self.all_children(node),
            "object" | "array" | "list" | "tuple" | "set" | "dictionary" => {
                let mut taint = Taint::default();
                for element in elements(node) {
                    let value = match element.kind_name() {
                        "pair" => element.field("value"),
                        _ => Some(element),
                    };
                    if let Some(value) = value {
                        let inner = self.eval(value);
                        // A spread keeps the object whole: `{ ...req.body }` is the body.
                        taint = taint.join(
                            if matches!(element.kind_name(), "spread_element" | "dictionary_splat")
                            {
                                inner
                            } else {
                                inner.wrapped()
                            },
                        );
                    }
                }
                taint
            }
            "assignment_expression" | "augmented_assignment_expression" => node
                .field("right")
                .map(|right| self.eval(right))
                .unwrap_or_default(),
            "sequence_expression" => node
                .named_child((node.named_child_count() as u32).saturating_sub(1))
                .map(|last| self.eval(last))
                .unwrap_or_default(),
            _ => Taint::default(),
        }
    }

    fn all_children(&self, node: Node<'_>) -> Taint {
        elements(node)
            .into_iter()
            .fold(Taint::default(), |t, child| t.join(self.eval(child)))
    }

    fn binary(&self, node: Node<'_>) -> Taint {
        let Some(operator) = node.field("operator") else {
            return Taint::default();
        };
        let operator = self.text_of(operator);
        let (Some(left), Some(right)) = (node.field("left"), node.field("right")) else {
            return Taint::default();
        };
        let building = match operator {
            "+" => Some("concatenation"),
            "%" if !self.js => Some("`%` formatting"),
            "||" | "??" | "&&" => None,
            _ => return Taint::default(),
        };
        let taint = self.eval(left).join(self.eval(right));
        match building {
            Some(how) => taint.step(span(node), || how.into(), Some(how)),
            None => taint,
        }
    }

    fn identifier(&self, node: Node<'_>) -> Taint {
        let name = self.text_of(node);
        match self.semantics.binding_index_at(name, node.start_byte()) {
            Some(id) => self.binding(id),
            None => Taint::default(),
        }
    }

    /// What a binding holds, memoised; a binding whose evaluation is under way holds
    /// nothing (a cycle).
    fn binding(&self, id: usize) -> Taint {
        if let Some(known) = self.bindings.borrow().get(&id) {
            return known.clone().unwrap_or_default();
        }
        self.bindings.borrow_mut().insert(id, None);
        let taint = self.evaluate_binding(id);
        self.bindings.borrow_mut().insert(id, Some(taint.clone()));
        taint
    }

    fn evaluate_binding(&self, id: usize) -> Taint {
        let binding = &self.semantics.bindings()[id];
        match binding.kind {
            BindingKind::Parameter => {
                if self.parameter_source(binding) {
                    let mut taint = self.request_at(binding.span);
                    taint.origins[0].steps.clear();
                    taint.origins[0].whole = !self.typed_parameter(binding);
                    return taint;
                }
                if self.request_parameter(binding).is_some() {
                    return Taint::default();
                }
                match self.parameter_of(binding) {
                    Some((_, parameter)) => {
                        let crate::code::Scope::Function(function) = binding.scope else {
                            return Taint::default();
                        };
                        let from = From::Parameter {
                            function,
                            position: parameter.position,
                        };
                        self.origin(from, parameter.path.is_empty())
                    }
                    None => Taint::default(),
                }
            }
            BindingKind::Variable => {
                let Some(value) = binding.value.and_then(|v| self.nodes.node_at(v)) else {
                    return Taint::default();
                };
                let mut taint = match binding.path.first() {
                    // `const { body } = req`: a source property taken from the object.
                    Some(crate::code::PathStep::Property(property))
                        if self.destructures_source(value, property) =>
                    {
                        self.request_at(binding.span)
                    }
                    // `const { message, stack } = err` of a caught `err`.
                    Some(crate::code::PathStep::Property(property))
                        if self.errors && binding.path.len() == 1 =>
                    {
                        match self.caught_identifier(value, error_part(property).is_some()) {
                            Some(caught) => match error_part(property) {
                                Some(part) => self.error(binding.span, part, caught),
                                None => Taint::default(),
                            },
                            None => self.eval(value).part(),
                        }
                    }
                    _ if !binding.path.is_empty() => self.eval(value).part(),
                    _ => self.eval(value),
                };
                let earlier = || {
                    self.semantics
                        .binding_index_at(&binding.name, binding.span.start)
                        .filter(|&e| e != id)
                        .map(|e| self.binding(e))
                        .unwrap_or_default()
                };
                // `q += x`: the earlier value flows on through this statement.
                if binding.augmented {
                    taint = taint.join(earlier());
                }
                let name = binding.name.clone();
                let building = binding.augmented.then_some("concatenation");
                let taint = taint.step(binding.span, || format!("assigned to `{name}`"), building);
                // An assignment in a branch: the earlier value may be what later code sees.
                let has_earlier = || {
                    self.semantics
                        .binding_index_at(&binding.name, binding.span.start)
                        .is_some_and(|e| e != id)
                };
                if !binding.augmented
                    && has_earlier()
                    && self.conditional(binding.span, binding.visible)
                    && !self.replaces_invalid(&binding.name, value)
                {
                    return taint.join(earlier());
                }
                taint
            }
            _ => Taint::default(),
        }
    }

    fn request_at(&self, at: Span) -> Taint {
        self.origin(From::Request(at), true)
    }

    /// `value` is a request object and `property` one of its sources.
    fn destructures_source(&self, value: Node<'_>, property: &str) -> bool {
        self.request_object(value).is_some_and(|object| {
            super::sources::source_step(
                object,
                super::sources::ChainStep {
                    name: property,
                    call: false,
                },
            )
        })
    }

    /// A binding made inside a branch, loop or handler of its scope, where an earlier
    /// binding of the name may still be what later code sees.
    fn conditional(&self, at: Span, scope: Span) -> bool {
        let Some(mut node) = self.nodes.node_at(at) else {
            return false;
        };
        while let Some(parent) = self.nodes.parent(node) {
            if parent.start_byte() <= scope.start && scope.end <= parent.end_byte() {
                return false;
            }
            if matches!(
                parent.kind_name(),
                "if_statement"
                    | "else_clause"
                    | "elif_clause"
                    | "try_statement"
                    | "catch_clause"
                    | "except_clause"
                    | "switch_case"
                    | "for_statement"
                    | "for_in_statement"
                    | "while_statement"
                    | "do_statement"
                    | "ternary_expression"
                    | "conditional_expression"
                    | "boolean_operator"
                    | "match_statement"
            ) {
                return true;
            }
            if super::is_function(parent) {
                return false;
            }
            node = parent;
        }
        false
    }

    fn call(&self, node: Node<'_>) -> Taint {
        if self.request_source(node) {
            return self.request(node);
        }
        let call = self.semantics.call(span(node));
        let qualified = call.and_then(|c| c.qualified_name.as_deref());
        let callee = node.field("function").or_else(|| node.field("constructor"));
        let method = callee.and_then(|c| self.method_name(c));
        if qualified.is_some_and(|q| NUMBERS.contains(&q)) {
            return Taint::default();
        }
        if self.errors {
            // `traceback.format_exc()`: the handled exception's traceback, as text.
            if qualified.is_some_and(|q| super::errors::TRACEBACKS.contains(&q)) {
                let caught = Caught {
                    broad: true,
                    inferred: false,
                };
                return self.error(span(node), ErrorPart::Stack, caught);
            }
            // `ErrorOut(detail=str(e))`: a Python class built from the error (a response
            // model) holds it.
            let class = callee.is_some_and(|c| {
                c.kind_name() == "identifier"
                    && self
                        .text_of(c)
                        .starts_with(|f: char| f.is_ascii_uppercase())
            });
            if qualified == Some("repr") || (!self.js && class) {
                let arguments = node.field("arguments");
                return arguments.map(|a| self.arguments(a)).unwrap_or_default();
            }
        }
        let sanitized = self.sanitizes(qualified, method);
        let arguments = node.field("arguments");
        let argument_taint = || arguments.map(|a| self.arguments(a)).unwrap_or_default();
        let label = || {
            callee
                .map(|c| format!("through `{}()`", short(self.text_of(c))))
                .unwrap_or_default()
        };
        if sanitized != 0 {
            return argument_taint()
                .join(self.receiver(callee))
                .mask(!sanitized);
        }
        if let Some(local) = callee.and_then(|c| self.local_function(c)) {
            return self.through_summary(local, node, arguments);
        }
        if qualified.is_some_and(|q| PROPAGATORS.contains(&q)) {
            return argument_taint().step(span(node), label, None);
        }
        let Some(method) = method else {
            return Taint::default();
        };
        if NON_TEXT_METHODS.contains(&method) || qualified.is_some() && !self.js {
            // A module's function (`os.getenv`) is no method of a tainted value.
            return Taint::default();
        }
        let mut taint = self.receiver(callee);
        if ARGUMENT_METHODS.contains(&method) {
            let building = matches!(method, "format" | "format_map" | "concat" | "join").then_some(
                if method == "join" {
                    "`join()`"
                } else {
                    "`.format()`"
                },
            );
            taint = taint.join(argument_taint());
            if let Some(how) = building
                && !taint.is_empty()
            {
                return taint.step(span(node), || how.into(), Some(how));
            }
        }
        taint
    }

    /// The rules whose sanitizer a call with this qualified name or method name is.
    pub(super) fn sanitizes(&self, qualified: Option<&str>, method: Option<&str>) -> u64 {
        let by_name = qualified
            .and_then(|q| self.spec.index().sanitizers.get(q))
            .copied()
            .unwrap_or(0);
        let by_method = method
            .and_then(|m| self.spec.index().method_sanitizers.get(m))
            .copied()
            .unwrap_or(0);
        by_name | by_method
    }

    /// The object a method is called on: `x` of `x.trim()`.
    fn receiver(&self, callee: Option<Node<'_>>) -> Taint {
        callee
            .filter(|c| matches!(c.kind_name(), "member_expression" | "attribute"))
            .and_then(|c| c.field("object"))
            .map(|object| self.eval(object))
            .unwrap_or_default()
    }

    fn arguments(&self, arguments: Node<'_>) -> Taint {
        let mut taint = Taint::default();
        for argument in elements(arguments) {
            let value = match argument.kind_name() {
                "keyword_argument" => argument.field("value"),
                _ => Some(argument),
            };
            if let Some(value) = value {
                taint = taint.join(self.eval(value));
            }
        }
        taint
    }

    /// The member name of a method callee: `query` of `pool.query`.
    pub(super) fn method_name(&self, callee: Node<'_>) -> Option<&'a str> {
        let field = match callee.kind_name() {
            "member_expression" => "property",
            "attribute" => "attribute",
            _ => return None,
        };
        callee.field(field).map(|p| self.text_of(p))
    }

    /// The file's function a callee names: a function declared or assigned in scope
    /// (`build(q)`), or a method of the enclosing class (`this.build(q)`, `self.build(q)`).
    pub(super) fn local_function(&self, callee: Node<'_>) -> Option<usize> {
        let semantics = self.semantics;
        match callee.kind_name() {
            "identifier" => {
                let binding = semantics.binding_at(self.text_of(callee), callee.start_byte())?;
                match binding.kind {
                    BindingKind::Function => {
                        let index = semantics.enclosing_function_index(binding.span.start)?;
                        (semantics.functions()[index].name.as_deref()
                            == Some(binding.name.as_str()))
                        .then_some(index)
                    }
                    BindingKind::Variable if binding.path.is_empty() && !binding.augmented => {
                        semantics.function_with_span(binding.value?)
                    }
                    _ => None,
                }
            }
            "member_expression" | "attribute" => {
                let object = callee.field("object")?;
                if !matches!(self.text_of(object), "this" | "self") {
                    return None;
                }
                let name = self.method_name(callee)?;
                let here = semantics.enclosing_function(callee.start_byte())?;
                let class = here.class.or_else(|| {
                    // An arrow function inside a method sees the method's class.
                    let mut parent = here.parent;
                    while let Some(p) = parent {
                        let function = &semantics.functions()[p];
                        if function.class.is_some() {
                            return function.class;
                        }
                        parent = function.parent;
                    }
                    None
                })?;
                semantics
                    .functions()
                    .iter()
                    .position(|f| f.class == Some(class) && f.name.as_deref() == Some(name))
            }
            _ => None,
        }
    }

    /// A call of the file's function `function`: what its return value carries, with its
    /// parameters replaced by the call's arguments.
    fn through_summary(
        &self,
        function: usize,
        call: Node<'_>,
        arguments: Option<Node<'_>>,
    ) -> Taint {
        let Some(summary) = self.summary(function) else {
            return Taint::default();
        };
        let name = self.semantics.functions()[function]
            .name
            .clone()
            .unwrap_or_else(|| "function".into());
        let mut taint = Taint::default();
        for origin in &summary.origins {
            match origin.from {
                From::Parameter {
                    function: f,
                    position,
                } if f == function => {
                    let Some(argument) = arguments.and_then(|a| self.positional(a, position))
                    else {
                        continue;
                    };
                    let mut passed = self.eval(argument).mask(origin.live);
                    for o in &mut passed.origins {
                        o.whole &= origin.whole;
                        o.structured |= origin.structured;
                        match (&mut o.from, origin.read) {
                            // `describe(err)` returning `e.message`: the error's message.
                            (
                                From::Error {
                                    part: part @ ErrorPart::Whole,
                                    ..
                                },
                                Some(read),
                            ) if !o.member => *part = read,
                            (From::Parameter { .. }, Some(read)) if !o.member => {
                                o.read = o.read.or(Some(read));
                                o.member = true;
                            }
                            _ => o.member |= origin.member,
                        }
                        o.steps.push(Step {
                            span: span(call),
                            note: format!("through `{name}()`"),
                            building: None,
                        });
                        o.steps.extend(origin.steps.iter().cloned());
                        o.steps.truncate(MAX_STEPS);
                    }
                    taint = taint.join(passed);
                }
                _ => {
                    taint = taint.join(Taint {
                        origins: vec![origin.clone()],
                    })
                }
            }
        }
        taint
    }

    /// The positional argument at `position` (keyword arguments not counted).
    pub(super) fn positional<'t>(&self, arguments: Node<'t>, position: usize) -> Option<Node<'t>> {
        elements(arguments)
            .into_iter()
            .filter(|a| a.kind_name() != "keyword_argument")
            .nth(position)
    }

    /// What a function returns, in terms of its parameters; None while it is being
    /// summarised (recursion).
    fn summary(&self, function: usize) -> Option<Rc<Taint>> {
        if let Some(known) = self.summaries.borrow().get(&function) {
            return known.clone();
        }
        self.summaries.borrow_mut().insert(function, None);
        let body = self.semantics.functions()[function].body;
        let mut taint = Taint::default();
        if let Some(body) = self.nodes.node_at(body) {
            // A Python body of one statement has that statement's range: the node found
            // is the statement (`return e.args[0]`), not the block.
            if !self.js || body.kind_name() == "statement_block" {
                for returned in self.returns(function, body) {
                    taint = taint.join(self.eval(returned));
                }
            } else {
                taint = self.eval(body);
            }
        }
        let summary = Rc::new(taint);
        self.summaries
            .borrow_mut()
            .insert(function, Some(summary.clone()));
        Some(summary)
    }

    /// The returned expressions of `function` (not of functions inside it).
    fn returns<'t>(&self, function: usize, body: Node<'t>) -> Vec<Node<'t>> {
        let mut found = Vec::new();
        let mut cursor = body.walk();
        let mut visit = vec![body];
        while let Some(node) = visit.pop() {
            if node.kind_name() == "return_statement" {
                if self.semantics.enclosing_function_index(node.start_byte()) == Some(function)
                    && let Some(value) = node.named_child(0)
                {
                    found.push(value);
                }
                continue;
            }
            for child in node.named_children(&mut cursor) {
                visit.push(child);
            }
        }
        found
    }
}

/// The part of a caught exception a property reads: its stack trace, its message (JS
/// `message`, Python `args` and the `message` some classes set), or nothing worth telling.
fn error_part(property: &str) -> Option<ErrorPart> {
    match property {
        "stack" | "__traceback__" => Some(ErrorPart::Stack),
        "message" | "args" => Some(ErrorPart::Message),
        _ => None,
    }
}

/// A callee as steps name it: its first line, at most 40 characters.
fn short(text: &str) -> String {
    let line = text.lines().next().unwrap_or("");
    if line.chars().count() > 40 {
        format!("{}…", line.chars().take(39).collect::<String>())
    } else {
        line.to_string()
    }
}
