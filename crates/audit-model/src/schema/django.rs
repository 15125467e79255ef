//! Django migrations lowered to the same schema events as SQL: each operation of a
//! `migrations/NNNN_x.py` file (`migrations.CreateModel`, `AddField`, `RemoveField`,
//! `RenameField`, `AlterField`, `DeleteModel`, `RenameModel`, `AddIndex`, `RemoveIndex`,
//! `AddConstraint`, `RemoveConstraint`, `AlterUniqueTogether`, ...) read from the code
//! model's calls, their qualified names and keyword arguments. Tables are named as
//! Django names them: `<app_label>_<model>`, a many-to-many field's join table
//! `<app_label>_<model>_<field>`.

use audit_core::Span;
use audit_syntax::tree_sitter::{Node, Tree};
use audit_syntax::{SqlDialect, StatementKind};

use super::alembic::{python_sql, string_literal};
use super::event::{
    Change, ColumnDef, ColumnType, Constraint, ConstraintDef, Event, IndexedRows, Name, Statement,
    TableKey, TableRef,
};
use super::replay::CodeMigration;
use crate::code::nodes::{Fields, KindName};
use crate::code::{Call, CodeSemantics};

/// Fields whose empty value is `""`, Django's default for a `blank=True` one.
const TEXT_FIELDS: &[&str] = &[
    "CharField",
    "TextField",
    "SlugField",
    "EmailField",
    "URLField",
    "FilePathField",
    "FileField",
    "ImageField",
    "GenericIPAddressField",
];

/// Where Django's migration operations live.
const OPERATIONS: &[&str] = &[
    "django.db.migrations.",
    "django.contrib.postgres.operations.",
];

/// The operations of a Django migration file, lowered; `app_label` is the folder that
/// holds `migrations/`. Operations no rule reads (`RunPython`, `AlterModelOptions`, ...)
/// are statements without events; a call that is not an operation is left out.
pub fn lower_django(
    tree: &Tree,
    semantics: &CodeSemantics,
    text: &str,
    app_label: &str,
    dialect: SqlDialect,
) -> CodeMigration {
    let lowering = Django {
        tree,
        semantics,
        text,
        app_label,
    };
    // `SeparateDatabaseAndState(state_operations=[...])` changes only Django's idea of
    // the models: the operations it lists there touch no table.
    let state_only: Vec<Span> = semantics
        .calls()
        .iter()
        .filter(|c| {
            c.qualified_name
                .as_deref()
                .is_some_and(|n| n.ends_with(".SeparateDatabaseAndState"))
        })
        .filter_map(|c| c.keyword("state_operations"))
        .map(|k| k.value)
        .collect();
    let mut migration = CodeMigration::default();
    for call in semantics.calls() {
        let Some(name) = call.qualified_name.as_deref() else {
            continue;
        };
        if state_only
            .iter()
            .any(|s| s.start <= call.span.start && call.span.end <= s.end)
        {
            continue;
        }
        let Some(operation) = OPERATIONS.iter().find_map(|p| name.strip_prefix(p)) else {
            continue;
        };
        // `migrations.Migration` is the class, `migrations.swappable_dependency` a
        // helper, `migrations.RunPython.noop` a function.
        if !operation.starts_with(|c: char| c.is_ascii_uppercase())
            || operation == "Migration"
            || operation.contains('.')
        {
            continue;
        }
        let statement = lowering.operation(operation, call);
        if statement.events.is_empty()
            && !NO_EVENTS.contains(&operation)
            && !lowering.restates_relation(operation, call)
        {
            migration.unclassified.push(call.span);
        }
        migration.statements.push(statement);
        if operation == "RunSQL" {
            let sql = lowering.run_sql(call, dialect);
            if sql.is_empty() {
                migration.unclassified.push(call.span);
            }
            migration.statements.extend(sql);
        }
    }
    migration
}

/// The join table Django names for the many-to-many field `field` of the model whose
/// table is `model` (unless the field sets `db_table`).
pub(super) fn join_table_key(model: &TableKey, field: &Name) -> TableKey {
    TableKey {
        schema: model.schema.clone(),
        name: Name::new(
            &format!("{}_{}", model.name.as_str(), field.as_str()),
            false,
        ),
    }
}

