//! TF011: passwords, tokens and keys written into the configuration (in place, in a
//! variable default, in tfvars or a local) instead of read from a secret store: in
//! resources, in provider blocks (static cloud credentials), and variables named for a
//! secret that Terraform would print because they are not `sensitive`.

use audit_core::{Confidence, Span};
use audit_model::terraform::{Evaluated, Expr, ExprKind, PROVIDER, VARIABLE, Value};

use crate::checks::{Check, Emit};
use crate::project::terraform::ResourceContext;

/// Secret attributes per resource type, as paths through nested blocks.
const SECRET_ATTRIBUTES: &[(&str, &[&str])] = &[
    ("aws_db_instance", &["password"]),
    ("aws_rds_cluster", &["master_password"]),
    ("aws_docdb_cluster", &["master_password"]),
    ("aws_neptune_cluster", &["master_password"]),
    ("aws_redshift_cluster", &["master_password"]),
    ("aws_elasticache_replication_group", &["auth_token"]),
    ("aws_mq_broker", &["user", "password"]),
    ("aws_dms_endpoint", &["password"]),
    (
        "aws_opensearch_domain",
        &[
            "advanced_security_options",
            "master_user_options",
            "master_user_password",
        ],
    ),
    (
        "aws_elasticsearch_domain",
        &[
            "advanced_security_options",
            "master_user_options",
            "master_user_password",
        ],
    ),
    ("azurerm_mssql_server", &["administrator_login_password"]),
    ("azurerm_sql_server", &["administrator_login_password"]),
    (
        "azurerm_postgresql_server",
        &["administrator_login_password"],
    ),
    (
        "azurerm_postgresql_flexible_server",
        &["administrator_password"],
    ),
    ("azurerm_mysql_server", &["administrator_login_password"]),
    ("azurerm_mysql_flexible_server", &["administrator_password"]),
    ("azurerm_linux_virtual_machine", &["admin_password"]),
    ("azurerm_windows_virtual_machine", &["admin_password"]),
    ("google_sql_user", &["password"]),
];

/// Credential attributes of provider blocks. AWS's `access_key` is the key's id, not
/// its secret (and SEC006 knows its `AKIA` shape): the pair is reported at `secret_key`.
const PROVIDER_CREDENTIALS: &[(&str, &[&str])] = &[
    ("aws", &["secret_key", "token"]),
    ("google", &["credentials", "access_token"]),
    ("google-beta", &["credentials", "access_token"]),
    ("azurerm", &["client_secret", "client_certificate_password"]),
    ("azuread", &["client_secret", "client_certificate_password"]),
    ("ec", &["apikey", "password"]),
    ("github", &["token"]),
    ("cloudflare", &["api_token", "api_key"]),
    ("datadog", &["api_key", "app_key"]),
    ("digitalocean", &["token"]),
    ("vault", &["token"]),
    ("mongodbatlas", &["private_key"]),
    ("postgresql", &["password"]),
    ("mysql", &["password"]),
];

pub const CHECK: Check = Check::Terraform {
    resources: &[
        PROVIDER,
        VARIABLE,
        "aws_db_instance",
        "aws_rds_cluster",
        "aws_docdb_cluster",
        "aws_neptune_cluster",
        "aws_redshift_cluster",
        "aws_elasticache_replication_group",
        "aws_mq_broker",
        "aws_dms_endpoint",
        "aws_opensearch_domain",
        "aws_elasticsearch_domain",
        "azurerm_mssql_server",
        "azurerm_sql_server",
        "azurerm_postgresql_server",
        "azurerm_postgresql_flexible_server",
        "azurerm_mysql_server",
        "azurerm_mysql_flexible_server",
        "azurerm_linux_virtual_machine",
        "azurerm_windows_virtual_machine",
        "google_sql_user",
        "aws_lambda_function",
    ],
    run: check,
};

fn check(ctx: &ResourceContext<'_>, out: &mut Emit<'_>) {
    match ctx.resource_type {
        PROVIDER => return check_provider(ctx, out),
        VARIABLE => return check_variable(ctx, out),
        _ => {}
    }
    if ctx.resource_type == "aws_lambda_function" {
        for environment in ctx.body().blocks("environment") {
            let Some(variables) = environment.attr("variables") else {
                continue;
            };
            let Value::Object(map) = &variables.value else {
                continue;
            };
            for (name, value) in map {
                if secret_like(name) && is_literal_secret(value) {
                    report(
                        ctx,
                        out,
                        variables.span,
                        &format!("environment variable `{name}`"),
                        &variables,
                    );
                }
            }
        }
        return;
    }
    let Some((_, path)) = SECRET_ATTRIBUTES
        .iter()
        .find(|(ty, _)| *ty == ctx.resource_type)
    else {
        return;
    };
    let [blocks @ .., attribute] = *path else {
        return;
    };
    let mut views = vec![ctx.body()];
    for block in blocks {
        views = views.iter().flat_map(|v| v.blocks(block)).collect();
    }
    for view in views {
        if let Some(attr) = view.attr(attribute)
            && is_literal_secret(&attr.value)
        {
            report(ctx, out, attr.span, &format!("`{attribute}`"), &attr);
        }
    }
}

