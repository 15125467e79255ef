//! TF008: backups too short or off: RDS/Aurora retention under 7 days, DynamoDB without
//! point-in-time recovery, Cloud SQL without backups.

use audit_model::terraform::{Value, render_value};

use crate::checks::{Check, Emit};
use crate::project::terraform::ResourceContext;

/// Days of automated backups the standard asks for.
const MIN_RETENTION_DAYS: i64 = 7;

pub const CHECK: Check = Check::Terraform {
    resources: &[
        "aws_db_instance",
        "aws_rds_cluster",
        "aws_docdb_cluster",
        "aws_dynamodb_table",
        "google_sql_database_instance",
    ],
    run: check,
};

fn check(ctx: &ResourceContext<'_>, out: &mut Emit<'_>) {
    let body = ctx.body();
    let address = ctx.address();
    let mut report = |span, problem: &str, fix: &str| {
        super::report_problem(ctx, out, &address, span, problem, fix)
    };
    match ctx.resource_type {
        "aws_dynamodb_table" => {
            let pitr = body.blocks("point_in_time_recovery");
            let enabled = pitr
                .first()
                .map(|b| (b.value("enabled"), b.attr("enabled").map(|a| a.span)));
            match enabled {
                None => report(
                    ctx.header_span(),
                    "point-in-time recovery is off",
                    "add `point_in_time_recovery { enabled = true }`",
                ),
                Some((value, span)) if value.as_bool() != Some(true) && !value.is_unknown() => {
                    report(
                        span.unwrap_or_else(|| ctx.header_span()),
                        "point-in-time recovery is off",
                        "set `point_in_time_recovery { enabled = true }`",
                    )
                }
                Some(_) => {}
            }
        }
        "google_sql_database_instance" => {
            // Read replicas are backed up through their primary.
            if body
                .attr("master_instance_name")
                .is_some_and(|a| a.value != Value::Null)
            {
                return;
            }
            for settings in body.blocks("settings") {
                let backups = settings.blocks("backup_configuration");
                let Some(config) = backups.first() else {
                    report(
                        ctx.line_span(settings.header.start),
                        "automated backups are off",
                        "add `backup_configuration { enabled = true }`",
                    );
                    continue;
                };
                let enabled = config.attr("enabled");
                if enabled
                    .as_ref()
                    .is_none_or(|e| e.value.as_bool() == Some(false))
                {
                    let span =
                        enabled.map_or_else(|| ctx.line_span(config.header.start), |e| e.span);
                    report(
                        span,
                        "automated backups are off",
                        "set `enabled = true` in `backup_configuration`",
                    );
                }
            }
        }
        _ => {
            // A read replica's backups are the source's business.
            if body
                .attr("replicate_source_db")
                .is_some_and(|a| a.value != Value::Null)
            {
                return;
            }
            match body.attr("backup_retention_period") {
                None => report(
                    ctx.header_span(),
                    "`backup_retention_period` is not set (AWS keeps 1 day)",
                    "set `backup_retention_period = 7` or more",
                ),
                Some(attr) => match attr.value.as_i64() {
                    Some(0) => report(
                        attr.span,
                        "`backup_retention_period = 0` turns automated backups off",
                        "set `backup_retention_period = 7` or more",
                    ),
                    Some(days) if days < MIN_RETENTION_DAYS => report(
                        attr.span,
                        &format!("`backup_retention_period` is {}", render_value(&attr.value)),
                        "set `backup_retention_period = 7` or more",
                    ),
                    _ => {}
                },
            }
        }
    }
}
