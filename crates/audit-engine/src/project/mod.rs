//! The project phase: rules that need the whole repository, run over merged facts.

pub mod schema;
pub mod terraform;

use std::cmp::Ordering;

use audit_core::{Finding, SourceText};
use audit_syntax::{SqlDialect, SqlFile, SqlStatement};

use crate::checks::{CheckFn, Emit};
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
    pub dialect: SqlDialect,
}

pub fn run(plan: &Plan, facts: &ProjectFacts, dialect: SqlDialect) -> Vec<Finding> {
    let mut findings = Vec::new();
    run_sql(plan, facts, dialect, &mut findings);
    terraform::run(plan, facts, &mut findings);
    for (index, check) in &plan.project {
        let rule = &plan.rules[*index];
        let mut emit = Emit::new(rule.id(), &rule.meta.message);
        if let CheckFn::Project(check) = check {
            check(facts, &mut emit);
        }
        findings.extend(emit.findings);
    }
    findings
}

/// Replays each migration set in order into its own schema, running the SQL checks on
/// every statement against the schema as it stood just before it; other `.sql` files
/// are checked afterwards, against no schema.
fn run_sql(plan: &Plan, facts: &ProjectFacts, dialect: SqlDialect, findings: &mut Vec<Finding>) {
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
            check_statement(plan, sql, statement, Some(role), &schema, dialect, findings);
            if role == MigrationRole::Forward
                && let Ok(ast) = &statement.ast
            {
                schema.apply(ast, &sql.source.path);
            }
        }
    }
    let empty = Schema::default();
    for sql in others {
        for statement in &sql.file.statements {
            check_statement(plan, sql, statement, None, &empty, dialect, findings);
        }
    }
}

fn check_statement(
    plan: &Plan,
    sql: &SqlSource,
    statement: &SqlStatement,
    migration: Option<MigrationRole>,
    schema: &Schema,
    dialect: SqlDialect,
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
        dialect,
    };
    for (index, check) in checks {
        let rule = &plan.rules[*index];
        let mut emit = Emit::new(rule.id(), &rule.meta.message);
        if let CheckFn::Sql(check) = check {
            check(&ctx, &mut emit);
        }
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
}
