//! SEC008: passwords stored with a hash built for speed. A fast digest (`hashlib.sha256`,
//! `crypto.createHash("md5")`) fed a password-named value, directly or through `.update`;
//! bcrypt with a cost below 10; PBKDF2 with fewer than 100,000 iterations; Django's
//! `PASSWORD_HASHERS` led by an MD5, SHA-1 or unsalted hasher. A value counts as a password
//! by its name (`password`, `passwd`, `pwd`), not a reset token or a hash of one.

use audit_core::Span;
use audit_model::code::Call;
use audit_syntax::tree_sitter::Node;

use super::{
    arguments, elements, is_field, occurrences, positional_arguments, string_content, text_of,
};
use crate::checks::reliability::http_call;
use crate::checks::{Check, CodeContext, Emit};
use audit_model::code::nodes::{Fields, KindName};

pub const CHECK: Check = Check::Code {
    anchors: &[
        "hashlib",
        "createHash",
        "bcrypt",
        "pbkdf2",
        "PASSWORD_HASHERS",
    ],
    run: check,
};

const FAST_HASHES: &[&str] = &[
    "md5", "sha1", "sha224", "sha256", "sha384", "sha512", "sha3_256", "sha3_512", "blake2b",
    "blake2s",
];
const MIN_BCRYPT_COST: u64 = 10;
const MIN_PBKDF2_ITERATIONS: u64 = 100_000;

fn check(ctx: &CodeContext<'_>, out: &mut Emit<'_>) {
    let text = ctx.source.text.as_str();
    let javascript = ctx.grammar.is_javascript_family();
    for call in ctx.semantics().calls() {
        let Some(function) = call.qualified_name.as_deref() else {
            // `digest.update(password)` on a hash the file made.
            if let Some(span) = update_of_fast_hash(ctx, call) {
                report(
                    ctx,
                    out,
                    span,
                    "a fast hash fed a password through `.update`",
                );
            }
            continue;
        };
        let positional = positional_arguments(ctx, call.arguments);
        let literal = |index: usize| {
            positional
                .get(index)
                .and_then(|n| text_of(text, *n).replace('_', "").parse::<u64>().ok())
        };
        match function {
            f if !javascript
                && fast_hashlib(f).is_some()
                && positional
                    .iter()
                    .skip(usize::from(f == "hashlib.new"))
                    .any(|a| mentions_password(text, *a)) =>
            {
                report(
                    ctx,
                    out,
                    call.callee,
                    &format!(
                        "`{}` (a fast, unsalted hash) applied to a password",
                        callee(ctx, call)
                    ),
                );
            }
            "crypto.createHash" if javascript => {
                let fast = positional
                    .first()
                    .and_then(|a| string_content(text, *a))
                    .is_some_and(|alg| {
                        FAST_HASHES.contains(&alg.to_ascii_lowercase().replace('-', "").as_str())
                    });
                if fast && chained_update_mentions_password(ctx, call) {
                    report(
                        ctx,
                        out,
                        call.callee,
                        "`createHash` (a fast, unsalted hash) applied to a password",
                    );
                }
            }
            "hashlib.pbkdf2_hmac" => {
                let iterations = call
                    .keyword("iterations")
                    .map(|k| {
                        text[k.value.start..k.value.end]
                            .replace('_', "")
                            .parse::<u64>()
                            .ok()
                    })
                    .unwrap_or_else(|| literal(3));
                if let Some(n) = iterations.filter(|n| *n < MIN_PBKDF2_ITERATIONS) {
                    report(
                        ctx,
                        out,
                        call.callee,
                        &format!("PBKDF2 with only {n} iterations"),
                    );
                }
            }
            "crypto.pbkdf2" | "crypto.pbkdf2Sync" => {
                if let Some(n) = literal(2).filter(|n| *n < MIN_PBKDF2_ITERATIONS) {
                    report(
                        ctx,
                        out,
                        span(positional[2]),
                        &format!("PBKDF2 with only {n} iterations"),
                    );
                }
            }
            "bcrypt.gensalt" => {
                let rounds = call
                    .keyword("rounds")
                    .map(|k| text[k.value.start..k.value.end].parse::<u64>().ok())
                    .unwrap_or_else(|| literal(0));
                if let Some(n) = rounds.filter(|n| *n < MIN_BCRYPT_COST) {
                    report(
                        ctx,
                        out,
                        call.callee,
                        &format!("bcrypt with a cost of only {n}"),
                    );
                }
            }
            "bcrypt.hash"
            | "bcrypt.hashSync"
            | "bcryptjs.hash"
            | "bcryptjs.hashSync"
            | "bcrypt.genSalt"
            | "bcrypt.genSaltSync"
            | "bcryptjs.genSalt"
            | "bcryptjs.genSaltSync" => {
                let index =
                    usize::from(function.ends_with("hash") || function.ends_with("hashSync"));
                if let Some(n) = literal(index).filter(|n| *n < MIN_BCRYPT_COST) {
                    report(
                        ctx,
                        out,
                        span(positional[index]),
                        &format!("bcrypt with a cost of only {n}"),
                    );
                }
            }
            _ => {}
        }
    }
    if !javascript && text.contains("PASSWORD_HASHERS") {
        django_hashers(ctx, out);
    }
}

