//! Routes: the endpoints a project serves. Each JS/TS/Python file is read once, from its
//! code semantics, into the routers it creates (apps, routers, blueprints, controllers,
//! and functions that receive an app to add routes to), the routes declared on them and
//! the mounts between them ([`FileRoutes`]); [`RouteTable::join`] then follows mounts
//! across files and through imports to each route's full path and the guards that apply.
//! Frameworks: Express, Fastify, Koa (koa-router), NestJS, Flask, FastAPI, Django (URLconfs
//! and Django REST framework routers).

mod answers;
mod classes;
mod django;
mod handlers;
mod javascript;
mod join;
mod python;
#[cfg(test)]
mod tests;
mod writes;

use std::sync::{Arc, OnceLock};

use audit_core::{Location, SourceText};
use audit_syntax::Grammar;
use audit_syntax::tree_sitter::Node;

use crate::code::CodeSemantics;
use crate::code::nodes::{KindName, NodeIndex, string_content, text_of};

use crate::code::nodes::Fields;
pub use answers::{Answer, Body, Status};
pub use join::{Route, RouteTable};

/// The literals a file must hold to declare routes or create a router others import:
/// the extractor is not run (and no code semantics built for it) on files with none.
/// Verbs are anchored with the opening of their path (`.get("/`), since `.get(` alone is
/// in every file that reads a map; a call split over lines (`fastify.put(\n  "/x"`) is
/// found by the names apps and routers go by.
pub const ANCHORS: &[&str] = &[
    "fastify",
    "express",
    "koa",
    "@nestjs",
    "router.",
    "app.",
    "server.",
    ".get(\"/",
    ".get('/",
    ".get(`/",
    ".post(\"/",
    ".post('/",
    ".post(`/",
    ".put(\"/",
    ".put('/",
    ".put(`/",
    ".patch(\"/",
    ".patch('/",
    ".patch(`/",
    ".delete(\"/",
    ".delete('/",
    ".delete(`/",
    ".all(\"/",
    ".all('/",
    ".route(",
    ".use(",
    ".register(",
    ".addHook(",
    ".include_router(",
    ".register_blueprint(",
    ".add_url_rule(",
    ".add_api_route(",
    ".api_route(",
    ".mount(",
    "Router(",
    "Blueprint(",
    "Flask(",
    "FastAPI(",
    "express(",
    "fastify(",
    "Koa(",
    "@Controller",
    "APP_GUARD",
    "useGlobalGuards",
    "setGlobalPrefix",
    "urlpatterns",
    // Class-level dependencies of class-based views, inherited across files.
    "Depends(",
    "Limiter(",
    ".listen(",
    "SIGTERM",
    "SIGINT",
    "enableShutdownHooks",
    "terminus",
    "lightship",
    "http-terminator",
    "stoppable",
    "close-with-grace",
    "graceful",
    "healthcheck",
    "health_check",
    "healthz",
    "under-pressure",
    // Handlers routed from another file: what they answer through.
    "res.status(",
    "res.json(",
    "res.send(",
    "res.sendStatus(",
    "reply.send(",
    "reply.code(",
    "ctx.body",
    "ctx.status",
    "request",
    "jsonify",
    "Response(",
    "HTTPException",
    // Modules that re-export controllers (`controllers/index.js`).
    "module.exports",
    "export * from",
    "export { default as",
];

/// What a handler that authenticates its caller itself reads or answers.
const CALLER_CHECKS: &[&str] = &[
    "req.user",
    "req.auth",
    "req.session.user",
    "request.user",
    "ctx.state.user",
    "current_user",
    "g.user",
    "isAuthenticated",
    "is_authenticated",
    "authenticatedUsers",
    "jwt.verify",
    "verifyToken",
    "verify_token",
    "status(401)",
    "status(403)",
    "sendStatus(401)",
    "sendStatus(403)",
    "abort(401)",
    "abort(403)",
    "HTTP_401",
    "HTTP_403",
    "PermissionDenied",
    "Unauthorized",
];

/// Packages that close the server and drain connections on SIGTERM.
const SHUTDOWN_PACKAGES: &[&str] = &[
    "@godaddy/terminus",
    "lightship",
    "http-terminator",
    "stoppable",
    "close-with-grace",
    "fastify-graceful-shutdown",
    "@nestjs/terminus",
];

