//! DB004: a forward migration that drops, truncates or renames what running code uses.

use audit_core::Span;
use audit_model::schema::{MigrationRole, table_key};
use audit_syntax::StatementKind;
use audit_syntax::sqlparser::ast::{
    AlterTableOperation, ObjectName, ObjectType, Spanned, Statement,
};

use super::table_label;
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
    if ctx.migration != Some(MigrationRole::Forward) {
        return;
    }
    let statement = ctx.statement;
    let whole = statement.span;
    match &statement.ast {
        Ok(Statement::Drop {
            object_type: ObjectType::Table,
            names,
            ..
        }) => {
            for name in names.iter().filter(|n| !created_here(ctx, n)) {
                report(ctx, out, whole, "DROP TABLE", &table_label(ctx, name));
            }
        }
        Ok(Statement::Truncate(truncate)) => {
            for target in truncate
                .table_names
                .iter()
                .filter(|t| !created_here(ctx, &t.name))
            {
                report(ctx, out, whole, "TRUNCATE", &table_label(ctx, &target.name));
            }
        }
        Ok(Statement::RenameTable(renames)) => {
            for rename in renames.iter().filter(|r| !created_here(ctx, &r.old_name)) {
                report(
                    ctx,
                    out,
                    whole,
                    "RENAME TABLE",
                    &table_label(ctx, &rename.old_name),
                );
            }
        }
        Ok(Statement::AlterTable(alter)) if !created_here(ctx, &alter.name) => {
            let table = table_label(ctx, &alter.name);
            for operation in &alter.operations {
                let action = match operation {
                    AlterTableOperation::DropColumn { .. } => "DROP COLUMN",
                    AlterTableOperation::RenameColumn { .. } => "RENAME COLUMN",
                    AlterTableOperation::RenameTable { .. } => "RENAME TO",
                    _ => continue,
                };
                let span = ctx
                    .file
                    .byte_span(&ctx.source.text, operation.span())
                    .unwrap_or(whole);
                report(ctx, out, span, action, &table);
            }
        }
        // The dialect rejected the statement, but its head still says what it does, and
        // to which table.
        Err(_)
            if matches!(
                statement.kind,
                StatementKind::DropTable | StatementKind::Truncate
            ) =>
        {
            let action = if statement.kind == StatementKind::Truncate {
                "TRUNCATE"
            } else {
                "DROP TABLE"
            };
            let table = match &statement.table {
                Some(name) if created_here(ctx, name) => return,
                Some(name) => table_label(ctx, name),
                None => "?".to_string(),
            };
            report(ctx, out, whole, action, &table);
        }
        _ => {}
    }
}

/// Dropping or renaming a table this same migration created touches no live data.
fn created_here(ctx: &SqlContext<'_>, name: &ObjectName) -> bool {
    ctx.schema
        .table(&table_key(name))
        .is_some_and(|t| *t.created_in == *ctx.source.path)
}

fn report(ctx: &SqlContext<'_>, out: &mut Emit<'_>, span: Span, action: &str, table: &str) {
    out.report(ctx.source, span, &[("action", action), ("table", table)]);
}
