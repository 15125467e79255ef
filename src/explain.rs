//! `backend-audit rules` and `backend-audit explain ID`, both for reading in a terminal.
//! The Markdown form of a rule's documentation (`audit_report::rule_markdown`) is what
//! docs/rules/ holds; `explain` shows the same content without Markdown syntax.

use std::fmt::Write as _;
use std::io::IsTerminal;
use std::path::Path;

use audit_core::RuleMeta;

use crate::RulesFormat;

/// Prose is re-wrapped to this width (indent included).
const WIDTH: usize = 80;

pub fn list(format: RulesFormat, extra: Option<&Path>) -> Result<u8, String> {
    let rules = audit_engine::load_rules(extra).map_err(|e| e.to_string())?;
    let metas: Vec<&RuleMeta> = rules.iter().map(|r| &r.meta).collect();
    let out = match format {
        RulesFormat::Json => {
            serde_json::to_string_pretty(&metas).map_err(|e| e.to_string())? + "\n"
        }
        RulesFormat::Text => rules_table(&metas),
    };
    print!("{out}");
    Ok(0)
}

/// A header line, then one line per rule in columns as wide as their widest cell; the
/// summary comes last and is not padded.
fn rules_table(rules: &[&RuleMeta]) -> String {
    let mut rows: Vec<[String; 6]> =
        vec![["ID", "NAME", "DOMAIN", "SEVERITY", "LANGUAGES", "SUMMARY"].map(String::from)];
    for m in rules {
        let languages: Vec<&str> = m.languages.iter().map(|l| l.as_str()).collect();
        rows.push([
            m.id.to_string(),
            m.name.clone(),
            m.domain.to_string(),
            m.severity.to_string(),
            languages.join(","),
            m.docs.summary.trim().to_string(),
        ]);
    }
    let mut widths = [0; 6];
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in &rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                let _ = write!(line, "{cell:<width$}  ", width = widths[i]);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

pub fn explain(id: &str, extra: Option<&Path>) -> Result<u8, String> {
    let rules = audit_engine::load_rules(extra).map_err(|e| e.to_string())?;
    let rule = rules
        .iter()
        .find(|r| r.meta.id.as_str().eq_ignore_ascii_case(id))
        .ok_or_else(|| format!("no rule `{id}` (see `backend-audit rules`)"))?;
    let bold = std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    print!("{}", rule_text(&rule.meta, bold));
    Ok(0)
}

/// A rule's documentation for a terminal: headings as plain lines (bold when `bold`),
/// key/value lines instead of a table, prose indented and wrapped, code indented further.
fn rule_text(rule: &RuleMeta, bold: bool) -> String {
    let heading = |text: &str| {
        if bold {
            format!("\x1b[1m{text}\x1b[0m\n")
        } else {
            format!("{text}\n")
        }
    };
    let d = &rule.docs;
    let languages: Vec<&str> = rule.languages.iter().map(|l| l.as_str()).collect();
    let mut out = heading(&format!("{} {}", rule.id, rule.name));
    out.push_str(&prose(&d.summary, 0));
    out.push('\n');
    for (key, value) in [
        ("domain", rule.domain.to_string()),
        ("severity", rule.severity.to_string()),
        ("confidence", rule.confidence.to_string()),
        ("languages", languages.join(", ")),
        ("test code", rule.tests.describe().to_string()),
    ] {
        let _ = writeln!(out, "  {:<12}{value}", format!("{key}:"));
    }
    for (title, text) in [
        ("Why", &d.why),
        ("Bad", &d.bad),
        ("Good", &d.good),
        ("Fix", &d.fix),
    ] {
        out.push('\n');
        out.push_str(&heading(title));
        if title == "Bad" || title == "Good" {
            out.push_str(&code(text));
        } else {
            out.push_str(&prose(text, 2));
        }
    }
    out.push('\n');
    out.push_str(&heading("Suppress"));
    out.push_str(&prose("When a finding is intended, say why next to it:", 2));
    out.push('\n');
    out.push_str(&code(&format!(
        "{} backend-audit: ignore[{}] <reason>",
        comment_leader(rule),
        rule.id
    )));
    out.push('\n');
    out.push_str(&heading("References"));
    let refs = &rule.references;
    let _ = writeln!(out, "  Standard: {}", refs.standard);
    for cwe in &refs.cwe {
        let _ = writeln!(
            out,
            "  CWE-{cwe}: https://cwe.mitre.org/data/definitions/{cwe}.html"
        );
    }
    for owasp in &refs.owasp {
        let _ = writeln!(out, "  OWASP Top 10 {owasp}");
    }
    out
}

/// Every line of `text` indented by four spaces.
fn code(text: &str) -> String {
    let mut out = String::new();
    for line in text.trim_matches('\n').trim_end().lines() {
        if line.trim().is_empty() {
            out.push('\n');
        } else {
            let _ = writeln!(out, "    {line}");
        }
    }
    out
}

/// Paragraphs (separated by blank lines) indented by `indent` and re-wrapped to `WIDTH`;
/// a paragraph with a line that looks laid out by hand (indented, or a list item) keeps
/// its lines as they are.
fn prose(text: &str, indent: usize) -> String {
    let pad = " ".repeat(indent);
    let mut out = String::new();
    for (i, paragraph) in text.trim().split("\n\n").enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let laid_out = paragraph.lines().any(|line| {
            let t = line.trim_start();
            line.starts_with([' ', '\t'])
                || t.starts_with("- ")
                || t.starts_with("* ")
                || t.starts_with("```")
        });
        if laid_out {
            for line in paragraph.lines() {
                let _ = writeln!(out, "{pad}{}", line.trim_end());
            }
            continue;
        }
        let mut line = String::new();
        for word in words(paragraph) {
            if !line.is_empty() && indent + line.chars().count() + 1 + word.chars().count() > WIDTH
            {
                let _ = writeln!(out, "{pad}{line}");
                line.clear();
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(&word);
        }
        if !line.is_empty() {
            let _ = writeln!(out, "{pad}{line}");
        }
    }
    out
}

/// The words of `paragraph`; a `code span` counts as one word, so it is never broken.
fn words(paragraph: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    let mut open = false;
    for word in paragraph.split_whitespace() {
        match words.last_mut() {
            Some(last) if open => {
                last.push(' ');
                last.push_str(word);
            }
            _ => words.push(word.to_string()),
        }
        if word.matches('`').count() % 2 == 1 {
            open = !open;
        }
    }
    words
}

/// The line-comment leader of the rule's example language.
fn comment_leader(rule: &RuleMeta) -> &'static str {
    match rule.docs.example_file.rsplit('.').next().unwrap_or("") {
        "py" | "tf" | "tfvars" => "#",
        "sql" => "--",
        _ => "//",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prose_is_wrapped_and_indented_and_hand_made_lists_are_kept() {
        let text = format!("{}\n\n- one\n- two", "word ".repeat(40));
        let out = prose(&text, 2);
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines.iter().all(|l| l.chars().count() <= WIDTH), "{out}");
        assert!(lines[0].starts_with("  word word"));
        assert!(out.ends_with("\n\n  - one\n  - two\n"), "{out}");
    }

    #[test]
    fn code_spans_are_not_broken() {
        let text = format!("{}`a b c` d", "x ".repeat(37));
        assert_eq!(
            prose(&text, 2),
            format!("  {}\n  `a b c` d\n", "x ".repeat(37).trim_end())
        );
    }

    #[test]
    fn code_is_indented_by_four() {
        assert_eq!(code("a\n\n  b\n"), "    a\n\n      b\n");
    }
}