fn report(
    ctx: &ResourceContext<'_>,
    out: &mut Emit<'_>,
    span: Span,
    what: &str,
    attr: &Evaluated<'_>,
) {
    let problem = format!(
        "has a hard-coded secret in {what} ({}): read it from a secret manager (`manage_master_user_password`, `aws_secretsmanager_secret_version`, a variable marked `sensitive` without a default)",
        origin(attr)
    );
    report_secret(ctx, out, span, attr, &problem);
}

/// Reports `problem` at `span`, the secret masked in the code frame when it is written
/// there.
fn report_secret(
    ctx: &ResourceContext<'_>,
    out: &mut Emit<'_>,
    span: Span,
    attr: &Evaluated<'_>,
    problem: &str,
) {
    let mut location = ctx.source.locate(span);
    for secret in written_secrets(&attr.attribute.expr) {
        if let Some(text) = ctx.source.text.get(secret.start..secret.end) {
            location.redact(secret, text);
        }
    }
    out.report_at(
        location,
        &[("resource", &ctx.address()), ("problem", problem)],
    );
}

/// The spans of the strings written in `expr` itself (a literal, or the literal values
/// of an object such as Lambda's `variables`): what a code frame must not show.
fn written_secrets(expr: &Expr) -> Vec<Span> {
    match &expr.kind {
        ExprKind::Literal(_) => vec![expr.span()],
        ExprKind::Object(items) => items
            .iter()
            .filter(|(_, value)| matches!(value.kind, ExprKind::Literal(Value::String(_))))
            .map(|(_, value)| value.span())
            .collect(),
        _ => Vec::new(),
    }
}

/// Where a secret's value was found, for the message.
fn origin(attr: &Evaluated<'_>) -> String {
    match (
        &attr.attribute.expr.kind,
        attr.attribute.expr.path().as_slice(),
    ) {
        (ExprKind::Literal(_) | ExprKind::Object(_), _) => "written in place".to_string(),
        (_, ["var", name, ..]) => {
            format!("from variable `{name}`, set by its default, tfvars or the module call")
        }
        (_, ["local", name, ..]) => format!("from local `{name}`"),
        _ => "resolved from variables, tfvars or locals".to_string(),
    }
}

/// Static credentials in a provider block: known strings (a service account key's
/// JSON for Google's `credentials`, whose other form is a key file's path).
fn check_provider(ctx: &ResourceContext<'_>, out: &mut Emit<'_>) {
    let Some((_, attributes)) = PROVIDER_CREDENTIALS.iter().find(|(p, _)| *p == ctx.name) else {
        return;
    };
    let body = ctx.body();
    for attribute in *attributes {
        let Some(attr) = body.attr(attribute) else {
            continue;
        };
        let Some(value) = attr.value.as_str().filter(|s| !s.trim().is_empty()) else {
            continue;
        };
        if *attribute == "credentials" && !value.trim_start().starts_with('{') {
            continue;
        }
        let problem = format!(
            "has a static credential in `{attribute}` ({}): remove it and let the provider read its credentials from the environment, a profile, workload identity or an assumed role",
            origin(&attr)
        );
        report_secret(ctx, out, attr.span, &attr, &problem);
    }
}

/// A variable named for a secret (`db_password`, `api_token`) without `sensitive =
/// true`: Terraform prints its value in plans and logs. Reported with medium confidence
/// (the name is the evidence); not for bool or number variables, nor when `sensitive`
/// or `ephemeral` is set to anything but a known `false`.
fn check_variable(ctx: &ResourceContext<'_>, out: &mut Emit<'_>) {
    if !secret_variable_name(ctx.name) {
        return;
    }
    let body = ctx.body();
    let sensitive = body.attr("sensitive").map(|a| a.value);
    // Ephemeral variables are never written to plans or state.
    let ephemeral = body.attr("ephemeral").map(|a| a.value);
    if sensitive.is_some_and(|v| v.as_bool() != Some(false))
        || ephemeral.is_some_and(|v| v.as_bool() != Some(false))
    {
        return;
    }
    // `type = bool`, or `"type": "bool"` in JSON syntax.
    let declared = ctx
        .block
        .body
        .attribute("type")
        .and_then(|t| match &t.expr.kind {
            ExprKind::Variable(ty) => Some(ty.as_str()),
            ExprKind::Literal(ty) => ty.as_str(),
            _ => None,
        });
    if matches!(declared, Some("bool" | "number")) {
        return;
    }
    let default = body.attr("default").map(|d| d.value);
    if matches!(default, Some(Value::Bool(_) | Value::Number(_))) {
        return;
    }
    let span = match body.attr("sensitive") {
        Some(attr) => attr.span,
        None => ctx.header_span(),
    };
    out.report_with(
        ctx.source.locate(span),
        &[
            ("resource", &ctx.address()),
            (
                "problem",
                "is named for a secret but not marked `sensitive = true`, so Terraform prints its value in plans and logs: add `sensitive = true` (and no default)",
            ),
        ],
        Some(Confidence::Medium),
    );
}

