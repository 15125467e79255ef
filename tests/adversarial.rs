//! Bad input never breaks a scan: a corpus generated here (nothing committed) of binary,
//! mis-encoded, huge, deeply nested, truncated, unreadable and oddly named files, next to
//! good files whose findings must still be reported with exact positions. Every case's id
//! appears in the table of docs/reliability.md.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const PICKLE: &str = "import pickle\n\n\ndef load(blob):\n    return pickle.loads(blob)\n";

/// One generated input: a case id (named in docs/reliability.md), its files and what the
/// scan must say about them.
struct Case {
    id: &'static str,
    files: Vec<(PathBuf, Vec<u8>)>,
    expect: Expect,
}

enum Expect {
    /// These (path, line, column, rule) findings, and no note.
    Findings(Vec<(&'static str, u32, u32, &'static str)>),
    /// A note on each file whose message contains this text, and no finding there.
    Note(&'static str),
    /// Scanned, or noted; never a finding, never a crash.
    NoFinding,
    /// A note on each file (why it was not fully understood); findings that error
    /// recovery still sees may be reported.
    Noted,
}

/// Deterministic bytes (xorshift), so a failing case can be reproduced.
fn random_bytes(len: usize, mut seed: u64) -> Vec<u8> {
    (0..len)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed as u8
        })
        .collect()
}

fn file(path: &str, bytes: impl Into<Vec<u8>>) -> (PathBuf, Vec<u8>) {
    (PathBuf::from(path), bytes.into())
}

