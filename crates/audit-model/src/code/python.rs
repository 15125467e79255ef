//! Python: imports, `def`/`lambda`/`class` with decorators, assignments and the other
//! binding forms (`for`, `with ... as`, `except ... as`, `:=`, comprehensions), `global` and
//! `nonlocal`.

use audit_syntax::tree_sitter::Node;

use super::builder::{
    Builder, FrameKind, PendingDecorator, Place, member_of, named_children, span,
};
use super::kinds::{Field, Kind, Source};
use super::{
    BindingKind, Call, Class, FunctionKind, Head, Import, ImportKind, Keyword, Parameter,
    ParameterKind, PathStep, Reference,
};
use crate::code::nodes::KindName;

/// Python 3 builtins (functions, constants, exceptions, module globals): an unbound use is
/// qualified by its plain name.
#[rustfmt::skip]
const BUILTINS: &[&str] = &[
    "ArithmeticError", "AssertionError", "AttributeError", "BaseException",
    "BaseExceptionGroup", "BlockingIOError", "BrokenPipeError", "BufferError", "BytesWarning",
    "ChildProcessError", "ConnectionAbortedError", "ConnectionError", "ConnectionRefusedError",
    "ConnectionResetError", "DeprecationWarning", "EOFError", "Ellipsis", "EncodingWarning",
    "EnvironmentError", "Exception", "ExceptionGroup", "FileExistsError", "FileNotFoundError",
    "FloatingPointError", "FutureWarning", "GeneratorExit", "IOError", "ImportError",
    "ImportWarning", "IndentationError", "IndexError", "InterruptedError", "IsADirectoryError",
    "KeyError", "KeyboardInterrupt", "LookupError", "MemoryError", "ModuleNotFoundError",
    "NameError", "NotADirectoryError", "NotImplemented", "NotImplementedError", "OSError",
    "OverflowError", "PendingDeprecationWarning", "PermissionError", "ProcessLookupError",
    "RecursionError", "ReferenceError", "ResourceWarning", "RuntimeError", "RuntimeWarning",
    "StopAsyncIteration", "StopIteration", "SyntaxError", "SyntaxWarning", "SystemError",
    "SystemExit", "TabError", "TimeoutError", "TypeError", "UnboundLocalError",
    "UnicodeDecodeError", "UnicodeEncodeError", "UnicodeError", "UnicodeTranslateError",
    "UnicodeWarning", "UserWarning", "ValueError", "Warning", "ZeroDivisionError",
    "__build_class__", "__debug__", "__doc__", "__file__", "__import__", "__name__",
    "__package__", "__spec__", "abs", "aiter", "all", "anext", "any", "ascii", "bin", "bool",
    "breakpoint", "bytearray", "bytes", "callable", "chr", "classmethod", "compile", "complex",
    "copyright", "credits", "delattr", "dict", "dir", "divmod", "enumerate", "eval", "exec",
    "exit", "filter", "float", "format", "frozenset", "getattr", "globals", "hasattr", "hash",
    "help", "hex", "id", "input", "int", "isinstance", "issubclass", "iter", "len", "license",
    "list", "locals", "map", "max", "memoryview", "min", "next", "object", "oct", "open", "ord",
    "pow", "print", "property", "quit", "range", "repr", "reversed", "round", "set", "setattr",
    "slice", "sorted", "staticmethod", "str", "sum", "super", "tuple", "type", "vars", "zip",
];

pub(super) fn is_builtin(name: &str) -> bool {
    BUILTINS.binary_search(&name).is_ok()
}

/// The name or attribute chain `node` is: `os.path.join`, `(a).b`, `__import__("os").system`.
pub(super) fn reference<'t>(s: Source<'t>, mut node: Node<'t>) -> Option<Reference<'t>> {
    let mut tail = Vec::new();
    let head = loop {
        match s.kind(node) {
            Kind::Identifier => {
                break Head::Name {
                    name: s.text(node),
                    at: node.start_byte(),
                };
            }
            Kind::Attribute => {
                tail.push(s.text(s.last_field(node, Field::Attribute, &[Kind::Identifier])?));
                node = s.first_field(node, Field::Object)?;
            }
            Kind::ParenthesizedExpression => node = named_children(s, node).next()?,
            Kind::Call => break Head::Module(dunder_import(s, node)?),
            _ => return None,
        }
    };
    tail.reverse();
    Some(Reference { head, tail })
}

