//! The GitHub Action (action.yml): its structure, and its scan step run the way the
//! runner runs it: the step's `env` evaluated from the inputs (defaults filled in), its
//! `run` written to a file and executed with `bash --noprofile --norc -eo pipefail`,
//! with the real binary first on PATH and `$GITHUB_ACTION_PATH` at this checkout.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use yaml_rust2::{Yaml, YamlLoader};

fn checkout() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn action() -> Yaml {
    let text = std::fs::read_to_string(checkout().join("action.yml")).unwrap();
    YamlLoader::load_from_str(&text)
        .expect("action.yml is YAML")
        .remove(0)
}

fn text(yaml: &Yaml) -> &str {
    yaml.as_str()
        .unwrap_or_else(|| panic!("{yaml:?} is not a string"))
}

fn steps(action: &Yaml) -> &[Yaml] {
    action["runs"]["steps"]
        .as_vec()
        .expect("runs.steps is a list")
}

/// Every string below `yaml`, keys excepted.
fn strings<'a>(yaml: &'a Yaml, out: &mut Vec<&'a str>) {
    match yaml {
        Yaml::String(s) => out.push(s),
        Yaml::Array(items) => items.iter().for_each(|i| strings(i, out)),
        Yaml::Hash(map) => map.values().for_each(|v| strings(v, out)),
        _ => {}
    }
}

/// The `${{ ... }}` expressions in `s`, trimmed.
fn expressions(s: &str) -> Vec<&str> {
    s.split("${{")
        .skip(1)
        .map(|rest| {
            rest.split_once("}}")
                .expect("an expression is closed")
                .0
                .trim()
        })
        .collect()
}

#[test]
fn action_yml_is_a_complete_composite_action() {
    let action = action();
    assert!(!text(&action["name"]).is_empty());
    assert!(!text(&action["description"]).is_empty());
    assert_eq!(text(&action["runs"]["using"]), "composite");

    let inputs = action["inputs"].as_hash().expect("inputs");
    let names: Vec<&str> = inputs.keys().map(text).collect();
    assert_eq!(
        names,
        [
            "path",
            "args",
            "config",
            "sarif-file",
            "fail-on",
            "soft-fail",
            "baseline",
            "diff-base",
            "category"
        ]
    );
    for (name, input) in inputs {
        assert!(
            !text(&input["description"]).trim().is_empty(),
            "input {name:?} has no description"
        );
        assert!(
            input["default"].as_str().is_some(),
            "input {name:?} has no string default"
        );
    }

    // Steps: ids unique; a run step names its shell; a uses step is a pinned action;
    // `steps.X` refers to an earlier step; `inputs.X` to a declared input.
    let mut ids: Vec<&str> = Vec::new();
    let mut used_inputs = Vec::new();
    for step in steps(&action) {
        assert!(step["name"].as_str().is_some(), "{step:?} has no name");
        match (step["run"].as_str(), step["uses"].as_str()) {
            (Some(_), None) => assert!(
                matches!(step["shell"].as_str(), Some("bash")),
                "run step {:?} must set shell: bash",
                step["name"]
            ),
            (None, Some(uses)) => assert!(
                uses.rsplit_once('@').is_some_and(|(_, v)| !v.is_empty()),
                "{uses} is not pinned"
            ),
            _ => panic!("{step:?} needs exactly one of run and uses"),
        }
        let mut all = Vec::new();
        strings(step, &mut all);
        let mut found: Vec<&str> = all.iter().flat_map(|s| expressions(s)).collect();
        // `if:` is an expression without the ${{ }}.
        found.extend(step["if"].as_str());
        for expression in found {
            let words: Vec<&str> = expression.split(['.', ' ']).collect();
            for (i, word) in words.iter().enumerate() {
                if *word == "steps" {
                    let id = words[i + 1];
                    assert!(ids.contains(&id), "{expression}: no earlier step {id}");
                }
            }
            if let Some(input) = expression.strip_prefix("inputs.") {
                assert!(names.contains(&input), "{expression}: no such input");
                used_inputs.push(input.to_string());
            }
        }
        if let Some(run) = step["run"].as_str() {
            assert!(
                expressions(run).is_empty(),
                "pass values to `run` through env, not ${{{{ }}}}: {run}"
            );
        }
        if let Some(id) = step["id"].as_str() {
            assert!(!ids.contains(&id), "duplicate step id {id}");
            ids.push(id);
        }
    }
    for name in &names {
        assert!(
            used_inputs.iter().any(|u| u == name),
            "input {name} is never used"
        );
    }
    let outputs = action["outputs"].as_hash().expect("outputs");
    for (name, output) in outputs {
        assert!(!text(&output["description"]).is_empty(), "{name:?}");
        let value = text(&output["value"]);
        let id = expressions(value)[0].split('.').nth(1).unwrap();
        assert!(ids.contains(&id), "output {name:?} reads unknown step {id}");
    }

    // The build is the one the README documents, from the action's own checkout.
    let runs: Vec<&str> = steps(&action)
        .iter()
        .filter_map(|s| s["run"].as_str())
        .collect();
    assert!(
        runs.iter()
            .any(|r| r.contains("cargo install --locked --path \"$GITHUB_ACTION_PATH\"")),
        "{runs:?}"
    );
    // Every INPUT_* variable the scan step sets is read by its script.
    let script = std::fs::read_to_string(checkout().join("scripts/action-scan.sh")).unwrap();
    for (key, _) in scan_step(&action)["env"].as_hash().unwrap() {
        assert!(script.contains(text(key)), "the script never reads {key:?}");
    }
}

