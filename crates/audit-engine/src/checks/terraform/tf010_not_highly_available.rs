//! TF010: production databases and caches on a single node or zone: RDS without
//! Multi-AZ, Cloud SQL `ZONAL`, Azure flexible servers without high availability,
//! ElastiCache without automatic failover. Only resources that look like production are
//! reported (see [`production_evidence`]): development stacks run single-zone on purpose.

use audit_model::terraform::Value;

use crate::checks::{Check, Emit};
use crate::project::terraform::ResourceContext;

pub const CHECK: Check = Check::Terraform {
    resources: &[
        "aws_db_instance",
        "google_sql_database_instance",
        "azurerm_postgresql_flexible_server",
        "azurerm_mysql_flexible_server",
        "aws_elasticache_replication_group",
        "aws_elasticache_cluster",
    ],
    run: check,
};

/// The attributes that name a resource in its cloud.
const NAME_ATTRIBUTES: &[&str] = &["identifier", "name", "cluster_id", "replication_group_id"];

/// The module variables that name the environment.
const ENVIRONMENT_VARIABLES: &[&str] = &["environment", "env", "stage", "environment_name"];

fn check(ctx: &ResourceContext<'_>, out: &mut Emit<'_>) {
    let body = ctx.body();
    let set = |name: &str| body.attr(name).is_some_and(|a| a.value != Value::Null);
    // (where, what is wrong, the fix); None when highly available or unknown.
    let problem = match ctx.resource_type {
        "aws_db_instance" => {
            // Replicas follow their source; Aurora's availability is its cluster's.
            let aurora = body
                .value("engine")
                .as_str()
                .is_some_and(|e| e.starts_with("aurora"));
            if set("replicate_source_db") || aurora {
                return;
            }
            match body.attr("multi_az") {
                None => Some((
                    ctx.header_span(),
                    "it runs in one availability zone (`multi_az` is not set)",
                    "set `multi_az = true` for a standby in a second zone",
                )),
                Some(attr) if attr.value.as_bool() == Some(false) => Some((
                    attr.span,
                    "`multi_az = false` keeps it in one availability zone",
                    "set `multi_az = true` for a standby in a second zone",
                )),
                Some(_) => None,
            }
        }
        "google_sql_database_instance" => {
            if set("master_instance_name") {
                return;
            }
            const FIX: &str = "set `availability_type = \"REGIONAL\"` in `settings`";
            body.blocks("settings").first().and_then(|settings| {
                match settings.attr("availability_type") {
                    None => Some((
                        ctx.line_span(settings.header.start),
                        "it runs in one zone (`availability_type` defaults to `ZONAL`)",
                        FIX,
                    )),
                    Some(attr) if attr.value.as_str() == Some("ZONAL") => Some((
                        attr.span,
                        "`availability_type = \"ZONAL\"` keeps it in one zone",
                        FIX,
                    )),
                    Some(_) => None,
                }
            })
        }
        "azurerm_postgresql_flexible_server" | "azurerm_mysql_flexible_server" => {
            // A replica (`create_mode = "Replica"`) follows its source.
            if body.value("create_mode").as_str() == Some("Replica") {
                return;
            }
            body.blocks("high_availability").is_empty().then(|| {
                (
                    ctx.header_span(),
                    "it has no `high_availability` block, so no standby",
                    "add `high_availability { mode = \"ZoneRedundant\" }`",
                )
            })
        }
        "aws_elasticache_replication_group" => match body.attr("automatic_failover_enabled") {
            None => Some((
                ctx.header_span(),
                "without `automatic_failover_enabled` a failed primary is not replaced",
                "set `automatic_failover_enabled = true` and `multi_az_enabled = true` with at least one replica",
            )),
            Some(attr) if attr.value.as_bool() == Some(false) => Some((
                attr.span,
                "`automatic_failover_enabled = false` leaves a failed primary unreplaced",
                "set `automatic_failover_enabled = true` and `multi_az_enabled = true` with at least one replica",
            )),
            Some(_) => None,
        },
        "aws_elasticache_cluster" => {
            // A member of a replication group is covered by the group.
            if set("replication_group_id") {
                return;
            }
            match body.value("engine").as_str() {
                Some("redis" | "valkey") => Some((
                    ctx.header_span(),
                    "a standalone Redis cluster is a single node",
                    "use an `aws_elasticache_replication_group` with a replica and automatic failover",
                )),
                Some("memcached") => body
                    .attr("num_cache_nodes")
                    .filter(|n| n.value.as_i64() == Some(1))
                    .map(|n| {
                        (
                            n.span,
                            "`num_cache_nodes = 1` is a single node",
                            "run at least two nodes with `az_mode = \"cross-az\"`",
                        )
                    }),
                _ => None,
            }
        }
        _ => None,
    };
    let Some((span, problem, fix)) = problem else {
        return;
    };
    let Some(evidence) = production_evidence(ctx) else {
        return;
    };
    let address = ctx.address();
    out.report(
        ctx.source,
        span,
        &[
            ("resource", address.as_str()),
            ("evidence", &evidence),
            ("problem", problem),
            ("fix", fix),
        ],
    );
}

