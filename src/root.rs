//! Which folder is the repository root, and which of its files the user asked about.

use std::path::{Path, PathBuf};

pub struct Target {
    pub root: PathBuf,
    /// Root-relative files (and folders, ending in `/`) to report on; `None`: everything.
    pub only: Option<Vec<String>>,
    /// When set, only these paths are read instead of the whole root: files that belong
    /// to no repository are analysed on their own, never with their neighbours.
    pub walk_only: Option<Vec<PathBuf>>,
}

/// One folder is scanned as the root. Files (or several paths) are reported inside the
/// repository that holds them (nearest `backend-audit.toml` or `.git` above each path),
/// which is analysed whole so project-level rules keep their facts. Paths that belong to
/// no repository are analysed alone.
pub fn resolve(paths: &[PathBuf]) -> Result<Target, String> {
    for path in paths {
        if std::fs::symlink_metadata(path).is_err() {
            return Err(format!("{}: no such file or folder", path.display()));
        }
    }
    match paths {
        [] => Ok(Target {
            root: PathBuf::from("."),
            only: None,
            walk_only: None,
        }),
        [dir] if dir.is_dir() => Ok(Target {
            root: dir.clone(),
            only: None,
            walk_only: None,
        }),
        _ => {
            let mut absolute = Vec::with_capacity(paths.len());
            for path in paths {
                absolute.push(
                    std::path::absolute(path).map_err(|e| format!("{}: {e}", path.display()))?,
                );
            }
            let roots: Vec<Option<PathBuf>> = absolute.iter().map(|p| repository_root(p)).collect();
            let (root, walk_only) = match roots.first().cloned().flatten() {
                Some(root) => {
                    if let Some(i) = roots.iter().position(|r| r.as_ref() != Some(&root)) {
                        return Err(format!(
                            "{} and {} are not in the same repository; scan them separately",
                            paths[0].display(),
                            paths[i].display()
                        ));
                    }
                    (root, None)
                }
                None => {
                    if let Some(i) = roots.iter().position(Option::is_some) {
                        return Err(format!(
                            "{} is in a repository and {} is not; scan them separately",
                            paths[i].display(),
                            paths[0].display()
                        ));
                    }
                    (common_folder(&absolute), Some(absolute.clone()))
                }
            };
            let mut only = Vec::new();
            for (path, absolute) in paths.iter().zip(&absolute) {
                let rel = absolute.strip_prefix(&root).map_err(|_| {
                    format!(
                        "{} is outside the repository root {}",
                        path.display(),
                        root.display()
                    )
                })?;
                let mut rel = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                if absolute.is_dir() && !rel.is_empty() {
                    rel.push('/');
                }
                only.push(rel);
            }
            Ok(Target {
                root,
                only: Some(only),
                walk_only,
            })
        }
    }
}

/// The nearest folder at or above `path` holding `backend-audit.toml` or `.git`.
fn repository_root(path: &Path) -> Option<PathBuf> {
    let start = if path.is_dir() { path } else { path.parent()? };
    start
        .ancestors()
        .find(|dir| {
            dir.join(audit_engine::settings::CONFIG_FILE_NAME).is_file()
                || dir.join(".git").exists()
        })
        .map(Path::to_path_buf)
}

/// The deepest folder holding every path (a file's own folder when it is alone).
fn common_folder(paths: &[PathBuf]) -> PathBuf {
    let folder = |p: &PathBuf| {
        if p.is_dir() {
            p.clone()
        } else {
            p.parent().map_or_else(|| p.clone(), Path::to_path_buf)
        }
    };
    let mut common = folder(&paths[0]);
    for path in &paths[1..] {
        while !path.starts_with(&common) {
            if !common.pop() {
                break;
            }
        }
    }
    common
}
