//! Read-only by construction, seen from outside: a scan changes nothing in the scanned
//! tree (content, mode, modification time of every file and folder), and symbolic links
//! never lead the scan out of the root. The kernel-enforced part (Landlock) is tested in
//! src/sandbox.rs.

mod common;

use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_backend-audit"))
        .args(args)
        .output()
        .expect("the binary runs")
}

#[test]
fn a_scan_in_every_format_leaves_the_tree_byte_for_byte_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("repo");
    common::copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/repos/mixed"),
        &tree,
    );
    std::fs::write(tree.join("backend-audit.toml"), "fail-on = \"high\"\n").unwrap();
    std::fs::create_dir(tree.join("empty-folder")).unwrap();
    symlink("service/app.py", tree.join("link-to-app.py")).unwrap();
    let before = common::snapshot(&tree);
    assert!(before.len() > 10, "the copy has the fixture files");

    let tree_arg = tree.to_str().unwrap();
    let report = dir.path().join("report.out");
    for format in ["text", "json", "sarif", "junit", "gitlab"] {
        for extra in [&[][..], &["--output", report.to_str().unwrap()][..]] {
            let mut args = vec!["scan", tree_arg, "--format", format];
            args.extend_from_slice(extra);
            let output = run(&args);
            assert_eq!(
                output.status.code(),
                Some(1),
                "{format}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
    }
    let baseline = dir.path().join("baseline.json");
    let output = run(&[
        "scan",
        tree_arg,
        "--write-baseline",
        baseline.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));

    assert_eq!(common::snapshot(&tree), before, "the scanned tree changed");
}

#[test]
fn symbolic_links_are_never_followed_in_or_out_of_the_root() {
    let dir = tempfile::tempdir().unwrap();
    let outside = dir.path().join("outside");
    let root = dir.path().join("repo");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::create_dir_all(root.join("app")).unwrap();
    // Each of these would be a SEC005 finding if the scan read it.
    let finding = "import pickle\n\n\ndef load(blob):\n    return pickle.loads(blob)\n";
    std::fs::write(outside.join("secret.py"), finding).unwrap();
    std::fs::write(root.join("app/real.py"), finding).unwrap();
    symlink(outside.join("secret.py"), root.join("app/outside_file.py")).unwrap();
    symlink(&outside, root.join("outside_dir")).unwrap();
    symlink("real.py", root.join("app/inside_file.py")).unwrap();
    symlink("../app", root.join("app/inside_dir")).unwrap();
    symlink(".", root.join("loop")).unwrap();
    symlink("missing.py", root.join("app/dangling.py")).unwrap();
    symlink("/dev/zero", root.join("app/device.py")).unwrap();

    let output = run(&["scan", root.to_str().unwrap(), "--format", "json"]);
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let found: Vec<_> = common::json_keys(&report).into_iter().collect();
    assert_eq!(
        found,
        vec![("app/real.py".to_string(), 5, "SEC005".to_string())],
        "only the real file inside the root is read"
    );
    let notes: Vec<(&str, &str)> = report["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["path"].as_str().unwrap_or(""),
                n["message"].as_str().unwrap(),
            )
        })
        .collect();
    for link in [
        "app/outside_file.py",
        "app/inside_file.py",
        "app/dangling.py",
        "app/device.py",
    ] {
        assert!(
            notes
                .iter()
                .any(|(path, message)| *path == link && message.contains("symbolic link")),
            "{link} is reported as a skipped link: {notes:?}"
        );
    }
    assert_eq!(report["summary"]["files_scanned"], 1);
}
