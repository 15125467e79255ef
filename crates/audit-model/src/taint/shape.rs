//! How a value is made, for sinks that report non-literal values even where no request
//! input is shown to reach them: a literal (through `const` bindings and concatenated
//! literals), text built around a non-literal part, or any other value.

use audit_syntax::tree_sitter::Node;

use super::eval::Evaluator;
use crate::code::BindingKind;
use crate::code::nodes::elements;
use crate::code::nodes::{Fields, KindName};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Shape {
    /// A literal, or literals joined; the text is the string's content.
    Literal(String),
    /// Text built with a non-literal part: `prefix` is the literal text before the first
    /// non-literal part, `literal` all the literal text in order.
    Built {
        prefix: String,
        literal: String,
        building: &'static str,
    },
    Dynamic,
}

impl Shape {
    fn literal_text(&self) -> &str {
        match self {
            Shape::Literal(text) => text,
            Shape::Built { literal, .. } => literal,
            Shape::Dynamic => "",
        }
    }

    /// `self` followed by `other`, joined by `building`.
    fn then(self, other: Shape, building: &'static str) -> Shape {
        match (self, other) {
            (Shape::Literal(mut a), Shape::Literal(b)) => {
                a.push_str(&b);
                Shape::Literal(a)
            }
            (Shape::Literal(a), other) => {
                let prefix = match &other {
                    Shape::Built { prefix, .. } => format!("{a}{prefix}"),
                    _ => a.clone(),
                };
                Shape::Built {
                    prefix,
                    literal: format!("{a}{}", other.literal_text()),
                    building: match other {
                        Shape::Built { building, .. } => building,
                        _ => building,
                    },
                }
            }
            (
                Shape::Built {
                    prefix,
                    literal,
                    building,
                },
                other,
            ) => Shape::Built {
                prefix,
                literal: format!("{literal}{}", other.literal_text()),
                building,
            },
            (Shape::Dynamic, other) => Shape::Built {
                prefix: String::new(),
                literal: other.literal_text().to_owned(),
                building,
            },
        }
    }

    /// The literal text starts like a SQL statement.
    pub fn looks_like_sql(&self) -> bool {
        let text = self.literal_text().trim_start().to_ascii_lowercase();
        [
            "select", "insert", "update", "delete", "with", "merge", "replace", "upsert",
        ]
        .iter()
        .any(|verb| {
            text.strip_prefix(verb)
                .is_some_and(|rest| rest.starts_with(|c: char| c.is_whitespace() || c == '('))
        })
    }

    /// The literal start fixes scheme and host (`https://api.example.com/…`), or makes the
    /// URL a path on the same host (`/users/…`).
    pub fn fixes_host(&self) -> bool {
        let prefix = match self {
            Shape::Literal(_) => return true,
            Shape::Built { prefix, .. } => prefix.as_str(),
            Shape::Dynamic => return false,
        };
        if let Some(rest) = prefix.strip_prefix('/') {
            return !rest.is_empty() && !rest.starts_with(['/', '\\']);
        }
        let Some((scheme, rest)) = prefix.split_once("://") else {
            return false;
        };
        !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
            && rest
                .find(['/', '?', '#'])
                .is_some_and(|end| end > 0 && !rest[..end].contains(['@', '$', '{']))
    }
}

