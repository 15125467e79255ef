//! JavaScript/TypeScript database calls: Prisma delegates, Redis (node-redis, ioredis),
//! TypeORM repositories, managers and query builders, Knex builders, Sequelize and
//! Mongoose models and instances, and SQL sent through node-postgres, mysql2,
//! better-sqlite3, pg-promise or any receiver given a SQL string.

use audit_syntax::tree_sitter::Node;

use super::sql::{self, SqlKind};
use super::{Chain, Client, Link, Operation, Query, REDIS_COMMANDS, Reader, last_segment};
use crate::code::BindingKind;
use crate::code::nodes::Fields;
use crate::code::nodes::{KindName, elements, string_content};

const PRISMA_METHODS: &[&str] = &[
    "findMany",
    "findUnique",
    "findUniqueOrThrow",
    "findFirst",
    "findFirstOrThrow",
    "create",
    "createMany",
    "createManyAndReturn",
    "update",
    "updateMany",
    "upsert",
    "delete",
    "deleteMany",
    "count",
    "aggregate",
    "groupBy",
];

const PRISMA_RAW: &[&str] = &[
    "$queryRaw",
    "$queryRawUnsafe",
    "$executeRaw",
    "$executeRawUnsafe",
];

/// node-redis and ioredis spellings beyond [`REDIS_COMMANDS`] (lower-cased).
const REDIS_JS_COMMANDS: &[&str] = &["del", "sendcommand", "call"];

const TYPEORM_METHODS: &[&str] = &[
    "find",
    "findBy",
    "findOne",
    "findOneBy",
    "findOneOrFail",
    "findOneByOrFail",
    "findAndCount",
    "findAndCountBy",
    "findByIds",
    "count",
    "countBy",
    "exist",
    "exists",
    "existsBy",
    "sum",
    "average",
    "minimum",
    "maximum",
    "save",
    "insert",
    "update",
    "upsert",
    "delete",
    "remove",
    "softDelete",
    "softRemove",
    "restore",
    "increment",
    "decrement",
    "clear",
];

const QUERY_BUILDER_RUNS: &[&str] = &[
    "getOne",
    "getOneOrFail",
    "getMany",
    "getRawOne",
    "getRawMany",
    "getCount",
    "getManyAndCount",
    "getRawAndEntities",
    "getExists",
    "execute",
    "stream",
];

const MODEL_METHODS: &[&str] = &[
    "find",
    "findOne",
    "findById",
    "findAll",
    "findByPk",
    "findAndCountAll",
    "findOrCreate",
    "findOneAndUpdate",
    "findByIdAndUpdate",
    "findOneAndDelete",
    "findByIdAndDelete",
    "findByIdAndRemove",
    "findOneAndRemove",
    "findOneAndReplace",
    "count",
    "countDocuments",
    "estimatedDocumentCount",
    "create",
    "bulkCreate",
    "insertMany",
    "update",
    "updateOne",
    "updateMany",
    "deleteOne",
    "deleteMany",
    "destroy",
    "upsert",
    "aggregate",
    "distinct",
    "exists",
    "replaceOne",
    "bulkWrite",
    "increment",
    "decrement",
];

const MONGOOSE_ONLY: &[&str] = &[
    "findById",
    "findByIdAndUpdate",
    "findByIdAndDelete",
    "findByIdAndRemove",
    "findOneAndUpdate",
    "findOneAndDelete",
    "countDocuments",
    "insertMany",
    "aggregate",
];

const SEQUELIZE_ONLY: &[&str] = &[
    "findAll",
    "findByPk",
    "findAndCountAll",
    "findOrCreate",
    "bulkCreate",
    "destroy",
];

/// Capitalised globals that are not models.
const NOT_MODELS: &[&str] = &[
    "Object", "Math", "Date", "Promise", "Symbol", "Array", "Buffer", "URL", "JSON", "Reflect",
    "Map", "Set", "WeakMap", "Intl", "React", "Vue", "Response", "Request", "Headers", "Blob",
    "String", "Number", "Boolean", "Error", "Proxy", "Atomics", "Crypto", "Intl", "Cypress",
];

const KNEX_METHODS: &[&str] = &[
    "where",
    "andWhere",
    "orWhere",
    "whereIn",
    "whereNot",
    "whereNotIn",
    "whereNull",
    "whereNotNull",
    "whereBetween",
    "whereRaw",
    "select",
    "first",
    "insert",
    "update",
    "del",
    "delete",
    "returning",
    "join",
    "leftJoin",
    "innerJoin",
    "orderBy",
    "limit",
    "offset",
    "pluck",
    "increment",
    "decrement",
    "count",
    "truncate",
    "upsert",
    "merge",
    "onConflict",
    "into",
    "from",
    "table",
];

