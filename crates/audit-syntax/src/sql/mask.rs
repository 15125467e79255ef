//! Placeholders that tools fill in before SQL reaches the database: Go/Jinja templates
//! (`{{ index .Options "Namespace" }}`, `{% if %}`), Flyway/Liquibase `${name}` and psql
//! variables (`:name`, `:'name'`, `:"name"`). Each is overwritten in place, keeping every
//! byte offset, line and character column, so that the statement parses and spans stay
//! right:
//!
//! - a value placeholder becomes an identifier of the same length (`{{ .Schema }}` ->
//!   `___Schema___`): its letters and digits are kept, other ASCII becomes `_`, and any
//!   other character becomes a letter of the same UTF-8 length;
//! - a template action that prints nothing (`{{ if .X }}`, `{{ end }}`, `{% ... %}`,
//!   `{# ... #}`) becomes a `/* ... */` comment;
//! - psql's `:'name'` and `:"name"` become the literal and quoted identifier they expand to.
//!
//! Templates are replaced wherever they stand (they are expanded before SQL is read,
//! inside quotes too); psql variables only outside quotes and comments, where psql
//! expands them.

use std::borrow::Cow;

pub(crate) fn placeholders(text: &str, psql: bool) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    let templated = memchr_pair(bytes, b'{', |b| matches!(b, b'{' | b'%' | b'#'))
        || memchr_pair(bytes, b'$', |b| b == b'{');
    let psql = psql && bytes.contains(&b':');
    if !templated && !psql {
        return Cow::Borrowed(text);
    }
    let mut out = bytes.to_vec();
    if templated {
        templates(text, &mut out);
    }
    if psql {
        psql_variables(&mut out);
    }
    if out == bytes {
        return Cow::Borrowed(text);
    }
    // Only ASCII was written over ASCII, and whole characters over whole characters.
    Cow::Owned(String::from_utf8(out).expect("masking keeps UTF-8"))
}

fn memchr_pair(bytes: &[u8], first: u8, second: impl Fn(u8) -> bool) -> bool {
    bytes.windows(2).any(|w| w[0] == first && second(w[1]))
}

/// Longest placeholder replaced; longer ones are left alone.
const MAX_PLACEHOLDER: usize = 4096;

fn templates(text: &str, out: &mut [u8]) {
    let bytes = text.as_bytes();
    // The next occurrence of each closing delimiter at or after where it was last looked
    // for: every search resumes there, so the whole pass stays linear.
    let mut next_close: [Option<usize>; 4] = [Some(0); 4];
    let mut i = 0;
    while i + 1 < bytes.len() {
        let (slot, close): (usize, &[u8]) = match (bytes[i], bytes[i + 1]) {
            (b'{', b'{') => (0, b"}}"),
            (b'{', b'%') => (1, b"%}"),
            (b'{', b'#') => (2, b"#}"),
            (b'$', b'{') => (3, b"}"),
            _ => {
                i += 1;
                continue;
            }
        };
        let from = i + 2;
        let close_at = match next_close[slot] {
            Some(at) if at >= from => Some(at),
            Some(_) => {
                let found = find(&bytes[from..], close).map(|p| from + p);
                next_close[slot] = found;
                found
            }
            None => None,
        };
        let Some(close_at) = close_at.filter(|&at| at - i <= MAX_PLACEHOLDER) else {
            i += 1;
            continue;
        };
        let end = close_at + close.len();
        let inner = &text[from..close_at];
        let replaced = match slot {
            // `{{...}}` whose inside holds braces is data (a Postgres array literal
            // `'{{1,2},{3,4}}'`), not a template.
            0 if inner.contains(['{', '}']) => false,
            0 if prints_nothing(inner) || inner.contains('\n') => {
                comment(text, i, end, out);
                true
            }
            0 => {
                identifier(text, i, end, out);
                true
            }
            1 | 2 => {
                comment(text, i, end, out);
                true
            }
            // `${name}`: one line, no spaces or braces.
            _ if !inner.is_empty()
                && !inner.contains(|c: char| c.is_whitespace() || c == '{' || c == '}') =>
            {
                identifier(text, i, end, out);
                true
            }
            _ => false,
        };
        i = if replaced { end } else { i + 1 };
    }
}

