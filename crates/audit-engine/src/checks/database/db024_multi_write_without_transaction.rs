//! DB024: one function making two or more writes with no transaction around them, so a
//! failure between them leaves half the change stored. Writes inside a transaction
//! callback or block, given `{ transaction }`, in a function that begins a transaction,
//! or through a session that flushes them together (SQLAlchemy) are fine; cache writes
//! are not data writes here. A loop of writes counts as the writes it makes (DB020 tells
//! of the loop). A call of a function of the same file that writes counts as a write.

use audit_core::Span;
use audit_model::queries::{Client, Operation, Query};

use crate::checks::{Check, CodeContext, Emit, excerpt};

pub const CHECK: Check = Check::Code {
    anchors: audit_model::queries::ANCHORS,
    run: check,
};

fn check(ctx: &CodeContext<'_>, out: &mut Emit<'_>) {
    if ctx.is_script_or_migration() {
        return;
    }
    let text = ctx.source.text.as_str();
    let queries = ctx.queries();
    let writes: Vec<&Query> = queries
        .queries
        .iter()
        .filter(|q| unguarded_write(q))
        .collect();
    // Each write a function makes: its own, and its calls of the file's functions that
    // write (`create_order(...)` then `charge(...)`), as (function, span, client).
    let mut steps: Vec<(usize, Span, Client)> = writes
        .iter()
        .filter_map(|q| Some((q.function?, q.span, q.client)))
        .collect();
    steps.extend(
        queries
            .writing_calls
            .iter()
            .filter(|c| !c.in_transaction)
            .filter_map(|c| {
                let write = writes.iter().find(|w| w.function == Some(c.callee))?;
                Some((c.function, c.span, write.client))
            }),
    );
    steps.sort_by_key(|(function, span, _)| (*function, span.start));
    // Sorted by function: a function's first step follows another function's.
    for (i, pair) in steps.windows(2).enumerate() {
        let [(function, first, _), (next_function, second, client)] = pair else {
            continue;
        };
        let opens = i == 0 || steps[i - 1].0 != *function;
        if function != next_function || !opens {
            continue;
        }
        let line = ctx.source.position(first.start).line.to_string();
        let call = excerpt(&text[second.start..second.end]);
        out.report(
            ctx.source,
            *second,
            &[("call", &call), ("line", &line), ("fix", fix(*client))],
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
