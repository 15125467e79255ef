//! Renders a scan for people (text), programs (JSON), code scanning (SARIF 2.1.0), test
//! dashboards (JUnit XML) and GitLab's security dashboard (SAST report).
//! Sees only audit-core types: every output is a pure function of the scan (GitLab's
//! report adds the scan's start and end times it is given). Each is written to a writer
//! as it is made, finding by finding, so a report of tens of thousands of findings is
//! never held whole in memory (as one string, or as a tree of `serde_json::Value`s:
//! SARIF's was 700 MiB for 24 000 findings).

mod docs;
mod gitlab;
mod json;
mod junit;
mod sarif;
mod text;

use std::io::{self, Write};

use audit_core::{Diagnostic, Domain, Note, RuleMeta, ScanSummary, Severity};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::{Map, Value};

pub use docs::{rule_markdown, rules_index_markdown};
pub use gitlab::{GITLAB_SCHEMA_VERSION, gitlab};
pub use json::{JSON_SCHEMA_VERSION, json};
pub use junit::junit;
pub use sarif::{FINGERPRINT_KEY as SARIF_FINGERPRINT_KEY, sarif};
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

/// A JSON object written as `base` plus one more entry, `key`, whose value is serialized
/// where it is written (a list of findings made one by one). Keys come out sorted, as
/// `serde_json::Map` (without `preserve_order`) orders `base`'s, so the document is
/// byte for byte what one `Value` would print.
struct Spliced<'a, T> {
    base: &'a Map<String, Value>,
    key: &'static str,
    value: T,
}

impl<T: Serialize> Serialize for Spliced<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.base.len() + 1))?;
        let mut placed = false;
        for (key, value) in self.base {
            if !placed && self.key < key.as_str() {
                map.serialize_entry(self.key, &self.value)?;
                placed = true;
            }
            map.serialize_entry(key, value)?;
        }
        if !placed {
            map.serialize_entry(self.key, &self.value)?;
        }
        map.end()
    }
}

/// A JSON list whose elements its closure makes as they are written, each dropped once
/// it is.
struct Each<F>(F);

impl<F, I> Serialize for Each<F>
where
    F: Fn() -> I,
    I: Iterator<Item = Value>,
{
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(None)?;
        for element in (self.0)() {
            seq.serialize_element(&element)?;
        }
        seq.end()
    }
}

/// `document` pretty-printed to `out`, then a newline.
fn write_pretty(out: &mut dyn Write, document: &impl Serialize) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, document)?;
    out.write_all(b"\n")
}

/// `object`'s map (every document here is built with `json!({...})`).
fn object(value: &Value) -> &Map<String, Value> {
    value.as_object().expect("built as an object")
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json as j};

    use super::{Each, Spliced, object};

    fn printed(document: &impl serde::Serialize) -> String {
        serde_json::to_string_pretty(document).unwrap()
    }

    #[test]
    fn a_spliced_entry_takes_its_sorted_place_and_its_list_prints_as_a_value() {
        let base = j!({ "b": 1, "d": { "e": [] } });
        for key in ["a", "c", "z"] {
            for n in [0, 2] {
                let spliced = Spliced {
                    base: object(&base),
                    key,
                    value: Each(|| (0..n).map(|i| j!({ "i": i }))),
                };
                let mut whole = base.clone();
                whole[key] = Value::Array((0..n).map(|i| j!({ "i": i })).collect());
                assert_eq!(printed(&spliced), printed(&whole), "{key} {n}");
            }
        }
    }
}
