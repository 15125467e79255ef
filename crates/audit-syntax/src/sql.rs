mod block;
mod dialect;
mod mask;
mod recognise;

use audit_core::Span;
use sqlparser::ast::{ObjectName, Statement};
use sqlparser::dialect::Dialect;
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Location, Token, TokenWithSpan, Tokenizer, Whitespace};

use crate::ParseProblem;

pub use dialect::SqlDialect;

/// What a statement does, read from its leading keywords, so rules see statements the
/// parser rejected (`DROP INDEX CONCURRENTLY`, `DO $$`, ...) as well as parsed ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StatementKind {
    CreateTable,
    CreateIndex,
    AlterTable,
    DropTable,
    DropIndex,
    Truncate,
    Insert,
    Update,
    Delete,
    Other,
}

impl StatementKind {
    fn from_keywords(words: &[String]) -> StatementKind {
        let mut words = words.iter().map(String::as_str);
        let verb = words.next().unwrap_or("");
        let object = words
            .find(|w| !recognise::MODIFIERS.contains(w))
            .unwrap_or("");
        match (verb, object) {
            ("CREATE", "TABLE") => StatementKind::CreateTable,
            ("CREATE", "INDEX") => StatementKind::CreateIndex,
            ("ALTER", "TABLE") => StatementKind::AlterTable,
            ("DROP", "TABLE") => StatementKind::DropTable,
            ("DROP", "INDEX") => StatementKind::DropIndex,
            ("TRUNCATE", _) => StatementKind::Truncate,
            ("INSERT", _) => StatementKind::Insert,
            ("UPDATE", _) => StatementKind::Update,
            ("DELETE", _) => StatementKind::Delete,
            _ => StatementKind::Other,
        }
    }
}

/// One statement of a SQL file, parsed or not.
#[derive(Clone, Debug)]
pub struct SqlStatement {
    pub span: Span,
    pub kind: StatementKind,
    /// The parsed statement, or the parser's message and the statement's tokens when it
    /// rejected it.
    pub ast: Result<Statement, Rejected>,
    /// Rejected, but its keywords start a statement of the dialect (and its brackets
    /// balance): valid SQL the parser does not model, not a mistake. Always true when
    /// parsed.
    pub recognised: bool,
    /// When rejected: the table its keywords name (`CREATE TABLE t`, `ALTER TABLE t`,
    /// `DROP TABLE t`, `TRUNCATE t`, `CREATE INDEX ... ON t`), read with the parser's own
    /// name rule, so rules and the schema model still know it.
    pub table: Option<ObjectName>,
    /// In a dbmate-style `-- migrate:down` section: rollback, not forward, code.
    pub in_down_section: bool,
}

/// A statement the parser rejected: its message, and its tokens without whitespace, at
/// file positions, for the keyword fallback of whoever reads it.
#[derive(Clone, Debug)]
pub struct Rejected {
    pub message: String,
    pub tokens: Vec<TokenWithSpan>,
    /// Nested deeper than the parser goes: valid, but neither analysed nor a mistake.
    pub too_deep: bool,
}

impl std::fmt::Display for Rejected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

#[derive(Clone, Debug, Default)]
pub struct SqlFile {
    pub statements: Vec<SqlStatement>,
    /// The dialect the file was parsed with.
    pub dialect: SqlDialect,
    /// Whether the file marks sections (dbmate `-- migrate:up`/`down`, goose
    /// `-- +goose Up`/`Down`): (an up marker, a down marker).
    pub section_markers: (bool, bool),
    /// Byte offsets of `\n`-separated line starts, the way sqlparser counts lines.
    newline_starts: Vec<usize>,
    /// The text as parsed, when placeholders were masked in it (same offsets).
    masked: Option<Box<str>>,
}

impl SqlFile {
    /// Byte span of a sqlparser span, or `None` for the empty spans it gives some nodes.
    pub fn byte_span(&self, text: &str, span: sqlparser::tokenizer::Span) -> Option<Span> {
        if span.start.line == 0 {
            return None;
        }
        Some(Span::new(
            self.offset(text, span.start),
            self.offset(text, span.end),
        ))
    }

    /// The text the statements were parsed from: `text` with template and psql
    /// placeholders overwritten as identifiers or comments (`{{ .Schema }}` ->
    /// `___Schema___`), at the same byte offsets, lines and columns.
    pub fn parsed_text<'a>(&'a self, text: &'a str) -> &'a str {
        self.masked.as_deref().unwrap_or(text)
    }

