//! Back from the model's byte ranges to tree nodes, for readers that need a node's shape
//! (an argument list, an object literal) where the model keeps only its span.

use std::cell::Cell;
use std::num::NonZeroU16 as FieldId;
use std::sync::OnceLock;

use audit_core::Span;
use audit_syntax::tree_sitter::{Node, Tree};

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
    /// Per entry, its start and end as one key in that order ([`range_key`]): the binary
    /// search reads these, six to a cache line where it would read one entry.
    keys: Vec<u64>,
}

/// A range as a number ordered by start, then by end descending.
fn range_key(start: u32, end: u32) -> u64 {
    (u64::from(start) << 32) | u64::from(u32::MAX - end)
}

struct Entry<'t> {
    /// The entry of the named parent, when the walk visited it.
    parent: Option<u32>,
    /// Whether the walk visited the node's named children.
    descended: bool,
    node: Node<'t>,
}

impl<'t> NodeIndex<'t> {
    /// An empty index for `tree`, parsed from `len` bytes.
    pub(super) fn new(tree: &'t Tree, len: usize) -> NodeIndex<'t> {
        NodeIndex {
            tree,
            // About one named node in eight bytes of code: reserved, so the index is not
            // copied as it grows.
            entries: Vec::with_capacity(len / 8),
            keys: Vec::with_capacity(len / 8),
        }
    }

    pub fn tree(&self) -> &'t Tree {
        self.tree
    }

    /// Records a node the walk visited, under the entry of its parent, and returns its
    /// entry; `descended` says whether its named children are visited too.
    pub(super) fn visit(
        &mut self,
        node: Node<'t>,
        descended: bool,
        parent: Option<u32>,
    ) -> Option<u32> {
        let (start, end) = (node.start_byte(), node.end_byte());
        // Zero-width (missing) nodes would break the order; lookups of them go to the tree.
        let (Ok(start), Ok(end)) = (u32::try_from(start), u32::try_from(end)) else {
            return None;
        };
        if start == end {
            return None;
        }
        let entry = u32::try_from(self.entries.len()).ok()?;
        self.keys.push(range_key(start, end));
        self.entries.push(Entry {
            parent,
            descended,
            node,
        });
        Some(entry)
    }

    /// The named parent of `node`, as [`Node::parent`] finds it: from the index when the
    /// walk visited the node (tree-sitter finds a parent by descending from the root).
    pub fn parent(&self, node: Node<'t>) -> Option<Node<'t>> {
        let indexed = self.entry_of(node).and_then(|entry| {
            let parent = self.entries[entry].parent?;
            Some(self.entries[parent as usize].node)
        });
        indexed.or_else(|| node.parent())
    }

    /// The entry holding `node` itself.
    fn entry_of(&self, node: Node<'t>) -> Option<usize> {
        self.same_range(Span::new(node.start_byte(), node.end_byte()))?
            .find(|&i| self.entries[i].node.id() == node.id())
    }

    /// The entries whose range is exactly `span`, outermost first.
    fn same_range(&self, span: Span) -> Option<std::ops::Range<usize>> {
        let (start, end) = (
            u32::try_from(span.start).ok()?,
            u32::try_from(span.end).ok()?,
        );
        let key = range_key(start, end);
        let first = self.keys.partition_point(|&k| k < key);
        let count = self.keys[first..].iter().take_while(|&&k| k == key).count();
        Some(first..first + count)
    }

    /// The named node whose range is exactly `span` (the deepest, when several share
    /// it), as [`node_at`] finds it.
    pub fn node_at(&self, span: Span) -> Option<Node<'t>> {
        self.indexed(span).or_else(|| node_at(self.tree, span))
    }

    /// The node of `span` when the index knows it.
    pub(super) fn indexed(&self, span: Span) -> Option<Node<'t>> {
        let entry = &self.entries[self.same_range(span)?.last()?];
        // A named node of the same range may lie under a node whose children the walk
        // skipped: the tree answers for that range (asked here, at a lookup, rather than
        // at each of the far more numerous visits).
        let hides_same_range = !entry.descended
            && entry.node.named_child_count() > 0
            && entry.node.named_child(0).is_some_and(|child| {
                child.start_byte() == span.start && child.end_byte() == span.end
            });
        (!hides_same_range).then_some(entry.node)
    }
}

