//! The backend-audit engine: walk, read, parse once, run every rule in one pass,
//! gather facts, run project rules, then apply settings, suppressions and order.

mod analyze;
mod anchors;
mod checks;
mod facts;
mod plan;
mod project;
pub mod rules;
pub mod settings;
mod suppress;
mod walk;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;

use audit_core::{
    Diagnostic, Finding, Note, NoteKind, RuleMeta, ScanSummary, Severity, Suppressed, TestCode,
    fingerprint, is_test_path,
};

pub use analyze::Stage;
pub use audit_model::routes::{self as route_model, RouteTable};
pub use audit_syntax::Grammar;
pub use plan::{Plan, PlanError, compile_alone};
pub use rules::{Rule, RuleError, RuleIdx};
pub use settings::{CliSelection, ConfigError, ConfigFile, Settings};

/// What to scan and how.
#[derive(Debug)]
pub struct ScanRequest {
    pub root: PathBuf,
    /// When set, findings are reported only for these root-relative paths (files, or
    /// folders ending in `/`); the whole root is still analysed for project facts.
    pub only: Option<Vec<String>>,
    /// When set, only these paths (under `root`) are walked: files outside any repository
    /// are analysed on their own.
    pub walk_only: Option<Vec<PathBuf>>,
    pub config: ConfigFile,
    pub cli: CliSelection,
    pub threads: usize,
    pub extra_rules: Option<PathBuf>,
    /// When set, incremented as each file's analysis finishes (the CLI's progress bar).
    pub progress: Option<Arc<AtomicUsize>>,
    /// For the benchmark: only files of this language, and how far each file's pass goes.
    pub language: Option<audit_core::Language>,
    pub stage: Stage,
}

#[derive(Debug)]
pub struct ScanOutput {
    pub diagnostics: Vec<Diagnostic>,
    pub notes: Vec<Note>,
    pub summary: ScanSummary,
    /// The enabled rules, in id order.
    pub rules: Vec<RuleMeta>,
    /// `fail-on` from the config file, if set.
    pub fail_on: Option<Severity>,
    /// The route table, when it was asked for ([`routes`]).
    pub routes: Option<RouteTable>,
    /// The facts the per-file pass kept, freed with the output: a process that exits
    /// once its report is written can `std::mem::forget` the output instead of freeing
    /// them one allocation at a time (4 % of a Terraform scan's instructions).
    #[expect(dead_code, reason = "held, never read: freed with the output")]
    kept: facts::ProjectFacts,
}

/// Why a scan could not run at all: always exit code 2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanError(pub String);

