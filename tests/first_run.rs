//! End-to-end tests of what a new user meets in the first minutes: which root a file
//! argument belongs to, rule ids in any case, suppression comments that cannot be read or
//! give no reason, coverage that is never invisible, per-language advice, the statistics
//! of the summary, and findings in test code.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn run(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_backend-audit"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .output()
        .expect("the binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("UTF-8 output")
}

fn json(output: &Output) -> Value {
    serde_json::from_str(&stdout(output)).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\nstderr: {}",
            stdout(output),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

fn notes_of_kind<'a>(document: &'a Value, kind: &str) -> Vec<&'a Value> {
    document["notes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == kind)
        .collect()
}

const TLS_OFF: &str =
    "import requests\n\ndef fetch(url):\n    return requests.get(url, verify=False, timeout=5)\n";

#[test]
fn a_file_outside_any_repository_is_analysed_on_its_own() {
    let dir = tempfile::tempdir().unwrap();
    common::write(dir.path(), "x/app.py", TLS_OFF);
    // Neighbours that would be read if the current folder were taken as the root.
    for i in 0..5 {
        common::write(dir.path(), &format!("other/m{i}.py"), TLS_OFF);
    }
    common::write(dir.path(), "x/sibling.py", TLS_OFF);
    let output = run(&["scan", "x/app.py", "--format", "json"], dir.path());
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    let document = json(&output);
    assert_eq!(document["summary"]["files_scanned"], 1);
    let keys = common::json_keys(&document);
    assert_eq!(
        keys.into_iter().collect::<Vec<_>>(),
        [("app.py".to_string(), 4, "SEC010".to_string())]
    );
}

#[test]
fn a_file_argument_belongs_to_the_repository_above_it_not_the_current_folder() {
    let outside = tempfile::tempdir().unwrap();
    let repo = tempfile::tempdir().unwrap();
    common::write(repo.path(), "backend-audit.toml", "ignore = [\"SEC003\"]\n");
    common::write(repo.path(), "app/client.py", TLS_OFF);
    common::write(repo.path(), "app/other.py", TLS_OFF);
    // The current folder is another tree with a config of its own, which must not apply.
    common::write(
        outside.path(),
        "backend-audit.toml",
        "ignore = [\"SEC010\"]\n",
    );
    let file = repo.path().join("app/client.py");
    let output = run(
        &["scan", file.to_str().unwrap(), "--format", "json"],
        outside.path(),
    );
    let document = json(&output);
    assert_eq!(
        document["summary"]["files_scanned"], 2,
        "the repository is analysed whole"
    );
    let keys: Vec<_> = common::json_keys(&document).into_iter().collect();
    assert_eq!(
        keys,
        [("app/client.py".to_string(), 4, "SEC010".to_string())]
    );

    let other = tempfile::tempdir().unwrap();
    common::write(other.path(), ".git/HEAD", "ref: refs/heads/main\n");
    common::write(other.path(), "b.py", TLS_OFF);
    let mixed = run(
        &[
            "scan",
            file.to_str().unwrap(),
            other.path().join("b.py").to_str().unwrap(),
        ],
        outside.path(),
    );
    assert_eq!(mixed.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&mixed.stderr).contains("not in the same repository"));
}