/// The module of `__import__("m")`.
fn dunder_import<'t>(s: Source<'t>, call: Node<'t>) -> Option<&'t str> {
    // The text decides for nearly every call, before any child is looked up.
    if !s.text[call.start_byte()..].starts_with("__import__") {
        return None;
    }
    let function = s.first_field(call, Field::Function)?;
    if s.text(function) != "__import__" {
        return None;
    }
    string_value(
        s,
        named_children(s, s.child(call, Field::Arguments)?).next()?,
    )
}

/// The text of a plain (not formatted) string literal.
fn string_value<'t>(s: Source<'t>, node: Node<'t>) -> Option<&'t str> {
    if s.kind(node) != Kind::String {
        return None;
    }
    let mut content = None;
    for child in named_children(s, node) {
        match s.kind(child) {
            Kind::StringStart | Kind::StringEnd => {}
            Kind::StringContent if content.is_none() => content = Some(s.text(child)),
            _ => return None,
        }
    }
    Some(content.unwrap_or(""))
}

/// A dotted name without the whitespace Python allows around its dots.
fn dotted(s: Source, node: Node) -> String {
    named_children(s, node)
        .map(|part| s.text(part))
        .collect::<Vec<_>>()
        .join(".")
}

/// One name a target binds.
struct TargetName<'t> {
    name: &'t str,
    span: audit_core::Span,
    path: Vec<PathStep>,
}

/// The names an assignment target binds (attributes and subscripts bind none).
fn target_names<'t>(s: Source<'t>, target: Node<'t>, prefix: Vec<PathStep>) -> Vec<TargetName<'t>> {
    let mut names = Vec::new();
    let mut stack = vec![(target, prefix)];
    while let Some((node, path)) = stack.pop() {
        match s.kind(node) {
            Kind::Identifier => names.push(TargetName {
                name: s.text(node),
                span: span(node),
                path,
            }),
            Kind::PatternList
            | Kind::TuplePattern
            | Kind::ListPattern
            | Kind::ExpressionList
            | Kind::Tuple
            | Kind::List => {
                let elements: Vec<Node> = named_children(s, node).collect();
                for (index, element) in elements.into_iter().enumerate().rev() {
                    let mut path = path.clone();
                    if matches!(s.kind(element), Kind::ListSplatPattern | Kind::ListSplat) {
                        path.push(PathStep::Rest);
                        if let Some(inner) = named_children(s, element).next() {
                            stack.push((inner, path));
                        }
                    } else {
                        path.push(PathStep::Index(index));
                        stack.push((element, path));
                    }
                }
            }
            Kind::ParenthesizedExpression | Kind::AsPatternTarget => {
                if let Some(inner) = named_children(s, node).next() {
                    stack.push((inner, path));
                }
            }
            _ => {}
        }
    }
    names
}

/// Whether a string literal has a prefix with `f` or `t` (its interpolations are code).
fn is_formatted(s: Source, node: Node) -> bool {
    s.text(node)
        .bytes()
        .take_while(|b| b.is_ascii_alphabetic())
        .any(|b| matches!(b, b'f' | b'F' | b't' | b'T'))
}

