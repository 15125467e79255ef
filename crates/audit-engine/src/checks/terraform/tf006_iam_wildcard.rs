//! TF006: IAM policies that allow every action, every action of a service on every
//! resource, or everything but a list (`NotAction`): in JSON strings, heredocs,
//! `jsonencode(...)` and `aws_iam_policy_document` data sources.

use audit_core::{SourceText, Span};
use audit_model::terraform::{BlockView, ExprKind, Value};

use crate::checks::{Check, Emit};
use crate::project::terraform::ResourceContext;

pub const CHECK: Check = Check::Terraform {
    resources: &[
        "aws_iam_policy",
        "aws_iam_role_policy",
        "aws_iam_user_policy",
        "aws_iam_group_policy",
        "aws_iam_role",
    ],
    run: check,
};

fn check(ctx: &ResourceContext<'_>, out: &mut Emit<'_>) {
    let body = ctx.body();
    let policies: Vec<_> = match ctx.resource_type {
        "aws_iam_role" => body
            .blocks("inline_policy")
            .iter()
            .filter_map(|p| p.attr("policy"))
            .collect(),
        _ => body.attr("policy").into_iter().collect(),
    };
    for policy in policies {
        // `jsonencode({...})` with an unknown part (a resource ARN): its statements are
        // still readable as a value.
        let value = match (&policy.value, &policy.attribute.expr.kind) {
            (Value::Unknown, ExprKind::Call(call))
                if call.name == "jsonencode" && call.args.len() == 1 =>
            {
                ctx.eval(&call.args[0])
            }
            (Value::String(json), _) => Value::parse_json(json).unwrap_or(Value::Null),
            (other, _) => other.clone(),
        };
        match &value {
            Value::Object(_) => {
                let statements = match value.get("Statement") {
                    Some(Value::List(items)) => items.clone(),
                    Some(single @ Value::Object(_)) => vec![single.clone()],
                    _ => continue,
                };
                for statement in statements {
                    let effect = statement
                        .get("Effect")
                        .and_then(Value::as_str)
                        .unwrap_or("");
                    if let Some(what) = grant(
                        effect,
                        statement.get("Action"),
                        statement.get("NotAction"),
                        statement.get("Resource"),
                    ) {
                        report(ctx, out, ctx.source, policy.span, &what);
                    }
                }
            }
            // `data.aws_iam_policy_document.x.json`: the document's statements, reported
            // where their actions are written.
            Value::Unknown => {
                let path = policy.attribute.expr.path();
                let ["data", "aws_iam_policy_document", name, ..] = path.as_slice() else {
                    continue;
                };
                let Some((file, block)) = ctx.module.data_block("aws_iam_policy_document", name)
                else {
                    continue;
                };
                let document = BlockView::new(ctx.module, &block.body, Span::default(), Vec::new());
                for statement in document.blocks("statement") {
                    let effect = match statement.value("effect") {
                        Value::Null => "Allow".to_string(),
                        other => other.as_str().unwrap_or("").to_string(),
                    };
                    let actions = statement.attr("actions");
                    let not_actions = statement.attr("not_actions");
                    let Some(what) = grant(
                        &effect,
                        actions.as_ref().map(|a| &a.value),
                        not_actions.as_ref().map(|a| &a.value),
                        statement.attr("resources").as_ref().map(|a| &a.value),
                    ) else {
                        continue;
                    };
                    let span = actions.or(not_actions).map_or(block.span, |a| a.span);
                    report(ctx, out, &file.source, span, &what);
                }
            }
            _ => {}
        }
    }
}

fn report(
    ctx: &ResourceContext<'_>,
    out: &mut Emit<'_>,
    source: &SourceText,
    span: Span,
    what: &str,
) {
    out.report(
        source,
        span,
        &[("resource", &ctx.address()), ("what", what)],
    );
}

/// What an `Allow` statement grants too broadly, if anything.
fn grant(
    effect: &str,
    actions: Option<&Value>,
    not_actions: Option<&Value>,
    resources: Option<&Value>,
) -> Option<String> {
    if !effect.eq_ignore_ascii_case("allow") {
        return None;
    }
    if not_actions.is_some_and(|v| !matches!(v, Value::Null | Value::Unknown)) {
        return Some("everything except the listed actions (`NotAction` with `Allow`)".into());
    }
    let actions = strings(actions?);
    if actions.iter().any(|a| a == "*" || a == "*:*") {
        return Some("every action (`\"*\"`), administrator access".into());
    }
    let every_resource = resources.is_some_and(|r| strings(r).iter().any(|r| r == "*"));
    let service = actions.iter().find(|a| a.ends_with(":*"))?;
    every_resource.then(|| format!("every `{service}` action on every resource"))
}

fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::List(items) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}
