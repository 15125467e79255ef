//! DB012: a `.sql` file with a statement its dialect does not recognise, once per file.

use audit_model::schema::Statement;
use audit_syntax::StatementKind;

use crate::checks::{Check, Emit, excerpt};
use crate::project::SqlContext;

pub const CHECK: Check = Check::Sql {
    statements: &[
        StatementKind::CreateTable,
        StatementKind::CreateIndex,
        StatementKind::AlterTable,
        StatementKind::DropTable,
        StatementKind::DropIndex,
        StatementKind::Truncate,
        StatementKind::Insert,
        StatementKind::Update,
        StatementKind::Delete,
        StatementKind::Other,
    ],
    run: check,
};

fn check(ctx: &SqlContext<'_>, out: &mut Emit<'_>) {
    let mut unrecognised = ctx.sql.statements.iter().filter(|s| is_mistake(s));
    let first = unrecognised.next();
    if !first.is_some_and(|first| std::ptr::eq(first, ctx.statement)) {
        return;
    }
    let count = (1 + unrecognised.count()).to_string();
    let span = ctx.statement.span;
    let head = excerpt(&ctx.source.text[span.start..span.end]);
    let dialect = ctx.dialect.to_string();
    out.report(
        ctx.source,
        span,
        &[
            ("head", &head),
            ("dialect", &dialect),
            (
                "error",
                ctx.statement.error.as_deref().unwrap_or("rejected"),
            ),
            ("count", &count),
        ],
    );
}

/// Rejected and unlike any statement of the dialect; a statement nested deeper than the
/// parser goes is valid SQL, noted but not the user's mistake.
fn is_mistake(statement: &Statement) -> bool {
    !statement.recognised && !statement.too_deep
}
