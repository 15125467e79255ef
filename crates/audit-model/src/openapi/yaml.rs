//! A YAML (and so JSON) document as a tree whose every node keeps its line and column,
//! built from yaml-rust2's event parser: its own `Yaml` tree drops positions, which
//! findings in a spec need.

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

/// Containers nested deeper than this are cut: no spec needs it, and a hostile file
/// (`[[[[...]]]]`) must not build a tree whose drop recurses without bound.
const MAX_DEPTH: usize = 64;

/// A value with where it starts.
#[derive(Debug, PartialEq)]
pub struct Value {
    pub node: Node,
    /// 1-based.
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
}

#[derive(Debug, PartialEq)]
pub enum Node {
    Scalar(String),
    Sequence(Vec<Value>),
    /// Keys are scalars (a complex key is kept as its position with an empty name).
    Mapping(Vec<(Value, Value)>),
    /// An alias (`*ref`): not expanded, so a file cannot multiply itself.
    Alias,
}

impl Value {
    /// The value under `key`, when this is a mapping that has it.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.entries()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(_, v)| v)
    }

    pub fn entries(&self) -> impl Iterator<Item = (&Value, &Value)> {
        let entries: &[(Value, Value)] = match &self.node {
            Node::Mapping(entries) => entries,
            _ => &[],
        };
        entries.iter().map(|(k, v)| (k, v))
    }

    pub fn items(&self) -> &[Value] {
        match &self.node {
            Node::Sequence(items) => items,
            _ => &[],
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.node {
            Node::Scalar(s) => Some(s),
            _ => None,
        }
    }
}

/// Why a document could not be read: the parser's message and its 1-based line.
#[derive(Debug, PartialEq, Eq)]
pub struct Problem {
    pub message: String,
    pub line: usize,
}

/// The first document of `text`; None for an empty stream.
pub fn parse(text: &str) -> Result<Option<Value>, Problem> {
    let mut builder = Builder::default();
    let mut parser = Parser::new_from_str(text);
    parser.load(&mut builder, false).map_err(|e| Problem {
        message: e.info().to_string(),
        line: e.marker().line(),
    })?;
    Ok(builder.root)
}

#[derive(Default)]
struct Builder {
    /// Open containers: the container and, for a mapping, a key waiting for its value.
    open: Vec<(Value, Option<Value>)>,
    /// Containers opened beyond [`MAX_DEPTH`], whose content is dropped.
    skipped: usize,
    root: Option<Value>,
}

impl Builder {
    fn push(&mut self, value: Value) {
        let Some((container, pending_key)) = self.open.last_mut() else {
            if self.root.is_none() {
                self.root = Some(value);
            }
            return;
        };
        match &mut container.node {
            Node::Sequence(items) => items.push(value),
            Node::Mapping(entries) => match pending_key.take() {
                Some(key) => entries.push((key, value)),
                None => {
                    // A complex key (a mapping or sequence as key) keeps only its place.
                    let key = match value.node {
                        Node::Scalar(_) => value,
                        _ => Value {
                            node: Node::Scalar(String::new()),
                            ..value
                        },
                    };
                    *pending_key = Some(key);
                }
            },
            Node::Scalar(_) | Node::Alias => {}
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, event: Event, mark: Marker) {
        let at = |node| Value {
            node,
            line: mark.line(),
            column: mark.col() + 1,
        };
        match event {
            Event::SequenceStart(..) | Event::MappingStart(..) => {
                if self.skipped > 0 || self.open.len() >= MAX_DEPTH {
                    self.skipped += 1;
                    return;
                }
                let node = if matches!(event, Event::SequenceStart(..)) {
                    Node::Sequence(Vec::new())
                } else {
                    Node::Mapping(Vec::new())
                };
                self.open.push((at(node), None));
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if self.skipped > 0 {
                    self.skipped -= 1;
                    return;
                }
                if let Some((container, _)) = self.open.pop() {
                    self.push(container);
                }
            }
            Event::Scalar(value, ..) if self.skipped == 0 => self.push(at(Node::Scalar(value))),
            Event::Alias(_) if self.skipped == 0 => self.push(at(Node::Alias)),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_keep_their_lines_and_columns() {
        let doc = parse("a: 1\nb:\n  c: [x, y]\n").unwrap().unwrap();
        let b = doc.get("b").unwrap();
        let c = b.get("c").unwrap();
        assert_eq!((b.line, c.line, c.column), (3, 3, 6));
        assert_eq!(c.items()[1].as_str(), Some("y"));
        let (key, _) = doc.entries().nth(1).unwrap();
        assert_eq!((key.as_str(), key.line, key.column), (Some("b"), 2, 1));
    }

    #[test]
    fn json_with_tabs_and_unicode_reads() {
        let doc = parse("{\n\t\"é\": {\"k\": \"v\"},\n\t\"n\": [1]\n}")
            .unwrap()
            .unwrap();
        assert_eq!(doc.get("é").unwrap().get("k").unwrap().line, 2);
        assert_eq!(doc.get("n").unwrap().items().len(), 1);
    }

    #[test]
    fn malformed_and_hostile_documents_are_problems_or_cut() {
        for bad in [
            "a: [1, 2",
            "a: b: c",
            "{\"a\": [}",
            "\t- x\n  y: [",
            "key: 'open",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        // The parser refuses very deep nesting itself; what it accepts is cut here.
        let deepest = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(parse(&deepest).is_err());
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        let doc = parse(&deep).unwrap().unwrap();
        let mut depth = 0;
        let mut node = &doc;
        while let Some(inner) = node.items().first() {
            depth += 1;
            node = inner;
        }
        assert_eq!(depth, MAX_DEPTH - 1);
        let aliases = "a: &x [1, 2]\nb: [*x, *x, *x]\n";
        let doc = parse(aliases).unwrap().unwrap();
        assert_eq!(doc.get("b").unwrap().items()[0].node, Node::Alias);
        assert_eq!(parse("").unwrap(), None);
    }
}
