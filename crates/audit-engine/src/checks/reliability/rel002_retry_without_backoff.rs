//! REL002: retries that hammer a failing service. A retry loop is a `while` loop, a
//! `for ... in range(n)` or a counting JS `for` around a `try` whose body sends an HTTP
//! request or a database call and leaves the loop on success (`return`, `break`), and
//! whose handler goes round again; it is reported when nothing in the loop waits, or every
//! wait is a constant (`time.sleep(1)`, `setTimeout(r, 1000)`, `sleep(RETRY_DELAY)` with a
//! literal `RETRY_DELAY`). Retry libraries are reported where configured without backoff:
//! tenacity without `wait` or with `wait_fixed`/`wait_none`, backoff's `backoff.constant`,
//! urllib3's `Retry` without `backoff_factor`, requests' `HTTPAdapter(max_retries=3)`,
//! axios-retry without `retryDelay` or with a constant one, p-retry and async-retry with
//! `factor: 1`.

use audit_core::Span;
use audit_model::code::Call;
use audit_syntax::tree_sitter::Node;

use super::{Key, http_call, object_key, span};
use crate::checks::excerpt;
use crate::checks::security::{arguments, elements, positional_arguments, text_of};
use crate::checks::{Check, CodeContext, Emit};
use audit_model::code::nodes::{Fields, KindName};

pub const CHECK: Check = Check::Code {
    anchors: &["try", "tenacity", "backoff", "Retry", "max_retries"],
    run: check,
};

/// Modules whose calls reach a database (or a cache or broker over the network).
const DATABASE_MODULES: &[&str] = &[
    "psycopg2",
    "psycopg",
    "pymysql",
    "MySQLdb",
    "mysql",
    "sqlite3",
    "asyncpg",
    "aiomysql",
    "aiopg",
    "pymongo",
    "motor",
    "redis",
    "sqlalchemy",
    "pg",
    "mysql2",
    "mongoose",
    "mongodb",
    "ioredis",
    "knex",
    "sequelize",
    "typeorm",
    "@prisma/client",
];

/// Methods that run a query or open a connection, on whatever object the file holds.
const DATABASE_METHODS: &[&str] = &[
    "execute",
    "executemany",
    "query",
    "fetchrow",
    "fetchval",
    "connect",
    "authenticate",
    "$connect",
    "$queryRaw",
    "$executeRaw",
];

const FIX_LOOP: &str = "wait between attempts with exponential backoff and jitter (`base * 2 ** attempt` plus a random part), capped";

fn check(ctx: &CodeContext<'_>, out: &mut Emit<'_>) {
    retry_loops(ctx, out);
    if ctx.grammar.is_javascript_family() {
        javascript_libraries(ctx, out);
    } else {
        python_libraries(ctx, out);
    }
}

fn report(ctx: &CodeContext<'_>, out: &mut Emit<'_>, at: Span, what: &str, fix: &str) {
    out.report(ctx.source, at, &[("what", what), ("fix", fix)]);
}

/// Retry loops are found from the file's `try` keywords, on the tree alone; the code
/// model is built only for a file with a `try` of the retry shape, to find the call in it.
fn retry_loops(ctx: &CodeContext<'_>, out: &mut Emit<'_>) {
    let text = ctx.source.text.as_str();
    let root = ctx.tree.root_node();
    let mut reported: Vec<usize> = Vec::new();
    for (at, _) in text.match_indices("try") {
        // The smallest named node over the keyword is the statement it begins (one
        // descent from the root; asking the keyword for its parent would be a second).
        let Some(attempt) = root
            .named_descendant_for_byte_range(at, at + 3)
            .filter(|n| n.start_byte() == at && n.kind_name() == "try_statement")
        else {
            continue;
        };
        let (Some(retry), Some(body)) = (retry_loop(ctx, attempt), attempt.field("body")) else {
            continue;
        };
        if reported.contains(&retry.start_byte()) {
            continue;
        }
        let semantics = ctx.semantics();
        let function = semantics.enclosing_function_index(attempt.start_byte());
        let Some(call) = semantics.calls_in(span(body)).iter().find(|c| {
            semantics.enclosing_function_index(c.span.start) == function && outgoing(ctx, c)
        }) else {
            continue;
        };
        reported.push(retry.start_byte());
        // The loop's first line without a trailing comment.
        let header = text_of(text, retry).lines().next().unwrap_or("");
        let header = header.split(" #").next().unwrap_or(header);
        let loop_header = excerpt(header.split(" //").next().unwrap_or(header).trim_end());
        let callee = excerpt(&text[call.callee.start..call.callee.end]);
        match delay(ctx, retry) {
            Delay::Varying => {}
            Delay::None => report(
                ctx,
                out,
                call.callee,
                &format!("`{loop_header}` retries `{callee}` with no delay between attempts"),
                FIX_LOOP,
            ),
            Delay::Constant(wait) => {
                let wait_text = excerpt(&text[wait.start..wait.end]);
                report(
                    ctx,
                    out,
                    wait,
                    &format!(
                        "`{loop_header}` retries `{callee}` after the same `{wait_text}` every time"
                    ),
                    FIX_LOOP,
                )
            }
        }
    }
}

