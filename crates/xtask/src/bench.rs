//! The benchmark: runs the release binary's hidden stages (`scan --stage read|parse|full`,
//! `--language L`) on a corpus and reports wall time, CPU time and peak RSS per language
//! and thread count, measured on the child process itself (wait4), as markdown tables.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use audit_core::Language;
use clap::Args;

use crate::CorpusArgs;

#[derive(Args, Debug)]
pub struct BenchArgs {
    /// A repository to measure instead of a generated corpus.
    path: Option<PathBuf>,
    #[command(flatten)]
    corpus: CorpusArgs,
    /// Thread counts to measure.
    #[arg(long, value_delimiter = ',', default_values_t = [1, 2])]
    threads: Vec<usize>,
    /// Runs per measurement; the median is reported.
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// The backend-audit binary [default: build and use target/release/backend-audit].
    #[arg(long)]
    binary: Option<PathBuf>,
    /// Compare only the floor (walk, read and parse every file, no rule) with the full
    /// scan, the two run alternately so the machine's drift falls on both alike.
    #[arg(long)]
    floor: bool,
    /// Also measure a full scan with only these rules (comma-separated ids or prefixes),
    /// beside the one with half of them: what a scan configured to a subset costs, for
    /// example the foundations issue's eight rules against the budget they had.
    #[arg(long, value_delimiter = ',')]
    select: Vec<String>,
}

/// One run of the binary.
#[derive(Clone, Copy, Debug)]
struct Sample {
    wall: Duration,
    cpu: Duration,
    max_rss_kib: u64,
}

/// The median of several runs, and what the scan reported.
#[derive(Clone, Copy, Debug, Default)]
struct Measure {
    wall: f64,
    cpu: f64,
    max_rss_mib: f64,
    files: u64,
    bytes: u64,
    findings: u64,
    parse_errors: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    Read,
    Parse,
    Full,
}

impl Stage {
    fn as_str(self) -> &'static str {
        match self {
            Stage::Read => "read",
            Stage::Parse => "parse",
            Stage::Full => "full",
        }
    }
}

#[derive(Clone)]
struct Bench {
    binary: PathBuf,
    root: PathBuf,
    scratch: PathBuf,
    runs: usize,
}