    /// Byte offset of a 1-based sqlparser location; line 0 (the empty location) counts
    /// as line 1, as column 0 counts as column 1.
    fn offset(&self, text: &str, location: Location) -> usize {
        let line = usize::try_from(location.line.saturating_sub(1)).unwrap_or(usize::MAX);
        let Some(&start) = self.newline_starts.get(line) else {
            return text.len();
        };
        text[start..]
            .char_indices()
            .nth(location.column.saturating_sub(1) as usize)
            .map_or(text.len(), |(i, _)| start + i)
    }
}

/// Splits `text` into statements at top-level semicolons (and SQL Server `GO` lines) and
/// parses each on its own, so one statement the dialect rejects does not lose the rest
/// of the file. Template and psql placeholders are masked first (see `mask`); the DDL
/// inside PostgreSQL `DO` blocks follows each block as statements of its own.
/// Err is returned only when the file cannot even be tokenized.
pub fn parse_sql(text: &str, dialect: SqlDialect) -> Result<SqlFile, ParseProblem> {
    let mut statements = Vec::new();
    let mut file = parse_sql_each(text, dialect, |_, statement| statements.push(statement))?;
    file.statements = statements;
    Ok(file)
}

/// One SQL expression, such as a partial index's condition written apart from its
/// statement (Alembic's `postgresql_where=sa.text("...")`); None when it does not parse,
/// or text follows it.
pub fn parse_sql_expression(text: &str, dialect: SqlDialect) -> Option<sqlparser::ast::Expr> {
    let dialect = dialect.parser();
    let mut parser = sqlparser::parser::Parser::new(&*dialect)
        .try_with_sql(text)
        .ok()?;
    let expression = parser.parse_expr().ok()?;
    (parser.peek_token().token == sqlparser::tokenizer::Token::EOF).then_some(expression)
}

/// [`parse_sql`], handing each statement to `each` as soon as it is parsed instead of
/// keeping it, so a caller that lowers statements to something smaller holds one tree at
/// a time. The file returned has no statements; `each` sees it for spans and the masked
/// text.
pub fn parse_sql_each(
    text: &str,
    dialect: SqlDialect,
    mut each: impl FnMut(&SqlFile, SqlStatement),
) -> Result<SqlFile, ParseProblem> {
    let masked = mask::placeholders(text, dialect.postgres_syntax());
    let parser = dialect.parser();
    let mut file = SqlFile {
        statements: Vec::new(),
        dialect,
        section_markers: (false, false),
        newline_starts: std::iter::once(0)
            .chain(newline_offsets(text).map(|i| i + 1))
            .collect(),
        masked: None,
    };
    let tokens = Tokenizer::new(parser.as_ref(), &masked)
        .tokenize_with_location()
        .map_err(|e| {
            let offset = file.offset(text, e.location);
            ParseProblem {
                offset: Some(offset),
                message: e.message,
                timed_out: false,
            }
        })?;
    if let std::borrow::Cow::Owned(masked) = masked {
        file.masked = Some(masked.into_boxed_str());
    }

    let mut split = Split {
        file: &file,
        text,
        dialect,
        parser: parser.as_ref(),
        in_down_section: false,
        each: &mut each,
    };
    let mut markers = (false, false);
    let mut current: Vec<TokenWithSpan> = Vec::new();
    // The rest of a `GO` line (its count) belongs to no statement.
    let mut skip_line = false;
    for (i, token) in tokens.iter().enumerate() {
        if skip_line {
            skip_line = !matches!(
                token.token,
                Token::Whitespace(Whitespace::Newline | Whitespace::SingleLineComment { .. })
            );
            continue;
        }
        match &token.token {
            Token::Whitespace(Whitespace::SingleLineComment { comment, .. })
                if current.is_empty() =>
            {
                if let Some(down) = section_marker(comment) {
                    split.in_down_section = down;
                    if down {
                        markers.1 = true;
                    } else {
                        markers.0 = true;
                    }
                }
            }
            Token::Whitespace(_) if current.is_empty() => {}
            // A psql meta-command (`\c db`, `\set x 1`) runs to the end of its line and is
            // no SQL statement.
            Token::Backslash if current.is_empty() && dialect.postgres_syntax() => {
                skip_line = true;
            }
            Token::SemiColon => {
                let end = split.file.offset(text, token.span.end);
                if !current.is_empty() {
                    split.push(std::mem::take(&mut current), end, 0);
                }
            }
            Token::Word(_) if dialect == SqlDialect::MsSql && is_go_line(&tokens, i) => {
                if let Some(last) = current
                    .iter()
                    .rev()
                    .find(|t| !matches!(t.token, Token::Whitespace(_)))
                {
                    let end = split.file.offset(text, last.span.end);
                    split.push(std::mem::take(&mut current), end, 0);
                }
                current.clear();
                skip_line = true;
            }
            Token::EOF => {}
            _ => current.push(token.clone()),
        }
    }
    if current
        .iter()
        .any(|t| !matches!(t.token, Token::Whitespace(_)))
    {
        let end = split.file.offset(
            text,
            current.last().map_or(Location::empty(), |t| t.span.end),
        );
        split.push(current, end, 0);
    }
    file.section_markers = markers;
    Ok(file)
}

