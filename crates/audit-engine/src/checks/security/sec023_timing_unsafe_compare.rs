//! SEC023: secrets compared with `==`, which returns at the first differing byte. A
//! comparison (`==`, `===`, `!=`, `!==`) of two non-literal values, one of which is named as
//! a token, signature, HMAC, digest, secret, API key or password hash by its last word
//! (`expectedSignature`, `api_key`, `user.password_hash`, `hmac.new(...).hexdigest()`).
//! Comparisons with literals, `null`/`None`, lengths and types, and pagination or parser
//! tokens (`nextToken`, `prev_token`) are not reported. Found from the operators in the
//! text, a descent each, without a walk of the tree.

use audit_syntax::tree_sitter::Node;

use super::{string_content, text_of, words};
use crate::checks::excerpt;
use crate::checks::reliability::span;
use crate::checks::{Check, CodeContext, Emit};
use audit_model::code::nodes::{Fields, KindName};

pub const CHECK: Check = Check::Code {
    anchors: &[
        "oken", "ignature", "hmac", "Hmac", "HMAC", "igest", "ecret", "SECRET", "_key", "Key",
        "KEY", "ash", "_sig", "Sig",
    ],
    run: check,
};

fn check(ctx: &CodeContext<'_>, out: &mut Emit<'_>) {
    let (tree, text) = (ctx.tree, ctx.source.text.as_str());
    let root = tree.root_node();
    let mut seen = Vec::new();
    for operator in ["==", "!="] {
        for (at, _) in text.match_indices(operator) {
            // `===` and `!==` hold `==` once more, one byte on: that occurrence does not
            // begin an operator.
            if at > 0 && matches!(text.as_bytes()[at - 1], b'=' | b'!') {
                continue;
            }
            // The operator is an anonymous child of the comparison, so the smallest named
            // node over it is the comparison (one descent; asking the operator for its
            // parent would be a second from the root). Text in a string or comment lands
            // on that string or comment.
            let Some(comparison) = root
                .named_descendant_for_byte_range(at, at + 2)
                .filter(|p| matches!(p.kind_name(), "binary_expression" | "comparison_operator"))
                .filter(|p| operator_at(*p, at))
            else {
                continue;
            };
            let (Some(left), Some(right)) = (operand(comparison, 0), operand(comparison, 1)) else {
                continue;
            };
            if seen.contains(&comparison.id()) {
                continue;
            }
            seen.push(comparison.id());
            if literal(text, left) || literal(text, right) || query_filter(ctx, comparison) {
                continue;
            }
            let secret = [left, right].into_iter().find_map(|o| secret_name(text, o));
            if let Some(name) = secret
                && ![left, right]
                    .iter()
                    .any(|o| not_secret(text, *o) || by_position(text, *o))
                && !derived(ctx, left, right)
                && !in_equality_method(ctx, comparison)
            {
                let report = excerpt(text_of(text, comparison));
                out.report(
                    ctx.source,
                    span(comparison),
                    &[("report", &report), ("name", &name)],
                );
            }
        }
    }
}

/// Whether one of `comparison`'s operators (`==`, `===`, `!=`, `!==`) begins at `at`.
fn operator_at(comparison: Node<'_>, at: usize) -> bool {
    let mut cursor = comparison.walk();
    comparison
        .children(&mut cursor)
        .any(|c| c.start_byte() == at && matches!(c.kind_name(), "==" | "===" | "!=" | "!=="))
}

/// `User.token == token` inside `.filter(...)`/`.where(...)`: SQLAlchemy and Peewee build a
/// SQL condition from it, the database compares.
fn query_filter<'t>(ctx: &CodeContext<'t>, comparison: Node<'t>) -> bool {
    let text = ctx.source.text.as_str();
    let mut current = comparison;
    while let Some(parent) = ctx.parent(current) {
        match parent.kind_name() {
            "argument_list"
            | "arguments"
            | "boolean_operator"
            | "binary_expression"
            | "parenthesized_expression" => {}
            "call" | "call_expression" => {
                let method = parent
                    .field("function")
                    .map(|f| text_of(text, f).rsplit('.').next().unwrap_or(""));
                if matches!(
                    method,
                    Some(
                        "filter"
                            | "where"
                            | "filter_by"
                            | "having"
                            | "join"
                            | "outerjoin"
                            | "and_"
                            | "or_"
                    )
                ) {
                    return true;
                }
            }
            _ => return false,
        }
        current = parent;
    }
    false
}

