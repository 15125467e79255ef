//! Known token formats, each found from its prefix and checked for its structure (length,
//! alphabet, separators), so a word that merely starts like a token is not one.

use audit_core::Span;

use super::value::{decode_base64, entropy, is_placeholder};

/// A token found in the text: `secret` is what must never be printed.
#[derive(Clone, Debug)]
pub struct Token {
    pub what: &'static str,
    /// Where the finding points: the token, or a private key's header line.
    pub report: Span,
    pub secret: Span,
}

/// The alphabet of a token's body.
#[derive(Clone, Copy)]
enum Alphabet {
    /// `A-Z 0-9`.
    Upper,
    /// `A-Z a-z 0-9`.
    Alnum,
    /// `A-Z a-z 0-9 _ -`.
    Url,
    /// `A-Z a-z 0-9 _`.
    Word,
    /// `A-Z a-z 0-9 -`: Slack.
    Dash,
    /// `0-9 a-f A-F`.
    Hex,
}

impl Alphabet {
    fn accepts(self, b: u8) -> bool {
        match self {
            Alphabet::Upper => b.is_ascii_uppercase() || b.is_ascii_digit(),
            Alphabet::Alnum => b.is_ascii_alphanumeric(),
            Alphabet::Url => b.is_ascii_alphanumeric() || b == b'_' || b == b'-',
            Alphabet::Word => b.is_ascii_alphanumeric() || b == b'_',
            Alphabet::Dash => b.is_ascii_alphanumeric() || b == b'-',
            Alphabet::Hex => b.is_ascii_hexdigit(),
        }
    }
}

/// A prefixed token: its prefix, what it is, and its body's alphabet and length range.
pub struct Format {
    pub prefix: &'static str,
    what: &'static str,
    alphabet: Alphabet,
    min: usize,
    max: usize,
}

const fn format(
    prefix: &'static str,
    what: &'static str,
    alphabet: Alphabet,
    min: usize,
    max: usize,
) -> Format {
    Format {
        prefix,
        what,
        alphabet,
        min,
        max,
    }
}

/// The prefixed formats. Bodies are exact where the provider documents them.
pub const FORMATS: &[Format] = &[
    format("AKIA", "an AWS access key id", Alphabet::Upper, 16, 16),
    format(
        "ASIA",
        "an AWS temporary access key id",
        Alphabet::Upper,
        16,
        16,
    ),
    format(
        "ghp_",
        "a GitHub personal access token",
        Alphabet::Alnum,
        36,
        36,
    ),
    format("gho_", "a GitHub OAuth token", Alphabet::Alnum, 36, 36),
    format(
        "ghu_",
        "a GitHub user-to-server token",
        Alphabet::Alnum,
        36,
        36,
    ),
    format(
        "ghs_",
        "a GitHub server-to-server token",
        Alphabet::Alnum,
        36,
        36,
    ),
    format("ghr_", "a GitHub refresh token", Alphabet::Alnum, 36, 76),
    format(
        "github_pat_",
        "a GitHub fine-grained token",
        Alphabet::Word,
        82,
        82,
    ),
    format(
        "glpat-",
        "a GitLab personal access token",
        Alphabet::Url,
        20,
        64,
    ),
    format("xoxb-", "a Slack bot token", Alphabet::Dash, 24, 250),
    format("xoxa-", "a Slack app token", Alphabet::Dash, 24, 250),
    format("xoxp-", "a Slack user token", Alphabet::Dash, 24, 250),
    format("xoxr-", "a Slack refresh token", Alphabet::Dash, 24, 250),
    format("xoxs-", "a Slack session token", Alphabet::Dash, 24, 250),
    format(
        "sk_live_",
        "a Stripe live secret key",
        Alphabet::Alnum,
        24,
        247,
    ),
    format(
        "rk_live_",
        "a Stripe live restricted key",
        Alphabet::Alnum,
        24,
        247,
    ),
    format("AIza", "a Google API key", Alphabet::Url, 35, 35),
    format("npm_", "an npm access token", Alphabet::Alnum, 36, 36),
    format("SG.", "a SendGrid API key", Alphabet::Url, 66, 66),
];