impl Evaluator<'_> {
    pub(super) fn shape(&self, node: Node<'_>, bit: u64, depth: u32) -> Shape {
        if depth > 32 {
            return Shape::Dynamic;
        }
        let next = depth + 1;
        match node.kind_name() {
            "number" | "true" | "false" | "null" | "undefined" | "integer" | "float" | "none"
            | "regex" => Shape::Literal(self.text_of(node).to_owned()),
            "string" => self.string_shape(node, bit, next),
            "template_string" => self.string_shape(node, bit, next),
            "concatenated_string" => elements(node)
                .into_iter()
                .map(|part| self.shape(part, bit, next))
                .reduce(|a, b| a.then(b, "concatenation"))
                .unwrap_or(Shape::Literal(String::new())),
            "parenthesized_expression"
            | "as_expression"
            | "satisfies_expression"
            | "non_null_expression" => node
                .named_child(0)
                .map_or(Shape::Dynamic, |inner| self.shape(inner, bit, next)),
            "binary_expression" | "binary_operator" => {
                let operator = node.field("operator").map(|o| self.text_of(o));
                let (Some(left), Some(right)) = (node.field("left"), node.field("right")) else {
                    return Shape::Dynamic;
                };
                match operator {
                    Some("+") => self
                        .shape(left, bit, next)
                        .then(self.shape(right, bit, next), "concatenation"),
                    Some("%") if !self.js => {
                        let format = self.shape(left, bit, next);
                        match (&format, self.shape(right, bit, next)) {
                            (Shape::Literal(_), Shape::Literal(_)) => format,
                            (Shape::Dynamic, _) => Shape::Dynamic,
                            (_, _) => format.then(Shape::Dynamic, "`%` formatting"),
                        }
                    }
                    // Arithmetic gives a number, whatever its operands.
                    Some("-" | "*" | "/" | "**" | "//") => Shape::Literal(String::new()),
                    _ => Shape::Dynamic,
                }
            }
            "ternary_expression" | "conditional_expression" => {
                let branches: Vec<Node<'_>> = if node.kind_name() == "ternary_expression" {
                    ["consequence", "alternative"]
                        .iter()
                        .filter_map(|f| node.field(f))
                        .collect()
                } else {
                    [0, 2].iter().filter_map(|&i| node.named_child(i)).collect()
                };
                if branches
                    .iter()
                    .all(|b| matches!(self.shape(*b, bit, next), Shape::Literal(_)))
                {
                    Shape::Literal(String::new())
                } else {
                    Shape::Dynamic
                }
            }
            "call_expression" | "call" => self.call_shape(node, bit, next),
            "identifier" => self.identifier_shape(node, bit, next),
            // `["run", "build"]`: constant data, as a shell would join it.
            "array" | "list" | "tuple" => {
                let mut words = Vec::new();
                for element in elements(node) {
                    match self.shape(element, bit, next) {
                        Shape::Literal(text) => words.push(text),
                        _ => return Shape::Dynamic,
                    }
                }
                Shape::Literal(words.join(" "))
            }
            // A SQLAlchemy model's table name is a constant of its class, written in code.
            "attribute"
                if node
                    .field("attribute")
                    .is_some_and(|a| self.text_of(a) == "__tablename__") =>
            {
                Shape::Literal(String::new())
            }
            _ => Shape::Dynamic,
        }
    }

    fn string_shape(&self, node: Node<'_>, bit: u64, depth: u32) -> Shape {
        let mut shape = Shape::Literal(String::new());
        let building = if node.kind_name() == "template_string" {
            "a template literal"
        } else {
            "an f-string"
        };
        let mut quoted = false;
        for part in elements(node) {
            let piece = match part.kind_name() {
                "string_fragment" | "string_content" | "escape_sequence" => {
                    quoted = true;
                    Shape::Literal(self.text_of(part).to_owned())
                }
                "template_substitution" | "interpolation" => {
                    part.named_child(0).map_or(Shape::Dynamic, |inner| {
                        match self.shape(inner, bit, depth) {
                            Shape::Literal(text) => Shape::Literal(text),
                            _ => Shape::Dynamic,
                        }
                    })
                }
                _ => continue,
            };
            shape = shape.then(piece, building);
        }
        if !quoted && matches!(shape, Shape::Literal(ref t) if t.is_empty()) {
            // A JS string without fragments is empty; nothing else to read.
            return Shape::Literal(String::new());
        }
        shape
    }

    /// `"...".format(x)` and `" ".join(xs)` build text from their arguments.
    fn call_shape(&self, node: Node<'_>, bit: u64, depth: u32) -> Shape {
        let qualified = self
            .semantics
            .call(super::sources::span(node))
            .and_then(|c| c.qualified_name.as_deref());
        if qualified.is_some_and(|q| super::eval::NUMBERS.contains(&q)) {
            return Shape::Literal(String::new());
        }
        let Some(callee) = node.field("function") else {
            return Shape::Dynamic;
        };
        let method = self.method_name(callee);
        // What the rule's sanitizer returns is as safe as a literal.
        if self.sanitizes(qualified, method) & bit != 0 {
            return Shape::Literal(String::new());
        }
        let Some(method) = method else {
            return Shape::Dynamic;
        };
        if !matches!(method, "format" | "join" | "concat") {
            return Shape::Dynamic;
        }
        let Some(receiver) = callee.field("object") else {
            return Shape::Dynamic;
        };
        let receiver = self.shape(receiver, bit, depth);
        if receiver == Shape::Dynamic {
            return Shape::Dynamic;
        }
        let arguments = node.field("arguments").map(elements).unwrap_or_default();
        let literal_arguments = arguments.iter().all(|a| {
            let value = if a.kind_name() == "keyword_argument" {
                a.field("value")
            } else {
                Some(*a)
            };
            value.is_some_and(|v| matches!(self.shape(v, bit, depth), Shape::Literal(_)))
        });
        if literal_arguments {
            return receiver;
        }
        let building = if method == "join" {
            "`join()`"
        } else {
            "`.format()`"
        };
        receiver.then(Shape::Dynamic, building)
    }

    /// A name bound once to a literal is that literal (`const SQL = "SELECT 1"`); `q += x`
    /// builds on the earlier value.
    fn identifier_shape(&self, node: Node<'_>, bit: u64, depth: u32) -> Shape {
        let name = self.text_of(node);
        let Some(binding) = self.semantics.binding_at(name, node.start_byte()) else {
            return Shape::Dynamic;
        };
        if binding.kind == BindingKind::Parameter {
            return self.parameter_shape(binding);
        }
        if binding.kind != BindingKind::Variable || !binding.path.is_empty() {
            return Shape::Dynamic;
        }
        let Some(value) = binding.value.and_then(|v| self.nodes.node_at(v)) else {
            return Shape::Dynamic;
        };
        if value.start_byte() <= node.start_byte() && node.end_byte() <= value.end_byte() {
            return Shape::Dynamic;
        }
        let shape = self.shape(value, bit, depth);
        if !binding.augmented {
            return shape;
        }
        let earlier = self
            .semantics
            .binding_at(name, binding.span.start)
            .filter(|e| e.span != binding.span)
            .and_then(|e| e.value)
            .and_then(|v| self.nodes.node_at(v))
            .map_or(Shape::Dynamic, |v| self.shape(v, bit, depth));
        earlier.then(shape, "concatenation")
    }

    /// A parameter declared as a number (`id: number`, `item_id: int`) holds no text.
    fn parameter_shape(&self, binding: &crate::code::Binding) -> Shape {
        let numeric = self.parameter_of(binding).is_some_and(|(_, parameter)| {
            parameter.annotation.is_some_and(|a| {
                matches!(
                    &self.text[a.start..a.end],
                    "number" | "bigint" | "boolean" | "int" | "float" | "bool" | "Decimal"
                )
            })
        });
        if numeric {
            Shape::Literal(String::new())
        } else {
            Shape::Dynamic
        }
    }
}
