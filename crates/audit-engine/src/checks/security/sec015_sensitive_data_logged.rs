//! SEC015: secrets and whole request containers written to logs. A logging call
//! (`console.*`, a winston/pino/bunyan/NestJS logger's level methods, Python `logging`, a
//! `logger`'s methods, `print`) whose arguments hold, directly or inside a template,
//! f-string, concatenation, `%`/`.format()` arguments, object or `JSON.stringify`, a value
//! named like a password, token, secret, key, Authorization header or card number (SEC006's
//! secret-like names), a header or environment variable read by such a name
//! (`req.get("authorization")`, `os.getenv("DB_PASSWORD")`), or a whole request body,
//! header set or cookie jar (the data-flow model's request input: `req.body`,
//! `request.headers`, `request.data`, and what is assigned from them). Lengths, booleans,
//! comparisons, masked or hashed values, message literals and key names are left alone.
//! The `debug` package's loggers (`const debug = require("debug")("app")`) and loggers a
//! logging library makes under any name (`const audit = pino()`, `winston.createLogger`,
//! `logging.getLogger`, their `.child()`/`.bind()`) log too; a
//! value a pino logger of the file redacts (`pino({ redact: ["password"] })`, at its path
//! in the logged object) is no finding.

use audit_core::Confidence;
use audit_model::taint::DataFlow;
use audit_syntax::tree_sitter::Node;

use super::sec006_hardcoded_secret::is_secret_name;
use super::{elements, string_content, text_of, words};
use crate::checks::reliability::{browser_code, span};
use crate::checks::{Check, CodeContext, Emit, excerpt};
use audit_model::code::nodes::{Fields, KindName};

pub const CHECK: Check = Check::Code {
    anchors: &[
        "console.", "log", "print(", "Logger", "LOGGER", "debug", "pino",
    ],
    run: check,
};

/// Level methods of loggers (winston, pino, bunyan, NestJS, log4js, `logging`, loguru).
const LEVELS: &[&str] = &[
    "log",
    "info",
    "warn",
    "warning",
    "error",
    "debug",
    "trace",
    "fatal",
    "verbose",
    "silly",
    "critical",
    "exception",
    "notice",
    "dir",
];

/// Calls whose result shows their argument as it is.
const SHOWING: &[&str] = &[
    "JSON.stringify",
    "String",
    "util.inspect",
    "util.format",
    "str",
    "repr",
    "json.dumps",
    "pprint.pformat",
    "dict",
];

/// Words that make a secret-named value harmless to log: a digest or a masked copy.
const MASKED: &[&str] = &[
    "hash",
    "hashed",
    "digest",
    "masked",
    "redacted",
    "encrypted",
    "obfuscated",
    "last4",
    "hint",
];

fn check(ctx: &CodeContext<'_>, out: &mut Emit<'_>) {
    if browser_code(ctx) || operator_output(&ctx.source.path) {
        return;
    }
    let text = ctx.source.text.as_str();
    let mut flow: Option<DataFlow<'_>> = None;
    for call in ctx.semantics().calls() {
        let Some(callee) = ctx.node_at(call.callee) else {
            continue;
        };
        if !logging_call(ctx, call.qualified_name.as_deref(), callee) {
            continue;
        }
        let Some(arguments) = call.arguments.and_then(|a| ctx.node_at(a)) else {
            continue;
        };
        let flow = flow.get_or_insert_with(|| ctx.data_flow());
        let mut finder = Finder {
            ctx,
            flow,
            found: None,
            redacted: redacted_paths(ctx, callee),
            path: None,
        };
        for (at, argument) in elements(arguments).into_iter().enumerate() {
            // pino redacts paths in the object logged first, not in the message's values.
            finder.path = (at == 0 && !finder.redacted.is_empty()).then(Vec::new);
            finder.visit(argument);
            if finder.found.is_some() {
                break;
            }
        }
        if let Some(found) = finder.found {
            let logger = excerpt(text_of(text, callee));
            let expression = excerpt(text_of(text, found.node));
            let location = ctx.source.locate(span(found.node));
            match found.proven {
                Some(steps) => {
                    let steps =
                        ctx.flow_steps(&steps, span(found.node), format!("logged by `{logger}`"));
                    out.report_flow(
                        location,
                        &[
                            ("expr", &expression),
                            ("what", found.what),
                            ("logger", &logger),
                        ],
                        Some(Confidence::High),
                        steps,
                    );
                }
                None => out.report_at(
                    location,
                    &[
                        ("expr", &expression),
                        ("what", found.what),
                        ("logger", &logger),
                    ],
                ),
            }
        }
    }
}

