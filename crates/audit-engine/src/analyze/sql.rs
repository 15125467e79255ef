//! The pass over a `.sql` file: statements parsed one by one and lowered at once to
//! schema events (`audit_model::schema::lower`), each tree dropped as soon as it is
//! read, so the project phase replays small events.

use audit_core::{Language, Note, NoteKind, SourceText};
use audit_model::code::CodeSemantics;
use audit_model::schema::{self, FileShape};
use audit_syntax::Grammar;
use audit_syntax::tree_sitter::Tree;

use super::{FileResult, problem_note};
use crate::checks::excerpt;
use crate::facts::SqlSource;
use crate::plan::Plan;
use crate::settings::Settings;
use crate::suppress;

pub(super) fn analyze_sql(
    plan: &Plan,
    settings: &Settings,
    source: SourceText,
    result: &mut FileResult,
) {
    result.suppressions = suppress::parse(&source, Language::Sql, None, &[], &mut result.notes);
    let dialect = settings.sql_dialect_for(&source.path);
    let mut statements = Vec::new();
    let mut search_path = schema::SearchPath::default();
    let parsed = audit_syntax::parse_sql_each(&source.text, dialect, |file, statement| {
        statements.push(schema::lower(
            file,
            &source.text,
            statement,
            &mut search_path,
        ));
    });
    let file = match parsed {
        Ok(file) => file,
        Err(problem) => return problem_note(result, &source, "SQL not analysed", &problem),
    };
    let shape = FileShape {
        down_statements: statements.iter().filter(|s| s.in_down_section).count(),
        section_markers: file.section_markers,
        ..FileShape::default()
    };
    // Valid SQL the parser does not model is classified from its keywords: a note for
    // --verbose. Only statements no dialect rule recognises leave the file partly parsed.
    let (unmodelled, unrecognised): (Vec<_>, Vec<_>) = statements
        .iter()
        .filter(|s| !s.parsed)
        .partition(|s| s.recognised);
    result.partly_parsed |= !unrecognised.is_empty();
    // DB012, when enabled, reports the mistakes among them once per file: the note is
    // then only for valid statements nested deeper than the parser goes.
    let reported = !unrecognised.is_empty() && reports_parse_errors(plan);
    let noted: Vec<_> = unrecognised
        .iter()
        .filter(|s| s.too_deep || !reported)
        .collect();
    if let Some(first) = unmodelled.first() {
        let head = excerpt(&source.text[first.span.start..first.span.end]);
        result.notes.push(Note {
            path: Some(source.path.to_string()),
            line: Some(source.position(first.span.start).line),
            kind: NoteKind::Unmodelled,
            message: format!(
                "{} {dialect} statement(s) the SQL parser does not model, classified from their keywords (first: `{head}`)",
                unmodelled.len(),
            ),
        });
    }
    if let Some(first) = noted.first() {
        result.notes.push(Note {
            path: Some(source.path.to_string()),
            line: Some(source.position(first.span.start).line),
            kind: NoteKind::ParseError,
            message: format!(
                "{} statement(s) not understood as {dialect} (first: {}); only their leading keywords were checked",
                noted.len(),
                first.error.as_deref().unwrap_or("rejected"),
            ),
        });
    }
    // Project checks (DB008) read the files too.
    if !plan.replays_schema() {
        return;
    }
    // What changes nothing and was understood (queries, grants, comments) no rule
    // reads: only the rest is kept for the project phase.
    statements.retain(|s| !s.events.is_empty() || !s.recognised);
    let is_migration = settings.is_migration(&source.path);
    // A sqitch script is kept even when empty: the project phase decides from its
    // neighbours whether it is one, and DB008 pairs deploy and revert scripts.
    let sqitch = schema::sqitch_change(&source.path);
    if statements.is_empty() && !is_migration && sqitch.is_none() {
        return;
    }
    result.facts.sql = Some(Box::new(SqlSource {
        source,
        dialect,
        statements,
        is_migration,
        shape,
        revision: None,
        sqitch,
    }));
}

/// Whether DB012 sql-parse-error is enabled, which reports what the parse-error note
/// would.
fn reports_parse_errors(plan: &Plan) -> bool {
    plan.sql
        .values()
        .flatten()
        .any(|(rule, _)| plan.rules[*rule].meta.id.as_str() == "DB012")
}

/// A Django migration (`<app>/migrations/NNNN_x.py`), an Alembic revision
/// (`versions/<rev>_x.py`), or a Knex, TypeORM, MikroORM or Sequelize migration under a
/// migrations folder: its operations lowered to the same schema events as SQL and kept
/// for the replay, when a SQL or project check is enabled.
pub(super) fn analyze_code_migration(
    plan: &Plan,
    settings: &Settings,
    source: SourceText,
    tree: &Tree,
    grammar: Grammar,
    result: &mut FileResult,
) {
    if !plan.replays_schema() {
        return;
    }
    let text = source.text.as_str();
    let is_migration = settings.is_migration(&source.path);
    let Some(layout) = schema::code_layout(&source.path, text, grammar, is_migration) else {
        return;
    };
    let dialect = settings.sql_dialect_for(&source.path);
    let semantics = CodeSemantics::build(tree, text, grammar);
    let Some((migration, revision)) =
        schema::lower_code_migration(layout, &source.path, tree, &semantics, text, dialect)
    else {
        return;
    };
    if migration.statements.is_empty() {
        return;
    }
    result.facts.sql = Some(Box::new(SqlSource {
        dialect,
        source,
        statements: migration.statements,
        is_migration: true,
        shape: FileShape {
            down_function: migration.down_function,
            ..FileShape::default()
        },
        revision,
        sqitch: None,
    }));
}