/// How handlers read the request body.
const BODY_READS: &[&str] = &[
    "req.body",
    "request.body",
    "ctx.request.body",
    "request.json",
    "request.get_json(",
    "request.form",
];

/// What a handler that validates its body calls: zod, joi, yup, ajv, class-validator,
/// express-validator, validator.js, superstruct, marshmallow, WTForms, pydantic.
const INLINE_VALIDATION: &[&str] = &[
    ".parse(",
    ".safeParse(",
    ".parseAsync(",
    ".validate(",
    ".validateAsync(",
    ".validateSync(",
    "validationResult(",
    "validateOrReject(",
    "plainToClass(",
    "plainToInstance(",
    ".load(",
    ".is_valid(",
    ".validate_on_submit(",
    ".model_validate(",
    ".parse_obj(",
    "assert(",
    // validator.js: `validator.isEmail(req.body.email)`.
    "validator.is",
];

/// How a handler says 201 Created.
const CREATED: &[&str] = &["201", "CREATED", "Created"];

/// Packages that serve health or readiness endpoints themselves.
const HEALTH_PACKAGES: &[&str] = &[
    "@godaddy/terminus",
    "@nestjs/terminus",
    "express-healthcheck",
    "express-actuator",
    "fastify-healthcheck",
    "@fastify/under-pressure",
    "lightship",
    "health_check",
    "flask_healthz",
    "healthcheck",
    "fastapi_health",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Framework {
    Express,
    Fastify,
    Koa,
    NestJs,
    Flask,
    FastApi,
    Django,
}

impl Framework {
    pub fn name(self) -> &'static str {
        match self {
            Framework::Express => "Express",
            Framework::Fastify => "Fastify",
            Framework::Koa => "Koa",
            Framework::NestJs => "NestJS",
            Framework::Flask => "Flask",
            Framework::FastApi => "FastAPI",
            Framework::Django => "Django",
        }
    }
}

/// What one file declares, before mounts are followed.
#[derive(Debug, Default)]
pub struct FileRoutes {
    pub routers: Vec<Router>,
    /// Taken by [`RouteTable::join`], which reads them once.
    pub routes: Vec<RouteDecl>,
    pub mounts: Vec<Mount>,
    /// Routers (and plugin functions) the file exports, by the name an importer uses:
    /// `default` for `module.exports =`/`export default`, else the exported name; every
    /// module-level router of a Python file.
    pub exports: Vec<(String, usize)>,
    /// What the file's exported functions do, by the name an importer reaches them with
    /// (`createUser`, `default.create`, `UserController.list`; a Python module's
    /// top-level functions and classes), for routes declared in other files.
    pub handlers: Vec<(String, Arc<HandlerBody>)>,
    /// Modules the file re-exports under a name (`exports.users = require("./users")`;
    /// `*` for `export * from`), followed when a handler's path goes through them.
    pub reexports: Vec<(String, String)>,
    /// Names the file exports HTTP clients under (`export default axios.create({...})`):
    /// verb calls on them in other files are requests, not routes.
    pub clients: Vec<String>,
    /// Classes that declare FastAPI dependencies as class attributes, for class-based
    /// views of other files that inherit them: the class's name, its dependencies (its
    /// own and its same-file bases') and its imported bases.
    pub view_classes: Vec<ViewClass>,
    /// NestJS `app.setGlobalPrefix("api")`.
    pub global_prefix: Option<String>,
    /// Guards on every route of a framework in the project: NestJS `app.useGlobalGuards(
    /// new JwtAuthGuard())`, `{ provide: APP_GUARD, useClass: ThrottlerGuard }`; Flask-
    /// Limiter's and slowapi's `Limiter(default_limits=[...])`.
    pub global_guards: Vec<(Framework, Guard)>,
    /// The file imports a package that serves health checks itself (`@godaddy/terminus`,
    /// `express-healthcheck`, `django-health-check`...).
    pub health_package: bool,
    /// NestJS middleware bound in a module (`consumer.apply(Auth).forRoutes(...)`): it
    /// guards routes this model does not follow.
    pub module_middleware: bool,
    /// The first `app.listen(...)`/`server.listen(...)` of the file: it serves HTTP.
    pub listens: Option<Location>,
    /// The file stops the server on a signal: `process.on("SIGTERM", ...)`,
    /// `app.enableShutdownHooks()`, or a package that does it (terminus, lightship,
    /// http-terminator, stoppable, close-with-grace).
    pub handles_shutdown: bool,
}

