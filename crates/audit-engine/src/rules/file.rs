//! The TOML rule format. See docs/writing-rules.md.

use std::collections::BTreeMap;
use std::path::Path;

use audit_core::{
    Confidence, Domain, Language, LanguageMessages, RuleDocs, RuleId, RuleMeta, RuleReferences,
    Severity, TestCode,
};
use audit_model::taint::{NonLiteral, Sink, TaintRule};
use serde::Deserialize;

use super::{Rule, RuleError};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    id: String,
    name: String,
    domain: Domain,
    severity: Severity,
    confidence: Confidence,
    languages: Vec<Language>,
    message: String,
    #[serde(default)]
    messages: LanguageMessages,
    /// What findings in test code become (default: reported).
    tests: Option<TestCode>,
    docs: RuleDocs,
    references: RuleReferences,
    /// Tree-sitter query per query language (`javascript` also covers TS/TSX, `python`).
    query: Option<BTreeMap<String, String>>,
    /// Checkov-style attribute assertions.
    terraform: Option<Vec<TerraformAssertion>>,
    /// Sinks and sanitizers of a data-flow rule: request input must not reach the sinks.
    taint: Option<TaintFile>,
    /// `check = "rust"`: the logic is a Rust check registered under the id, which
    /// declares in its own file what it runs on.
    check: Option<String>,
}

/// What a Terraform attribute must be, on which resource types.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TerraformAssertion {
    pub resources: Vec<String>,
    /// Attribute path; dots step into nested blocks (every block of that name, `dynamic`
    /// ones through their `content`) or object keys (`tags.Environment`).
    pub attribute: String,
    /// The value the attribute must have. Exactly one of `expect` and `expect_set`.
    pub expect: Option<toml::Value>,
    /// Instead of `expect`: any value but `null` and `""` passes; this text (HCL, such
    /// as `"alias/aws/sns"`) is what `{expected}` shows.
    pub expect_set: Option<String>,
    /// What an absent attribute means (Terraform's default for it).
    pub missing: Verdict,
    /// What a value that cannot be known statically means.
    pub unknown: Verdict,
    /// Attribute paths that exempt the resource when any of them is set (to anything but
    /// `null` or `""`, an unknown value included), such as a KMS key superseding a flag.
    #[serde(default)]
    pub unless_set: Vec<String>,
}

/// A taint rule's data (docs/writing-rules.md): the sources are the frameworks' request
/// input, which the data-flow model knows.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TaintFile {
    /// Calls that make a value safe for this rule: qualified names, or `.method`.
    #[serde(default)]
    sanitizers: Vec<String>,
    /// The message of findings where no request input is shown to reach the sink (sinks
    /// with `nonliteral`), with `{sink}` and `{through}`.
    nonliteral_message: Option<String>,
    sinks: Vec<SinkFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SinkFile {
    #[serde(default)]
    functions: Vec<String>,
    #[serde(default)]
    methods: Vec<String>,
    /// Positional arguments watched; every one when absent, none when absent and
    /// `keywords` are given.
    arguments: Option<Vec<usize>>,
    #[serde(default)]
    keywords: Vec<String>,
    #[serde(default)]
    unpacked: bool,
    #[serde(default)]
    whole: bool,
    property: Option<String>,
    #[serde(default)]
    url: bool,
    #[serde(default)]
    nonliteral: NonLiteralFile,
    #[serde(default)]
    sql: bool,
    #[serde(default)]
    text: bool,
    #[serde(default)]
    any_constructor: bool,
    safe_with_option: Option<String>,
    #[serde(default)]
    body: bool,
    #[serde(default)]
    receivers: Vec<String>,
    #[serde(default)]
    receiver_not: Vec<String>,
    #[serde(default)]
    fresh_target_ok: bool,
    /// `javascript` (also TypeScript) or `python`; both when absent.
    language: Option<String>,
}

#[derive(Clone, Copy, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
enum NonLiteralFile {
    #[default]
    Never,
    Any,
    Building,
    Sql,
}

/// A taint rule compiled for the data-flow model, with its second message.
#[derive(Clone, Debug)]
pub struct TaintMatcher {
    pub rule: TaintRule,
    pub nonliteral_message: Option<String>,
}

/// Whether an absent or unknown attribute value passes the assertion or fails it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    Fail,
}

#[derive(Debug)]
pub enum Matcher {
    Query(BTreeMap<String, String>),
    Terraform(Vec<TerraformAssertion>),
    Taint(TaintMatcher),
    Rust,
}