/// The named children of an argument list, array or list, comments left out. By index
/// for the short lists that are most of them (tree-sitter finds a named child by index in
/// a few steps, where a cursor step costs more and steps over every comma); by cursor for
/// long ones, where indexing from the start each time would be quadratic. Comments are
/// the grammars' extras, told by a flag rather than by comparing kind names.
pub fn elements(node: Node<'_>) -> Vec<Node<'_>> {
    let count = node.named_child_count();
    if count <= 8 {
        return (0..count as u32)
            .filter_map(|i| node.named_child(i))
            .filter(|c| !c.is_extra())
            .collect();
    }
    let mut cursor = node.walk();
    node.named_children(&mut cursor)
        .filter(|c| !c.is_extra())
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

/// Field ids by name and grammar, in a two-way set-associative cache: a hit is a few
/// comparisons, where a map lookup hashed the key on each of the model's hundreds of
/// thousands of field reads. Names are keyed by address (they are literals), spread by a
/// multiplicative hash, and each may sit in either slot of its pair, so the few dozen
/// names the readers use do not evict each other whatever addresses the linker gave
/// them. A grammar is told apart by its kind and field counts (a test checks that the
/// product's grammars differ in them); a miss is looked up again.
#[derive(Clone, Copy)]
struct FieldSlot {
    name: usize,
    grammar: (usize, usize),
    id: Option<FieldId>,
}

const FIELD_SLOTS: usize = 512;

impl<'t> Fields<'t> for Node<'t> {
    fn field(&self, name: &'static str) -> Option<Node<'t>> {
        thread_local! {
            static SLOTS: [Cell<Option<FieldSlot>>; FIELD_SLOTS] =
                const { [const { Cell::new(None) }; FIELD_SLOTS] };
        }
        let language = self.language();
        let grammar = (language.node_kind_count(), language.field_count());
        let key = name.as_ptr() as usize;
        let hash = (key ^ grammar.0.rotate_left(32)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let pair = (hash >> (usize::BITS - 8)) % (FIELD_SLOTS / 2) * 2;
        let id = SLOTS.with(|slots| {
            let hit = |slot: &Cell<Option<FieldSlot>>| {
                slot.get()
                    .filter(|cached| cached.name == key && cached.grammar == grammar)
            };
            if let Some(cached) = hit(&slots[pair]).or_else(|| hit(&slots[pair + 1])) {
                return cached.id;
            }
            let id = language.field_id_for_name(name);
            // The newest entry takes the first slot, the one it displaces the second.
            slots[pair + 1].set(slots[pair].get());
            slots[pair].set(Some(FieldSlot {
                name: key,
                grammar,
                id,
            }));
            id
        })?;
        self.child_by_field_id(id.get())
    }
}

/// [`Node::kind`] from a table of the grammar's kind names: tree-sitter's answer is a C
/// string that the binding measures and checks for UTF-8 on every call, which the
/// readers of the model, matching kinds by name on nearly every node they touch, paid
/// hundreds of thousands of times a file set.
pub trait KindName<'t> {
    fn kind_name(&self) -> &'t str;
}

/// Each grammar's kind names by id, under its kind count: the product's grammars differ
/// in it (a test checks), which tells them apart with one call. Slots are filled as
/// grammars are met and never change, so a lookup takes no lock; a grammar beyond the
/// slots gets its names from tree-sitter.
static KIND_NAMES: [OnceLock<KindNames>; 8] = [const { OnceLock::new() }; 8];

/// A grammar's kind count and its kind names by id.
type KindNames = (usize, Box<[Box<str>]>);

impl<'t> KindName<'t> for Node<'t> {
    fn kind_name(&self) -> &'t str {
        let language = self.language();
        let kinds = language.node_kind_count();
        let known = KIND_NAMES
            .iter()
            .find_map(|slot| slot.get().filter(|(count, _)| *count == kinds));
        let names = known.or_else(|| {
            KIND_NAMES.iter().find_map(|slot| {
                let grammar = slot.get_or_init(|| {
                    let names = (0..kinds as u16)
                        .map(|id| language.node_kind_for_id(id).unwrap_or("").into())
                        .collect();
                    (kinds, names)
                });
                (grammar.0 == kinds).then_some(grammar)
            })
        });
        match names.and_then(|(_, names)| names.get(self.kind_id() as usize)) {
            Some(name) => name,
            None => self.kind(),
        }
    }
}
