//! Terraform checks over evaluated resources, one file per rule; the helpers below are shared
//! by the checks that say how a resource is exposed.

use audit_core::Span;

use crate::checks::Emit;
use crate::project::terraform::ResourceContext;

pub mod tf004_database_publicly_accessible;
pub mod tf005_open_ingress;
pub mod tf006_iam_wildcard;
pub mod tf007_public_bucket;
pub mod tf008_backups_insufficient;
pub mod tf011_hardcoded_credential;
pub mod tf014_api_gateway_open;
pub mod tf015_state_backend_insecure;

/// Reports a finding at `span` whose message names the resource's `address` and `how` it
/// is exposed.
fn report_how(ctx: &ResourceContext<'_>, out: &mut Emit<'_>, address: &str, span: Span, how: &str) {
    out.report(ctx.source, span, &[("resource", address), ("how", how)]);
}
