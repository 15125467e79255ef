//! TF003: endpoints that still accept TLS 1.0/1.1 (or SSL): load balancer security
//! policies, CloudFront viewer certificates, API Gateway and OpenSearch endpoints, GCP SSL
//! policies and the minimum TLS settings of Azure services.

use audit_model::terraform::{BlockView, Evaluated, Value};

use crate::checks::{Check, Emit};
use crate::project::terraform::ResourceContext;

/// ELB security policies dated before the TLS-version names, all of which allow TLS 1.0.
const LEGACY_ELB_POLICIES: &[&str] = &[
    "ELBSecurityPolicy-2016-08",
    "ELBSecurityPolicy-2015-05",
    "ELBSecurityPolicy-2015-03",
    "ELBSecurityPolicy-2015-02",
    "ELBSecurityPolicy-2014-10",
    "ELBSecurityPolicy-2014-01",
    "ELBSecurityPolicy-2011-08",
    "ELBSecurityPolicy-FS-2018-06",
];

/// Classic ELB negotiation protocols older than TLS 1.2.
const OLD_PROTOCOLS: &[&str] = &[
    "Protocol-SSLv2",
    "Protocol-SSLv3",
    "Protocol-TLSv1",
    "Protocol-TLSv1.1",
];

/// Azure minimum-TLS settings: (resource types, the block holding it or "", attribute,
/// the values below TLS 1.2). Their defaults are TLS 1.2, so only these values are reported.
const AZURE_SETTINGS: &[(&[&str], &str, &str, &[&str])] = &[
    (
        &["azurerm_storage_account"],
        "",
        "min_tls_version",
        &["TLS1_0", "TLS1_1"],
    ),
    (
        &["azurerm_mssql_server", "azurerm_mssql_managed_instance"],
        "",
        "minimum_tls_version",
        &["1.0", "1.1", "Disabled"],
    ),
    (
        &["azurerm_mysql_server", "azurerm_postgresql_server"],
        "",
        "ssl_minimal_tls_version_enforced",
        &["TLS1_0", "TLS1_1", "TLSEnforcementDisabled"],
    ),
    (
        &[
            "azurerm_redis_cache",
            "azurerm_eventhub_namespace",
            "azurerm_servicebus_namespace",
        ],
        "",
        "minimum_tls_version",
        &["1.0", "1.1"],
    ),
    (
        &["azurerm_cosmosdb_account"],
        "",
        "minimal_tls_version",
        &["Tls", "Tls11"],
    ),
    (
        &["azurerm_app_service", "azurerm_function_app"],
        "site_config",
        "min_tls_version",
        &["1.0", "1.1"],
    ),
    (
        &[
            "azurerm_linux_web_app",
            "azurerm_windows_web_app",
            "azurerm_linux_function_app",
            "azurerm_windows_function_app",
        ],
        "site_config",
        "minimum_tls_version",
        &["1.0", "1.1"],
    ),
];

pub const CHECK: Check = Check::Terraform {
    resources: &[
        "aws_lb_listener",
        "aws_alb_listener",
        "aws_lb_ssl_negotiation_policy",
        "aws_load_balancer_policy",
        "aws_cloudfront_distribution",
        "aws_api_gateway_domain_name",
        "aws_opensearch_domain",
        "aws_elasticsearch_domain",
        "google_compute_ssl_policy",
        "azurerm_storage_account",
        "azurerm_mssql_server",
        "azurerm_mssql_managed_instance",
        "azurerm_mysql_server",
        "azurerm_postgresql_server",
        "azurerm_redis_cache",
        "azurerm_eventhub_namespace",
        "azurerm_servicebus_namespace",
        "azurerm_cosmosdb_account",
        "azurerm_app_service",
        "azurerm_function_app",
        "azurerm_linux_web_app",
        "azurerm_windows_web_app",
        "azurerm_linux_function_app",
        "azurerm_windows_function_app",
    ],
    run: check,
};