/// An HTTP request or a database call.
fn outgoing(ctx: &CodeContext<'_>, call: &Call) -> bool {
    if http_call(ctx, call).is_some_and(|h| !h.constructor) {
        return true;
    }
    let text = ctx.source.text.as_str();
    let callee = &text[call.callee.start..call.callee.end];
    let method = callee.rsplit('.').next().unwrap_or(callee);
    let module = call
        .qualified_name
        .as_deref()
        .map(|q| q.split('.').next().unwrap_or(q));
    module.is_some_and(|m| DATABASE_MODULES.contains(&m))
        || (callee.contains('.') && DATABASE_METHODS.contains(&method))
}

/// The loop `attempt` retries: the innermost loop around the `try`, in the same function,
/// when the loop counts attempts rather than walking a collection, the `try` leaves the
/// loop on success and a handler lets it go round again.
fn retry_loop<'t>(ctx: &CodeContext<'t>, attempt: Node<'t>) -> Option<Node<'t>> {
    let mut parent = ctx.parent(attempt)?;
    loop {
        match parent.kind_name() {
            "for_statement" | "while_statement" | "do_statement" | "for_in_statement" => {
                return (counts_attempts(ctx, parent)
                    && leaves_on_success(&ctx.source.text, attempt)
                    && handler_goes_round(&ctx.source.text, attempt))
                .then_some(parent);
            }
            "function_definition"
            | "lambda"
            | "class_definition"
            | "function_declaration"
            | "function_expression"
            | "arrow_function"
            | "method_definition"
            | "generator_function"
            | "generator_function_declaration"
            | "class_body" => return None,
            _ => {}
        }
        parent = ctx.parent(parent)?;
    }
}

/// A `while`/`do` loop, `for ... in range(n)` (not `range(len(xs))`), or a JS `for (;;)`
/// whose condition is not a collection's length: loops that repeat an attempt.
fn counts_attempts(ctx: &CodeContext<'_>, retry: Node<'_>) -> bool {
    let text = ctx.source.text.as_str();
    match retry.kind_name() {
        "while_statement" | "do_statement" => true,
        "for_in_statement" => false,
        _ if ctx.grammar.is_javascript_family() => !retry
            .field("condition")
            .is_some_and(|c| text_of(text, c).contains(".length")),
        _ => retry.field("right").is_some_and(|iterable| {
            iterable.kind_name() == "call"
                && iterable
                    .field("function")
                    .is_some_and(|f| text_of(text, f) == "range")
                && !text_of(text, iterable).contains("len(")
                // `range(2)`: one retry, with nothing to back off from.
                && !matches!(
                    arguments(ctx, iterable.field("arguments").map(span))
                        .as_slice(),
                    [only] if text_of(text, *only).parse::<u32>().is_ok_and(|n| n <= 2)
                )
        }),
    }
}