const SQL_METHODS: &[&str] = &[
    "query",
    "execute",
    "run",
    "all",
    "get",
    "each",
    "exec",
    "prepare",
    "one",
    "oneOrNone",
    "many",
    "manyOrNone",
    "any",
    "none",
    "result",
    "multi",
    "raw",
    "unsafe",
];

/// A client the constructor `name` (qualified) makes.
pub(super) fn constructor(name: &str, new: bool) -> Option<Client> {
    Some(match name {
        "pg.Pool" | "pg.Client" if new => Client::NodePostgres,
        "mysql.createConnection"
        | "mysql.createPool"
        | "mysql2.createConnection"
        | "mysql2.createPool"
        | "mysql2/promise.createConnection"
        | "mysql2/promise.createPool" => Client::Mysql,
        "@prisma/client.PrismaClient" if new => Client::Prisma,
        "mongoose.connect" | "mongoose.createConnection" => Client::Mongoose,
        "mongodb.MongoClient" if new => Client::MongoDb,
        "mongodb.MongoClient.connect" => Client::MongoDb,
        "sequelize.Sequelize" | "sequelize" if new => Client::Sequelize,
        "typeorm.DataSource" if new => Client::TypeOrm,
        "typeorm.createConnection" => Client::TypeOrm,
        "knex" | "knex.knex" if !new => Client::Knex,
        "ioredis" | "ioredis.Redis" | "ioredis.default" if new => Client::Redis,
        "redis.createClient" | "@redis/client.createClient" => Client::Redis,
        "better-sqlite3" if new => Client::Sqlite,
        _ => return None,
    })
}

pub(super) fn query(r: &Reader<'_>, chain: &Chain<'_>) -> Option<Query> {
    let mut query = prisma(r, chain)
        .or_else(|| redis(r, chain))
        .or_else(|| typeorm(r, chain))
        .or_else(|| knex(r, chain))
        .or_else(|| model(r, chain))
        .or_else(|| raw_sql(r, chain))?;
    query.batched |= query.client != Client::Redis && batched(r, chain);
    Some(query)
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

fn is_write(method: &str) -> bool {
    let lower = method.to_ascii_lowercase();
    [
        "create",
        "insert",
        "update",
        "upsert",
        "delete",
        "destroy",
        "remove",
        "save",
        "increment",
        "decrement",
        "replace",
        "bulkwrite",
        "restore",
        "clear",
        "truncate",
        "del",
        "merge",
    ]
    .iter()
    .any(|w| lower.starts_with(w))
        || lower.ends_with("andupdate")
        || lower.ends_with("anddelete")
        || lower.ends_with("andremove")
        || lower.ends_with("andreplace")
        || lower == "softdelete"
        || lower == "softremove"
}

fn operation_of(method: &str) -> Operation {
    if is_write(method) {
        Operation::Write
    } else {
        Operation::Read
    }
}

/// The keys of an object literal with their values (shorthand properties have none).
pub(super) fn object_entries<'t>(
    r: &Reader<'_>,
    object: Node<'t>,
) -> Vec<(String, Option<Node<'t>>)> {
    if object.kind_name() != "object" {
        return Vec::new();
    }
    elements(object)
        .into_iter()
        .filter_map(|entry| match entry.kind_name() {
            "pair" => {
                let key = entry.field("key")?;
                let name = match key.kind_name() {
                    "string" => string_content(r.text, key)?.to_string(),
                    "property_identifier" | "number" => r.text(key).to_string(),
                    _ => return None,
                };
                Some((name, entry.field("value")))
            }
            "shorthand_property_identifier" => Some((r.text(entry).to_string(), None)),
            _ => None,
        })
        .collect()
}

fn entry<'t>(r: &Reader<'_>, object: Node<'t>, key: &str) -> Option<Option<Node<'t>>> {
    object_entries(r, object)
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
}

/// The columns of a filter object: its keys, logical operators (`AND`, `$or`, `[Op.or]`)
/// looked into.
fn filter_keys(r: &Reader<'_>, filter: Node<'_>, out: &mut Vec<String>) {
    match filter.kind_name() {
        "array" => {
            for element in elements(filter) {
                filter_keys(r, element, out);
            }
        }
        "object" => {
            for (key, value) in object_entries(r, filter) {
                if matches!(key.as_str(), "AND" | "OR" | "NOT" | "$or" | "$and" | "$nor") {
                    if let Some(value) = value {
                        filter_keys(r, value, out);
                    }
                } else if !key.starts_with('$') && !out.contains(&key) {
                    out.push(key);
                }
            }
        }
        _ => {}
    }
}

fn first_argument<'t>(r: &Reader<'_>, link: &Link<'t>) -> Option<Node<'t>> {
    r.arguments(link.call).first().copied()
}

