//! DB010: PostgreSQL `timestamp` (without time zone) columns.

use audit_model::schema::MigrationRole;
use audit_syntax::StatementKind;

use super::for_each_typed_column;
use crate::checks::{Check, Emit};
use crate::project::SqlContext;

pub const CHECK: Check = Check::Sql {
    statements: &[StatementKind::CreateTable, StatementKind::AlterTable],
    run: check,
};

fn check(ctx: &SqlContext<'_>, out: &mut Emit<'_>) {
    // MySQL's TIMESTAMP is stored as UTC and its DATETIME has no zone variant; the
    // advice is PostgreSQL's.
    if ctx.migration == Some(MigrationRole::Down) || !ctx.dialect.postgres_syntax() {
        return;
    }
    for_each_typed_column(ctx, |name, data_type, span| {
        if data_type.is("timestamp") || data_type.is("timestamp[]") {
            out.report(ctx.source, span, &[("column", name.as_str())]);
        }
    });
}