pub fn run(args: &BenchArgs) -> Result<(), String> {
    let target = target_dir();
    let binary = match &args.binary {
        Some(binary) => binary.clone(),
        None => build(&target)?,
    };
    let scratch = target.join("bench");
    std::fs::create_dir_all(&scratch).map_err(|e| format!("{}: {e}", scratch.display()))?;
    let root = match &args.path {
        Some(path) => path.clone(),
        None => {
            let dir = scratch.join(format!("corpus-{}", args.corpus.describe()));
            if dir.exists() {
                std::fs::remove_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            }
            let started = Instant::now();
            let totals = crate::corpus::write(&dir, &args.corpus.options())
                .map_err(|e| format!("{}: {e}", dir.display()))?;
            eprintln!(
                "generated {} files, {:.1} MB in {:.1}s: {}",
                totals.files,
                totals.bytes as f64 / 1e6,
                started.elapsed().as_secs_f64(),
                dir.display()
            );
            dir
        }
    };
    let bench = Bench {
        binary,
        root,
        scratch,
        runs: args.runs.max(1),
    };
    println!("{}", header(args, &bench));
    // Once through everything so every run finds the files in the page cache.
    bench.measure(Stage::Read, None, 1, None)?;
    if args.floor {
        let select = (!args.select.is_empty()).then_some(args.select.as_slice());
        return floor(&bench, &args.threads, select);
    }
    let half = half_of_the_rules(&bench.binary)?;
    let fixed = bench.fixed_cost()?;
    println!(
        "Fixed cost (one small file per language, full scan: process start, rule loading, each grammar's combined query compiled): {:.3} s, {:.1} MiB peak RSS.\n",
        fixed.wall, fixed.max_rss_mib
    );
    let two = bench.two_file_cost()?;
    println!(
        "Two-file repository (what a pre-commit run costs: one Python and one TypeScript file, full scan): {:.3} s, {:.1} MiB peak RSS.\n",
        two.wall, two.max_rss_mib
    );

    let mut languages: Vec<(Option<Language>, Measure)> = Vec::new();
    for language in Language::ALL.iter().copied().map(Some).chain([None]) {
        let read = bench.measure(Stage::Read, language, 1, None)?;
        if read.files > 0 {
            languages.push((language, read));
        }
    }

    println!(
        "| language | threads | files | MB | walk+read s | parse s | full s | full/parse | full/parse CPU | parse MB/s | full MB/s | findings | peak RSS MiB |"
    );
    println!("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
    let mut last = Vec::new();
    for &threads in &args.threads {
        last.clear();
        for (language, _) in &languages {
            let read = bench.measure(Stage::Read, *language, threads, None)?;
            let parse = bench.measure(Stage::Parse, *language, threads, None)?;
            let full = bench.measure(Stage::Full, *language, threads, None)?;
            if parse.parse_errors > 0 || full.parse_errors > 0 {
                eprintln!(
                    "warning: {} file(s) did not parse",
                    full.parse_errors.max(parse.parse_errors)
                );
            }
            let mb = full.bytes as f64 / 1e6;
            println!(
                "| {} | {threads} | {} | {mb:.1} | {:.3} | {:.3} | {:.3} | {:.2} | {:.2} | {:.1} | {:.1} | {} | {:.1} |",
                name(*language),
                full.files,
                read.wall,
                parse.wall,
                full.wall,
                full.wall / parse.wall,
                full.cpu / parse.cpu,
                mb / parse.wall,
                mb / full.wall,
                full.findings,
                full.max_rss_mib,
            );
            last.push((*language, parse, full));
        }
    }

    let threads = *args.threads.iter().max().unwrap_or(&1);
    let mut subsets = vec![("Half of the rules", half)];
    if !args.select.is_empty() {
        subsets.push(("The selected rules", args.select.clone()));
    }
    for (label, select) in &subsets {
        println!(
            "\n{label} (`--select {}`), {threads} thread(s):\n",
            select.join(",")
        );
        println!(
            "| language | parse s | full s, all rules | full s, subset | all/parse | subset/parse | findings, all | findings, subset |"
        );
        println!("|---|--:|--:|--:|--:|--:|--:|--:|");
        for (language, parse, full) in &last {
            let subset = bench.measure(Stage::Full, *language, threads, Some(select))?;
            println!(
                "| {} | {:.3} | {:.3} | {:.3} | {:.2} | {:.2} | {} | {} |",
                name(*language),
                parse.wall,
                full.wall,
                subset.wall,
                full.wall / parse.wall,
                subset.wall / parse.wall,
                full.findings,
                subset.findings,
            );
        }
    }
    Ok(())
}

/// The floor comparison of `--floor`: one row per language and thread count, the whole
/// tree last; with `--select`, the full scan runs only those rules.
fn floor(bench: &Bench, threads: &[usize], select: Option<&[String]>) -> Result<(), String> {
    let mut languages = Vec::new();
    for language in Language::ALL.iter().copied().map(Some) {
        if bench.measure(Stage::Read, language, 1, None)?.files > 0 {
            languages.push(language);
        }
    }
    if languages.len() == 1 {
        languages.clear();
    }
    languages.push(None);
    if let Some(select) = select {
        println!("Full scans with `--select {}`.\n", select.join(","));
    }
    println!(
        "| language | threads | files | MB | floor (parse) s | full s | full/floor | full/floor CPU | floor peak RSS MiB | full peak RSS MiB | findings |"
    );
    println!("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
    for &threads in threads {
        for &language in &languages {
            let (parse, full) = bench.alternate(language, threads, select)?;
            println!(
                "| {} | {threads} | {} | {:.1} | {:.3} | {:.3} | {:.2} | {:.2} | {:.1} | {:.1} | {} |",
                name(language),
                full.files,
                full.bytes as f64 / 1e6,
                parse.wall,
                full.wall,
                full.wall / parse.wall,
                full.cpu / parse.cpu,
                parse.max_rss_mib,
                full.max_rss_mib,
                full.findings,
            );
        }
    }
    Ok(())
}

fn name(language: Option<Language>) -> &'static str {
    language.map_or("all", Language::as_str)
}

impl Bench {
    /// A full scan of one small file per language: what every scan pays whatever its size.
    /// What a pre-commit hook pays on a small change: a repository of two files, one
    /// Python and one TypeScript, each with a finding, scanned whole.
    fn two_file_cost(&self) -> Result<Measure, String> {
        self.small_repository(
            "two-files",
            &[
                (
                    "app/client.py",
                    "import requests\n\ndef fetch(url):\n    return requests.get(url, verify=False, timeout=5)\n",
                ),
                (
                    "src/run.ts",
                    "import { exec } from 'child_process';\nexport const run = (dir: string) => exec('ls ' + dir);\n",
                ),
            ],
        )
    }

    fn fixed_cost(&self) -> Result<Measure, String> {
        self.small_repository(
            "fixed",
            &[
                ("a.js", "const x = require('y');\n"),
                (
                    "b.ts",
                    "import { y } from 'y';\nexport const x: number = y;\n",
                ),
                ("c.tsx", "export const X = () => <div />;\n"),
                ("d.py", "import os\nx = os.getcwd()\n"),
                ("e.sql", "CREATE TABLE t (id bigint PRIMARY KEY);\n"),
                ("f.tf", "variable \"x\" {\n  default = 1\n}\n"),
            ],
        )
    }

    /// A full scan of a repository of these files, written under the scratch folder.
    fn small_repository(&self, name: &str, files: &[(&str, &str)]) -> Result<Measure, String> {
        let dir = self.scratch.join(name);
        for (path, text) in files {
            let path = dir.join(path);
            std::fs::create_dir_all(path.parent().unwrap_or(&dir))
                .and_then(|()| std::fs::write(&path, text))
                .map_err(|e| format!("{}: {e}", path.display()))?;
        }
        Bench {
            root: dir,
            ..self.clone()
        }
        .measure(Stage::Full, None, 1, None)
    }

    /// Median wall and CPU time, and the largest peak RSS, of `self.runs` runs.
    fn measure(
        &self,
        stage: Stage,
        language: Option<Language>,
        threads: usize,
        select: Option<&[String]>,
    ) -> Result<Measure, String> {
        let args = scan_args(&self.root, stage, language, threads, select);
        let report = self.scratch.join("report.json");
        let mut samples = Vec::with_capacity(self.runs);
        for _ in 0..self.runs {
            samples.push(self.sample(&args, &report)?);
        }
        Ok(median(&samples, summary(&report)?))
    }

    /// The parse stage and the full scan of one language's files (or all), `self.runs`
    /// times each, in turn.
    fn alternate(
        &self,
        language: Option<Language>,
        threads: usize,
        select: Option<&[String]>,
    ) -> Result<(Measure, Measure), String> {
        let parse_args = scan_args(&self.root, Stage::Parse, language, threads, None);
        let full_args = scan_args(&self.root, Stage::Full, language, threads, select);
        let (parse_report, full_report) = (
            self.scratch.join("floor-report.json"),
            self.scratch.join("report.json"),
        );
        let (mut parse, mut full) = (Vec::new(), Vec::new());
        for _ in 0..self.runs {
            parse.push(self.sample(&parse_args, &parse_report)?);
            full.push(self.sample(&full_args, &full_report)?);
        }
        Ok((
            median(&parse, summary(&parse_report)?),
            median(&full, summary(&full_report)?),
        ))
    }

    fn sample(&self, args: &[String], report: &Path) -> Result<Sample, String> {
        let errors = self.scratch.join("stderr.txt");
        run_child(&self.binary, args, report, &errors).map_err(|e| {
            let stderr = std::fs::read_to_string(&errors).unwrap_or_default();
            format!(
                "{} {}: {e}\n{stderr}",
                self.binary.display(),
                args.join(" ")
            )
        })
    }
}

/// The medians of `samples` and the largest peak RSS, with what the scan reported.
fn median(samples: &[Sample], summary: Measure) -> Measure {
    let median = |f: fn(&Sample) -> Duration| {
        let mut values: Vec<f64> = samples.iter().map(|s| f(s).as_secs_f64()).collect();
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    Measure {
        wall: median(|s| s.wall),
        cpu: median(|s| s.cpu),
        max_rss_mib: samples.iter().map(|s| s.max_rss_kib).max().unwrap_or(0) as f64 / 1024.0,
        ..summary
    }
}

fn scan_args(
    root: &Path,
    stage: Stage,
    language: Option<Language>,
    threads: usize,
    select: Option<&[String]>,
) -> Vec<String> {
    let mut args: Vec<String> = vec![
        "scan".into(),
        root.display().to_string(),
        "--format".into(),
        "json".into(),
        "--exit-zero".into(),
        "--threads".into(),
        threads.to_string(),
        "--stage".into(),
        stage.as_str().into(),
    ];
    if let Some(language) = language {
        args.extend(["--language".into(), language.as_str().into()]);
    }
    if let Some(select) = select {
        args.extend(["--select".into(), select.join(",")]);
    }
    args
}

/// Runs the binary with stdout into `report` and stderr into `errors` (a file, so no
/// progress spinner runs); wall time, CPU time and peak RSS come from the kernel's
/// accounting of that one child.
#[allow(unsafe_code)] // wait4: the child's peak RSS, which std does not report
fn run_child(binary: &Path, args: &[String], report: &Path, errors: &Path) -> io::Result<Sample> {
    let stdout = File::create(report)?;
    let stderr = File::create(errors)?;
    let started = Instant::now();
    let child = Command::new(binary)
        .args(args)
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .spawn()?;
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: rusage is plain old data; zero is a valid value for every field.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: `pid` is our child, not yet reaped; the pointers are to live locals.
        let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if reaped == pid {
            break;
        }
        let error = io::Error::last_os_error();
        if error.kind() != io::ErrorKind::Interrupted {
            return Err(error);
        }
    }
    let wall = started.elapsed();
    if !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
        return Err(io::Error::other(format!(
            "exited with wait status {status}"
        )));
    }
    let time = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    Ok(Sample {
        wall,
        cpu: time(usage.ru_utime) + time(usage.ru_stime),
        max_rss_kib: usage.ru_maxrss as u64,
    })
}

