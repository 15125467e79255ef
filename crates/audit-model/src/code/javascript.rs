//! JavaScript, TypeScript and TSX. The TypeScript grammars share JavaScript's node kinds for
//! these constructs and add `required_parameter`/`optional_parameter` (a `pattern` field),
//! `import_require_clause`, `abstract_class_declaration` and decorators written as siblings
//! before class members.

use audit_syntax::tree_sitter::Node;

use super::builder::{
    Builder, FrameKind, PendingDecorator, Place, member_of, named_children, span,
};
use super::kinds::{Field, Kind, Source};
use super::{
    BindingKind, Call, Class, FunctionKind, Head, Import, ImportKind, Parameter, ParameterKind,
    PathStep, Reference,
};
use crate::code::nodes::KindName;

/// Standard and Node.js globals: an unbound use is qualified by its plain name.
#[rustfmt::skip]
const GLOBALS: &[&str] = &[
    "AbortController", "Array", "ArrayBuffer", "Atomics", "BigInt", "Blob", "Boolean", "Buffer",
    "DataView", "Date", "Error", "EvalError", "Event", "EventTarget", "FormData", "Function",
    "Headers", "Intl", "JSON", "Map", "Math", "Number", "Object", "Promise", "Proxy",
    "RangeError", "ReferenceError", "Reflect", "RegExp", "Request", "Response", "Set",
    "SharedArrayBuffer", "String", "Symbol", "SyntaxError", "TextDecoder", "TextEncoder",
    "TypeError", "URIError", "URL", "URLSearchParams", "Uint8Array", "WeakMap", "WeakRef",
    "WeakSet", "WebAssembly", "WebSocket", "XMLHttpRequest", "__dirname", "__filename", "atob",
    "btoa", "clearImmediate", "clearInterval", "clearTimeout", "console", "crypto",
    "decodeURI", "decodeURIComponent", "document", "encodeURI", "encodeURIComponent", "escape",
    "eval", "exports", "fetch", "global", "globalThis", "isFinite", "isNaN", "localStorage",
    "location", "module", "navigator", "parseFloat", "parseInt", "performance", "process",
    "queueMicrotask", "require", "self", "sessionStorage", "setImmediate", "setInterval",
    "setTimeout", "structuredClone", "unescape", "window",
];

pub(super) fn is_global(name: &str) -> bool {
    GLOBALS.binary_search(&name).is_ok()
}

/// `globalThis.eval` is `eval`.
pub(super) fn is_global_object(name: &str) -> bool {
    matches!(name, "globalThis" | "window" | "global" | "self")
}

/// The name or member chain `node` is: `a.b?.c`, `a["b"]`, `require("m").x`,
/// `(await import("m")).x`, through parentheses and TS `!`/`as`/`satisfies`.
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
            Kind::MemberExpression => {
                let property = s.last_field(
                    node,
                    Field::Property,
                    &[Kind::PropertyIdentifier, Kind::PrivatePropertyIdentifier],
                )?;
                if !matches!(
                    s.kind(property),
                    Kind::PropertyIdentifier | Kind::PrivatePropertyIdentifier
                ) {
                    return None;
                }
                tail.push(s.text(property));
                node = s.first_field(node, Field::Object)?;
            }
            Kind::SubscriptExpression => {
                tail.push(string_value(s, s.child(node, Field::Index)?)?);
                node = s.child(node, Field::Object)?;
            }
            Kind::ParenthesizedExpression
            | Kind::NonNullExpression
            | Kind::AsExpression
            | Kind::SatisfiesExpression => node = node.named_child(0)?,
            Kind::AwaitExpression => match module_call(s, node.named_child(0)?)? {
                (module, true) => break Head::Module(module),
                (_, false) => return None,
            },
            Kind::CallExpression => match module_call(s, node)? {
                (module, false) => break Head::Module(module),
                (_, true) => return None,
            },
            _ => return None,
        }
    };
    tail.reverse();
    Some(Reference { head, tail })
}

