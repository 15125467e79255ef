//! The parallel walk: `ignore`'s walker does the per-file work inside its visitor.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use audit_core::{Language, Note, NoteKind, TextKind};
use ignore::{WalkBuilder, WalkState};

use crate::ScanRequest;
use crate::analyze::{FileResult, analyze_file};
use crate::plan::Plan;
use crate::settings::Settings;

/// Walks the request's root, or only its `walk_only` paths (honouring .gitignore, .ignore and `exclude`, never following links) and
/// analyses each file of a known language. Results come back in no particular order;
/// `progress` counts the files analysed so far. `language` restricts the scan to one
/// language and `stage` stops each file's pass early: both exist for the benchmark.
pub fn walk(request: &ScanRequest, plan: &Plan, settings: &Settings) -> Walked {
    let root = request.root.as_path();
    let (threads, progress) = (request.threads.max(1), request.progress.as_deref());
    let (only, stage) = (request.language, request.stage);
    let reads_text = plan.reads_text_files();
    let results = Mutex::new(Vec::new());
    let notes = Mutex::new(Vec::new());
    let not_analysed = Mutex::new(BTreeMap::new());
    let manifests = Mutex::new(Vec::new());
    let mut builder = match request.walk_only.as_deref() {
        Some([first, rest @ ..]) => {
            let mut builder = WalkBuilder::new(first);
            for path in rest {
                builder.add(path);
            }
            builder
        }
        _ => WalkBuilder::new(root),
    };
    builder
        .follow_links(false)
        .require_git(false)
        // Hidden entries stay out as `ignore` leaves them out by default, except the
        // hidden files text checks read (`.env`, `.npmrc`) and CI folders.
        .hidden(false)
        .filter_entry(move |entry| {
            let hidden = entry
                .file_name()
                .to_str()
                .is_some_and(|n| n.starts_with('.'));
            entry.depth() == 0 || !hidden || (reads_text && read_when_hidden(entry))
        })
        .threads(threads)
        .build_parallel()
        .run(|| {
            let results = &results;
            let notes = &notes;
            let not_analysed = &not_analysed;
            let manifests = &manifests;
            Box::new(move |entry| {
                let entry = match entry {
                    Ok(entry) => entry,
                    Err(error) => {
                        notes.lock().unwrap().push(walk_note(root, &error));
                        return WalkState::Continue;
                    }
                };
                let Some(rel) = relative(root, entry.path()) else {
                    return WalkState::Continue;
                };
                let Some(file_type) = entry.file_type() else {
                    return WalkState::Continue;
                };
                if file_type.is_dir() {
                    // A folder is pruned when everything below it is excluded.
                    let probe = format!("{rel}/_");
                    return if !rel.is_empty() && settings.is_excluded(&probe) {
                        WalkState::Skip
                    } else {
                        WalkState::Continue
                    };
                }
                if let Some(service) = service_folder(&rel) {
                    manifests.lock().unwrap().push(service.to_string());
                }
                let language = match Language::from_path(entry.path()) {
                    Some(language) => language,
                    None => {
                        // Other text files are read only for the text checks (SEC006),
                        // YAML and JSON for OpenAPI specs, Prisma schemas for the
                        // cross-layer checks' models.
                        let kind = TextKind::from_path(entry.path());
                        let modelled = kind == Some(TextKind::Prisma)
                            && plan.reads_text_file(TextKind::Prisma);
                        // Said in the summary, so lost coverage is never invisible.
                        if let Some(name) = Language::unanalysed(entry.path())
                            && only.is_none()
                            && !modelled
                            && !settings.is_excluded(&rel)
                        {
                            *not_analysed.lock().unwrap().entry(name).or_insert(0) += 1;
                        }
                        if !kind.is_some_and(|kind| plan.reads_text_file(kind)) {
                            return WalkState::Continue;
                        }
                        Language::Text
                    }
                };
                if only.is_some_and(|only| only != language) {
                    return WalkState::Continue;
                }
                if settings.is_excluded(&rel) {
                    return WalkState::Continue;
                }
                if file_type.is_symlink() {
                    notes.lock().unwrap().push(Note {
                        path: Some(rel),
                        line: None,
                        kind: NoteKind::Skipped,
                        message: "skipped: symbolic link (links are never followed)".into(),
                    });
                    return WalkState::Continue;
                }
                if !file_type.is_file() {
                    // Opening a FIFO would block the scan, a device could be endless.
                    notes.lock().unwrap().push(Note {
                        path: Some(rel),
                        line: None,
                        kind: NoteKind::Skipped,
                        message: "skipped: not a regular file (FIFO, socket or device)".into(),
                    });
                    return WalkState::Continue;
                }
                let result = analyze_file(
                    plan,
                    settings,
                    entry.path(),
                    Arc::from(rel),
                    language,
                    stage,
                );
                results.lock().unwrap().push(result);
                if let Some(progress) = progress {
                    progress.fetch_add(1, Ordering::Relaxed);
                }
                WalkState::Continue
            })
        });
    Walked {
        results: results.into_inner().unwrap(),
        notes: notes.into_inner().unwrap(),
        not_analysed: not_analysed.into_inner().unwrap(),
        services: manifests.into_inner().unwrap(),
    }
}

/// The folder a package manifest (`package.json`, `pyproject.toml`, `setup.py`,
/// `requirements.txt`) makes a service of, for project rules judged per service.
pub(crate) fn service_folder(rel: &str) -> Option<&str> {
    let (folder, name) = rel.rsplit_once('/').unwrap_or(("", rel));
    matches!(
        name,
        "package.json" | "pyproject.toml" | "setup.py" | "requirements.txt"
    )
    .then_some(folder)
}

/// Hidden files of the text-file class, and the hidden folders of CI configuration.
fn read_when_hidden(entry: &ignore::DirEntry) -> bool {
    if entry.file_type().is_some_and(|t| t.is_dir()) {
        let name = entry.file_name().to_str().unwrap_or("");
        return matches!(name, ".github" | ".circleci" | ".gitlab" | ".devcontainer");
    }
    TextKind::from_path(entry.path()).is_some()
}

/// What the walk found: per-file results in no particular order, notes about the walk,
/// and the count of source files in languages that are not analysed.
pub struct Walked {
    pub results: Vec<FileResult>,
    pub notes: Vec<Note>,
    pub not_analysed: BTreeMap<&'static str, usize>,
    /// Folders holding a package manifest, in no particular order.
    pub services: Vec<String>,
}

/// Path relative to the root with forward slashes; `None` outside the root.
fn relative(root: &Path, path: &Path) -> Option<String> {
    let rel = path.strip_prefix(root).ok()?;
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    Some(parts.join("/"))
}

fn walk_note(root: &Path, error: &ignore::Error) -> Note {
    let path = error_path(error).and_then(|p| relative(root, p));
    Note {
        path,
        line: None,
        kind: NoteKind::Walk,
        message: format!("not scanned: {}", error_message(error)),
    }
}

fn error_path(error: &ignore::Error) -> Option<&Path> {
    match error {
        ignore::Error::WithPath { path, .. } => Some(path),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            error_path(err)
        }
        _ => None,
    }
}

/// The innermost message, without the path the note already carries.
fn error_message(error: &ignore::Error) -> String {
    match error {
        ignore::Error::WithPath { err, .. } | ignore::Error::WithDepth { err, .. } => {
            error_message(err)
        }
        other => other.to_string(),
    }
}
