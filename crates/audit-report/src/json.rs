use std::io::{self, Write};

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::{Value, json as j};

use audit_core::{Diagnostic, FlowStep, Related, Suppressed};

use crate::{Report, write_pretty};

/// Bumped on any incompatible change to the JSON output (docs/json-output.md).
pub const JSON_SCHEMA_VERSION: u32 = 1;

pub fn json(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
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
    let summary = j!({
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
    });
    let document = Document {
        findings: Findings(report.diagnostics),
        notes: j!(report.notes),
        summary,
        tool: j!({ "name": "backend-audit", "version": report.tool_version }),
    };
    write_pretty(out, &document)
}

/// The report document. Findings are written straight from the diagnostics (one
/// `serde_json::Value` map per finding cost about 40 000 instructions each); keys are
/// written in the sorted order `serde_json::Map` gives the small parts, so the output
/// is the same as when every part was a `Value`.
struct Document<'a> {
    findings: Findings<'a>,
    notes: Value,
    summary: Value,
    tool: Value,
}

impl Serialize for Document<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(5))?;
        map.serialize_entry("findings", &self.findings)?;
        map.serialize_entry("notes", &self.notes)?;
        map.serialize_entry("schema_version", &JSON_SCHEMA_VERSION)?;
        map.serialize_entry("summary", &self.summary)?;
        map.serialize_entry("tool", &self.tool)?;
        map.end()
    }
}

struct Findings<'a>(&'a [Diagnostic]);

impl Serialize for Findings<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for diagnostic in self.0 {
            seq.serialize_element(&Finding(diagnostic))?;
        }
        seq.end()
    }
}

struct Finding<'a>(&'a Diagnostic);

impl Serialize for Finding<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let d = self.0;
        let location = &d.location;
        // In key order; `flow` and `related` only on findings that have them.
        let keys = 13 + usize::from(!d.flow.is_empty()) + usize::from(!d.related.is_empty());
        let mut map = serializer.serialize_map(Some(keys))?;
        map.serialize_entry("column", &location.start.column)?;
        map.serialize_entry("confidence", d.confidence.as_str())?;
        map.serialize_entry("end_column", &location.end.column)?;
        map.serialize_entry("end_line", &location.end.line)?;
        map.serialize_entry("fingerprint", &d.fingerprint)?;
        if !d.flow.is_empty() {
            map.serialize_entry("flow", &Flow(&d.flow))?;
        }
        map.serialize_entry("line", &location.start.line)?;
        map.serialize_entry("message", &d.message)?;
        map.serialize_entry("path", &*location.path)?;
        if !d.related.is_empty() {
            map.serialize_entry("related", &RelatedPlaces(&d.related))?;
        }
        map.serialize_entry("rule_id", d.rule.as_str())?;
        map.serialize_entry("rule_name", &d.rule_name)?;
        map.serialize_entry("severity", d.severity.as_str())?;
        map.serialize_entry("snippet", &*location.context.text)?;
        map.serialize_entry("suppressed", &d.suppressed.as_ref().map(Suppression))?;
        map.end()
    }
}

/// A data flow's steps: `{column, line, note, path}` each.
struct Flow<'a>(&'a [FlowStep]);

impl Serialize for Flow<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for step in self.0 {
            seq.serialize_element(&Step(step))?;
        }
        seq.end()
    }
}

struct Step<'a>(&'a FlowStep);

impl Serialize for Step<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let step = self.0;
        let mut map = serializer.serialize_map(Some(4))?;
        map.serialize_entry("column", &step.location.start.column)?;
        map.serialize_entry("line", &step.location.start.line)?;
        map.serialize_entry("note", &step.note)?;
        map.serialize_entry("path", &*step.location.path)?;
        map.end()
    }
}

/// The other places a finding is about: `{column, end_column, end_line, line, note, path}`
/// each.
struct RelatedPlaces<'a>(&'a [Related]);

impl Serialize for RelatedPlaces<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for place in self.0 {
            seq.serialize_element(&RelatedPlace(place))?;
        }
        seq.end()
    }
}

struct RelatedPlace<'a>(&'a Related);

impl Serialize for RelatedPlace<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let at = &self.0.location;
        let mut map = serializer.serialize_map(Some(6))?;
        map.serialize_entry("column", &at.start.column)?;
        map.serialize_entry("end_column", &at.end.column)?;
        map.serialize_entry("end_line", &at.end.line)?;
        map.serialize_entry("line", &at.start.line)?;
        map.serialize_entry("note", &self.0.note)?;
        map.serialize_entry("path", &*at.path)?;
        map.end()
    }
}
struct Suppression<'a>(&'a Suppressed);

impl Serialize for Suppression<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("line", &self.0.line)?;
        map.serialize_entry("reason", &self.0.reason)?;
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use audit_core::{
        Confidence, Context, Location, Note, NoteKind, Position, RuleId, ScanSummary, Severity,
        Span,
    };

    use super::*;

    fn diagnostic(suppressed: Option<Suppressed>) -> Diagnostic {
        Diagnostic {
            rule: RuleId("TF001".into()),
            rule_name: "storage-not-encrypted".into(),
            severity: Severity::High,
            confidence: Confidence::Medium,
            location: Location {
                path: Arc::from("infra/main.tf"),
                span: Span::new(3, 9),
                start: Position { line: 2, column: 3 },
                end: Position { line: 2, column: 9 },
                context: Context {
                    first_line: 2,
                    text: "  a = \"\u{e9}\\\"\"\n".into(),
                    span: Span::new(2, 8),
                },
            },
            message: "`x` is \"off\": turn it on.".into(),
            fingerprint: "0123abcd".into(),
            suppressed,
            flow: Vec::new(),
            related: Vec::new(),
        }
    }

    #[test]
    fn the_document_is_what_sorted_json_values_print() {
        let diagnostics = [
            diagnostic(None),
            diagnostic(Some(Suppressed {
                reason: "accepted".into(),
                line: 1,
            })),
        ];
        let notes = [Note {
            path: Some("x.tf".into()),
            line: Some(4),
            kind: NoteKind::ParseError,
            message: "bad".into(),
        }];
        let summary = ScanSummary::default();
        let report = Report {
            diagnostics: &diagnostics,
            notes: &notes,
            summary: &summary,
            rules: &[],
            tool_version: "1.2.3",
        };
        let mut out = Vec::new();
        json(&report, &mut out).unwrap();
        let out = String::from_utf8(out).unwrap();
        // serde_json's `Value` sorts object keys: printing the parsed document again
        // gives the same bytes only if every key was written in that order.
        let parsed: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(
            format!("{}\n", serde_json::to_string_pretty(&parsed).unwrap()),
            out
        );
        assert_eq!(parsed["findings"][0]["line"], 2);
        assert_eq!(parsed["findings"][0]["suppressed"], Value::Null);
        assert_eq!(parsed["findings"][1]["suppressed"]["reason"], "accepted");
        assert_eq!(parsed["summary"]["findings"], 1);
        assert_eq!(parsed["summary"]["suppressed"], 1);
        assert_eq!(parsed["schema_version"], JSON_SCHEMA_VERSION);
    }
}
