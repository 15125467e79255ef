//! What the JS/TS migration readers (Knex, TypeORM and MikroORM, Sequelize) share: their
//! calls, string literals (with the place of each byte, for SQL written in them), object
//! literals, and where a migration's `up` and `down` are.

use audit_core::Span;
use audit_syntax::SqlDialect;
use audit_syntax::tree_sitter::Node;

use super::event::Statement;
use super::replay::DownFunction;
use crate::code::CodeSemantics;
use crate::code::nodes::{Fields, KindName};

/// `object.method(...)`: its object and method name.
pub(super) fn member_call<'t>(call: Node<'t>, text: &'t str) -> Option<(Node<'t>, &'t str)> {
    if call.kind_name() != "call_expression" {
        return None;
    }
    let callee = call.field("function")?;
    if callee.kind_name() != "member_expression" {
        return None;
    }
    let property = callee.field("property")?;
    Some((callee.field("object")?, &text[property.byte_range()]))
}

/// A call's arguments, comments left out.
pub(super) fn arguments(call: Node<'_>) -> Vec<Node<'_>> {
    let Some(arguments) = call.field("arguments") else {
        return Vec::new();
    };
    let mut cursor = arguments.walk();
    arguments
        .named_children(&mut cursor)
        .filter(|n| n.kind_name() != "comment")
        .collect()
}

/// A JS string literal without substitutions: its value, and the file byte of each of
/// its bytes (escapes make them differ from the text).
pub(super) struct StringLiteral {
    pub value: String,
    pub content: Span,
    /// For each byte of `value` and one past its end, where it is in the file; `None`
    /// when the literal has no escape, so byte `i` is at `content.start + i`.
    places: Option<Vec<usize>>,
}

impl StringLiteral {
    /// Where byte `i` of the value is in the file.
    pub fn place(&self, i: usize) -> usize {
        match &self.places {
            Some(places) => places[i.min(places.len() - 1)],
            None => self.content.start + i,
        }
    }
}

/// A string or template literal with no `${...}`, its escapes read.
pub(super) fn plain_string(node: Node<'_>, text: &str) -> Option<StringLiteral> {
    string_literal(node, text, false)
}

/// The SQL a string or template literal holds: a `${name}` is kept as written, which
/// the SQL reader takes for a placeholder (a name it does not know).
pub(super) fn sql_string(node: Node<'_>, text: &str) -> Option<StringLiteral> {
    string_literal(node, text, true)
}

/// The SQL an argument holds: a literal, or a name bound to one with no path
/// (`const searchDocument = `...`; queryInterface.sequelize.query(searchDocument)`).
pub(super) fn sql_argument(
    argument: Node<'_>,
    semantics: &CodeSemantics,
    text: &str,
) -> Option<StringLiteral> {
    if argument.kind_name() != "identifier" {
        return sql_string(argument, text);
    }
    let binding = semantics.binding_at(&text[argument.byte_range()], argument.start_byte())?;
    if !binding.path.is_empty() || binding.augmented {
        return None;
    }
    let value = binding.value?;
    let mut root = argument;
    while let Some(parent) = root.parent() {
        root = parent;
    }
    let node = root.descendant_for_byte_range(value.start, value.end)?;
    matches!(node.kind_name(), "string" | "template_string")
        .then(|| sql_string(node, text))
        .flatten()
}

fn string_literal(node: Node<'_>, text: &str, substitutions: bool) -> Option<StringLiteral> {
    match node.kind_name() {
        "string" | "template_string" => {
            let mut cursor = node.walk();
            if !substitutions
                && node
                    .named_children(&mut cursor)
                    .any(|c| c.kind_name() == "template_substitution")
            {
                return None;
            }
            let (start, end) = (node.start_byte() + 1, node.end_byte().checked_sub(1)?);
            if start > end {
                return None;
            }
            let written = &text[start..end];
            if !written.contains('\\') {
                return Some(StringLiteral {
                    value: written.to_string(),
                    content: Span::new(start, end),
                    places: None,
                });
            }
            let (value, places) = unescape(written, start);
            Some(StringLiteral {
                value,
                content: Span::new(start, end),
                places: Some(places),
            })
        }
        "parenthesized_expression" => string_literal(node.named_child(0)?, text, substitutions),
        _ => None,
    }
}

/// A literal's escapes read (`\"`, `\n`, `\u0041`, a line continuation), with the file
/// byte each value byte comes from.
fn unescape(written: &str, start: usize) -> (String, Vec<usize>) {
    let mut value = String::with_capacity(written.len());
    let mut places = Vec::with_capacity(written.len() + 1);
    let mut chars = written.char_indices().peekable();
    let mut push = |value: &mut String, c: char, at: usize| {
        let before = value.len();
        value.push(c);
        places.extend(std::iter::repeat_n(start + at, value.len() - before));
    };
    while let Some((at, c)) = chars.next() {
        if c != '\\' {
            push(&mut value, c, at);
            continue;
        }
        let Some((_, escaped)) = chars.next() else {
            break;
        };
        let hex = |chars: &mut std::iter::Peekable<std::str::CharIndices>, n: usize| {
            let digits: String = (0..n)
                .filter_map(|_| chars.next().map(|(_, c)| c))
                .collect();
            u32::from_str_radix(&digits, 16)
                .ok()
                .and_then(char::from_u32)
        };
        let decoded = match escaped {
            'n' => Some('\n'),
            't' => Some('\t'),
            'r' => Some('\r'),
            '0' => Some('\0'),
            // A line continuation adds nothing.
            '\n' => None,
            'x' => hex(&mut chars, 2),
            'u' if chars.peek().is_some_and(|(_, c)| *c == '{') => {
                chars.next();
                let mut digits = String::new();
                for (_, c) in chars.by_ref() {
                    if c == '}' {
                        break;
                    }
                    digits.push(c);
                }
                u32::from_str_radix(&digits, 16)
                    .ok()
                    .and_then(char::from_u32)
            }
            'u' => hex(&mut chars, 4),
            other => Some(other),
        };
        if let Some(c) = decoded {
            push(&mut value, c, at);
        }
    }
    places.push(start + written.len());
    (value, places)
}

/// The strings of `["a", "b"]`, or the one string `"a"`.
pub(super) fn strings_in(node: Node<'_>, text: &str) -> Vec<String> {
    if node.kind_name() == "array" {
        let mut cursor = node.walk();
        return node
            .named_children(&mut cursor)
            .filter_map(|n| plain_string(n, text))
            .map(|s| s.value)
            .collect();
    }
    plain_string(node, text)
        .map(|s| s.value)
        .into_iter()
        .collect()
}

/// A parameter's name (`t`, `t: Knex.CreateTableBuilder`).
pub(super) fn pattern_name<'t>(parameter: Node<'_>, text: &'t str) -> &'t str {
    let name = match parameter.kind_name() {
        "required_parameter" | "optional_parameter" => {
            parameter.field("pattern").unwrap_or(parameter)
        }
        _ => parameter,
    };
    &text[name.byte_range()]
}

pub(super) fn node_span(node: Node<'_>) -> Span {
    Span::new(node.start_byte(), node.end_byte())
}

/// The SQL of a string literal lowered like a `.sql` file's statements, at their places
/// in the file.
pub(super) fn embedded_sql(
    sql: &StringLiteral,
    dialect: SqlDialect,
    in_down: bool,
) -> Vec<Statement> {
    super::lower::lower_embedded(&sql.value, &|i| sql.place(i), dialect, in_down)
}

/// An object literal, or the one a `new Table({...})` is given.
pub(super) fn object_of(node: Node<'_>) -> Option<Node<'_>> {
    match node.kind_name() {
        "object" => Some(node),
        "new_expression" => arguments(node).into_iter().next().and_then(object_of),
        "parenthesized_expression" => object_of(node.named_child(0)?),
        _ => None,
    }
}

/// The value of `key: value` in an object literal.
pub(super) fn property<'t>(object: Node<'t>, key: &str, text: &str) -> Option<Node<'t>> {
    let mut cursor = object.walk();
    object
        .named_children(&mut cursor)
        .filter(|p| p.kind_name() == "pair")
        .find(|pair| {
            pair.field("key")
                .is_some_and(|k| property_key(k, text).as_deref() == Some(key))
        })
        .and_then(|pair| pair.field("value"))
}

