//! What makes a name secret-like and a literal a secret rather than a placeholder, a
//! reference or a word.

use super::tokens::{FORMATS, is_expired_jwt, prefixed};
use crate::checks::words;

/// Shannon entropy of `text` in bits per character.
pub fn entropy(text: &str) -> f64 {
    let mut counts = [0u32; 256];
    let mut total = 0u32;
    for b in text.bytes() {
        counts[b as usize] += 1;
        total += 1;
    }
    if total == 0 {
        return 0.0;
    }
    let total = f64::from(total);
    counts
        .iter()
        .filter(|&&n| n > 0)
        .map(|&n| {
            let p = f64::from(n) / total;
            -p * p.log2()
        })
        .sum()
}

/// Text that stands for a value instead of being one: `changeme`, `xxx`, `<password>`,
/// `${DB_PASSWORD}`, `{{ .Values.token }}`, `%(secret)s`, `your-api-key`, `example`,
/// `dummy`, a value of one repeated character.
pub fn is_placeholder(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    const MARKERS: &[&str] = &[
        "changeme",
        "change_me",
        "change-me",
        "change_this",
        "change-this",
        "changethis",
        "xxx",
        "***",
        "...",
        "example",
        "dummy",
        "sample",
        "placeholder",
        "your_",
        "your-",
        "yourpass",
        "yoursecret",
        "yourtoken",
        "yourkey",
        "test-",
        "test_",
        "mock",
        "redacted",
        "replace",
        "insert",
        "fake",
        "notsecret",
        "not-a-secret",
        "not_a_secret",
        "todo",
        "${",
        "{{",
        "%(",
        "$(",
        "#{",
        "<",
    ];
    let mut chars = value.chars();
    let one_character = chars.next().is_some_and(|first| chars.all(|c| c == first));
    // `{config.DB_PASSWORD}`, `{}`: a Python f-string or `str.format` substitution.
    let substitution = value.starts_with('{') && value.ends_with('}');
    one_character || substitution || MARKERS.iter().any(|m| lower.contains(m))
}

/// Words a secret-like name can end with, as a last word or the end of a joined one.
const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "passphrase",
    "secret",
    "token",
    "apikey",
    "secretkey",
    "privatekey",
    "accesskey",
    "signingkey",
    "encryptionkey",
    "masterkey",
    "authkey",
    "clientsecret",
    "secretkeybase",
];

/// Last words that make the name about a secret, not the secret: `password_file`,
/// `tokenUrl`, `secretName`, `api_key_header`.
const NOT_SECRET_LAST: &[&str] = &[
    "path",
    "file",
    "dir",
    "url",
    "uri",
    "name",
    "names",
    "id",
    "ids",
    "arn",
    "env",
    "var",
    "length",
    "len",
    "size",
    "type",
    "kind",
    "field",
    "header",
    "param",
    "endpoint",
    "ttl",
    "expiry",
    "expires",
    "expiration",
    "timeout",
    "count",
    "prefix",
    "policy",
    "pattern",
    "regex",
    "route",
    "mode",
    "enabled",
    "required",
    "min",
    "max",
    "label",
    "placeholder",
    "hint",
    "help",
    "message",
    "msg",
    "error",
    "text",
    "title",
    "description",
    "format",
    "version",
    "location",
    "provider",
    "ref",
    "key",
    "hash",
    "hashed",
    "digest",
    "salt",
    "rounds",
    "iterations",
    "policy",
    "reset",
    "confirm",
    "confirmation",
    "strength",
    "validator",
    "regexp",
    "selector",
    "input",
    "prompt",
    "class",
    "style",
    "icon",
    "link",
    "store",
    "manager",
    "source",
    "template",
    "backend",
];

/// First words that make the name a flag or a reference: `existingSecret`, `useToken`.
const NOT_SECRET_FIRST: &[&str] = &[
    "existing", "use", "enable", "enabled", "require", "required", "show", "has", "is", "allow",
    "generate", "auto", "create", "no", "skip", "with", "without", "forgot", "reset", "new", "old",
    "confirm",
];

/// Words before `token` that name a non-secret token: `csrf_token`, `next_token`.
const NOT_SECRET_TOKEN: &[&str] = &[
    "cluster",
    "csrf",
    "xsrf",
    "next",
    "page",
    "continuation",
    "cancel",
    "cancellation",
    "pagination",
    "max",
    "num",
    "sync",
    "lexer",
    "parse",
    "start",
    "end",
    "eos",
    "bos",
    "pad",
    "unk",
    "sep",
    "mask",
    "cls",
];

