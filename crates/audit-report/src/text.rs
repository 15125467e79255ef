use std::fmt::Write as _;

use annotate_snippets::{AnnotationKind, Level, Renderer, Snippet};
use audit_core::Severity;

use crate::Report;

/// Code frames for each unsuppressed finding, then notes and a summary line.
pub fn text(report: &Report<'_>, color: bool) -> String {
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let mut out = String::new();
    for d in report.active() {
        let level = match d.severity {
            Severity::Critical | Severity::High => Level::ERROR,
            Severity::Medium => Level::WARNING,
            Severity::Low | Severity::Info => Level::NOTE,
        }
        .with_name(Some(d.severity.as_str()));
        let context = &d.location.context;
        let group = level
            .primary_title(d.message.as_str())
            .id(d.rule.as_str())
            .element(
                Snippet::source(context.text.as_str())
                    .line_start(context.first_line as usize)
                    .path(&*d.location.path)
                    .annotation(
                        AnnotationKind::Primary
                            .span(context.span.start..context.span.end)
                            .label(d.rule_name.as_str()),
                    ),
            );
        let _ = writeln!(out, "{}\n", renderer.render(&[group]));
    }
    for note in report.notes {
        let place = match (&note.path, note.line) {
            (Some(path), Some(line)) => format!("{path}:{line}: "),
            (Some(path), None) => format!("{path}: "),
            _ => String::new(),
        };
        let _ = writeln!(out, "note[{}]: {place}{}", kind_name(note), note.message);
    }
    if !report.notes.is_empty() {
        out.push('\n');
    }
    out.push_str(&summary_line(report));
    out.push('\n');
    out
}

fn kind_name(note: &audit_core::Note) -> String {
    serde_json::to_value(note.kind)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}

fn summary_line(report: &Report<'_>) -> String {
    let total = report.active().count();
    let suppressed = report.diagnostics.len() - total;
    let s = report.summary;
    let mut line = if total == 0 {
        "No findings".to_string()
    } else {
        let parts: Vec<String> = report
            .counts()
            .into_iter()
            .filter(|(_, n)| *n > 0)
            .map(|(sev, n)| format!("{n} {sev}"))
            .collect();
        format!(
            "Found {total} finding{} ({})",
            plural(total),
            parts.join(", ")
        )
    };
    let _ = write!(
        line,
        " in {} file{} scanned",
        s.files_scanned,
        plural(s.files_scanned)
    );
    if s.files_skipped > 0 {
        let _ = write!(line, ", {} skipped", s.files_skipped);
    }
    if s.parse_errors > 0 {
        let _ = write!(line, ", {} failed to parse", s.parse_errors);
    }
    if suppressed > 0 {
        let _ = write!(line, "; {suppressed} suppressed");
    }
    line.push('.');
    line
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
