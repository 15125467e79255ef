//! Name resolution: which binding a name used at a byte refers to. A scope is a `visible`
//! range, and scopes nest like the nodes they come from. Each name keeps only the scopes
//! that bind it, with their nesting, so a lookup is a binary search plus a step outwards per
//! scope that binds the name but cannot answer: no cost grows with the file's depth or with
//! how often the name is reused elsewhere (minified code reuses `e` thousands of times).

use foldhash::HashMap;

use audit_core::Span;

use super::{Binding, Function, Scope};

#[derive(Debug, Default)]
pub(super) struct BindingTable {
    pub(super) list: Vec<Binding>,
    /// Filled when sealed.
    by_name: HashMap<String, NameIndex>,
}

/// The bindings of one name, grouped by scope.
#[derive(Debug, Default)]
struct NameIndex {
    /// Binding ids, sorted by scope (in pre-order), then by where they take effect.
    ids: Vec<u32>,
    scopes: Vec<NameScope>,
    nesting: Nesting,
}

#[derive(Debug)]
struct NameScope {
    range: Span,
    /// `ids[first..end]` are this scope's bindings.
    first: u32,
    end: u32,
    /// The enclosing scope that also binds the name.
    parent: Option<u32>,
}

impl BindingTable {
    pub(super) fn push(&mut self, binding: Binding) -> usize {
        self.list.push(binding);
        self.list.len() - 1
    }

    /// Indexes the bindings by name, then by scope.
    pub(super) fn seal(&mut self) {
        let mut by_name: HashMap<String, NameIndex> = HashMap::default();
        for (id, binding) in self.list.iter().enumerate() {
            match by_name.get_mut(binding.name.as_str()) {
                Some(index) => index.ids.push(id as u32),
                None => {
                    let index = NameIndex {
                        ids: vec![id as u32],
                        ..NameIndex::default()
                    };
                    by_name.insert(binding.name.clone(), index);
                }
            }
        }
        for index in by_name.values_mut() {
            index.seal(&self.list);
        }
        self.by_name = by_name;
    }

    /// The binding `name` at `at` refers to. Scopes are tried innermost first; in a scope,
    /// the last binding in effect at `at` wins, else the first one when the name is bound
    /// throughout the scope or the use runs later (in a nested function), else the next
    /// scope out. `skip_fallbacks` prefers an earlier binding over a handler fallback.
    pub(super) fn lookup(
        &self,
        name: &str,
        at: usize,
        functions: &Functions,
        skip_fallbacks: bool,
    ) -> Option<usize> {
        let index = self.by_name.get(name)?;
        let use_function = functions.innermost(at);
        let mut scope = index.nesting.innermost(at);
        while let Some(s) = scope {
            let NameScope {
                first, end, parent, ..
            } = index.scopes[s];
            scope = parent.map(|p| p as usize);
            let group = &index.ids[first as usize..end as usize];
            let binding = |i: usize| &self.list[group[i] as usize];
            if hidden_in_class(binding(0), use_function, functions) {
                continue;
            }
            let before = group.partition_point(|&id| self.list[id as usize].effective <= at);
            if let Some(chosen) = before.checked_sub(1) {
                if skip_fallbacks
                    && binding(chosen).fallback
                    && let Some(earlier) = (0..chosen).rev().find(|&i| !binding(i).fallback)
                {
                    return Some(group[earlier] as usize);
                }
                return Some(group[chosen] as usize);
            }
            if binding(0).function != use_function || (0..group.len()).any(|i| binding(i).hoisted) {
                return Some(group[0] as usize);
            }
        }
        None
    }
}

impl NameIndex {
    fn seal(&mut self, list: &[Binding]) {
        self.ids.sort_by_key(|&id| {
            let b = &list[id as usize];
            (
                b.visible.start,
                std::cmp::Reverse(b.visible.end),
                b.effective,
                id,
            )
        });
        let mut open: Vec<u32> = Vec::new();
        for (i, &id) in self.ids.iter().enumerate() {
            let range = list[id as usize].visible;
            if let Some(last) = self.scopes.last_mut()
                && last.range == range
            {
                last.end = i as u32 + 1;
                continue;
            }
            while let Some(&top) = open.last() {
                let outer = self.scopes[top as usize].range;
                if outer.start <= range.start && range.end <= outer.end {
                    break;
                }
                open.pop();
            }
            open.push(self.scopes.len() as u32);
            self.scopes.push(NameScope {
                range,
                first: i as u32,
                end: i as u32 + 1,
                parent: open.iter().rev().nth(1).copied(),
            });
        }
        self.nesting = Nesting::new(self.scopes.iter().map(|s| s.range));
    }
}

/// Python: names bound in a class body are not visible in the functions inside it.
fn hidden_in_class(binding: &Binding, use_function: Option<usize>, functions: &Functions) -> bool {
    matches!(binding.scope, Scope::Class(_))
        && use_function.is_some_and(|f| functions.list[f].span.start > binding.visible.start)
}

/// The functions with their nesting, for the innermost function at a byte.
#[derive(Debug, Default)]
pub(super) struct Functions {
    pub(super) list: Vec<Function>,
    nesting: Nesting,
}

impl Functions {
    /// `list` is in pre-order (a function before the functions inside it).
    pub(super) fn new(list: Vec<Function>) -> Functions {
        let nesting = Nesting::new(list.iter().map(|f| f.span));
        Functions { list, nesting }
    }

    pub(super) fn innermost(&self, at: usize) -> Option<usize> {
        self.nesting.innermost(at)
    }
}

/// Which of some properly nested ranges is the innermost at a byte, by one binary search:
/// the points where the innermost range changes, with the range (index) from there on.
#[derive(Debug, Default)]
struct Nesting {
    changes: Vec<(usize, Option<u32>)>,
}

impl Nesting {
    /// `ranges` in pre-order: by start, an enclosing range before those inside it.
    fn new(ranges: impl Iterator<Item = Span>) -> Nesting {
        let mut changes = Vec::new();
        let mut open: Vec<(u32, usize)> = Vec::new();
        for (index, range) in ranges.enumerate() {
            while let Some(&(_, end)) = open.last()
                && end <= range.start
            {
                open.pop();
                changes.push((end, open.last().map(|&(i, _)| i)));
            }
            open.push((index as u32, range.end));
            changes.push((range.start, Some(index as u32)));
        }
        while let Some((_, end)) = open.pop() {
            changes.push((end, open.last().map(|&(i, _)| i)));
        }
        Nesting { changes }
    }

    fn innermost(&self, at: usize) -> Option<usize> {
        let change = self
            .changes
            .partition_point(|&(from, _)| from <= at)
            .checked_sub(1)?;
        self.changes[change].1.map(|i| i as usize)
    }
}
