//! Alembic migrations lowered to the same schema events as SQL: the `alembic.op` calls
//! of a `versions/<rev>_x.py` file (`create_table`, `drop_table`, `rename_table`,
//! `add_column`, `drop_column`, `alter_column`, `create_index`, `drop_index`,
//! `create_foreign_key`), those in `downgrade()` marked as rollback; its `revision` and
//! `down_revision` order the history.

use audit_core::Span;
use audit_syntax::tree_sitter::{Node, Tree};
use audit_syntax::{SqlDialect, StatementKind};

use super::event::{
    Change, ColumnDef, ColumnType, Constraint, ConstraintDef, Event, IndexedRows, Name, Statement,
    TableKey, TableRef,
};
use super::replay::{CodeMigration, DownFunction};
use crate::code::nodes::{Fields, KindName};
use crate::code::{Call, CodeSemantics};

/// An Alembic revision and the one it follows (`None` for the first).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revision {
    pub id: String,
    pub down: Option<String>,
}

/// The file's `revision = "..."` and `down_revision = "..."`, if it is an Alembic
/// revision.
pub fn alembic_revision(semantics: &CodeSemantics, text: &str) -> Option<Revision> {
    let value = |name: &str| {
        semantics
            .bindings()
            .iter()
            .find(|b| b.name == name)
            .and_then(|b| b.value)
            .map(|v| text[v.start..v.end].trim().to_string())
    };
    let id = string_literal(&value("revision")?)?;
    let down = value("down_revision").and_then(|d| string_literal(&d));
    Some(Revision { id, down })
}

/// The `alembic.op` operations of a revision file, lowered (with those of `with
/// op.batch_alter_table("t") as batch_op:` on `t`); the SQL of `op.execute("...")`
/// parsed in `dialect`.
pub fn lower_alembic(
    tree: &Tree,
    semantics: &CodeSemantics,
    text: &str,
    dialect: SqlDialect,
) -> CodeMigration {
    let lowering = Alembic {
        tree,
        semantics,
        text,
        dialect,
    };
    let batches = lowering.batches();
    let mut migration = CodeMigration {
        down_function: lowering.downgrade(),
        ..CodeMigration::default()
    };
    for call in semantics.calls() {
        let batch = batches.iter().find(|b| b.holds(call, text));
        let operation = match (batch, call.qualified_name.as_deref()) {
            (Some(batch), _) => &text[batch.method_of(call)..call.callee.end],
            (None, Some(name)) => match name.strip_prefix("alembic.op.") {
                Some(operation) => operation,
                None => continue,
            },
            (None, None) => continue,
        };
        if HELPERS.contains(&operation) {
            continue;
        }
        let in_downgrade = semantics
            .enclosing_function(call.span.start)
            .is_some_and(|f| f.name.as_deref() == Some("downgrade"));
        if operation == "execute" {
            let statements = lowering.execute(call, in_downgrade);
            if statements.is_empty() {
                migration.unclassified.push(call.span);
            }
            migration.statements.extend(statements);
            continue;
        }
        let statement = lowering.operation(operation, call, in_downgrade, batch.map(|b| &b.table));
        if statement.kind == StatementKind::Other && !NO_EVENTS.contains(&operation) {
            migration.unclassified.push(call.span);
        }
        migration.statements.push(statement);
    }
    migration
}

/// `op` functions that are no migration step.
const HELPERS: &[&str] = &[
    "f",
    "get_bind",
    "get_context",
    "inline_literal",
    "batch_alter_table",
    "invoke",
    "implementation_for",
];

/// Operations that change nothing a rule reads.
const NO_EVENTS: &[&str] = &[
    "bulk_insert",
    "create_table_comment",
    "drop_table_comment",
    "create_exclude_constraint",
    "run_async",
];

/// A `with op.batch_alter_table("t") as batch_op:` block: its table, the name its
/// operations are called on, and its body.
struct Batch {
    table: TableRef,
    alias: String,
    body: Span,
}

impl Batch {
    /// Whether `call` is `alias.operation(...)` in this block's body.
    fn holds(&self, call: &Call, text: &str) -> bool {
        call.span.start >= self.body.start
            && call.span.end <= self.body.end
            && text[call.callee.start..call.callee.end]
                .strip_prefix(self.alias.as_str())
                .and_then(|rest| rest.strip_prefix('.'))
                .is_some_and(|m| m.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
    }

    /// Where the method name of `alias.method` starts.
    fn method_of(&self, call: &Call) -> usize {
        call.callee.start + self.alias.len() + 1
    }
}

struct Alembic<'a> {
    tree: &'a Tree,
    semantics: &'a CodeSemantics,
    text: &'a str,
    /// What `op.execute` SQL and index conditions are parsed in.
    dialect: SqlDialect,
}