fn cases() -> Vec<Case> {
    const DEEP: usize = 100_000;
    let utf16: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(
            "import pickle\r\nx = pickle.loads(data)\r\n"
                .encode_utf16()
                .flat_map(u16::to_le_bytes),
        )
        .collect();
    let mut minified = String::from("const cp=require(\"child_process\");");
    while minified.len() < 4 * 1024 * 1024 {
        minified.push_str("function f(a,b){return a.map(x=>x*b).filter(Boolean)};");
    }
    // Minified: the code rules skip it (SEC003 would point at the command argument).
    minified.push_str("cp.exec(command,()=>{});");
    // SEC006 inputs: one line of 2 MiB of JSON with a password at its end, a 6 MiB `.env`
    // with a token on its last line, and one over the size limit.
    let mut single_line = String::from("{\"items\":[");
    while single_line.len() < 2 * 1024 * 1024 {
        single_line.push_str("{\"id\":1,\"name\":\"a\",\"tokens\":[1,2]},");
    }
    single_line.push_str("{}],\"password\":");
    let single_line_column = single_line.len() as u32 + 1;
    single_line.push_str("\"Hx7r2PqLm9Vz4Tk\"}\n");
    let env_line = "FEATURE_FLAG_ENABLED=true\n";
    let huge_env = env_line.repeat(6 * 1024 * 1024 / env_line.len());
    let huge_env_lines = huge_env.lines().count() as u32 + 1;
    let huge_env = format!("{huge_env}GITHUB_TOKEN=ghp_R2d4k9QzL0pX7mN3vB8cY1wE5tU6iO0aS4fG\n");
    vec![
        Case {
            id: "good-files",
            files: vec![file("app/good.py", PICKLE)],
            expect: Expect::Findings(vec![("app/good.py", 5, 12, "SEC005")]),
        },
        Case {
            id: "binary",
            files: vec![
                file("bin/image.js", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec()),
                file("bin/data.py", b"\0\0\0\x01pickle.loads(x)".to_vec()),
                file("bin/dump.sql", b"SQLite format 3\0".to_vec()),
                file("bin/blob.tf", b"\0resource".to_vec()),
            ],
            expect: Expect::Note("binary content"),
        },
        Case {
            id: "random-bytes",
            files: ["js", "py", "sql", "tf"]
                .iter()
                .enumerate()
                .map(|(i, ext)| {
                    (
                        PathBuf::from(format!("random/noise.{ext}")),
                        random_bytes(1024 * 1024, 0x9E37_79B9_7F4A_7C15 + i as u64),
                    )
                })
                .collect(),
            expect: Expect::Note("binary content"),
        },
        Case {
            id: "invalid-utf8",
            files: vec![file(
                "enc/latin1.py",
                b"import pickle\n# caf\xe9 \xff\nx = pickle.loads(data)\n".to_vec(),
            )],
            expect: Expect::Findings(vec![("enc/latin1.py", 3, 5, "SEC005")]),
        },
        Case {
            id: "utf16-bom",
            files: vec![file("enc/utf16.py", utf16)],
            expect: Expect::Findings(vec![("enc/utf16.py", 2, 5, "SEC005")]),
        },
        Case {
            id: "utf8-bom",
            files: vec![file("enc/bom.py", format!("\u{FEFF}{PICKLE}"))],
            expect: Expect::Findings(vec![("enc/bom.py", 5, 12, "SEC005")]),
        },
        Case {
            id: "crlf",
            files: vec![file("eol/crlf.py", PICKLE.replace('\n', "\r\n"))],
            expect: Expect::Findings(vec![("eol/crlf.py", 5, 12, "SEC005")]),
        },
        Case {
            id: "cr-only",
            files: vec![file(
                "eol/cr.js",
                "const cp = require('child_process');\r\rcp.exec(command);\r",
            )],
            expect: Expect::Findings(vec![("eol/cr.js", 3, 9, "SEC003")]),
        },
        Case {
            id: "empty",
            files: ["js", "ts", "py", "sql", "tf"]
                .iter()
                .map(|ext| (PathBuf::from(format!("empty/empty.{ext}")), Vec::new()))
                .collect(),
            expect: Expect::Findings(vec![]),
        },
        Case {
            id: "huge-50mb",
            files: vec![file(
                "big/generated.py",
                PICKLE.repeat(50 * 1024 * 1024 / PICKLE.len()),
            )],
            expect: Expect::Note("over the"),
        },
        Case {
            id: "taint-bounds",
            files: vec![
                // A 3,000-step assignment chain, mutual recursion, and a 100,000-deep
                // concatenation inside a sink: the data-flow model stops at its depth
                // bound (the chain is too long to prove, so the finding is the
                // non-literal one) and terminates.
                file("taint/chain.js", {
                    let mut text =
                        String::from("app.get('/c', (req, res) => {\n  const a0 = req.query.q;\n");
                    for i in 1..3000 {
                        text.push_str(&format!("  const a{i} = a{} + 'x';\n", i - 1));
                    }
                    text.push_str("  pool.query('SELECT id FROM t WHERE q = ' + a2999);\n});\n");
                    text
                }),
                file(
                    "taint/recursion.js",
                    "function a(x) { return b(x) + a(x); }\nfunction b(y) { return a(y); }\napp.get('/r', (req, res) => {\n  pool.query('SELECT id FROM t WHERE q = ' + a(req.query.q));\n});\n",
                ),
                file(
                    "taint/deep.py",
                    format!(
                        "from flask import request\ncursor.execute('SELECT id FROM t WHERE q = ' + {}request.args['q']{})\n",
                        "(".repeat(DEEP),
                        ")".repeat(DEEP)
                    ),
                ),
            ],
            expect: Expect::Findings(vec![
                ("taint/chain.js", 3002, 14, "SEC001"),
                ("taint/recursion.js", 4, 14, "SEC001"),
                ("taint/deep.py", 2, 16, "SEC001"),
            ]),
        },
        Case {
            id: "deep-nesting",
            files: vec![
                file(
                    "deep/deep.js",
                    format!("x = {}1{};\n", "[".repeat(DEEP), "]".repeat(DEEP)),
                ),
                file(
                    "deep/deep.ts",
                    format!("let x = {}1{};\n", "(".repeat(DEEP), ")".repeat(DEEP)),
                ),
                file(
                    "deep/deep.py",
                    format!("x = {}1{}\n", "[".repeat(DEEP), "]".repeat(DEEP)),
                ),
                file(
                    "deep/deep.sql",
                    format!("SELECT {}1{};\n", "(".repeat(DEEP), ")".repeat(DEEP)),
                ),
                file(
                    "deep/deep.tf",
                    format!(
                        "locals {{\n  x = {}1{}\n}}\n",
                        "[".repeat(DEEP),
                        "]".repeat(DEEP)
                    ),
                ),
            ],
            expect: Expect::NoFinding,
        },
        Case {
            id: "unterminated",
            files: vec![
                file(
                    "trunc/string.js",
                    "const cp = require('child_process');\ncp.exec(`ls ${dir}",
                ),
                file("trunc/comment.ts", "/* never closed\nconst a = 1;\n"),
                file(
                    "trunc/string.py",
                    "import pickle\nx = \"\"\"never closed\npickle.loads(x)\n",
                ),
                file(
                    "trunc/string.sql",
                    "CREATE TABLE t (id int);\nSELECT 'never closed;\n",
                ),
                file("trunc/comment.sql", "/* never closed\nDROP TABLE t;\n"),
                file(
                    "trunc/string.tf",
                    "resource \"aws_s3_bucket\" \"b\" {\n  bucket = \"never closed\n",
                ),
            ],
            expect: Expect::Noted,
        },
        Case {
            id: "terraform-hostile",
            files: vec![
                file("tf-hostile/main.tf", hostile_terraform()),
                // Calls back into the module that calls it.
                file(
                    "tf-loop/main.tf",
                    "module \"back\" {\n  source = \"../tf-hostile\"\n}\n",
                ),
            ],
            expect: Expect::Findings(vec![("tf-hostile/main.tf", 14, 3, "TF012")]),
        },
        Case {
            id: "sql-unterminated",
            files: vec![
                file(
                    "sqlbad/migrations/0001_dollar.sql",
                    "CREATE TABLE t (id int PRIMARY KEY);\nCREATE FUNCTION f() RETURNS int AS $body$\nBEGIN\n  RETURN 1;\n",
                ),
                file(
                    "sqlbad/migrations/0002_comment.sql",
                    "ALTER TABLE t ADD COLUMN c int;\n/* the rest was cut\nDROP TABLE t;\n",
                ),
            ],
            expect: Expect::Noted,
        },
        // A statement cut short is DB012's finding (once per file), not a note besides.
        Case {
            id: "sql-truncated",
            files: vec![file(
                "sqlbad/migrations/0003_truncated.sql",
                "CREATE TABLE u (id int PRIMARY KEY,\n  name text",
            )],
            expect: Expect::Findings(vec![(
                "sqlbad/migrations/0003_truncated.sql",
                1,
                1,
                "DB012",
            )]),
        },
        Case {
            id: "minified-4mb",
            files: vec![file("dist-like/bundle.js", minified)],
            expect: Expect::Note("minified JavaScript"),
        },
        Case {
            id: "text-binary",
            files: vec![
                file(
                    "textbin/settings.json",
                    b"\0\0\0\x01{\"password\": 1}".to_vec(),
                ),
                file(
                    "textbin/values.yaml",
                    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec(),
                ),
                file("textbin/server.key", random_bytes(64 * 1024, 0x5EC0_0006)),
                file("textbin/.env", b"SECRET=\0\0\0".to_vec()),
            ],
            expect: Expect::Note("binary content"),
        },
        Case {
            id: "text-single-line-json",
            files: vec![file("textbig/single-line.json", single_line)],
            expect: Expect::Findings(vec![(
                "textbig/single-line.json",
                1,
                single_line_column,
                "SEC006",
            )]),
        },
        Case {
            id: "text-invalid-utf8",
            files: vec![file(
                "textenc/.env",
                b"# caf\xe9 \xff\nDB_PASSWORD=Vq8rT2zLm4xPw9\n".to_vec(),
            )],
            expect: Expect::Findings(vec![("textenc/.env", 2, 13, "SEC006")]),
        },
        Case {
            id: "text-huge-env",
            files: vec![file("textbig/.env", huge_env)],
            expect: Expect::Findings(vec![("textbig/.env", huge_env_lines, 14, "SEC006")]),
        },
        Case {
            id: "text-over-limit",
            files: vec![file(
                "textbig/over/.env.production",
                "LOG_LEVEL=info\n".repeat(9_000_000 / 15),
            )],
            expect: Expect::Note("over the"),
        },
        Case {
            id: "odd-names",
            files: vec![
                file("names/with space.py", PICKLE),
                file("names/new\nline.py", PICKLE),
                (
                    PathBuf::from(OsStr::from_bytes(b"names/latin\xe9.py")),
                    PICKLE.as_bytes().to_vec(),
                ),
            ],
            expect: Expect::Findings(vec![
                ("names/latin\u{FFFD}.py", 5, 12, "SEC005"),
                ("names/new\nline.py", 5, 12, "SEC005"),
                ("names/with space.py", 5, 12, "SEC005"),
            ]),
        },
    ]
}

