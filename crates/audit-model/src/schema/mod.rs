//! The schema model: migration statements lowered to the project's own events in the
//! per-file pass ([`lower`], [`event`]), then replayed in order, per migration set, into
//! tables with columns, primary keys, indexes, foreign keys and checks ([`replay`]).

mod alembic;
mod code_migration;
mod django;
pub mod event;
mod js;
mod knex;
mod lower;
mod replay;
mod sequelize;
mod sqitch;
mod typeorm;

use std::collections::BTreeMap;
use std::sync::Arc;

pub use alembic::{Revision, alembic_revision, lower_alembic};
pub use code_migration::{
    Classification, CodeLayout, classify_migration, code_layout, lower_code_migration,
};
pub use django::{django_app_label, lower_django};
pub use event::{
    Change, ColumnDef, ColumnType, Constraint, ConstraintDef, Event, IndexedRows, Name, Policy,
    PolicyCommand, Statement, TableKey, TableRef, WriteKind,
};
pub use knex::{is_knex_migration, lower_knex};
pub use lower::{SearchPath, lower};
pub use replay::{
    CodeMigration, DownFunction, FileShape, MIGRATION_DIRS, MigrationRole, Origin, Replayed,
    SqlSource, final_schemas, is_migration_path, replay,
};
pub use sequelize::{is_sequelize_migration, lower_sequelize};
pub use sqitch::{
    SqitchChange, SqitchPlan, SqitchRole, read_sqitch_plan, resolve_sqitch, sqitch_change,
};
pub use typeorm::{is_typeorm_migration, lower_typeorm};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column {
    pub name: Name,
    pub data_type: Option<ColumnType>,
    pub not_null: bool,
    pub has_default: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Index {
    pub name: Option<Name>,
    /// Leading plain columns, in order.
    pub columns: Vec<Name>,
    pub unique: bool,
    pub rows: IndexedRows,
    /// Made by Django's `unique_together`, which the next `AlterUniqueTogether` replaces.
    pub unique_together: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForeignKey {
    pub name: Option<Name>,
    pub columns: Vec<Name>,
    pub references: TableKey,
}

#[derive(Clone, Debug)]
pub struct Table {
    /// Which table this is across renames: the order of its creation in its set.
    pub id: u32,
    /// Path of the migration that created the table.
    pub created_in: Arc<str>,
    /// False when it was created by a statement read only from its keywords.
    pub columns_known: bool,
    pub columns: Vec<Column>,
    /// `Some` once the table has a primary key (its columns, empty when not known).
    pub primary_key: Option<Vec<Name>>,
    /// Indexes, with those of primary keys and unique constraints.
    pub indexes: Vec<Index>,
    pub foreign_keys: Vec<ForeignKey>,
    /// Named check constraints (unnamed ones are kept as `None`).
    pub checks: Vec<Option<Name>>,
    /// `ENABLE ROW LEVEL SECURITY` is in force.
    pub row_level_security: bool,
    /// The names of its row-level security policies.
    pub policies: Vec<Name>,
}

impl Table {
    pub fn column(&self, name: &Name) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == *name)
    }

    /// Whether an index has `columns` as its leading columns (in any order), so lookups
    /// by them, and the checks a foreign key makes, use it; or the primary key is made of
    /// some of them, so equality on them finds at most one row through it.
    pub fn has_index_leading_with(&self, columns: &[Name]) -> bool {
        let pinned_by_primary_key = self
            .primary_key
            .as_ref()
            .is_some_and(|pk| !pk.is_empty() && pk.iter().all(|c| columns.contains(c)));
        !columns.is_empty()
            && (pinned_by_primary_key
                || self.indexes.iter().any(|index| {
                    index.rows.serve_lookups_by(columns)
                        && index.columns.len() >= columns.len()
                        && columns
                            .iter()
                            .all(|c| index.columns[..columns.len()].contains(c))
                }))
    }
}

/// What a Django `RemoveField` drops ([`Schema::removed_field`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Removed {
    Column(Name),
    JoinTable(TableRef),
}

