//! End-to-end tests of the real binary on fixtures/repos/*: every output format, the
//! exit codes, explicit file arguments, and byte-identical output across thread counts.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn repo(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/repos")
        .join(name)
}

fn run(args: &[&str], cwd: Option<&Path>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_backend-audit"));
    command.args(args).env_remove("NO_COLOR");
    if let Some(dir) = cwd {
        command.current_dir(dir);
    }
    command.output().expect("the binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("UTF-8 output")
}

fn json_findings(output: &Output) -> BTreeSet<common::Key> {
    let document: Value = serde_json::from_str(&stdout(output)).expect("valid JSON");
    document["findings"]
        .as_array()
        .unwrap()
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

#[test]
fn mixed_repository_json_matches_its_annotations_and_exits_1() {
    let root = repo("mixed");
    let output = run(&["scan", root.to_str().unwrap(), "--format", "json"], None);
    assert_eq!(
        output.status.code(),
        Some(1),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let expected = common::annotations(&root).expect;
    assert_eq!(json_findings(&output), expected);
    // Every rule of the first set is exercised by this repository.
    let rules: BTreeSet<&str> = expected.iter().map(|(_, _, r)| r.as_str()).collect();
    for rule in [
        "SEC003", "SEC005", "SEC010", "DB002", "DB004", "TF001", "TF005", "API004",
    ] {
        assert!(
            rules.contains(rule),
            "{rule} has no case in fixtures/repos/mixed"
        );
    }
}

#[test]
fn json_reports_suppressions_positions_and_summary() {
    let output = run(
        &["scan", repo("mixed").to_str().unwrap(), "--format", "json"],
        None,
    );
    let document: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(document["schema_version"], 1);
    assert_eq!(document["tool"]["name"], "backend-audit");
    let findings = document["findings"].as_array().unwrap();
    let suppressed: Vec<&Value> = findings
        .iter()
        .filter(|f| !f["suppressed"].is_null())
        .collect();
    assert_eq!(suppressed.len(), 1);
    assert_eq!(suppressed[0]["path"], "src/routes/orders.ts");
    assert_eq!(
        suppressed[0]["suppressed"]["reason"],
        "the legacy partner sandbox only serves a self-signed certificate"
    );
    let tls = findings
        .iter()
        .find(|f| f["rule_id"] == "SEC010" && f["path"] == "service/worker.py")
        .unwrap();
    // `verify=False` starts at column 35 of `    requests.post(url, json=payload, verify=False, timeout=5)`.
    assert_eq!(
        (
            tls["line"].as_u64(),
            tls["column"].as_u64(),
            tls["end_column"].as_u64()
        ),
        (Some(21), Some(38), Some(50))
    );
    assert_eq!(document["summary"]["files_scanned"], 9);
    assert_eq!(document["summary"]["suppressed"], 1);
    assert_eq!(document["summary"]["findings"], findings.len() - 1);
    let fingerprints: BTreeSet<&str> = findings
        .iter()
        .map(|f| f["fingerprint"].as_str().unwrap())
        .collect();
    assert_eq!(
        fingerprints.len(),
        findings.len(),
        "fingerprints are unique"
    );
}

#[test]
fn taint_findings_carry_their_flow_in_sarif_json_and_text() {
    let schema_path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sarif-schema-2.1.0.json");
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(&schema_path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the SARIF schema compiles");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/rules/SEC001");
    let root = root.to_str().unwrap();
    let expected = [
        "request input `req.body.email`",
        "passed to `findByEmail()`",
        "concatenation",
        "reaches `pool.query`",
    ];
    let helper = |r: &&Value, rule: &str, line: u64| r[rule] == "src/users.js" && r["line"] == line;

    let sarif: Value = serde_json::from_str(&stdout(&run(
        &["scan", root, "--select", "SEC001", "--format", "sarif"],
        None,
    )))
    .unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    let result = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["locations"][0]["physicalLocation"]["region"]["startLine"] == 38)
        .expect("the finding inside findByEmail");
    let locations = result["codeFlows"][0]["threadFlows"][0]["locations"]
        .as_array()
        .unwrap();
    let notes: Vec<&str> = locations
        .iter()
        .map(|l| l["location"]["message"]["text"].as_str().unwrap())
        .collect();
    assert_eq!(notes, expected);
    let lines: Vec<u64> = locations
        .iter()
        .map(|l| {
            l["location"]["physicalLocation"]["region"]["startLine"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(lines, [42, 42, 38, 38]);

    let json: Value = serde_json::from_str(&stdout(&run(
        &["scan", root, "--select", "SEC001", "--format", "json"],
        None,
    )))
    .unwrap();
    let findings = json["findings"].as_array().unwrap();
    let finding = findings.iter().find(|f| helper(f, "path", 38)).unwrap();
    assert_eq!(finding["confidence"], "high");
    let flow: Vec<&str> = finding["flow"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["note"].as_str().unwrap())
        .collect();
    assert_eq!(flow, expected);
    // A non-literal query of unknown origin has no flow and medium confidence.
    let unproven = findings
        .iter()
        .find(|f| f["path"] == "app/views.py" && f["line"] == 41)
        .unwrap();
    assert_eq!(unproven["confidence"], "medium");
    assert!(unproven.get("flow").is_none());

    // Piped output has no colour.
    let text = stdout(&run(&["scan", root, "--select", "SEC001"], None));
    assert!(
        text.contains("flow: line 42: request input `req.body.email` -> line 42: passed to `findByEmail()` -> line 38: concatenation -> line 38: reaches `pool.query`"),
        "{text}"
    );
}

#[test]
fn cross_layer_findings_name_the_other_place_in_sarif_json_and_text() {
    let schema_path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sarif-schema-2.1.0.json");
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(&schema_path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the SARIF schema compiles");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/rules/X002/public");
    let root = root.to_str().unwrap();
    let scan = |format: &str| {
        stdout(&run(
            &["scan", root, "--select", "X002", "--format", format],
            None,
        ))
    };

    let sarif: Value = serde_json::from_str(&scan("sarif")).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    let result = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "src/db.js")
        .expect("a finding in src/db.js");
    let related = &result["relatedLocations"][0];
    assert_eq!(related["id"], 0);
    assert_eq!(
        related["physicalLocation"]["artifactLocation"]["uri"],
        "infra/main.tf"
    );
    assert_eq!(related["physicalLocation"]["region"]["startLine"], 4);
    assert_eq!(
        related["message"]["text"],
        "`aws_db_instance.main` is publicly accessible"
    );

    let json: Value = serde_json::from_str(&scan("json")).unwrap();
    let finding = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "src/db.js" && f["line"] == 4)
        .unwrap();
    assert_eq!(finding["confidence"], "high");
    assert_eq!(finding["related"][0]["path"], "infra/main.tf");
    assert_eq!(finding["related"][0]["line"], 4);

    let text = scan("text");
    assert!(
        text.contains("see infra/main.tf:4: `aws_db_instance.main` is publicly accessible"),
        "{text}"
    );
}

#[test]
fn sarif_validates_against_the_official_schema() {
    // The official schema, kept in the repository (origin and terms: tests/data/README.md).
    let schema_path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sarif-schema-2.1.0.json");
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(&schema_path).expect("tests/data/sarif-schema-2.1.0.json"),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the SARIF schema compiles");
    for name in ["mixed", "clean"] {
        let output = run(
            &["scan", repo(name).to_str().unwrap(), "--format", "sarif"],
            None,
        );
        let sarif: Value = serde_json::from_str(&stdout(&output)).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&sarif)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{name}: SARIF schema errors:\n{}",
            errors.join("\n")
        );

        let run = &sarif["runs"][0];
        assert_eq!(run["tool"]["driver"]["name"], "backend-audit");
        assert_eq!(run["columnKind"], "unicodeCodePoints");
        let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
        for result in run["results"].as_array().unwrap() {
            let index = result["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(rules[index]["id"], result["ruleId"]);
            let location = &result["locations"][0]["physicalLocation"];
            assert_eq!(location["artifactLocation"]["uriBaseId"], "%SRCROOT%");
            assert!(
                !location["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap()
                    .starts_with('/')
            );
            assert!(result["partialFingerprints"]["backendAudit/v1"].is_string());
        }
        let sec010 = rules.iter().find(|r| r["id"] == "SEC010").unwrap();
        assert_eq!(sec010["properties"]["security-severity"], "8.0");
        assert!(
            sec010["properties"]["tags"]
                .as_array()
                .unwrap()
                .contains(&Value::from("security"))
        );
        assert!(
            sec010["properties"]["tags"]
                .as_array()
                .unwrap()
                .contains(&Value::from("external/cwe/cwe-295"))
        );
        let db002 = rules.iter().find(|r| r["id"] == "DB002").unwrap();
        assert!(db002["properties"]["security-severity"].is_null());
    }
}

#[test]
fn sarif_marks_suppressed_results_with_their_justification() {
    let output = run(
        &["scan", repo("mixed").to_str().unwrap(), "--format", "sarif"],
        None,
    );
    let sarif: Value = serde_json::from_str(&stdout(&output)).unwrap();
    let suppressed: Vec<&Value> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r.get("suppressions").is_some())
        .collect();
    assert_eq!(suppressed.len(), 1);
    assert_eq!(suppressed[0]["suppressions"][0]["kind"], "inSource");
    assert_eq!(
        suppressed[0]["suppressions"][0]["justification"],
        "the legacy partner sandbox only serves a self-signed certificate"
    );
    let notes = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .unwrap();
    assert!(
        !notes.iter().any(|n| n["descriptor"]["id"] == "parse-error"),
        "valid SQL the parser does not model (DROP INDEX CONCURRENTLY IF EXISTS) is no parse error"
    );
    assert!(
        !notes.iter().any(|n| n["descriptor"]["id"] == "unmodelled"),
        "statements checked from their keywords are shown only with --verbose"
    );
    let verbose = run(
        &[
            "scan",
            repo("mixed").to_str().unwrap(),
            "--format",
            "sarif",
            "--verbose",
        ],
        None,
    );
    let sarif: Value = serde_json::from_str(&stdout(&verbose)).unwrap();
    let notes = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .unwrap();
    assert!(
        notes.iter().any(|n| n["descriptor"]["id"] == "unmodelled"
            && n["message"]["text"]
                .as_str()
                .unwrap()
                .contains("DROP INDEX")),
        "--verbose shows the statement checked from its keywords: {notes:?}"
    );
}

#[test]
fn text_output_has_code_frames_and_a_summary_without_colour_when_piped() {
    let output = run(&["scan", repo("mixed").to_str().unwrap()], None);
    let text = stdout(&output);
    assert!(!text.contains('\x1b'), "no ANSI escapes in piped output");
    assert!(text.contains("high[SEC003]: `exec` runs a shell command"));
    assert!(text.contains("--> src/server.ts:10:8"));
    assert!(text.contains("exec(`convert ${req.body.path} -resize 200x200 /tmp/thumb.png`);"));
    assert!(text.contains("command-injection"));
    assert!(
        text.trim_end()
            .ends_with("in 9 files scanned; 1 suppressed."),
        "summary line: {text}"
    );
    assert!(text.contains("Found 13 findings (1 critical, 8 high, 3 medium, 1 low)"));
}

#[test]
fn clean_repository_reports_nothing_and_exits_0() {
    let output = run(&["scan", repo("clean").to_str().unwrap()], None);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert!(stdout(&output).starts_with("No findings in 5 files scanned."));
}

#[test]
fn errors_exit_2_with_a_clear_message() {
    let missing = run(&["scan", "/nonexistent/repository"], None);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&missing.stderr)
            .contains("/nonexistent/repository: no such file or folder")
    );

    let usage = run(&["scan", "--format", "xml"], None);
    assert_eq!(usage.status.code(), Some(2));

    let unknown_rule = run(
        &["scan", repo("clean").to_str().unwrap(), "--select", "NOPE1"],
        None,
    );
    assert_eq!(unknown_rule.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&unknown_rule.stderr)
            .contains("`NOPE1` matches no rule id or prefix")
    );

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("backend-audit.toml"), "selct = [\"SEC\"]\n").unwrap();
    let bad_config = run(&["scan", dir.path().to_str().unwrap(), "--exit-zero"], None);
    assert_eq!(
        bad_config.status.code(),
        Some(2),
        "--exit-zero never hides an error"
    );
    let stderr = String::from_utf8_lossy(&bad_config.stderr);
    assert!(
        stderr.contains("backend-audit.toml") && stderr.contains("unknown field `selct`"),
        "{stderr}"
    );

    // Offsets into a file are 32-bit (tree-sitter's and the line index's): a larger
    // limit is refused up front rather than misread later.
    std::fs::write(
        dir.path().join("backend-audit.toml"),
        "max-file-size = 5_000_000_000\n",
    )
    .unwrap();
    let too_large = run(&["scan", dir.path().to_str().unwrap()], None);
    assert_eq!(too_large.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&too_large.stderr);
    assert!(
        stderr.contains("max-file-size: 5000000000 is over 4294967295 bytes"),
        "{stderr}"
    );
}