/// `require("m")` (false) or `import("m")` (true) with a literal module, `node:` dropped.
fn module_call<'t>(s: Source<'t>, call: Node<'t>) -> Option<(&'t str, bool)> {
    // The text decides for nearly every call, before any child is looked up.
    let head = &s.text[call.start_byte()..];
    if !(head.starts_with("require") || head.starts_with("import"))
        || s.kind(call) != Kind::CallExpression
    {
        return None;
    }
    let function = s.first_field(call, Field::Function)?;
    let dynamic = match s.kind(function) {
        Kind::Import => true,
        Kind::Identifier if s.text(function) == "require" => false,
        _ => return None,
    };
    let module = string_value(
        s,
        named_children(s, s.last_field(call, Field::Arguments, &[Kind::Arguments])?).next()?,
    )?;
    Some((module.strip_prefix("node:").unwrap_or(module), dynamic))
}

/// The text of a string literal or substitution-free template.
fn string_value<'t>(s: Source<'t>, node: Node<'t>) -> Option<&'t str> {
    match s.kind(node) {
        Kind::String => {}
        Kind::TemplateString
            if named_children(s, node).all(|c| s.kind(c) != Kind::TemplateSubstitution) => {}
        _ => return None,
    }
    s.text
        .get(node.start_byte() + 1..node.end_byte().checked_sub(1)?)
}

fn is_function(s: Source, node: Node) -> bool {
    matches!(
        s.kind(node),
        Kind::FunctionExpression | Kind::Function | Kind::GeneratorFunction | Kind::ArrowFunction
    )
}

/// One name a pattern binds.
struct PatternName<'t> {
    name: &'t str,
    span: audit_core::Span,
    path: Vec<PathStep>,
    default: Option<audit_core::Span>,
}

/// The names a binding pattern binds, with their paths (explicit stack: patterns nest).
fn pattern_names<'t>(
    s: Source<'t>,
    pattern: Node<'t>,
    prefix: Vec<PathStep>,
) -> Vec<PatternName<'t>> {
    let mut names = Vec::new();
    let mut stack = vec![(pattern, prefix, None)];
    while let Some((node, path, default)) = stack.pop() {
        match s.kind(node) {
            Kind::Identifier | Kind::ShorthandPropertyIdentifierPattern => {
                names.push(PatternName {
                    name: s.text(node),
                    span: span(node),
                    path,
                    default,
                })
            }
            Kind::AssignmentPattern | Kind::ObjectAssignmentPattern => {
                if let Some(left) = s.child(node, Field::Left) {
                    let right = s.child(node, Field::Right).map(span);
                    stack.push((left, path, right));
                }
            }
            Kind::RestPattern => {
                if let Some(inner) = node.named_child(0) {
                    stack.push((inner, with(&path, PathStep::Rest), None));
                }
            }
            Kind::ObjectPattern => {
                for child in named_children(s, node)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                {
                    match s.kind(child) {
                        Kind::ShorthandPropertyIdentifierPattern => {
                            let property = PathStep::Property(s.text(child).to_owned());
                            stack.push((child, with(&path, property), None));
                        }
                        Kind::ObjectAssignmentPattern => {
                            if let Some(left) = s.child(child, Field::Left)
                                && s.kind(left) == Kind::ShorthandPropertyIdentifierPattern
                            {
                                let property = PathStep::Property(s.text(left).to_owned());
                                stack.push((child, with(&path, property), None));
                            }
                        }
                        Kind::PairPattern => {
                            if let (Some(key), Some(value)) =
                                (s.child(child, Field::Key), s.child(child, Field::Value))
                                && let Some(key) = property_name(s, key)
                            {
                                let property = PathStep::Property(key.to_owned());
                                stack.push((value, with(&path, property), None));
                            }
                        }
                        Kind::RestPattern => stack.push((child, path.clone(), None)),
                        _ => {}
                    }
                }
            }
            Kind::ArrayPattern => {
                // Holes (`[, b]`) count: an element's index is the number of commas before it.
                let mut index = 0;
                let mut elements = Vec::new();
                let mut cursor = node.walk();
                for child in node.children(&mut cursor) {
                    if !child.is_named() {
                        if child.kind_name() == "," {
                            index += 1;
                        }
                    } else if s.kind(child) != Kind::Comment {
                        elements.push((child, index));
                    }
                }
                for (child, index) in elements.into_iter().rev() {
                    if s.kind(child) == Kind::RestPattern {
                        stack.push((child, path.clone(), None));
                    } else {
                        stack.push((child, with(&path, PathStep::Index(index)), None));
                    }
                }
            }
            _ => {}
        }
    }
    names
}

