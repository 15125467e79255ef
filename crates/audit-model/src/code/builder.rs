//! The one pass over the tree, shared by both languages: an iterative walk (files may nest
//! deeper than any stack) that keeps a stack of frames (functions, classes, blocks) and
//! records imports, functions, classes, bindings and calls; names are resolved once at the
//! end, when every binding is known.

use foldhash::{HashMap, HashSet};

use audit_core::Span;
use audit_syntax::Grammar;
use audit_syntax::tree_sitter::{Node, Tree, TreeCursor};

use super::kinds::{Field, Kind, Source, Tables};
use super::nodes::NodeIndex;
use super::scope::{BindingTable, Functions};
use super::{
    Binding, BindingKind, Call, Class, CodeSemantics, Decorator, Function, FunctionKind, Head,
    Import, Reference, Scope,
};

pub(super) fn build<'t>(
    tree: &'t Tree,
    text: &'t str,
    grammar: Grammar,
) -> (CodeSemantics, NodeIndex<'t>) {
    let root = tree.root_node();
    let mut index = NodeIndex::new(tree, text.len());
    let src = Source {
        tables: Tables::of(grammar),
        text,
    };
    let mut builder = Builder::new(src, grammar, root);
    let javascript = grammar.is_javascript_family();
    let enter = |builder: &mut Builder<'t>, node: Node<'t>| {
        if javascript {
            builder.enter_javascript(node)
        } else {
            builder.enter_python(node)
        }
    };
    // Only named nodes mean anything here, so the walk steps over the punctuation
    // between them instead of landing on each; a stack, not recursion, as files may
    // nest deeper than any thread's stack. Each node's named children are read once,
    // before it is entered: the walk descends through them and `enter` reads a call's
    // callee and arguments from them (tree-sitter finds a child by index from the first
    // one, through every hidden node on the way, so each lookup costs hundreds of
    // instructions).
    let mut stack: Vec<Level<'t>> = Vec::new();
    let mut spare: Vec<Vec<Node<'t>>> = Vec::new();
    builder.entering(root, Vec::new());
    let entered = enter(&mut builder, root);
    let root_entry = index.visit(root, entered, None);
    if entered && let Some(children) = builder.entered_children() {
        stack.push(Level::new(root, children, root_entry));
    }
    while let Some(level) = stack.last_mut() {
        match level.children.get(level.next).copied() {
            Some(child) => {
                level.next += 1;
                let parent_entry = level.entry;
                builder.entering(child, spare.pop().unwrap_or_default());
                let descend = enter(&mut builder, child) && !inert(src, child, javascript);
                let entry = index.visit(child, descend, parent_entry);
                if descend && let Some(children) = builder.entered_children() {
                    stack.push(Level::new(child, children, entry));
                } else {
                    spare.push(builder.take_buffer());
                    builder.leave(child);
                }
            }
            None => {
                if let Some(level) = stack.pop() {
                    spare.push(level.children);
                    builder.leave(level.node);
                }
            }
        }
    }
    (builder.finish(), index)
}