/// The part of a JSON report the bench reads; the findings are skipped as they are
/// parsed, not built into a document.
#[derive(serde::Deserialize)]
struct Report {
    summary: Summary,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Summary {
    files_scanned: u64,
    text_files_scanned: u64,
    bytes_scanned: u64,
    findings: u64,
    suppressed: u64,
    parse_errors: u64,
}

/// Files, bytes and findings from the JSON report's summary. The bench stays small while
/// it reads the report: Linux counts the parent's resident memory at `fork` into the
/// child's peak (`ru_maxrss`), so a report held as a `serde_json::Value` (86 MiB for the
/// 20 000-file corpus) became the peak of every scan measured after it.
fn summary(report: &Path) -> Result<Measure, String> {
    let file = File::open(report).map_err(|e| format!("{}: {e}", report.display()))?;
    let Report { summary } = serde_json::from_reader(io::BufReader::new(file))
        .map_err(|e| format!("{}: {e}", report.display()))?;
    Ok(Measure {
        // Configuration files are read by SEC006 only, and counted apart.
        files: summary.files_scanned + summary.text_files_scanned,
        bytes: summary.bytes_scanned,
        findings: summary.findings + summary.suppressed,
        parse_errors: summary.parse_errors,
        ..Measure::default()
    })
}

/// Every other rule id, so each domain keeps some rules and loses others.
fn half_of_the_rules(binary: &Path) -> Result<Vec<String>, String> {
    let output = Command::new(binary)
        .args(["rules", "--format", "json"])
        .output()
        .map_err(|e| format!("{}: {e}", binary.display()))?;
    let rules: serde_json::Value =
        serde_json::from_slice(&output.stdout).map_err(|e| format!("rules --format json: {e}"))?;
    let mut ids: Vec<String> = rules
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["id"].as_str().map(String::from))
        .collect();
    ids.sort();
    Ok(ids.into_iter().step_by(2).collect())
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::workspace_root().join("target"))
}

