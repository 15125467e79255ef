//! Statements lowered to schema events in the per-file pass, so the trees are dropped
//! there: from sqlparser's tree when it parsed the statement, else from its keywords.
//! This is the one file that reads sqlparser's types.

use audit_core::Span;
use audit_syntax::sqlparser::ast::{
    self, AlterColumnOperation, AlterTableOperation, ColumnOption, CreatePolicyCommand,
    CreatePolicyType, Expr, FromTable, ObjectName, ObjectType, Owner, RenameTableNameKind, Spanned,
    TableConstraint, TableFactor, TableWithJoins, Value,
};
use audit_syntax::sqlparser::keywords::Keyword;
use audit_syntax::sqlparser::tokenizer::{Token, TokenWithSpan};
use audit_syntax::{Rejected, SqlDialect, SqlFile, SqlStatement, StatementKind};

use super::event::{
    Change, ColumnDef, ColumnType, Constraint, ConstraintDef, Event, IndexedRows, Name, Policy,
    PolicyCommand, Statement, TableKey, TableRef, WriteKind,
};

/// Schemas that are where unqualified names resolve by default.
const DEFAULT_SCHEMAS: &[&str] = &["public", "dbo"];

/// The schema a file's unqualified names resolve to after its last `SET search_path`:
/// the path's first schema, `None` while it is the default (`public`, `"$user"`).
#[derive(Debug, Default)]
pub struct SearchPath(Option<Name>);

impl SearchPath {
    fn follow(&mut self, tree: &ast::Statement) {
        let ast::Statement::Set(ast::Set::SingleAssignment {
            variable, values, ..
        }) = tree
        else {
            return;
        };
        if !variable.to_string().eq_ignore_ascii_case("search_path") {
            return;
        }
        let first = values.first().and_then(|value| match value {
            Expr::Identifier(ident) => Some(Name::new(&ident.value, ident.quote_style.is_some())),
            Expr::Value(value) => match &value.value {
                Value::SingleQuotedString(schema) => Some(Name::new(schema, false)),
                _ => None,
            },
            _ => None,
        });
        self.0 = first.filter(|s| !DEFAULT_SCHEMAS.contains(&s.as_str()) && s.as_str() != "$user");
    }
}

/// Lowers one statement of `file` (whose text is `text`) to its events; `search_path`
/// is the file's, followed from statement to statement.
pub fn lower(
    file: &SqlFile,
    text: &str,
    statement: SqlStatement,
    search_path: &mut SearchPath,
) -> Statement {
    let lowering = Lowering {
        file,
        text,
        search_path: search_path.0.as_ref(),
    };
    let (parsed, error, too_deep, events) = match &statement.ast {
        Ok(tree) => (true, None, false, lowering.parsed(tree, statement.span)),
        Err(rejected) => {
            let error = (!statement.recognised).then(|| rejected.message.clone().into());
            let events = lowering.fallback(&statement, rejected);
            (false, error, rejected.too_deep, events)
        }
    };
    // After the statement: a `SET` changes where the next ones resolve.
    if let Ok(tree) = &statement.ast {
        search_path.follow(tree);
    }
    Statement {
        span: statement.span,
        kind: statement.kind,
        parsed,
        recognised: statement.recognised,
        error,
        too_deep,
        in_down_section: statement.in_down_section,
        irreversible: false,
        events,
    }
}