/// The `try` body (or Python's `else:`) returns or breaks out of the loop as soon as the
/// call succeeds: a `return`/`break` among its own statements, or directly under an `if`
/// that tests the response's status (`if r.ok:`, `if (res.status === 200)`). A loop that leaves
/// only when the answer's content says so (`if job["state"] == "done": return`) is
/// polling, and a fixed interval is right for it.
fn leaves_on_success(text: &str, attempt: Node<'_>) -> bool {
    let body = attempt.field("body");
    let mut cursor = attempt.walk();
    let blocks: Vec<Node<'_>> = attempt
        .named_children(&mut cursor)
        .filter(|p| body.is_some_and(|b| b.id() == p.id()) || p.kind_name() == "else_clause")
        .flat_map(|p| match p.kind_name() {
            "else_clause" => elements(p)
                .into_iter()
                .filter(|b| b.kind_name() == "block")
                .collect(),
            _ => vec![p],
        })
        .collect();
    blocks
        .into_iter()
        .flat_map(elements)
        .any(|statement| match statement.kind_name() {
            "return_statement" | "break_statement" => true,
            "if_statement" => {
                statement.field("condition").is_some_and(|c| {
                    let condition = text_of(text, c);
                    condition.contains(".ok")
                        || condition.contains("status_code")
                        || condition.contains("statusCode")
                        || (condition.contains(".status")
                            && condition.bytes().any(|b| b.is_ascii_digit()))
                }) && statement.field("consequence").is_some_and(leaves_directly)
            }
            _ => false,
        })
}

/// A `return` or `break` that is the branch, or one of its own statements.
fn leaves_directly(branch: Node<'_>) -> bool {
    let statements = match branch.kind_name() {
        "block" | "statement_block" => elements(branch),
        _ => vec![branch],
    };
    statements
        .iter()
        .any(|s| matches!(s.kind_name(), "return_statement" | "break_statement"))
}

/// A handler (`except`, `catch`) that does not end by leaving: it goes round again.
fn handler_goes_round(text: &str, attempt: Node<'_>) -> bool {
    let mut cursor = attempt.walk();
    let handlers: Vec<Node<'_>> = attempt
        .named_children(&mut cursor)
        .filter(|c| {
            matches!(
                c.kind_name(),
                "except_clause" | "except_group_clause" | "catch_clause"
            )
        })
        .collect();
    handlers.into_iter().any(|handler| {
        // An optimistic-concurrency conflict is retried at once by design: the other
        // writer finished, the service is fine.
        let caught = elements(handler)
            .into_iter()
            .filter(|c| c.kind_name() != "block")
            .map(|c| text_of(text, c))
            .collect::<Vec<_>>()
            .join(" ");
        if ["WatchError", "Conflict", "StaleData", "Serializ"]
            .iter()
            .any(|name| caught.contains(name))
        {
            return false;
        }
        let block = match handler.field("body") {
            Some(body) => Some(body),
            None => elements(handler)
                .into_iter()
                .rev()
                .find(|c| c.kind_name() == "block"),
        };
        let last = block.and_then(|b| elements(b).into_iter().last());
        !last.is_some_and(|s| {
            matches!(
                s.kind_name(),
                "raise_statement" | "throw_statement" | "return_statement" | "break_statement"
            )
        })
    })
}

enum Delay {
    None,
    /// Every wait in the loop is this constant one (the first).
    Constant(Span),
    Varying,
}

/// The waits in the loop: calls of sleep functions (`time.sleep`, `asyncio.sleep`,
/// `setTimeout`, a helper called `sleep`/`delay`/`backoff`/`wait`).
fn delay(ctx: &CodeContext<'_>, retry: Node<'_>) -> Delay {
    let range = span(retry);
    let mut found = Delay::None;
    for call in ctx.semantics().calls_in(range) {
        let Some(argument) = wait_argument(ctx, call) else {
            continue;
        };
        if !constant(ctx, argument, range) {
            return Delay::Varying;
        }
        if matches!(found, Delay::None) {
            found = Delay::Constant(call.span);
        }
    }
    found
}

