//! `--diff-base REF`: the lines changed since REF, read from git. Findings elsewhere are
//! not reported; the whole repository is still analysed, so project-level rules keep
//! their facts. Git runs read-only (no optional locks and no automatic index refresh, so
//! not even the index's stat cache is written) with the repository's hooks, fsmonitor,
//! external diff drivers and text conversions turned off, since the scanned repository
//! may be hostile.

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Stdio};

use audit_core::{Note, NoteKind};
use audit_engine::ScanOutput;

/// Root-relative path -> changed lines of the current file.
pub struct ChangedLines {
    files: HashMap<String, Change>,
}

enum Change {
    /// Untracked: every line is new.
    All,
    /// Inclusive 1-based line ranges of the current file.
    Lines(Vec<(u32, u32)>),
}

impl ChangedLines {
    /// Lines changed between the merge base of `reference` and HEAD and the working tree,
    /// plus untracked files. The merge base, not `reference` itself, so commits that
    /// landed on a base branch after a pull request forked from it do not count as the
    /// pull request's changes. Paths are relative to `root`, which may be a folder
    /// inside the repository.
    pub fn since(root: &Path, reference: &str) -> Result<ChangedLines, String> {
        if reference.starts_with('-') {
            return Err(format!("--diff-base {reference}: not a git revision"));
        }
        git(root, &["rev-parse", "--git-dir"]).read().map_err(|e| {
            format!(
                "--diff-base needs a git repository at {}: {e}",
                root.display()
            )
        })?;
        let commit = git(root, &["rev-parse", "--verify", "--quiet"])
            .arg(format!("{reference}^{{commit}}"))
            .read()
            .map_err(|_| {
                format!(
                    "--diff-base {reference}: no such commit (a shallow clone may lack it: fetch it, e.g. with actions/checkout's fetch-depth: 0)"
                )
            })?;
        let commit = commit.trim();
        let base = git(root, &["merge-base", commit, "HEAD"])
            .read()
            .map_err(|e| format!("--diff-base {reference}: no merge base with HEAD ({e})"))?;
        let diff = git(
            root,
            &[
                "diff",
                "--no-ext-diff",
                "--no-textconv",
                "--no-color",
                "--unified=0",
                "-M",
                "--relative",
                "--src-prefix=a/",
                "--dst-prefix=b/",
                base.trim(),
                "--",
            ],
        )
        .read()
        .map_err(|e| format!("--diff-base {reference}: {e}"))?;
        let untracked = git(root, &["ls-files", "-z", "--others", "--exclude-standard"])
            .read()
            .map_err(|e| format!("--diff-base {reference}: {e}"))?;

        let mut files = parse_diff(diff.as_bytes());
        for path in untracked.split('\0').filter(|p| !p.is_empty()) {
            files.insert(path.to_string(), Change::All);
        }
        Ok(ChangedLines { files })
    }

    /// Keeps the findings that touch a changed line and the notes about changed files,
    /// and says in a note how many findings were left out.
    pub fn retain_changed(&self, result: &mut ScanOutput, reference: &str) {
        let before = result.diagnostics.len();
        result.diagnostics.retain(|d| {
            let at = &d.location;
            self.touches(&at.path, at.start.line, at.end.line)
        });
        result
            .notes
            .retain(|n| n.path.as_deref().is_none_or(|p| self.has_file(p)));
        let unchanged = before - result.diagnostics.len();
        if unchanged > 0 {
            result.notes.push(Note {
                path: None,
                line: None,
                kind: NoteKind::DiffBase,
                message: format!(
                    "{unchanged} finding{} on lines not changed since {reference} not reported",
                    if unchanged == 1 { "" } else { "s" }
                ),
            });
            result.notes.sort();
        }
    }

    /// Whether any of the lines `first..=last` of `path` changed.
    pub fn touches(&self, path: &str, first: u32, last: u32) -> bool {
        match self.files.get(path) {
            None => false,
            Some(Change::All) => true,
            Some(Change::Lines(ranges)) => ranges.iter().any(|&(a, b)| a <= last && first <= b),
        }
    }