fn scan_step(action: &Yaml) -> &Yaml {
    steps(action)
        .iter()
        .find(|s| s["id"].as_str() == Some("scan"))
        .expect("a step with id: scan")
}

/// What one run of the scan step produced.
struct StepRun {
    output: Output,
    /// `$GITHUB_OUTPUT` as a map.
    outputs: BTreeMap<String, String>,
}

impl StepRun {
    fn code(&self) -> Option<i32> {
        self.output.status.code()
    }

    fn log(&self) -> String {
        format!(
            "{}{}",
            String::from_utf8_lossy(&self.output.stdout),
            String::from_utf8_lossy(&self.output.stderr)
        )
    }
}

/// Runs the scan step in `workspace` with `given` inputs, as the runner would.
fn run_scan_step(workspace: &Path, given: &[(&str, &str)]) -> StepRun {
    let action = action();
    let step = scan_step(&action);
    let inputs = action["inputs"].as_hash().unwrap();
    let input = |name: &str| -> String {
        given
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.to_string())
            .unwrap_or_else(|| {
                let declared = &inputs[&Yaml::String(name.into())];
                text(&declared["default"]).to_string()
            })
    };
    for (name, _) in given {
        assert!(
            inputs.contains_key(&Yaml::String((*name).into())),
            "no input {name}"
        );
    }

    let scratch = tempfile::tempdir().unwrap();
    let script = scratch.path().join("step.sh");
    std::fs::write(&script, text(&step["run"])).unwrap();
    let github_output = scratch.path().join("github_output");
    std::fs::write(&github_output, "").unwrap();

    let binary = PathBuf::from(env!("CARGO_BIN_EXE_backend-audit"));
    let path = std::env::join_paths(
        std::iter::once(binary.parent().unwrap().to_path_buf())
            .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
    )
    .unwrap();
    let mut command = Command::new("bash");
    command
        .args(["--noprofile", "--norc", "-eo", "pipefail"])
        .arg(&script)
        .current_dir(workspace)
        .env("PATH", path)
        .env("GITHUB_ACTION_PATH", checkout())
        .env("GITHUB_WORKSPACE", workspace)
        .env("GITHUB_OUTPUT", &github_output)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1");
    for (key, template) in step["env"].as_hash().unwrap() {
        let mut value = text(template).to_string();
        for expression in expressions(text(template)) {
            let name = expression
                .strip_prefix("inputs.")
                .unwrap_or_else(|| panic!("the scan step's env reads {expression}"));
            value = value.replace(&format!("${{{{ {expression} }}}}"), &input(name));
        }
        command.env(text(key), value);
    }
    let output = command.output().expect("bash runs");
    let outputs = std::fs::read_to_string(&github_output)
        .unwrap()
        .lines()
        .map(|line| {
            let (k, v) = line.split_once('=').expect("name=value");
            (k.to_string(), v.to_string())
        })
        .collect();
    StepRun { output, outputs }
}