impl Alembic<'_> {
    /// The file's `with op.batch_alter_table("t") as alias:` blocks.
    fn batches(&self) -> Vec<Batch> {
        self.semantics
            .calls()
            .iter()
            .filter(|c| c.qualified_name.as_deref() == Some("alembic.op.batch_alter_table"))
            .filter_map(|call| {
                let table = self.string(*self.positional(call).first()?)?;
                let schema = self
                    .keyword_string(call, "schema")
                    .map(|s| Name::new(&s, false))
                    .filter(|s| s.as_str() != "public");
                let node = self.node(call.span)?;
                let pattern = node.parent().filter(|p| p.kind_name() == "as_pattern")?;
                let alias = pattern.field("alias")?;
                let mut statement = pattern;
                while statement.kind_name() != "with_statement" {
                    statement = statement.parent()?;
                }
                let body = statement.field("body")?;
                Some(Batch {
                    table: TableRef::new(TableKey {
                        schema,
                        name: Name::new(&table, false),
                    }),
                    alias: self.text[alias.byte_range()].trim().to_string(),
                    body: Span::new(body.start_byte(), body.end_byte()),
                })
            })
            .collect()
    }

    /// Whether `downgrade()` does something: `Empty` when its body is only `pass`, a
    /// docstring, `...` and comments.
    fn downgrade(&self) -> DownFunction {
        let Some(function) = self
            .semantics
            .functions()
            .iter()
            .find(|f| f.name.as_deref() == Some("downgrade") && f.parent.is_none())
        else {
            return DownFunction::Absent;
        };
        let Some(body) = self.node(function.body) else {
            return DownFunction::Present;
        };
        let mut cursor = body.walk();
        let does_nothing =
            body.named_children(&mut cursor)
                .all(|statement| match statement.kind_name() {
                    "pass_statement" | "comment" => true,
                    "expression_statement" => statement
                        .named_child(0)
                        .is_some_and(|e| matches!(e.kind_name(), "string" | "ellipsis")),
                    _ => false,
                });
        if does_nothing {
            DownFunction::Empty(function.span)
        } else {
            DownFunction::Present
        }
    }

    /// `op.execute("UPDATE ...")` with a plain string: its statements.
    fn execute(&self, call: &Call, in_downgrade: bool) -> Vec<Statement> {
        match self.positional(call).into_iter().next() {
            Some(node) => python_sql(node, self.text, self.dialect, in_downgrade),
            None => Vec::new(),
        }
    }

    /// One operation; in a batch block, on its table (which the call does not name).
    fn operation(
        &self,
        operation: &str,
        call: &Call,
        in_downgrade: bool,
        batch: Option<&TableRef>,
    ) -> Statement {
        let span = call.span;
        let written = self.positional(call);
        // In a batch, the table is where the `op` function takes it.
        let table_position = match operation {
            "create_index"
            | "create_foreign_key"
            | "create_unique_constraint"
            | "create_primary_key"
            | "create_check_constraint"
            | "drop_constraint" => 1,
            _ => 0,
        };
        let mut args: Vec<Option<Node<'_>>> = written.iter().copied().map(Some).collect();
        if batch.is_some() {
            args.insert(table_position.min(args.len()), None);
        }
        let string = |i: usize| args.get(i).copied().flatten().and_then(|n| self.string(n));
        let table = |i: usize| {
            if let (Some(batch), Some(None)) = (batch, args.get(i)) {
                return Some(batch.clone());
            }
            string(i).map(|t| {
                let schema = self
                    .keyword_string(call, "schema")
                    .map(|s| Name::new(&s, false))
                    .filter(|s| s.as_str() != "public");
                TableRef::new(TableKey {
                    schema,
                    name: Name::new(&t, false),
                })
            })
        };
        let event = |change| vec![Event { span, change }];
        let (kind, events) = match operation {
            "create_table" => match table(0) {
                Some(table) => {
                    let mut constraints = Vec::new();
                    let mut columns = Vec::new();
                    for call in args[1..].iter().flatten().filter_map(|n| self.call_at(*n)) {
                        match self.constraint(call) {
                            Some(constraint) => constraints.push(constraint),
                            None => columns.extend(self.column(call, &mut constraints)),
                        }
                    }
                    (
                        StatementKind::CreateTable,
                        event(Change::CreateTable {
                            table,
                            columns: Some(columns),
                            constraints,
                            if_not_exists: false,
                            temporary: false,
                        }),
                    )
                }
                None => (StatementKind::CreateTable, Vec::new()),
            },
            "drop_table" => (
                StatementKind::DropTable,
                table(0)
                    .map(|table| event(Change::DropTable { table }))
                    .unwrap_or_default(),
            ),
            "rename_table" => (
                StatementKind::AlterTable,
                match (table(0), table(1)) {
                    (Some(table), Some(to)) => event(Change::RenameTable { table, to: to.key }),
                    _ => Vec::new(),
                },
            ),
            "add_column" => {
                let mut constraints = Vec::new();
                let column = args
                    .get(1)
                    .copied()
                    .flatten()
                    .and_then(|n| self.call_at(n))
                    .and_then(|c| self.column(c, &mut constraints));
                let events = match (table(0), column) {
                    (Some(table), Some(column)) => {
                        let mut events = event(Change::AddColumn {
                            table: table.clone(),
                            column,
                        });
                        events.extend(constraints.into_iter().map(|constraint| Event {
                            span,
                            change: Change::AddConstraint {
                                table: table.clone(),
                                constraint,
                                not_valid: false,
                            },
                        }));
                        events
                    }
                    _ => Vec::new(),
                };
                (StatementKind::AlterTable, events)
            }
            "drop_column" => (
                StatementKind::AlterTable,
                match (table(0), string(1)) {
                    (Some(table), Some(column)) => event(Change::DropColumn {
                        table,
                        column: Name::new(&column, false),
                    }),
                    _ => Vec::new(),
                },
            ),
            "alter_column" => (
                StatementKind::AlterTable,
                match (table(0), string(1)) {
                    (Some(table), Some(column)) => self.alter_column(call, span, table, column),
                    _ => Vec::new(),
                },
            ),
            "create_index" => (
                StatementKind::CreateIndex,
                match table(1) {
                    Some(table) => event(Change::CreateIndex {
                        table,
                        name: string(0).map(|n| Name::new(&n, false)),
                        columns: args
                            .get(2)
                            .copied()
                            .flatten()
                            .map(|n| self.strings_in(n))
                            .unwrap_or_default()
                            .iter()
                            .map(|c| Name::new(c, false))
                            .collect(),
                        unique: self.is_true(call, "unique"),
                        concurrently: self.is_true(call, "postgresql_concurrently"),
                        only: false,
                        rows: match call.keyword("postgresql_where") {
                            Some(condition) => self.condition_rows(condition.value),
                            None => IndexedRows::All,
                        },
                    }),
                    None => Vec::new(),
                },
            ),
            "drop_index" => (
                StatementKind::DropIndex,
                string(0)
                    .map(|n| {
                        event(Change::DropIndex {
                            names: vec![Name::new(&n, false)],
                            concurrently: self.is_true(call, "postgresql_concurrently"),
                        })
                    })
                    .unwrap_or_default(),
            ),
            "create_foreign_key" => (
                StatementKind::AlterTable,
                match (table(1), table(2)) {
                    (Some(source), Some(referent)) => event(Change::AddConstraint {
                        table: source,
                        constraint: ConstraintDef {
                            name: string(0).map(|n| Name::new(&n, false)),
                            constraint: Constraint::ForeignKey {
                                columns: self.names_at(&args, 3),
                                references: referent,
                                referred_columns: self.names_at(&args, 4),
                            },
                            span,
                        },
                        not_valid: false,
                    }),
                    _ => Vec::new(),
                },
            ),
            "create_unique_constraint" | "create_primary_key" => (
                StatementKind::AlterTable,
                match table(1) {
                    Some(table) => {
                        let columns = self.names_at(&args, 2);
                        event(Change::AddConstraint {
                            table,
                            constraint: ConstraintDef {
                                name: string(0).map(|n| Name::new(&n, false)),
                                constraint: if operation == "create_primary_key" {
                                    Constraint::PrimaryKey { columns }
                                } else {
                                    Constraint::Unique { columns }
                                },
                                span,
                            },
                            not_valid: false,
                        })
                    }
                    None => Vec::new(),
                },
            ),
            "create_check_constraint" => (
                StatementKind::AlterTable,
                match table(1) {
                    Some(table) => event(Change::AddConstraint {
                        table,
                        constraint: ConstraintDef {
                            name: string(0).map(|n| Name::new(&n, false)),
                            constraint: Constraint::Check,
                            span,
                        },
                        not_valid: false,
                    }),
                    None => Vec::new(),
                },
            ),
            "drop_constraint" => (
                StatementKind::AlterTable,
                match (table(1), string(0)) {
                    (Some(table), Some(name)) => {
                        let is_primary =
                            self.keyword_string(call, "type_").as_deref() == Some("primary");
                        event(if is_primary {
                            Change::DropPrimaryKey { table }
                        } else {
                            Change::DropConstraint {
                                table,
                                name: Name::new(&name, false),
                            }
                        })
                    }
                    _ => Vec::new(),
                },
            ),
            _ => (StatementKind::Other, Vec::new()),
        };
        // What was named but not read (a table or column in a variable) is no event.
        let kind = if events.is_empty() {
            StatementKind::Other
        } else {
            kind
        };
        Statement::from_code(span, kind, events, in_downgrade, false)
    }

    fn alter_column(&self, call: &Call, span: Span, table: TableRef, column: String) -> Vec<Event> {
        let column = Name::new(&column, false);
        let mut events = Vec::new();
        let mut push = |change| events.push(Event { span, change });
        if let Some(data_type) = call
            .keyword("type_")
            .and_then(|k| self.column_type(k.value))
        {
            push(Change::AlterColumnType {
                table: table.clone(),
                column: column.clone(),
                data_type,
                using: call.keyword("postgresql_using").is_some(),
            });
        }
        if let Some(nullable) = call.keyword("nullable") {
            match self.text[nullable.value.start..nullable.value.end].trim() {
                "False" => push(Change::SetNotNull {
                    table: table.clone(),
                    column: column.clone(),
                }),
                "True" => push(Change::DropNotNull {
                    table: table.clone(),
                    column: column.clone(),
                }),
                _ => {}
            }
        }
        if let Some(to) = self.keyword_string(call, "new_column_name") {
            push(Change::RenameColumn {
                table,
                column,
                to: Name::new(&to, false),
            });
        }
        events
    }

    /// `sa.Column("name", sa.String(40), nullable=False, server_default=...)`: NOT NULL
    /// only with `nullable=False` (or a primary key), a default only from the server.
    fn column(&self, column: &Call, constraints: &mut Vec<ConstraintDef>) -> Option<ColumnDef> {
        if !column
            .qualified_name
            .as_deref()
            .is_some_and(|q| q.ends_with(".Column"))
        {
            return None;
        }
        let args = self.positional(column);
        let name = Name::new(&self.string(*args.first()?)?, false);
        let data_type = args
            .get(1)
            .and_then(|n| self.column_type(Span::new(n.start_byte(), n.end_byte())));
        let primary_key = self.is_true(column, "primary_key");
        if primary_key {
            constraints.push(ConstraintDef {
                name: None,
                constraint: Constraint::PrimaryKey {
                    columns: vec![name.clone()],
                },
                span: column.span,
            });
        }
        let nullable = column
            .keyword("nullable")
            .map(|k| self.text[k.value.start..k.value.end].trim().to_string());
        Some(ColumnDef {
            name,
            data_type,
            not_null: primary_key || nullable.as_deref() == Some("False"),
            has_default: column.keyword("server_default").is_some()
                || (primary_key && self.is_integer(column)),
            type_span: column.span,
            span: column.span,
        })
    }

    /// `sa.PrimaryKeyConstraint("id")`, `sa.UniqueConstraint("a", "b")`,
    /// `sa.ForeignKeyConstraint(["user_id"], ["users.id"])`, `sa.CheckConstraint(...)`
    /// among a `create_table`'s arguments.
    fn constraint(&self, call: &Call) -> Option<ConstraintDef> {
        let class = call.qualified_name.as_deref()?.rsplit('.').next()?;
        let args = self.positional(call);
        let strings = || -> Vec<Name> {
            args.iter()
                .filter_map(|n| self.string(*n))
                .map(|c| Name::new(&c, false))
                .collect()
        };
        let constraint = match class {
            "PrimaryKeyConstraint" => Constraint::PrimaryKey { columns: strings() },
            "UniqueConstraint" => Constraint::Unique { columns: strings() },
            "CheckConstraint" => Constraint::Check,
            "ForeignKeyConstraint" => {
                let referred: Vec<String> =
                    args.get(1).map(|n| self.strings_in(*n)).unwrap_or_default();
                // `table.column`, or `schema.table.column` for a table in another schema.
                let target = referred.first()?.rsplit_once('.')?.0;
                let (schema, table) = match target.rsplit_once('.') {
                    Some((schema, table)) => (Some(Name::new(schema, false)), table),
                    None => (None, target),
                };
                Constraint::ForeignKey {
                    columns: args
                        .first()
                        .map(|n| self.strings_in(*n))
                        .unwrap_or_default()
                        .iter()
                        .map(|c| Name::new(c, false))
                        .collect(),
                    references: TableRef::new(TableKey {
                        schema,
                        name: Name::new(table, false),
                    }),
                    referred_columns: referred
                        .iter()
                        .filter_map(|r| r.rsplit('.').next())
                        .map(|c| Name::new(c, false))
                        .collect(),
                }
            }
            _ => return None,
        };
        Some(ConstraintDef {
            name: self
                .keyword_string(call, "name")
                .map(|n| Name::new(&n, false)),
            constraint,
            span: call.span,
        })
    }

    /// An integer primary key is an identity/serial column in SQLAlchemy.
    fn is_integer(&self, column: &Call) -> bool {
        self.positional(column)
            .get(1)
            .and_then(|n| self.column_type(Span::new(n.start_byte(), n.end_byte())))
            .is_some_and(|t| t.name.starts_with("int"))
    }

    /// A SQLAlchemy type (`sa.String(40)`, `sa.Numeric(10, 2)`, `postgresql.TIMESTAMP()`,
    /// `sa.DateTime(timezone=True)`) as the SQL type it creates.
    fn column_type(&self, span: Span) -> Option<ColumnType> {
        let written = self.text[span.start..span.end].trim();
        let (callee, arguments) = match written.split_once('(') {
            Some((callee, rest)) => (callee, rest.trim_end_matches(')')),
            None => (written, ""),
        };
        let class = callee.rsplit('.').next()?;
        let timezone = arguments.replace(' ', "").contains("timezone=True");
        let numbers: Vec<u64> = arguments
            .split(',')
            .filter_map(|a| a.trim().parse().ok())
            .collect();
        let name = match class {
            "String" | "VARCHAR" | "Unicode" => "varchar",
            "Text" | "TEXT" | "UnicodeText" => "text",
            "Integer" | "INTEGER" => "int4",
            "BigInteger" | "BIGINT" => "int8",
            "SmallInteger" | "SMALLINT" => "int2",
            "Float" | "FLOAT" | "REAL" | "DOUBLE_PRECISION" | "Double" => "float8",
            "Numeric" | "NUMERIC" | "DECIMAL" => "numeric",
            "Boolean" | "BOOLEAN" => "bool",
            "DateTime" | "TIMESTAMP" if timezone => "timestamptz",
            "DateTime" | "TIMESTAMP" => "timestamp",
            "Date" | "DATE" => "date",
            "UUID" | "Uuid" => "uuid",
            "JSON" => "json",
            "JSONB" => "jsonb",
            _ => return None,
        };
        Some(ColumnType {
            name: name.into(),
            args: if name.starts_with("float") {
                Vec::new()
            } else {
                numbers
            },
        })
    }

    /// The positional arguments of a call, in order.
    fn positional(&self, call: &Call) -> Vec<Node<'_>> {
        let Some(arguments) = call.arguments.and_then(|a| self.node(a)) else {
            return Vec::new();
        };
        let mut cursor = arguments.walk();
        arguments
            .named_children(&mut cursor)
            .filter(|n| !matches!(n.kind_name(), "keyword_argument" | "comment"))
            .collect()
    }

    fn call_at(&self, node: Node<'_>) -> Option<&Call> {
        self.semantics
            .call(Span::new(node.start_byte(), node.end_byte()))
    }

    fn string(&self, node: Node<'_>) -> Option<String> {
        string_literal(&self.text[node.byte_range()])
    }

    /// The rows a `postgresql_where=` condition leaves in the index, read from its SQL
    /// (`sa.text("deleted_at IS NULL")`, or a plain string); a SQLAlchemy expression's
    /// columns are unknown.
    fn condition_rows(&self, condition: Span) -> IndexedRows {
        let sql = self
            .tree
            .root_node()
            .descendant_for_byte_range(condition.start, condition.end)
            .and_then(|node| text_sql(node, self.text))
            .and_then(|sql| self.string(sql));
        match sql {
            Some(sql) => super::lower::condition_rows(&sql, self.dialect),
            None => IndexedRows::Partial(Vec::new()),
        }
    }

    fn keyword_string(&self, call: &Call, key: &str) -> Option<String> {
        let value = call.keyword(key)?.value;
        string_literal(&self.text[value.start..value.end])
    }

    fn is_true(&self, call: &Call, key: &str) -> bool {
        call.keyword(key)
            .is_some_and(|k| self.text[k.value.start..k.value.end].trim() == "True")
    }

    fn names_at(&self, args: &[Option<Node<'_>>], index: usize) -> Vec<Name> {
        args.get(index)
            .copied()
            .flatten()
            .map(|n| self.strings_in(n))
            .unwrap_or_default()
            .iter()
            .map(|c| Name::new(c, false))
            .collect()
    }

    fn node(&self, span: Span) -> Option<Node<'_>> {
        self.tree
            .root_node()
            .descendant_for_byte_range(span.start, span.end)
    }

    fn strings_in(&self, list: Node<'_>) -> Vec<String> {
        let mut cursor = list.walk();
        list.named_children(&mut cursor)
            .filter_map(|item| self.string(item))
            .collect()
    }
}

