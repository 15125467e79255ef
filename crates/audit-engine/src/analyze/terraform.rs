//! The pass over a Terraform file: blocks lowered for the module evaluation of the
//! project phase, and suppressions that cover whole blocks.

use audit_core::{Language, SourceText};
use audit_model::terraform::{self, lower_body_where, lower_json};
use audit_syntax::ParseProblem;
use audit_syntax::hcl_edit::Span as _;

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
    if terraform::is_json_path(&source.path) {
        return analyze_json(plan, source, result);
    }
    let file = match audit_syntax::parse_hcl(&source.text) {
        Ok(file) => file,
        Err(problem) => {
            result.suppressions =
                suppress::parse(&source, Language::Terraform, None, &[], &mut result.notes);
            return not_parsed(plan, source, problem, result);
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
    if !reads_terraform(plan) {
        return;
    }
    // Lowered now, the tree dropped with `file` at the end of this function: only the
    // owned blocks wait for the project phase. Top-level blocks the project phase never
    // reads (outputs, unchecked providers, data sources other than policy documents,
    // resources no enabled rule checks) are not lowered.
    let body = lower_body_where(&file.body, |block| {
        read_by_rules(
            plan,
            block.ident.as_str(),
            block.labels.first().map(|l| l.as_str()),
        )
    });
    keep(source, body, result);
}

/// A file in Terraform's JSON syntax: parsed as one HCL expression and lowered into the
/// same blocks (it holds no comments, so no suppressions).
fn analyze_json(plan: &Plan, source: SourceText, result: &mut FileResult) {
    let root = match audit_syntax::parse_hcl_json(&source.text) {
        Ok(root) => root,
        Err(problem) => return not_parsed(plan, source, problem, result),
    };
    if !reads_terraform(plan) {
        return;
    }
    let mut body = lower_json(&root, &source.text, terraform::is_tfvars_path(&source.path));
    drop(root);
    body.blocks
        .retain(|b| read_by_rules(plan, &b.ident, b.labels.first().map(String::as_str)));
    keep(source, body, result);
}

/// Read by resource checks, or by project checks on Terraform (TF015's backends).
fn reads_terraform(plan: &Plan) -> bool {
    !plan.terraform.is_empty()
        || !plan.cross_layer.is_empty()
        || plan.project.iter().any(|(index, _)| {
            plan.rules[*index]
                .meta
                .languages
                .contains(&Language::Terraform)
        })
}

/// A file that does not parse: a note, and for TF017 its text and the parser's error,
/// unless it is valid Terraform that the parser is stricter about (not the user's
/// mistake).
fn not_parsed(plan: &Plan, source: SourceText, problem: ParseProblem, result: &mut FileResult) {
    problem_note(result, &source, "Terraform not analysed", &problem);
    let reported = plan
        .project
        .iter()
        .any(|(index, _)| plan.rules[*index].meta.id.as_str() == PARSE_ERROR_RULE);
    let valid = VALID_TERRAFORM.iter().any(|m| problem.message.contains(m));
    if reported && !valid {
        result.facts.terraform = Some(Box::new(TerraformFile {
            source,
            body: Default::default(),
            parse_error: Some(problem),
        }));
    }
}

/// Keeps a lowered file for the project phase. Of a variable, only its value, type,
/// sensitivity and ephemerality are read: descriptions and validations go.
fn keep(source: SourceText, mut body: terraform::Body, result: &mut FileResult) {
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
        result.facts.terraform = Some(Box::new(TerraformFile {
            source,
            body,
            parse_error: None,
        }));
    }
}

/// Whether the project phase reads a top-level block `ident` with this first label.
fn read_by_rules(plan: &Plan, ident: &str, first_label: Option<&str>) -> bool {
    match ident {
        // `terraform` for its backend (TF015).
        "variable" | "locals" | "module" | "terraform" => true,
        // The one data source the evaluator reads through references.
        "data" => first_label == Some("aws_iam_policy_document"),
        // Their credentials (TF011).
        "provider" => plan.terraform.contains_key(terraform::PROVIDER),
        "resource" => first_label.is_some_and(|ty| {
            plan.terraform.contains_key(ty)
                || !plan.cross_layer.is_empty() && terraform::TLS_DATABASE_TYPES.contains(&ty)
        }),
        _ => false,
    }
}
