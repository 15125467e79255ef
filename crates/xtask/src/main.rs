//! Development tasks, run by hand: `cargo run --release -p xtask -- bench` generates a
//! realistic corpus and measures backend-audit on it stage by stage (docs/performance.md);
//! `gen DIR` only writes the corpus; `new-rule ID name --kind K` writes a new rule's files;
//! `classify DIR` counts how many of DIR's migration statements the schema model classifies.
//! `unknowns DIR` counts the Terraform values the evaluator leaves unknown, by reason.

mod bench;
mod classify;
mod corpus;
mod new_rule;
mod unknowns;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use audit_core::Language;
use clap::{Args, Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(name = "xtask")]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Subcommand, Debug)]
enum Task {
    /// Write a generated backend repository into DIR.
    Gen {
        dir: PathBuf,
        #[command(flatten)]
        corpus: CorpusArgs,
    },
    /// Measure walk+read, parse only and full scans per language, with 1 and 2 threads,
    /// and full scans with half of the rules and with `--select`; print markdown tables.
    Bench(bench::BenchArgs),
    /// The schema model's classification rate over DIR's migrations, with the most
    /// common unclassified statements (each one is listed on stderr).
    Classify(classify::ClassifyArgs),
    /// Write the files of a new rule: its TOML, fixtures, and for Rust its check file
    /// and registry line.
    NewRule(new_rule::NewRuleArgs),
    /// Count the Terraform attribute values the evaluator leaves unknown in DIR, by
    /// reason (markdown).
    Unknowns(unknowns::UnknownsArgs),
}

/// What the generator writes (default: 30 MB of every language).
#[derive(Args, Debug, Clone)]
pub struct CorpusArgs {
    /// Total size in megabytes (10^6 bytes) of source files.
    #[arg(long)]
    pub mb: Option<f64>,
    /// Number of source files; with --mb, whichever is reached first ends the corpus.
    #[arg(long)]
    pub files: Option<usize>,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Languages to generate [default: javascript,typescript,python,sql,terraform].
    #[arg(long, value_delimiter = ',')]
    pub languages: Vec<Language>,
}

impl CorpusArgs {
    pub fn options(&self) -> corpus::Options {
        let bytes = match (self.mb, self.files) {
            (None, None) => Some(30_000_000),
            (mb, _) => mb.map(|mb| (mb * 1e6) as u64),
        };
        let languages = if self.languages.is_empty() {
            corpus::LANGUAGES.iter().map(|(l, _, _)| *l).collect()
        } else {
            self.languages.clone()
        };
        corpus::Options {
            seed: self.seed,
            bytes,
            files: self.files,
            languages,
        }
    }

    /// A short description for headings and folder names.
    pub fn describe(&self) -> String {
        let o = self.options();
        let mut parts = Vec::new();
        if let Some(b) = o.bytes {
            parts.push(format!("{}mb", b as f64 / 1e6));
        }
        if let Some(f) = o.files {
            parts.push(format!("{f}files"));
        }
        if !self.languages.is_empty() {
            let names: Vec<&str> = self.languages.iter().map(|l| l.as_str()).collect();
            parts.push(names.join("+"));
        }
        parts.push(format!("seed{}", o.seed));
        parts.join("-")
    }
}

/// The workspace root: xtask lives in `crates/xtask`.
pub fn workspace_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("crates/xtask is two levels below the workspace root")
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.task {
        Task::Gen { dir, corpus } => corpus::write(&dir, &corpus.options())
            .map(|totals| {
                eprintln!(
                    "wrote {} source files, {:.1} MB, into {}",
                    totals.files,
                    totals.bytes as f64 / 1e6,
                    dir.display()
                );
            })
            .map_err(|e| format!("{}: {e}", dir.display())),
        Task::Bench(args) => bench::run(&args),
        Task::NewRule(args) => new_rule::run(&args, workspace_root()),
        Task::Classify(args) => classify::run(&args),
        Task::Unknowns(args) => unknowns::run(&args),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}
