//! Anchors: text a query pattern cannot match without. When a capture that every match
//! of a pattern has must equal a string (`#eq?`) or one of several (`#any-of?`), a match
//! can only be rooted at a node containing such a string. A file is searched for all the
//! strings in one Aho-Corasick pass, and the combined query runs only at the nodes that
//! contain an occurrence, instead of over the whole tree: tree-sitter's query cursor
//! costs about a third of a parse per full walk, whatever the patterns.

use std::ops::ControlFlow;

use aho_corasick::{AhoCorasick, AhoCorasickKind, Input, MatchKind};
use audit_syntax::tree_sitter::Query;

/// Every occurrence of a set of literals, found with Aho-Corasick's leftmost-longest search
/// (which runs its SIMD prefilter; the overlapping search, which reports every literal
/// itself, walks the automaton byte by byte and costs several times more). The search
/// restarts one byte after each match, so no start is skipped, and a literal that is a
/// prefix of the one found at a start is reported there too.
pub struct Literals {
    finder: AhoCorasick,
    /// Per literal: the other literals it starts with (an equal one included).
    prefixes: Vec<Vec<usize>>,
}

impl Literals {
    pub fn new<L: AsRef<str>>(literals: &[L]) -> Literals {
        // A DFA: the sets are hundreds of literals with many first bytes, where the
        // prefilter rarely skips and an NFA search costs about forty instructions a byte.
        let finder = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .kind(Some(AhoCorasickKind::DFA))
            .build(literals.iter().map(|l| l.as_ref()))
            .expect("literal strings always build");
        let prefixes = literals
            .iter()
            .enumerate()
            .map(|(q, long)| {
                let long = long.as_ref();
                (0..literals.len())
                    .filter(|&p| p != q && long.starts_with(literals[p].as_ref()))
                    .collect()
            })
            .collect();
        Literals { finder, prefixes }
    }

    pub fn len(&self) -> usize {
        self.prefixes.len()
    }

    /// Calls `found(literal, start)` for each occurrence, in order of start, until it breaks.
    pub fn each(&self, text: &[u8], mut found: impl FnMut(usize, usize) -> ControlFlow<()>) {
        let mut at = 0;
        while let Some(hit) = self.finder.find(Input::new(text).range(at..)) {
            let (literal, start) = (hit.pattern().as_usize(), hit.start());
            let all = std::iter::once(&literal).chain(&self.prefixes[literal]);
            for &l in all {
                if found(l, start).is_break() {
                    return;
                }
            }
            at = start + 1;
        }
    }
}

/// Several readers' literal sets, searched in one pass over a file. A pass costs about
/// the same for four hundred literals as for fifty: on the 5.7 MB of JavaScript of the
/// generated corpus, the union of the per-file pass's six sets took 18 ms, a pass per
/// set 49 ms.
pub struct LiteralSets {
    finder: Literals,
    /// Per literal of the union: each set holding it, with its index in that set.
    members: Vec<Vec<(usize, usize)>>,
    sets: usize,
}

impl LiteralSets {
    pub fn new(sets: &[Vec<&str>]) -> LiteralSets {
        let mut union: Vec<&str> = Vec::new();
        let mut members: Vec<Vec<(usize, usize)>> = Vec::new();
        let mut position = std::collections::HashMap::new();
        for (set, literals) in sets.iter().enumerate() {
            for (id, &literal) in literals.iter().enumerate() {
                let at = *position.entry(literal).or_insert_with(|| {
                    union.push(literal);
                    members.push(Vec::new());
                    union.len() - 1
                });
                members[at].push((set, id));
            }
        }
        LiteralSets {
            finder: Literals::new(&union),
            members,
            sets: sets.len(),
        }
    }

    /// Per set, every occurrence in `text` of its literals: (index in the set, start), in
    /// order of start.
    pub fn search(&self, text: &[u8]) -> Vec<Vec<(usize, usize)>> {
        let mut found = vec![Vec::new(); self.sets];
        // A plan none of whose readers is enabled searches nothing.
        if self.members.is_empty() {
            return found;
        }
        self.finder.each(text, |literal, start| {
            for &(set, id) in &self.members[literal] {
                found[set].push((id, start));
            }
            ControlFlow::Continue(())
        });
        found
    }
}