/// Cyclic and self-referencing locals, a huge `count`, a module calling itself and one
/// calling back, then 10,000 resources: one known finding, in bounded time.
fn hostile_terraform() -> String {
    let mut text = String::from(
        "locals {\n  a = local.b\n  b = local.a\n  c = \"${local.c}x\"\n  n = 1000000000\n}\n\
         module \"self\" {\n  source = \"./\"\n}\nmodule \"loop\" {\n  source = \"../tf-loop\"\n}\n\
         resource \"aws_kms_key\" \"off\" {\n  enable_key_rotation = false\n}\n\
         resource \"aws_kms_key\" \"many\" {\n  count               = local.n\n  enable_key_rotation = local.a\n}\n",
    );
    for i in 0..10_000 {
        text.push_str(&format!(
            "resource \"aws_ebs_volume\" \"v{i}\" {{\n  encrypted = local.c != \"\" || true\n}}\n"
        ));
    }
    text
}

fn write_case_files(root: &Path, cases: &[Case]) {
    for case in cases {
        for (path, bytes) in &case.files {
            let path = root.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, bytes).unwrap();
        }
    }
}

fn scan(root: &Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_backend-audit"))
        .arg("scan")
        .arg(root)
        .args(["--format", "json", "--threads", "2"])
        .args(extra)
        .output()
        .expect("the binary runs")
}

