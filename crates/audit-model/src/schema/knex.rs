//! Knex migrations lowered to the same schema events as SQL: the `knex.schema` calls of
//! a migration's `up`/`down` (`createTable`, `alterTable`/`table`, `dropTable`,
//! `renameTable`, each table builder call in their callback: column types and their
//! `notNullable`/`defaultTo`/`primary`/`unique`/`index`/`references` modifiers,
//! `dropColumn`, `renameColumn`, `index`, `unique`, `primary`, `foreign`), those in
//! `down` marked as rollback, and the SQL of `knex.raw("...")` parsed like a `.sql` file.

use std::cell::RefCell;

use audit_core::Span;
use audit_syntax::tree_sitter::{Node, Tree};
use audit_syntax::{SqlDialect, StatementKind};

use super::event::{
    Change, ColumnDef, ColumnType, Constraint, ConstraintDef, Event, IndexedRows, Name, Statement,
    TableKey, TableRef,
};
use super::js::{
    arguments, down_function, embedded_sql, in_down, member_call, node_span, pattern_name,
    plain_string, sql_argument, strings_in,
};
use super::replay::CodeMigration;
use crate::code::CodeSemantics;
use crate::code::nodes::{Fields, KindName};

/// The `knex.schema` methods that change a table.
const SCHEMA_OPERATIONS: &[&str] = &[
    "createTable",
    "createTableIfNotExists",
    "alterTable",
    "table",
    "dropTable",
    "dropTableIfExists",
    "renameTable",
    "withSchema",
];

/// Whether a JS/TS file reads like a Knex migration: it has an `up` and calls
/// `.schema` builders or `.raw(...)`.
pub fn is_knex_migration(text: &str) -> bool {
    (text.contains(".schema") || text.contains(".raw(")) && text.contains("up")
}

/// The schema changes of a Knex migration file, lowered.
pub fn lower_knex(
    tree: &Tree,
    semantics: &CodeSemantics,
    text: &str,
    dialect: SqlDialect,
) -> CodeMigration {
    let knex = Knex {
        semantics,
        text,
        dialect,
        unclassified: RefCell::new(Vec::new()),
    };
    let root = tree.root_node();
    let mut statements = Vec::new();
    for call in semantics.calls() {
        let Some(node) = root.descendant_for_byte_range(call.span.start, call.span.end) else {
            continue;
        };
        let Some((object, method)) = member_call(node, text) else {
            continue;
        };
        // Migrations written for several databases branch on the client: only the
        // branch for this set's dialect runs here.
        if for_another_client(node, text, dialect) {
            continue;
        }
        let in_down = in_down(semantics, call.span.start);
        if method == "raw" {
            // `knex.raw(sql)` and `knex.schema.raw(sql)` at the top of a chain.
            if let Some(sql) = arguments(node)
                .first()
                .and_then(|a| sql_argument(*a, semantics, text))
            {
                statements.extend(embedded_sql(&sql, dialect, in_down));
            }
            continue;
        }
        if method == "withSchema" || !SCHEMA_OPERATIONS.contains(&method) {
            continue;
        }
        let Some(schema) = schema_of(object, text) else {
            continue;
        };
        match knex.operation(node, method, schema, in_down) {
            Some(statement) => statements.extend(split_indexes(statement)),
            None => knex.unclassified.borrow_mut().push(call.span),
        }
    }
    // A chain runs from its innermost call: `alterTable(...).renameTable(...)` alters,
    // then renames.
    statements.sort_by_key(|s| (s.span.start, s.span.end));
    CodeMigration {
        statements,
        unclassified: knex.unclassified.into_inner(),
        down_function: down_function(semantics, text),
    }
}

struct Knex<'a> {
    semantics: &'a CodeSemantics,
    text: &'a str,
    dialect: SqlDialect,
    /// Operations and table builder calls not lowered.
    unclassified: RefCell<Vec<Span>>,
}

