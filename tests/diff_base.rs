//! `--diff-base REF` end to end on temporary git repositories: only findings on lines
//! changed since the merge base are reported (edited, moved, renamed and untracked code),
//! the whole repository still feeds project-level rules, and git is only read.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const CLIENT: &str =
    "import requests\n\n\ndef fetch(url):\n    return requests.get(url, verify=False, timeout=5)\n";

/// A repository whose first commit holds `files`.
fn repository(files: &[(&str, &str)]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    std::fs::create_dir(&repo).unwrap();
    common::git(&repo, &["init", "-q", "-b", "main"]);
    for (path, text) in files {
        common::write(&repo, path, text);
    }
    common::git(&repo, &["add", "-A"]);
    common::git(&repo, &["commit", "-q", "-m", "first"]);
    (dir, repo)
}

fn run(root: &Path, reference: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_backend-audit"))
        .arg("scan")
        .arg(root)
        .args(["--format", "json"])
        .arg(format!("--diff-base={reference}"))
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("the binary runs")
}

/// (path, line, rule) of the findings reported with `--diff-base reference`.
fn changed_findings(root: &Path, reference: &str) -> (Vec<(String, u64, String)>, Value) {
    let output = run(root, reference);
    let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}", String::from_utf8_lossy(&output.stderr));
    });
    let findings = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["rule_id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    (findings, report)
}

fn sec010(path: &str, line: u64) -> (String, u64, String) {
    (path.to_string(), line, "SEC010".to_string())
}