/// SQL written in a code migration's string (`knex.raw("...")`, `op.execute("...")`)
/// lowered like a `.sql` file's statements, at their places in the file (`place` maps a
/// byte of `sql` to the file's). Such calls also build fragments (`LOWER(??)`, a
/// default, a check): only what starts a statement is one.
pub fn lower_embedded(
    sql: &str,
    place: &dyn Fn(usize) -> usize,
    dialect: SqlDialect,
    in_down: bool,
) -> Vec<Statement> {
    let shift = |span: Span| Span::new(place(span.start), place(span.end));
    let mut statements = Vec::new();
    let mut search_path = SearchPath::default();
    let parsed = audit_syntax::parse_sql_each(sql, dialect, |file, statement| {
        let mut lowered = lower(file, sql, statement, &mut search_path);
        lowered.span = shift(lowered.span);
        for event in &mut lowered.events {
            event.span = shift(event.span);
            shift_inner_spans(&mut event.change, &shift);
        }
        lowered.in_down_section = in_down;
        if lowered.recognised {
            statements.push(lowered);
        }
    });
    if parsed.is_err() {
        return Vec::new();
    }
    statements
}

/// The spans a change holds (its columns' and constraints'), moved like its event's.
fn shift_inner_spans(change: &mut Change, shift: &dyn Fn(Span) -> Span) {
    let column = |c: &mut ColumnDef| {
        c.span = shift(c.span);
        c.type_span = shift(c.type_span);
    };
    match change {
        Change::CreateTable {
            columns,
            constraints,
            ..
        } => {
            columns.iter_mut().flatten().for_each(column);
            for constraint in constraints {
                constraint.span = shift(constraint.span);
            }
        }
        Change::AddColumn { column: c, .. } => column(c),
        Change::AddConstraint { constraint, .. } => constraint.span = shift(constraint.span),
        _ => {}
    }
}

struct Lowering<'a> {
    file: &'a SqlFile,
    text: &'a str,
    /// Where an unqualified name resolves, when not to the default schema.
    search_path: Option<&'a Name>,
}

