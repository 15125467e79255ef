//! SQL dialects: their names in the config, how a path names one, and the sqlparser
//! dialect each is parsed with.

use sqlparser::dialect::{
    AnsiDialect, BigQueryDialect, ClickHouseDialect, DatabricksDialect, Dialect, DuckDbDialect,
    GenericDialect, HiveDialect, MsSqlDialect, MySqlDialect, OracleDialect, PostgreSqlDialect,
    RedshiftSqlDialect, SQLiteDialect, SnowflakeDialect, SparkSqlDialect, TeradataDialect,
};

/// The SQL dialect a file is written in: `sql.dialect` / `sql.dialects` in the config, or
/// what its path says (`db/mysql/...`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum SqlDialect {
    #[default]
    Postgres,
    CockroachDb,
    YugabyteDb,
    Redshift,
    MySql,
    MariaDb,
    Sqlite,
    MsSql,
    Oracle,
    Snowflake,
    BigQuery,
    Spanner,
    ClickHouse,
    DuckDb,
    Databricks,
    Hive,
    Spark,
    Teradata,
    Firebird,
    Ansi,
    Generic,
}

/// Where in a path a dialect's names are taken as naming it.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum PathMatch {
    /// Config only (`generic`, `ansi`).
    Never,
    /// Only a whole folder name or file stem: the name is also an everyday word
    /// (`oracle`, `snowflake`, `hive`, `spark`).
    Component,
    /// Also one word of a folder or file name (`mysql_legacy`, `0001_init.postgres.sql`).
    Word,
}

struct Entry {
    dialect: SqlDialect,
    /// The config name; the first of `names`.
    names: &'static [&'static str],
    label: &'static str,
    path: PathMatch,
}

const ENTRIES: &[Entry] = &[
    entry(
        SqlDialect::Postgres,
        &["postgres", "postgresql", "pg", "pgsql", "pgx"],
        "PostgreSQL",
        PathMatch::Word,
    ),
    entry(
        SqlDialect::CockroachDb,
        &["cockroachdb", "cockroach", "crdb"],
        "CockroachDB",
        PathMatch::Word,
    ),
    entry(
        SqlDialect::YugabyteDb,
        &["yugabytedb", "yugabyte", "ysql"],
        "YugabyteDB",
        PathMatch::Word,
    ),
    entry(
        SqlDialect::Redshift,
        &["redshift"],
        "Redshift",
        PathMatch::Word,
    ),
    entry(SqlDialect::MySql, &["mysql"], "MySQL", PathMatch::Word),
    entry(
        SqlDialect::MariaDb,
        &["mariadb"],
        "MariaDB",
        PathMatch::Word,
    ),
    entry(
        SqlDialect::Sqlite,
        &["sqlite", "rqlite", "sqlcipher", "libsql"],
        "SQLite",
        PathMatch::Word,
    ),
    entry(
        SqlDialect::MsSql,
        &["mssql", "sqlserver", "tsql"],
        "SQL Server",
        PathMatch::Word,
    ),
    entry(
        SqlDialect::Oracle,
        &["oracle"],
        "Oracle",
        PathMatch::Component,
    ),
    entry(
        SqlDialect::Snowflake,
        &["snowflake"],
        "Snowflake",
        PathMatch::Component,
    ),
    entry(
        SqlDialect::BigQuery,
        &["bigquery"],
        "BigQuery",
        PathMatch::Word,
    ),
    entry(
        SqlDialect::Spanner,
        &["spanner"],
        "Spanner",
        PathMatch::Word,
    ),
    entry(
        SqlDialect::ClickHouse,
        &["clickhouse"],
        "ClickHouse",
        PathMatch::Word,
    ),
    entry(SqlDialect::DuckDb, &["duckdb"], "DuckDB", PathMatch::Word),
    entry(
        SqlDialect::Databricks,
        &["databricks"],
        "Databricks",
        PathMatch::Word,
    ),
    entry(
        SqlDialect::Hive,
        &["hive", "hiveql"],
        "Hive",
        PathMatch::Component,
    ),
    entry(
        SqlDialect::Spark,
        &["spark", "sparksql"],
        "Spark SQL",
        PathMatch::Component,
    ),
    entry(
        SqlDialect::Teradata,
        &["teradata"],
        "Teradata",
        PathMatch::Word,
    ),
    entry(
        SqlDialect::Firebird,
        &["firebird"],
        "Firebird",
        PathMatch::Word,
    ),
    entry(SqlDialect::Ansi, &["ansi"], "ANSI SQL", PathMatch::Never),
    entry(
        SqlDialect::Generic,
        &["generic"],
        "generic SQL",
        PathMatch::Never,
    ),
];

const fn entry(
    dialect: SqlDialect,
    names: &'static [&'static str],
    label: &'static str,
    path: PathMatch,
) -> Entry {
    Entry {
        dialect,
        names,
        label,
        path,
    }
}

impl SqlDialect {
    /// A dialect by its config name or an alias (`postgresql`, `sqlserver`), any case.
    pub fn from_name(name: &str) -> Option<SqlDialect> {
        let name = name.to_ascii_lowercase();
        ENTRIES
            .iter()
            .find(|e| e.names.contains(&name.as_str()))
            .map(|e| e.dialect)
    }

