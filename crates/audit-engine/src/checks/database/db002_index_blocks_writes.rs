//! DB002: `CREATE INDEX` without `CONCURRENTLY` on a table that already holds data.

use audit_core::Span;
use audit_syntax::SqlDialect;
use audit_syntax::sqlparser::ast::{Spanned, Statement};

use crate::checks::{Emit, table_key};
use crate::project::{MigrationRole, SqlContext};

pub fn check(ctx: &SqlContext<'_>, out: &mut Emit<'_>) {
    // Only Postgres has CONCURRENTLY; only forward migrations run against live tables.
    if ctx.dialect != SqlDialect::Postgres || ctx.migration != Some(MigrationRole::Forward) {
        return;
    }
    let Ok(Statement::CreateIndex(index)) = &ctx.statement.ast else {
        return;
    };
    if index.concurrently {
        return;
    }
    let table = table_key(&index.table_name);
    let created_in = ctx.schema.table(&table).map(|t| t.created_in.clone());
    // A table created by this same migration is empty: a plain index is fine there.
    if created_in.as_deref() == Some(&*ctx.source.path) {
        return;
    }
    let origin = match &created_in {
        Some(path) => format!("created in {path}"),
        None => "not created by the scanned migrations, so it already exists".to_string(),
    };
    let head_end = ctx
        .file
        .byte_span(&ctx.source.text, index.table_name.span())
        .map_or(ctx.statement.span.end, |s| s.end);
    out.report(
        ctx.source,
        Span::new(ctx.statement.span.start, head_end),
        &[("table", &table), ("origin", &origin)],
    );
}
