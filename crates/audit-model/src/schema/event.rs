//! The project's own schema events: what a migration statement does to the schema, in
//! terms rules read. `lower` makes them from sqlparser's trees and from the keywords of
//! statements it rejects; code migrations make the same ones. Nothing here names a
//! sqlparser type, so a parser upgrade touches `lower` only.

use audit_core::Span;
use audit_syntax::StatementKind;

/// A name part as written: unquoted names fold to lower case, quoted ones keep theirs
/// (`Users` and `users` are one name, `"Users"` another).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Name(pub Box<str>);

impl Name {
    pub fn new(value: &str, quoted: bool) -> Name {
        if quoted {
            Name(value.into())
        } else {
            Name(value.to_lowercase().into())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A table as the schema knows it: `billing.users` and `users` are distinct, the default
/// schemas (`public`, `dbo`) and a templated schema (`{{ .Schema }}.users`) are the same
/// as no schema.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TableKey {
    pub schema: Option<Name>,
    pub name: Name,
}

impl std::fmt::Display for TableKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.schema {
            Some(schema) => write!(f, "{schema}.{}", self.name),
            None => write!(f, "{}", self.name),
        }
    }
}

/// A table named by a statement: its key, and how messages show it (the key, or the
/// template placeholder written in place of the name, such as `{{ .Table }}`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableRef {
    pub key: TableKey,
    pub label: Box<str>,
}

impl TableRef {
    pub fn new(key: TableKey) -> TableRef {
        let label = key.to_string().into();
        TableRef { key, label }
    }
}

/// A column type, normalised so that spellings of one type compare equal:
/// `CHARACTER VARYING(20)` is `varchar(20)`, `TIMESTAMP WITH TIME ZONE` is `timestamptz`,
/// `DOUBLE PRECISION` is `float8`, `DECIMAL(10,2)` is `numeric(10,2)`, `INTEGER` is `int4`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnType {
    /// The base type, lower case, with `[]` for arrays.
    pub name: Box<str>,
    /// The numbers in its parentheses (length, precision and scale).
    pub args: Vec<u64>,
}

impl ColumnType {
    /// Reads a type as SQL writes it (`VARCHAR(255)`, `timestamp(6) without time zone`,
    /// `NUMERIC(10, 2)`, `text[]`).
    pub fn parse(written: &str) -> ColumnType {
        let lower = written.trim().to_ascii_lowercase();
        let array = lower.ends_with("[]") || lower.contains(" array");
        let (head, args, tail) = match (lower.find('('), lower.rfind(')')) {
            (Some(open), Some(close)) if open < close => (
                lower[..open].trim(),
                lower[open + 1..close]
                    .split(',')
                    .filter_map(|a| a.trim().parse().ok())
                    .collect(),
                lower[close + 1..].trim(),
            ),
            _ => (lower.trim_end_matches("[]").trim(), Vec::new(), ""),
        };
        let words: Vec<&str> = head
            .split_whitespace()
            .chain(tail.trim_end_matches("[]").split_whitespace())
            .filter(|w| *w != "array")
            .collect();
        let joined = words.join(" ");
        let name = match joined.as_str() {
            "character varying" | "varchar" | "char varying" | "nvarchar" | "varchar2" => "varchar",
            "character" | "char" | "bpchar" | "nchar" => "char",
            "timestamp with time zone" | "timestamptz" => "timestamptz",
            "timestamp without time zone" | "timestamp" => "timestamp",
            "time with time zone" | "timetz" => "timetz",
            "time without time zone" | "time" => "time",
            "double precision" | "double" | "float8" => "float8",
            "real" | "float4" => "float4",
            // PostgreSQL's `float(p)` is real up to 24 bits, double above.
            "float" => match args.first() {
                Some(&p) if p <= 24 => "float4",
                _ => "float8",
            },
            "decimal" | "numeric" | "dec" => "numeric",
            "integer" | "int" | "int4" => "int4",
            "smallint" | "int2" => "int2",
            "bigint" | "int8" => "int8",
            "serial" | "serial4" => "serial",
            "bigserial" | "serial8" => "bigserial",
            "boolean" | "bool" => "bool",
            other => other,
        };
        let args = if name == "float4" || name == "float8" {
            Vec::new()
        } else {
            args
        };
        let name = if array {
            format!("{name}[]").into()
        } else {
            name.into()
        };
        ColumnType { name, args }
    }