impl std::fmt::Display for ScanError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The registered Rust checks as (rule id, `<domain>/<file stem>` of the check's file).
pub fn rust_checks() -> impl Iterator<Item = (String, &'static str)> {
    checks::REGISTRY.iter().map(|r| (r.id(), r.module))
}

/// Built-in rules plus those of `extra` (a `--rules` folder).
pub fn load_rules(extra: Option<&Path>) -> Result<Vec<Rule>, ScanError> {
    let builtin = rules::builtin_rules().map_err(|e| ScanError(e.to_string()))?;
    let custom = match extra {
        Some(dir) => rules::load_rules_dir(dir).map_err(|e| ScanError(e.to_string()))?,
        None => Vec::new(),
    };
    rules::merge(builtin, custom).map_err(|e| ScanError(e.to_string()))
}

pub fn scan(request: ScanRequest) -> Result<ScanOutput, ScanError> {
    let (plan, settings) = prepare(
        &request.config,
        &request.cli,
        request.extra_rules.as_deref(),
    )?;
    run(request, plan, settings)
}

/// The project's route table (`backend-audit routes`): the same walk and per-file pass
/// as [`scan`] with no rule enabled, so it costs the parse and the extraction only.
pub fn routes(request: ScanRequest) -> Result<(RouteTable, ScanOutput), ScanError> {
    let rules = load_rules(request.extra_rules.as_deref())?;
    let settings = Settings::resolve(&request.config, &request.cli, &rules)
        .map_err(|e| ScanError(e.to_string()))?;
    let mut plan = Plan::compile(rules, |_| false).map_err(|e| ScanError(e.to_string()))?;
    plan.inventory = true;
    let mut output = run(request, plan, settings)?;
    let table = output.routes.take().unwrap_or_default();
    Ok((table, output))
}

/// The main thread's stack: the project phase ran there before it had a thread of its own.
const PROJECT_STACK: usize = 8 << 20;

fn run(request: ScanRequest, plan: Plan, settings: Settings) -> Result<ScanOutput, ScanError> {
    let walked = walk::walk(&request, &plan, &settings);
    if let Some(error) = plan.query_error() {
        return Err(ScanError(error.to_string()));
    }
    let merge = || {
        finish(
            &plan,
            &settings,
            walked.results,
            walked.notes,
            request.only.as_deref(),
            walked.services,
            request.threads.max(1),
        )
    };
    // The merge and the project phase, when the scan peaks, run on a thread of their
    // own: the allocator (jemalloc, like glibc before it) gives a new thread the arena
    // of a walk thread that has exited, so the route table and the merged findings fill
    // the gaps the walk left in its half-used pages instead of growing the main thread's
    // arena (3 MiB less peak RSS on the bench's 20 000-file corpus, 11 MiB on glibc).
    let mut output = std::thread::scope(|scope| {
        let merged = std::thread::Builder::new()
            .name("project".into())
            .stack_size(PROJECT_STACK)
            .spawn_scoped(scope, merge)
            .map_err(|e| ScanError(format!("cannot start the project phase: {e}")))?;
        Ok(merged
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
    })?;
    output.summary.not_analysed = walked
        .not_analysed
        .into_iter()
        .map(|(name, n)| (name.to_string(), n))
        .collect();
    Ok(output)
}

/// Rules loaded and compiled for one configuration, ready to scan in-memory files many
/// times: what the fuzz targets drive.
pub struct Engine {
    plan: Plan,
    settings: Settings,
    /// For the project phase (one unless [`Engine::with_threads`] says otherwise).
    threads: usize,
}

impl Engine {
    /// The built-in rules under `config`.
    pub fn new(config: &ConfigFile) -> Result<Engine, ScanError> {
        let (plan, settings) = prepare(config, &CliSelection::default(), None)?;
        Ok(Engine {
            plan,
            settings,
            threads: 1,
        })
    }

    /// The same engine, its project phase on `threads` threads.
    pub fn with_threads(self, threads: usize) -> Engine {
        Engine { threads, ..self }
    }

    /// Scans files given as (root-relative path, bytes): the same per-file pass, project
    /// phase and finish as [`scan`], without the walk.
    pub fn scan_sources(&self, files: Vec<(String, Vec<u8>)>) -> ScanOutput {
        let services = files
            .iter()
            .filter_map(|(path, _)| walk::service_folder(path).map(str::to_string))
            .collect();
        let results = files
            .into_iter()
            .filter_map(|(path, bytes)| {
                let language = audit_core::Language::from_path(Path::new(&path)).or_else(|| {
                    let kind = audit_core::TextKind::from_path(Path::new(&path));
                    kind.is_some_and(|kind| self.plan.reads_text_file(kind))
                        .then_some(audit_core::Language::Text)
                })?;
                Some(analyze::analyze_source(
                    &self.plan,
                    &self.settings,
                    Arc::from(path),
                    bytes,
                    language,
                ))
            })
            .collect();
        finish(
            &self.plan,
            &self.settings,
            results,
            Vec::new(),
            None,
            services,
            self.threads,
        )
    }
}

fn prepare(
    config: &ConfigFile,
    cli: &CliSelection,
    extra_rules: Option<&Path>,
) -> Result<(Plan, Settings), ScanError> {
    let rules = load_rules(extra_rules)?;
    let settings = Settings::resolve(config, cli, &rules).map_err(|e| ScanError(e.to_string()))?;
    let plan = Plan::compile(rules, |rule| settings.rule(rule).enabled)
        .map_err(|e| ScanError(e.to_string()))?;
    Ok((plan, settings))
}

/// Merges per-file results, runs the project phase, then applies settings, suppressions,
/// fingerprints and the deterministic order.
fn finish(
    plan: &Plan,
    settings: &Settings,
    results: Vec<analyze::FileResult>,
    mut notes: Vec<Note>,
    only: Option<&[String]>,
    services: Vec<String>,
    threads: usize,
) -> ScanOutput {
    // Sorted by index: a `FileResult` is large, and moving each one log(n) times cost
    // more than the sort's comparisons.
    let mut order: Vec<usize> = (0..results.len()).collect();
    order.sort_by(|&a, &b| results[a].path.cmp(&results[b].path));
    let mut slots: Vec<Option<analyze::FileResult>> = results.into_iter().map(Some).collect();
    let file_count = order.len();
    let results = order.into_iter().filter_map(|i| slots[i].take());

    let mut summary = ScanSummary::default();
    let mut findings: Vec<Finding> = Vec::new();
    let mut suppressions = HashMap::new();
    let mut facts = facts::ProjectFacts::default();
    facts.set_services(services);
    facts.files.reserve_exact(file_count);
    for result in results {
        if result.text_only {
            summary.text_files_scanned += usize::from(result.scanned);
        } else {
            summary.files_scanned += usize::from(result.scanned);
        }
        summary.files_skipped += usize::from(!result.scanned);
        summary.parse_errors += usize::from(result.parse_failed);
        summary.files_partly_parsed += usize::from(result.scanned && result.partly_parsed);
        summary.bytes_scanned += result.bytes;
        findings.extend(result.findings);
        notes.extend(result.notes);
        if !result.suppressions.is_empty() {
            suppressions.insert(result.path.clone(), result.suppressions);
        }
        facts.files.push((result.path, result.facts));
    }
    // Emptied by now, but as large as the walk's results: freed before the project
    // phase, which is when the scan peaks.
    drop(slots);
    facts.resolve_sqitch();
    let (project, routes) = project::run(plan, &mut facts, threads);
    findings.extend(project.findings);
    notes.extend(project.notes);

    let reported = |path: &str| match only {
        None => true,
        Some(only) => only.iter().any(|o| {
            o == path || (o.ends_with('/') && path.starts_with(o.as_str())) || o.is_empty()
        }),
    };
    findings.retain(|f| {
        reported(&f.location.path) && !settings.is_ignored_at(&f.rule, &f.location.path)
    });
    notes.retain(|n| n.path.as_deref().is_none_or(&reported));
    findings.sort_by(|a, b| {
        (&a.location.path, a.location.start, &a.rule, a.location.span).cmp(&(
            &b.location.path,
            b.location.start,
            &b.rule,
            b.location.span,
        ))
    });

    let by_id: HashMap<&str, RuleIdx> = RuleIdx::all(&plan.rules)
        .map(|i| (plan.rules[i].id().as_str(), i))
        .collect();
    let mut used: HashMap<(Arc<str>, usize), bool> = HashMap::new();
    let mut occurrences: HashMap<(String, Arc<str>, String), usize> = HashMap::new();
    let mut diagnostics = Vec::with_capacity(findings.len());
    for finding in findings {
        let index = by_id[finding.rule.as_str()];
        let rule = &plan.rules[index];
        let mut severity = settings.rule(index).severity;
        if finding.lowered {
            severity = severity.lower();
        }
        if rule.meta.tests != TestCode::Report && is_test_path(&finding.location.path) {
            match rule.meta.tests {
                TestCode::Skip => continue,
                _ => severity = severity.lower(),
            }
        }
        let code = finding
            .location
            .context
            .text
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let occurrence = occurrences
            .entry((
                finding.rule.0.clone(),
                finding.location.path.clone(),
                code.clone(),
            ))
            .or_insert(0);
        let print = fingerprint(&finding.rule, &finding.location.path, &code, *occurrence);
        *occurrence += 1;
        let suppressed = suppressions.get(&finding.location.path).and_then(
            |list: &Vec<suppress::Suppression>| {
                let (i, s) = list
                    .iter()
                    .enumerate()
                    .find(|(_, s)| s.covers(finding.rule.as_str(), finding.location.start.line))?;
                used.insert((finding.location.path.clone(), i), true);
                Some(Suppressed {
                    reason: s.reason.clone(),
                    line: s.line,
                })
            },
        );
        diagnostics.push(Diagnostic {
            rule: finding.rule,
            rule_name: rule.meta.name.clone(),
            severity,
            confidence: finding.confidence.unwrap_or(rule.meta.confidence),
            location: finding.location,
            message: finding.message,
            fingerprint: print,
            suppressed,
            flow: finding.flow,
            related: finding.related,
        });
    }

    for (path, list) in &suppressions {
        if !reported(path) {
            continue;
        }
        for (i, s) in list.iter().enumerate() {
            if used.contains_key(&(path.clone(), i)) {
                continue;
            }
            let known = s
                .rules
                .iter()
                .all(|r| by_id.keys().any(|id| id.starts_with(r.as_str())));
            let message = if known {
                format!(
                    "suppression of {} suppresses nothing; remove it",
                    s.rules.join(", ")
                )
            } else {
                format!(
                    "suppression names an unknown rule ({}); see `backend-audit rules`",
                    s.rules.join(", ")
                )
            };
            notes.push(Note {
                path: Some(path.to_string()),
                line: Some(s.line),
                kind: NoteKind::UnusedSuppression,
                message,
            });
        }
    }
    notes.sort();

    let rules = RuleIdx::all(&plan.rules)
        .filter(|&i| settings.rule(i).enabled)
        .map(|i| plan.rules[i].meta.clone())
        .collect();
    ScanOutput {
        diagnostics,
        notes,
        summary,
        rules,
        fail_on: settings.fail_on,
        routes,
        kept: facts,
    }
}
