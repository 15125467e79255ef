//! TF015: an S3 state backend without encryption or without locking. Backend blocks
//! cannot use variables, so their literals are read as written.

use audit_model::terraform::{Block, ExprKind, Value, line_span};

use crate::checks::{Check, Emit};
use crate::facts::ProjectFacts;

pub const CHECK: Check = Check::Project { run: check };

fn check(facts: &ProjectFacts, out: &mut Emit<'_>) {
    for file in facts
        .files
        .iter()
        .filter_map(|(_, f)| f.terraform.as_deref())
    {
        for terraform in file.blocks("terraform") {
            for backend in terraform.body.blocks("backend") {
                if backend.labels.first().map(String::as_str) != Some("s3") {
                    continue;
                }
                let header = line_span(&file.source, backend.span.start);
                let mut report = |span, problem: &str| {
                    out.report(&file.source, span, &[("problem", problem)]);
                };
                match backend.body.attribute("encrypt") {
                    Some(attr)
                        if literal(backend, "encrypt").and_then(|v| v.as_bool()) == Some(false) =>
                    {
                        report(
                            attr.span,
                            "`encrypt = false` leaves the state, with every secret in it, unencrypted",
                        )
                    }
                    None => report(
                        header,
                        "without `encrypt = true` the state, with every secret in it, is stored unencrypted",
                    ),
                    Some(_) => {}
                }
                let locked = backend.body.attribute("dynamodb_table").is_some()
                    || literal(backend, "use_lockfile").and_then(|v| v.as_bool()) == Some(true);
                if !locked {
                    report(
                        header,
                        "without `use_lockfile = true` (or `dynamodb_table`) two applies can run at once and corrupt the state",
                    );
                }
            }
        }
    }
}

/// A literal attribute of the backend block.
fn literal<'a>(block: &'a Block, name: &str) -> Option<&'a Value> {
    match &block.body.attribute(name)?.expr.kind {
        ExprKind::Literal(value) => Some(value),
        _ => None,
    }
}
