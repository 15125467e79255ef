//! JavaScript, TypeScript and TSX: the first byte picks the file name (and so the grammar).
#![no_main]

use libfuzzer_sys::fuzz_target;

const NAMES: &[&str] = &[
    "src/app.js",
    "src/app.ts",
    "src/app.tsx",
    "src/app.jsx",
    "src/app.mjs",
    "src/app.cts",
];

fuzz_target!(|data: &[u8]| {
    let Some((first, rest)) = data.split_first() else {
        return;
    };
    let name = NAMES[usize::from(*first) % NAMES.len()];
    backend_audit_fuzz::scan_and_check(vec![(name.to_string(), rest.to_vec())]);
});
