//! DB003: a NOT NULL column without a default added to a table that already has rows,
//! or `SET NOT NULL` on an existing column.

use audit_model::schema::{Change, Origin, TableKey, WriteKind};
use audit_syntax::{SqlDialect, StatementKind};

use crate::checks::{Check, Emit};
use crate::project::SqlContext;

pub const CHECK: Check = Check::Sql {
    statements: &[StatementKind::AlterTable],
    run: check,
};

fn check(ctx: &SqlContext<'_>, out: &mut Emit<'_>) {
    if !ctx.is_forward() {
        return;
    }
    for event in &ctx.statement.events {
        let (problem, fix, table, column) = match &event.change {
            // MySQL fills a NOT NULL column with its type's implicit default instead
            // of failing.
            Change::AddColumn { table, column }
                if column.not_null
                    && !column.has_default
                    && !matches!(ctx.dialect, SqlDialect::MySql | SqlDialect::MariaDb) =>
            {
                (
                    "is added NOT NULL without a default, which fails on a table that has rows",
                    "add it nullable (or with a DEFAULT), backfill it, then set NOT NULL",
                    table,
                    &column.name,
                )
            }
            // PostgreSQL scans the whole table under an exclusive lock to check the
            // values; CockroachDB and YugabyteDB validate as an online schema change.
            // Already NOT NULL (a Knex `.notNullable().alter()` restating it): nothing
            // to check.
            Change::SetNotNull { table, column }
                if ctx.dialect == SqlDialect::Postgres
                    && !ctx
                        .schema
                        .table(&table.key)
                        .and_then(|t| t.column(column))
                        .is_some_and(|c| c.not_null) =>
            {
                (
                    "is set NOT NULL, which scans the whole table under a lock that blocks reads and writes",
                    "first add `CHECK (column IS NOT NULL) NOT VALID`, VALIDATE it, then SET NOT NULL (PostgreSQL 12+ uses the check and skips the scan)",
                    table,
                    column,
                )
            }
            _ => continue,
        };
        if ctx.origin(&table.key) == Origin::ThisMigration || emptied_before(ctx, &table.key) {
            continue;
        }
        out.report(
            ctx.source,
            event.span,
            &[
                ("column", column.as_str()),
                ("table", &table.label),
                ("problem", problem),
                ("fix", fix),
            ],
        );
    }
}

/// Whether an earlier statement of this migration empties the table (`TRUNCATE`, a
/// `DELETE` without `WHERE`, Sequelize's `bulkDelete(table, {})`): then it has no rows
/// to fail on or to scan.
fn emptied_before(ctx: &SqlContext<'_>, table: &TableKey) -> bool {
    ctx.sql
        .statements
        .iter()
        .take_while(|s| !std::ptr::eq(*s, ctx.statement))
        .filter(|s| !s.in_down_section)
        .flat_map(|s| &s.events)
        .any(|e| match &e.change {
            Change::Truncate { table: t } => t.key == *table,
            Change::Write {
                table: Some(t),
                kind: WriteKind::Delete,
                filtered: false,
            } => t.key == *table,
            _ => false,
        })
}
