//! What a JS/TS or Python file asks of its databases: every call of a database client or
//! ORM reduced to the client, read or write, the table or model, the columns it filters
//! or joins on, whether it is bounded, and where it sits (inside a loop, a request
//! handler, a transaction). SQL strings passed to those calls are parsed ([`sql`]).
//! Built from the code semantics and the tree; holds owned data only, so it outlives
//! both (the project phase can join it with the replayed schema).
//!
//! A chain (`knex("users").where({ id }).first()`, `User.objects.filter(a=1)[:10]`) is
//! one query, read from its outermost call. Clients are recognised by what made the
//! receiver (`new Pool()`, `redis.Redis()`, `getRepository(User)`), by ORM shapes
//! (`prisma.<model>.findMany`, `<Model>.objects`, a `Repository` receiver, a capitalised
//! model with a model method) and, for an unknown receiver, by a SQL string argument.

mod javascript;
mod python;
pub mod sql;

use std::cell::{OnceCell, RefCell};

use audit_core::Span;
use audit_syntax::tree_sitter::Node;
use audit_syntax::{Grammar, SqlDialect};

use crate::code::nodes::{KindName, NodeIndex, elements, text_of};
use crate::code::{Call, CodeSemantics};

use crate::code::nodes::Fields;
pub use sql::{SqlKind, SqlQuery};

/// Strings a file holds when it may call a database client (an import of one, a
/// receiver named for one, SQL keywords): files without one cost nothing.
pub const ANCHORS: &[&str] = &[
    "prisma",
    "Repository",
    "repository",
    "Repo",
    "getRepository",
    "typeorm",
    "objects",
    "session",
    "Session",
    "knex",
    "sequelize",
    "Sequelize",
    "mongoose",
    "models",
    "Model",
    "cursor",
    "pool",
    "Pool",
    "conn",
    "redis",
    "Redis",
    "cache",
    "SELECT",
    "INSERT",
    "UPDATE",
    "DELETE",
    "select ",
    "insert ",
    "update ",
    "delete ",
    "'pg'",
    "\"pg\"",
    "mysql",
    "sqlite",
    "psycopg",
    "asyncpg",
    "sqlalchemy",
    "manager",
    "db.",
    "db(",
    "trx",
    "sql`",
];

/// Every database call and client construction of one file.
#[derive(Clone, Debug, Default)]
pub struct CodeQueries {
    pub queries: Vec<Query>,
    /// Connections, pools and clients the file creates (`new Pool()`, `create_engine()`).
    pub connections: Vec<Connection>,
    /// Attributes of Django model instances read in the loop over their queryset.
    pub instance_reads: Vec<InstanceRead>,
    /// Calls of the file's own functions that write outside a transaction: a handler
    /// calling two of them makes two writes.
    pub writing_calls: Vec<WritingCall>,
}

/// A call (`save_order(o)`, `this.debit(a)`, `self._audit(x)`) of a function of the same
/// file, named once in it, that makes writes outside a transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WritingCall {
    pub span: Span,
    /// The calling function: an index into [`CodeSemantics::functions`].
    pub function: usize,
    /// The called function.
    pub callee: usize,
    /// The call itself runs in a transaction (a block, a callback, a caller's).
    pub in_transaction: bool,
}

/// An attribute of a Django model instance read inside the loop over its queryset:
/// `o.customer` in `for o in Order.objects.all(): o.customer.name`. When the field is a
/// `ForeignKey`/`OneToOneField` the queryset neither `select_related`s nor
/// `prefetch_related`s, each iteration loads it with a query of its own; which fields
/// are relations the models say (often in another file: the project phase joins them).
/// The first read of each field per loop (Django caches the loaded object).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstanceRead {
    /// The attribute read: `o.customer`.
    pub span: Span,
    /// The queryset's model as written: `Order`.
    pub model: String,
    pub field: String,
    pub in_loop: Loop,
    /// What the queryset loads with each instance: the arguments of `select_related` and
    /// `prefetch_related` (`customer__address` loads `customer` too).
    pub loaded: Vec<String>,
    /// `select_related()` without arguments (every non-null foreign key) or a lookup
    /// that is not a literal: any relation may be loaded.
    pub loads_any: bool,
}

impl InstanceRead {
    /// Whether the queryset loads the relation `field` with each instance.
    pub fn loads(&self, field: &str) -> bool {
        self.loads_any
            || self.loaded.iter().any(|l| {
                l.strip_prefix(field)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with("__"))
            })
    }
}

