//! DB022: Redis `KEYS` from application code: it walks every key of the database in one
//! blocking command.

use audit_model::queries::Client;

use crate::checks::{Check, CodeContext, Emit, excerpt};

pub const CHECK: Check = Check::Code {
    anchors: &["redis", "Redis"],
    run: check,
};

fn check(ctx: &CodeContext<'_>, out: &mut Emit<'_>) {
    let text = ctx.source.text.as_str();
    for query in &ctx.queries().queries {
        if query.client == Client::Redis && query.method == "keys" {
            let call = excerpt(&text[query.span.start..query.span.end]);
            out.report(ctx.source, query.span, &[("call", &call)]);
        }
    }
}
