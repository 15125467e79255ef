//! Python database calls: Django querysets (`User.objects.filter(...)`) and model
//! instances, SQLAlchemy sessions and Core connections, DB-API and asyncpg cursors and
//! connections, redis-py clients and Django's cache.

use audit_syntax::tree_sitter::Node;

use super::javascript::set_sql;
use super::{
    Chain, Client, InstanceRead, Loop, LoopKind, Operation, Query, REDIS_COMMANDS, Reader,
    last_segment, span,
};
use crate::code::PathStep;
use crate::code::nodes::elements;
use crate::code::nodes::{Fields, KindName};

const DJANGO_WRITES: &[&str] = &[
    "create",
    "update",
    "delete",
    "bulk_create",
    "bulk_update",
    "get_or_create",
    "update_or_create",
];

/// Queryset methods that return another queryset without running it.
const DJANGO_LAZY: &[&str] = &[
    "all",
    "filter",
    "exclude",
    "using",
    "annotate",
    "alias",
    "values",
    "values_list",
    "order_by",
    "select_related",
    "prefetch_related",
    "only",
    "defer",
    "distinct",
    "select_for_update",
    "none",
    "extra",
    "db_manager",
    "reverse",
];

/// QuerySet methods that run a query where they are called (with their `a`-prefixed async
/// forms); any other method at the end of a chain (a custom manager's `get_for_model`,
/// `restrict`) is not known to.
const DJANGO_RUNS: &[&str] = &[
    "get",
    "create",
    "get_or_create",
    "update_or_create",
    "bulk_create",
    "bulk_update",
    "count",
    "in_bulk",
    "iterator",
    "latest",
    "earliest",
    "first",
    "last",
    "aggregate",
    "exists",
    "contains",
    "update",
    "delete",
    "explain",
    "raw",
    "dates",
    "datetimes",
];

const DJANGO_BOUNDED: &[&str] = &[
    "get",
    "first",
    "last",
    "exists",
    "count",
    "aggregate",
    "earliest",
    "latest",
    "in_bulk",
    "contains",
];

const SESSION_METHODS: &[&str] = &[
    "query",
    "execute",
    "scalars",
    "scalar",
    "get",
    "add",
    "add_all",
    "delete",
    "merge",
    "bulk_save_objects",
    "bulk_insert_mappings",
    "bulk_update_mappings",
];

const CURSOR_METHODS: &[&str] = &[
    "execute",
    "executemany",
    "executescript",
    "fetch",
    "fetchrow",
    "fetchval",
    "copy_records_to_table",
];

/// redis-py spellings beyond [`REDIS_COMMANDS`].
const REDIS_PY_COMMANDS: &[&str] = &["delete", "scan_iter", "execute_command"];

/// A client the constructor `name` (qualified) makes.
pub(super) fn constructor(name: &str) -> Option<Client> {
    Some(match name {
        "psycopg2.connect"
        | "psycopg.connect"
        | "psycopg.AsyncConnection.connect"
        | "psycopg2.pool.SimpleConnectionPool"
        | "psycopg2.pool.ThreadedConnectionPool"
        | "asyncpg.connect"
        | "asyncpg.create_pool"
        | "pymysql.connect"
        | "MySQLdb.connect"
        | "mysql.connector.connect"
        | "aiomysql.connect"
        | "aiomysql.create_pool" => Client::Cursor,
        "sqlalchemy.create_engine" | "sqlalchemy.ext.asyncio.create_async_engine" => {
            Client::SqlAlchemy
        }
        "redis.Redis"
        | "redis.StrictRedis"
        | "redis.from_url"
        | "redis.Redis.from_url"
        | "redis.asyncio.Redis"
        | "redis.asyncio.from_url"
        | "aioredis.from_url" => Client::Redis,
        "pymongo.MongoClient" | "motor.motor_asyncio.AsyncIOMotorClient" => Client::MongoDb,
        _ => return None,
    })
}

pub(super) fn query(r: &Reader<'_>, chain: &Chain<'_>) -> Option<Query> {
    django(r, chain)
        .or_else(|| django_instance(r, chain))
        .or_else(|| cache(r, chain))
        .or_else(|| redis(r, chain))
        .or_else(|| session(r, chain))
        .or_else(|| cursor(r, chain))
}