/// `prisma.user.findMany({ where, take })`, `this.prisma.post.create(...)`, a transaction
/// client's `tx.user.update(...)`, and `prisma.$queryRaw\`...\``.
fn prisma(r: &Reader<'_>, chain: &Chain<'_>) -> Option<Query> {
    let first = &chain.links[0];
    let method = first.method?;
    let is_client = |node: Node<'_>| {
        let name = last_segment(r.text(node)).to_ascii_lowercase();
        name.contains("prisma")
            || r.facts.prisma && r.maker(node) == Some("@prisma/client.PrismaClient")
            || matches!(name.as_str(), "tx" | "prismatx")
    };
    if PRISMA_RAW.contains(&method) && is_client(chain.base) {
        let mut query = new_query(Client::Prisma, method, Operation::Other);
        let template = first.call.field("arguments");
        let argument = match template {
            Some(t) if t.kind_name() == "template_string" => Some(t),
            _ => first_argument(r, first),
        };
        if let Some((statements, at)) = argument.and_then(|a| r.sql_argument(a)) {
            set_sql(&mut query, statements, at);
        }
        return Some(query);
    }
    if !PRISMA_METHODS.contains(&method) || chain.base.kind_name() != "member_expression" {
        return None;
    }
    let client = chain.base.field("object")?;
    let model = r.text(chain.base.field("property")?);
    if !is_client(client) {
        return None;
    }
    let mut query = new_query(Client::Prisma, method, operation_of(method));
    query.table = Some(model.to_string());
    let options = first_argument(r, first);
    if let Some(options) = options
        && let Some(Some(filter)) = entry(r, options, "where")
    {
        filter_keys(r, filter, &mut query.columns);
    }
    if query.operation == Operation::Read {
        query.bounded = Some(
            method != "findMany" && method != "groupBy"
                || options.is_some_and(|o| entry(r, o, "take").is_some()),
        );
    }
    Some(query)
}

/// Redis commands through a node-redis or ioredis client.
fn redis(r: &Reader<'_>, chain: &Chain<'_>) -> Option<Query> {
    let [link] = chain.links.as_slice() else {
        return None;
    };
    let method = link.method?;
    let lower = method.to_ascii_lowercase();
    if !REDIS_COMMANDS.contains(&lower.as_str()) && !REDIS_JS_COMMANDS.contains(&lower.as_str()) {
        return None;
    }
    let name = last_segment(r.text(chain.base)).to_ascii_lowercase();
    let made = r.facts.redis
        && matches!(
            r.maker(chain.base),
            Some(
                "redis.createClient"
                    | "@redis/client.createClient"
                    | "ioredis"
                    | "ioredis.Redis"
                    | "ioredis.default"
                    | "ioredis.Cluster"
            )
        );
    let imports_redis = r.facts.redis;
    let named = name.contains("redis")
        || imports_redis && (name.contains("cache") || name == "client" || name == "clients");
    if !made && !named {
        return None;
    }
    let arguments = r.arguments(link.call);
    // `sendCommand(["KEYS", "*"])`, `call("KEYS", "*")`: the command is an argument.
    let command = match lower.as_str() {
        "sendcommand" | "call" => {
            let first = arguments.first()?;
            let word = match first.kind_name() {
                "array" => elements(*first).first().copied(),
                _ => Some(*first),
            }
            .and_then(|w| string_content(r.text, w))?;
            word.to_ascii_lowercase()
        }
        _ => lower,
    };
    let operation = match command.as_str() {
        "get" | "mget" | "exists" | "ttl" | "keys" | "scan" | "hget" | "hgetall" | "lrange"
        | "smembers" | "zrange" | "zrangebyscore" => Operation::Read,
        _ => Operation::Write,
    };
    let mut query = new_query(Client::Redis, &command, operation);
    query.key = arguments.first().map(|k| r.text(*k).to_string());
    query.expires = match command.as_str() {
        "set" => Some(arguments.iter().skip(2).any(|a| match a.kind_name() {
            "object" => object_entries(r, *a).iter().any(|(k, _)| {
                matches!(
                    k.to_ascii_uppercase().as_str(),
                    "EX" | "PX" | "EXAT" | "PXAT" | "KEEPTTL" | "EXPIRATION"
                )
            }),
            _ => string_content(r.text, *a).is_some_and(|s| {
                matches!(
                    s.to_ascii_uppercase().as_str(),
                    "EX" | "PX" | "EXAT" | "PXAT" | "KEEPTTL"
                )
            }),
        })),
        "setex" | "psetex" => Some(true),
        "hset" | "hmset" | "mset" | "setnx" | "hsetnx" => Some(false),
        _ => None,
    };
    Some(query)
}

