//! API015: OpenAPI operations that leave security, errors or their id out of the contract.

use super::{HEALTH_WORDS, PUBLIC_WORDS};
use crate::checks::{Check, Emit, SpecContext, words};

pub const CHECK: Check = Check::Specs {
    routes: false,
    run: check,
};

fn check(ctx: &SpecContext<'_>, out: &mut Emit<'_>) {
    for spec in ctx.specs {
        let operations = || {
            spec.paths
                .iter()
                .flat_map(|p| p.operations.iter().map(move |o| (p, o)))
        };
        // A spec that declares no security anywhere is reported once, at its version key,
        // rather than at each of its operations.
        let secured_anywhere = spec.global_security == Some(true)
            || operations().any(|(_, o)| o.security == Some(true));
        let count = operations().count();
        if !secured_anywhere && count > 0 {
            let what = format!("none of its {count} operations requires authentication");
            let how = "declare a security scheme and a global `security` requirement (and `security: []` on the public operations)";
            out.report_at(
                spec.location.clone(),
                &[("operation", "the spec"), ("what", &what), ("how", how)],
            );
        }
        for (path, operation) in operations() {
            let mut missing = Vec::new();
            let inherits = spec.global_security == Some(true);
            // Signing in, probes and webhooks are public by design, declared or not.
            let public = words(&path.template)
                .iter()
                .any(|w| PUBLIC_WORDS.contains(&w.as_str()) || HEALTH_WORDS.contains(&w.as_str()));
            if secured_anywhere && operation.security.is_none() && !inherits && !public {
                missing.push("no security requirement");
            }
            let documents_errors = operation
                .responses
                .iter()
                .any(|r| r.starts_with('4') || r == "default");
            if !documents_errors {
                missing.push("no 4xx response");
            }
            if operation.operation_id.is_none() {
                missing.push("no operationId");
            }
            if missing.is_empty() {
                continue;
            }
            let label = format!("{} {}", operation.method, path.template);
            let what = format!("it has {}", join(&missing));
            let how = "add what is missing so generated clients, gateways and readers know how it is called and how it fails";
            out.report_at(
                operation.location.clone(),
                &[("operation", &label), ("what", &what), ("how", how)],
            );
        }
    }
}

/// `a`, `a and b`, `a, b and c`.
fn join(parts: &[&str]) -> String {
    match parts {
        [] => String::new(),
        [one] => one.to_string(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}