/// A workspace (its path has a space) holding a copy of fixtures/repos/`name`.
fn workspace(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let workspace = dir.path().join("work space");
    let source = checkout().join("fixtures/repos").join(name);
    for entry in ignore::WalkBuilder::new(&source)
        .standard_filters(false)
        .build()
        .flatten()
    {
        if entry.file_type().is_some_and(|t| t.is_file()) {
            let to = workspace.join(entry.path().strip_prefix(&source).unwrap());
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::copy(entry.path(), to).unwrap();
        }
    }
    (dir, workspace)
}

fn results(sarif: &Value) -> impl Iterator<Item = &Value> {
    sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r.get("suppressions").is_none())
}

fn sarif(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).expect("SARIF is JSON")
}

/// The file of each result not suppressed in the source.
fn result_paths(sarif: &Value) -> Vec<&str> {
    results(sarif)
        .map(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
        })
        .collect()
}

#[test]
fn findings_fail_the_step_and_the_sarif_is_written() {
    let (_dir, ws) = workspace("mixed");
    let step = run_scan_step(&ws, &[("sarif-file", "reports/backend audit.sarif")]);
    assert_eq!(step.code(), Some(1), "{}", step.log());
    let file = ws.join("reports/backend audit.sarif");
    assert!(!result_paths(&sarif(&file)).is_empty());
    assert_eq!(step.outputs["sarif-file"], "reports/backend audit.sarif");
    assert_eq!(step.outputs["exit-code"], "1");
    assert!(step.log().contains("::error title=backend-audit::findings"));
}

#[test]
fn the_path_input_names_the_scanned_folder() {
    let (dir, ws) = workspace("mixed");
    let step = run_scan_step(dir.path(), &[("path", "work space")]);
    assert_eq!(step.code(), Some(1), "{}", step.log());
    let report = sarif(&dir.path().join("backend-audit.sarif"));
    assert!(result_paths(&report).contains(&"service/worker.py"));
    assert!(!ws.join("backend-audit.sarif").exists());
}

#[test]
fn soft_fail_passes_findings_but_not_errors() {
    let (_dir, ws) = workspace("mixed");
    let step = run_scan_step(&ws, &[("soft-fail", "true")]);
    assert_eq!(step.code(), Some(0), "{}", step.log());
    assert_eq!(step.outputs["exit-code"], "1");
    assert!(!result_paths(&sarif(&ws.join("backend-audit.sarif"))).is_empty());
    assert!(step.log().contains("::warning"));

    let step = run_scan_step(
        &ws,
        &[("soft-fail", "true"), ("config", "no such config.toml")],
    );
    assert_eq!(step.code(), Some(2), "{}", step.log());
    assert_eq!(step.outputs["exit-code"], "2");

    let step = run_scan_step(&ws, &[("soft-fail", "maybe")]);
    assert_eq!(step.code(), Some(2));
    assert!(step.log().contains("soft-fail must be true or false"));
}

#[test]
fn fail_on_args_and_category_reach_the_scan() {
    let (_dir, ws) = workspace("mixed");
    // TF005 is the only critical rule with a finding here.
    let step = run_scan_step(&ws, &[("fail-on", "critical")]);
    assert_eq!(step.code(), Some(1), "{}", step.log());
    let step = run_scan_step(
        &ws,
        &[
            ("fail-on", "critical"),
            ("args", "--ignore \"TF005,DB\" --threads 2"),
            ("category", "backend"),
        ],
    );
    assert_eq!(step.code(), Some(0), "{}", step.log());
    let report = sarif(&ws.join("backend-audit.sarif"));
    assert_eq!(report["runs"][0]["automationDetails"]["id"], "backend/");
    let rules: Vec<&str> = results(&report)
        .map(|r| r["ruleId"].as_str().unwrap())
        .collect();
    assert!(!rules.is_empty());
    assert!(
        rules.iter().all(|r| *r != "TF005" && !r.starts_with("DB")),
        "{rules:?}"
    );

    let step = run_scan_step(&ws, &[("args", "--ignore \"TF005")]);
    assert_eq!(step.code(), Some(2));
    assert!(step.log().contains("cannot split args"), "{}", step.log());
}

