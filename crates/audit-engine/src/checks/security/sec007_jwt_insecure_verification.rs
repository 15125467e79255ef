//! SEC007: JWTs verified weakly or issued forever. jsonwebtoken's `verify` without an
//! `algorithms` allow-list or allowing `none`, and `sign` of a literal payload with neither
//! `expiresIn` nor `exp`; PyJWT's and python-jose's `decode` with the signature check
//! turned off (`options={"verify_signature": False}`, PyJWT 1's `verify=False`), without
//! `algorithms=` or allowing `none`, and `encode` of a literal payload without `exp`.
//! Options the file does not show (`**kwargs`, a spread, a config passed in) are not
//! guessed at.

use audit_core::Span;
use audit_model::code::Call;
use audit_model::code::nodes::KindName;
use audit_syntax::tree_sitter::Node;

use super::{arguments, dictionary_key, elements, string_content, text_of};
use crate::checks::reliability::{Key, object_key};
use crate::checks::{Check, CodeContext, Emit};

pub const CHECK: Check = Check::Code {
    anchors: &["jsonwebtoken", "jwt"],
    run: check,
};

const NO_ALLOW_LIST: &str = "verifies a JWT without an `algorithms` allow-list, so the token's own header picks the algorithm (the `none` and key-confusion attacks); pass the one algorithm the issuer uses, e.g. `algorithms: [\"RS256\"]`";
const ALLOWS_NONE: &str = "accepts the `none` algorithm, so an unsigned token passes verification; list only the algorithm the issuer signs with";
const NO_EXPIRY: &str = "signs a JWT with no expiry, so a leaked token stays valid forever; set `expiresIn` (or an `exp` claim) to minutes or hours";

fn check(ctx: &CodeContext<'_>, out: &mut Emit<'_>) {
    let javascript = ctx.grammar.is_javascript_family();
    for call in ctx.semantics().calls() {
        let Some(function) = call.qualified_name.as_deref() else {
            continue;
        };
        let found = if javascript {
            javascript_call(ctx, call, function)
        } else {
            python_call(ctx, call, function)
        };
        if let Some((span, problem)) = found {
            let callee =
                crate::checks::excerpt(&ctx.source.text[call.callee.start..call.callee.end]);
            out.report(
                ctx.source,
                span,
                &[("callee", &callee), ("problem", problem)],
            );
        }
    }
}

fn javascript_call(
    ctx: &CodeContext<'_>,
    call: &Call,
    function: &str,
) -> Option<(Span, &'static str)> {
    let text = ctx.source.text.as_str();
    let args = arguments(ctx, call.arguments);
    if args.iter().any(|a| a.kind_name() == "spread_element") {
        return None;
    }
    let options = args.get(2).filter(|o| {
        !matches!(
            o.kind_name(),
            "arrow_function" | "function_expression" | "function"
        )
    });
    match function {
        "jsonwebtoken.verify" => match options.map(|o| object_key(ctx, *o, &["algorithms"])) {
            None | Some(Key::Missing) => Some((call.callee, NO_ALLOW_LIST)),
            Some(Key::Set { value, .. }) if value.kind_name() == "array" => elements(value)
                .into_iter()
                .find(|a| string_content(text, *a).is_some_and(|s| s.eq_ignore_ascii_case("none")))
                .map(|none| (span(none), ALLOWS_NONE)),
            Some(_) => None,
        },
        "jsonwebtoken.sign" => {
            let payload = *args.first()?;
            let expires = match options.map(|o| object_key(ctx, *o, &["expiresIn"])) {
                Some(Key::Set { .. }) | Some(Key::Unknown) => return None,
                None | Some(Key::Missing) => false,
            };
            match object_key(ctx, payload, &["exp"]) {
                Key::Missing if !expires => Some((call.callee, NO_EXPIRY)),
                _ => None,
            }
        }
        _ => None,
    }
}

fn python_call(ctx: &CodeContext<'_>, call: &Call, function: &str) -> Option<(Span, &'static str)> {
    let text = ctx.source.text.as_str();
    let args = arguments(ctx, call.arguments);
    if args.iter().any(|a| a.kind_name() == "dictionary_splat") {
        return None;
    }
    match function {
        "jwt.decode" | "jose.jwt.decode" => {
            if let Some(verify) = call.keyword("verify")
                && &text[verify.value.start..verify.value.end] == "False"
            {
                return Some((
                    verify.span,
                    "turns JWT signature verification off (`verify=False`), so any forged token is accepted; verify with the issuer's key and `algorithms=[...]`",
                ));
            }
            if let Some(options) = call.keyword("options")
                && let Some(dictionary) = ctx.node_at(options.value)
                && let Some((pair, value)) = dictionary_key(text, dictionary, "verify_signature")
                && text_of(text, value) == "False"
            {
                return Some((
                    span(pair),
                    "turns JWT signature verification off (`verify_signature: False`), so any forged token is accepted; verify with the issuer's key and `algorithms=[...]`",
                ));
            }
            match call.keyword("algorithms") {
                None => Some((
                    call.callee,
                    "verifies a JWT without `algorithms=`, so the token's own header picks the algorithm (PyJWT 2 refuses it, older versions and python-jose accept `none` or key confusion); pass the issuer's algorithm, e.g. `algorithms=[\"RS256\"]`",
                )),
                Some(algorithms) => ctx
                    .node_at(algorithms.value)
                    .filter(|list| matches!(list.kind_name(), "list" | "tuple"))
                    .and_then(|list| {
                        elements(list).into_iter().find(|a| {
                            string_content(text, *a).is_some_and(|s| s.eq_ignore_ascii_case("none"))
                        })
                    })
                    .map(|none| (span(none), ALLOWS_NONE)),
            }
        }
        "jwt.encode" | "jose.jwt.encode" => {
            let payload = *args.first()?;
            let dictionary = match payload.kind_name() {
                "dictionary" => payload,
                "identifier" => {
                    let name = text_of(text, payload);
                    let value = ctx
                        .semantics()
                        .binding_at(name, payload.start_byte())
                        .filter(|b| b.path.is_empty() && !b.augmented)
                        .and_then(|b| b.value)
                        .and_then(|v| ctx.node_at(v))
                        .filter(|v| v.kind_name() == "dictionary")?;
                    // `payload["exp"] = ...` later.
                    if text.contains(&format!("{name}[\"exp\"]"))
                        || text.contains(&format!("{name}['exp']"))
                    {
                        return None;
                    }
                    value
                }
                _ => return None,
            };
            let splat = elements(dictionary)
                .iter()
                .any(|e| e.kind_name() == "dictionary_splat");
            (!splat && dictionary_key(text, dictionary, "exp").is_none())
                .then_some((call.callee, "signs a JWT with no `exp` claim, so a leaked token stays valid forever; add `\"exp\": datetime.now(tz=timezone.utc) + timedelta(minutes=15)`"))
        }
        _ => None,
    }
}

fn span(node: Node<'_>) -> Span {
    Span::from(node.byte_range())
}