/// The `key: value` pairs of an object literal, with their keys.
pub(super) fn properties<'t>(object: Node<'t>, text: &str) -> Vec<(String, Node<'t>)> {
    let mut cursor = object.walk();
    object
        .named_children(&mut cursor)
        .filter(|p| p.kind_name() == "pair")
        .filter_map(|pair| {
            let key = property_key(pair.field("key")?, text)?;
            Some((key, pair.field("value")?))
        })
        .collect()
}

fn property_key(key: Node<'_>, text: &str) -> Option<String> {
    match key.kind_name() {
        "property_identifier" => Some(text[key.byte_range()].to_string()),
        "string" => plain_string(key, text).map(|s| s.value),
        _ => None,
    }
}

/// `true`/`false` written as such.
pub(super) fn boolean(node: Option<Node<'_>>) -> Option<bool> {
    match node?.kind_name() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

/// A number literal, or a string of digits (`length: "255"`).
pub(super) fn number(node: Option<Node<'_>>, text: &str) -> Option<u64> {
    let node = node?;
    match node.kind_name() {
        "number" => text[node.byte_range()].parse().ok(),
        _ => plain_string(node, text)?.value.trim().parse().ok(),
    }
}

/// Inside a function named `down` (`exports.down = ...`, `async down(knex)`, `export
/// function down`, `down: async () => ...`), at any depth.
pub(super) fn in_down(semantics: &CodeSemantics, byte: usize) -> bool {
    let functions = semantics.functions();
    let mut current = semantics.enclosing_function_index(byte);
    while let Some(index) = current {
        match functions[index].name.as_deref() {
            Some("down") => return true,
            Some("up") => return false,
            _ => current = functions[index].parent,
        }
    }
    false
}

/// Whether the file's `down` does nothing: every function named `down` has an empty
/// block (`async down() {}`, `down: async () => {}`); `Absent` without one.
pub(super) fn down_function(semantics: &CodeSemantics, text: &str) -> DownFunction {
    let downs: Vec<_> = semantics
        .functions()
        .iter()
        .filter(|f| f.name.as_deref() == Some("down"))
        .collect();
    if downs.is_empty() {
        return DownFunction::Absent;
    }
    // The span may run on past the block's end (over a trailing comment).
    let empty = |body: Span| {
        text[body.start..body.end]
            .trim_start()
            .strip_prefix('{')
            .is_some_and(|inside| after_comments(inside).starts_with('}'))
    };
    if downs.iter().all(|f| empty(f.body)) {
        DownFunction::Empty(downs[0].span)
    } else {
        DownFunction::Present
    }
}

/// JS text after its leading white space, `//` and `/* */` comments.
fn after_comments(mut text: &str) -> &str {
    loop {
        text = text.trim_start();
        if let Some(rest) = text.strip_prefix("//") {
            text = rest.split_once('\n').map_or("", |(_, r)| r);
        } else if let Some(rest) = text.strip_prefix("/*") {
            text = rest.split_once("*/").map_or("", |(_, r)| r);
        } else {
            return text;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::unescape;

    #[test]
    fn escapes_are_read_and_each_byte_keeps_its_place() {
        let written = r#"CREATE TABLE \"user\" (\n\u0041)"#;
        let (value, places) = unescape(written, 10);
        assert_eq!(value, "CREATE TABLE \"user\" (\nA)");
        assert_eq!(places.len(), value.len() + 1);
        // `"` of `\"user` comes from the backslash at byte 13 of the text.
        assert_eq!(places[13], 10 + 13);
        // `u` after it is the text's byte 15.
        assert_eq!(places[14], 10 + 15);
        assert_eq!(*places.last().unwrap(), 10 + written.len());
    }
}