/// The entity a repository serves: `getRepository(User)`, a `Repository<User>`
/// parameter or field, else the name without `Repository`.
fn repository_entity(r: &Reader<'_>, chain: &Chain<'_>, receiver: &str) -> Option<String> {
    if let Some(made) = r.made_by(chain.base)
        && let Some(arguments) = made.arguments
    {
        let inside = r.text[arguments.start..arguments.end]
            .trim_matches(|c| c == '(' || c == ')')
            .trim();
        if !inside.is_empty() && inside.chars().all(|c| c.is_alphanumeric() || c == '_') {
            return Some(inside.to_string());
        }
    }
    if let Some(annotation) = repository_annotation(r, receiver)
        && let Some((_, rest)) = annotation.split_once('<')
    {
        return Some(rest.trim_end_matches('>').trim().to_string());
    }
    let stem = receiver
        .trim_end_matches("Repository")
        .trim_end_matches("Repo")
        .trim_end_matches("repository")
        .trim_end_matches("repo");
    (!stem.is_empty()).then(|| stem.to_string())
}

/// The type of a parameter named `receiver` when it is a `Repository<...>`
/// (NestJS's `@InjectRepository(User) private users: Repository<User>`).
fn repository_annotation<'r>(r: &'r Reader<'_>, receiver: &str) -> Option<&'r str> {
    r.facts
        .repository_parameters
        .iter()
        .find(|(name, _)| name == receiver)
        .map(|(_, annotation)| annotation.as_str())
}

/// A TypeORM repository: typed `Repository<...>`, or named for one in a file that imports
/// TypeORM (a `repo` module of the project's own is not known to be TypeORM).
fn is_repository(r: &Reader<'_>, receiver: &str) -> bool {
    let lower = receiver.to_ascii_lowercase();
    let named = lower.ends_with("repository") || lower.ends_with("repo");
    named && r.facts.typeorm || repository_annotation(r, receiver).is_some()
}

/// TypeORM: repositories (`userRepository.findOne({ where })`, `getRepository(User).find()`),
/// managers (`manager.save(User, ...)`) and query builders run by `getMany()` and the like.
fn typeorm(r: &Reader<'_>, chain: &Chain<'_>) -> Option<Query> {
    if let Some(builder) = chain
        .links
        .iter()
        .position(|l| l.method == Some("createQueryBuilder"))
    {
        return query_builder(r, chain, builder);
    }
    let (receiver_link, link) = match chain.links.as_slice() {
        [link] => (None, link),
        [get, link] if get.method == Some("getRepository") => (Some(get), link),
        _ => return None,
    };
    let method = link.method?;
    if !TYPEORM_METHODS.contains(&method) {
        return None;
    }
    let receiver = last_segment(r.text(chain.base));
    let lower = receiver.to_ascii_lowercase();
    let made = r.facts.get_repository
        && r.maker(chain.base).is_some_and(|m| {
            m.ends_with(".getRepository")
                || m.ends_with("getCustomRepository")
                || m == "getRepository"
        });
    let repository = receiver_link.is_some() || made || is_repository(r, receiver);
    let manager = lower.ends_with("manager");
    if !repository && !manager {
        return None;
    }
    let arguments = r.arguments(link.call);
    // `Repository<User>`, `getRepository(User)` or a file importing TypeORM; otherwise a
    // repository class of the project's own, whose ORM this file does not show.
    let typeorm = r.facts.typeorm
        || receiver_link.is_some()
        || made
        || manager
        || repository_annotation(r, receiver).is_some_and(|a| a.contains("Repository<"));
    let client = if typeorm {
        Client::TypeOrm
    } else {
        Client::Repository
    };
    let mut query = new_query(client, method, operation_of(method));
    let options = if manager {
        query.table = arguments
            .first()
            .filter(|e| e.kind_name() == "identifier")
            .map(|e| r.text(*e).to_string());
        arguments.get(1).copied()
    } else {
        query.table = match receiver_link {
            Some(get) => first_argument(r, get).map(|e| r.text(e).to_string()),
            None => repository_entity(r, chain, receiver),
        };
        arguments.first().copied()
    };
    if let Some(options) = options {
        if method.ends_with("By") || method.ends_with("ByOrFail") {
            filter_keys(r, options, &mut query.columns);
        } else if let Some(Some(filter)) = entry(r, options, "where") {
            filter_keys(r, filter, &mut query.columns);
        } else if matches!(method, "update" | "delete" | "softDelete") {
            filter_keys(r, options, &mut query.columns);
        }
    }
    if query.operation == Operation::Read {
        let many = matches!(
            method,
            "find" | "findBy" | "findAndCount" | "findAndCountBy"
        );
        query.bounded = Some(!many || options.is_some_and(|o| entry(r, o, "take").is_some()));
    }
    Some(query)
}

