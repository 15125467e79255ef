//! The order migrations replay in: per migration set (the folder named like a migrations
//! folder), files in natural order (`V2__x` before `V10__x`, Flyway's repeatable `R__x`
//! after the versioned ones; a sqitch project's scripts in its plan's order), rollback
//! files and `-- migrate:down` sections checked but never applied.

use std::cmp::Ordering;
use std::sync::Arc;

use audit_core::{SourceText, Span};
use audit_syntax::SqlDialect;

use super::sqitch::{SqitchChange, SqitchRole};
use super::{Revision, Schema, Statement};

/// A `.sql` file after the per-file pass: its text (for findings' positions) and its
/// statements lowered to events, the trees dropped.
#[derive(Debug)]
pub struct SqlSource {
    pub source: SourceText,
    pub dialect: SqlDialect,
    /// The statements rules read (those that change nothing and were understood are
    /// left out).
    pub statements: Vec<Statement>,
    pub is_migration: bool,
    pub shape: FileShape,
    /// An Alembic revision's id and parent: such files replay along that chain.
    pub revision: Option<Revision>,
    /// The sqitch change whose script this is: such files replay in their plan's order.
    pub sqitch: Option<SqitchChange>,
}

/// What a migration file holds, counted before statements were left out: how rules
/// tell an empty down section from a missing one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FileShape {
    pub down_statements: usize,
    /// dbmate/goose section markers: (up, down).
    pub section_markers: (bool, bool),
    /// A code migration's `down`/`downgrade()`.
    pub down_function: DownFunction,
}

/// The rollback function of a migration written in code.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DownFunction {
    /// Not a layout with one (SQL files, Django).
    #[default]
    NotApplicable,
    /// The file defines none.
    Absent,
    /// Its body does nothing (`async down() {}`, `def downgrade(): pass`); where the
    /// function is written.
    Empty(Span),
    Present,
}

/// A migration written in code, lowered: its statements, the operations it calls that
/// were not lowered (what the classification rate counts), and its `down`.
#[derive(Debug, Default)]
pub struct CodeMigration {
    pub statements: Vec<Statement>,
    /// Where each schema operation that was not understood is written.
    pub unclassified: Vec<Span>,
    pub down_function: DownFunction,
}

/// Whether a migration statement moves the schema forward or rolls it back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MigrationRole {
    Forward,
    Down,
}

/// Where a table a statement names comes from, as the replay stood before it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Created earlier in this same migration: still empty.
    ThisMigration,
    /// Created by an earlier migration (its path).
    Earlier(Arc<str>),
    /// Not created by any scanned migration: it already exists, with data.
    Outside,
}

/// One statement of the replay, with the schema as it stood just before it and as it
/// stands after the whole history of its set.
#[derive(Clone, Copy)]
pub struct Replayed<'a, 's> {
    pub sql: &'a SqlSource,
    pub statement: &'a Statement,
    /// `None` for `.sql` files that are not migrations.
    pub migration: Option<MigrationRole>,
    /// Empty for files that are not migrations.
    pub schema: &'s Schema,
    /// The set's schema after its last migration (empty for files that are not
    /// migrations): what "anywhere in the history" rules read.
    pub final_schema: &'s Schema,
}

/// Replays each migration set in order into its own schema, showing `visit` every
/// statement with the schema as it stood just before it and the set's final schema;
/// then every statement of the other `.sql` files (in the order given), against an
/// empty schema. Only forward statements change the schema.
pub fn replay<'a>(
    files: impl IntoIterator<Item = &'a SqlSource>,
    mut visit: impl FnMut(Replayed<'a, '_>),
) {
    let (migrations, others): (Vec<&SqlSource>, Vec<&SqlSource>) =
        files.into_iter().partition(|sql| sql.is_migration);
    for set in &migration_sets(migrations) {
        let final_schema = final_schema(set);
        let mut schema = Schema::default();
        for_each_step(set, |sql, statement, role| {
            visit(Replayed {
                sql,
                statement,
                migration: Some(role),
                schema: &schema,
                final_schema: &final_schema,
            });
            if role == MigrationRole::Forward {
                schema.apply(statement, &sql.source.path);
            }
        });
    }
    let empty = Schema::default();
    for sql in others {
        for statement in &sql.statements {
            visit(Replayed {
                sql,
                statement,
                migration: None,
                schema: &empty,
                final_schema: &empty,
            });
        }
    }
}

