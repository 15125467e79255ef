//! Suppression comments: the input becomes a comment (and whatever follows a newline in
//! it) above and beside code with a finding, in every language.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(comment) = std::str::from_utf8(data) else {
        return;
    };
    let files = vec![
        (
            "src/app.js",
            format!("// {comment}\nrequire('child_process').exec(cmd); // {comment}\n/* {comment} */\n"),
        ),
        (
            "app/views.py",
            format!("# {comment}\nimport pickle\npickle.loads(body)  # {comment}\n"),
        ),
        (
            "db/migrations/001.sql",
            format!("-- {comment}\nCREATE TABLE t (id int);\nALTER TABLE t DROP COLUMN id; -- {comment}\n"),
        ),
        (
            "infra/main.tf",
            format!("# {comment}\nresource \"aws_db_instance\" \"db\" {{\n  # {comment}\n  storage_encrypted = false // {comment}\n}}\n"),
        ),
    ];
    backend_audit_fuzz::scan_and_check(
        files
            .into_iter()
            .map(|(p, t)| (p.to_string(), t.into_bytes()))
            .collect(),
    );
});