/// One call that runs a query or command on a database or cache.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Query {
    /// The whole chain, outermost call (with a Python slice `[:n]`).
    pub span: Span,
    pub client: Client,
    /// The method that names what runs: `findMany`, `filter`, `query`, `execute`, `set`.
    pub method: String,
    pub operation: Operation,
    /// The table or model: `users`, `User`, `user` (a Prisma delegate).
    pub table: Option<String>,
    /// The columns it filters or joins on, as written (`email`, `author` for
    /// `author__name`).
    pub columns: Vec<String>,
    /// Some(true) for `LIMIT`, `take`, `[:n]`, `first()`, `findOne`, Some(false) for a
    /// read that returns every match, None where it cannot be told or does not apply.
    pub bounded: Option<bool>,
    /// The statements of a SQL string passed to the call (empty when there is none or it
    /// does not parse).
    pub sql: Vec<SqlQuery>,
    /// The SQL string argument, for reports.
    pub sql_span: Option<Span>,
    /// The innermost loop the call runs in within its function.
    pub in_loop: Option<Loop>,
    /// Index into [`CodeSemantics::functions`].
    pub function: Option<usize>,
    /// Inside a transaction: a transaction callback or block, a function that begins one,
    /// a call given `{ transaction }`; ORM sessions that flush as one unit of work
    /// (SQLAlchemy) count as one.
    pub in_transaction: bool,
    /// For cache writes (`set`, `hset`...): whether the call itself sets an expiry
    /// (`EX`, `setex`, `timeout=`); None for other calls.
    pub expires: Option<bool>,
    /// The first argument as written (a cache key), for matching `expire(key)` calls.
    pub key: Option<String>,
    /// What the chain is called on, as written: `this.prisma.user`, `cache`, `User.objects`.
    pub receiver: String,
    /// One query for many rows: a set filter (`id__in`, `{ in: ids }`, `$in`, `In(ids)`,
    /// `whereIn`, SQL `IN (...)`/`= ANY(...)`), a page (`[a:b]`, `skip`/`offset` with
    /// `take`/`limit`, SQL `LIMIT ... OFFSET`) or a bulk method (`bulk_create`,
    /// `createMany`, `insertMany`).
    pub batched: bool,
    /// A Django queryset built but not run where it stands (assigned, passed on, used in
    /// `Exists(...)`): it runs where it is evaluated.
    pub lazy: bool,
}

/// A connection, pool or client being created.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Connection {
    pub span: Span,
    /// The constructor as written: `new Pool`, `psycopg2.connect`.
    pub callee: Span,
    /// Its qualified name: `pg.Pool`, `psycopg2.connect`.
    pub constructor: String,
    pub client: Client,
    pub in_loop: Option<Loop>,
    pub function: Option<usize>,
    /// The innermost function is, or is inside, a request handler.
    pub in_handler: bool,
    /// The result is kept for later calls: assigned to `this.x`/`self.x`, a module-level
    /// or `global` variable, or returned.
    pub kept: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Client {
    NodePostgres,
    Mysql,
    Sqlite,
    MongoDb,
    Knex,
    Sequelize,
    Mongoose,
    /// A model class of an ORM the file does not name (Sequelize or Mongoose style).
    Model,
    TypeOrm,
    /// A repository class of the project's own (`private jobs: JobRepository`) in a file
    /// that names no ORM: its queries read like TypeORM's, but it may wrap any.
    Repository,
    Prisma,
    Django,
    SqlAlchemy,
    /// A DB-API or asyncpg connection, cursor or pool (psycopg, asyncpg, pymysql, sqlite3).
    Cursor,
    Redis,
    DjangoCache,
    /// SQL sent through a client the file does not identify.
    Sql,
}

