//! SEC006: secrets written into any text file. One case-sensitive Aho-Corasick pass over
//! the file finds the token candidates (token prefixes, `://`), and a case-insensitive
//! one the secret-like names and environment lookups, only in files where literals
//! assigned to names are looked for (not Terraform, SQL or key files); a file without a
//! candidate costs nothing more. Then known token formats are checked for their
//! structure (`tokens`), literals assigned to secret-like names are read from the code
//! model's tree in JavaScript/TypeScript/Python and from `key = value` / `key: value`
//! pairs elsewhere, and a literal fallback of an environment lookup is reported at
//! medium confidence. The secret is masked in the message and in the code frame of every
//! report (`Location::redact`), so no output format can print it.

mod tokens;
mod value;

use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use audit_core::{Confidence, Language, Span, TextKind, mask};
use audit_syntax::tree_sitter::Node;

use super::{positional_arguments, string_content, text_of};
use crate::checks::{Check, CodeContext, Emit, TextContext, excerpt};
use audit_model::code::nodes::{Fields, KindName};
use tokens::{FORMATS, JWT_PREFIX, PEM_BEGIN, TWILIO, Token};
/// Secret-like names, shared with SEC015 (values logged).
pub(crate) use value::is_secret_name;
use value::{is_placeholder, is_secret_value};

pub const CHECK: Check = Check::Text { run: check };

/// Fragments of secret-like names: every name `is_secret_name` accepts holds one.
const NAMES: &[&str] = &[
    "passw",
    "pwd",
    "passphrase",
    "secret",
    "token",
    "credentials",
    "apikey",
    "api_key",
    "api-key",
    "privatekey",
    "private_key",
    "private-key",
    "accesskey",
    "access_key",
    "signingkey",
    "signing_key",
    "encryptionkey",
    "encryption_key",
    "masterkey",
    "master_key",
    "authkey",
    "auth_key",
    "hmac",
    "jwtkey",
    "jwt_key",
    "licensekey",
    "license_key",
    "appkey",
    "app_key",
    "clientkey",
    "client_key",
];
/// Environment lookups whose literal fallback is reported.
const LOOKUPS: &[&str] = &["process.env", "environ", "getenv"];
const URL: &str = "://";

/// What a token prefilter hit is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Hit {
    Format(usize),
    PrivateKey,
    Jwt,
    Twilio,
    Url,
}

struct Prefilter {
    /// Token prefixes and `://`: case-sensitive, as the tokens are, so the search runs
    /// with its vectorised prefilter.
    tokens: AhoCorasick,
    hits: Vec<Hit>,
    /// [`NAMES`] then [`LOOKUPS`], without case.
    names: AhoCorasick,
}

static PREFILTER: LazyLock<Prefilter> = LazyLock::new(|| {
    let mut patterns: Vec<&str> = Vec::new();
    let mut hits = Vec::new();
    for (i, format) in FORMATS.iter().enumerate() {
        patterns.push(format.prefix);
        hits.push(Hit::Format(i));
    }
    for (pattern, hit) in [
        (PEM_BEGIN, Hit::PrivateKey),
        (JWT_PREFIX, Hit::Jwt),
        (URL, Hit::Url),
    ] {
        patterns.push(pattern);
        hits.push(hit);
    }
    // The one word among them written in any case.
    for twilio in TWILIO {
        patterns.push(twilio);
        hits.push(Hit::Twilio);
    }
    // Leftmost-first has a vectorised prefilter; the patterns do not overlap.
    let tokens = AhoCorasickBuilder::new()
        .match_kind(MatchKind::LeftmostFirst)
        .build(&patterns)
        .expect("literal patterns build");
    let names = AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::LeftmostFirst)
        .build(NAMES.iter().chain(LOOKUPS))
        .expect("literal patterns build");
    Prefilter {
        tokens,
        hits,
        names,
    }
});

/// One secret found: where to report it, the secret itself, and what to call it.
struct Found {
    report: Span,
    secret: Span,
    what: String,
    confidence: Option<Confidence>,
}

