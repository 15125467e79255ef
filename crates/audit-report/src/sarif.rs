use audit_core::{Diagnostic, NoteKind, RuleMeta};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Value, json as j};

use crate::Report;

/// Characters kept as they are in a relative URI path.
const PATH: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'/')
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// SARIF caps fullDescription for GitHub code scanning.
const MAX_FULL_DESCRIPTION: usize = 1024;

/// The partialFingerprints key: our own, so GitHub does not recompute it from lines.
const FINGERPRINT_KEY: &str = "backendAudit/v1";

pub fn sarif(report: &Report<'_>) -> String {
    let rules: Vec<Value> = report.rules.iter().map(rule_descriptor).collect();
    let results: Vec<Value> = report
        .diagnostics
        .iter()
        .map(|d| result(report, d))
        .collect();
    let notifications: Vec<Value> = report
        .notes
        .iter()
        .map(|note| {
            let mut n = j!({
                "level": if matches!(note.kind, NoteKind::ReadError | NoteKind::ParseError | NoteKind::Timeout | NoteKind::Walk) { "warning" } else { "note" },
                "message": { "text": note.message },
                "descriptor": { "id": serde_json::to_value(note.kind).unwrap_or(Value::Null) },
            });
            if let Some(path) = &note.path {
                let mut location = j!({ "artifactLocation": artifact(path) });
                if let Some(line) = note.line {
                    location["region"] = j!({ "startLine": line });
                }
                n["locations"] = j!([{ "physicalLocation": location }]);
            }
            n
        })
        .collect();
    let document = j!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "backend-audit",
                "version": report.tool_version,
                "semanticVersion": report.tool_version,
                "rules": rules,
            }},
            "invocations": [{
                "executionSuccessful": true,
                "toolExecutionNotifications": notifications,
            }],
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    let mut out = serde_json::to_string_pretty(&document).expect("JSON values serialize");
    out.push('\n');
    out
}

fn rule_descriptor(rule: &RuleMeta) -> Value {
    let docs = &rule.docs;
    let mut full = docs.why.split_whitespace().collect::<Vec<_>>().join(" ");
    if full.len() > MAX_FULL_DESCRIPTION {
        let cut = full
            .char_indices()
            .take_while(|(i, _)| *i < MAX_FULL_DESCRIPTION - 1)
            .last()
            .map_or(0, |(i, _)| i);
        full.truncate(cut);
        full.push('…');
    }
    let mut tags = vec![rule.domain.as_str().to_string()];
    let mut properties = j!({ "precision": precision(rule) });
    if rule.is_security() {
        if !tags.iter().any(|t| t == "security") {
            tags.insert(0, "security".to_string());
        }
        tags.extend(
            rule.references
                .cwe
                .iter()
                .map(|c| format!("external/cwe/cwe-{c}")),
        );
        properties["security-severity"] = j!(rule.severity.security_severity());
    } else {
        properties["problem.severity"] = j!(match rule.severity.sarif_level() {
            "error" => "error",
            "warning" => "warning",
            _ => "recommendation",
        });
    }
    properties["tags"] = j!(tags);
    j!({
        "id": rule.id.as_str(),
        "name": rule.name,
        "shortDescription": { "text": docs.summary },
        "fullDescription": { "text": full },
        "help": { "text": help_text(rule), "markdown": help_markdown(rule) },
        "defaultConfiguration": { "level": rule.severity.sarif_level() },
        "properties": properties,
    })
}

fn precision(rule: &RuleMeta) -> &'static str {
    match rule.confidence {
        audit_core::Confidence::High => "high",
        audit_core::Confidence::Medium => "medium",
        audit_core::Confidence::Low => "low",
    }
}

fn help_text(rule: &RuleMeta) -> String {
    let d = &rule.docs;
    format!("{}\n\n{}\n\nFix: {}", d.summary, d.why.trim(), d.fix)
}

fn help_markdown(rule: &RuleMeta) -> String {
    let d = &rule.docs;
    format!(
        "**{} {}**: {}\n\n{}\n\n**Fix:** {}\n\nSee [docs/rules/{}.md](docs/rules/{}.md).",
        rule.id,
        rule.name,
        d.summary,
        d.why.trim(),
        d.fix,
        rule.id,
        rule.id
    )
}

fn result(report: &Report<'_>, d: &Diagnostic) -> Value {
    let index = report.rules.iter().position(|r| r.id == d.rule);
    let loc = &d.location;
    let mut result = j!({
        "ruleId": d.rule.as_str(),
        "level": d.severity.sarif_level(),
        "message": { "text": d.message },
        "locations": [{
            "physicalLocation": {
                "artifactLocation": artifact(&loc.path),
                "region": {
                    "startLine": loc.start.line,
                    "startColumn": loc.start.column,
                    "endLine": loc.end.line,
                    "endColumn": loc.end.column,
                },
            },
        }],
        "partialFingerprints": { FINGERPRINT_KEY: d.fingerprint },
    });
    if let Some(index) = index {
        result["ruleIndex"] = j!(index);
    }
    if let Some(s) = &d.suppressed {
        result["suppressions"] = j!([{ "kind": "inSource", "justification": s.reason }]);
    }
    result
}

fn artifact(path: &str) -> Value {
    j!({ "uri": utf8_percent_encode(path, PATH).to_string(), "uriBaseId": "%SRCROOT%" })
}
