//! SEC009: encryption that does not protect. Broken ciphers (DES, 3DES, RC4, RC2,
//! Blowfish, IDEA, CAST5), ECB mode, Node's `crypto.createCipher` (no IV, an MD5-derived
//! key), an IV written into the code, and RSA keys under 2048 bits; in Node's `crypto`,
//! pycryptodome/PyCrypto and `cryptography`, found by qualified name.

use audit_core::Span;
use audit_model::code::Call;
use audit_syntax::tree_sitter::Node;

use super::{arguments, positional_arguments, string_content, text_of};
use crate::checks::reliability::{Key, object_key};
use crate::checks::{Check, CodeContext, Emit};

pub const CHECK: Check = Check::Code {
    anchors: &["crypto", "Crypto", "cryptography"],
    run: check,
};

const MIN_RSA_BITS: u64 = 2048;

fn check(ctx: &CodeContext<'_>, out: &mut Emit<'_>) {
    let javascript = ctx.grammar.is_javascript_family();
    for call in ctx.semantics().calls() {
        let Some(function) = call.qualified_name.as_deref() else {
            continue;
        };
        if javascript {
            javascript_call(ctx, call, function, out);
        } else {
            python_call(ctx, call, function, out);
        }
    }
}

fn report(ctx: &CodeContext<'_>, out: &mut Emit<'_>, span: Span, what: &str) {
    out.report(ctx.source, span, &[("what", what)]);
}

/// A cipher name that is broken or obsolete, or ECB mode: `des-ede3-cbc`, `rc4`, `bf-cbc`,
/// `aes-128-ecb`.
fn weak_cipher_name(name: &str) -> Option<&'static str> {
    let name = name.to_ascii_lowercase();
    let family = name.split('-').next().unwrap_or(&name);
    if family.starts_with("des") {
        Some("DES/3DES")
    } else if family.starts_with("rc4") || family.starts_with("rc2") {
        Some("RC4/RC2")
    } else if matches!(family, "bf" | "blowfish") {
        Some("Blowfish")
    } else if family.starts_with("idea") || family.starts_with("cast") {
        Some("IDEA/CAST")
    } else if name.ends_with("-ecb") {
        Some("ECB mode")
    } else {
        None
    }
}

fn javascript_call(ctx: &CodeContext<'_>, call: &Call, function: &str, out: &mut Emit<'_>) {
    let text = ctx.source.text.as_str();
    let args = arguments(ctx, call.arguments);
    match function {
        "crypto.createCipher" | "crypto.createDecipher" => report(
            ctx,
            out,
            call.callee,
            "`createCipher`, which uses no IV and derives the key with one round of MD5",
        ),
        "crypto.createCipheriv" | "crypto.createDecipheriv" => {
            let name = args.first().and_then(|a| string_content(text, *a));
            if let Some(algorithm) = args.first()
                && let Some(name) = name
                && let Some(weak) = weak_cipher_name(name)
            {
                report(ctx, out, span(*algorithm), &format!("{weak} (`{name}`)"));
            }
            // ECB takes no IV: `""` or `null` is how one passes none.
            let ecb = name.is_some_and(|n| n.to_ascii_lowercase().ends_with("-ecb"));
            if function == "crypto.createCipheriv"
                && !ecb
                && let Some(iv) = args.get(2)
                && static_javascript_iv(ctx, *iv)
            {
                report(
                    ctx,
                    out,
                    span(*iv),
                    "an IV written into the code, the same for every message",
                );
            }
        }
        "crypto.generateKeyPair" | "crypto.generateKeyPairSync" => {
            let rsa = args
                .first()
                .and_then(|a| string_content(text, *a))
                .is_some_and(|t| t == "rsa" || t == "rsa-pss");
            if rsa
                && let Some(Key::Set { pair, value }) =
                    args.get(1).map(|o| object_key(ctx, *o, &["modulusLength"]))
                && let Ok(bits) = text_of(text, value).parse::<u64>()
                && bits < MIN_RSA_BITS
            {
                report(ctx, out, span(pair), &format!("a {bits}-bit RSA key"));
            }
        }
        _ => {}
    }
}

