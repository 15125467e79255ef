//! DB002: `CREATE INDEX` without `CONCURRENTLY` on a table that already holds data.

use audit_core::Span;
use audit_syntax::sqlparser::ast::{Spanned, Statement};
use audit_syntax::sqlparser::dialect::PostgreSqlDialect;
use audit_syntax::sqlparser::keywords::Keyword;
use audit_syntax::sqlparser::tokenizer::{Token, Tokenizer};
use audit_syntax::{SqlDialect, StatementKind};

use crate::checks::{Emit, table_key};
use crate::project::{MigrationRole, SqlContext};

pub fn check(ctx: &SqlContext<'_>, out: &mut Emit<'_>) {
    // Only Postgres has CONCURRENTLY; only forward migrations run against live tables.
    if ctx.dialect != SqlDialect::Postgres || ctx.migration != Some(MigrationRole::Forward) {
        return;
    }
    let (table, head) = match &ctx.statement.ast {
        Ok(Statement::CreateIndex(index)) => {
            if index.concurrently {
                return;
            }
            let head_end = ctx
                .file
                .byte_span(&ctx.source.text, index.table_name.span())
                .map_or(ctx.statement.span.end, |s| s.end);
            (
                table_key(&index.table_name),
                Span::new(ctx.statement.span.start, head_end),
            )
        }
        // The parser rejected it (a clause it does not know, like TABLESPACE): its words
        // still say whether it is concurrent and which table it locks.
        Err(_) if ctx.statement.kind == StatementKind::CreateIndex => {
            let text = &ctx.source.text[ctx.statement.span.start..ctx.statement.span.end];
            let Some(table) = rejected_index_table(text) else {
                return;
            };
            let first_line = text.find('\n').unwrap_or(text.len());
            (
                table,
                Span::new(
                    ctx.statement.span.start,
                    ctx.statement.span.start + first_line,
                ),
            )
        }
        _ => return,
    };
    let created_in = ctx.schema.table(&table).map(|t| t.created_in.clone());
    // A table created by this same migration is empty: a plain index is fine there.
    if created_in.as_deref() == Some(&*ctx.source.path) {
        return;
    }
    let origin = match &created_in {
        Some(path) => format!("created in {path}"),
        None => "not created by the scanned migrations, so it already exists".to_string(),
    };
    out.report(ctx.source, head, &[("table", &table), ("origin", &origin)]);
}

/// The table key of a `CREATE INDEX` the parser rejected, or `None` when it is built
/// `CONCURRENTLY`, only on a partitioned parent (`ON ONLY`, which builds nothing), or
/// cannot be read.
fn rejected_index_table(text: &str) -> Option<String> {
    let tokens: Vec<Token> = Tokenizer::new(&PostgreSqlDialect {}, text)
        .tokenize()
        .ok()?
        .into_iter()
        .filter(|t| !matches!(t, Token::Whitespace(_)))
        .collect();
    let keyword = |i: usize, k: Keyword| match tokens.get(i) {
        Some(Token::Word(w)) => w.quote_style.is_none() && w.keyword == k,
        _ => false,
    };
    let on = (0..tokens.len()).find(|&i| keyword(i, Keyword::ON))?;
    if (0..on).any(|i| keyword(i, Keyword::CONCURRENTLY)) || keyword(on + 1, Keyword::ONLY) {
        return None;
    }
    // `schema.table`: the last part names the table.
    let mut at = on + 1;
    while let (Some(Token::Period), Some(Token::Word(_))) = (tokens.get(at + 1), tokens.get(at + 2))
    {
        at += 2;
    }
    let Some(Token::Word(name)) = tokens.get(at) else {
        return None;
    };
    Some(if name.quote_style.is_some() {
        name.value.clone()
    } else {
        name.value.to_lowercase()
    })
}

#[cfg(test)]
mod tests {
    use super::rejected_index_table;

    #[test]
    fn tables_of_rejected_index_statements() {
        let table = |s: &str| rejected_index_table(s);
        assert_eq!(
            table("CREATE INDEX i ON orders (x) TABLESPACE fast"),
            Some("orders".into())
        );
        assert_eq!(
            table("CREATE INDEX i ON public.\"Orders\" (x) TABLESPACE t"),
            Some("Orders".into())
        );
        assert_eq!(
            table("CREATE INDEX CONCURRENTLY i ON orders (x) TABLESPACE t"),
            None
        );
        assert_eq!(table("CREATE INDEX i ON ONLY measurements (logdate)"), None);
    }
}