impl Client {
    /// The client's name as users know it.
    pub fn label(self) -> &'static str {
        match self {
            Client::NodePostgres => "node-postgres",
            Client::Mysql => "mysql",
            Client::Sqlite => "SQLite",
            Client::MongoDb => "MongoDB",
            Client::Knex => "Knex",
            Client::Sequelize => "Sequelize",
            Client::Mongoose => "Mongoose",
            Client::Model => "ORM",
            Client::TypeOrm => "TypeORM",
            Client::Repository => "repository",
            Client::Prisma => "Prisma",
            Client::Django => "Django ORM",
            Client::SqlAlchemy => "SQLAlchemy",
            Client::Cursor => "database driver",
            Client::Redis => "Redis",
            Client::DjangoCache => "Django cache",
            Client::Sql => "SQL",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Operation {
    Read,
    Write,
    /// Neither, or not known (`execute(sql)` of a SQL string that does not parse).
    Other,
}

/// A loop a query runs in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Loop {
    pub kind: LoopKind,
    /// The loop statement, comprehension or iterating call.
    pub span: Span,
    /// A `while`/`do` loop running the call inside a `try`: a retry loop, which ends when
    /// the call succeeds.
    pub retry: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LoopKind {
    /// `for`, `for...of`, `for...in`, `while`, `do`.
    Statement,
    /// A Python comprehension or generator expression.
    Comprehension,
    /// A callback of `forEach`, `map`, `flatMap`: the calls start together (bounded
    /// concurrency rather than one round trip after another).
    Concurrent,
    /// A callback of `reduce`, `filter`, `some`, `every`, `find`...
    Callback,
}

impl CodeQueries {
    /// The database calls of the file `nodes` index the tree of; `dialect` is the one its
    /// migrations use, for the SQL strings.
    pub fn build(
        nodes: &NodeIndex<'_>,
        text: &str,
        semantics: &CodeSemantics,
        dialect: SqlDialect,
    ) -> CodeQueries {
        let imports = |prefixes: &[&str]| {
            semantics
                .imports()
                .iter()
                .any(|i| prefixes.iter().any(|p| i.module.starts_with(p)))
        };
        // What the file imports, read once: the lookups of what made a receiver (the
        // costly part) run only where a client of that kind can be made.
        let facts = FileFacts {
            redis: imports(&["redis", "ioredis", "@redis/", "aioredis"]),
            drivers: imports(&[
                "pg",
                "mysql",
                "sqlite",
                "better-sqlite3",
                "knex",
                "sequelize",
                "typeorm",
            ]),
            knex: imports(&["knex"]),
            prisma: imports(&["@prisma/client"]),
            mongoose: imports(&["mongoose"]),
            sequelize: imports(&["sequelize"]),
            typeorm: imports(&["typeorm"]),
            django: imports(&["django"]),
            get_repository: text.contains("getRepository"),
            repository_parameters: semantics
                .functions()
                .iter()
                .flat_map(|f| &f.parameters)
                .filter_map(|p| {
                    let annotation = p.annotation?;
                    let annotation = &text[annotation.start..annotation.end];
                    annotation
                        .contains("Repository")
                        .then(|| (p.name.clone(), annotation.to_string()))
                })
                .collect(),
        };
        let reader = Reader {
            nodes,
            text,
            semantics,
            dialect,
            javascript: semantics.grammar().is_javascript_family(),
            facts,
            member_values: RefCell::new(Vec::new()),
            calls_by_name: OnceCell::new(),
        };
        let mut model = CodeQueries::default();
        let calls = semantics.calls();
        for (i, call) in calls.iter().enumerate() {
            // Links inside a chain are read from its outermost call; found from the call
            // list (the enclosing link comes just before, with the same start), so their
            // nodes are never looked up. Connections are made by constructors.
            let inner = i > 0 && continues(text, call, &calls[i - 1]);
            if inner && !reader.may_connect(call) {
                continue;
            }
            let Some(node) = nodes.node_at(call.span) else {
                continue;
            };
            if let Some(connection) = reader.connection(call, node) {
                model.connections.push(connection);
                continue;
            }
            if inner {
                continue;
            }
            let mut chain = reader.chain(node);
            if chain.links.is_empty() {
                continue;
            }
            let find = |chain: &Chain<'_>| {
                if reader.javascript {
                    javascript::query(&reader, chain)
                } else {
                    python::query(&reader, chain)
                }
            };
            // `(await User.findAll(...)).map(...)`: the awaited call is the query, read
            // when the walk reaches it.
            if let Some(inner) = chain.wrapped {
                let outer_links = chain.links.split_off(inner);
                if find(&chain).is_some() {
                    continue;
                }
                chain.links.extend(outer_links);
            }
            let found = find(&chain);
            if let Some(mut query) = found {
                query.span = reader.query_span(node);
                query.receiver = reader.text(chain.base).to_string();
                query.in_loop = reader.enclosing_loop(node);
                query.function = semantics.enclosing_function_index(call.span.start);
                query.in_transaction |= reader.in_transaction(node);
                query.lazy &= !reader.evaluated_in_place(reader.query_node(node));
                model.queries.push(query);
            }
        }
        let begun = model.transactions_begun(semantics);
        model.transactions_of_callers(&reader);
        model.writing_calls = model.writing_calls(&reader, &begun);
        if !reader.javascript && text.contains(".objects") {
            model.instance_reads = python::instance_reads(&reader);
        }
        model
    }

    /// Queries of a function that begins a transaction itself (`BEGIN`,
    /// `startTransaction()`, `beginTransaction()`) run in it; those functions.
    fn transactions_begun(&mut self, semantics: &CodeSemantics) -> Vec<usize> {
        let begins = |q: &Query| {
            q.sql.iter().any(|s| s.kind == SqlKind::Begin)
                || matches!(
                    q.method.as_str(),
                    "startTransaction" | "beginTransaction" | "begin"
                )
        };
        let mut begun: Vec<usize> = self
            .queries
            .iter()
            .filter(|q| begins(q))
            .filter_map(|q| q.function)
            .collect();
        begun.extend(semantics.calls().iter().filter_map(|c| {
            let name = c.qualified_name.as_deref().unwrap_or("");
            let begins = name.ends_with(".startTransaction")
                || name.ends_with(".beginTransaction")
                || name.ends_with(".startSession");
            begins
                .then(|| semantics.enclosing_function_index(c.span.start))
                .flatten()
        }));
        for query in &mut self.queries {
            if query.function.is_some_and(|f| begun.contains(&f)) {
                query.in_transaction = true;
            }
        }
        begun
    }

    /// The calls of same-file functions that write outside a transaction, by plain name
    /// or on `this`/`self`, where one function of the file has that name.
    fn writing_calls(&self, reader: &Reader<'_>, begun: &[usize]) -> Vec<WritingCall> {
        let mut writers: Vec<usize> = self
            .queries
            .iter()
            .filter(|q| q.operation == Operation::Write && !q.in_transaction)
            .filter_map(|q| q.function)
            .collect();
        writers.sort_unstable();
        writers.dedup();
        if writers.is_empty() {
            return Vec::new();
        }
        let functions = reader.semantics.functions();
        let named = |name: &str| {
            let mut found = functions
                .iter()
                .enumerate()
                .filter(|(_, f)| f.name.as_deref() == Some(name))
                .map(|(i, _)| i);
            found.next().filter(|_| found.next().is_none())
        };
        let mut memo = Vec::new();
        let mut calls = Vec::new();
        for call in reader.semantics.calls() {
            let callee = &reader.text[call.callee.start..call.callee.end];
            let name = callee
                .strip_prefix("this.")
                .or_else(|| callee.strip_prefix("self."))
                .unwrap_or(callee);
            if name.is_empty()
                || !name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'$')
            {
                continue;
            }
            let Some(target) = named(name).filter(|t| writers.binary_search(t).is_ok()) else {
                continue;
            };
            let Some(caller) = reader.semantics.enclosing_function_index(call.span.start) else {
                continue;
            };
            if caller == target {
                continue;
            }
            let Some(node) = reader.nodes.node_at(call.span) else {
                continue;
            };
            let in_transaction = begun.contains(&caller)
                || reader.in_transaction(node)
                || reader.called_in_transaction(caller, 0, &mut memo);
            calls.push(WritingCall {
                span: call.span,
                function: caller,
                callee: target,
                in_transaction,
            });
        }
        calls
    }

