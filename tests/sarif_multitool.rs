//! GitHub code scanning's acceptance checks: Microsoft's SARIF Multitool validates our SARIF
//! for every end-to-end repository with its SARIF rules and its GitHub rule set ("Ghas":
//! GH1011-GH1018, GH2012), and must report no error and no warning.
//!
//! The tool is `@microsoft/sarif-multitool` from npm; its native binary comes in the
//! platform package. The test runs `$SARIF_MULTITOOL`, or by default
//! `target/sarif-tools/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool`
//! (`.ci/run` installs it there). Without the tool the test passes unchecked after a
//! `skipped ...: Sarif.Multitool not found` line on stderr, which `cargo test` shows; with
//! `BACKEND_AUDIT_REQUIRE_TOOLS=1` (as `.ci/run` sets) it fails instead.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const INSTALL: &str = "npm install --prefix target/sarif-tools @microsoft/sarif-multitool@5.7.0 @microsoft/sarif-multitool-linux@5.7.0";

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The Multitool binary, or `None` (after saying so) when the test is skipped.
fn multitool() -> Option<PathBuf> {
    let tool = match std::env::var_os("SARIF_MULTITOOL") {
        Some(path) => PathBuf::from(path),
        None => manifest_dir().join(
            "target/sarif-tools/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool",
        ),
    };
    if tool.is_file() {
        return Some(tool);
    }
    common::skip_without_tool(
        "Sarif.Multitool",
        &format!("at {}", tool.display()),
        &format!(
            "set SARIF_MULTITOOL=/path/to/Sarif.Multitool, install it with `{INSTALL}`, or run .ci/run"
        ),
    );
    None
}

/// Errors and warnings the Multitool reports on `sarif`, one line each.
fn problems(tool: &Path, sarif: &Path, log: &Path) -> Vec<String> {
    // It exits 0 even when it reports errors: the findings are read from its `-o` log.
    // Called directly (not through npm's `.bin` wrapper, which splits the `;` lists).
    let output = Command::new(tool)
        .arg("validate")
        .arg(sarif)
        .args([
            "--rule-kind",
            "Sarif;Ghas",
            "--level",
            "Error;Warning",
            "-o",
        ])
        .arg(log)
        // The .NET runtime otherwise needs libicu, which a fresh machine may lack.
        .env("DOTNET_SYSTEM_GLOBALIZATION_INVARIANT", "1")
        .output()
        .expect("the SARIF Multitool runs");
    assert!(
        output.status.success() && log.is_file(),
        "the SARIF Multitool failed on {}:\n{}{}",
        sarif.display(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let log: Value = serde_json::from_str(&std::fs::read_to_string(log).unwrap())
        .expect("the Multitool's log is JSON");
    let mut found = Vec::new();
    for run in log["runs"].as_array().into_iter().flatten() {
        for result in run["results"].as_array().into_iter().flatten() {
            // SARIF's default level is "warning".
            let level = result["level"].as_str().unwrap_or("warning");
            if level == "error" || level == "warning" {
                found.push(format!(
                    "{level} {}: {}",
                    result["ruleId"].as_str().unwrap_or("?"),
                    message_text(run, result)
                ));
            }
        }
        for invocation in run["invocations"].as_array().into_iter().flatten() {
            for notification in [
                "toolExecutionNotifications",
                "toolConfigurationNotifications",
            ]
            .iter()
            .flat_map(|key| invocation[key].as_array().into_iter().flatten())
            {
                if notification["level"] == "error" {
                    found.push(format!("tool error: {}", notification["message"]["text"]));
                }
            }
        }
    }
    found
}

/// A result's message: its text, or the rule's message string with the arguments filled in.
fn message_text(run: &Value, result: &Value) -> String {
    let message = &result["message"];
    if let Some(text) = message["text"].as_str() {
        return text.to_string();
    }
    let arguments: Vec<&str> = message["arguments"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let template = run["tool"]["driver"]["rules"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|rule| rule["id"] == result["ruleId"])
        .and_then(|rule| rule["messageStrings"][message["id"].as_str()?]["text"].as_str());
    match template {
        Some(template) => arguments
            .iter()
            .enumerate()
            .fold(template.to_string(), |text, (i, arg)| {
                text.replace(&format!("{{{i}}}"), arg)
            }),
        None => format!("{} {arguments:?}", message["id"]),
    }
}

fn scan_to(repo: &Path, target: &Path, extra: &[&str]) {
    let output = Command::new(env!("CARGO_BIN_EXE_backend-audit"))
        .arg("scan")
        .arg(repo)
        .args(["--format", "sarif", "--exit-zero", "--output"])
        .arg(target)
        .args(extra)
        .output()
        .expect("the binary runs");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn github_rules_of_the_sarif_multitool_accept_every_end_to_end_repository() {
    let Some(tool) = multitool() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut repos: Vec<PathBuf> = std::fs::read_dir(manifest_dir().join("fixtures/repos"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_dir())
        .collect();
    repos.sort();
    assert!(!repos.is_empty());
    let mut report = Vec::new();
    for repo in &repos {
        let name = repo.file_name().unwrap().to_str().unwrap();
        // With and without --sarif-category: automationDetails must pass too.
        for (variant, extra) in [
            ("", &[][..]),
            ("-category", &["--sarif-category", "backend-audit"][..]),
        ] {
            let sarif = dir.path().join(format!("{name}{variant}.sarif"));
            scan_to(repo, &sarif, extra);
            let log = dir.path().join(format!("{name}{variant}.validation.sarif"));
            report.extend(
                problems(&tool, &sarif, &log)
                    .into_iter()
                    .map(|p| format!("{name}{variant}: {p}")),
            );
        }
    }
    assert!(
        report.is_empty(),
        "the SARIF Multitool reports {} problem(s):\n{}",
        report.len(),
        report.join("\n")
    );
}
