//! DB025: `SELECT *` (or `t.*`) in SQL sent from application code; `COUNT(*)` and
//! `EXISTS (SELECT * ...)` name no columns and are fine. Migrations and one-off scripts
//! are not application code: their queries run once, against the schema of their day.

use crate::checks::{Check, CodeContext, Emit};

pub const CHECK: Check = Check::Code {
    anchors: &["SELECT", "select ", "Select "],
    run: check,
};

fn check(ctx: &CodeContext<'_>, out: &mut Emit<'_>) {
    if ctx.is_script_or_migration() {
        return;
    }
    for query in &ctx.queries().queries {
        let Some(star) = query.sql.iter().find(|s| s.select_star) else {
            continue;
        };
        let table = star.tables.first().map_or("the table", String::as_str);
        out.report(
            ctx.source,
            query.sql_span.unwrap_or(query.span),
            &[("table", table)],
        );
    }
}