    pub fn is(&self, name: &str) -> bool {
        &*self.name == name
    }

    /// Binary floating point: `real`, `double precision`, `float`.
    pub fn is_float(&self) -> bool {
        self.is("float4") || self.is("float8")
    }
}

impl std::fmt::Display for ColumnType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name)?;
        if !self.args.is_empty() {
            let args: Vec<String> = self.args.iter().map(u64::to_string).collect();
            write!(f, "({})", args.join(","))?;
        }
        Ok(())
    }
}

/// A column as a `CREATE TABLE` or `ADD COLUMN` defines it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnDef {
    pub name: Name,
    /// `None` when the statement was only read from its keywords.
    pub data_type: Option<ColumnType>,
    pub not_null: bool,
    /// A `DEFAULT`, or a value the database fills itself (identity, `serial`, generated).
    pub has_default: bool,
    /// Where the column's type is written, for findings about it.
    pub type_span: Span,
    pub span: Span,
}

/// A table constraint (or a column's inline one, with that column).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Constraint {
    PrimaryKey {
        columns: Vec<Name>,
    },
    Unique {
        columns: Vec<Name>,
    },
    ForeignKey {
        columns: Vec<Name>,
        references: TableRef,
        referred_columns: Vec<Name>,
    },
    Check,
    /// MySQL's `INDEX`/`KEY` inside `CREATE TABLE`: an index, not a constraint.
    Index {
        columns: Vec<Name>,
    },
    /// Constraints no rule reads (`EXCLUDE`, a key made from an existing index).
    Other,
}

/// A constraint with its name and where it is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConstraintDef {
    pub name: Option<Name>,
    pub constraint: Constraint,
    pub span: Span,
}

/// The commands a row-level security policy applies to (`FOR ...`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicyCommand {
    All,
    Select,
    Insert,
    Update,
    Delete,
}

/// A row-level security policy as `CREATE POLICY` defines it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    pub name: Name,
    /// `ALL` when the statement names no command, as PostgreSQL reads it.
    pub command: PolicyCommand,
    /// The roles of `TO`, `public` when the statement names none (PostgreSQL's
    /// default); `None` when they could not be read.
    pub roles: Option<Vec<Name>>,
    /// `AS RESTRICTIVE`: it only narrows what permissive policies grant.
    pub restrictive: bool,
    /// `USING (true)`: every existing row passes.
    pub using_true: bool,
}

/// Whether an `UPDATE` or a `DELETE`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteKind {
    Update,
    Delete,
}

/// The rows an index covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IndexedRows {
    All,
    /// `WHERE a IS NOT NULL [AND b IS NOT NULL]`: the rows it leaves out have a null in
    /// one of these columns, which no lookup by equality on them can match, so it serves
    /// such lookups (and a foreign key's checks) as well as a full index.
    NotNull(Vec<Name>),
    /// Any other predicate, with the columns it names (empty when they could not all be
    /// read): it serves only queries that repeat it.
    Partial(Vec<Name>),
}

impl IndexedRows {
    /// Whether the index serves every lookup by equality on `columns`.
    pub fn serve_lookups_by(&self, columns: &[Name]) -> bool {
        match self {
            IndexedRows::All => true,
            IndexedRows::NotNull(non_null) => non_null.iter().all(|c| columns.contains(c)),
            IndexedRows::Partial(_) => false,
        }
    }

    /// Whether an index on `keys` with these rows may serve a read filtering on
    /// `columns`: as [`IndexedRows::serve_lookups_by`], and a partial index whose
    /// condition names only columns the read filters on too, none of them a key, which
    /// the read is taken to repeat (`(alert_after) WHERE status <> 'down'` for a read of
    /// rows not down). A read that never names them cannot use it, nor can a lookup of
    /// a parameter on a key the condition limits (`(plan) WHERE plan <> 'free'`).
    pub fn may_serve_reads_by(&self, columns: &[Name], keys: &[Name]) -> bool {
        match self {
            IndexedRows::Partial(named) => {
                !named.is_empty()
                    && named
                        .iter()
                        .all(|c| columns.contains(c) && !keys.contains(c))
            }
            _ => self.serve_lookups_by(columns),
        }
    }
}

