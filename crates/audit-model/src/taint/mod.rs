//! Data flow within a file: which values come from request input, through which steps, to
//! which sink; sanitizers stop the flow. The sinks and sanitizers are data (each taint
//! rule's `[taint]` table), the sources are the frameworks' request objects and handler
//! parameters ([`sources`]). Evaluation runs backwards from the sinks' arguments, on
//! demand, memoised per binding and per function, so a file without a sink costs nothing
//! and one walk answers every taint rule at once: an origin carries a bit per rule, and a
//! sanitizer clears the bits of the rules it protects.
//!
//! Calls to functions of the same file go through a summary (which parameters reach the
//! return value), and a parameter that reaches a sink inside its function is followed back
//! to every call of that function in the file.

mod errors;
mod eval;
mod guards;
mod shape;
mod sinks;
mod sources;

use std::collections::HashMap;
use std::sync::OnceLock;

use audit_core::Span;
use audit_syntax::Grammar;
use audit_syntax::tree_sitter::Node;

use crate::code::CodeSemantics;
use crate::code::nodes::{KindName, NodeIndex};
use eval::Evaluator;

pub use shape::Shape;

/// Text that any request source needs in a file: the request objects' names as code
/// uses them, NestJS input decorators, route decorators' path arguments. A file with
/// none of these (and no non-literal trigger of an enabled rule) has no tainted sink.
/// `require(` must not count, so bare `req` is not one.
pub const SOURCE_ANCHORS: &[&str] = &[
    "req.",
    "req,",
    "req)",
    "req;",
    "req\n",
    "req ",
    "request",
    "ctx.",
    "ctx)",
    "ctx,",
    "event.",
    "event[",
    "@Body",
    "@Query",
    "@Param",
    "@Headers",
    "@Cookies",
    "@Req",
    "@UploadedFile",
    "(\"/",
    "('/",
    "(\"\"",
    "(''",
];

/// SQL keywords whose presence lets a `nonliteral = "sql"` sink report built SQL text.
pub const SQL_ANCHORS: &[&str] = &[
    "SELECT", "INSERT", "UPDATE", "DELETE", "MERGE", "select ", "insert ", "update ", "delete ",
];

/// The request members that hold a whole container of input (a body, the headers, the
/// cookies), for [`DataFlow::request_container`].
const CONTAINERS: &[&str] = &[
    "body", "headers", "header", "cookies", "form", "json", "data", "get_json", "POST", "META",
    "COOKIES", "files",
];

/// Node kinds that start a function: walks up from an expression stop there.
fn is_function(node: Node<'_>) -> bool {
    matches!(
        node.kind_name(),
        "function_declaration"
            | "function_expression"
            | "arrow_function"
            | "method_definition"
            | "function_definition"
    )
}

/// The bit every source sets and only the universal sanitizers (numbers) clear: what
/// [`DataFlow::request_input`] reads, for Rust checks that ask whether request input
/// reaches an argument whatever the taint rules say.
const REQUEST: u64 = 1 << 63;

/// The sinks and sanitizers of every enabled taint rule; rule `i` is bit `i`.
#[derive(Debug, Default)]
pub struct TaintSpec {
    rules: Vec<TaintRule>,
    /// The sinks and sanitizers by name, built once for the whole scan on first use.
    index: OnceLock<SpecIndex>,
}

impl TaintSpec {
    /// No taint rules (for statics).
    pub const fn empty() -> TaintSpec {
        TaintSpec {
            rules: Vec::new(),
            index: OnceLock::new(),
        }
    }

    /// At most 63 rules count: bit 63 is [`REQUEST`].
    pub fn new(rules: Vec<TaintRule>) -> TaintSpec {
        TaintSpec {
            rules,
            index: OnceLock::new(),
        }
    }

    pub fn rules(&self) -> &[TaintRule] {
        &self.rules
    }

    fn index(&self) -> &SpecIndex {
        self.index.get_or_init(|| SpecIndex::new(&self.rules))
    }
}

/// `(rule, sink)` positions by what finds them, per language family (JavaScript 0,
/// Python 1), and each sanitizer's rule bits.
#[derive(Clone, Debug, Default)]
struct SpecIndex {
    functions: [HashMap<String, Vec<(usize, usize)>>; 2],
    methods: [HashMap<String, Vec<(usize, usize)>>; 2],
    constructors: [Vec<(usize, usize)>; 2],
    sanitizers: HashMap<String, u64>,
    method_sanitizers: HashMap<String, u64>,
}