/// Variable names that hold a secret (`db_password`, `github_token`, `client_secret`,
/// `stripe_api_key`), not flags (`manage_master_user_password`, `create_random_password`)
/// nor names, places or properties of a secret (`password_secret_arn`, `token_ttl`,
/// `password_length`).
fn secret_variable_name(name: &str) -> bool {
    const HOLDS: &[&str] = &["password", "passwd", "pwd", "secret", "token", "apikey"];
    const PAIRS: &[(&str, &str)] = &[
        ("api", "key"),
        ("private", "key"),
        ("access", "key"),
        ("auth", "key"),
    ];
    const FLAGS: &[&str] = &[
        "create", "enable", "manage", "use", "rotate", "generate", "random", "require", "allow",
        "disable", "skip", "store", "is", "has", "should",
    ];
    const ABOUT: &[&str] = &[
        "arn",
        "arns",
        "id",
        "ids",
        "name",
        "names",
        "path",
        "file",
        "url",
        "uri",
        "endpoint",
        "region",
        "ttl",
        "length",
        "days",
        "hours",
        "seconds",
        "period",
        "interval",
        "enabled",
        "version",
        "type",
        "prefix",
        "suffix",
        "count",
        "location",
        "mode",
        "format",
        "kms",
        "description",
        "tags",
        "expiration",
        "expiry",
        "reset",
    ];
    let lower = name.to_ascii_lowercase();
    let words: Vec<&str> = lower.split(['_', '-']).filter(|w| !w.is_empty()).collect();
    let (Some(first), Some(last)) = (words.first(), words.last()) else {
        return false;
    };
    // Rules about a secret (`password_validation_policy_config`,
    // `master_user_password_rotation_duration`), not the secret.
    const RULES: &[&str] = &[
        "policy",
        "validation",
        "complexity",
        "config",
        "settings",
        "rotation",
        "schedule",
        "duration",
    ];
    if FLAGS.contains(first) || ABOUT.contains(last) || words.iter().any(|w| RULES.contains(w)) {
        return false;
    }
    words.iter().any(|w| HOLDS.contains(w))
        || words
            .windows(2)
            .any(|pair| PAIRS.contains(&(pair[0], pair[1])))
}

/// A known, non-empty string: what static evaluation can only know if it is written in
/// the configuration.
fn is_literal_secret(value: &Value) -> bool {
    value.as_str().is_some_and(|s| !s.trim().is_empty())
}

/// Environment variable names that hold secrets (`DB_PASSWORD`, `STRIPE_API_KEY`), not
/// the names or addresses of secrets (`DB_SECRET_ARN`, `TOKEN_URL`).
fn secret_like(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    const HOLDS: &[&str] = &[
        "PASSWORD",
        "PASSWD",
        "SECRET",
        "TOKEN",
        "API_KEY",
        "APIKEY",
        "PRIVATE_KEY",
        "ACCESS_KEY",
    ];
    const NAMES: &[&str] = &[
        "_ARN",
        "_NAME",
        "_ID",
        "_PATH",
        "_URL",
        "_URI",
        "_FILE",
        "_REGION",
        "_TTL",
        "_ENDPOINT",
    ];
    HOLDS.iter().any(|h| upper.contains(h)) && !NAMES.iter().any(|n| upper.ends_with(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names_are_told_from_secret_references() {
        assert!(secret_like("DB_PASSWORD"));
        assert!(secret_like("stripe_api_key"));
        assert!(!secret_like("DB_SECRET_ARN"));
        assert!(!secret_like("TOKEN_URL"));
        assert!(!secret_like("LOG_LEVEL"));
    }

    #[test]
    fn secret_variables_are_told_from_flags_and_references() {
        for name in [
            "db_password",
            "master_password",
            "github_token",
            "client_secret",
            "stripe_api_key",
            "AWS_SECRET_ACCESS_KEY",
            "redis-auth-token",
        ] {
            assert!(secret_variable_name(name), "{name}");
        }
        for name in [
            "manage_master_user_password",
            "create_random_password",
            "password_secret_arn",
            "token_ttl",
            "password_length",
            "password_validation_policy_config",
            "master_user_password_rotation_duration",
            "secrets",
            "tokenizer",
            "kms_key_id",
            "ssh_key_name",
        ] {
            assert!(!secret_variable_name(name), "{name}");
        }
    }
}
