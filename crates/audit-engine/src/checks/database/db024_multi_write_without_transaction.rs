//! DB024: one function making two or more writes with no transaction around them, so a
//! failure between them leaves half the change stored. Writes inside a transaction
//! callback or block, given `{ transaction }`, in a function that begins a transaction,
//! or through a session that flushes them together (SQLAlchemy) are fine; cache writes
//! are not data writes here. A loop of writes counts as the writes it makes (DB020 tells
//! of the loop). A call of a function of the same file that writes counts as a write.
//! Writes in alternative branches (`if`/`else`, `switch` cases, `a ? b : c`), or after a
//! branch that returned, are not made together.

use audit_core::Span;
use audit_model::code::nodes::{Fields, KindName, elements};
use audit_model::queries::{Client, Operation, Query};
use audit_syntax::tree_sitter::Node;

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
    // Per function, the first write that can follow an earlier one in the same run.
    for group in steps.chunk_by(|a, b| a.0 == b.0) {
        let pair = group
            .iter()
            .enumerate()
            .skip(1)
            .find_map(|(j, (_, second, client))| {
                group[..j]
                    .iter()
                    .find(|(_, first, _)| !exclusive(ctx, *first, *second))
                    .map(|(_, first, _)| (*first, *second, *client))
            });
        let Some((first, second, client)) = pair else {
            continue;
        };
        let line = ctx.source.position(first.start).line.to_string();
        let call = excerpt(&text[second.start..second.end]);
        out.report(
            ctx.source,
            second,
            &[("call", &call), ("line", &line), ("fix", fix(client))],
        );
    }
}

/// Whether the write at `second` cannot run after the one at `first` in one run of their
/// function: they sit in different branches of an `if`, a `switch`/`match` or a
/// conditional expression, or the block of the first returns or throws after it.
fn exclusive(ctx: &CodeContext<'_>, first: Span, second: Span) -> bool {
    let (Some(a), Some(b)) = (ctx.node_at(first), ctx.node_at(second)) else {
        return false;
    };
    let mut child = a;
    while let Some(parent) = ctx.parent(child) {
        if parent.start_byte() <= b.start_byte() && b.end_byte() <= parent.end_byte() {
            return branches_apart(ctx, parent, child, b);
        }
        if matches!(parent.kind_name(), "statement_block" | "block") && exits_after(parent, child) {
            return true;
        }
        child = parent;
    }
    false
}

/// Whether `a_child` (the child of `parent` holding the first write) and the child
/// holding `b` are alternative branches of `parent`.
fn branches_apart<'a>(
    ctx: &CodeContext<'a>,
    parent: Node<'a>,
    a_child: Node<'a>,
    b: Node<'a>,
) -> bool {
    let mut b_child = b;
    while let Some(up) = ctx.parent(b_child) {
        if up == parent {
            break;
        }
        b_child = up;
    }
    if a_child == b_child {
        return false;
    }
    let condition = match parent.kind_name() {
        "if_statement" | "ternary_expression" => parent.field("condition"),
        // `a if condition else b`.
        "conditional_expression" => parent.named_child(1),
        // JS `case`s, Python `case` clauses of a `match`.
        "switch_body" => return true,
        "block" => {
            return a_child.kind_name() == "case_clause" && b_child.kind_name() == "case_clause";
        }
        _ => return false,
    };
    condition.is_none_or(|c| c != a_child && c != b_child)
}

/// Whether a statement of `block` after `child` returns or throws.
fn exits_after(block: Node<'_>, child: Node<'_>) -> bool {
    elements(block)
        .into_iter()
        .skip_while(|s| s.end_byte() <= child.start_byte())
        .skip(1)
        .any(|s| {
            matches!(
                s.kind_name(),
                "return_statement" | "throw_statement" | "raise_statement"
            )
        })
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
