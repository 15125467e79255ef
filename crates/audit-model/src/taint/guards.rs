//! Validation written as control flow rather than as a sanitizer call: an allow-list
//! ternary (`ALLOWED.includes(x) ? x : "jpg"`), a branch that replaces a value that fails
//! a check (`if not next or urlsplit(next).netloc: next = "/"`), a sink inside a branch
//! taken only when a check passes (`if _allow_redirect(url): return redirect(url)`), and
//! an early exit when a check fails (`if (!p.startsWith(root)) throw ...`). Each is
//! recognised by shape and by the words of the check, so a plain emptiness test
//! (`if (!order) order = "id"`) is not mistaken for validation.

use audit_syntax::tree_sitter::Node;

use super::eval::Evaluator;
use crate::code::nodes::elements;
use crate::code::nodes::{Fields, KindName};

/// Words of calls and attributes that validate a value.
const CHECK_WORDS: &[&str] = &[
    "allow",
    "allowed",
    "allowlist",
    "is_safe_url",
    "isSafe",
    "netloc",
    "permitted",
    "safe",
    "startsWith",
    "startswith",
    "trusted",
    "url_has_allowed_host_and_scheme",
    "valid",
    "validate",
    "verify",
    "whitelist",
];

impl<'a> Evaluator<'a> {
    /// `cond ? x : other` (`x if cond else other`) where `cond` tests `x` against a list
    /// (`LIST.includes(x)`, `x in LIST`, `SET.has(x)`): the value is a member of the list.
    pub(super) fn allow_list_ternary(&self, node: Node<'_>) -> bool {
        let (condition, consequence) = match node.kind_name() {
            "ternary_expression" => (node.field("condition"), node.field("consequence")),
            "conditional_expression" => (node.named_child(1), node.named_child(0)),
            _ => return false,
        };
        let (Some(condition), Some(consequence)) = (condition, consequence) else {
            return false;
        };
        let value = self.text_of(consequence);
        let condition_text = self.text_of(condition);
        match condition.kind_name() {
            "call_expression" => {
                let callee = condition.field("function");
                let method = callee.and_then(|c| self.method_name(c));
                matches!(method, Some("includes" | "has" | "indexOf"))
                    && condition.field("arguments").is_some_and(|a| {
                        elements(a)
                            .first()
                            .is_some_and(|first| self.text_of(*first) == value)
                    })
            }
            "comparison_operator" => {
                condition_text.starts_with(value)
                    && condition_text[value.len()..]
                        .trim_start()
                        .starts_with("in ")
            }
            _ => false,
        }
    }

    /// A reassignment in a branch whose condition checks the name with more than an
    /// emptiness test: the branch replaces a value that failed validation, so the
    /// earlier value does not flow past it.
    pub(super) fn replaces_invalid(&self, name: &str, assignment: Node<'_>) -> bool {
        let Some(condition) = self.branch_condition(assignment) else {
            return false;
        };
        mentions(self.text_of(condition), name) && self.checks(condition)
    }

    /// `sink` runs only after `value` passed a check: inside an `if` whose condition
    /// checks it, or after an `if` that leaves the function when the check fails.
    pub(super) fn guarded(&self, sink: Node<'a>, value: &str) -> bool {
        let mut node = sink;
        while let Some(parent) = self.nodes.parent(node) {
            if super::is_function(parent) {
                return false;
            }
            if parent.kind_name() == "if_statement"
                && parent
                    .field("consequence")
                    .is_some_and(|c| c.id() == node.id())
                && let Some(condition) = parent.field("condition")
                && mentions(self.text_of(condition), value)
                && self.checks(condition)
                && !negated(self.text_of(condition))
            {
                return true;
            }
            // An earlier sibling `if (!check(value)) throw/return`.
            if matches!(
                parent.kind_name(),
                "statement_block" | "block" | "program" | "module"
            ) {
                let mut cursor = parent.walk();
                for statement in parent.named_children(&mut cursor) {
                    if statement.end_byte() > node.start_byte() {
                        break;
                    }
                    if statement.kind_name() == "if_statement"
                        && let Some(condition) = statement.field("condition")
                        && mentions(self.text_of(condition), value)
                        && self.checks(condition)
                        && statement
                            .field("consequence")
                            .is_some_and(|c| exits(self.text_of(c)))
                    {
                        return true;
                    }
                }
            }
            node = parent;
        }
        false
    }

    /// The condition of the `if` (or Python `if`) whose branch holds `node`.
    fn branch_condition(&self, node: Node<'a>) -> Option<Node<'a>> {
        let mut node = node;
        while let Some(parent) = self.nodes.parent(node) {
            if parent.kind_name() == "if_statement" {
                return parent.field("condition");
            }
            if super::is_function(parent) {
                return None;
            }
            node = parent;
        }
        None
    }

    /// The condition calls or reads something named like a check.
    fn checks(&self, condition: Node<'_>) -> bool {
        let text = self.text_of(condition);
        text.split(|c: char| !c.is_ascii_alphanumeric())
            .map(|word| word.to_ascii_lowercase())
            .any(|word| {
                CHECK_WORDS
                    .iter()
                    .any(|check| word.contains(&check.to_ascii_lowercase()))
            })
            || text.contains(".includes(")
            || text.contains(" in ")
    }
}

/// `name` occurs in `text` as a whole identifier.
fn mentions(text: &str, name: &str) -> bool {
    text.match_indices(name).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + name.len()..].chars().next();
        let boundary =
            |c: Option<char>| c.is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == '$'));
        boundary(before) && boundary(after)
    })
}

/// A condition that holds when the check fails (`!isSafe(x)`, `not allowed(x)`).
fn negated(condition: &str) -> bool {
    let condition = condition.trim_start_matches('(').trim_start();
    condition.starts_with('!') || condition.starts_with("not ")
}

/// A branch that leaves: `throw`, `return`, `raise`, `abort(...)`, `next(err)`.
fn exits(branch: &str) -> bool {
    ["throw ", "return", "raise ", "abort(", "continue", "break"]
        .iter()
        .any(|word| branch.contains(word))
}