/// Template actions that print nothing: control structure, definitions, comments,
/// variable assignments.
fn prints_nothing(inner: &str) -> bool {
    let inner = inner.trim_start_matches('-').trim_start();
    if inner.starts_with("/*") {
        return true;
    }
    let word: String = inner
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '$' || *c == '_')
        .collect();
    if word.starts_with('$') {
        let rest = inner[word.len()..].trim_start();
        return rest.starts_with(":=") || (rest.starts_with('=') && !rest.starts_with("=="));
    }
    matches!(
        word.as_str(),
        "if" | "else" | "end" | "range" | "with" | "define" | "break" | "continue"
    )
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// `text[start..end]` written over as one identifier of the same length.
fn identifier(text: &str, start: usize, end: usize, out: &mut [u8]) {
    let mut at = start;
    for c in text[start..end].chars() {
        let len = c.len_utf8();
        if c.is_ascii_alphanumeric() {
            out[at] = c as u8;
        } else if c.is_ascii() {
            out[at] = b'_';
        } else {
            // A letter as long in UTF-8, so character columns stay too.
            let letter = match len {
                2 => 'é',
                3 => '一',
                _ => '𠀀',
            };
            letter.encode_utf8(&mut out[at..at + len]);
        }
        at += len;
    }
}

/// `text[start..end]` (at least four bytes) written over as a `/* ... */` comment.
fn comment(text: &str, start: usize, end: usize, out: &mut [u8]) {
    for (at, b) in out.iter_mut().enumerate().take(end).skip(start) {
        // Keep newlines and non-ASCII (valid inside a comment); nothing inside may
        // close or nest the comment.
        let original = text.as_bytes()[at];
        *b = if original == b'\n' || original >= 0x80 {
            original
        } else if original == b'*' || original == b'/' {
            b' '
        } else {
            original
        };
    }
    out[start..start + 2].copy_from_slice(b"/*");
    out[end - 2..end].copy_from_slice(b"*/");
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

/// psql's `:name`, `:'name'` and `:"name"` outside quotes, comments and dollar quotes.
fn psql_variables(out: &mut [u8]) {
    let mut i = 0;
    while i < out.len() {
        match out[i] {
            b'\'' => {
                let escapes = i > 0
                    && matches!(out[i - 1], b'e' | b'E')
                    && (i < 2 || !is_word_byte(out[i - 2]));
                i = skip_quoted(out, i, b'\'', escapes);
            }
            b'"' => i = skip_quoted(out, i, b'"', false),
            b'-' if out.get(i + 1) == Some(&b'-') => {
                i = out[i..]
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(out.len(), |p| i + p);
            }
            b'/' if out.get(i + 1) == Some(&b'*') => i = skip_block_comment(out, i),
            b'$' if i == 0 || !is_word_byte(out[i - 1]) => i = skip_dollar_quote(out, i),
            b':' => {
                variable(out, i);
                i += 1;
            }
            _ => i += 1,
        }
    }
}

fn variable(out: &mut [u8], at: usize) {
    let before = at.checked_sub(1).map(|i| out[i]);
    if before.is_some_and(|b| is_word_byte(b) || matches!(b, b':' | b']' | b')' | b'"' | b'\'')) {
        return;
    }
    let name_end = |from: usize| {
        from + out[from..]
            .iter()
            .take_while(|&&b| b.is_ascii_alphanumeric() || b == b'_')
            .count()
    };
    match out.get(at + 1) {
        Some(&quote @ (b'\'' | b'"')) => {
            let end = name_end(at + 2);
            if end > at + 2 && out.get(end) == Some(&quote) {
                out[at] = b' ';
            }
        }
        Some(&b) if b.is_ascii_alphabetic() || b == b'_' => out[at] = b'_',
        _ => {}
    }
}

/// The index after a quoted string or identifier starting at `start`.
fn skip_quoted(out: &[u8], start: usize, quote: u8, escapes: bool) -> usize {
    let mut i = start + 1;
    while i < out.len() {
        match out[i] {
            b'\\' if escapes => i += 2,
            b if b == quote => {
                if out.get(i + 1) == Some(&quote) {
                    i += 2;
                } else {
                    return i + 1;
                }
            }
            _ => i += 1,
        }
    }
    out.len()
}

fn skip_block_comment(out: &[u8], start: usize) -> usize {
    let mut depth = 0usize;
    let mut i = start;
    while i + 1 < out.len() {
        match (out[i], out[i + 1]) {
            (b'/', b'*') => {
                depth += 1;
                i += 2;
            }
            (b'*', b'/') => {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return i;
                }
            }
            _ => i += 1,
        }
    }
    out.len()
}

