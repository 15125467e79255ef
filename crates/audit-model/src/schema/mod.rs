//! The schema model: migrations replayed in order, per migration set, into tables, so
//! rules know which tables exist and which migration created them.
//!
//! [`replay`] walks every statement of the scanned `.sql` files and shows each one with
//! the schema as it stood just before it; [`table_key`] is how tables are named in it.

mod replay;

use std::collections::HashMap;
use std::sync::Arc;

use audit_syntax::sqlparser::ast::{
    AlterTableOperation, ObjectName, ObjectType, RenameTableNameKind, Statement,
};
use audit_syntax::{SqlStatement, StatementKind};

pub use replay::{MIGRATION_DIRS, MigrationRole, Replayed, SqlSource, is_migration_path, replay};

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

/// Lower-cased last part of a SQL object name (`public."Users"` -> `Users`, `users` ->
/// `users`): the key tables are known by in the schema model.
pub fn table_key(name: &ObjectName) -> String {
    name.0
        .last()
        .and_then(|part| part.as_ident())
        .map(|ident| {
            if ident.quote_style.is_some() {
                ident.value.clone()
            } else {
                ident.value.to_lowercase()
            }
        })
        .unwrap_or_else(|| name.to_string())
}

impl Schema {
    /// The table known by `key` (see [`table_key`]).
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

#[cfg(test)]
mod tests {
    use audit_syntax::{SqlDialect, parse_sql};

    use super::*;

    /// The schema after applying every statement of `sql` as one forward migration.
    fn applied(sql: &str) -> Schema {
        let file = parse_sql(sql, SqlDialect::Postgres).unwrap();
        let migration: Arc<str> = Arc::from("m/0001_x.sql");
        let mut schema = Schema::default();
        for statement in &file.statements {
            schema.apply(statement, &migration);
        }
        schema
    }

    fn columns<'a>(schema: &'a Schema, table: &str) -> Option<&'a [String]> {
        schema.table(table).map(|t| t.columns.as_slice())
    }

    #[test]
    fn keys_are_the_last_name_part_lowercased_unless_quoted() {
        let schema =
            applied("CREATE TABLE public.Users (id int);\nCREATE TABLE app.\"Orders\" (id int);\n");
        assert!(schema.table("users").is_some());
        assert!(schema.table("Orders").is_some());
        assert!(schema.table("orders").is_none());
    }

    #[test]
    fn columns_follow_alter_table() {
        let schema = applied(
            "CREATE TABLE t (id int, Name text);\nALTER TABLE t ADD COLUMN email text;\nALTER TABLE t DROP COLUMN NAME;\n",
        );
        assert_eq!(
            columns(&schema, "t"),
            Some(["id".to_string(), "email".to_string()].as_slice())
        );
    }

    #[test]
    fn renames_and_drops_move_and_remove_tables() {
        let schema = applied(
            "CREATE TABLE a (id int);\nALTER TABLE a RENAME TO b;\nCREATE TABLE c (id int);\nDROP TABLE c;\n",
        );
        assert!(schema.table("a").is_none());
        assert_eq!(&*schema.table("b").unwrap().created_in, "m/0001_x.sql");
        assert!(schema.table("c").is_none());
    }

    #[test]
    fn a_rejected_create_table_still_creates_the_table_and_a_rejected_drop_drops_it() {
        let create = "CREATE TABLE events (id int) WITH (fillfactor = 90) WITH (x = 1);\n";
        let drop = "DROP TABLE events FOO BAR;\n";
        for rejected in [create, drop] {
            let file = parse_sql(rejected, SqlDialect::Postgres).unwrap();
            assert!(file.statements[0].ast.is_err(), "{rejected}");
        }
        let schema = applied(create);
        assert_eq!(columns(&schema, "events"), Some([].as_slice()));
        assert!(
            applied(&format!("{create}{drop}"))
                .table("events")
                .is_none()
        );
        // A rejected CREATE TABLE does not replace a table already known.
        let schema = applied(&format!("CREATE TABLE events (id int);\n{create}"));
        assert_eq!(
            columns(&schema, "events"),
            Some(["id".to_string()].as_slice())
        );
    }
}