fn query_builder(r: &Reader<'_>, chain: &Chain<'_>, builder: usize) -> Option<Query> {
    let last = chain.last().method?;
    if !QUERY_BUILDER_RUNS.contains(&last) {
        return None;
    }
    let writes = chain.has(&["insert", "update", "delete", "softDelete", "restore"]);
    let operation = if writes {
        Operation::Write
    } else {
        Operation::Read
    };
    let mut query = new_query(Client::TypeOrm, last, operation);
    let receiver = last_segment(r.text(chain.base));
    query.table = if is_repository(r, receiver) {
        repository_entity(r, chain, receiver)
    } else {
        None
    };
    for link in &chain.links[builder..] {
        let Some(method) = link.method else { continue };
        let first = first_argument(r, link);
        match method {
            "from" | "update" | "into" | "delete" if query.table.is_none() => {
                query.table = first.map(|e| r.text(e).to_string());
            }
            "where" | "andWhere" | "orWhere" => {
                if let Some(filter) = first.and_then(|f| string_content(r.text, f)) {
                    for column in sql::filter_columns(filter, r.dialect()) {
                        if !query.columns.contains(&column) {
                            query.columns.push(column);
                        }
                    }
                }
            }
            _ => {}
        }
    }
    if !writes {
        query.bounded = Some(
            chain.has(&["take", "limit"])
                || matches!(
                    last,
                    "getOne" | "getOneOrFail" | "getRawOne" | "getCount" | "getExists"
                ),
        );
    }
    Some(query)
}

/// Knex: `knex("users").where({ id }).first()`, `db.select("*").from("users")`,
/// `trx("orders").insert(row)`, `knex.raw(sql)`; schema builders are migrations, not
/// queries.
fn knex(r: &Reader<'_>, chain: &Chain<'_>) -> Option<Query> {
    let base = r.text(chain.base);
    if base.contains("schema") {
        return None;
    }
    let name = last_segment(base);
    let first = &chain.links[0];
    let knex_value = name == "knex"
        || r.semantics().call(super::span(chain.base)).is_none()
            && r.facts.knex
            && r.maker(chain.base)
                .is_some_and(|m| m == "knex" || m == "knex.knex")
        || matches!(name, "trx" | "db" | "database") && r.facts.knex;
    let plain_table = first.method.is_none()
        && first_argument(r, first).is_some_and(|a| string_content(r.text, a).is_some());
    let builder = chain.methods().any(|m| KNEX_METHODS.contains(&m));
    let knex = match first.method {
        None => plain_table && (knex_value || matches!(name, "trx" | "db" | "database") && builder),
        Some(_) => knex_value && (builder || first.method == Some("raw")),
    };
    if !knex {
        return None;
    }
    if first.method == Some("raw") {
        let mut query = new_query(Client::Knex, "raw", Operation::Other);
        if let Some((statements, at)) = first_argument(r, first).and_then(|a| r.sql_argument(a)) {
            set_sql(&mut query, statements, at);
        }
        return Some(query);
    }
    let writes = chain.methods().find(|m| {
        matches!(
            *m,
            "insert"
                | "update"
                | "del"
                | "delete"
                | "increment"
                | "decrement"
                | "truncate"
                | "upsert"
        )
    });
    let method = writes.or_else(|| chain.last().method).unwrap_or("select");
    let mut query = new_query(
        Client::Knex,
        method,
        if writes.is_some() {
            Operation::Write
        } else {
            Operation::Read
        },
    );
    query.in_transaction = name == "trx" || chain.has(&["transacting"]);
    for link in &chain.links {
        let arguments = r.arguments(link.call);
        let first = arguments.first().copied();
        match link.method {
            None | Some("from" | "table" | "into") => {
                if let Some(table) = first.and_then(|a| string_content(r.text, a)) {
                    query.table = Some(table.split_whitespace().next().unwrap_or(table).into());
                }
            }
            Some(
                "where" | "andWhere" | "orWhere" | "whereIn" | "whereNot" | "whereNotIn"
                | "whereNull" | "whereNotNull" | "whereBetween",
            ) => match first {
                Some(f) if f.kind_name() == "object" => filter_keys(r, f, &mut query.columns),
                Some(f) => {
                    if let Some(column) = string_content(r.text, f) {
                        push_unqualified(column, &mut query.columns);
                    }
                }
                None => {}
            },
            Some("join" | "leftJoin" | "innerJoin" | "rightJoin") => {
                for column in arguments.iter().skip(1) {
                    if let Some(column) = string_content(r.text, *column)
                        && column != "="
                    {
                        push_unqualified(column, &mut query.columns);
                    }
                }
            }
            _ => {}
        }
    }
    if writes.is_none() {
        query.bounded = Some(chain.has(&["first", "limit", "count"]));
    } else if query.operation == Operation::Write && chain.has(&["update", "del", "delete"]) {
        // A Knex update or delete with no `where` touches every row.
        let filtered = chain.methods().any(|m| m.starts_with("where"));
        query.sql.push(sql::SqlQuery {
            kind: if chain.has(&["update"]) {
                SqlKind::Update
            } else {
                SqlKind::Delete
            },
            tables: query.table.iter().cloned().collect(),
            columns: query.columns.clone(),
            select_star: false,
            limited: false,
            filtered,
            batched: false,
        });
    }
    Some(query)
}