fn report(ctx: &CodeContext<'_>, out: &mut Emit<'_>, span: Span, what: &str) {
    if sent_in_request(ctx, span) {
        return;
    }
    out.report(ctx.source, span, &[("what", what)]);
}

/// A digest written into the arguments of an outgoing HTTP request
/// (`requests.post(url, params={"password": md5(pw)})`): a partner API's login protocol,
/// which the application cannot change, not how it stores passwords.
fn sent_in_request(ctx: &CodeContext<'_>, at: Span) -> bool {
    // A project's own HTTP wrapper (`from flexget.utils import requests`) counts by its
    // method's name.
    let request_method = |text: &str, call: &Call| {
        let callee = &text[call.callee.start..call.callee.end];
        matches!(
            callee.rsplit('.').next().unwrap_or(callee),
            "post" | "put" | "patch" | "request" | "fetch"
        ) && callee.contains('.')
    };
    let Some(mut node) = ctx.node_at(at) else {
        return false;
    };
    while let Some(parent) = node.parent() {
        if matches!(parent.kind_name(), "call" | "call_expression")
            && let Some(call) = ctx.semantics().call(span(parent))
            && (http_call(ctx, call).is_some() || request_method(&ctx.source.text, call))
        {
            return true;
        }
        if matches!(
            parent.kind_name(),
            "function_definition" | "function_declaration" | "arrow_function" | "method_definition"
        ) {
            return false;
        }
        node = parent;
    }
    false
}

fn callee<'a>(ctx: &CodeContext<'a>, call: &Call) -> &'a str {
    &ctx.source.text[call.callee.start..call.callee.end]
}

/// `hashlib.sha256`, `hashlib.md5`, `hashlib.new`: a fast digest constructor.
fn fast_hashlib(function: &str) -> Option<&str> {
    let name = function.strip_prefix("hashlib.")?;
    (FAST_HASHES.contains(&name) || name == "new").then_some(name)
}

/// Whether an expression reads a password-named value: `password`, `user.password`,
/// `form["passwd"]`, `(salt + pwd).encode()`; reset tokens, salts and stored hashes are not
/// passwords.
fn mentions_password(text: &str, node: Node<'_>) -> bool {
    let mut stack = vec![node];
    while let Some(node) = stack.pop() {
        let name = match node.kind_name() {
            "identifier" | "property_identifier" | "shorthand_property_identifier" => {
                Some(text_of(text, node))
            }
            "string"
                if node.parent().is_some_and(|p| {
                    p.kind_name() == "subscript" || p.kind_name() == "subscript_expression"
                }) =>
            {
                string_content(text, node)
            }
            _ => None,
        };
        if let Some(name) = name
            && password_name(name)
        {
            return true;
        }
        let mut cursor = node.walk();
        stack.extend(node.named_children(&mut cursor));
    }
    false
}