fn new_query(client: Client, method: &str, operation: Operation) -> Query {
    Query {
        span: audit_core::Span::new(0, 0),
        client,
        method: method.to_string(),
        operation,
        table: None,
        columns: Vec::new(),
        bounded: None,
        sql: Vec::new(),
        sql_span: None,
        in_loop: None,
        function: None,
        in_transaction: false,
        expires: None,
        key: None,
        receiver: String::new(),
        batched: false,
        lazy: false,
    }
}

/// The model of a `Model.objects` manager: `User` in `User.objects`, `models.User.objects`.
fn manager_model(text: &str) -> Option<&str> {
    let before = text
        .strip_suffix(".objects")
        .or_else(|| text.strip_suffix("._default_manager"))?;
    Some(last_segment(before))
}

/// `User.objects.filter(email=e).first()`, `Post.objects.create(...)`,
/// `Order.objects.all()[:10]`, `Model.objects.raw(sql)`.
fn django(r: &Reader<'_>, chain: &Chain<'_>) -> Option<Query> {
    let model = manager_model(r.text(chain.base))?;
    let write = chain.methods().find(|m| DJANGO_WRITES.contains(m));
    let method = write.or_else(|| chain.last().method)?;
    let mut query = new_query(
        Client::Django,
        method,
        if write.is_some() {
            Operation::Write
        } else {
            Operation::Read
        },
    );
    query.table = Some(model.to_string());
    for link in &chain.links {
        let Some(name) = link.method else { continue };
        if name == "raw"
            && let Some(argument) = r.arguments(link.call).first()
            && let Some((statements, at)) = r.sql_argument(*argument)
        {
            set_sql(&mut query, statements, at);
            query.table = Some(model.to_string());
            continue;
        }
        if !matches!(
            name,
            "filter" | "exclude" | "get" | "get_or_create" | "update_or_create"
        ) {
            continue;
        }
        let Some(call) = r.call_of(link.call) else {
            continue;
        };
        for keyword in &call.keywords {
            let column = keyword.name.split("__").next().unwrap_or(&keyword.name);
            if column != "defaults" && !query.columns.iter().any(|c| c == column) {
                query.columns.push(column.to_string());
            }
        }
    }
    if query.operation == Operation::Read {
        query.bounded = Some(
            r.sliced(chain.last().call) || chain.methods().any(|m| DJANGO_BOUNDED.contains(&m)),
        );
        // A custom method counts where its result is evaluated, as a queryset would.
        query.lazy = !r.sliced(chain.last().call)
            && chain.last().method.is_some_and(|m| {
                DJANGO_LAZY.contains(&m)
                    || !DJANGO_RUNS.contains(&m)
                        && !m
                            .strip_prefix('a')
                            .is_some_and(|m| DJANGO_RUNS.contains(&m))
            });
    }
    query.batched = r.sliced_range(chain.last().call)
        || chain
            .methods()
            .any(|m| m.starts_with("bulk_") || m == "iterator" || m == "in_bulk")
        || chain.links.iter().any(|link| {
            r.call_of(link.call)
                .is_some_and(|c| c.keywords.iter().any(|k| k.name.ends_with("__in")))
        });
    if write == Some("delete") || write == Some("update") {
        let filtered = chain.has(&["filter", "exclude", "get"]);
        query.sql.push(super::sql::SqlQuery {
            kind: if write == Some("update") {
                super::SqlKind::Update
            } else {
                super::SqlKind::Delete
            },
            tables: vec![model.to_string()],
            columns: query.columns.clone(),
            select_star: false,
            limited: false,
            filtered,
            batched: false,
        });
    }
    Some(query)
}

/// `order.save()`, `user.delete()`, `obj.refresh_from_db()` on a value a queryset or a
/// model class made (including the variable of a loop over a queryset).
fn django_instance(r: &Reader<'_>, chain: &Chain<'_>) -> Option<Query> {
    let [link] = chain.links.as_slice() else {
        return None;
    };
    let method = link.method?;
    if !matches!(method, "save" | "delete" | "refresh_from_db") {
        return None;
    }
    if chain.base.kind_name() != "identifier" {
        return None;
    }
    let semantics = r.semantics();
    let binding = semantics.binding_at(r.text(chain.base), chain.base.start_byte())?;
    let value = binding.value?;
    let value_text = &r.text[value.start..value.end];
    let from_queryset = value_text.contains(".objects") || value_text.contains("_set.");
    let made_by_model = binding.path.is_empty()
        && semantics.call(value).is_some_and(|c| {
            let callee = &r.text[c.callee.start..c.callee.end];
            let name = last_segment(callee);
            name.starts_with(|ch: char| ch.is_ascii_uppercase())
                && name.chars().any(|ch| ch.is_ascii_lowercase())
                && r.facts.django
        });
    if !from_queryset && !made_by_model {
        return None;
    }
    let operation = if method == "refresh_from_db" {
        Operation::Read
    } else {
        Operation::Write
    };
    let mut query = new_query(Client::Django, method, operation);
    query.table = manager_model(value_text.split(".objects").next().map_or("", |m| m))
        .or_else(|| value_text.split(".objects").next().map(last_segment))
        .map(str::to_string);
    Some(query)
}

