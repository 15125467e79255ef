//! DB006: a foreign key whose referencing columns no index covers, anywhere in the
//! migration history.

use audit_model::schema::{Change, Constraint, ConstraintDef, Name, Origin, Table};
use audit_syntax::{SqlDialect, StatementKind};

use crate::checks::{Check, Emit};
use crate::project::SqlContext;

pub const CHECK: Check = Check::Sql {
    statements: &[StatementKind::CreateTable, StatementKind::AlterTable],
    run: check,
};

fn check(ctx: &SqlContext<'_>, out: &mut Emit<'_>) {
    // MySQL/InnoDB creates the index a foreign key needs itself.
    if !ctx.is_forward() || matches!(ctx.dialect, SqlDialect::MySql | SqlDialect::MariaDb) {
        return;
    }
    for event in &ctx.statement.events {
        let (id, constraints): (Option<u32>, Vec<&ConstraintDef>) = match &event.change {
            Change::CreateTable {
                table,
                columns: Some(_),
                constraints,
                ..
            } if ctx.schema.table(&table.key).is_none() => (
                Some(ctx.schema.next_table_id()),
                constraints.iter().collect(),
            ),
            // Only tables the history created: of the others, indexes outside it are
            // unknown.
            Change::AddConstraint {
                table, constraint, ..
            } if ctx.origin(&table.key) != Origin::Outside => {
                (ctx.schema.table(&table.key).map(|t| t.id), vec![constraint])
            }
            _ => continue,
        };
        let Some((_, last)) = id.and_then(|id| ctx.final_schema.table_by_id(id)) else {
            continue;
        };
        for constraint in constraints {
            let Constraint::ForeignKey {
                columns,
                references,
                ..
            } = &constraint.constraint
            else {
                continue;
            };
            if !still_there(last, constraint.name.as_ref(), columns)
                || last.has_index_leading_with(columns)
            {
                continue;
            }
            let columns = columns
                .iter()
                .map(Name::as_str)
                .collect::<Vec<_>>()
                .join(", ");
            let span = if constraint.span.start < constraint.span.end {
                constraint.span
            } else {
                event.span
            };
            let table = event.change.table().map_or("", |t| &t.label);
            out.report(
                ctx.source,
                span,
                &[
                    ("columns", &columns),
                    ("table", table),
                    ("references", &references.label),
                ],
            );
        }
    }
}

/// Whether the history ends with this foreign key on the table (by name, or by
/// columns when unnamed).
fn still_there(table: &Table, name: Option<&Name>, columns: &[Name]) -> bool {
    table.foreign_keys.iter().any(|fk| match name {
        Some(name) => fk.name.as_ref() == Some(name),
        None => fk.columns == columns,
    })
}