impl SpecIndex {
    fn new(rules: &[TaintRule]) -> SpecIndex {
        let mut index = SpecIndex::default();
        for (rule, spec) in rules.iter().enumerate().take(63) {
            for (at, sink) in spec.sinks.iter().enumerate() {
                for family in 0..2 {
                    if sink.javascript.is_some_and(|js| js != (family == 0)) {
                        continue;
                    }
                    for function in &sink.functions {
                        index.functions[family]
                            .entry(function.clone())
                            .or_default()
                            .push((rule, at));
                    }
                    for method in &sink.methods {
                        index.methods[family]
                            .entry(method.clone())
                            .or_default()
                            .push((rule, at));
                    }
                    if sink.any_constructor {
                        index.constructors[family].push((rule, at));
                    }
                }
            }
            for sanitizer in &spec.sanitizers {
                let entry = match sanitizer.strip_prefix('.') {
                    Some(method) => index.method_sanitizers.entry(method.to_owned()),
                    None => index.sanitizers.entry(sanitizer.clone()),
                };
                *entry.or_default() |= 1 << rule;
            }
        }
        index
    }
}

#[derive(Clone, Debug, Default)]
pub struct TaintRule {
    pub sinks: Vec<Sink>,
    /// Calls that make a value safe for this rule: qualified names (`html.escape`,
    /// `escape-html` for the module's default export) or, starting with `.`, a method
    /// name on any receiver (`.escape`).
    pub sanitizers: Vec<String>,
}

/// A call whose argument must not carry request input.
#[derive(Clone, Debug, Default)]
pub struct Sink {
    /// Qualified names (`child_process.exec`, `eval`, `RegExp` also for `new RegExp`).
    pub functions: Vec<String>,
    /// The called member's name on any receiver (`query` of `pool.query`).
    pub methods: Vec<String>,
    /// Positional arguments that matter (0-based); None means every one.
    pub arguments: Option<Vec<usize>>,
    /// Python keyword arguments that matter.
    pub keywords: Vec<String>,
    /// Python `**value`: the unpacked mapping matters.
    pub unpacked: bool,
    /// The value must be the request input itself (`find(req.body)`), not a literal built
    /// around part of it (`find({ name: req.body.name })`).
    pub whole: bool,
    /// Only the value of this key of an object argument matters (`$where`).
    pub property: Option<String>,
    /// The argument is a URL: a literal start that fixes scheme and host, or a relative
    /// path, makes it safe.
    pub url: bool,
    /// What to report, at medium confidence, when no request input is shown to reach it.
    pub nonliteral: NonLiteral,
    /// The argument must read as SQL (literal text that starts like a statement) for any
    /// finding: for method names too common to watch otherwise (`exec`, `literal`).
    pub sql: bool,
    /// The argument is sent as text: input inside an object or array literal, or a whole
    /// parsed container (`req.body`, `request.GET`), is serialised, not sent as markup.
    pub text: bool,
    /// Also any class instantiated with the value: JS `new C(...)`, Python `C(...)` with
    /// a capitalised name (not the language's own classes).
    pub any_constructor: bool,
    /// An object argument with this key makes the call safe (`sendFile(p, { root })`).
    pub safe_with_option: Option<String>,
    /// The value must be a request body, whole (`req.body`, `request.data`,
    /// `req.body.user`): what an ORM write would take as a set of fields.
    pub body: bool,
    /// For `methods`: the receiver's first name must be one of these (`res`, `reply`).
    pub receivers: Vec<String>,
    /// A literal object as the first argument (`Object.assign({}, body)`) makes a copy,
    /// not a write into a model.
    pub fresh_target_ok: bool,
    /// For `methods`: a receiver whose text holds one of these is another API
    /// (`createHash(...).update(body)` is no model write).
    pub receiver_not: Vec<String>,
    /// `Some(true)`: JavaScript/TypeScript only; `Some(false)`: Python only.
    pub javascript: Option<bool>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum NonLiteral {
    /// Nothing: only request input is reported.
    #[default]
    Never,
    /// Any value that is not a literal.
    Any,
    /// Text built by concatenation, a template, an f-string, `%` or `.format()` with a
    /// non-literal part.
    Building,
    /// [`NonLiteral::Building`] whose literal text starts like SQL.
    Sql,
}

/// What reaches a sink: request input with its steps, or an unproven non-literal value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hit {
    /// Index into [`TaintSpec::rules`].
    pub rule: usize,
    /// The whole sink call.
    pub call: Span,
    /// The callee of the sink call.
    pub callee: Span,
    /// The argument (or property value) that carries the value.
    pub argument: Span,
    pub kind: HitKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HitKind {
    Tainted(Flow),
    /// Not shown to be request input, but not a literal either.
    NonLiteral {
        building: Option<&'static str>,
    },
}

/// Request input and the steps it takes: the source first, then each assignment, string
/// building and call it goes through, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flow {
    /// The source expression: `req.query.q`, `request.args`, a decorated parameter.
    pub source: Span,
    pub steps: Vec<Step>,
}

