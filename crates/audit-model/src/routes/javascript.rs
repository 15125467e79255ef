//! Routes of a JavaScript/TypeScript file: Express, Fastify and koa-router calls on the
//! apps and routers the file creates, imports or is given, and NestJS controllers.

use std::collections::HashMap;
use std::sync::Arc;

use audit_core::{SourceText, Span};
use audit_syntax::tree_sitter::Node;

use super::{
    FileRoutes, Framework, Guard, GuardKind, Mount, RouteDecl, Router, RouterKind, RouterRef,
    classes, verb,
};
use crate::code::nodes::Fields;
use crate::code::nodes::{KindName, NodeIndex, elements, string_content, text_of};
use crate::code::{BindingKind, Call, CodeSemantics};

/// Packages whose import makes a file's function parameters candidate apps and routers.
const FRAMEWORK_MODULES: &[(&str, Framework)] = &[
    ("express", Framework::Express),
    ("fastify", Framework::Fastify),
    ("fastify-plugin", Framework::Fastify),
    ("koa", Framework::Koa),
    ("koa-router", Framework::Koa),
    ("@koa/router", Framework::Koa),
];

/// HTTP client packages: what they make or export sends requests, it serves none
/// (`axios.create({ baseURL })`, `supertest(app)`, `got.extend()`).
const HTTP_CLIENTS: &[&str] = &[
    "axios",
    "got",
    "superagent",
    "supertest",
    "node-fetch",
    "cross-fetch",
    "isomorphic-fetch",
    "ky",
    "ky-universal",
    "undici",
    "request",
    "request-promise",
    "request-promise-native",
    "needle",
    "phin",
    "bent",
    "ofetch",
    "redaxios",
    "wretch",
    "chai-http",
];

/// Whether `name`, a module as imported (`axios`, `axios/dist/node/axios.cjs`) or a
/// qualified name (`axios.create`), is an HTTP client package or in one.
fn is_client_module(name: &str) -> bool {
    HTTP_CLIENTS.iter().any(|package| {
        name.strip_prefix(package)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '/']))
    })
}

/// Parameter names that say "the app or router" even in a file importing no framework
/// (`module.exports = (app) => { app.get(...) }`).
const ROUTER_PARAMETERS: &[&str] = &["app", "router", "server", "fastify", "instance", "routes"];

/// Fastify route options that hold hooks running before the handler.
const FASTIFY_HOOKS: &[&str] = &["onRequest", "preParsing", "preValidation", "preHandler"];

pub(super) fn extract(
    sem: &CodeSemantics,
    nodes: &NodeIndex<'_>,
    source: &SourceText,
) -> FileRoutes {
    let mut reader = Reader {
        sem,
        nodes,
        source,
        text: &source.text,
        framework: sem.imports().iter().find_map(|i| {
            FRAMEWORK_MODULES
                .iter()
                .find(|(m, _)| *m == i.module)
                .map(|(_, f)| *f)
        }),
        routes: FileRoutes::default(),
        by_binding: HashMap::new(),
        depth: 0,
    };
    for call in sem.calls() {
        reader.call(call);
    }
    reader.controllers();
    reader.app_guards();
    reader.exports();
    reader.routes
}

struct Reader<'a> {
    sem: &'a CodeSemantics,
    nodes: &'a NodeIndex<'a>,
    source: &'a SourceText,
    text: &'a str,
    /// The framework the file imports, if any.
    framework: Option<Framework>,
    routes: FileRoutes,
    /// Router index by the start of the binding that names it.
    by_binding: HashMap<usize, usize>,
    /// How many `const a = b` aliases deep the router lookup is.
    depth: usize,
}

impl<'a> Reader<'a> {
    fn call(&mut self, call: &Call) {
        // Most calls are none of these: decided from the callee's text before any node
        // is looked up.
        let written = &self.text[call.callee.start..call.callee.end];
        // `require("./routes.js")(app)`: the dots are the module's.
        let member = written
            .rsplit_once('.')
            .filter(|_| !(written.starts_with("require(") && written.ends_with(')')));
        match member {
            Some((_, method)) => {
                // A route's first argument is its path, written as a string: `map.get(key)`
                // and `Promise.all([...])` are not looked at further. The verbs of a
                // `route(path)` chain take handlers only.
                if verb(method).is_some()
                    && !written.contains(')')
                    && !self.starts_with_string(call)
                {
                    return;
                }
                let wanted = verb(method).is_some()
                    || matches!(
                        method,
                        "use"
                            | "register"
                            | "addHook"
                            | "route"
                            | "setGlobalPrefix"
                            | "useGlobalGuards"
                            | "listen"
                    );
                if !wanted {
                    return;
                }
            }
            // `new App([new UsersRoute(), new AuthRoute()])`.
            None if call.new && self.injected_routers(call) => return,
            None if !self.may_pass_a_router(call) => return,
            None => {}
        }
        let Some(callee) = self.nodes.node_at(call.callee) else {
            return;
        };
        if callee.kind_name() != "member_expression" {
            // `require("./routes")(app)`, `routes(app)`: a plugin called with an app.
            return self.plugin_call(call, callee);
        }
        let (Some(object), Some(property)) = (callee.field("object"), callee.field("property"))
        else {
            return;
        };
        let method = text_of(self.text, property);
        let args = arguments(self.nodes, call);
        if let Some(verb) = verb(method) {
            if let Some((router, path, prefix_args)) = self.route_receiver(object) {
                self.route(call, router, verb, path, &args, prefix_args);
            }
            return;
        }
        match method {
            "use" | "register" | "addHook" | "route" => {}
            // `app.listen(3000)`, `server.listen(port)`, `http.createServer(app).listen()`.
            "listen" => {
                let serves = match object.kind_name() {
                    // `app.listen()` on `new App([...])` of the project's own class calls
                    // its method: the class's file listens.
                    "identifier" if self.project_instance(object) => false,
                    "identifier" => {
                        let name = text_of(self.text, object).to_ascii_lowercase();
                        name.contains("app")
                            || name.contains("server")
                            || self.known_router(object).is_some()
                    }
                    "call_expression" => text_of(self.text, object).contains("createServer"),
                    // `this.app.listen(port)` in an App class.
                    "member_expression" => self.router_expression(object).is_some(),
                    _ => false,
                };
                if serves && self.routes.listens.is_none() {
                    self.routes.listens = Some(self.source.locate(call.span));
                }
                return;
            }
            // On a NestJS app, whatever made it: `await NestFactory.create(AppModule)`.
            "setGlobalPrefix" => {
                self.routes.global_prefix = args
                    .first()
                    .and_then(|a| string_content(self.text, *a))
                    .map(str::to_string);
                return;
            }
            "useGlobalGuards" => {
                for arg in &args {
                    let constructor = match arg.kind_name() {
                        "new_expression" => arg.field("constructor"),
                        "call_expression" => arg.field("function"),
                        _ => Some(*arg),
                    };
                    if let Some(name) = constructor {
                        let guard = Guard::named(text_of(self.text, name));
                        self.routes.global_guards.push((Framework::NestJs, guard));
                    }
                }
                return;
            }
            _ => return,
        }
        let Some(router) = self.router(object) else {
            return;
        };
        match method {
            "use" => self.use_call(call, router, &args),
            "register" => self.register(call, router, &args),
            "addHook" => self.hook(call, router, &args),
            // Fastify's full declaration: `fastify.route({ method, url, handler })`.
            "route" if args.len() == 1 && args[0].kind_name() == "object" => {
                self.fastify_route(call, router, args[0])
            }
            _ => {}
        }
    }

    /// The router and path a verb call declares a route on: `app.get(...)` is `app` with
    /// its own path argument; `app.route("/x").get(h).post(h)` is `app` with `/x`.
    fn route_receiver(&mut self, object: Node<'a>) -> Option<(usize, Option<String>, bool)> {
        if object.kind_name() != "call_expression" {
            return self.router(object).map(|r| (r, None, false));
        }
        // Down the chain to `.route(path)`; the verbs in between share its path.
        let mut node = object;
        loop {
            let callee = node.field("function")?;
            if callee.kind_name() != "member_expression" {
                return None;
            }
            let property = text_of(self.text, callee.field("property")?);
            let inner = callee.field("object")?;
            if property == "route" {
                let args = elements(node.field("arguments")?);
                let path = string_content(self.text, *args.first()?)?;
                return self
                    .router(inner)
                    .map(|r| (r, Some(path.to_string()), true));
            }
            verb(property)?;
            if inner.kind_name() != "call_expression" {
                // `router.all(path, auth).patch(path, handler)`: each verb of the chain
                // is called on the router with its own path.
                return self.router(inner).map(|r| (r, None, false));
            }
            node = inner;
        }
    }