/// Past a `$tag$ ... $tag$` string starting at `start`, or one byte on if it is not one.
fn skip_dollar_quote(out: &[u8], start: usize) -> usize {
    let tag_len = out[start + 1..]
        .iter()
        .take_while(|&&b| is_word_byte(b))
        .count();
    let tag_end = start + 1 + tag_len;
    if out.get(tag_end) != Some(&b'$') || out.get(start + 1).is_some_and(u8::is_ascii_digit) {
        return start + 1;
    }
    let tag = &out[start..=tag_end];
    match find(&out[tag_end + 1..], tag) {
        Some(p) => tag_end + 1 + p + tag.len(),
        None => out.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::placeholders;

    fn mask(text: &str) -> String {
        let masked = placeholders(text, true).into_owned();
        assert_eq!(masked.len(), text.len());
        assert_eq!(masked.chars().count(), text.chars().count());
        assert_eq!(masked.matches('\n').count(), text.matches('\n').count());
        masked
    }

    #[test]
    fn go_templates_become_identifiers_of_the_same_length() {
        assert_eq!(
            mask(r#"CREATE INDEX i ON {{ index .Options "Namespace" }}.sessions (x);"#),
            "CREATE INDEX i ON ___index__Options__Namespace____.sessions (x);"
        );
        assert_eq!(
            mask(r#"ALTER TABLE "{{ index .Options "Namespace" }}"."users" ADD c int;"#),
            r#"ALTER TABLE "___index__Options__Namespace____"."users" ADD c int;"#
        );
        assert_eq!(mask("SELECT '{{ .X }}';"), "SELECT '____X___';");
        assert_eq!(
            mask("CREATE TABLE {{.Tbé}} ();"),
            "CREATE TABLE ___Tbé__ ();"
        );
    }

    #[test]
    fn template_actions_become_comments() {
        assert_eq!(
            mask("{{ if .Cond }}DROP TABLE t;{{ end }}"),
            "/* if .Cond */DROP TABLE t;/* end */"
        );
        assert_eq!(
            mask("{% if x %}SELECT 1{# note */ #}"),
            "/* if x */SELECT 1/* note    */"
        );
        assert_eq!(mask("{{- /* c */ -}}"), "/*-    c    -*/");
    }

    #[test]
    fn array_literals_are_not_templates() {
        let text = "INSERT INTO t VALUES ('{{1,2},{3,4}}', '{{a,b},{c,d}}');";
        assert_eq!(mask(text), text);
    }

    #[test]
    fn flyway_and_psql_placeholders() {
        assert_eq!(
            mask("CREATE TABLE ${schema}.users (id int);"),
            "CREATE TABLE __schema_.users (id int);"
        );
        assert_eq!(
            mask("CREATE TABLE :schema.users (id int); COMMENT ON TABLE t IS :'c';"),
            "CREATE TABLE _schema.users (id int); COMMENT ON TABLE t IS  'c';"
        );
        assert_eq!(
            mask("GRANT ALL ON t TO :\"role\";"),
            "GRANT ALL ON t TO  \"role\";"
        );
    }

    #[test]
    fn casts_slices_quotes_and_bodies_keep_their_colons() {
        for text in [
            "SELECT x::int, a[1:2], a[lo:hi] FROM t;",
            "SELECT ':name', \":name\", E'\\':x' -- :y\n/* :z */;",
            "DO $$ BEGIN v := 1; PERFORM :x; END $$;",
            "SELECT $1:: int;",
        ] {
            assert_eq!(mask(text), text, "{text}");
        }
    }

    #[test]
    fn without_psql_variables_outside_postgres() {
        assert_eq!(placeholders("SELECT :x;", false), "SELECT :x;");
    }

    #[test]
    fn unclosed_openers_stay_linear() {
        let text = "{{ ${ {% {# ".repeat(200_000);
        let started = std::time::Instant::now();
        assert_eq!(mask(&text), text);
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }
}