impl<'t> Builder<'t> {
    /// Records what `node` declares; returns whether to walk its children (not into
    /// imports, plain strings or annotations, which bind nothing).
    pub(super) fn enter_python(&mut self, node: Node<'t>) -> bool {
        let s = self.src;
        match s.kind(node) {
            Kind::ImportStatement => {
                self.import_modules(node);
                return false;
            }
            Kind::ImportFromStatement => {
                self.import_from(node);
                return false;
            }
            Kind::String => return is_formatted(s, node),
            Kind::Identifier | Kind::Comment | Kind::Type => return false,
            Kind::FunctionDefinition => self.python_function(node),
            Kind::Lambda => self.lambda(node),
            Kind::ClassDefinition => self.python_class(node),
            Kind::DecoratedDefinition => {
                if let Some(definition) = s.child(node, Field::Definition) {
                    let decorators = named_children(s, node)
                        .filter(|c| s.kind(*c) == Kind::Decorator)
                        .map(|d| self.python_decorator(d))
                        .collect();
                    self.stash_decorators(definition, decorators);
                }
            }
            Kind::Assignment | Kind::AugmentedAssignment => self.python_assignment(node),
            Kind::ForStatement => {
                if let (Some(left), Some(right)) =
                    (s.child(node, Field::Left), s.child(node, Field::Right))
                {
                    let path = vec![PathStep::Element];
                    self.assign(left, Some(right), path, right.end_byte(), false);
                }
            }
            Kind::WithItem => {
                if let Some(value) = s.child(node, Field::Value)
                    && s.kind(value) == Kind::AsPattern
                    && let (Some(manager), Some(target)) = (
                        named_children(s, value).next(),
                        s.child(value, Field::Alias),
                    )
                {
                    self.assign(target, Some(manager), Vec::new(), node.end_byte(), false);
                }
            }
            Kind::ExceptClause | Kind::ExceptGroupClause => {
                self.push_frame(node, FrameKind::Block { handler: true });
                let target = s.child(node, Field::Alias).or_else(|| {
                    named_children(s, node)
                        .find(|c| s.kind(*c) == Kind::AsPattern)
                        .and_then(|p| s.child(p, Field::Alias))
                });
                if let Some(target) = target {
                    self.assign(target, None, Vec::new(), node.start_byte(), false);
                }
            }
            Kind::NamedExpression => {
                if let Some(name) = s.child(node, Field::Name) {
                    let value = s.child(node, Field::Value);
                    self.assign(name, value, Vec::new(), node.end_byte(), false);
                }
            }
            Kind::ListComprehension
            | Kind::SetComprehension
            | Kind::DictionaryComprehension
            | Kind::GeneratorExpression => self.comprehension(node),
            Kind::GlobalStatement | Kind::NonlocalStatement => {
                let global = s.kind(node) == Kind::GlobalStatement;
                for name in named_children(s, node) {
                    self.declare_outer(s.text(name), global);
                }
            }
            Kind::Call => {
                if let Some(module) = dunder_import(s, node) {
                    self.imports.push(Import {
                        module: module.to_owned(),
                        name: None,
                        local: None,
                        kind: ImportKind::Unbound,
                        span: span(node),
                    });
                }
                self.python_call(node);
            }
            _ => {}
        }
        true
    }

    /// A call with its keyword arguments.
    fn python_call(&mut self, node: Node<'t>) {
        let s = self.src;
        let Some(callee) = self.first_field(node, Field::Function) else {
            return;
        };
        let arguments = self.last_field(
            node,
            Field::Arguments,
            &[Kind::ArgumentList, Kind::GeneratorExpression],
        );
        let mut keywords = Vec::new();
        // Most argument lists have no `=`, and then no keyword: their children are not
        // walked.
        let keyworded =
            |a: &Node<'t>| s.kind(*a) != Kind::GeneratorExpression && s.text(*a).contains('=');
        if let Some(list) = arguments.filter(keyworded) {
            let mut cursor = list.walk();
            for argument in list.named_children(&mut cursor) {
                if s.kind(argument) == Kind::KeywordArgument
                    && let (Some(name), Some(value)) = (
                        s.child(argument, Field::Name),
                        s.child(argument, Field::Value),
                    )
                {
                    keywords.push(Keyword {
                        name: s.text(name).to_owned(),
                        span: span(argument),
                        value: span(value),
                    });
                }
            }
        }
        let call = Call {
            span: span(node),
            callee: span(callee),
            qualified_name: None,
            arguments: arguments.map(span),
            new: false,
            keywords,
        };
        self.push_call(call, reference(s, callee));
    }

    /// `import a.b` binds `a`; `import a.b as c` binds `c` to `a.b`.
    fn import_modules(&mut self, node: Node<'t>) {
        let s = self.src;
        for name in named_children(s, node) {
            let (module, local, qualified) = match s.kind(name) {
                Kind::DottedName => {
                    let Some(first) = named_children(s, name).next() else {
                        continue;
                    };
                    (dotted(s, name), first, s.text(first).to_owned())
                }
                Kind::AliasedImport => {
                    let (Some(dotted_name), Some(alias)) =
                        (s.child(name, Field::Name), s.child(name, Field::Alias))
                    else {
                        continue;
                    };
                    let module = dotted(s, dotted_name);
                    (module.clone(), alias, module)
                }
                _ => continue,
            };
            self.import_binding(name, local, qualified);
            self.imports.push(Import {
                module,
                name: None,
                local: Some(s.text(local).to_owned()),
                kind: ImportKind::Module,
                span: span(name),
            });
        }
    }