impl Flow {
    /// The first string-building step (`a template literal`, `an f-string`), for messages
    /// that say how the value was made.
    pub fn building(&self) -> Option<&'static str> {
        self.steps.iter().find_map(|s| s.building)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub span: Span,
    pub note: String,
    /// Set when this step builds text: `a template literal`, `concatenation`.
    pub building: Option<&'static str>,
}

/// The data-flow model of one file, evaluated on demand.
pub struct DataFlow<'a> {
    evaluator: Evaluator<'a>,
}

impl<'a> DataFlow<'a> {
    pub fn new(
        semantics: &'a CodeSemantics,
        nodes: &'a NodeIndex<'a>,
        text: &'a str,
        grammar: Grammar,
        spec: &'a TaintSpec,
    ) -> DataFlow<'a> {
        DataFlow {
            evaluator: Evaluator::new(semantics, nodes, text, grammar, spec),
        }
    }

    /// Every sink of the spec's rules in the file that request input reaches (through
    /// calls of the file's functions too), or that its rule reports as a non-literal.
    pub fn hits(&self) -> Vec<Hit> {
        sinks::hits(&self.evaluator)
    }

    /// The flow of request input into `node`, if any reaches it unsanitised by the
    /// universal sanitizers (numbers): for Rust checks that raise their confidence when
    /// the value is proven to come from a request.
    pub fn request_input(&self, node: Node<'_>) -> Option<Flow> {
        self.evaluator.flow_into(node, REQUEST)
    }

    /// `node` is a constant: a literal, or made only of literals through the file's
    /// bindings (`const cmd = windows ? "cmd" : "npm"`, `["run", "setup"]`).
    pub fn constant(&self, node: Node<'_>) -> bool {
        matches!(self.evaluator.shape(node, 0, 0), shape::Shape::Literal(_))
    }
}

/// What part of a caught exception a value holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorPart {
    /// The exception itself: serialised, stringified (`String(err)`, `str(e)`, `f"{e}"`).
    Whole,
    /// Its message (`err.message`, `e.args`).
    Message,
    /// Its stack trace (`err.stack`, `traceback.format_exc()`).
    Stack,
}

/// A caught exception (or a part of it) reaching an expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErrorFlow {
    /// Where it is read: `err`, `err.stack`, `traceback.format_exc()`.
    pub source: Span,
    pub part: ErrorPart,
    /// Its handler catches any error (a JS `catch`, `except Exception`, an error
    /// middleware), not one class the code chose to handle.
    pub broad: bool,
    /// Only the error-first callback convention says it is an error (`(e, rows) =>`, a
    /// first parameter tested with `if (x)`), not its name `err`/`error` or a `catch`.
    pub inferred: bool,
    /// It sits inside an object or array literal.
    pub structured: bool,
    pub steps: Vec<Step>,
}

impl<'a> DataFlow<'a> {
    /// The data flow of a file whose origins are caught exceptions: the `catch (err)`
    /// binding, Python's `except E as e`, an Express error middleware's first parameter,
    /// a Flask `errorhandler`'s and a FastAPI `exception_handler`'s exception, and
    /// `traceback.format_exc()`. Request input is followed as usual but not asked for.
    pub fn errors(
        semantics: &'a CodeSemantics,
        nodes: &'a NodeIndex<'a>,
        text: &'a str,
        grammar: Grammar,
    ) -> DataFlow<'a> {
        static NO_RULES: TaintSpec = TaintSpec::empty();
        let mut evaluator = Evaluator::new(semantics, nodes, text, grammar, &NO_RULES);
        evaluator.errors = true;
        DataFlow { evaluator }
    }

    /// The caught exceptions that reach `node`, for a [`DataFlow::errors`] model.
    pub fn caught_errors(&self, node: Node<'_>) -> Vec<ErrorFlow> {
        self.evaluator.errors_into(node)
    }

    /// The flow of a whole request container (`req.body`, `req.headers`, `request.data`,
    /// `request.META`) into `node`, not one of its fields, with the container's name.
    pub fn request_container(&self, node: Node<'_>) -> Option<(Flow, &'a str)> {
        self.evaluator.container_into(node)
    }
}

#[cfg(test)]
mod tests;