/// One change a statement makes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    CreateTable {
        table: TableRef,
        /// `None` when the statement was only read from its keywords (or is `AS
        /// SELECT`): its columns are unknown.
        columns: Option<Vec<ColumnDef>>,
        constraints: Vec<ConstraintDef>,
        if_not_exists: bool,
        temporary: bool,
    },
    DropTable {
        table: TableRef,
    },
    /// `CREATE [MATERIALIZED] VIEW`: no rule reads its columns, but indexes are built on
    /// materialized views, and whether one was just created tells what such an index
    /// blocks.
    CreateView {
        view: TableRef,
    },
    DropView {
        views: Vec<TableRef>,
    },
    RenameTable {
        table: TableRef,
        to: TableKey,
    },
    Truncate {
        table: TableRef,
    },
    AddColumn {
        table: TableRef,
        column: ColumnDef,
    },
    DropColumn {
        table: TableRef,
        column: Name,
    },
    /// Django's `RemoveField`, which does not say what the field was: the column of that
    /// name, a relation's `<field>_id`, or a many-to-many field's join table, as the
    /// schema stands ([`super::Schema::removed_field`]).
    RemoveField {
        table: TableRef,
        field: Name,
    },
    RenameColumn {
        table: TableRef,
        column: Name,
        to: Name,
    },
    /// `ALTER COLUMN ... TYPE` (and MySQL's `MODIFY`/`CHANGE`).
    AlterColumnType {
        table: TableRef,
        column: Name,
        data_type: ColumnType,
        /// `USING expr`: the values are computed, never a binary-compatible change.
        using: bool,
    },
    SetNotNull {
        table: TableRef,
        column: Name,
    },
    DropNotNull {
        table: TableRef,
        column: Name,
    },
    SetDefault {
        table: TableRef,
        column: Name,
    },
    DropDefault {
        table: TableRef,
        column: Name,
    },
    CreateIndex {
        table: TableRef,
        name: Option<Name>,
        /// The indexed columns in order; an expression ends the list (what follows it
        /// cannot serve as a leading column).
        columns: Vec<Name>,
        unique: bool,
        concurrently: bool,
        /// `ON ONLY parent`: the partitioned parent alone, which builds nothing.
        only: bool,
        /// The rows it covers: a partial index (`WHERE ...`) leaves some out.
        rows: IndexedRows,
    },
    DropIndex {
        names: Vec<Name>,
        concurrently: bool,
    },
    /// `ALTER INDEX a RENAME TO b`, Django's `RenameIndex(old_name=...)`: index names are
    /// unique within a schema, so the index is found by name, whatever its table.
    RenameIndex {
        index: Name,
        to: Name,
    },
    AddConstraint {
        table: TableRef,
        constraint: ConstraintDef,
        not_valid: bool,
    },
    /// Django's `AlterUniqueTogether`: the model's unique-together constraints become
    /// these groups, replacing those an earlier one made (`set()` drops them all).
    SetUniqueTogether {
        table: TableRef,
        groups: Vec<Vec<Name>>,
    },
    DropConstraint {
        table: TableRef,
        name: Name,
    },
    DropPrimaryKey {
        table: TableRef,
    },
    ValidateConstraint {
        table: TableRef,
        name: Name,
    },
    /// `ALTER TABLE ... ENABLE` (or `DISABLE`) `ROW LEVEL SECURITY`.
    SetRowLevelSecurity {
        table: TableRef,
        enabled: bool,
    },
    CreatePolicy {
        table: TableRef,
        policy: Policy,
    },
    DropPolicy {
        table: TableRef,
        name: Name,
    },
    /// An `UPDATE` or `DELETE`; `filtered` when it has a `WHERE` (or joins with `USING`
    /// / `FROM`, which limit the rows as much).
    Write {
        table: Option<TableRef>,
        kind: WriteKind,
        filtered: bool,
    },
}

