//! The order migrations replay in: per migration set (the folder named like a migrations
//! folder), files in natural order (`V2__x` before `V10__x`), rollback files and
//! `-- migrate:down` sections checked but never applied.

use std::cmp::Ordering;

use audit_core::SourceText;
use audit_syntax::{SqlFile, SqlStatement};

use super::Schema;

/// A migration or other `.sql` file, kept whole from the per-file pass: the schema
/// replay reads it in order.
#[derive(Debug)]
pub struct SqlSource {
    pub source: SourceText,
    pub file: SqlFile,
    pub is_migration: bool,
}

/// Whether a migration statement moves the schema forward or rolls it back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MigrationRole {
    Forward,
    Down,
}

/// One statement of the replay, with the schema as it stood just before it.
#[derive(Clone, Copy)]
pub struct Replayed<'a, 's> {
    pub sql: &'a SqlSource,
    pub statement: &'a SqlStatement,
    /// `None` for `.sql` files that are not migrations.
    pub migration: Option<MigrationRole>,
    /// Empty for files that are not migrations.
    pub schema: &'s Schema,
}

/// Replays each migration set in order into its own schema, showing `visit` every
/// statement with the schema as it stood just before it; then every statement of the
/// other `.sql` files (in the order given), against an empty schema. Only forward
/// statements change the schema.
pub fn replay<'a>(
    files: impl IntoIterator<Item = &'a SqlSource>,
    mut visit: impl FnMut(Replayed<'a, '_>),
) {
    let (mut migrations, others): (Vec<&SqlSource>, Vec<&SqlSource>) =
        files.into_iter().partition(|sql| sql.is_migration);
    migrations.sort_by(|a, b| {
        migration_set(&a.source.path)
            .cmp(migration_set(&b.source.path))
            .then_with(|| natural_cmp(&a.source.path, &b.source.path))
    });

    let mut schema = Schema::default();
    let mut current_set = None;
    for sql in migrations {
        let set = migration_set(&sql.source.path);
        if current_set != Some(set) {
            schema = Schema::default();
            current_set = Some(set);
        }
        let file_role = if is_down_path(&sql.source.path) {
            MigrationRole::Down
        } else {
            MigrationRole::Forward
        };
        for statement in &sql.file.statements {
            let role = if statement.in_down_section {
                MigrationRole::Down
            } else {
                file_role
            };
            visit(Replayed {
                sql,
                statement,
                migration: Some(role),
                schema: &schema,
            });
            if role == MigrationRole::Forward {
                schema.apply(statement, &sql.source.path);
            }
        }
    }
    let empty = Schema::default();
    for sql in others {
        for statement in &sql.file.statements {
            visit(Replayed {
                sql,
                statement,
                migration: None,
                schema: &empty,
            });
        }
    }
}

/// Folder names whose `.sql` files are migrations; the last one in a path ends its set.
pub const MIGRATION_DIRS: &[&str] = &["migrations", "migration", "migrate", "changelog", "flyway"];

/// Whether a path is a migration by the usual layouts: under a migrations folder, or a
/// Flyway versioned file (`V2__add_users.sql`). Configured globs come on top.
pub fn is_migration_path(path: &str) -> bool {
    let mut parts = path.rsplit('/');
    let file = parts.next().unwrap_or("");
    file.strip_prefix('V').is_some_and(is_flyway_version)
        || parts.any(|dir| MIGRATION_DIRS.contains(&dir))
}

/// After Flyway's `V`/`U` prefix: a version of digits, dots and underscores, then `__`.
fn is_flyway_version(rest: &str) -> bool {
    rest.split_once("__").is_some_and(|(version, _)| {
        !version.is_empty()
            && version
                .chars()
                .all(|c| c.is_ascii_digit() || c == '.' || c == '_')
    })
}

