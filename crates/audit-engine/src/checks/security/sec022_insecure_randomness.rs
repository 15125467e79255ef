//! SEC022: secrets drawn from a predictable generator. `Math.random()` and Python's
//! `random.*` (Mersenne Twister: its next outputs follow from 624 observed ones) whose value
//! becomes a token, password, OTP, session id, reset or verification code or key: by the
//! name it is assigned to (`const resetToken = ...`, `otp = random.randint(...)`,
//! `{ sessionId: ... }`, `token += chars[...]`) or the function it is returned from
//! (`function generateOtp()`). Random numbers for jitter, sampling or UI keys, and request
//! salts and nonces, are left alone.

use audit_syntax::tree_sitter::Node;

use super::{text_of, words};
use crate::checks::excerpt;
use crate::checks::reliability::{browser_code, span};
use crate::checks::{Check, CodeContext, Emit};
use audit_model::code::nodes::{Fields, KindName};

pub const CHECK: Check = Check::Code {
    anchors: &["Math.random", "random"],
    run: check,
};

const PYTHON_RANDOM: &[&str] = &[
    "random.random",
    "random.randint",
    "random.randrange",
    "random.choice",
    "random.choices",
    "random.sample",
    "random.getrandbits",
    "random.shuffle",
    "random.uniform",
    "numpy.random.randint",
    "numpy.random.choice",
];

fn check(ctx: &CodeContext<'_>, out: &mut Emit<'_>) {
    let text = ctx.source.text.as_str();
    let javascript = ctx.grammar.is_javascript_family();
    // A browser's request ids and cache keys (redash's `fetchToken`) guard nothing on the
    // server.
    if browser_code(ctx) {
        return;
    }
    for call in ctx.semantics().calls() {
        let Some(function) = call.qualified_name.as_deref() else {
            continue;
        };
        let weak = if javascript {
            function == "Math.random"
        } else {
            PYTHON_RANDOM.contains(&function)
        };
        if !weak {
            continue;
        }
        let Some(node) = ctx.node_at(call.span) else {
            continue;
        };
        if let Some(name) = destination(ctx, node) {
            let callee = excerpt(&text[call.callee.start..call.callee.end]);
            out.report(
                ctx.source,
                span(node),
                &[("call", &callee), ("name", &name)],
            );
        }
    }
}

/// The secret-like name the value of `node` ends up under: the variable, property or
/// keyword it is assigned to, or the function that returns it.
fn destination(ctx: &CodeContext<'_>, node: Node<'_>) -> Option<String> {
    let text = ctx.source.text.as_str();
    let mut current = node;
    while let Some(parent) = current.parent() {
        let named = match parent.kind_name() {
            "variable_declarator" => parent.field("name"),
            "assignment_expression"
            | "augmented_assignment_expression"
            | "assignment"
            | "augmented_assignment" => parent.field("left"),
            "pair" => parent.field("key"),
            "keyword_argument" => parent.field("name"),
            "return_statement" => {
                return ctx
                    .semantics()
                    .enclosing_function(parent.start_byte())
                    .and_then(|f| f.name.clone())
                    .filter(|n| secret_like(n));
            }
            "arrow_function" | "lambda"
                if parent.field("body").is_some_and(|b| b.id() == current.id()) =>
            {
                return ctx
                    .semantics()
                    .enclosing_function(parent.start_byte())
                    .and_then(|f| f.name.clone())
                    .filter(|n| secret_like(n));
            }
            "call_expression"
            | "call"
            | "arguments"
            | "argument_list"
            | "member_expression"
            | "attribute"
            | "binary_expression"
            | "binary_operator"
            | "parenthesized_expression"
            | "subscript_expression"
            | "subscript"
            | "template_string"
            | "template_substitution"
            | "generator_expression"
            | "list_comprehension"
            | "await_expression"
            | "unary_expression"
            | "unary_operator"
            | "string"
            | "interpolation"
            | "list"
            | "array"
            | "object"
            | "dictionary"
            | "expression_statement" => None,
            _ => return None,
        };
        if let Some(target) = named {
            let name = last_name(text, target);
            return Some(name.to_string()).filter(|n| secret_like(n));
        }
        if parent.kind_name() == "expression_statement" {
            return None;
        }
        current = parent;
    }
    None
}

/// `this.resetToken` is `resetToken`, `user["otp"]` is `otp`.
fn last_name<'t>(text: &'t str, target: Node<'_>) -> &'t str {
    let inner = match target.kind_name() {
        "member_expression" => target.field("property"),
        "attribute" => target.field("attribute"),
        "subscript" | "subscript_expression" => {
            target.field("subscript").or_else(|| target.field("index"))
        }
        _ => None,
    };
    let node = inner.unwrap_or(target);
    text_of(text, node).trim_matches(['"', '\''])
}

/// A name for a value that must not be guessed.
fn secret_like(name: &str) -> bool {
    let words = words(name);
    let has = |w: &str| words.iter().any(|x| x == w);
    let any = |list: &[&str]| list.iter().any(|w| has(w));
    if any(&[
        "test", "mock", "fake", "dummy", "color", "colour", "delay", "jitter", "sample",
    ]) {
        return false;
    }
    any(&[
        "token",
        "password",
        "passwd",
        "pwd",
        "otp",
        "secret",
        "csrf",
        "apikey",
        "sid",
        "totp",
        "passcode",
        "passphrase",
    ]) || (has("session") && any(&["id", "key"]))
        || (any(&["code", "pin"])
            && any(&[
                "otp",
                "verification",
                "verify",
                "reset",
                "confirm",
                "confirmation",
                "auth",
                "login",
                "mfa",
                "sms",
                "activation",
                "invite",
                "recovery",
                "security",
                "one",
            ]))
        || (has("key")
            && any(&[
                "api",
                "secret",
                "private",
                "access",
                "encryption",
                "signing",
                "auth",
            ]))
        || has("reset")
}

#[cfg(test)]
mod tests {
    use super::secret_like;

    #[test]
    fn names_of_secrets() {
        for name in [
            "resetToken",
            "otp",
            "session_id",
            "password",
            "verification_code",
            "apiKey",
            "generate_otp",
            "makeSessionKey",
            "csrf",
        ] {
            assert!(secret_like(name), "{name}");
        }
        for name in [
            "key",
            "delay",
            "id",
            "code",
            "retry_jitter",
            "color",
            "index",
            "test_token",
            // A partner API's request salt or nonce (Baidu's `salt`, Aliyun's
            // `SignatureNonce`) asks for uniqueness, not secrecy.
            "salt",
            "SignatureNonce",
        ] {
            assert!(!secret_like(name), "{name}");
        }
    }
}