/// Whether an identifier, key or environment variable name says its value is a secret:
/// `password`, `DB_PASSWORD`, `jwtSecret`, `api_key`, `SECRET_KEY`, `client_secret`,
/// `auth.token`.
pub fn is_secret_name(name: &str) -> bool {
    let words = words(name);
    let Some(last) = words.last() else {
        return false;
    };
    let first = &words[0];
    if words.len() > 1 && NOT_SECRET_FIRST.contains(&first.as_str()) {
        return false;
    }
    let previous = words.len().checked_sub(2).map(|i| words[i].as_str());
    if last == "token" && previous.is_some_and(|p| NOT_SECRET_TOKEN.contains(&p)) {
        return false;
    }
    if last == "key" {
        // `api_key`, `secret_key`, `private_key`: the word before says what key.
        return previous.is_some_and(|p| {
            matches!(
                p,
                "api"
                    | "secret"
                    | "private"
                    | "access"
                    | "signing"
                    | "encryption"
                    | "master"
                    | "auth"
                    | "client"
                    | "app"
                    | "license"
                    | "hmac"
                    | "jwt"
            )
        });
    }
    if NOT_SECRET_LAST.contains(&last.as_str()) {
        return false;
    }
    if SECRET_WORDS.contains(&last.as_str()) {
        return true;
    }
    // Joined names: `dbpassword`, `APIKEY`, `clientsecret`.
    let joined: String = words.concat();
    SECRET_WORDS
        .iter()
        .any(|w| joined.ends_with(w) && w.len() >= 6 && !last.ends_with("less"))
}

/// Values that are common words, not secrets.
const WORDS: &[&str] = &[
    "password",
    "secret",
    "token",
    "none",
    "null",
    "nil",
    "true",
    "false",
    "undefined",
    "required",
    "optional",
    "string",
    "default",
    "hidden",
    "masked",
    "disabled",
    "enabled",
];

/// Whether a literal assigned to a secret-like name is a secret: long enough, not a
/// placeholder, reference or word, and random enough (two kinds of characters and some
/// entropy, or a lot of entropy).
pub fn is_secret_value(value: &str) -> bool {
    let len = value.chars().count();
    if !(8..=1000).contains(&len) || is_placeholder(value) || is_reference(value) {
        return false;
    }
    if value.chars().any(char::is_whitespace)
        || WORDS.contains(&value.to_ascii_lowercase().as_str())
    {
        return false;
    }
    let classes = [
        value.bytes().any(|b| b.is_ascii_lowercase()),
        value.bytes().any(|b| b.is_ascii_uppercase()),
        value.bytes().any(|b| b.is_ascii_digit()),
        value.bytes().any(|b| !b.is_ascii_alphanumeric()),
    ]
    .iter()
    .filter(|&&c| c)
    .count();
    if value
        .bytes()
        .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-')
    {
        return false;
    }
    if looks_like_a_name(value)
        || decodes_to_placeholder(value)
        || is_expired_jwt(value)
        || is_fake_token(value)
    {
        return false;
    }
    let bits = entropy(value);
    (classes >= 2 && bits >= 2.5) || bits >= 3.5
}

/// A literal that claims a token format by its prefix but lacks the format's structure,
/// as test fixtures write them: `xoxb-12345`, `ghp_test`, `sk_live_abc`. Only prefixes that
/// end in a separator: `AKIA` or `AIza` may begin a word.
fn is_fake_token(value: &str) -> bool {
    FORMATS.iter().any(|format| {
        format.prefix.ends_with(['_', '-', '.'])
            && value.starts_with(format.prefix)
            && prefixed(value, 0, format).is_none()
    })
}

/// Words rather than a secret: `same-origin`, `key-password`, `harbor_registry_password`,
/// `.data-api`, `hostSettings:signingKey`, `Passwort`, `myCassandraPasswordKey`, and
/// a password that says it is one, as test fixtures write them: `password1`,
/// `newPassword1`, `wrongPassword2`.
fn looks_like_a_name(value: &str) -> bool {
    let alphabetic = |part: &str| part.bytes().all(|b| b.is_ascii_alphabetic());
    let word = value.trim_end_matches(|c: char| c.is_ascii_digit());
    if alphabetic(word)
        && ["password", "passwd", "token"]
            .iter()
            .any(|w| word.to_ascii_lowercase().contains(w))
    {
        return true;
    }
    let parts: Vec<&str> = value
        .split(['-', '_', '.', ':', '/'])
        .filter(|p| !p.is_empty())
        .collect();
    (parts.len() >= 2 && parts.iter().all(|p| alphabetic(p)))
        // One word, lower-case or capitalised: `Passwort`, `contrasenya`.
        || (alphabetic(value)
            && value.bytes().skip(1).all(|b| b.is_ascii_lowercase()))
}

/// A base64 value whose text is a placeholder (Kubernetes secrets hold base64):
/// `ZXhhbXBsZS1hcHAtc2VjcmV0` is `example-app-secret`.
fn decodes_to_placeholder(value: &str) -> bool {
    if value.trim_end_matches('=').len() < 8 {
        return false;
    }
    match decode_base64(value).map(String::from_utf8) {
        Some(Ok(text)) if text.bytes().all(|b| b.is_ascii_graphic() || b == b' ') => {
            is_placeholder(&text) || looks_like_a_name(&text)
        }
        _ => false,
    }
}