/// Why the resource looks like production, if it does: the word `prod`, `production` or
/// `prd` (not `non-prod` or `pre-prod`) in its name, its cloud name, a tag value, the
/// module's `environment`/`env`/`stage` variable, the module call or the folder.
fn production_evidence(ctx: &ResourceContext<'_>) -> Option<String> {
    let body = ctx.body();
    if is_production(ctx.name) {
        return Some(format!("its name `{}`", ctx.name));
    }
    for name in NAME_ATTRIBUTES {
        if let Some(text) = body.value(name).as_str().filter(|t| is_production(t)) {
            return Some(format!("`{name} = \"{text}\"`"));
        }
    }
    if let Some(Value::Object(tags)) = body.attr("tags").map(|t| t.value) {
        for (key, value) in &tags {
            if let Some(text) = value.as_str().filter(|t| is_production(t)) {
                return Some(format!("the tag `{key} = \"{text}\"`"));
            }
        }
    }
    for name in ENVIRONMENT_VARIABLES {
        if let Some(text) = ctx.module.var(name).as_str().filter(|t| is_production(t)) {
            return Some(format!("`var.{name}` is `\"{text}\"`"));
        }
    }
    if is_production(&ctx.module.call_path) {
        return Some(format!("the module call `{}`", ctx.module.call_path));
    }
    let caller = ctx.module.call.map_or(ctx.source, |(file, _)| &file.source);
    let folder = caller.path.rsplit_once('/').map_or("", |(dir, _)| dir);
    is_production(folder).then(|| format!("the folder `{folder}/`"))
}

/// Whether `text` holds the word prod, production or prd: split at non-alphanumerics
/// and lower-to-upper case changes, trailing digits ignored (`prod2`), and not right
/// after `non` or `pre` (`non-prod`, `pre_prod`).
fn is_production(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut previous: &[u8] = b"";
    let mut start = 0;
    while start < bytes.len() {
        if !bytes[start].is_ascii_alphanumeric() {
            start += 1;
            continue;
        }
        let mut end = start + 1;
        while end < bytes.len()
            && bytes[end].is_ascii_alphanumeric()
            && !(bytes[end - 1].is_ascii_lowercase() && bytes[end].is_ascii_uppercase())
        {
            end += 1;
        }
        let word = &bytes[start..end];
        let mut stem = word;
        while let [rest @ .., last] = stem
            && last.is_ascii_digit()
        {
            stem = rest;
        }
        let is = |w: &[u8], s: &str| w.eq_ignore_ascii_case(s.as_bytes());
        let production = is(stem, "prod") || is(stem, "production") || is(stem, "prd");
        if production && !is(previous, "non") && !is(previous, "pre") {
            return true;
        }
        previous = word;
        start = end;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::is_production;

    #[test]
    fn production_is_a_word_not_a_substring() {
        for yes in [
            "prod",
            "orders-prod",
            "production",
            "ordersProd",
            "prod2-db",
            "eu_prd",
        ] {
            assert!(is_production(yes), "{yes}");
        }
        for no in [
            "non-prod", "nonprod", "pre_prod", "preprod", "product", "staging", "produce", "",
        ] {
            assert!(!is_production(no), "{no}");
        }
    }
}
