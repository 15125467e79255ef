//! Code semantics of one JavaScript/TypeScript or Python file: imports, functions, classes,
//! bindings, every call, and the qualified name of any callee, so rules match
//! `child_process.exec` or `subprocess.run` whatever the file called them. Built in one pass
//! over the tree; holds byte ranges and small strings, never nodes, so the tree can be
//! dropped.

mod builder;
mod javascript;
mod kinds;
pub mod nodes;
mod python;
mod scope;

use audit_core::Span;
use audit_syntax::Grammar;
use audit_syntax::tree_sitter::{Node, Tree};

use kinds::{Field, Kind, Source, Tables};
use nodes::NodeIndex;
use scope::{BindingTable, Functions};

/// What one file's code means: built by [`CodeSemantics::build`], read by every rule.
#[derive(Debug)]
pub struct CodeSemantics {
    grammar: Grammar,
    tables: &'static Tables,
    imports: Vec<Import>,
    functions: Functions,
    classes: Vec<Class>,
    bindings: BindingTable,
    calls: Vec<Call>,
}

/// One imported name (or module) and where it was imported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Import {
    /// The module as written, `node:` dropped: `child_process`, `os.path`, `.mod`, `..`.
    pub module: String,
    /// The member imported (`exec` in `import { exec } from "child_process"`, `run` in
    /// `from subprocess import run`); None when the whole module or its default is imported.
    pub name: Option<String>,
    /// The local name bound, None when the import binds nothing (`import "m"`, `import *`,
    /// `require("m")` used inline).
    pub local: Option<String>,
    pub kind: ImportKind,
    /// The specifier (`a as b`, the destructured property, the dotted name), or the whole
    /// statement or call when there is none.
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ImportKind {
    /// The module object: `import * as ns`, `import m = require()`, `const m = require()`,
    /// `await import()`, Python `import a.b [as c]`.
    Module,
    /// JS `import x from "m"`; qualified names treat it as the module itself.
    Default,
    /// One member: `import { a }`, `const { a } = require()`, `require().a`, `from m import a`.
    Member,
    /// Python `from m import *`.
    Wildcard,
    /// Binds nothing: `import "m"`, `require("m").exec()` inline, a bare `import("m")`.
    Unbound,
}

/// A call, or a JS `new` expression, with its callee resolved: rules iterate these instead
/// of walking the tree, and look a node up (`descendant_for_byte_range`) only where they
/// need its shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    /// The whole call: `cp.exec(cmd)`, `new https.Agent({})`.
    pub span: Span,
    /// The callee as written: `cp.exec`, `run`, `require("child_process").exec`.
    pub callee: Span,
    /// The callee resolved through imports, as [`CodeSemantics::qualified_name`] gives it:
    /// `child_process.exec`, `subprocess.run`, `eval`; None for a local value.
    pub qualified_name: Option<String>,
    /// The argument list with its parentheses (the template of a JS tagged template);
    /// None for `new C` without them.
    pub arguments: Option<Span>,
    /// JS `new C(...)`.
    pub new: bool,
    /// Python keyword arguments in source order (`**kwargs` is none); empty for JS.
    pub keywords: Vec<Keyword>,
}

/// A Python keyword argument: `shell=True`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Keyword {
    pub name: String,
    /// `name=value`.
    pub span: Span,
    pub value: Span,
}

impl Call {
    /// The keyword argument `name`, the last one when repeated.
    pub fn keyword(&self, name: &str) -> Option<&Keyword> {
        self.keywords.iter().rev().find(|k| k.name == name)
    }
}

/// A function, method, arrow function or lambda.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Function {
    /// Its own name, else the variable, property or field it is assigned to.
    pub name: Option<String>,
    pub kind: FunctionKind,
    pub is_async: bool,
    pub parameters: Vec<Parameter>,
    /// Python decorators and TypeScript/JS method decorators, in source order (outermost
    /// first).
    pub decorators: Vec<Decorator>,
    /// The class (index into [`CodeSemantics::classes`]) a method is defined directly in.
    pub class: Option<usize>,
    /// The enclosing function (index into [`CodeSemantics::functions`]).
    pub parent: Option<usize>,
    /// The block, or the expression of an expression-bodied arrow function or lambda.
    pub body: Span,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FunctionKind {
    /// JS `function f() {}`, Python `def` outside a class body.
    Declaration,
    /// JS `function () {}` used as a value.
    Expression,
    Arrow,
    /// JS class and object methods (getters and setters too), Python `def` in a class body.
    Method,
    Lambda,
}

/// One name a parameter binds; a destructured parameter gives several, sharing `position`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parameter {
    pub name: String,
    /// The bound identifier.
    pub span: Span,
    /// Index among the declared parameters (`*`, `/` and TS `this` do not count).
    pub position: usize,
    pub kind: ParameterKind,
    /// Where in the argument the name is found: `[Property("body")]` for `({ body }) =>`.
    pub path: Vec<PathStep>,
    pub default: Option<Span>,
    /// The type as written, without its `:`.
    pub annotation: Option<Span>,
    /// TypeScript parameter decorators (`@Body() dto`).
    pub decorators: Vec<Decorator>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ParameterKind {
    Positional,
    /// Python parameters after `*` or `*args`.
    KeywordOnly,
    /// JS `...rest`, Python `*args`.
    Rest,
    /// Python `**kwargs`.
    Keywords,
}

