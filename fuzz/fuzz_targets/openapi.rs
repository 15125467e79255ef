//! OpenAPI specs: the input is a YAML or JSON spec (the first byte picks which), scanned
//! beside a small Express app so the spec is compared with routes (X003) as well as
//! checked on its own (API015).
#![no_main]

use libfuzzer_sys::fuzz_target;

const APP: &str = r#"const express = require("express");
const app = express();
app.get("/api/v1/users/:id", (req, res) => res.json({ id: req.params.id }));
app.post("/api/v1/users", (req, res) => res.status(201).json(req.body));
app.listen(3000);
"#;

fuzz_target!(|data: &[u8]| {
    let Some((first, spec)) = data.split_first() else {
        return;
    };
    let path = if first % 2 == 0 { "docs/openapi.yaml" } else { "api/swagger.json" };
    backend_audit_fuzz::scan_and_check(vec![
        (path.to_string(), spec.to_vec()),
        ("src/app.js".to_string(), APP.as_bytes().to_vec()),
    ]);
});
