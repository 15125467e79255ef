//! TypeORM and MikroORM migration classes lowered to the same schema events as SQL: the
//! SQL of `queryRunner.query("...")` and `this.addSql("...")` parsed in the set's
//! dialect, and TypeORM's schema API (`queryRunner.createTable(new Table({...}))`,
//! `addColumn`, `dropColumn`, `changeColumn`, `renameColumn`, `createIndex`,
//! `createForeignKey`, ...); those in `down` marked as rollback.

use audit_syntax::tree_sitter::{Node, Tree};
use audit_syntax::{SqlDialect, StatementKind};

use super::event::{
    Change, ColumnDef, ColumnType, Constraint, ConstraintDef, Event, IndexedRows, Name, Statement,
    TableKey, TableRef,
};
use super::js::{
    arguments, boolean, down_function, embedded_sql, in_down, member_call, node_span, number,
    object_of, plain_string, property, sql_argument, strings_in,
};
use super::replay::CodeMigration;
use crate::code::CodeSemantics;
use crate::code::nodes::KindName;

/// The query runner's methods that change the schema; the others (transactions,
/// `hasTable`, `getTable`) are not migration statements.
const RUNNER_OPERATIONS: &[&str] = &[
    "query",
    "createTable",
    "dropTable",
    "renameTable",
    "clearTable",
    "addColumn",
    "addColumns",
    "dropColumn",
    "dropColumns",
    "renameColumn",
    "changeColumn",
    "changeColumns",
    "createIndex",
    "createIndices",
    "dropIndex",
    "dropIndices",
    "createForeignKey",
    "createForeignKeys",
    "dropForeignKey",
    "dropForeignKeys",
    "createPrimaryKey",
    "dropPrimaryKey",
    "createUniqueConstraint",
    "dropUniqueConstraint",
    "createCheckConstraint",
    "dropCheckConstraint",
    "createSchema",
    "dropSchema",
    "createView",
    "dropView",
];

/// Whether a JS/TS file reads like a TypeORM or MikroORM migration class.
pub fn is_typeorm_migration(text: &str) -> bool {
    text.contains("queryRunner") || text.contains("MigrationInterface") || text.contains("addSql(")
}

