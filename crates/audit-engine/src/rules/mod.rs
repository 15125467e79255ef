//! Rules as data: one TOML file per rule, embedded at build time, plus `--rules DIR`.

mod file;

use std::path::Path;

use audit_core::{Language, RuleId, RuleMeta};
use include_dir::{Dir, include_dir};

pub use file::{Matcher, TaintMatcher, TerraformAssertion, Verdict};

static EMBEDDED: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/../../rules");

/// A rule's place in the id-ordered rule list: what the plan, the settings and the
/// per-rule results are indexed by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RuleIdx(usize);

impl RuleIdx {
    /// The position in the rule list, for tables kept beside it.
    pub fn position(self) -> usize {
        self.0
    }

    /// Every index of `rules`, in order.
    pub fn all(rules: &[Rule]) -> impl Iterator<Item = RuleIdx> + use<> {
        (0..rules.len()).map(RuleIdx)
    }
}

impl std::ops::Index<RuleIdx> for [Rule] {
    type Output = Rule;

    fn index(&self, index: RuleIdx) -> &Rule {
        &self[index.0]
    }
}

impl std::ops::Index<RuleIdx> for Vec<Rule> {
    type Output = Rule;

    fn index(&self, index: RuleIdx) -> &Rule {
        &self[index.0]
    }
}

/// A loaded rule: its metadata and how it matches.
#[derive(Debug)]
pub struct Rule {
    pub meta: RuleMeta,
    pub matcher: Matcher,
    /// Where the rule came from, for error messages.
    pub origin: String,
    /// Embedded in the binary, so already checked by the test suite.
    pub builtin: bool,
}

/// A rule file that could not be used, with the file it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    pub origin: String,
    pub message: String,
}

impl std::fmt::Display for RuleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.origin, self.message)
    }
}

/// The rules built into the binary, in id order.
pub fn builtin_rules() -> Result<Vec<Rule>, RuleError> {
    let mut rules = Vec::new();
    let mut files = Vec::new();
    collect_toml(&EMBEDDED, &mut files);
    for file in files {
        let origin = format!("rules/{}", file.path().display());
        let text = file.contents_utf8().ok_or_else(|| RuleError {
            origin: origin.clone(),
            message: "not UTF-8".into(),
        })?;
        rules.push(file::parse_rule(&origin, file.path(), text, true)?);
    }
    rules.sort_by(|a, b| a.meta.id.cmp(&b.meta.id));
    Ok(rules)
}

fn collect_toml<'a>(dir: &'a Dir<'a>, out: &mut Vec<&'a include_dir::File<'a>>) {
    out.extend(
        dir.files()
            .filter(|f| f.path().extension().is_some_and(|e| e == "toml")),
    );
    for sub in dir.dirs() {
        collect_toml(sub, out);
    }
}

/// Custom rules from a folder: `query` and `terraform` matchers only, since Rust checks
/// cannot be loaded at run time.
pub fn load_rules_dir(dir: &Path) -> Result<Vec<Rule>, RuleError> {
    let mut rules = Vec::new();
    let walker = ignore::WalkBuilder::new(dir)
        .standard_filters(false)
        .follow_links(false)
        .build();
    for entry in walker {
        let entry = entry.map_err(|e| RuleError {
            origin: dir.display().to_string(),
            message: e.to_string(),
        })?;
        let path = entry.path();
        if !entry.file_type().is_some_and(|t| t.is_file())
            || path.extension().is_none_or(|e| e != "toml")
        {
            continue;
        }
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| RuleError {
            origin: origin.clone(),
            message: e.to_string(),
        })?;
        let rule = file::parse_rule(
            &origin,
            path.strip_prefix(dir).unwrap_or(path),
            &text,
            false,
        )?;
        rules.push(rule);
    }
    rules.sort_by(|a, b| a.meta.id.cmp(&b.meta.id));
    Ok(rules)
}

/// Joins built-in and custom rules, refusing duplicate ids.
pub fn merge(mut builtin: Vec<Rule>, custom: Vec<Rule>) -> Result<Vec<Rule>, RuleError> {
    for rule in custom {
        if let Some(existing) = builtin.iter().find(|r| r.meta.id == rule.meta.id) {
            return Err(RuleError {
                origin: rule.origin,
                message: format!(
                    "rule id {} is already used by {}",
                    rule.meta.id, existing.origin
                ),
            });
        }
        builtin.push(rule);
    }
    builtin.sort_by(|a, b| a.meta.id.cmp(&b.meta.id));
    Ok(builtin)
}

impl Rule {
    pub fn id(&self) -> &RuleId {
        &self.meta.id
    }

    pub fn applies_to(&self, language: Language) -> bool {
        self.meta.languages.contains(&language)
    }
}
