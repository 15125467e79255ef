use serde_json::{Value, json as j};

use crate::Report;

/// Bumped on any incompatible change to the JSON output (docs/json-output.md).
pub const JSON_SCHEMA_VERSION: u32 = 1;

pub fn json(report: &Report<'_>) -> String {
    let findings: Vec<Value> = report
        .diagnostics
        .iter()
        .map(|d| {
            let mut finding = j!({
                "rule_id": d.rule.as_str(),
                "rule_name": d.rule_name,
                "severity": d.severity.as_str(),
                "confidence": d.confidence.as_str(),
                "path": &*d.location.path,
                "line": d.location.start.line,
                "column": d.location.start.column,
                "end_line": d.location.end.line,
                "end_column": d.location.end.column,
                "message": d.message,
                "snippet": d.location.context.text,
                "fingerprint": d.fingerprint,
                "suppressed": d.suppressed,
            });
            if !d.flow.is_empty() {
                let steps: Vec<Value> = d
                    .flow
                    .iter()
                    .map(|step| {
                        j!({
                            "path": &*step.location.path,
                            "line": step.location.start.line,
                            "column": step.location.start.column,
                            "note": step.note,
                        })
                    })
                    .collect();
                finding["flow"] = j!(steps);
            }
            finding
        })
        .collect();
    let by_severity: serde_json::Map<String, Value> = report
        .counts()
        .into_iter()
        .map(|(s, n)| (s.as_str().to_string(), j!(n)))
        .collect();
    let mut by_rule = serde_json::Map::new();
    for d in report.active() {
        let n = by_rule.entry(d.rule.as_str()).or_insert(j!(0));
        *n = j!(n.as_u64().unwrap_or(0) + 1);
    }
    let active = report.active().count();
    let document = j!({
        "schema_version": JSON_SCHEMA_VERSION,
        "tool": { "name": "backend-audit", "version": report.tool_version },
        "findings": findings,
        "notes": report.notes,
        "summary": {
            "files_scanned": report.summary.files_scanned,
            "files_partly_parsed": report.summary.files_partly_parsed,
            "text_files_scanned": report.summary.text_files_scanned,
            "not_analysed": report.summary.not_analysed,
            "files_skipped": report.summary.files_skipped,
            "parse_errors": report.summary.parse_errors,
            "bytes_scanned": report.summary.bytes_scanned,
            "findings": active,
            "suppressed": report.diagnostics.len() - active,
            "by_severity": by_severity,
            "by_rule": by_rule,
        },
    });
    let mut out = serde_json::to_string_pretty(&document).expect("JSON values serialize");
    out.push('\n');
    out
}
