//! Sequelize migrations lowered to the same schema events as SQL: the `queryInterface`
//! calls of `up`/`down` (`createTable`, `dropTable`, `renameTable`, `addColumn`,
//! `removeColumn`, `changeColumn`, `renameColumn`, `addIndex` with `concurrently`,
//! `removeIndex`, `addConstraint`, `removeConstraint`, `bulkUpdate`/`bulkDelete`) and
//! the SQL of `queryInterface.sequelize.query("...")`, those in `down` marked as rollback.

use audit_syntax::tree_sitter::{Node, Tree};
use audit_syntax::{SqlDialect, StatementKind};

use super::event::{
    Change, ColumnDef, ColumnType, Constraint, ConstraintDef, Event, IndexedRows, Name, Statement,
    TableKey, TableRef, WriteKind,
};
use super::js::{
    arguments, boolean, down_function, embedded_sql, in_down, member_call, node_span, number,
    object_of, plain_string, properties, property, sql_argument, strings_in,
};
use super::replay::CodeMigration;
use crate::code::CodeSemantics;
use crate::code::nodes::{Fields, KindName};

/// The query interface's methods that change the schema or its rows.
const OPERATIONS: &[&str] = &[
    "createTable",
    "dropTable",
    "renameTable",
    "addColumn",
    "removeColumn",
    "changeColumn",
    "renameColumn",
    "addIndex",
    "removeIndex",
    "addConstraint",
    "removeConstraint",
    "bulkUpdate",
    "bulkDelete",
    "bulkInsert",
    "createSchema",
    "dropSchema",
    "createFunction",
    "dropFunction",
    "dropAllTables",
];

/// Whether a JS/TS file reads like a Sequelize migration.
pub fn is_sequelize_migration(text: &str) -> bool {
    text.contains("queryInterface") || text.contains("QueryInterface")
}

/// The schema changes of a Sequelize migration, lowered.
pub fn lower_sequelize(
    tree: &Tree,
    semantics: &CodeSemantics,
    text: &str,
    dialect: SqlDialect,
) -> CodeMigration {
    let root = tree.root_node();
    let mut migration = CodeMigration {
        down_function: down_function(semantics, text),
        ..CodeMigration::default()
    };
    let reader = Reader { text, dialect };
    for call in semantics.calls() {
        let Some(node) = root.descendant_for_byte_range(call.span.start, call.span.end) else {
            continue;
        };
        let Some((object, method)) = member_call(node, text) else {
            continue;
        };
        let in_down = in_down(semantics, call.span.start);
        let args = arguments(node);
        // `queryInterface.sequelize.query(sql)`, `sequelize.query(sql)`.
        if method == "query" {
            let written = &text[object.byte_range()];
            if !written.ends_with("sequelize") {
                continue;
            }
            match args.first().and_then(|a| sql_argument(*a, semantics, text)) {
                Some(sql) => {
                    let statements = embedded_sql(&sql, dialect, in_down);
                    if statements.is_empty() && !sql.value.trim().is_empty() {
                        migration.unclassified.push(call.span);
                    }
                    migration.statements.extend(statements);
                }
                None => migration.unclassified.push(call.span),
            }
            continue;
        }
        if !OPERATIONS.contains(&method) || !is_query_interface(object, semantics, text) {
            continue;
        }
        match reader.operation(node, method, &args) {
            Some(lowered) => {
                migration
                    .statements
                    .extend(lowered.into_iter().map(|(kind, events)| {
                        Statement::from_code(call.span, kind, events, in_down, false)
                    }))
            }
            None => migration.unclassified.push(call.span),
        }
    }
    migration
        .statements
        .sort_by_key(|s| (s.span.start, s.span.end));
    migration
}

/// `queryInterface`, or the first parameter of the `up`/`down` it is called in.
fn is_query_interface(object: Node<'_>, semantics: &CodeSemantics, text: &str) -> bool {
    let written = &text[object.byte_range()];
    if written.ends_with("queryInterface") {
        return true;
    }
    let functions = semantics.functions();
    let mut current = semantics.enclosing_function_index(object.start_byte());
    while let Some(index) = current {
        let function = &functions[index];
        if matches!(function.name.as_deref(), Some("up" | "down")) {
            return function
                .parameters
                .first()
                .is_some_and(|p| p.name == written);
        }
        current = function.parent;
    }
    false
}