impl Knex<'_> {
    fn operation(
        &self,
        call: Node<'_>,
        method: &str,
        schema: Option<Name>,
        in_down: bool,
    ) -> Option<Statement> {
        let span = node_span(call);
        let args = arguments(call);
        let table = |i: usize| {
            let name = plain_string(*args.get(i)?, self.text)?.value;
            // `schema.table` written in the name.
            let (schema, name) = match name.split_once('.') {
                Some((s, n)) => (Some(Name::new(s, true)), n),
                None => (schema.clone(), name.as_str()),
            };
            Some(TableRef::new(TableKey {
                schema: schema.filter(|s| s.as_str() != "public"),
                name: Name::new(name, true),
            }))
        };
        let table_ref = table(0)?;
        let event = |change| vec![Event { span, change }];
        let (kind, events) = match method {
            "createTable" | "createTableIfNotExists" => {
                let mut columns = Vec::new();
                let mut constraints = Vec::new();
                let mut later = Vec::new();
                for step in self.builder_steps(args.get(1).copied(), &table_ref) {
                    match step {
                        Step::Column(column, inline) => {
                            columns.push(column);
                            constraints.extend(inline);
                        }
                        Step::Change(event) => match event.change {
                            Change::AddConstraint { constraint, .. } => {
                                constraints.push(constraint)
                            }
                            _ => later.push(event),
                        },
                    }
                }
                let mut events = event(Change::CreateTable {
                    table: table_ref.clone(),
                    columns: Some(columns),
                    constraints,
                    if_not_exists: method == "createTableIfNotExists",
                    temporary: false,
                });
                events.extend(later);
                (StatementKind::CreateTable, events)
            }
            "alterTable" | "table" => {
                let mut events = Vec::new();
                for step in self.builder_steps(args.get(1).copied(), &table_ref) {
                    match step {
                        Step::Column(column, inline) => {
                            let span = column.span;
                            events.push(Event {
                                span,
                                change: Change::AddColumn {
                                    table: table_ref.clone(),
                                    column,
                                },
                            });
                            events.extend(inline.into_iter().map(|constraint| Event {
                                span,
                                change: Change::AddConstraint {
                                    table: table_ref.clone(),
                                    constraint,
                                    not_valid: false,
                                },
                            }));
                        }
                        Step::Change(event) => events.push(event),
                    }
                }
                (StatementKind::AlterTable, events)
            }
            "dropTable" | "dropTableIfExists" => (
                StatementKind::DropTable,
                event(Change::DropTable { table: table_ref }),
            ),
            "renameTable" => (
                StatementKind::AlterTable,
                event(Change::RenameTable {
                    to: table(1)?.key,
                    table: table_ref,
                }),
            ),
            _ => return None,
        };
        Some(Statement::from_code(span, kind, events, in_down, false))
    }

    /// The table builder calls of a `createTable`/`alterTable` callback (`t =>
    /// { t.string("email").notNullable(); ... }`) on `table`, in order.
    fn builder_steps(&self, callback: Option<Node<'_>>, table: &TableRef) -> Vec<Step> {
        let Some(callback) = callback else {
            return Vec::new();
        };
        let Some(parameter) = callback
            .field("parameters")
            .and_then(|p| p.named_child(0))
            .or_else(|| callback.field("parameter"))
            .map(|p| pattern_name(p, self.text))
        else {
            return Vec::new();
        };
        let Some(body) = callback.field("body") else {
            return Vec::new();
        };
        let mut steps = Vec::new();
        for call in self.semantics.calls() {
            if call.span.start < body.start_byte() || call.span.end > body.end_byte() {
                continue;
            }
            let Some(node) = body.descendant_for_byte_range(call.span.start, call.span.end) else {
                continue;
            };
            // Only whole chains: `t.string("a").notNullable()`, not its inner calls.
            if node
                .parent()
                .is_some_and(|p| p.kind_name() == "member_expression")
            {
                continue;
            }
            let chain = chain(node, self.text);
            let Some(((base, first), rest)) = chain.split_first() else {
                continue;
            };
            if base.as_deref() != Some(parameter)
                || for_another_client(node, self.text, self.dialect)
            {
                continue;
            }
            match self.builder_step(node, table, first, rest) {
                Some(made) => steps.extend(made),
                None => self.unclassified.borrow_mut().push(node_span(node)),
            }
        }
        steps
    }

    fn builder_step(
        &self,
        whole: Node<'_>,
        table: &TableRef,
        first: &Link<'_>,
        rest: &[(Option<&str>, Link<'_>)],
    ) -> Option<Vec<Step>> {
        let span = node_span(whole);
        let strings = |node: Option<&Node<'_>>| -> Vec<Name> {
            node.map(|n| strings_in(*n, self.text))
                .unwrap_or_default()
                .iter()
                .map(|s| Name::new(s, true))
                .collect()
        };
        let this_table = || table.clone();
        // Knex's names for what it is not given a name for: `<table>_<columns>_<suffix>`.
        let knex_name = |columns: &[Name], suffix: &str| {
            let columns: Vec<&str> = columns.iter().map(Name::as_str).collect();
            Name::new(
                &format!("{}_{}_{suffix}", table.key.name, columns.join("_")).to_lowercase(),
                true,
            )
        };
        let given_name = |i: usize| {
            first
                .args
                .get(i)
                .and_then(|n| plain_string(*n, self.text))
                .map(|s| Name::new(&s.value, true))
        };
        let change = |change| Some(vec![Step::Change(Event { span, change })]);
        let modifiers: Vec<&str> = rest.iter().map(|(_, link)| link.method).collect();
        match first.method {
            "dropColumn" | "dropColumns" => Some(
                first
                    .args
                    .iter()
                    .flat_map(|a| strings_in(*a, self.text))
                    .map(|column| {
                        Step::Change(Event {
                            span,
                            change: Change::DropColumn {
                                table: this_table(),
                                column: Name::new(&column, true),
                            },
                        })
                    })
                    .collect(),
            ),
            "renameColumn" => change(Change::RenameColumn {
                table: this_table(),
                column: Name::new(&plain_string(*first.args.first()?, self.text)?.value, true),
                to: Name::new(&plain_string(*first.args.get(1)?, self.text)?.value, true),
            }),
            "index" | "unique" | "primary" if !first.args.is_empty() => {
                let columns = strings(first.args.first());
                let suffix = match first.method {
                    "index" => "index",
                    "unique" => "unique",
                    _ => "pkey",
                };
                let name = given_name(1).or_else(|| Some(knex_name(&columns, suffix)));
                let constraint = match first.method {
                    "index" => {
                        return change(Change::CreateIndex {
                            table: this_table(),
                            name,
                            columns,
                            unique: false,
                            concurrently: false,
                            only: false,
                            rows: IndexedRows::All,
                        });
                    }
                    "unique" => Constraint::Unique { columns },
                    _ => Constraint::PrimaryKey { columns },
                };
                change(Change::AddConstraint {
                    table: this_table(),
                    constraint: ConstraintDef {
                        name,
                        constraint,
                        span,
                    },
                    not_valid: false,
                })
            }
            "dropIndex" => {
                let columns = strings(first.args.first());
                let name = given_name(1).unwrap_or_else(|| knex_name(&columns, "index"));
                change(Change::DropIndex {
                    names: vec![name],
                    concurrently: false,
                })
            }
            "dropUnique" | "dropForeign" => {
                let columns = strings(first.args.first());
                let suffix = if first.method == "dropUnique" {
                    "unique"
                } else {
                    "foreign"
                };
                let name = given_name(1).unwrap_or_else(|| knex_name(&columns, suffix));
                change(Change::DropConstraint {
                    table: this_table(),
                    name,
                })
            }
            "dropPrimary" => change(Change::DropPrimaryKey {
                table: this_table(),
            }),
            "setNullable" | "dropNullable" => {
                let column = Name::new(&plain_string(*first.args.first()?, self.text)?.value, true);
                change(if first.method == "setNullable" {
                    Change::DropNotNull {
                        table: this_table(),
                        column,
                    }
                } else {
                    Change::SetNotNull {
                        table: this_table(),
                        column,
                    }
                })
            }
            // Table options that change no column, key or index.
            "comment" | "engine" | "charset" | "collate" | "inherits" => Some(Vec::new()),
            "foreign" => {
                let columns = strings(first.args.first());
                let (references, referred_columns) = self.references(rest)?;
                let name = given_name(1).unwrap_or_else(|| knex_name(&columns, "foreign"));
                change(Change::AddConstraint {
                    table: this_table(),
                    constraint: ConstraintDef {
                        name: Some(name),
                        constraint: Constraint::ForeignKey {
                            columns,
                            references,
                            referred_columns,
                        },
                        span,
                    },
                    not_valid: false,
                })
            }
            // `timestamps(useTimestamps, defaultToNow, useCamelCase)`: `created_at` and
            // `updated_at` (timestamptz on PostgreSQL), NOT NULL DEFAULT now() when asked.
            "timestamps" => {
                let flag = |i: usize| {
                    first
                        .args
                        .get(i)
                        .is_some_and(|a| &self.text[a.byte_range()] == "true")
                };
                let filled = flag(1);
                let names = if flag(2) {
                    ["createdAt", "updatedAt"]
                } else {
                    ["created_at", "updated_at"]
                };
                Some(
                    names
                        .into_iter()
                        .map(|name| {
                            Step::Column(
                                ColumnDef {
                                    name: Name::new(name, true),
                                    data_type: Some(ColumnType {
                                        name: "timestamptz".into(),
                                        args: Vec::new(),
                                    }),
                                    not_null: filled,
                                    has_default: filled,
                                    type_span: span,
                                    span,
                                },
                                Vec::new(),
                            )
                        })
                        .collect(),
                )
            }
            method => {
                let (data_type, implied_default, primary) =
                    column_type(method, &first.args, self.text)?;
                let name = match first.args.first() {
                    Some(arg) => Name::new(&plain_string(*arg, self.text)?.value, true),
                    // `t.increments()` names its column `id`.
                    None if primary => Name::new("id", true),
                    None => return None,
                };
                let primary = primary || modifiers.contains(&"primary");
                let mut inline = Vec::new();
                let own = std::slice::from_ref(&name);
                let constraint = |constraint, suffix| ConstraintDef {
                    name: Some(knex_name(own, suffix)),
                    constraint,
                    span,
                };
                if primary {
                    inline.push(constraint(
                        Constraint::PrimaryKey {
                            columns: vec![name.clone()],
                        },
                        "pkey",
                    ));
                }
                if modifiers.contains(&"unique") {
                    inline.push(constraint(
                        Constraint::Unique {
                            columns: vec![name.clone()],
                        },
                        "unique",
                    ));
                }
                if modifiers.contains(&"index") {
                    inline.push(constraint(
                        Constraint::Index {
                            columns: vec![name.clone()],
                        },
                        "index",
                    ));
                }
                if let Some((references, referred_columns)) = self.references(rest) {
                    inline.push(constraint(
                        Constraint::ForeignKey {
                            columns: vec![name.clone()],
                            references,
                            referred_columns,
                        },
                        "foreign",
                    ));
                }
                // The last of `nullable()`/`notNullable()` wins.
                let not_null = primary
                    || modifiers
                        .iter()
                        .rev()
                        .find(|m| matches!(**m, "nullable" | "notNullable"))
                        == Some(&"notNullable");
                let column = ColumnDef {
                    name,
                    data_type: Some(data_type),
                    not_null,
                    has_default: implied_default || modifiers.contains(&"defaultTo"),
                    type_span: node_span(first.node),
                    span,
                };
                // `.alter()` restates the column: its type, its nullability (nullable
                // unless `notNullable()`), and the keys it declares.
                if modifiers.contains(&"alter") {
                    let event = |change| Step::Change(Event { span, change });
                    let mut steps = vec![event(Change::AlterColumnType {
                        table: this_table(),
                        column: column.name.clone(),
                        data_type: column.data_type?,
                        using: false,
                    })];
                    steps.push(event(if column.not_null {
                        Change::SetNotNull {
                            table: this_table(),
                            column: column.name,
                        }
                    } else {
                        Change::DropNotNull {
                            table: this_table(),
                            column: column.name,
                        }
                    }));
                    steps.extend(inline.into_iter().map(|constraint| {
                        event(Change::AddConstraint {
                            table: this_table(),
                            constraint,
                            not_valid: false,
                        })
                    }));
                    return Some(steps);
                }
                Some(vec![Step::Column(column, inline)])
            }
        }
    }

    /// `.references("id").inTable("users")`, `.references("users.id")`.
    fn references(&self, rest: &[(Option<&str>, Link<'_>)]) -> Option<(TableRef, Vec<Name>)> {
        let argument = |method: &str| {
            rest.iter()
                .find(|(_, l)| l.method == method)
                .and_then(|(_, l)| l.args.first())
                .and_then(|a| plain_string(*a, self.text))
                .map(|s| s.value)
        };
        let referenced = argument("references")?;
        let (table, column) = match (argument("inTable"), referenced.rsplit_once('.')) {
            (Some(table), _) => (table, referenced),
            (None, Some((table, column))) => (table.to_string(), column.to_string()),
            (None, None) => return None,
        };
        let (schema, table) = match table.split_once('.') {
            Some((s, t)) => (Some(Name::new(s, true)), t.to_string()),
            None => (None, table),
        };
        Some((
            TableRef::new(TableKey {
                schema: schema.filter(|s| s.as_str() != "public"),
                name: Name::new(&table, true),
            }),
            vec![Name::new(&column, true)],
        ))
    }
}

/// In a PostgreSQL set, inside an `if` or a `switch` on the Knex client that runs on
/// another database: the branch of `if (isSQLite)` / `if (client.includes("mysql"))`,
/// the `else` of `if (isPg(knex))` (and the other way round under `!`), a `case
/// "mysql":` (with the empty cases that fall into it).
fn for_another_client(node: Node<'_>, text: &str, dialect: SqlDialect) -> bool {
    const OTHERS: &[&str] = &["sqlite", "mysql", "maria", "mssql", "oracle"];
    const POSTGRES: &[&str] = &["pg", "postgres"];
    if dialect != SqlDialect::Postgres {
        return false;
    }
    let names = |written: &str, words: &[&str]| {
        let written = written.to_ascii_lowercase();
        words.iter().any(|w| {
            written
                .split(|c: char| !c.is_ascii_alphanumeric())
                .any(|part| part.starts_with(w) || part.ends_with(w))
        })
    };
    let mut child = node;
    while let Some(parent) = child.parent() {
        // `switch (client) { case "mysql": ... }`: the labels that reach this case's
        // statements (those of the empty cases just before it fall through).
        if parent.kind_name() == "switch_case"
            && parent.field("value").is_none_or(|v| v.id() != child.id())
        {
            let mut labels = Vec::new();
            let mut case = Some(parent);
            while let Some(current) = case {
                if let Some(value) = current.field("value") {
                    labels.push(&text[value.byte_range()]);
                }
                case = current
                    .prev_named_sibling()
                    .filter(|p| p.kind_name() == "switch_case" && p.named_child_count() == 1);
            }
            let postgres = labels.iter().any(|l| names(l, POSTGRES));
            if !postgres && !labels.is_empty() && labels.iter().all(|l| names(l, OTHERS)) {
                return true;
            }
        }
        if parent.kind_name() == "if_statement"
            && let Some(condition) = parent.field("condition")
            && condition.id() != child.id()
        {
            let written = text[condition.byte_range()].to_ascii_lowercase();
            let bare = written.trim_start_matches(['(', ' ']);
            let negated = bare.starts_with('!') || written.contains("!=");
            let in_consequence = parent
                .field("consequence")
                .is_some_and(|c| c.id() == child.id());
            let runs_there = if names(&written, OTHERS) {
                in_consequence == negated
            } else if names(&written, POSTGRES) {
                in_consequence != negated
            } else {
                true
            };
            if !runs_there {
                return true;
            }
        }
        child = parent;
    }
    false
}

/// A table builder's indexes as `CREATE INDEX` statements of their own after the rest,
/// since checks run by statement kind.
fn split_indexes(mut statement: Statement) -> Vec<Statement> {
    let (indexes, rest): (Vec<Event>, Vec<Event>) = std::mem::take(&mut statement.events)
        .into_iter()
        .partition(|e| matches!(e.change, Change::CreateIndex { .. }));
    let in_down = statement.in_down_section;
    let indexes = indexes.into_iter().map(|event| {
        Statement::from_code(
            event.span,
            StatementKind::CreateIndex,
            vec![event],
            in_down,
            false,
        )
    });
    statement.events = rest;
    std::iter::once(statement).chain(indexes).collect()
}

/// What one table builder call makes: a column (with its inline constraints), or a
/// change to the table.
enum Step {
    Column(ColumnDef, Vec<ConstraintDef>),
    Change(Event),
}

/// A Knex column method as the SQL type it creates on PostgreSQL, whether the database
/// fills it itself, and whether it is the primary key (`increments`).
fn column_type(method: &str, args: &[Node<'_>], text: &str) -> Option<(ColumnType, bool, bool)> {
    let number = |i: usize| {
        args.get(i)
            .filter(|n| n.kind_name() == "number")
            .and_then(|n| text[n.byte_range()].parse::<u64>().ok())
    };
    let plain = |name: &str| ColumnType {
        name: name.into(),
        args: Vec::new(),
    };
    let typed = match method {
        "increments" => return Some((plain("serial"), true, true)),
        "bigIncrements" => return Some((plain("bigserial"), true, true)),
        "integer" | "mediumint" => plain("int4"),
        "bigInteger" | "bigint" => plain("int8"),
        "tinyint" | "smallint" => plain("int2"),
        "string" => ColumnType {
            name: "varchar".into(),
            args: vec![number(1).unwrap_or(255)],
        },
        "text" => plain("text"),
        "float" => plain("float4"),
        "double" => plain("float8"),
        "decimal" => ColumnType {
            name: "numeric".into(),
            args: [number(1), number(2)].into_iter().flatten().collect(),
        },
        "boolean" => plain("bool"),
        "date" => plain("date"),
        // Knex makes `timestamptz` on PostgreSQL unless told `{ useTz: false }`.
        "timestamp" | "datetime" | "dateTime" => {
            let without_zone = args.get(1).is_some_and(|o| {
                text[o.byte_range()]
                    .replace(char::is_whitespace, "")
                    .contains("useTz:false")
            });
            plain(if without_zone {
                "timestamp"
            } else {
                "timestamptz"
            })
        }
        "time" => plain("time"),
        "binary" => plain("bytea"),
        "enum" | "enu" => plain("text"),
        "json" => plain("json"),
        "jsonb" => plain("jsonb"),
        "uuid" => plain("uuid"),
        "specificType" => ColumnType::parse(&plain_string(*args.get(1)?, text)?.value),
        _ => return None,
    };
    Some((typed, false, false))
}

/// One call of a method chain: `.notNullable()`.
struct Link<'t> {
    node: Node<'t>,
    method: &'t str,
    args: Vec<Node<'t>>,
}

/// A method chain from its base: `t.string("a").notNullable()` is `[(Some("t"),
/// string("a")), (None, notNullable())]`; the first link names the identifier it is
/// called on.
fn chain<'t>(call: Node<'t>, text: &'t str) -> Vec<(Option<&'t str>, Link<'t>)> {
    let mut links = Vec::new();
    let mut current = call;
    while let Some((object, method)) = member_call(current, text) {
        let base = (object.kind_name() == "identifier").then(|| &text[object.byte_range()]);
        links.push((
            base,
            Link {
                node: current,
                method,
                args: arguments(current),
            },
        ));
        if object.kind_name() != "call_expression" {
            break;
        }
        current = object;
    }
    links.reverse();
    links
}

/// Whether `object` is a schema builder (`knex.schema`, `this.knex.schema`,
/// `knex.schema.withSchema("billing")`, a chain of its operations), and the schema it
/// names.
fn schema_of(object: Node<'_>, text: &str) -> Option<Option<Name>> {
    match object.kind_name() {
        "member_expression" => {
            let property = object.field("property")?;
            (&text[property.byte_range()] == "schema").then_some(None)
        }
        "call_expression" => {
            let (inner, method) = member_call(object, text)?;
            let outer = schema_of(inner, text)?;
            if method == "withSchema" {
                let schema = arguments(object)
                    .first()
                    .and_then(|a| plain_string(*a, text))
                    .map(|s| Name::new(&s.value, true));
                return Some(schema);
            }
            SCHEMA_OPERATIONS.contains(&method).then_some(outer)
        }
        _ => None,
    }
}
