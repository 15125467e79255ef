//! `backend-audit`: the command line. Exit codes: 0 nothing at or above `--fail-on`,
//! 1 findings at or above it, 2 usage, configuration or I/O errors.

mod baseline;
mod cli;
mod diff_base;
mod explain;
mod progress;
mod root;
mod routes;
mod sandbox;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::SystemTime;

use audit_core::{NoteKind, Severity};
use audit_engine::{CliSelection, ConfigFile, ScanRequest};
use audit_report::Report;
use clap::Parser;
use cli::{Cli, Command, Format, RulesFormat, ScanArgs};

// jemalloc, with the page decay of .cargo/config.toml: faster than the system's malloc
// and a lower peak on large scans (Cargo.toml says why; MSVC keeps the system's).
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

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
        Command::Scan(args) => scan(*args),
        Command::Rules { format, rules } => explain::list(format, rules.as_deref()),
        Command::Explain { id, rules } => explain::explain(&id, rules.as_deref()),
        Command::Routes(args) => routes::run(args),
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
    if args.sarif_category.is_some() && args.format != Format::Sarif {
        return Err("--sarif-category needs --format sarif".into());
    }
    let target = root::resolve(&args.paths)?;
    let (config, _) = match &args.config {
        Some(path) => (
            ConfigFile::load(path).map_err(|e| e.to_string())?,
            Some(path.clone()),
        ),
        None => ConfigFile::discover(&target.root).map_err(|e| e.to_string())?,
    };
    // Read before any output file is created: --baseline and --write-baseline may be one file.
    let baseline = args
        .baseline
        .as_deref()
        .map(baseline::Baseline::read)
        .transpose()?;
    // Open the outputs before scanning: a bad path fails fast, and they are the only writes.
    let mut baseline_output = args
        .write_baseline
        .as_deref()
        .map(|path| baseline::create(path, args.output.as_deref()))
        .transpose()?;
    let output: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(
            std::fs::File::create(path)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?,
        ),
        None => Box::new(std::io::stdout().lock()),
    };
    // From here on the process can read but not write, delete or connect: before any
    // thread exists, so every worker inherits it.
    let sandbox = if args.no_sandbox {
        sandbox::Sandbox::Disabled
    } else {
        sandbox::enforce()
    };
    if args.verbose || matches!(sandbox, sandbox::Sandbox::Failed { .. }) {
        eprintln!("backend-audit: {sandbox}");
    }
    // git runs inside the sandbox: whatever a hostile repository's git configuration
    // starts can neither write nor connect.
    let changed = args
        .diff_base
        .as_deref()
        .map(|reference| diff_base::ChangedLines::since(&target.root, reference))
        .transpose()?;
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let started = std::time::Instant::now();
    let started_at = SystemTime::now();
    let files = Arc::new(AtomicUsize::new(0));
    let progress = progress::Progress::start(files.clone());
    let result = audit_engine::scan(ScanRequest {
        root: target.root,
        only: target.only,
        walk_only: target.walk_only,
        config,
        cli: CliSelection {
            select: args.select.clone(),
            ignore: args.ignore.clone(),
        },
        threads,
        extra_rules: args.rules.clone(),
        progress: Some(files),
        language: args.language,
        stage: args.stage,
    });
    if let Some(progress) = progress {
        progress.finish();
    }
    let mut result = result.map_err(|e| e.to_string())?;
    if !args.verbose {
        // Statements the parser does not model but the keyword rules classified: no loss
        // of coverage, so not worth a line on every scan.
        result.notes.retain(|n| n.kind != NoteKind::Unmodelled);
    }
    if let Some(file) = &mut baseline_output {
        baseline::write(file, &result, VERSION)?;
    }
    if let (Some(changed), Some(reference)) = (&changed, &args.diff_base) {
        changed.retain_changed(&mut result, reference);
    }
    if let (Some(baseline), Some(path)) = (&baseline, &args.baseline) {
        baseline.remove_known(&mut result, path);
    }

    let report = Report {
        diagnostics: &result.diagnostics,
        notes: &result.notes,
        summary: &result.summary,
        rules: &result.rules,
        tool_version: VERSION,
    };
    // Written as it is made: a report is never held whole in memory.
    let mut writer = std::io::BufWriter::new(output);
    match args.format {
        Format::Text => {
            let color = args.output.is_none()
                && std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
            audit_report::text(&report, color, &mut writer)
        }
        Format::Json => audit_report::json(&report, &mut writer),
        Format::Sarif => audit_report::sarif(&report, args.sarif_category.as_deref(), &mut writer),
        Format::Junit => audit_report::junit(&report, &mut writer),
        Format::Gitlab => audit_report::gitlab(&report, started_at, SystemTime::now(), &mut writer),
    }
    .and_then(|()| writer.flush())
    .map_err(|e| format!("cannot write the report: {e}"))?;
    // The text report ends with the summary; any other report gets it on stderr, so
    // whoever watches the run sees it while stdout stays the document alone.
    if args.format != Format::Text || args.output.is_some() {
        eprint!("{}", audit_report::summary(&report));
    }
    eprintln!(
        "Scanned {} in {:.2}s.",
        plural_files(result.summary.files_scanned),
        started.elapsed().as_secs_f64()
    );

    let fail_on = args.fail_on.or(result.fail_on).unwrap_or(Severity::Info);
    let failing = result
        .diagnostics
        .iter()
        .any(|d| d.suppressed.is_none() && d.severity >= fail_on);
    // The process exits next, with the report written and flushed: freeing the findings
    // and the kept facts one allocation at a time would only delay that.
    std::mem::forget(result);
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
