//! The rule harness: every rule's annotated fixtures, the registry's invariants, the
//! docs' examples and the generated docs, checked against the real engine.
//!
//! Fixture annotations live in comments (`#`, `//`, `--`):
//! `expect: ID[, ID]` must be found on that line (or, alone on a line, on the next code
//! line); `ok: ID` must not be; `todo-expect: ID` is a known gap that must stay unfound
//! until it is promoted to `expect:`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

mod common;

use common::{Key, annotations};

use audit_engine::{CliSelection, ConfigFile, Grammar, ScanRequest};

fn fixtures_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/rules")
}

fn scan(root: &Path, select: &[&str]) -> audit_engine::ScanOutput {
    let (config, _) = ConfigFile::discover(root).expect("fixture config");
    audit_engine::scan(ScanRequest {
        root: root.to_path_buf(),
        only: None,
        walk_only: None,
        config,
        cli: CliSelection {
            select: select.iter().map(|s| s.to_string()).collect(),
            ignore: vec![],
        },
        threads: 1,
        extra_rules: None,
        progress: None,
        language: None,
        stage: audit_engine::Stage::Full,
    })
    .expect("scan runs")
}

fn found(output: &audit_engine::ScanOutput) -> BTreeSet<Key> {
    output
        .diagnostics
        .iter()
        .filter(|d| d.suppressed.is_none())
        .map(|d| {
            (
                d.location.path.to_string(),
                d.location.start.line,
                d.rule.to_string(),
            )
        })
        .collect()
}

