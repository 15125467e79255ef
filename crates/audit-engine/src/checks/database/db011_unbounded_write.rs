//! DB011: `UPDATE` or `DELETE` without `WHERE` in a migration, and in SQL sent from
//! code (`pool.query("DELETE FROM sessions")`), a Knex `update`/`del` with no `where`, a
//! Django `Model.objects.all().delete()`/`.update()`.

use audit_model::queries::SqlKind;
use audit_model::schema::{Change, Origin, WriteKind};
use audit_syntax::StatementKind;

use crate::checks::{Check, CodeContext, Emit};
use crate::project::SqlContext;

pub const CHECK: Check = Check::Several(&[
    Check::Sql {
        statements: &[StatementKind::Update, StatementKind::Delete],
        run: check,
    },
    Check::Code {
        anchors: &[
            "DELETE", "delete", "Delete", "UPDATE", "update", "Update", "del(",
        ],
        run: check_code,
    },
]);

fn check_code(ctx: &CodeContext<'_>, out: &mut Emit<'_>) {
    // Code migrations' SQL is checked with the migrations.
    if ctx.is_script_or_migration() {
        return;
    }
    for query in &ctx.queries().queries {
        for statement in &query.sql {
            if statement.filtered || !matches!(statement.kind, SqlKind::Update | SqlKind::Delete) {
                continue;
            }
            let verb = match statement.kind {
                SqlKind::Update => "UPDATE",
                _ => "DELETE",
            };
            let table = statement.tables.first().map_or("?", String::as_str);
            out.report(
                ctx.source,
                query.sql_span.unwrap_or(query.span),
                &[("verb", verb), ("table", table)],
            );
        }
    }
}

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
