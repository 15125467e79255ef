//! TF004: a database reachable from the internet: RDS `publicly_accessible = true`, a
//! Cloud SQL authorized network open to the internet, an Azure database firewall rule
//! admitting every address.

use audit_model::terraform::Value;
use audit_model::terraform::cidr::{Reach, reach};

use crate::checks::{Check, Emit};
use crate::project::terraform::ResourceContext;

pub const CHECK: Check = Check::Terraform {
    resources: &[
        "aws_db_instance",
        "aws_rds_cluster_instance",
        "google_sql_database_instance",
        "azurerm_postgresql_firewall_rule",
        "azurerm_postgresql_flexible_server_firewall_rule",
        "azurerm_mysql_firewall_rule",
        "azurerm_mysql_flexible_server_firewall_rule",
        "azurerm_sql_firewall_rule",
        "azurerm_mssql_firewall_rule",
    ],
    run: check,
};

fn check(ctx: &ResourceContext<'_>, out: &mut Emit<'_>) {
    let body = ctx.body();
    let address = ctx.address();
    let mut report = |span, how: &str| super::report_how(ctx, out, &address, span, how);
    match ctx.resource_type {
        "aws_db_instance" | "aws_rds_cluster_instance" => {
            if let Some(attr) = body.attr("publicly_accessible")
                && attr.value.as_bool() == Some(true)
            {
                report(
                    attr.span,
                    "`publicly_accessible = true` gives it a public IP address",
                );
            }
        }
        "google_sql_database_instance" => {
            for settings in body.blocks("settings") {
                for ip in settings.blocks("ip_configuration") {
                    if ip.value("ipv4_enabled").as_bool() == Some(false) {
                        continue;
                    }
                    for network in ip.blocks("authorized_networks") {
                        let Some(value) = network.attr("value") else {
                            continue;
                        };
                        let Some(cidr) = value.value.as_str() else {
                            continue;
                        };
                        let how = match reach(cidr) {
                            Some(Reach::Anywhere) => {
                                format!("an authorized network `{cidr}` admits every address")
                            }
                            Some(Reach::PublicRange) => {
                                format!("an authorized network `{cidr}` admits a wide public range")
                            }
                            None => continue,
                        };
                        report(value.span, &how);
                    }
                }
            }
        }
        // Azure firewall rules: 0.0.0.0-0.0.0.0 is "Azure services", not the internet.
        _ => {
            let (Some(start), Some(end)) =
                (body.attr("start_ip_address"), body.attr("end_ip_address"))
            else {
                return;
            };
            let ip = |v: &Value| {
                v.as_str()
                    .and_then(|s| s.parse::<std::net::Ipv4Addr>().ok())
                    .map(u32::from)
            };
            let (Some(from), Some(to)) = (ip(&start.value), ip(&end.value)) else {
                return;
            };
            if to.saturating_sub(from) >= (1 << 24) {
                let how = format!(
                    "its firewall admits {} to {}",
                    start.value.as_str().unwrap_or_default(),
                    end.value.as_str().unwrap_or_default()
                );
                report(start.span, &how);
            }
        }
    }
}