#[derive(Debug, Default, Clone)]
pub struct Schema {
    tables: BTreeMap<TableKey, Table>,
    /// Views, with the migration that created each.
    views: BTreeMap<TableKey, Arc<str>>,
    next_id: u32,
}

impl Schema {
    pub fn table(&self, key: &TableKey) -> Option<&Table> {
        self.tables.get(key)
    }

    /// The table known by `id` (see [`Table::id`]) under whatever name it has here.
    pub fn table_by_id(&self, id: u32) -> Option<(&TableKey, &Table)> {
        self.tables.iter().find(|(_, t)| t.id == id)
    }

    /// Where the table `key` comes from, for a statement of `migration` seeing this
    /// schema.
    pub fn origin(&self, key: &TableKey, migration: &str) -> Origin {
        let created_in = match self.tables.get(key) {
            Some(table) => Some(&table.created_in),
            None => self.views.get(key),
        };
        match created_in {
            Some(created_in) if **created_in == *migration => Origin::ThisMigration,
            Some(created_in) => Origin::Earlier(created_in.clone()),
            None => Origin::Outside,
        }
    }

    /// What Django's `RemoveField` of `field` on `table` drops as this schema stands: a
    /// column of that name, else a relation's `<field>_id`, else the join table Django
    /// made for a many-to-many field (`<table>_<field>`). A column of that name when the
    /// table, or all three, are unknown.
    pub fn removed_field(&self, table: &TableKey, field: &Name) -> Removed {
        let Some(model) = self.tables.get(table) else {
            return Removed::Column(field.clone());
        };
        if model.column(field).is_some() {
            return Removed::Column(field.clone());
        }
        let relation = Name::new(&format!("{}_id", field.as_str()), false);
        if model.column(&relation).is_some() {
            return Removed::Column(relation);
        }
        let join_table = django::join_table_key(table, field);
        if self.tables.contains_key(&join_table) {
            return Removed::JoinTable(TableRef::new(join_table));
        }
        Removed::Column(field.clone())
    }

    /// Whether `key` names a view the scanned migrations created (and no table).
    pub fn is_view(&self, key: &TableKey) -> bool {
        !self.tables.contains_key(key) && self.views.contains_key(key)
    }

    /// The id the next table created gets: what a `CREATE TABLE` seeing this schema
    /// creates, to be found again in the set's final schema.
    pub fn next_table_id(&self) -> u32 {
        self.next_id
    }

    pub fn tables(&self) -> impl Iterator<Item = (&TableKey, &Table)> {
        self.tables.iter()
    }

    /// Applies one forward migration statement's events.
    pub fn apply(&mut self, statement: &Statement, migration: &Arc<str>) {
        for event in &statement.events {
            self.apply_change(&event.change, migration);
        }
    }