/// An object routes are declared on, or a function that declares routes on the app or
/// router it is given (`module.exports = (app) => { app.get(...) }`, a Fastify plugin).
#[derive(Debug)]
pub struct Router {
    pub framework: Framework,
    pub kind: RouterKind,
    /// The name it is bound to in the file (the parameter's, for a plugin).
    pub name: String,
    /// The prefix it adds to its own routes: `APIRouter(prefix=)`, `Blueprint(url_prefix=)`,
    /// `new Router({ prefix })`, `@Controller("users")`.
    pub prefix: String,
    /// Guards on every route of the router: `APIRouter(dependencies=)`, `@UseGuards` on a
    /// controller.
    pub guards: Vec<Guard>,
    /// `router.use(auth)`, `app.use("/admin", requireAdmin)`, `fastify.addHook(
    /// "onRequest", auth)`: byte offset of the call, the path prefix it covers (empty for
    /// all) and the guard, for routes declared after it.
    pub uses: Vec<(usize, String, Guard)>,
    /// Routes declared on an imported router are declared on what the import resolves to.
    pub alias: Option<RouterRef>,
    /// Shared with the routes of the table that it serves as their app.
    pub location: Arc<Location>,
}

impl Router {
    /// A router with no prefix, guards or uses yet.
    fn new(framework: Framework, kind: RouterKind, name: &str, location: Location) -> Router {
        Router {
            framework,
            kind,
            name: name.to_string(),
            prefix: String::new(),
            guards: Vec::new(),
            uses: Vec::new(),
            alias: None,
            location: Arc::new(location),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RouterKind {
    /// Served on its own: `express()`, `Flask(__name__)`, `FastAPI()`, a NestJS app.
    App,
    /// Mounted on an app or router: `express.Router()`, `Blueprint`, `APIRouter`, a NestJS
    /// controller (mounted on the app implicitly).
    Router,
    /// A function's parameter: the app or router it is called or registered with.
    Plugin,
    /// A Django URLconf (`urlpatterns`): the root one, which no other includes, is served.
    UrlConf,
}

/// Which router a declaration or mount refers to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RouterRef {
    /// Index into [`FileRoutes::routers`].
    Local(usize),
    /// Imported: the module as written and the names after it (`users.router` from
    /// `from .routes import users` is module `.routes`, path `["users", "router"]`).
    Imported { module: String, path: Vec<String> },
}

/// A class whose attributes are dependencies of every route its methods (and its
/// subclasses' methods) declare: `user: User = Depends(get_current_user)` under
/// fastapi-utils' `@cbv(router)` and its kin.
#[derive(Debug)]
pub struct ViewClass {
    pub name: String,
    pub guards: Vec<Guard>,
    pub bases: Vec<RouterRef>,
}

/// A route as declared: its own path, not yet joined with prefixes.
#[derive(Debug)]
pub struct RouteDecl {
    pub router: usize,
    /// Upper case; `ALL` for Express `all`, Flask `methods` absent is `GET`. Shared with
    /// the routes joined from it.
    pub methods: Arc<[String]>,
    pub path: String,
    /// The handler as written (`getUser`, `users.list`), or the function's own name;
    /// shared with the routes joined from it.
    pub handler: Option<Arc<str>>,
    /// Guards on this route alone: middleware arguments, decorators, dependencies.
    pub guards: Vec<Guard>,
    /// The status code the route declares: FastAPI `status_code=`, NestJS `@HttpCode`.
    pub status: Option<u16>,
    /// The route call or decorator, shared with the table's routes joined from it.
    pub location: Arc<Location>,
    /// The handler's function, when it is defined in this file.
    pub handler_span: Option<audit_core::Span>,
    /// What the handler's body does, when the handler is defined in this file; shared
    /// with every route of the table that serves it.
    pub body: Arc<HandlerBody>,
    /// The import the handler is reached through when another file defines it
    /// (`userController.create` from `require("../controllers/user")`).
    pub handler_import: Option<RouterRef>,
    /// The imported base classes of the class-based view the handler is a method of:
    /// their class-level dependencies run before it too ([`FileRoutes::view_classes`]).
    pub view_bases: Vec<RouterRef>,
}

/// What a handler defined beside its route does, read from its body. Every route holds
/// one until the project phase ends, and most of its places are not found, so each is
/// boxed: 8 bytes where nothing was found rather than 88.
#[derive(Clone, Debug, Default)]
pub struct HandlerBody {
    /// It checks the caller itself: reads the signed-in
    /// user or answers 401/403.
    pub checks_caller: bool,
    /// The handler's first call that writes stored data (`user.save()`, `db.session.
    /// commit()`), when the handler is defined in this file.
    pub writes: Option<Box<Location>>,
    /// The handler's first call that creates a record (`User.create()`, `repo.save()`,
    /// `session.add()`).
    pub creates: Option<Box<Location>>,
    /// The handler answers 201 somewhere (`res.status(201)`, `HttpStatus.CREATED`).
    pub answers_created: bool,
    /// Where the handler first reads the request body (`req.body`, `request.get_json()`).
    pub reads_body: Option<Box<Location>>,
    /// The handler validates the body itself (`schema.parse(req.body)`, `form.validate()`).
    pub validates_inline: bool,
    /// Every response the handler sends, in source order, with its status and body.
    pub answers: Vec<Answer>,
    /// The handler's first read of a whole collection with nothing bounding it and no
    /// pagination parameter read (`User.findAll()`, `Item.objects.all()`).
    pub lists_all: Option<Box<Location>>,
}

/// `app.use("/api", auth, router)`, `app.register_blueprint(bp, url_prefix="/x")`,
/// `fastify.register(plugin, { prefix })`, `require("./routes")(app)`.
#[derive(Debug)]
pub struct Mount {
    pub parent: usize,
    pub prefix: String,
    pub child: RouterRef,
    /// Middleware given with the mount: `app.use("/admin", requireAdmin, adminRouter)`.
    pub guards: Vec<Guard>,
    /// The guard the argument is when it resolves to no router: `app.use(auth)` with
    /// `auth` imported reads like a mount until the import is followed.
    pub fallback: Option<Guard>,
    /// Byte offset of the mount, so the parent's `use`s before it apply.
    pub at: usize,
    pub location: Location,
}

/// Middleware, a decorator or a dependency that runs before a handler.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Guard {
    /// As written, without arguments: `passport.authenticate`, `login_required`,
    /// `Depends(get_current_user)` is `get_current_user`. Shared: a router's guards are
    /// copied into each of its routes.
    pub name: Arc<str>,
    pub kind: GuardKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GuardKind {
    Auth,
    RateLimit,
    Validation,
    /// Marks a route public: NestJS `@Public()`, `@AllowAnonymous`, `permission_classes =
    /// [AllowAny]`.
    Public,
    Other,
}

impl GuardKind {
    pub fn name(self) -> &'static str {
        match self {
            GuardKind::Auth => "auth",
            GuardKind::RateLimit => "rate-limit",
            GuardKind::Validation => "validation",
            GuardKind::Public => "public",
            GuardKind::Other => "other",
        }
    }
}

impl Guard {
    /// A guard named `name`, its kind read from the name: what middleware and decorators
    /// are called is the only thing that says what they do.
    pub fn named(name: &str) -> Guard {
        Guard {
            name: Arc::from(name),
            kind: guard_kind(name),
        }
    }
}

fn guard_kind(name: &str) -> GuardKind {
    let lower = name.to_ascii_lowercase().replace(['_', '-'], "");
    let has = |words: &[&str]| words.iter().any(|w| lower.contains(w));
    if has(&["public", "allowany", "anonymous", "skipauth", "noauth"]) {
        GuardKind::Public
    } else if has(&["optional"]) {
        // `auth.optional` lets anonymous requests through.
        GuardKind::Other
    } else if has(&[
        "csrf",
        "cors",
        "helmet",
        "bodyparser",
        "cookieparser",
        "static",
        // `lusca.xssProtection()` sets a header, `xss-clean` strips markup.
        "xss",
    ]) || lower.starts_with("passport.")
        && !lower.starts_with("passport.authenticate")
        && !lower.starts_with("passport.authorize")
    {
        // Named like guards (`csrfProtect`, `cors`), they do not authenticate anyone;
        // `passport.initialize()` and `passport.session()` set passport up and let every
        // request through, `passport.authenticate(...)` is what rejects.
        GuardKind::Other
    } else if has(&["ratelimit", "limiter", "throttl", "slowdown", "speedlimit"])
        || lower.ends_with(".limit")
    {
        GuardKind::RateLimit
    } else if lower.contains("current") && lower.contains("user")
        || has(&[
            "auth",
            "login",
            "jwt",
            "passport",
            "token",
            "permission",
            "requireuser",
            "requireadmin",
            "isadmin",
            "admin",
            "protect",
            "guard",
            "verify",
            "signedin",
            "loggedin",
            "ensureuser",
            "roles",
            "role",
            "apikey",
            "firewall",
        ])
    {
        GuardKind::Auth
    } else if has(&[
        // Sanitizers (`mongoSanitize()`, `xss()`) strip operators and markup from
        // whatever arrives: they do not check the body's shape, so they are not listed.
        "valid",
        "celebrate",
        "schema",
        "zod",
        "joi",
        "yup",
    ]) {
        GuardKind::Validation
    } else {
        GuardKind::Other
    }
}

/// The routes `source` declares, read from its semantics; None when it declares none.
pub fn extract(
    semantics: &CodeSemantics,
    nodes: &NodeIndex<'_>,
    source: &SourceText,
    grammar: Grammar,
) -> Option<FileRoutes> {
    let mut routes = if grammar.is_javascript_family() {
        javascript::extract(semantics, nodes, source)
    } else {
        let mut routes = python::extract(semantics, nodes, source);
        if source.text.contains("urlpatterns") || source.text.contains("rest_framework") {
            django::extract(semantics, nodes, source, &mut routes);
        }
        routes
    };
    routes.health_package = semantics
        .imports()
        .iter()
        .any(|i| HEALTH_PACKAGES.iter().any(|p| i.module.starts_with(p)));
    routes.module_middleware = source.text.contains(".forRoutes(");
    routes.handles_shutdown = ["SIGTERM", "SIGINT", "enableShutdownHooks"]
        .iter()
        .any(|s| source.text.contains(s))
        || semantics
            .imports()
            .iter()
            .any(|i| SHUTDOWN_PACKAGES.iter().any(|p| i.module.starts_with(p)));
    for route in &mut routes.routes {
        if let Some(span) = route.handler_span {
            let nest = routes.routers[route.router].framework == Framework::NestJs;
            route.body = Arc::new(handler_body(semantics, nodes, source, span, nest));
        } else if route.handler_import.is_none()
            && let Some(written) = &route.handler
        {
            route.handler_import =
                handlers::handler_import(semantics, written, route.location.span.start);
        }
    }
    exported_handlers(semantics, nodes, source, grammar, &mut routes);
    // Kept until the project phase ends, with every other file's: without the slack
    // of lists grown by doubling.
    routes.routers.shrink_to_fit();
    routes.routes.shrink_to_fit();
    routes.mounts.shrink_to_fit();
    routes.handlers.shrink_to_fit();
    routes.view_classes.shrink_to_fit();
    let empty = routes.routers.is_empty()
        && routes.handlers.is_empty()
        && routes.reexports.is_empty()
        && routes.clients.is_empty()
        && routes.view_classes.is_empty()
        && routes.global_prefix.is_none()
        && routes.global_guards.is_empty()
        && !routes.health_package
        && routes.listens.is_none()
        && !routes.handles_shutdown;
    (!empty).then_some(routes)
}

/// What the functions `source` exports do, for routes of other files. Summaries that
/// found nothing are not kept.
fn exported_handlers(
    semantics: &CodeSemantics,
    nodes: &NodeIndex<'_>,
    source: &SourceText,
    grammar: Grammar,
    routes: &mut FileRoutes,
) {
    let found = |body: &HandlerBody| {
        !body.answers.is_empty()
            || body.checks_caller
            || body.writes.is_some()
            || body.reads_body.is_some()
            || body.lists_all.is_some()
    };
    let routed =
        |span: &audit_core::Span| routes.routes.iter().any(|r| r.handler_span == Some(*span));
    if grammar.is_javascript_family() {
        let exported = handlers::javascript(semantics, nodes, &source.text);
        let functions: Vec<_> = exported
            .functions
            .into_iter()
            .filter(|(_, s)| !routed(s))
            .collect();
        for (name, span) in functions {
            let body = handler_body(semantics, nodes, source, span, false);
            if found(&body) {
                routes.handlers.push((name, Arc::new(body)));
            }
        }
        routes.reexports = exported.modules;
    } else {
        let classes = handlers::python(semantics);
        let unrouted: Vec<_> = classes
            .into_iter()
            .filter(|(_, spans)| !spans.iter().any(&routed))
            .collect();
        for (name, spans) in unrouted {
            let mut spans = spans.into_iter();
            let Some(first) = spans.next() else { continue };
            let mut body = handler_body(semantics, nodes, source, first, false);
            for span in spans {
                body.merge(handler_body(semantics, nodes, source, span, false));
            }
            if found(&body) {
                routes.handlers.push((name, Arc::new(body)));
            }
        }
    }
}

impl HandlerBody {
    /// The body of a handler defined elsewhere: one, shared by every such declaration
    /// and by their routes when the join finds no definition either.
    fn none() -> Arc<HandlerBody> {
        static NONE: OnceLock<Arc<HandlerBody>> = OnceLock::new();
        NONE.get_or_init(Arc::default).clone()
    }