fn check(ctx: &TextContext<'_, '_>, out: &mut Emit<'_>) {
    let text = ctx.source.text.as_str();
    let prefilter = &*PREFILTER;
    let mut found: Vec<Found> = Vec::new();
    let mut names = Vec::new();
    let mut lookups = false;
    // The file names Twilio: its keys are looked for once, however often it does.
    let mut names_twilio = false;
    for m in prefilter.tokens.find_iter(text) {
        let at = m.start();
        let token = match prefilter.hits[m.pattern().as_usize()] {
            Hit::Format(i) => tokens::prefixed(text, at, &FORMATS[i]),
            Hit::PrivateKey => tokens::private_key(text, at),
            Hit::Jwt => tokens::jwt(text, at),
            Hit::Url => url_password(text, at),
            Hit::Twilio => {
                names_twilio = true;
                None
            }
        };
        if let Some(token) = token {
            if token.what.contains("AWS access key") {
                let mut secrets = Vec::new();
                tokens::aws_secret_near(text, token.secret, &mut secrets);
                found.extend(secrets.into_iter().map(token_found));
            }
            found.push(token_found(token));
        }
    }
    if names_twilio {
        let mut keys = Vec::new();
        tokens::twilio_keys(text, &mut keys);
        found.extend(keys.into_iter().map(token_found));
    }
    if generic_applies(ctx) {
        for m in prefilter.names.find_iter(text) {
            if m.pattern().as_usize() < NAMES.len() {
                names.push(Span::new(m.start(), m.end()));
            } else {
                lookups = true;
            }
        }
        match ctx.code {
            Some(code) => {
                assignments_in_code(code, &names, &mut found);
                if lookups {
                    fallbacks_in_code(code, &mut found);
                }
            }
            None => pairs_in_text(text, ctx.kind, &names, &mut found),
        }
    }
    report(ctx, out, found);
}

fn token_found(token: Token) -> Found {
    Found {
        report: token.report,
        secret: token.secret,
        what: token.what.to_string(),
        confidence: None,
    }
}

/// Literals assigned to names are looked for in code and configuration, not in Terraform
/// (TF011 evaluates its credentials), key files, or templates such as `.env.example`.
fn generic_applies(ctx: &TextContext<'_, '_>) -> bool {
    let file = ctx.source.path.rsplit('/').next().unwrap_or("");
    let template = ["example", "sample", "template", ".dist", "tmpl"]
        .iter()
        .any(|t| file.to_ascii_lowercase().contains(t));
    // Translations name passwords and tokens in every language.
    let translations = ctx.source.path.split('/').any(|dir| {
        matches!(
            dir,
            "i18n" | "l10n" | "locale" | "locales" | "lang" | "langs" | "translations"
        )
    });
    !template
        && !translations
        && ctx.language != Language::Terraform
        && ctx.language != Language::Sql
        && ctx.kind != Some(TextKind::Key)
}

/// Reports each secret once (a token before a name's literal covering it), masked in the
/// message and wherever any of the file's secrets shows in the code frame.
fn report(ctx: &TextContext<'_, '_>, out: &mut Emit<'_>, mut found: Vec<Found>) {
    if found.is_empty() {
        return;
    }
    let text = ctx.source.text.as_str();
    found.sort_by_key(|f| {
        (
            f.secret.start,
            f.confidence.is_some(),
            std::cmp::Reverse(f.secret.end),
        )
    });
    let mut kept: Vec<Found> = Vec::with_capacity(found.len());
    for f in found {
        if kept.last().is_some_and(|k| {
            f.secret.start < k.secret.end
                || f.report.start < k.report.end && f.report.end > k.report.start
        }) {
            continue;
        }
        kept.push(f);
    }
    let secrets: Vec<Span> = kept.iter().map(|f| f.secret).collect();
    for f in &kept {
        let mut location = ctx.source.locate(f.report);
        let frame_start = location.span.start - location.context.span.start;
        let frame_end = frame_start + location.context.text.len();
        let first = secrets.partition_point(|s| s.end <= frame_start);
        for secret in secrets[first..].iter().take_while(|s| s.start < frame_end) {
            location.redact(*secret, &text[secret.start..secret.end]);
        }
        let masked = short_mask(&text[f.secret.start..f.secret.end]);
        out.report_with(
            location,
            &[("what", f.what.as_str()), ("masked", masked.as_str())],
            f.confidence,
        );
    }
}