/// Django's cache: `cache.set(key, value, timeout=None)` never expires.
fn cache(r: &Reader<'_>, chain: &Chain<'_>) -> Option<Query> {
    let [link] = chain.links.as_slice() else {
        return None;
    };
    let call = r.call_of(link.call)?;
    let name = call.qualified_name.as_deref()?;
    if !name.starts_with("django.core.cache.") {
        return None;
    }
    let method = link.method?;
    if !matches!(
        method,
        "set" | "add" | "get_or_set" | "set_many" | "get" | "delete"
    ) {
        return None;
    }
    let arguments = r.arguments(link.call);
    let positional: Vec<Node<'_>> = arguments
        .iter()
        .copied()
        .filter(|a| a.kind_name() != "keyword_argument")
        .collect();
    let mut query = new_query(
        Client::DjangoCache,
        method,
        if method == "get" {
            Operation::Read
        } else {
            Operation::Write
        },
    );
    query.key = positional.first().map(|k| r.text(*k).to_string());
    if method != "get" && method != "delete" {
        let timeout_position = if method == "set_many" { 1 } else { 2 };
        let timeout = call
            .keyword("timeout")
            .map(|k| &r.text[k.value.start..k.value.end])
            .or_else(|| positional.get(timeout_position).map(|t| r.text(*t)));
        query.expires = Some(timeout != Some("None"));
    }
    Some(query)
}

fn redis(r: &Reader<'_>, chain: &Chain<'_>) -> Option<Query> {
    let [link] = chain.links.as_slice() else {
        return None;
    };
    let method = link.method?;
    if !REDIS_COMMANDS.contains(&method) && !REDIS_PY_COMMANDS.contains(&method) {
        return None;
    }
    let name = last_segment(r.text(chain.base)).to_ascii_lowercase();
    let made = r.facts.redis
        && r.maker(chain.base)
            .is_some_and(|m| constructor(m) == Some(Client::Redis));
    let named = name.contains("redis")
        || r.facts.redis
            && (name.contains("cache") || matches!(name.as_str(), "client" | "r" | "conn"));
    if !made && !named {
        return None;
    }
    let call = r.call_of(link.call)?;
    let arguments = r.arguments(link.call);
    let positional: Vec<Node<'_>> = arguments
        .iter()
        .copied()
        .filter(|a| a.kind_name() != "keyword_argument")
        .collect();
    let command = if method == "execute_command" {
        let first = positional.first().map(|f| r.text(*f))?;
        first
            .trim_matches(|c| c == '"' || c == '\'')
            .to_ascii_lowercase()
    } else {
        method.to_string()
    };
    let operation = match command.as_str() {
        "get" | "mget" | "exists" | "ttl" | "keys" | "scan" | "scan_iter" | "hget" | "hgetall"
        | "lrange" | "smembers" | "zrange" | "zrangebyscore" => Operation::Read,
        _ => Operation::Write,
    };
    let mut query = new_query(Client::Redis, &command, operation);
    query.key = positional.first().map(|k| r.text(*k).to_string());
    query.expires = match command.as_str() {
        "set" => Some(
            ["ex", "px", "exat", "pxat", "keepttl"].iter().any(|k| {
                call.keyword(k)
                    .is_some_and(|kw| &r.text[kw.value.start..kw.value.end] != "None")
            }) || positional.len() > 2,
        ),
        "setex" | "psetex" => Some(true),
        "hset" | "hmset" | "mset" | "setnx" | "hsetnx" => Some(false),
        _ => None,
    };
    Some(query)
}