/// The bytes of a base64 or base64url value, padded or not; None when it is not one.
pub fn decode_base64(value: &str) -> Option<Vec<u8>> {
    let digit = |b: u8| match b {
        b'A'..=b'Z' => Some(b - b'A'),
        b'a'..=b'z' => Some(b - b'a' + 26),
        b'0'..=b'9' => Some(b - b'0' + 52),
        b'+' | b'-' => Some(62),
        b'/' | b'_' => Some(63),
        _ => None,
    };
    let body = value.trim_end_matches('=');
    if body.len() % 4 == 1 {
        return None;
    }
    let mut bits = 0u32;
    let mut count = 0;
    let mut decoded = Vec::with_capacity(body.len() * 3 / 4);
    for b in body.bytes() {
        bits = (bits << 6) | u32::from(digit(b)?);
        count += 6;
        if count >= 8 {
            count -= 8;
            decoded.push((bits >> count) as u8);
        }
    }
    Some(decoded)
}

/// A value that names where the secret is: an environment variable name (`DB_PASSWORD`),
/// a shell or template variable, a path, a URL, a secret manager reference, a dotted key.
fn is_reference(value: &str) -> bool {
    let env_name = value
        .bytes()
        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
        && value.contains('_');
    let dotted_key = value.contains('.')
        && value.split('.').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'_' || b == b'-')
        });
    let lower = value.to_ascii_lowercase();
    // `$SASL_PASSWORD`, `x${y}`, Django password hashes (`md5$salt$hash`), crypt hashes.
    let b = value.as_bytes();
    let variable = value.contains("${")
        || value.contains("$(")
        || (0..b.len()).any(|i| {
            b[i] == b'$' && b[i + 1..].iter().take(4).filter(|c| c.is_ascii_uppercase() || **c == b'_').count() == 4
        })
        // An expression, not a value: `get_secret_value("...")`.
        || value.contains("(\"")
        || value.contains("('");
    let mostly_ascii =
        value.chars().filter(|c| !c.is_ascii()).count() * 10 <= value.chars().count();
    let hash = [
        "$2a$", "$2b$", "$2y$", "$apr1$", "$argon2", "pbkdf2_", "bcrypt$", "sha1$", "md5$",
    ]
    .iter()
    .any(|h| lower.contains(h));
    env_name
        || variable
        || hash
        || !mostly_ascii
        || dotted_key
        || value.starts_with(['$', '/', '~', '@', '%', '!'])
        || value.starts_with("./")
        || value.starts_with("../")
        || [
            "http://",
            "https://",
            "file:",
            "env:",
            "arn:",
            "ssm:",
            "vault:",
            "secretsmanager",
            "ref+",
            "process.env",
            "os.environ",
            "keyvault",
            "projects/",
        ]
        .iter()
        .any(|p| lower.starts_with(p))
        || [".pem", ".key", ".json", ".txt", ".crt", ".p12"]
            .iter()
            .any(|ext| lower.ends_with(ext))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names() {
        for name in [
            "password",
            "DB_PASSWORD",
            "jwtSecret",
            "JWT_SECRET",
            "api_key",
            "apiKey",
            "APIKEY",
            "SECRET_KEY",
            "client_secret",
            "auth.token",
            "spring.datasource.password",
            "GITHUB_TOKEN",
            "privateKey",
            "aws_secret_access_key",
            "SECRET_KEY_BASE",
            "dbpassword",
        ] {
            assert!(is_secret_name(name), "{name}");
        }
        for name in [
            "password_file",
            "tokenUrl",
            "secretName",
            "existingSecret",
            "csrf_token",
            "next_token",
            "tokenizer",
            "max_tokens",
            "key",
            "public_key",
            "passwordless",
            "password_reset",
            "SECRET_KEY_ID",
            "AWS_ACCESS_KEY_ID",
            "secretKeyRef",
            "existingSecretPasswordKey",
        ] {
            assert!(!is_secret_name(name), "{name}");
        }
    }

    #[test]
    fn secret_values() {
        for value in [
            "superSecret",
            "s3cr3t-v4lue",
            "django-insecure-9x!k2@",
            "q8Zr2LpX0vNw",
        ] {
            assert!(is_secret_value(value), "{value}");
        }
        for value in [
            "changeme",
            "xxxxxxxx",
            "<your-api-key>",
            "${DB_PASSWORD}",
            "{{ .Values.password }}",
            "%(secret)s",
            "your-api-key",
            "example-secret-123",
            "dummy-token-1",
            "password1",
            "newPassword12",
            "postgres",
            "password",
            "DB_PASSWORD",
            "/run/secrets/db",
            "12345678",
            "Enter your password",
            "********",
        ] {
            assert!(!is_secret_value(value), "{value}");
        }
    }
}