/// The SQL of a plain Python string (or of `sa.text("...")` around one), lowered at its
/// place in the file; nothing for anything else.
/// The SQL written in `node`: a string, or the one SQLAlchemy's `text("...")` wraps;
/// None for any other call.
fn text_sql<'t>(node: Node<'t>, text: &str) -> Option<Node<'t>> {
    if node.kind_name() != "call" {
        return Some(node);
    }
    let written = &text[node.field("function")?.byte_range()];
    if written != "text" && !written.ends_with(".text") {
        return None;
    }
    node.field("arguments")?.named_child(0)
}

pub(super) fn python_sql(
    node: Node<'_>,
    text: &str,
    dialect: SqlDialect,
    in_down: bool,
) -> Vec<Statement> {
    let Some(node) = text_sql(node, text) else {
        return Vec::new();
    };
    // `'ALTER TABLE a ' 'RENAME TO b'`: the parts joined, each piece placed where it is
    // written.
    if node.kind_name() == "concatenated_string" {
        let mut sql = String::new();
        let mut pieces: Vec<(usize, usize)> = Vec::new();
        let mut cursor = node.walk();
        for part in node
            .named_children(&mut cursor)
            .filter(|p| p.kind_name() != "comment")
        {
            let written = &text[part.byte_range()];
            let Some(content) = string_literal(written).filter(|s| !s.contains('\\')) else {
                return Vec::new();
            };
            let Some(start) = written.find(content.as_str()) else {
                return Vec::new();
            };
            pieces.push((sql.len(), part.start_byte() + start));
            sql.push_str(&content);
        }
        let place = |i: usize| {
            let (joined, source) = pieces
                .iter()
                .rev()
                .find(|(joined, _)| *joined <= i)
                .copied()
                .unwrap_or((0, node.start_byte()));
            source + (i - joined)
        };
        if sql.trim().is_empty() {
            return Vec::new();
        }
        return super::lower::lower_embedded(&sql, &place, dialect, in_down);
    }
    let written = &text[node.byte_range()];
    let Some(sql) = string_literal(written).filter(|s| !s.is_empty() && !s.contains('\\')) else {
        return Vec::new();
    };
    // The content follows the prefix and opening quotes.
    let Some(start) = written.find(sql.as_str()) else {
        return Vec::new();
    };
    let offset = node.start_byte() + start;
    super::lower::lower_embedded(&sql, &|i| offset + i, dialect, in_down)
}

/// The value of a plain Python string literal; None for anything else.
pub(super) fn string_literal(text: &str) -> Option<String> {
    let text = text.trim();
    let body = text.trim_start_matches(['r', 'R', 'u', 'U']);
    for quote in ["\"\"\"", "'''", "\"", "'"] {
        if let Some(inner) = body
            .strip_prefix(quote)
            .and_then(|rest| rest.strip_suffix(quote))
        {
            return (!inner.contains(quote)).then(|| inner.to_string());
        }
    }
    None
}