/// Management commands, scripts and command-line tools print to the operator who ran
/// them, not to a log others read.
fn operator_output(path: &str) -> bool {
    path.split('/')
        .rev()
        .skip(1)
        .any(|folder| matches!(folder, "commands" | "scripts" | "bin" | "cli" | "tools"))
}

/// `console.log`, `logger.info`, `this.logger.warn`, `fastify.log.error`,
/// `logging.warning`, `self.log.debug`, `print`.
fn logging_call(ctx: &CodeContext<'_>, qualified: Option<&str>, callee: Node<'_>) -> bool {
    let text = ctx.source.text.as_str();
    let javascript = ctx.grammar.is_javascript_family();
    if let Some(qualified) = qualified {
        if let Some(method) = qualified.strip_prefix("console.") {
            return javascript && LEVELS.contains(&method);
        }
        if let Some(method) = qualified.strip_prefix("logging.") {
            return !javascript && LEVELS.contains(&method);
        }
        if qualified == "print" {
            return !javascript;
        }
    }
    let (object, property) = match callee.kind_name() {
        "member_expression" => (callee.field("object"), callee.field("property")),
        "attribute" => (callee.field("object"), callee.field("attribute")),
        "identifier" => return javascript && debug_logger(ctx, callee),
        _ => return false,
    };
    let (Some(object), Some(property)) = (object, property) else {
        return false;
    };
    if !LEVELS.contains(&text_of(text, property)) {
        return false;
    }
    let receiver = text_of(text, object);
    let last = receiver
        .rsplit('.')
        .next()
        .unwrap_or(receiver)
        .to_ascii_lowercase();
    let last = last.trim_start_matches('_');
    matches!(
        last,
        "log" | "logger" | "winston" | "pino" | "bunyan" | "logging"
    ) || last.ends_with("logger")
        || library_logger(ctx, object, 0)
}

/// Calls that make a logger, whatever the name it is bound to (`const audit = pino()`,
/// `const l = winston.createLogger(...)`, `log = logging.getLogger(...)`).
const LOGGER_FACTORIES: &[&str] = &[
    "pino",
    "pino.default",
    "pino.pino",
    "winston.createLogger",
    "winston.default.createLogger",
    "bunyan.createLogger",
    "bunyan.default.createLogger",
    "log4js.getLogger",
    "loglevel.getLogger",
    "signale.Signale",
    "@nestjs/common.Logger",
    "logging.getLogger",
    "structlog.get_logger",
    "structlog.getLogger",
    "loguru.logger.bind",
];

/// Whether `receiver` names a logger a logging library made: a name bound to a factory's
/// call, or to `.child(...)`/`.bind(...)` of such a logger.
fn library_logger(ctx: &CodeContext<'_>, receiver: Node<'_>, depth: usize) -> bool {
    if receiver.kind_name() != "identifier" || depth > 4 {
        return false;
    }
    let text = ctx.source.text.as_str();
    let semantics = ctx.semantics();
    let Some(call) = semantics
        .binding_at(text_of(text, receiver), receiver.start_byte())
        .and_then(|b| b.value)
        .and_then(|value| semantics.call(value))
    else {
        return false;
    };
    if call
        .qualified_name
        .as_deref()
        .is_some_and(|q| LOGGER_FACTORIES.contains(&q))
    {
        return true;
    }
    // `const audit = base.child({ module: "audit" })`.
    ctx.node_at(call.callee)
        .filter(|c| matches!(c.kind_name(), "member_expression" | "attribute"))
        .filter(|c| {
            c.field("property")
                .or_else(|| c.field("attribute"))
                .is_some_and(|p| matches!(text_of(text, p), "child" | "bind"))
        })
        .and_then(|c| c.field("object"))
        .is_some_and(|parent| library_logger(ctx, parent, depth + 1))
}