#[test]
fn fail_on_and_exit_zero_decide_the_exit_code() {
    let mixed = repo("mixed");
    let mixed = mixed.to_str().unwrap();
    assert_eq!(
        run(&["scan", mixed, "--fail-on", "critical"], None)
            .status
            .code(),
        Some(1),
        "TF005 is critical"
    );
    assert_eq!(
        run(
            &["scan", mixed, "--fail-on", "critical", "--ignore", "TF005"],
            None
        )
        .status
        .code(),
        Some(0)
    );
    assert_eq!(
        run(&["scan", mixed, "--exit-zero"], None).status.code(),
        Some(0)
    );
    assert_eq!(
        run(
            &["scan", mixed, "--select", "SEC005", "--fail-on", "high"],
            None
        )
        .status
        .code(),
        Some(1)
    );
    assert_eq!(
        run(
            &["scan", mixed, "--select", "API", "--fail-on", "high"],
            None
        )
        .status
        .code(),
        Some(0),
        "API004 is medium"
    );
}

#[test]
fn output_is_byte_identical_across_runs_and_thread_counts() {
    // Every fixture at once: many files, findings and notes whose order could vary.
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    for format in ["text", "json", "sarif", "junit", "gitlab"] {
        let outputs: Vec<Vec<u8>> = ["1", "2", "8", "8"]
            .iter()
            .map(|threads| {
                let stdout = run(
                    &[
                        "scan",
                        fixtures.to_str().unwrap(),
                        "--format",
                        format,
                        "--threads",
                        threads,
                    ],
                    None,
                )
                .stdout;
                if format == "gitlab" {
                    // The report carries the scan's start and end times by design.
                    let mut report: Value = serde_json::from_slice(&stdout).unwrap();
                    report["scan"]["start_time"] = Value::Null;
                    report["scan"]["end_time"] = Value::Null;
                    serde_json::to_vec(&report).unwrap()
                } else {
                    stdout
                }
            })
            .collect();
        assert!(outputs[0].len() > 1000, "{format}: a real report");
        assert!(
            outputs.windows(2).all(|w| w[0] == w[1]),
            "{format} output differs across runs or thread counts"
        );
    }
}