/// The anchors of every pattern of one combined query.
pub struct Anchors {
    finder: Literals,
    /// Per pattern: groups of literal ids (into `finder`'s patterns); a match of the
    /// pattern contains an occurrence of a literal of each group.
    patterns: Vec<Vec<Vec<usize>>>,
}

impl Anchors {
    /// The anchors of the patterns that have them, and the indices of those that do not
    /// (no `#eq?`/`#any-of?` on a capture every match has, or a shape this analysis does
    /// not understand: not rooted, a field on its root). Those run over whole trees in a
    /// query of their own; an unanchored pattern here has no groups and adds nothing.
    pub fn new(query: &Query, source: &str) -> (Anchors, Vec<usize>) {
        let mut literals: Vec<String> = Vec::new();
        let mut patterns = Vec::with_capacity(query.pattern_count());
        let mut unanchored = Vec::new();
        for i in 0..query.pattern_count() {
            let groups = (query.is_pattern_rooted(i) && !query.is_pattern_non_local(i))
                .then(|| source.get(query.start_byte_for_pattern(i)..query.end_byte_for_pattern(i)))
                .flatten()
                .and_then(pattern_groups)
                .filter(|groups| !groups.is_empty());
            let Some(groups) = groups else {
                unanchored.push(i);
                patterns.push(Vec::new());
                continue;
            };
            let groups = groups
                .into_iter()
                .map(|group| {
                    group
                        .into_iter()
                        .map(
                            |literal| match literals.iter().position(|l| *l == literal) {
                                Some(id) => id,
                                None => {
                                    literals.push(literal);
                                    literals.len() - 1
                                }
                            },
                        )
                        .collect()
                })
                .collect();
            patterns.push(groups);
        }
        let finder = Literals::new(&literals);
        (Anchors { finder, patterns }, unanchored)
    }

    /// Sorted byte offsets in `text` that every match of the query contains one of.
    /// For each pattern only its group with the fewest occurrences is used; a pattern
    /// with a group that does not occur at all cannot match and adds nothing.
    pub fn positions(&self, text: &[u8]) -> Vec<usize> {
        let mut hits: Vec<Vec<usize>> = vec![Vec::new(); self.finder.len()];
        self.finder.each(text, |literal, start| {
            hits[literal].push(start);
            ControlFlow::Continue(())
        });
        let mut positions = Vec::new();
        for groups in &self.patterns {
            let rarest = groups
                .iter()
                .min_by_key(|group| group.iter().map(|&l| hits[l].len()).sum::<usize>());
            if let Some(group) = rarest {
                for &literal in group {
                    positions.extend_from_slice(&hits[literal]);
                }
            }
        }
        positions.sort_unstable();
        positions.dedup();
        positions
    }
}

/// The anchor groups of one pattern's text: for each `#eq?`/`#any-of?` whose capture
/// every match has, its strings. `None` when the text is not understood.
fn pattern_groups(text: &str) -> Option<Vec<Vec<String>>> {
    let tokens = tokenize(text)?;
    let mut parser = Parser {
        tokens: &tokens,
        at: 0,
        predicates: Vec::new(),
    };
    let root = parser.item()?;
    if parser.at != tokens.len() || root.has_field {
        return None;
    }
    let groups = parser
        .predicates
        .into_iter()
        .filter(|(capture, strings)| {
            root.certain.contains(capture) && strings.iter().all(|s| !s.is_empty())
        })
        .map(|(_, strings)| strings)
        .collect();
    Some(groups)
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Open,
    Close,
    OpenAlt,
    CloseAlt,
    Str(String),
    Capture(String),
    /// `?` or `*`: the item may be absent.
    Optional,
    /// `+`.
    Repeated,
    Field,
    /// Node names, `_`, `.`, `!field`, `#predicate?`.
    Word(String),
}

