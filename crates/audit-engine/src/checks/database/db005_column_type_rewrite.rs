//! DB005: `ALTER COLUMN ... TYPE` that rewrites an existing table (PostgreSQL).

use audit_model::schema::{Change, ColumnType, Origin};
use audit_syntax::StatementKind;

use crate::checks::{Check, Emit};
use crate::project::SqlContext;

pub const CHECK: Check = Check::Sql {
    statements: &[StatementKind::AlterTable],
    run: check,
};

fn check(ctx: &SqlContext<'_>, out: &mut Emit<'_>) {
    if !ctx.is_forward() || !ctx.dialect.postgres_syntax() {
        return;
    }
    for event in &ctx.statement.events {
        let Change::AlterColumnType {
            table,
            column,
            data_type,
            using,
        } = &event.change
        else {
            continue;
        };
        if ctx.origin(&table.key) == Origin::ThisMigration {
            continue;
        }
        let old = ctx
            .schema
            .table(&table.key)
            .and_then(|t| t.column(column))
            .and_then(|c| c.data_type.as_ref());
        let from = match old {
            Some(old) if !using && !rewrites(old, data_type) => continue,
            // PostgreSQL 12 skips this rewrite when the session's time zone is UTC, which
            // a migration file cannot show.
            Some(old) if old.is("timestamp") && data_type.is("timestamptz") => {
                format!(
                    "from {old}; PostgreSQL 12+ skips the rewrite only when the session time zone is UTC"
                )
            }
            Some(old) => format!("from {old}"),
            // Without the old type, a change to a text or numeric type may be a
            // widening that rewrites nothing: not reported.
            None if !using && is_text_or_numeric(data_type) => continue,
            None => "from a type the scanned migrations do not show".to_string(),
        };
        let to = data_type.to_string();
        out.report(
            ctx.source,
            event.span,
            &[
                ("column", column.as_str()),
                ("table", &table.label),
                ("type", &to),
                ("from", &from),
            ],
        );
    }
}

fn is_text_or_numeric(t: &ColumnType) -> bool {
    t.is("text") || t.is("varchar") || t.is("numeric")
}

/// Whether PostgreSQL rewrites the table to change `old` to `new`: not for the same
/// type, a longer or unbounded `varchar`, `varchar` to `text`, more precision at the
/// same scale or unbounded `numeric`, `cidr` to `inet`, a longer `varbit`.
fn rewrites(old: &ColumnType, new: &ColumnType) -> bool {
    if old == new {
        return false;
    }
    let widens = |old: &ColumnType, new: &ColumnType| match (old.args.first(), new.args.first()) {
        (_, None) => true,
        (Some(o), Some(n)) => n >= o,
        (None, Some(_)) => false,
    };
    let safe = match (&*old.name, &*new.name) {
        ("varchar" | "text", "text") => true,
        ("varchar", "varchar") => widens(old, new),
        ("text", "varchar") => new.args.is_empty(),
        ("numeric", "numeric") => {
            new.args.is_empty()
                || (widens(old, new)
                    && old.args.get(1).unwrap_or(&0) == new.args.get(1).unwrap_or(&0))
        }
        ("varbit" | "bit varying", "varbit" | "bit varying") => widens(old, new),
        ("cidr", "inet") => true,
        _ => false,
    };
    !safe
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewrite(old: &str, new: &str) -> bool {
        rewrites(&ColumnType::parse(old), &ColumnType::parse(new))
    }

    #[test]
    fn widening_changes_rewrite_nothing() {
        assert!(!rewrite("varchar(20)", "varchar(40)"));
        assert!(!rewrite("varchar(20)", "text"));
        assert!(!rewrite("character varying(20)", "varchar"));
        assert!(!rewrite("numeric(10,2)", "numeric(12,2)"));
        assert!(!rewrite("numeric(10,2)", "numeric"));
        assert!(!rewrite("cidr", "inet"));
        assert!(rewrite("varchar(40)", "varchar(20)"));
        assert!(rewrite("numeric(10,2)", "numeric(12,4)"));
        assert!(rewrite("int", "bigint"));
        assert!(rewrite("timestamp", "timestamptz"));
        assert!(rewrite("text", "varchar(10)"));
    }
}
