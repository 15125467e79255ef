//! `--baseline` and `--write-baseline` end to end: findings are matched by fingerprint,
//! so they survive moved lines, an edited finding comes back, and a renamed or copied
//! file does not hide its findings.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const CLIENT: &str =
    "import requests\n\n\ndef fetch(url):\n    return requests.get(url, verify=False, timeout=5)\n";

/// `backend-audit scan ROOT ARGS...`
fn run(root: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_backend-audit"))
        .arg("scan")
        .arg(root)
        .args(args)
        .output()
        .expect("the binary runs")
}

/// `scan ROOT --format json` plus `extra`; the parsed report and the exit code.
fn scan(root: &Path, extra: &[&str]) -> (Value, Option<i32>) {
    let output = run(root, &[&["--format", "json"], extra].concat());
    let report = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (report, output.status.code())
}

/// (path, line, rule) of the reported findings.
fn findings(report: &Value) -> Vec<(String, u64, String)> {
    report["findings"]
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
        .collect()
}

fn notes_of_kind(report: &Value, kind: &str) -> Vec<String> {
    report["notes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == kind)
        .map(|n| n["message"].as_str().unwrap().to_string())
        .collect()
}

struct Fixture {
    _dir: tempfile::TempDir,
    repo: PathBuf,
    baseline: PathBuf,
}

/// A repository holding `app/client.py` with one SEC010 finding, and its baseline
/// written beside it (outside the repository).
fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    std::fs::create_dir_all(repo.join("app")).unwrap();
    std::fs::write(repo.join("app/client.py"), CLIENT).unwrap();
    let baseline = dir.path().join("baseline.json");
    let (report, code) = scan(&repo, &["--write-baseline", baseline.to_str().unwrap()]);
    assert_eq!(code, Some(1), "the baseline run still reports and fails");
    assert_eq!(
        findings(&report),
        [("app/client.py".to_string(), 5, "SEC010".to_string())]
    );
    let written: Value = serde_json::from_slice(&std::fs::read(&baseline).unwrap()).unwrap();
    assert_eq!(
        written["findings"], report["findings"],
        "the baseline is the JSON report"
    );
    Fixture {
        _dir: dir,
        repo,
        baseline,
    }
}

#[test]
fn moved_lines_stay_baselined_and_do_not_fail() {
    let f = fixture();
    let moved = CLIENT.replace(
        "def fetch",
        "TIMEOUT = 5\nRETRIES = 3\n\n\ndef ping():\n    return None\n\n\ndef fetch",
    );
    std::fs::write(f.repo.join("app/client.py"), moved).unwrap();
    let (report, code) = scan(&f.repo, &["--baseline", f.baseline.to_str().unwrap()]);
    assert_eq!(findings(&report), []);
    assert_eq!(code, Some(0), "baselined findings do not fail the scan");
    assert_eq!(report["summary"]["findings"], 0);
    let notes = notes_of_kind(&report, "baseline");
    assert_eq!(notes.len(), 1);
    assert!(
        notes[0].starts_with("1 finding in the baseline"),
        "{notes:?}"
    );
}

#[test]
fn edited_and_new_findings_are_reported() {
    let f = fixture();
    // The known line edited, and a new finding added below it.
    let edited = CLIENT.replace(
        "get(url, verify=False, timeout=5)",
        "get(url, timeout=3, verify=False, timeout=5)",
    ) + "\n\ndef push(url):\n    return requests.post(url, verify=False, timeout=5)\n";
    std::fs::write(f.repo.join("app/client.py"), edited).unwrap();
    let (report, code) = scan(&f.repo, &["--baseline", f.baseline.to_str().unwrap()]);
    assert_eq!(code, Some(1));
    assert_eq!(
        findings(&report),
        [
            ("app/client.py".to_string(), 5, "SEC010".to_string()),
            ("app/client.py".to_string(), 9, "SEC010".to_string()),
        ]
    );
    assert_eq!(notes_of_kind(&report, "baseline"), Vec::<String>::new());
}