fn with(path: &[PathStep], step: PathStep) -> Vec<PathStep> {
    let mut path = path.to_vec();
    path.push(step);
    path
}

/// A property or method name as written; None when computed.
fn property_name<'t>(s: Source<'t>, node: Node<'t>) -> Option<&'t str> {
    match s.kind(node) {
        Kind::PropertyIdentifier
        | Kind::PrivatePropertyIdentifier
        | Kind::Identifier
        | Kind::Number => Some(s.text(node)),
        Kind::String => string_value(s, node),
        _ => None,
    }
}

impl<'t> Builder<'t> {
    /// Records what `node` declares; returns whether to walk its children (not into
    /// imports, leaves, strings or TypeScript types, which bind nothing).
    pub(super) fn enter_javascript(&mut self, node: Node<'t>) -> bool {
        let s = self.src;
        match s.kind(node) {
            Kind::ImportStatement => {
                self.import_statement(node);
                return false;
            }
            Kind::Identifier
            | Kind::PropertyIdentifier
            | Kind::Number
            | Kind::String
            | Kind::Regex
            | Kind::Comment
            | Kind::TypeAnnotation
            | Kind::TypeArguments
            | Kind::TypeParameters
            | Kind::InterfaceDeclaration
            | Kind::TypeAliasDeclaration
            | Kind::AmbientDeclaration => return false,
            Kind::LexicalDeclaration | Kind::VariableDeclaration => self.declaration(node),
            Kind::FunctionDeclaration | Kind::GeneratorFunctionDeclaration => {
                self.bind_declared_name(node, BindingKind::Function);
                self.function(node, FunctionKind::Declaration);
            }
            Kind::FunctionExpression | Kind::Function | Kind::GeneratorFunction => {
                self.function(node, FunctionKind::Expression)
            }
            Kind::ArrowFunction => self.function(node, FunctionKind::Arrow),
            Kind::MethodDefinition => self.function(node, FunctionKind::Method),
            Kind::ClassDeclaration | Kind::AbstractClassDeclaration => {
                self.bind_declared_name(node, BindingKind::Class);
                self.class(node);
            }
            Kind::Class => self.class(node),
            Kind::ClassBody => self.member_decorators(node),
            Kind::StatementBlock | Kind::ForStatement | Kind::SwitchBody => {
                self.push_frame(node, FrameKind::Block { handler: false })
            }
            Kind::ForInStatement => {
                self.push_frame(node, FrameKind::Block { handler: false });
                self.for_in(node);
            }
            Kind::CatchClause => {
                self.push_frame(node, FrameKind::Block { handler: true });
                if let Some(parameter) = s.child(node, Field::Parameter) {
                    let place = self.lexical_place();
                    for name in pattern_names(s, parameter, Vec::new()) {
                        let binding = place.binding(
                            name.name,
                            name.span,
                            BindingKind::Variable,
                            node.start_byte(),
                        );
                        self.bind(&place, binding, None);
                    }
                }
            }
            Kind::AssignmentExpression | Kind::AugmentedAssignmentExpression => {
                self.assignment(node)
            }
            Kind::CallExpression => {
                if !self.bound_module_calls.contains(&node.start_byte())
                    && let Some((module, _)) = module_call(s, node)
                {
                    self.imports.push(Import {
                        module: module.to_owned(),
                        name: None,
                        local: None,
                        kind: ImportKind::Unbound,
                        span: span(node),
                    });
                }
                self.javascript_call(node, Field::Function, false);
            }
            Kind::NewExpression => self.javascript_call(node, Field::Constructor, true),
            Kind::Pair | Kind::PublicFieldDefinition | Kind::FieldDefinition => {
                if let Some(value) = s.child(node, Field::Value)
                    && is_function(s, value)
                    && let Some(key) = [Field::Key, Field::Name, Field::Property]
                        .into_iter()
                        .find_map(|field| s.child(node, field))
                    && let Some(name) = property_name(s, key)
                {
                    self.set_pending_name(value, name);
                }
            }
            Kind::ExportStatement => {
                if let Some(declaration) = s.child(node, Field::Declaration) {
                    let decorators = self.decorator_children(node);
                    self.stash_decorators(declaration, decorators);
                }
            }
            _ => {}
        }
        true
    }