/// The start of a PEM private key block (`-----BEGIN RSA PRIVATE KEY-----`, OpenSSH, EC,
/// PKCS#8, PGP).
pub const PEM_BEGIN: &str = "-----BEGIN ";
/// A JWT's header and payload are base64url JSON objects: `{"` encodes as `eyJ`.
pub const JWT_PREFIX: &str = "eyJ";
/// Twilio API keys (`SK` and 32 hex digits) are looked for only in files naming Twilio,
/// in the ways it is written.
pub const TWILIO: &[&str] = &["twilio", "Twilio", "TWILIO"];

/// The tokens AWS, Google and jwt.io publish as examples.
const DOCUMENTED_EXAMPLES: &[&str] = &[
    "AKIAIOSFODNN7EXAMPLE",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
];

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The token of `format` starting at `at`, if the text there has its structure.
pub fn prefixed(text: &str, at: usize, format: &Format) -> Option<Token> {
    let bytes = text.as_bytes();
    if at > 0 && is_word_byte(bytes[at - 1]) {
        return None;
    }
    let body_start = at + format.prefix.len();
    let body_len = bytes[body_start.min(bytes.len())..]
        .iter()
        .take(format.max + 1)
        .take_while(|&&b| format.alphabet.accepts(b) || (format.prefix == "SG." && b == b'.'))
        .count();
    let end = body_start + body_len;
    if body_len < format.min || body_len > format.max {
        return None;
    }
    if bytes.get(end).is_some_and(|&b| is_word_byte(b)) {
        return None;
    }
    let token = &text[at..end];
    let body = &text[body_start..end];
    let structured = match format.prefix {
        "SG." => body.len() == 66 && body.as_bytes()[22] == b'.' && body.matches('.').count() == 1,
        // Slack: numeric team and user ids, then the secret.
        p if p.starts_with("xox") => {
            body.split('-').filter(|part| !part.is_empty()).count() >= 3
                && body
                    .split('-')
                    .next()
                    .is_some_and(|id| id.bytes().all(|b| b.is_ascii_digit()))
        }
        // Random bodies mix digits with letters; a word such as `AKIAEXAMPLEKEYS...` does not.
        _ => body.bytes().any(|b| b.is_ascii_digit()) && entropy(body) >= 3.0,
    };
    if !structured || is_example(token) {
        return None;
    }
    Some(Token {
        what: format.what,
        report: Span::new(at, end),
        secret: Span::new(at, end),
    })
}

fn is_example(token: &str) -> bool {
    DOCUMENTED_EXAMPLES.contains(&token)
        || token.contains("EXAMPLE")
        || token.to_ascii_lowercase().contains("example")
        || is_placeholder(token)
}

/// A PEM private key block whose header starts at `at`: the secret is its body, up to the
/// `-----END` line, which must hold real key material (not `...`).
pub fn private_key(text: &str, at: usize) -> Option<Token> {
    let header_end =
        at + PEM_BEGIN.len() + text[at + PEM_BEGIN.len()..].get(..64)?.find("-----")?;
    let label = &text[at + PEM_BEGIN.len()..header_end];
    if !label.ends_with("PRIVATE KEY") && label != "PGP PRIVATE KEY BLOCK" {
        return None;
    }
    let body_start = header_end + 5;
    let body_end = body_start
        + text[body_start..]
            .get(..64 * 1024)
            .unwrap_or(&text[body_start..])
            .find("-----END")?;
    let body = &text[body_start..body_end];
    let material = body
        .bytes()
        .filter(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
        .count();
    // Key material: lines of base64 (in a file, or joined by `\n` escapes in a string),
    // and the `Proc-Type:` headers of encrypted keys; prose that names a header is not.
    let base64_lines = body
        .split(['\n', '\r'])
        .flat_map(|l| l.split("\\n"))
        .all(|line| {
            let line = line
                .trim()
                .trim_matches(|c| matches!(c, '"' | '\'' | ',' | '+' | '|'));
            line.is_empty()
                || line.contains(": ")
                || line
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'\\'))
        });
    if material < 64 || !base64_lines || entropy(body) < 4.0 {
        return None;
    }
    // The body without the line breaks (or `\n` escapes in a string) around it.
    let b = body.as_bytes();
    let escape = |i: usize| b[i] == b'\\' && matches!(b.get(i + 1), Some(b'n' | b'r'));
    let mut from = 0;
    while from < b.len() && (b[from].is_ascii_whitespace() || escape(from)) {
        from += if b[from] == b'\\' { 2 } else { 1 };
    }
    let mut to = b.len();
    while to > from && (b[to - 1].is_ascii_whitespace() || (to >= from + 2 && escape(to - 2))) {
        to -= if b[to - 1].is_ascii_whitespace() {
            1
        } else {
            2
        };
    }
    let (trimmed_start, trimmed_end) = (body_start + from, body_start + to);
    let what = if label.contains("ENCRYPTED") {
        "an encrypted private key"
    } else {
        "a private key"
    };
    Some(Token {
        what,
        report: Span::new(at, body_start),
        secret: Span::new(trimmed_start, trimmed_end),
    })
}

