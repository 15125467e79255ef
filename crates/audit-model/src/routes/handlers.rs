//! Handlers defined in one file and routed in another: the functions a file exports, by
//! the name an importer reaches them with (`createUser`, `default.create`,
//! `UserController.list`), summarised once in the per-file pass so the join reads their
//! answers without the other file's tree; and the modules a file re-exports under a name
//! (`module.exports.userController = require("./user.controller")`, `export { default as
//! users } from "./users"`), whatever the module is called: `controllers/index.js`,
//! `routes/api.js`.

use audit_core::Span;
use audit_syntax::tree_sitter::Node;

use crate::code::nodes::{KindName, NodeIndex, elements, string_content, text_of};
use crate::code::{BindingKind, CodeSemantics, ImportKind, Scope};

use super::RouterRef;
use crate::code::nodes::Fields;

/// How many `const a = b` / wrapper steps an exported value is followed through.
const MAX_STEPS: usize = 4;

/// What Express, Fastify, Koa and Hapi handlers call their parameters: an exported
/// function with none of them (a service, a helper) is not summarised.
const HANDLER_PARAMETERS: &[&str] = &[
    "req", "request", "res", "response", "resp", "reply", "rep", "ctx", "context", "next", "h",
];

fn is_handler(function: &crate::code::Function) -> bool {
    function
        .parameters
        .iter()
        .any(|p| p.path.is_empty() && HANDLER_PARAMETERS.contains(&p.name.as_str()))
}

/// What a file exports that may be a handler.
#[derive(Default)]
pub(super) struct Exported {
    /// The exported name and the function it reaches.
    pub functions: Vec<(String, Span)>,
    /// `exports.users = require("./users")`, `export * from "./users"` (name `*`).
    pub modules: Vec<(String, String)>,
}

/// The functions and re-exported modules of a JS/TS file's `module.exports`,
/// `exports.x`, `export ...` statements: its top-level statements only.
pub(super) fn javascript(sem: &CodeSemantics, nodes: &NodeIndex<'_>, text: &str) -> Exported {
    let mut reader = Reader {
        sem,
        nodes,
        text,
        out: Exported::default(),
    };
    let root = nodes.tree().root_node();
    let mut cursor = root.walk();
    for statement in root.named_children(&mut cursor) {
        match statement.kind_name() {
            "expression_statement" => reader.assignment(statement),
            "export_statement" => reader.export_statement(statement),
            _ => {}
        }
    }
    reader.out
}

/// A Python module's top-level functions by name, and its top-level classes (class-based
/// views) by name, each standing for all its methods.
pub(super) fn python(sem: &CodeSemantics) -> Vec<(String, Vec<Span>)> {
    let mut out: Vec<(String, Vec<Span>)> = Vec::new();
    let classes = sem.classes();
    for function in sem.functions() {
        let Some(name) = &function.name else { continue };
        match function.class {
            None if function.parent.is_none() => out.push((name.clone(), vec![function.span])),
            Some(class) if classes[class].function.is_none() => {
                let Some(class_name) = &classes[class].name else {
                    continue;
                };
                match out.iter_mut().find(|(n, _)| n == class_name) {
                    Some((_, spans)) => spans.push(function.span),
                    None => out.push((class_name.clone(), vec![function.span])),
                }
            }
            _ => {}
        }
    }
    out
}