#[test]
fn a_second_identical_finding_is_new() {
    let f = fixture();
    let twice = format!(
        "{CLIENT}\n\ndef fetch_again(url):\n    return requests.get(url, verify=False, timeout=5)\n"
    );
    std::fs::write(f.repo.join("app/client.py"), twice).unwrap();
    let (report, code) = scan(&f.repo, &["--baseline", f.baseline.to_str().unwrap()]);
    assert_eq!(code, Some(1));
    assert_eq!(findings(&report).len(), 1, "one of the two is known");
    assert_eq!(notes_of_kind(&report, "baseline").len(), 1);
}

#[test]
fn renamed_and_copied_files_do_not_hide_findings() {
    let f = fixture();
    // The path is part of the fingerprint: the renamed file's finding is reported again,
    // and so is a copy's, while the original stays baselined.
    std::fs::rename(f.repo.join("app"), f.repo.join("service")).unwrap();
    std::fs::create_dir_all(f.repo.join("app")).unwrap();
    std::fs::copy(
        f.repo.join("service/client.py"),
        f.repo.join("app/client.py"),
    )
    .unwrap();
    let (report, code) = scan(&f.repo, &["--baseline", f.baseline.to_str().unwrap()]);
    assert_eq!(code, Some(1));
    assert_eq!(
        findings(&report),
        [("service/client.py".to_string(), 5, "SEC010".to_string())]
    );
    assert_eq!(notes_of_kind(&report, "baseline").len(), 1);
}

#[test]
fn sarif_reports_are_baselines_too() {
    let f = fixture();
    let sarif = f.baseline.with_extension("sarif");
    let output = run(
        &f.repo,
        &["--format", "sarif", "--output", sarif.to_str().unwrap()],
    );
    assert_eq!(output.status.code(), Some(1));
    std::fs::write(
        f.repo.join("app/client.py"),
        format!("\"\"\"Client.\"\"\"\n{CLIENT}"),
    )
    .unwrap();
    let (report, code) = scan(&f.repo, &["--baseline", sarif.to_str().unwrap()]);
    assert_eq!((findings(&report), code), (vec![], Some(0)));
}

#[test]
fn refreshing_a_baseline_in_place_keeps_every_finding() {
    let f = fixture();
    std::fs::write(
        f.repo.join("app/client.py"),
        format!(
            "{CLIENT}\n\ndef push(url):\n    return requests.post(url, verify=False, timeout=5)\n"
        ),
    )
    .unwrap();
    let path = f.baseline.to_str().unwrap();
    let (report, code) = scan(&f.repo, &["--baseline", path, "--write-baseline", path]);
    assert_eq!((findings(&report).len(), code), (1, Some(1)));
    // The file now holds both findings, so the next run reports none.
    let (report, code) = scan(&f.repo, &["--baseline", path]);
    assert_eq!((findings(&report), code), (vec![], Some(0)));
}

#[test]
fn only_the_named_files_are_written() {
    let f = fixture();
    let before = common::snapshot(&f.repo);
    let (_, code) = scan(&f.repo, &["--write-baseline", f.baseline.to_str().unwrap()]);
    assert_eq!(code, Some(1));
    assert_eq!(common::snapshot(&f.repo), before);
}

#[test]
fn bad_baselines_are_usage_errors() {
    let f = fixture();
    let not_a_report = f.baseline.with_file_name("other.json");
    std::fs::write(&not_a_report, r#"{"results": []}"#).unwrap();
    for (args, message) in [
        (
            vec!["--baseline", not_a_report.to_str().unwrap()],
            "neither a backend-audit JSON report nor SARIF",
        ),
        (
            vec!["--baseline", "/nonexistent/b.json"],
            "baseline /nonexistent/b.json",
        ),
        (
            vec![
                "--write-baseline",
                f.baseline.to_str().unwrap(),
                "--output",
                f.baseline.to_str().unwrap(),
            ],
            "name the same file",
        ),
    ] {
        let output = run(&f.repo, &args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(message), "{args:?}: {stderr}");
    }
    // The refused --write-baseline did not truncate the baseline.
    assert!(std::fs::metadata(&f.baseline).unwrap().len() > 0);
}
