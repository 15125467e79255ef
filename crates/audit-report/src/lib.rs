//! Renders a scan for people (text), programs (JSON) and code scanning (SARIF 2.1.0).
//! Sees only audit-core types: every output is a pure function of the scan.

mod docs;
mod json;
mod sarif;
mod text;

use audit_core::{Diagnostic, Note, RuleMeta, ScanSummary, Severity};

pub use docs::{rule_markdown, rules_index_markdown};
pub use json::{JSON_SCHEMA_VERSION, json};
pub use sarif::sarif;
pub use text::text;

/// Everything a report is made from.
pub struct Report<'a> {
    pub diagnostics: &'a [Diagnostic],
    pub notes: &'a [Note],
    pub summary: &'a ScanSummary,
    /// The enabled rules, in id order (SARIF's `ruleIndex` points into this).
    pub rules: &'a [RuleMeta],
    pub tool_version: &'a str,
}

impl Report<'_> {
    fn active(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| d.suppressed.is_none())
    }

    /// Unsuppressed findings per severity, most severe first.
    fn counts(&self) -> Vec<(Severity, usize)> {
        Severity::ALL
            .iter()
            .rev()
            .map(|s| (*s, self.active().filter(|d| d.severity == *s).count()))
            .collect()
    }
}