#[test]
fn output_file_is_written_and_stdout_stays_empty() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("report.sarif");
    let output = run(
        &[
            "scan",
            repo("mixed").to_str().unwrap(),
            "--format",
            "sarif",
            "--output",
            target.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    let written: Value = serde_json::from_str(&std::fs::read_to_string(&target).unwrap()).unwrap();
    assert_eq!(written["version"], "2.1.0");
}

#[test]
fn file_arguments_report_only_those_files_but_keep_project_facts() {
    // A copy of the mixed repository with its own config, as pre-commit sees it.
    let dir = tempfile::tempdir().unwrap();
    common::copy_tree(&repo("mixed"), dir.path());
    std::fs::write(
        dir.path().join("backend-audit.toml"),
        "ignore = [\"SEC010\"]\n",
    )
    .unwrap();
    let output = run(
        &[
            "scan",
            "src/server.ts",
            "db/migrations/003_drop_legacy_status.sql",
            "--format",
            "json",
        ],
        Some(dir.path()),
    );
    let found = json_findings(&output);
    let expected: BTreeSet<common::Key> = [
        ("db/migrations/003_drop_legacy_status.sql", 1, "DB004"),
        ("src/server.ts", 5, "API004"),
        ("src/server.ts", 5, "API012"),
        ("src/server.ts", 10, "SEC003"),
        ("src/server.ts", 15, "API013"),
    ]
    .iter()
    .map(|(p, l, r)| (p.to_string(), *l, r.to_string()))
    .collect();
    assert_eq!(
        found, expected,
        "API004, API012 and API013 need the whole project; SEC010 is ignored by the config"
    );

    // A file of this repository and one outside any repository cannot share a root.
    let outside = run(
        &["scan", "src/server.ts", "/etc/hostname"],
        Some(dir.path()),
    );
    assert_eq!(
        outside.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&outside.stderr)
    );
}

