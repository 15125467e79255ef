//! TF005: security group ingress open to the whole internet on admin/data ports or all ports.

use audit_model::terraform::{Resolved, Value, attribute_span};
use audit_syntax::hcl_edit::structure::Body;

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

const ANYWHERE: &[&str] = &["0.0.0.0/0", "::/0"];

/// Attribute names of one ingress rule in each resource's schema.
struct RuleShape {
    cidrs: &'static [&'static str],
    protocol: &'static str,
}

const CLASSIC: RuleShape = RuleShape {
    cidrs: &["cidr_blocks", "ipv6_cidr_blocks"],
    protocol: "protocol",
};
const VPC_RULE: RuleShape = RuleShape {
    cidrs: &["cidr_ipv4", "cidr_ipv6"],
    protocol: "ip_protocol",
};

pub const CHECK: Check = Check::Terraform {
    resources: &[
        "aws_security_group",
        "aws_security_group_rule",
        "aws_vpc_security_group_ingress_rule",
    ],
    run: check,
};

fn check(ctx: &ResourceContext<'_>, out: &mut Emit<'_>) {
    match ctx.resource_type {
        "aws_security_group" => {
            for ingress in ctx
                .block
                .body
                .blocks()
                .filter(|b| b.ident.as_str() == "ingress")
            {
                check_rule(ctx, &ingress.body, &CLASSIC, out);
            }
        }
        "aws_security_group_rule" => {
            let is_ingress = ctx
                .block
                .body
                .get_attribute("type")
                .map(|a| ctx.resolve(&a.value))
                == Some(Resolved::Known(Value::from("ingress")));
            if is_ingress {
                check_rule(ctx, &ctx.block.body, &CLASSIC, out);
            }
        }
        "aws_vpc_security_group_ingress_rule" => check_rule(ctx, &ctx.block.body, &VPC_RULE, out),
        _ => {}
    }
}

fn check_rule(ctx: &ResourceContext<'_>, body: &Body, shape: &RuleShape, out: &mut Emit<'_>) {
    // Unknown sources and ports pass: only a provably open rule is reported.
    let Some((attr, cidr)) = shape
        .cidrs
        .iter()
        .filter_map(|name| body.get_attribute(name))
        .find_map(|attr| {
            let Resolved::Known(value) = ctx.resolve(&attr.value) else {
                return None;
            };
            open_cidr(&value).map(|cidr| (attr, cidr))
        })
    else {
        return;
    };
    let protocol = match body
        .get_attribute(shape.protocol)
        .map(|a| ctx.resolve(&a.value))
    {
        Some(Resolved::Known(Value::String(p))) => p,
        Some(Resolved::Known(Value::Number(n))) => n.to_string(),
        _ => return,
    };
    let exposed = if matches!(protocol.as_str(), "-1" | "all") {
        "all ports".to_string()
    } else if matches!(protocol.as_str(), "tcp" | "udp" | "6" | "17") {
        let (Some(from), Some(to)) = (port(ctx, body, "from_port"), port(ctx, body, "to_port"))
        else {
            return;
        };
        if from <= 0 && to >= 65535 {
            "all ports".to_string()
        } else {
            let hit: Vec<String> = SENSITIVE_PORTS
                .iter()
                .filter(|(p, _)| (from..=to).contains(p))
                .map(|(p, name)| format!("{p} ({name})"))
                .collect();
            match hit.len() {
                0 => return,
                1 => format!("port {}", hit[0]),
                _ => format!("ports {}", hit.join(", ")),
            }
        }
    } else {
        return;
    };
    out.report(
        ctx.source,
        attribute_span(attr),
        &[
            ("resource", &ctx.address()),
            ("ports", &exposed),
            ("cidr", cidr),
        ],
    );
}

fn open_cidr(value: &Value) -> Option<&'static str> {
    let is_open = |v: &Value| {
        v.as_str()
            .and_then(|s| ANYWHERE.iter().find(|a| **a == s).copied())
    };
    match value {
        Value::Array(items) => items.iter().find_map(is_open),
        other => is_open(other),
    }
}

fn port(ctx: &ResourceContext<'_>, body: &Body, name: &str) -> Option<i64> {
    match ctx.resolve(&body.get_attribute(name)?.value) {
        Resolved::Known(Value::Number(n)) => n.as_i64(),
        Resolved::Known(Value::String(s)) => s.parse().ok(),
        _ => None,
    }
}
