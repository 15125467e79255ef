use std::borrow::Cow;
use std::fmt::Write as _;
use std::io;

use annotate_snippets::{AnnotationKind, Level, Renderer, Snippet};
use audit_core::Severity;

use crate::Report;

/// Code frames for each unsuppressed finding, then notes and the summary.
pub fn text(report: &Report<'_>, color: bool, out: &mut dyn io::Write) -> io::Result<()> {
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    for d in report.active() {
        let level = match d.severity {
            Severity::Critical | Severity::High => Level::ERROR,
            Severity::Medium => Level::WARNING,
            Severity::Low | Severity::Info => Level::NOTE,
        }
        .with_name(Some(d.severity.as_str()));
        let context = &d.location.context;
        let message = one_line(&d.message);
        let path = one_line(&d.location.path);
        let code = code_frame(&context.text);
        let steps: Vec<String> = d
            .flow
            .iter()
            .map(|step| {
                format!(
                    "line {}: {}",
                    step.location.start.line,
                    one_line(&step.note)
                )
            })
            .collect();
        let flow = (!steps.is_empty()).then(|| format!("flow: {}", steps.join(" -> ")));
        let mut group = level
            .primary_title(message.as_ref())
            .id(d.rule.as_str())
            .element(
                Snippet::source(code.as_ref())
                    .line_start(context.first_line as usize)
                    .path(path.as_ref())
                    .annotation(
                        AnnotationKind::Primary
                            .span(context.span.start..context.span.end)
                            .label(d.rule_name.as_str()),
                    ),
            );
        if let Some(flow) = &flow {
            group = group.element(Level::NOTE.message(flow.as_str()));
        }
        let related: Vec<String> = d
            .related
            .iter()
            .map(|place| {
                format!(
                    "see {}:{}: {}",
                    one_line(&place.location.path),
                    place.location.start.line,
                    one_line(&place.note)
                )
            })
            .collect();
        for line in &related {
            group = group.element(Level::NOTE.message(line.as_str()));
        }
        writeln!(out, "{}\n", renderer.render(&[group]))?;
    }
    for note in report.notes {
        let place = match (&note.path, note.line) {
            (Some(path), Some(line)) => format!("{}:{line}: ", one_line(path)),
            (Some(path), None) => format!("{}: ", one_line(path)),
            _ => String::new(),
        };
        let message = one_line(&note.message);
        writeln!(out, "note[{}]: {place}{message}", kind_name(note))?;
    }
    if !report.notes.is_empty() {
        out.write_all(b"\n")?;
    }
    out.write_all(summary(report).as_bytes())
}

/// The closing summary: findings per domain (when there are any), then one line with
/// findings per severity and the files scanned, skipped and failed to parse. Free of
/// timings, so the text report stays byte-identical across runs.
pub fn summary(report: &Report<'_>) -> String {
    let mut out = String::new();
    let domains: Vec<String> = report
        .domain_counts()
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(domain, n)| format!("{n} {domain}"))
        .collect();
    if !domains.is_empty() {
        let _ = writeln!(out, "By domain: {}.", domains.join(", "));
    }
    out.push_str(&top_rules(report));
    out.push_str(&summary_line(report));
    out.push('\n');
    if !report.summary.not_analysed.is_empty() {
        let mut languages: Vec<(&String, &usize)> = report.summary.not_analysed.iter().collect();
        languages.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let list: Vec<String> = languages
            .iter()
            .map(|(name, n)| format!("{n} {name}"))
            .collect();
        let _ = writeln!(
            out,
            "Not analysed: {} (languages backend-audit does not parse).",
            list.join(", ")
        );
    }
    out
}

/// How many rules the statistics name at most.
const TOP_RULES: usize = 5;

/// The rules with the most unsuppressed findings, as `ruff --statistics` lists them:
/// where to start when a first scan reports hundreds.
fn top_rules(report: &Report<'_>) -> String {
    let mut counts: Vec<(&str, &str, usize)> = Vec::new();
    for d in report.active() {
        match counts.iter_mut().find(|(id, _, _)| *id == d.rule.as_str()) {
            Some(entry) => entry.2 += 1,
            None => counts.push((d.rule.as_str(), d.rule_name.as_str(), 1)),
        }
    }
    if counts.len() < 2 {
        return String::new();
    }
    counts.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(b.0)));
    let shown = &counts[..counts.len().min(TOP_RULES)];
    let id_width = shown.iter().map(|c| c.0.len()).max().unwrap_or(0);
    let name_width = shown.iter().map(|c| c.1.len()).max().unwrap_or(0);
    let count_width = shown[0].2.to_string().len();
    let mut out = String::from("Most findings:\n");
    for (id, name, n) in shown {
        let _ = writeln!(
            out,
            "  {n:>count_width$}  {id:<id_width$}  {name:<name_width$}"
        );
    }
    if counts.len() > shown.len() {
        let _ = writeln!(out, "  (and {} more rules)", counts.len() - shown.len());
    }
    out
}

/// A path or message from the scanned repository, safe for a terminal on one line: control
/// characters (newlines in file names, escape sequences in code) are shown escaped, so
/// they can neither break the layout nor drive the terminal.
fn one_line(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| {
                if c.is_control() {
                    c.escape_default().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

/// Source lines for a code frame: a lone CR becomes the line break it is counted as, and
/// other control characters but tab become a character of the same UTF-8 length (`?` or
/// `¿`), so annotation offsets stay valid.
fn code_frame(text: &str) -> Cow<'_, str> {
    let unsafe_char = |c: char| c.is_control() && c != '\n' && c != '\t';
    if !text.chars().any(unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' if chars.peek() == Some(&'\n') => out.push('\r'),
            '\r' => out.push('\n'),
            c if unsafe_char(c) && c.len_utf8() == 1 => out.push('?'),
            c if unsafe_char(c) => out.push('\u{BF}'),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
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
    if s.files_partly_parsed > 0 {
        let _ = write!(line, " ({} partly parsed)", s.files_partly_parsed);
    }
    if s.text_files_scanned > 0 {
        let _ = write!(
            line,
            " and {} other text file{} searched for secrets",
            s.text_files_scanned,
            plural(s.text_files_scanned)
        );
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_text_cannot_break_lines_or_drive_the_terminal() {
        assert_eq!(one_line("new\nline.py"), "new\\nline.py");
        assert_eq!(one_line("a\u{1b}[2Jb"), "a\\u{1b}[2Jb");
        assert!(matches!(one_line("plain.py"), Cow::Borrowed(_)));
        let frame = code_frame("x = 1\r\ry = '\u{1b}[31m\u{9b}'\r\nz\t");
        assert_eq!(frame, "x = 1\n\ny = '?[31m\u{BF}'\r\nz\t");
        assert_eq!(frame.len(), "x = 1\r\ry = '\u{1b}[31m\u{9b}'\r\nz\t".len());
    }
}