/// The mask of a secret for a message: a long one's stars cut to sixteen.
fn short_mask(secret: &str) -> String {
    let masked = mask(secret);
    let stars = masked.bytes().filter(|&b| b == b'*').count();
    if stars <= 16 {
        return masked;
    }
    let head: String = masked.chars().take_while(|&c| c != '*').collect();
    let tail: String = masked.chars().rev().take_while(|&c| c != '*').collect();
    let tail: String = tail.chars().rev().collect();
    format!("{head}{}{tail}", "*".repeat(16))
}

/// The password of a URL with credentials (`postgres://app:s3cr3t@db.internal/app`)
/// whose `://` is at `at`; local hosts and placeholder passwords are not reported.
fn url_password(text: &str, at: usize) -> Option<Token> {
    let bytes = text.as_bytes();
    let scheme = bytes[..at]
        .iter()
        .rev()
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'.' | b'-'))
        .count();
    if scheme < 2 {
        return None;
    }
    let start = at + 3;
    let authority_len = bytes[start..]
        .iter()
        .take(512)
        .take_while(|&&b| {
            b.is_ascii()
                && !b.is_ascii_whitespace()
                && !matches!(
                    b,
                    b'/' | b'?'
                        | b'#'
                        | b'"'
                        | b'\''
                        | b'`'
                        | b'\\'
                        | b'<'
                        | b'>'
                        | b'('
                        | b')'
                        | b','
                )
        })
        .count();
    let authority = &text[start..start + authority_len];
    let at_sign = authority.rfind('@')?;
    let (userinfo, host) = (&authority[..at_sign], &authority[at_sign + 1..]);
    // Brackets are not allowed in userinfo (RFC 3986): `[user[:password]@]host` is the
    // notation of a format description.
    if userinfo.contains(['[', ']']) {
        return None;
    }
    let colon = userinfo.find(':')?;
    let password = &userinfo[colon + 1..];
    let host_name = host.split(':').next().unwrap_or("").to_ascii_lowercase();
    let local = host_name.is_empty()
        || [
            "localhost",
            "127.0.0.1",
            "0.0.0.0",
            "::1",
            "host.docker.internal",
        ]
        .contains(&host_name.as_str())
        || host_name.ends_with(".local")
        || host_name.ends_with(".example.com")
        || host_name.ends_with(".example");
    if local || password.is_empty() || is_placeholder(password) || !is_secret_value(password) {
        return None;
    }
    let secret_start = start + colon + 1;
    let secret = Span::new(secret_start, secret_start + password.len());
    Some(Token {
        what: "the password of a URL",
        report: secret,
        secret,
    })
}

/// The node of a name hit: the identifier, property or string fragment holding it.
fn name_node<'t>(code: &'t CodeContext<'_>, hit: Span) -> Option<Node<'t>> {
    let node = code
        .tree
        .root_node()
        .named_descendant_for_byte_range(hit.start, hit.end)?;
    matches!(
        node.kind_name(),
        "identifier"
            | "property_identifier"
            | "private_property_identifier"
            | "shorthand_property_identifier"
            | "string_fragment"
            | "string_content"
    )
    .then_some(node)
}

/// `password = "..."`, `{ apiKey: "..." }`, `this.secret = "..."`, `connect(password="...")`,
/// `{"token": "..."}`, `config["secret"] = "..."` in JavaScript/TypeScript/Python.
fn assignments_in_code(code: &CodeContext<'_>, names: &[Span], found: &mut Vec<Found>) {
    let text = code.source.text.as_str();
    let mut seen = Vec::new();
    for &hit in names {
        let Some(node) = name_node(code, hit) else {
            continue;
        };
        if seen.contains(&node.id()) {
            continue;
        }
        seen.push(node.id());
        let name = text_of(text, node);
        if !is_secret_name(name) {
            continue;
        }
        // A string key stands for its string.
        let key = match node.kind_name() {
            "string_fragment" | "string_content" => match node.parent() {
                Some(string)
                    if string.kind_name() == "string"
                        && string_content(text, string) == Some(name) =>
                {
                    string
                }
                _ => continue,
            },
            _ => node,
        };
        let Some(value) = assigned_value(key) else {
            continue;
        };
        if let Some(secret) = literal_secret(text, value)
            && !same_words(name, &text[secret.start..secret.end])
        {
            found.push(Found {
                report: Span::from(value.byte_range()),
                secret,
                what: format!("a literal assigned to `{}`", excerpt(name)),
                confidence: None,
            });
        }
    }
}