pub(super) fn parse_rule(
    origin: &str,
    rel_path: &Path,
    text: &str,
    builtin: bool,
) -> Result<Rule, RuleError> {
    let err = |message: String| RuleError {
        origin: origin.to_string(),
        message,
    };
    let file: RuleFile = toml::from_str(text).map_err(|e| err(e.to_string()))?;

    let stem = rel_path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    if builtin && stem != format!("{}-{}", file.id, file.name) {
        return Err(err(format!(
            "file name must be `{}-{}.toml`",
            file.id, file.name
        )));
    }
    if !is_rule_id(&file.id) {
        return Err(err(format!(
            "rule id `{}` must be upper-case letters followed by digits",
            file.id
        )));
    }
    if file.languages.is_empty() {
        return Err(err("`languages` is empty".into()));
    }

    let matcher = match (file.query, file.terraform, file.taint, file.check) {
        (Some(query), None, None, None) => {
            if let Some(key) = query
                .keys()
                .find(|k| !matches!(k.as_str(), "javascript" | "python"))
            {
                return Err(err(format!(
                    "unknown query language `{key}` (expected javascript or python)"
                )));
            }
            Matcher::Query(query)
        }
        (None, Some(assertions), None, None) => {
            if let Some(a) = assertions
                .iter()
                .find(|a| a.expect.is_some() == a.expect_set.is_some())
            {
                return Err(err(format!(
                    "the assertion on `{}` needs exactly one of `expect` and `expect_set`",
                    a.attribute
                )));
            }
            Matcher::Terraform(assertions)
        }
        (None, None, None, Some(check)) if check == "rust" => {
            if !builtin {
                return Err(err(
                    "custom rules cannot use `check = \"rust\"`; use `query` or `terraform`".into(),
                ));
            }
            Matcher::Rust
        }
        (None, None, None, Some(check)) => {
            return Err(err(format!(
                "unknown check `{check}` (only \"rust\" exists)"
            )));
        }
        (None, None, Some(taint), None) => Matcher::Taint(taint_matcher(taint).map_err(err)?),
        _ => {
            return Err(err(
                "a rule needs exactly one matcher: `query`, `terraform`, `taint` or `check = \"rust\"`"
                    .into(),
            ));
        }
    };

    Ok(Rule {
        meta: RuleMeta {
            id: RuleId(file.id),
            name: file.name,
            domain: file.domain,
            severity: file.severity,
            confidence: file.confidence,
            languages: file.languages,
            message: file.message,
            messages: file.messages,
            tests: file.tests.unwrap_or(TestCode::Report),
            docs: file.docs,
            references: file.references,
        },
        matcher,
        origin: origin.to_string(),
        builtin,
    })
}

fn taint_matcher(file: TaintFile) -> Result<TaintMatcher, String> {
    if file.sinks.is_empty() {
        return Err("`taint` has no sinks".into());
    }
    let mut sinks = Vec::with_capacity(file.sinks.len());
    for sink in file.sinks {
        if sink.functions.is_empty() && sink.methods.is_empty() && !sink.any_constructor {
            return Err("a taint sink needs `functions`, `methods` or `any_constructor`".into());
        }
        let javascript = match sink.language.as_deref() {
            None => None,
            Some("javascript") => Some(true),
            Some("python") => Some(false),
            Some(other) => {
                return Err(format!(
                    "unknown sink language `{other}` (expected javascript or python)"
                ));
            }
        };
        if sink.nonliteral_needs_message() && file.nonliteral_message.is_none() {
            return Err("a sink with `nonliteral` needs `nonliteral_message`".into());
        }
        sinks.push(Sink {
            functions: sink.functions,
            methods: sink.methods,
            arguments: match sink.arguments {
                None if !sink.keywords.is_empty() => Some(Vec::new()),
                arguments => arguments,
            },
            keywords: sink.keywords,
            unpacked: sink.unpacked,
            whole: sink.whole,
            property: sink.property,
            url: sink.url,
            nonliteral: match sink.nonliteral {
                NonLiteralFile::Never => NonLiteral::Never,
                NonLiteralFile::Any => NonLiteral::Any,
                NonLiteralFile::Building => NonLiteral::Building,
                NonLiteralFile::Sql => NonLiteral::Sql,
            },
            sql: sink.sql,
            text: sink.text,
            any_constructor: sink.any_constructor,
            safe_with_option: sink.safe_with_option,
            body: sink.body,
            receivers: sink.receivers,
            receiver_not: sink.receiver_not,
            fresh_target_ok: sink.fresh_target_ok,
            javascript,
        });
    }
    Ok(TaintMatcher {
        rule: TaintRule {
            sinks,
            sanitizers: file.sanitizers,
        },
        nonliteral_message: file.nonliteral_message,
    })
}

impl SinkFile {
    fn nonliteral_needs_message(&self) -> bool {
        !matches!(self.nonliteral, NonLiteralFile::Never)
    }
}

fn is_rule_id(id: &str) -> bool {
    let letters = id.chars().take_while(|c| c.is_ascii_uppercase()).count();
    letters > 0 && letters < id.len() && id[letters..].chars().all(|c| c.is_ascii_digit())
}
