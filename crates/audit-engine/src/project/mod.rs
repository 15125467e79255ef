//! The project phase: rules that need the whole repository, run over merged facts.

pub mod schema;
pub mod terraform;

use std::cmp::Ordering;

use audit_core::{Finding, SourceText};
use audit_syntax::{SqlDialect, SqlFile, SqlStatement};

use crate::checks::Emit;
use crate::facts::{ProjectFacts, SqlSource};
use crate::plan::Plan;
use schema::Schema;

/// Whether a migration statement moves the schema forward or rolls it back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MigrationRole {
    Forward,
    Down,
}

/// What a SQL check sees: the statement, its file, and the schema replayed before it.
pub struct SqlContext<'a> {
    pub source: &'a SourceText,
    pub file: &'a SqlFile,
    pub statement: &'a SqlStatement,
    /// `None` for `.sql` files that are not migrations.
    pub migration: Option<MigrationRole>,
    pub schema: &'a Schema,
    /// The file's dialect (`sql.dialects`, its path, or `sql.dialect`).
    pub dialect: SqlDialect,
}

/// The project phase: migrations replayed per set, Terraform evaluated per module, then
/// project checks. Every SQL file carries the dialect it was parsed with.
pub fn run(plan: &Plan, facts: &ProjectFacts) -> Vec<Finding> {
    let mut findings = Vec::new();
    run_sql(plan, facts, &mut findings);
    terraform::run(plan, facts, &mut findings);
    for (index, check) in &plan.project {
        let rule = &plan.rules[*index];
        let mut emit = Emit::for_rule(&rule.meta);
        check(facts, &mut emit);
        findings.extend(emit.findings);
    }
    findings
}

/// Replays each migration set in order into its own schema, running the SQL checks on
/// every statement against the schema as it stood just before it; other `.sql` files
/// are checked afterwards, against no schema.
fn run_sql(plan: &Plan, facts: &ProjectFacts, findings: &mut Vec<Finding>) {
    let mut migrations: Vec<&SqlSource> = Vec::new();
    let mut others: Vec<&SqlSource> = Vec::new();
    for sql in facts.files.iter().filter_map(|(_, f)| f.sql.as_ref()) {
        if sql.is_migration {
            migrations.push(sql)
        } else {
            others.push(sql)
        }
    }
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
            check_statement(plan, sql, statement, Some(role), &schema, findings);
            if role == MigrationRole::Forward {
                schema.apply(statement, &sql.source.path);
            }
        }
    }
    let empty = Schema::default();
    for sql in others {
        for statement in &sql.file.statements {
            check_statement(plan, sql, statement, None, &empty, findings);
        }
    }
}

fn check_statement(
    plan: &Plan,
    sql: &SqlSource,
    statement: &SqlStatement,
    migration: Option<MigrationRole>,
    schema: &Schema,
    findings: &mut Vec<Finding>,
) {
    let Some(checks) = plan.sql.get(&statement.kind) else {
        return;
    };
    let ctx = SqlContext {
        source: &sql.source,
        file: &sql.file,
        statement,
        migration,
        schema,
        dialect: sql.file.dialect,
    };
    for (index, check) in checks {
        let rule = &plan.rules[*index];
        let mut emit = Emit::for_rule(&rule.meta);
        check(&ctx, &mut emit);
        findings.extend(emit.findings);
    }
}

