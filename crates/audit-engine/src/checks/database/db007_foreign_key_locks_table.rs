//! DB007: a foreign key or check added to an existing table without `NOT VALID`
//! (PostgreSQL).

use audit_model::schema::{Change, Constraint, Origin};
use audit_syntax::{SqlDialect, StatementKind};

use crate::checks::{Check, Emit};
use crate::project::SqlContext;

pub const CHECK: Check = Check::Sql {
    statements: &[StatementKind::AlterTable],
    run: check,
};

fn check(ctx: &SqlContext<'_>, out: &mut Emit<'_>) {
    // CockroachDB and YugabyteDB add constraints as online schema changes.
    if !ctx.is_forward() || ctx.dialect != SqlDialect::Postgres {
        return;
    }
    for event in &ctx.statement.events {
        let Change::AddConstraint {
            table,
            constraint,
            not_valid: false,
        } = &event.change
        else {
            continue;
        };
        let kind = match &constraint.constraint {
            Constraint::ForeignKey { .. } => "FOREIGN KEY",
            Constraint::Check => "CHECK",
            _ => continue,
        };
        if ctx.origin(&table.key) == Origin::ThisMigration {
            continue;
        }
        // A constraint written in a new column's definition (`ADD COLUMN x int REFERENCES
        // t`) cannot be marked NOT VALID there: its events share the column's span.
        let in_column = ctx.statement.events.iter().any(|other| {
            other.span == event.span && matches!(other.change, Change::AddColumn { .. })
        });
        let fix = if in_column {
            "add the column without it, then the constraint with ADD CONSTRAINT ... NOT VALID"
        } else {
            "add it NOT VALID"
        };
        out.report(
            ctx.source,
            event.span,
            &[("kind", kind), ("table", &table.label), ("fix", fix)],
        );
    }
}