/// The schema changes of a TypeORM or MikroORM migration, lowered.
pub fn lower_typeorm(
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
    for call in semantics.calls() {
        let Some(node) = root.descendant_for_byte_range(call.span.start, call.span.end) else {
            continue;
        };
        let Some((object, method)) = member_call(node, text) else {
            continue;
        };
        let mikro = method == "addSql" && object.kind_name() == "this";
        let runner = RUNNER_OPERATIONS.contains(&method) && is_runner(object, semantics, text);
        if !(mikro || runner) {
            continue;
        }
        let in_down = in_down(semantics, call.span.start);
        let args = arguments(node);
        if mikro || method == "query" {
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
        let reader = Reader { text, dialect };
        match reader.operation(node, method, &args) {
            Some(statements) => {
                migration
                    .statements
                    .extend(statements.into_iter().map(|(kind, events)| {
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

/// `queryRunner`, `this.queryRunner`, `queryRunner.manager`, or the first parameter of
/// the `up`/`down` method it is called in.
fn is_runner(object: Node<'_>, semantics: &CodeSemantics, text: &str) -> bool {
    let written = &text[object.byte_range()];
    if written.contains("queryRunner") {
        return true;
    }
    semantics
        .enclosing_function(object.start_byte())
        .filter(|f| matches!(f.name.as_deref(), Some("up" | "down")))
        .and_then(|f| f.parameters.first())
        .is_some_and(|p| p.name == written)
}

struct Reader<'a> {
    text: &'a str,
    /// What an index's `where` condition is parsed in.
    dialect: SqlDialect,
}

type Lowered = Vec<(StatementKind, Vec<Event>)>;

impl Reader<'_> {
    /// One query runner call as statements; `None` when its arguments are not literals.
    fn operation(&self, call: Node<'_>, method: &str, args: &[Node<'_>]) -> Option<Lowered> {
        let span = node_span(call);
        let event = |change| vec![Event { span, change }];
        let table = |i: usize| self.table_arg(*args.get(i)?);
        let name = |i: usize| {
            let node = *args.get(i)?;
            plain_string(node, self.text)
                .map(|s| Name::new(&s.value, true))
                .or_else(|| self.name_property(node, "name"))
        };
        let alter = |events| Some(vec![(StatementKind::AlterTable, events)]);
        match method {
            "createTable" => {
                let options = object_of(*args.first()?)?;
                let table = self.table_name(
                    &plain_string(property(options, "name", self.text)?, self.text)?.value,
                );
                let mut columns = Vec::new();
                let mut constraints = Vec::new();
                for column in self.objects(property(options, "columns", self.text)) {
                    columns.push(self.column(column, &mut constraints)?);
                }
                // A primary key over several columns is each column's `isPrimary`.
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
                for unique in self.objects(property(options, "uniques", self.text)) {
                    constraints.push(ConstraintDef {
                        name: self.name_property(unique, "name"),
                        constraint: Constraint::Unique {
                            columns: self.names(unique, "columnNames"),
                        },
                        span: node_span(unique),
                    });
                }
                for foreign in self.objects(property(options, "foreignKeys", self.text)) {
                    constraints.push(self.foreign_key(foreign)?);
                }
                for check in self.objects(property(options, "checks", self.text)) {
                    constraints.push(ConstraintDef {
                        name: self.name_property(check, "name"),
                        constraint: Constraint::Check,
                        span: node_span(check),
                    });
                }
                let mut statements = vec![(
                    StatementKind::CreateTable,
                    event(Change::CreateTable {
                        table: table.clone(),
                        columns: Some(columns),
                        constraints,
                        if_not_exists: boolean(args.get(1).copied()) == Some(true),
                        temporary: false,
                    }),
                )];
                for index in self.objects(property(options, "indices", self.text)) {
                    statements.push((StatementKind::CreateIndex, event(self.index(&table, index))));
                }
                Some(statements)
            }
            "dropTable" => Some(vec![(
                StatementKind::DropTable,
                event(Change::DropTable { table: table(0)? }),
            )]),
            "renameTable" => alter(event(Change::RenameTable {
                table: table(0)?,
                to: table(1)?.key,
            })),
            "clearTable" => Some(vec![(
                StatementKind::Truncate,
                event(Change::Truncate { table: table(0)? }),
            )]),
            "addColumn" | "addColumns" => {
                let table = table(0)?;
                let mut events = Vec::new();
                for column in self.objects_or_one(*args.get(1)?) {
                    let mut constraints = Vec::new();
                    let column = self.column(column, &mut constraints)?;
                    events.push(Event {
                        span,
                        change: Change::AddColumn {
                            table: table.clone(),
                            column,
                        },
                    });
                    events.extend(constraints.into_iter().map(|constraint| Event {
                        span,
                        change: Change::AddConstraint {
                            table: table.clone(),
                            constraint,
                            not_valid: false,
                        },
                    }));
                }
                alter(events)
            }
            "dropColumn" | "dropColumns" => {
                let table = table(0)?;
                let node = *args.get(1)?;
                let mut columns: Vec<Name> = strings_in(node, self.text)
                    .iter()
                    .map(|c| Name::new(c, true))
                    .collect();
                columns.extend(
                    self.objects_or_one(node)
                        .into_iter()
                        .filter_map(|c| self.name_property(c, "name")),
                );
                if columns.is_empty() {
                    return None;
                }
                alter(
                    columns
                        .into_iter()
                        .map(|column| Event {
                            span,
                            change: Change::DropColumn {
                                table: table.clone(),
                                column,
                            },
                        })
                        .collect(),
                )
            }
            "renameColumn" => alter(event(Change::RenameColumn {
                table: table(0)?,
                column: name(1)?,
                to: name(2)?,
            })),
            "changeColumn" => {
                let table = table(0)?;
                let column = name(1)?;
                let new = object_of(*args.get(2)?)?;
                let mut constraints = Vec::new();
                let def = self.column(new, &mut constraints)?;
                let mut events = Vec::new();
                let mut push = |change| events.push(Event { span, change });
                if def.name != column {
                    push(Change::RenameColumn {
                        table: table.clone(),
                        column: column.clone(),
                        to: def.name.clone(),
                    });
                }
                if let Some(data_type) = def.data_type {
                    push(Change::AlterColumnType {
                        table: table.clone(),
                        column: def.name.clone(),
                        data_type,
                        using: false,
                    });
                }
                push(if def.not_null {
                    Change::SetNotNull {
                        table,
                        column: def.name,
                    }
                } else {
                    Change::DropNotNull {
                        table,
                        column: def.name,
                    }
                });
                alter(events)
            }
            "createIndex" | "createIndices" => {
                let table = table(0)?;
                Some(
                    self.objects_or_one(*args.get(1)?)
                        .into_iter()
                        .map(|index| (StatementKind::CreateIndex, event(self.index(&table, index))))
                        .collect(),
                )
            }
            "dropIndex" | "dropIndices" => Some(vec![(
                StatementKind::DropIndex,
                event(Change::DropIndex {
                    names: vec![name(1)?],
                    concurrently: false,
                }),
            )]),
            "createForeignKey" | "createForeignKeys" => {
                let table = table(0)?;
                let mut events = Vec::new();
                for foreign in self.objects_or_one(*args.get(1)?) {
                    events.push(Event {
                        span,
                        change: Change::AddConstraint {
                            table: table.clone(),
                            constraint: self.foreign_key(foreign)?,
                            not_valid: false,
                        },
                    });
                }
                alter(events)
            }
            "createPrimaryKey" | "createUniqueConstraint" => {
                let table = table(0)?;
                let node = *args.get(1)?;
                let (columns, name) = match object_of(node) {
                    Some(unique) => (
                        self.names(unique, "columnNames"),
                        self.name_property(unique, "name"),
                    ),
                    None => (
                        strings_in(node, self.text)
                            .iter()
                            .map(|c| Name::new(c, true))
                            .collect(),
                        args.get(2)
                            .and_then(|n| plain_string(*n, self.text))
                            .map(|s| Name::new(&s.value, true)),
                    ),
                };
                let constraint = if method == "createPrimaryKey" {
                    Constraint::PrimaryKey { columns }
                } else {
                    Constraint::Unique { columns }
                };
                alter(event(Change::AddConstraint {
                    table,
                    constraint: ConstraintDef {
                        name,
                        constraint,
                        span,
                    },
                    not_valid: false,
                }))
            }
            "createCheckConstraint" => alter(event(Change::AddConstraint {
                table: table(0)?,
                constraint: ConstraintDef {
                    name: args
                        .get(1)
                        .and_then(|n| self.name_property(object_of(*n)?, "name")),
                    constraint: Constraint::Check,
                    span,
                },
                not_valid: false,
            })),
            "dropForeignKey"
            | "dropForeignKeys"
            | "dropUniqueConstraint"
            | "dropCheckConstraint" => alter(event(Change::DropConstraint {
                table: table(0)?,
                name: name(1)?,
            })),
            "dropPrimaryKey" => alter(event(Change::DropPrimaryKey { table: table(0)? })),
            // Schemas and views hold no rows a rule reads.
            "createSchema" | "dropSchema" | "createView" | "dropView" => {
                Some(vec![(StatementKind::Other, Vec::new())])
            }
            _ => None,
        }
    }

    /// A table given by name (`"user"`, `"billing.user"`) or as a `Table` with a name.
    fn table_arg(&self, node: Node<'_>) -> Option<TableRef> {
        let name = match plain_string(node, self.text) {
            Some(name) => name.value,
            None => plain_string(property(object_of(node)?, "name", self.text)?, self.text)?.value,
        };
        Some(self.table_name(&name))
    }

    fn table_name(&self, name: &str) -> TableRef {
        let (schema, name) = match name.split_once('.') {
            Some((schema, name)) => (Some(Name::new(schema, true)), name),
            None => (None, name),
        };
        TableRef::new(TableKey {
            schema: schema.filter(|s| s.as_str() != "public"),
            name: Name::new(name, true),
        })
    }

    /// A `TableColumn` (or its options): TypeORM columns are NOT NULL unless
    /// `isNullable: true`.
    fn column(&self, column: Node<'_>, constraints: &mut Vec<ConstraintDef>) -> Option<ColumnDef> {
        let column = object_of(column)?;
        let name = self.name_property(column, "name")?;
        let flag = |key| boolean(property(column, key, self.text)) == Some(true);
        let data_type = self.column_type(column);
        let span = node_span(column);
        if flag("isPrimary") {
            constraints.push(ConstraintDef {
                name: None,
                constraint: Constraint::PrimaryKey {
                    columns: vec![name.clone()],
                },
                span,
            });
        }
        if flag("isUnique") {
            constraints.push(ConstraintDef {
                name: None,
                constraint: Constraint::Unique {
                    columns: vec![name.clone()],
                },
                span,
            });
        }
        let type_span = property(column, "type", self.text).map_or(span, node_span);
        Some(ColumnDef {
            name,
            data_type,
            not_null: flag("isPrimary") || !flag("isNullable"),
            has_default: flag("isGenerated") || property(column, "default", self.text).is_some(),
            type_span,
            span,
        })
    }

    /// `type: "varchar", length: "255"`, `type: "decimal", precision: 10, scale: 2`,
    /// `isArray: true`.
    fn column_type(&self, column: Node<'_>) -> Option<ColumnType> {
        let written = plain_string(property(column, "type", self.text)?, self.text)?.value;
        let args: Vec<String> = ["length", "precision", "scale"]
            .iter()
            .filter_map(|key| number(property(column, key, self.text), self.text))
            .map(|n| n.to_string())
            .collect();
        let mut sql = written;
        if !args.is_empty() && !sql.contains('(') {
            sql = format!("{sql}({})", args.join(","));
        }
        if boolean(property(column, "isArray", self.text)) == Some(true) {
            sql.push_str("[]");
        }
        Some(ColumnType::parse(&sql))
    }

    /// A `TableIndex` on `table`.
    fn index(&self, table: &TableRef, index: Node<'_>) -> Change {
        let index = object_of(index).unwrap_or(index);
        Change::CreateIndex {
            table: table.clone(),
            name: self.name_property(index, "name"),
            columns: self.names(index, "columnNames"),
            unique: boolean(property(index, "isUnique", self.text)) == Some(true),
            concurrently: false,
            only: false,
            rows: match property(index, "where", self.text) {
                Some(condition) => match plain_string(condition, self.text) {
                    Some(sql) => super::lower::condition_rows(&sql.value, self.dialect),
                    None => IndexedRows::Partial(Vec::new()),
                },
                None => IndexedRows::All,
            },
        }
    }

    /// A `TableForeignKey`: `columnNames`, `referencedTableName`,
    /// `referencedColumnNames`.
    fn foreign_key(&self, foreign: Node<'_>) -> Option<ConstraintDef> {
        let foreign = object_of(foreign)?;
        let referenced = plain_string(
            property(foreign, "referencedTableName", self.text)?,
            self.text,
        )?
        .value;
        Some(ConstraintDef {
            name: self.name_property(foreign, "name"),
            constraint: Constraint::ForeignKey {
                columns: self.names(foreign, "columnNames"),
                references: self.table_name(&referenced),
                referred_columns: self.names(foreign, "referencedColumnNames"),
            },
            span: node_span(foreign),
        })
    }

    fn name_property(&self, object: Node<'_>, key: &str) -> Option<Name> {
        let object = object_of(object)?;
        plain_string(property(object, key, self.text)?, self.text)
            .map(|s| Name::new(&s.value, true))
    }

    fn names(&self, object: Node<'_>, key: &str) -> Vec<Name> {
        property(object, key, self.text)
            .map(|n| strings_in(n, self.text))
            .unwrap_or_default()
            .iter()
            .map(|c| Name::new(c, true))
            .collect()
    }

    /// The objects of an array literal.
    fn objects<'t>(&self, array: Option<Node<'t>>) -> Vec<Node<'t>> {
        let Some(array) = array.filter(|a| a.kind_name() == "array") else {
            return Vec::new();
        };
        let mut cursor = array.walk();
        array
            .named_children(&mut cursor)
            .filter(|n| object_of(*n).is_some())
            .collect()
    }

    /// An array's objects, or the one object given.
    fn objects_or_one<'t>(&self, node: Node<'t>) -> Vec<Node<'t>> {
        if node.kind_name() == "array" {
            return self.objects(Some(node));
        }
        object_of(node).map(|_| node).into_iter().collect()
    }
}