/// The module's calls that make a `debug` logger: `require("debug")("app")`,
/// `createDebug("app")` of `import createDebug from "debug"`.
const DEBUG_FACTORIES: &[&str] = &["debug", "debug.default", "debug.debug"];

/// `debug("user %o", req.body)` of `const debug = require("debug")("app")`.
fn debug_logger(ctx: &CodeContext<'_>, callee: Node<'_>) -> bool {
    let text = ctx.source.text.as_str();
    let semantics = ctx.semantics();
    semantics
        .binding_at(text_of(text, callee), callee.start_byte())
        .and_then(|b| b.value)
        .and_then(|value| semantics.call(value))
        .and_then(|c| c.qualified_name.as_deref())
        .is_some_and(|q| DEBUG_FACTORIES.contains(&q))
}

/// Calls that make a pino logger from options (pino-http's logger is pino's).
const PINO_FACTORIES: &[&str] = &[
    "pino",
    "pino.default",
    "pino.pino",
    "pino-http",
    "pino-http.default",
    "pino-http.pinoHttp",
];

/// The paths a pino logger of the file redacts, each split into keys (`*` any key):
/// `logger.info(...)` of `const logger = pino({ redact: ["req.headers.authorization"] })`,
/// also through `logger.child(...)` and an options object bound to a name.
fn redacted_paths(ctx: &CodeContext<'_>, callee: Node<'_>) -> Vec<Vec<String>> {
    let text = ctx.source.text.as_str();
    let semantics = ctx.semantics();
    let mut receiver = callee.field("object");
    for _ in 0..4 {
        let Some(node) = receiver.filter(|r| r.kind_name() == "identifier") else {
            return Vec::new();
        };
        let Some(call) = semantics
            .binding_at(text_of(text, node), node.start_byte())
            .and_then(|b| b.value)
            .and_then(|value| ctx.node_at(value))
            .filter(|v| v.kind_name() == "call_expression")
        else {
            return Vec::new();
        };
        let function = call.field("function");
        // `const log = logger.child({ module: "auth" })`: the parent's redaction holds.
        if let Some(parent) = function
            .filter(|f| f.kind_name() == "member_expression")
            .filter(|f| {
                f.field("property")
                    .is_some_and(|p| text_of(text, p) == "child")
            })
        {
            receiver = parent.field("object");
            continue;
        }
        let pino = semantics
            .call(span(call))
            .and_then(|c| c.qualified_name.as_deref())
            .is_some_and(|q| PINO_FACTORIES.contains(&q));
        if !pino {
            return Vec::new();
        }
        let mut options = call
            .field("arguments")
            .and_then(|a| elements(a).first().copied());
        if let Some(name) = options.filter(|o| o.kind_name() == "identifier") {
            options = semantics
                .binding_at(text_of(text, name), name.start_byte())
                .and_then(|b| b.value)
                .and_then(|value| ctx.node_at(value));
        }
        let Some(redact) = options.and_then(|o| property(text, o, "redact")) else {
            return Vec::new();
        };
        // `redact: { paths: [...], censor: "***" }`.
        let paths = property(text, redact, "paths").unwrap_or(redact);
        if paths.kind_name() != "array" {
            return Vec::new();
        }
        return elements(paths)
            .into_iter()
            .filter_map(|p| string_content(text, p))
            .map(pino_path)
            .collect();
    }
    Vec::new()
}

/// The value of `key` in an object literal.
fn property<'t>(text: &str, object: Node<'t>, key: &str) -> Option<Node<'t>> {
    if object.kind_name() != "object" {
        return None;
    }
    elements(object).into_iter().find_map(|pair| {
        let name = pair.field("key")?;
        let name = string_content(text, name).unwrap_or_else(|| text_of(text, name));
        (pair.kind_name() == "pair" && name == key)
            .then(|| pair.field("value"))
            .flatten()
    })
}

