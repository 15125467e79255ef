//! Terraform: main.tf, variables.tf and terraform.tfvars of one module (split at 0xFF), so
//! variable defaults, tfvars and locals are evaluated before the assertions run.
#![no_main]

use libfuzzer_sys::fuzz_target;

const NAMES: &[&str] = &[
    "infra/main.tf",
    "infra/variables.tf",
    "infra/terraform.tfvars",
];

fuzz_target!(|data: &[u8]| {
    let files = backend_audit_fuzz::split_parts(data, NAMES.len())
        .into_iter()
        .zip(NAMES)
        .map(|(part, name)| (name.to_string(), part))
        .collect();
    backend_audit_fuzz::scan_and_check(files);
});