    /// Queries of a function every same-file caller of which runs it inside a
    /// transaction, directly or through callers of its own (a helper of a helper of an
    /// `@atomic` view, of a `$transaction` callback).
    fn transactions_of_callers(&mut self, reader: &Reader<'_>) {
        let mut candidates: Vec<usize> = self
            .queries
            .iter()
            .filter(|q| !q.in_transaction)
            .filter_map(|q| q.function)
            .collect();
        candidates.sort_unstable();
        candidates.dedup();
        if candidates.is_empty() {
            return;
        }
        let mut memo: Vec<(usize, bool)> = Vec::new();
        let inherited: Vec<usize> = candidates
            .into_iter()
            .filter(|&f| reader.called_in_transaction(f, 0, &mut memo))
            .collect();
        for query in &mut self.queries {
            if query.function.is_some_and(|f| inherited.contains(&f)) {
                query.in_transaction = true;
            }
        }
    }
}

/// The file being read, and the helpers both languages share.
pub(super) struct Reader<'a> {
    nodes: &'a NodeIndex<'a>,
    text: &'a str,
    semantics: &'a CodeSemantics,
    dialect: SqlDialect,
    javascript: bool,
    pub facts: FileFacts,
    /// `this.x`/`self.x` values already looked up: (name, the value's span).
    member_values: RefCell<Vec<(String, Option<Span>)>>,
    /// The file's calls sorted by the last segment of their callee (`db.save` under
    /// `save`): (segment start, segment end, call index), built when a function's
    /// callers are first asked for.
    calls_by_name: OnceCell<Vec<(usize, usize, usize)>>,
}

/// What the file imports, for the recognisers.
pub(super) struct FileFacts {
    pub redis: bool,
    /// A SQL driver or ORM whose clients a file makes itself.
    pub drivers: bool,
    pub knex: bool,
    pub prisma: bool,
    pub mongoose: bool,
    pub sequelize: bool,
    pub typeorm: bool,
    pub django: bool,
    pub get_repository: bool,
    /// Parameters typed `Repository<...>`: (name, the type as written).
    pub repository_parameters: Vec<(String, String)>,
}

/// A chain of calls, innermost first: `db.prepare(sql).all()` is `db` with the links
/// `prepare(sql)` and `all()`.
pub(super) struct Chain<'t> {
    /// What the innermost call is called on (`db`, `this.prisma.user`, `User.objects`),
    /// or its callee when it is a plain call (`knex` in `knex("users")`).
    pub base: Node<'t>,
    pub links: Vec<Link<'t>>,
    /// The number of inner links inside an `await` or parentheses the rest is called on:
    /// 1 in `(await User.findAll()).map(...)`.
    pub wrapped: Option<usize>,
}

pub(super) struct Link<'t> {
    /// The method, None for the plain call at the start (`knex("users")`).
    pub method: Option<&'t str>,
    pub call: Node<'t>,
}

impl<'t> Chain<'t> {
    /// The methods of the chain, innermost first.
    pub fn methods(&self) -> impl Iterator<Item = &'t str> + '_ {
        self.links.iter().filter_map(|l| l.method)
    }

    pub fn has(&self, names: &[&str]) -> bool {
        self.methods().any(|m| names.contains(&m))
    }

    pub fn last(&self) -> &Link<'t> {
        self.links.last().expect("a chain has a call")
    }
}

impl<'a> Reader<'a> {
    pub fn text(&self, node: Node<'_>) -> &'a str {
        text_of(self.text, node)
    }

    pub fn dialect(&self) -> SqlDialect {
        self.dialect
    }

    pub fn semantics(&self) -> &'a CodeSemantics {
        self.semantics
    }

