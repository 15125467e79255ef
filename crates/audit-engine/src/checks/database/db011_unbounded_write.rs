//! DB011: `UPDATE` or `DELETE` without `WHERE` in a migration.

use audit_model::schema::{Change, Origin, WriteKind};
use audit_syntax::StatementKind;

use crate::checks::{Check, Emit};
use crate::project::SqlContext;

pub const CHECK: Check = Check::Sql {
    statements: &[StatementKind::Update, StatementKind::Delete],
    run: check,
};

fn check(ctx: &SqlContext<'_>, out: &mut Emit<'_>) {
    if !ctx.is_forward() {
        return;
    }
    for event in &ctx.statement.events {
        let Change::Write {
            table,
            kind,
            filtered: false,
        } = &event.change
        else {
            continue;
        };
        // A table this migration created holds only what it just wrote.
        if table
            .as_ref()
            .is_some_and(|t| ctx.origin(&t.key) == Origin::ThisMigration)
        {
            continue;
        }
        let verb = match kind {
            WriteKind::Update => "UPDATE",
            WriteKind::Delete => "DELETE",
        };
        let label = table.as_ref().map_or("?", |t| &t.label);
        let head_end = ctx.source.text[event.span.start..event.span.end]
            .find('\n')
            .map_or(event.span.end, |i| event.span.start + i);
        out.report(
            ctx.source,
            audit_core::Span::new(event.span.start, head_end),
            &[("verb", verb), ("table", label)],
        );
    }
}
