//! TF011: passwords, tokens and keys written into the configuration (in place, in a
//! variable default, in tfvars or a local) instead of read from a secret store.

use audit_core::Span;
use audit_model::terraform::{Evaluated, ExprKind, Value};

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

pub const CHECK: Check = Check::Terraform {
    resources: &[
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
    let origin = match (
        &attr.attribute.expr.kind,
        attr.attribute.expr.path().as_slice(),
    ) {
        (ExprKind::Literal(_) | ExprKind::Object(_), _) => "written in place".to_string(),
        (_, ["var", name, ..]) => {
            format!("from variable `{name}`, set by its default, tfvars or the module call")
        }
        (_, ["local", name, ..]) => format!("from local `{name}`"),
        _ => "resolved from variables, tfvars or locals".to_string(),
    };
    out.report(
        ctx.source,
        span,
        &[
            ("resource", &ctx.address()),
            ("what", what),
            ("origin", &origin),
        ],
    );
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
}