    /// Whether `path` has any change at all.
    pub fn has_file(&self, path: &str) -> bool {
        self.files.contains_key(path)
    }
}

struct Git(Command);

/// `git -C root` with everything a hostile repository could use to run a program or
/// make git write turned off.
fn git(root: &Path, args: &[&str]) -> Git {
    let mut command = Command::new("git");
    command
        .arg("-C")
        .arg(root)
        .args([
            "--no-optional-locks",
            "-c",
            "core.fsmonitor=false",
            "-c",
            "core.hooksPath=/dev/null",
            "-c",
            "diff.external=",
            "-c",
            "core.quotePath=false",
            // `git diff` refreshes the index's stat cache even without optional locks.
            "-c",
            "diff.autoRefreshIndex=false",
        ])
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env_remove("GIT_EXTERNAL_DIFF")
        .stdin(Stdio::null());
    Git(command)
}

impl Git {
    fn arg(mut self, arg: String) -> Git {
        self.0.arg(arg);
        self
    }

    /// Standard output, or git's own message on failure.
    fn read(mut self) -> Result<String, String> {
        let output = self
            .0
            .output()
            .map_err(|e| format!("cannot run git: {e}"))?;
        if output.status.success() {
            // Paths that are not UTF-8 cannot match a scanned path, which is UTF-8.
            Ok(String::from_utf8_lossy(&output.stdout).into_owned())
        } else {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let message = stderr.trim();
            Err(if message.is_empty() {
                format!("git failed ({})", output.status)
            } else {
                message.to_string()
            })
        }
    }
}

/// Changed line ranges per new path from `git diff --unified=0` output. Hunks are read
/// by their counts, so an added line that looks like a header (`+++ b/x`) stays content.
fn parse_diff(diff: &[u8]) -> HashMap<String, Change> {
    let mut files: HashMap<String, Change> = HashMap::new();
    let mut path: Option<String> = None;
    let (mut old_left, mut new_left) = (0u32, 0u32);
    for line in diff.split(|&b| b == b'\n') {
        if old_left > 0 || new_left > 0 {
            match line.first() {
                Some(b'-') => old_left = old_left.saturating_sub(1),
                Some(b'+') => new_left = new_left.saturating_sub(1),
                _ => {}
            }
            continue;
        }
        if line.starts_with(b"diff --git ") {
            path = None;
        } else if let Some(name) = line.strip_prefix(b"+++ ") {
            path = header_path(name);
        } else if line.starts_with(b"@@ ")
            && let Some((old, new)) = hunk_counts(line)
        {
            (old_left, new_left) = (old.1, new.1);
            if let Some(path) = &path
                && new.1 > 0
            {
                let range = (new.0, new.0 + new.1 - 1);
                match files
                    .entry(path.clone())
                    .or_insert_with(|| Change::Lines(Vec::new()))
                {
                    Change::Lines(ranges) => ranges.push(range),
                    Change::All => {}
                }
            }
        }
    }
    files
}

/// The path of a `+++ ` header: `b/NAME`, `"b/QUOTED"` or `/dev/null` (deleted).
fn header_path(name: &[u8]) -> Option<String> {
    let bytes = if name.first() == Some(&b'"') {
        unquote(&name[1..])?
    } else {
        // Git ends a name containing a space with a tab, for patch(1).
        let name = name.strip_suffix(b"\t").unwrap_or(name);
        name.to_vec()
    };
    let path = bytes.strip_prefix(b"b/")?;
    Some(String::from_utf8_lossy(path).into_owned())
}

