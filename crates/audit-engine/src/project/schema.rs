//! The schema model migrations are replayed into, so rules know which tables exist
//! and which migration created them.

use std::collections::HashMap;
use std::sync::Arc;

use audit_syntax::sqlparser::ast::{
    AlterTableOperation, ObjectType, RenameTableNameKind, Statement,
};

use crate::checks::table_key;

#[derive(Debug, Clone)]
pub struct Table {
    /// Path of the migration that created the table.
    pub created_in: Arc<str>,
    pub columns: Vec<String>,
}

#[derive(Debug, Default)]
pub struct Schema {
    tables: HashMap<String, Table>,
}

impl Schema {
    pub fn table(&self, key: &str) -> Option<&Table> {
        self.tables.get(key)
    }

    /// Applies one migration statement. Statements the parser rejected change nothing:
    /// the model under-approximates rather than guesses.
    pub fn apply(&mut self, statement: &Statement, migration: &Arc<str>) {
        match statement {
            Statement::CreateTable(create) => {
                let columns = create
                    .columns
                    .iter()
                    .map(|c| c.name.value.to_lowercase())
                    .collect();
                self.tables.insert(
                    table_key(&create.name),
                    Table {
                        created_in: migration.clone(),
                        columns,
                    },
                );
            }
            Statement::Drop {
                object_type: ObjectType::Table,
                names,
                ..
            } => {
                for name in names {
                    self.tables.remove(&table_key(name));
                }
            }
            Statement::RenameTable(renames) => {
                for rename in renames {
                    self.rename(&table_key(&rename.old_name), table_key(&rename.new_name));
                }
            }
            Statement::AlterTable(alter) => {
                let key = table_key(&alter.name);
                for operation in &alter.operations {
                    match operation {
                        AlterTableOperation::AddColumn { column_def, .. } => {
                            if let Some(table) = self.tables.get_mut(&key) {
                                table.columns.push(column_def.name.value.to_lowercase());
                            }
                        }
                        AlterTableOperation::DropColumn { column_names, .. } => {
                            if let Some(table) = self.tables.get_mut(&key) {
                                table.columns.retain(|c| {
                                    !column_names.iter().any(|n| n.value.eq_ignore_ascii_case(c))
                                });
                            }
                        }
                        AlterTableOperation::RenameTable { table_name } => {
                            let (RenameTableNameKind::As(new) | RenameTableNameKind::To(new)) =
                                table_name;
                            self.rename(&key, table_key(new));
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }

    fn rename(&mut self, old: &str, new: String) {
        if let Some(table) = self.tables.remove(old) {
            self.tables.insert(new, table);
        }
    }
}