    /// Adds what another method of the same class-based view does.
    fn merge(&mut self, other: HandlerBody) {
        self.checks_caller |= other.checks_caller;
        self.writes = self.writes.take().or(other.writes);
        self.creates = self.creates.take().or(other.creates);
        self.answers_created |= other.answers_created;
        self.reads_body = self.reads_body.take().or(other.reads_body);
        self.validates_inline |= other.validates_inline;
        self.answers.extend(other.answers);
        self.lists_all = self.lists_all.take().or(other.lists_all);
    }
}

/// A path or prefix as written: a string literal's content; a template or f-string with
/// its substitutions kept as `${expr}`; `"/api" + version` joined; a name bound in the
/// file to a string literal; any other expression (`settings.API_V1_STR`) as `${expr}`
/// when `expressions` allows it, so a prefix that is not known is never silently empty.
fn path_value(
    sem: &CodeSemantics,
    nodes: &NodeIndex<'_>,
    text: &str,
    node: Node<'_>,
    expressions: bool,
) -> Option<String> {
    if let Some(literal) = string_content(text, node) {
        return Some(literal.to_string());
    }
    match node.kind_name() {
        "template_string" => {
            let inner = text.get(node.start_byte() + 1..node.end_byte().checked_sub(1)?)?;
            Some(inner.to_string())
        }
        "string" => {
            // A Python f-string: `f"{settings.API_V1_STR}/items"`.
            let mut out = String::new();
            let mut cursor = node.walk();
            for child in node.named_children(&mut cursor) {
                match child.kind_name() {
                    "string_start" | "string_end" => {}
                    "interpolation" => {
                        out.push('$');
                        out.push_str(text_of(text, child));
                    }
                    _ => out.push_str(text_of(text, child)),
                }
            }
            Some(out)
        }
        "binary_expression" | "binary_operator" => {
            let left = node.field("left")?;
            let right = node.field("right")?;
            let mut joined = path_value(sem, nodes, text, left, true)?;
            joined.push_str(&path_value(sem, nodes, text, right, true)?);
            Some(joined)
        }
        "identifier" => {
            let name = text_of(text, node);
            let literal = sem
                .binding_at(name, node.start_byte())
                .and_then(|b| b.value)
                .and_then(|value| nodes.node_at(value))
                .and_then(|value| string_content(text, value))
                .map(str::to_string);
            literal.or_else(|| expressions.then(|| format!("${{{name}}}")))
        }
        "member_expression" | "attribute" if expressions => {
            Some(format!("${{{}}}", text_of(text, node)))
        }
        _ => None,
    }
}

/// The router an imported binding names, as a reference the join resolves: the module
/// and the names after it (the imported member first).
fn imported(
    sem: &CodeSemantics,
    binding: audit_core::Span,
    tail: Vec<String>,
) -> Option<RouterRef> {
    let import = sem
        .imports()
        .iter()
        .find(|i| i.span.start <= binding.start && binding.end <= i.span.end)?;
    let mut path = Vec::new();
    if import.kind == crate::code::ImportKind::Member {
        path.push(import.name.clone()?);
    }
    path.extend(tail);
    Some(RouterRef::Imported {
        module: import.module.clone(),
        path,
    })
}

/// What the handler whose function is at `span` does. Its body is searched once for
/// every marker (caller checks, body reads, validation, 201), not once per marker. A
/// NestJS handler (`nest`) also answers with what it returns and the exceptions it throws.
fn handler_body(
    semantics: &CodeSemantics,
    nodes: &NodeIndex<'_>,
    source: &SourceText,
    span: audit_core::Span,
    nest: bool,
) -> HandlerBody {
    use aho_corasick::AhoCorasick;
    static MARKERS: OnceLock<(AhoCorasick, Vec<Marker>)> = OnceLock::new();
    let (finder, kinds) = MARKERS.get_or_init(|| {
        let groups = [
            (CALLER_CHECKS, Marker::CallerCheck),
            (BODY_READS, Marker::BodyRead),
            (INLINE_VALIDATION, Marker::Validation),
            (CREATED, Marker::Created),
        ];
        let patterns: Vec<&str> = groups.iter().flat_map(|(p, _)| p.iter().copied()).collect();
        let kinds = groups
            .iter()
            .flat_map(|(p, kind)| std::iter::repeat_n(*kind, p.len()))
            .collect();
        let finder = AhoCorasick::new(patterns).expect("marker patterns build");
        (finder, kinds)
    });
    let text = source.text.as_str();
    let body = text.get(span.start..span.end).unwrap_or("");
    let located = |found: Option<audit_core::Span>| found.map(|s| Box::new(source.locate(s)));
    let mut handler = HandlerBody {
        writes: located(writes::first_write(semantics, text, span)),
        creates: located(writes::first_create(semantics, text, span)),
        lists_all: located(answers::unbounded_list(semantics, nodes, text, span)),
        answers: nodes
            .node_at(span)
            .or_else(|| {
                let root = nodes.tree().root_node();
                root.named_descendant_for_byte_range(span.start, span.end)
            })
            .map(|function| answers::answers(semantics, nodes, source, function, nest))
            .unwrap_or_default(),
        ..HandlerBody::default()
    };
    let mut first_read = None;
    for found in finder.find_overlapping_iter(body) {
        match kinds[found.pattern().as_usize()] {
            Marker::CallerCheck => handler.checks_caller = true,
            Marker::Validation => handler.validates_inline = true,
            Marker::Created => handler.answers_created = true,
            Marker::BodyRead if first_read.is_none() => {
                let at = span.start + found.start();
                first_read = Some(audit_core::Span::new(at, span.start + found.end()));
            }
            Marker::BodyRead => {}
        }
    }
    handler.reads_body = located(first_read);
    // Held until the project phase ends: without the slack of a list grown by doubling.
    handler.answers.shrink_to_fit();
    handler
}

#[derive(Clone, Copy)]
enum Marker {
    CallerCheck,
    BodyRead,
    Validation,
    Created,
}

/// The HTTP verbs routes are declared with, as method names (`get`, `del` for Express's
/// old alias), and what they mean.
fn verb(method: &str) -> Option<&'static str> {
    Some(match method {
        "get" => "GET",
        "post" => "POST",
        "put" => "PUT",
        "patch" => "PATCH",
        "delete" | "del" => "DELETE",
        "options" => "OPTIONS",
        "head" => "HEAD",
        "all" => "ALL",
        _ => return None,
    })
}

