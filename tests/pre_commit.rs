//! The pre-commit hook (.pre-commit-hooks.yaml) run by the real `pre-commit` from PyPI:
//! in a temporary repository, a staged bad file fails the commit check with the finding,
//! and the fixed file passes. The staged files alone are passed, yet the repository's
//! backend-audit.toml and the facts of files not passed (API004's helmet import) apply.
//!
//! pre-commit installs the hook with `cargo install --path .` from a clone of a hook
//! repository. That repository is a copy of this working tree (uncommitted changes
//! included) committed with fixed dates, so an unchanged tree keeps the same commit and
//! pre-commit reuses the installed hook; PRE_COMMIT_HOME and cargo's target folder live
//! under target/ so a changed tree rebuilds only this workspace's crates. The release
//! profile is turned down to a quick build: the hook's behaviour does not depend on it.
//!
//! Without `pre-commit` on PATH the test passes unchecked after a `skipped ...: pre-commit
//! not found` line on stderr, which `cargo test` shows; with BACKEND_AUDIT_REQUIRE_TOOLS=1
//! (as `.ci/run` sets) it fails instead.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BAD: &str = "import requests\nimport subprocess\n\n\ndef fetch(url, name):\n    subprocess.run(\"ls \" + name, shell=True)\n    return requests.get(url, verify=False, timeout=5)\n";

/// `pre-commit --version`, or None when it is not installed.
fn pre_commit_version() -> Option<String> {
    let output = Command::new("pre-commit").arg("--version").output().ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_string())
}

/// This working tree (what .gitignore keeps out excepted) as a one-commit repository at
/// `dir`; returns the commit.
fn hook_repository(source: &Path, dir: &Path) -> String {
    if dir.exists() {
        std::fs::remove_dir_all(dir).unwrap();
    }
    for entry in ignore::WalkBuilder::new(source)
        .hidden(false)
        .filter_entry(|e| e.file_name() != ".git")
        .build()
        .flatten()
    {
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let rel = entry.path().strip_prefix(source).unwrap();
        let to = dir.join(rel);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(entry.path(), &to).unwrap();
    }
    common::git(dir, &["init", "-q", "-b", "main"]);
    common::git(dir, &["add", "-A"]);
    common::git(dir, &["commit", "-q", "-m", "backend-audit hooks"]);
    common::git(dir, &["rev-parse", "HEAD"]).trim().to_string()
}

fn pre_commit(repo: &Path, cache: &Path) -> Output {
    Command::new("pre-commit")
        .args(["run", "--color", "never"])
        .current_dir(repo)
        .env("PRE_COMMIT_HOME", cache.join("home"))
        .env("CARGO_TARGET_DIR", cache.join("cargo-target"))
        .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0")
        .env("CARGO_PROFILE_RELEASE_LTO", "false")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "256")
        .env("CARGO_PROFILE_RELEASE_DEBUG", "false")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env_remove("SKIP")
        .output()
        .expect("pre-commit runs")
}

#[test]
fn hook_fails_on_a_staged_finding_and_passes_once_fixed() {
    let Some(version) = pre_commit_version() else {
        common::skip_without_tool(
            "pre-commit",
            "on PATH",
            "install it (`pip install pre-commit==4.7.0`) or run .ci/run",
        );
        return;
    };
    eprintln!("using {version}");
    let source = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let cache = source.join("target/pre-commit");
    let rev = hook_repository(&source, &cache.join("hook-repo"));

    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path();
    common::git(repo, &["init", "-q", "-b", "main"]);
    common::write(
        repo,
        ".pre-commit-config.yaml",
        &format!(
            "repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n      - id: backend-audit\n",
            cache.join("hook-repo").display()
        ),
    );
    common::write(repo, "backend-audit.toml", "ignore = [\"SEC003\"]\n");
    common::write(
        repo,
        "src/security.ts",
        "import helmet from \"helmet\";\nexport const headers = helmet();\n",
    );
    common::git(repo, &["add", "-A"]);
    common::git(repo, &["commit", "-q", "-m", "setup"]);

    // Staged: a file with SEC010 (and SEC003, ignored by the config) and a new Express
    // app, which API004 would report if helmet's import in src/security.ts were unseen.
    common::write(repo, "app/client.py", BAD);
    common::write(
        repo,
        "src/server.ts",
        "import express from \"express\";\n\nconst app = express();\napp.get(\"/health\", (req, res) => res.send(\"ok\"));\n",
    );
    common::git(repo, &["add", "app/client.py", "src/server.ts"]);
    let output = pre_commit(repo, &cache);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(1),
        "stdout: {stdout}\nstderr: {stderr}"
    );
    assert!(
        stdout.contains("backend-audit") && stdout.contains("Failed"),
        "{stdout}"
    );
    assert!(
        stdout.contains("SEC010") && stdout.contains("app/client.py"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("SEC003"),
        "the config is ignored: {stdout}"
    );
    assert!(
        !stdout.contains("API004"),
        "project facts are missing: {stdout}"
    );

    common::write(
        repo,
        "app/client.py",
        &BAD.replace("verify=False", "verify=True"),
    );
    common::git(repo, &["add", "app/client.py"]);
    let output = pre_commit(repo, &cache);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "stdout: {stdout}\nstderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("Passed"), "{stdout}");
}