/// Whether the walk may step over the children of `node`: an expression or simple
/// statement whose text holds no call, function, class, assignment, template or
/// comprehension, so that nothing under it binds a name, calls or declares. Leaves are
/// about half of what the walk would visit, and most of them sit in such member chains,
/// literals and argument lists; the nodes under them stay findable through the tree.
fn inert(s: Source<'_>, node: Node<'_>, javascript: bool) -> bool {
    let text = s.text(node).as_bytes();
    let text = match s.kind(node) {
        // Inside the parentheses: a list of plain arguments.
        Kind::Arguments | Kind::ArgumentList => {
            text.get(1..text.len().saturating_sub(1)).unwrap_or(text)
        }
        Kind::MemberExpression
        | Kind::SubscriptExpression
        | Kind::Object
        | Kind::Array
        | Kind::Pair
        | Kind::BinaryExpression
        | Kind::UnaryExpression
        | Kind::TernaryExpression
        | Kind::Attribute
        | Kind::Subscript
        | Kind::List
        | Kind::Tuple
        | Kind::Dictionary
        | Kind::BinaryOperator
        | Kind::BooleanOperator
        | Kind::ComparisonOperator
        | Kind::NotOperator
        | Kind::UnaryOperator
        | Kind::ReturnStatement => text,
        _ => return false,
    };
    // In Python an expression binds only through `:=`; its other `=` are keyword
    // arguments and comparisons, so they do not make a node worth walking into.
    let binds = if javascript {
        memchr::memchr3(b'(', b'=', b'`', text).is_some()
    } else {
        memchr::memchr(b'(', text).is_some() || memchr::memmem::find(text, b":=").is_some()
    };
    if binds {
        return false;
    }
    // What binds or calls without a parenthesis or `=`: `new X`, class expressions,
    // Python lambdas and comprehensions, decorators.
    let words: [&[u8]; 3] = if javascript {
        [b"new", b"class", b"@"]
    } else {
        [b"lambda", b"for", b"@"]
    };
    let identifier = |b: &u8| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'$';
    !memchr::memchr3_iter(words[0][0], words[1][0], words[2][0], text).any(|at| {
        words.iter().any(|word| {
            text[at..].starts_with(word)
                && (word.len() == 1
                    || (!at.checked_sub(1).is_some_and(|i| identifier(&text[i]))
                        && !text.get(at + word.len()).is_some_and(identifier)))
        })
    })
}

/// A node being walked: its named children and the next one to visit.
struct Level<'t> {
    node: Node<'t>,
    children: Vec<Node<'t>>,
    next: usize,
    entry: Option<u32>,
}

impl<'t> Level<'t> {
    fn new(node: Node<'t>, children: Vec<Node<'t>>, entry: Option<u32>) -> Level<'t> {
        Level {
            node,
            children,
            next: 0,
            entry,
        }
    }
}

/// The named children of a node, in order. By index for the narrow nodes that are most
/// of a tree (tree-sitter finds a named child by index in a few steps, where its cursor
/// pays for every anonymous sibling in between); by cursor for wide ones, where indexing
/// from the start each time would be quadratic.
enum NamedChildren<'t> {
    Indexed {
        node: Node<'t>,
        next: u32,
        count: u32,
    },
    Cursor {
        cursor: TreeCursor<'t>,
        started: bool,
    },
}

/// Beyond this many named children a node's children are walked with a cursor.
const INDEXED_CHILDREN: u32 = 16;

impl<'t> Iterator for NamedChildren<'t> {
    type Item = Node<'t>;

    fn next(&mut self) -> Option<Node<'t>> {
        match self {
            NamedChildren::Indexed { node, next, count } => {
                if next == count {
                    return None;
                }
                *next += 1;
                node.named_child(*next - 1)
            }
            NamedChildren::Cursor {
                cursor, started, ..
            } => loop {
                let moved = if *started {
                    cursor.goto_next_sibling()
                } else {
                    *started = true;
                    cursor.goto_first_child()
                };
                if !moved {
                    return None;
                }
                if cursor.node().is_named() {
                    return Some(cursor.node());
                }
            },
        }
    }
}

impl<'t> NamedChildren<'t> {
    fn of(node: Node<'t>) -> NamedChildren<'t> {
        let count = node.named_child_count() as u32;
        if count <= INDEXED_CHILDREN {
            NamedChildren::Indexed {
                node,
                next: 0,
                count,
            }
        } else {
            NamedChildren::Cursor {
                cursor: node.walk(),
                started: false,
            }
        }
    }
}

/// The named children of `node`, in order, into `into`.
fn named_children_into<'t>(node: Node<'t>, into: &mut Vec<Node<'t>>) {
    into.clear();
    let count = node.named_child_count() as u32;
    if count <= INDEXED_CHILDREN {
        into.reserve(count as usize);
        for i in 0..count {
            if let Some(child) = node.named_child(i) {
                into.push(child);
            }
        }
    } else {
        let mut cursor = node.walk();
        into.extend(node.named_children(&mut cursor));
    }
}

