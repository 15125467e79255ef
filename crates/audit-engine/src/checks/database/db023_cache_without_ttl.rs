//! DB023: cache writes that never expire: Redis `SET` without `EX`/`PX`/`KEEPTTL` (and no
//! `expire` of the same key in the same function), `HSET`/`HMSET`/`MSET` on a cache-named
//! client or key with no `expire` in the function, Django's `cache.set(..., timeout=None)`.

use audit_model::queries::{Client, Query};

use crate::checks::{Check, CodeContext, Emit, excerpt};

pub const CHECK: Check = Check::Code {
    anchors: &["redis", "Redis", "cache"],
    run: check,
};

const EXPIRES: &[&str] = &["expire", "pexpire", "expireat", "pexpireat"];

fn check(ctx: &CodeContext<'_>, out: &mut Emit<'_>) {
    let text = ctx.source.text.as_str();
    let queries = &ctx.queries().queries;
    for query in queries {
        if query.expires != Some(false) {
            continue;
        }
        let cache_named = query.receiver.to_ascii_lowercase().contains("cache")
            || query
                .key
                .as_deref()
                .is_some_and(|k| k.to_ascii_lowercase().contains("cache"));
        let reported = match query.client {
            Client::DjangoCache => true,
            Client::Redis if query.method == "set" => !expired_later(queries, query, true),
            Client::Redis => cache_named && !expired_later(queries, query, false),
            _ => false,
        };
        if reported {
            let call = excerpt(&text[query.span.start..query.span.end]);
            let fix = match query.client {
                Client::DjangoCache => "pass a timeout in seconds instead of `None`",
                _ if query.method == "set" => {
                    "set an expiry with the write (`SET key value EX seconds`: `{ EX: 3600 }` in node-redis, `'EX', 3600` in ioredis, `ex=3600` in redis-py) or use `setex`"
                }
                _ => {
                    "follow the write with `expire(key, seconds)` (in a `multi()` to keep them together)"
                }
            };
            out.report(ctx.source, query.span, &[("call", &call), ("fix", fix)]);
        }
    }
}

/// Whether the function of `write` also sets an expiry on its key (or, for a key the
/// file cannot compare, on any key when `same_key` is false).
fn expired_later(queries: &[Query], write: &Query, same_key: bool) -> bool {
    queries.iter().any(|q| {
        q.function == write.function
            && EXPIRES.contains(&q.method.as_str())
            && (!same_key || q.key == write.key)
    })
}