/// For a call that waits, the argument that says how long (None in `setTimeout(resolve)`
/// is a wait of zero, so the call itself stands for it).
fn wait_argument<'t>(ctx: &'t CodeContext<'_>, call: &Call) -> Option<Option<Node<'t>>> {
    let text = ctx.source.text.as_str();
    let callee = &text[call.callee.start..call.callee.end];
    let name = callee
        .rsplit('.')
        .next()
        .unwrap_or(callee)
        .trim_start_matches('_');
    let index = match call.qualified_name.as_deref() {
        Some("setTimeout") => 1,
        Some(
            "time.sleep"
            | "asyncio.sleep"
            | "gevent.sleep"
            | "trio.sleep"
            | "anyio.sleep"
            | "eventlet.sleep"
            | "timers/promises.setTimeout",
        ) => 0,
        _ => {
            let lower = name.to_ascii_lowercase();
            if lower.contains("sleep")
                || lower.contains("delay")
                || lower.contains("backoff")
                || matches!(lower.as_str(), "wait" | "pause" | "settimeout")
            {
                usize::from(lower == "settimeout")
            } else {
                return None;
            }
        }
    };
    let args = positional_arguments(ctx, call.arguments);
    Some(args.get(index).copied())
}

/// Whether a wait is the same on every attempt: built from literals and from names and
/// attributes the loop does not assign (a parameter, a module constant, `self.delay`,
/// `settings.RETRY_DELAY`). A call (`random.uniform(...)`, `min(...)`) or the loop's own
/// variables make it vary.
fn constant(ctx: &CodeContext<'_>, argument: Option<Node<'_>>, retry: Span) -> bool {
    let Some(argument) = argument else {
        return true;
    };
    let text = ctx.source.text.as_str();
    match argument.kind_name() {
        "number" | "integer" | "float" => true,
        "identifier" => {
            let name = text_of(text, argument);
            !ctx.semantics()
                .bindings()
                .iter()
                .any(|b| b.name == name && b.span.start >= retry.start && b.span.end <= retry.end)
        }
        "attribute" | "member_expression" => {
            let chain = text_of(text, argument);
            let body = &text[retry.start..retry.end];
            !["=", "+=", "*=", "-="].iter().any(|op| {
                body.match_indices(chain).any(|(at, _)| {
                    body[at + chain.len()..].trim_start().starts_with(op)
                        && !body[at + chain.len()..].trim_start().starts_with("==")
                })
            })
        }
        "parenthesized_expression" => elements(argument)
            .first()
            .is_some_and(|inner| constant(ctx, Some(*inner), retry)),
        "binary_expression" | "binary_operator" => {
            let side = |field| argument.field(field);
            side("left").is_some_and(|l| constant(ctx, Some(l), retry))
                && side("right").is_some_and(|r| constant(ctx, Some(r), retry))
        }
        _ => false,
    }
}

const TENACITY_WAITS: &[&str] = &["tenacity.wait_fixed", "tenacity.wait.wait_fixed"];
const TENACITY_NONE: &[&str] = &["tenacity.wait_none", "tenacity.wait.wait_none"];

