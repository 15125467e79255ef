//! What `this.x` holds in a JS/TS class: its fields (`router = Router()`, `path =
//! "/posts"`) and the constructor's `this.x = value` assignments. Routes declared in a
//! method on `this.router` are declared on that router, `this.path` is its literal and
//! `this.list` names the class's own method; `const self = this` is `this` too.

use audit_syntax::tree_sitter::Node;

use crate::code::nodes::{Fields, KindName, NodeIndex, elements, text_of};
use crate::code::{BindingKind, CodeSemantics};

/// The innermost class whose body holds `byte`.
pub(super) fn enclosing_class(sem: &CodeSemantics, byte: usize) -> Option<usize> {
    sem.classes()
        .iter()
        .enumerate()
        .filter(|(_, c)| c.body.start <= byte && byte < c.body.end)
        .min_by_key(|(_, c)| c.body.end - c.body.start)
        .map(|(index, _)| index)
}

/// The class a receiver stands for when it is `this` or a name bound to it (`const self
/// = this`), inside a class.
pub(super) fn this_class(
    sem: &CodeSemantics,
    nodes: &NodeIndex<'_>,
    text: &str,
    node: Node<'_>,
) -> Option<usize> {
    match node.kind_name() {
        "this" => enclosing_class(sem, node.start_byte()),
        "identifier" => {
            let binding = sem.binding_at(text_of(text, node), node.start_byte())?;
            let value = binding
                .value
                .filter(|_| binding.kind == BindingKind::Variable && binding.path.is_empty())?;
            let value = nodes.node_at(value)?;
            (value.kind_name() == "this")
                .then(|| enclosing_class(sem, value.start_byte()))
                .flatten()
        }
        _ => None,
    }
}

/// The members of class `index` with the values they are given: fields with an
/// initializer, then the constructor's top-level `this.x = value` assignments.
pub(super) fn members<'t>(
    sem: &CodeSemantics,
    nodes: &NodeIndex<'t>,
    text: &'t str,
    index: usize,
) -> Vec<(&'t str, Node<'t>)> {
    let Some(body) = nodes.node_at(sem.classes()[index].body) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for member in elements(body) {
        match member.kind_name() {
            "public_field_definition" | "field_definition" => {
                let name = member.field("name").or_else(|| member.field("property"));
                if let (Some(name), Some(value)) = (name, member.field("value")) {
                    out.push((text_of(text, name), value));
                }
            }
            "method_definition"
                if member
                    .field("name")
                    .is_some_and(|n| text_of(text, n) == "constructor") =>
            {
                let Some(block) = member.field("body") else {
                    continue;
                };
                out.extend(this_assignments(text, block));
            }
            _ => {}
        }
    }
    out
}

/// The value class `index` gives its member `name`.
pub(super) fn member_value<'t>(
    sem: &CodeSemantics,
    nodes: &NodeIndex<'t>,
    text: &'t str,
    index: usize,
    name: &str,
) -> Option<Node<'t>> {
    members(sem, nodes, text, index)
        .into_iter()
        .find(|(member, _)| *member == name)
        .map(|(_, value)| value)
}

/// `this.x = value` (or `self.x = value` after `const self = this`) statements of a
/// block, by member name.
pub(super) fn this_assignments<'t>(text: &'t str, block: Node<'t>) -> Vec<(&'t str, Node<'t>)> {
    let statements = elements(block);
    // `const self = this;` among the statements names `this` too.
    let aliases: Vec<&str> = statements
        .iter()
        .filter(|s| {
            matches!(
                s.kind_name(),
                "lexical_declaration" | "variable_declaration"
            )
        })
        .flat_map(|s| elements(*s))
        .filter(|d| d.field("value").is_some_and(|v| v.kind_name() == "this"))
        .filter_map(|d| d.field("name").map(|n| text_of(text, n)))
        .collect();
    statements
        .into_iter()
        .filter(|statement| statement.kind_name() == "expression_statement")
        .filter_map(|statement| {
            let assignment = statement
                .named_child(0)
                .filter(|n| n.kind_name() == "assignment_expression")?;
            let left = assignment
                .field("left")
                .filter(|l| l.kind_name() == "member_expression")?;
            let object = left.field("object")?;
            let on_this = object.kind_name() == "this"
                || object.kind_name() == "identifier" && aliases.contains(&text_of(text, object));
            on_this.then_some((
                text_of(text, left.field("property")?),
                assignment.field("right")?,
            ))
        })
        .collect()
}
