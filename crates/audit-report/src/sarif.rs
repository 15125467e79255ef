use std::io::{self, Write};

use audit_core::{Diagnostic, Location, RuleMeta};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Value, json as j};

use crate::{Each, HOME, Report, Spliced, object, rule_doc_url, write_pretty};

/// Characters kept as they are in a relative URI path.
const PATH: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'/')
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// GitHub code scanning's limit on a rule's fullDescription, in characters.
const MAX_FULL_DESCRIPTION: usize = 1024;

/// The partialFingerprints key: our own, so GitHub does not recompute it from lines.
pub const FINGERPRINT_KEY: &str = "backendAudit/v1";

/// SARIF 2.1.0, written to `out`. With `category` (`--sarif-category`),
/// `runs[0].automationDetails.id` is set, which GitHub code scanning reads as
/// `category/run-id`: a name without a slash becomes `name/`, a category with no run id.
/// Without it the uploading Action's category applies.
pub fn sarif(report: &Report<'_>, category: Option<&str>, out: &mut dyn Write) -> io::Result<()> {
    let rules: Vec<Value> = report.rules.iter().map(rule_descriptor).collect();
    let notifications: Vec<Value> = report
        .notes
        .iter()
        .map(|note| {
            let mut n = j!({
                "level": if note.kind.is_warning() { "warning" } else { "note" },
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
    let mut run = j!({
        "tool": { "driver": {
            "name": "backend-audit",
            "informationUri": HOME,
            "version": report.tool_version,
            "semanticVersion": report.tool_version,
            "rules": rules,
        }},
        "invocations": [{
            "executionSuccessful": true,
            "toolExecutionNotifications": notifications,
        }],
        "columnKind": "unicodeCodePoints",
        "properties": {
            "filesScanned": report.summary.files_scanned,
            "filesPartlyParsed": report.summary.files_partly_parsed,
            "textFilesScanned": report.summary.text_files_scanned,
            "filesSkipped": report.summary.files_skipped,
            "filesFailedToParse": report.summary.parse_errors,
            "notAnalysed": report.summary.not_analysed,
        },
    });
    if let Some(category) = category {
        let id = if category.contains('/') {
            category.to_string()
        } else {
            format!("{category}/")
        };
        run["automationDetails"] = j!({ "id": id });
    }
    let document = j!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
    });
    let run = Spliced {
        base: object(&run),
        key: "results",
        value: Each(|| report.diagnostics.iter().map(|d| result(report, d))),
    };
    let document = Spliced {
        base: object(&document),
        key: "runs",
        value: [run],
    };
    write_pretty(out, &document)
}

fn rule_descriptor(rule: &RuleMeta) -> Value {
    let docs = &rule.docs;
    let full = truncate(
        &docs.why.split_whitespace().collect::<Vec<_>>().join(" "),
        MAX_FULL_DESCRIPTION,
    );
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
        "helpUri": rule_doc_url(rule),
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
        "**{} {}**: {}\n\n{}\n\n**Fix:** {}\n\nSee [docs/rules/{}.md]({}) for examples and references.",
        rule.id,
        rule.name,
        d.summary,
        d.why.trim(),
        d.fix,
        rule.id,
        rule_doc_url(rule),
    )
}

/// At most `max` characters, the last one an ellipsis when cut.
fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max - 1) {
        Some((cut, _)) if text[cut..].chars().nth(1).is_some() => format!("{}…", &text[..cut]),
        _ => text.to_string(),
    }
}

fn result(report: &Report<'_>, d: &Diagnostic) -> Value {
    let index = report.rules.iter().position(|r| r.id == d.rule);
    let loc = &d.location;
    let mut result = j!({
        "ruleId": d.rule.as_str(),
        "level": d.severity.sarif_level(),
        "message": { "text": d.message },
        "locations": [{ "physicalLocation": physical(loc) }],
        "partialFingerprints": { FINGERPRINT_KEY: d.fingerprint },
    });
    if let Some(index) = index {
        result["ruleIndex"] = j!(index);
    }
    if !d.flow.is_empty() {
        // One thread flow from the source to the sink, as code scanning shows it.
        let locations: Vec<Value> = d
            .flow
            .iter()
            .map(|step| {
                j!({
                    "location": {
                        "physicalLocation": physical(&step.location),
                        "message": { "text": step.note },
                    },
                })
            })
            .collect();
        result["codeFlows"] = j!([{ "threadFlows": [{ "locations": locations }] }]);
    }
    if !d.related.is_empty() {
        // SARIF 2.1.0 §3.27.22: each with an id unique within the result.
        let related: Vec<Value> = d
            .related
            .iter()
            .enumerate()
            .map(|(id, place)| {
                j!({
                    "id": id,
                    "physicalLocation": physical(&place.location),
                    "message": { "text": place.note },
                })
            })
            .collect();
        result["relatedLocations"] = j!(related);
    }
    if let Some(s) = &d.suppressed {
        result["suppressions"] = j!([{ "kind": "inSource", "justification": s.reason }]);
    }
    result
}

/// A SARIF `physicalLocation`: the file and the region.
fn physical(at: &Location) -> Value {
    j!({
        "artifactLocation": artifact(&at.path),
        "region": {
            "startLine": at.start.line,
            "startColumn": at.start.column,
            "endLine": at.end.line,
            "endColumn": at.end.column,
        },
    })
}

fn artifact(path: &str) -> Value {
    j!({ "uri": utf8_percent_encode(path, PATH).to_string(), "uriBaseId": "%SRCROOT%" })
}

#[cfg(test)]
mod tests {
    use super::truncate;

    #[test]
    fn truncate_counts_characters_and_marks_the_cut() {
        assert_eq!(truncate("abc", 3), "abc");
        assert_eq!(truncate("abcd", 3), "ab…");
        let long = "é".repeat(2000);
        let cut = truncate(&long, 1024);
        assert_eq!(cut.chars().count(), 1024);
        assert!(cut.ends_with('…'));
        assert_eq!(truncate(&"é".repeat(1024), 1024), "é".repeat(1024));
    }
}