fn tokenize(text: &str) -> Option<Vec<Token>> {
    let mut tokens = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        match c {
            c if c.is_whitespace() => {}
            ';' => while chars.next_if(|(_, c)| *c != '\n').is_some() {},
            '(' => tokens.push(Token::Open),
            ')' => tokens.push(Token::Close),
            '[' => tokens.push(Token::OpenAlt),
            ']' => tokens.push(Token::CloseAlt),
            '?' | '*' => tokens.push(Token::Optional),
            '+' => tokens.push(Token::Repeated),
            '"' => {
                // tree-sitter's escapes: \n \r \t \0, any other character stands for itself.
                let mut value = String::new();
                loop {
                    match chars.next()?.1 {
                        '"' => break,
                        '\\' => value.push(match chars.next()?.1 {
                            'n' => '\n',
                            'r' => '\r',
                            't' => '\t',
                            '0' => '\0',
                            other => other,
                        }),
                        other => value.push(other),
                    }
                }
                tokens.push(Token::Str(value));
            }
            _ => {
                let mut end = start + c.len_utf8();
                while let Some((i, c)) = chars.next_if(|(_, c)| {
                    !c.is_whitespace() && !matches!(c, '(' | ')' | '[' | ']' | '"' | ';' | ':')
                }) {
                    end = i + c.len_utf8();
                }
                let word = &text[start..end];
                if chars.next_if(|(_, c)| *c == ':').is_some() {
                    tokens.push(Token::Field);
                } else if let Some(name) = word.strip_prefix('@') {
                    tokens.push(Token::Capture(name.to_string()));
                } else if word.len() > 1
                    && word.ends_with(['?', '*', '+'])
                    && !word.starts_with('#')
                {
                    // `_?`, `identifier*`: a word glued to its quantifier.
                    tokens.push(Token::Word(word[..word.len() - 1].to_string()));
                    tokens.push(if word.ends_with('+') {
                        Token::Repeated
                    } else {
                        Token::Optional
                    });
                } else {
                    tokens.push(Token::Word(word.to_string()));
                }
            }
        }
    }
    Some(tokens)
}

/// One parsed item: the captures every match of it has.
struct Item {
    certain: Vec<String>,
    has_field: bool,
}

