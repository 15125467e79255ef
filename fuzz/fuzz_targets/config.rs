//! backend-audit.toml: any text either is rejected with a message or configures a scan of
//! a small repository with findings in every language.
#![no_main]

use audit_engine::ConfigFile;
use libfuzzer_sys::fuzz_target;

const REPOSITORY: &[(&str, &str)] = &[
    ("src/app.js", "const express = require('express');\nconst app = express();\nrequire('child_process').exec(`ls ${req.query.d}`);\n"),
    ("api/views.py", "import pickle\nimport requests\npickle.loads(body)\nrequests.get(url, verify=False)\n"),
    ("db/migrations/001_init.sql", "CREATE TABLE users (id int primary key, email text);\nALTER TABLE users DROP COLUMN email;\n"),
    ("infra/main.tf", "resource \"aws_db_instance\" \"db\" {\n  storage_encrypted = false\n}\n"),
];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(config) = ConfigFile::parse(text, "backend-audit.toml") else {
        return;
    };
    let files = REPOSITORY
        .iter()
        .map(|(path, text)| (path.to_string(), text.as_bytes().to_vec()))
        .collect();
    backend_audit_fuzz::scan_with_config(&config, files);
});
