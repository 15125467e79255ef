//! TF016: search clusters open to the internet: Elastic Cloud deployments without a
//! traffic filter (or with one admitting every address), and Elasticsearch/OpenSearch
//! domains outside a VPC whose access policy allows everyone.

use audit_core::Span;
use audit_model::terraform::cidr::{Reach, reach};
use audit_model::terraform::{BlockView, Value};

use crate::checks::{Check, Emit};
use crate::project::terraform::ResourceContext;

const DOMAINS: &[&str] = &["aws_opensearch_domain", "aws_elasticsearch_domain"];

pub const CHECK: Check = Check::Terraform {
    resources: &[
        "ec_deployment",
        "ec_deployment_traffic_filter",
        // Not checked itself: listed so the per-file pass keeps it for the join.
        "ec_deployment_traffic_filter_association",
        "aws_opensearch_domain",
        "aws_elasticsearch_domain",
        "aws_opensearch_domain_policy",
        "aws_elasticsearch_domain_policy",
    ],
    run: check,
};

fn check(ctx: &ResourceContext<'_>, out: &mut Emit<'_>) {
    let body = ctx.body();
    let address = ctx.address();
    let mut report = |span, how: &str| super::report_how(ctx, out, &address, span, how);
    match ctx.resource_type {
        "ec_deployment" => {
            // An unknown list of filters may hold some.
            let filtered = body.attr("traffic_filter").is_some_and(|f| match &f.value {
                Value::Null => false,
                Value::List(ids) => !ids.is_empty(),
                _ => true,
            });
            if filtered
                || !ctx
                    .module
                    .referencing(
                        "ec_deployment_traffic_filter_association",
                        "deployment_id",
                        ctx,
                    )
                    .is_empty()
            {
                return;
            }
            report(
                ctx.header_span(),
                "it has no traffic filter (`traffic_filter` or an `ec_deployment_traffic_filter_association`), so its endpoints accept connections from any address",
            );
        }
        "ec_deployment_traffic_filter" => {
            if body.value("type").as_str() != Some("ip") {
                return;
            }
            for rule in body.blocks("rule") {
                let Some(source) = rule.attr("source") else {
                    continue;
                };
                let Some(cidr) = source.value.as_str() else {
                    continue;
                };
                let how = match reach(cidr) {
                    Some(Reach::Anywhere) => format!("its rule admits `{cidr}`, every address"),
                    Some(Reach::PublicRange) => {
                        format!("its rule admits `{cidr}`, a wide public range")
                    }
                    None => continue,
                };
                report(source.span, &how);
            }
        }
        "aws_opensearch_domain" | "aws_elasticsearch_domain" => {
            if in_vpc(&body) || fine_grained(&body) {
                return;
            }
            if let Some(policy) = body.attr("access_policies")
                && super::policy_statements(ctx, &policy)
                    .iter()
                    .any(super::allows_everyone)
            {
                report(
                    policy.span,
                    "it has a public endpoint (no `vpc_options`) and its access policy allows `Principal: \"*\"` without a condition",
                );
            }
        }
        "ec_deployment_traffic_filter_association" => {}
        // A separate policy: open when the domain it names is outside a VPC.
        _ => {
            let Some(policy) = body.attr("access_policies") else {
                return;
            };
            let domain = body.attr("domain_name").and_then(|d| {
                let (ty, name) = d.attribute.expr.reference()?;
                DOMAINS
                    .contains(&ty)
                    .then(|| ctx.module.resource_block(ty, name))
                    .flatten()
            });
            let Some(domain) = domain else {
                return;
            };
            let domain = BlockView::new(ctx.module, &domain.body, Span::default(), Vec::new());
            if in_vpc(&domain) || fine_grained(&domain) {
                return;
            }
            if super::policy_statements(ctx, &policy)
                .iter()
                .any(super::allows_everyone)
            {
                report(
                    policy.span,
                    "it allows `Principal: \"*\"` without a condition on a domain with a public endpoint (no `vpc_options`)",
                );
            }
        }
    }
}

/// A domain placed in a VPC: its endpoint has no public address.
fn in_vpc(domain: &BlockView<'_>) -> bool {
    domain
        .blocks("vpc_options")
        .iter()
        .any(|v| v.attr("subnet_ids").is_some())
}

/// Fine-grained access control authenticates every request itself: an open resource
/// policy is then the documented setup, not an open door. Unknown counts as on.
fn fine_grained(domain: &BlockView<'_>) -> bool {
    domain
        .blocks("advanced_security_options")
        .iter()
        .any(|a| a.value("enabled").as_bool() != Some(false))
}