pub(super) struct Builder<'t> {
    pub(super) src: Source<'t>,
    grammar: Grammar,
    frames: Vec<Frame<'t>>,
    /// Per name, the frames (ascending) that bind it so far and their latest binding: the
    /// declaration an assignment to the name refers to, found without scanning the frames.
    declared: HashMap<&'t str, Vec<(usize, usize)>>,
    pub(super) imports: Vec<Import>,
    pub(super) functions: Vec<Function>,
    pub(super) classes: Vec<Class>,
    pub(super) bindings: BindingTable,
    /// Bindings whose value is a name, member chain or module load, in binding order.
    aliases: Vec<(usize, Reference<'t>)>,
    decorators: Vec<(DecoratorSlot, Reference<'t>)>,
    pub(super) calls: Vec<Call>,
    /// The callee of each call (by index) that is a name, member chain or module load.
    callees: Vec<(usize, Reference<'t>)>,
    /// The names function values take from what they are assigned to, by node id.
    pending_names: Vec<(usize, &'t str)>,
    /// Decorators written before the node (by id) they decorate.
    pending_decorators: Vec<(usize, Vec<PendingDecorator<'t>>)>,
    /// `require()`/`import()` calls already recorded as a bound import.
    pub(super) bound_module_calls: HashSet<usize>,
    /// The node being entered, whether its named children were read, and them.
    entered: Option<(Node<'t>, bool)>,
    children: Vec<Node<'t>>,
}

pub(super) struct PendingDecorator<'t> {
    pub(super) decorator: Decorator,
    pub(super) reference: Option<Reference<'t>>,
}

enum DecoratorSlot {
    Function(usize, usize),
    Parameter(usize, usize, usize),
    Class(usize, usize),
}

/// A function, class or block being walked. The indices of the frames places are taken
/// from are cached, so nothing scans the stack (nesting may be 100,000 deep).
struct Frame<'t> {
    node: usize,
    kind: FrameKind,
    range: Span,
    /// The innermost function or module frame, this one included.
    function: usize,
    /// The innermost function, class or module frame (a Python scope).
    scope: usize,
    /// The innermost frame that is not a class (a JS lexical scope).
    lexical: usize,
    /// Inside a `catch`/`except` handler of the innermost function.
    handler: bool,
    /// Python `global` names declared in this function.
    globals: Vec<&'t str>,
    /// Python `nonlocal` names declared in this function.
    nonlocals: Vec<&'t str>,
    /// Names with an entry for this frame in [`Builder::declared`].
    names: Vec<&'t str>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum FrameKind {
    Module,
    Function(usize),
    Class(usize),
    /// A JS block (scope of `let`/`const`), or a `catch`/`except` handler.
    Block {
        handler: bool,
    },
}

/// Where a new binding goes.
#[derive(Clone, Copy)]
pub(super) struct Place {
    pub(super) scope: Scope,
    pub(super) function: Option<usize>,
    pub(super) visible: Span,
    pub(super) hoisted: bool,
    pub(super) in_handler: bool,
    /// The frame whose range is `visible`; None for a comprehension.
    pub(super) frame: Option<usize>,
}

impl Place {
    pub(super) fn binding(
        &self,
        name: &str,
        span: Span,
        kind: BindingKind,
        effective: usize,
    ) -> Binding {
        Binding {
            name: name.to_owned(),
            kind,
            scope: self.scope,
            span,
            visible: self.visible,
            value: None,
            path: Vec::new(),
            augmented: false,
            qualified_name: None,
            function: self.function,
            effective,
            hoisted: self.hoisted,
            fallback: false,
        }
    }
}

impl<'t> Builder<'t> {
    /// Records a function (its parameters come after) with the decorators to resolve,
    /// and returns its index.
    pub(super) fn open_function(
        &mut self,
        node: Node<'t>,
        name: Option<&str>,
        kind: FunctionKind,
        class: Option<usize>,
        is_async: bool,
        decorators: Vec<PendingDecorator<'t>>,
    ) -> usize {
        let s = self.src;
        let parent = self.current_function();
        let body = s.child(node, Field::Body).map_or(span(node), span);
        let index = self.push_function(
            node,
            Function {
                name: name.map(str::to_owned),
                kind,
                is_async,
                parameters: Vec::new(),
                decorators: Vec::new(),
                class,
                parent,
                body,
                span: span(node),
            },
        );
        self.function_decorators(index, decorators);
        index
    }

    /// A decorator (`@x`, `@x(args)`) with its callee left to resolve once bindings are
    /// known; `call` is the grammar's call node kind, `reference` its name reader.
    pub(super) fn pending_decorator(
        &self,
        node: Node<'t>,
        call: Kind,
        reference: fn(Source<'t>, Node<'t>) -> Option<Reference<'t>>,
    ) -> PendingDecorator<'t> {
        let s = self.src;
        let expression = named_children(s, node).next().unwrap_or(node);
        let (callee, arguments) = if s.kind(expression) == call {
            (
                s.child(expression, Field::Function).unwrap_or(expression),
                s.child(expression, Field::Arguments).map(span),
            )
        } else {
            (expression, None)
        };
        PendingDecorator {
            decorator: Decorator {
                name: s.text(callee).to_owned(),
                qualified_name: None,
                arguments,
                span: span(expression),
            },
            reference: reference(s, callee),
        }
    }

    fn new(src: Source<'t>, grammar: Grammar, root: Node<'t>) -> Builder<'t> {
        Builder {
            src,
            grammar,
            frames: vec![Frame {
                node: root.id(),
                kind: FrameKind::Module,
                range: Span::new(0, src.text.len().max(root.end_byte())),
                function: 0,
                scope: 0,
                lexical: 0,
                handler: false,
                globals: Vec::new(),
                nonlocals: Vec::new(),
                names: Vec::new(),
            }],
            declared: HashMap::default(),
            imports: Vec::new(),
            functions: Vec::new(),
            classes: Vec::new(),
            bindings: BindingTable::default(),
            aliases: Vec::new(),
            decorators: Vec::new(),
            calls: Vec::new(),
            callees: Vec::new(),
            pending_names: Vec::new(),
            pending_decorators: Vec::new(),
            bound_module_calls: HashSet::default(),
            entered: None,
            children: Vec::new(),
        }
    }

    /// The walk is about to enter `node`; its named children are read into `buffer` when
    /// first asked for.
    fn entering(&mut self, node: Node<'t>, mut buffer: Vec<Node<'t>>) {
        buffer.clear();
        self.children = buffer;
        self.entered = Some((node, false));
    }

    /// The named children of the node entered last, read now if `enter` did not read
    /// them; `None` when it has none.
    fn entered_children(&mut self) -> Option<Vec<Node<'t>>> {
        let node = self.entered?.0;
        self.children_of(node);
        let children = self.take_buffer();
        (!children.is_empty()).then_some(children)
    }

    fn take_buffer(&mut self) -> Vec<Node<'t>> {
        self.entered = None;
        std::mem::take(&mut self.children)
    }

    /// The named children of `node` when it is the node being entered (read once).
    fn children_of(&mut self, node: Node<'t>) -> Option<&[Node<'t>]> {
        match &mut self.entered {
            Some((entered, read)) if *entered == node => {
                if !*read {
                    *read = true;
                    named_children_into(node, &mut self.children);
                }
                Some(self.children.as_slice())
            }
            _ => None,
        }
    }

    /// [`Source::first_field`] from the children the walk read, when it read `node`'s.
    pub(super) fn first_field(&mut self, node: Node<'t>, field: Field) -> Option<Node<'t>> {
        let src = self.src;
        match self.children_of(node) {
            Some(children) => match children.first() {
                Some(first) if !first.is_extra() && first.start_byte() == node.start_byte() => {
                    Some(*first)
                }
                _ => src.child(node, field),
            },
            None => src.first_field(node, field),
        }
    }

    /// [`Source::last_field`] from the children the walk read, when it read `node`'s.
    pub(super) fn last_field(
        &mut self,
        node: Node<'t>,
        field: Field,
        kinds: &[Kind],
    ) -> Option<Node<'t>> {
        let src = self.src;
        match self.children_of(node) {
            Some(children) => match children.last() {
                Some(last) if kinds.contains(&src.kind(*last)) => Some(*last),
                _ => src.child(node, field),
            },
            None => src.last_field(node, field, kinds),
        }
    }

    pub(super) fn push_frame(&mut self, node: Node, kind: FrameKind) {
        let index = self.frames.len();
        let top = self.top();
        let (function, scope, lexical, handler) = match kind {
            FrameKind::Module | FrameKind::Function(_) => (index, index, index, false),
            FrameKind::Class(_) => (top.function, index, top.lexical, false),
            FrameKind::Block { handler } => {
                (top.function, top.scope, index, handler || top.handler)
            }
        };
        self.frames.push(Frame {
            node: node.id(),
            kind,
            range: span(node),
            function,
            scope,
            lexical,
            handler,
            globals: Vec::new(),
            nonlocals: Vec::new(),
            names: Vec::new(),
        });
    }

    fn leave(&mut self, node: Node) {
        if self.frames.len() > 1 && self.top().node == node.id() {
            let index = self.frames.len() - 1;
            if let Some(frame) = self.frames.pop() {
                for name in frame.names {
                    if let Some(entries) = self.declared.get_mut(name)
                        && entries.last().is_some_and(|&(f, _)| f == index)
                    {
                        entries.pop();
                    }
                }
            }
        }
    }

    fn top(&self) -> &Frame<'t> {
        &self.frames[self.frames.len() - 1]
    }

    pub(super) fn top_frame(&self) -> FrameKind {
        self.top().kind
    }

    /// The innermost function being walked.
    pub(super) fn current_function(&self) -> Option<usize> {
        match self.frames[self.top().function].kind {
            FrameKind::Function(i) => Some(i),
            _ => None,
        }
    }

    pub(super) fn module_place(&self) -> Place {
        self.place_of(0)
    }

    /// The innermost function (or the module) as a place: JS `var`, parameters, Python locals.
    pub(super) fn function_place(&self) -> Place {
        self.place_of(self.top().function)
    }

    /// The innermost JS block, function or module: `let`, `const`, `class`, `function`.
    pub(super) fn lexical_place(&self) -> Place {
        let lexical = self.top().lexical;
        Place {
            visible: self.frames[lexical].range,
            hoisted: true,
            frame: Some(lexical),
            ..self.function_place()
        }
    }

    /// The innermost Python scope (function, class or module) for `name`, where `global`
    /// and `nonlocal` say so.
    pub(super) fn python_place(&self, name: &str) -> Place {
        let frame = &self.frames[self.top().scope];
        if frame.globals.contains(&name) {
            return self.module_place();
        }
        if frame.nonlocals.contains(&name) {
            return self.existing_place(name);
        }
        self.scope_place()
    }

    /// The innermost Python scope: function, class or module.
    pub(super) fn scope_place(&self) -> Place {
        self.place_of(self.top().scope)
    }

    /// The place of the latest binding of `name` in the frames being walked (an assignment
    /// to a declared name), else the module (an implicit global).
    pub(super) fn existing_place(&self, name: &str) -> Place {
        match self.declared.get(name).and_then(|entries| entries.last()) {
            Some(&(frame, id)) => {
                let b = &self.bindings.list[id];
                Place {
                    scope: b.scope,
                    function: b.function,
                    visible: b.visible,
                    hoisted: false,
                    in_handler: self.top().handler,
                    frame: Some(frame),
                }
            }
            None => self.module_place(),
        }
    }

    fn place_of(&self, index: usize) -> Place {
        let frame = &self.frames[index];
        let (scope, function, hoisted) = match frame.kind {
            FrameKind::Function(f) => (Scope::Function(f), Some(f), true),
            FrameKind::Class(c) => (Scope::Class(c), self.classes[c].function, false),
            FrameKind::Module | FrameKind::Block { .. } => (Scope::Module, None, false),
        };
        Place {
            scope,
            function,
            visible: frame.range,
            hoisted,
            in_handler: self.top().handler,
            frame: Some(index),
        }
    }

    /// Records Python `global`/`nonlocal` names for the innermost function.
    pub(super) fn declare_outer(&mut self, name: &'t str, global: bool) {
        let index = self.top().function;
        if index > 0 {
            let frame = &mut self.frames[index];
            if global {
                frame.globals.push(name);
            } else {
                frame.nonlocals.push(name);
            }
        }
    }

    pub(super) fn bind(
        &mut self,
        place: &Place,
        mut binding: Binding,
        alias: Option<Reference<'t>>,
    ) -> usize {
        binding.fallback = place.in_handler && binding.qualified_name.is_none() && alias.is_none();
        // `span` is the bound identifier, so its text is the name, borrowed for the frame.
        let name = &self.src.text[binding.span.start..binding.span.end];
        debug_assert_eq!(name, binding.name);
        let id = self.bindings.push(binding);
        if let Some(frame) = place.frame {
            let entries = self.declared.entry(name).or_default();
            // Entries ascend by frame; a binding may go to a frame below the top (`var`).
            let at = entries.partition_point(|&(f, _)| f < frame);
            match entries.get_mut(at) {
                Some(entry) if entry.0 == frame => entry.1 = id,
                _ => {
                    entries.insert(at, (frame, id));
                    self.frames[frame].names.push(name);
                }
            }
        }
        if let Some(reference) = alias {
            self.aliases.push((id, reference));
        }
        id
    }

    /// Records a call; `callee` is resolved when the bindings are known.
    pub(super) fn push_call(&mut self, call: Call, callee: Option<Reference<'t>>) {
        if let Some(reference) = callee {
            self.callees.push((self.calls.len(), reference));
        }
        self.calls.push(call);
    }

    /// Pushes a function and enters its frame.
    pub(super) fn push_function(&mut self, node: Node, function: Function) -> usize {
        let index = self.functions.len();
        self.functions.push(function);
        self.push_frame(node, FrameKind::Function(index));
        index
    }

    /// Pushes a class and enters its frame.
    pub(super) fn push_class(&mut self, node: Node, class: Class) -> usize {
        let index = self.classes.len();
        self.classes.push(class);
        self.push_frame(node, FrameKind::Class(index));
        index
    }

    pub(super) fn set_pending_name(&mut self, value: Node, name: &'t str) {
        self.pending_names.push((value.id(), name));
    }

    pub(super) fn take_pending_name(&mut self, node: Node) -> Option<&'t str> {
        let i = self
            .pending_names
            .iter()
            .rposition(|(id, _)| *id == node.id())?;
        Some(self.pending_names.swap_remove(i).1)
    }

    pub(super) fn stash_decorators(&mut self, target: Node, decorators: Vec<PendingDecorator<'t>>) {
        if !decorators.is_empty() {
            self.pending_decorators.push((target.id(), decorators));
        }
    }

    pub(super) fn take_decorators(&mut self, node: Node) -> Vec<PendingDecorator<'t>> {
        match self
            .pending_decorators
            .iter()
            .position(|(id, _)| *id == node.id())
        {
            Some(i) => self.pending_decorators.swap_remove(i).1,
            None => Vec::new(),
        }
    }

    pub(super) fn function_decorators(
        &mut self,
        function: usize,
        decorators: Vec<PendingDecorator<'t>>,
    ) {
        for (i, pending) in decorators.into_iter().enumerate() {
            if let Some(reference) = pending.reference {
                self.decorators
                    .push((DecoratorSlot::Function(function, i), reference));
            }
            self.functions[function].decorators.push(pending.decorator);
        }
    }

    pub(super) fn parameter_decorators(
        &mut self,
        function: usize,
        parameter: usize,
        decorators: Vec<PendingDecorator<'t>>,
    ) {
        for (i, pending) in decorators.into_iter().enumerate() {
            if let Some(reference) = pending.reference {
                self.decorators
                    .push((DecoratorSlot::Parameter(function, parameter, i), reference));
            }
            self.functions[function].parameters[parameter]
                .decorators
                .push(pending.decorator);
        }
    }

    pub(super) fn class_decorators(&mut self, class: usize, decorators: Vec<PendingDecorator<'t>>) {
        for (i, pending) in decorators.into_iter().enumerate() {
            if let Some(reference) = pending.reference {
                self.decorators
                    .push((DecoratorSlot::Class(class, i), reference));
            }
            self.classes[class].decorators.push(pending.decorator);
        }
    }

    /// Resolves aliases (each after the binding its value names, so `cp2 = cp` follows `cp`;
    /// a cycle resolves to nothing), then decorators.
    fn finish(self) -> CodeSemantics {
        let mut semantics = CodeSemantics {
            grammar: self.grammar,
            tables: self.src.tables,
            imports: self.imports,
            functions: Functions::new(self.functions),
            classes: self.classes,
            bindings: self.bindings,
            calls: self.calls,
        };
        semantics.bindings.seal();
        let aliases = self.aliases;
        #[derive(Clone, Copy, PartialEq, Eq)]
        enum State {
            New,
            Visiting,
            Done,
        }
        let mut state = vec![State::New; aliases.len()];
        let mut stack = Vec::new();
        for start in 0..aliases.len() {
            stack.push(start);
            while let Some(&top) = stack.last() {
                if state[top] == State::Done {
                    stack.pop();
                    continue;
                }
                state[top] = State::Visiting;
                let (binding, reference) = &aliases[top];
                if let Head::Name { name, at } = reference.head
                    && let Some(target) =
                        semantics
                            .bindings
                            .lookup(name, at, &semantics.functions, true)
                    && let Ok(dependency) = aliases.binary_search_by_key(&target, |(id, _)| *id)
                    && state[dependency] == State::New
                {
                    stack.push(dependency);
                    continue;
                }
                let qualified =
                    semantics.resolve(reference, &semantics.bindings.list[*binding].path);
                semantics.bindings.list[*binding].qualified_name = qualified;
                state[top] = State::Done;
                stack.pop();
            }
        }
        for (slot, reference) in self.decorators {
            let qualified = semantics.resolve(&reference, &[]);
            let decorator = match slot {
                DecoratorSlot::Function(f, d) => &mut semantics.functions.list[f].decorators[d],
                DecoratorSlot::Parameter(f, p, d) => {
                    &mut semantics.functions.list[f].parameters[p].decorators[d]
                }
                DecoratorSlot::Class(c, d) => &mut semantics.classes[c].decorators[d],
            };
            decorator.qualified_name = qualified;
        }
        for (call, reference) in self.callees {
            semantics.calls[call].qualified_name = semantics.resolve(&reference, &[]);
        }
        semantics
    }
}

pub(super) fn span(node: Node) -> Span {
    Span::new(node.start_byte(), node.end_byte())
}

/// Named children that are not comments.
pub(super) fn named_children<'t>(s: Source<'t>, node: Node<'t>) -> impl Iterator<Item = Node<'t>> {
    NamedChildren::of(node).filter(move |c| s.kind(*c) != Kind::Comment)
}

/// The qualified name an import binds: the module itself, or `module.member` (`.` + `x` is
/// `.x` for Python's `from . import x`).
pub(super) fn member_of(module: &str, member: Option<&str>) -> String {
    match member {
        None => module.to_owned(),
        Some(member) if module.ends_with('.') => format!("{module}{member}"),
        Some(member) => format!("{module}.{member}"),
    }
}