/// A decorator: `@app.route("/x")` is named `app.route` with arguments `("/x")`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decorator {
    /// The callee as written, without arguments.
    pub name: String,
    /// Resolved through imports (`django.views.decorators.csrf.csrf_exempt`); None when the
    /// callee is a local value such as a Flask `app`.
    pub qualified_name: Option<String>,
    pub arguments: Option<Span>,
    /// The expression after `@`.
    pub span: Span,
}

/// A class, for the decorators and methods rules look at together (NestJS controllers).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Class {
    pub name: Option<String>,
    pub decorators: Vec<Decorator>,
    /// The function the class is defined in.
    pub function: Option<usize>,
    pub body: Span,
    pub span: Span,
}

/// One binding of a name: a declaration, an assignment, a parameter, an import.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Binding {
    pub name: String,
    pub kind: BindingKind,
    pub scope: Scope,
    /// The bound identifier.
    pub span: Span,
    /// Where the name refers to this binding's scope: the block of a JS `let`, the function
    /// of a `var` or a Python local, a comprehension, the whole file.
    pub visible: Span,
    /// The expression assigned: the right side, the iterable of a `for`, the context
    /// manager of a `with`; None for parameters, functions, classes and imports.
    pub value: Option<Span>,
    /// Where in `value` the name's value is: `[Property("a"), Index(0)]` for
    /// `const { a: [x] } = value`; `[Element]` for a loop variable.
    pub path: Vec<PathStep>,
    /// `x += value`: the old value flows on.
    pub augmented: bool,
    /// What the binding names when it is an import or an alias of one: `child_process.exec`
    /// for `const { exec } = require("child_process")`, `subprocess` for `sp = subprocess`.
    pub qualified_name: Option<String>,
    /// The function whose execution makes the binding (a class body runs in its function).
    function: Option<usize>,
    /// Byte from which the binding holds: after its statement, at the start of a parameter's
    /// function or of a comprehension.
    effective: usize,
    /// The name is bound throughout the scope (JS declarations, Python function locals), so a
    /// use before the binding still refers to it.
    hoisted: bool,
    /// Made in a `catch`/`except` handler and naming nothing (`yaml = None` after a failed
    /// `import yaml`): qualified names look past it to the binding the `try` made.
    fallback: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BindingKind {
    Import,
    Parameter,
    Function,
    Class,
    Variable,
}

/// The scope a binding belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    Module,
    /// Index into [`CodeSemantics::functions`].
    Function(usize),
    /// Index into [`CodeSemantics::classes`] (Python class bodies).
    Class(usize),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PathStep {
    /// `{ a }`, `{ a: x }`.
    Property(String),
    /// `[a, b]`, `a, b = ...`.
    Index(usize),
    /// `...rest`, `*rest`: the remaining properties or elements.
    Rest,
    /// An element of the iterable: `for (x of xs)`, `for x in xs`.
    Element,
    /// A key of the object: JS `for (k in obj)`.
    Key,
}

/// A name or member chain found in an expression: `cp.exec` is `Name("cp")` + `["exec"]`.
#[derive(Clone, Debug)]
struct Reference<'t> {
    head: Head<'t>,
    tail: Vec<&'t str>,
}