#[test]
fn a_clean_repository_passes() {
    let (_dir, ws) = workspace("clean");
    let step = run_scan_step(&ws, &[]);
    assert_eq!(step.code(), Some(0), "{}", step.log());
    assert!(result_paths(&sarif(&ws.join("backend-audit.sarif"))).is_empty());
}

#[test]
fn baseline_and_diff_base_inputs_narrow_the_report() {
    let (_dir, ws) = workspace("mixed");
    let step = run_scan_step(
        &ws,
        &[
            ("args", "--write-baseline 'base line.json'"),
            ("soft-fail", "true"),
        ],
    );
    assert_eq!(step.code(), Some(0), "{}", step.log());
    let step = run_scan_step(&ws, &[("baseline", "base line.json")]);
    assert_eq!(step.code(), Some(0), "{}", step.log());
    assert!(result_paths(&sarif(&ws.join("backend-audit.sarif"))).is_empty());

    let git = |args: &[&str]| common::git(&ws, args);
    git(&["init", "-q", "-b", "main"]);
    git(&["add", "-A"]);
    git(&["commit", "-q", "-m", "base"]);
    std::fs::write(
        ws.join("service/new.py"),
        "import requests\n\nrequests.get(\"https://x\", verify=False, timeout=5)\n",
    )
    .unwrap();
    let step = run_scan_step(&ws, &[("diff-base", "HEAD")]);
    assert_eq!(step.code(), Some(1), "{}", step.log());
    assert_eq!(
        result_paths(&sarif(&ws.join("backend-audit.sarif"))),
        ["service/new.py"]
    );
}

/// The mappings below `yaml` (itself included) that have a `uses` key starting `prefix`.
fn steps_using<'a>(yaml: &'a Yaml, prefix: &str, out: &mut Vec<&'a Yaml>) {
    match yaml {
        Yaml::Hash(map) => {
            if yaml["uses"].as_str().is_some_and(|u| u.starts_with(prefix)) {
                out.push(yaml);
            }
            map.values().for_each(|v| steps_using(v, prefix, out));
        }
        Yaml::Array(items) => items.iter().for_each(|i| steps_using(i, prefix, out)),
        _ => {}
    }
}

#[test]
fn the_documented_workflow_uses_the_action_as_declared() {
    let doc = std::fs::read_to_string(checkout().join("docs/github-actions.md")).unwrap();
    let blocks: Vec<Yaml> = doc
        .split("```yaml\n")
        .skip(1)
        .map(|rest| {
            let block = rest.split_once("```").unwrap().0;
            YamlLoader::load_from_str(block)
                .unwrap_or_else(|e| panic!("{e}: {block}"))
                .remove(0)
        })
        .collect();
    let workflow = &blocks[0];
    assert_eq!(text(&workflow["permissions"]["security-events"]), "write");
    assert_eq!(text(&workflow["permissions"]["contents"]), "read");

    let action = action();
    let inputs = action["inputs"].as_hash().unwrap();
    let default_sarif = text(&inputs[&Yaml::String("sarif-file".into())]["default"]);
    for block in &blocks {
        let mut ours = Vec::new();
        steps_using(block, "backend-audit/backend-audit@", &mut ours);
        let mut uploads = Vec::new();
        steps_using(block, "github/codeql-action/upload-sarif@", &mut uploads);
        assert!(!ours.is_empty(), "{block:?}");
        for step in &ours {
            for key in step["with"].as_hash().into_iter().flat_map(|w| w.keys()) {
                assert!(
                    inputs.contains_key(key),
                    "the docs pass an unknown input {key:?}"
                );
            }
        }
        // The upload runs even when the scan failed on findings, and reads the file the
        // full scan wrote.
        for upload in uploads {
            assert_eq!(text(&upload["if"]), "always()");
            assert_eq!(text(&upload["with"]["sarif_file"]), default_sarif);
        }
    }
}
