//! The parallel walk: `ignore`'s walker does the per-file work inside its visitor.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use audit_core::{Language, Note, NoteKind};
use ignore::{WalkBuilder, WalkState};

use crate::analyze::{FileResult, Stage, analyze_file};
use crate::plan::Plan;
use crate::settings::Settings;

/// Walks `root` (honouring .gitignore, .ignore and `exclude`, never following links) and
/// analyses each file of a known language. Results come back in no particular order;
/// `progress` counts the files analysed so far. `only` restricts the scan to one language
/// and `stage` stops each file's pass early: both exist for the benchmark.
pub fn walk(
    root: &Path,
    plan: &Plan,
    settings: &Settings,
    threads: usize,
    progress: Option<&AtomicUsize>,
    only: Option<Language>,
    stage: Stage,
) -> (Vec<FileResult>, Vec<Note>) {
    let results = Mutex::new(Vec::new());
    let notes = Mutex::new(Vec::new());
    WalkBuilder::new(root)
        .follow_links(false)
        .require_git(false)
        .threads(threads)
        .build_parallel()
        .run(|| {
            let results = &results;
            let notes = &notes;
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
                let Some(language) = Language::from_path(entry.path()) else {
                    return WalkState::Continue;
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
    (results.into_inner().unwrap(), notes.into_inner().unwrap())
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
