//! TF007: storage readable by anyone: S3 public ACLs, public access blocks turned off,
//! bucket policies allowing `Principal: "*"` without a condition; GCS `allUsers` and
//! `allAuthenticatedUsers`; Azure containers and accounts allowing public blob access.

use audit_model::terraform::Value;

use crate::checks::{Check, Emit};
use crate::project::terraform::ResourceContext;

const PUBLIC_ACLS: &[&str] = &["public-read", "public-read-write", "authenticated-read"];
const PUBLIC_MEMBERS: &[&str] = &["allUsers", "allAuthenticatedUsers"];
const BLOCK_SETTINGS: &[&str] = &[
    "block_public_acls",
    "block_public_policy",
    "ignore_public_acls",
    "restrict_public_buckets",
];

pub const CHECK: Check = Check::Terraform {
    resources: &[
        "aws_s3_bucket",
        "aws_s3_bucket_acl",
        "aws_s3_bucket_public_access_block",
        "aws_s3_bucket_policy",
        "google_storage_bucket_iam_member",
        "google_storage_bucket_iam_binding",
        "google_storage_bucket_access_control",
        "azurerm_storage_container",
        "azurerm_storage_account",
    ],
    run: check,
};

fn check(ctx: &ResourceContext<'_>, out: &mut Emit<'_>) {
    let body = ctx.body();
    let address = ctx.address();
    let mut report = |span, how: &str| super::report_how(ctx, out, &address, span, how);
    match ctx.resource_type {
        "aws_s3_bucket" | "aws_s3_bucket_acl" => {
            if let Some(acl) = body.attr("acl")
                && let Some(name) = acl.value.as_str().filter(|a| PUBLIC_ACLS.contains(a))
            {
                report(
                    acl.span,
                    &format!("the canned ACL `{name}` grants read access to everyone"),
                );
            }
        }
        "aws_s3_bucket_public_access_block" => {
            for setting in BLOCK_SETTINGS {
                if let Some(attr) = body.attr(setting)
                    && attr.value.as_bool() == Some(false)
                {
                    report(
                        attr.span,
                        &format!("`{setting} = false` lets public ACLs or policies through"),
                    );
                }
            }
        }
        "aws_s3_bucket_policy" => {
            let Some(policy) = body.attr("policy") else {
                return;
            };
            let public = super::policy_statements(ctx, &policy)
                .iter()
                .any(super::allows_everyone);
            if public {
                report(
                    policy.span,
                    "its policy allows `Principal: \"*\"` without a condition",
                );
            }
        }
        "google_storage_bucket_iam_member" | "google_storage_bucket_access_control" => {
            let name = if ctx.resource_type == "google_storage_bucket_iam_member" {
                "member"
            } else {
                "entity"
            };
            if let Some(member) = body.attr(name)
                && let Some(who) = member.value.as_str().filter(|m| PUBLIC_MEMBERS.contains(m))
            {
                report(member.span, &format!("`{who}` is granted access"));
            }
        }
        "google_storage_bucket_iam_binding" => {
            if let Some(members) = body.attr("members")
                && let Value::List(items) = &members.value
                && let Some(who) = items
                    .iter()
                    .filter_map(Value::as_str)
                    .find(|m| PUBLIC_MEMBERS.contains(m))
            {
                report(members.span, &format!("`{who}` is granted access"));
            }
        }
        "azurerm_storage_container" => {
            if let Some(access) = body.attr("container_access_type")
                && let Some(kind) = access
                    .value
                    .as_str()
                    .filter(|k| matches!(*k, "blob" | "container"))
            {
                report(
                    access.span,
                    &format!(
                        "`container_access_type = \"{kind}\"` serves its blobs to anonymous readers"
                    ),
                );
            }
        }
        "azurerm_storage_account" => {
            for name in [
                "allow_nested_items_to_be_public",
                "allow_blob_public_access",
            ] {
                if let Some(attr) = body.attr(name)
                    && attr.value.as_bool() == Some(true)
                {
                    report(
                        attr.span,
                        &format!("`{name} = true` lets containers be made public"),
                    );
                }
            }
        }
        _ => {}
    }
}