    /// `r.verb(path, ...middleware, handler)`; `path` is given when the chain of
    /// `route(path)` supplied it and every argument is middleware or handler.
    fn route(
        &mut self,
        call: &Call,
        router: usize,
        verb: &str,
        chained_path: Option<String>,
        args: &[Node<'a>],
        chained: bool,
    ) {
        let (path, rest) = match chained_path {
            Some(path) if chained => (path, args),
            _ => {
                // koa-router's named routes: `router.get("user", "/users/:id", handler)`.
                let first = args.first().and_then(|a| self.path(*a, false));
                let second = args.get(1).and_then(|a| self.path(*a, false));
                let is_path = |p: &str| p.starts_with('/') || p.starts_with("${") || p == "*";
                match (first, second) {
                    (Some(_), Some(path)) if is_path(&path) => (path, &args[2..]),
                    (Some(path), _) if is_path(&path) => (path, &args[1..]),
                    _ => return,
                }
            }
        };
        let Some((handler, middleware)) = rest.split_last() else {
            return;
        };
        if !is_handler(*handler) || is_request(&path, *handler, self.text) {
            return;
        }
        if verb == "ALL" && self.all_as_middleware(call, router, &path, rest) {
            return;
        }
        // A router imported from another file or given as a parameter is not proven to
        // come from a framework: an imported axios instance reads alike.
        let unproven = {
            let router = &self.routes.routers[router];
            router.kind == RouterKind::Plugin || router.alias.is_some()
        };
        if unproven && self.client_request(call, *handler) {
            return;
        }
        let handler = self.handler_of(*handler);
        let mut guards = Vec::new();
        for arg in middleware {
            if arg.kind_name() == "object" {
                // Fastify's route options between the path and the handler.
                self.fastify_options(*arg, &mut guards);
            } else {
                self.guards_of(*arg, &mut guards);
            }
        }
        let decl = RouteDecl {
            router,
            methods: super::methods(vec![verb.to_string()]),
            path,
            handler: handler.name.map(Arc::from),
            guards,
            status: None,
            location: Arc::new(self.source.locate(self.chained_span(call))),
            handler_span: handler.span,
            body: super::HandlerBody::none(),
            handler_import: handler.import,
            view_bases: Vec::new(),
        };
        self.routes.routes.push(decl);
    }

    /// Where a verb call is written: from its own method name on when it is chained
    /// (`.patch(...)` of `router.all(...).patch(...)`, `.get(h)` of `route("/x").get(h)`),
    /// so each route of a chain points at its own line.
    fn chained_span(&self, call: &Call) -> Span {
        self.nodes
            .node_at(call.callee)
            .filter(|c| c.kind_name() == "member_expression")
            .filter(|c| {
                c.field("object")
                    .is_some_and(|o| o.kind_name() == "call_expression")
            })
            .and_then(|c| c.field("property"))
            .map_or(call.span, |property| {
                Span::new(property.start_byte(), call.span.end)
            })
    }

    /// `router.all("/posts/*", authMiddleware)`: middleware named as guards, no handler
    /// function, guards the routes declared after it below that path. True when the call
    /// was one.
    fn all_as_middleware(
        &mut self,
        call: &Call,
        router: usize,
        path: &str,
        arguments: &[Node<'a>],
    ) -> bool {
        let mut guards = Vec::new();
        for arg in arguments {
            if matches!(
                arg.kind_name(),
                "arrow_function" | "function_expression" | "function"
            ) {
                return false;
            }
            self.guards_of(*arg, &mut guards);
        }
        if guards.is_empty() || guards.iter().any(|g| g.kind == GuardKind::Other) {
            return false;
        }
        for guard in guards {
            self.routes.routers[router]
                .uses
                .push((call.span.start, path.to_string(), guard));
        }
        true
    }

    /// Whether a verb call reads as an HTTP client's request rather than a route: its
    /// value is used (`await api.post(...)`, `const res = api.get(...)`, `.then(...)`;
    /// declaring a route returns the router, which nobody awaits), or its last argument
    /// is data: a parameter (`(data) => api.post("/users", data)`) or a name bound to a
    /// literal.
    fn client_request(&self, call: &Call, last: Node<'a>) -> bool {
        let used = self
            .nodes
            .node_at(call.span)
            .and_then(|node| node.parent())
            .is_some_and(|parent| match parent.kind_name() {
                "await_expression"
                | "variable_declarator"
                | "return_statement"
                | "yield_expression"
                | "arguments"
                | "array"
                | "pair"
                | "spread_element"
                | "ternary_expression"
                | "assignment_expression" => true,
                // `.get(h).post(h)` chains declare routes; `.then()`, `.send()` read a
                // request's result.
                "member_expression" => parent.field("property").is_some_and(|p| {
                    let name = text_of(self.text, p);
                    verb(name).is_none() && !matches!(name, "use" | "route")
                }),
                _ => false,
            });
        if used {
            return true;
        }
        if last.kind_name() != "identifier" {
            return false;
        }
        let Some(binding) = self
            .sem
            .binding_at(text_of(self.text, last), last.start_byte())
        else {
            return false;
        };
        match binding.kind {
            BindingKind::Parameter => true,
            BindingKind::Variable => binding
                .value
                .and_then(|v| self.nodes.node_at(v))
                .is_some_and(|value| {
                    matches!(
                        value.kind_name(),
                        "object" | "array" | "string" | "template_string" | "number"
                    )
                }),
            _ => false,
        }
    }

    /// Whether `value`, exported, is an HTTP client: made by a client package's factory
    /// (`axios.create()`, `got.extend()`), or the package itself re-exported.
    fn is_client(&self, value: Node<'a>) -> bool {
        let value = match value.kind_name() {
            "identifier" => {
                let Some(binding) = self
                    .sem
                    .binding_at(text_of(self.text, value), value.start_byte())
                else {
                    return false;
                };
                if binding.kind == BindingKind::Import {
                    return binding
                        .qualified_name
                        .as_deref()
                        .is_some_and(is_client_module);
                }
                match binding.value.and_then(|v| self.nodes.node_at(v)) {
                    Some(value) => value,
                    None => return false,
                }
            }
            _ => value,
        };
        matches!(value.kind_name(), "call_expression" | "new_expression")
            && self
                .sem
                .call(value.byte_range().into())
                .and_then(|c| c.qualified_name.as_deref())
                .is_some_and(is_client_module)
    }

    /// `fastify.route({ method: ["GET", "HEAD"], url: "/x", preHandler, handler })`.
    fn fastify_route(&mut self, call: &Call, router: usize, options: Node<'a>) {
        let mut methods = Vec::new();
        let mut path = None;
        let mut handler = None;
        for (key, value) in pairs(self.text, options) {
            match key {
                "method" => {
                    let values = if value.kind_name() == "array" {
                        elements(value)
                    } else {
                        vec![value]
                    };
                    methods.extend(
                        values
                            .iter()
                            .filter_map(|v| string_content(self.text, *v))
                            .map(str::to_ascii_uppercase),
                    );
                }
                "url" | "path" => path = string_content(self.text, value),
                "handler" => handler = Some(value),
                _ => {}
            }
        }
        let (Some(path), Some(handler)) = (path, handler) else {
            return;
        };
        let handler = self.handler_of(handler);
        let mut guards = Vec::new();
        self.fastify_options(options, &mut guards);
        let decl = RouteDecl {
            router,
            methods: super::methods(methods),
            path: path.to_string(),
            handler: handler.name.map(Arc::from),
            guards,
            status: None,
            location: Arc::new(self.source.locate(call.span)),
            handler_span: handler.span,
            body: super::HandlerBody::none(),
            handler_import: handler.import,
            view_bases: Vec::new(),
        };
        self.routes.routes.push(decl);
    }

    /// Hooks and schemas in Fastify route options.
    fn fastify_options(&self, options: Node<'a>, guards: &mut Vec<Guard>) {
        for (key, value) in pairs(self.text, options) {
            if FASTIFY_HOOKS.contains(&key) {
                self.guards_of(value, guards);
            } else if key == "schema" {
                guards.push(Guard {
                    name: "schema".into(),
                    kind: GuardKind::Validation,
                });
            } else if key == "config" {
                // `config: { rateLimit: {...} }` configures @fastify/rate-limit per route.
                if pairs(self.text, value).any(|(k, _)| k == "rateLimit") {
                    guards.push(Guard {
                        name: "rateLimit".into(),
                        kind: GuardKind::RateLimit,
                    });
                }
            }
        }
    }

    /// `app.use([path,] ...middleware | routers)`.
    fn use_call(&mut self, call: &Call, parent: usize, args: &[Node<'a>]) {
        if self.table_mounts(call, parent, args) {
            return;
        }
        // The path: a string, a template, a concatenation, or a name bound to a string
        // (any other name is middleware).
        let prefix = args.first().and_then(|a| match a.kind_name() {
            "string" | "template_string" | "binary_expression" => self.path(*a, true),
            "identifier" => self.path(*a, false),
            _ => None,
        });
        let (prefix, rest) = match prefix {
            Some(prefix) => (prefix, &args[1..]),
            None => (String::new(), args),
        };
        let mut guards = Vec::new();
        for arg in rest {
            match self.child_router(*arg) {
                Some(child) => self.routes.mounts.push(Mount {
                    parent,
                    prefix: prefix.clone(),
                    child,
                    guards: guards.clone(),
                    fallback: fallback_guard(self.text, *arg),
                    at: call.span.start,
                    location: self.source.locate(call.span),
                }),
                None => self.guards_of(*arg, &mut guards),
            }
        }
        // Middleware after which no router is mounted guards the routes declared later.
        for guard in guards {
            self.routes.routers[parent]
                .uses
                .push((call.span.start, prefix.clone(), guard));
        }
    }

    /// `routes.forEach((r) => router.use(r.path, r.route))` over a literal array of
    /// `{ path, route }` objects: one mount per element. True when the call was one.
    fn table_mounts(&mut self, call: &Call, parent: usize, args: &[Node<'a>]) -> bool {
        let [path_arg, router_arg] = args else {
            return false;
        };
        let (Some((item, path_key)), Some((item_again, router_key))) = (
            member_path(self.text, *path_arg),
            member_path(self.text, *router_arg),
        ) else {
            return false;
        };
        let ([path_key], [router_key]) = (path_key.as_slice(), router_key.as_slice()) else {
            return false;
        };
        if item != item_again {
            return false;
        }
        let Some(binding) = self.sem.binding_at(item, path_arg.start_byte()) else {
            return false;
        };
        if binding.kind != BindingKind::Parameter {
            return false;
        }
        // The callback's call: `table.forEach(callback)`.
        let Some(callback) = self.nodes.node_at(binding.span).and_then(|n| {
            let mut node = n;
            while !matches!(
                node.kind_name(),
                "arrow_function" | "function_expression" | "function"
            ) {
                node = node.parent()?;
            }
            Some(node)
        }) else {
            return false;
        };
        let Some(each) = callback
            .parent()
            .filter(|p| p.kind_name() == "arguments")
            .and_then(|p| p.parent())
            .and_then(|c| c.field("function"))
            .filter(|f| f.kind_name() == "member_expression")
        else {
            return false;
        };
        let is_each = each
            .field("property")
            .is_some_and(|p| matches!(text_of(self.text, p), "forEach" | "map"));
        let Some(table) = each.field("object").filter(|_| is_each) else {
            return false;
        };
        let array = match table.kind_name() {
            "array" => Some(table),
            "identifier" => self
                .sem
                .binding_at(text_of(self.text, table), table.start_byte())
                .and_then(|b| b.value)
                .and_then(|v| self.nodes.node_at(v))
                .filter(|v| v.kind_name() == "array"),
            _ => None,
        };
        let Some(array) = array else {
            return false;
        };
        let mut mounted = false;
        for element in elements(array)
            .into_iter()
            .filter(|e| e.kind_name() == "object")
        {
            let entries: Vec<(&str, Node<'a>)> = pairs(self.text, element).collect();
            let value = |key: &str| entries.iter().find(|(k, _)| *k == key).map(|(_, v)| *v);
            let (Some(path), Some(router)) = (value(path_key), value(router_key)) else {
                continue;
            };
            let (Some(prefix), Some(child)) = (self.path(path, true), self.child_router(router))
            else {
                continue;
            };
            self.routes.mounts.push(Mount {
                parent,
                prefix,
                child,
                guards: Vec::new(),
                fallback: None,
                at: call.span.start,
                location: self.source.locate(call.span),
            });
            mounted = true;
        }
        mounted
    }

    /// Fastify `register(plugin, { prefix })`; registering a rate limiter or auth plugin
    /// guards the instance.
    fn register(&mut self, call: &Call, parent: usize, args: &[Node<'a>]) {
        let Some(plugin) = args.first() else {
            return;
        };
        let prefix = args
            .get(1)
            .filter(|o| o.kind_name() == "object")
            .and_then(|o| pairs(self.text, *o).find(|(k, _)| *k == "prefix"))
            .and_then(|(_, v)| self.path(v, true))
            .unwrap_or_default();
        match self.child_router(*plugin) {
            Some(child) => self.routes.mounts.push(Mount {
                parent,
                prefix,
                child,
                guards: Vec::new(),
                fallback: fallback_guard(self.text, *plugin),
                at: call.span.start,
                location: self.source.locate(call.span),
            }),
            None => {
                let mut guards = Vec::new();
                self.guards_of(*plugin, &mut guards);
                for guard in guards {
                    self.routes.routers[parent]
                        .uses
                        .push((call.span.start, prefix.clone(), guard));
                }
            }
        }
    }

    /// `fastify.addHook("onRequest", authenticate)`.
    fn hook(&mut self, call: &Call, router: usize, args: &[Node<'a>]) {
        let [name, hook, ..] = args else {
            return;
        };
        if string_content(self.text, *name).is_some_and(|n| FASTIFY_HOOKS.contains(&n)) {
            let mut guards = Vec::new();
            self.guards_of(*hook, &mut guards);
            for guard in guards {
                self.routes.routers[router]
                    .uses
                    .push((call.span.start, String::new(), guard));
            }
        }
    }

    /// Whether the call's first argument is a string or template literal, or a class's
    /// member (`this.path`), which holds one in route classes.
    fn starts_with_string(&self, call: &Call) -> bool {
        let Some(arguments) = call.arguments else {
            return false;
        };
        let written = self.text[arguments.start..arguments.end].trim_start_matches('(');
        let written = written.trim_start();
        written.starts_with(['"', '\'', '`']) || written.starts_with("this.")
    }

    /// Whether a plain call's arguments may hold an app or router: one of the names apps
    /// are given, or a router of this file by name.
    fn may_pass_a_router(&self, call: &Call) -> bool {
        let Some(arguments) = call.arguments else {
            return false;
        };
        let written = &self.text[arguments.start..arguments.end];
        ROUTER_PARAMETERS.iter().any(|n| written.contains(n))
            || self
                .routes
                .routers
                .iter()
                .any(|r| !r.name.is_empty() && written.contains(r.name.as_str()))
    }

    /// `new App([new UsersRoute(), new AuthRoute()])`: class routers handed to an App
    /// class, which mounts each (`routes.forEach((r) => this.app.use("/", r.router))`),
    /// are mounted on the app its class holds or its file exports under the class's name.
    /// The prefix the App class mounts them at is not followed (starters mount at `/`).
    /// True when the call mounted one.
    fn injected_routers(&mut self, call: &Call) -> bool {
        let Some(written) = call.arguments else {
            return false;
        };
        if !self.text[written.start..written.end].contains("new ") {
            return false;
        }
        let mut children = Vec::new();
        for arg in arguments(self.nodes, call) {
            if arg.kind_name() != "array" {
                continue;
            }
            for element in elements(arg) {
                let Some(constructor) = self
                    .instance_constructor(element)
                    .filter(|_| element.kind_name() == "new_expression")
                else {
                    continue;
                };
                let child = match self.local_class(constructor) {
                    Some(class) => self
                        .class_routers(class)
                        .first()
                        .map(|r| RouterRef::Local(*r)),
                    None => self.imported_class(constructor),
                };
                children.extend(child);
            }
        }
        if children.is_empty() {
            return false;
        }
        let Some(constructor) = self
            .nodes
            .node_at(call.callee)
            .filter(|c| c.kind_name() == "identifier")
        else {
            return false;
        };
        let parent = match self.local_class(constructor) {
            Some(class) => {
                let routers = self.class_routers(class);
                routers
                    .iter()
                    .copied()
                    .find(|r| self.routes.routers[*r].kind == RouterKind::App)
            }
            None => self.imported_class(constructor).map(|target| {
                let name = text_of(self.text, constructor).to_string();
                let framework = self.framework.unwrap_or(Framework::Express);
                let span = call.callee;
                let alias = self.add_router(
                    span.start,
                    framework,
                    RouterKind::Router,
                    name,
                    String::new(),
                    span,
                );
                self.routes.routers[alias].alias = Some(target);
                alias
            }),
        };
        let Some(parent) = parent else {
            return false;
        };
        for child in children {
            self.mount_at_root(parent, child, call);
        }
        true
    }

    /// `child` mounted on `parent` without a prefix or middleware, by `call`.
    fn mount_at_root(&mut self, parent: usize, child: RouterRef, call: &Call) {
        self.routes.mounts.push(Mount {
            parent,
            prefix: String::new(),
            child,
            guards: Vec::new(),
            fallback: None,
            at: call.span.start,
            location: self.source.locate(call.span),
        });
    }

    /// `require("./routes")(app)` or `routes(app, db)`: the function registers routes on
    /// the app it is given.
    fn plugin_call(&mut self, call: &Call, callee: Node<'a>) {
        let args = arguments(self.nodes, call);
        for (position, arg) in args.iter().enumerate() {
            if arg.kind_name() != "identifier" {
                continue;
            }
            // `routes(app, db)` inside `connect((err, db) => ...)`: a parameter passed on
            // is an app by its name, or when routes are already declared on it.
            let name = text_of(self.text, *arg);
            let unnamed_parameter = self
                .sem
                .binding_at(name, arg.start_byte())
                .is_some_and(|b| {
                    b.kind == BindingKind::Parameter
                        && !ROUTER_PARAMETERS.contains(&name)
                        && !self.by_binding.contains_key(&b.span.start)
                });
            if unnamed_parameter {
                continue;
            }
            let Some(parent) = self.known_router(*arg) else {
                continue;
            };
            let child = match callee.kind_name() {
                "call_expression" => self.required_module(callee),
                "identifier" => {
                    let name = text_of(self.text, callee);
                    // `import routes from "./routes"`, `const routes = require("./routes")`.
                    let import = self
                        .sem
                        .binding_at(name, callee.start_byte())
                        .filter(|b| matches!(b.kind, BindingKind::Import | BindingKind::Variable))
                        .and_then(|b| super::imported(self.sem, b.span, Vec::new()));
                    import.or_else(|| self.plugin_ref(callee, position))
                }
                _ => None,
            };
            if let Some(child) = child {
                self.mount_at_root(parent, child, call);
            }
        }
    }

    /// A path or prefix as written ([`super::path_value`]), with a class's own members
    /// read: `this.path` is the literal its field holds, and so is `${this.path}` in a
    /// template, like a name bound to a literal.
    fn path(&self, node: Node<'a>, expressions: bool) -> Option<String> {
        if let Some(literal) = self
            .this_member(node)
            .and_then(|value| string_content(self.text, value))
        {
            return Some(literal.to_string());
        }
        if node.kind_name() == "template_string" {
            return Some(self.template(node));
        }
        super::path_value(self.sem, self.nodes, self.text, node, expressions)
    }

    /// A template's text between its backticks, each substitution that names a literal
    /// (`${this.path}`, `${prefix}`) replaced by it, the others kept as `${expr}`.
    fn template(&self, node: Node<'a>) -> String {
        let mut out = String::new();
        let mut from = node.start_byte() + 1;
        let end = node.end_byte().saturating_sub(1).max(from);
        let mut cursor = node.walk();
        for child in node.named_children(&mut cursor) {
            if child.kind_name() != "template_substitution" {
                continue;
            }
            let literal = child
                .named_child(0)
                .filter(|e| matches!(e.kind_name(), "member_expression" | "identifier"))
                .and_then(|e| self.path(e, false));
            if let Some(literal) = literal {
                out.push_str(&self.text[from..child.start_byte()]);
                out.push_str(&literal);
                from = child.end_byte();
            }
        }
        out.push_str(&self.text[from..end]);
        out
    }

    /// What `this.x` (or `self.x` after `const self = this`) holds in the enclosing
    /// class: the value its field or constructor gives it.
    fn this_member(&self, node: Node<'a>) -> Option<Node<'a>> {
        if node.kind_name() != "member_expression" {
            return None;
        }
        let class = classes::this_class(self.sem, self.nodes, self.text, node.field("object")?)?;
        let property = text_of(self.text, node.field("property")?);
        classes::member_value(self.sem, self.nodes, self.text, class, property)
    }

    /// The constructor of the instance `object` is: `new C()` itself, a name bound to
    /// one (`const users = new UsersController()`), or a member of `this` given one
    /// (`user = new UserController()`).
    fn instance_constructor(&self, object: Node<'a>) -> Option<Node<'a>> {
        let mut value = match object.kind_name() {
            "new_expression" => object,
            "identifier" => {
                let binding = self
                    .sem
                    .binding_at(text_of(self.text, object), object.start_byte())?;
                if binding.kind != BindingKind::Variable || !binding.path.is_empty() {
                    return None;
                }
                self.nodes.node_at(binding.value?)?
            }
            "member_expression" => self.this_member(object)?,
            _ => return None,
        };
        while matches!(
            value.kind_name(),
            "await_expression" | "parenthesized_expression"
        ) {
            value = value.named_child(0)?;
        }
        (value.kind_name() == "new_expression")
            .then(|| value.field("constructor"))
            .flatten()
    }

    /// Whether `object` is an instance of a class of this project: declared here or
    /// imported from a relative or aliased (`@/app`) module.
    fn project_instance(&self, object: Node<'a>) -> bool {
        let Some(constructor) = self.instance_constructor(object) else {
            return false;
        };
        self.local_class(constructor).is_some()
            || matches!(
                self.imported_class(constructor),
                Some(RouterRef::Imported { module, .. })
                    if module.starts_with(['.', '~', '#']) || module.starts_with("@/")
            )
    }

    /// The class declared in this file that `constructor` names.
    fn local_class(&self, constructor: Node<'a>) -> Option<usize> {
        if !matches!(
            constructor.kind_name(),
            "identifier" | "shorthand_property_identifier"
        ) {
            return None;
        }
        let name = text_of(self.text, constructor);
        let binding = self.sem.binding_at(name, constructor.start_byte())?;
        if binding.kind != BindingKind::Class {
            return None;
        }
        self.sem.classes().iter().position(|c| {
            c.name.as_deref() == Some(name)
                && c.span.start <= binding.span.start
                && binding.span.end <= c.span.end
        })
    }

    /// The routers the members of class `index` hold (`router = Router()`, `this.app =
    /// express()` in the constructor), in member order.
    fn class_routers(&mut self, index: usize) -> Vec<usize> {
        let members = classes::members(self.sem, self.nodes, self.text, index);
        let mut routers = Vec::new();
        for (name, value) in members {
            if let Some(router) = self.router_expression(value)
                && !routers.contains(&router)
            {
                if self.routes.routers[router].name.is_empty() {
                    self.routes.routers[router].name = name.to_string();
                }
                routers.push(router);
            }
        }
        routers
    }

    /// The router an instance's member is, when the instance's class is known:
    /// `new UsersController().router`, `users.router` after `const users = new
    /// UsersController()`; a class of this file gives its router, an imported class the
    /// router its file exports under the class's name.
    fn instance_router(&mut self, member: Node<'a>) -> Option<RouterRef> {
        let object = member.field("object")?;
        let property = text_of(self.text, member.field("property")?);
        let constructor = self.instance_constructor(object)?;
        if let Some(class) = self.local_class(constructor) {
            let value = classes::member_value(self.sem, self.nodes, self.text, class, property)?;
            return self.router_expression(value).map(RouterRef::Local);
        }
        self.imported_class(constructor)
    }

    /// The reference an imported class's routers are exported under.
    fn imported_class(&self, constructor: Node<'a>) -> Option<RouterRef> {
        let (head, mut path) = match constructor.kind_name() {
            "identifier" => (text_of(self.text, constructor), Vec::new()),
            // `new ctl.UsersController()` of `import * as ctl`.
            "member_expression" => member_path(self.text, constructor)?,
            _ => return None,
        };
        let binding = self.sem.binding_at(head, constructor.start_byte())?;
        if !matches!(binding.kind, BindingKind::Import | BindingKind::Variable) {
            return None;
        }
        // The class is the export: its `.router` member is what the file exports it as.
        path.truncate(1);
        super::imported(self.sem, binding.span, path)
    }

    /// What a mount argument refers to when it can be a router: a router of this file
    /// (`router`, `router.routes()`), an import, `require("./x")`, a local plugin function.
    fn child_router(&mut self, arg: Node<'a>) -> Option<RouterRef> {
        match arg.kind_name() {
            "identifier" => {
                let name = text_of(self.text, arg);
                let binding = self.sem.binding_at(name, arg.start_byte())?;
                match binding.kind {
                    BindingKind::Import => super::imported(self.sem, binding.span, Vec::new()),
                    BindingKind::Function => self.plugin_ref(arg, 0),
                    BindingKind::Variable => {
                        let value = binding.value?;
                        if let Some(call) = self.sem.call(value)
                            && let Some(callee) = self.nodes.node_at(call.callee)
                            && callee.kind_name() == "identifier"
                            && text_of(self.text, callee) == "require"
                        {
                            // `const { users } = require("./api")` names the member.
                            return super::imported(self.sem, binding.span, Vec::new())
                                .or_else(|| self.required_module(self.nodes.node_at(call.span)?));
                        }
                        self.known_router(arg)
                            .map(RouterRef::Local)
                            .or_else(|| self.plugin_ref(arg, 0))
                    }
                    _ => None,
                }
            }
            "member_expression" => {
                // `new UsersController().router`, `this.router`.
                if let Some(router) = self.instance_router(arg) {
                    return Some(router);
                }
                if let Some(router) = self
                    .this_member(arg)
                    .and_then(|v| self.router_expression(v))
                {
                    return Some(RouterRef::Local(router));
                }
                // `users.router` of an imported module (`import * as users`, `const
                // users = require("./users")`); `router.routes()` is handled below.
                let (head, path) = member_path(self.text, arg)?;
                let binding = self.sem.binding_at(head, arg.start_byte())?;
                matches!(binding.kind, BindingKind::Import | BindingKind::Variable)
                    .then(|| super::imported(self.sem, binding.span, path))
                    .flatten()
            }
            "call_expression" => {
                let callee = arg.field("function")?;
                if callee.kind_name() == "identifier" && text_of(self.text, callee) == "require" {
                    return self.required_module(arg).filter(is_relative);
                }
                // koa-router: `app.use(router.routes())`.
                if callee.kind_name() == "member_expression"
                    && callee
                        .field("property")
                        .is_some_and(|p| text_of(self.text, p) == "routes")
                {
                    return self.child_router(callee.field("object")?);
                }
                None
            }
            "arrow_function" | "function_expression" | "function" => {
                let index = self.function_index(arg.byte_range().into())?;
                self.plugin_router(index, 0).map(RouterRef::Local)
            }
            _ => None,
        }
    }

    /// `require("./x")` as a mount or plugin: the module's default export.
    fn required_module(&self, call: Node<'a>) -> Option<RouterRef> {
        let callee = call.field("function")?;
        if callee.kind_name() != "identifier" || text_of(self.text, callee) != "require" {
            return None;
        }
        let args = elements(call.field("arguments")?);
        let module = string_content(self.text, *args.first()?)?;
        Some(RouterRef::Imported {
            module: module.to_string(),
            path: Vec::new(),
        })
    }

    /// A local function used as a plugin: the router of its parameter at `position`.
    fn plugin_ref(&mut self, name: Node<'a>, position: usize) -> Option<RouterRef> {
        let binding = self
            .sem
            .binding_at(text_of(self.text, name), name.start_byte())?;
        let function = match binding.kind {
            // A declaration's name lies inside its function.
            BindingKind::Function => self.sem.enclosing_function_index(binding.span.start)?,
            BindingKind::Variable => self.function_index(binding.value?)?,
            _ => return None,
        };
        self.plugin_router(function, position).map(RouterRef::Local)
    }

    fn function_index(&self, span: Span) -> Option<usize> {
        self.sem.function_with_span(span)
    }

    /// The router standing for parameter `position` of function `index`, when the
    /// parameter is a plain name.
    fn plugin_router(&mut self, index: usize, position: usize) -> Option<usize> {
        let function = &self.sem.functions()[index];
        let parameter = function
            .parameters
            .iter()
            .find(|p| p.position == position && p.path.is_empty())?;
        let key = parameter.span.start;
        if let Some(&router) = self.by_binding.get(&key) {
            return Some(router);
        }
        let framework = self.framework.unwrap_or(match parameter.name.as_str() {
            "fastify" | "instance" => Framework::Fastify,
            _ => Framework::Express,
        });
        Some(self.add_router(
            key,
            framework,
            RouterKind::Plugin,
            parameter.name.clone(),
            String::new(),
            parameter.span,
        ))
    }

    /// The router `node` refers to, creating its entry on first sight: a name bound to a
    /// router made in this file or to a plugin's parameter, an imported app or router
    /// (declaring routes on it declares them on what the import resolves to), or an
    /// expression that makes one (`Router().use(a).use(b)`).
    fn router(&mut self, node: Node<'a>) -> Option<usize> {
        if node.kind_name() != "identifier" {
            return self.router_expression(node);
        }
        if let Some(router) = self.known_router(node) {
            return Some(router);
        }
        let name = text_of(self.text, node);
        let binding = self.sem.binding_at(name, node.start_byte())?;
        let target = match binding.kind {
            BindingKind::Import => super::imported(self.sem, binding.span, Vec::new())?,
            // `const router = require("./router")`.
            BindingKind::Variable => self
                .required_module(self.nodes.node_at(binding.value?)?)
                .filter(is_relative)?,
            _ => return None,
        };
        // A package's own export is no router of this project: `import graph from
        // "fbgraph"; graph.get(url, callback)` is a request. Path aliases (`@/app`) and
        // `baseUrl` paths (`routes/users`) may name the project's files.
        let package = |module: &str| {
            is_client_module(module)
                || !module.starts_with(['.', '@', '~', '#'])
                    && !module.contains('/')
                    && !FRAMEWORK_MODULES.iter().any(|(m, _)| *m == module)
        };
        if matches!(&target, RouterRef::Imported { module, .. } if package(module)) {
            return None;
        }
        let framework = self.framework.unwrap_or(Framework::Express);
        let alias = self.add_router(
            binding.span.start,
            framework,
            RouterKind::Router,
            name.to_string(),
            String::new(),
            binding.span,
        );
        self.routes.routers[alias].alias = Some(target);
        Some(alias)
    }

    /// A router of this file by the binding `node` names: created here from a framework
    /// factory, a plausible app parameter, or already seen.
    fn known_router(&mut self, node: Node<'a>) -> Option<usize> {
        let name = text_of(self.text, node);
        let binding = self.sem.binding_at(name, node.start_byte())?;
        let key = binding.span.start;
        if let Some(&router) = self.by_binding.get(&key) {
            return Some(router);
        }
        match binding.kind {
            BindingKind::Parameter => {
                let plausible = self.framework.is_some() || ROUTER_PARAMETERS.contains(&name);
                if !plausible {
                    return None;
                }
                let span = binding.span;
                let function = self.sem.enclosing_function_index(span.start)?;
                let position = self.sem.functions()[function]
                    .parameters
                    .iter()
                    .find(|p| p.span == span)?
                    .position;
                self.plugin_router(function, position)
            }
            BindingKind::Variable => {
                let value = self.nodes.node_at(binding.value?)?;
                // `const a = b` chains end; a cycle of them must too.
                if self.depth > 8 {
                    return None;
                }
                self.depth += 1;
                let router = self.router_expression(value);
                self.depth -= 1;
                let router = router?;
                self.routes.routers[router].name = name.to_string();
                self.by_binding.insert(key, router);
                Some(router)
            }
            _ => None,
        }
    }

    /// The router an expression makes: a factory call (`express.Router()`, `new Router({
    /// prefix })`, `require("fastify")()`), or a chain of `use`/verb calls on one, which
    /// return the router they are called on.
    fn router_expression(&mut self, node: Node<'a>) -> Option<usize> {
        match node.kind_name() {
            "parenthesized_expression" | "await_expression" => {
                self.router_expression(node.named_child(0)?)
            }
            "identifier" => self.router(node),
            // `this.router` in a class method, `new UsersController().router`.
            "member_expression" => {
                if let Some(value) = self.this_member(node) {
                    if self.depth > 8 {
                        return None;
                    }
                    self.depth += 1;
                    let router = self.router_expression(value);
                    self.depth -= 1;
                    return router;
                }
                match self.instance_router(node)? {
                    RouterRef::Local(router) => Some(router),
                    RouterRef::Imported { .. } => None,
                }
            }
            "call_expression" | "new_expression" => {
                if let Some(callee) = node.field("function")
                    && callee.kind_name() == "member_expression"
                {
                    let property = text_of(self.text, callee.field("property")?);
                    // koa-router's `router.routes()` is the router's middleware:
                    // `module.exports = router.routes()` exports the router.
                    if matches!(property, "use" | "routes" | "middleware")
                        || verb(property).is_some()
                    {
                        return self.router_expression(callee.field("object")?);
                    }
                }
                let key = node.start_byte();
                if let Some(&router) = self.by_binding.get(&key) {
                    return Some(router);
                }
                let call = self.sem.call(node.byte_range().into())?;
                let (framework, kind) = creation(call.qualified_name.as_deref()?)?;
                let prefix = match framework {
                    // koa-router: `new Router({ prefix: "/users" })`.
                    Framework::Koa if kind == RouterKind::Router => arguments(self.nodes, call)
                        .first()
                        .filter(|o| o.kind_name() == "object")
                        .and_then(|o| pairs(self.text, *o).find(|(k, _)| *k == "prefix"))
                        .and_then(|(_, v)| self.path(v, true))
                        .unwrap_or_default(),
                    _ => String::new(),
                };
                let span = call.span;
                Some(self.add_router(key, framework, kind, String::new(), prefix, span))
            }
            _ => None,
        }
    }

    fn add_router(
        &mut self,
        key: usize,
        framework: Framework,
        kind: RouterKind,
        name: String,
        prefix: String,
        span: Span,
    ) -> usize {
        let index = self.routes.routers.len();
        let mut router = Router::new(framework, kind, &name, self.source.locate(span));
        router.prefix = prefix;
        self.routes.routers.push(router);
        self.by_binding.insert(key, index);
        index
    }

    /// The guards a middleware argument stands for: each element of an array, the callee
    /// of a call (`passport.authenticate("jwt")`, `rateLimit({...})`), a name.
    fn guards_of(&self, arg: Node<'a>, guards: &mut Vec<Guard>) {
        match arg.kind_name() {
            "array" => {
                for element in elements(arg) {
                    self.guards_of(element, guards);
                }
            }
            "identifier" => {
                let guard = Guard::named(text_of(self.text, arg));
                // `const bio = celebrate({...})`: what a name neutral to readers holds.
                let made = (guard.kind == GuardKind::Other)
                    .then(|| self.sem.binding_at(&guard.name, arg.start_byte()))
                    .flatten()
                    .filter(|b| b.kind == BindingKind::Variable)
                    .and_then(|b| self.nodes.node_at(b.value?))
                    .filter(|value| value.kind_name() == "call_expression");
                match made {
                    Some(call) => self.guards_of(call, guards),
                    None => guards.push(guard),
                }
            }
            "member_expression" => {
                guards.push(Guard::named(text_of(self.text, arg)));
            }
            "call_expression" => {
                let Some(callee) = arg.field("function") else {
                    return;
                };
                // A plugin registered from a package: `register(require("@fastify/rate-limit"))`.
                if let Some(RouterRef::Imported { module, .. }) = self.required_module(arg) {
                    guards.push(Guard::named(&module));
                    return;
                }
                // Validator chains, `body("email").isEmail()`, are named by their first call.
                let mut first = arg;
                while let Some(inner) = first
                    .field("function")
                    .filter(|f| f.kind_name() == "member_expression")
                    .and_then(|f| f.field("object"))
                    .filter(|o| o.kind_name() == "call_expression")
                {
                    first = inner;
                }
                if let Some(qualified) = self.sem.qualified_name(first, self.text)
                    && ["express-validator", "celebrate", "joi", "zod"]
                        .iter()
                        .any(|m| qualified.split('.').next() == Some(m))
                {
                    guards.push(Guard {
                        name: Arc::from(qualified),
                        kind: GuardKind::Validation,
                    });
                    return;
                }
                let callee = first.field("function").unwrap_or(callee);
                guards.push(Guard::named(text_of(self.text, callee)));
            }
            _ => {}
        }
    }

    /// The handler a route's argument stands for. A function that only passes the
    /// request on (`(req, res) => controller.list(req, res)`) stands for what it calls,
    /// when that is found.
    fn handler_of(&self, handler: Node<'a>) -> Handler {
        if let Some(callee) = self.delegate(unwrapped(self.text, handler)) {
            let delegated = self.resolve_handler(callee);
            if delegated.span.is_some() || delegated.import.is_some() {
                return delegated;
            }
        }
        self.resolve_handler(handler)
    }

    /// The handler a name, member, function or wrapper call stands for: a function of
    /// this file, or the method of an instance made here (`const controller = new
    /// UserController(service)`) from a class defined here or imported.
    fn resolve_handler(&self, handler: Node<'a>) -> Handler {
        let name = handler_name(self.text, handler);
        let inner = unwrapped(self.text, handler);
        let mut resolved = Handler {
            name,
            span: self.handler_function(inner),
            import: None,
        };
        if resolved.span.is_some() || inner.kind_name() != "member_expression" {
            return resolved;
        }
        let (Some(object), Some(property)) = (inner.field("object"), inner.field("property"))
        else {
            return resolved;
        };
        let method = text_of(self.text, property);
        // `this.getAllPosts` in a class method: the class's own method or field.
        if let Some(class) = classes::this_class(self.sem, self.nodes, self.text, object) {
            resolved.span = self.method_of(class, method);
            return resolved;
        }
        let Some(constructor) = self.instance_constructor(object) else {
            return resolved;
        };
        if constructor.kind_name() == "member_expression" {
            // `new ctl.TagController()` of `const ctl = require("./tags")`.
            let written = format!("{}.{method}", text_of(self.text, constructor));
            resolved.import =
                super::handlers::handler_import(self.sem, &written, constructor.start_byte());
            return resolved;
        }
        let class = text_of(self.text, constructor);
        let at = constructor.start_byte();
        match self.sem.binding_at(class, at).map(|b| b.kind) {
            Some(BindingKind::Class) => {
                resolved.span = self
                    .local_class(constructor)
                    .and_then(|index| self.method_of(index, method));
            }
            Some(BindingKind::Function) => {
                // A constructor function declared here.
                let name = self.sem.binding_at(class, at).map(|b| b.span);
                let declaration = name
                    .and_then(|n| self.nodes.node_at(n))
                    .and_then(|n| self.nodes.parent(n));
                resolved.span = declaration
                    .map(|d| super::handlers::constructor_members(self.text, d))
                    .and_then(|members| members.into_iter().find(|(m, _)| *m == method))
                    .map(|(_, function)| function.byte_range().into());
            }
            Some(_) => {
                let written = format!("{class}.{method}");
                resolved.import = super::handlers::handler_import(self.sem, &written, at);
            }
            None => {}
        }
        resolved
    }

    /// What an arrow or function whose body is one call passing its own parameters on
    /// calls: `controller.list` in `(req, res) => controller.list(req, res)`, `list` in
    /// `async (ctx) => { await list(ctx); }`. The callee is no parameter (`res.json(x)`
    /// answers, it delegates nothing).
    fn delegate(&self, handler: Node<'a>) -> Option<Node<'a>> {
        if !matches!(
            handler.kind_name(),
            "arrow_function" | "function_expression" | "function"
        ) {
            return None;
        }
        let function = &self.sem.functions()[self.function_index(handler.byte_range().into())?];
        let mut body = handler.field("body")?;
        if body.kind_name() == "statement_block" {
            let [statement] = elements(body)[..] else {
                return None;
            };
            if !matches!(
                statement.kind_name(),
                "expression_statement" | "return_statement"
            ) {
                return None;
            }
            body = statement.named_child(0)?;
        }
        if body.kind_name() == "await_expression" {
            body = body.named_child(0)?;
        }
        let call = self.sem.call(body.byte_range().into())?;
        let callee = self.nodes.node_at(call.callee)?;
        let head = match callee.kind_name() {
            "identifier" => callee,
            "member_expression" => callee.field("object")?,
            _ => return None,
        };
        let is_parameter = |name: &str| function.parameters.iter().any(|p| p.name == name);
        let passes_parameters = arguments(self.nodes, call)
            .iter()
            .any(|a| a.kind_name() == "identifier" && is_parameter(text_of(self.text, *a)));
        let head_is_parameter =
            head.kind_name() != "identifier" || is_parameter(text_of(self.text, head));
        (passes_parameters && !head_is_parameter).then_some(callee)
    }

    /// The method `method` of class `index`: a method definition or a field holding a
    /// function.
    fn method_of(&self, index: usize, method: &str) -> Option<Span> {
        super::handlers::class_methods(self.sem, self.nodes, index)
            .find(|f| f.name.as_deref() == Some(method))
            .map(|f| f.span)
    }

    /// The function a handler argument is, or names, when this file defines it.
    fn handler_function(&self, handler: Node<'a>) -> Option<Span> {
        let span: Span = handler.byte_range().into();
        if self.function_index(span).is_some() {
            return Some(span);
        }
        if handler.kind_name() != "identifier" {
            return None;
        }
        let binding = self
            .sem
            .binding_at(text_of(self.text, handler), handler.start_byte())?;
        match binding.kind {
            BindingKind::Function => self
                .sem
                .enclosing_function(binding.span.start)
                .map(|f| f.span),
            BindingKind::Variable => {
                let value = binding.value?;
                self.function_index(value).map(|_| value)
            }
            _ => None,
        }
    }

    /// NestJS: `@Controller("users")` classes and their `@Get(":id")`-decorated methods.
    fn controllers(&mut self) {
        let sem = self.sem;
        for (class_index, class) in sem.classes().iter().enumerate() {
            let Some(controller) = class
                .decorators
                .iter()
                .find(|d| nest_name(d.qualified_name.as_deref()) == Some("Controller"))
            else {
                continue;
            };
            let prefix = self.decorator_path(controller.arguments);
            let mut guards = Vec::new();
            for decorator in &class.decorators {
                self.nest_guards(decorator, &mut guards);
            }
            let router = self.routes.routers.len();
            let name = class.name.as_deref().unwrap_or_default();
            let location = self.source.locate(class.span);
            let mut controller = Router::new(Framework::NestJs, RouterKind::Router, name, location);
            controller.prefix = prefix;
            controller.guards = guards;
            self.routes.routers.push(controller);
            for method in sem
                .functions()
                .iter()
                .filter(|f| f.class == Some(class_index))
            {
                let Some((verb, decorator)) = method.decorators.iter().find_map(|d| {
                    let name = nest_name(d.qualified_name.as_deref())?;
                    let verb = verb(&name.to_ascii_lowercase())?;
                    Some((verb, d))
                }) else {
                    continue;
                };
                let mut guards = Vec::new();
                let mut status = None;
                for d in &method.decorators {
                    self.nest_guards(d, &mut guards);
                    if nest_name(d.qualified_name.as_deref()) == Some("HttpCode") {
                        status = self.decorator_number(d.arguments);
                    }
                }
                for parameter in &method.parameters {
                    for d in &parameter.decorators {
                        if nest_name(d.qualified_name.as_deref()) == Some("Body")
                            && d.arguments.is_some_and(|a| a.end - a.start > 2)
                        {
                            // `@Body(new ValidationPipe())`.
                            guards.push(Guard::named("ValidationPipe"));
                        }
                    }
                }
                let path = self.decorator_path(decorator.arguments);
                self.routes.routes.push(RouteDecl {
                    router,
                    methods: super::methods(vec![verb.to_string()]),
                    path,
                    handler: method.name.as_deref().map(Arc::from),
                    guards,
                    status,
                    location: Arc::new(self.source.locate(decorator.span)),
                    handler_span: Some(method.span),
                    body: super::HandlerBody::none(),
                    handler_import: None,
                    view_bases: Vec::new(),
                });
            }
        }
    }

    /// NestJS global guards provided in a module: `{ provide: APP_GUARD, useClass: G }`.
    fn app_guards(&mut self) {
        let text = self.text;
        for (at, word) in text.match_indices("APP_GUARD") {
            let Some(node) = self.nodes.node_at(Span::new(at, at + word.len())) else {
                continue;
            };
            let Some(object) = node
                .parent()
                .filter(|p| p.kind_name() == "pair")
                .and_then(|p| p.parent())
                .filter(|o| o.kind_name() == "object")
            else {
                continue;
            };
            if let Some((_, class)) =
                pairs(text, object).find(|(k, _)| matches!(*k, "useClass" | "useExisting"))
            {
                self.routes
                    .global_guards
                    .push((Framework::NestJs, Guard::named(text_of(text, class))));
            }
        }
    }

    /// Guards a NestJS decorator applies: `@UseGuards(AuthGuard("jwt"), RolesGuard)`,
    /// `@Throttle(...)`, `@UsePipes(ValidationPipe)`, `@Public()`-style metadata.
    fn nest_guards(&self, decorator: &crate::code::Decorator, guards: &mut Vec<Guard>) {
        match nest_name(decorator.qualified_name.as_deref()) {
            Some("UseGuards") => {
                for arg in decorator_arguments(self.nodes, decorator.arguments) {
                    let callee = match arg.kind_name() {
                        "call_expression" | "new_expression" => arg
                            .field("function")
                            .or_else(|| arg.field("constructor"))
                            .unwrap_or(arg),
                        _ => arg,
                    };
                    guards.push(Guard::named(text_of(self.text, callee)));
                }
            }
            Some("Throttle") => guards.push(Guard {
                name: "Throttle".into(),
                kind: GuardKind::RateLimit,
            }),
            Some("UsePipes") => guards.push(Guard {
                name: "UsePipes".into(),
                kind: GuardKind::Validation,
            }),
            // Custom and third-party decorators by name: `@Throttle()` of
            // @nestjs/throttler, `@Public()`, `@Auth()`, `@Roles("admin")`.
            // OpenAPI documentation (`@ApiBearerAuth()`) describes, it guards nothing.
            _ if decorator
                .qualified_name
                .as_deref()
                .is_some_and(|q| q.starts_with("@nestjs/swagger")) => {}
            _ => {
                let guard = Guard::named(&decorator.name);
                if guard.kind != GuardKind::Other {
                    guards.push(guard);
                }
            }
        }
    }

    fn decorator_path(&self, arguments: Option<Span>) -> String {
        let args = decorator_arguments(self.nodes, arguments);
        let Some(first) = args.first() else {
            return String::new();
        };
        if first.kind_name() == "object" {
            // `@Controller({ path: "users", version: "1" })`.
            return pairs(self.text, *first)
                .find(|(k, _)| *k == "path")
                .and_then(|(_, v)| string_content(self.text, v))
                .unwrap_or("")
                .to_string();
        }
        string_content(self.text, *first).unwrap_or("").to_string()
    }

    fn decorator_number(&self, arguments: Option<Span>) -> Option<u16> {
        let args = decorator_arguments(self.nodes, arguments);
        let first = args.first()?;
        let text = text_of(self.text, *first);
        text.parse().ok().or_else(|| http_status_name(text))
    }

    /// Routers the file exports: `module.exports = router`, `exports.x = router`,
    /// `export default router`, `export { router }`, `export const router = Router()`,
    /// and functions that register routes (`module.exports = function (app) {...}`).
    fn exports(&mut self) {
        let root = self.nodes.tree().root_node();
        let mut cursor = root.walk();
        let statements: Vec<Node<'a>> = root.named_children(&mut cursor).collect();
        for statement in statements {
            match statement.kind_name() {
                "expression_statement" => {
                    let Some(assignment) = statement
                        .named_child(0)
                        .filter(|n| n.kind_name() == "assignment_expression")
                    else {
                        continue;
                    };
                    let (Some(left), Some(right)) =
                        (assignment.field("left"), assignment.field("right"))
                    else {
                        continue;
                    };
                    match text_of(self.text, left) {
                        "module.exports" | "exports.default" | "module.exports.default" => {
                            if right.kind_name() == "object" {
                                for (key, value) in pairs(self.text, right) {
                                    self.export(key, value);
                                }
                            } else {
                                self.export("default", right);
                            }
                        }
                        target => {
                            let name = target
                                .strip_prefix("module.exports.")
                                .or_else(|| target.strip_prefix("exports."));
                            if let Some(name) = name {
                                self.export(name, right);
                            }
                        }
                    }
                }
                "export_statement" => self.export_statement(statement),
                _ => {}
            }
        }
    }

    fn export_statement(&mut self, statement: Node<'a>) {
        if let Some(value) = statement.field("value") {
            return self.export("default", value);
        }
        if let Some(declaration) = statement.field("declaration") {
            let default = text_of(self.text, statement).starts_with("export default");
            match declaration.kind_name() {
                "function_declaration" | "generator_function_declaration" => {
                    let name = declaration.field("name").map(|n| text_of(self.text, n));
                    let name = if default { Some("default") } else { name };
                    if let Some(name) = name {
                        self.export(name, declaration);
                    }
                }
                "class_declaration" | "class" | "abstract_class_declaration" => {
                    let name = declaration.field("name").map(|n| text_of(self.text, n));
                    let name = if default { Some("default") } else { name };
                    let class = self
                        .sem
                        .classes()
                        .iter()
                        .position(|c| c.span == Span::from(declaration.byte_range()));
                    if let (Some(name), Some(class)) = (name, class) {
                        self.export_class(name, class);
                    }
                }
                "lexical_declaration" | "variable_declaration" => {
                    for declarator in elements(declaration) {
                        if let Some(name) = declarator.field("name")
                            && name.kind_name() == "identifier"
                        {
                            self.export(text_of(self.text, name), name);
                        }
                    }
                }
                _ => {}
            }
            return;
        }
        // `export { router, app as default }`.
        for (exported, name) in export_specifiers(self.text, statement) {
            self.export(exported, name);
        }
    }

    /// An exported class's routers are exported under its name: importers mount
    /// `new UsersController().router`.
    fn export_class(&mut self, name: &str, class: usize) {
        for router in self.class_routers(class) {
            self.routes.exports.push((name.to_string(), router));
        }
    }

    /// Records `value` (a router's name, or a function) as exported under `name`.
    fn export(&mut self, name: &str, value: Node<'a>) {
        if self.is_client(value) {
            self.routes.clients.push(name.to_string());
            return;
        }
        let span: Span = value.byte_range().into();
        let function = match value.kind_name() {
            "identifier" | "shorthand_property_identifier" => {
                if let Some(router) = self.known_router(value) {
                    self.routes.exports.push((name.to_string(), router));
                    return;
                }
                let Some(binding) = self
                    .sem
                    .binding_at(text_of(self.text, value), value.start_byte())
                else {
                    return;
                };
                match binding.kind {
                    BindingKind::Function => self.sem.enclosing_function_index(binding.span.start),
                    BindingKind::Variable => binding.value.and_then(|v| self.function_index(v)),
                    BindingKind::Class => {
                        if let Some(class) = self.local_class(value) {
                            self.export_class(name, class);
                        }
                        return;
                    }
                    _ => None,
                }
            }
            // `module.exports = new UsersRoute().router`.
            "call_expression" | "new_expression" | "member_expression" => {
                if let Some(router) = self.router_expression(value) {
                    self.routes.exports.push((name.to_string(), router));
                }
                return;
            }
            _ => self.function_index(span),
        };
        let Some(function) = function else {
            return;
        };
        let plugins: Vec<usize> = self.sem.functions()[function]
            .parameters
            .iter()
            .filter_map(|p| self.by_binding.get(&p.span.start).copied())
            .collect();
        for router in plugins {
            self.routes.exports.push((name.to_string(), router));
        }
    }
}

/// The framework and kind of the router a factory creates.
fn creation(qualified: &str) -> Option<(Framework, RouterKind)> {
    Some(match qualified {
        "express" | "express.default" => (Framework::Express, RouterKind::App),
        "express.Router" | "express.default.Router" => (Framework::Express, RouterKind::Router),
        "fastify" | "fastify.default" | "fastify.fastify" => (Framework::Fastify, RouterKind::App),
        "koa" | "koa.default" => (Framework::Koa, RouterKind::App),
        "koa-router" | "@koa/router" | "koa-router.default" | "@koa/router.default" => {
            (Framework::Koa, RouterKind::Router)
        }
        _ => return None,
    })
}

/// A NestJS decorator's name when it comes from `@nestjs/common`.
fn nest_name(qualified: Option<&str>) -> Option<&str> {
    qualified?.strip_prefix("@nestjs/common.")
}

/// `HttpStatus.CREATED` as a number.
fn http_status_name(text: &str) -> Option<u16> {
    Some(match text.rsplit('.').next()? {
        "OK" => 200,
        "CREATED" => 201,
        "ACCEPTED" => 202,
        "NO_CONTENT" => 204,
        _ => return None,
    })
}

fn arguments<'t>(nodes: &NodeIndex<'t>, call: &Call) -> Vec<Node<'t>> {
    call.arguments
        .and_then(|span| nodes.node_at(span))
        .map_or_else(Vec::new, elements)
}

fn decorator_arguments<'t>(nodes: &NodeIndex<'t>, arguments: Option<Span>) -> Vec<Node<'t>> {
    arguments
        .and_then(|span| nodes.node_at(span))
        .map_or_else(Vec::new, elements)
}

/// The key/value pairs of an object literal with plain keys; `{ handler }` shorthand
/// gives the identifier as both.
fn pairs<'t>(text: &'t str, object: Node<'t>) -> impl Iterator<Item = (&'t str, Node<'t>)> {
    elements(object)
        .into_iter()
        .filter_map(move |member| match member.kind_name() {
            "pair" => {
                let key = member.field("key")?;
                let name = string_content(text, key).unwrap_or_else(|| text_of(text, key));
                Some((name, member.field("value")?))
            }
            "shorthand_property_identifier" => Some((text_of(text, member), member)),
            "method_definition" => {
                let key = member.field("name")?;
                Some((text_of(text, key), member))
            }
            _ => None,
        })
}

/// What a route's last argument must be to be a handler: a function, a name, or a call
/// wrapping one (`asyncHandler(fn)`); an options object or a string is not (`api.get(
/// "/users", { params })` is an HTTP client call).
fn is_handler(node: Node<'_>) -> bool {
    matches!(
        node.kind_name(),
        "arrow_function"
            | "function_expression"
            | "function"
            | "identifier"
            | "member_expression"
            | "call_expression"
    )
}

/// Whether a verb call is an HTTP client's request after all: its path carries a query
/// string (`/me?fields=id,name`), or its callback is error-first (`(err, body) => ...`;
/// a handler takes the request first, an error handler four parameters).
fn is_request(path: &str, last: Node<'_>, text: &str) -> bool {
    let query = path
        .split_once('?')
        .is_some_and(|(_, query)| query.contains('='));
    let error_first = matches!(
        last.kind_name(),
        "arrow_function" | "function_expression" | "function"
    ) && last
        .field("parameters")
        .or_else(|| last.field("parameter"))
        .is_some_and(|parameters| {
            let parameters = if parameters.kind_name() == "identifier" {
                vec![parameters]
            } else {
                elements(parameters)
            };
            let first = parameters.first().map(|p| {
                let name = p.field("pattern").unwrap_or(*p);
                text_of(text, name)
            });
            parameters.len() < 4 && matches!(first, Some("err" | "error" | "e" | "er"))
        });
    query || error_first
}

/// A route's handler as the route names and reaches it.
struct Handler {
    /// As written (`controller.list`), through wrappers.
    name: Option<String>,
    /// Its function, when this file defines it.
    span: Option<Span>,
    /// The import it is reached through, when another file defines it.
    import: Option<RouterRef>,
}

/// The handler inside wrappers: `asyncHandler(fn)` is `fn`, `controller.list.bind(
/// controller)` is `controller.list`.
fn unwrapped<'t>(text: &str, handler: Node<'t>) -> Node<'t> {
    let mut node = handler;
    for _ in 0..4 {
        if node.kind_name() != "call_expression" {
            break;
        }
        let Some(callee) = node.field("function") else {
            break;
        };
        let bound = callee.kind_name() == "member_expression"
            && callee
                .field("property")
                .is_some_and(|p| text_of(text, p) == "bind");
        let next = if bound {
            callee.field("object")
        } else {
            node.field("arguments")
                .and_then(|a| elements(a).last().copied())
        };
        match next {
            Some(next) => node = next,
            None => break,
        }
    }
    node
}

fn handler_name(text: &str, handler: Node<'_>) -> Option<String> {
    match handler.kind_name() {
        "identifier" | "member_expression" => Some(text_of(text, handler).to_string()),
        "call_expression" => {
            let inner = unwrapped(text, handler);
            (inner.kind_name() != "call_expression")
                .then(|| handler_name(text, inner))
                .flatten()
        }
        _ => None,
    }
}

fn is_relative(reference: &RouterRef) -> bool {
    matches!(reference, RouterRef::Imported { module, .. } if module.starts_with('.'))
}

/// The guard an argument stands for when it turns out not to be a router.
fn fallback_guard(text: &str, arg: Node<'_>) -> Option<Guard> {
    match arg.kind_name() {
        "identifier" | "member_expression" => Some(Guard::named(text_of(text, arg))),
        _ => None,
    }
}

/// `users.router` as `("users", ["router"])`.
fn member_path<'t>(text: &'t str, node: Node<'t>) -> Option<(&'t str, Vec<String>)> {
    let mut path = Vec::new();
    let mut node = node;
    while node.kind_name() == "member_expression" {
        path.push(text_of(text, node.field("property")?).to_string());
        node = node.field("object")?;
    }
    (node.kind_name() == "identifier").then(|| {
        path.reverse();
        (text_of(text, node), path)
    })
}

/// The names an `export { a, b as c }` statement exports, with the local name each one is.
pub(super) fn export_specifiers<'t>(
    text: &'t str,
    statement: Node<'t>,
) -> Vec<(&'t str, Node<'t>)> {
    let mut cursor = statement.walk();
    let clauses: Vec<Node<'t>> = statement
        .named_children(&mut cursor)
        .filter(|c| c.kind_name() == "export_clause")
        .collect();
    clauses
        .into_iter()
        .flat_map(elements)
        .filter_map(|specifier| {
            let name = specifier.field("name")?;
            let exported = specifier.field("alias").unwrap_or(name);
            Some((text_of(text, exported), name))
        })
        .collect()
}
