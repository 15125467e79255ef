//! Terraform checks over evaluated resources, one file per rule; the helpers below are shared
//! by the checks that say how a resource is exposed.

use audit_core::Span;
use audit_model::terraform::{Evaluated, ExprKind, Value};

use crate::checks::Emit;
use crate::project::terraform::ResourceContext;

pub mod tf003_weak_tls_policy;
pub mod tf004_database_publicly_accessible;
pub mod tf005_open_ingress;
pub mod tf006_iam_wildcard;
pub mod tf007_public_bucket;
pub mod tf008_backups_insufficient;
pub mod tf010_not_highly_available;
pub mod tf011_hardcoded_credential;
pub mod tf014_api_gateway_open;
pub mod tf015_state_backend_insecure;
pub mod tf016_elastic_cloud_open;
pub mod tf017_hcl_parse_error;

/// Reports a finding at `span` whose message names the resource's `address` and `how` it
/// is exposed.
fn report_how(ctx: &ResourceContext<'_>, out: &mut Emit<'_>, address: &str, span: Span, how: &str) {
    out.report(ctx.source, span, &[("resource", address), ("how", how)]);
}

/// Reports a finding at `span` whose message names the resource's `address`, the
/// `problem` and its `fix`.
fn report_problem(
    ctx: &ResourceContext<'_>,
    out: &mut Emit<'_>,
    address: &str,
    span: Span,
    problem: &str,
    fix: &str,
) {
    let args = [("resource", address), ("problem", problem), ("fix", fix)];
    out.report(ctx.source, span, &args);
}

/// The statements of a JSON policy attribute (`policy`, `access_policies`): a JSON string
/// or heredoc, or `jsonencode({...})` whose statements are readable even when a part of
/// it (an ARN) is unknown. Empty when the policy cannot be read.
fn policy_statements(ctx: &ResourceContext<'_>, policy: &Evaluated<'_>) -> Vec<Value> {
    let document = match (&policy.value, &policy.attribute.expr.kind) {
        (Value::String(json), _) => Value::parse_json(json).unwrap_or(Value::Null),
        (Value::Unknown, ExprKind::Call(call))
            if call.name == "jsonencode" && call.args.len() == 1 =>
        {
            ctx.eval(&call.args[0])
        }
        _ => return Vec::new(),
    };
    match document.get("Statement") {
        Some(Value::List(items)) => items.clone(),
        Some(single @ Value::Object(_)) => vec![single.clone()],
        _ => Vec::new(),
    }
}

/// An `Allow` statement for `Principal: "*"` (or `{"AWS": "*"}`) with no `Condition`.
fn allows_everyone(statement: &Value) -> bool {
    let allows = statement.get("Effect").and_then(Value::as_str) == Some("Allow");
    let everyone = match statement.get("Principal") {
        Some(Value::String(p)) => p == "*",
        Some(Value::Object(map)) => map.get("AWS").is_some_and(|aws| match aws {
            Value::String(p) => p == "*",
            Value::List(items) => items.iter().any(|i| i.as_str() == Some("*")),
            _ => false,
        }),
        _ => false,
    };
    allows && everyone && statement.get("Condition").is_none()
}
