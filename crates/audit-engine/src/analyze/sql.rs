//! The pass over a `.sql` file: statements parsed one by one and kept for the schema
//! replay of the project phase.

use audit_core::{Language, Note, NoteKind, SourceText};
use audit_syntax::StatementKind;

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
    let mut file = match audit_syntax::parse_sql(&source.text, dialect) {
        Ok(file) => file,
        Err(problem) => return problem_note(result, &source, "SQL not analysed", &problem),
    };
    // Valid SQL the parser does not model is classified from its keywords: a note for
    // --verbose. Only statements no dialect rule recognises leave the file partly parsed.
    let (unmodelled, unrecognised): (Vec<_>, Vec<_>) = file
        .statements
        .iter()
        .filter_map(|s| s.ast.as_ref().err().map(|e| (s, e)))
        .partition(|(s, _)| s.recognised);
    if let Some((first, _)) = unmodelled.first() {
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
    if let Some((first, message)) = unrecognised.first() {
        result.partly_parsed = true;
        result.notes.push(Note {
            path: Some(source.path.to_string()),
            line: Some(source.position(first.span.start).line),
            kind: NoteKind::ParseError,
            message: format!(
                "{} statement(s) not understood as {dialect} (first: {message}); only their leading keywords were checked",
                unrecognised.len(),
            ),
        });
    }
    if plan.sql.is_empty() {
        return;
    }
    // Data changes never change the schema: unless a check reads them, their trees (seed
    // data is often most of a migration set's bytes, its tree several times more) are not
    // held until the project phase.
    file.statements.retain(|s| {
        !matches!(
            s.kind,
            StatementKind::Insert | StatementKind::Update | StatementKind::Delete
        ) || plan.sql.contains_key(&s.kind)
    });
    if file.statements.is_empty() {
        return;
    }
    let is_migration = settings.is_migration(&source.path);
    result.facts.sql = Some(SqlSource {
        source,
        file,
        is_migration,
    });
}