    /// A call or `new` expression, its callee in `field`.
    fn javascript_call(&mut self, node: Node<'t>, field: Field, new: bool) {
        let s = self.src;
        let Some(callee) = self.first_field(node, field) else {
            return;
        };
        let arguments = self.last_field(
            node,
            Field::Arguments,
            &[Kind::Arguments, Kind::TemplateString],
        );
        let call = Call {
            span: span(node),
            callee: span(callee),
            qualified_name: None,
            arguments: arguments.map(span),
            new,
            keywords: Vec::new(),
        };
        self.push_call(call, reference(s, callee));
    }

    fn import_statement(&mut self, node: Node<'t>) {
        let s = self.src;
        let source = s
            .child(node, Field::Source)
            .or_else(|| {
                named_children(s, node)
                    .find(|c| s.kind(*c) == Kind::ImportRequireClause)
                    .and_then(|c| s.child(c, Field::Source))
            })
            .and_then(|source| string_value(s, source))
            .map(|m| m.strip_prefix("node:").unwrap_or(m));
        let Some(module) = source else { return };
        let place = Place {
            hoisted: true,
            ..self.module_place()
        };
        let mut bound = false;
        for clause in named_children(s, node) {
            match s.kind(clause) {
                Kind::ImportClause => {
                    for part in named_children(s, clause) {
                        match s.kind(part) {
                            Kind::Identifier => {
                                self.import(&place, module, None, part, part, ImportKind::Default)
                            }
                            Kind::NamespaceImport => {
                                if let Some(local) = part.named_child(0) {
                                    self.import(
                                        &place,
                                        module,
                                        None,
                                        local,
                                        part,
                                        ImportKind::Module,
                                    );
                                }
                            }
                            Kind::NamedImports => {
                                for specifier in named_children(s, part) {
                                    self.import_specifier(&place, module, specifier);
                                }
                            }
                            _ => {}
                        }
                    }
                    bound = true;
                }
                Kind::ImportRequireClause => {
                    if let Some(local) = clause.named_child(0) {
                        self.import(&place, module, None, local, clause, ImportKind::Module);
                        bound = true;
                    }
                }
                _ => {}
            }
        }
        if !bound {
            self.imports.push(Import {
                module: module.to_owned(),
                name: None,
                local: None,
                kind: ImportKind::Unbound,
                span: span(node),
            });
        }
    }

    /// `a`, `a as b`, `"a-b" as c`, `default as d` in `import { ... }`.
    fn import_specifier(&mut self, place: &Place, module: &str, specifier: Node<'t>) {
        let s = self.src;
        let Some(name) = s.child(specifier, Field::Name) else {
            return;
        };
        let local = s.child(specifier, Field::Alias).unwrap_or(name);
        let imported = match s.kind(name) {
            Kind::String => string_value(s, name),
            _ => Some(s.text(name)),
        };
        match imported {
            Some("default") => {
                self.import(place, module, None, local, specifier, ImportKind::Default)
            }
            member => self.import(place, module, member, local, specifier, ImportKind::Member),
        }
    }