#[test]
fn rules_and_explain_document_every_rule() {
    let listing = run(&["rules", "--format", "json"], None);
    assert_eq!(listing.status.code(), Some(0));
    let rules: Value = serde_json::from_str(&stdout(&listing)).unwrap();
    assert!(
        rules
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == "SEC010" && r["name"] == "tls-verification-disabled")
    );

    let explain = run(&["explain", "sec010"], None);
    assert_eq!(explain.status.code(), Some(0));
    let text = stdout(&explain);
    assert!(
        text.starts_with("SEC010 tls-verification-disabled\n"),
        "{text}"
    );
    assert!(
        text.contains("\nBad\n")
            && text.contains("\nFix\n")
            && text.contains("    # backend-audit: ignore[SEC010] <reason>\n"),
        "{text}"
    );

    let unknown = run(&["explain", "XYZ999"], None);
    assert_eq!(unknown.status.code(), Some(2));
}

#[test]
fn custom_rules_folder_adds_query_rules_and_rejects_broken_ones() {
    let rules = tempfile::tempdir().unwrap();
    std::fs::write(
        rules.path().join("ORG001-no-console-log.toml"),
        common::console_log_rule("security", CONSOLE_MESSAGE),
    )
    .unwrap();
    let repo_dir = tempfile::tempdir().unwrap();
    std::fs::write(repo_dir.path().join("a.js"), "console.log(user.name);\n").unwrap();
    let output = scan_json_with_rules(repo_dir.path(), rules.path());
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        json_findings(&output),
        BTreeSet::from([("a.js".to_string(), 1, "ORG001".to_string())])
    );

    std::fs::write(
        rules.path().join("ORG001-no-console-log.toml"),
        common::console_log_rule("security", CONSOLE_MESSAGE)
            .replace("(call_expression", "(call_expresion"),
    )
    .unwrap();
    let broken = run(
        &[
            "scan",
            repo_dir.path().to_str().unwrap(),
            "--rules",
            rules.path().to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(broken.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&broken.stderr).contains("ORG001-no-console-log.toml"));
}