/// Builds the release binary the way users install it.
fn build(target: &Path) -> Result<PathBuf, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--release", "--locked", "--bin", "backend-audit"])
        .current_dir(crate::workspace_root())
        .status()
        .map_err(|e| format!("cargo build: {e}"))?;
    if !status.success() {
        return Err("cargo build --release failed".into());
    }
    Ok(target.join("release").join("backend-audit"))
}

/// The command, the machine and the corpus, so a table can be reproduced.
fn header(args: &BenchArgs, bench: &Bench) -> String {
    let command: Vec<String> = std::env::args().skip(1).collect();
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|l| l.split_once(':'))
        .map_or("unknown", |(_, m)| m.trim());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let memory = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|l| l.split_whitespace().next()?.parse::<f64>().ok())
        .map_or("unknown".to_string(), |kib| {
            format!("{:.1} GiB", kib / 1024.0 / 1024.0)
        });
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load: Vec<&str> = load.split_whitespace().take(3).collect();
    let corpus = match &args.path {
        Some(path) => path.display().to_string(),
        None => format!("generated ({})", args.corpus.describe()),
    };
    format!(
        "Command: `cargo run --release -p xtask -- {}`\n\nMachine: {cpus} CPUs ({model}), {memory} RAM; load average before the run {}. Corpus: {corpus}. Median of {} runs; peak RSS is the largest of them.\n",
        command.join(" "),
        load.join(" "),
        bench.runs,
    )
}
