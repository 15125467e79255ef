//! TF005: ingress open to the internet (0.0.0.0/0, ::/0, or a wide range reaching public
//! address space) on admin/data ports or all ports: AWS security groups and NACLs, GCP
//! firewalls, Azure network security groups.

use audit_core::Span;
use audit_model::terraform::cidr::{Reach, reach};
use audit_model::terraform::{BlockView, Value, render_value};

use crate::checks::{Check, Emit};
use crate::project::terraform::ResourceContext;

/// Ports that must never face the internet, with the service usually behind them.
const SENSITIVE_PORTS: &[(i64, &str)] = &[
    (22, "SSH"),
    (3389, "RDP"),
    (3306, "MySQL"),
    (5432, "PostgreSQL"),
    (1433, "SQL Server"),
    (1521, "Oracle"),
    (6379, "Redis"),
    (11211, "Memcached"),
    (27017, "MongoDB"),
    (9200, "Elasticsearch"),
    (9300, "Elasticsearch transport"),
    (5601, "Kibana"),
];

pub const CHECK: Check = Check::Terraform {
    resources: &[
        "aws_security_group",
        "aws_security_group_rule",
        "aws_vpc_security_group_ingress_rule",
        "aws_network_acl",
        "aws_network_acl_rule",
        "google_compute_firewall",
        "azurerm_network_security_group",
        "azurerm_network_security_rule",
    ],
    run: check,
};

/// An inclusive port range.
#[derive(Clone, Copy)]
struct Ports {
    from: i64,
    to: i64,
}

const ALL_PORTS: Ports = Ports { from: 0, to: 65535 };

fn check(ctx: &ResourceContext<'_>, out: &mut Emit<'_>) {
    let body = ctx.body();
    match ctx.resource_type {
        "aws_security_group" => {
            for ingress in body.blocks("ingress") {
                aws_rule(
                    ctx,
                    &ingress,
                    &["cidr_blocks", "ipv6_cidr_blocks"],
                    "protocol",
                    true,
                    out,
                );
            }
        }
        "aws_security_group_rule" if body.value("type").as_str() == Some("ingress") => aws_rule(
            ctx,
            &body,
            &["cidr_blocks", "ipv6_cidr_blocks"],
            "protocol",
            true,
            out,
        ),
        "aws_vpc_security_group_ingress_rule" => aws_rule(
            ctx,
            &body,
            &["cidr_ipv4", "cidr_ipv6"],
            "ip_protocol",
            true,
            out,
        ),
        "aws_network_acl" => {
            for ingress in body.blocks("ingress") {
                if ingress.value("action").as_str() == Some("allow") {
                    aws_rule(
                        ctx,
                        &ingress,
                        &["cidr_block", "ipv6_cidr_block"],
                        "protocol",
                        false,
                        out,
                    );
                }
            }
        }
        "aws_network_acl_rule" => {
            let egress = body.value("egress");
            if (egress == Value::Null || egress.as_bool() == Some(false))
                && body.value("rule_action").as_str() == Some("allow")
            {
                aws_rule(
                    ctx,
                    &body,
                    &["cidr_block", "ipv6_cidr_block"],
                    "protocol",
                    false,
                    out,
                );
            }
        }
        "google_compute_firewall" => gcp_firewall(ctx, &body, out),
        "azurerm_network_security_group" => {
            for rule in body.blocks("security_rule") {
                azure_rule(ctx, &rule, out);
            }
        }
        "azurerm_network_security_rule" => azure_rule(ctx, &body, out),
        _ => {}
    }
}

/// An AWS rule: protocol `-1`/`all` or tcp/udp with `from_port`..`to_port`. Network ACL
/// rules that allow all traffic are the usual stateless pattern (security groups do
/// the filtering), so for them only explicit port ranges are reported.
fn aws_rule(
    ctx: &ResourceContext<'_>,
    rule: &BlockView<'_>,
    cidr_attributes: &[&str],
    protocol: &str,
    all_traffic_counts: bool,
    out: &mut Emit<'_>,
) {
    // Unknown sources and ports pass: only a provably open rule is reported.
    let Some((span, reach, cidr)) = cidr_attributes
        .iter()
        .filter_map(|name| rule.attr(name))
        .find_map(|attr| open_source(&attr.value).map(|(reach, cidr)| (attr.span, reach, cidr)))
    else {
        return;
    };
    let protocol = match rule.value(protocol) {
        Value::String(p) => p.to_ascii_lowercase(),
        Value::Number(n) => audit_model::terraform::number_text(n),
        _ => return,
    };
    let ports = if matches!(protocol.as_str(), "-1" | "all") {
        if !all_traffic_counts {
            return;
        }
        ALL_PORTS
    } else if matches!(protocol.as_str(), "tcp" | "udp" | "6" | "17") {
        let (Some(from), Some(to)) = (
            rule.value("from_port").as_i64(),
            rule.value("to_port").as_i64(),
        ) else {
            return;
        };
        if !all_traffic_counts && from <= 0 && to >= 65535 {
            return;
        }
        Ports { from, to }
    } else {
        return;
    };
    report(ctx, span, &[ports], reach, &cidr, out);
}