/// The import a route's handler, as written (`userController.create`, `views.index`),
/// reaches through the file's imports, as a module and the names after it. A JS default
/// import is reached through `default`.
pub(super) fn handler_import(sem: &CodeSemantics, written: &str, at: usize) -> Option<RouterRef> {
    let mut names = written.split('.');
    let head = names.next()?;
    let tail: Vec<String> = names.map(str::to_string).collect();
    if tail
        .iter()
        .any(|n| n.is_empty() || n.contains(['(', '[', ' ']))
    {
        return None;
    }
    let binding = sem.binding_at(head, at)?;
    // `const users = require("./users")` binds a variable the import list holds, at
    // module level or in the function that declares the routes.
    if binding.kind == BindingKind::Parameter {
        return None;
    }
    let import = sem
        .imports()
        .iter()
        .find(|i| i.span.start <= binding.span.start && binding.span.end <= i.span.end)?;
    let mut path = Vec::with_capacity(tail.len() + 1);
    match import.kind {
        ImportKind::Member => path.push(import.name.clone()?),
        ImportKind::Default => path.push("default".to_string()),
        ImportKind::Module => {}
        ImportKind::Wildcard | ImportKind::Unbound => return None,
    }
    path.extend(tail);
    (!path.is_empty()).then(|| RouterRef::Imported {
        module: import.module.clone(),
        path,
    })
}

/// The methods of class `index`: its method definitions and the functions its fields
/// hold (`create = async (req, res) => {...}`).
pub(super) fn class_methods<'s>(
    sem: &'s CodeSemantics,
    nodes: &'s NodeIndex<'_>,
    index: usize,
) -> impl Iterator<Item = &'s crate::code::Function> + 's {
    let class = &sem.classes()[index];
    // Functions are in source order: the methods are among those inside the class.
    let functions = sem.functions();
    let first = functions.partition_point(|f| f.span.start < class.body.start);
    functions[first..]
        .iter()
        .take_while(move |f| f.span.start < class.body.end)
        .filter(move |f| {
            f.class == Some(index)
                || f.parent == class.function
                    && nodes
                        .node_at(f.span)
                        .and_then(|n| n.parent())
                        .filter(|p| {
                            matches!(
                                p.kind_name(),
                                "public_field_definition" | "field_definition"
                            )
                        })
                        .and_then(|p| p.parent())
                        .is_some_and(|body| body.start_byte() == class.body.start)
        })
}

/// The functions a pre-class constructor assigns in its body: `function SessionHandler(
/// db) { this.displayLogin = (req, res) => {...}; }` (or `self.displayLogin` after `const
/// self = this`), by member name.
pub(super) fn constructor_members<'t>(
    text: &'t str,
    function: Node<'t>,
) -> Vec<(&'t str, Node<'t>)> {
    let Some(body) = function
        .field("body")
        .filter(|b| b.kind_name() == "statement_block")
    else {
        return Vec::new();
    };
    super::classes::this_assignments(text, body)
        .into_iter()
        .filter(|(_, value)| {
            matches!(
                value.kind_name(),
                "arrow_function" | "function_expression" | "function"
            )
        })
        .collect()
}

struct Reader<'a> {
    sem: &'a CodeSemantics,
    nodes: &'a NodeIndex<'a>,
    text: &'a str,
    out: Exported,
}

impl<'a> Reader<'a> {
    /// `module.exports = value`, `module.exports.x = value`, `exports.x = value`.
    fn assignment(&mut self, statement: Node<'a>) {
        let Some(assignment) = statement
            .named_child(0)
            .filter(|n| n.kind_name() == "assignment_expression")
        else {
            return;
        };
        let (Some(left), Some(right)) = (assignment.field("left"), assignment.field("right"))
        else {
            return;
        };
        match text_of(self.text, left) {
            "module.exports" | "exports.default" | "module.exports.default" => {
                // An object's keys are what `require()` gives; anything else is reached
                // as `default` (an ES default import) or through its members.
                if right.kind_name() == "object" {
                    self.object("", right, 0);
                } else {
                    self.value("default", right, 0);
                }
            }
            target => {
                if let Some(name) = target
                    .strip_prefix("module.exports.")
                    .or_else(|| target.strip_prefix("exports."))
                {
                    self.value(name, right, 0);
                }
            }
        }
    }