/// The value `key` is given: by a declaration, an assignment (to it, a member named by
/// it, or a subscript by it), an object or dict entry, a class field or a keyword argument.
fn assigned_value(key: Node<'_>) -> Option<Node<'_>> {
    let parent = key.parent()?;
    let field = |node: Node<'_>, name: &'static str| {
        node.field(name)
            .is_some_and(|c| c.id() == key.id())
            .then_some(())
    };
    match parent.kind_name() {
        "variable_declarator" => {
            field(parent, "name")?;
            parent.field("value")
        }
        "assignment_expression" | "assignment" => {
            field(parent, "left")?;
            parent.field("right")
        }
        "pair" => {
            field(parent, "key")?;
            parent.field("value")
        }
        "public_field_definition" | "field_definition" => {
            let name = parent.field("name").or_else(|| parent.field("property"))?;
            (name.id() == key.id()).then_some(())?;
            parent.field("value")
        }
        "keyword_argument" => {
            field(parent, "name")?;
            parent.field("value")
        }
        // `this.secret = ...`, `self.password = ...`, `config["token"] = ...`.
        "member_expression" | "attribute" | "subscript_expression" | "subscript" => {
            let named = ["property", "attribute", "index", "subscript"]
                .iter()
                .any(|f| parent.field(f).is_some_and(|c| c.id() == key.id()));
            let assignment = parent.parent()?;
            let is_left = assignment
                .field("left")
                .is_some_and(|l| l.id() == parent.id());
            (named
                && is_left
                && matches!(
                    assignment.kind_name(),
                    "assignment_expression" | "assignment"
                ))
            .then_some(())?;
            assignment.field("right")
        }
        _ => None,
    }
}

/// `privateKey: "privateKey"`, `token: "TOKEN"`: a value that only repeats its name.
fn same_words(name: &str, value: &str) -> bool {
    let letters = |s: &str| -> String {
        s.chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect()
    };
    letters(name) == letters(value)
}

/// The content of a plain string literal, if it is a secret.
fn literal_secret(text: &str, value: Node<'_>) -> Option<Span> {
    let content = string_content(text, value)?;
    if !is_secret_value(content) {
        return None;
    }
    let mut cursor = value.walk();
    let fragment = value
        .named_children(&mut cursor)
        .find(|c| matches!(c.kind_name(), "string_fragment" | "string_content"))?;
    Some(Span::from(fragment.byte_range()))
}

/// `process.env.JWT_SECRET || "literal"` (or `??`), `os.environ.get("SECRET_KEY", "literal")`,
/// `os.getenv("TOKEN", "literal")`, `env("SECRET_KEY", default="literal")`: the literal is
/// what runs wherever the variable is unset. Reported when the variable is secret-like.
fn fallbacks_in_code(code: &CodeContext<'_>, found: &mut Vec<Found>) {
    let text = code.source.text.as_str();
    if code.grammar.is_javascript_family() {
        for (at, _) in text.match_indices("process.env") {
            let Some(process) = code.node_at(Span::new(at, at + 7)) else {
                continue;
            };
            // process -> process.env -> process.env.X
            let Some(variable) = process.parent().and_then(|env| env.parent()) else {
                continue;
            };
            let name = match variable.kind_name() {
                "member_expression" => variable.field("property").map(|p| text_of(text, p)),
                "subscript_expression" => variable
                    .field("index")
                    .and_then(|i| string_content(text, i)),
                _ => None,
            };
            let Some(name) = name.filter(|n| is_secret_name(n)) else {
                continue;
            };
            let Some(binary) = variable
                .parent()
                .filter(|b| b.kind_name() == "binary_expression")
            else {
                continue;
            };
            let operator = binary.field("operator").map(|o| text_of(text, o));
            let is_left = binary
                .field("left")
                .is_some_and(|l| l.id() == variable.id());
            if !is_left || !matches!(operator, Some("||" | "??")) {
                continue;
            }
            let Some(right) = binary.field("right") else {
                continue;
            };
            if let Some(secret) = literal_secret(text, right) {
                found.push(fallback(right, secret, &format!("process.env.{name}")));
            }
        }
        return;
    }
    for call in code.semantics().calls() {
        let args = positional_arguments(code, call.arguments);
        let Some(name) = args.first().and_then(|a| string_content(text, *a)) else {
            continue;
        };
        let lookup = matches!(
            call.qualified_name.as_deref(),
            Some("os.environ.get" | "os.getenv" | "os.environ.setdefault")
        );
        let default = if lookup { args.get(1).copied() } else { None }.or_else(|| {
            let keyword = call.keyword("default")?;
            code.node_at(keyword.value)
        });
        let Some(default) = default else {
            continue;
        };
        if !is_secret_name(name) {
            continue;
        }
        if let Some(secret) = literal_secret(text, default) {
            let callee = excerpt(&text[call.callee.start..call.callee.end]);
            found.push(fallback(default, secret, &format!("{callee}(\"{name}\")")));
        }
    }
}

fn fallback(value: Node<'_>, secret: Span, lookup: &str) -> Found {
    Found {
        report: Span::from(value.byte_range()),
        secret,
        what: format!("the literal fallback of `{}`", excerpt(lookup)),
        confidence: Some(Confidence::Medium),
    }
}

/// Bytes a configuration key is made of.
fn is_key_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')
}