/// A signed JWT starting at `at`: three base64url parts, the first two JSON objects. One
/// that expired (its payload's `exp` is past), as API documentation's examples have, no
/// longer authenticates anyone.
pub fn jwt(text: &str, at: usize) -> Option<Token> {
    let bytes = text.as_bytes();
    if at > 0 && (is_word_byte(bytes[at - 1]) || bytes[at - 1] == b'-') {
        return None;
    }
    let url = |b: &u8| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-';
    let mut end = at;
    let mut parts = Vec::with_capacity(3);
    for i in 0..3 {
        let len = bytes[end..]
            .iter()
            .take(16 * 1024)
            .take_while(|b| url(b))
            .count();
        parts.push(&text[end..end + len]);
        end += len;
        if i < 2 {
            if bytes.get(end) != Some(&b'.') {
                return None;
            }
            end += 1;
        }
    }
    let (header, payload, signature) = (parts[0], parts[1], parts[2]);
    if header.len() < 10
        || !payload.starts_with("eyJ")
        || payload.len() < 10
        || signature.len() < 16
        || is_example(signature)
        || expired(payload)
    {
        return None;
    }
    Some(Token {
        what: "a JSON Web Token",
        report: Span::new(at, end),
        secret: Span::new(at, end),
    })
}

/// Whether `value` is a JWT that expired: no secret, wherever it is written.
pub fn is_expired_jwt(value: &str) -> bool {
    let mut parts = value.split('.');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(header), Some(payload), Some(_), None) => {
            header.starts_with(JWT_PREFIX) && expired(payload)
        }
        _ => false,
    }
}

