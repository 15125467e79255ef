//! DB004: a forward migration that drops, truncates or renames what running code uses.

use audit_model::schema::{Change, Origin};
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
        let (action, table) = match &event.change {
            Change::DropTable { table } => ("DROP TABLE", table),
            Change::Truncate { table } => ("TRUNCATE", table),
            Change::DropColumn { table, .. } => ("DROP COLUMN", table),
            Change::RenameColumn { table, .. } => ("RENAME COLUMN", table),
            Change::RenameTable { table, .. }
                if ctx.statement.kind == StatementKind::AlterTable =>
            {
                ("RENAME TO", table)
            }
            Change::RenameTable { table, .. } => ("RENAME TABLE", table),
            _ => continue,
        };
        // Dropping or renaming what this same migration created touches no live data.
        if ctx.origin(&table.key) == Origin::ThisMigration {
            continue;
        }
        out.report(
            ctx.source,
            event.span,
            &[("action", action), ("table", &table.label)],
        );
    }
}