    /// Records one import and the binding of its local name.
    fn import(
        &mut self,
        place: &Place,
        module: &str,
        member: Option<&str>,
        local: Node,
        specifier: Node,
        kind: ImportKind,
    ) {
        let name = self.src.text(local);
        let mut binding =
            place.binding(name, span(local), BindingKind::Import, specifier.end_byte());
        binding.qualified_name = Some(member_of(module, member));
        self.bind(place, binding, None);
        self.imports.push(Import {
            module: module.to_owned(),
            name: member.map(str::to_owned),
            local: Some(name.to_owned()),
            kind,
            span: span(specifier),
        });
    }

    /// `const`/`let`/`var` declarators, with `require()`/`await import()` values recorded
    /// as imports.
    fn declaration(&mut self, node: Node<'t>) {
        let s = self.src;
        let place = if s.kind(node) == Kind::VariableDeclaration {
            Place {
                hoisted: true,
                ..self.function_place()
            }
        } else {
            self.lexical_place()
        };
        for declarator in named_children(s, node) {
            let Some(pattern) = s.child(declarator, Field::Name) else {
                continue;
            };
            let value = s.child(declarator, Field::Value);
            if let Some(value) = value
                && is_function(s, value)
                && s.kind(pattern) == Kind::Identifier
            {
                self.set_pending_name(value, s.text(pattern));
            }
            let names = pattern_names(s, pattern, Vec::new());
            if let Some(value) = value {
                self.module_value(value, &names);
            }
            self.bind_names(&place, names, value, declarator.end_byte(), false);
        }
    }

    /// When `value` loads a module (`require("m").a`, `await import("m")`), records an import
    /// per bound name.
    fn module_value(&mut self, value: Node<'t>, names: &[PatternName]) {
        let s = self.src;
        let Some(Reference {
            head: Head::Module(module),
            tail,
        }) = reference(s, value)
        else {
            return;
        };
        let mut call = value;
        while module_call(s, call).is_none() {
            let Some(inner) = s.child(call, Field::Object).or_else(|| call.named_child(0)) else {
                return;
            };
            call = inner;
        }
        for name in names {
            let mut members: Vec<&str> = tail.clone();
            let mut named = true;
            for step in &name.path {
                match step {
                    PathStep::Property(p) => members.push(p),
                    PathStep::Rest => {}
                    PathStep::Index(_) | PathStep::Element | PathStep::Key => named = false,
                }
            }
            if !named {
                continue;
            }
            self.bound_module_calls.insert(call.start_byte());
            let member = (!members.is_empty()).then(|| members.join("."));
            self.imports.push(Import {
                module: module.to_owned(),
                kind: if member.is_some() {
                    ImportKind::Member
                } else {
                    ImportKind::Module
                },
                name: member,
                local: Some(name.name.to_owned()),
                span: name.span,
            });
        }
    }

    /// Binds each pattern name to `value` (with its path); an identifier value, member chain
    /// or module load makes the binding an alias.
    fn bind_names(
        &mut self,
        place: &Place,
        names: Vec<PatternName<'t>>,
        value: Option<Node<'t>>,
        effective: usize,
        augmented: bool,
    ) {
        let s = self.src;
        let alias = value.filter(|_| !augmented).and_then(|v| reference(s, v));
        for name in names {
            let mut binding = place.binding(name.name, name.span, BindingKind::Variable, effective);
            binding.value = value.map(span);
            binding.path = name.path;
            binding.augmented = augmented;
            self.bind(place, binding, alias.clone());
        }
    }