/// A pino redaction path's keys: `req.headers["x-api-key"]` is `req`, `headers`,
/// `x-api-key`; `*.password` is `*`, `password`.
fn pino_path(path: &str) -> Vec<String> {
    path.split(['.', '['])
        .map(|key| key.trim_end_matches(']').trim_matches(['"', '\'', '`']))
        .filter(|key| !key.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Whether a redaction path covers the value logged at `path`: the path itself or an
/// object around it, or, for a whole container (`{ headers: req.headers }`), a key right
/// inside it (`headers.authorization`).
fn redacts(redacted: &[Vec<String>], path: &[String], container: bool) -> bool {
    redacted.iter().any(|keys| {
        let common = keys.len().min(path.len());
        let matching = keys[..common]
            .iter()
            .zip(&path[..common])
            .all(|(key, at)| key == "*" || key == at);
        matching && (keys.len() <= path.len() || container && keys.len() == path.len() + 1)
    })
}

/// What a logged expression holds that must not be logged.
struct Found<'t> {
    node: Node<'t>,
    what: &'static str,
    /// The request input it is, when the data-flow model shows it.
    proven: Option<audit_model::taint::Flow>,
}

struct Finder<'c, 'f, 't> {
    ctx: &'c CodeContext<'t>,
    flow: &'f DataFlow<'c>,
    found: Option<Found<'c>>,
    /// The logger's redaction paths (pino's `redact`).
    redacted: Vec<Vec<String>>,
    /// The keys from the logged object down to the visited value, while only object
    /// keys lie between them.
    path: Option<Vec<String>>,
}

