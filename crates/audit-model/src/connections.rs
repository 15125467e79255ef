//! Database connection settings that turn TLS off, as written in code: `ssl: false`
//! (node-postgres, mysql2, Sequelize's `dialectOptions`), `sslmode: "disable"`, Python's
//! `sslmode="disable"`/`ssl=False` keyword arguments, `ssl_require=False`
//! (dj-database-url), `connect_args={"sslmode": "disable"}` and Django's
//! `OPTIONS`, and connection strings with `sslmode=disable` or `ssl=false`. Only literal
//! values count; a setting read from the environment says nothing. Each is marked as
//! written in the arguments of a connection call or elsewhere (a settings object).

use audit_core::Span;
use audit_syntax::tree_sitter::{Node, Tree};

use crate::code::CodeSemantics;
use crate::code::nodes::{Fields, KindName};
use crate::queries::Connection;

/// One setting that turns TLS off.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsOff {
    /// The setting: `ssl: false`, `sslmode="disable"`, the connection string.
    pub span: Span,
    /// Inside the arguments of a call that connects (a client or pool constructor,
    /// `create_engine`, `dj_database_url.config`): it applies to that connection.
    pub at_connect: bool,
}

/// Keys whose presence in the same object makes `ssl: false` a database setting.
const DATABASE_KEYS: &[&str] = &[
    "host",
    "hostname",
    "database",
    "dialect",
    "connectionString",
    "user",
    "username",
    "password",
    "port",
    "ENGINE",
    "NAME",
    "HOST",
    "dialectOptions",
];

/// Every TLS-off setting of a file; `connections` are the connection calls the code
/// queries model found in it.
pub fn tls_off(
    tree: &Tree,
    text: &str,
    semantics: &CodeSemantics,
    connections: &[Connection],
) -> Vec<TlsOff> {
    if !text.contains("ssl") {
        return Vec::new();
    }
    let connect_calls: Vec<Span> = connections
        .iter()
        .map(|c| c.span)
        .chain(semantics.calls().iter().filter_map(|c| {
            let name = c.qualified_name.as_deref()?;
            name.starts_with("dj_database_url.").then_some(c.span)
        }))
        .collect();
    let at_connect = |span: Span| {
        connect_calls
            .iter()
            .any(|c| c.start <= span.start && span.end <= c.end)
    };
    let mut found = Vec::new();
    let mut cursor = tree.walk();
    let mut stack = vec![tree.root_node()];
    while let Some(node) = stack.pop() {
        if let Some(database_object) = setting(node, text) {
            let span = Span::new(node.start_byte(), node.end_byte());
            let connect = at_connect(span);
            if connect || database_object {
                found.push(TlsOff {
                    span,
                    at_connect: connect,
                });
            }
            continue;
        }
        // Only subtrees that hold the text can hold a setting.
        if text[node.byte_range()].contains("ssl") {
            stack.extend(node.named_children(&mut cursor));
        }
    }
    found.sort_by_key(|t| t.span.start);
    found
}

/// Whether `node` is a TLS-off setting: Some(true) when it is a database setting
/// wherever it stands, Some(false) when only a connection call's arguments make it one.
fn setting(node: Node<'_>, text: &str) -> Option<bool> {
    let written = |n: Node<'_>| &text[n.byte_range()];
    match node.kind_name() {
        // JS `{ ssl: false }`, Python `{"sslmode": "disable"}`.
        "pair" => {
            let key = unquoted(written(node.field("key")?));
            let value = written(node.field("value")?);
            match key {
                "sslmode" | "sslMode" if unquoted(value).eq_ignore_ascii_case("disable") => {
                    Some(true)
                }
                "ssl" if matches!(value, "false" | "False") => {
                    let object = node.parent()?;
                    let mut cursor = object.walk();
                    let database = object.named_children(&mut cursor).any(|p| {
                        p.field("key")
                            .or_else(|| {
                                (p.kind_name() == "shorthand_property_identifier").then_some(p)
                            })
                            .is_some_and(|k| DATABASE_KEYS.contains(&unquoted(written(k))))
                    }) || in_dialect_options(object, text);
                    Some(database)
                }
                _ => None,
            }
        }
        // Python `sslmode="disable"`, `ssl=False`, `ssl_require=False`.
        "keyword_argument" => {
            let key = written(node.field("name")?);
            let value = written(node.field("value")?);
            match key {
                "sslmode" if unquoted(value).eq_ignore_ascii_case("disable") => Some(false),
                "ssl" | "ssl_require" if value == "False" => Some(false),
                _ => None,
            }
        }
        "string" | "template_string" => {
            let value = written(node);
            let lower = value.to_ascii_lowercase();
            let url = ["postgres://", "postgresql://", "mysql://", "mariadb://"]
                .iter()
                .any(|s| lower.contains(s));
            let off = lower.contains("sslmode=disable") || lower.contains("ssl=false");
            (url && off).then_some(true)
        }
        _ => None,
    }
}

/// `dialectOptions: { ssl: false }`: Sequelize's options for the driver.
fn in_dialect_options(object: Node<'_>, text: &str) -> bool {
    object
        .parent()
        .filter(|p| p.kind_name() == "pair")
        .and_then(|p| p.field("key"))
        .is_some_and(|k| &text[k.byte_range()] == "dialectOptions")
}

fn unquoted(text: &str) -> &str {
    text.trim_matches(|c| c == '"' || c == '\'' || c == '`')
}