fn password_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let password = lower.contains("password")
        || lower.contains("passwd")
        || lower == "pwd"
        || lower.ends_with("_pwd");
    password
        && ![
            "token", "reset", "salt", "hash", "digest", "length", "policy",
        ]
        .iter()
        .any(|w| lower.contains(w))
}

/// `crypto.createHash("sha256").update(password)`.
fn chained_update_mentions_password(ctx: &CodeContext<'_>, call: &Call) -> bool {
    let text = ctx.source.text.as_str();
    let Some(node) = ctx.node_at(call.span) else {
        return false;
    };
    let mut current = node;
    while let Some(member) = current.parent()
        && member.kind_name() == "member_expression"
        && is_field(member, "object", current)
        && let Some(next) = member.parent()
        && next.kind_name() == "call_expression"
    {
        if member
            .field("property")
            .is_some_and(|p| text_of(text, p) == "update")
            && let Some(args) = next.field("arguments")
            && elements(args)
                .first()
                .is_some_and(|a| mentions_password(text, *a))
        {
            return true;
        }
        current = next;
    }
    false
}

/// `digest.update(password)` where `digest` is bound to `hashlib.sha256()` or
/// `crypto.createHash("md5")`: the span of the call that made the digest.
fn update_of_fast_hash(ctx: &CodeContext<'_>, call: &Call) -> Option<Span> {
    let text = ctx.source.text.as_str();
    let callee = ctx.node_at(call.callee)?;
    let (object, method) = match callee.kind_name() {
        "attribute" => (callee.field("object")?, callee.field("attribute")?),
        "member_expression" => (callee.field("object")?, callee.field("property")?),
        _ => return None,
    };
    if text_of(text, method) != "update" || object.kind_name() != "identifier" {
        return None;
    }
    let first = *arguments(ctx, call.arguments).first()?;
    if !mentions_password(text, first) {
        return None;
    }
    let semantics = ctx.semantics();
    let made = semantics
        .binding_at(text_of(text, object), object.start_byte())
        .and_then(|b| b.value)
        .and_then(|v| semantics.call(v))?;
    let function = made.qualified_name.as_deref()?;
    let fast = fast_hashlib(function).is_some_and(|name| name != "new")
        || (function == "crypto.createHash"
            && arguments(ctx, made.arguments)
                .first()
                .and_then(|a| string_content(text, *a))
                .is_some_and(|alg| {
                    FAST_HASHES.contains(&alg.to_ascii_lowercase().replace('-', "").as_str())
                }));
    fast.then_some(made.callee)
}

/// Django's `PASSWORD_HASHERS = [...]` whose first (the one new passwords get) is MD5,
/// SHA-1, unsalted or crypt.
fn django_hashers(ctx: &CodeContext<'_>, out: &mut Emit<'_>) {
    let text = ctx.source.text.as_str();
    for name in occurrences(ctx.tree, text, "PASSWORD_HASHERS") {
        let Some(assignment) = name
            .parent()
            .filter(|a| a.kind_name() == "assignment" && is_field(*a, "left", name))
        else {
            continue;
        };
        let Some(list) = assignment
            .field("right")
            .filter(|l| matches!(l.kind_name(), "list" | "tuple"))
        else {
            continue;
        };
        let Some(first) = elements(list).into_iter().next() else {
            continue;
        };
        let Some(hasher) = string_content(text, first) else {
            continue;
        };
        let class = hasher.rsplit('.').next().unwrap_or(hasher);
        if matches!(
            class,
            "MD5PasswordHasher"
                | "SHA1PasswordHasher"
                | "UnsaltedMD5PasswordHasher"
                | "UnsaltedSHA1PasswordHasher"
                | "CryptPasswordHasher"
        ) {
            report(
                ctx,
                out,
                span(first),
                &format!("`PASSWORD_HASHERS` led by `{class}`"),
            );
        }
    }
}

fn span(node: Node<'_>) -> Span {
    Span::from(node.byte_range())
}
