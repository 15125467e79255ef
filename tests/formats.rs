//! End-to-end tests of the report formats beyond text/JSON/SARIF basics: JUnit XML and
//! GitLab's SAST report against their documented structure, `--sarif-category`,
//! fingerprints that survive edits above a finding, the summary, and no progress output
//! when stderr is not a terminal.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn repo(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/repos")
        .join(name)
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_backend-audit"))
        .args(args)
        .env_remove("CI")
        .output()
        .expect("the binary runs")
}

fn scan(repo: &Path, format: &str, extra: &[&str]) -> Output {
    let mut args = vec!["scan", repo.to_str().unwrap(), "--format", format];
    args.extend_from_slice(extra);
    run(&args)
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("UTF-8 output")
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("UTF-8 output")
}

fn json(output: &Output) -> Value {
    serde_json::from_str(&stdout(output)).expect("the report is JSON")
}

/// Unsuppressed findings of the JSON report.
fn findings(repo: &Path) -> Vec<Value> {
    let document = json(&scan(repo, "json", &[]));
    document["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["suppressed"].is_null())
        .cloned()
        .collect()
}

/// Every rule (`rules --format json`): id -> (domain, the rule's record).
fn rules() -> BTreeMap<String, Value> {
    let listing: Value =
        serde_json::from_str(&stdout(&run(&["rules", "--format", "json"]))).unwrap();
    listing
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["id"].as_str().unwrap().to_string(), r.clone()))
        .collect()
}

/// The child elements of `node` named `name`.
fn elements<'a, 'input>(
    node: roxmltree::Node<'a, 'input>,
    name: &str,
) -> Vec<roxmltree::Node<'a, 'input>> {
    node.children()
        .filter(|c| c.is_element() && c.tag_name().name() == name)
        .collect()
}

