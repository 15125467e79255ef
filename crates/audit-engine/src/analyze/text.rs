//! Text checks: over the text of source files (with their tree, from the code pass) and
//! over files of the text-file class, which nothing else reads.

use std::path::Path;

use audit_core::{Language, SourceText, TextKind};

use super::FileResult;
use crate::checks::{CodeContext, Outcome, TextContext};
use crate::plan::Plan;
use crate::suppress;

/// A file of the text-file class: its suppression comments, then the text checks.
pub(super) fn analyze_text(plan: &Plan, source: SourceText, result: &mut FileResult) {
    let Some(kind) = TextKind::from_path(Path::new(&*source.path)) else {
        return;
    };
    result.suppressions = suppress::parse_with(
        &source,
        kind.comment_leaders(),
        None,
        &[],
        &mut result.notes,
    );
    if plan.needs_specs() && matches!(kind, TextKind::Yaml | TextKind::Json) {
        match audit_model::openapi::read(&source) {
            Ok(spec) => result.facts.openapi = spec.map(Box::new),
            Err(problem) => {
                result.partly_parsed = true;
                result.notes.push(audit_core::Note {
                    path: Some(source.path.to_string()),
                    line: problem.line.map(|l| l as u32),
                    kind: audit_core::NoteKind::ParseError,
                    message: problem.message,
                });
            }
        }
    }
    if kind == TextKind::SqitchPlan && plan.replays_schema() {
        let plan = audit_model::schema::read_sqitch_plan(&source.text);
        result.facts.sqitch_plan = Some(Box::new(plan));
    }
    if kind == TextKind::Prisma && !plan.cross_layer.is_empty() {
        result.facts.database = crate::project::crosslayer::collect_prisma(&source).map(Box::new);
    }
    run_text_checks(plan, &source, Language::Text, Some(kind), None, result);
}

/// Runs the enabled text checks of `language` on one file.
pub(super) fn run_text_checks(
    plan: &Plan,
    source: &SourceText,
    language: Language,
    kind: Option<TextKind>,
    code: Option<&CodeContext<'_>>,
    result: &mut FileResult,
) {
    let mut checks = plan.text_checks(language).peekable();
    if checks.peek().is_none() {
        return;
    }
    let ctx = TextContext {
        source,
        language,
        kind,
        code,
    };
    let mut out = Outcome::default();
    for (rule, check) in checks {
        out.run(&plan.rules[*rule].meta, Some(&source.path), |emit| {
            check(&ctx, emit)
        });
    }
    result.findings.extend(out.findings);
    result.notes.extend(out.notes);
}
