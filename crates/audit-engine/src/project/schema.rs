//! The schema model migrations are replayed into, so rules know which tables exist
//! and which migration created them.

use std::collections::HashMap;
use std::sync::Arc;

use audit_syntax::sqlparser::ast::{
    AlterTableOperation, ObjectType, RenameTableNameKind, Statement,
};
use audit_syntax::{SqlStatement, StatementKind};

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

    /// Applies one forward migration statement. Of the statements the parser rejected
    /// only what their keywords make certain counts: `CREATE TABLE name` creates the
    /// table (its columns unknown), `DROP TABLE name` drops it; the rest changes nothing,
    /// so the model under-approximates rather than guesses.
    pub fn apply(&mut self, statement: &SqlStatement, migration: &Arc<str>) {
        let Ok(ast) = &statement.ast else {
            let Some(name) = &statement.table else {
                return;
            };
            match statement.kind {
                StatementKind::CreateTable => {
                    self.tables.entry(table_key(name)).or_insert_with(|| Table {
                        created_in: migration.clone(),
                        columns: Vec::new(),
                    });
                }
                StatementKind::DropTable => {
                    self.tables.remove(&table_key(name));
                }
                _ => {}
            }
            return;
        };
        self.apply_parsed(ast, migration);
    }

    fn apply_parsed(&mut self, statement: &Statement, migration: &Arc<str>) {
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