fn fixture_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(fixtures_root())
        .expect("fixtures/rules exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

#[test]
fn fixtures_find_exactly_what_they_annotate() {
    let mut failures = Vec::new();
    for dir in fixture_dirs() {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let expected = annotations(&dir);
        // All rules run: a finding of any rule that is not annotated is a failure.
        let actual = found(&scan(&dir, &[]));
        for missing in expected.expect.difference(&actual) {
            failures.push(format!(
                "{name}/{}:{}: expected {} but it was not found",
                missing.0, missing.1, missing.2
            ));
        }
        for extra in actual.difference(&expected.expect) {
            let kind = if expected.ok.contains(extra) {
                "marked ok"
            } else if expected.todo.contains(extra) {
                "todo-expect now found (promote it to expect:)"
            } else {
                "not annotated"
            };
            failures.push(format!(
                "{name}/{}:{}: found {} ({kind})",
                extra.0, extra.1, extra.2
            ));
        }
        for conflict in expected.ok.intersection(&expected.expect) {
            failures.push(format!(
                "{name}/{}:{}: annotated both expect and ok for {}",
                conflict.0, conflict.1, conflict.2
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "fixture mismatches:\n{}",
        failures.join("\n")
    );
}

#[test]
fn every_rule_has_fixtures_for_what_it_finds_and_what_it_must_not() {
    let rules = audit_engine::load_rules(None).unwrap();
    let mut per_rule: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for dir in fixture_dirs() {
        let a = annotations(&dir);
        for (_, _, id) in &a.expect {
            per_rule.entry(id.clone()).or_default().0 += 1;
        }
        for (_, _, id) in &a.ok {
            per_rule.entry(id.clone()).or_default().1 += 1;
        }
    }
    let mut problems = Vec::new();
    for rule in &rules {
        let id = rule.id().to_string();
        let (expect, ok) = per_rule.get(&id).copied().unwrap_or_default();
        if expect < 2 || ok < 2 {
            problems.push(format!(
                "{id}: {expect} expect and {ok} ok annotations (need at least 2 of each)"
            ));
        }
        if !fixtures_root().join(&id).is_dir() {
            problems.push(format!("{id}: no fixtures/rules/{id}/ folder"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn rule_ids_are_unique_and_rust_checks_match_rules() {
    let rules = audit_engine::load_rules(None).unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r.id().as_str()).collect();
    let unique: BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(ids.len(), unique.len(), "duplicate rule ids in {ids:?}");
    // A Rust rule and its check agree: the TOML says `check = "rust"`, one check is
    // registered under its id, and the check's file is checks/<domain>/<id>_<name>.rs.
    let checks: Vec<(String, &str)> = audit_engine::rust_checks().collect();
    let checks_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/audit-engine/src/checks");
    for (id, module) in &checks {
        let rule = rules.iter().find(|r| r.id().as_str() == id);
        let Some(rule) = rule.filter(|r| matches!(r.matcher, audit_engine::rules::Matcher::Rust))
        else {
            panic!(
                "Rust check {module} is registered but no rule {id} declares `check = \"rust\"`"
            );
        };
        let expected = format!(
            "{}/{}_{}",
            rule.meta.domain,
            id.to_ascii_lowercase(),
            rule.meta.name.replace('-', "_")
        );
        assert_eq!(
            *module, expected,
            "{id}: the check's file must be named for its rule and domain"
        );
        assert!(
            checks_dir.join(format!("{module}.rs")).is_file(),
            "{module}.rs is missing"
        );
        assert_eq!(
            checks.iter().filter(|(other, _)| other == id).count(),
            1,
            "{id} is registered twice"
        );
    }
    for rule in &rules {
        if matches!(rule.matcher, audit_engine::rules::Matcher::Rust) {
            assert!(
                checks.iter().any(|(id, _)| id == rule.id().as_str()),
                "{} says `check = \"rust\"` but no Rust check is registered for it",
                rule.id()
            );
        }
    }
    // Every check file is registered.
    for domain in std::fs::read_dir(&checks_dir).unwrap() {
        let domain = domain.unwrap().path();
        if !domain.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&domain).unwrap() {
            let file = file.unwrap().path();
            let stem = file.file_stem().unwrap().to_str().unwrap();
            if stem == "mod" {
                continue;
            }
            let module = format!("{}/{stem}", domain.file_name().unwrap().to_str().unwrap());
            assert!(
                checks.iter().any(|(_, m)| *m == module),
                "{} is not in the registry (checks/mod.rs)",
                file.display()
            );
        }
    }
    // Compiling the plan with everything enabled resolves every dispatch and check.
    audit_engine::Plan::compile(rules, |_| true)
        .and_then(|plan| plan.compile_queries())
        .expect("all rules compile together");
}

#[test]
fn every_query_compiles_alone_for_each_declared_language() {
    for rule in audit_engine::load_rules(None).unwrap() {
        let audit_engine::rules::Matcher::Query(queries) = &rule.matcher else {
            continue;
        };
        for language in &rule.meta.languages {
            let Some(grammar) = Grammar::for_language(*language) else {
                panic!(
                    "{}: query rule declares non-tree-sitter language {language}",
                    rule.id()
                );
            };
            let key = if grammar.is_javascript_family() {
                "javascript"
            } else {
                "python"
            };
            let text = queries.get(key).unwrap_or_else(|| {
                panic!(
                    "{}: declares {language} but has no `{key}` query",
                    rule.id()
                )
            });
            audit_engine::compile_alone(&rule, grammar, text).unwrap_or_else(|e| panic!("{e}"));
            if grammar == Grammar::TypeScript {
                audit_engine::compile_alone(&rule, Grammar::Tsx, text)
                    .unwrap_or_else(|e| panic!("{e}"));
            }
        }
    }
}

#[test]
fn docs_bad_example_fires_and_good_example_does_not() {
    for rule in audit_engine::load_rules(None).unwrap() {
        let id = rule.id().to_string();
        for (example, must_fire) in [(&rule.meta.docs.bad, true), (&rule.meta.docs.good, false)] {
            let dir = tempfile::tempdir().unwrap();
            for (file, text) in example_files(&rule.meta.docs.example_file, example) {
                let path = dir.path().join(file);
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, text).unwrap();
            }
            let output = scan(dir.path(), &[&id]);
            let fired = output.diagnostics.iter().any(|d| d.rule.as_str() == id);
            assert_eq!(
                fired,
                must_fire,
                "{id}: the docs' {} example {} fire:\n{example}",
                if must_fire { "bad" } else { "good" },
                if must_fire { "does not" } else { "does" }
            );
        }
    }
}

/// A docs example as files: the example file, or, for a rule that reads several files
/// (code and its spec), each part that starts with a `# file: path` line.
fn example_files<'a>(example_file: &'a str, example: &'a str) -> Vec<(&'a str, String)> {
    if !example.starts_with("# file: ") {
        return vec![(example_file, example.to_string())];
    }
    let mut files: Vec<(&str, String)> = Vec::new();
    for line in example.lines() {
        match line.strip_prefix("# file: ") {
            Some(path) => files.push((path.trim(), String::new())),
            None => {
                let text = &mut files.last_mut().unwrap().1;
                text.push_str(line);
                text.push('\n');
            }
        }
    }
    files
}

#[test]
fn generated_docs_are_current() {
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rules");
    let rules = audit_engine::load_rules(None).unwrap();
    let metas: Vec<_> = rules.iter().map(|r| r.meta.clone()).collect();
    let mut wanted: Vec<(PathBuf, String)> = metas
        .iter()
        .map(|m| {
            (
                docs.join(format!("{}.md", m.id)),
                audit_report::rule_markdown(m),
            )
        })
        .collect();
    wanted.push((
        docs.join("README.md"),
        audit_report::rules_index_markdown(&metas),
    ));
    if std::env::var_os("BACKEND_AUDIT_UPDATE_DOCS").is_some() {
        std::fs::create_dir_all(&docs).unwrap();
        for (path, text) in &wanted {
            std::fs::write(path, text).unwrap();
        }
        return;
    }
    let stale: Vec<String> = wanted
        .iter()
        .filter(|(path, text)| std::fs::read_to_string(path).ok().as_deref() != Some(text.as_str()))
        .map(|(path, _)| {
            path.strip_prefix(env!("CARGO_MANIFEST_DIR"))
                .unwrap()
                .display()
                .to_string()
        })
        .collect();
    assert!(
        stale.is_empty(),
        "generated rule docs are stale: {stale:?}\nregenerate them with: BACKEND_AUDIT_UPDATE_DOCS=1 cargo test --test rules generated_docs"
    );
}