fn push_unqualified(column: &str, out: &mut Vec<String>) {
    let column = last_segment(column.trim());
    if !column.is_empty() && !out.iter().any(|c| c == column) {
        out.push(column.to_string());
    }
}

fn is_model_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_uppercase())
        && name.chars().any(|c| c.is_ascii_lowercase())
        && !NOT_MODELS.contains(&name)
}

/// Folders and files models are kept in: `@server/models`, `../models/user`,
/// `./user.model`, `../entities/order.entity`, `../db`.
fn is_models_module(module: &str) -> bool {
    module.split('/').any(|segment| {
        let stem = segment.split('.').next().unwrap_or(segment);
        matches!(
            stem,
            "models" | "model" | "entities" | "entity" | "schemas" | "db" | "database"
        ) || [".model", ".entity", ".schema", "-model", "Model"]
            .iter()
            .any(|suffix| {
                segment
                    .trim_end_matches(".js")
                    .trim_end_matches(".ts")
                    .ends_with(suffix)
            })
    })
}

/// ORM packages whose classes models extend (`Model`, `BaseEntity`).
fn is_orm_module(module: &str) -> bool {
    [
        "sequelize",
        "mongoose",
        "typeorm",
        "objection",
        "@mikro-orm/",
    ]
    .iter()
    .any(|orm| module.starts_with(orm))
}

/// Whether the receiver of a model method names an ORM model, from where it comes:
/// a member of `models` (`db.models.Post`), a name ending in `Model` (`this.userModel`),
/// an import from a models module (`import { User } from "@server/models"`, or from the
/// file's own folder in a file that imports the ORM), a class extending a model base
/// (`extends Model`, `extends ParanoidModel`, `extends BaseEntity`), or a value made by
/// `sequelize.define(...)`/`mongoose.model(...)`. A capitalised name alone is not
/// enough: `EditorState.create(...)`, `Metrics.increment(...)` are not database calls.
fn is_model(r: &Reader<'_>, base: Node<'_>) -> bool {
    let receiver = last_segment(r.text(base));
    if receiver.to_ascii_lowercase().ends_with("model") {
        return true;
    }
    if base.kind_name() == "member_expression" {
        let Some(object) = base.field("object") else {
            return false;
        };
        // `models.user`, `sequelize.models.orchestra`, `db.User` with `db` the models
        // module.
        return last_segment(r.text(object)) == "models"
            || is_model_name(receiver)
                && object.kind_name() == "identifier"
                && imported_from(r, object).is_some_and(is_models_module);
    }
    if base.kind_name() != "identifier" || !is_model_name(receiver) {
        return false;
    }
    let Some(binding) = r.semantics().binding_at(receiver, base.start_byte()) else {
        return false;
    };
    if let Some(module) = imported_from(r, base) {
        return is_models_module(module)
            || module.starts_with('.')
                && (r.facts.sequelize || r.facts.mongoose || r.facts.typeorm);
    }
    match binding.kind {
        BindingKind::Class => r
            .nodes
            .node_at(binding.span)
            .and_then(|name| r.nodes.parent(name))
            .and_then(superclass)
            .is_some_and(|parent| {
                let name = last_segment(r.text(parent));
                name.ends_with("Model")
                    || name.ends_with("Entity")
                    || parent.kind_name() == "identifier"
                        && imported_from(r, parent).is_some_and(is_orm_module)
            }),
        BindingKind::Variable => binding
            .value
            .and_then(|value| r.semantics().call(value))
            .is_some_and(|made| {
                let callee = &r.text[made.callee.start..made.callee.end];
                matches!(last_segment(callee), "define" | "model")
            }),
        BindingKind::Import | BindingKind::Parameter | BindingKind::Function => false,
    }
}

/// The module an identifier is imported from (`import`, `require` destructuring), when it
/// names an import.
fn imported_from<'r>(r: &'r Reader<'_>, name: Node<'_>) -> Option<&'r str> {
    let text = r.text(name);
    let binding = r.semantics().binding_at(text, name.start_byte())?;
    binding.qualified_name.as_ref()?;
    r.semantics()
        .imports()
        .iter()
        .find(|i| {
            i.local.as_deref() == Some(text)
                && i.span.start <= binding.span.start
                && binding.span.end <= i.span.end
        })
        .or_else(|| {
            r.semantics()
                .imports()
                .iter()
                .find(|i| i.local.as_deref() == Some(text))
        })
        .map(|i| i.module.as_str())
}

