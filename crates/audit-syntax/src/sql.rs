use audit_core::Span;
use sqlparser::ast::Statement;
use sqlparser::dialect::{Dialect, GenericDialect, MySqlDialect, PostgreSqlDialect, SQLiteDialect};
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Location, Token, TokenWithSpan, Tokenizer, Whitespace};

use crate::ParseProblem;

/// The SQL dialect migrations are parsed with (`sql.dialect` in the config).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SqlDialect {
    #[default]
    Postgres,
    MySql,
    Sqlite,
    Generic,
}

impl SqlDialect {
    pub fn from_name(name: &str) -> Option<SqlDialect> {
        Some(match name {
            "postgres" | "postgresql" => SqlDialect::Postgres,
            "mysql" => SqlDialect::MySql,
            "sqlite" => SqlDialect::Sqlite,
            "generic" => SqlDialect::Generic,
            _ => return None,
        })
    }

    fn dialect(self) -> Box<dyn Dialect> {
        match self {
            SqlDialect::Postgres => Box::new(PostgreSqlDialect {}),
            SqlDialect::MySql => Box::new(MySqlDialect {}),
            SqlDialect::Sqlite => Box::new(SQLiteDialect {}),
            SqlDialect::Generic => Box::new(GenericDialect {}),
        }
    }
}

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
    pub fn from_name(name: &str) -> Option<StatementKind> {
        Some(match name {
            "create_table" => StatementKind::CreateTable,
            "create_index" => StatementKind::CreateIndex,
            "alter_table" => StatementKind::AlterTable,
            "drop_table" => StatementKind::DropTable,
            "drop_index" => StatementKind::DropIndex,
            "truncate" => StatementKind::Truncate,
            "insert" => StatementKind::Insert,
            "update" => StatementKind::Update,
            "delete" => StatementKind::Delete,
            "other" => StatementKind::Other,
            _ => return None,
        })
    }

    fn from_keywords(words: &[String]) -> StatementKind {
        // Modifiers that may stand between the verb and the object kind.
        const MODIFIERS: &[&str] = &[
            "OR",
            "REPLACE",
            "UNIQUE",
            "TEMP",
            "TEMPORARY",
            "UNLOGGED",
            "GLOBAL",
            "LOCAL",
            "IF",
            "NOT",
            "EXISTS",
            "ONLY",
        ];
        let mut words = words.iter().map(String::as_str);
        let verb = words.next().unwrap_or("");
        let object = words.find(|w| !MODIFIERS.contains(w)).unwrap_or("");
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
    /// Up to six leading keywords, upper-cased.
    pub keywords: Vec<String>,
    /// The parsed statement, or the parser's message when it rejected it.
    pub ast: Result<Statement, String>,
    /// In a dbmate-style `-- migrate:down` section: rollback, not forward, code.
    pub in_down_section: bool,
}

#[derive(Clone, Debug, Default)]
pub struct SqlFile {
    pub statements: Vec<SqlStatement>,
    /// Byte offsets of `\n`-separated line starts, the way sqlparser counts lines.
    newline_starts: Vec<usize>,
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

    fn offset(&self, text: &str, location: Location) -> usize {
        let Some(&start) = self.newline_starts.get(location.line as usize - 1) else {
            return text.len();
        };
        text[start..]
            .char_indices()
            .nth(location.column.saturating_sub(1) as usize)
            .map_or(text.len(), |(i, _)| start + i)
    }
}

/// Splits `text` into statements at top-level semicolons and parses each on its own,
/// so one statement the dialect rejects does not lose the rest of the file.
/// Err is returned only when the file cannot even be tokenized.
pub fn parse_sql(text: &str, dialect: SqlDialect) -> Result<SqlFile, ParseProblem> {
    let dialect = dialect.dialect();
    let mut file = SqlFile {
        statements: Vec::new(),
        newline_starts: std::iter::once(0)
            .chain(newline_offsets(text).map(|i| i + 1))
            .collect(),
    };
    let tokens = Tokenizer::new(dialect.as_ref(), text)
        .tokenize_with_location()
        .map_err(|e| {
            let offset = file.offset(text, e.location);
            ParseProblem {
                offset: Some(offset),
                message: e.message,
                timed_out: false,
            }
        })?;

    let mut in_down_section = false;
    let mut current: Vec<TokenWithSpan> = Vec::new();
    for token in tokens {
        match &token.token {
            Token::Whitespace(Whitespace::SingleLineComment { comment, .. })
                if current.is_empty() =>
            {
                if let Some(down) = section_marker(comment) {
                    in_down_section = down;
                }
            }
            Token::Whitespace(_) if current.is_empty() => {}
            Token::SemiColon => {
                let end = file.offset(text, token.span.end);
                if !current.is_empty() {
                    let statement = statement_from(
                        &file,
                        text,
                        dialect.as_ref(),
                        &mut current,
                        end,
                        in_down_section,
                    );
                    file.statements.push(statement);
                }
            }
            Token::EOF => {}
            _ => current.push(token),
        }
    }
    if current
        .iter()
        .any(|t| !matches!(t.token, Token::Whitespace(_)))
    {
        let end = file.offset(
            text,
            current.last().map_or(Location::empty(), |t| t.span.end),
        );
        let statement = statement_from(
            &file,
            text,
            dialect.as_ref(),
            &mut current,
            end,
            in_down_section,
        );
        file.statements.push(statement);
    }
    Ok(file)
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

fn statement_from(
    file: &SqlFile,
    text: &str,
    dialect: &dyn Dialect,
    tokens: &mut Vec<TokenWithSpan>,
    end: usize,
    in_down_section: bool,
) -> SqlStatement {
    let start = file.offset(text, tokens[0].span.start);
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
    let mut parser = Parser::new(dialect).with_tokens_with_locations(std::mem::take(tokens));
    let ast = match parser.parse_statement() {
        Ok(statement) if parser.peek_token().token == Token::EOF => Ok(statement),
        Ok(_) => Err(format!(
            "unexpected `{}` after the statement",
            parser.peek_token().token
        )),
        Err(e) => Err(e.to_string()),
    };
    SqlStatement {
        span: Span::new(start, end),
        kind,
        keywords,
        ast,
        in_down_section,
    }
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
}
