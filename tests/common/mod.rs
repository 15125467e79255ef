//! Shared by the integration tests: reading fixture annotations.
//!
//! Annotations live in comments (`#`, `//`, `--`, `<!--`; in JSON a `"//"` key, as in
//! `"//": "expect: SEC006"`): `expect: ID[, ID]` must be found on
//! that line (or, alone on a line, on the next code line); `ok: ID` must not be;
//! `todo-expect: ID` is a known gap that must stay unfound until promoted to `expect:`.

#![allow(dead_code)] // each test binary uses its own part of this module

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use audit_core::{Language, TextKind};

pub type Key = (String, u32, String);

#[derive(Default)]
pub struct Annotations {
    pub expect: BTreeSet<Key>,
    pub ok: BTreeSet<Key>,
    pub todo: BTreeSet<Key>,
}

pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in ignore::WalkBuilder::new(dir)
        .standard_filters(false)
        .build()
        .flatten()
    {
        if entry.file_type().is_some_and(|t| t.is_file()) {
            files.push(entry.into_path());
        }
    }
    files.sort();
    files
}

/// Reads the annotations of every file below `dir`.
pub fn annotations(dir: &Path) -> Annotations {
    let mut all = Annotations::default();
    for path in files_under(dir) {
        // Text files (SEC006) have their kind's comments; JSON the `"//"` key.
        let leaders = match (Language::from_path(&path), TextKind::from_path(&path)) {
            (Some(language), _) => language.comment_leaders(),
            (None, Some(kind)) => kind.comment_leaders(),
            (None, None) => continue,
        };
        let rel = path
            .strip_prefix(dir)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        // Adversarial fixtures may be binary or invalid UTF-8: they hold no annotations.
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let Some(comment_at) = leaders.iter().filter_map(|l| line.find(l)).min() else {
                continue;
            };
            let comment = &line[comment_at..];
            let own_line = line[..comment_at].trim().is_empty();
            // An annotation alone on its line applies to the next line that is not a comment.
            let target = if own_line {
                let next = (i + 1..lines.len()).find(|&j| {
                    let t = lines[j].trim();
                    !t.is_empty() && !leaders.iter().any(|l| t.starts_with(l))
                });
                match next {
                    Some(j) => j,
                    None => continue,
                }
            } else {
                i
            };
            let words: Vec<&str> = comment
                .split_whitespace()
                .map(|w| w.trim_matches('"'))
                .collect();
            for (w, word) in words.iter().enumerate() {
                let set = match *word {
                    "expect:" => &mut all.expect,
                    "ok:" => &mut all.ok,
                    "todo-expect:" => &mut all.todo,
                    _ => continue,
                };
                for id in words[w + 1..].iter().take_while(|t| !t.ends_with(':')) {
                    let id = id.trim_matches(|c: char| matches!(c, ',' | '*' | '/' | '"'));
                    if id.chars().next().is_some_and(|c| c.is_ascii_uppercase())
                        && id.chars().any(|c| c.is_ascii_digit())
                    {
                        set.insert((rel.clone(), target as u32 + 1, id.to_string()));
                    }
                }
            }
        }
    }
    all
}

/// Copies every file below `from` to the same place below `to`.
pub fn copy_tree(from: &Path, to: &Path) {
    for path in files_under(from) {
        let target = to.join(path.strip_prefix(from).unwrap());
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(&path, &target).unwrap();
    }
}

/// The findings of a JSON report as (path, line, rule), unsuppressed only.
pub fn json_keys(document: &serde_json::Value) -> BTreeSet<Key> {
    document["findings"]
        .as_array()
        .expect("a findings array")
        .iter()
        .filter(|f| f["suppressed"].is_null())
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap() as u32,
                f["rule_id"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Everything a write could change, per entry below `root` (itself included): mode,
/// modification time and content of files, link targets, folder listings.
pub fn snapshot(root: &Path) -> BTreeMap<String, (u32, i64, i64, Vec<u8>)> {
    let mut entries = BTreeMap::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(path) = pending.pop() {
        let meta = std::fs::symlink_metadata(&path).unwrap();
        let content = if meta.is_file() {
            std::fs::read(&path).unwrap()
        } else if meta.file_type().is_symlink() {
            std::fs::read_link(&path)
                .unwrap()
                .into_os_string()
                .into_encoded_bytes()
        } else {
            let mut names: Vec<_> = std::fs::read_dir(&path)
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
            names.sort();
            let listing = names
                .iter()
                .map(|p| p.to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("\n");
            pending.extend(names);
            listing.into_bytes()
        };
        let rel = path
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        entries.insert(rel, (meta.mode(), meta.mtime(), meta.mtime_nsec(), content));
    }
    entries
}

/// git with a fixed identity and dates, and none of the machine's or user's config.
pub fn git_command(dir: &Path) -> Command {
    let mut command = Command::new("git");
    command
        .arg("-C")
        .arg(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z");
    command
}

pub fn git(dir: &Path, args: &[&str]) -> String {
    let output = git_command(dir).args(args).output().expect("git runs");
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

pub fn write(dir: &Path, path: &str, text: &str) {
    let path = dir.join(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A custom `--rules` rule (ORG001, JavaScript `console.log`) in `domain`; `message` is
/// TOML-escaped into its message template.
pub fn console_log_rule(domain: &str, message: &str) -> String {
    let message = message.replace('\\', "\\\\").replace('"', "\\\"");
    RULE_TEMPLATE
        .replace("{domain}", domain)
        .replace("{message}", &message)
}

const RULE_TEMPLATE: &str = r#"
id = "ORG001"
name = "no-console-log"
domain = "{domain}"
severity = "low"
confidence = "high"
languages = ["javascript"]
message = "{message}"

[docs]
summary = "console.log in server code."
why = "Unstructured logs are lost."
bad = "console.log(x);"
good = "logger.info(x);"
fix = "Use the logger."
example_file = "a.js"

[references]
standard = "Monitoring & Observability"

[query]
javascript = '''
(call_expression
  function: (member_expression object: (identifier) @_o property: (property_identifier) @_p)
  (#eq? @_o "console") (#eq? @_p "log")) @report
'''
"#;

/// Called by a test whose outside tool (`tool`, looked for as `looked`) is missing, before it
/// returns early. With BACKEND_AUDIT_REQUIRE_TOOLS=1 (as `.ci/run` sets) it fails the test
/// instead. Otherwise the test will pass without having checked anything, so it says so:
/// `skipped <test>: <tool> not found <looked>; <how>` on stderr. libtest swallows a passing
/// test's `eprintln!`, but not a direct write to stderr, which `cargo test` always shows.
pub fn skip_without_tool(tool: &str, looked: &str, how: &str) {
    use std::io::Write as _;
    let message = format!("{tool} not found {looked}; {how}");
    if std::env::var_os("BACKEND_AUDIT_REQUIRE_TOOLS").is_some_and(|v| v == "1") {
        panic!("{message} (BACKEND_AUDIT_REQUIRE_TOOLS=1: the test may not be skipped)");
    }
    let test = std::thread::current()
        .name()
        .unwrap_or("a test")
        .to_string();
    let _ = writeln!(std::io::stderr(), "skipped {test}: {message}");
}
