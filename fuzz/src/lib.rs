//! Shared harness of the fuzz targets: run the real engine with every rule enabled over
//! in-memory files, check what every finding must satisfy, and render every format.

use std::sync::OnceLock;

use audit_engine::{ConfigFile, Engine, ScanOutput};
use audit_report::Report;

/// Scans `files` with the default configuration (every rule on) and checks the output.
pub fn scan_and_check(files: Vec<(String, Vec<u8>)>) {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    let engine =
        ENGINE.get_or_init(|| Engine::new(&ConfigFile::default()).expect("built-in rules load"));
    check(engine, files);
}

/// Like [`scan_and_check`] with a fuzzed configuration, which may be rejected (a config
/// error is exit code 2 for users, not a crash).
pub fn scan_with_config(config: &ConfigFile, files: Vec<(String, Vec<u8>)>) {
    if let Ok(engine) = Engine::new(config) {
        check(&engine, files);
    }
}

fn check(engine: &Engine, files: Vec<(String, Vec<u8>)>) {
    let sizes = sizes(&files);
    let output = engine.scan_sources(files);
    check_locations(&output, &sizes);
    render_all(&output);
}

fn sizes(files: &[(String, Vec<u8>)]) -> Vec<(String, usize)> {
    files.iter().map(|(p, b)| (p.clone(), b.len())).collect()
}

/// Splits fuzz input into at most `n` parts at 0xFF bytes (never valid UTF-8, so it
/// cannot hide a source character the part needs).
pub fn split_parts(data: &[u8], n: usize) -> Vec<Vec<u8>> {
    data.splitn(n, |b| *b == 0xFF).map(<[u8]>::to_vec).collect()
}

fn check_locations(output: &ScanOutput, sizes: &[(String, usize)]) {
    for d in &output.diagnostics {
        let location = &d.location;
        let size = sizes
            .iter()
            .find(|(p, _)| **p == *location.path)
            .map(|(_, s)| *s)
            .expect("findings point at scanned files");
        // Decoding may replace invalid bytes (each becomes 3 bytes of U+FFFD).
        assert!(location.span.start <= location.span.end, "{d:?}");
        assert!(location.span.end as usize <= size * 3 + 3, "{d:?}");
        assert!(
            location.start.line >= 1 && location.start.column >= 1,
            "{d:?}"
        );
        assert!(
            (location.start.line, location.start.column)
                <= (location.end.line, location.end.column),
            "{d:?}"
        );
        assert!(!d.message.is_empty());
    }
}

fn render_all(output: &ScanOutput) {
    let report = Report {
        diagnostics: &output.diagnostics,
        notes: &output.notes,
        summary: &output.summary,
        rules: &output.rules,
        tool_version: "fuzz",
    };
    // Into memory, which cannot fail to take the bytes.
    let mut out = Vec::new();
    audit_report::text(&report, false, &mut out).expect("written to memory");
    audit_report::text(&report, true, &mut out).expect("written to memory");
    out.clear();
    audit_report::json(&report, &mut out).expect("written to memory");
    assert!(out.starts_with(b"{"));
    out.clear();
    audit_report::sarif(&report, None, &mut out).expect("written to memory");
    assert!(out.starts_with(b"{"));
}
