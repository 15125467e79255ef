//! DB002: `CREATE INDEX` without `CONCURRENTLY` on a table that already holds data.

use audit_model::schema::{Change, Origin};
use audit_syntax::{SqlDialect, StatementKind};

use crate::checks::{Check, Emit};
use crate::project::SqlContext;

pub const CHECK: Check = Check::Sql {
    statements: &[StatementKind::CreateIndex],
    run: check,
};

fn check(ctx: &SqlContext<'_>, out: &mut Emit<'_>) {
    // Only PostgreSQL builds a plain index under a write-blocking lock: MySQL/InnoDB
    // builds it online, SQL Server and the rest have no CONCURRENTLY, and CockroachDB
    // and YugabyteDB, though written like PostgreSQL, build every index online (their
    // CONCURRENTLY is a no-op, or the default). Only forward migrations run against
    // live tables.
    if ctx.dialect != SqlDialect::Postgres || !ctx.is_forward() {
        return;
    }
    for event in &ctx.statement.events {
        let Change::CreateIndex {
            table,
            concurrently: false,
            // `ON ONLY parent` builds nothing.
            only: false,
            ..
        } = &event.change
        else {
            continue;
        };
        // Nothing writes to a materialized view but its refresh, which is all such an
        // index holds up; reads go on.
        if ctx.schema.is_view(&table.key) {
            continue;
        }
        let origin = match ctx.origin(&table.key) {
            // A table created by this same migration is empty: a plain index is fine.
            Origin::ThisMigration => continue,
            Origin::Earlier(path) => format!("created in {path}"),
            Origin::Outside => {
                "not created by the scanned migrations, so it already exists".to_string()
            }
        };
        out.report(
            ctx.source,
            event.span,
            &[("table", &table.label), ("origin", &origin)],
        );
    }
}