impl Change {
    /// The table the change acts on, if one.
    pub fn table(&self) -> Option<&TableRef> {
        match self {
            Change::CreateTable { table, .. }
            | Change::CreateView { view: table }
            | Change::DropTable { table }
            | Change::RenameTable { table, .. }
            | Change::Truncate { table }
            | Change::AddColumn { table, .. }
            | Change::DropColumn { table, .. }
            | Change::RemoveField { table, .. }
            | Change::RenameColumn { table, .. }
            | Change::AlterColumnType { table, .. }
            | Change::SetNotNull { table, .. }
            | Change::DropNotNull { table, .. }
            | Change::SetDefault { table, .. }
            | Change::DropDefault { table, .. }
            | Change::CreateIndex { table, .. }
            | Change::AddConstraint { table, .. }
            | Change::SetUniqueTogether { table, .. }
            | Change::DropConstraint { table, .. }
            | Change::DropPrimaryKey { table }
            | Change::ValidateConstraint { table, .. }
            | Change::SetRowLevelSecurity { table, .. }
            | Change::CreatePolicy { table, .. }
            | Change::DropPolicy { table, .. } => Some(table),
            Change::Write { table, .. } => table.as_ref(),
            Change::DropIndex { .. } | Change::RenameIndex { .. } | Change::DropView { .. } => None,
        }
    }
}

/// A change and where it is written: the operation within its statement (one `ALTER
/// TABLE` clause), or the statement's head.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub span: Span,
    pub change: Change,
}

/// One migration statement, lowered: what rules and the replay read once its tree is
/// dropped.
#[derive(Clone, Debug)]
pub struct Statement {
    pub span: Span,
    pub kind: StatementKind,
    /// The parser produced a tree (else the events come from keywords).
    pub parsed: bool,
    /// Parsed, or valid SQL of its dialect the parser does not model.
    pub recognised: bool,
    /// The parser's message, for statements neither parsed nor recognised.
    pub error: Option<Box<str>>,
    /// Not recognised only because it nests deeper than the parser goes.
    pub too_deep: bool,
    /// In a dbmate `-- migrate:down` or goose `-- +goose Down` section.
    pub in_down_section: bool,
    /// A code migration step that cannot be rolled back: Django `RunPython` without
    /// `reverse_code`, `RunSQL` without `reverse_sql`.
    pub irreversible: bool,
    pub events: Vec<Event>,
}

impl Statement {
    /// A step of a migration written in code (Django, Alembic): read from the code model,
    /// so there is no parser error and nothing too deep.
    pub fn from_code(
        span: Span,
        kind: StatementKind,
        events: Vec<Event>,
        in_down_section: bool,
        irreversible: bool,
    ) -> Statement {
        Statement {
            span,
            kind,
            parsed: true,
            recognised: true,
            error: None,
            too_deep: false,
            in_down_section,
            irreversible,
            events,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ColumnType;

    fn normal(written: &str) -> String {
        ColumnType::parse(written).to_string()
    }

    #[test]
    fn spellings_of_one_type_compare_equal() {
        assert_eq!(normal("CHARACTER VARYING(20)"), "varchar(20)");
        assert_eq!(normal("varchar"), "varchar");
        assert_eq!(normal("TIMESTAMP WITH TIME ZONE"), "timestamptz");
        assert_eq!(normal("timestamp(6) without time zone"), "timestamp(6)");
        assert_eq!(normal("TIMESTAMP"), "timestamp");
        assert_eq!(normal("DOUBLE PRECISION"), "float8");
        assert_eq!(normal("FLOAT(10)"), "float4");
        assert_eq!(normal("float"), "float8");
        assert_eq!(normal("DECIMAL(10, 2)"), "numeric(10,2)");
        assert_eq!(normal("INTEGER"), "int4");
        assert_eq!(normal("text[]"), "text[]");
        assert_eq!(normal("INT ARRAY"), "int4[]");
    }
}