#[test]
fn junit_has_a_test_case_per_rule_and_a_failure_per_finding() {
    let mixed = repo("mixed");
    let output = scan(&mixed, "junit", &[]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let xml = stdout(&output);
    assert_eq!(
        stdout(&scan(&mixed, "junit", &["--threads", "1"])),
        xml,
        "byte-identical across thread counts"
    );
    let document = roxmltree::Document::parse(&xml).expect("well-formed XML");
    let root = document.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");

    let count = |node: roxmltree::Node, name: &str| -> usize {
        node.attribute(name)
            .unwrap_or_else(|| panic!("<{}> has {name}", node.tag_name().name()))
            .parse()
            .unwrap()
    };

    let rules = rules();
    let mut expected: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in findings(&mixed) {
        expected
            .entry(f["rule_id"].as_str().unwrap().to_string())
            .or_default()
            .insert(format!(
                "{}:{}:{}: {}",
                f["path"].as_str().unwrap(),
                f["line"],
                f["column"],
                f["message"].as_str().unwrap()
            ));
    }

    let (mut tests, mut failing) = (0, 0);
    let mut seen = BTreeSet::new();
    for suite in elements(root, "testsuite") {
        let cases = elements(suite, "testcase");
        let suite_failing = cases
            .iter()
            .filter(|c| !elements(**c, "failure").is_empty())
            .count();
        assert_eq!(count(suite, "tests"), cases.len());
        assert_eq!(count(suite, "failures"), suite_failing);
        assert_eq!(count(suite, "errors"), 0);
        tests += cases.len();
        failing += suite_failing;
        for case in cases {
            let name = case.attribute("name").unwrap();
            let id = name.split(' ').next().unwrap().to_string();
            let rule = &rules[&id];
            assert_eq!(name, format!("{id} {}", rule["name"].as_str().unwrap()));
            assert_eq!(case.attribute("classname"), rule["domain"].as_str());
            assert_eq!(
                suite.attribute("name").unwrap(),
                format!("backend-audit.{}", rule["domain"].as_str().unwrap())
            );
            let failures = elements(case, "failure");
            let messages: BTreeSet<String> = failures
                .iter()
                .map(|f| f.attribute("message").unwrap().to_string())
                .collect();
            assert_eq!(messages.len(), failures.len());
            assert_eq!(
                messages,
                expected.get(&id).cloned().unwrap_or_default(),
                "{id}: one failure per unsuppressed finding, message intact"
            );
            for failure in failures {
                assert!(
                    ["critical", "high", "medium", "low", "info"]
                        .contains(&failure.attribute("type").unwrap())
                );
                let body = failure.text().unwrap();
                assert!(body.starts_with(failure.attribute("message").unwrap()));
                assert!(body.contains(&format!("docs/rules/{id}.md")));
            }
            seen.insert(id);
        }
    }
    assert_eq!(
        seen,
        rules.keys().cloned().collect(),
        "one test case per enabled rule"
    );
    assert_eq!(count(root, "tests"), tests);
    assert_eq!(count(root, "failures"), failing);
    assert!(failing > 0);
    // Code frames with markup characters survive the round trip: `=>` and `${...}`.
    let server = document
        .descendants()
        .filter(|n| n.has_tag_name("failure"))
        .find_map(|n| n.text().filter(|t| t.contains("src/server.ts:10:")))
        .expect("the SEC003 failure in src/server.ts");
    assert!(server.contains("exec(`convert ${req.body.path} -resize 200x200 /tmp/thumb.png`);"));
}

#[test]
fn junit_of_a_clean_repository_passes_every_test_case() {
    let output = scan(&repo("clean"), "junit", &[]);
    assert_eq!(output.status.code(), Some(0));
    let xml = stdout(&output);
    let document = roxmltree::Document::parse(&xml).unwrap();
    let root = document.root_element();
    assert_eq!(root.attribute("failures"), Some("0"));
    assert_eq!(
        root.attribute("tests").unwrap().parse::<usize>().unwrap(),
        rules().len()
    );
    assert!(!document.descendants().any(|n| n.has_tag_name("failure")));
}

#[test]
fn junit_escapes_markup_and_characters_xml_cannot_carry() {
    let rules = tempfile::tempdir().unwrap();
    std::fs::write(
        rules.path().join("ORG001-no-console-log.toml"),
        common::console_log_rule("api", MARKUP_MESSAGE),
    )
    .unwrap();
    let repo = tempfile::tempdir().unwrap();
    std::fs::write(
        repo.path().join("a.js"),
        "console.log(\"a<b && c>'d'\u{b}\");\n",
    )
    .unwrap();
    let extra = ["--rules", rules.path().to_str().unwrap(), "--select", "ORG"];
    let finding = &json(&scan(repo.path(), "json", &extra))["findings"][0];
    let message = finding["message"].as_str().unwrap();
    assert!(message.contains("<console> & \"logger\": 'console.log(\"a<b && c>'d'\u{b}\")'"));

    let xml = stdout(&scan(repo.path(), "junit", &extra));
    let document = roxmltree::Document::parse(&xml).expect("well-formed XML");
    let failure = document
        .descendants()
        .find(|n| n.has_tag_name("failure"))
        .unwrap();
    // XML 1.0 cannot carry U+000B at all, even as a reference.
    let expected = format!("a.js:1:1: {}", message.replace('\u{b}', "\u{fffd}"));
    assert_eq!(failure.attribute("message"), Some(expected.as_str()));
    assert!(failure.text().unwrap().starts_with(&expected));
}

/// `YYYY-MM-DDTHH:MM:SS`, the pattern of the schema's scan times.
fn is_schema_time(text: &str) -> bool {
    text.len() == 19
        && text.char_indices().all(|(i, c)| match i {
            4 | 7 => c == '-',
            10 => c == 'T',
            13 | 16 => c == ':',
            _ => c.is_ascii_digit(),
        })
}

#[test]
fn gitlab_report_follows_the_sast_report_schema() {
    let mixed = repo("mixed");
    let output = scan(&mixed, "gitlab", &[]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let report = json(&output);

    let version = report["version"].as_str().unwrap();
    let parts: Vec<&str> = version.split('.').collect();
    assert!(
        parts.len() == 3 && parts[0] == "15" && parts.iter().all(|p| p.parse::<u32>().is_ok()),
        "schema version 15.x.y: {version}"
    );
    assert!(
        report["schema"]
            .as_str()
            .unwrap()
            .ends_with("/sast-report-format.json")
    );

    let scan = &report["scan"];
    assert_eq!(scan["type"], "sast");
    assert_eq!(scan["status"], "success");
    for key in ["start_time", "end_time"] {
        assert!(
            is_schema_time(scan[key].as_str().unwrap()),
            "{key}: {}",
            scan[key]
        );
    }
    assert!(scan["start_time"].as_str() <= scan["end_time"].as_str());
    for key in ["analyzer", "scanner"] {
        let tool = &scan[key];
        for field in ["id", "name", "version"] {
            assert!(!tool[field].as_str().unwrap().is_empty(), "{key}.{field}");
        }
        assert!(!tool["id"].as_str().unwrap().contains(':'));
        assert!(!tool["vendor"]["name"].as_str().unwrap().is_empty());
        assert!(tool["url"].as_str().unwrap().starts_with("https://"));
    }
    for message in scan["messages"].as_array().unwrap() {
        assert!(["info", "warn", "fatal"].contains(&message["level"].as_str().unwrap()));
        assert!(message["value"].is_string());
    }

    let vulnerabilities = report["vulnerabilities"].as_array().unwrap();
    let expected = findings(&mixed);
    assert_eq!(
        vulnerabilities.len(),
        expected.len(),
        "one vulnerability per unsuppressed finding"
    );
    let rules = rules();
    let mut ids = BTreeSet::new();
    for (v, f) in vulnerabilities.iter().zip(&expected) {
        assert!(
            ids.insert(v["id"].as_str().unwrap().to_string()),
            "ids are unique"
        );
        let name = v["name"].as_str().unwrap();
        assert!(!name.is_empty() && name.chars().count() <= 255);
        assert_eq!(v["description"], f["message"]);
        let severity = match f["severity"].as_str().unwrap() {
            "critical" => "Critical",
            "high" => "High",
            "medium" => "Medium",
            "low" => "Low",
            _ => "Info",
        };
        assert_eq!(v["severity"], severity);
        assert!(!v["solution"].as_str().unwrap().is_empty());
        assert_eq!(v["location"]["file"], f["path"]);
        assert_eq!(v["location"]["start_line"], f["line"]);
        assert_eq!(v["location"]["end_line"], f["end_line"]);

        let identifiers = v["identifiers"].as_array().unwrap();
        let rule_id = f["rule_id"].as_str().unwrap();
        assert_eq!(identifiers[0]["type"], "backend_audit_rule_id");
        assert_eq!(identifiers[0]["value"], rule_id);
        for identifier in identifiers {
            for field in ["type", "name", "value"] {
                assert!(!identifier[field].as_str().unwrap().is_empty());
            }
            if let Some(url) = identifier.get("url") {
                assert!(url.as_str().unwrap().starts_with("https://"));
            }
        }
        let cwes: Vec<String> = identifiers
            .iter()
            .filter(|i| i["type"] == "cwe")
            .map(|i| i["value"].as_str().unwrap().to_string())
            .collect();
        let declared: Vec<String> = rules[rule_id]["references"]["cwe"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.to_string())
            .collect();
        assert_eq!(cwes, declared, "{rule_id}: its CWEs are identifiers");
    }
    let tls = vulnerabilities
        .iter()
        .find(|v| v["identifiers"][0]["value"] == "SEC010")
        .unwrap();
    assert!(
        tls["identifiers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["type"] == "cwe" && i["name"] == "CWE-295" && i["value"] == "295")
    );
}

#[test]
fn sarif_category_sets_automation_details_only_when_asked() {
    let mixed = repo("mixed");
    let plain = json(&scan(&mixed, "sarif", &[]));
    assert!(plain["runs"][0].get("automationDetails").is_none());
    for (given, id) in [
        ("backend", "backend/"),
        ("backend/nightly", "backend/nightly"),
    ] {
        let sarif = json(&scan(&mixed, "sarif", &["--sarif-category", given]));
        assert_eq!(sarif["runs"][0]["automationDetails"]["id"], id);
    }
    let misuse = scan(&mixed, "json", &["--sarif-category", "backend"]);
    assert_eq!(misuse.status.code(), Some(2));
    assert!(stderr(&misuse).contains("--sarif-category needs --format sarif"));
}

/// The JSON documents are written piece by piece (findings one at a time); they must be
/// what one `serde_json::Value` prints: the same keys, sorted, the same layout.
#[test]
fn streamed_json_documents_are_what_one_value_prints() {
    for format in ["json", "sarif", "gitlab"] {
        for extra in [&[][..], &["--sarif-category", "backend"][..]] {
            if format != "sarif" && !extra.is_empty() {
                continue;
            }
            let output = scan(&repo("mixed"), format, extra);
            let written = stdout(&output);
            let document: Value = serde_json::from_str(&written).expect("the report is JSON");
            let findings = match format {
                "json" => &document["findings"],
                "sarif" => &document["runs"][0]["results"],
                _ => &document["vulnerabilities"],
            };
            assert!(
                findings.as_array().is_some_and(|f| f.len() > 1),
                "{format}: the report holds findings"
            );
            let printed = format!("{}\n", serde_json::to_string_pretty(&document).unwrap());
            assert_eq!(written, printed, "{format} {extra:?}");
        }
    }
}

#[test]
fn sarif_rules_carry_what_github_code_scanning_reads() {
    let sarif = json(&scan(&repo("mixed"), "sarif", &[]));
    let driver = &sarif["runs"][0]["tool"]["driver"];
    assert!(
        driver["informationUri"]
            .as_str()
            .unwrap()
            .starts_with("https://")
    );
    for rule in driver["rules"].as_array().unwrap() {
        let id = rule["id"].as_str().unwrap();
        assert!(
            !rule["shortDescription"]["text"]
                .as_str()
                .unwrap()
                .is_empty()
        );
        let full = rule["fullDescription"]["text"].as_str().unwrap();
        assert!(!full.is_empty() && full.chars().count() <= 1024, "{id}");
        assert!(!rule["help"]["text"].as_str().unwrap().is_empty());
        let markdown = rule["help"]["markdown"].as_str().unwrap();
        assert!(
            markdown.contains(&format!("docs/rules/{id}.md)")),
            "{id}: help links its page: {markdown}"
        );
        let properties = &rule["properties"];
        let tags: Vec<&str> = properties["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect();
        match properties.get("security-severity") {
            Some(score) => {
                assert!(["9.5", "8.0", "5.5", "3.0"].contains(&score.as_str().unwrap()));
                assert!(tags.contains(&"security"), "{id}");
                assert!(properties.get("problem.severity").is_none());
            }
            None => {
                assert!(!tags.contains(&"security"), "{id}");
                assert!(
                    ["error", "warning", "recommendation"]
                        .contains(&properties["problem.severity"].as_str().unwrap())
                );
            }
        }
        assert!(
            ["high", "medium", "low", "very-high"]
                .contains(&properties["precision"].as_str().unwrap())
        );
    }
}

/// Copies `from` to `to`, putting unrelated lines at the top of every source file.
fn copy_with_lines_above(from: &Path, to: &Path) {
    for path in common::files_under(from) {
        let target = to.join(path.strip_prefix(from).unwrap());
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let above = match path.extension().and_then(|e| e.to_str()) {
            Some("py") => "import os\n# unrelated change\n\n",
            Some("ts" | "js") => "const unrelated = 1;\n// unrelated change\n\n",
            Some("sql") => "-- unrelated change\n\n",
            Some("tf") => "# unrelated change\n\n",
            _ => "",
        };
        std::fs::write(&target, format!("{above}{text}")).unwrap();
    }
}

/// (rule, uri) -> fingerprints and start lines of the SARIF results.
fn sarif_results(root: &Path) -> BTreeMap<(String, String), (Vec<String>, Vec<u64>)> {
    let sarif = json(&scan(root, "sarif", &[]));
    let mut map: BTreeMap<(String, String), (Vec<String>, Vec<u64>)> = BTreeMap::new();
    for result in sarif["runs"][0]["results"].as_array().unwrap() {
        let location = &result["locations"][0]["physicalLocation"];
        let entry = map
            .entry((
                result["ruleId"].as_str().unwrap().to_string(),
                location["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            ))
            .or_default();
        entry.0.push(
            result["partialFingerprints"]["backendAudit/v1"]
                .as_str()
                .unwrap()
                .to_string(),
        );
        entry
            .1
            .push(location["region"]["startLine"].as_u64().unwrap());
    }
    map
}

#[test]
fn fingerprints_survive_lines_added_above_a_finding() {
    let dir = tempfile::tempdir().unwrap();
    copy_with_lines_above(&repo("mixed"), dir.path());
    let before = sarif_results(&repo("mixed"));
    let after = sarif_results(dir.path());
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>(),
        "the same findings"
    );
    for (key, (prints, lines)) in &before {
        let (moved_prints, moved_lines) = &after[key];
        assert_eq!(prints, moved_prints, "{key:?}: fingerprints unchanged");
        assert_ne!(lines, moved_lines, "{key:?}: the findings did move");
    }
}

#[test]
fn summary_counts_domains_and_goes_to_stderr_for_machine_formats() {
    let mixed = repo("mixed");
    let rules = rules();
    let mut by_domain: BTreeMap<String, usize> = BTreeMap::new();
    for f in findings(&mixed) {
        let domain = rules[f["rule_id"].as_str().unwrap()]["domain"]
            .as_str()
            .unwrap();
        *by_domain.entry(domain.to_string()).or_default() += 1;
    }

    let text = stdout(&scan(&mixed, "text", &[]));
    let line = text
        .lines()
        .find(|l| l.starts_with("By domain: "))
        .expect("a per-domain line");
    for (domain, n) in &by_domain {
        assert!(line.contains(&format!("{n} {domain}")), "{line}");
    }
    assert_eq!(line.matches(", ").count() + 1, by_domain.len(), "{line}");
    let last = text.lines().last().unwrap();
    assert!(
        last.starts_with("Found ") && last.contains(" files scanned"),
        "{last}"
    );

    for format in ["json", "sarif", "junit", "gitlab"] {
        let output = scan(&mixed, format, &[]);
        let err = stderr(&output);
        assert!(err.contains(line), "{format}: {err}");
        assert!(err.contains(last), "{format}: {err}");
        assert!(
            err.lines()
                .any(|l| l.starts_with("Scanned ") && l.ends_with("s.")),
            "{format}: elapsed time: {err}"
        );
        assert!(
            !stdout(&output).contains("By domain"),
            "{format}: stdout is the report alone"
        );
    }
}

#[test]
fn piped_runs_never_show_progress() {
    // Not a terminal (stderr is a pipe here), so no spinner whatever the environment says.
    let output = Command::new(env!("CARGO_BIN_EXE_backend-audit"))
        .args(["scan", repo("mixed").to_str().unwrap(), "--threads", "1"])
        .env_remove("CI")
        .env("TERM", "xterm-256color")
        .output()
        .unwrap();
    for (stream, bytes) in [("stdout", &output.stdout), ("stderr", &output.stderr)] {
        let text = String::from_utf8_lossy(bytes);
        assert!(
            !text.contains('\x1b') && !text.contains('\r'),
            "{stream} has terminal control characters: {text:?}"
        );
        assert!(!text.contains("scanning:"), "{stream}: {text}");
    }
}

/// Every character XML escapes, in a message the report must carry intact.
const MARKUP_MESSAGE: &str = "<console> & \"logger\": '{report}' goes to stdout";
