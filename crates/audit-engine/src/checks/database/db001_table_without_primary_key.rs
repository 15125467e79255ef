//! DB001: a table created without a primary key, and none added later in its history.

use audit_model::schema::{Change, IndexedRows, Table};
use audit_syntax::StatementKind;

use crate::checks::{Check, Emit};
use crate::project::SqlContext;

pub const CHECK: Check = Check::Sql {
    statements: &[StatementKind::CreateTable],
    run: check,
};

fn check(ctx: &SqlContext<'_>, out: &mut Emit<'_>) {
    // Only a migration history says whether a key is added later.
    if !ctx.is_forward() {
        return;
    }
    for event in &ctx.statement.events {
        let Change::CreateTable {
            table,
            columns: Some(_),
            temporary: false,
            ..
        } = &event.change
        else {
            continue;
        };
        // The table as the history leaves it (under whatever name); a table dropped
        // later, or an `IF NOT EXISTS` that created nothing, is not reported.
        let Some((_, last)) = ctx.final_schema.table_by_id(ctx.schema.next_table_id()) else {
            continue;
        };
        if ctx.schema.table(&table.key).is_some() || has_key(last) {
            continue;
        }
        out.report(ctx.source, event.span, &[("table", &table.label)]);
    }
}

/// A primary key, or a unique key over NOT NULL columns (which identifies rows as well,
/// and which MySQL/InnoDB uses as the clustered key).
fn has_key(table: &Table) -> bool {
    table.primary_key.is_some()
        || table.indexes.iter().any(|index| {
            index.unique
                && index.rows == IndexedRows::All
                && !index.columns.is_empty()
                && index
                    .columns
                    .iter()
                    .all(|c| table.column(c).is_some_and(|c| c.not_null))
        })
}
