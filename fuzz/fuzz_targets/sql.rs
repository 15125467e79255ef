//! SQL migrations: up to three files in one migration set (split at 0xFF), so the schema
//! replay and the cross-file checks run, plus one non-migration script.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut files: Vec<(String, Vec<u8>)> = backend_audit_fuzz::split_parts(data, 3)
        .into_iter()
        .enumerate()
        .map(|(i, part)| (format!("db/migrations/{:04}_step.sql", i + 1), part))
        .collect();
    if let Some((_, first)) = files.first() {
        files.push(("scripts/report.sql".to_string(), first.clone()));
    }
    backend_audit_fuzz::scan_and_check(files);
});