/// The rows an index's `where: { deletedAt: null, status: { [Op.ne]: "down" } }` leaves
/// in it: the columns its keys name (those of a condition that is not an object literal
/// of plain keys are not known here).
fn condition_rows(condition: Node<'_>, text: &str) -> IndexedRows {
    let Some(object) = object_of(condition) else {
        return IndexedRows::Partial(Vec::new());
    };
    let keys = properties(object, text);
    // Every entry a plain key: not `[Op.or]: [...]`, not `...spread`.
    if keys.len() != object.named_child_count() {
        return IndexedRows::Partial(Vec::new());
    }
    IndexedRows::Partial(keys.iter().map(|(key, _)| Name::new(key, true)).collect())
}

struct Reader<'a> {
    text: &'a str,
    dialect: SqlDialect,
}

type Lowered = Vec<(StatementKind, Vec<Event>)>;

impl Reader<'_> {
    fn operation(&self, call: Node<'_>, method: &str, args: &[Node<'_>]) -> Option<Lowered> {
        let span = node_span(call);
        let event = |change| vec![Event { span, change }];
        let table = |i: usize| self.table(*args.get(i)?);
        let string = |i: usize| plain_string(*args.get(i)?, self.text).map(|s| s.value);
        let name = |i: usize| string(i).map(|s| Name::new(&s, true));
        let alter = |events| Some(vec![(StatementKind::AlterTable, events)]);
        match method {
            "createTable" => {
                let table = table(0)?;
                let mut columns = Vec::new();
                let mut constraints = Vec::new();
                for (column, attributes) in properties(object_of(*args.get(1)?)?, self.text) {
                    columns.push(self.column(
                        Name::new(&column, true),
                        attributes,
                        &mut constraints,
                    ));
                }
                let primary: Vec<Name> = constraints
                    .iter()
                    .filter_map(|c| match &c.constraint {
                        Constraint::PrimaryKey { columns } => columns.first().cloned(),
                        _ => None,
                    })
                    .collect();
                if primary.len() > 1 {
                    constraints.retain(|c| !matches!(c.constraint, Constraint::PrimaryKey { .. }));
                    constraints.push(ConstraintDef {
                        name: None,
                        constraint: Constraint::PrimaryKey { columns: primary },
                        span,
                    });
                }
                Some(vec![(
                    StatementKind::CreateTable,
                    event(Change::CreateTable {
                        table,
                        columns: Some(columns),
                        constraints,
                        if_not_exists: false,
                        temporary: false,
                    }),
                )])
            }
            "dropTable" => Some(vec![(
                StatementKind::DropTable,
                event(Change::DropTable { table: table(0)? }),
            )]),
            "renameTable" => alter(event(Change::RenameTable {
                table: table(0)?,
                to: table(1)?.key,
            })),
            "addColumn" => {
                let table = table(0)?;
                let mut constraints = Vec::new();
                let column = self.column(name(1)?, *args.get(2)?, &mut constraints);
                let mut events = event(Change::AddColumn {
                    table: table.clone(),
                    column,
                });
                events.extend(constraint_events(span, &table, constraints));
                alter(events)
            }
            "removeColumn" => alter(event(Change::DropColumn {
                table: table(0)?,
                column: name(1)?,
            })),
            "renameColumn" => alter(event(Change::RenameColumn {
                table: table(0)?,
                column: name(1)?,
                to: name(2)?,
            })),
            // Sequelize restates the column: its type, NOT NULL set or dropped, and the
            // constraints its attributes add (`references` a foreign key, `unique`).
            "changeColumn" => {
                let table = table(0)?;
                let column = name(1)?;
                let mut constraints = Vec::new();
                let def = self.column(column.clone(), *args.get(2)?, &mut constraints);
                let mut events = Vec::new();
                if let Some(data_type) = def.data_type {
                    events.push(Event {
                        span,
                        change: Change::AlterColumnType {
                            table: table.clone(),
                            column: column.clone(),
                            data_type,
                            using: false,
                        },
                    });
                }
                events.push(Event {
                    span,
                    change: if def.not_null {
                        Change::SetNotNull {
                            table: table.clone(),
                            column,
                        }
                    } else {
                        Change::DropNotNull {
                            table: table.clone(),
                            column,
                        }
                    },
                });
                events.extend(constraint_events(span, &table, constraints));
                alter(events)
            }
            // `addIndex(table, ["a"], { unique, concurrently })` or `addIndex(table,
            // { fields: ["a"], ... })`.
            "addIndex" => {
                let table = table(0)?;
                let second = *args.get(1)?;
                let (fields, options) = match object_of(second) {
                    Some(options) => (property(options, "fields", self.text)?, Some(options)),
                    None => (second, args.get(2).and_then(|o| object_of(*o))),
                };
                let columns = self.fields(fields);
                let option = |key| options.and_then(|o| property(o, key, self.text));
                let name = option("name")
                    .and_then(|n| plain_string(n, self.text))
                    .map(|s| Name::new(&s.value, true))
                    .or_else(|| Some(default_index_name(&table, &columns)));
                Some(vec![(
                    StatementKind::CreateIndex,
                    event(Change::CreateIndex {
                        table,
                        name,
                        columns,
                        unique: boolean(option("unique")) == Some(true),
                        concurrently: boolean(option("concurrently")) == Some(true),
                        only: false,
                        rows: match option("where") {
                            Some(condition) => condition_rows(condition, self.text),
                            None => IndexedRows::All,
                        },
                    }),
                )])
            }
            "removeIndex" => {
                let table = table(0)?;
                let second = *args.get(1)?;
                let name = match plain_string(second, self.text) {
                    Some(name) => Name::new(&name.value, true),
                    None => default_index_name(&table, &self.fields(second)),
                };
                let concurrently = args
                    .get(2)
                    .and_then(|o| object_of(*o))
                    .is_some_and(|o| boolean(property(o, "concurrently", self.text)) == Some(true));
                Some(vec![(
                    StatementKind::DropIndex,
                    event(Change::DropIndex {
                        names: vec![name],
                        concurrently,
                    }),
                )])
            }
            "addConstraint" => {
                let table = table(0)?;
                // `addConstraint(table, { fields, type, ... })`, or the older
                // `addConstraint(table, ["a"], { type, ... })`.
                let second = *args.get(1)?;
                let (fields, options) = match object_of(second) {
                    Some(options) => (property(options, "fields", self.text), options),
                    None => (Some(second), object_of(*args.get(2)?)?),
                };
                let columns = fields.map(|f| self.fields(f)).unwrap_or_default();
                let kind = plain_string(property(options, "type", self.text)?, self.text)?
                    .value
                    .to_ascii_lowercase();
                let constraint = match kind.as_str() {
                    "unique" => Constraint::Unique { columns },
                    "primary key" => Constraint::PrimaryKey { columns },
                    "check" => Constraint::Check,
                    "foreign key" => {
                        let references = object_of(property(options, "references", self.text)?)?;
                        Constraint::ForeignKey {
                            columns,
                            references: self.table(property(references, "table", self.text)?)?,
                            referred_columns: property(references, "field", self.text)
                                .map(|f| strings_in(f, self.text))
                                .unwrap_or_default()
                                .iter()
                                .map(|c| Name::new(c, true))
                                .collect(),
                        }
                    }
                    // A column default changes no key, index or check.
                    "default" => return alter(Vec::new()),
                    _ => return None,
                };
                alter(event(Change::AddConstraint {
                    table,
                    constraint: ConstraintDef {
                        name: property(options, "name", self.text)
                            .and_then(|n| plain_string(n, self.text))
                            .map(|s| Name::new(&s.value, true)),
                        constraint,
                        span,
                    },
                    not_valid: false,
                }))
            }
            "removeConstraint" => alter(event(Change::DropConstraint {
                table: table(0)?,
                name: name(1)?,
            })),
            // `bulkDelete(table, where)`, `bulkUpdate(table, values, where)`: an empty
            // or missing `where` touches every row.
            "bulkDelete" | "bulkUpdate" => {
                let table = table(0)?;
                let (kind, statement, position) = if method == "bulkDelete" {
                    (WriteKind::Delete, StatementKind::Delete, 1)
                } else {
                    (WriteKind::Update, StatementKind::Update, 2)
                };
                let filtered = args.get(position).is_some_and(|w| match w.kind_name() {
                    "null" | "undefined" => false,
                    "object" => w.named_child_count() > 0,
                    _ => true,
                });
                Some(vec![(
                    statement,
                    event(Change::Write {
                        table: Some(table),
                        kind,
                        filtered,
                    }),
                )])
            }
            // Rows added, schemas and functions: nothing a rule reads from their tables.
            "bulkInsert" | "createSchema" | "dropSchema" | "createFunction" | "dropFunction"
            | "dropAllTables" => Some(vec![(StatementKind::Other, Vec::new())]),
            _ => None,
        }
    }

    /// `"Users"`, or `{ tableName: "Users", schema: "billing" }`.
    fn table(&self, node: Node<'_>) -> Option<TableRef> {
        if let Some(name) = plain_string(node, self.text) {
            return Some(table_ref(None, &name.value));
        }
        let object = object_of(node)?;
        let name = plain_string(property(object, "tableName", self.text)?, self.text)?.value;
        let schema = property(object, "schema", self.text)
            .and_then(|s| plain_string(s, self.text))
            .map(|s| s.value);
        Some(table_ref(schema.as_deref(), &name))
    }

    /// A column from its attributes (`{ type: Sequelize.STRING, allowNull: false }`, or
    /// the type alone): nullable unless `allowNull: false` or a primary key.
    fn column(
        &self,
        name: Name,
        attributes: Node<'_>,
        constraints: &mut Vec<ConstraintDef>,
    ) -> ColumnDef {
        let span = node_span(attributes);
        let Some(object) = object_of(attributes) else {
            return ColumnDef {
                name,
                data_type: self.data_type(attributes),
                not_null: false,
                has_default: false,
                type_span: span,
                span,
            };
        };
        let flag = |key| boolean(property(object, key, self.text));
        let primary = flag("primaryKey") == Some(true);
        if primary {
            constraints.push(ConstraintDef {
                name: None,
                constraint: Constraint::PrimaryKey {
                    columns: vec![name.clone()],
                },
                span,
            });
        }
        if flag("unique") == Some(true) {
            constraints.push(ConstraintDef {
                name: None,
                constraint: Constraint::Unique {
                    columns: vec![name.clone()],
                },
                span,
            });
        }
        if let Some(references) = property(object, "references", self.text).and_then(object_of) {
            let model = property(references, "model", self.text).and_then(|m| self.table(m));
            if let Some(model) = model {
                constraints.push(ConstraintDef {
                    name: None,
                    constraint: Constraint::ForeignKey {
                        columns: vec![name.clone()],
                        references: model,
                        referred_columns: property(references, "key", self.text)
                            .and_then(|k| plain_string(k, self.text))
                            .map(|k| Name::new(&k.value, true))
                            .into_iter()
                            .collect(),
                    },
                    span,
                });
            }
        }
        let type_node = property(object, "type", self.text);
        let data_type = type_node.and_then(|t| self.data_type(t));
        let serial = flag("autoIncrement") == Some(true);
        ColumnDef {
            name,
            data_type,
            not_null: primary || flag("allowNull") == Some(false),
            has_default: serial || property(object, "defaultValue", self.text).is_some(),
            type_span: type_node.map_or(span, node_span),
            span,
        }
    }

    /// `Sequelize.STRING(100)`, `DataTypes.DECIMAL(10, 2)`, `Sequelize.ARRAY(Sequelize.TEXT)`
    /// as the SQL type it makes.
    fn data_type(&self, node: Node<'_>) -> Option<ColumnType> {
        // A type written as SQL: `type: "TIMESTAMP WITH TIME ZONE"`.
        if let Some(written) = plain_string(node, self.text) {
            return Some(ColumnType::parse(&written.value));
        }
        let (callee, args) = match node.kind_name() {
            "call_expression" => (node.field("function")?, arguments(node)),
            "member_expression" | "identifier" => (node, Vec::new()),
            _ => return None,
        };
        let class = match callee.kind_name() {
            "member_expression" => &self.text[callee.field("property")?.byte_range()],
            "identifier" => &self.text[callee.byte_range()],
            _ => return None,
        };
        let numbers: Vec<u64> = args
            .iter()
            .filter_map(|a| number(Some(*a), self.text))
            .collect();
        let plain = |name: &str| {
            Some(ColumnType {
                name: name.into(),
                args: Vec::new(),
            })
        };
        let mysql = matches!(self.dialect, SqlDialect::MySql | SqlDialect::MariaDb);
        match class {
            "STRING" => Some(ColumnType {
                name: "varchar".into(),
                args: vec![numbers.first().copied().unwrap_or(255)],
            }),
            "CHAR" => Some(ColumnType {
                name: "char".into(),
                args: numbers,
            }),
            "DECIMAL" | "NUMERIC" => Some(ColumnType {
                name: "numeric".into(),
                args: numbers,
            }),
            "TEXT" => plain("text"),
            "CITEXT" => plain("citext"),
            "INTEGER" | "MEDIUMINT" => plain("int4"),
            "BIGINT" => plain("int8"),
            "SMALLINT" | "TINYINT" => plain("int2"),
            "FLOAT" | "DOUBLE" => plain("float8"),
            "REAL" => plain("float4"),
            "BOOLEAN" => plain("bool"),
            // Sequelize makes `timestamp with time zone` on PostgreSQL.
            "DATE" if mysql => plain("datetime"),
            "DATE" => plain("timestamptz"),
            "DATEONLY" => plain("date"),
            "TIME" => plain("time"),
            "UUID" => plain("uuid"),
            "JSON" => plain("json"),
            "JSONB" => plain("jsonb"),
            "BLOB" => plain("bytea"),
            "ENUM" => plain("enum"),
            "ARRAY" => {
                let inner = self.data_type(*args.first()?)?;
                Some(ColumnType {
                    name: format!("{}[]", inner.name).into(),
                    args: inner.args,
                })
            }
            _ => None,
        }
    }

    /// Index fields: `["a", "b"]`, with `{ name: "a", order: "DESC" }` items; an
    /// expression (`Sequelize.fn(...)`) ends the leading columns.
    fn fields(&self, node: Node<'_>) -> Vec<Name> {
        if node.kind_name() != "array" {
            return strings_in(node, self.text)
                .iter()
                .map(|c| Name::new(c, true))
                .collect();
        }
        let mut cursor = node.walk();
        let mut columns = Vec::new();
        for item in node.named_children(&mut cursor) {
            let name = plain_string(item, self.text).map(|s| s.value).or_else(|| {
                let object = object_of(item)?;
                plain_string(property(object, "name", self.text)?, self.text).map(|s| s.value)
            });
            match name {
                Some(name) => columns.push(Name::new(&name, true)),
                None => break,
            }
        }
        columns
    }
}

fn table_ref(schema: Option<&str>, name: &str) -> TableRef {
    TableRef::new(TableKey {
        schema: schema
            .filter(|s| *s != "public")
            .map(|s| Name::new(s, true)),
        name: Name::new(name, true),
    })
}

/// Sequelize's name for an index it is not given one for: `<table>_<columns>`, lower
/// case.
fn default_index_name(table: &TableRef, columns: &[Name]) -> Name {
    let columns: Vec<&str> = columns.iter().map(Name::as_str).collect();
    Name::new(
        &format!("{}_{}", table.key.name, columns.join("_")).to_lowercase(),
        true,
    )
}

/// The constraints a column's attributes add (`references`, `unique`), as events on its
/// table.
fn constraint_events(
    span: audit_core::Span,
    table: &TableRef,
    constraints: Vec<ConstraintDef>,
) -> impl Iterator<Item = Event> + '_ {
    constraints.into_iter().map(move |constraint| Event {
        span,
        change: Change::AddConstraint {
            table: table.clone(),
            constraint,
            not_valid: false,
        },
    })
}
