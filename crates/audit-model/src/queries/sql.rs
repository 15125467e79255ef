//! SQL written in code (`pool.query("SELECT ...")`, `cursor.execute(f"...")`), parsed with
//! sqlparser in the dialect migrations use. Parameters of every driver (`$1`, `?`, `%s`,
//! `%(name)s`, `:name`) and the substitutions of templates and f-strings are replaced by
//! one placeholder identifier first, so the statement parses wherever the value stands,
//! a table name included.

use audit_syntax::SqlDialect;
use audit_syntax::sqlparser::ast::{
    self, Expr, FromTable, JoinConstraint, JoinOperator, SelectItem, SetExpr, TableFactor,
    TableObject, TableWithJoins,
};

/// Stands for a parameter or a substitution in the SQL handed to the parser.
pub(super) const PLACEHOLDER: &str = "__p";

/// What one SQL statement written in code does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SqlQuery {
    pub kind: SqlKind,
    /// The tables it reads or writes, as written (`public.users` keeps its schema).
    pub tables: Vec<String>,
    /// The columns its `WHERE` and `JOIN ... ON` compare, without qualifier.
    pub columns: Vec<String>,
    /// The outermost `SELECT` lists `*` or `t.*` (`COUNT(*)`, `EXISTS (SELECT * ...)` do
    /// not count).
    pub select_star: bool,
    /// `LIMIT`, `FETCH FIRST` or `TOP`.
    pub limited: bool,
    /// An `UPDATE` or `DELETE` with a `WHERE` (or `FROM`/`USING` join); true for others.
    pub filtered: bool,
    /// Its `WHERE` tests a set (`IN (...)`, `= ANY(...)`) or it pages (`LIMIT ... OFFSET`):
    /// one statement for many rows.
    pub batched: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SqlKind {
    Select,
    Insert,
    Update,
    Delete,
    /// `BEGIN`, `START TRANSACTION`.
    Begin,
    /// Schema DDL: `CREATE`, `ALTER`, `DROP`, `TRUNCATE`.
    Schema,
    Other,
}

/// Whether `text` starts like a statement an application sends: the test for strings
/// passed to a method whose receiver is not known to be a database client.
pub(super) fn starts_like_sql(text: &str) -> bool {
    let head: String = text
        .trim_start_matches(|c: char| c.is_whitespace() || c == '(')
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect();
    matches!(
        head.to_ascii_uppercase().as_str(),
        "SELECT" | "INSERT" | "UPDATE" | "DELETE" | "WITH" | "REPLACE" | "MERGE" | "UPSERT"
    )
}

/// Whether `text` starts like schema SQL (`DROP TABLE`, `CREATE INDEX`), which code sends
/// to set up or clean up tables.
pub(super) fn starts_like_schema_sql(text: &str) -> bool {
    let head: String = text
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect();
    matches!(
        head.to_ascii_uppercase().as_str(),
        "CREATE" | "ALTER" | "DROP" | "TRUNCATE"
    )
}

/// Parses `text` (placeholders already replaced) into what each statement does; None
/// when no statement parses.
pub(super) fn parse(text: &str, dialect: SqlDialect) -> Option<Vec<SqlQuery>> {
    let text = parameters_replaced(text);
    let file = audit_syntax::parse_sql(&text, dialect).ok()?;
    let queries: Vec<SqlQuery> = file
        .statements
        .iter()
        .filter_map(|s| s.ast.as_ref().ok())
        .map(statement)
        .collect();
    (!queries.is_empty()).then_some(queries)
}