/// Migrations replay per set: the path up to the last folder named like a migrations
/// folder (`services/a/migrations`), else the file's folder.
fn migration_set(path: &str) -> &str {
    const SET_DIRS: &[&str] = &["migrations", "migration", "migrate", "changelog", "flyway"];
    let mut end = None;
    let mut offset = 0;
    for part in path.split('/') {
        offset += part.len() + 1;
        if SET_DIRS.contains(&part) {
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
    let flyway_undo = file.strip_prefix('u').is_some_and(|r| {
        r.split_once("__").is_some_and(|(v, _)| {
            !v.is_empty()
                && v.chars()
                    .all(|c| c.is_ascii_digit() || c == '.' || c == '_')
        })
    });
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
    use super::*;

    #[test]
    fn natural_order_compares_numbers() {
        let mut paths = vec!["m/V10__c.sql", "m/V2__b.sql", "m/V1__a.sql"];
        paths.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(paths, ["m/V1__a.sql", "m/V2__b.sql", "m/V10__c.sql"]);
    }

    #[test]
    fn down_paths() {
        assert!(is_down_path("db/migrations/0002_users.down.sql"));
        assert!(is_down_path("migrations/20240101_x/down.sql"));
        assert!(is_down_path("sql/U3__drop.sql"));
        assert!(!is_down_path("migrations/0003_download_stats.sql"));
    }

    #[test]
    fn sets_end_at_the_migrations_folder() {
        assert_eq!(
            migration_set("svc/a/migrations/2024_x/migration.sql"),
            "svc/a/migrations"
        );
        assert_eq!(migration_set("sql/V1__a.sql"), "sql");
    }

    fn scan(config: &str, files: &[(&str, &str)]) -> crate::ScanOutput {
        let config = crate::ConfigFile::parse(config, "backend-audit.toml").unwrap();
        let engine = crate::Engine::new(&config).unwrap();
        engine.scan_sources(
            files
                .iter()
                .map(|(path, text)| (path.to_string(), text.as_bytes().to_vec()))
                .collect(),
        )
    }

    fn messages(output: &crate::ScanOutput, rule: &str) -> Vec<String> {
        output
            .diagnostics
            .iter()
            .filter(|d| d.rule.as_str() == rule)
            .map(|d| {
                format!(
                    "{}:{}: {}",
                    d.location.path, d.location.start.line, d.message
                )
            })
            .collect()
    }

    #[test]
    fn valid_sql_the_parser_does_not_model_is_no_parse_problem() {
        let output = scan(
            "",
            &[
                (
                    "db/migrations/0003_notes.down.sql",
                    "DROP INDEX CONCURRENTLY IF EXISTS notes_created_at_idx;\n",
                ),
                (
                    "db/migrations/0004_typo.sql",
                    "SELECT 1;\nCREAT TABLE t (id int);\n",
                ),
            ],
        );
        let notes: Vec<(&str, audit_core::NoteKind, Option<u32>)> = output
            .notes
            .iter()
            .map(|n| (n.path.as_deref().unwrap(), n.kind, n.line))
            .collect();
        assert_eq!(
            notes,
            [
                (
                    "db/migrations/0003_notes.down.sql",
                    audit_core::NoteKind::Unmodelled,
                    Some(1)
                ),
                (
                    "db/migrations/0004_typo.sql",
                    audit_core::NoteKind::ParseError,
                    Some(2)
                ),
            ]
        );
        assert!(
            output.notes[0]
                .message
                .contains("`DROP INDEX CONCURRENTLY IF EXISTS notes_created_at_idx;`"),
            "{}",
            output.notes[0].message
        );
        assert_eq!(output.summary.files_partly_parsed, 1);
        assert_eq!(output.summary.parse_errors, 0);
    }

    #[test]
    fn a_table_whose_create_was_not_parsed_is_still_created() {
        let output = scan(
            "",
            &[
                (
                    "db/migrations/0001_events.sql",
                    "CREATE TABLE events (id int) WITH (fillfactor = 90) WITH (x = 1);\n",
                ),
                (
                    "db/migrations/0002_events_index.sql",
                    "CREATE INDEX events_id_idx ON events (id);\n",
                ),
            ],
        );
        assert_eq!(
            messages(&output, "DB002")
                .iter()
                .map(|m| m.split(" blocks").next().unwrap())
                .collect::<Vec<_>>(),
            [
                "db/migrations/0002_events_index.sql:1: CREATE INDEX without CONCURRENTLY on `events` (created in db/migrations/0001_events.sql)"
            ]
        );
    }

    #[test]
    fn templated_names_are_the_table_or_the_placeholder_as_written() {
        let output = scan(
            "",
            &[(
                "migrations/0002_x.sql",
                "CREATE INDEX a ON {{ index .Options \"Namespace\" }}.sessions (x);\nCREATE INDEX b ON {{ .Table }} (x);\nDROP TABLE \"{{ index .Options \"Namespace\" }}\".\"users\";\n",
            )],
        );
        let table = |m: &String| m.split('`').nth(1).unwrap().to_string();
        assert_eq!(
            messages(&output, "DB002")
                .iter()
                .map(table)
                .collect::<Vec<_>>(),
            ["sessions", "{{ .Table }}"]
        );
        assert_eq!(
            messages(&output, "DB004")
                .iter()
                .map(table)
                .collect::<Vec<_>>(),
            ["users"]
        );
        assert!(output.notes.is_empty(), "{:?}", output.notes);
    }

    #[test]
    fn postgres_advice_only_on_postgres_files() {
        let index = "CREATE INDEX i ON t (x);\n";
        let output = scan(
            "[sql]\ndialects = { \"legacy/**\" = \"mysql\" }\n",
            &[
                ("database/sqlserver/migrations/1_i.up.sql", index),
                ("database/cockroachdb/migrations/1_i.up.sql", index),
                ("database/mysql8/migrations/1_i.up.sql", index),
                ("legacy/postgres/migrations/1_i.up.sql", index),
                ("database/postgres/migrations/1_i.up.sql", index),
                ("db/migrations/1_i.up.sql", index),
            ],
        );
        let found: Vec<String> = messages(&output, "DB002")
            .iter()
            .map(|m| m.split(':').next().unwrap().to_string())
            .collect();
        assert_eq!(
            found,
            [
                "database/postgres/migrations/1_i.up.sql",
                "db/migrations/1_i.up.sql"
            ]
        );
    }
}