/// The class a class declaration extends: `Model` in `class User extends Model<...>`.
fn superclass(class: Node<'_>) -> Option<Node<'_>> {
    let heritage = elements(class)
        .into_iter()
        .find(|c| c.kind_name() == "class_heritage")?;
    let first = *elements(heritage).first()?;
    // TypeScript wraps it: `extends_clause` with the class as `value`.
    let parent = if first.kind_name() == "extends_clause" {
        first.field("value")?
    } else {
        first
    };
    Some(match parent.kind_name() {
        // `Model<UserAttributes>` in an expression position.
        "generic_type" | "instantiation_expression" => *elements(parent).first()?,
        _ => parent,
    })
}

/// Sequelize and Mongoose: `User.findAll({ where })`, `Post.find({ author }).limit(10)`,
/// `this.userModel.findOne(...)`, and writes through an instance (`user.save()`).
fn model(r: &Reader<'_>, chain: &Chain<'_>) -> Option<Query> {
    let first = &chain.links[0];
    let method = first.method?;
    let receiver = last_segment(r.text(chain.base));
    let family = if r.facts.mongoose || MONGOOSE_ONLY.contains(&method) {
        Client::Mongoose
    } else if r.facts.sequelize || SEQUELIZE_ONLY.contains(&method) {
        Client::Sequelize
    } else {
        Client::Model
    };
    if MODEL_METHODS.contains(&method) && is_model(r, chain.base) {
        let mut query = new_query(family, method, operation_of(method));
        query.table = Some(
            receiver
                .trim_end_matches("Model")
                .trim_end_matches("model")
                .to_string(),
        )
        .filter(|t| !t.is_empty())
        .or_else(|| Some(receiver.to_string()));
        let arguments = r.arguments(first.call);
        let options = match method {
            // Sequelize's `update(values, { where })`.
            "update" if family != Client::Mongoose => arguments.get(1).copied(),
            _ => arguments.first().copied(),
        };
        if let Some(options) = options {
            match entry(r, options, "where") {
                Some(Some(filter)) => filter_keys(r, filter, &mut query.columns),
                Some(None) => {}
                None if family != Client::Sequelize => {
                    filter_keys(r, options, &mut query.columns);
                    query.columns.retain(|c| {
                        !matches!(
                            c.as_str(),
                            "limit"
                                | "offset"
                                | "order"
                                | "attributes"
                                | "include"
                                | "raw"
                                | "transaction"
                        )
                    });
                }
                None => {}
            }
        }
        if matches!(
            method,
            "findById" | "findByIdAndUpdate" | "findByIdAndDelete"
        ) {
            query.columns.push("_id".into());
        }
        if query.operation == Operation::Read {
            let many = matches!(method, "find" | "findAll" | "findAndCountAll" | "aggregate");
            query.bounded = Some(
                !many
                    || chain.has(&["limit"])
                    || options.is_some_and(|o| entry(r, o, "limit").is_some()),
            );
        }
        return Some(query);
    }
    // An instance: `user.save()`, `doc.deleteOne()`, `post.destroy()`.
    let [link] = chain.links.as_slice() else {
        return None;
    };
    if !matches!(
        method,
        "save" | "destroy" | "remove" | "deleteOne" | "reload" | "softRemove"
    ) || !r.arguments(link.call).is_empty()
    {
        return None;
    }
    // Made by `new User(...)` or `User.findOne(...)`, or of unknown origin (a parameter,
    // another function's result) in a file that imports the ORM; one made by `new` or a
    // model method of anything else (`new EditorView(...)`, `EditorState.create(...)`)
    // is not a model instance.
    let orm_file = r.facts.mongoose || r.facts.sequelize || r.facts.typeorm;
    let made = r
        .made_by(chain.base)
        .and_then(|made| Some((made.new, r.nodes.node_at(made.callee)?)));
    let instance = match made {
        Some((true, class)) => is_model(r, class),
        Some((false, callee)) => match (callee.field("object"), callee.field("property")) {
            (Some(object), Some(made_with)) if MODEL_METHODS.contains(&r.text(made_with)) => {
                is_model(r, object)
            }
            _ => orm_file,
        },
        None => orm_file,
    };
    if !instance {
        return None;
    }
    let client = if r.facts.typeorm {
        Client::TypeOrm
    } else {
        family
    };
    let mut query = new_query(client, method, operation_of(method));
    if method == "reload" {
        query.operation = Operation::Read;
    }
    Some(query)
}

/// SQL through a driver: `pool.query(sql, params)`, `db.prepare(sql).all()`,
/// `connection.execute(sql)`, `sequelize.query(sql)`, `dataSource.query(sql)`, and a
/// `sql\`...\`` tagged template.
fn raw_sql(r: &Reader<'_>, chain: &Chain<'_>) -> Option<Query> {
    let base_name = last_segment(r.text(chain.base));
    // `sql\`SELECT ...\`` (postgres.js, slonik, @vercel/postgres).
    if let [link] = chain.links.as_slice()
        && link.method.is_none()
        && base_name == "sql"
        && let Some(template) = link
            .call
            .field("arguments")
            .filter(|t| t.kind_name() == "template_string")
    {
        let (statements, at) = r.sql_argument(template)?;
        let mut query = new_query(Client::Sql, "sql", Operation::Other);
        set_sql(&mut query, statements, at);
        return Some(query);
    }
    let link = chain
        .links
        .iter()
        .find(|l| l.method.is_some_and(|m| SQL_METHODS.contains(&m)))?;
    let method = chain.last().method.unwrap_or("query");
    let client = client_of(r, chain.base);
    let argument = first_argument(r, link);
    let parsed = argument.and_then(|a| r.sql_argument(a));
    let known = client.is_some()
        || matches!(
            base_name,
            "pool" | "conn" | "connection" | "queryRunner" | "dataSource" | "sequelize"
        )
        || matches!(base_name, "client" | "db") && r.facts.drivers;
    if parsed.is_none()
        && !(known
            && matches!(link.method, Some("query" | "execute"))
            && argument.is_some_and(|a| a.kind_name() != "object"))
    {
        return None;
    }
    let mut query = new_query(client.unwrap_or(Client::Sql), method, Operation::Other);
    if let Some((statements, at)) = parsed {
        set_sql(&mut query, statements, at);
    }
    Some(query)
}

/// The driver that made a receiver, else what its name says.
fn client_of(r: &Reader<'_>, base: Node<'_>) -> Option<Client> {
    if let Some(maker) = r.facts.drivers.then(|| r.maker(base)).flatten() {
        let module = maker.split('.').next().unwrap_or(maker);
        return Some(match module {
            "pg" | "pg-promise" => Client::NodePostgres,
            "mysql" | "mysql2" | "mysql2/promise" => Client::Mysql,
            "better-sqlite3" | "sqlite3" | "sqlite" => Client::Sqlite,
            "knex" => Client::Knex,
            "sequelize" => Client::Sequelize,
            "typeorm" => Client::TypeOrm,
            _ => return None,
        });
    }
    match last_segment(r.text(base)) {
        "queryRunner" | "dataSource" | "manager" | "entityManager" => Some(Client::TypeOrm),
        "sequelize" => Some(Client::Sequelize),
        _ => None,
    }
}

/// Sets a query's SQL, and what it does from it.
pub(super) fn set_sql(query: &mut Query, statements: Vec<sql::SqlQuery>, at: audit_core::Span) {
    if let Some(first) = statements.first() {
        query.operation = match first.kind {
            SqlKind::Select => Operation::Read,
            SqlKind::Insert | SqlKind::Update | SqlKind::Delete => Operation::Write,
            SqlKind::Begin | SqlKind::Schema | SqlKind::Other => Operation::Other,
        };
        query.table = first.tables.first().cloned();
        query.columns = first.columns.clone();
        if first.kind == SqlKind::Select {
            query.bounded = Some(first.limited);
        }
        query.batched |= first.batched;
    }
    query.sql = statements;
    query.sql_span = Some(at);
}

/// Methods that write or read many rows in one statement.
const BULK: &[&str] = &[
    "bulkCreate",
    "createMany",
    "createManyAndReturn",
    "insertMany",
    "bulkWrite",
    "updateMany",
    "deleteMany",
];

/// A filter that tests a set of values: a `{ in: [...] }`/`$in`/`[Op.in]` entry or a
/// TypeORM `In(...)` at any depth.
fn tests_set(r: &Reader<'_>, node: Node<'_>) -> bool {
    match node.kind_name() {
        "object" => elements(node)
            .into_iter()
            .any(|entry| match entry.kind_name() {
                "pair" => {
                    let key = entry.field("key").map(|k| r.text(k)).unwrap_or("");
                    let key = key.trim_matches(|c| matches!(c, '"' | '\'' | '[' | ']'));
                    matches!(key, "in" | "$in" | "Op.in" | "hasSome" | "$all")
                        || entry.field("value").is_some_and(|v| tests_set(r, v))
                }
                _ => false,
            }),
        "array" => elements(node).into_iter().any(|e| tests_set(r, e)),
        "call_expression" => node
            .field("function")
            .is_some_and(|f| matches!(r.text(f), "In" | "Any" | "ArrayContains")),
        _ => false,
    }
}

/// Whether the calls of a chain filter by a set, page (`skip`/`offset` with a limit) or
/// use a bulk method.
fn batched(r: &Reader<'_>, chain: &Chain<'_>) -> bool {
    let pages = chain.has(&["skip", "offset"]) && chain.has(&["limit", "take"]);
    pages
        || chain.has(&["whereIn", "whereNotIn"])
        || chain.methods().any(|m| BULK.contains(&m))
        || chain.links.iter().any(|l| {
            r.arguments(l.call).into_iter().any(|a| {
                tests_set(r, a)
                    || a.kind_name() == "object"
                        && entry(r, a, "skip").is_some()
                        && (entry(r, a, "take").is_some() || entry(r, a, "limit").is_some())
                    || a.kind_name() == "object"
                        && entry(r, a, "offset").is_some()
                        && entry(r, a, "limit").is_some()
            })
        })
}