    /// `x = value`, `({ a } = value)`, `x += value`: a new binding in the scope of the
    /// declaration assigned to (the module for an undeclared name).
    fn assignment(&mut self, node: Node<'t>) {
        let s = self.src;
        let (Some(left), Some(right)) = (s.child(node, Field::Left), s.child(node, Field::Right))
        else {
            return;
        };
        if is_function(s, right) {
            let name = match s.kind(left) {
                Kind::Identifier => Some(s.text(left)),
                Kind::MemberExpression => s.child(left, Field::Property).map(|p| s.text(p)),
                _ => None,
            };
            if let Some(name) = name {
                self.set_pending_name(right, name);
            }
        }
        let augmented = s.kind(node) == Kind::AugmentedAssignmentExpression;
        self.reassign(left, Some(right), Vec::new(), node.end_byte(), augmented);
    }

    fn reassign(
        &mut self,
        pattern: Node<'t>,
        value: Option<Node<'t>>,
        prefix: Vec<PathStep>,
        effective: usize,
        augmented: bool,
    ) {
        let s = self.src;
        let pattern = match s.kind(pattern) {
            Kind::ParenthesizedExpression => match pattern.named_child(0) {
                Some(inner) => inner,
                None => return,
            },
            _ => pattern,
        };
        for name in pattern_names(s, pattern, prefix) {
            let place = self.existing_place(name.name);
            self.bind_names(&place, vec![name], value, effective, augmented);
        }
    }

    /// `for (const x of xs)`: `x` is an element of `xs` (a key for `in`).
    fn for_in(&mut self, node: Node<'t>) {
        let s = self.src;
        let (Some(left), Some(right)) = (s.child(node, Field::Left), s.child(node, Field::Right))
        else {
            return;
        };
        let step = match s.child(node, Field::Operator).map(|o| o.kind_name()) {
            Some("in") => PathStep::Key,
            _ => PathStep::Element,
        };
        let effective = right.end_byte();
        match s.child(node, Field::Kind).map(|k| k.kind_name()) {
            None => self.reassign(left, Some(right), vec![step], effective, false),
            Some(kind) => {
                let place = if kind == "var" {
                    Place {
                        hoisted: true,
                        ..self.function_place()
                    }
                } else {
                    self.lexical_place()
                };
                let names = pattern_names(s, left, vec![step]);
                self.bind_names(&place, names, Some(right), effective, false);
            }
        }
    }

    /// The name of a function or class declaration, in the enclosing block.
    fn bind_declared_name(&mut self, node: Node, kind: BindingKind) {
        let s = self.src;
        if let Some(name) = s.child(node, Field::Name) {
            let place = self.lexical_place();
            let binding = place.binding(s.text(name), span(name), kind, node.end_byte());
            self.bind(&place, binding, None);
        }
    }

    fn function(&mut self, node: Node<'t>, kind: FunctionKind) {
        let s = self.src;
        let own_name = s.child(node, Field::Name);
        let name = own_name
            .and_then(|n| property_name(s, n))
            .or_else(|| self.take_pending_name(node));
        let class = match (kind, self.top_frame()) {
            (FunctionKind::Method, FrameKind::Class(c)) => Some(c),
            _ => None,
        };
        let mut decorators = self.take_decorators(node);
        decorators.extend(self.decorator_children(node));
        let is_async = {
            let mut cursor = node.walk();
            node.children(&mut cursor)
                .take_while(|c| !c.is_named() || s.kind(*c) == Kind::Decorator)
                .any(|c| c.kind_name() == "async")
        };
        let index = self.open_function(node, name, kind, class, is_async, decorators);
        let place = self.function_place();
        if kind == FunctionKind::Expression
            && let Some(own) = own_name
        {
            let binding = place.binding(
                s.text(own),
                span(own),
                BindingKind::Function,
                node.start_byte(),
            );
            self.bind(&place, binding, None);
        }
        if let Some(parameters) = s.child(node, Field::Parameters) {
            for (position, parameter) in named_children(s, parameters)
                .filter(|p| !is_this_parameter(s, *p))
                .enumerate()
            {
                self.parameter(index, &place, position, parameter, node.start_byte());
            }
        } else if let Some(parameter) = s.child(node, Field::Parameter) {
            self.parameter(index, &place, 0, parameter, node.start_byte());
        }
    }