/// A SQL Server batch separator: `GO` (optionally with a count) alone on its line.
fn is_go_line(tokens: &[TokenWithSpan], i: usize) -> bool {
    let Token::Word(word) = &tokens[i].token else {
        return false;
    };
    if word.quote_style.is_some() || !word.value.eq_ignore_ascii_case("go") {
        return false;
    }
    let line_break = |t: Option<&TokenWithSpan>| {
        matches!(
            t.map(|t| &t.token),
            None | Some(
                Token::EOF
                    | Token::Whitespace(Whitespace::Newline | Whitespace::SingleLineComment { .. })
            )
        )
    };
    let mut before = i;
    while before > 0
        && matches!(
            tokens[before - 1].token,
            Token::Whitespace(Whitespace::Space | Whitespace::Tab)
        )
    {
        before -= 1;
    }
    let starts_line = before == 0
        || matches!(
            tokens[before - 1].token,
            Token::Whitespace(Whitespace::Newline | Whitespace::SingleLineComment { .. })
        );
    let mut after = i + 1;
    while let Some(Token::Whitespace(Whitespace::Space | Whitespace::Tab)) =
        tokens.get(after).map(|t| &t.token)
    {
        after += 1;
    }
    if let Some(Token::Number(..)) = tokens.get(after).map(|t| &t.token) {
        after += 1;
    }
    starts_line && line_break(tokens.get(after))
}

