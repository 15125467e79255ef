//! DB024: one function making two or more writes with no transaction around them, so a
//! failure between them leaves half the change stored. Writes inside a transaction
//! callback or block, given `{ transaction }`, in a function that begins a transaction,
//! or through a session that flushes them together (SQLAlchemy) are fine; cache writes
//! are not data writes here. A loop of writes counts as the writes it makes (DB020 tells
//! of the loop).

use audit_model::queries::{Client, Operation, Query};

use super::is_script_or_migration;
use crate::checks::{Check, CodeContext, Emit, excerpt};

pub const CHECK: Check = Check::Code {
    anchors: audit_model::queries::ANCHORS,
    run: check,
};

fn check(ctx: &CodeContext<'_>, out: &mut Emit<'_>) {
    if is_script_or_migration(&ctx.source.path, &ctx.source.text) {
        return;
    }
    let text = ctx.source.text.as_str();
    let writes: Vec<&Query> = ctx
        .queries()
        .queries
        .iter()
        .filter(|q| unguarded_write(q))
        .collect();
    let mut reported_functions = Vec::new();
    for (i, second) in writes.iter().enumerate() {
        let Some(function) = second.function else {
            continue;
        };
        if reported_functions.contains(&function) {
            continue;
        }
        let Some(first) = writes[..i].iter().find(|w| w.function == Some(function)) else {
            continue;
        };
        reported_functions.push(function);
        let line = ctx.source.position(first.span.start).line.to_string();
        let call = excerpt(&text[second.span.start..second.span.end]);
        out.report(
            ctx.source,
            second.span,
            &[
                ("call", &call),
                ("line", &line),
                ("fix", fix(second.client)),
            ],
        );
    }
}

fn unguarded_write(query: &Query) -> bool {
    query.operation == Operation::Write
        && !query.in_transaction
        && !matches!(
            query.client,
            Client::SqlAlchemy | Client::Redis | Client::DjangoCache
        )
}

fn fix(client: Client) -> &'static str {
    match client {
        Client::Prisma => "run them in `prisma.$transaction(async (tx) => ...)`",
        Client::TypeOrm => {
            "run them in `dataSource.transaction(async (manager) => ...)` or a `queryRunner` transaction"
        }
        Client::Sequelize | Client::Model => {
            "run them in `sequelize.transaction(async (t) => ...)` and pass `{ transaction: t }`"
        }
        Client::Mongoose => "run them in `session.withTransaction(...)`",
        Client::Knex => "run them in `knex.transaction(async (trx) => ...)`",
        Client::Django => {
            "wrap them in `with transaction.atomic():` (or decorate the view with `@transaction.atomic`)"
        }
        _ => "run them between `BEGIN` and `COMMIT` on one client (rolling back on error)",
    }
}