impl<'c> Finder<'c, '_, '_> {
    fn text(&self) -> &'c str {
        self.ctx.source.text.as_str()
    }

    /// Keeps `found` unless the logger redacts it where it is logged.
    fn report(&mut self, found: Found<'c>, container: bool) {
        if let Some(path) = &self.path
            && redacts(&self.redacted, path, container)
        {
            return;
        }
        self.found = Some(found);
    }

    /// Visits `node` as the value of `key` of the logged object (or, without a key,
    /// inside something that is no object: the logged text, an array, a call).
    fn visit_at(&mut self, node: Node<'c>, key: Option<&str>) {
        let outer = self.path.clone();
        self.path = match (self.path.take(), key) {
            (Some(mut path), Some(key)) => {
                path.push(key.to_owned());
                Some(path)
            }
            _ => None,
        };
        self.visit(node);
        self.path = outer;
    }

    fn visit(&mut self, node: Node<'c>) {
        if self.found.is_some() {
            return;
        }
        let text = self.text();
        match node.kind_name() {
            "identifier" | "shorthand_property_identifier" => {
                let what =
                    sensitive_name(text_of(text, node)).filter(|_| !self.loop_variable(node));
                self.sensitive_or_request(node, what);
            }
            "member_expression" | "attribute" | "subscript_expression" | "subscript" => {
                let name = member_name(text, node).filter(|_| !record_identifier(text, node));
                self.sensitive_or_request(node, name.and_then(sensitive_name));
            }
            "call_expression" | "call" => self.call(node),
            "template_string"
            | "template_substitution"
            | "string"
            | "interpolation"
            | "concatenated_string"
            | "parenthesized_expression"
            | "array"
            | "list"
            | "tuple"
            | "spread_element"
            | "list_splat"
            | "dictionary_splat"
            | "await_expression"
            | "await"
            | "as_expression"
            | "non_null_expression"
            | "argument_list"
            | "arguments" => {
                for child in elements(node) {
                    self.visit_at(child, None);
                }
            }
            "binary_expression" | "binary_operator" => {
                let operator = node.field("operator").map(|o| text_of(text, o));
                if matches!(operator, Some("+" | "%")) {
                    for child in elements(node) {
                        self.visit_at(child, None);
                    }
                }
            }
            "object" | "dictionary" => {
                for pair in elements(node) {
                    match pair.kind_name() {
                        "pair" => {
                            let key = pair.field("key").map(|k| {
                                string_content(text, k).unwrap_or_else(|| text_of(text, k))
                            });
                            if let Some(value) = pair.field("value") {
                                self.visit_at(value, key);
                            }
                        }
                        // `{ password }`: the key is the name.
                        "shorthand_property_identifier" => {
                            self.visit_at(pair, Some(text_of(text, pair)));
                        }
                        _ => self.visit_at(pair, None),
                    }
                }
            }
            // structlog and friends: `log.info("login", password=password)`.
            "keyword_argument" => {
                let name = node.field("name").map(|n| text_of(text, n));
                let value = node.field("value");
                match (name.and_then(sensitive_name), value) {
                    (Some(what), Some(value)) if !literal(value) && !masked(text, value) => {
                        let found = Found {
                            node,
                            what,
                            proven: self.input(value),
                        };
                        self.report(found, false);
                    }
                    (_, Some(value)) => self.visit(value),
                    _ => {}
                }
            }
            _ => {}
        }
    }

    /// `JSON.stringify(x)`, `str(x)`, `"{}".format(x)`, `req.get("authorization")`,
    /// `os.getenv("DB_PASSWORD")`, `request.get_json()`.
    fn call(&mut self, node: Node<'c>) {
        let text = self.text();
        let semantics = self.ctx.semantics();
        let call = semantics.call(span(node));
        let qualified = call.and_then(|c| c.qualified_name.as_deref());
        let Some(callee) = node.field("function") else {
            return;
        };
        let arguments = node.field("arguments");
        if qualified.is_some_and(|q| SHOWING.contains(&q)) {
            if let Some(arguments) = arguments {
                self.visit_at(arguments, None);
            }
            return;
        }
        let method = match callee.kind_name() {
            "member_expression" => callee.field("property"),
            "attribute" => callee.field("attribute"),
            _ => None,
        }
        .map(|m| text_of(text, m));
        match method {
            Some("format") => {
                if let Some(arguments) = arguments {
                    self.visit_at(arguments, None);
                }
            }
            // A header or variable read by a secret's name.
            Some("get" | "header" | "getenv" | "getHeader") | None
                if qualified.is_none_or(|q| q.ends_with("get") || q.ends_with("getenv")) =>
            {
                let key = arguments
                    .and_then(|a| elements(a).first().copied())
                    .and_then(|k| string_content(text, k));
                self.sensitive_or_request(node, key.and_then(sensitive_name));
            }
            _ => self.request(node),
        }
    }

    /// A whole request container (`req.body`, `request.headers`, `body` assigned from
    /// `req.body`), by the data-flow model.
    /// Reports `node` as the sensitive value `what` names, else asks whether it is request
    /// input logged whole.
    fn sensitive_or_request(&mut self, node: Node<'c>, what: Option<&'static str>) {
        match what {
            Some(what) => {
                let found = Found {
                    node,
                    what,
                    proven: self.input(node),
                };
                self.report(found, false);
            }
            None => self.request(node),
        }
    }

    fn request(&mut self, node: Node<'c>) {
        if let Some((flow, container)) = self.flow.request_container(node) {
            let what = match container {
                "headers" | "header" | "META" => {
                    "every request header, the Authorization header and cookies among them"
                }
                "cookies" | "COOKIES" => "every request cookie, the session among them",
                "files" => "the uploaded files",
                _ => "the whole request body, passwords and tokens among its fields",
            };
            let found = Found {
                node,
                what,
                proven: Some(flow),
            };
            self.report(found, true);
        }
    }

    /// The request input `node` is, with its flow, when the data-flow model shows it.
    fn input(&self, node: Node<'_>) -> Option<audit_model::taint::Flow> {
        self.flow.request_input(node)
    }

    /// `for token in tokens`: a loop over tokens of a tokenizer or a stream, not a secret.
    fn loop_variable(&self, node: Node<'_>) -> bool {
        let text = self.text();
        self.ctx
            .semantics()
            .binding_at(text_of(text, node), node.start_byte())
            .is_some_and(|b| b.path.first() == Some(&audit_model::code::PathStep::Element))
    }
}

/// The name a member or subscript reads: `password` of `req.body.password`,
/// `authorization` of `req.headers["authorization"]`; `length` of `password.length`.
fn member_name<'t>(text: &'t str, node: Node<'_>) -> Option<&'t str> {
    match node.kind_name() {
        "member_expression" => node.field("property").map(|p| text_of(text, p)),
        "attribute" => node.field("attribute").map(|p| text_of(text, p)),
        "subscript_expression" => node.field("index").and_then(|i| string_content(text, i)),
        "subscript" => node
            .field("subscript")
            .and_then(|i| string_content(text, i)),
        _ => None,
    }
}