#[test]
fn only_edited_moved_renamed_and_untracked_changes_are_reported() {
    let (_dir, repo) = repository(&[
        ("app/client.py", CLIENT),
        ("app/my jobs.py", CLIENT),
        ("app/old_name.py", CLIENT),
        ("app/untouched.py", CLIENT),
    ]);
    // Lines inserted above a known finding move it without changing it.
    common::write(
        &repo,
        "app/client.py",
        &CLIENT.replace("def fetch", "TIMEOUT = 5\n\n\ndef fetch"),
    );
    // An edited finding line, in a file whose name has a space.
    common::write(
        &repo,
        "app/my jobs.py",
        &CLIENT.replace(
            "get(url, verify=False, timeout=5)",
            "get(url, timeout=3, verify=False, timeout=5)",
        ),
    );
    // A renamed file keeps its old finding unreported; a finding added to it is new.
    common::git(&repo, &["mv", "app/old_name.py", "app/new_name.py"]);
    common::write(
        &repo,
        "app/new_name.py",
        &format!(
            "{CLIENT}\n\ndef push(url):\n    return requests.post(url, verify=False, timeout=5)\n"
        ),
    );
    // Untracked files are new from the first line to the last. (Unlike old_name.py, or
    // git would take it for the rename once both are committed.)
    common::write(
        &repo,
        "app/fresh.py",
        "import urllib3\n\nhttp = urllib3.PoolManager(cert_reqs=\"CERT_NONE\")\n",
    );

    let (findings, report) = changed_findings(&repo, "HEAD");
    assert_eq!(
        findings,
        [
            sec010("app/fresh.py", 3),
            sec010("app/my jobs.py", 5),
            sec010("app/new_name.py", 9),
        ]
    );
    let notes: Vec<&str> = report["notes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "diff-base")
        .map(|n| n["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        notes,
        ["3 findings on lines not changed since HEAD not reported"]
    );
    assert_eq!(report["summary"]["findings"], 3);

    // Committed, the same changes are found against the previous commit.
    common::git(&repo, &["add", "-A"]);
    common::git(&repo, &["commit", "-q", "-m", "second"]);
    assert_eq!(changed_findings(&repo, "HEAD~1").0, findings);
    assert_eq!(changed_findings(&repo, "HEAD").0, []);
    assert_eq!(run(&repo, "HEAD").status.code(), Some(0));
}

#[test]
fn project_facts_come_from_unchanged_files() {
    // helmet is registered in a committed file, so a new Express app is fine (API004);
    // an unchanged app without helmet elsewhere is not reported either.
    let (_dir, repo) = repository(&[
        (
            "src/security.ts",
            "import helmet from \"helmet\";\nexport const headers = helmet();\n",
        ),
        (
            "legacy/server.js",
            "const express = require(\"express\");\nconst app = express();\n",
        ),
    ]);
    common::write(
        &repo,
        "src/server.ts",
        "import express from \"express\";\n\nconst app = express();\napp.get(\"/health\", (req, res) => res.send(\"ok\"));\n",
    );
    assert_eq!(changed_findings(&repo, "HEAD").0, []);
    common::git(&repo, &["rm", "-q", "src/security.ts"]);
    let (findings, _) = changed_findings(&repo, "HEAD");
    assert_eq!(
        findings.iter().map(|f| f.2.as_str()).collect::<Vec<_>>(),
        ["API004"],
        "{findings:?}"
    );
    assert_eq!(findings[0].0, "src/server.ts");
}

#[test]
fn changes_are_counted_from_the_merge_base() {
    let (_dir, repo) = repository(&[("app/client.py", CLIENT)]);
    common::git(&repo, &["checkout", "-q", "-b", "feature"]);
    common::write(&repo, "app/feature.py", CLIENT);
    common::git(&repo, &["add", "-A"]);
    common::git(&repo, &["commit", "-q", "-m", "feature"]);
    // main fixes its copy after the branch forked; the branch did not touch that line.
    common::git(&repo, &["checkout", "-q", "main"]);
    common::write(
        &repo,
        "app/client.py",
        &CLIENT.replace("verify=False", "verify=True"),
    );
    common::git(&repo, &["commit", "-q", "-am", "fix"]);
    common::git(&repo, &["checkout", "-q", "feature"]);

    assert_eq!(
        changed_findings(&repo, "main").0,
        [sec010("app/feature.py", 5)]
    );
}

#[test]
fn a_folder_inside_the_repository_is_its_own_root() {
    let (_dir, repo) = repository(&[("service/app/client.py", CLIENT), ("other/x.py", CLIENT)]);
    common::write(&repo, "service/app/new.py", CLIENT);
    common::write(&repo, "other/y.py", CLIENT);
    assert_eq!(
        changed_findings(&repo.join("service"), "HEAD").0,
        [sec010("app/new.py", 5)]
    );
}

#[test]
fn git_state_is_left_as_it_was() {
    let (_dir, repo) = repository(&[("app/client.py", CLIENT), ("app/same.py", CLIENT)]);
    common::write(&repo, "app/client.py", &format!("{CLIENT}# edited\n"));
    // Same content, other mtime: a stale stat cache, which `git diff` refreshes (and so
    // rewrites .git/index) unless told not to.
    std::fs::File::options()
        .write(true)
        .open(repo.join("app/same.py"))
        .unwrap()
        .set_modified(std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1 << 30))
        .unwrap();
    let git_dir = repo.join(".git");
    let before = common::snapshot(&git_dir);
    assert_eq!(run(&repo, "HEAD").status.code(), Some(0));
    assert_eq!(common::snapshot(&git_dir), before);
}

#[test]
fn bad_references_and_non_repositories_are_errors() {
    let (_dir, repo) = repository(&[("app/client.py", CLIENT)]);
    for (root, reference, message) in [
        (
            repo.clone(),
            "no-such-branch",
            "--diff-base no-such-branch: no such commit",
        ),
        (repo.clone(), "--output=x", "not a git revision"),
        (
            repo.parent().unwrap().to_path_buf(),
            "HEAD",
            "--diff-base needs a git repository",
        ),
    ] {
        let output = run(&root, reference);
        assert_eq!(output.status.code(), Some(2), "{reference}");
        assert!(output.stdout.is_empty());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(message), "{reference}: {stderr}");
    }
}
