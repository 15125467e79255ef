//! SEC006's promise that a secret is never printed: a repository holding secrets of every
//! kind is scanned in every output format (and with `--output`, `--verbose` and
//! `--show-suppressed`-free defaults), and no report, nor the summary on stderr, may hold
//! any five consecutive characters of a secret's hidden part.

mod common;

use std::process::Command;

/// Secrets of each kind the rule finds, and the files that hold them.
fn repository(dir: &std::path::Path) -> Vec<&'static str> {
    let secrets = vec![
        "AKIAQ3ZKXW7RTP2LM4VN",
        "Hx7r2PqLm9Vz4TkWn8Ys0BcDf5GjRa3Ue6NoMi1S",
        "ghp_R2d4k9QzL0pX7mN3vB8cY1wE5tU6iO0aS4fG",
        "Vq8rT2zLm4xPw9",
        "k9Qz7vLp2Xw4sRt6",
        "Zr8xQ2mLp0vNw5",
        "Wm3Xq8Zr2Lv7Tp",
        "Kp9Xz2Lq7Vm4Rt",
        "Rt5Wq8Zm2Xv7Lp",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.Qm9vYmFyYmF6cXV4cXV1eHh5enpBQkNERUY",
        "MIIEpAIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM9Oi8Q6y0kZJ4b7cF2gH1jK5lN8pRwXq2Zt7Lm9Vr4Pk",
        "Tq8Xz3Lm9Vr2Wp",
    ];
    let files = [
        (
            ".env",
            format!(
                "AWS_ACCESS_KEY_ID={}\nAWS_SECRET_ACCESS_KEY={}\nGITHUB_TOKEN={}\nDB_PASSWORD={}\n",
                secrets[0], secrets[1], secrets[2], secrets[3]
            ),
        ),
        (
            "src/config.js",
            format!(
                "const jwtSecret = process.env.JWT_SECRET || '{}';\nmodule.exports = {{ db: {{ password: '{}' }} }};\n",
                secrets[4], secrets[5]
            ),
        ),
        (
            "app/settings.py",
            format!(
                "import os\nDB_PASSWORD = \"{}\"\nTOKEN = os.getenv(\"API_TOKEN\", \"{}\")\n",
                secrets[6], secrets[7]
            ),
        ),
        (
            "config/default.json",
            format!(
                "{{\"db\": {{\"password\": \"{}\"}}, \"session\": \"{}\"}}\n",
                secrets[8], secrets[9]
            ),
        ),
        (
            "certs/server.key",
            format!(
                "-----BEGIN RSA PRIVATE KEY-----\n{}\n-----END RSA PRIVATE KEY-----\n",
                secrets[10]
            ),
        ),
        // Test code: reported one severity lower, and masked all the same.
        (
            "tests/test_login.py",
            format!("PASSWORD = \"{}\"\n", secrets[11]),
        ),
    ];
    for (path, text) in &files {
        common::write(dir, path, text);
    }
    secrets
}

/// Five consecutive characters of the part of `secret` its mask hides.
fn leaks<'a>(output: &str, secret: &'a str) -> Option<&'a str> {
    let masked = audit_core::mask(secret);
    let hidden: Vec<usize> = masked
        .char_indices()
        .filter(|(_, c)| *c == '*')
        .map(|(i, _)| i)
        .collect();
    let (first, last) = (*hidden.first()?, *hidden.last()?);
    let hidden = &secret[first..=last];
    (0..hidden.len().saturating_sub(4))
        .map(|i| &hidden[i..i + 5])
        .find(|window| output.contains(window))
}

#[test]
fn no_output_format_prints_a_secret() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = repository(dir.path());
    let root = dir.path().to_str().unwrap();
    let mut reports = Vec::new();
    for format in ["text", "json", "sarif", "junit", "gitlab"] {
        let output = Command::new(env!("CARGO_BIN_EXE_backend-audit"))
            .args(["scan", root, "--format", format, "--verbose", "--exit-zero"])
            .output()
            .expect("the binary runs");
        assert_eq!(output.status.code(), Some(0), "{format}");
        let stdout = String::from_utf8(output.stdout).unwrap();
        let stderr = String::from_utf8(output.stderr).unwrap();
        // Every secret was found: a format that printed nothing would prove nothing.
        let findings = stdout.matches("SEC006").count();
        assert!(
            findings >= secrets.len(),
            "{format}: {findings} mentions\n{stdout}"
        );
        reports.push((format, format!("{stdout}\n{stderr}"), stdout));
    }
    for (format, report, _) in &reports {
        for secret in &secrets {
            if let Some(window) = leaks(report, secret) {
                panic!("{format} prints `{window}` of a secret:\n{report}");
            }
        }
    }
    // Each secret is one finding.
    let (_, _, json) = &reports[1];
    let document: serde_json::Value = serde_json::from_str(json).unwrap();
    let found = document["findings"]
        .as_array()
        .map_or(0, |f| f.iter().filter(|f| f["rule_id"] == "SEC006").count());
    assert_eq!(found, secrets.len(), "{json}");
    // The masked form is what the reports show instead.
    let (_, text, _) = &reports[0];
    assert!(text.contains("AKIA************M4VN"), "{text}");
}

#[test]
fn the_leak_check_sees_a_secret_printed_in_clear() {
    assert_eq!(
        leaks("key: AKIAQ3ZKXW7RTP2LM4VN", "AKIAQ3ZKXW7RTP2LM4VN"),
        Some("Q3ZKX")
    );
    assert_eq!(
        leaks("key: AKIA************M4VN", "AKIAQ3ZKXW7RTP2LM4VN"),
        None
    );
}

#[test]
fn hidden_files_of_the_text_class_are_read_and_hidden_folders_are_not() {
    let dir = tempfile::tempdir().unwrap();
    let token = "GITHUB_TOKEN=ghp_R2d4k9QzL0pX7mN3vB8cY1wE5tU6iO0aS4fG\n";
    for path in [
        ".env",
        ".github/workflows/.env",
        ".venv/lib/.env",
        ".cache/x/.env",
    ] {
        common::write(dir.path(), path, token);
    }
    common::write(
        dir.path(),
        ".venv/lib/site.py",
        "TOKEN = 'Hx7r2PqLm9Vz4Tk'\n",
    );
    let output = Command::new(env!("CARGO_BIN_EXE_backend-audit"))
        .args(["scan", dir.path().to_str().unwrap(), "--format", "json"])
        .output()
        .expect("the binary runs");
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let mut paths: Vec<&str> = document["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    paths.sort();
    assert_eq!(paths, [".env", ".github/workflows/.env"]);
    // With SEC006 off, no text file is read at all.
    let output = Command::new(env!("CARGO_BIN_EXE_backend-audit"))
        .args([
            "scan",
            dir.path().to_str().unwrap(),
            "--format",
            "json",
            "--ignore",
            "SEC006",
        ])
        .output()
        .expect("the binary runs");
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(document["summary"]["text_files_scanned"], 0);
    assert_eq!(document["summary"]["files_scanned"], 0);
}
