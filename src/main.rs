//! `backend-audit`: the command line. Exit codes: 0 nothing at or above `--fail-on`,
//! 1 findings at or above it, 2 usage, configuration or I/O errors.

mod cli;
mod explain;
mod root;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use audit_core::Severity;
use audit_engine::{CliSelection, ConfigFile, ScanRequest};
use audit_report::Report;
use clap::Parser;
use cli::{Cli, Command, Format, RulesFormat, ScanArgs};

const VERSION: &str = env!("CARGO_PKG_VERSION");

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let outcome = match cli.command {
        Command::Scan(args) => scan(args),
        Command::Rules { format, rules } => explain::list(format, rules.as_deref()),
        Command::Explain { id, rules } => explain::explain(&id, rules.as_deref()),
    };
    match outcome {
        Ok(code) => ExitCode::from(code),
        Err(message) => {
            eprintln!("backend-audit: error: {message}");
            ExitCode::from(2)
        }
    }
}

fn scan(args: ScanArgs) -> Result<u8, String> {
    let target = root::resolve(&args.paths)?;
    let (config, _) = match &args.config {
        Some(path) => (
            ConfigFile::load(path).map_err(|e| e.to_string())?,
            Some(path.clone()),
        ),
        None => ConfigFile::discover(&target.root).map_err(|e| e.to_string())?,
    };
    // Open the output before scanning: a bad --output fails fast, and it is the only write.
    let mut output: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(
            std::fs::File::create(path)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?,
        ),
        None => Box::new(std::io::stdout().lock()),
    };
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let started = std::time::Instant::now();
    let result = audit_engine::scan(ScanRequest {
        root: target.root,
        only: target.only,
        config,
        cli: CliSelection {
            select: args.select.clone(),
            ignore: args.ignore.clone(),
        },
        threads,
        extra_rules: args.rules.clone(),
    })
    .map_err(|e| e.to_string())?;

    let report = Report {
        diagnostics: &result.diagnostics,
        notes: &result.notes,
        summary: &result.summary,
        rules: &result.rules,
        tool_version: VERSION,
    };
    let rendered = match args.format {
        Format::Text => {
            let color = args.output.is_none()
                && std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
            audit_report::text(&report, color)
        }
        Format::Json => audit_report::json(&report),
        Format::Sarif => audit_report::sarif(&report),
    };
    output
        .write_all(rendered.as_bytes())
        .and_then(|()| output.flush())
        .map_err(|e| format!("cannot write the report: {e}"))?;
    if args.format == Format::Text || args.output.is_some() {
        eprintln!(
            "Scanned {} in {:.2}s.",
            plural_files(result.summary.files_scanned),
            started.elapsed().as_secs_f64()
        );
    }

    let fail_on = args.fail_on.or(result.fail_on).unwrap_or(Severity::Info);
    let failing = result
        .diagnostics
        .iter()
        .any(|d| d.suppressed.is_none() && d.severity >= fail_on);
    Ok(u8::from(failing && !args.exit_zero))
}

fn plural_files(n: usize) -> String {
    if n == 1 {
        "1 file".into()
    } else {
        format!("{n} files")
    }
}

/// `--rules DIR` must exist; said before anything else runs.
fn existing_dir(path: &Path) -> Result<PathBuf, String> {
    if path.is_dir() {
        Ok(path.to_path_buf())
    } else {
        Err(format!("{} is not a folder", path.display()))
    }
}