/// Migrations replay per set: the path up to the last folder named like a migrations
/// folder (`services/a/migrations`), else the file's folder.
fn migration_set(path: &str) -> &str {
    let mut end = None;
    let mut offset = 0;
    for part in path.split('/') {
        offset += part.len() + 1;
        if MIGRATION_DIRS.contains(&part) {
            end = Some(offset - 1);
        }
    }
    match end {
        Some(end) => &path[..end],
        None => path.rsplit_once('/').map_or("", |(dir, _)| dir),
    }
}

/// Rollback files: `down.sql`, `0002_x.down.sql`, `rollback/...`, Flyway `U2__x.sql`.
fn is_down_path(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    let file = lower.rsplit('/').next().unwrap_or("");
    let flyway_undo = file.strip_prefix('u').is_some_and(is_flyway_version);
    flyway_undo
        || lower
            .split(['/', '.', '_', '-'])
            .any(|word| matches!(word, "down" | "rollback" | "revert" | "undo" | "downgrade"))
}

/// Orders `V2__x` before `V10__x`: runs of digits compare as numbers.
fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    loop {
        match (a.first(), b.first()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let da = a.iter().take_while(|c| c.is_ascii_digit()).count();
                let db = b.iter().take_while(|c| c.is_ascii_digit()).count();
                let (na, nb) = (trim_zeros(&a[..da]), trim_zeros(&b[..db]));
                let order = na
                    .len()
                    .cmp(&nb.len())
                    .then_with(|| na.cmp(nb))
                    .then_with(|| da.cmp(&db));
                if order != Ordering::Equal {
                    return order;
                }
                (a, b) = (&a[da..], &b[db..]);
            }
            (Some(x), Some(y)) => {
                if x != y {
                    return x.cmp(y);
                }
                (a, b) = (&a[1..], &b[1..]);
            }
        }
    }
}