fn python_libraries(ctx: &CodeContext<'_>, out: &mut Emit<'_>) {
    let text = ctx.source.text.as_str();
    if !["tenacity", "backoff", "Retry", "max_retries"]
        .iter()
        .any(|word| text.contains(word))
    {
        return;
    }
    let semantics = ctx.semantics();
    // A bare `@retry` of tenacity: no wait at all.
    for function in semantics.functions() {
        for decorator in &function.decorators {
            if decorator.arguments.is_none()
                && decorator.qualified_name.as_deref() == Some("tenacity.retry")
                && !probes_readiness(ctx, function.body)
            {
                report(
                    ctx,
                    out,
                    decorator.span,
                    "tenacity's `@retry` retries with no wait between attempts",
                    "pass `wait=wait_random_exponential(multiplier=1, max=60)` and a `stop=`",
                );
            }
        }
    }
    for call in semantics.calls() {
        let Some(function) = call.qualified_name.as_deref() else {
            continue;
        };
        let splat = || {
            arguments(ctx, call.arguments)
                .iter()
                .any(|a| a.kind_name() == "dictionary_splat")
        };
        let name = excerpt(&text[call.callee.start..call.callee.end]);
        match function {
            "tenacity.retry" | "tenacity.Retrying" | "tenacity.AsyncRetrying" => {
                let decorates_a_probe = || {
                    semantics.functions().iter().any(|f| {
                        f.decorators
                            .iter()
                            .any(|d| d.span.start <= call.span.start && call.span.end <= d.span.end)
                            && probes_readiness(ctx, f.body)
                    })
                };
                if splat() || decorates_a_probe() {
                    continue;
                }
                match call.keyword("wait") {
                    None => report(
                        ctx,
                        out,
                        call.callee,
                        &format!("tenacity's `{name}` retries with no wait between attempts"),
                        "pass `wait=wait_random_exponential(multiplier=1, max=60)`",
                    ),
                    Some(wait) => {
                        let waits = semantics
                            .call(wait.value)
                            .and_then(|w| w.qualified_name.as_deref());
                        let what = match waits {
                            Some(w) if TENACITY_WAITS.contains(&w) => {
                                "the same wait before every attempt"
                            }
                            Some(w) if TENACITY_NONE.contains(&w) => "no wait between attempts",
                            _ => continue,
                        };
                        report(
                            ctx,
                            out,
                            wait.span,
                            &format!("tenacity's `{name}` retries with {what}"),
                            "use `wait_random_exponential(multiplier=1, max=60)` (or add `wait_random` jitter to an exponential wait)",
                        );
                    }
                }
            }
            "backoff.on_exception" | "backoff.on_predicate" => {
                let first = arguments(ctx, call.arguments).into_iter().next();
                let generator = call
                    .keyword("wait_gen")
                    .and_then(|k| ctx.node_at(k.value))
                    .or(first.filter(|a| a.kind_name() != "keyword_argument"));
                if let Some(generator) = generator
                    && semantics.qualified_name(generator, text).as_deref()
                        == Some("backoff.constant")
                {
                    report(
                        ctx,
                        out,
                        span(generator),
                        &format!(
                            "`{name}` retries after the same `backoff.constant` interval every time"
                        ),
                        "use `backoff.expo` (its default full jitter spreads the retries)",
                    );
                }
            }
            "urllib3.Retry"
            | "urllib3.util.Retry"
            | "urllib3.util.retry.Retry"
            | "requests.adapters.Retry"
            | "requests.packages.urllib3.util.retry.Retry"
            | "requests.packages.urllib3.Retry" => {
                if splat() || disabled_retry(ctx, call) {
                    continue;
                }
                match call.keyword("backoff_factor") {
                    None => report(
                        ctx,
                        out,
                        call.callee,
                        &format!(
                            "`{name}` retries with no `backoff_factor`, so with no delay between attempts"
                        ),
                        "pass `backoff_factor=0.5` (or more) so urllib3 waits exponentially longer between attempts",
                    ),
                    Some(factor)
                        if matches!(&text[factor.value.start..factor.value.end], "0" | "0.0") =>
                    {
                        report(
                            ctx,
                            out,
                            factor.span,
                            &format!(
                                "`{name}` retries with `backoff_factor=0`, so with no delay between attempts"
                            ),
                            "pass `backoff_factor=0.5` (or more) so urllib3 waits exponentially longer between attempts",
                        )
                    }
                    Some(_) => {}
                }
            }
            "requests.adapters.HTTPAdapter" | "requests.HTTPAdapter" => {
                if let Some(retries) = call.keyword("max_retries")
                    && text[retries.value.start..retries.value.end]
                        .parse::<u32>()
                        .is_ok_and(|n| n > 1)
                {
                    report(
                        ctx,
                        out,
                        retries.span,
                        &format!(
                            "`{name}` retries failed connections with no delay between attempts"
                        ),
                        "pass `max_retries=Retry(total=3, backoff_factor=0.5)` instead of a number",
                    );
                }
            }
            _ => {}
        }
    }
}

/// Whether the code in `body` probes whether a service is up and nothing else it calls
/// goes out but to connect: `session.exec(select(1))`, `cursor.execute("SELECT 1")`,
/// `redis.ping()`. A retry of such a probe is a readiness wait at start-up, polling on
/// purpose.
fn probes_readiness(ctx: &CodeContext<'_>, body: Span) -> bool {
    let text = ctx.source.text.as_str();
    let mut probes = false;
    for call in ctx.semantics().calls_in(body) {
        let callee = &text[call.callee.start..call.callee.end];
        let arguments = call.arguments.map_or("", |a| &text[a.start..a.end]);
        if callee.ends_with("ping")
            || is_probe(&text[call.span.start..call.span.end])
            || is_probe(arguments.trim_start_matches('(').trim_end_matches(')'))
        {
            probes = true;
        } else if outgoing(ctx, call)
            && !CONNECTING.contains(&callee.rsplit('.').next().unwrap_or(""))
        {
            return false;
        }
    }
    probes
}