/// `KEY=value`, `key: value`, `"key": "value"`, `key = "value"`, `<key>value</key>`,
/// `key="value"` around each name hit of a text file. Unquoted values count only where
/// the format has them.
fn pairs_in_text(text: &str, kind: Option<TextKind>, names: &[Span], found: &mut Vec<Found>) {
    let bytes = text.as_bytes();
    let unquoted = matches!(
        kind,
        Some(
            TextKind::Env
                | TextKind::Yaml
                | TextKind::Ini
                | TextKind::Properties
                | TextKind::Dockerfile
                | TextKind::Shell
        )
    );
    let escaped_quotes = matches!(kind, Some(TextKind::Json | TextKind::Notebook));
    let mut last_key_end = 0;
    for &hit in names {
        if hit.start < last_key_end {
            continue;
        }
        let mut start = hit.start;
        while start > 0 && is_key_byte(bytes[start - 1]) {
            start -= 1;
        }
        let mut end = hit.end;
        while end < bytes.len() && is_key_byte(bytes[end]) {
            end += 1;
        }
        last_key_end = end;
        let key = &text[start..end];
        if !is_secret_name(key) {
            continue;
        }
        // `${DB_PASSWORD:default}` (Spring), `${DB_PASSWORD:-default}` (shell, compose).
        if start >= 2 && &bytes[start - 2..start] == b"${" {
            if let Some(found_default) = lookup_default(text, end, key) {
                found.push(found_default);
            }
            continue;
        }
        if commented_out(text, start, kind) {
            continue;
        }
        if let Some((value, secret)) = value_after_key(text, start, end, unquoted, escaped_quotes)
            && !same_words(key, &text[secret.start..secret.end])
        {
            found.push(Found {
                report: value,
                secret,
                what: format!("a literal value of `{}`", excerpt(key)),
                confidence: None,
            });
        }
    }
}

/// Whether the key at `start` is on a line commented out with `#` or `;` (documented
/// examples in Helm values, disabled settings): its value is not in use.
fn commented_out(text: &str, start: usize, kind: Option<TextKind>) -> bool {
    if matches!(
        kind,
        Some(TextKind::Json | TextKind::Notebook | TextKind::Xml)
    ) {
        return false;
    }
    let line_start = text[..start].rfind(['\n', '\r']).map_or(0, |i| i + 1);
    text[line_start..start]
        .trim_start()
        .starts_with(['#', ';', '!'])
}

/// The literal default of `${NAME:default}` or `${NAME:-default}` after the name ending at
/// `end`: what runs where the variable is not set.
fn lookup_default(text: &str, end: usize, name: &str) -> Option<Found> {
    let rest = &text[end..];
    let skip = if rest.starts_with(":-") {
        2
    } else if rest.starts_with(':') {
        1
    } else {
        return None;
    };
    let value_start = end + skip;
    let window = text[value_start..]
        .get(..512)
        .unwrap_or(&text[value_start..]);
    let close = window.find(['}', '\n'])?;
    let value = &text[value_start..value_start + close];
    if !text[value_start + close..].starts_with('}') || !is_secret_value(value) {
        return None;
    }
    let span = Span::new(value_start, value_start + close);
    Some(Found {
        report: span,
        secret: span,
        what: format!("the literal default of `${{{}}}`", excerpt(name)),
        confidence: Some(Confidence::Medium),
    })
}