fn trim_zeros(digits: &[u8]) -> &[u8] {
    let zeros = digits.iter().take_while(|&&d| d == b'0').count();
    &digits[zeros.min(digits.len().saturating_sub(1))..]
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use audit_syntax::{SqlDialect, parse_sql};

    use super::*;
    use crate::schema::table_key;

    #[test]
    fn natural_order_compares_numbers() {
        let mut paths = vec!["m/V10__c.sql", "m/V2__b.sql", "m/V1__a.sql", "m/V01__a.sql"];
        paths.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(
            paths,
            ["m/V1__a.sql", "m/V01__a.sql", "m/V2__b.sql", "m/V10__c.sql"]
        );
    }

    #[test]
    fn down_paths() {
        assert!(is_down_path("db/migrations/0002_users.down.sql"));
        assert!(is_down_path("migrations/20240101_x/down.sql"));
        assert!(is_down_path("db/rollback/0002_users.sql"));
        assert!(is_down_path("sql/U3__drop.sql"));
        assert!(!is_down_path("migrations/0003_download_stats.sql"));
        assert!(!is_down_path("sql/Users__x.sql"));
    }

    #[test]
    fn sets_end_at_the_migrations_folder() {
        assert_eq!(
            migration_set("svc/a/migrations/2024_x/migration.sql"),
            "svc/a/migrations"
        );
        assert_eq!(migration_set("sql/V1__a.sql"), "sql");
        assert_eq!(migration_set("V1__a.sql"), "");
    }

    fn source(path: &str, text: &str, is_migration: bool) -> SqlSource {
        SqlSource {
            source: SourceText::new(Arc::from(path), text.to_string()),
            file: parse_sql(text, SqlDialect::Postgres).unwrap(),
            is_migration,
        }
    }

    /// Each statement the replay shows, as `path:line role [tables before it]`, a table
    /// written `name@created_in`.
    fn replayed(files: &[SqlSource], tables: &[&str]) -> Vec<String> {
        let mut seen = Vec::new();
        replay(files, |step| {
            let line = step.sql.source.position(step.statement.span.start).line;
            let known: Vec<String> = tables
                .iter()
                .filter_map(|t| {
                    step.schema
                        .table(t)
                        .map(|table| format!("{t}@{}", table.created_in))
                })
                .collect();
            seen.push(format!(
                "{}:{line} {:?} [{}]",
                step.sql.source.path,
                step.migration,
                known.join(" ")
            ));
        });
        seen
    }

    #[test]
    fn sets_replay_apart_in_natural_order_and_other_files_last() {
        let files = [
            source("a/migrations/V10__c.sql", "DROP TABLE t;\n", true),
            source("scripts/report.sql", "SELECT 1;\n", false),
            source("a/migrations/V2__b.sql", "ALTER TABLE t ADD x int;\n", true),
            source("a/migrations/V1__a.sql", "CREATE TABLE t (id int);\n", true),
            source(
                "b/migrations/V1__a.sql",
                "CREATE INDEX i ON t (id);\n",
                true,
            ),
        ];
        assert_eq!(
            replayed(&files, &["t"]),
            [
                "a/migrations/V1__a.sql:1 Some(Forward) []",
                "a/migrations/V2__b.sql:1 Some(Forward) [t@a/migrations/V1__a.sql]",
                "a/migrations/V10__c.sql:1 Some(Forward) [t@a/migrations/V1__a.sql]",
                // Another set starts from an empty schema.
                "b/migrations/V1__a.sql:1 Some(Forward) []",
                "scripts/report.sql:1 None []",
            ]
        );
    }

    #[test]
    fn down_files_and_sections_are_shown_but_not_applied() {
        let files = [
            source(
                "m/0001_t.sql",
                "-- migrate:up\nCREATE TABLE t (id int);\n-- migrate:down\nDROP TABLE t;\n",
                true,
            ),
            source("m/0001_t.down.sql", "DROP TABLE t;\n", true),
            source("m/0002_u.sql", "CREATE INDEX i ON t (id);\n", true),
        ];
        assert_eq!(
            replayed(&files, &["t"]),
            [
                "m/0001_t.down.sql:1 Some(Down) []",
                "m/0001_t.sql:2 Some(Forward) []",
                "m/0001_t.sql:4 Some(Down) [t@m/0001_t.sql]",
                "m/0002_u.sql:1 Some(Forward) [t@m/0001_t.sql]",
            ]
        );
    }

    #[test]
    fn a_create_table_the_parser_rejects_still_creates_the_table() {
        let files = [
            source(
                "db/migrations/0001_events.sql",
                "CREATE TABLE events (id int) WITH (fillfactor = 90) WITH (x = 1);\n",
                true,
            ),
            source(
                "db/migrations/0002_events_index.sql",
                "CREATE INDEX events_id_idx ON events (id);\n",
                true,
            ),
        ];
        assert!(files[0].file.statements[0].ast.is_err());
        assert_eq!(
            replayed(&files, &["events"])[1],
            "db/migrations/0002_events_index.sql:1 Some(Forward) [events@db/migrations/0001_events.sql]"
        );
    }

    #[test]
    fn the_schema_is_the_one_before_the_statement() {
        let files = [source(
            "m/0001.sql",
            "CREATE TABLE \"Users\" (id int);\nALTER TABLE \"Users\" RENAME TO people;\n",
            true,
        )];
        let mut seen = Vec::new();
        replay(&files, |step| {
            let name = match &step.statement.ast {
                Ok(audit_syntax::sqlparser::ast::Statement::CreateTable(c)) => &c.name,
                Ok(audit_syntax::sqlparser::ast::Statement::AlterTable(a)) => &a.name,
                other => panic!("{other:?}"),
            };
            seen.push((
                table_key(name),
                step.schema.table("Users").is_some(),
                step.schema.table("people").is_some(),
            ));
        });
        assert_eq!(
            seen,
            [
                ("Users".to_string(), false, false),
                ("Users".to_string(), true, false)
            ]
        );
    }
}
