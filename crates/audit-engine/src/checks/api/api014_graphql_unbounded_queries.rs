//! API014: GraphQL servers with no query depth or complexity limit, and introspection
//! turned on unconditionally.

use audit_model::code::Call;
use audit_model::code::nodes::{KindName, elements, text_of};
use audit_syntax::tree_sitter::Node;

use crate::checks::reliability::{Key, object_key};
use crate::checks::{Check, CodeContext, Emit};

pub const CHECK: Check = Check::Code {
    anchors: &[
        "ApolloServer",
        "createYoga",
        "graphqlHTTP",
        "strawberry",
        "GraphQLView",
        "ariadne",
    ],
    run: check,
};

/// Servers by qualified name, and the option that carries validation rules or plugins.
const JS_SERVERS: &[(&str, &[&str])] = &[
    (
        "@apollo/server.ApolloServer",
        &["validationRules", "plugins"],
    ),
    (
        "apollo-server.ApolloServer",
        &["validationRules", "plugins"],
    ),
    (
        "apollo-server-express.ApolloServer",
        &["validationRules", "plugins"],
    ),
    (
        "apollo-server-fastify.ApolloServer",
        &["validationRules", "plugins"],
    ),
    (
        "apollo-server-koa.ApolloServer",
        &["validationRules", "plugins"],
    ),
    ("graphql-yoga.createYoga", &["plugins"]),
    ("graphql-yoga.createServer", &["plugins"]),
    ("express-graphql.graphqlHTTP", &["validationRules"]),
];

const PY_SERVERS: &[(&str, &str)] = &[
    ("strawberry.Schema", "extensions"),
    ("strawberry.federation.Schema", "extensions"),
    (
        "graphene_django.views.GraphQLView.as_view",
        "validation_rules",
    ),
    ("ariadne.asgi.GraphQL", "validation_rules"),
    ("ariadne.wsgi.GraphQL", "validation_rules"),
    ("ariadne.graphql_sync", "validation_rules"),
    ("ariadne.graphql", "validation_rules"),
];

/// Words of the limits people install: graphql-depth-limit, graphql-validation-complexity,
/// graphql-cost-analysis, @escape.tech/graphql-armor, Strawberry's QueryDepthLimiter.
const LIMIT_WORDS: &[&str] = &["depth", "complexity", "cost", "armor"];

fn check(ctx: &CodeContext<'_>, out: &mut Emit<'_>) {
    let sem = ctx.semantics();
    for call in sem.calls() {
        let Some(name) = call.qualified_name.as_deref() else {
            continue;
        };
        if ctx.grammar.is_javascript_family() {
            if let Some((_, keys)) = JS_SERVERS.iter().find(|(n, _)| *n == name) {
                javascript_server(ctx, call, keys, out);
            }
        } else if let Some((_, keyword)) = PY_SERVERS.iter().find(|(n, _)| *n == name) {
            python_server(ctx, call, keyword, out);
        }
    }
}

fn javascript_server(ctx: &CodeContext<'_>, call: &Call, keys: &[&str], out: &mut Emit<'_>) {
    let text = ctx.source.text.as_str();
    let args = call
        .arguments
        .and_then(|a| ctx.node_at(a))
        .map_or_else(Vec::new, elements);
    let Some(options) = args.first() else {
        return;
    };
    // Introspection forced on: a literal `true`, not an environment test.
    if let Key::Set { pair, value } = object_key(ctx, *options, &["introspection"])
        && text_of(text, value) == "true"
    {
        out.report(
            ctx.source,
            pair.byte_range().into(),
            &[("what", "introspection: true")],
        );
    }
    let mut limited = false;
    for key in keys {
        match object_key(ctx, *options, &[key]) {
            Key::Set { value, .. } => limited |= mentions_limit(text, value, key),
            // A spread or options built elsewhere: not ours to judge.
            Key::Unknown => return,
            Key::Missing => {}
        }
    }
    if !limited {
        out.report(
            ctx.source,
            call.span,
            &[("what", "no depth or complexity limit")],
        );
    }
}

/// Whether the rules or plugins given name a limit; a name bound elsewhere counts too
/// (`validationRules: rules`), since the file cannot show what it holds.
fn mentions_limit(text: &str, value: Node<'_>, key: &str) -> bool {
    if value.kind_name() == "identifier" && key == "validationRules" {
        return true;
    }
    let written = text_of(text, value).to_ascii_lowercase();
    LIMIT_WORDS.iter().any(|w| written.contains(w))
}

fn python_server(ctx: &CodeContext<'_>, call: &Call, keyword: &str, out: &mut Emit<'_>) {
    let text = ctx.source.text.as_str();
    let limited = call.keyword(keyword).is_some_and(|k| {
        let written = text[k.value.start..k.value.end].to_ascii_lowercase();
        !written.starts_with('[') || LIMIT_WORDS.iter().any(|w| written.contains(w))
    });
    if !limited {
        out.report(
            ctx.source,
            call.span,
            &[("what", "no depth or complexity limit")],
        );
    }
}
