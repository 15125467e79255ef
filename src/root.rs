//! Which folder is the repository root, and which of its files the user asked about.

use std::path::{Path, PathBuf};

pub struct Target {
    pub root: PathBuf,
    /// Root-relative files (and folders, ending in `/`) to report on; `None`: everything.
    pub only: Option<Vec<String>>,
}

/// One folder is scanned as the root. Files (or several paths) are reported inside the
/// repository that holds the current folder (nearest `backend-audit.toml` or `.git`),
/// which is analysed whole so project-level rules keep their facts.
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
        }),
        [dir] if dir.is_dir() => Ok(Target {
            root: dir.clone(),
            only: None,
        }),
        _ => {
            let cwd = std::env::current_dir()
                .map_err(|e| format!("cannot read the current folder: {e}"))?;
            let root = repository_root(&cwd);
            let mut only = Vec::new();
            for path in paths {
                let absolute =
                    std::path::absolute(path).map_err(|e| format!("{}: {e}", path.display()))?;
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
            })
        }
    }
}

fn repository_root(start: &Path) -> PathBuf {
    start
        .ancestors()
        .find(|dir| {
            dir.join(audit_engine::settings::CONFIG_FILE_NAME).is_file()
                || dir.join(".git").exists()
        })
        .unwrap_or(start)
        .to_path_buf()
}
