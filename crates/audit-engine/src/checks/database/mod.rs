pub mod db001_table_without_primary_key;
pub mod db002_index_blocks_writes;
pub mod db003_required_column_without_default;
pub mod db004_destructive_migration;
pub mod db005_column_type_rewrite;
pub mod db006_foreign_key_without_index;
pub mod db007_foreign_key_locks_table;
pub mod db009_float_for_money;
pub mod db010_timestamp_without_time_zone;
pub mod db011_unbounded_write;
pub mod db012_sql_parse_error;

use audit_core::Span;
use audit_model::schema::{Change, ColumnType, Name};

use crate::project::SqlContext;

/// Every column a statement gives a type: created, added or retyped.
pub(crate) fn for_each_typed_column(
    ctx: &SqlContext<'_>,
    mut each: impl FnMut(&Name, &ColumnType, Span),
) {
    for event in &ctx.statement.events {
        match &event.change {
            Change::CreateTable {
                columns: Some(columns),
                ..
            } => {
                for column in columns {
                    if let Some(t) = &column.data_type {
                        each(&column.name, t, column.type_span);
                    }
                }
            }
            Change::AddColumn { column, .. } => {
                if let Some(t) = &column.data_type {
                    each(&column.name, t, column.type_span);
                }
            }
            Change::AlterColumnType {
                column, data_type, ..
            } => each(column, data_type, event.span),
            _ => {}
        }
    }
}
pub mod db008_missing_rollback;
pub mod db013_row_level_security_missing;
pub mod db020_query_in_loop;
pub mod db021_connection_per_call;
pub mod db022_redis_keys_scan;
pub mod db023_cache_without_ttl;
pub mod db024_multi_write_without_transaction;
pub mod db025_select_star;

/// A schema migration, in SQL or in code, whose code runs once, at deploy.
pub(crate) fn is_migration(path: &str, text: &str) -> bool {
    audit_model::schema::is_migration_path(path)
        || text.contains("from alembic import op")
        // A Django migration in a folder of another name (`MIGRATION_MODULES`).
        || text.contains("(migrations.Migration)")
}

/// Seed and fixture scripts, files under `scripts/` and Django management commands run by hand, and migrations
/// once per deploy: their
/// loops and writes are not the application's (the SQL of code migrations is checked as
/// migrations).
pub(crate) fn is_script_or_migration(path: &str, text: &str) -> bool {
    is_migration(path, text)
        || path.contains("management/commands/")
        || path.split(['/', '\\']).any(|part| {
            let stem = part.split('.').next().unwrap_or(part).to_ascii_lowercase();
            stem.starts_with("seed") || stem == "fixtures" || stem == "scripts"
        })
}
