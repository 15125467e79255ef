use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A stable rule identifier such as `SEC010`: used in config, suppressions and SARIF.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RuleId(pub String);

impl RuleId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An unknown name given for one of the enums below.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseEnumError {
    pub what: &'static str,
    pub value: String,
    pub expected: &'static str,
}

impl fmt::Display for ParseEnumError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown {} `{}` (expected one of: {})",
            self.what, self.value, self.expected
        )
    }
}

impl std::error::Error for ParseEnumError {}

/// Declares a fieldless enum with its lower-case names, `FromStr`, `Display` and serde.
macro_rules! named_enum {
    ($(#[$meta:meta])* $name:ident, $what:literal { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "lowercase")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl FromStr for $name {
            type Err = ParseEnumError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(ParseEnumError {
                        what: $what,
                        value: s.to_string(),
                        expected: concat!($($text, " "),+),
                    }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

named_enum!(
    /// Ordered from least to most severe, so `>=` compares against `--fail-on`.
    Severity, "severity" {
        Info => "info", Low => "low", Medium => "medium", High => "high", Critical => "critical",
    }
);

impl Severity {
    /// SARIF `level`: error for critical/high, warning for medium, note below.
    pub fn sarif_level(self) -> &'static str {
        match self {
            Severity::Critical | Severity::High => "error",
            Severity::Medium => "warning",
            Severity::Low | Severity::Info => "note",
        }
    }

    /// GitHub's `security-severity` score for security rules.
    pub fn security_severity(self) -> &'static str {
        match self {
            Severity::Critical => "9.5",
            Severity::High => "8.0",
            Severity::Medium => "5.5",
            Severity::Low | Severity::Info => "3.0",
        }
    }
}

impl Severity {
    /// One step less severe (`info` stays `info`): a finding in test code under
    /// `tests = "lower"`.
    pub fn lower(self) -> Severity {
        match self {
            Severity::Critical => Severity::High,
            Severity::High => Severity::Medium,
            Severity::Medium => Severity::Low,
            Severity::Low | Severity::Info => Severity::Info,
        }
    }
}

named_enum!(
    /// What a rule does with findings in test code (`audit_core::is_test_path`).
    TestCode, "tests setting" {
        Report => "report", Skip => "skip", Lower => "lower",
    }
);

impl TestCode {
    /// The sentence `explain` and the rule docs show.
    pub fn describe(self) -> &'static str {
        match self {
            TestCode::Report => "reported like any other code",
            TestCode::Skip => "not reported",
            TestCode::Lower => "reported one severity lower",
        }
    }
}

named_enum!(
    /// How sure a rule is that a finding is a real problem.
    Confidence, "confidence" { Low => "low", Medium => "medium", High => "high" }
);

named_enum!(
    /// The rule families of the catalog.
    Domain, "domain" {
        Security => "security", Api => "api", Database => "database",
        Terraform => "terraform", Reliability => "reliability", Crosslayer => "crosslayer",
    }
);

named_enum!(
    /// What a scanned file is, decided by its extension. `Text` is any other text file
    /// (configuration, environment files, keys, sources of other languages: see
    /// [`crate::TextKind`]), read only when a text rule such as SEC006 is enabled.
    Language, "language" {
        JavaScript => "javascript", TypeScript => "typescript", Tsx => "tsx",
        Python => "python", Sql => "sql", Terraform => "terraform",
        Text => "text",
    }
);

impl Language {
    /// Language of a file from its name, or `None` when backend-audit does not read it.
    pub fn from_path(path: &std::path::Path) -> Option<Language> {
        let ext = path.extension()?.to_str()?;
        Some(match ext {
            "js" | "jsx" | "mjs" | "cjs" => Language::JavaScript,
            "ts" | "mts" | "cts" => Language::TypeScript,
            "tsx" => Language::Tsx,
            "py" | "pyi" => Language::Python,
            "sql" => Language::Sql,
            "tf" | "tfvars" => Language::Terraform,
            // Terraform's JSON syntax (`main.tf.json`, `prod.tfvars.json`).
            "json" => {
                let stem = path.file_stem()?.to_str()?;
                if !stem.ends_with(".tf") && !stem.ends_with(".tfvars") {
                    return None;
                }
                Language::Terraform
            }
            _ => return None,
        })
    }

    /// The language of a source file backend-audit does not analyse, by its extension (or
    /// name), for the summary's "not analysed" count; `None` for data, docs and assets.
    pub fn unanalysed(path: &std::path::Path) -> Option<&'static str> {
        let name = path.file_name()?.to_str()?;
        if name == "Dockerfile" || name.starts_with("Dockerfile.") {
            return Some("Dockerfile");
        }
        let ext = path.extension()?.to_str()?;
        Some(match ext {
            "go" => "Go",
            "java" => "Java",
            "kt" | "kts" => "Kotlin",
            "scala" => "Scala",
            "groovy" | "gradle" => "Groovy",
            "rb" | "rake" => "Ruby",
            "php" => "PHP",
            "cs" => "C#",
            "fs" => "F#",
            "rs" => "Rust",
            "c" | "h" => "C",
            "cc" | "cpp" | "cxx" | "hpp" | "hh" => "C++",
            "swift" => "Swift",
            "m" | "mm" => "Objective-C",
            "ex" | "exs" => "Elixir",
            "erl" => "Erlang",
            "clj" | "cljs" => "Clojure",
            "hs" => "Haskell",
            "lua" => "Lua",
            "pl" | "pm" => "Perl",
            "r" | "R" => "R",
            "dart" => "Dart",
            "vue" => "Vue",
            "svelte" => "Svelte",
            "sh" | "bash" | "zsh" => "Shell",
            "ps1" => "PowerShell",
            "hcl" => "HCL",
            "prisma" => "Prisma",
            "graphql" | "gql" => "GraphQL",
            _ => return None,
        })
    }

    /// The comment leaders suppression and fixture annotations are read from.
    pub fn comment_leaders(self) -> &'static [&'static str] {
        match self {
            Language::JavaScript | Language::TypeScript | Language::Tsx => &["//", "/*"],
            Language::Python => &["#"],
            Language::Sql => &["--", "/*"],
            Language::Terraform => &["#", "//", "/*"],
            // Each kind of text file has its own (`TextKind::comment_leaders`).
            Language::Text => &["#"],
        }
    }
}