    fn export_statement(&mut self, statement: Node<'a>) {
        if let Some(source) = statement.field("source") {
            let Some(module) = string_content(self.text, source) else {
                return;
            };
            // `export * from "./users"`: its names are this module's.
            if text_of(self.text, statement).starts_with("export *") {
                self.out.modules.push(("*".to_string(), module.to_string()));
                return;
            }
            // `export { default as users } from "./users.controller"`.
            let mut cursor = statement.walk();
            for clause in statement.named_children(&mut cursor) {
                for specifier in elements(clause)
                    .into_iter()
                    .filter(|s| s.kind_name() == "export_specifier")
                {
                    let name = specifier.field("name").map(|n| text_of(self.text, n));
                    let alias = specifier.field("alias").map(|a| text_of(self.text, a));
                    if let (Some("default"), Some(alias)) = (name, alias) {
                        self.out
                            .modules
                            .push((alias.to_string(), module.to_string()));
                    }
                }
            }
            return;
        }
        let default = text_of(self.text, statement).starts_with("export default");
        if let Some(value) = statement.field("value") {
            return self.value("default", value, 0);
        }
        if let Some(declaration) = statement.field("declaration") {
            match declaration.kind_name() {
                "lexical_declaration" | "variable_declaration" => {
                    for declarator in elements(declaration) {
                        if let (Some(name), Some(value)) =
                            (declarator.field("name"), declarator.field("value"))
                            && name.kind_name() == "identifier"
                        {
                            self.value(text_of(self.text, name), value, 0);
                        }
                    }
                }
                _ => {
                    let name = declaration.field("name").map(|n| text_of(self.text, n));
                    let name = if default { Some("default") } else { name };
                    if let Some(name) = name {
                        self.value(name, declaration, 0);
                    }
                }
            }
            return;
        }
        // `export { create, list as index }`.
        for (exported, name) in super::javascript::export_specifiers(self.text, statement) {
            self.value(exported, name, 0);
        }
    }

    /// Records what `value`, exported as `name`, holds: a function, functions in an
    /// object or class, a wrapped function (`catchAsync(async (req, res) => ...)`), or a
    /// module re-exported whole.
    fn value(&mut self, name: &str, value: Node<'a>, steps: usize) {
        if steps > MAX_STEPS {
            return;
        }
        let span: Span = value.byte_range().into();
        match value.kind_name() {
            "function_declaration"
            | "generator_function_declaration"
            | "function_expression"
            | "function"
            | "arrow_function"
            | "method_definition" => {
                let Some(index) = self.sem.function_with_span(span) else {
                    return;
                };
                if is_handler(&self.sem.functions()[index]) {
                    self.out.functions.push((name.to_string(), span));
                    return;
                }
                // `module.exports = SessionHandler`, made with `new SessionHandler(db)`.
                for (member, function) in constructor_members(self.text, value) {
                    self.value(&format!("{name}.{member}"), function, steps + 1);
                }
            }
            "object" => self.object(name, value, steps + 1),
            "class" | "class_declaration" | "abstract_class_declaration" => {
                self.class(name, value);
            }
            "new_expression" => {
                // `module.exports = new UserController()`: its methods.
                if let Some(class) = value
                    .field("constructor")
                    .and_then(|c| self.local_definition(c))
                {
                    self.value(name, class, steps + 1);
                }
            }
            "call_expression" => {
                let Some(callee) = value.field("function") else {
                    return;
                };
                let args = value.field("arguments").map_or_else(Vec::new, elements);
                if text_of(self.text, callee) == "require" {
                    if let Some(module) = args.first().and_then(|a| string_content(self.text, *a)) {
                        self.out
                            .modules
                            .push((name.to_string(), module.to_string()));
                    }
                    return;
                }
                // A wrapper's last argument is the handler it wraps.
                if let Some(last) = args.last() {
                    self.value(name, *last, steps + 1);
                }
            }
            "identifier" => {
                let written = text_of(self.text, value);
                let Some(binding) = self.sem.binding_at(written, value.start_byte()) else {
                    return;
                };
                let import_binding = binding.kind == BindingKind::Import
                    || binding
                        .value
                        .is_some_and(|v| self.text[v.start..v.end].starts_with("require("));
                match binding.kind {
                    _ if import_binding => {
                        // `const users = require("./users"); module.exports = { users }`.
                        let import = self.sem.imports().iter().find(|i| {
                            i.span.start <= binding.span.start && binding.span.end <= i.span.end
                        });
                        if let Some(import) = import
                            && matches!(import.kind, ImportKind::Module | ImportKind::Default)
                        {
                            self.out
                                .modules
                                .push((name.to_string(), import.module.clone()));
                        }
                    }
                    BindingKind::Function | BindingKind::Class | BindingKind::Variable => {
                        if let Some(definition) = self.local_definition(value) {
                            self.value(name, definition, steps + 1);
                        }
                    }
                    BindingKind::Parameter | BindingKind::Import => {}
                }
            }
            _ => {}
        }
    }