/// What a probe does besides asking: open the connection it asks on, and close it.
const CONNECTING: &[&str] = &["connect", "cursor", "close"];

/// `"SELECT 1"`, `select(1)`, `text("SELECT 1")`: a query that only asks whether the
/// database answers.
fn is_probe(expression: &str) -> bool {
    let expression = expression.trim();
    if expression
        .trim_matches(|c| c == '"' || c == '\'')
        .eq_ignore_ascii_case("SELECT 1")
    {
        return true;
    }
    match (expression.find('('), expression.strip_suffix(')')) {
        (Some(open), Some(call)) => {
            let (callee, arguments) = (&call[..open], &call[open + 1..]);
            callee.rsplit('.').next() == Some("select") && arguments.trim() == "1"
                || is_probe(arguments)
        }
        _ => false,
    }
}

/// `Retry(0)`, `Retry(total=1)`, `Retry(False)`: retries turned off, or a single one with
/// nothing to back off from.
fn disabled_retry(ctx: &CodeContext<'_>, call: &Call) -> bool {
    let text = ctx.source.text.as_str();
    let total = call
        .keyword("total")
        .map(|k| &text[k.value.start..k.value.end])
        .or_else(|| {
            arguments(ctx, call.arguments)
                .first()
                .filter(|a| a.kind_name() != "keyword_argument")
                .map(|a| text_of(text, *a))
        });
    matches!(total, Some("0" | "1" | "False"))
}

fn javascript_libraries(ctx: &CodeContext<'_>, out: &mut Emit<'_>) {
    let text = ctx.source.text.as_str();
    if !["axios-retry", "p-retry", "async-retry"]
        .iter()
        .any(|m| text.contains(m))
    {
        return;
    }
    for call in ctx.semantics().calls() {
        let library = match call.qualified_name.as_deref() {
            Some("axios-retry" | "axios-retry.default") => "axios-retry",
            Some("p-retry" | "p-retry.default") => "p-retry",
            Some("async-retry") => "async-retry",
            _ => continue,
        };
        let args = arguments(ctx, call.arguments);
        let name = excerpt(&text[call.callee.start..call.callee.end]);
        if library == "axios-retry" {
            match args.get(1).map(|o| object_key(ctx, *o, &["retryDelay"])) {
                None | Some(Key::Missing) => report(
                    ctx,
                    out,
                    call.callee,
                    &format!(
                        "`{name}` (axios-retry) retries with no `retryDelay`, so with no delay between attempts"
                    ),
                    "pass `retryDelay: axiosRetry.exponentialDelay`",
                ),
                Some(Key::Set { pair, value }) if constant_function(value) => report(
                    ctx,
                    out,
                    span(pair),
                    &format!("`{name}` (axios-retry) waits the same delay before every attempt"),
                    "pass `retryDelay: axiosRetry.exponentialDelay`",
                ),
                Some(_) => {}
            }
        } else if let Some(Key::Set { pair, value }) =
            args.get(1).map(|o| object_key(ctx, *o, &["factor"]))
            && text_of(text, value) == "1"
        {
            report(
                ctx,
                out,
                span(pair),
                &format!(
                    "`{name}` ({library}) retries with `factor: 1`, the same delay every time"
                ),
                "leave `factor` at its default of 2 and turn on `randomize: true` for jitter",
            );
        }
    }
}

/// `() => 1000`, `function () { return 1000; }`: a delay that ignores the attempt.
fn constant_function(value: Node<'_>) -> bool {
    let body = match value.kind_name() {
        "arrow_function" | "function_expression" | "function" => value.field("body"),
        _ => return false,
    };
    let Some(body) = body else {
        return false;
    };
    match body.kind_name() {
        "number" => true,
        "statement_block" => {
            let statements = elements(body);
            statements.len() == 1
                && statements[0].kind_name() == "return_statement"
                && elements(statements[0])
                    .first()
                    .is_some_and(|v| v.kind_name() == "number")
        }
        _ => false,
    }
}