    /// The arguments of a call node.
    pub fn arguments<'t>(&self, call: Node<'t>) -> Vec<Node<'t>> {
        call.field("arguments").map(elements).unwrap_or_default()
    }

    fn call_of(&self, node: Node<'_>) -> Option<&'a Call> {
        self.semantics.call(span(node))
    }

    /// Whether every same-file call of `function` (by name) runs in a transaction: inside
    /// a transaction callback or block, or in a function that is itself so called (up to
    /// three callers deep). A function never called in the file is not.
    fn called_in_transaction(
        &self,
        function: usize,
        depth: usize,
        memo: &mut Vec<(usize, bool)>,
    ) -> bool {
        if let Some((_, known)) = memo.iter().find(|(f, _)| *f == function) {
            return *known;
        }
        // Cycles and deep chains count as not proven.
        memo.push((function, false));
        let functions = self.semantics.functions();
        let Some(name) = functions[function].name.as_deref() else {
            return false;
        };
        let own = functions[function].span;
        let mut any = false;
        let calls = self.semantics.calls();
        let segment = |&(start, end, _): &(usize, usize, usize)| &self.text[start..end];
        let by_name = self.calls_by_name.get_or_init(|| {
            let mut by_name: Vec<_> = calls
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let callee = &self.text[c.callee.start..c.callee.end];
                    let start = c.callee.end - last_segment(callee).len();
                    (start, c.callee.end, i)
                })
                .collect();
            // Stable: calls of one name stay in file order.
            by_name.sort_by(|a, b| segment(a).cmp(segment(b)));
            by_name
        });
        let first = by_name.partition_point(|c| segment(c) < name);
        let all = by_name[first..]
            .iter()
            .take_while(|c| segment(c) == name)
            .map(|&(_, _, i)| &calls[i])
            .filter(|c| !(own.start..own.end).contains(&c.span.start))
            .all(|c| {
                any = true;
                let Some(node) = self.nodes.node_at(c.span) else {
                    return false;
                };
                self.in_transaction(node)
                    || depth < 3
                        && self
                            .semantics
                            .enclosing_function_index(c.span.start)
                            .is_some_and(|caller| {
                                self.called_in_transaction(caller, depth + 1, memo)
                            })
            });
        let result = any && all;
        if let Some(entry) = memo.iter_mut().find(|(f, _)| *f == function) {
            entry.1 = result;
        }
        result
    }

    fn chain(&self, outer: Node<'a>) -> Chain<'a> {
        let mut links = Vec::new();
        let mut outside = None;
        let mut node = outer;
        let base = loop {
            let Some(callee) = node.field("function") else {
                break node;
            };
            match callee.kind_name() {
                "member_expression" | "attribute" => {
                    let property = callee
                        .field("property")
                        .or_else(|| callee.field("attribute"));
                    links.push(Link {
                        method: property.map(|p| self.text(p)),
                        call: node,
                    });
                    let Some(object) = callee.field("object") else {
                        break callee;
                    };
                    let unwrapped = unwrap_await(object);
                    if matches!(unwrapped.kind_name(), "call_expression" | "call") {
                        if unwrapped != object {
                            outside = Some(links.len());
                        }
                        node = unwrapped;
                    } else {
                        break unwrapped;
                    }
                }
                _ => {
                    links.push(Link {
                        method: None,
                        call: node,
                    });
                    break callee;
                }
            }
        };
        links.reverse();
        let wrapped = outside.map(|outer_links| links.len() - outer_links);
        Chain {
            base,
            links,
            wrapped,
        }
    }

    /// The chain with a Python slice or subscript taken of it (`qs[:10]`).
    fn query_span(&self, node: Node<'_>) -> Span {
        match self.nodes.parent(node) {
            Some(p) if p.kind_name() == "subscript" && p.field("value") == Some(node) => span(p),
            _ => span(node),
        }
    }

    /// The chain's outermost node: the call, or the slice taken of it.
    fn query_node(&self, node: Node<'a>) -> Node<'a> {
        match self.nodes.parent(node) {
            Some(p) if p.kind_name() == "subscript" && p.field("value") == Some(node) => p,
            _ => node,
        }
    }

    /// Whether a queryset runs where it stands: iterated by a `for` or comprehension,
    /// passed to `list()`/`len()`/`sum()`..., or awaited/returned (a caller evaluates it).
    fn evaluated_in_place(&self, node: Node<'_>) -> bool {
        let Some(parent) = self.nodes.parent(node) else {
            return false;
        };
        match parent.kind_name() {
            "for_statement" | "for_in_clause" => parent.field("right") == Some(node),
            "return_statement" | "await" | "expression_statement" => true,
            "argument_list" => self
                .nodes
                .parent(parent)
                .and_then(|call| call.field("function"))
                .is_some_and(|f| {
                    matches!(
                        self.text(f),
                        "list"
                            | "tuple"
                            | "set"
                            | "len"
                            | "sum"
                            | "any"
                            | "all"
                            | "sorted"
                            | "bool"
                            | "dict"
                    )
                }),
            _ => false,
        }
    }

    /// Whether the chain is sliced with a range (`qs[:10]`, `qs[a:b]`), not indexed.
    pub fn sliced_range(&self, outer: Node<'_>) -> bool {
        self.nodes.parent(outer).is_some_and(|p| {
            p.kind_name() == "subscript"
                && p.field("value") == Some(outer)
                && p.field("subscript")
                    .is_some_and(|s| s.kind_name() == "slice")
        })
    }

    /// Whether the chain is sliced (`qs[:10]`, `qs[0]`).
    pub fn sliced(&self, outer: Node<'_>) -> bool {
        self.nodes
            .parent(outer)
            .is_some_and(|p| p.kind_name() == "subscript" && p.field("value") == Some(outer))
    }

    /// The call that made the value `object` names: the call itself, the value of its
    /// binding (through `await`), or the first assignment to `this.x`/`self.x`.
    pub fn made_by(&self, object: Node<'_>) -> Option<&'a Call> {
        let object = unwrap_await(object);
        match object.kind_name() {
            "call_expression" | "call" | "new_expression" => self.call_of(object),
            "identifier" => {
                let binding = self
                    .semantics
                    .binding_at(self.text(object), object.start_byte())?;
                if !binding.path.is_empty() || binding.augmented {
                    return None;
                }
                let value = binding.value?;
                self.semantics.call(value).or_else(|| {
                    let value = unwrap_await(self.nodes.node_at(value)?);
                    self.call_of(value)
                })
            }
            "member_expression" | "attribute" => {
                let owner = object.field("object")?;
                if !matches!(self.text(owner), "this" | "self") {
                    return None;
                }
                let field = object
                    .field("property")
                    .or_else(|| object.field("attribute"))?;
                let value = self.member_value(self.text(field))?;
                self.call_of(unwrap_await(self.nodes.node_at(value)?))
            }
            _ => None,
        }
    }

    /// The value first assigned to `this.<name>`/`self.<name>` or a class field `<name>`,
    /// looked up once per name.
    fn member_value(&self, name: &str) -> Option<Span> {
        if let Some((_, value)) = self.member_values.borrow().iter().find(|(n, _)| n == name) {
            return *value;
        }
        let value = self.find_member_value(name).map(span);
        self.member_values
            .borrow_mut()
            .push((name.to_string(), value));
        value
    }

    fn find_member_value(&self, name: &str) -> Option<Node<'a>> {
        self.text.match_indices(name).find_map(|(at, _)| {
            let node = self.nodes.node_at(Span::new(at, at + name.len()))?;
            let parent = self.nodes.parent(node)?;
            match parent.kind_name() {
                "member_expression" | "attribute" => {
                    let assignment = self.nodes.parent(parent)?;
                    (matches!(
                        assignment.kind_name(),
                        "assignment" | "assignment_expression"
                    ) && assignment.field("left") == Some(parent))
                    .then(|| assignment.field("right"))
                    .flatten()
                }
                "public_field_definition" | "field_definition" => parent.field("value"),
                _ => None,
            }
        })
    }

    /// The qualified name of what made `object` (`pg.Pool`, `redis.Redis`).
    pub fn maker(&self, object: Node<'_>) -> Option<&'a str> {
        self.made_by(object)?.qualified_name.as_deref()
    }

    /// The text of a SQL string argument with substitutions replaced by the placeholder:
    /// a literal, a template or f-string, a concatenation, SQLAlchemy's `text("...")`, or a
    /// name bound to one of those.
    pub fn sql_text(&self, node: Node<'_>, depth: usize) -> Option<String> {
        if depth > 3 {
            return None;
        }
        match node.kind_name() {
            "string" | "template_string" => Some(self.string_text(node)),
            "concatenated_string" => {
                let mut out = String::new();
                for part in elements(node) {
                    out.push_str(&self.sql_text(part, depth + 1)?);
                }
                Some(out)
            }
            "binary_expression" | "binary_operator" => {
                let operator = node.field("operator")?;
                if self.text(operator) != "+" {
                    return None;
                }
                let left = node.field("left")?;
                let right = node.field("right")?;
                let part = |n: Node<'_>| {
                    self.sql_text(n, depth + 1)
                        .unwrap_or_else(|| format!(" {} ", sql::PLACEHOLDER))
                };
                let (left, right) = (part(left), part(right));
                let any_sql = starts_like_sql_or_fragment(&left);
                any_sql.then(|| left + &right)
            }
            "parenthesized_expression" => self.sql_text(*elements(node).first()?, depth + 1),
            "identifier" => {
                let binding = self
                    .semantics
                    .binding_at(self.text(node), node.start_byte())?;
                if !binding.path.is_empty() || binding.augmented {
                    return None;
                }
                let value = self.nodes.node_at(binding.value?)?;
                self.sql_text(value, depth + 1)
            }
            "call" => {
                // SQLAlchemy's `text("SELECT ...")`.
                let call = self.call_of(node)?;
                let name = call.qualified_name.as_deref()?;
                if !matches!(name, "sqlalchemy.text" | "sqlalchemy.sql.text") {
                    return None;
                }
                let first = *self.arguments(node).first()?;
                self.sql_text(first, depth + 1)
            }
            _ => None,
        }
    }

    /// A string literal's content, substitutions (`${x}`, f-string `{x}`) replaced.
    fn string_text(&self, node: Node<'_>) -> String {
        let children = elements_all(node);
        let (start, end) = match (children.first(), children.last()) {
            // Python: between `string_start` and `string_end`.
            (Some(first), Some(last)) if first.kind_name() == "string_start" => {
                (first.end_byte(), last.start_byte())
            }
            _ => (
                node.start_byte() + 1,
                node.end_byte().saturating_sub(1).max(node.start_byte() + 1),
            ),
        };
        let mut out = String::with_capacity(end.saturating_sub(start));
        let mut at = start;
        for child in children {
            if matches!(child.kind_name(), "template_substitution" | "interpolation")
                && child.start_byte() >= at
                && child.end_byte() <= end
            {
                out.push_str(&self.text[at..child.start_byte()]);
                out.push(' ');
                out.push_str(sql::PLACEHOLDER);
                out.push(' ');
                at = child.end_byte();
            }
        }
        if at < end {
            out.push_str(&self.text[at..end]);
        }
        out
    }

    /// Parses a SQL string argument: its statements and the literal's span.
    pub fn sql_argument(&self, node: Node<'_>) -> Option<(Vec<SqlQuery>, Span)> {
        let text = self.sql_text(node, 0)?;
        if !sql::starts_like_sql(&text)
            && !sql::starts_like_schema_sql(&text)
            && !begins_transaction(&text)
        {
            return None;
        }
        Some((sql::parse(&text, self.dialect)?, span(node)))
    }

    /// The innermost loop around `node` within its function: the body of a loop
    /// statement or comprehension, or the callback of an iterating method.
    fn enclosing_loop(&self, node: Node<'_>) -> Option<Loop> {
        let mut child = node;
        let mut in_try = false;
        while let Some(parent) = self.nodes.parent(child) {
            let body = parent.field("body") == Some(child);
            match parent.kind_name() {
                "try_statement" => in_try = true,
                "for_statement" | "for_in_statement" | "while_statement" | "do_statement"
                    if body =>
                {
                    return Some(Loop {
                        kind: LoopKind::Statement,
                        span: span(parent),
                        retry: in_try
                            && matches!(parent.kind_name(), "while_statement" | "do_statement"),
                    });
                }
                "list_comprehension"
                | "set_comprehension"
                | "dictionary_comprehension"
                | "generator_expression"
                    if body =>
                {
                    return Some(Loop {
                        kind: LoopKind::Comprehension,
                        span: span(parent),
                        retry: false,
                    });
                }
                "arrow_function" | "function_expression" | "function" => {
                    return self.iterating_call(parent);
                }
                "function_declaration"
                | "method_definition"
                | "generator_function_declaration"
                | "function_definition"
                | "lambda"
                | "class_declaration"
                | "class_definition" => return None,
                _ => {}
            }
            child = parent;
        }
        None
    }

    /// The loop a callback makes when passed to `forEach`, `map` and the like.
    fn iterating_call(&self, function: Node<'_>) -> Option<Loop> {
        let arguments = self
            .nodes
            .parent(function)
            .filter(|p| p.kind_name() == "arguments")?;
        let call = self.nodes.parent(arguments)?;
        let callee = call.field("function")?;
        let method = self.text(callee.field("property")?);
        let kind = match method {
            "forEach" | "map" | "flatMap" => LoopKind::Concurrent,
            "reduce" | "filter" | "some" | "every" | "find" | "findIndex" | "reduceRight" => {
                LoopKind::Callback
            }
            _ => return None,
        };
        // `Promise.all(ids.map(...))`, `Array.from(x).map(...)` and array literals alike.
        Some(Loop {
            kind,
            span: span(call),
            retry: false,
        })
    }

    /// Whether the call runs inside a transaction: a callback of (or an array passed to)
    /// `transaction`/`$transaction`/`withTransaction`/`atomic`, a Python `with` block of
    /// `transaction.atomic()`/`session.begin()`, a function decorated `@atomic` or
    /// `@Transactional()`, or a JS call given `{ transaction }` options.
    fn in_transaction(&self, node: Node<'_>) -> bool {
        // Sequelize's and TypeORM's `{ transaction: t }` options.
        if self.javascript
            && self.arguments(node).into_iter().any(|a| {
                javascript::object_entries(self, a)
                    .iter()
                    .any(|(key, _)| key == "transaction")
            })
        {
            return true;
        }
        let mut child = node;
        while let Some(parent) = self.nodes.parent(child) {
            match parent.kind_name() {
                "arguments" | "argument_list"
                    if self
                        .nodes
                        .parent(parent)
                        .and_then(|c| c.field("function"))
                        .is_some_and(|callee| {
                            is_transaction_name(last_segment(self.text(callee)))
                        }) =>
                {
                    return true;
                }
                "with_statement"
                    if parent.child(1).is_some_and(|clause| {
                        let clause = self.text(clause);
                        ["atomic", "begin", "transaction"]
                            .iter()
                            .any(|w| clause.contains(w))
                    }) =>
                {
                    return true;
                }
                "decorated_definition"
                    if elements(parent)
                        .iter()
                        .filter(|d| d.kind_name() == "decorator")
                        .any(|d| {
                            let t = self.text(*d);
                            t.contains("atomic") || t.contains("transactional")
                        }) =>
                {
                    return true;
                }
                "method_definition"
                    if self
                        .semantics
                        .function_with_span(span(parent))
                        .is_some_and(|f| {
                            self.semantics.functions()[f]
                                .decorators
                                .iter()
                                .any(|d| d.name.contains("Transaction"))
                        }) =>
                {
                    return true;
                }
                _ => {}
            }
            child = parent;
        }
        false
    }

    /// A client construction: `new Pool()`, `createConnection()`, `psycopg2.connect()`.
    /// Whether `call` can be a connection (its qualified name is a client's constructor),
    /// before its node is looked up.
    fn may_connect(&self, call: &Call) -> bool {
        call.qualified_name.as_deref().is_some_and(|name| {
            if self.javascript {
                javascript::constructor(name, call.new).is_some()
            } else {
                python::constructor(name).is_some()
            }
        })
    }

    fn connection(&self, call: &Call, node: Node<'_>) -> Option<Connection> {
        let name = call.qualified_name.as_deref()?;
        let client = if self.javascript {
            javascript::constructor(name, call.new)?
        } else {
            python::constructor(name)?
        };
        let function = self.semantics.enclosing_function_index(call.span.start);
        Some(Connection {
            span: call.span,
            callee: call.callee,
            constructor: name.to_string(),
            client,
            in_loop: self.enclosing_loop(node),
            function,
            in_handler: function.is_some_and(|f| self.in_handler(f)),
            kept: self.kept(node),
        })
    }

    /// Whether a function, or one it is defined in, handles requests: Express-style
    /// `(req, res)` parameters, a Django/DRF `request` parameter, a route decorator
    /// (`@app.get`, `@router.post`, `@api_view`, NestJS `@Get()`).
    fn in_handler(&self, mut function: usize) -> bool {
        let functions = self.semantics.functions();
        loop {
            let f = &functions[function];
            let names: Vec<&str> = f.parameters.iter().map(|p| p.name.as_str()).collect();
            let request_params = match names.as_slice() {
                [first, second, ..] if self.javascript => {
                    matches!(*first, "req" | "request")
                        && matches!(*second, "res" | "response" | "reply")
                }
                ["ctx", ..] if self.javascript => true,
                _ if !self.javascript => {
                    names.first().copied() == Some("request")
                        || names.get(1).copied() == Some("request")
                }
                _ => false,
            };
            let route_decorator = f.decorators.iter().any(|d| {
                let last = last_segment(&d.name);
                matches!(
                    last,
                    "route"
                        | "get"
                        | "post"
                        | "put"
                        | "patch"
                        | "delete"
                        | "api_route"
                        | "api_view"
                        | "Get"
                        | "Post"
                        | "Put"
                        | "Patch"
                        | "Delete"
                        | "All"
                )
            });
            if request_params || route_decorator {
                return true;
            }
            match f.parent {
                Some(parent) => function = parent,
                None => return false,
            }
        }
    }

    /// Whether a construction's result is kept past the call: assigned to a member
    /// (`this.pool = new Pool()`), to a name bound at module level or declared `global`,
    /// returned, or cached (`if (!pool) pool = ...`).
    fn kept(&self, node: Node<'_>) -> bool {
        let mut child = node;
        while let Some(parent) = self.nodes.parent(child) {
            match parent.kind_name() {
                "await_expression" | "await" | "parenthesized_expression" => {}
                "return_statement" | "export_statement" => return true,
                "assignment_expression" | "assignment" | "augmented_assignment" => {
                    let Some(left) = parent.field("left") else {
                        return false;
                    };
                    if matches!(
                        left.kind_name(),
                        "member_expression" | "attribute" | "subscript"
                    ) {
                        return true;
                    }
                    let name = self.text(left);
                    return self
                        .semantics
                        .binding_at(name, left.start_byte())
                        .is_none_or(|b| b.scope == crate::code::Scope::Module)
                        || self.text.contains(&format!("global {name}"));
                }
                "variable_declarator" | "public_field_definition" | "field_definition" => {
                    return parent.kind_name() != "variable_declarator"
                        || self.enclosing_function_node(parent).is_none();
                }
                _ => return false,
            }
            child = parent;
        }
        false
    }

    fn enclosing_function_node(&self, node: Node<'_>) -> Option<usize> {
        self.semantics.enclosing_function_index(node.start_byte())
    }
}

fn starts_like_sql_or_fragment(text: &str) -> bool {
    sql::starts_like_sql(text) || text.trim_start().starts_with(sql::PLACEHOLDER)
}

fn begins_transaction(text: &str) -> bool {
    let upper = text.trim().to_ascii_uppercase();
    upper == "BEGIN" || upper.starts_with("START TRANSACTION") || upper.starts_with("BEGIN ")
}

fn is_transaction_name(name: &str) -> bool {
    matches!(
        name,
        "transaction" | "$transaction" | "withTransaction" | "runInTransaction" | "atomic"
    )
}

pub(super) fn last_segment(name: &str) -> &str {
    name.rsplit('.').next().unwrap_or(name)
}

fn unwrap_await(node: Node<'_>) -> Node<'_> {
    match node.kind_name() {
        "await_expression" | "await" | "parenthesized_expression" => {
            elements(node).first().map_or(node, |n| unwrap_await(*n))
        }
        _ => node,
    }
}

/// Every child, named or not, for the pieces of a string literal.
fn elements_all(node: Node<'_>) -> Vec<Node<'_>> {
    let mut cursor = node.walk();
    node.children(&mut cursor).collect()
}

pub(super) fn span(node: Node<'_>) -> Span {
    Span::new(node.start_byte(), node.end_byte())
}

/// Redis commands both languages' clients name alike (lower-case); each client module
/// adds its own spellings (`del`/`delete`, `sendCommand`/`execute_command`).
const REDIS_COMMANDS: &[&str] = &[
    "get",
    "set",
    "setex",
    "psetex",
    "setnx",
    "getex",
    "getdel",
    "mget",
    "mset",
    "unlink",
    "exists",
    "expire",
    "pexpire",
    "expireat",
    "pexpireat",
    "ttl",
    "keys",
    "scan",
    "incr",
    "incrby",
    "decr",
    "decrby",
    "hget",
    "hset",
    "hmset",
    "hsetnx",
    "hgetall",
    "hdel",
    "hincrby",
    "lpush",
    "rpush",
    "lpop",
    "rpop",
    "lrange",
    "sadd",
    "srem",
    "smembers",
    "zadd",
    "zrange",
    "zrem",
    "zrangebyscore",
    "publish",
    "append",
];

/// Whether the file's grammar is one the model reads.
pub fn supports(grammar: Grammar) -> bool {
    grammar.is_javascript_family() || grammar == Grammar::Python
}

#[cfg(test)]
mod tests;

/// `outer` calls a member of `call`'s result: `a.b()` inside `a.b().c()`, also across
/// lines and comments (`knex("t")\n  // by id\n  .where(...)`).
fn continues(text: &str, call: &Call, outer: &Call) -> bool {
    outer.callee.start == call.span.start && outer.callee.end > call.span.end && {
        let between = skip_trivia(&text[call.span.end..outer.callee.end]);
        between.starts_with('.') || between.starts_with("?.")
    }
}

/// `text` from its first character that is not whitespace, a comment or a Python line
/// continuation.
fn skip_trivia(mut text: &str) -> &str {
    loop {
        text = text.trim_start();
        let rest = if let Some(rest) = text.strip_prefix("/*") {
            rest.find("*/").map_or("", |end| &rest[end + 2..])
        } else if text.starts_with("//") || text.starts_with('#') {
            text.find('\n').map_or("", |end| &text[end..])
        } else if let Some(rest) = text.strip_prefix('\\') {
            rest
        } else {
            return text;
        };
        text = rest;
    }
}