/// The schema each migration set leaves after its last migration, with the path of the
/// migration that created each table: what code is run against.
pub fn final_schemas<'a>(files: impl IntoIterator<Item = &'a SqlSource>) -> Vec<Schema> {
    let migrations = files.into_iter().filter(|sql| sql.is_migration).collect();
    migration_sets(migrations)
        .iter()
        .map(|set| final_schema(set))
        .collect()
}

/// Migrations grouped into sets, each in replay order. A set is a migrations folder and
/// a dialect: one folder may hold a history per database (`0001_x.postgres.up.sql`
/// beside `0001_x.mysql.up.sql`).
fn migration_sets(mut migrations: Vec<&SqlSource>) -> Vec<Vec<&SqlSource>> {
    migrations.sort_by(|a, b| {
        set_of(a)
            .cmp(&set_of(b))
            .then_with(|| match (&a.sqitch, &b.sqitch) {
                (Some(a), Some(b)) => sqitch_order(a, b),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => replay_order(&a.source.path, &b.source.path),
            })
    });
    migrations
        .chunk_by(|a, b| set_of(a) == set_of(b))
        .map(in_revision_order)
        .collect()
}

/// The schema of a sorted set after its forward statements.
fn final_schema(set: &[&SqlSource]) -> Schema {
    let mut schema = Schema::default();
    for_each_step(set, |sql, statement, role| {
        if role == MigrationRole::Forward {
            schema.apply(statement, &sql.source.path);
        }
    });
    schema
}

/// Alembic revisions (every file of the set has one) in the order their
/// `down_revision`s chain them, from the first; the others, and revisions the chain does
/// not reach (merges, branches), after them in natural order.
fn in_revision_order<'a>(set: &[&'a SqlSource]) -> Vec<&'a SqlSource> {
    if !set.iter().all(|s| s.revision.is_some()) {
        return set.to_vec();
    }
    let mut ordered = Vec::with_capacity(set.len());
    let mut placed = vec![false; set.len()];
    let mut parent: Option<&str> = None;
    loop {
        let next = set.iter().enumerate().find(|(i, s)| {
            !placed[*i] && s.revision.as_ref().and_then(|r| r.down.as_deref()) == parent
        });
        let Some((i, sql)) = next else { break };
        placed[i] = true;
        ordered.push(*sql);
        parent = sql.revision.as_ref().map(|r| r.id.as_str());
    }
    ordered.extend(
        set.iter()
            .enumerate()
            .filter(|(i, _)| !placed[*i])
            .map(|(_, s)| *s),
    );
    ordered
}

/// Which set a migration replays in: its migrations folder (a sqitch project) and its
/// dialect.
fn set_of(sql: &SqlSource) -> (&str, &'static str) {
    let set = match &sql.sqitch {
        Some(change) => change.project.as_str(),
        None => migration_set(&sql.source.path),
    };
    (set, sql.dialect.name())
}

/// Every statement of a sorted set with its role.
fn for_each_step<'a>(
    set: &[&'a SqlSource],
    mut step: impl FnMut(&'a SqlSource, &'a Statement, MigrationRole),
) {
    for sql in set {
        let file_role = if let Some(change) = &sql.sqitch {
            match change.role {
                SqitchRole::Revert => MigrationRole::Down,
                _ => MigrationRole::Forward,
            }
        } else if is_down_path(&sql.source.path) {
            MigrationRole::Down
        } else {
            MigrationRole::Forward
        };
        for statement in &sql.statements {
            let role = if statement.in_down_section {
                MigrationRole::Down
            } else {
                file_role
            };
            step(sql, statement, role);
        }
    }
}

/// Natural order, except that Flyway's repeatable migrations (`R__x.sql`) run after
/// every versioned one.
fn replay_order(a: &str, b: &str) -> Ordering {
    let repeatable = |path: &str| {
        path.rsplit('/')
            .next()
            .is_some_and(|file| file.starts_with("R__"))
    };
    repeatable(a)
        .cmp(&repeatable(b))
        .then_with(|| natural_cmp(a, b))
}

/// Sqitch scripts in plan order, those the plan does not list after, by name; each
/// change's revert right after its deploy, as it would run: against what it undoes.
fn sqitch_order(a: &SqitchChange, b: &SqitchChange) -> Ordering {
    a.position
        .is_none()
        .cmp(&b.position.is_none())
        .then_with(|| a.position.cmp(&b.position))
        .then_with(|| natural_cmp(&a.change, &b.change))
        .then_with(|| a.role.cmp(&b.role))
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
pub(super) fn natural_cmp(a: &str, b: &str) -> Ordering {
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
