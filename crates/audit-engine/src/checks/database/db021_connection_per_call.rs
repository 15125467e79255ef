//! DB021: a database connection, pool or client created per request or per call:
//! inside a request handler (Express/Koa parameters, route decorators, a Django
//! `request`), inside a loop, or opened and closed again within one function that is
//! not a script's entry point. One kept for later (`this.pool = ...`, a module-level
//! variable, returned by a factory) is how pools are meant to be made.

use audit_core::{Confidence, Span};

use crate::checks::{Check, CodeContext, Emit, excerpt};

pub const CHECK: Check = Check::Code {
    anchors: &[
        "Pool",
        "Client",
        "connect",
        "createConnection",
        "createPool",
        "createClient",
        "create_engine",
        "create_async_engine",
        "create_pool",
        "Redis",
        "knex",
        "Sequelize",
        "DataSource",
        "Database",
        "from_url",
    ],
    run: check,
};

/// Functions that run once per process, where opening a connection is the point.
const ENTRY_POINTS: &[&str] = &[
    "main",
    "run",
    "migrate",
    "seed",
    "setup",
    "init",
    "bootstrap",
    "start",
    "handle",
    "cli",
    "connect",
    "getConnection",
    "get_connection",
    "get_db",
    "getDb",
    "createPool",
    "create_pool",
    "lifespan",
    "startup",
    "on_startup",
];

fn check(ctx: &CodeContext<'_>, out: &mut Emit<'_>) {
    let text = ctx.source.text.as_str();
    let semantics = ctx.semantics();
    for connection in &ctx.queries().connections {
        let Some(function) = connection.function else {
            continue;
        };
        let f = &semantics.functions()[function];
        let name = f.name.as_deref().unwrap_or("");
        let (place, confidence) = if connection.in_loop.is_some_and(|l| !l.retry) {
            ("inside a loop".to_string(), None)
        } else if connection.in_handler && !connection.kept {
            ("in a request handler".to_string(), None)
        } else if !connection.kept && !ENTRY_POINTS.contains(&name) && closes_within(ctx, f.body) {
            (
                format!(
                    "and closed again on every call of `{}`",
                    if name.is_empty() {
                        "this function"
                    } else {
                        name
                    }
                ),
                Some(Confidence::Low),
            )
        } else {
            continue;
        };
        let callee = excerpt(&text[connection.callee.start..connection.callee.end]);
        out.report_with(
            ctx.source.locate(connection.span),
            &[
                ("callee", &callee),
                ("client", connection.client.label()),
                ("place", &place),
            ],
            confidence,
        );
    }
}

/// Whether a function body ends a connection: `.end()`, `.close()`, `.quit()`,
/// `.disconnect()`, `$disconnect()`, `.dispose()`, `.release()`.
fn closes_within(ctx: &CodeContext<'_>, body: Span) -> bool {
    let text = ctx.source.text.as_str();
    ctx.semantics().calls_in(body).iter().any(|c| {
        let callee = &text[c.callee.start..c.callee.end];
        let method = callee.rsplit('.').next().unwrap_or(callee);
        callee.contains('.')
            && matches!(
                method,
                "end" | "close" | "quit" | "disconnect" | "$disconnect" | "dispose" | "release"
            )
    })
}
