//! Python, as an application module.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    backend_audit_fuzz::scan_and_check(vec![("app/views.py".to_string(), data.to_vec())]);
});