/// What [`verb`] names, upper case.
const VERBS: [&str; 8] = [
    "GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD", "ALL",
];

/// A declaration's methods. The one-verb lists most declarations have are shared by all
/// of them instead of allocated for each (two blocks per route, held until the project
/// phase ends).
fn methods(list: Vec<String>) -> Arc<[String]> {
    static ONE_VERB: OnceLock<Vec<Arc<[String]>>> = OnceLock::new();
    let shared =
        ONE_VERB.get_or_init(|| VERBS.iter().map(|v| Arc::from([v.to_string()])).collect());
    match list.as_slice() {
        [only] => match VERBS.iter().position(|v| v == only) {
            Some(i) => shared[i].clone(),
            None => list.into(),
        },
        _ => list.into(),
    }
}

/// Joins a prefix and a path with exactly one `/` between them; an empty path is the
/// prefix itself (`@Get()` on `@Controller("cats")` serves `/cats`).
pub fn join_path(prefix: &str, path: &str) -> String {
    let prefix = prefix.trim_end_matches('/');
    let mut joined = String::with_capacity(prefix.len() + path.len() + 2);
    if !prefix.starts_with('/') {
        joined.push('/');
    }
    joined.push_str(prefix);
    if !path.is_empty() {
        if !joined.ends_with('/') {
            joined.push('/');
        }
        joined.push_str(path.trim_start_matches('/'));
    }
    joined
}