/// path -> (findings as (line, column, rule), note messages)
type PerFile = BTreeMap<String, (BTreeSet<(u32, u32, String)>, Vec<String>)>;

fn per_file(report: &Value) -> PerFile {
    let mut files = PerFile::new();
    for f in report["findings"].as_array().unwrap() {
        files
            .entry(f["path"].as_str().unwrap().to_string())
            .or_default()
            .0
            .insert((
                f["line"].as_u64().unwrap() as u32,
                f["column"].as_u64().unwrap() as u32,
                f["rule_id"].as_str().unwrap().to_string(),
            ));
    }
    for n in report["notes"].as_array().unwrap() {
        if let Some(path) = n["path"].as_str() {
            files
                .entry(path.to_string())
                .or_default()
                .1
                .push(n["message"].as_str().unwrap().to_string());
        }
    }
    files
}

#[test]
fn the_adversarial_corpus_is_scanned_with_a_note_for_every_bad_file() {
    let dir = tempfile::tempdir().unwrap();
    // To look at the corpus (and fill docs/reliability.md's observed column):
    // BACKEND_AUDIT_CORPUS_DIR=/tmp/adversarial cargo test --test adversarial
    let kept = std::env::var_os("BACKEND_AUDIT_CORPUS_DIR").map(PathBuf::from);
    let root = kept.as_deref().unwrap_or(dir.path());
    let cases = cases();
    write_case_files(root, &cases);
    // Raised so the 4 MB bundle is parsed; the 50 MB file stays over it.
    std::fs::write(
        root.join("backend-audit.toml"),
        "max-file-size = 8_000_000\n",
    )
    .unwrap();

    let output = scan(root, &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let report: Value = serde_json::from_slice(&output.stdout).expect("valid JSON");
    let files = per_file(&report);

    let mut failures = Vec::new();
    for case in &cases {
        let paths: Vec<String> = case
            .files
            .iter()
            .map(|(p, _)| p.to_string_lossy().into_owned())
            .collect();
        match &case.expect {
            Expect::Findings(expected) => {
                let expected: BTreeSet<(String, u32, u32, String)> = expected
                    .iter()
                    .map(|(p, l, c, r)| (p.to_string(), *l, *c, r.to_string()))
                    .collect();
                let found: BTreeSet<(String, u32, u32, String)> = paths
                    .iter()
                    .flat_map(|p| {
                        files.get(p).into_iter().flat_map(move |(f, _)| {
                            f.iter()
                                .map(move |(l, c, r)| (p.clone(), *l, *c, r.clone()))
                        })
                    })
                    .collect();
                if found != expected {
                    failures.push(format!(
                        "{}: findings {found:?}, expected {expected:?}",
                        case.id
                    ));
                }
            }
            Expect::Note(text) => {
                for path in &paths {
                    let (findings, notes) = files.get(path).cloned().unwrap_or_default();
                    if !findings.is_empty() || !notes.iter().any(|n| n.contains(text)) {
                        failures.push(format!(
                            "{} ({path}): expected a note containing {text:?}, got {notes:?} and {findings:?}",
                            case.id
                        ));
                    }
                }
            }
            Expect::Noted => {
                for path in &paths {
                    if files.get(path).is_none_or(|(_, notes)| notes.is_empty()) {
                        failures.push(format!("{} ({path}): no note", case.id));
                    }
                }
            }
            Expect::NoFinding => {
                for path in &paths {
                    if let Some((findings, _)) = files.get(path).filter(|(f, _)| !f.is_empty()) {
                        failures.push(format!("{} ({path}): unexpected {findings:?}", case.id));
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}\n{stderr}");
    // The deep and truncated files may be partly analysed; each one says why.
    for path in ["deep/deep.tf", "deep/deep.sql"] {
        assert!(
            files.get(path).is_some_and(|(_, notes)| !notes.is_empty()),
            "{path} has a note: {files:?}"
        );
    }
}

/// Unreadable files and folders: a note each, the rest scanned. Root reads everything, so
/// there the files are simply scanned.
#[test]
fn unreadable_files_and_folders_are_notes_not_failures() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("locked")).unwrap();
    std::fs::write(root.join("good.py"), PICKLE).unwrap();
    std::fs::write(root.join("secret.py"), PICKLE).unwrap();
    std::fs::write(root.join("locked/inner.py"), PICKLE).unwrap();
    std::fs::set_permissions(root.join("secret.py"), PermissionsExt::from_mode(0o000)).unwrap();
    std::fs::set_permissions(root.join("locked"), PermissionsExt::from_mode(0o600)).unwrap();
    let fifo = root.join("pipe.py");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let as_root = std::fs::metadata(root.join("good.py")).unwrap().uid() == 0;

    let output = scan(root, &[]);
    std::fs::set_permissions(root.join("locked"), PermissionsExt::from_mode(0o755)).unwrap();
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let files = per_file(&serde_json::from_slice(&output.stdout).unwrap());

    assert_eq!(files["good.py"].0.len(), 1);
    assert!(
        files["pipe.py"]
            .1
            .iter()
            .any(|n| n.contains("not a regular file")),
        "a FIFO is never opened (it would block): {files:?}"
    );
    if as_root {
        assert_eq!(files["secret.py"].0.len(), 1, "root reads mode 000 files");
        assert_eq!(
            files["locked/inner.py"].0.len(),
            1,
            "root lists mode 600 folders"
        );
    } else {
        assert!(
            files["secret.py"]
                .1
                .iter()
                .any(|n| n.contains("cannot open")),
            "{files:?}"
        );
        assert!(
            files.keys().any(|p| p == "locked"),
            "the folder has a note: {files:?}"
        );
    }
}

#[test]
fn a_parse_time_budget_bounds_each_file() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let mut bundle = String::new();
    while bundle.len() < 3 * 1024 * 1024 {
        // Short lines: a minified file would not be parsed at all.
        bundle.push_str("function f(a,b){return a.map(x=>x*b).filter(Boolean)};\n");
    }
    std::fs::write(root.join("bundle.js"), bundle).unwrap();
    std::fs::write(root.join("good.py"), PICKLE).unwrap();
    std::fs::write(
        root.join("backend-audit.toml"),
        "max-file-size = 8_000_000\nparse-timeout-ms = 1\n",
    )
    .unwrap();
    let output = scan(root, &[]);
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let files = per_file(&report);
    assert!(
        files["bundle.js"].1.iter().any(|n| n.contains("time")),
        "{files:?}"
    );
    assert_eq!(
        files["good.py"].0.len(),
        1,
        "other files are still analysed"
    );
}

#[test]
fn bad_configuration_and_bad_rules_exit_2_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(root.join("good.py"), PICKLE).unwrap();
    let config = root.join("backend-audit.toml");
    for (text, said) in [
        (
            "select = [\"SEC\"\nfail-on = \"high\"\n",
            "backend-audit.toml",
        ),
        ("fail-on = \"catastrophic\"\n", "catastrophic"),
        ("unknown-key = 1\n", "unknown-key"),
        ("exclude = [\"[z-a]\"]\n", "exclude"),
        ("\u{0}\u{1}binary", "backend-audit.toml"),
    ] {
        std::fs::write(&config, text).unwrap();
        let output = scan(root, &[]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{text:?}: {stderr}");
        assert!(output.stdout.is_empty(), "no partial report for {text:?}");
        assert!(stderr.contains(said), "{text:?}: {stderr}");
    }
    std::fs::remove_file(&config).unwrap();

    let rules = root.join("custom-rules");
    std::fs::create_dir(&rules).unwrap();
    std::fs::write(
        rules.join("X001-broken.toml"),
        common::console_log_rule("security", "console.log in server code.").replacen(
            "(call_expression",
            "(call_expression (((",
            1,
        ),
    )
    .unwrap();
    let output = scan(root, &["--rules", rules.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("X001-broken.toml"), "{stderr}");
    assert!(
        stderr.contains("query"),
        "the broken query is named: {stderr}"
    );
}

#[test]
fn every_case_is_in_the_reliability_table() {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/reliability.md"))
            .expect("docs/reliability.md exists");
    let ids: Vec<&str> = cases()
        .iter()
        .map(|c| c.id)
        .chain([
            "unreadable",
            "fifo",
            "parse-budget",
            "bad-config",
            "bad-rules",
            "symlinks",
            "fuzz",
            "huge-migrations",
        ])
        .collect();
    let missing: Vec<&&str> = ids
        .iter()
        .filter(|id| !doc.contains(&format!("| `{id}` |")))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/reliability.md lacks rows for {missing:?}"
    );
}

/// A 10 MB migration and 10,000 migrations in one folder are replayed whole: the one
/// finding each holds is reported at its place, with no note and no crash.
#[test]
fn huge_migrations_are_replayed_whole() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(
        root.join("backend-audit.toml"),
        "max-file-size = 20_000_000\n",
    )
    .unwrap();
    let many = root.join("many/migrations");
    std::fs::create_dir_all(&many).unwrap();
    std::fs::write(
        many.join("00000_t.sql"),
        "CREATE TABLE t (id bigint PRIMARY KEY);\n",
    )
    .unwrap();
    for i in 1..10_000 {
        std::fs::write(
            many.join(format!("{i:05}_c{i}.sql")),
            format!("ALTER TABLE t ADD COLUMN c{i} int;\n"),
        )
        .unwrap();
    }
    std::fs::write(
        many.join("10000_index.sql"),
        "CREATE INDEX CONCURRENTLY t_c1_idx ON t (c1);\nCREATE INDEX t_c9999_idx ON t (c9999);\n",
    )
    .unwrap();

    let big = root.join("big/migrations");
    std::fs::create_dir_all(&big).unwrap();
    std::fs::write(
        big.join("0000_seed_table.sql"),
        "CREATE TABLE seed (id bigint PRIMARY KEY, v text);\n",
    )
    .unwrap();
    let mut seed = String::new();
    let mut lines = 0;
    while seed.len() < 10_000_000 {
        seed.push_str(
            "INSERT INTO seed (id, v) VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd'), (5, 'e');\n",
        );
        lines += 1;
    }
    seed.push_str("UPDATE seed SET v = upper(v);\n");
    lines += 1;
    std::fs::write(big.join("0001_seed.sql"), &seed).unwrap();

    let output = scan(root, &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    let report: Value = serde_json::from_slice(&output.stdout).expect("valid JSON");
    let files = per_file(&report);
    let found: Vec<(&str, u32, &str)> = files
        .iter()
        .flat_map(|(path, (findings, _))| {
            findings
                .iter()
                .map(move |(line, _, rule)| (path.as_str(), *line, rule.as_str()))
        })
        .collect();
    assert_eq!(
        found,
        [
            ("big/migrations/0001_seed.sql", lines, "DB011"),
            ("many/migrations/10000_index.sql", 2, "DB002"),
        ],
        "{stderr}"
    );
    assert!(report["notes"].as_array().unwrap().is_empty(), "{stderr}");
    assert_eq!(report["summary"]["files_scanned"], 10_003);
}

/// Migrations written in code with broken SQL in them (truncated, an unterminated
/// dollar quote or comment), a truncated class, and a 2 MB Sequelize migration: no
/// crash, and the findings the good statements hold are reported at their places.
#[test]
fn broken_sql_in_code_migrations_is_survived() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let typeorm = root.join("src/migrations");
    std::fs::create_dir_all(&typeorm).unwrap();
    std::fs::write(
        typeorm.join("1700000000000-Truncated.ts"),
        "import { MigrationInterface, QueryRunner } from \"typeorm\";\n\
         export class Truncated1700000000000 implements MigrationInterface {\n    \
         public async up(queryRunner: QueryRunner): Promise<void> {\n        \
         await queryRunner.query(`CREATE TABLE \"t\" (\"id\" int",
    )
    .unwrap();
    std::fs::write(
        typeorm.join("1700000000001-Dollar.ts"),
        "export class Dollar1700000000001 {\n    \
         async up(queryRunner) {\n        \
         await queryRunner.query(`CREATE FUNCTION f() RETURNS int AS $$ SELECT 1`);\n        \
         await queryRunner.query(`/* never closed DROP TABLE \"t\"`);\n        \
         await queryRunner.query(`DELETE FROM \"t\"`);\n    \
         }\n    \
         async down(queryRunner) {\n        \
         await queryRunner.query(`SELECT 1`);\n    \
         }\n\
         }\n",
    )
    .unwrap();
    let sequelize = root.join("db/migrations");
    std::fs::create_dir_all(&sequelize).unwrap();
    let mut big = String::from("module.exports = {\n  async up(queryInterface, Sequelize) {\n");
    let mut lines = 2;
    let mut i = 0;
    while big.len() < 2_000_000 {
        big.push_str(&format!(
            "    await queryInterface.addColumn('Wide', 'c{i}', {{ type: Sequelize.INTEGER }});\n"
        ));
        lines += 1;
        i += 1;
    }
    big.push_str("    await queryInterface.bulkDelete('Wide', null, {});\n");
    lines += 1;
    big.push_str("  },\n  async down(queryInterface) {\n    await queryInterface.dropTable('Wide');\n  },\n};\n");
    std::fs::write(sequelize.join("20240101000000-wide.js"), &big).unwrap();

    let output = scan(root, &["--select", "DB"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    let report: Value = serde_json::from_slice(&output.stdout).expect("valid JSON");
    let found: BTreeSet<(String, u32, String)> = per_file(&report)
        .into_iter()
        .flat_map(|(path, (findings, _))| {
            findings
                .into_iter()
                .map(move |(line, _, rule)| (path.clone(), line, rule))
        })
        .collect();
    let expected: BTreeSet<(String, u32, String)> = [
        ("db/migrations/20240101000000-wide.js", lines, "DB011"),
        ("src/migrations/1700000000001-Dollar.ts", 5, "DB011"),
    ]
    .into_iter()
    .map(|(p, l, r)| (p.to_string(), l, r.to_string()))
    .collect();
    assert_eq!(found, expected, "{stderr}");
    assert_eq!(report["summary"]["files_scanned"], 3);
}

/// A minified bundle gets a note and only the text checks: a command built from input
/// in it is not reported (it is a build's copy of code nobody edits here), a key baked
/// into it is. The same code written as source is reported.
#[test]
fn minified_javascript_is_searched_for_secrets_only() {
    let dir = tempfile::tempdir().unwrap();
    let code =
        "const cp=require(\"child_process\");function run(req){cp.exec(\"ls \"+req.query.dir)}";
    let key = "const k=\"AKIAQYLPMN5HHHFPZAM2\";";
    let filler = "var a=function(b,c){return b(c)};".repeat(1_000);
    let bundle = format!("(()=>{{{code}{key}{filler}}})();\n");
    common::write(dir.path(), "static/bundle.js", &bundle);
    common::write(dir.path(), "src/run.js", &format!("{code}\n{key}\n"));
    let output = scan(dir.path(), &["--exit-zero"]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let files = per_file(&report);
    let rules = |path: &str| -> BTreeSet<String> {
        files[path]
            .0
            .iter()
            .map(|(_, _, rule)| rule.clone())
            .collect()
    };
    assert!(rules("src/run.js").contains("SEC003"), "{files:?}");
    assert!(!rules("static/bundle.js").contains("SEC003"), "{files:?}");
    assert!(rules("static/bundle.js").contains("SEC006"), "{files:?}");
    assert!(
        files["static/bundle.js"]
            .1
            .iter()
            .any(|n| n.contains("minified JavaScript")),
        "{files:?}"
    );
}