/// Operations that change nothing a rule reads (or whose SQL is read on its own), or not
/// always: `RenameIndex(old_fields=...)` names an unnamed `index_together` index, which
/// nothing finds by name.
const NO_EVENTS: &[&str] = &[
    "RunPython",
    "RunSQL",
    "AlterModelOptions",
    "AlterModelManagers",
    "AlterOrderWithRespectTo",
    "SeparateDatabaseAndState",
    "RenameIndex",
    "AlterModelTableComment",
    "CreateExtension",
    "BtreeGistExtension",
    "CITextExtension",
    "CryptoExtension",
    "HStoreExtension",
    "TrigramExtension",
    "UnaccentExtension",
    "CreateCollation",
    "RemoveCollation",
];

/// The app label of a Django migration: the folder holding its `migrations/` folder
/// (`shop/migrations/0002_x.py` -> `shop`).
pub fn django_app_label(path: &str) -> Option<&str> {
    let mut parts = path.rsplit('/');
    let _file = parts.next()?;
    if parts.next()? != "migrations" {
        return None;
    }
    parts.next()
}

struct Django<'a> {
    tree: &'a Tree,
    semantics: &'a CodeSemantics,
    text: &'a str,
    app_label: &'a str,
}

impl Django<'_> {
    fn operation(&self, operation: &str, call: &Call) -> Statement {
        let span = call.span;
        let model = |key: &str| self.keyword_string(call, key).map(|m| self.table(&m));
        let field = |key: &str| self.keyword_string(call, key).map(|f| Name::new(&f, false));
        let event = |change| vec![Event { span, change }];
        let (kind, events) = match operation {
            "CreateModel" => match (model("name"), self.keyword_string(call, "name")) {
                (Some(table), Some(name)) => {
                    let mut constraints = Vec::new();
                    let columns = self.fields(call, &mut constraints);
                    let mut events = event(Change::CreateTable {
                        table,
                        columns,
                        constraints,
                        if_not_exists: false,
                        temporary: false,
                    });
                    events.extend(
                        self.many_to_many_fields(call)
                            .filter_map(|(field, definition)| {
                                self.join_table(&name, &field, definition)
                            })
                            .map(|change| Event { span, change }),
                    );
                    (StatementKind::CreateTable, events)
                }
                _ => (StatementKind::CreateTable, Vec::new()),
            },
            "DeleteModel" => (
                StatementKind::DropTable,
                model("name")
                    .map(|table| event(Change::DropTable { table }))
                    .unwrap_or_default(),
            ),
            "RenameModel" => (
                StatementKind::Other,
                match (model("old_name"), model("new_name")) {
                    (Some(table), Some(to)) => event(Change::RenameTable { table, to: to.key }),
                    _ => Vec::new(),
                },
            ),
            // A many-to-many field is a join table of its own.
            "AddField"
                if self
                    .keyword_call(call, "field")
                    .is_some_and(is_many_to_many) =>
            {
                (
                    StatementKind::CreateTable,
                    match (
                        self.keyword_string(call, "model_name"),
                        field("name"),
                        self.keyword_call(call, "field"),
                    ) {
                        (Some(model), Some(name), Some(field)) => self
                            .join_table(&model, &name, field)
                            .map(event)
                            .unwrap_or_default(),
                        _ => Vec::new(),
                    },
                )
            }
            "AddField" | "AlterField" => {
                let column = self
                    .keyword_call(call, "field")
                    .filter(|f| !is_many_to_many(f))
                    .zip(field("name"))
                    .map(|(field_call, name)| self.column(name, field_call));
                let change = model("model_name").zip(column).map(|(table, column)| {
                    if operation == "AddField" {
                        Change::AddColumn { table, column }
                    } else {
                        Change::AlterColumnType {
                            table,
                            column: column.name,
                            data_type: column.data_type.unwrap_or(ColumnType {
                                name: "unknown".into(),
                                args: Vec::new(),
                            }),
                            using: false,
                        }
                    }
                });
                // The index of a field added, or altered to `db_index=True`/`unique=True`.
                let indexed = match &change {
                    Some(Change::AddColumn { table, column }) => Some((table, &column.name)),
                    Some(Change::AlterColumnType { table, column, .. }) => Some((table, column)),
                    _ => None,
                };
                let index = match (indexed, self.keyword_call(call, "field")) {
                    (Some((table, column)), Some(field)) => {
                        self.field_index(field, column)
                            .map(|constraint| Change::AddConstraint {
                                table: table.clone(),
                                constraint: ConstraintDef {
                                    name: None,
                                    constraint,
                                    span,
                                },
                                not_valid: false,
                            })
                    }
                    _ => None,
                };
                let mut events = match change {
                    // A type Django's field does not say (a relation) changes nothing known.
                    Some(Change::AlterColumnType { data_type, .. }) if data_type.is("unknown") => {
                        Vec::new()
                    }
                    Some(change) => event(change),
                    None => Vec::new(),
                };
                events.extend(index.map(|change| Event { span, change }));
                (StatementKind::AlterTable, events)
            }
            "RemoveField" => (
                StatementKind::AlterTable,
                model("model_name")
                    .zip(field("name"))
                    .map(|(table, field)| event(Change::RemoveField { table, field }))
                    .unwrap_or_default(),
            ),
            "RenameField" => (
                StatementKind::AlterTable,
                match (model("model_name"), field("old_name"), field("new_name")) {
                    (Some(table), Some(column), Some(to)) => {
                        event(Change::RenameColumn { table, column, to })
                    }
                    _ => Vec::new(),
                },
            ),
            "AddIndex" | "AddIndexConcurrently" => (
                StatementKind::CreateIndex,
                model("model_name")
                    .map(|table| {
                        let index = self.keyword_call(call, "index");
                        let columns = index
                            .and_then(|i| i.keyword("fields"))
                            .map(|k| self.strings_in(k.value))
                            .unwrap_or_default()
                            .iter()
                            .map(|f| Name::new(f, false))
                            .collect();
                        event(Change::CreateIndex {
                            table,
                            name: index
                                .and_then(|i| self.keyword_string(i, "name"))
                                .map(|n| Name::new(&n, false)),
                            columns,
                            unique: false,
                            concurrently: operation == "AddIndexConcurrently",
                            only: false,
                            rows: match index.and_then(|i| i.keyword("condition")) {
                                Some(condition) => {
                                    IndexedRows::Partial(self.condition_fields(condition.value))
                                }
                                None => IndexedRows::All,
                            },
                        })
                    })
                    .unwrap_or_default(),
            ),
            // `unique_together={("a", "b")}`: the model's unique constraints become one
            // per tuple (`set()`: none).
            "AlterUniqueTogether" => (
                StatementKind::AlterTable,
                match (model("name"), call.keyword("unique_together")) {
                    (Some(table), Some(together)) => event(Change::SetUniqueTogether {
                        table,
                        groups: self.field_groups(together.value),
                    }),
                    _ => Vec::new(),
                },
            ),
            // `index_together={("a", "b")}`: an index per tuple.
            "AlterIndexTogether" => (
                StatementKind::CreateIndex,
                match (model("name"), call.keyword("index_together")) {
                    (Some(table), Some(together)) => self
                        .field_groups(together.value)
                        .into_iter()
                        .map(|columns| Event {
                            span,
                            change: Change::CreateIndex {
                                table: table.clone(),
                                name: None,
                                columns,
                                unique: false,
                                concurrently: false,
                                only: false,
                                rows: IndexedRows::All,
                            },
                        })
                        .collect(),
                    _ => Vec::new(),
                },
            ),
            // `AddConstraint(model_name, constraint=models.UniqueConstraint(fields=[...]))`
            // or a `CheckConstraint`.
            "AddConstraint" => {
                let constraint = self.keyword_call(call, "constraint").and_then(|c| {
                    let class = c.qualified_name.as_deref()?.rsplit('.').next()?;
                    let constraint = match class {
                        "UniqueConstraint" if c.keyword("condition").is_none() => {
                            Constraint::Unique {
                                columns: c
                                    .keyword("fields")
                                    .map(|k| self.strings_in(k.value))
                                    .unwrap_or_default()
                                    .iter()
                                    .map(|f| Name::new(f, false))
                                    .collect(),
                            }
                        }
                        "CheckConstraint" => Constraint::Check,
                        _ => Constraint::Other,
                    };
                    Some(ConstraintDef {
                        name: self.keyword_string(c, "name").map(|n| Name::new(&n, false)),
                        constraint,
                        span: c.span,
                    })
                });
                (
                    StatementKind::AlterTable,
                    model("model_name")
                        .zip(constraint)
                        .map(|(table, constraint)| {
                            event(Change::AddConstraint {
                                table,
                                constraint,
                                not_valid: false,
                            })
                        })
                        .unwrap_or_default(),
                )
            }
            "RemoveIndex" | "RemoveIndexConcurrently" => (
                StatementKind::DropIndex,
                field("name")
                    .map(|name| {
                        event(Change::DropIndex {
                            names: vec![name],
                            concurrently: operation == "RemoveIndexConcurrently",
                        })
                    })
                    .unwrap_or_default(),
            ),
            "RenameIndex" => (
                StatementKind::Other,
                field("old_name")
                    .zip(field("new_name"))
                    .map(|(index, to)| event(Change::RenameIndex { index, to }))
                    .unwrap_or_default(),
            ),
            "RemoveConstraint" => (
                StatementKind::AlterTable,
                model("model_name")
                    .zip(field("name"))
                    .map(|(table, name)| event(Change::DropConstraint { table, name }))
                    .unwrap_or_default(),
            ),
            "AlterModelTable" => (
                StatementKind::Other,
                match (model("name"), self.keyword_string(call, "table")) {
                    (Some(table), Some(to)) => event(Change::RenameTable {
                        table,
                        to: TableKey {
                            schema: None,
                            name: Name::new(&to, false),
                        },
                    }),
                    _ => Vec::new(),
                },
            ),
            _ => (StatementKind::Other, Vec::new()),
        };
        let irreversible = match operation {
            "RunPython" => self.no_reverse(call, "reverse_code", 1),
            "RunSQL" => self.no_reverse(call, "reverse_sql", 1),
            _ => false,
        };
        Statement::from_code(span, kind, events, false, irreversible)
    }

    /// Whether a `RunPython`/`RunSQL` has no way back: neither the reverse keyword nor a
    /// positional argument after the forward one (`position`, counted from 0), or it is
    /// `None`.
    fn no_reverse(&self, call: &Call, keyword: &str, position: usize) -> bool {
        if let Some(reverse) = call.keyword(keyword) {
            return self.text[span_range(reverse.value)].trim() == "None";
        }
        let Some(arguments) = call.arguments.and_then(|a| self.node(a)) else {
            return true;
        };
        let mut cursor = arguments.walk();
        let positional: Vec<Node<'_>> = arguments
            .named_children(&mut cursor)
            .filter(|n| n.kind_name() != "keyword_argument" && n.kind_name() != "comment")
            .collect();
        positional
            .get(position)
            .is_none_or(|n| &self.text[n.byte_range()] == "None")
    }

    /// The statements of `RunSQL(sql, reverse_sql)`: each a string or a list of them
    /// (a `(sql, params)` pair counts by its SQL); the reverse ones as rollback.
    fn run_sql(&self, call: &Call, dialect: SqlDialect) -> Vec<Statement> {
        let Some(arguments) = call.arguments.and_then(|a| self.node(a)) else {
            return Vec::new();
        };
        let mut cursor = arguments.walk();
        let positional: Vec<Node<'_>> = arguments
            .named_children(&mut cursor)
            .filter(|n| !matches!(n.kind_name(), "keyword_argument" | "comment"))
            .collect();
        let argument = |key: &str, position: usize| {
            call.keyword(key)
                .and_then(|k| self.node(k.value))
                .or_else(|| positional.get(position).copied())
        };
        let mut statements = Vec::new();
        for (node, in_down) in [
            (argument("sql", 0), false),
            (argument("reverse_sql", 1), true),
        ] {
            let Some(node) = node else { continue };
            let items: Vec<Node<'_>> = if matches!(node.kind_name(), "list" | "tuple") {
                let mut cursor = node.walk();
                node.named_children(&mut cursor)
                    .map(|item| match item.kind_name() {
                        "tuple" => item.named_child(0).unwrap_or(item),
                        _ => item,
                    })
                    .collect()
            } else {
                vec![node]
            };
            for item in items {
                statements.extend(python_sql(item, self.text, dialect, in_down));
            }
        }
        statements
    }

    /// `{("a", "b"), ("c",)}`, `[["a", "b"]]` or one `("a", "b")`: the groups of
    /// field names.
    fn field_groups(&self, span: Span) -> Vec<Vec<Name>> {
        let Some(mut node) = self.node(span) else {
            return Vec::new();
        };
        // `set([("a", "b")])`, as older migrations write it.
        if node.kind_name() == "call"
            && let Some(inner) = node.field("arguments").and_then(|a| a.named_child(0))
        {
            node = inner;
        }
        let mut cursor = node.walk();
        let items: Vec<Node<'_>> = node.named_children(&mut cursor).collect();
        let names = |n: Node<'_>| -> Vec<Name> {
            self.strings_in(Span::new(n.start_byte(), n.end_byte()))
                .iter()
                .map(|f| Name::new(f, false))
                .collect()
        };
        if items.iter().all(|i| i.kind_name() == "string") {
            let group = names(node);
            return if group.is_empty() {
                Vec::new()
            } else {
                vec![group]
            };
        }
        items
            .into_iter()
            .filter(|i| matches!(i.kind_name(), "tuple" | "list"))
            .map(names)
            .filter(|g| !g.is_empty())
            .collect()
    }

    /// An `AlterField` of a relation (`ForeignKey`, `OneToOneField`, `ManyToManyField`):
    /// understood, though its column's type is not known here; an `AddField` of a
    /// many-to-many field `through` a model of its own, whose `CreateModel` makes the
    /// table.
    fn restates_relation(&self, operation: &str, call: &Call) -> bool {
        let field = self.keyword_call(call, "field");
        match operation {
            "AlterField" => field.is_some_and(|f| {
                f.qualified_name.as_deref().is_some_and(|q| {
                    q.ends_with(".ForeignKey")
                        || q.ends_with(".OneToOneField")
                        || q.ends_with(".ManyToManyField")
                })
            }),
            "AddField" => {
                field.is_some_and(|f| is_many_to_many(f) && f.keyword("through").is_some())
            }
            _ => false,
        }
    }

    /// The many-to-many fields of `CreateModel(fields=[...])`: name and definition.
    fn many_to_many_fields<'c>(&'c self, call: &Call) -> impl Iterator<Item = (Name, &'c Call)> {
        let fields = call
            .keyword("fields")
            .and_then(|k| self.node(k.value))
            .filter(|f| f.kind_name() == "list");
        let mut tuples = Vec::new();
        if let Some(fields) = fields {
            let mut cursor = fields.walk();
            tuples.extend(fields.named_children(&mut cursor));
        }
        tuples.into_iter().filter_map(|tuple| {
            let name = string_literal(&self.text[tuple.named_child(0)?.byte_range()])?;
            let value = tuple.named_child(1)?;
            let field = self
                .semantics
                .call(Span::new(value.start_byte(), value.end_byte()))?;
            is_many_to_many(field).then(|| (Name::new(&name, false), field))
        })
    }

    /// The join table Django creates for a many-to-many field of `model` (none when it
    /// goes `through` a model of its own): `db_table`, else `<model's table>_<field>`,
    /// with `id`, `<model>_id` and `<target>_id` (`from_`/`to_` when the model relates to
    /// itself), unique together and each indexed; only the model's side when the target
    /// is no literal.
    fn join_table(&self, model: &str, field_name: &Name, field: &Call) -> Option<Change> {
        if field.keyword("through").is_some() {
            return None;
        }
        let source = self.table(model);
        let target = self.keyword_string(field, "to").or_else(|| {
            let arguments = self.node(field.arguments?)?;
            let first = arguments.named_child(0)?;
            string_literal(&self.text[first.byte_range()])
        });
        let target_model = target
            .as_deref()
            .map(|t| t.rsplit('.').next().unwrap_or(t).to_lowercase());
        let model = model.to_lowercase();
        let table = TableRef::new(match self.keyword_string(field, "db_table") {
            Some(table) => TableKey {
                schema: None,
                name: Name::new(&table, false),
            },
            None => join_table_key(&source.key, field_name),
        });
        // A target that is no literal (`to=settings.AUTH_USER_MODEL`) is taken for
        // another model: the model's own side is known, the target's column is not.
        let target_table =
            target
                .as_deref()
                .zip(target_model.as_deref())
                .map(|(target, target_model)| {
                    if target == "self" || target_model == model {
                        source.clone()
                    } else {
                        match target.rsplit_once('.') {
                            Some((app, _)) => TableRef::new(TableKey {
                                schema: None,
                                name: Name::new(
                                    &format!("{}_{target_model}", app.to_lowercase()),
                                    false,
                                ),
                            }),
                            None => self.table(target_model),
                        }
                    }
                });
        let (from, to) = match (&target_table, &target_model) {
            (Some(target), _) if target.key == source.key => {
                (format!("from_{model}_id"), Some(format!("to_{model}_id")))
            }
            (_, target_model) => (
                format!("{model}_id"),
                target_model.as_ref().map(|t| format!("{t}_id")),
            ),
        };
        let column = |name: &str, has_default| ColumnDef {
            name: Name::new(name, false),
            data_type: None,
            not_null: true,
            has_default,
            type_span: field.span,
            span: field.span,
        };
        let names = |names: &[&str]| names.iter().map(|n| Name::new(n, false)).collect();
        let constraint = |constraint| ConstraintDef {
            name: None,
            constraint,
            span: field.span,
        };
        let mut constraints = vec![
            constraint(Constraint::PrimaryKey {
                columns: names(&["id"]),
            }),
            constraint(Constraint::Index {
                columns: names(&[&from]),
            }),
            constraint(Constraint::ForeignKey {
                columns: names(&[&from]),
                references: source,
                // The target's primary key.
                referred_columns: Vec::new(),
            }),
        ];
        let columns = match (to, target_table) {
            (Some(to), Some(target_table)) => {
                constraints.extend([
                    constraint(Constraint::Unique {
                        columns: names(&[&from, &to]),
                    }),
                    constraint(Constraint::Index {
                        columns: names(&[&to]),
                    }),
                    constraint(Constraint::ForeignKey {
                        columns: names(&[&to]),
                        references: target_table,
                        referred_columns: Vec::new(),
                    }),
                ]);
                Some(vec![
                    column("id", true),
                    column(&from, false),
                    column(&to, false),
                ])
            }
            _ => None,
        };
        Some(Change::CreateTable {
            table,
            columns,
            constraints,
            if_not_exists: false,
            temporary: false,
        })
    }

    /// `<app_label>_<model>`, as Django names a model's table.
    fn table(&self, model: &str) -> TableRef {
        TableRef::new(TableKey {
            schema: None,
            name: Name::new(
                &format!("{}_{}", self.app_label, model.to_lowercase()),
                false,
            ),
        })
    }

    fn keyword_string(&self, call: &Call, key: &str) -> Option<String> {
        string_literal(&self.text[span_range(call.keyword(key)?.value)])
    }

    /// The call a keyword argument is (`field=models.CharField(...)`).
    fn keyword_call<'c>(&'c self, call: &Call, key: &str) -> Option<&'c Call> {
        self.semantics.call(call.keyword(key)?.value)
    }

    /// The columns of `CreateModel(fields=[("name", models.XField(...)), ...])`; None
    /// when the fields are not one list literal (`[...] + extra`): then they are unknown.
    fn fields(&self, call: &Call, constraints: &mut Vec<ConstraintDef>) -> Option<Vec<ColumnDef>> {
        let fields = self.node(call.keyword("fields")?.value)?;
        if fields.kind_name() != "list" {
            return None;
        }
        let mut columns = Vec::new();
        let mut cursor = fields.walk();
        for tuple in fields.named_children(&mut cursor) {
            let (Some(name), Some(value)) = (tuple.named_child(0), tuple.named_child(1)) else {
                continue;
            };
            // A name in a variable (`(parent_rel_name, models.OneToOneField(...))`) is
            // kept as written: the column is there, under a name not known here.
            let written = &self.text[name.byte_range()];
            let name = string_literal(written).unwrap_or_else(|| written.to_string());
            let Some(field) = self
                .semantics
                .call(Span::new(value.start_byte(), value.end_byte()))
            else {
                continue;
            };
            if is_many_to_many(field) {
                continue;
            }
            let column = self.column(Name::new(&name, false), field);
            if let Some(constraint) = self.field_index(field, &column.name) {
                constraints.push(ConstraintDef {
                    name: None,
                    constraint,
                    span: column.span,
                });
            }
            if field
                .keyword("primary_key")
                .is_some_and(|k| self.is_true(k.value))
            {
                constraints.push(ConstraintDef {
                    name: None,
                    constraint: Constraint::PrimaryKey {
                        columns: vec![column.name.clone()],
                    },
                    span: column.span,
                });
            }
            columns.push(column);
        }
        Some(columns)
    }

    /// The index Django creates for a field: a foreign key's or a slug's column (unless
    /// `db_index=False`), `db_index=True`; a unique one for a one-to-one or `unique=True`.
    fn field_index(&self, field: &Call, column: &Name) -> Option<Constraint> {
        let flag = |key: &str| field.keyword(key).map(|k| self.is_true(k.value));
        let columns = vec![column.clone()];
        let class = field
            .qualified_name
            .as_deref()
            .and_then(|q| q.rsplit('.').next());
        if class == Some("OneToOneField") || flag("unique") == Some(true) {
            return Some(Constraint::Unique { columns });
        }
        let indexed = match flag("db_index") {
            Some(set) => set,
            // A slug is indexed unless told otherwise.
            None => matches!(class, Some("ForeignKey" | "SlugField")),
        };
        indexed.then_some(Constraint::Index { columns })
    }

    /// A column from a field: its type from the field class, NOT NULL unless
    /// `null=True`, a default when `default=` is given (Django backfills with it).
    fn column(&self, name: Name, field: &Call) -> ColumnDef {
        let class = field
            .qualified_name
            .as_deref()
            .and_then(|q| q.rsplit('.').next())
            .unwrap_or("");
        let number = |key: &str| {
            field
                .keyword(key)
                .and_then(|k| self.text[span_range(k.value)].trim().parse::<u64>().ok())
        };
        // The lengths Django gives these fields when `max_length` is not set.
        let default_length = match class {
            "URLField" => Some(200),
            "EmailField" => Some(254),
            "SlugField" => Some(50),
            _ => None,
        };
        let simple = |name: &str| {
            Some(ColumnType {
                name: name.into(),
                args: Vec::new(),
            })
        };
        let data_type = match class {
            "CharField" | "SlugField" | "EmailField" | "URLField" => Some(ColumnType {
                name: "varchar".into(),
                args: number("max_length")
                    .or(default_length)
                    .into_iter()
                    .collect(),
            }),
            "DecimalField" => Some(ColumnType {
                name: "numeric".into(),
                args: number("max_digits")
                    .into_iter()
                    .chain(number("decimal_places"))
                    .collect(),
            }),
            "TextField" => simple("text"),
            "IntegerField" | "PositiveIntegerField" | "AutoField" => simple("int4"),
            "BigIntegerField" | "PositiveBigIntegerField" | "BigAutoField" => simple("int8"),
            "SmallIntegerField" | "PositiveSmallIntegerField" | "SmallAutoField" => simple("int2"),
            "FloatField" => simple("float8"),
            // With USE_TZ (the default since Django 5), `timestamp with time zone`.
            "DateTimeField" => simple("timestamptz"),
            "DateField" => simple("date"),
            "BooleanField" | "NullBooleanField" => simple("bool"),
            "TimeField" => simple("time"),
            "DurationField" => simple("interval"),
            "BinaryField" => simple("bytea"),
            "GenericIPAddressField" | "IPAddressField" => simple("inet"),
            "UUIDField" => simple("uuid"),
            "JSONField" => simple("jsonb"),
            // PostgreSQL's array of its `base_field`'s type.
            "ArrayField" => self
                .keyword_call(field, "base_field")
                .and_then(|base| self.column(name.clone(), base).data_type)
                .map(|base| ColumnType {
                    name: format!("{}[]", base.name).into(),
                    args: base.args,
                }),
            _ => None,
        };
        let relation = matches!(class, "ForeignKey" | "OneToOneField");
        let db_column = self
            .keyword_string(field, "db_column")
            .map(|c| Name::new(&c, false));
        let name = if let Some(column) = db_column {
            column
        } else if relation {
            Name::new(&format!("{name}_id"), false)
        } else {
            name
        };
        let flag = |key: &str| field.keyword(key).is_some_and(|k| self.is_true(k.value));
        ColumnDef {
            name,
            data_type,
            not_null: !flag("null"),
            // Django fills a new column with the field's effective default: `default=`,
            // now for `auto_now(_add)`, and `""` for a `blank=True` text field.
            has_default: field.keyword("default").is_some()
                || class.ends_with("AutoField")
                || flag("auto_now")
                || flag("auto_now_add")
                || (flag("blank") && TEXT_FIELDS.contains(&class)),
            type_span: field.span,
            span: field.span,
        }
    }

    fn is_true(&self, value: Span) -> bool {
        self.text[span_range(value)].trim() == "True"
    }

    /// The fields an index's `condition` names: `Q(status="down") & ~Q(kind__in=k)`
    /// names `status` and `kind`. Empty when a call in it is not a `Q` of keyword
    /// arguments, or it holds none (a variable): then they are unknown.
    fn condition_fields(&self, condition: Span) -> Vec<Name> {
        let mut fields: Vec<Name> = Vec::new();
        for call in self
            .semantics
            .calls_in(condition)
            .iter()
            .filter(|c| c.span.end <= condition.end)
        {
            let callee = &self.text[span_range(call.callee)];
            let positional = call.arguments.is_some_and(|arguments| {
                let inside = &self.text[span_range(arguments)];
                let inside = inside.trim_start_matches('(').trim_end_matches(')').trim();
                !inside.is_empty() && call.keywords.is_empty()
            });
            if callee.rsplit('.').next() != Some("Q") || positional {
                return Vec::new();
            }
            for keyword in call.keywords.iter().filter(|k| !k.name.starts_with('_')) {
                let field = keyword.name.split("__").next().unwrap_or(&keyword.name);
                let name = Name::new(field, false);
                if !fields.contains(&name) {
                    fields.push(name);
                }
            }
        }
        fields
    }

    fn node(&self, span: Span) -> Option<Node<'_>> {
        self.tree
            .root_node()
            .descendant_for_byte_range(span.start, span.end)
    }

    /// The string literals directly in a list or tuple: `fields=["a", "-b"]` -> `a`, `b`.
    fn strings_in(&self, span: Span) -> Vec<String> {
        let Some(list) = self.node(span) else {
            return Vec::new();
        };
        let mut cursor = list.walk();
        list.named_children(&mut cursor)
            .filter_map(|item| string_literal(&self.text[item.byte_range()]))
            .map(|s| s.trim_start_matches('-').to_string())
            .collect()
    }
}

/// A many-to-many field is a table of its own, no column.
fn is_many_to_many(field: &Call) -> bool {
    field
        .qualified_name
        .as_deref()
        .is_some_and(|q| q.ends_with(".ManyToManyField"))
}

fn span_range(span: Span) -> std::ops::Range<usize> {
    span.start..span.end
}
