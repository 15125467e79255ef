//! DB020: a database call inside a loop, one round trip per element (N+1): loop
//! statements, comprehensions, and the callbacks of `forEach`/`map` (which start every
//! query at once: reported one severity step lower, bounded concurrency being the lesser
//! problem). Calls an ORM defers to one flush (SQLAlchemy's `session.add`), querysets
//! built but not run in the loop, batches (set filters, pages, bulk methods), retry loops,
//! schema SQL (`DROP TABLE` per stale table), loops over model classes (one table each)
//! and cache commands are not reported.
//!
//! In the project phase: Django relations loaded lazily in a loop (`o.customer` of each
//! `Order` of `Order.objects.all()`, without `select_related`/`prefetch_related`), joined
//! with the models of every file (a view's models are usually in `models.py`).

use std::collections::HashMap;

use audit_model::orm::{Orm, OrmModel};
use audit_model::queries::{ANCHORS, Client, LoopKind, Query, SqlKind};

use crate::checks::{Check, CodeContext, CrossLayerContext, Emit, excerpt};
use audit_core::{Confidence, Span};
use audit_model::code::nodes::{Fields, KindName, elements};
use audit_syntax::tree_sitter::Node;

pub const CHECK: Check = Check::Several(&[
    Check::Code {
        anchors: ANCHORS,
        run: check,
    },
    Check::CrossLayer {
        run: lazy_relations,
    },
]);

fn check(ctx: &CodeContext<'_>, out: &mut Emit<'_>) {
    if ctx.is_script_or_migration() {
        return;
    }
    let text = ctx.source.text.as_str();
    for query in &ctx.queries().queries {
        let Some(in_loop) = query.in_loop else {
            continue;
        };
        if in_loop.retry
            || query.batched
            || query.lazy
            || !round_trip(query)
            || over_models(ctx, query, in_loop.span)
        {
            continue;
        }
        let line = ctx.source.position(in_loop.span.start).line.to_string();
        let how = match in_loop.kind {
            LoopKind::Concurrent => "starts one query per element at once",
            LoopKind::Comprehension => "runs once per element of the comprehension",
            LoopKind::Statement | LoopKind::Callback => "runs once per iteration",
        };
        let call = excerpt(&text[query.span.start..query.span.end]);
        let location = ctx.source.locate(query.span);
        out.report_at(
            location,
            &[
                ("call", &call),
                ("client", query.client.label()),
                ("how", how),
                ("line", &line),
                ("fix", fix(query.client)),
            ],
        );
        // The queries of a `forEach`/`map` callback start together: the pool's size
        // bounds them, the request waits for one round trip rather than N.
        if in_loop.kind == LoopKind::Concurrent
            && let Some(finding) = out.findings.last_mut()
        {
            finding.lowered = true;
        }
    }
}

/// Reads of a `ForeignKey`/`OneToOneField` of each instance in the loop over a queryset
/// that does not load it: one query per iteration. A model name several models share
/// counts only when none of them has a plain field of that name.
fn lazy_relations(ctx: &CrossLayerContext<'_>, out: &mut Emit<'_>) {
    let mut models: HashMap<&str, Vec<&OrmModel>> = HashMap::new();
    for model in ctx.models.iter().filter(|m| m.orm == Orm::Django) {
        models.entry(model.name.as_str()).or_default().push(model);
    }
    for (_, database) in &ctx.files {
        for found in &database.instance_reads {
            let read = &found.read;
            let Some(candidates) = models.get(read.model.as_str()) else {
                continue;
            };
            let fields = || {
                candidates
                    .iter()
                    .filter_map(|m| m.fields.iter().find(|f| f.name == read.field))
            };
            let relation = fields().any(|f| f.relation) && fields().all(|f| f.relation);
            if !relation || read.loads(&read.field) {
                continue;
            }
            let how = format!("loads the related `{}` once per iteration", read.field);
            let fix = format!(
                "add `select_related(\"{field}\")` (or `prefetch_related`) to the queryset, or read `{field}_id` when the key is enough",
                field = read.field
            );
            out.report_with(
                found.location.clone(),
                &[
                    ("call", &found.written),
                    ("client", Client::Django.label()),
                    ("how", &how),
                    ("line", &found.loop_line.to_string()),
                    ("fix", &fix),
                ],
                Some(Confidence::Medium),
            );
        }
    }
}

/// A Django loop over model classes (`for model in models: model.objects.count()`): each
/// iteration queries another table, which no one query can do.
fn over_models(ctx: &CodeContext<'_>, query: &Query, loop_span: Span) -> bool {
    if query.client != Client::Django {
        return false;
    }
    let Some((class, _)) = query.receiver.split_once(".objects").filter(|(c, _)| {
        !c.is_empty() && c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    }) else {
        return false;
    };
    let Some(target) = ctx.node_at(loop_span).and_then(|l| l.field("left")) else {
        return false;
    };
    let text = ctx.source.text.as_str();
    let name = |n: Node<'_>| &text[n.start_byte()..n.end_byte()];
    match target.kind_name() {
        "identifier" => name(target) == class,
        "pattern_list" | "tuple_pattern" => elements(target).into_iter().any(|n| name(n) == class),
        _ => false,
    }
}

/// Whether the call goes to the database by itself for data (not a write a session
/// flushes later, nor a cache command, nor schema SQL such as `DROP TABLE`, which has no
/// one-query form to batch into).
fn round_trip(query: &Query) -> bool {
    if !query.sql.is_empty() && query.sql.iter().all(|s| s.kind == SqlKind::Schema) {
        return false;
    }
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