/// SQLAlchemy sessions: `db.session.query(User).filter(User.email == e).first()`,
/// `session.execute(select(User).where(...))`, `session.add(obj)`; the session flushes its
/// writes in one transaction.
fn session(r: &Reader<'_>, chain: &Chain<'_>) -> Option<Query> {
    let first = &chain.links[0];
    let method = first.method?;
    let name = last_segment(r.text(chain.base)).to_ascii_lowercase();
    if !name.ends_with("session") || !SESSION_METHODS.contains(&method) {
        return None;
    }
    // An HTTP session (`requests.Session()`, `aiohttp.ClientSession()`) is no database's.
    if r.maker(chain.base).is_some_and(|maker| {
        ["requests.", "httpx.", "aiohttp.", "urllib3."]
            .iter()
            .any(|http| maker.starts_with(http))
    }) {
        return None;
    }
    let write = matches!(
        method,
        "add"
            | "add_all"
            | "delete"
            | "merge"
            | "bulk_save_objects"
            | "bulk_insert_mappings"
            | "bulk_update_mappings"
    ) || chain.has(&["delete", "update"]) && method == "query";
    let mut query = new_query(
        Client::SqlAlchemy,
        chain.last().method.unwrap_or(method),
        if write {
            Operation::Write
        } else {
            Operation::Read
        },
    );
    query.in_transaction = true;
    let arguments = r.arguments(first.call);
    match method {
        "query" | "get" => {
            query.table = arguments.first().map(|a| model_of(r, *a));
            for link in &chain.links[1..] {
                filters(r, link.method, link.call, &mut query.columns);
            }
            if !write {
                query.bounded = Some(
                    method == "get"
                        || chain.has(&[
                            "first",
                            "one",
                            "one_or_none",
                            "scalar",
                            "limit",
                            "count",
                            "get",
                            "exists",
                        ]),
                );
            }
        }
        "execute" | "scalars" | "scalar" => {
            if let Some(statement) = arguments.first() {
                core_statement(r, *statement, r.sql_argument(*statement), &mut query);
            }
        }
        _ => {}
    }
    Some(query)
}

/// What a Core statement passed to `execute` does: `text(sql)` or a SQL string parsed,
/// `select(User).where(User.id == x).limit(1)` read from its chain.
/// `parsed` is the statement read as a SQL string, when it is one.
fn core_statement(
    r: &Reader<'_>,
    statement: Node<'_>,
    parsed: Option<(Vec<super::sql::SqlQuery>, audit_core::Span)>,
    query: &mut Query,
) {
    if let Some((statements, at)) = parsed {
        let in_transaction = query.in_transaction;
        set_sql(query, statements, at);
        query.in_transaction = in_transaction;
        return;
    }
    if statement.kind_name() != "call" {
        return;
    }
    let chain = r.chain(statement);
    let first = &chain.links[0];
    let head = match first.method {
        None => r.text(chain.base),
        Some(m) => m,
    };
    let head = last_segment(head);
    query.operation = match head {
        "select" => Operation::Read,
        "insert" | "update" | "delete" => Operation::Write,
        _ => return,
    };
    query.table = r.arguments(first.call).first().map(|a| model_of(r, *a));
    for link in &chain.links[1..] {
        filters(r, link.method, link.call, &mut query.columns);
    }
    if head == "select" {
        query.bounded = Some(chain.has(&["limit"]));
    }
}

/// `User` for `User`, `User.id`, `models.User`.
fn model_of(r: &Reader<'_>, node: Node<'_>) -> String {
    let text = r.text(node);
    match node.kind_name() {
        "attribute" => {
            let object = node.field("object").map_or(text, |o| r.text(o));
            let last = last_segment(object);
            if last.starts_with(|c: char| c.is_ascii_uppercase()) {
                last.to_string()
            } else {
                last_segment(text).to_string()
            }
        }
        _ => text.to_string(),
    }
}

/// The columns of `filter(User.email == e, User.active)`, `filter_by(email=e)` and
/// `where(...)`.
fn filters(r: &Reader<'_>, method: Option<&str>, call: Node<'_>, out: &mut Vec<String>) {
    match method {
        Some("filter" | "where") => {
            for argument in r.arguments(call) {
                compared_columns(r, argument, out);
            }
        }
        Some("filter_by") => {
            if let Some(call) = r.call_of(call) {
                for keyword in &call.keywords {
                    if !out.contains(&keyword.name) {
                        out.push(keyword.name.clone());
                    }
                }
            }
        }
        _ => {}
    }
}