#[test]
fn rule_ids_are_accepted_in_any_case() {
    let dir = tempfile::tempdir().unwrap();
    common::write(dir.path(), "app/client.py", TLS_OFF);
    let ignored = run(&["scan", ".", "--ignore", "sec010"], dir.path());
    assert_eq!(ignored.status.code(), Some(0), "{}", stdout(&ignored));
    let selected = run(
        &["scan", ".", "--select", "sec", "--format", "json"],
        dir.path(),
    );
    assert_eq!(common::json_keys(&json(&selected)).len(), 1);

    common::write(
        dir.path(),
        "backend-audit.toml",
        "select = [\"sec\"]\nignore = [\"sec003\"]\n[severity]\nsec010 = \"low\"\n[per-path-ignores]\n\"legacy/**\" = [\"Sec010\"]\n",
    );
    common::write(dir.path(), "legacy/old.py", TLS_OFF);
    let configured = run(&["scan", ".", "--format", "json"], dir.path());
    let document = json(&configured);
    let findings = document["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "legacy/ is ignored: {findings:?}");
    assert_eq!(findings[0]["severity"], "low");

    common::write(
        dir.path(),
        "app/client.py",
        &TLS_OFF.replace(
            "timeout=5)",
            "timeout=5)  # backend-audit: ignore[sec010] internal CA",
        ),
    );
    let suppressed = json(&run(&["scan", ".", "--format", "json"], dir.path()));
    assert_eq!(
        suppressed["findings"][0]["suppressed"]["reason"],
        "internal CA"
    );
    assert!(notes_of_kind(&suppressed, "unused-suppression").is_empty());
}

#[test]
fn unreadable_and_unexplained_suppressions_are_notes_of_their_own() {
    let dir = tempfile::tempdir().unwrap();
    common::write(
        dir.path(),
        "app/a.py",
        "import requests\nrequests.get(u, verify=False, timeout=5)  # backend-audit: ignore\nrequests.get(u, verify=False, timeout=5)  # backend-audit: ignore[SEC010]\n",
    );
    let document = json(&run(&["scan", ".", "--format", "json"], dir.path()));
    assert!(notes_of_kind(&document, "unused-suppression").is_empty());
    let malformed = notes_of_kind(&document, "malformed-suppression");
    assert_eq!(malformed.len(), 1);
    assert_eq!(malformed[0]["line"], 2);
    assert!(
        malformed[0]["message"]
            .as_str()
            .unwrap()
            .contains("ignore[SEC010] reason")
    );
    let missing = notes_of_kind(&document, "missing-reason");
    assert_eq!(missing.len(), 1);
    assert_eq!(missing[0]["line"], 3);
    // The suppression without a reason still suppresses.
    let keys: Vec<_> = common::json_keys(&document).into_iter().collect();
    assert_eq!(keys, [("app/a.py".to_string(), 2, "SEC010".to_string())]);

    let sarif: Value = serde_json::from_str(&stdout(&run(
        &["scan", ".", "--format", "sarif"],
        dir.path(),
    )))
    .unwrap();
    let levels: Vec<&str> = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["level"].as_str().unwrap())
        .collect();
    assert_eq!(levels, ["warning", "warning"]);
}

#[test]
fn the_summary_counts_partly_parsed_files_and_languages_not_analysed() {
    let dir = tempfile::tempdir().unwrap();
    common::write(dir.path(), "app/ok.py", "x = 1\n");
    common::write(dir.path(), "app/broken.py", "def f(:\n    return 1\n");
    common::write(dir.path(), "cmd/main.go", "package main\n");
    common::write(dir.path(), "cmd/util.go", "package main\n");
    common::write(dir.path(), "scripts/deploy.sh", "echo hi\n");
    common::write(dir.path(), "README.md", "# docs are not source\n");

    let text = run(&["scan", "."], dir.path());
    let out = stdout(&text);
    assert!(
        out.contains(
            "No findings in 2 files scanned (1 partly parsed) and 1 other text file searched for secrets."
        ),
        "{out}"
    );
    assert!(out.contains("Not analysed: 2 Go, 1 Shell"), "{out}");

    let document = json(&run(&["scan", ".", "--format", "json"], dir.path()));
    let summary = &document["summary"];
    assert_eq!(summary["files_scanned"], 2);
    assert_eq!(summary["files_partly_parsed"], 1);
    // deploy.sh, read only for SEC006.
    assert_eq!(summary["text_files_scanned"], 1);
    assert_eq!(
        summary["not_analysed"],
        serde_json::json!({"Go": 2, "Shell": 1})
    );

    let sarif: Value = serde_json::from_str(&stdout(&run(
        &["scan", ".", "--format", "sarif"],
        dir.path(),
    )))
    .unwrap();
    let properties = &sarif["runs"][0]["properties"];
    assert_eq!(properties["filesPartlyParsed"], 1);
    assert_eq!(properties["notAnalysed"]["Go"], 2);
}