/// A GCP firewall: ingress (the default direction), not disabled, `allow` blocks
/// (without `ports`: every port of the protocol).
fn gcp_firewall(ctx: &ResourceContext<'_>, body: &BlockView<'_>, out: &mut Emit<'_>) {
    let direction = body.value("direction");
    let disabled = body.value("disabled");
    if direction
        .as_str()
        .is_some_and(|d| !d.eq_ignore_ascii_case("INGRESS"))
        || direction.is_unknown()
        || disabled.as_bool() == Some(true)
        || disabled.is_unknown()
    {
        return;
    }
    let Some(source) = body.attr("source_ranges") else {
        return;
    };
    let Some((reach, cidr)) = open_source(&source.value) else {
        return;
    };
    let mut ports = Vec::new();
    for allow in body.blocks("allow") {
        let protocol = allow.value("protocol");
        let Some(protocol) = protocol.as_str().map(str::to_ascii_lowercase) else {
            continue;
        };
        if !matches!(protocol.as_str(), "all" | "tcp" | "udp" | "6" | "17") {
            continue;
        }
        match allow.attr("ports").map(|p| p.value) {
            None | Some(Value::Null) => ports.push(ALL_PORTS),
            Some(Value::List(specs)) => {
                for spec in specs {
                    if let Some(range) = spec.to_text().as_deref().and_then(port_spec) {
                        ports.push(range);
                    }
                }
            }
            Some(_) => {}
        }
    }
    report(ctx, source.span, &ports, reach, &cidr, out);
}

/// An Azure rule: inbound, allow, TCP/UDP/any, from an open prefix.
fn azure_rule(ctx: &ResourceContext<'_>, rule: &BlockView<'_>, out: &mut Emit<'_>) {
    let is = |name: &str, want: &str| {
        rule.value(name)
            .as_str()
            .is_some_and(|v| v.eq_ignore_ascii_case(want))
    };
    if !is("direction", "Inbound") || !is("access", "Allow") {
        return;
    }
    let protocol = rule.value("protocol");
    if !protocol
        .as_str()
        .is_some_and(|p| matches!(p.to_ascii_lowercase().as_str(), "*" | "tcp" | "udp"))
    {
        return;
    }
    let Some((span, reach, cidr)) = ["source_address_prefix", "source_address_prefixes"]
        .iter()
        .filter_map(|name| rule.attr(name))
        .find_map(|attr| open_source(&attr.value).map(|(reach, cidr)| (attr.span, reach, cidr)))
    else {
        return;
    };
    let mut ports = Vec::new();
    for name in ["destination_port_range", "destination_port_ranges"] {
        match rule.value(name) {
            Value::List(specs) => {
                ports.extend(specs.iter().filter_map(|s| port_spec(&s.to_text()?)))
            }
            value => ports.extend(value.to_text().as_deref().and_then(port_spec)),
        }
    }
    report(ctx, span, &ports, reach, &cidr, out);
}

/// `"22"`, `"1000-2000"`, `"*"`.
fn port_spec(spec: &str) -> Option<Ports> {
    let spec = spec.trim();
    if spec == "*" {
        return Some(ALL_PORTS);
    }
    match spec.split_once('-') {
        Some((from, to)) => Some(Ports {
            from: from.trim().parse().ok()?,
            to: to.trim().parse().ok()?,
        }),
        None => {
            let port = spec.parse().ok()?;
            Some(Ports {
                from: port,
                to: port,
            })
        }
    }
}

fn report(
    ctx: &ResourceContext<'_>,
    span: Span,
    ranges: &[Ports],
    reach: Reach,
    cidr: &str,
    out: &mut Emit<'_>,
) {
    let exposed = if ranges.iter().any(|r| r.from <= 0 && r.to >= 65535) {
        "all ports".to_string()
    } else {
        let hit: Vec<String> = SENSITIVE_PORTS
            .iter()
            .filter(|(p, _)| ranges.iter().any(|r| (r.from..=r.to).contains(p)))
            .map(|(p, name)| format!("{p} ({name})"))
            .collect();
        match hit.len() {
            0 => return,
            1 => format!("port {}", hit[0]),
            _ => format!("ports {}", hit.join(", ")),
        }
    };
    let reach = match reach {
        Reach::Anywhere => "the whole internet",
        Reach::PublicRange => "a range that reaches public address space",
    };
    out.report(
        ctx.source,
        span,
        &[
            ("resource", &ctx.address()),
            ("ports", &exposed),
            ("reach", reach),
            ("cidr", cidr),
        ],
    );
}

/// The first source in `value` (a CIDR or a list of them) open to the internet.
fn open_source(value: &Value) -> Option<(Reach, String)> {
    let one = |v: &Value| {
        let text = v.as_str()?;
        reach(text).map(|reach| (reach, text.to_string()))
    };
    match value {
        Value::List(items) => {
            let mut open: Vec<(Reach, String)> = items.iter().filter_map(one).collect();
            open.sort_by_key(|(reach, _)| *reach != Reach::Anywhere);
            open.into_iter().next()
        }
        other => one(other),
    }
    .map(|(reach, cidr)| (reach, render_value(&Value::String(cidr))))
}
