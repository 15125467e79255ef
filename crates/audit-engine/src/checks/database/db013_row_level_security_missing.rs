//! DB013: in a Supabase project, a table of the `public` schema (served by the
//! auto-generated API to anyone holding the anon key) that the history leaves without row
//! level security, and policies that let `anon`/`public` change or delete every row.

use audit_model::schema::{Change, Policy, PolicyCommand};
use audit_syntax::{SqlDialect, StatementKind};

use crate::checks::{Check, Emit};
use crate::project::SqlContext;

pub const CHECK: Check = Check::Sql {
    // `CREATE POLICY` has no kind of its own.
    statements: &[StatementKind::CreateTable, StatementKind::Other],
    run: check,
};

fn check(ctx: &SqlContext<'_>, out: &mut Emit<'_>) {
    if ctx.dialect != SqlDialect::Postgres || !ctx.is_forward() || !is_supabase(&ctx.source.path) {
        return;
    }
    for event in &ctx.statement.events {
        match &event.change {
            Change::CreateTable {
                table,
                temporary: false,
                ..
            } if table.key.schema.is_none() => {
                // A table already there (`IF NOT EXISTS`) is not created here.
                if ctx.schema.table(&table.key).is_some() {
                    continue;
                }
                // The table as the history leaves it, under whatever name: dropped, or
                // moved out of `public`, it is not exposed.
                let Some((key, last)) = ctx.final_schema.table_by_id(ctx.schema.next_table_id())
                else {
                    continue;
                };
                if key.schema.is_some() || last.row_level_security {
                    continue;
                }
                let problem = "is left without `ENABLE ROW LEVEL SECURITY` by its migrations, so anyone holding the anon key can read and change every row";
                let fix = "add `ALTER TABLE ... ENABLE ROW LEVEL SECURITY` and policies for the access you intend (or create the table in a schema the API does not expose)";
                out.report(
                    ctx.source,
                    event.span,
                    &[("table", &table.label), ("problem", problem), ("fix", fix)],
                );
            }
            Change::CreatePolicy { table, policy } if table.key.schema.is_none() => {
                let Some(role) = opens_every_row(policy) else {
                    continue;
                };
                // Reported only when the policy is still in force at the end.
                let kept = ctx
                    .schema
                    .table(&table.key)
                    .and_then(|t| ctx.final_schema.table_by_id(t.id))
                    .is_some_and(|(key, t)| {
                        key.schema.is_none() && t.policies.contains(&policy.name)
                    });
                if !kept {
                    continue;
                }
                let command = match policy.command {
                    PolicyCommand::Update => "change",
                    PolicyCommand::Delete => "delete",
                    _ => "read, change and delete",
                };
                let problem = format!(
                    "its policy `{}` lets `{role}` {command} every row (`USING (true)`)",
                    policy.name
                );
                let fix = "restrict `USING` to the rows the user owns (`auth.uid() = user_id`) or grant it `TO authenticated` with such a condition";
                out.report(
                    ctx.source,
                    event.span,
                    &[("table", &table.label), ("problem", &problem), ("fix", fix)],
                );
            }
            _ => {}
        }
    }
}

/// The role (`anon`, or `public`, which includes it) a permissive policy lets update or
/// delete every row; reading, and inserting (a public feedback form), are left alone.
fn opens_every_row(policy: &Policy) -> Option<&str> {
    let writes = matches!(
        policy.command,
        PolicyCommand::All | PolicyCommand::Update | PolicyCommand::Delete
    );
    if policy.restrictive || !policy.using_true || !writes {
        return None;
    }
    policy
        .roles
        .iter()
        .flatten()
        .map(|r| r.as_str())
        .find(|r| matches!(*r, "anon" | "public"))
}

/// A Supabase project's migrations: `supabase/migrations/` (the CLI's fixed layout,
/// beside its `config.toml`).
fn is_supabase(path: &str) -> bool {
    path.starts_with("supabase/migrations/") || path.contains("/supabase/migrations/")
}