#[test]
fn a_custom_pattern_without_anchors_runs_beside_the_anchored_built_in_ones() {
    // `(#match? ...)` gives no anchor: this pattern runs over the whole tree in a query
    // of its own, and the built-in rules in the same grammar keep theirs.
    let rule = common::console_log_rule("security", CONSOLE_MESSAGE).replace(
        "(#eq? @_o \"console\") (#eq? @_p \"log\")",
        "(#match? @_o \"^cons\") (#match? @_p \"^lo\")",
    );
    assert!(!rule.contains("#eq?"));
    let rules = tempfile::tempdir().unwrap();
    std::fs::write(rules.path().join("ORG001-no-console-log.toml"), rule).unwrap();
    let repo_dir = tempfile::tempdir().unwrap();
    std::fs::write(
        repo_dir.path().join("a.js"),
        "const { exec } = require('child_process');\nconsole.log(user);\nexec('ls ' + dir);\n",
    )
    .unwrap();
    let output = scan_json_with_rules(repo_dir.path(), rules.path());
    assert_eq!(
        json_findings(&output),
        BTreeSet::from([
            ("a.js".to_string(), 2, "ORG001".to_string()),
            ("a.js".to_string(), 3, "SEC003".to_string()),
        ])
    );
}

const CONSOLE_MESSAGE: &str = "console.log in server code: use the structured logger.";

/// A JSON scan of `repo` with the custom rules in `rules`.
fn scan_json_with_rules(repo: &Path, rules: &Path) -> Output {
    let (repo, rules) = (repo.to_str().unwrap(), rules.to_str().unwrap());
    run(&["scan", repo, "--rules", rules, "--format", "json"], None)
}

