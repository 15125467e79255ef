//! GitLab's SAST report (security report schema 15.x), the `artifacts:reports:sast` file
//! GitLab's security dashboard and merge request widget read.

use std::io::{self, Write};
use std::time::{SystemTime, UNIX_EPOCH};

use audit_core::{Diagnostic, Severity};
use serde_json::{Value, json as j};

use crate::{Each, HOME, Report, Spliced, object, rule_doc_url, write_pretty};

/// The schema version written: 15.0.6 is accepted by GitLab 16.x and every later release.
pub const GITLAB_SCHEMA_VERSION: &str = "15.0.6";

/// The schema's limit on a vulnerability's name, in characters.
const MAX_NAME: usize = 255;

/// A SAST report of the unsuppressed findings (GitLab has no in-source suppressions), with
/// notes about files not fully analysed as scan messages. `started` and `finished` are
/// the scan's wall-clock times.
pub fn gitlab(
    report: &Report<'_>,
    started: SystemTime,
    finished: SystemTime,
    out: &mut dyn Write,
) -> io::Result<()> {
    let tool = j!({
        "id": "backend-audit",
        "name": "backend-audit",
        "url": HOME,
        "version": report.tool_version,
        "vendor": { "name": "backend-audit" },
    });
    let messages: Vec<Value> = report
        .notes
        .iter()
        .map(|note| {
            let place = match (&note.path, note.line) {
                (Some(path), Some(line)) => format!("{path}:{line}: "),
                (Some(path), None) => format!("{path}: "),
                _ => String::new(),
            };
            let level = if note.kind.is_warning() {
                "warn"
            } else {
                "info"
            };
            j!({ "level": level, "value": format!("{place}{}", note.message) })
        })
        .collect();
    let vulnerability = |d: &Diagnostic| -> Option<Value> {
        let rule = report.rule(d)?;
        let mut identifiers = vec![j!({
            "type": "backend_audit_rule_id",
            "name": format!("backend-audit {}", rule.id),
            "value": rule.id.as_str(),
            "url": rule_doc_url(rule),
        })];
        identifiers.extend(rule.references.cwe.iter().map(|cwe| {
            j!({
                "type": "cwe",
                "name": format!("CWE-{cwe}"),
                "value": cwe.to_string(),
                "url": format!("https://cwe.mitre.org/data/definitions/{cwe}.html"),
            })
        }));
        identifiers.extend(rule.references.owasp.iter().map(|owasp| {
                j!({ "type": "owasp", "name": format!("OWASP Top 10 {owasp}"), "value": owasp })
            }));
        let summary = rule.docs.summary.trim().trim_end_matches('.');
        Some(j!({
            "id": d.fingerprint,
            "name": summary.chars().take(MAX_NAME).collect::<String>(),
            "description": d.message,
            "severity": severity(d.severity),
            "solution": rule.docs.fix.trim(),
            "location": {
                "file": &*d.location.path,
                "start_line": d.location.start.line,
                "end_line": d.location.end.line,
            },
            "identifiers": identifiers,
            "links": [{ "name": format!("backend-audit {} {}", rule.id, rule.name), "url": rule_doc_url(rule) }],
        }))
    };
    let document = j!({
        "version": GITLAB_SCHEMA_VERSION,
        "schema": format!("https://gitlab.com/gitlab-org/security-products/security-report-schemas/-/raw/v{GITLAB_SCHEMA_VERSION}/dist/sast-report-format.json"),
        "scan": {
            "analyzer": tool,
            "scanner": tool,
            "type": "sast",
            "start_time": timestamp(started),
            "end_time": timestamp(finished),
            "status": "success",
            "messages": messages,
        },
    });
    let document = Spliced {
        base: object(&document),
        key: "vulnerabilities",
        value: Each(|| report.active().filter_map(vulnerability)),
    };
    write_pretty(out, &document)
}

fn severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "Critical",
        Severity::High => "High",
        Severity::Medium => "Medium",
        Severity::Low => "Low",
        Severity::Info => "Info",
    }
}

/// `YYYY-MM-DDTHH:MM:SS` in UTC, the only form the schema's time pattern accepts.
fn timestamp(time: SystemTime) -> String {
    let secs = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// The proleptic Gregorian date `days` after 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::timestamp;

    #[test]
    fn timestamps_are_utc_calendar_times() {
        assert_eq!(timestamp(UNIX_EPOCH), "1970-01-01T00:00:00");
        // 2000-02-29 (a leap day of a century leap year) 12:34:56.
        let t = UNIX_EPOCH + Duration::from_secs(951_827_696);
        assert_eq!(timestamp(t), "2000-02-29T12:34:56");
        let t = UNIX_EPOCH + Duration::from_secs(1_767_225_599);
        assert_eq!(timestamp(t), "2025-12-31T23:59:59");
    }
}