impl Lowering<'_> {
    fn span_of(&self, node: &impl Spanned, fallback: Span) -> Span {
        self.file
            .byte_span(self.text, node.span())
            .filter(|s| s.start < s.end)
            .unwrap_or(fallback)
    }

    /// Whether a name part was a template or psql placeholder (masked before parsing):
    /// then the text written there.
    fn placeholder(&self, ident: &ast::Ident) -> Option<&str> {
        let span = self.file.byte_span(self.text, ident.span)?;
        let original = self.text.get(span.start..span.end)?;
        (self.file.parsed_text(self.text).get(span.start..span.end) != Some(original))
            .then_some(original)
    }

    fn table(&self, name: &ObjectName) -> TableRef {
        let idents: Vec<&ast::Ident> = name.0.iter().filter_map(|p| p.as_ident()).collect();
        let Some((last, rest)) = idents.split_last() else {
            let fallback = Name::new(&name.to_string(), true);
            return TableRef::new(TableKey {
                schema: None,
                name: fallback,
            });
        };
        let schema = match rest.last() {
            Some(schema) => Some(schema)
                .filter(|s| self.placeholder(s).is_none())
                .map(|s| Name::new(&s.value, s.quote_style.is_some())),
            None => self.search_path.cloned(),
        }
        .filter(|s| !DEFAULT_SCHEMAS.contains(&s.as_str()));
        let key = TableKey {
            schema,
            name: Name::new(&last.value, last.quote_style.is_some()),
        };
        match self.placeholder(last) {
            Some(written) => TableRef {
                key,
                label: written.into(),
            },
            None => TableRef::new(key),
        }
    }

    fn parsed(&self, tree: &ast::Statement, whole: Span) -> Vec<Event> {
        let event = |span, change| Event { span, change };
        match tree {
            ast::Statement::CreateTable(create) => {
                let mut constraints = Vec::new();
                let columns = create
                    .columns
                    .iter()
                    .map(|c| self.column(c, whole, &mut constraints))
                    .collect();
                constraints.extend(
                    create
                        .constraints
                        .iter()
                        .map(|c| self.constraint(c, self.span_of(c, whole))),
                );
                let columns =
                    (create.query.is_none() && create.like.is_none() && create.clone.is_none())
                        .then_some(columns);
                let head = Span::new(whole.start, self.span_of(&create.name, whole).end);
                vec![event(
                    head,
                    Change::CreateTable {
                        table: self.table(&create.name),
                        columns,
                        constraints,
                        if_not_exists: create.if_not_exists,
                        temporary: create.temporary,
                    },
                )]
            }
            ast::Statement::AlterIndex {
                name,
                operation: ast::AlterIndexOperation::RenameIndex { index_name },
            } => vec![event(
                whole,
                Change::RenameIndex {
                    index: self.table(name).key.name,
                    to: self.table(index_name).key.name,
                },
            )],
            ast::Statement::AlterTable(alter) => {
                let table = self.table(&alter.name);
                let mut events = Vec::new();
                for operation in &alter.operations {
                    let span = self.span_of(operation, whole);
                    self.alter(&table, operation, span, &mut events);
                }
                events
            }
            ast::Statement::Drop {
                object_type, names, ..
            } => match object_type {
                ObjectType::View | ObjectType::MaterializedView => vec![event(
                    whole,
                    Change::DropView {
                        views: names.iter().map(|n| self.table(n)).collect(),
                    },
                )],
                ObjectType::Table => names
                    .iter()
                    .map(|n| {
                        event(
                            whole,
                            Change::DropTable {
                                table: self.table(n),
                            },
                        )
                    })
                    .collect(),
                ObjectType::Index => vec![event(
                    whole,
                    Change::DropIndex {
                        names: names.iter().map(|n| self.table(n).key.name).collect(),
                        concurrently: false,
                    },
                )],
                _ => Vec::new(),
            },
            ast::Statement::CreateView(view) => vec![event(
                whole,
                Change::CreateView {
                    view: self.table(&view.name),
                },
            )],
            ast::Statement::CreateIndex(index) => {
                let head = Span::new(whole.start, self.span_of(&index.table_name, whole).end);
                vec![event(
                    head,
                    Change::CreateIndex {
                        table: self.table(&index.table_name),
                        name: index.name.as_ref().map(|n| self.table(n).key.name),
                        columns: leading_columns(index.columns.iter().map(|c| &c.column.expr)),
                        unique: index.unique,
                        concurrently: index.concurrently,
                        only: false,
                        rows: indexed_rows(index.predicate.as_ref()),
                    },
                )]
            }
            ast::Statement::RenameTable(renames) => renames
                .iter()
                .map(|r| {
                    event(
                        whole,
                        Change::RenameTable {
                            table: self.table(&r.old_name),
                            to: self.table(&r.new_name).key,
                        },
                    )
                })
                .collect(),
            ast::Statement::Truncate(truncate) => truncate
                .table_names
                .iter()
                .map(|t| {
                    event(
                        whole,
                        Change::Truncate {
                            table: self.table(&t.name),
                        },
                    )
                })
                .collect(),
            ast::Statement::CreatePolicy(policy) => vec![event(
                whole,
                Change::CreatePolicy {
                    table: self.table(&policy.table_name),
                    policy: Policy {
                        name: ident_name(&policy.name),
                        command: match policy.command {
                            None | Some(CreatePolicyCommand::All) => PolicyCommand::All,
                            Some(CreatePolicyCommand::Select) => PolicyCommand::Select,
                            Some(CreatePolicyCommand::Insert) => PolicyCommand::Insert,
                            Some(CreatePolicyCommand::Update) => PolicyCommand::Update,
                            Some(CreatePolicyCommand::Delete) => PolicyCommand::Delete,
                        },
                        roles: Some(match &policy.to {
                            Some(owners) => owners.iter().map(owner_name).collect(),
                            None => vec![Name::new("public", false)],
                        }),
                        restrictive: policy.policy_type == Some(CreatePolicyType::Restrictive),
                        using_true: policy.using.as_ref().is_some_and(is_true),
                    },
                },
            )],
            ast::Statement::DropPolicy(policy) => vec![event(
                whole,
                Change::DropPolicy {
                    table: self.table(&policy.table_name),
                    name: ident_name(&policy.name),
                },
            )],
            ast::Statement::Update(update) => vec![event(
                whole,
                Change::Write {
                    table: self.relation(&update.table),
                    kind: WriteKind::Update,
                    filtered: update.selection.is_some() || update.from.is_some(),
                },
            )],
            ast::Statement::Delete(delete) => {
                let (FromTable::WithFromKeyword(from) | FromTable::WithoutKeyword(from)) =
                    &delete.from;
                let table = delete
                    .tables
                    .first()
                    .map(|n| self.table(n))
                    .or_else(|| from.first().and_then(|t| self.relation(t)));
                vec![event(
                    whole,
                    Change::Write {
                        table,
                        kind: WriteKind::Delete,
                        filtered: delete.selection.is_some() || delete.using.is_some(),
                    },
                )]
            }
            _ => Vec::new(),
        }
    }

    fn relation(&self, table: &TableWithJoins) -> Option<TableRef> {
        match &table.relation {
            TableFactor::Table { name, .. } => Some(self.table(name)),
            _ => None,
        }
    }

    fn alter(
        &self,
        table: &TableRef,
        operation: &AlterTableOperation,
        span: Span,
        events: &mut Vec<Event>,
    ) {
        let table = table.clone();
        let mut push = |change| events.push(Event { span, change });
        let name = |ident: &ast::Ident| Name::new(&ident.value, ident.quote_style.is_some());
        match operation {
            AlterTableOperation::AddColumn { column_def, .. } => {
                let mut constraints = Vec::new();
                let column = self.column(column_def, span, &mut constraints);
                push(Change::AddColumn {
                    table: table.clone(),
                    column,
                });
                for constraint in constraints {
                    push(Change::AddConstraint {
                        table: table.clone(),
                        constraint,
                        not_valid: false,
                    });
                }
            }
            AlterTableOperation::DropColumn { column_names, .. } => {
                for column in column_names {
                    push(Change::DropColumn {
                        table: table.clone(),
                        column: name(column),
                    });
                }
            }
            AlterTableOperation::RenameColumn {
                old_column_name,
                new_column_name,
            } => push(Change::RenameColumn {
                table,
                column: name(old_column_name),
                to: name(new_column_name),
            }),
            AlterTableOperation::RenameTable { table_name } => {
                let (RenameTableNameKind::As(new) | RenameTableNameKind::To(new)) = table_name;
                let mut to = self.table(new).key;
                // `ALTER TABLE billing.a RENAME TO b` keeps the table in its schema.
                if to.schema.is_none() {
                    to.schema = table.key.schema.clone();
                }
                push(Change::RenameTable { table, to });
            }
            AlterTableOperation::AlterColumn { column_name, op } => {
                let column = name(column_name);
                push(match op {
                    AlterColumnOperation::SetNotNull => Change::SetNotNull { table, column },
                    AlterColumnOperation::DropNotNull => Change::DropNotNull { table, column },
                    AlterColumnOperation::SetDefault { .. } => Change::SetDefault { table, column },
                    AlterColumnOperation::DropDefault => Change::DropDefault { table, column },
                    AlterColumnOperation::SetDataType {
                        data_type, using, ..
                    } => Change::AlterColumnType {
                        table,
                        column,
                        data_type: ColumnType::parse(&data_type.to_string()),
                        using: using.is_some(),
                    },
                    _ => return,
                });
            }
            AlterTableOperation::ChangeColumn {
                old_name,
                new_name,
                data_type,
                ..
            } => {
                if old_name.value != new_name.value {
                    push(Change::RenameColumn {
                        table: table.clone(),
                        column: name(old_name),
                        to: name(new_name),
                    });
                }
                push(Change::AlterColumnType {
                    table,
                    column: name(new_name),
                    data_type: ColumnType::parse(&data_type.to_string()),
                    using: false,
                });
            }
            AlterTableOperation::ModifyColumn {
                col_name,
                data_type,
                ..
            } => push(Change::AlterColumnType {
                table,
                column: name(col_name),
                data_type: ColumnType::parse(&data_type.to_string()),
                using: false,
            }),
            AlterTableOperation::AddConstraint {
                constraint,
                not_valid,
            } => push(Change::AddConstraint {
                table,
                constraint: self.constraint(constraint, span),
                not_valid: *not_valid,
            }),
            AlterTableOperation::DropConstraint { name: n, .. }
            | AlterTableOperation::DropForeignKey { name: n, .. } => push(Change::DropConstraint {
                table,
                name: name(n),
            }),
            AlterTableOperation::DropPrimaryKey { .. } => push(Change::DropPrimaryKey { table }),
            AlterTableOperation::EnableRowLevelSecurity => push(Change::SetRowLevelSecurity {
                table,
                enabled: true,
            }),
            AlterTableOperation::DisableRowLevelSecurity => push(Change::SetRowLevelSecurity {
                table,
                enabled: false,
            }),
            AlterTableOperation::DropIndex { name: n } => push(Change::DropIndex {
                names: vec![name(n)],
                concurrently: false,
            }),
            AlterTableOperation::ValidateConstraint { name: n } => {
                push(Change::ValidateConstraint {
                    table,
                    name: name(n),
                })
            }
            _ => {}
        }
    }

    /// A column, and its inline constraints (added to `constraints` as table ones).
    fn column(
        &self,
        column: &ast::ColumnDef,
        fallback: Span,
        constraints: &mut Vec<ConstraintDef>,
    ) -> ColumnDef {
        let name = Name::new(&column.name.value, column.name.quote_style.is_some());
        let span = self.span_of(column, fallback);
        let data_type = ColumnType::parse(&column.data_type.to_string());
        let mut not_null = false;
        let mut has_default = matches!(&*data_type.name, "serial" | "bigserial" | "smallserial");
        for option in &column.options {
            let option_span = self.span_of(option, span);
            let inline = |constraint| ConstraintDef {
                name: option
                    .name
                    .as_ref()
                    .map(|n| Name::new(&n.value, n.quote_style.is_some())),
                constraint,
                span: option_span,
            };
            match &option.option {
                ColumnOption::NotNull => not_null = true,
                ColumnOption::Default(_)
                | ColumnOption::Generated { .. }
                | ColumnOption::Identity(_)
                | ColumnOption::Materialized(_)
                | ColumnOption::Alias(_) => has_default = true,
                ColumnOption::DialectSpecific(tokens) => {
                    has_default |= tokens.iter().any(|t| {
                        matches!(t, Token::Word(w) if matches!(w.keyword, Keyword::AUTO_INCREMENT | Keyword::AUTOINCREMENT))
                    });
                }
                ColumnOption::PrimaryKey(_) => {
                    not_null = true;
                    constraints.push(inline(Constraint::PrimaryKey {
                        columns: vec![name.clone()],
                    }));
                }
                ColumnOption::Unique(_) => constraints.push(inline(Constraint::Unique {
                    columns: vec![name.clone()],
                })),
                ColumnOption::ForeignKey(fk) => constraints.push(inline(Constraint::ForeignKey {
                    columns: vec![name.clone()],
                    references: self.table(&fk.foreign_table),
                    referred_columns: fk.referred_columns.iter().map(ident_name).collect(),
                })),
                ColumnOption::Check(_) => constraints.push(inline(Constraint::Check)),
                _ => {}
            }
        }
        ColumnDef {
            name,
            data_type: Some(data_type),
            not_null,
            has_default,
            type_span: span,
            span,
        }
    }

    fn constraint(&self, constraint: &TableConstraint, span: Span) -> ConstraintDef {
        let index_columns =
            |columns: &[ast::IndexColumn]| leading_columns(columns.iter().map(|c| &c.column.expr));
        let (name, constraint) = match constraint {
            TableConstraint::PrimaryKey(pk) => (
                pk.name.as_ref(),
                Constraint::PrimaryKey {
                    columns: index_columns(&pk.columns),
                },
            ),
            TableConstraint::Unique(unique) => (
                unique.name.as_ref(),
                Constraint::Unique {
                    columns: index_columns(&unique.columns),
                },
            ),
            TableConstraint::ForeignKey(fk) => (
                fk.name.as_ref(),
                Constraint::ForeignKey {
                    columns: fk.columns.iter().map(ident_name).collect(),
                    references: self.table(&fk.foreign_table),
                    referred_columns: fk.referred_columns.iter().map(ident_name).collect(),
                },
            ),
            TableConstraint::Check(check) => (check.name.as_ref(), Constraint::Check),
            TableConstraint::PrimaryKeyUsingIndex(using) => (
                using.name.as_ref(),
                // The key's columns are the index's, which the schema knows by name.
                Constraint::PrimaryKey {
                    columns: Vec::new(),
                },
            ),
            TableConstraint::UniqueUsingIndex(using) => (using.name.as_ref(), Constraint::Other),
            TableConstraint::Index(index) => (
                index.name.as_ref(),
                Constraint::Index {
                    columns: index_columns(&index.columns),
                },
            ),
            _ => (None, Constraint::Other),
        };
        ConstraintDef {
            name: name.map(ident_name),
            constraint,
            span,
        }
    }

    /// Events from the keywords of a statement the parser rejected: only what they
    /// make certain.
    fn fallback(&self, statement: &SqlStatement, rejected: &Rejected) -> Vec<Event> {
        let whole = statement.span;
        let table = statement.table.as_ref().map(|n| self.table(n));
        let tokens = &rejected.tokens;
        let has = |keyword: Keyword| tokens.iter().any(|t| is_keyword(t, keyword));
        let change = match (statement.kind, table) {
            (StatementKind::CreateTable, Some(table)) => Change::CreateTable {
                table,
                columns: None,
                constraints: Vec::new(),
                if_not_exists: has(Keyword::EXISTS),
                temporary: has(Keyword::TEMP) || has(Keyword::TEMPORARY),
            },
            (StatementKind::DropTable, Some(table)) => Change::DropTable { table },
            (StatementKind::Truncate, Some(table)) => Change::Truncate { table },
            // Row-level security switched on or off among clauses the parser rejects:
            // missing it would report a protected table as exposed.
            (StatementKind::AlterTable, Some(table)) => {
                let Some(enabled) = tokens.windows(4).find_map(|w| {
                    let enabled = if is_keyword(&w[0], Keyword::ENABLE) {
                        true
                    } else if is_keyword(&w[0], Keyword::DISABLE) {
                        false
                    } else {
                        return None;
                    };
                    (is_keyword(&w[1], Keyword::ROW)
                        && is_keyword(&w[2], Keyword::LEVEL)
                        && is_keyword(&w[3], Keyword::SECURITY))
                    .then_some(enabled)
                }) else {
                    return Vec::new();
                };
                Change::SetRowLevelSecurity { table, enabled }
            }
            (StatementKind::CreateIndex, Some(table)) => {
                let on = tokens.iter().position(|t| is_keyword(t, Keyword::ON));
                let before_on = &tokens[..on.unwrap_or(tokens.len())];
                let only = on
                    .and_then(|i| tokens.get(i + 1))
                    .is_some_and(|t| is_keyword(t, Keyword::ONLY));
                let first_line = self.text[whole.start..whole.end]
                    .find('\n')
                    .map_or(whole.end, |i| whole.start + i);
                return vec![Event {
                    span: Span::new(whole.start, first_line),
                    change: Change::CreateIndex {
                        table,
                        name: None,
                        columns: fallback_index_columns(tokens, on),
                        unique: before_on.iter().any(|t| is_keyword(t, Keyword::UNIQUE)),
                        concurrently: before_on
                            .iter()
                            .any(|t| is_keyword(t, Keyword::CONCURRENTLY)),
                        only,
                        rows: if has(Keyword::WHERE) {
                            IndexedRows::Partial(Vec::new())
                        } else {
                            IndexedRows::All
                        },
                    },
                }];
            }
            (StatementKind::DropIndex, _) => Change::DropIndex {
                names: fallback_dropped_names(tokens),
                concurrently: has(Keyword::CONCURRENTLY),
            },
            (StatementKind::Update | StatementKind::Delete, _) => Change::Write {
                table: None,
                kind: if statement.kind == StatementKind::Update {
                    WriteKind::Update
                } else {
                    WriteKind::Delete
                },
                filtered: has(Keyword::WHERE) || has(Keyword::USING) || has(Keyword::FROM),
            },
            _ => return Vec::new(),
        };
        vec![Event {
            span: whole,
            change,
        }]
    }
}

