//! `--baseline FILE`: an earlier JSON or SARIF report whose findings are not reported
//! again. Findings match by fingerprint (rule, path, the finding's code with whitespace
//! collapsed, occurrence), never by line, so they survive edits elsewhere in the file;
//! the path is part of it, so a finding in a renamed or copied file is reported as new.

use std::collections::HashSet;
use std::fs::File;
use std::io::Write;
use std::path::Path;

use audit_core::{Note, NoteKind};
use audit_engine::ScanOutput;
use audit_report::Report;
use serde_json::Value;

pub struct Baseline {
    fingerprints: HashSet<String>,
}

impl Baseline {
    /// Reads a report written by `--format json`, `--format sarif` or `--write-baseline`;
    /// the format is recognised from the document. Findings that were suppressed in the
    /// source when it was written are not part of the baseline: they were accepted by a
    /// comment, which still has to cover them.
    pub fn read(path: &Path) -> Result<Baseline, String> {
        let fail = |why: String| format!("baseline {}: {why}", path.display());
        let text = std::fs::read_to_string(path).map_err(|e| fail(e.to_string()))?;
        let document: Value =
            serde_json::from_str(&text).map_err(|e| fail(format!("not JSON: {e}")))?;
        let fingerprints = if document.get("runs").is_some() {
            from_sarif(&document)
        } else if document.get("schema_version").is_some() {
            from_json(&document)
        } else {
            Err("neither a backend-audit JSON report nor SARIF".to_string())
        }
        .map_err(fail)?;
        Ok(Baseline { fingerprints })
    }

    pub fn contains(&self, fingerprint: &str) -> bool {
        self.fingerprints.contains(fingerprint)
    }

    /// Drops the findings the baseline holds and says how many in a note; they then
    /// count neither in the report nor for the exit code.
    pub fn remove_known(&self, result: &mut ScanOutput, path: &Path) {
        let before = result.diagnostics.len();
        result
            .diagnostics
            .retain(|d| !self.contains(&d.fingerprint));
        let known = before - result.diagnostics.len();
        if known > 0 {
            result.notes.push(Note {
                path: None,
                line: None,
                kind: NoteKind::Baseline,
                message: format!(
                    "{known} finding{} in the baseline {} not reported",
                    if known == 1 { "" } else { "s" },
                    path.display()
                ),
            });
            result.notes.sort();
        }
    }
}

/// Creates the `--write-baseline` file before the scan, like `--output`, so a bad path
/// fails fast; refuses the `--output` file, which would be truncated twice.
pub fn create(path: &Path, output: Option<&Path>) -> Result<File, String> {
    if let Some(output) = output
        && std::path::absolute(output).ok() == std::path::absolute(path).ok()
    {
        return Err("--write-baseline and --output name the same file".into());
    }
    File::create(path).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Writes every finding of the scan, before `--baseline` and `--diff-base` leave any
/// out, as a JSON report: the next `--baseline` reads it back.
pub fn write(file: &mut File, result: &ScanOutput, tool_version: &str) -> Result<(), String> {
    let report = Report {
        diagnostics: &result.diagnostics,
        notes: &result.notes,
        summary: &result.summary,
        rules: &result.rules,
        tool_version,
    };
    let mut writer = std::io::BufWriter::new(file);
    audit_report::json(&report, &mut writer)
        .and_then(|()| writer.flush())
        .map_err(|e| format!("cannot write the baseline: {e}"))
}

fn from_json(document: &Value) -> Result<HashSet<String>, String> {
    if document["tool"]["name"] != "backend-audit" {
        return Err("a JSON report from another tool".into());
    }
    let version = &document["schema_version"];
    if version.as_u64() != Some(u64::from(audit_report::JSON_SCHEMA_VERSION)) {
        return Err(format!(
            "JSON schema_version {version} is not supported (this backend-audit writes {})",
            audit_report::JSON_SCHEMA_VERSION
        ));
    }
    let findings = document["findings"]
        .as_array()
        .ok_or("the JSON report has no findings list")?;
    findings
        .iter()
        .filter(|f| f["suppressed"].is_null())
        .map(|f| {
            f["fingerprint"]
                .as_str()
                .map(str::to_string)
                .ok_or_else(|| "a finding has no fingerprint".to_string())
        })
        .collect()
}

fn from_sarif(document: &Value) -> Result<HashSet<String>, String> {
    let runs: Vec<&Value> = document["runs"]
        .as_array()
        .ok_or("SARIF `runs` is not a list")?
        .iter()
        .filter(|run| run["tool"]["driver"]["name"] == "backend-audit")
        .collect();
    if runs.is_empty() {
        return Err("the SARIF file has no backend-audit run".into());
    }
    let mut fingerprints = HashSet::new();
    for run in runs {
        let Some(results) = run["results"].as_array() else {
            continue;
        };
        for result in results {
            let suppressed = result["suppressions"]
                .as_array()
                .is_some_and(|s| !s.is_empty());
            if suppressed {
                continue;
            }
            let fingerprint = result["partialFingerprints"][audit_report::SARIF_FINGERPRINT_KEY]
                .as_str()
                .ok_or_else(|| {
                    format!(
                        "a result has no `{}` partial fingerprint",
                        audit_report::SARIF_FINGERPRINT_KEY
                    )
                })?;
            fingerprints.insert(fingerprint.to_string());
        }
    }
    Ok(fingerprints)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Baseline, String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("baseline");
        std::fs::write(&path, text).unwrap();
        Baseline::read(&path)
    }

    #[test]
    fn json_baseline_keeps_unsuppressed_fingerprints() {
        let baseline = read(
            r#"{"schema_version": 1, "tool": {"name": "backend-audit"}, "findings": [
                {"fingerprint": "aa", "suppressed": null},
                {"fingerprint": "bb", "suppressed": {"reason": "ok", "line": 3}}]}"#,
        )
        .unwrap();
        assert!(baseline.contains("aa"));
        assert!(!baseline.contains("bb"));
    }

    #[test]
    fn sarif_baseline_reads_our_runs_only() {
        let baseline = read(
            r#"{"version": "2.1.0", "runs": [
                {"tool": {"driver": {"name": "other"}}, "results": [
                    {"partialFingerprints": {"backendAudit/v1": "cc"}}]},
                {"tool": {"driver": {"name": "backend-audit"}}, "results": [
                    {"partialFingerprints": {"backendAudit/v1": "aa"}},
                    {"partialFingerprints": {"backendAudit/v1": "bb"},
                     "suppressions": [{"kind": "inSource"}]}]}]}"#,
        )
        .unwrap();
        assert!(baseline.contains("aa"));
        assert!(!baseline.contains("bb"));
        assert!(!baseline.contains("cc"));
    }

    #[test]
    fn other_documents_are_errors() {
        for (text, why) in [
            ("[]", "neither"),
            ("{", "not JSON"),
            (
                r#"{"schema_version": 1, "tool": {"name": "x"}, "findings": []}"#,
                "another tool",
            ),
            (
                r#"{"schema_version": 9, "tool": {"name": "backend-audit"}, "findings": []}"#,
                "schema_version 9",
            ),
            (r#"{"runs": []}"#, "no backend-audit run"),
            (
                r#"{"schema_version": 1, "tool": {"name": "backend-audit"}, "findings": [{"suppressed": null}]}"#,
                "no fingerprint",
            ),
        ] {
            let error = read(text).err().unwrap();
            assert!(error.contains(why), "{text}: {error}");
        }
    }
}
