use std::fmt::Write as _;

use serde::Serialize;

use crate::{Confidence, Location, RuleId, Severity};

/// What a check reports: a rule, where, and the sentence that explains it.
#[derive(Clone, Debug)]
pub struct Finding {
    pub rule: RuleId,
    pub location: Location,
    pub message: String,
    /// Set where this finding is less (or more) certain than its rule usually is.
    pub confidence: Option<Confidence>,
    /// How the data reached the finding's location, source first: taint rules' steps.
    pub flow: Vec<FlowStep>,
    /// Other places the finding is about (cross-layer rules: the migration that created
    /// the table, the Terraform database): SARIF `relatedLocations`.
    pub related: Vec<Related>,
    /// Reported one severity step below the rule's (X002 where no Terraform says how
    /// exposed the database is).
    pub lowered: bool,
}

/// A place a finding relates to besides its own location, and what it is there.
#[derive(Clone, Debug)]
pub struct Related {
    pub location: Location,
    pub note: String,
}

/// One step of a data flow: where, and what happens there ("request input `req.query.q`",
/// "assigned to `sql`").
#[derive(Clone, Debug)]
pub struct FlowStep {
    pub location: Location,
    pub note: String,
}

/// A suppression comment that silenced a finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Suppressed {
    pub reason: String,
    /// 1-based line of the suppression comment.
    pub line: u32,
}

/// A finding with the settings it is reported under.
#[derive(Clone, Debug)]
pub struct Diagnostic {
    pub rule: RuleId,
    pub rule_name: String,
    pub severity: Severity,
    pub confidence: Confidence,
    pub location: Location,
    pub message: String,
    pub fingerprint: String,
    pub suppressed: Option<Suppressed>,
    pub flow: Vec<FlowStep>,
    pub related: Vec<Related>,
}

/// Why a file, or a part of it, was not fully analysed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NoteKind {
    /// The file could not be read (permissions, I/O error).
    ReadError,
    /// Skipped on purpose: binary content or over the size limit.
    Skipped,
    /// The parser rejected the file or part of it; the rest was analysed.
    ParseError,
    /// Parsing took longer than the per-file budget.
    Timeout,
    /// Text was not valid UTF-8 and was decoded with replacement characters.
    Encoding,
    /// A suppression comment that suppressed nothing.
    UnusedSuppression,
    /// Anything else about the scan, e.g. a walk error.
    Walk,
    /// Findings left out because `--baseline` holds them.
    Baseline,
    /// Findings left out because they are not on lines changed since `--diff-base`.
    DiffBase,
    /// A statement valid for its dialect that the parser does not model, classified from
    /// its keywords instead: no loss of coverage, so shown only with `--verbose`.
    Unmodelled,
    /// A suppression comment that cannot be read, such as a bare `ignore` with no ids.
    MalformedSuppression,
    /// A suppression that works but gives no reason: reviewers need one.
    MissingReason,
    /// A check or model failed on a file (a bug in backend-audit); the scan went on.
    InternalError,
}

impl NoteKind {
    /// Whether the note says coverage was lost or a suppression cannot be trusted as
    /// written: SARIF and GitLab show these as warnings, the rest as information.
    pub fn is_warning(self) -> bool {
        matches!(
            self,
            NoteKind::ReadError
                | NoteKind::ParseError
                | NoteKind::Timeout
                | NoteKind::Walk
                | NoteKind::MalformedSuppression
                | NoteKind::MissingReason
                | NoteKind::InternalError
        )
    }
}

/// Something about the scan itself rather than the code: it never fails the scan.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Note {
    pub path: Option<String>,
    pub line: Option<u32>,
    pub kind: NoteKind,
    pub message: String,
}

/// Counts over the whole scan.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ScanSummary {
    pub files_scanned: usize,
    /// Scanned files of which some parts (syntax errors, statements no dialect rule
    /// recognises) were not understood: counted in `files_scanned` too.
    pub files_partly_parsed: usize,
    pub files_skipped: usize,
    /// Files the parser rejected whole (or that ran out of time): not analysed.
    pub parse_errors: usize,
    pub bytes_scanned: u64,
    /// Files of the text-file class (configuration, environment, keys, other languages)
    /// read only by text rules such as SEC006: not in `files_scanned`.
    pub text_files_scanned: usize,
    /// Source files of languages backend-audit does not analyse, by language name.
    pub not_analysed: std::collections::BTreeMap<String, usize>,
}

/// A stable identity for a finding that survives unrelated edits: the rule, the path
/// and the finding's own code with whitespace collapsed, plus the occurrence number of
/// identical code in the same file. Line numbers are deliberately not part of it.
pub fn fingerprint(rule: &RuleId, path: &str, code: &str, occurrence: usize) -> String {
    let mut key = String::with_capacity(rule.0.len() + path.len() + code.len() + 8);
    let _ = write!(key, "{rule}\0{path}\0");
    for word in code.split_whitespace() {
        key.push_str(word);
        key.push(' ');
    }
    let _ = write!(key, "\0{occurrence}");
    format!("{:016x}", xxhash_rust::xxh3::xxh3_64(key.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_ignores_whitespace_but_not_rule_path_or_occurrence() {
        let rule = RuleId("SEC010".into());
        let a = fingerprint(&rule, "a.py", "verify = False", 0);
        assert_eq!(a, fingerprint(&rule, "a.py", "  verify  =\tFalse ", 0));
        assert_ne!(a, fingerprint(&rule, "b.py", "verify = False", 0));
        assert_ne!(a, fingerprint(&rule, "a.py", "verify = False", 1));
        assert_ne!(
            a,
            fingerprint(&RuleId("SEC003".into()), "a.py", "verify = False", 0)
        );
    }
}