/// The value after a key at `start..end`: (the value as written, the secret inside it).
fn value_after_key(
    text: &str,
    start: usize,
    end: usize,
    unquoted: bool,
    escaped_quotes: bool,
) -> Option<(Span, Span)> {
    let bytes = text.as_bytes();
    let mut i = end;
    // `<password>value</password>`
    if start > 0 && bytes[start - 1] == b'<' && bytes.get(end) == Some(&b'>') {
        let value_start = end + 1;
        let close = text[value_start..]
            .get(..1024)
            .unwrap_or(&text[value_start..])
            .find('<')?;
        let value = text[value_start..value_start + close].trim();
        let offset = value_start + text[value_start..].find(value).unwrap_or(0);
        let span = Span::new(offset, offset + value.len());
        return is_secret_value(value).then_some((span, span));
    }
    // The key's closing quote.
    let quote_before = start.checked_sub(1).map(|s| bytes[s]);
    if let Some(q @ (b'"' | b'\'')) = quote_before
        && bytes.get(i) == Some(&q)
    {
        i += 1;
    } else if escaped_quotes && bytes.get(i..i + 2) == Some(b"\\\"") {
        i += 2;
    }
    let skip_blank = |mut i: usize| {
        while i < bytes.len() && matches!(bytes[i], b' ' | b'\t') {
            i += 1;
        }
        i
    };
    i = skip_blank(i);
    let separator = match bytes.get(i..).unwrap_or(&[]) {
        [b':', b'=', ..] | [b'=', b'>', ..] => 2,
        [b'=', b'=', ..] | [b':', b':', ..] => return None,
        [b'=' | b':', ..] => 1,
        _ => return None,
    };
    i = skip_blank(i + separator);
    let rest = &bytes[i.min(bytes.len())..];
    let (quote, open): (&[u8], usize) = match rest {
        [b'\\', b'"', ..] if escaped_quotes => (b"\\\"", 2),
        [q @ (b'"' | b'\''), ..] => (std::slice::from_ref(q), 1),
        _ => (b"", 0),
    };
    let value_start = i + open;
    let mut line_end = memchr::memchr2(b'\n', b'\r', &bytes[value_start.min(bytes.len())..])
        .map_or(bytes.len(), |n| value_start + n)
        .min(value_start + 4096);
    while !text.is_char_boundary(line_end) {
        line_end -= 1;
    }
    let value_end = if quote.is_empty() {
        if !unquoted {
            return None;
        }
        let line = &text[value_start..line_end];
        let cut = line.find(" #").unwrap_or(line.len());
        value_start + line[..cut].trim_end().len()
    } else {
        value_start + memchr::memmem::find(&bytes[value_start..line_end], quote)?
    };
    let value = &text[value_start..value_end];
    if !is_secret_value(value) {
        return None;
    }
    let secret = Span::new(value_start, value_end);
    let written = Span::new(value_start - open, value_end + quote.len());
    Some((written, secret))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_values_and_urls_are_cut_at_character_boundaries() {
        let value = format!("password={}\n", "é".repeat(3000));
        let key_end = "password".len();
        assert!(value_after_key(&value, 0, key_end, true, false).is_none());
        let url = format!("postgres://app:{}@db/x", "é".repeat(400));
        assert!(url_password(&url, url.find("://").unwrap()).is_none());
    }

    #[test]
    fn urls_with_passwords() {
        let url = "DATABASE_URL=postgres://shop:Zr8xQ2mLp0vNw5@db.internal:5432/shop";
        let token = url_password(url, url.find("://").unwrap()).unwrap();
        assert_eq!(&url[token.secret.start..token.secret.end], "Zr8xQ2mLp0vNw5");
        for clean in [
            "postgres://postgres:Zr8xQ2mLp0vNw5@localhost/dev",
            "postgres://app:${DB_PASSWORD}@db/app",
            "https://user@example.org/",
            "redis://:changeme@cache:6379",
        ] {
            assert!(
                url_password(clean, clean.find("://").unwrap()).is_none(),
                "{clean}"
            );
        }
    }
}