/// `$1`, `?`, `%s`, `%(name)s`, `:name` outside quotes become [`PLACEHOLDER`].
fn parameters_replaced(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len() + 16);
    let mut quote: Option<u8> = None;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if let Some(q) = quote {
            if b == q {
                quote = None;
            }
        } else if matches!(b, b'\'' | b'"' | b'`') {
            quote = Some(b);
        } else {
            let rest = &bytes[i + 1..];
            let length = match b {
                b'$' => digits(rest).filter(|&n| n > 0).map(|n| n + 1),
                b'?' => Some(1),
                b'%' if rest.first() == Some(&b's') => Some(2),
                b'%' if rest.first() == Some(&b'(') => rest
                    .iter()
                    .position(|&c| c == b')')
                    .filter(|&close| rest.get(close + 1) == Some(&b's'))
                    .map(|close| close + 3),
                b':' if i == 0 || bytes[i - 1] != b':' => {
                    let name = rest
                        .iter()
                        .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
                        .count();
                    (name > 0 && rest[0] != b':' && !rest[0].is_ascii_digit()).then_some(name + 1)
                }
                _ => None,
            };
            if let Some(length) = length {
                out.push(' ');
                out.push_str(PLACEHOLDER);
                out.push(' ');
                i += length;
                continue;
            }
        }
        let char_len = text[i..].chars().next().map_or(1, char::len_utf8);
        out.push_str(&text[i..i + char_len]);
        i += char_len;
    }
    out
}

fn digits(bytes: &[u8]) -> Option<usize> {
    let n = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
    (n > 0).then_some(n)
}

fn statement(statement: &ast::Statement) -> SqlQuery {
    let mut query = SqlQuery {
        kind: SqlKind::Other,
        tables: Vec::new(),
        columns: Vec::new(),
        select_star: false,
        limited: false,
        filtered: true,
        batched: false,
    };
    match statement {
        ast::Statement::Query(q) => {
            query.kind = SqlKind::Select;
            query.select_star = outer_select_star(&q.body);
            query.limited = q.limit_clause.is_some() || q.fetch.is_some() || top(&q.body);
            query.batched = matches!(
                &q.limit_clause,
                Some(ast::LimitClause::LimitOffset {
                    offset: Some(_),
                    ..
                }) | Some(ast::LimitClause::OffsetCommaLimit { .. })
            ) || where_tests_set(&q.body);
            read_query(q, &mut query);
        }
        ast::Statement::Insert(insert) => {
            query.kind = SqlKind::Insert;
            if let TableObject::TableName(name) = &insert.table {
                query.tables.push(name.to_string());
            }
            if let Some(source) = &insert.source {
                read_query(source, &mut query);
            }
        }
        ast::Statement::Update(update) => {
            query.kind = SqlKind::Update;
            query.filtered = update.selection.is_some() || update.from.is_some();
            tables(&update.table, &mut query);
            if let Some(selection) = &update.selection {
                columns(selection, &mut query.columns);
                query.batched = tests_set(selection);
            }
        }
        ast::Statement::Delete(delete) => {
            query.kind = SqlKind::Delete;
            query.filtered = delete.selection.is_some() || delete.using.is_some();
            let (FromTable::WithFromKeyword(from) | FromTable::WithoutKeyword(from)) = &delete.from;
            for table in from {
                tables(table, &mut query);
            }
            if let Some(selection) = &delete.selection {
                columns(selection, &mut query.columns);
                query.batched = tests_set(selection);
            }
        }
        ast::Statement::StartTransaction { .. } => query.kind = SqlKind::Begin,
        ast::Statement::CreateTable(_)
        | ast::Statement::AlterTable { .. }
        | ast::Statement::Drop { .. }
        | ast::Statement::CreateIndex(_)
        | ast::Statement::CreateView { .. }
        | ast::Statement::Truncate { .. } => query.kind = SqlKind::Schema,
        _ => {}
    }
    query
}

fn outer_select_star(body: &SetExpr) -> bool {
    match body {
        SetExpr::Select(select) => select.projection.iter().any(|item| {
            matches!(
                item,
                SelectItem::Wildcard(_) | SelectItem::QualifiedWildcard(..)
            )
        }),
        SetExpr::Query(q) => outer_select_star(&q.body),
        SetExpr::SetOperation { left, right, .. } => {
            outer_select_star(left) || outer_select_star(right)
        }
        _ => false,
    }
}

fn where_tests_set(body: &SetExpr) -> bool {
    matches!(body, SetExpr::Select(select) if select.selection.as_ref().is_some_and(tests_set))
}

/// `x IN (...)`, `x = ANY(...)`, under `AND`/`OR`/`NOT`/parentheses.
fn tests_set(expr: &Expr) -> bool {
    match expr {
        Expr::In { .. } | Expr::AnyOp { .. } | Expr::AllOp { .. } => true,
        Expr::BinaryOp { left, right, .. } => tests_set(left) || tests_set(right),
        Expr::Nested(inner) | Expr::UnaryOp { expr: inner, .. } => tests_set(inner),
        _ => false,
    }
}