#[derive(Clone, Copy, Debug)]
enum Head<'t> {
    /// An identifier used at byte `at`.
    Name { name: &'t str, at: usize },
    /// A module loaded in place: `require("m")`, `(await import("m"))`, `__import__("m")`.
    Module(&'t str),
}

impl CodeSemantics {
    /// Builds the model of `tree`, parsed from `text` with `grammar`, in one pass.
    pub fn build(tree: &Tree, text: &str, grammar: Grammar) -> CodeSemantics {
        builder::build(tree, text, grammar).0
    }

    /// [`CodeSemantics::build`], with the index of the nodes the pass visited, for
    /// readers that go back from the model's spans to nodes.
    pub fn build_indexed<'t>(
        tree: &'t Tree,
        text: &'t str,
        grammar: Grammar,
    ) -> (CodeSemantics, NodeIndex<'t>) {
        builder::build(tree, text, grammar)
    }

    pub fn grammar(&self) -> Grammar {
        self.grammar
    }

    /// The qualified name of an identifier, member chain or call (its callee):
    /// `child_process.exec`, `subprocess.run`, `os.path.join`, or a global/builtin by its
    /// plain name (`eval`, `fetch`, `open`). None when the chain starts at a local value,
    /// `this`, a call result or a name bound nowhere.
    pub fn qualified_name(&self, node: Node, text: &str) -> Option<String> {
        let s = Source {
            tables: self.tables,
            text,
        };
        let node = match s.kind(node) {
            Kind::CallExpression | Kind::Call => s.child(node, Field::Function)?,
            _ => node,
        };
        let reference = if self.grammar.is_javascript_family() {
            javascript::reference(s, node)?
        } else {
            python::reference(s, node)?
        };
        self.resolve(&reference, &[])
    }

    pub fn imports(&self) -> &[Import] {
        &self.imports
    }

    /// Every function in source order (a function comes before the functions inside it).
    pub fn functions(&self) -> &[Function] {
        &self.functions.list
    }

    pub fn classes(&self) -> &[Class] {
        &self.classes
    }

    /// The innermost function whose span contains `byte`.
    pub fn enclosing_function(&self, byte: usize) -> Option<&Function> {
        self.functions
            .innermost(byte)
            .map(|i| &self.functions.list[i])
    }

    /// The index of the function whose span is exactly `span` (a handler passed inline,
    /// the value of a binding): a binary search, functions being in source order.
    pub fn function_with_span(&self, span: Span) -> Option<usize> {
        let list = &self.functions.list;
        let first = list.partition_point(|f| f.span.start < span.start);
        (first..list.len())
            .take_while(|&i| list[i].span.start == span.start)
            .find(|&i| list[i].span == span)
    }

    /// The index of [`CodeSemantics::enclosing_function`] in [`CodeSemantics::functions`].
    pub fn enclosing_function_index(&self, byte: usize) -> Option<usize> {
        self.functions.innermost(byte)
    }

    /// Every call and JS `new` expression, in source order (by start; a call before the
    /// calls that start where it does, `a.b()` after `a.b().c()`).
    pub fn calls(&self) -> &[Call] {
        &self.calls
    }

    /// The calls that start inside `span` (a function's body, an argument), in source
    /// order: found by binary search, not by scanning every call of the file.
    pub fn calls_in(&self, span: Span) -> &[Call] {
        let first = self.calls.partition_point(|c| c.span.start < span.start);
        let end = self.calls.partition_point(|c| c.span.start < span.end);
        &self.calls[first..end.max(first)]
    }

    /// The call whose span is exactly `span`: the value of a binding, an argument.
    pub fn call(&self, span: Span) -> Option<&Call> {
        let first = self.calls.partition_point(|c| c.span.start < span.start);
        self.calls[first..]
            .iter()
            .take_while(|c| c.span.start == span.start)
            .find(|c| c.span.end == span.end)
    }

    /// Every binding in source order.
    pub fn bindings(&self) -> &[Binding] {
        &self.bindings.list
    }

    /// The binding `name` used at `byte` refers to: the innermost scope that binds it, and in
    /// it the last binding before `byte` (else the first, when the name is bound throughout
    /// the scope or the use runs later, inside a nested function).
    pub fn binding_at(&self, name: &str, byte: usize) -> Option<&Binding> {
        self.bindings
            .lookup(name, byte, &self.functions, false)
            .map(|i| &self.bindings.list[i])
    }

    /// [`CodeSemantics::binding_at`] as an index into [`CodeSemantics::bindings`], for
    /// readers that keep facts per binding.
    pub fn binding_index_at(&self, name: &str, byte: usize) -> Option<usize> {
        self.bindings.lookup(name, byte, &self.functions, false)
    }

    /// Resolves a reference, with `path` (a destructuring path) appended to its tail.
    fn resolve(&self, reference: &Reference, path: &[PathStep]) -> Option<String> {
        let (base, tail) = match reference.head {
            Head::Module(module) => (module, &reference.tail[..]),
            Head::Name { name, at } => {
                match self.bindings.lookup(name, at, &self.functions, true) {
                    Some(id) => (
                        self.bindings.list[id].qualified_name.as_deref()?,
                        &reference.tail[..],
                    ),
                    None => self.global(name, &reference.tail)?,
                }
            }
        };
        let mut qualified = String::with_capacity(64);
        qualified.push_str(base);
        for segment in tail {
            qualified.push('.');
            qualified.push_str(segment);
        }
        for step in path {
            match step {
                PathStep::Property(property) => {
                    qualified.push('.');
                    qualified.push_str(property);
                }
                PathStep::Rest => {}
                PathStep::Index(_) | PathStep::Element | PathStep::Key => return None,
            }
        }
        if let Some(builtin) = qualified.strip_prefix("builtins.")
            && self.grammar == Grammar::Python
        {
            qualified = builtin.to_owned();
        }
        Some(qualified)
    }

    /// An unbound name that is a global or builtin; JS `globalThis.x`/`window.x` is `x`.
    fn global<'r, 't>(
        &self,
        name: &'t str,
        tail: &'r [&'t str],
    ) -> Option<(&'t str, &'r [&'t str])> {
        if self.grammar == Grammar::Python {
            return python::is_builtin(name).then_some((name, tail));
        }
        match tail.split_first() {
            Some((first, rest)) if javascript::is_global_object(name) => Some((first, rest)),
            _ => javascript::is_global(name).then_some((name, tail)),
        }
    }
}

#[cfg(test)]
mod tests;