fn compared_columns(r: &Reader<'_>, node: Node<'_>, out: &mut Vec<String>) {
    match node.kind_name() {
        "comparison_operator"
        | "boolean_operator"
        | "not_operator"
        | "parenthesized_expression" => {
            for child in elements(node) {
                compared_columns(r, child, out);
            }
        }
        "attribute" => {
            let object = node.field("object");
            if object.is_some_and(|o| {
                last_segment(r.text(o)).starts_with(|c: char| c.is_ascii_uppercase())
            }) && let Some(column) = node.field("attribute")
            {
                let column = r.text(column).to_string();
                if !out.contains(&column) {
                    out.push(column);
                }
            }
        }
        "call" => {
            // `User.email.in_(...)`, `and_(a, b)`, `User.name.ilike(...)`.
            if let Some(function) = node.field("function") {
                if function.kind_name() == "attribute"
                    && let Some(object) = function.field("object")
                {
                    compared_columns(r, object, out);
                }
                if matches!(last_segment(r.text(function)), "and_" | "or_" | "not_") {
                    for argument in r.arguments(node) {
                        compared_columns(r, argument, out);
                    }
                }
            }
        }
        _ => {}
    }
}

/// DB-API and asyncpg: `cursor.execute(sql, params)`, `await conn.fetch(sql)`,
/// `conn.execute(text(sql))` on an engine connection.
fn cursor(r: &Reader<'_>, chain: &Chain<'_>) -> Option<Query> {
    let link = chain
        .links
        .iter()
        .find(|l| l.method.is_some_and(|m| CURSOR_METHODS.contains(&m)))?;
    let method = link.method?;
    let argument = r.arguments(link.call).first().copied();
    let parsed = argument.and_then(|a| r.sql_argument(a));
    let name = last_segment(r.text(chain.base)).to_ascii_lowercase();
    let made = r.made_by(chain.base);
    let made_name = made.map(|c| &r.text[c.callee.start..c.callee.end]);
    let from_cursor = made_name.is_some_and(|m| m.ends_with(".cursor") || m.ends_with(".connect"))
        || made
            .and_then(|c| c.qualified_name.as_deref())
            .is_some_and(|q| constructor(q).is_some());
    let named = matches!(
        name.as_str(),
        "cursor" | "cur" | "conn" | "connection" | "con" | "db" | "pool" | "engine"
    ) || name.ends_with("cursor");
    let core = argument.is_some_and(|a| {
        a.kind_name() == "call"
            && r.call_of(a).is_some_and(|c| {
                c.qualified_name
                    .as_deref()
                    .is_some_and(|q| q.starts_with("sqlalchemy"))
            })
    });
    if parsed.is_none() && !((from_cursor || named) && argument.is_some()) {
        return None;
    }
    let client = if core || made_name.is_some_and(|m| m.ends_with(".begin")) {
        Client::SqlAlchemy
    } else {
        Client::Cursor
    };
    let mut query = new_query(client, method, Operation::Other);
    if let Some(argument) = argument {
        // Parsed once: the SQL of a string argument decides above whether this is a
        // query at all.
        core_statement(r, argument, parsed, &mut query);
    }
    query.span = span(link.call);
    Some(query)
}

/// Queryset methods whose results are not model instances (dicts, tuples, numbers).
const DJANGO_NOT_INSTANCES: &[&str] = &[
    "values",
    "values_list",
    "dates",
    "datetimes",
    "count",
    "exists",
    "aggregate",
    "in_bulk",
];

/// The attributes read of each loop variable that iterates a Django queryset (a
/// `Model.objects` chain, directly or through the variables it is assigned to): the
/// loop's body (a comprehension's other clauses) is read, only for such loops.
pub(super) fn instance_reads(r: &Reader<'_>) -> Vec<InstanceRead> {
    let semantics = r.semantics();
    let mut found = Vec::new();
    for (index, binding) in semantics.bindings().iter().enumerate() {
        let (Some(value), [PathStep::Element]) = (binding.value, binding.path.as_slice()) else {
            continue;
        };
        let (Some(iterable), Some(variable)) =
            (r.nodes.node_at(value), r.nodes.node_at(binding.span))
        else {
            continue;
        };
        if variable.kind_name() != "identifier" {
            continue;
        }
        let Some(loop_node) = variable.parent() else {
            continue;
        };
        let (kind, scope, body) = match loop_node.kind_name() {
            "for_statement" => match loop_node.field("body") {
                Some(body) => (LoopKind::Statement, loop_node, body),
                None => continue,
            },
            // The comprehension holding this clause: its element and other clauses.
            "for_in_clause" => match loop_node.parent() {
                Some(comprehension) => (LoopKind::Comprehension, comprehension, comprehension),
                None => continue,
            },
            _ => continue,
        };
        let Some(queryset) = queryset_of(r, iterable, 0) else {
            continue;
        };
        let in_loop = Loop {
            kind,
            span: span(scope),
            retry: false,
        };
        let mut fields: Vec<&str> = Vec::new();
        let mut stack = vec![body];
        while let Some(node) = stack.pop() {
            if node.id() == iterable.id() || node.id() == variable.id() {
                continue;
            }
            match node.kind_name() {
                "function_definition" | "lambda" | "class_definition" => continue,
                "attribute" => {
                    if let Some(field) = instance_attribute(r, node, binding, index)
                        && !fields.contains(&field)
                    {
                        fields.push(field);
                        found.push(InstanceRead {
                            span: span(node),
                            model: queryset.model.clone(),
                            field: field.to_string(),
                            in_loop,
                            loaded: queryset.loaded.clone(),
                            loads_any: queryset.loads_any,
                        });
                    }
                }
                _ => {}
            }
            let mut cursor = node.walk();
            let children: Vec<Node<'_>> = node.named_children(&mut cursor).collect();
            stack.extend(children.into_iter().rev());
        }
    }
    found.sort_by_key(|read| read.span.start);
    found
}