    fn parameter(
        &mut self,
        function: usize,
        place: &Place,
        position: usize,
        node: Node<'t>,
        effective: usize,
    ) {
        let s = self.src;
        let typed = matches!(
            s.kind(node),
            Kind::RequiredParameter | Kind::OptionalParameter
        );
        let pattern = if typed {
            match s
                .child(node, Field::Pattern)
                .or_else(|| s.child(node, Field::Name))
            {
                Some(pattern) => pattern,
                None => return,
            }
        } else {
            node
        };
        // The type, without the `:` of its `type_annotation`.
        let annotation = typed
            .then(|| s.child(node, Field::Type))
            .flatten()
            .map(|t| named_children(s, t).next().unwrap_or(t))
            .map(span);
        let value_default = typed
            .then(|| s.child(node, Field::Value))
            .flatten()
            .map(span);
        let decorators = if typed {
            self.decorator_children(node)
        } else {
            Vec::new()
        };
        let first = self.functions[function].parameters.len();
        for name in pattern_names(s, pattern, Vec::new()) {
            let (kind, path) = match name.path.split_first() {
                Some((PathStep::Rest, rest)) => (ParameterKind::Rest, rest.to_vec()),
                _ => (ParameterKind::Positional, name.path.clone()),
            };
            self.functions[function].parameters.push(Parameter {
                name: name.name.to_owned(),
                span: name.span,
                position,
                kind,
                path: path.clone(),
                default: name.default.or(value_default),
                annotation,
                decorators: Vec::new(),
            });
            let mut binding =
                place.binding(name.name, name.span, BindingKind::Parameter, effective);
            binding.path = path;
            self.bind(place, binding, None);
        }
        if self.functions[function].parameters.len() > first {
            self.parameter_decorators(function, first, decorators);
        }
    }

    fn class(&mut self, node: Node<'t>) {
        let s = self.src;
        let name = s.child(node, Field::Name).map(|n| s.text(n).to_owned());
        let mut decorators = self.take_decorators(node);
        decorators.extend(self.decorator_children(node));
        let body = s.child(node, Field::Body).map_or(span(node), span);
        let function = self.current_function();
        let index = self.push_class(
            node,
            Class {
                name,
                decorators: Vec::new(),
                function,
                body,
                span: span(node),
            },
        );
        self.class_decorators(index, decorators);
    }

    /// TypeScript writes member decorators as siblings before the member.
    fn member_decorators(&mut self, body: Node<'t>) {
        let s = self.src;
        let mut decorators = Vec::new();
        for child in named_children(s, body) {
            if s.kind(child) == Kind::Decorator {
                decorators.push(self.decorator(child));
            } else if !decorators.is_empty() {
                self.stash_decorators(child, std::mem::take(&mut decorators));
            }
        }
    }

    /// The `decorator` children of `node`.
    fn decorator_children(&self, node: Node<'t>) -> Vec<PendingDecorator<'t>> {
        let s = self.src;
        named_children(s, node)
            .filter(|c| s.kind(*c) == Kind::Decorator)
            .map(|d| self.decorator(d))
            .collect()
    }

    fn decorator(&self, node: Node<'t>) -> PendingDecorator<'t> {
        self.pending_decorator(node, Kind::CallExpression, reference)
    }
}

/// TypeScript's `this: T` pseudo-parameter.
fn is_this_parameter(s: Source, node: Node) -> bool {
    s.child(node, Field::Pattern)
        .is_some_and(|p| s.kind(p) == Kind::This)
}

#[cfg(test)]
#[test]
fn globals_are_sorted_for_binary_search() {
    assert!(GLOBALS.is_sorted());
}