#[test]
fn advice_comes_in_the_language_of_the_finding() {
    let dir = tempfile::tempdir().unwrap();
    common::write(
        dir.path(),
        "src/run.js",
        "const { exec } = require('child_process');\nfunction run(cmd) {\n  exec('tar ' + cmd);\n}\n",
    );
    common::write(
        dir.path(),
        "app/run.py",
        "import os\n\ndef run(cmd):\n    os.system('tar ' + cmd)\n",
    );
    let document = json(&run(&["scan", ".", "--format", "json"], dir.path()));
    let message = |path: &str| {
        document["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"] == path && f["rule_id"] == "SEC003")
            .map(|f| f["message"].as_str().unwrap().to_string())
            .unwrap_or_else(|| panic!("no SEC003 finding in {path}: {document}"))
    };
    let js = message("src/run.js");
    let py = message("app/run.py");
    assert!(!js.contains("subprocess"), "{js}");
    assert!(js.contains("execFile"), "{js}");
    assert!(!py.contains("execFile"), "{py}");
    assert!(py.contains("subprocess.run(["), "{py}");
}

#[test]
fn the_summary_names_the_rules_with_the_most_findings() {
    let dir = tempfile::tempdir().unwrap();
    common::write(
        dir.path(),
        "app/a.py",
        &format!(
            "{TLS_OFF}    requests.get(url, verify=False, timeout=5)\n    requests.post(url, verify=False, timeout=5)\nimport os\nos.system('ls ' + x)\n"
        ),
    );
    let out = stdout(&run(&["scan", "."], dir.path()));
    let statistics = out
        .split("Most findings:\n")
        .nth(1)
        .unwrap_or_else(|| panic!("no statistics: {out}"));
    let lines: Vec<&str> = statistics.lines().take(2).collect();
    assert_eq!(
        lines,
        [
            "  3  SEC010  tls-verification-disabled",
            "  1  SEC003  command-injection        "
        ]
    );
    let document = json(&run(&["scan", ".", "--format", "json"], dir.path()));
    assert_eq!(
        document["summary"]["by_rule"],
        serde_json::json!({"SEC010": 3, "SEC003": 1})
    );
}

#[test]
fn rules_say_what_findings_in_test_code_become() {
    let dir = tempfile::tempdir().unwrap();
    // SEC010 skips test code: an end-to-end test against localhost is not a finding.
    common::write(dir.path(), "tests/e2e_zap.py", TLS_OFF);
    common::write(dir.path(), "app/client.py", TLS_OFF);
    // SEC005 reports test code one severity lower.
    let pickle = "import pickle\n\ndef load(blob):\n    return pickle.loads(blob)\n";
    common::write(dir.path(), "app/cache.py", pickle);
    common::write(dir.path(), "app/test_cache.py", pickle);
    let document = json(&run(&["scan", ".", "--format", "json"], dir.path()));
    let found: Vec<(String, String, String)> = document["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["rule_id"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected: Vec<(String, String, String)> = [
        ("app/cache.py", "SEC005", "high"),
        ("app/client.py", "SEC010", "high"),
        ("app/test_cache.py", "SEC005", "medium"),
    ]
    .iter()
    .map(|(p, r, s)| (p.to_string(), r.to_string(), s.to_string()))
    .collect();
    assert_eq!(found, expected);

    let explained = stdout(&run(&["explain", "SEC010"], dir.path()));
    assert!(explained.contains("test code"), "{explained}");
}
