//! DDL inside PostgreSQL `DO` blocks: `DO $$ BEGIN IF ... THEN ALTER TABLE ...; END IF;
//! END $$;` runs its statements like top-level ones, so they are found in the PL/pgSQL
//! body (control flow skipped) and checked at their own positions.

use sqlparser::dialect::Dialect;
use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Location, Span, Token, TokenWithSpan, Tokenizer};

/// Verbs of statements that change the schema.
const DDL: &[Keyword] = &[
    Keyword::CREATE,
    Keyword::ALTER,
    Keyword::DROP,
    Keyword::TRUNCATE,
    Keyword::COMMENT,
    Keyword::GRANT,
    Keyword::REVOKE,
];

/// After these a PL/pgSQL statement may start.
const STATEMENT_STARTS: &[&str] = &["BEGIN", "THEN", "ELSE", "LOOP", "EXCEPTION", "DECLARE"];

/// A statement found in a block: its tokens (at file positions, without the closing `;`)
/// and where it ends.
pub(crate) struct Inner {
    pub tokens: Vec<TokenWithSpan>,
    pub end: Location,
}

/// The DDL statements in the body of the `DO` statement `tokens`, if it is written in
/// PL/pgSQL (the default language).
pub(crate) fn ddl_in_do(tokens: &[TokenWithSpan], dialect: &dyn Dialect) -> Vec<Inner> {
    let mut body = None;
    let mut plpgsql = true;
    let mut after_language = false;
    for token in tokens
        .iter()
        .skip(1)
        .filter(|t| !matches!(t.token, Token::Whitespace(_)))
    {
        match &token.token {
            Token::Word(w) if after_language => plpgsql = w.value.eq_ignore_ascii_case("plpgsql"),
            Token::SingleQuotedString(name) if after_language => {
                plpgsql = name.eq_ignore_ascii_case("plpgsql")
            }
            Token::Word(w) if w.keyword == Keyword::LANGUAGE => {
                after_language = true;
                continue;
            }
            Token::DollarQuotedString(s) if body.is_none() => body = Some((s, token.span.start)),
            _ => {}
        }
        after_language = false;
    }
    let Some((body, start)) = body.filter(|_| plpgsql) else {
        return Vec::new();
    };
    // The body starts after `$tag$`, on the same line.
    let tag = body.tag.as_deref().map_or(0, |t| t.chars().count());
    let origin = Location::new(start.line, start.column + tag as u64 + 2);
    let Ok(body_tokens) = Tokenizer::new(dialect, &body.value).tokenize_with_location() else {
        return Vec::new();
    };
    let body_tokens: Vec<TokenWithSpan> = body_tokens
        .into_iter()
        .filter(|t| !matches!(t.token, Token::Whitespace(_) | Token::EOF))
        .map(|t| TokenWithSpan {
            span: Span::new(shift(t.span.start, origin), shift(t.span.end, origin)),
            token: t.token,
        })
        .collect();
    statements(body_tokens)
}

/// A body-relative location moved to the file.
fn shift(at: Location, origin: Location) -> Location {
    if at.line <= 1 {
        Location::new(origin.line, origin.column + at.column.saturating_sub(1))
    } else {
        Location::new(origin.line + at.line - 1, at.column)
    }
}

fn statements(tokens: Vec<TokenWithSpan>) -> Vec<Inner> {
    let ddl = |t: &TokenWithSpan| match &t.token {
        Token::Word(w) => w.quote_style.is_none() && DDL.contains(&w.keyword),
        _ => false,
    };
    let mut found = Vec::new();
    let mut at_start = true;
    let mut i = 0;
    while i < tokens.len() {
        if at_start && ddl(&tokens[i]) {
            let start = i;
            let mut depth = 0usize;
            while i < tokens.len() {
                match tokens[i].token {
                    Token::LParen => depth += 1,
                    Token::RParen => depth = depth.saturating_sub(1),
                    Token::SemiColon if depth == 0 => break,
                    _ => {}
                }
                i += 1;
            }
            let end = tokens
                .get(i)
                .or_else(|| tokens.get(i - 1))
                .map_or(Location::empty(), |t| t.span.end);
            found.push(Inner {
                tokens: tokens[start..i].to_vec(),
                end,
            });
            i += 1;
            at_start = true;
            continue;
        }
        at_start = match &tokens[i].token {
            Token::SemiColon => true,
            // `<<label>>` before a block or loop.
            Token::ShiftRight => true,
            Token::Word(w) => {
                w.quote_style.is_none()
                    && STATEMENT_STARTS
                        .iter()
                        .any(|k| w.value.eq_ignore_ascii_case(k))
            }
            _ => false,
        };
        i += 1;
    }
    found
}