/// Whether a JWT payload's `exp` (seconds since the epoch) has passed.
fn expired(payload: &str) -> bool {
    let Some(claims) = decode_base64(payload)
        .and_then(|json| serde_json::from_slice::<serde_json::Value>(&json).ok())
    else {
        return false;
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    claims
        .get("exp")
        .and_then(serde_json::Value::as_f64)
        .is_some_and(|exp| exp < now)
}

/// A Twilio API key (`SK` and 32 hex digits) anywhere in a file that names Twilio.
pub fn twilio_keys(text: &str, found: &mut Vec<Token>) {
    let bytes = text.as_bytes();
    for (at, _) in text.match_indices("SK") {
        let end = at + 34;
        if end > bytes.len()
            || (at > 0 && is_word_byte(bytes[at - 1]))
            || bytes.get(end).is_some_and(|&b| is_word_byte(b))
            || !bytes[at + 2..end].iter().all(|&b| Alphabet::Hex.accepts(b))
            || entropy(&text[at + 2..end]) < 3.0
        {
            continue;
        }
        found.push(Token {
            what: "a Twilio API key",
            report: Span::new(at, end),
            secret: Span::new(at, end),
        });
    }
}

/// An AWS secret access key (40 characters of base64) within a few lines of the access key
/// id at `near`.
pub fn aws_secret_near(text: &str, near: Span, found: &mut Vec<Token>) {
    const WINDOW: usize = 600;
    let bytes = text.as_bytes();
    let floor = |mut i: usize| {
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let from = floor(near.start.saturating_sub(WINDOW));
    let to = floor((near.end + WINDOW).min(text.len()));
    let base64 = |b: u8| b.is_ascii_alphanumeric() || b == b'/' || b == b'+';
    let mut i = from;
    while i < to {
        if !base64(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && base64(bytes[i]) {
            i += 1;
        }
        let run = &text[start..i];
        let bounded = (start == 0 || !base64(bytes[start - 1])) && bytes.get(i) != Some(&b'=');
        if run.len() == 40
            && bounded
            && run.bytes().any(|b| b.is_ascii_digit())
            && run.bytes().any(|b| b.is_ascii_uppercase())
            && run.bytes().any(|b| b.is_ascii_lowercase())
            && entropy(run) >= 4.0
            && !is_example(run)
        {
            found.push(Token {
                what: "an AWS secret access key",
                report: Span::new(start, i),
                secret: Span::new(start, i),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first(text: &str) -> Option<&'static str> {
        for format in FORMATS {
            if let Some(at) = text.find(format.prefix)
                && let Some(token) = prefixed(text, at, format)
            {
                return Some(token.what);
            }
        }
        None
    }

    #[test]
    fn prefixed_tokens_need_their_structure() {
        assert_eq!(
            first("key = AKIA2E0A8F3B244C9986"),
            Some("an AWS access key id")
        );
        assert_eq!(first("key = AKIAIOSFODNN7EXAMPLE"), None);
        assert_eq!(first("AKIA2E0A8F3B244C99"), None, "too short");
        assert_eq!(first("XAKIA2E0A8F3B244C9986"), None, "inside a word");
        assert_eq!(
            first("t = ghp_R2d4k9QzL0pX7mN3vB8cY1wE5tU6iO0aS4fG"),
            Some("a GitHub personal access token")
        );
        assert_eq!(first("ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"), None);
        assert_eq!(
            first("xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx"),
            Some("a Slack bot token")
        );
        assert_eq!(first("xoxb-your-token-here"), None);
        assert_eq!(
            first("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"),
            Some("a SendGrid API key")
        );
        assert_eq!(
            first("AIzaSyD3x9Kq1Lm2Nb7Vc4Xz8Qw5Er6Ty0Ui1"),
            None,
            "too short"
        );
        assert_eq!(
            first("AIzaSyD3x9Kq1Lm2Nb7Vc4Xz8Qw5Er6Ty0Ui1Op"),
            Some("a Google API key")
        );
    }

    #[test]
    fn jwts_and_private_keys() {
        let token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.Zm9vYmFyYmF6cXV4cXV1eHh5eno";
        assert!(jwt(token, 0).is_some());
        assert!(jwt("eyJhbGciOiJIUzI1NiJ9.notjson.Zm9vYmFyYmF6cXV4", 0).is_none());
        // `{"sub":"admin","exp":1589300284}` expired in May 2020; `exp` 32503680000 is 3000.
        let expired = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiIsImV4cCI6MTU4OTMwMDI4NH0.Zm9vYmFyYmF6cXV4cXV1eHh5eno";
        assert!(jwt(expired, 0).is_none());
        let live = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiIsImV4cCI6MzI1MDM2ODAwMDB9.Zm9vYmFyYmF6cXV4cXV1eHh5eno";
        assert!(jwt(live, 0).is_some());
        let key = "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM9Oi8Q6y0kZJ4b7cF2gH1jK5lN8pR\n-----END RSA PRIVATE KEY-----\n";
        let found = private_key(key, 0).unwrap();
        assert!(key[found.secret.start..found.secret.end].starts_with("MIIE"));
        assert!(key[found.secret.start..found.secret.end].ends_with("N8pR"));
        assert!(
            private_key(
                "-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----",
                0
            )
            .is_none()
        );
        assert!(
            private_key(
                "-----BEGIN CERTIFICATE-----\nMIIE\n-----END CERTIFICATE-----",
                0
            )
            .is_none()
        );
    }
}
