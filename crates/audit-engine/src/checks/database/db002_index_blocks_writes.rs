//! DB002: `CREATE INDEX` without `CONCURRENTLY` on a table that already holds data.

use audit_core::Span;
use audit_model::schema::{MigrationRole, table_key};
use audit_syntax::sqlparser::ast::{Spanned, Statement};
use audit_syntax::sqlparser::dialect::PostgreSqlDialect;
use audit_syntax::sqlparser::keywords::Keyword;
use audit_syntax::sqlparser::tokenizer::{Token, Tokenizer};
use audit_syntax::{SqlDialect, StatementKind};

use super::table_label;
use crate::checks::{Check, Emit};
use crate::project::SqlContext;

pub const CHECK: Check = Check::Sql {
    statements: &[StatementKind::CreateIndex],
    run: check,
};

fn check(ctx: &SqlContext<'_>, out: &mut Emit<'_>) {
    // Only PostgreSQL builds a plain index under a write-blocking lock: MySQL/InnoDB
    // builds it online, SQL Server and the rest have no CONCURRENTLY, and CockroachDB
    // and YugabyteDB, though written like PostgreSQL, build every index online (their
    // CONCURRENTLY is a no-op, or the default). Only forward migrations run against
    // live tables.
    if ctx.dialect != SqlDialect::Postgres || ctx.migration != Some(MigrationRole::Forward) {
        return;
    }
    let (name, head) = match &ctx.statement.ast {
        Ok(Statement::CreateIndex(index)) => {
            if index.concurrently {
                return;
            }
            let head_end = ctx
                .file
                .byte_span(&ctx.source.text, index.table_name.span())
                .map_or(ctx.statement.span.end, |s| s.end);
            (
                &index.table_name,
                Span::new(ctx.statement.span.start, head_end),
            )
        }
        // The parser rejected it (a clause it does not know, like TABLESPACE): its words
        // still say whether it is concurrent, and which table it locks.
        Err(_) if ctx.statement.kind == StatementKind::CreateIndex => {
            let span = ctx.statement.span;
            let text = &ctx.file.parsed_text(&ctx.source.text)[span.start..span.end];
            let Some(name) = ctx.statement.table.as_ref() else {
                return;
            };
            if !builds_a_plain_index(text) {
                return;
            }
            let first_line = text.find('\n').unwrap_or(text.len());
            (name, Span::new(span.start, span.start + first_line))
        }
        _ => return,
    };
    let table = table_key(name);
    let created_in = ctx.schema.table(&table).map(|t| t.created_in.clone());
    // A table created by this same migration is empty: a plain index is fine there.
    if created_in.as_deref() == Some(&*ctx.source.path) {
        return;
    }
    let origin = match &created_in {
        Some(path) => format!("created in {path}"),
        None => "not created by the scanned migrations, so it already exists".to_string(),
    };
    let label = table_label(ctx, name);
    out.report(ctx.source, head, &[("table", &label), ("origin", &origin)]);
}

/// Whether a `CREATE INDEX` the parser rejected builds an index under the blocking lock:
/// not when it is `CONCURRENTLY`, nor only on a partitioned parent (`ON ONLY`, which
/// builds nothing).
fn builds_a_plain_index(text: &str) -> bool {
    let Ok(tokens) = Tokenizer::new(&PostgreSqlDialect {}, text).tokenize() else {
        return false;
    };
    let tokens: Vec<Token> = tokens
        .into_iter()
        .filter(|t| !matches!(t, Token::Whitespace(_)))
        .collect();
    let keyword = |i: usize, k: Keyword| match tokens.get(i) {
        Some(Token::Word(w)) => w.quote_style.is_none() && w.keyword == k,
        _ => false,
    };
    let Some(on) = (0..tokens.len()).find(|&i| keyword(i, Keyword::ON)) else {
        return false;
    };
    !(0..on).any(|i| keyword(i, Keyword::CONCURRENTLY)) && !keyword(on + 1, Keyword::ONLY)
}

#[cfg(test)]
mod tests {
    use super::builds_a_plain_index;

    #[test]
    fn rejected_index_statements() {
        assert!(builds_a_plain_index(
            "CREATE INDEX i ON orders (x) TABLESPACE fast"
        ));
        assert!(builds_a_plain_index(
            "CREATE INDEX i ON public.\"Orders\" (x) TABLESPACE t"
        ));
        assert!(!builds_a_plain_index(
            "CREATE INDEX CONCURRENTLY i ON orders (x) TABLESPACE t"
        ));
        assert!(!builds_a_plain_index(
            "CREATE INDEX i ON ONLY measurements (logdate)"
        ));
    }
}
