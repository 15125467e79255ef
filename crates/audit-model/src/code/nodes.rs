//! Back from the model's byte ranges to tree nodes, for readers that need a node's shape
//! (an argument list, an object literal) where the model keeps only its span.

use std::cell::RefCell;
use std::collections::HashMap;
use std::num::NonZeroU16 as FieldId;

use audit_core::Span;
use audit_syntax::tree_sitter::{Language, Node, Tree};

/// The named node whose range is exactly `span` (the deepest, when several share it).
pub fn node_at(tree: &Tree, span: Span) -> Option<Node<'_>> {
    let node = tree
        .root_node()
        .named_descendant_for_byte_range(span.start, span.end)?;
    (node.start_byte() == span.start && node.end_byte() == span.end).then_some(node)
}

/// The named nodes the semantics walk visited, by range, so [`NodeIndex::node_at`] finds
/// a node in a binary search instead of descending from the root, which scans every
/// sibling on the way (thousands of steps in a file of many top-level statements) and
/// is where the readers of the model spent most of their time.
pub struct NodeIndex<'t> {
    tree: &'t Tree,
    /// In walk (pre-)order, which sorts them by start, then by end descending.
    entries: Vec<Entry<'t>>,
}

struct Entry<'t> {
    start: u32,
    end: u32,
    /// None where a named node of the same range lies in a subtree the walk skipped:
    /// the tree answers for that range.
    node: Option<Node<'t>>,
}

impl<'t> NodeIndex<'t> {
    /// An empty index for `tree`, parsed from `len` bytes.
    pub(super) fn new(tree: &'t Tree, len: usize) -> NodeIndex<'t> {
        NodeIndex {
            tree,
            // About one named node in eight bytes of code: reserved, so the index is not
            // copied as it grows.
            entries: Vec::with_capacity(len / 8),
        }
    }

    pub fn tree(&self) -> &'t Tree {
        self.tree
    }

    /// Records a node the walk visited; `descended` says whether its named children are
    /// visited too.
    pub(super) fn visit(&mut self, node: Node<'t>, descended: bool) {
        let (start, end) = (node.start_byte(), node.end_byte());
        // Zero-width (missing) nodes would break the order; lookups of them go to the tree.
        let (Ok(start), Ok(end)) = (u32::try_from(start), u32::try_from(end)) else {
            return;
        };
        if start == end {
            return;
        }
        let hides_same_range = !descended
            && node.named_child_count() > 0
            && node.named_child(0).is_some_and(|child| {
                child.start_byte() == node.start_byte() && child.end_byte() == node.end_byte()
            });
        self.entries.push(Entry {
            start,
            end,
            node: (!hides_same_range).then_some(node),
        });
    }

    /// The named node whose range is exactly `span` (the deepest, when several share
    /// it), as [`node_at`] finds it.
    pub fn node_at(&self, span: Span) -> Option<Node<'t>> {
        self.indexed(span).or_else(|| node_at(self.tree, span))
    }

    /// The node of `span` when the index knows it.
    pub(super) fn indexed(&self, span: Span) -> Option<Node<'t>> {
        let (start, end) = (
            u32::try_from(span.start).ok()?,
            u32::try_from(span.end).ok()?,
        );
        let key = |e: &Entry<'_>| (e.start, std::cmp::Reverse(e.end));
        let first = self
            .entries
            .partition_point(|e| key(e) < (start, std::cmp::Reverse(end)));
        self.entries[first..]
            .iter()
            .take_while(|e| e.start == start && e.end == end)
            .last()?
            .node
    }
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

/// [`Node::child_by_field_name`] with the field's id looked up once per grammar and name:
/// tree-sitter finds an id by comparing the name with each of the grammar's field names,
/// which costs several times the lookup of the child itself.
pub trait Fields<'t> {
    fn field(&self, name: &'static str) -> Option<Node<'t>>;
}

impl<'t> Fields<'t> for Node<'t> {
    fn field(&self, name: &'static str) -> Option<Node<'t>> {
        thread_local! {
            static IDS: RefCell<HashMap<(Language, usize), Option<FieldId>>> =
                RefCell::new(HashMap::new());
        }
        let language = self.language();
        let key = (language.clone(), name.as_ptr() as usize);
        let id = IDS.with(|ids| {
            *ids.borrow_mut()
                .entry(key)
                .or_insert_with(|| language.field_id_for_name(name))
        })?;
        self.child_by_field_id(id.get())
    }
}