/// `field` when `node` (an attribute) reads it of the loop variable `binding`: not a
/// method called, not assigned to.
fn instance_attribute<'t>(
    r: &Reader<'t>,
    node: Node<'_>,
    binding: &crate::code::Binding,
    index: usize,
) -> Option<&'t str> {
    let object = node.field("object")?;
    if object.kind_name() != "identifier" || r.text(object) != binding.name {
        return None;
    }
    let parent = node.parent()?;
    let called = parent.kind_name() == "call" && parent.field("function") == Some(node);
    let assigned = matches!(parent.kind_name(), "assignment" | "augmented_assignment")
        && parent.field("left") == Some(node);
    if called || assigned {
        return None;
    }
    if r.semantics()
        .binding_index_at(&binding.name, object.start_byte())
        != Some(index)
    {
        return None;
    }
    Some(r.text(node.field("attribute")?))
}

/// The model a queryset expression iterates and the relations it loads with it.
struct Queryset {
    model: String,
    loaded: Vec<String>,
    loads_any: bool,
}

/// `Order.objects.select_related("customer").filter(...)`, `qs[:10]`, or a variable
/// assigned one (followed through up to four assignments, `qs = qs.filter(...)`).
fn queryset_of(r: &Reader<'_>, node: Node<'_>, hops: usize) -> Option<Queryset> {
    match node.kind_name() {
        "subscript" => queryset_of(r, node.field("value")?, hops),
        "parenthesized_expression" => queryset_of(r, *elements(node).first()?, hops),
        "identifier" if hops < 4 => {
            let binding = r.semantics().binding_at(r.text(node), node.start_byte())?;
            let value = binding.value.filter(|_| binding.path.is_empty())?;
            queryset_of(r, r.nodes.node_at(value)?, hops + 1)
        }
        "call" => {
            let chain = r.chain(node);
            if chain.has(DJANGO_NOT_INSTANCES) {
                return None;
            }
            let mut queryset = match manager_model(r.text(chain.base)) {
                Some(model) => Queryset {
                    model: model.to_string(),
                    loaded: Vec::new(),
                    loads_any: false,
                },
                None if chain.base.kind_name() == "identifier" => queryset_of(r, chain.base, hops)?,
                None => return None,
            };
            for link in &chain.links {
                let (Some("select_related" | "prefetch_related"), arguments) =
                    (link.method, r.arguments(link.call))
                else {
                    continue;
                };
                if arguments.is_empty() {
                    queryset.loads_any = true;
                }
                for argument in arguments {
                    match lookup(r, argument) {
                        Some(path) => queryset.loaded.push(path),
                        None => queryset.loads_any = true,
                    }
                }
            }
            Some(queryset)
        }
        _ => None,
    }
}

/// The relation path a `select_related`/`prefetch_related` argument names: a string
/// literal, or the first argument of `Prefetch("lookup", ...)`.
fn lookup(r: &Reader<'_>, argument: Node<'_>) -> Option<String> {
    match argument.kind_name() {
        "string" => crate::code::nodes::string_content(r.text, argument).map(str::to_string),
        "call" => {
            let function = argument.field("function")?;
            if last_segment(r.text(function)) != "Prefetch" {
                return None;
            }
            lookup(r, *r.arguments(argument).first()?)
        }
        _ => None,
    }
}
