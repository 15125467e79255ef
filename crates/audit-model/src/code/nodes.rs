//! Back from the model's byte ranges to tree nodes, for readers that need a node's shape
//! (an argument list, an object literal) where the model keeps only its span.

use audit_core::Span;
use audit_syntax::tree_sitter::{Node, Tree};

/// The named node whose range is exactly `span` (the deepest, when several share it).
pub fn node_at(tree: &Tree, span: Span) -> Option<Node<'_>> {
    let node = tree
        .root_node()
        .named_descendant_for_byte_range(span.start, span.end)?;
    (node.start_byte() == span.start && node.end_byte() == span.end).then_some(node)
}

/// The named children of an argument list, array or list, comments left out.
pub fn elements(node: Node<'_>) -> Vec<Node<'_>> {
    let mut cursor = node.walk();
    node.named_children(&mut cursor)
        .filter(|c| c.kind() != "comment")
        .collect()
}

pub fn text_of<'t>(text: &'t str, node: Node<'_>) -> &'t str {
    &text[node.byte_range()]
}

/// A string literal's content when it is plain text: a JS string without escapes or a
/// template without substitutions, a Python string without interpolation or escapes (a
/// prefix such as `r` or `f` is fine).
pub fn string_content<'t>(text: &'t str, node: Node<'_>) -> Option<&'t str> {
    if !matches!(node.kind(), "string" | "template_string") {
        return None;
    }
    let mut content = None;
    let mut cursor = node.walk();
    for child in node.named_children(&mut cursor) {
        match child.kind() {
            "string_start" | "string_end" => {}
            "string_fragment" | "string_content" if content.is_none() => {
                content = Some(text_of(text, child))
            }
            _ => return None,
        }
    }
    Some(content.unwrap_or(""))
}
