use std::path::PathBuf;

use audit_core::Severity;
use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand, ValueEnum};

/// Read-only diagnostic analyzer for backend repositories: JavaScript/TypeScript and
/// Python code, SQL migrations and Terraform, checked against backend engineering
/// standards (security, API design, database, infrastructure).
#[derive(Parser, Debug)]
#[command(name = "backend-audit", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Scan a repository (default: the current folder) or some of its files.
    Scan(Box<ScanArgs>),
    /// List the rules.
    Rules {
        #[arg(long, value_enum, default_value = "text")]
        format: RulesFormat,
        /// Also load custom rules from this folder.
        #[arg(long, value_name = "DIR")]
        rules: Option<PathBuf>,
    },
    /// Show a rule's documentation.
    Explain {
        /// Rule id, e.g. SEC010.
        id: String,
        #[arg(long, value_name = "DIR")]
        rules: Option<PathBuf>,
    },
    /// List the HTTP routes the repository serves (Express, Fastify, Koa, NestJS, Flask,
    /// FastAPI): method, full path, handler and the guards before it.
    Routes(RoutesArgs),
}

#[derive(Args, Debug)]
pub struct RoutesArgs {
    /// The repository (default: the current folder).
    pub path: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "text")]
    pub format: RulesFormat,
    /// Write the table to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Use this config file instead of `backend-audit.toml` at the repository root.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Worker threads [default: the number of CPUs].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(usize))]
    pub threads: Option<usize>,
}

#[derive(Args, Debug)]
pub struct ScanArgs {
    /// A folder to scan, or files inside the repository (the whole repository is still
    /// analysed for project-level rules; findings are reported for these files only).
    pub paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Write the report to FILE instead of standard output (the only file ever written).
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Rules to enable: a comma-separated list of rule ids or prefixes, e.g. `SEC,DB002`
    /// (replaces the config file's `select`; may be repeated).
    #[arg(long, value_delimiter = ',', value_name = "IDS")]
    pub select: Vec<String>,
    /// Rules to disable: a comma-separated list of rule ids or prefixes, e.g. `API,DB00`
    /// (may be repeated).
    #[arg(long, value_delimiter = ',', value_name = "IDS")]
    pub ignore: Vec<String>,
    /// Exit 1 when an unsuppressed finding has at least this severity [default: the
    /// config file's `fail-on`, else info: any finding].
    #[arg(long, value_name = "SEVERITY", value_parser = severity_parser())]
    pub fail_on: Option<Severity>,
    /// Exit 0 even with findings (errors still exit 2).
    #[arg(long)]
    pub exit_zero: bool,
    /// Use this config file instead of `backend-audit.toml` at the repository root.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Report only findings not in this earlier JSON or SARIF report, matched by
    /// fingerprint (rule, path and code, not line numbers).
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Also write every finding of this scan to FILE as a JSON baseline.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
    /// Report only findings on lines changed since the merge base of REF and HEAD
    /// (uncommitted and untracked files included); the whole repository is still analysed.
    #[arg(long, value_name = "REF")]
    pub diff_base: Option<String>,
    /// Also load custom rules (TOML, `query` or `terraform` matchers) from this folder.
    #[arg(long, value_name = "DIR", value_parser = parse_dir)]
    pub rules: Option<PathBuf>,
    /// Say more on standard error: the sandbox's state, among others.
    #[arg(long, short)]
    pub verbose: bool,
    /// Do not restrict the process with the Landlock sandbox (for debugging).
    #[arg(long)]
    pub no_sandbox: bool,
    /// Worker threads [default: the number of CPUs].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(usize))]
    pub threads: Option<usize>,
    /// Benchmark only (docs/performance.md): scan only files of this language.
    #[arg(long, hide = true)]
    pub language: Option<audit_core::Language>,
    /// Benchmark only: stop each file's pass after `read` or `parse`.
    #[arg(long, hide = true, default_value = "full")]
    pub stage: audit_engine::Stage,
    /// SARIF only: set `runs[0].automationDetails.id`, GitHub code scanning's category
    /// (`NAME` becomes `NAME/`; `category/run-id` is kept). Without it the uploading
    /// Action's category applies.
    #[arg(long, value_name = "NAME")]
    pub sarif_category: Option<String>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Sarif,
    /// JUnit XML: a test case per rule, a failure per finding.
    Junit,
    /// GitLab SAST report (security report schema 15.x).
    Gitlab,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum RulesFormat {
    Text,
    Json,
}

/// The severities, most severe first, as clap's possible values: listed in `--help` and
/// in the error for any other value.
fn severity_parser() -> impl TypedValueParser<Value = Severity> {
    PossibleValuesParser::new(Severity::ALL.iter().rev().map(|s| s.as_str())).map(|name| {
        name.parse::<Severity>()
            .expect("every possible value is a severity")
    })
}

fn parse_dir(s: &str) -> Result<PathBuf, String> {
    crate::existing_dir(std::path::Path::new(s))
}