/// `"0123456789abcdef"`, `Buffer.from("...")`, `Buffer.alloc(16)` (zeros).
fn static_javascript_iv(ctx: &CodeContext<'_>, iv: Node<'_>) -> bool {
    let text = ctx.source.text.as_str();
    if let Some(literal) = string_content(text, iv) {
        return !literal.is_empty();
    }
    ctx.semantics().call(span(iv)).is_some_and(|call| {
        let args = arguments(ctx, call.arguments);
        match call.qualified_name.as_deref() {
            Some("Buffer.alloc") => args.len() == 1,
            Some("Buffer.from") => args
                .first()
                .is_some_and(|a| string_content(text, *a).is_some()),
            _ => false,
        }
    })
}

fn python_call(ctx: &CodeContext<'_>, call: &Call, function: &str, out: &mut Emit<'_>) {
    let text = ctx.source.text.as_str();
    let semantics = ctx.semantics();
    let positional = positional_arguments(ctx, call.arguments);
    // pycryptodome (`Crypto`, `Cryptodome`) and `cryptography`'s hazmat ciphers.
    let pycrypto = function
        .strip_prefix("Crypto.Cipher.")
        .or_else(|| function.strip_prefix("Cryptodome.Cipher."));
    if let Some(cipher) = pycrypto.and_then(|c| c.strip_suffix(".new")) {
        if let Some(weak) = match cipher {
            "DES" | "DES3" => Some("DES/3DES"),
            "ARC4" | "ARC2" => Some("RC4/RC2"),
            "Blowfish" => Some("Blowfish"),
            "CAST" => Some("IDEA/CAST"),
            _ => None,
        } {
            report(ctx, out, call.callee, &format!("{weak} (`{cipher}`)"));
            return;
        }
        let mode = call
            .keyword("mode")
            .and_then(|k| ctx.node_at(k.value))
            .or_else(|| positional.get(1).copied());
        if let Some(mode) = mode
            && semantics
                .qualified_name(mode, text)
                .is_some_and(|m| m.ends_with(".MODE_ECB"))
        {
            report(ctx, out, span(mode), "ECB mode");
        }
        let iv = call
            .keyword("iv")
            .and_then(|k| ctx.node_at(k.value))
            .or_else(|| positional.get(2).copied());
        if let Some(iv) = iv
            && string_content(text, iv).is_some()
        {
            report(
                ctx,
                out,
                span(iv),
                "an IV written into the code, the same for every message",
            );
        }
        return;
    }
    if let Some(name) = function.strip_prefix("cryptography.hazmat.primitives.ciphers.algorithms.")
    {
        if matches!(
            name,
            "TripleDES" | "Blowfish" | "ARC4" | "IDEA" | "CAST5" | "SEED"
        ) {
            report(
                ctx,
                out,
                call.callee,
                &format!("the obsolete cipher `{name}`"),
            );
        }
        return;
    }
    if let Some(mode) = function.strip_prefix("cryptography.hazmat.primitives.ciphers.modes.") {
        if mode == "ECB" {
            report(ctx, out, call.callee, "ECB mode");
        } else if let Some(iv) = positional.first()
            && string_content(text, *iv).is_some()
        {
            report(
                ctx,
                out,
                span(*iv),
                "an IV written into the code, the same for every message",
            );
        }
        return;
    }
    let bits = match function {
        "cryptography.hazmat.primitives.asymmetric.rsa.generate_private_key" => call
            .keyword("key_size")
            .map(|k| (k.value, &text[k.value.start..k.value.end]))
            .or_else(|| positional.get(1).map(|n| (span(*n), text_of(text, *n)))),
        "Crypto.PublicKey.RSA.generate" | "Cryptodome.PublicKey.RSA.generate" => call
            .keyword("bits")
            .map(|k| (k.value, &text[k.value.start..k.value.end]))
            .or_else(|| positional.first().map(|n| (span(*n), text_of(text, *n)))),
        _ => None,
    };
    if let Some((at, value)) = bits
        && let Ok(n) = value.parse::<u64>()
        && n < MIN_RSA_BITS
    {
        report(ctx, out, at, &format!("a {n}-bit RSA key"));
    }
}

fn span(node: Node<'_>) -> Span {
    Span::from(node.byte_range())
}