    pub fn apply_change(&mut self, change: &Change, migration: &Arc<str>) {
        match change {
            Change::CreateTable {
                table,
                columns,
                constraints,
                if_not_exists,
                ..
            } => {
                // `IF NOT EXISTS`, or a `CREATE TABLE` read only from its keywords, does
                // not replace a table already known; one that parsed does.
                if (*if_not_exists || columns.is_none()) && self.tables.contains_key(&table.key) {
                    return;
                }
                let id = self.next_id;
                self.next_id += 1;
                let mut created = Table {
                    id,
                    created_in: migration.clone(),
                    columns_known: columns.is_some(),
                    columns: columns
                        .iter()
                        .flatten()
                        .map(|c| Column {
                            name: c.name.clone(),
                            data_type: c.data_type.clone(),
                            not_null: c.not_null,
                            has_default: c.has_default,
                        })
                        .collect(),
                    primary_key: None,
                    indexes: Vec::new(),
                    foreign_keys: Vec::new(),
                    checks: Vec::new(),
                    row_level_security: false,
                    policies: Vec::new(),
                };
                for constraint in constraints {
                    add_constraint(&mut created, constraint);
                }
                self.tables.insert(table.key.clone(), created);
            }
            Change::DropTable { table } => {
                self.tables.remove(&table.key);
            }
            Change::CreateView { view } => {
                self.views.insert(view.key.clone(), migration.clone());
            }
            Change::DropView { views } => {
                for view in views {
                    self.views.remove(&view.key);
                }
            }
            Change::RenameTable { table, to } => {
                if let Some(moved) = self.tables.remove(&table.key) {
                    self.tables.insert(to.clone(), moved);
                }
            }
            Change::RemoveField { table, field } => match self.removed_field(&table.key, field) {
                Removed::JoinTable(join_table) => {
                    self.tables.remove(&join_table.key);
                }
                Removed::Column(column) => {
                    if let Some(model) = self.tables.get_mut(&table.key) {
                        drop_column(model, &column);
                    }
                }
            },
            Change::Truncate { .. } | Change::Write { .. } => {}
            Change::DropIndex { names, .. } => {
                for table in self.tables.values_mut() {
                    table
                        .indexes
                        .retain(|i| i.name.as_ref().is_none_or(|n| !names.contains(n)));
                }
            }
            Change::RenameIndex { index, to } => {
                let named = |i: &&mut Index| i.name.as_ref() == Some(index);
                if let Some(renamed) = self
                    .tables
                    .values_mut()
                    .find_map(|t| t.indexes.iter_mut().find(named))
                {
                    renamed.name = Some(to.clone());
                }
            }
            change => {
                let Some(table) = change.table().and_then(|t| self.tables.get_mut(&t.key)) else {
                    return;
                };
                apply_to_table(table, change);
            }
        }
    }
}

/// Drops a column and what is built on it: its indexes, foreign keys and primary key.
fn drop_column(table: &mut Table, name: &Name) {
    table.columns.retain(|c| c.name != *name);
    table.indexes.retain(|i| !i.columns.contains(name));
    table.foreign_keys.retain(|f| !f.columns.contains(name));
    if table
        .primary_key
        .as_ref()
        .is_some_and(|pk| pk.contains(name))
    {
        table.primary_key = None;
    }
}

fn apply_to_table(table: &mut Table, change: &Change) {
    match change {
        Change::AddColumn { column: def, .. } => {
            table.columns.retain(|c| c.name != def.name);
            table.columns.push(Column {
                name: def.name.clone(),
                data_type: def.data_type.clone(),
                not_null: def.not_null,
                has_default: def.has_default,
            });
        }
        Change::DropColumn { column: name, .. } => drop_column(table, name),
        Change::RenameColumn {
            column: from, to, ..
        } => {
            if let Some(c) = column_mut(table, from) {
                c.name = to.clone();
            }
            let rename = |names: &mut Vec<Name>| {
                for n in names.iter_mut().filter(|n| *n == from) {
                    *n = to.clone();
                }
            };
            table
                .indexes
                .iter_mut()
                .for_each(|i| rename(&mut i.columns));
            table
                .foreign_keys
                .iter_mut()
                .for_each(|f| rename(&mut f.columns));
            if let Some(pk) = &mut table.primary_key {
                rename(pk);
            }
        }
        Change::AlterColumnType {
            column: name,
            data_type,
            ..
        } => {
            if let Some(c) = column_mut(table, name) {
                c.data_type = Some(data_type.clone());
            }
        }
        Change::SetNotNull { column: name, .. } | Change::DropNotNull { column: name, .. } => {
            if let Some(c) = column_mut(table, name) {
                c.not_null = matches!(change, Change::SetNotNull { .. });
            }
        }
        Change::SetDefault { column: name, .. } | Change::DropDefault { column: name, .. } => {
            if let Some(c) = column_mut(table, name) {
                c.has_default = matches!(change, Change::SetDefault { .. });
            }
        }
        Change::CreateIndex {
            name,
            columns,
            unique,
            rows,
            ..
        } => table.indexes.push(Index {
            name: name.clone(),
            columns: columns.clone(),
            unique: *unique,
            rows: rows.clone(),
            unique_together: false,
        }),
        Change::SetUniqueTogether { groups, .. } => {
            table.indexes.retain(|i| !i.unique_together);
            table.indexes.extend(groups.iter().map(|columns| Index {
                name: None,
                columns: columns.clone(),
                unique: true,
                rows: IndexedRows::All,
                unique_together: true,
            }));
        }
        Change::AddConstraint { constraint, .. } => add_constraint(table, constraint),
        Change::DropConstraint { name, .. } => {
            let named = |n: &Option<Name>| n.as_ref() == Some(name);
            table.indexes.retain(|i| !named(&i.name));
            table.foreign_keys.retain(|f| !named(&f.name));
            table.checks.retain(|c| !named(c));
            // PostgreSQL names an unnamed primary key `<table>_pkey`.
            if name.as_str().ends_with("_pkey") || name.as_str().ends_with("_pk") {
                table.primary_key = None;
            }
        }
        Change::DropPrimaryKey { .. } => table.primary_key = None,
        Change::SetRowLevelSecurity { enabled, .. } => table.row_level_security = *enabled,
        Change::CreatePolicy { policy, .. } => {
            table.policies.retain(|p| *p != policy.name);
            table.policies.push(policy.name.clone());
        }
        Change::DropPolicy { name, .. } => table.policies.retain(|p| p != name),
        _ => {}
    }
}