    /// `{ create, list: async (req, res) => ..., remove() {...} }` as `name.key`.
    fn object(&mut self, name: &str, object: Node<'a>, steps: usize) {
        for member in elements(object) {
            let (key, value) = match member.kind_name() {
                "pair" => {
                    let Some(key) = member.field("key") else {
                        continue;
                    };
                    let Some(value) = member.field("value") else {
                        continue;
                    };
                    let key =
                        string_content(self.text, key).unwrap_or_else(|| text_of(self.text, key));
                    (key, value)
                }
                "shorthand_property_identifier" => (text_of(self.text, member), member),
                "method_definition" => {
                    let Some(key) = member.field("name") else {
                        continue;
                    };
                    (text_of(self.text, key), member)
                }
                _ => continue,
            };
            let qualified = if name.is_empty() {
                key.to_string()
            } else {
                format!("{name}.{key}")
            };
            let value = if value.kind_name() == "shorthand_property_identifier" {
                // The shorthand's identifier is the property itself; its binding is the
                // value.
                match self.local_definition(value) {
                    Some(definition) => definition,
                    None => {
                        self.identifier_import(&qualified, value);
                        continue;
                    }
                }
            } else {
                value
            };
            self.value(&qualified, value, steps);
        }
    }

    /// A shorthand `{ users }` naming an imported module.
    fn identifier_import(&mut self, name: &str, node: Node<'a>) {
        let Some(binding) = self
            .sem
            .binding_at(text_of(self.text, node), node.start_byte())
        else {
            return;
        };
        let required = binding
            .value
            .is_some_and(|v| self.text[v.start..v.end].starts_with("require("));
        if binding.kind != BindingKind::Import && !required {
            return;
        }
        if let Some(import) = self
            .sem
            .imports()
            .iter()
            .find(|i| i.span.start <= binding.span.start && binding.span.end <= i.span.end)
            && matches!(import.kind, ImportKind::Module | ImportKind::Default)
        {
            self.out
                .modules
                .push((name.to_string(), import.module.clone()));
        }
    }

    /// A class's methods as `name.method` (static or not: a route names either through
    /// the class or an instance).
    fn class(&mut self, name: &str, class: Node<'a>) {
        let Some(index) = self
            .sem
            .classes()
            .iter()
            .position(|c| c.span.start == class.start_byte())
        else {
            return;
        };
        for function in class_methods(self.sem, self.nodes, index) {
            if !is_handler(function) {
                continue;
            }
            if let Some(method) = &function.name {
                self.out
                    .functions
                    .push((format!("{name}.{method}"), function.span));
            }
        }
    }

    /// The node a module-level name is defined by: its function or class declaration, or
    /// the value assigned to it.
    fn local_definition(&self, node: Node<'a>) -> Option<Node<'a>> {
        let binding = self
            .sem
            .binding_at(text_of(self.text, node), node.start_byte())?;
        if binding.scope != Scope::Module {
            return None;
        }
        let span = match binding.kind {
            BindingKind::Variable => binding.value?,
            BindingKind::Function | BindingKind::Class => {
                // The declaration holds its name.
                let name = self.nodes.node_at(binding.span)?;
                let declaration = name.parent()?;
                declaration.byte_range().into()
            }
            _ => return None,
        };
        self.nodes.node_at(span)
    }
}