/// The documentation every rule ships with; rendered by `explain`, docs and SARIF help.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleDocs {
    pub summary: String,
    pub why: String,
    pub bad: String,
    pub good: String,
    pub fix: String,
    /// Path (in a scratch repository) the bad and good examples are checked as; its
    /// extension names their language.
    pub example_file: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleReferences {
    #[serde(default)]
    pub cwe: Vec<u32>,
    #[serde(default)]
    pub owasp: Vec<String>,
    /// The sentence of the engineering standard (shared/seeds) the rule enforces.
    pub standard: String,
}

/// Everything about a rule except how it matches.
#[derive(Clone, Debug, Serialize)]
pub struct RuleMeta {
    pub id: RuleId,
    pub name: String,
    pub domain: Domain,
    pub severity: Severity,
    pub confidence: Confidence,
    pub languages: Vec<Language>,
    /// The message template; `{name}` is filled from the finding's captures.
    pub message: String,
    /// Templates that replace `message` for findings in one language family, where the
    /// advice differs (`subprocess.run([...])` is no fix for JavaScript).
    pub messages: LanguageMessages,
    /// What findings in test code become.
    pub tests: TestCode,
    pub docs: RuleDocs,
    pub references: RuleReferences,
}

/// Per-language message templates: `javascript` covers JS, TS and TSX.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LanguageMessages {
    pub javascript: Option<String>,
    pub python: Option<String>,
}

impl RuleMeta {
    /// The message template for a finding in `path`.
    pub fn message_for(&self, path: &str) -> &str {
        let specific = match Language::from_path(std::path::Path::new(path)) {
            Some(Language::JavaScript | Language::TypeScript | Language::Tsx) => {
                self.messages.javascript.as_deref()
            }
            Some(Language::Python) => self.messages.python.as_deref(),
            _ => None,
        };
        specific.unwrap_or(&self.message)
    }

    pub fn is_security(&self) -> bool {
        self.domain == Domain::Security || !self.references.cwe.is_empty()
    }
}