fn column_mut<'t>(table: &'t mut Table, name: &Name) -> Option<&'t mut Column> {
    table.columns.iter_mut().find(|c| c.name == *name)
}

fn add_constraint(table: &mut Table, def: &ConstraintDef) {
    let index = |columns: &[Name], unique| Index {
        name: def.name.clone(),
        columns: columns.to_vec(),
        unique,
        rows: IndexedRows::All,
        unique_together: false,
    };
    match &def.constraint {
        Constraint::PrimaryKey { columns } => {
            table.primary_key = Some(columns.clone());
            for c in table
                .columns
                .iter_mut()
                .filter(|c| columns.contains(&c.name))
            {
                c.not_null = true;
            }
            table.indexes.push(index(columns, true));
        }
        Constraint::Unique { columns } => table.indexes.push(index(columns, true)),
        Constraint::Index { columns } => table.indexes.push(index(columns, false)),
        Constraint::ForeignKey {
            columns,
            references,
            ..
        } => table.foreign_keys.push(ForeignKey {
            name: def.name.clone(),
            columns: columns.clone(),
            references: references.key.clone(),
        }),
        Constraint::Check => table.checks.push(def.name.clone()),
        Constraint::Other => {}
    }
}

impl std::fmt::Display for Schema {
    /// One line per table: `key@created_in (col type [not null] [default], ...) pk(...)
    /// index(...) fk(cols->table) check`, for snapshot tests and debugging.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (key, table) in &self.tables {
            let columns: Vec<String> = table
                .columns
                .iter()
                .map(|c| {
                    let mut text = c.name.to_string();
                    if let Some(t) = &c.data_type {
                        text.push_str(&format!(" {t}"));
                    }
                    if c.not_null {
                        text.push_str(" not null");
                    }
                    if c.has_default {
                        text.push_str(" default");
                    }
                    text
                })
                .collect();
            let names = |names: &[Name]| {
                names
                    .iter()
                    .map(Name::to_string)
                    .collect::<Vec<_>>()
                    .join(",")
            };
            write!(f, "{key}@{} ({})", table.created_in, columns.join(", "))?;
            if !table.columns_known {
                write!(f, " columns-unknown")?;
            }
            if let Some(pk) = &table.primary_key {
                write!(f, " pk({})", names(pk))?;
            }
            for index in &table.indexes {
                let unique = if index.unique { "unique " } else { "" };
                write!(f, " {unique}index({})", names(&index.columns))?;
            }
            for fk in &table.foreign_keys {
                write!(f, " fk({}->{})", names(&fk.columns), fk.references)?;
            }
            for _ in &table.checks {
                write!(f, " check")?;
            }
            if table.row_level_security {
                write!(f, " rls")?;
            }
            for policy in &table.policies {
                write!(f, " policy({policy})")?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