/// The two sides of `a == b` (JS `left`/`right`; Python's two named operands).
fn operand(comparison: Node<'_>, index: u32) -> Option<Node<'_>> {
    match comparison.kind_name() {
        "binary_expression" => comparison.field(if index == 0 { "left" } else { "right" }),
        _ => {
            // `a == b == c` compares more than two: left alone.
            (comparison.named_child_count() == 2)
                .then(|| comparison.named_child(index))
                .flatten()
        }
    }
}

/// A value no attacker has to guess: a literal, `null`/`undefined`/`None`, a boolean, a
/// number, a length or a type.
fn literal(text: &str, node: Node<'_>) -> bool {
    match node.kind_name() {
        "string" | "template_string" | "number" | "integer" | "float" | "true" | "false"
        | "null" | "undefined" | "none" | "regex" => true,
        "unary_expression" => {
            text_of(text, node).starts_with("typeof")
                || node.named_child(0).is_some_and(|n| literal(text, n))
        }
        "identifier" => matches!(text_of(text, node), "undefined" | "None" | "NaN"),
        "member_expression" | "attribute" => last_word_of(text, node)
            .is_some_and(|p| matches!(p.as_str(), "length" | "size" | "type")),
        "call" | "call_expression" => {
            let callee = node.field("function").map(|f| text_of(text, f));
            callee.is_some_and(|c| matches!(c, "len" | "type" | "typeof" | "isinstance"))
        }
        "parenthesized_expression" => node.named_child(0).is_some_and(|n| literal(text, n)),
        _ => false,
    }
}

/// The name an operand goes by: an identifier, the last property of a member chain, a
/// subscript's string key, or the method of a call (`.hexdigest()`).
fn name_of<'t>(text: &'t str, node: Node<'_>) -> Option<&'t str> {
    match node.kind_name() {
        "identifier" | "property_identifier" | "shorthand_property_identifier" => {
            Some(text_of(text, node))
        }
        "member_expression" => node.field("property").map(|p| text_of(text, p)),
        "attribute" => node.field("attribute").map(|p| text_of(text, p)),
        "subscript_expression" => node.field("index").and_then(|i| string_content(text, i)),
        "subscript" => node
            .field("subscript")
            .and_then(|i| string_content(text, i)),
        "call" | "call_expression" => {
            let function = node.field("function")?;
            let method = name_of(text, function)?;
            match method {
                "hexdigest" | "digest" => Some(method),
                // `request.headers.get("X-Signature")`, `req.get("x-hub-signature")`.
                "get" | "header" => node
                    .field("arguments")
                    .and_then(|a| a.named_child(0))
                    .and_then(|a| string_content(text, a)),
                _ => None,
            }
        }
        "as_expression"
        | "non_null_expression"
        | "parenthesized_expression"
        | "await_expression" => node.named_child(0).and_then(|n| name_of(text, n)),
        _ => None,
    }
}

fn last_word_of(text: &str, node: Node<'_>) -> Option<String> {
    name_of(text, node).and_then(|n| words(n).pop())
}

/// The operand's name when its last word says it is a secret to be compared in constant
/// time.
fn secret_name(text: &str, node: Node<'_>) -> Option<String> {
    let name = name_of(text, node)?;
    let mut words = words(name);
    // `X-Hub-Signature-256`.
    while words
        .last()
        .is_some_and(|w| w.bytes().all(|b| b.is_ascii_digit()))
    {
        words.pop();
    }
    let (last, before) = words.split_last()?;
    let secret = match last.as_str() {
        "token" | "signature" | "sig" | "hmac" | "digest" | "hexdigest" | "secret" | "mac" => true,
        "key" => before
            .last()
            .is_some_and(|w| matches!(w.as_str(), "api" | "secret" | "access" | "private")),
        "apikey" => true,
        "hash" => before
            .iter()
            .any(|w| matches!(w.as_str(), "password" | "pwd" | "passwd" | "token" | "key")),
        _ => false,
    };
    secret.then(|| name.to_string())
}

/// Names that say the value is a position in a list or a parser's lexeme, not a credential.
fn not_secret(text: &str, node: Node<'_>) -> bool {
    name_of(text, node).is_some_and(|name| {
        words(name).iter().any(|w| {
            matches!(
                w.as_str(),
                "next"
                    | "prev"
                    | "previous"
                    | "page"
                    | "cursor"
                    | "continuation"
                    | "sync"
                    | "last"
                    | "first"
                    | "current"
                    | "closing"
                    | "opening"
                    | "start"
                    | "end"
                    | "lexer"
                    | "parser"
                    | "algorithm"
                    | "alg"
                    | "type"
                    | "kind"
                    | "device"
                    | "code"
                    | "error"
                    | "invalid"
                    | "public"
                    | "address"
            )
        })
    }) || sentinel(text, node)
}

/// An upper-case constant of the file or a class that names a kind of token
/// (`CONSTRAINT_TOKEN_USER`, `self.REQUEST_TOKEN`, `Parse.Error.INVALID_SESSION_TOKEN`),
/// or any member of an enumeration (`StepTypeEnum.DIGEST`): a marker value, not a
/// credential. `settings.API_TOKEN` is configuration and counts.
fn sentinel(text: &str, node: Node<'_>) -> bool {
    let Some(name) = name_of(text, node) else {
        return false;
    };
    let upper = name.bytes().any(|b| b.is_ascii_uppercase())
        && !name.bytes().any(|b| b.is_ascii_lowercase());
    // `StepTypeEnum.DIGEST`, `TokenType.ACCESS_TOKEN`: a member of an enumeration.
    let enumerated = matches!(node.kind_name(), "attribute" | "member_expression")
        && node.field("object").is_some_and(|o| {
            let owner = text_of(text, o).rsplit('.').next().unwrap_or_default();
            ["Enum", "Type", "Types", "Kind", "Kinds"]
                .iter()
                .any(|suffix| owner.len() > suffix.len() && owner.ends_with(suffix))
        });
    if upper && enumerated {
        return true;
    }
    let constant = upper && words(name).iter().any(|w| w == "token");
    let owner = match node.kind_name() {
        "identifier" => true,
        "attribute" | "member_expression" => node.field("object").is_some_and(|o| {
            let o = text_of(text, o);
            matches!(o, "self" | "cls" | "this")
                || o.rsplit('.').next().is_some_and(|last| {
                    last.starts_with(|c: char| c.is_ascii_uppercase())
                        && last.bytes().any(|b| b.is_ascii_lowercase())
                })
        }),
        _ => false,
    };
    constant && owner
}

/// `pointer.tokens[i]`, `parts[0]`: an element of a list by position, which is a lexeme or
/// path segment compared with another; a stored secret is looked up by key.
fn by_position(text: &str, node: Node<'_>) -> bool {
    let index = match node.kind_name() {
        "subscript_expression" => node.field("index"),
        "subscript" => node.field("subscript"),
        _ => None,
    };
    index.is_some_and(|index| match index.kind_name() {
        "number" | "integer" | "unary_expression" => true,
        "identifier" => matches!(
            text_of(text, index),
            "i" | "j" | "k" | "n" | "idx" | "index"
        ),
        _ => false,
    })
}

/// `def __eq__(self, other): return other.token == self.token`: two objects compared by
/// their fields, which no attacker times.
fn in_equality_method(ctx: &CodeContext<'_>, comparison: Node<'_>) -> bool {
    ctx.semantics()
        .enclosing_function(comparison.start_byte())
        .and_then(|f| f.name.as_deref())
        .is_some_and(|name| matches!(name, "__eq__" | "__ne__" | "equals" | "isEqual"))
}

/// `body = token.removeprefix(PREFIX); body == token`: one side computed from the other,
/// a format check rather than a comparison with a secret.
fn derived(ctx: &CodeContext<'_>, left: Node<'_>, right: Node<'_>) -> bool {
    let text = ctx.source.text.as_str();
    let from = |a: Node<'_>, b: Node<'_>| {
        a.kind_name() == "identifier"
            && ctx
                .semantics()
                .binding_at(text_of(text, a), a.start_byte())
                .and_then(|binding| binding.value)
                .is_some_and(|value| text[value.start..value.end].contains(text_of(text, b)))
    };
    from(left, right) || from(right, left)
}