    /// The config names, for error messages.
    pub fn names() -> impl Iterator<Item = &'static str> {
        ENTRIES.iter().map(|e| e.names[0])
    }

    /// The config name (`postgres`, `mssql`).
    pub fn name(self) -> &'static str {
        self.entry().names[0]
    }

    fn entry(self) -> &'static Entry {
        ENTRIES
            .iter()
            .find(|e| e.dialect == self)
            .expect("every dialect has an entry")
    }

    /// The dialect a path names, if one does: the innermost folder whose name, or one of
    /// whose words, is a dialect's name (`database/sqlserver/`, `mysql8/`, `pg_migrations/`),
    /// else the file name's (`0001_init.mysql.sql`). Words are split at anything but
    /// letters and digits, and trailing digits are ignored (`sqlite3`, `postgres14`);
    /// names inside longer words (`mysqlish`, `spongebob`) do not count.
    pub fn from_path(path: &str) -> Option<SqlDialect> {
        let mut parts = path.rsplit('/');
        let file = parts.next()?;
        if let Some(dialect) = parts.find_map(from_path_part) {
            return Some(dialect);
        }
        let stem = file.rsplit_once('.').map_or(file, |(stem, _)| stem);
        from_path_part(stem)
    }

    /// Dialects written with PostgreSQL's syntax (PostgreSQL, CockroachDB, YugabyteDB):
    /// parsed as PostgreSQL, with `DO` blocks and psql variables.
    pub fn postgres_syntax(self) -> bool {
        matches!(
            self,
            SqlDialect::Postgres | SqlDialect::CockroachDb | SqlDialect::YugabyteDb
        )
    }

    pub(crate) fn parser(self) -> Box<dyn Dialect> {
        match self {
            SqlDialect::Postgres | SqlDialect::CockroachDb | SqlDialect::YugabyteDb => {
                Box::new(PostgreSqlDialect {})
            }
            SqlDialect::Redshift => Box::new(RedshiftSqlDialect {}),
            SqlDialect::MySql | SqlDialect::MariaDb => Box::new(MySqlDialect {}),
            SqlDialect::Sqlite => Box::new(SQLiteDialect {}),
            SqlDialect::MsSql => Box::new(MsSqlDialect {}),
            SqlDialect::Oracle => Box::new(OracleDialect {}),
            SqlDialect::Snowflake => Box::new(SnowflakeDialect {}),
            SqlDialect::BigQuery => Box::new(BigQueryDialect {}),
            SqlDialect::ClickHouse => Box::new(ClickHouseDialect {}),
            SqlDialect::DuckDb => Box::new(DuckDbDialect {}),
            SqlDialect::Databricks => Box::new(DatabricksDialect {}),
            SqlDialect::Hive => Box::new(HiveDialect {}),
            SqlDialect::Spark => Box::new(SparkSqlDialect {}),
            SqlDialect::Teradata => Box::new(TeradataDialect {}),
            SqlDialect::Ansi => Box::new(AnsiDialect {}),
            // Spanner's DDL (`) PRIMARY KEY (id)`) parses best as generic SQL.
            SqlDialect::Spanner | SqlDialect::Firebird | SqlDialect::Generic => {
                Box::new(GenericDialect {})
            }
        }
    }
}

impl std::fmt::Display for SqlDialect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.entry().label)
    }
}

fn from_path_part(part: &str) -> Option<SqlDialect> {
    path_name(part, PathMatch::Component).or_else(|| {
        part.split(|c: char| !c.is_ascii_alphanumeric())
            .find_map(|word| path_name(word, PathMatch::Word))
    })
}

fn path_name(word: &str, at_least: PathMatch) -> Option<SqlDialect> {
    let word = word.trim_end_matches(|c: char| c.is_ascii_digit());
    if word.is_empty() {
        return None;
    }
    let word = word.to_ascii_lowercase();
    ENTRIES
        .iter()
        .find(|e| e.path >= at_least && e.names.contains(&word.as_str()))
        .map(|e| e.dialect)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_names_and_aliases() {
        assert_eq!(
            SqlDialect::from_name("postgres"),
            Some(SqlDialect::Postgres)
        );
        assert_eq!(
            SqlDialect::from_name("PostgreSQL"),
            Some(SqlDialect::Postgres)
        );
        assert_eq!(SqlDialect::from_name("sqlserver"), Some(SqlDialect::MsSql));
        assert_eq!(SqlDialect::from_name("generic"), Some(SqlDialect::Generic));
        assert_eq!(SqlDialect::from_name("mongodb"), None);
        for name in SqlDialect::names() {
            let dialect = SqlDialect::from_name(name).unwrap();
            assert_eq!(dialect.name(), name);
        }
    }

    #[test]
    fn paths_name_dialects_by_whole_words() {
        let of = SqlDialect::from_path;
        assert_eq!(
            of("database/sqlserver/examples/migrations/1_users.up.sql"),
            Some(SqlDialect::MsSql)
        );
        assert_eq!(
            of("database/cockroachdb/examples/migrations/1_users.up.sql"),
            Some(SqlDialect::CockroachDb)
        );
        assert_eq!(
            of("schema/mysql/v8/temporal/schema.sql"),
            Some(SqlDialect::MySql)
        );
        assert_eq!(of("db/sqlite3/001.sql"), Some(SqlDialect::Sqlite));
        assert_eq!(of("pg_migrations/001.sql"), Some(SqlDialect::Postgres));
        assert_eq!(
            of("migrations/0001_init.mysql.sql"),
            Some(SqlDialect::MySql)
        );
        // The innermost folder decides, and folders before the file name.
        assert_eq!(
            of("mysql/legacy/postgres/0001_from_mysql.sql"),
            Some(SqlDialect::Postgres)
        );
        // Not inside longer words, and everyday words only as whole names.
        assert_eq!(of("db/mysqlish/001.sql"), None);
        assert_eq!(of("db/migrations/0004_snowflake_ids.sql"), None);
        assert_eq!(
            of("warehouse/snowflake/001.sql"),
            Some(SqlDialect::Snowflake)
        );
        assert_eq!(of("price_oracle/migrations/001.sql"), None);
        assert_eq!(of("generic/001.sql"), None);
        assert_eq!(of("db/migrations/001_init.sql"), None);
    }
}