fn ident_name(ident: &ast::Ident) -> Name {
    Name::new(&ident.value, ident.quote_style.is_some())
}

fn owner_name(owner: &Owner) -> Name {
    match owner {
        Owner::Ident(ident) => ident_name(ident),
        Owner::CurrentRole => Name::new("current_role", false),
        Owner::CurrentUser => Name::new("current_user", false),
        Owner::SessionUser => Name::new("session_user", false),
    }
}

/// The literal `true`, in any parentheses.
fn is_true(expr: &Expr) -> bool {
    match expr {
        Expr::Nested(inner) => is_true(inner),
        Expr::Value(value) => value.value == Value::Boolean(true),
        _ => false,
    }
}

/// Index columns up to the first expression: only those can lead an index.
fn leading_columns<'e>(exprs: impl Iterator<Item = &'e Expr>) -> Vec<Name> {
    exprs
        .map_while(|expr| match expr {
            Expr::Identifier(ident) => Some(ident_name(ident)),
            Expr::CompoundIdentifier(parts) => parts.last().map(ident_name),
            _ => None,
        })
        .collect()
}

/// The rows an index covers whose condition is the SQL `condition`, written apart from
/// any statement (an ORM migration's `where` string); unknown columns when it does not
/// parse.
pub(super) fn condition_rows(condition: &str, dialect: SqlDialect) -> IndexedRows {
    match audit_syntax::parse_sql_expression(condition, dialect) {
        Some(predicate) => indexed_rows(Some(&predicate)),
        None => IndexedRows::Partial(Vec::new()),
    }
}

