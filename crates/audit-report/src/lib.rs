//! Renders a scan for people (text), programs (JSON), code scanning (SARIF 2.1.0), test
//! dashboards (JUnit XML) and GitLab's security dashboard (SAST report).
//! Sees only audit-core types: every output is a pure function of the scan (GitLab's
//! report adds the scan's start and end times it is given).

mod docs;
mod gitlab;
mod json;
mod junit;
mod sarif;
mod text;

use audit_core::{Diagnostic, Domain, Note, RuleMeta, ScanSummary, Severity};

pub use docs::{rule_markdown, rules_index_markdown};
pub use gitlab::{GITLAB_SCHEMA_VERSION, gitlab};
pub use json::{JSON_SCHEMA_VERSION, json};
pub use junit::junit;
pub use sarif::{FINGERPRINT_KEY as SARIF_FINGERPRINT_KEY, sarif, sarif_with_category};
pub use text::{summary, text};

/// The project's home page, from the workspace's `repository`.
const HOME: &str = env!("CARGO_PKG_REPOSITORY");

/// The published page of a rule's documentation (docs/rules/ID.md).
fn rule_doc_url(rule: &RuleMeta) -> String {
    format!("{HOME}/blob/main/docs/rules/{}.md", rule.id)
}

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

    /// Unsuppressed findings per domain, in the catalog's domain order.
    fn domain_counts(&self) -> Vec<(Domain, usize)> {
        Domain::ALL
            .iter()
            .map(|domain| {
                let n = self
                    .active()
                    .filter(|d| self.rule(d).is_some_and(|r| r.domain == *domain))
                    .count();
                (*domain, n)
            })
            .collect()
    }

    /// The rule a diagnostic came from (always among the enabled rules).
    fn rule(&self, d: &Diagnostic) -> Option<&RuleMeta> {
        self.rules.iter().find(|r| r.id == d.rule)
    }
}
