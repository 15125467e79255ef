//! DB008: a migration with no way back, in the layouts that have one: a `*.up.sql` or
//! `up.sql` without its down file, a sqitch deploy script without its revert script, a dbmate/goose file without a down section (or with
//! an empty one), a Knex, TypeORM, MikroORM or Sequelize `down` or an Alembic
//! `downgrade()` that does nothing, a Django `RunPython`/`RunSQL` without reverse.

use std::collections::HashMap;

use audit_core::Span;
use audit_model::schema::{DownFunction, SqitchRole, SqlSource};

use crate::checks::{Check, Emit};
use crate::facts::ProjectFacts;

pub const CHECK: Check = Check::Project { run: check };

fn check(facts: &ProjectFacts, out: &mut Emit<'_>) {
    let migrations: HashMap<&str, &SqlSource> = facts
        .files
        .iter()
        .filter_map(|(_, f)| f.sql.as_deref())
        .filter(|sql| sql.is_migration)
        .map(|sql| (&*sql.source.path, sql))
        .collect();
    for sql in migrations.values() {
        let path = &*sql.source.path;
        // Reported on the file's first statement (its start when it has none).
        let start = sql
            .statements
            .first()
            .map_or(Span::new(0, 0), |s| Span::new(s.span.start, s.span.start));
        let down_path = if let Some(change) = &sql.sqitch {
            // A revert script is itself the rollback.
            if change.role != SqitchRole::Deploy {
                continue;
            }
            Some(change.script_path(SqitchRole::Revert))
        } else if let Some(stem) = path.strip_suffix(".up.sql") {
            Some(format!("{stem}.down.sql"))
        } else if path == "up.sql" || path.ends_with("/up.sql") {
            Some(format!("{}down.sql", &path[..path.len() - "up.sql".len()]))
        } else {
            None
        };
        if let Some(down_path) = down_path {
            // An empty down file is how golang-migrate marks a step with nothing to
            // undo, and how split-step layouts (ory's popx) leave a step whose reverse
            // another step's down file holds: only a missing one is reported.
            if migrations.contains_key(down_path.as_str()) {
                continue;
            }
            let problem = format!("there is no `{down_path}`");
            out.report(&sql.source, start, &[("problem", &problem)]);
            continue;
        }
        let (up_marker, down_marker) = sql.shape.section_markers;
        if up_marker {
            let problem = if !down_marker {
                "it has an up section and no down section"
            } else if sql.shape.down_statements == 0 {
                "its down section is empty"
            } else {
                continue;
            };
            out.report(&sql.source, start, &[("problem", problem)]);
            continue;
        }
        if let DownFunction::Empty(function) = sql.shape.down_function {
            let problem = if sql.revision.is_some() {
                "its `downgrade()` does nothing"
            } else {
                "its `down` does nothing"
            };
            out.report(&sql.source, function, &[("problem", problem)]);
            continue;
        }
        for statement in sql.statements.iter().filter(|s| s.irreversible) {
            out.report(
                &sql.source,
                statement.span,
                &[("problem", "this operation has no reverse")],
            );
        }
    }
}
