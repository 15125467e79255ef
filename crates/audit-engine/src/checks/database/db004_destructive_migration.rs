//! DB004: a forward migration that drops, truncates or renames what running code uses.

use audit_model::schema::{Change, Name, Origin, Removed, TableKey};
use audit_syntax::StatementKind;

use crate::checks::{Check, Emit};
use crate::project::SqlContext;

pub const CHECK: Check = Check::Sql {
    statements: &[
        StatementKind::DropTable,
        StatementKind::Truncate,
        StatementKind::AlterTable,
        StatementKind::Other,
    ],
    run: check,
};

fn check(ctx: &SqlContext<'_>, out: &mut Emit<'_>) {
    if !ctx.is_forward() {
        return;
    }
    for event in &ctx.statement.events {
        let removed;
        let (action, table, column) = match &event.change {
            Change::DropTable { table } => ("DROP TABLE", table, None),
            Change::Truncate { table } => ("TRUNCATE", table, None),
            Change::DropColumn { table, column } => ("DROP COLUMN", table, Some(column)),
            Change::RemoveField { table, field } => {
                removed = ctx.schema.removed_field(&table.key, field);
                match &removed {
                    Removed::Column(column) => ("DROP COLUMN", table, Some(column)),
                    Removed::JoinTable(join_table) => ("DROP TABLE", join_table, None),
                }
            }
            Change::RenameColumn { table, column, .. } => ("RENAME COLUMN", table, Some(column)),
            Change::RenameTable { table, .. }
                if ctx.statement.kind == StatementKind::AlterTable =>
            {
                ("RENAME TO", table, None)
            }
            Change::RenameTable { table, .. } => ("RENAME TABLE", table, None),
            _ => continue,
        };
        // Dropping or renaming what this same migration created touches no live data.
        if ctx.origin(&table.key) == Origin::ThisMigration {
            continue;
        }
        // A table rebuilt under its own name (SQLite's way to alter one), a column
        // retyped through a temporary one: replaced, not removed.
        if !matches!(event.change, Change::Truncate { .. })
            && (named_later(ctx, &table.key, column) || named_earlier(ctx, &table.key, column))
        {
            continue;
        }
        out.report(
            ctx.source,
            event.span,
            &[("action", action), ("table", &table.label)],
        );
    }
}

/// The changes of this file's statements before (`false`) or after (`true`) this one.
fn changes_around<'a>(ctx: &SqlContext<'a>, after: bool) -> impl Iterator<Item = &'a Change> {
    let statements = &ctx.sql.statements;
    let here = statements
        .iter()
        .position(|s| std::ptr::eq(s, ctx.statement))
        .unwrap_or(statements.len());
    let range = if after {
        &statements[(here + 1).min(statements.len())..]
    } else {
        &statements[..here]
    };
    range
        .iter()
        .filter(|s| !s.in_down_section)
        .flat_map(|s| s.events.iter().map(|e| &e.change))
}

/// Whether a later statement of this file gives the name back: creates or renames a
/// table to it, or adds or renames a column to it on the same table.
fn named_later(ctx: &SqlContext<'_>, table: &TableKey, column: Option<&Name>) -> bool {
    changes_around(ctx, true).any(|change| gives_name(change, table, column))
}

/// Whether an earlier statement of this file gave this name (a temporary column or a
/// table renamed aside), so dropping it removes nothing the running release uses.
fn named_earlier(ctx: &SqlContext<'_>, table: &TableKey, column: Option<&Name>) -> bool {
    changes_around(ctx, false).any(|change| gives_name(change, table, column))
}

fn gives_name(change: &Change, table: &TableKey, column: Option<&Name>) -> bool {
    match (change, column) {
        (Change::CreateTable { table: t, .. }, None) => t.key == *table,
        (Change::RenameTable { to, .. }, None) => to == table,
        (
            Change::AddColumn {
                table: t,
                column: c,
            },
            Some(column),
        ) => t.key == *table && c.name == *column,
        (Change::RenameColumn { table: t, to, .. }, Some(column)) => {
            t.key == *table && to == column
        }
        _ => false,
    }
}