    /// `from m import a [as b]`, `from . import x`, `from .mod import *`.
    fn import_from(&mut self, node: Node<'t>) {
        let s = self.src;
        let Some(module_name) = s.child(node, Field::ModuleName) else {
            return;
        };
        let module = match s.kind(module_name) {
            Kind::RelativeImport => named_children(s, module_name)
                .map(|part| match s.kind(part) {
                    Kind::DottedName => dotted(s, part),
                    _ => s.text(part).to_owned(),
                })
                .collect::<String>(),
            _ => dotted(s, module_name),
        };
        for name in named_children(s, node) {
            let (member, local) = match s.kind(name) {
                Kind::WildcardImport => {
                    self.imports.push(Import {
                        module: module.clone(),
                        name: None,
                        local: None,
                        kind: ImportKind::Wildcard,
                        span: span(name),
                    });
                    continue;
                }
                _ if name.id() == module_name.id() => continue,
                Kind::DottedName => (dotted(s, name), name),
                Kind::AliasedImport => {
                    let (Some(member), Some(alias)) =
                        (s.child(name, Field::Name), s.child(name, Field::Alias))
                    else {
                        continue;
                    };
                    (dotted(s, member), alias)
                }
                _ => continue,
            };
            self.import_binding(name, local, member_of(&module, Some(&member)));
            self.imports.push(Import {
                module: module.clone(),
                name: Some(member),
                local: Some(s.text(local).to_owned()),
                kind: ImportKind::Member,
                span: span(name),
            });
        }
    }

    /// Binds the `local` identifier of an import `specifier`.
    fn import_binding(&mut self, specifier: Node, local: Node, qualified: String) {
        let name = self.src.text(local);
        let place = self.python_place(name);
        let mut binding =
            place.binding(name, span(local), BindingKind::Import, specifier.end_byte());
        binding.qualified_name = Some(qualified);
        self.bind(&place, binding, None);
    }

    /// Binds the names of `target` to `value` (with their paths); a name, attribute chain
    /// or `__import__()` value makes the binding an alias.
    fn assign(
        &mut self,
        target: Node<'t>,
        value: Option<Node<'t>>,
        prefix: Vec<PathStep>,
        effective: usize,
        augmented: bool,
    ) {
        let s = self.src;
        let alias = value.filter(|_| !augmented).and_then(|v| reference(s, v));
        for name in target_names(s, target, prefix) {
            let place = self.python_place(name.name);
            let mut binding = place.binding(name.name, name.span, BindingKind::Variable, effective);
            binding.value = value.map(span);
            binding.path = name.path;
            binding.augmented = augmented;
            self.bind(&place, binding, alias.clone());
        }
    }

    /// `a = b = value` binds both to `value`; `x: int` alone binds nothing.
    fn python_assignment(&mut self, node: Node<'t>) {
        let s = self.src;
        let (Some(left), Some(mut right)) =
            (s.child(node, Field::Left), s.child(node, Field::Right))
        else {
            return;
        };
        while s.kind(right) == Kind::Assignment
            && let Some(inner) = s.child(right, Field::Right)
        {
            right = inner;
        }
        if s.kind(right) == Kind::Lambda && s.kind(left) == Kind::Identifier {
            self.set_pending_name(right, s.text(left));
        }
        let augmented = s.kind(node) == Kind::AugmentedAssignment;
        self.assign(left, Some(right), Vec::new(), node.end_byte(), augmented);
    }

    /// Comprehension variables are visible only inside the comprehension, including its
    /// body, which comes first.
    fn comprehension(&mut self, node: Node<'t>) {
        let s = self.src;
        let place = Place {
            visible: span(node),
            hoisted: true,
            frame: None,
            ..self.scope_place()
        };
        for clause in named_children(s, node).filter(|c| s.kind(*c) == Kind::ForInClause) {
            let (Some(left), Some(right)) =
                (s.child(clause, Field::Left), s.child(clause, Field::Right))
            else {
                continue;
            };
            for name in target_names(s, left, vec![PathStep::Element]) {
                let mut binding = place.binding(
                    name.name,
                    name.span,
                    BindingKind::Variable,
                    node.start_byte(),
                );
                binding.value = Some(span(right));
                binding.path = name.path;
                self.bind(&place, binding, None);
            }
        }
    }