/// Whether a comment opens a down (`Some(true)`) or up (`Some(false)`) section of a
/// migration file: dbmate `-- migrate:down` / `-- migrate:up ...`, goose `-- +goose Down`.
fn section_marker(comment: &str) -> Option<bool> {
    let mut words = comment.split_whitespace();
    match words.next()? {
        "migrate:down" => Some(true),
        "migrate:up" => Some(false),
        "+goose" => match words.next()? {
            w if w.eq_ignore_ascii_case("down") => Some(true),
            w if w.eq_ignore_ascii_case("up") => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// How deep `DO` blocks are looked into (a block's DDL may hold no further `DO`, but a
/// crafted file could nest them without end).
const MAX_BLOCK_DEPTH: usize = 1;

struct Split<'a> {
    file: &'a SqlFile,
    text: &'a str,
    dialect: SqlDialect,
    parser: &'a dyn Dialect,
    in_down_section: bool,
    each: &'a mut dyn FnMut(&SqlFile, SqlStatement),
}

impl Split<'_> {
    /// Parses one statement (`tokens`, without its `;`, ending at byte `end`) and adds it,
    /// then the DDL statements of a `DO` block.
    fn push(&mut self, tokens: Vec<TokenWithSpan>, end: usize, depth: usize) {
        let Some(first) = tokens
            .iter()
            .find(|t| !matches!(t.token, Token::Whitespace(_)))
        else {
            return;
        };
        let start = self.file.offset(self.text, first.span.start);
        let keywords: Vec<String> = tokens
            .iter()
            .filter(|t| !matches!(t.token, Token::Whitespace(_)))
            .take(6)
            .map_while(|t| match &t.token {
                Token::Word(w) if w.quote_style.is_none() => Some(w.value.to_ascii_uppercase()),
                _ => None,
            })
            .collect();
        let kind = StatementKind::from_keywords(&keywords);
        let inner = if depth < MAX_BLOCK_DEPTH
            && self.dialect.postgres_syntax()
            && keywords.first().is_some_and(|k| k == "DO")
        {
            block::ddl_in_do(&tokens, self.parser)
        } else {
            Vec::new()
        };
        let mut parser = Parser::new(self.parser).with_tokens_with_locations(tokens);
        // A statement nested deeper than the parser goes is valid, but not analysed:
        // never merely unmodelled.
        let (parsed, too_deep) = match parser.parse_statement() {
            Ok(statement) if parser.peek_token().token == Token::EOF => (Ok(statement), false),
            Ok(_) => (
                Err(format!(
                    "unexpected `{}` after the statement",
                    parser.peek_token().token
                )),
                false,
            ),
            Err(e) => {
                let too_deep = matches!(e, ParserError::RecursionLimitExceeded);
                (Err(e.to_string()), too_deep)
            }
        };
        let (ast, recognised, table) = match parsed {
            Ok(statement) => (Ok(statement), true, None),
            Err(message) => {
                let tokens = parser.into_tokens();
                let recognised =
                    !too_deep && recognise::recognised(self.dialect, &keywords, &tokens);
                let table = head_table(self.parser, &tokens, kind);
                let tokens = tokens
                    .into_iter()
                    .filter(|t| !matches!(t.token, Token::Whitespace(_) | Token::EOF))
                    .collect();
                (
                    Err(Rejected {
                        message,
                        tokens,
                        too_deep,
                    }),
                    recognised,
                    table,
                )
            }
        };
        (self.each)(
            self.file,
            SqlStatement {
                span: Span::new(start, end),
                kind,
                ast,
                recognised,
                table,
                in_down_section: self.in_down_section,
            },
        );
        for statement in inner {
            let end = self.file.offset(self.text, statement.end);
            self.push(statement.tokens, end, depth + 1);
        }
    }
}

/// The table a rejected statement's head names, read with the parser's name rule.
fn head_table(
    dialect: &dyn Dialect,
    tokens: &[TokenWithSpan],
    kind: StatementKind,
) -> Option<ObjectName> {
    let significant: Vec<usize> = tokens
        .iter()
        .enumerate()
        .filter(|(_, t)| !matches!(t.token, Token::Whitespace(_)))
        .map(|(i, _)| i)
        .collect();
    let is = |at: usize, keyword: Keyword| {
        significant.get(at).is_some_and(|&i| {
            matches!(&tokens[i].token, Token::Word(w) if w.quote_style.is_none() && w.keyword == keyword)
        })
    };
    let position = |keyword: Keyword| (0..significant.len().min(12)).find(|&at| is(at, keyword));
    let mut at = match kind {
        StatementKind::CreateTable | StatementKind::AlterTable | StatementKind::DropTable => {
            position(Keyword::TABLE)? + 1
        }
        StatementKind::Truncate => 1 + usize::from(is(1, Keyword::TABLE)),
        StatementKind::CreateIndex => position(Keyword::ON)? + 1,
        _ => return None,
    };
    while [Keyword::IF, Keyword::NOT, Keyword::EXISTS, Keyword::ONLY]
        .into_iter()
        .any(|k| is(at, k))
    {
        at += 1;
    }
    let from = *significant.get(at)?;
    let name_tokens = tokens[from..].iter().take(32).cloned().collect();
    Parser::new(dialect)
        .with_tokens_with_locations(name_tokens)
        .parse_object_name(false)
        .ok()
}

fn newline_offsets(text: &str) -> impl Iterator<Item = usize> + '_ {
    text.bytes()
        .enumerate()
        .filter(|&(_, b)| b == b'\n')
        .map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_keep_their_own_spans_and_rejected_ones_keep_keywords() {
        let text = "CREATE TABLE t (id int);\n-- note\nDROP INDEX CONCURRENTLY idx_a;\nCREATE INDEX i ON t (id)";
        let file = parse_sql(text, SqlDialect::Postgres).unwrap();
        assert_eq!(file.statements.len(), 3);
        let kinds: Vec<_> = file.statements.iter().map(|s| s.kind).collect();
        assert_eq!(
            kinds,
            [
                StatementKind::CreateTable,
                StatementKind::DropIndex,
                StatementKind::CreateIndex
            ]
        );
        let drop = &file.statements[1];
        assert_eq!(
            &text[drop.span.start..drop.span.end],
            "DROP INDEX CONCURRENTLY idx_a;"
        );
        assert!(file.statements[0].ast.is_ok());
        assert!(file.statements[2].ast.is_ok());
    }

    #[test]
    fn psql_meta_commands_are_no_statements() {
        let text = "\\c registry\n\\set ON_ERROR_STOP on\nCREATE TABLE t (id int);\n  \\echo done\nDROP TABLE t;";
        let file = parse_sql(text, SqlDialect::Postgres).unwrap();
        let found: Vec<&str> = file
            .statements
            .iter()
            .map(|s| &text[s.span.start..s.span.end])
            .collect();
        assert_eq!(found, ["CREATE TABLE t (id int);", "DROP TABLE t;"]);
        assert!(file.statements.iter().all(|s| s.ast.is_ok()));
    }

    #[test]
    fn dollar_quoted_bodies_do_not_split_statements() {
        let text = "DO $$ BEGIN PERFORM 1; END $$;\nTRUNCATE t;";
        let file = parse_sql(text, SqlDialect::Postgres).unwrap();
        assert_eq!(file.statements.len(), 2);
        assert_eq!(file.statements[1].kind, StatementKind::Truncate);
    }

    #[test]
    fn goose_down_sections_are_marked() {
        let text = "-- +goose Up\nALTER TABLE t ADD c int;\n\n-- +goose Down\n-- +goose StatementBegin\nALTER TABLE t DROP COLUMN c;\n-- +goose StatementEnd\n";
        let file = parse_sql(text, SqlDialect::Postgres).unwrap();
        assert!(!file.statements[0].in_down_section);
        assert!(file.statements[1].in_down_section);
    }

    #[test]
    fn dbmate_down_sections_are_marked() {
        let text = "-- migrate:up\nCREATE TABLE t (id int);\n-- migrate:down\nDROP TABLE t;\n";
        let file = parse_sql(text, SqlDialect::Postgres).unwrap();
        assert!(!file.statements[0].in_down_section);
        assert!(file.statements[1].in_down_section);
    }

    #[test]
    fn an_unterminated_string_is_a_problem_with_a_position() {
        let err = parse_sql("SELECT 1;\nSELECT 'abc", SqlDialect::Postgres).unwrap_err();
        assert!(err.offset.is_some());
    }

    #[test]
    fn line_zero_locations_do_not_underflow() {
        let text = "SELECT 1;\nSELECT 2;";
        let file = parse_sql(text, SqlDialect::Postgres).unwrap();
        assert_eq!(file.offset(text, Location::new(0, 0)), 0);
        assert_eq!(file.offset(text, Location::new(0, 3)), 2);
        assert_eq!(file.offset(text, Location::new(2, 1)), 10);
        assert_eq!(file.offset(text, Location::new(9, 1)), text.len());
        let empty = sqlparser::tokenizer::Span::empty();
        assert_eq!(file.byte_span(text, empty), None);
        let to_nowhere = sqlparser::tokenizer::Span::new(Location::new(2, 1), Location::new(0, 0));
        assert_eq!(file.byte_span(text, to_nowhere), Some(Span::new(10, 10)));
    }

    #[test]
    fn node_spans_map_to_bytes_after_multibyte_text() {
        let text = "-- é\nCREATE INDEX i ON users (email);";
        let file = parse_sql(text, SqlDialect::Postgres).unwrap();
        let Ok(Statement::CreateIndex(index)) = &file.statements[0].ast else {
            panic!()
        };
        use sqlparser::ast::Spanned;
        let span = file.byte_span(text, index.table_name.span()).unwrap();
        assert_eq!(&text[span.start..span.end], "users");
    }

    #[test]
    fn valid_statements_the_parser_does_not_model_are_recognised() {
        let text = "DROP INDEX CONCURRENTLY IF EXISTS notes_created_at_idx;\nREINDEX TABLE t;\nCREATE TABEL t (id int);\nCREATE INDEX i ON t ((x);";
        let file = parse_sql(text, SqlDialect::Postgres).unwrap();
        let recognised: Vec<_> = file
            .statements
            .iter()
            .map(|s| (s.ast.is_ok(), s.recognised))
            .collect();
        assert_eq!(
            recognised,
            [(false, true), (false, true), (false, false), (false, false)]
        );
    }

    #[test]
    fn sqlparser_0_64_parses_alter_trigger_and_sequence_types() {
        let text = "ALTER TRIGGER a ON t RENAME TO b;\nCREATE SEQUENCE s AS integer START WITH 1 INCREMENT BY 1;";
        let file = parse_sql(text, SqlDialect::Postgres).unwrap();
        assert!(file.statements.iter().all(|s| s.ast.is_ok()));
    }

    #[test]
    fn rejected_statements_keep_their_table() {
        let text = "CREATE TABLE IF NOT EXISTS app.users (id int) PARTITION BY HASH (id) WITH (fillfactor = 70) WITH (x = 1);\nTRUNCATE TABLE ONLY \"Logs\" FOO;\nCREATE INDEX i ON ONLY app.m (x) BAR;";
        let file = parse_sql(text, SqlDialect::Postgres).unwrap();
        let tables: Vec<String> = file
            .statements
            .iter()
            .map(|s| {
                assert!(s.ast.is_err(), "{:?}", s.ast);
                s.table.as_ref().unwrap().to_string()
            })
            .collect();
        assert_eq!(tables, ["app.users", "\"Logs\"", "app.m"]);
    }

    #[test]
    fn template_placeholders_parse_as_names() {
        let text = "CREATE INDEX IF NOT EXISTS refresh_tokens_session_id_idx ON {{ index .Options \"Namespace\" }}.sessions (user_id);\nALTER TABLE \"{{ index .Options \"Namespace\" }}\".\"users\" ADD COLUMN c int;";
        let file = parse_sql(text, SqlDialect::Postgres).unwrap();
        let Ok(Statement::CreateIndex(index)) = &file.statements[0].ast else {
            panic!("{:?}", file.statements[0].ast)
        };
        assert_eq!(index.table_name.0.last().unwrap().to_string(), "sessions");
        use sqlparser::ast::Spanned;
        let span = file.byte_span(text, index.table_name.span()).unwrap();
        assert_eq!(
            &text[span.start..span.end],
            "{{ index .Options \"Namespace\" }}.sessions"
        );
        assert!(file.statements[1].ast.is_ok());
        assert_eq!(
            &file.parsed_text(text)[..40],
            "CREATE INDEX IF NOT EXISTS refresh_token"
        );
    }

    #[test]
    fn ddl_inside_do_blocks_is_a_statement_at_its_own_place() {
        let text = "DO $$\nBEGIN\n  IF NOT EXISTS(SELECT * FROM information_schema.columns WHERE table_name='users')\n  THEN\n      ALTER TABLE \"users\" RENAME COLUMN \"confirmed_at\" TO \"email_confirmed_at\";\n  ELSIF true THEN ALTER TABLE users DROP COLUMN c;\n  END IF;\n  PERFORM 1; EXECUTE 'DROP TABLE x';\nEXCEPTION WHEN duplicate_object THEN null;\nEND $$;\nDO LANGUAGE plpgsql $body$ BEGIN CREATE INDEX i ON t (x); END $body$;\nDO $$ BEGIN DROP TABLE y; END $$ LANGUAGE plpython3u;\nDO LANGUAGE 'plpython3u' $$ BEGIN DROP TABLE z; END $$;";
        let file = parse_sql(text, SqlDialect::Postgres).unwrap();
        let found: Vec<(&str, bool)> = file
            .statements
            .iter()
            .map(|s| (&text[s.span.start..s.span.end], s.ast.is_ok()))
            .collect();
        assert_eq!(found.len(), 7, "{found:#?}");
        assert!(found[0].0.starts_with("DO $$"));
        assert_eq!(
            found[1],
            (
                "ALTER TABLE \"users\" RENAME COLUMN \"confirmed_at\" TO \"email_confirmed_at\";",
                true
            )
        );
        assert_eq!(found[2], ("ALTER TABLE users DROP COLUMN c;", true));
        assert_eq!(found[4], ("CREATE INDEX i ON t (x);", true));
        assert!(found[5].0.starts_with("DO $$ BEGIN DROP"));
        // Node spans inside the body are file positions too.
        let Ok(Statement::CreateIndex(index)) = &file.statements[4].ast else {
            panic!()
        };
        use sqlparser::ast::Spanned;
        let span = file.byte_span(text, index.table_name.span()).unwrap();
        assert_eq!(&text[span.start..span.end], "t");
    }

    #[test]
    fn sql_server_go_lines_separate_batches() {
        let text = "CREATE TABLE users (id int)\nGO\nCREATE INDEX users_id ON users (id)\n  go 2\nSELECT 1";
        let file = parse_sql(text, SqlDialect::MsSql).unwrap();
        let found: Vec<&str> = file
            .statements
            .iter()
            .map(|s| &text[s.span.start..s.span.end])
            .collect();
        assert_eq!(
            found,
            [
                "CREATE TABLE users (id int)",
                "CREATE INDEX users_id ON users (id)",
                "SELECT 1"
            ]
        );
        assert!(file.statements.iter().all(|s| s.ast.is_ok()));
    }
}
