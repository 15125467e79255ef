//! DB020: a database call inside a loop, one round trip per element (N+1): loop
//! statements, comprehensions, and the callbacks of `forEach`/`map` (which start every
//! query at once: reported at low confidence, bounded concurrency being the lesser
//! problem). Calls an ORM defers to one flush (SQLAlchemy's `session.add`), querysets
//! built but not run in the loop, batches (set filters, pages, bulk methods), retry loops
//! and cache commands are not reported.

use audit_model::queries::{ANCHORS, Client, LoopKind, Query};

use super::is_script_or_migration;
use crate::checks::{Check, CodeContext, Emit, excerpt};
use audit_core::Confidence;

pub const CHECK: Check = Check::Code {
    anchors: ANCHORS,
    run: check,
};

fn check(ctx: &CodeContext<'_>, out: &mut Emit<'_>) {
    if is_script_or_migration(&ctx.source.path, &ctx.source.text) {
        return;
    }
    let text = ctx.source.text.as_str();
    for query in &ctx.queries().queries {
        let Some(in_loop) = query.in_loop else {
            continue;
        };
        if in_loop.retry || query.batched || query.lazy || !round_trip(query) {
            continue;
        }
        let line = ctx.source.position(in_loop.span.start).line.to_string();
        let (how, confidence) = match in_loop.kind {
            LoopKind::Concurrent => (
                "starts one query per element at once",
                Some(Confidence::Low),
            ),
            LoopKind::Comprehension => ("runs once per element of the comprehension", None),
            LoopKind::Statement | LoopKind::Callback => ("runs once per iteration", None),
        };
        let call = excerpt(&text[query.span.start..query.span.end]);
        let location = ctx.source.locate(query.span);
        out.report_with(
            location,
            &[
                ("call", &call),
                ("client", query.client.label()),
                ("how", how),
                ("line", &line),
                ("fix", fix(query.client)),
            ],
            confidence,
        );
    }
}

/// Whether the call goes to the database by itself (not a write a session flushes later,
/// nor a cache command).
fn round_trip(query: &Query) -> bool {
    match query.client {
        Client::Redis | Client::DjangoCache => false,
        Client::SqlAlchemy => !matches!(
            query.method.as_str(),
            "add" | "add_all" | "delete" | "merge"
        ),
        _ => true,
    }
}

fn fix(client: Client) -> &'static str {
    match client {
        Client::Prisma => {
            "load them in one `findMany({ where: { id: { in: ids } } })` or with `include`"
        }
        Client::TypeOrm => {
            "load them in one query with `In(ids)` or the relation in `relations`/a join"
        }
        Client::Sequelize | Client::Model => {
            "load them in one query with `[Op.in]` or `include` the association"
        }
        Client::Mongoose => "load them in one `find({ _id: { $in: ids } })` or `populate()`",
        Client::Knex => "load them in one query with `whereIn`",
        Client::Django => {
            "load them in one query: `select_related`/`prefetch_related`, or `filter(id__in=ids)`; batch writes with `bulk_create`/`bulk_update`"
        }
        Client::SqlAlchemy => "load them in one query with `in_()` or `selectinload`/`joinedload`",
        _ => {
            "send one query for the whole set (`WHERE id = ANY($1)`, `IN (...)`, a join or a batched insert)"
        }
    }
}
