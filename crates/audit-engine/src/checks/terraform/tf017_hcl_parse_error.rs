//! TF017: a Terraform file that does not parse, once per file at the parser's position.

use audit_model::terraform::line_span;

use crate::checks::{Check, Emit};
use crate::facts::ProjectFacts;

pub const CHECK: Check = Check::Project { run: check };

fn check(facts: &ProjectFacts, out: &mut Emit<'_>) {
    for file in facts
        .files
        .iter()
        .filter_map(|(_, f)| f.terraform.as_deref())
    {
        let Some(problem) = &file.parse_error else {
            continue;
        };
        let at = problem.offset.unwrap_or(0).min(file.source.text.len());
        out.report(
            &file.source,
            line_span(&file.source, at),
            &[("error", &problem.message)],
        );
    }
}