struct Parser<'a> {
    tokens: &'a [Token],
    at: usize,
    /// (capture, strings) of every `#eq?`/`#any-of?` against strings, wherever written:
    /// tree-sitter applies a pattern's predicates to the whole match.
    predicates: Vec<(String, Vec<String>)>,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        token
    }

    /// `field: atom quantifier? @capture*`. Predicates parse to an item with no captures.
    fn item(&mut self) -> Option<Item> {
        let has_field = self.peek() == Some(&Token::Field);
        if has_field {
            self.at += 1;
        }
        let mut certain = match self.next()? {
            Token::Open => self.group()?,
            Token::OpenAlt => self.alternation()?,
            Token::Str(_) | Token::Word(_) => Vec::new(),
            _ => return None,
        };
        let optional = self.peek() == Some(&Token::Optional);
        if matches!(self.peek(), Some(Token::Optional | Token::Repeated)) {
            self.at += 1;
        }
        while let Some(Token::Capture(name)) = self.peek() {
            certain.push(name.clone());
            self.at += 1;
        }
        if optional {
            // Neither the item nor anything captured in it is in every match.
            certain.clear();
        }
        Some(Item { certain, has_field })
    }

    /// After `(`: a predicate, or a node (or grouping) and its children, up to `)`.
    fn group(&mut self) -> Option<Vec<String>> {
        if let Some(Token::Word(word)) = self.peek()
            && word.starts_with('#')
        {
            let name = word.clone();
            self.at += 1;
            let mut args = Vec::new();
            loop {
                match self.next()? {
                    Token::Close => break,
                    token => args.push(token),
                }
            }
            if let Some((Token::Capture(capture), rest)) = args.split_first() {
                let strings: Option<Vec<String>> = rest
                    .iter()
                    .map(|t| match t {
                        Token::Str(s) => Some(s.clone()),
                        _ => None,
                    })
                    .collect();
                let positive = (name == "#eq?" && rest.len() == 1) || name == "#any-of?";
                if let (true, Some(strings)) = (positive && !rest.is_empty(), strings) {
                    self.predicates.push((capture.clone(), strings));
                }
            }
            return Some(Vec::new());
        }
        let mut certain = Vec::new();
        loop {
            if self.peek()? == &Token::Close {
                self.at += 1;
                return Some(certain);
            }
            certain.extend(self.item()?.certain);
        }
    }

    /// After `[`: alternatives up to `]`; a capture is certain if every branch has it.
    fn alternation(&mut self) -> Option<Vec<String>> {
        let mut branches: Vec<Vec<String>> = Vec::new();
        loop {
            if self.peek()? == &Token::CloseAlt {
                self.at += 1;
                break;
            }
            branches.push(self.item()?.certain);
        }
        let (first, rest) = branches.split_first()?;
        Some(
            first
                .iter()
                .filter(|c| rest.iter().all(|b| b.contains(c)))
                .cloned()
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn groups(text: &str) -> Option<Vec<Vec<String>>> {
        pattern_groups(text)
    }

    fn strings(items: &[&[&str]]) -> Vec<Vec<String>> {
        items
            .iter()
            .map(|g| g.iter().map(|s| s.to_string()).collect())
            .collect()
    }

    #[test]
    fn predicates_on_certain_captures_are_anchors() {
        let text = r#"(call
  function: (attribute object: (identifier) @_module attribute: (identifier) @_fn) @callee
  (#eq? @_module "os")
  (#any-of? @_fn "system" "popen")
  arguments: (argument_list . [(identifier) (string (interpolation))] @report))"#;
        assert_eq!(
            groups(text),
            Some(strings(&[&["os"], &["system", "popen"]]))
        );
    }

    #[test]
    fn captures_in_one_branch_or_optional_are_not() {
        // @_module exists only in the second branch; @callee in both.
        let text = r#"(call_expression
  function: [
    (identifier) @callee
    (member_expression
      object: (identifier) @_module
      property: (property_identifier) @callee)
  ]
  (#any-of? @_module "child_process" "cp")
  (#any-of? @callee "exec" "execSync")
  (_)? @_opt (#eq? @_opt "maybe")
  arguments: (arguments . (_) @report))"#;
        assert_eq!(groups(text), Some(strings(&[&["exec", "execSync"]])));
    }

    #[test]
    fn negations_regexes_and_capture_comparisons_are_not_anchors() {
        let text = r#"((identifier) @a (#not-eq? @a "x") (#match? @a "^y") (#eq? @a @a)) @report"#;
        assert_eq!(groups(text), Some(Vec::new()));
        assert_eq!(
            groups(r#"((string) @s (#eq? @s "a\"b\n")) ; comment"#),
            Some(strings(&[&["a\"b\n"]]))
        );
    }

    #[test]
    fn anchored_positions_use_the_rarest_group() {
        let language = audit_syntax::Grammar::Python.language();
        let source = r#"(call function: (attribute object: (identifier) @m attribute: (identifier) @f) (#eq? @m "os") (#eq? @f "system")) @report
(call function: (identifier) @g (#eq? @g "missing")) @report
"#;
        let query = Query::new(&language, source).unwrap();
        let (anchors, unanchored) = Anchors::new(&query, source);
        assert!(unanchored.is_empty());
        let text = b"import os\nos.path.join(a)\nos.system(cmd)\n";
        // "system" is rarer than "os"; "missing" never occurs, so its pattern adds nothing.
        assert_eq!(anchors.positions(text), vec![29]);
    }

    #[test]
    fn literal_sets_report_every_occurrence_to_every_set_holding_it() {
        let sets = LiteralSets::new(&[vec!["exec", "execSync"], vec!["app.", "exec"], vec![]]);
        let found = sets.search(b"app.exec(x); execSync(y); webapp.get()");
        // At one start, the longest literal first, then those it starts with.
        assert_eq!(found[0], [(0, 4), (1, 13), (0, 13)]);
        assert_eq!(found[1], [(0, 0), (1, 4), (1, 13), (0, 29)]);
        assert!(found[2].is_empty());
    }

    #[test]
    fn every_builtin_query_is_anchored() {
        let rules = crate::load_rules(None).unwrap();
        let plan = crate::Plan::compile(rules, |_| true).unwrap();
        for (grammar, gp) in &plan.grammars {
            let query = gp.compiled(&plan.rules).unwrap();
            assert!(
                query.whole_tree.is_none(),
                "{grammar:?}: a pattern has no anchor"
            );
        }
    }

    #[test]
    fn a_pattern_without_anchors_leaves_the_others_anchored() {
        let language = audit_syntax::Grammar::Python.language();
        let source = "(call function: (identifier) @f (#eq? @f \"eval\")) @report\n(global_statement) @report\n";
        let query = Query::new(&language, source).unwrap();
        let (anchors, unanchored) = Anchors::new(&query, source);
        assert_eq!(unanchored, [1]);
        assert_eq!(anchors.positions(b"x = 1\neval(x)\nglobal y\n"), vec![6]);
    }
}