/// Objects that hold credentials: a bare `.token` read from one of these is one.
const CREDENTIAL_HOLDERS: &[&str] = &[
    "req",
    "request",
    "headers",
    "body",
    "auth",
    "session",
    "user",
    "credentials",
    "creds",
    "response",
    "resp",
    "res",
    "data",
    "payload",
    "params",
    "query",
    "form",
    "args",
    "ctx",
    "config",
    "settings",
    "options",
    "opts",
    "env",
    "environ",
    "oauth",
    "jwt",
    "account",
    "client",
    "login",
    "result",
    "cookies",
    "json",
    "this",
    "self",
    "tokens",
    "secrets",
];

/// `transaction_item.token`, `checkout.token`: a record's `token` column is its public
/// identifier (a UUID) far more often than a credential; a bare `token` is read as a
/// credential only from the request, a session, a user, a client or a configuration.
fn record_identifier(text: &str, node: Node<'_>) -> bool {
    if member_name(text, node) != Some("token") {
        return false;
    }
    let object = node.field("object").or_else(|| node.field("value"));
    let Some(object) = object else {
        return false;
    };
    let name = match object.kind_name() {
        "member_expression" | "attribute" | "subscript_expression" | "subscript" => {
            member_name(text, object)
        }
        "identifier" | "this" => Some(text_of(text, object)),
        _ => None,
    };
    name.is_some_and(|name| {
        !words(name)
            .iter()
            .any(|w| CREDENTIAL_HOLDERS.contains(&w.as_str()))
    })
}

fn literal(node: Node<'_>) -> bool {
    matches!(
        node.kind_name(),
        "string" | "integer" | "float" | "true" | "false" | "none" | "number" | "null"
    ) && node.named_child_count() <= 2
}

fn masked(text: &str, node: Node<'_>) -> bool {
    words(text_of(text, node))
        .iter()
        .any(|w| MASKED.contains(&w.as_str()))
}

/// What a name says its value is, when it must not be logged: `password`, `newPassword`,
/// `accessToken`, `client_secret`, `apiKey`, `authorization`, `cardNumber`, `cvv`; not
/// `passwordHash`, `tokenType`, `hasToken`, `csrfToken` nor `maxTokens`.
fn sensitive_name(name: &str) -> Option<&'static str> {
    let words = words(name);
    let last = words.last()?.as_str();
    if words.iter().any(|w| MASKED.contains(&w.as_str())) {
        return None;
    }
    match last {
        "authorization" | "cookie" => return Some("a credential from the request headers"),
        "cvv" | "cvc" | "cvv2" => return Some("a card security code"),
        _ => {}
    }
    let card = words
        .iter()
        .any(|w| matches!(w.as_str(), "card" | "creditcard" | "cc" | "pan"));
    if card && matches!(last, "number" | "num" | "no")
        || matches!(last, "creditcard" | "pan") && words.len() > 1
    {
        return Some("a card number");
    }
    // `newPassword`, `resetToken`: SEC006 counts these as form field names, but their
    // values are secrets all the same.
    let secret = is_secret_name(name)
        || (words.len() > 1
            && matches!(
                words[0].as_str(),
                "new" | "old" | "reset" | "confirm" | "current"
            )
            && is_secret_name(&words[1..].join("_")));
    if !secret {
        return None;
    }
    Some(
        if matches!(last, "password" | "passwd" | "pwd" | "passphrase") {
            "a password"
        } else {
            "a secret (token or key)"
        },
    )
}

#[cfg(test)]
mod tests {
    use super::sensitive_name;

    #[test]
    fn secret_values_are_told_from_names_about_them() {
        for name in [
            "password",
            "newPassword",
            "accessToken",
            "refresh_token",
            "client_secret",
            "apiKey",
            "authorization",
            "cardNumber",
            "card_number",
            "cvv",
            "resetToken",
            "JWT_SECRET",
        ] {
            assert!(sensitive_name(name).is_some(), "{name}");
        }
        for name in [
            "passwordHash",
            "hashedPassword",
            "tokenType",
            "hasToken",
            "csrfToken",
            "maxTokens",
            "tokens",
            "passwordReset",
            "password_length",
            "key",
            "card",
            "nextPageToken",
        ] {
            assert!(sensitive_name(name).is_none(), "{name}");
        }
    }
}