/// The rows an index with `predicate` covers: a conjunction of `column IS NOT NULL`
/// is told apart from any other condition.
fn indexed_rows(predicate: Option<&Expr>) -> IndexedRows {
    fn non_null(expr: &Expr, columns: &mut Vec<Name>) -> bool {
        match expr {
            Expr::Nested(inner) => non_null(inner, columns),
            Expr::BinaryOp {
                left,
                op: ast::BinaryOperator::And,
                right,
            } => non_null(left, columns) && non_null(right, columns),
            Expr::IsNotNull(column) => match leading_columns(std::iter::once(&**column)).pop() {
                Some(name) => {
                    columns.push(name);
                    true
                }
                None => false,
            },
            _ => false,
        }
    }
    let Some(predicate) = predicate else {
        return IndexedRows::All;
    };
    let mut columns = Vec::new();
    if non_null(predicate, &mut columns) {
        return IndexedRows::NotNull(columns);
    }
    let mut named = Vec::new();
    if !predicate_columns(predicate, &mut named) {
        named.clear();
    }
    IndexedRows::Partial(named)
}

/// The columns `expr` names, into `columns`; false when part of it is an expression
/// this does not read (a function call, a subquery), so the list may be short.
fn predicate_columns(expr: &Expr, columns: &mut Vec<Name>) -> bool {
    let mut add = |name: Name| {
        if !columns.contains(&name) {
            columns.push(name);
        }
        true
    };
    match expr {
        Expr::Identifier(ident) => add(ident_name(ident)),
        Expr::CompoundIdentifier(parts) => parts.last().is_some_and(|p| add(ident_name(p))),
        Expr::Value(_) | Expr::TypedString { .. } => true,
        Expr::Nested(inner)
        | Expr::UnaryOp { expr: inner, .. }
        | Expr::Cast { expr: inner, .. }
        | Expr::IsNull(inner)
        | Expr::IsNotNull(inner)
        | Expr::IsTrue(inner)
        | Expr::IsNotTrue(inner)
        | Expr::IsFalse(inner)
        | Expr::IsNotFalse(inner) => predicate_columns(inner, columns),
        Expr::BinaryOp { left, right, .. } => {
            predicate_columns(left, columns) && predicate_columns(right, columns)
        }
        Expr::In {
            expr,
            target: ast::InTarget::List(list),
            ..
        } => predicate_columns(expr, columns) && list.iter().all(|e| predicate_columns(e, columns)),
        Expr::Between {
            expr, low, high, ..
        } => {
            predicate_columns(expr, columns)
                && predicate_columns(low, columns)
                && predicate_columns(high, columns)
        }
        Expr::Like { expr, pattern, .. } | Expr::ILike { expr, pattern, .. } => {
            predicate_columns(expr, columns) && predicate_columns(pattern, columns)
        }
        _ => false,
    }
}