    fn python_function(&mut self, node: Node<'t>) {
        let s = self.src;
        let name = s.child(node, Field::Name).map(|name| {
            let text = s.text(name);
            let place = self.python_place(text);
            let binding = place.binding(text, span(name), BindingKind::Function, node.end_byte());
            self.bind(&place, binding, None);
            text
        });
        let (kind, class) = match self.top_frame() {
            FrameKind::Class(c) => (FunctionKind::Method, Some(c)),
            _ => (FunctionKind::Declaration, None),
        };
        let decorators = self.take_decorators(node);
        let is_async = node.child(0).is_some_and(|c| c.kind_name() == "async");
        self.python_callable(node, name, kind, class, decorators, is_async);
    }

    fn lambda(&mut self, node: Node<'t>) {
        let name = self.take_pending_name(node);
        self.python_callable(node, name, FunctionKind::Lambda, None, Vec::new(), false);
    }

    fn python_callable(
        &mut self,
        node: Node<'t>,
        name: Option<&str>,
        kind: FunctionKind,
        class: Option<usize>,
        decorators: Vec<PendingDecorator<'t>>,
        is_async: bool,
    ) {
        let s = self.src;
        let index = self.open_function(node, name, kind, class, is_async, decorators);
        if let Some(parameters) = s.child(node, Field::Parameters) {
            self.python_parameters(index, parameters, node.start_byte());
        }
    }

    fn python_parameters(&mut self, function: usize, parameters: Node<'t>, effective: usize) {
        let s = self.src;
        let place = self.function_place();
        let mut keyword_only = false;
        let mut position = 0;
        for parameter in named_children(s, parameters) {
            let mut default = None;
            let mut annotation = None;
            let mut node = parameter;
            match s.kind(parameter) {
                Kind::KeywordSeparator => {
                    keyword_only = true;
                    continue;
                }
                Kind::PositionalSeparator => continue,
                Kind::DefaultParameter | Kind::TypedDefaultParameter => {
                    default = s.child(parameter, Field::Value).map(span);
                    annotation = s.child(parameter, Field::Type).map(span);
                    match s.child(parameter, Field::Name) {
                        Some(name) => node = name,
                        None => continue,
                    }
                }
                Kind::TypedParameter => {
                    annotation = s.child(parameter, Field::Type).map(span);
                    match named_children(s, parameter).next() {
                        Some(inner) => node = inner,
                        None => continue,
                    }
                }
                _ => {}
            }
            let kind = match s.kind(node) {
                Kind::ListSplatPattern => ParameterKind::Rest,
                Kind::DictionarySplatPattern => ParameterKind::Keywords,
                _ if keyword_only => ParameterKind::KeywordOnly,
                _ => ParameterKind::Positional,
            };
            if kind == ParameterKind::Rest {
                keyword_only = true;
            }
            if matches!(kind, ParameterKind::Rest | ParameterKind::Keywords) {
                match named_children(s, node).next() {
                    Some(inner) => node = inner,
                    None => continue,
                }
            }
            if s.kind(node) == Kind::Identifier {
                let name = s.text(node);
                self.functions[function].parameters.push(Parameter {
                    name: name.to_owned(),
                    span: span(node),
                    position,
                    kind,
                    path: Vec::new(),
                    default,
                    annotation,
                    decorators: Vec::new(),
                });
                let binding = place.binding(name, span(node), BindingKind::Parameter, effective);
                self.bind(&place, binding, None);
            }
            position += 1;
        }
    }

    fn python_class(&mut self, node: Node<'t>) {
        let s = self.src;
        let name = s.child(node, Field::Name).map(|name| {
            let text = s.text(name);
            let place = self.python_place(text);
            let binding = place.binding(text, span(name), BindingKind::Class, node.end_byte());
            self.bind(&place, binding, None);
            text
        });
        let decorators = self.take_decorators(node);
        let function = self.current_function();
        let body = s.child(node, Field::Body).map_or(span(node), span);
        let index = self.push_class(
            node,
            Class {
                name: name.map(str::to_owned),
                decorators: Vec::new(),
                function,
                body,
                span: span(node),
            },
        );
        self.class_decorators(index, decorators);
    }

    fn python_decorator(&self, node: Node<'t>) -> PendingDecorator<'t> {
        self.pending_decorator(node, Kind::Call, reference)
    }
}

#[cfg(test)]
#[test]
fn builtins_are_sorted_for_binary_search() {
    assert!(BUILTINS.is_sorted());
}