fn check(ctx: &ResourceContext<'_>, out: &mut Emit<'_>) {
    let body = ctx.body();
    let address = ctx.address();
    let mut report = |span, problem: &str, fix: &str| {
        super::report_problem(ctx, out, &address, span, problem, fix)
    };
    const ELB_FIX: &str = "use `ELBSecurityPolicy-TLS13-1-2-2021-06` (TLS 1.2 and 1.3)";
    match ctx.resource_type {
        "aws_lb_listener" | "aws_alb_listener" => {
            let protocol = body.value("protocol");
            if !matches!(protocol.as_str(), Some("HTTPS" | "TLS")) {
                return;
            }
            match body.attr("ssl_policy") {
                None => report(
                    ctx.header_span(),
                    "without `ssl_policy` the listener takes `ELBSecurityPolicy-2016-08`, which allows TLS 1.0",
                    ELB_FIX,
                ),
                Some(policy) => {
                    if let Some(name) = policy.value.as_str().filter(|p| weak_elb_policy(p)) {
                        report(
                            policy.span,
                            &format!("`{name}` allows TLS 1.0 or 1.1"),
                            ELB_FIX,
                        );
                    }
                }
            }
        }
        "aws_lb_ssl_negotiation_policy" | "aws_load_balancer_policy" => {
            let ident = if ctx.resource_type == "aws_lb_ssl_negotiation_policy" {
                "attribute"
            } else {
                "policy_attribute"
            };
            for attribute in body.blocks(ident) {
                let name = attribute.value("name");
                let Some(value) = attribute.attr("value") else {
                    continue;
                };
                let problem = match name.as_str() {
                    Some(protocol) if OLD_PROTOCOLS.contains(&protocol) => (value.value.as_bool()
                        == Some(true))
                    .then(|| format!("`{protocol}` is enabled")),
                    Some("Reference-Security-Policy") => value
                        .value
                        .as_str()
                        .filter(|p| weak_elb_policy(p))
                        .map(|p| format!("`{p}` allows TLS 1.0 or 1.1")),
                    _ => None,
                };
                if let Some(problem) = problem {
                    report(
                        value.span,
                        &problem,
                        "reference `ELBSecurityPolicy-TLS-1-2-2017-01` and enable no protocol older than TLS 1.2",
                    );
                }
            }
        }
        "aws_cloudfront_distribution" => {
            const FIX: &str = "set `minimum_protocol_version = \"TLSv1.2_2021\"`";
            for certificate in body.blocks("viewer_certificate") {
                // The *.cloudfront.net certificate cannot be restricted: not reported.
                if certificate
                    .value("cloudfront_default_certificate")
                    .as_bool()
                    == Some(true)
                {
                    continue;
                }
                match certificate.attr("minimum_protocol_version") {
                    Some(version) => {
                        if let Some(v) =
                            version.value.as_str().filter(|v| !v.starts_with("TLSv1.2"))
                        {
                            report(
                                version.span,
                                &format!("`{v}` admits viewers below TLS 1.2"),
                                FIX,
                            );
                        }
                    }
                    None if has_custom_certificate(&certificate) => report(
                        ctx.line_span(certificate.header.start),
                        "without `minimum_protocol_version` viewers may connect with TLS 1.0",
                        FIX,
                    ),
                    None => {}
                }
            }
        }
        "aws_api_gateway_domain_name" => {
            const FIX: &str = "set `security_policy = \"TLS_1_2\"`";
            match body.attr("security_policy") {
                None => report(
                    ctx.header_span(),
                    "without `security_policy` the domain accepts TLS 1.0",
                    FIX,
                ),
                Some(policy) if policy.value.as_str() == Some("TLS_1_0") => report(
                    policy.span,
                    "`security_policy = \"TLS_1_0\"` accepts TLS 1.0",
                    FIX,
                ),
                Some(_) => {}
            }
        }
        "aws_opensearch_domain" | "aws_elasticsearch_domain" => {
            for options in body.blocks("domain_endpoint_options") {
                if let Some(policy) = options.attr("tls_security_policy")
                    && let Some(name) = policy.value.as_str().filter(|p| p.contains("TLS-1-0"))
                {
                    report(
                        policy.span,
                        &format!("`{name}` accepts TLS 1.0"),
                        "set `tls_security_policy = \"Policy-Min-TLS-1-2-PFS-2023-10\"`",
                    );
                }
            }
        }
        "google_compute_ssl_policy" => {
            const FIX: &str = "set `min_tls_version = \"TLS_1_2\"`";
            match body.attr("min_tls_version") {
                None => report(
                    ctx.header_span(),
                    "without `min_tls_version` the policy accepts TLS 1.0",
                    FIX,
                ),
                Some(version) => {
                    if let Some(v) = version
                        .value
                        .as_str()
                        .filter(|v| matches!(*v, "TLS_1_0" | "TLS_1_1"))
                    {
                        report(
                            version.span,
                            &format!("`min_tls_version = \"{v}\"` accepts it"),
                            FIX,
                        );
                    }
                }
            }
        }
        azure => {
            for (types, block, attribute, weak) in AZURE_SETTINGS {
                if !types.contains(&azure) {
                    continue;
                }
                let holders = if block.is_empty() {
                    vec![body.clone()]
                } else {
                    body.blocks(block)
                };
                for holder in holders {
                    if let Some(setting) = holder.attr(attribute)
                        && let Some(text) = below_tls12(&setting, weak)
                    {
                        report(
                            setting.span,
                            &format!("`{attribute} = \"{text}\"` accepts clients below TLS 1.2"),
                            &format!("set `{attribute}` to TLS 1.2 (the provider's default)"),
                        );
                    }
                }
            }
        }
    }
}

/// A load balancer policy that allows TLS 1.0 or 1.1: the dated legacy names, and the
/// versioned names below 1-2 (`ELBSecurityPolicy-TLS-1-1-2017-01`, `-TLS13-1-0-2021-06`).
fn weak_elb_policy(name: &str) -> bool {
    LEGACY_ELB_POLICIES.contains(&name)
        || (name.starts_with("ELBSecurityPolicy-")
            && (name.contains("-1-0-") || name.contains("-1-1-")))
}

fn has_custom_certificate(certificate: &BlockView<'_>) -> bool {
    ["acm_certificate_arn", "iam_certificate_id"]
        .iter()
        .any(|name| {
            certificate
                .attr(name)
                .is_some_and(|a| a.value != Value::Null)
        })
}

/// The setting's text when it is one of `weak` (numbers as Terraform prints them:
/// `1.0` written unquoted reads as `1`).
fn below_tls12(setting: &Evaluated<'_>, weak: &[&str]) -> Option<String> {
    match &setting.value {
        Value::String(text) => weak.contains(&text.as_str()).then(|| text.clone()),
        Value::Number(n) if *n < 1.2 && weak.contains(&"1.0") => Some(format!("{n:.1}")),
        _ => None,
    }
}