fn is_keyword(token: &TokenWithSpan, keyword: Keyword) -> bool {
    matches!(&token.token, Token::Word(w) if w.quote_style.is_none() && w.keyword == keyword)
}

fn word_name(token: &TokenWithSpan) -> Option<Name> {
    match &token.token {
        Token::Word(w) => Some(Name::new(&w.value, w.quote_style.is_some())),
        _ => None,
    }
}

/// The plain columns in the first parentheses after `ON table` of a rejected `CREATE
/// INDEX`, up to the first that is not a plain name.
fn fallback_index_columns(tokens: &[TokenWithSpan], on: Option<usize>) -> Vec<Name> {
    let Some(open) = on.and_then(|on| {
        tokens[on..]
            .iter()
            .position(|t| t.token == Token::LParen)
            .map(|p| on + p)
    }) else {
        return Vec::new();
    };
    let mut columns = Vec::new();
    let mut items = tokens[open + 1..].split(|t| matches!(t.token, Token::Comma | Token::RParen));
    for item in items.by_ref() {
        match item {
            [word] if word_name(word).is_some() => columns.extend(word_name(word)),
            [word, order]
                if word_name(word).is_some()
                    && (is_keyword(order, Keyword::ASC) || is_keyword(order, Keyword::DESC)) =>
            {
                columns.extend(word_name(word))
            }
            _ => break,
        }
    }
    columns
}

/// The index names of a rejected `DROP INDEX [CONCURRENTLY] [IF EXISTS] a, s.b`.
fn fallback_dropped_names(tokens: &[TokenWithSpan]) -> Vec<Name> {
    let skip = [
        Keyword::DROP,
        Keyword::INDEX,
        Keyword::CONCURRENTLY,
        Keyword::IF,
        Keyword::EXISTS,
    ];
    let start = tokens
        .iter()
        .position(|t| !skip.iter().any(|k| is_keyword(t, *k)))
        .unwrap_or(tokens.len());
    tokens[start..]
        .split(|t| t.token == Token::Comma)
        .filter_map(|name| {
            // `a`, `s.a`: words joined by periods, the last one the index's name.
            let mut last = None;
            for pair in name.chunks(2) {
                last = word_name(&pair[0]);
                if pair.get(1).is_none_or(|t| t.token != Token::Period) {
                    break;
                }
            }
            last
        })
        .collect()
}