fn top(body: &SetExpr) -> bool {
    matches!(body, SetExpr::Select(select) if select.top.is_some())
}

fn read_query(q: &ast::Query, query: &mut SqlQuery) {
    if let Some(with) = &q.with {
        for cte in &with.cte_tables {
            read_query(&cte.query, query);
        }
    }
    read_set(&q.body, query);
}

fn read_set(body: &SetExpr, query: &mut SqlQuery) {
    match body {
        SetExpr::Select(select) => {
            for table in &select.from {
                tables(table, query);
            }
            if let Some(selection) = &select.selection {
                columns(selection, &mut query.columns);
            }
        }
        SetExpr::Query(q) => read_query(q, query),
        SetExpr::SetOperation { left, right, .. } => {
            read_set(left, query);
            read_set(right, query);
        }
        _ => {}
    }
}

fn tables(table: &TableWithJoins, query: &mut SqlQuery) {
    factor(&table.relation, query);
    for join in &table.joins {
        factor(&join.relation, query);
        if let Some(JoinConstraint::On(on)) = join_constraint(&join.join_operator) {
            columns(on, &mut query.columns);
        }
    }
}

fn factor(factor: &TableFactor, query: &mut SqlQuery) {
    match factor {
        TableFactor::Table { name, .. } => {
            let name = name.to_string();
            if name != PLACEHOLDER && !query.tables.contains(&name) {
                query.tables.push(name);
            }
        }
        TableFactor::Derived { subquery, .. } => read_query(subquery, query),
        TableFactor::NestedJoin {
            table_with_joins, ..
        } => tables(table_with_joins, query),
        _ => {}
    }
}

fn join_constraint(operator: &JoinOperator) -> Option<&JoinConstraint> {
    match operator {
        JoinOperator::Join(c)
        | JoinOperator::Inner(c)
        | JoinOperator::Left(c)
        | JoinOperator::LeftOuter(c)
        | JoinOperator::Right(c)
        | JoinOperator::RightOuter(c)
        | JoinOperator::FullOuter(c)
        | JoinOperator::Semi(c)
        | JoinOperator::LeftSemi(c)
        | JoinOperator::RightSemi(c)
        | JoinOperator::Anti(c)
        | JoinOperator::LeftAnti(c)
        | JoinOperator::RightAnti(c) => Some(c),
        _ => None,
    }
}

/// The columns a filter compares: identifiers under `AND`/`OR`, comparisons, `IN`,
/// `BETWEEN`, `LIKE`, `IS NULL` and `NOT`; a placeholder is none.
pub(super) fn columns(expr: &Expr, out: &mut Vec<String>) {
    match expr {
        Expr::Identifier(ident) => push_column(&ident.value, out),
        Expr::CompoundIdentifier(parts) => {
            if let Some(last) = parts.last() {
                push_column(&last.value, out);
            }
        }
        Expr::BinaryOp { left, right, .. } => {
            columns(left, out);
            columns(right, out);
        }
        Expr::Nested(inner)
        | Expr::IsNull(inner)
        | Expr::IsNotNull(inner)
        | Expr::UnaryOp { expr: inner, .. }
        | Expr::In { expr: inner, .. }
        | Expr::Between { expr: inner, .. }
        | Expr::Like { expr: inner, .. }
        | Expr::ILike { expr: inner, .. } => columns(inner, out),
        _ => {}
    }
}

fn push_column(name: &str, out: &mut Vec<String>) {
    if name != PLACEHOLDER && !out.iter().any(|c| c == name) {
        out.push(name.to_string());
    }
}

/// The columns of a bare filter expression (TypeORM's `.where("u.email = :email")`).
pub(super) fn filter_columns(filter: &str, dialect: SqlDialect) -> Vec<String> {
    let text = format!("SELECT 1 FROM {PLACEHOLDER} WHERE {filter}");
    parse(&text, dialect)
        .and_then(|queries| queries.into_iter().next())
        .map(|q| q.columns)
        .unwrap_or_default()
}
