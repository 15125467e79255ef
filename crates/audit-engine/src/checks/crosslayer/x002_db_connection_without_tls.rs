//! X002: code connecting to a database with TLS turned off while the repository's
//! Terraform declares a database that is public or requires TLS (one severity step
//! lower where the repository has no Terraform to say).

use audit_core::{Confidence, Related};

use crate::checks::{Check, CrossLayerContext, Emit, excerpt};

pub const CHECK: Check = Check::CrossLayer { run: check };

fn check(ctx: &CrossLayerContext<'_>, out: &mut Emit<'_>) {
    // The database the code most likely reaches: a public one first.
    let database = ctx
        .tls_databases
        .iter()
        .find(|d| d.public)
        .or_else(|| ctx.tls_databases.first());
    // Terraform that declares only private databases that accept plain connections.
    if ctx.has_terraform && database.is_none() {
        return;
    }
    for (_, use_) in &ctx.files {
        for setting in &use_.tls_off {
            let context = &setting.location.context;
            let written = excerpt(&context.text[context.span.start..context.span.end]);
            let (infrastructure, related, confidence) = match database {
                Some(db) => (
                    format!(
                        "while Terraform's `{}` {} ({}:{})",
                        db.address, db.why, db.location.path, db.location.start.line
                    ),
                    vec![Related {
                        location: db.location.clone(),
                        note: format!("`{}` {}", db.address, db.why),
                    }],
                    if setting.at_connect && db.public {
                        Confidence::High
                    } else {
                        Confidence::Medium
                    },
                ),
                None => (
                    "and no Terraform in the repository says the network is private; the standard asks for TLS on all network communication".to_string(),
                    Vec::new(),
                    if setting.at_connect {
                        Confidence::High
                    } else {
                        Confidence::Medium
                    },
                ),
            };
            let args = [
                ("setting", written.as_str()),
                ("infrastructure", infrastructure.as_str()),
            ];
            out.report_related(setting.location.clone(), &args, Some(confidence), related);
            if database.is_none()
                && let Some(finding) = out.findings.last_mut()
            {
                finding.lowered = true;
            }
        }
    }
}