/// The ids of every rule, from `rules --format json`.
fn rule_ids() -> Vec<String> {
    let listing = run(&["rules", "--format", "json"], None);
    let rules: Value = serde_json::from_str(&stdout(&listing)).unwrap();
    rules
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn explain_renders_for_a_terminal_not_as_markdown() {
    for id in rule_ids() {
        let output = run(&["explain", &id], None);
        assert_eq!(output.status.code(), Some(0));
        let text = stdout(&output);
        for line in text.lines() {
            assert!(
                !line.starts_with('#')
                    && !line.contains("|---")
                    && !line.trim_start().starts_with("```")
                    && !line.trim_start().starts_with('|'),
                "{id}: Markdown in `explain`: {line:?}\n{text}"
            );
        }
        assert!(!text.contains('\x1b'), "{id}: no ANSI escapes when piped");
        for key in ["domain", "severity", "confidence", "languages"] {
            assert!(
                text.lines().any(|l| l.starts_with(&format!("  {key}:"))),
                "{id}: no `{key}:` line\n{text}"
            );
        }
        for heading in ["Why", "Bad", "Good", "Fix", "Suppress", "References"] {
            assert!(
                text.contains(&format!("\n\n{heading}\n")),
                "{id}: no {heading} heading\n{text}"
            );
        }
        // The examples are indented as code under their heading.
        let bad = text.split("\nBad\n").nth(1).unwrap();
        assert!(bad.starts_with("    "), "{id}: {bad}");
    }
}

#[test]
fn rules_text_has_a_header_and_aligned_columns() {
    let output = run(&["rules"], None);
    assert_eq!(output.status.code(), Some(0));
    let text = stdout(&output);
    let lines: Vec<Vec<char>> = text.lines().map(|l| l.chars().collect()).collect();
    let header: String = lines[0].iter().collect();
    let names: Vec<&str> = header.split_whitespace().collect();
    assert_eq!(
        names,
        ["ID", "NAME", "DOMAIN", "SEVERITY", "LANGUAGES", "SUMMARY"],
        "{text}"
    );
    assert_eq!(lines.len(), 1 + rule_ids().len(), "a line per rule: {text}");
    // Every column starts at its header's column on every line, after a space.
    let starts: Vec<usize> = names
        .iter()
        .map(|name| header.find(&format!(" {name}")).map_or(0, |i| i + 1))
        .collect();
    for line in &lines[1..] {
        let row: String = line.iter().collect();
        for &start in &starts[1..] {
            assert!(
                line.len() > start && line[start - 1] == ' ' && line[start] != ' ',
                "column at {start} is not aligned in {row:?}\n{text}"
            );
        }
        // Every cell before the summary is one word, so it fills exactly its column.
        let cells: Vec<&str> = row.split_whitespace().collect();
        assert!(cells.len() >= names.len(), "{row:?}");
    }
    let sec010 = text.lines().find(|l| l.starts_with("SEC010 ")).unwrap();
    assert!(
        sec010.contains("tls-verification-disabled")
            && sec010.contains("high")
            && sec010.contains("python"),
        "{sec010}"
    );
}

#[test]
fn help_lists_the_severities_and_says_selectors_are_comma_separated() {
    let output = run(&["scan", "--help"], None);
    assert_eq!(output.status.code(), Some(0));
    let help = stdout(&output);
    // The text of one option: from its flag to the next option's.
    let option = |flag: &str| -> String {
        let start = help
            .find(&format!("      {flag} "))
            .unwrap_or_else(|| panic!("{flag} in\n{help}"));
        let rest = &help[start + flag.len() + 6..];
        let end = rest.find("\n  -").unwrap_or(rest.len());
        rest[..end].split_whitespace().collect::<Vec<_>>().join(" ")
    };
    let fail_on = option("--fail-on");
    assert!(
        fail_on.contains("[possible values: critical, high, medium, low, info]"),
        "{fail_on}"
    );
    for flag in ["--select", "--ignore"] {
        let text = option(flag);
        assert!(
            text.contains("comma-separated") && text.contains("ids or prefixes"),
            "{flag}: {text}"
        );
    }

    let bad = run(&["scan", "--fail-on", "severe"], None);
    assert_eq!(bad.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(
        stderr.contains("critical, high, medium, low, info"),
        "{stderr}"
    );
}

#[test]
fn select_and_ignore_take_comma_separated_ids_and_prefixes() {
    let mixed = repo("mixed");
    let scan = |extra: &[&str]| -> BTreeSet<String> {
        let mut args = vec!["scan", mixed.to_str().unwrap(), "--format", "json"];
        args.extend_from_slice(extra);
        let output = run(&args, None);
        assert_ne!(
            output.status.code(),
            Some(2),
            "{extra:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        json_findings(&output)
            .into_iter()
            .map(|(_, _, rule)| rule)
            .collect()
    };
    let all = scan(&[]);
    let select = scan(&["--select", "SEC,DB"]);
    let expected: BTreeSet<String> = all
        .iter()
        .filter(|r| r.starts_with("SEC") || r.starts_with("DB"))
        .cloned()
        .collect();
    assert!(
        expected.iter().any(|r| r.starts_with("SEC"))
            && expected.iter().any(|r| r.starts_with("DB"))
    );
    assert_eq!(select, expected);
    assert_eq!(scan(&["--select", "SEC", "--select", "DB"]), expected);
    let ignore = scan(&["--ignore", "SEC,DB00"]);
    assert!(!ignore.is_empty());
    assert!(
        ignore
            .iter()
            .all(|r| !r.starts_with("SEC") && !r.starts_with("DB00")),
        "{ignore:?}"
    );
}

#[test]
fn this_repository_scans_clean_with_its_own_config() {
    // As the README's set-up command runs it: its fixtures are excluded by backend-audit.toml.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let output = run(&["scan", root.to_str().unwrap(), "--format", "json"], None);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let document: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(
        document["findings"].as_array().map(Vec::len),
        Some(0),
        "{document:#}"
    );
    assert_eq!(document["summary"]["findings"], 0);

    let text = run(&["scan", "."], Some(root));
    assert_eq!(text.status.code(), Some(0), "{}", stdout(&text));
    assert!(
        stdout(&text).starts_with("No findings"),
        "{}",
        stdout(&text)
    );
}

#[test]
fn readme_set_up_has_one_scan_and_one_test_command() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let set_up = readme
        .split("\n## Set up\n")
        .nth(1)
        .expect("a Set up section");
    let block = set_up
        .split("```sh\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("a sh block");
    let commands: Vec<&str> = block
        .lines()
        .map(|l| l.split('#').next().unwrap().trim())
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(
        commands,
        [
            "cargo run --release -- scan .",
            "cargo test --workspace --locked"
        ]
    );
}

#[test]
fn nothing_in_the_repository_reads_files_beside_the_checkout() {
    // A fresh clone has nothing next to it: no test, script or CI step may read the
    // `shared` folder that once sat beside the checkout.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let needle = ["..", "/shared"].concat();
    let mut offenders = Vec::new();
    for entry in ignore::WalkBuilder::new(root)
        .hidden(false)
        .require_git(false)
        .filter_entry(|e| e.file_name() != ".git")
        .build()
        .flatten()
    {
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(entry.path()) else {
            continue;
        };
        for (i, line) in text.lines().enumerate() {
            if line.contains(&needle) {
                offenders.push(format!(
                    "{}:{}: {}",
                    entry.path().strip_prefix(root).unwrap().display(),
                    i + 1,
                    line.trim()
                ));
            }
        }
    }
    assert!(
        root.join(".ci/run").is_file() && root.join("tests/cli.rs").is_file(),
        "the walk covers .ci/run and tests/"
    );
    assert!(offenders.is_empty(), "{}", offenders.join("\n"));
}

#[test]
fn routes_lists_the_joined_route_table_as_text_and_json() {
    let output = run(
        &[
            "routes",
            repo("mixed").to_str().unwrap(),
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let document: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(document["schema_version"], 1);
    let routes: Vec<(String, String, String, u64, bool)> = document["routes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["methods"].as_array().unwrap()[0]
                    .as_str()
                    .unwrap()
                    .to_string(),
                r["path"].as_str().unwrap().to_string(),
                r["file"].as_str().unwrap().to_string(),
                r["line"].as_u64().unwrap(),
                r["prefix_known"].as_bool().unwrap(),
            )
        })
        .collect();
    let expected = [
        (
            "GET",
            "/api/v1/orders/:id/invoice",
            "src/routes/orders.ts",
            10,
            true,
        ),
        ("POST", "/api/v1/thumbnails", "src/server.ts", 9, true),
    ]
    .map(|(m, p, f, l, k)| (m.to_string(), p.to_string(), f.to_string(), l, k));
    assert_eq!(routes, expected);

    let text = stdout(&run(&["routes", repo("mixed").to_str().unwrap()], None));
    assert!(text.starts_with("METHOD  PATH"), "{text}");
    assert!(
        text.contains("POST    /api/v1/thumbnails          -        src/server.ts:9"),
        "{text}"
    );
    assert!(text.trim_end().ends_with("2 routes."), "{text}");
}
