//! The pass over a Terraform file: blocks lowered for the module evaluation of the
//! project phase, and suppressions that cover whole blocks.

use audit_core::{Language, SourceText};
use audit_model::terraform::{self, lower_body};
use audit_syntax::hcl_edit::Span as _;
use audit_syntax::hcl_edit::structure::{Body, Structure};

use super::{FileResult, problem_note};
use crate::facts::TerraformFile;
use crate::plan::Plan;
use crate::suppress;

/// The rule that reports files that do not parse.
const PARSE_ERROR_RULE: &str = "TF017";

/// What hcl-edit rejects and Terraform accepts: expressions nested deeper than 64
/// levels, and an object constructor repeating a key (Terraform keeps the last value).
const VALID_TERRAFORM: &[&str] = &["nesting depth", "found redefined object key"];

pub(super) fn analyze_terraform(plan: &Plan, source: SourceText, result: &mut FileResult) {
    let mut file = match audit_syntax::parse_hcl(&source.text) {
        Ok(file) => file,
        Err(problem) => {
            result.suppressions =
                suppress::parse(&source, Language::Terraform, None, &[], &mut result.notes);
            problem_note(result, &source, "Terraform not analysed", &problem);
            // TF017 reports the file as well, unless it is valid Terraform that the parser
            // is stricter about: not the user's mistake.
            let reported = plan
                .project
                .iter()
                .any(|(index, _)| plan.rules[*index].meta.id.as_str() == PARSE_ERROR_RULE);
            let valid = VALID_TERRAFORM.iter().any(|m| problem.message.contains(m));
            if reported && !valid {
                result.facts.terraform = Some(TerraformFile {
                    source,
                    body: Default::default(),
                    parse_error: Some(problem),
                });
            }
            return;
        }
    };
    let blocks: Vec<(u32, u32)> = file
        .body
        .blocks()
        .filter_map(|b| b.span())
        .map(|r| {
            (
                source.position(r.start).line,
                source.position(r.end.saturating_sub(1)).line,
            )
        })
        .collect();
    result.suppressions = suppress::parse(
        &source,
        Language::Terraform,
        None,
        &blocks,
        &mut result.notes,
    );
    // Read by resource checks, or by project checks on Terraform (TF015's backends).
    let project_reads_terraform = plan.project.iter().any(|(index, _)| {
        plan.rules[*index]
            .meta
            .languages
            .contains(&Language::Terraform)
    });
    if plan.terraform.is_empty() && !project_reads_terraform {
        return;
    }
    // Lowered now, the tree dropped with `file` at the end of this function: only the
    // owned blocks wait for the project phase.
    keep_what_rules_read(plan, &mut file.body);
    let mut body = lower_body(&file.body);
    // Of a variable, only its value, type, sensitivity and ephemerality are read:
    // descriptions and validations go.
    for variable in body.blocks.iter_mut().filter(|b| b.ident == "variable") {
        variable.body.attributes.retain(|a| {
            matches!(
                a.key.as_str(),
                "default" | "type" | "sensitive" | "ephemeral"
            )
        });
        variable.body.blocks.clear();
    }
    if !body.is_empty() {
        result.facts.terraform = Some(TerraformFile {
            source,
            body,
            parse_error: None,
        });
    }
}

/// Drops the top-level blocks the project phase never reads (outputs, unchecked providers, data
/// sources other than policy documents, resources no enabled rule checks) before
/// lowering.
fn keep_what_rules_read(plan: &Plan, body: &mut Body) {
    for i in (0..body.len()).rev() {
        let read = match body.get(i) {
            Some(Structure::Block(block)) => match block.ident.as_str() {
                // `terraform` for its backend (TF015).
                "variable" | "locals" | "module" | "terraform" => true,
                // The one data source the evaluator reads through references.
                "data" => block
                    .labels
                    .first()
                    .is_some_and(|ty| ty.as_str() == "aws_iam_policy_document"),
                // Their credentials (TF011).
                "provider" => plan.terraform.contains_key(terraform::PROVIDER),
                "resource" => block
                    .labels
                    .first()
                    .is_some_and(|ty| plan.terraform.contains_key(ty.as_str())),
                _ => false,
            },
            // Top-level attributes: the values of a .tfvars file.
            _ => true,
        };
        if !read {
            body.remove(i);
        }
    }
}
