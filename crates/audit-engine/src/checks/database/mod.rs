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