/// A C-style quoted name as git writes it, after the opening quote.
fn unquote(quoted: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(quoted.len());
    let mut bytes = quoted.iter().copied();
    while let Some(b) = bytes.next() {
        match b {
            b'"' => return Some(out),
            b'\\' => {
                let escaped = bytes.next()?;
                out.push(match escaped {
                    b'a' => 0x07,
                    b'b' => 0x08,
                    b't' => b'\t',
                    b'n' => b'\n',
                    b'v' => 0x0b,
                    b'f' => 0x0c,
                    b'r' => b'\r',
                    b'0'..=b'3' => {
                        let mut value = escaped - b'0';
                        for _ in 0..2 {
                            let digit = bytes.next().filter(|d| (b'0'..=b'7').contains(d))?;
                            value = value * 8 + (digit - b'0');
                        }
                        value
                    }
                    other => other,
                });
            }
            _ => out.push(b),
        }
    }
    None
}

/// `@@ -a[,b] +c[,d] @@` -> ((a, b), (c, d)); an omitted count is 1.
fn hunk_counts(line: &[u8]) -> Option<((u32, u32), (u32, u32))> {
    let line = std::str::from_utf8(line).ok()?;
    let mut words = line.split(' ').skip(1);
    let old = range(words.next()?.strip_prefix('-')?)?;
    let new = range(words.next()?.strip_prefix('+')?)?;
    Some((old, new))
}

fn range(spec: &str) -> Option<(u32, u32)> {
    match spec.split_once(',') {
        Some((start, count)) => Some((start.parse().ok()?, count.parse().ok()?)),
        None => Some((spec.parse().ok()?, 1)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ranges(files: &HashMap<String, Change>, path: &str) -> Vec<(u32, u32)> {
        match files.get(path) {
            Some(Change::Lines(r)) => r.clone(),
            _ => panic!("{path} has no line changes"),
        }
    }

    #[test]
    fn hunks_become_ranges_of_the_new_file() {
        let diff = b"diff --git a/app.py b/app.py\n\
index 1..2 100644\n\
--- a/app.py\n\
+++ b/app.py\n\
@@ -3,0 +4,2 @@ def f():\n\
+x = 1\n\
+y = 2\n\
@@ -10 +12 @@\n\
-old\n\
+new\n\
@@ -20,3 +21,0 @@\n\
-a\n\
-b\n\
-c\n\
diff --git a/gone.py b/gone.py\n\
deleted file mode 100644\n\
--- a/gone.py\n\
+++ /dev/null\n\
@@ -1 +0,0 @@\n\
-x\n";
        let files = parse_diff(diff);
        assert_eq!(ranges(&files, "app.py"), vec![(4, 5), (12, 12)]);
        assert!(!files.contains_key("gone.py"));
    }

    #[test]
    fn content_that_looks_like_a_header_is_content() {
        let diff = b"diff --git a/a.py b/a.py\n\
--- a/a.py\n\
+++ b/a.py\n\
@@ -0,0 +1,3 @@\n\
+++ b/other.py\n\
+@@ -1 +1 @@\n\
+diff --git a/x b/x\n";
        let files = parse_diff(diff);
        assert_eq!(ranges(&files, "a.py"), vec![(1, 3)]);
        assert_eq!(files.len(), 1);
    }

    #[test]
    fn quoted_and_spaced_names() {
        assert_eq!(
            header_path(b"\"b/caf\\303\\251 \\\"x\\\".py\"").as_deref(),
            Some("café \"x\".py")
        );
        assert_eq!(
            header_path(b"b/with space.py\t").as_deref(),
            Some("with space.py")
        );
        assert_eq!(header_path(b"/dev/null"), None);
        assert_eq!(unquote(b"unterminated"), None);
    }

    #[test]
    fn touches_overlapping_lines_only() {
        let changed = ChangedLines {
            files: HashMap::from([
                ("a.py".to_string(), Change::Lines(vec![(4, 5)])),
                ("new.py".to_string(), Change::All),
            ]),
        };
        assert!(changed.touches("a.py", 5, 9));
        assert!(changed.touches("a.py", 1, 4));
        assert!(!changed.touches("a.py", 6, 9));
        assert!(!changed.touches("b.py", 1, 100));
        assert!(changed.touches("new.py", 7, 7));
        assert!(changed.has_file("a.py") && !changed.has_file("b.py"));
    }
}
