//! The project's route table: each file's routers, routes and mounts joined through
//! imports into full paths, with every guard that runs before each handler.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use audit_core::{Location, Span};

use super::{
    FileRoutes, Framework, Guard, GuardKind, HandlerBody, RouteDecl, RouterRef, join_path,
};

/// Mount chains deeper than this are cut (and cycles with them).
const MAX_DEPTH: usize = 16;
/// A router mounted in more places than this keeps the first ones.
const MAX_CONTEXTS: usize = 16;

/// Every route of the project, in file and source order.
#[derive(Debug, Default)]
pub struct RouteTable {
    pub routes: Vec<Route>,
}

/// A route with its full path and everything that guards it.
#[derive(Clone, Debug)]
pub struct Route {
    pub framework: Framework,
    pub methods: Arc<[String]>,
    /// Prefixes of every router it is mounted through, joined: `/api/v1/users/:id`.
    pub path: String,
    pub handler: Option<Arc<str>>,
    /// The handler's function, when the route's file defines it.
    pub handler_span: Option<Span>,
    /// What the handler does, when the route's file defines it.
    pub body: Arc<HandlerBody>,
    /// Route, router, mount and app-level guards, outermost first.
    pub guards: Vec<Guard>,
    pub status: Option<u16>,
    /// The route call or decorator.
    pub location: Arc<Location>,
    /// The route's router could not be followed to an app: its path may lack prefixes,
    /// and guards the app applies are missing.
    pub partial: bool,
    /// The app that serves it (`express()`, `Flask(__name__)`...), when followed to one.
    pub app: Option<Arc<Location>>,
}

impl Route {
    /// The path has a part not known statically (`${settings.API_V1_STR}`).
    pub fn has_unknown_part(&self) -> bool {
        self.path.contains("${")
    }

    /// The path's literal segments, parameters (`:id`, `{id}`, `<int:id>`) left out.
    pub fn static_segments(&self) -> impl Iterator<Item = &str> {
        self.path.split('/').filter(|s| {
            !s.is_empty()
                && !s.starts_with(':')
                && !s.starts_with('{')
                && !s.starts_with('<')
                && !s.starts_with("${")
                && *s != "*"
        })
    }

    pub fn has_guard(&self, kind: GuardKind) -> bool {
        self.guards.iter().any(|g| g.kind == kind)
    }

    /// Whether the route writes: POST, PUT, PATCH, DELETE, or all methods.
    pub fn is_write(&self) -> bool {
        self.methods
            .iter()
            .any(|m| matches!(m.as_str(), "POST" | "PUT" | "PATCH" | "DELETE" | "ALL"))
    }
}

/// A router of one file: (file index, router index).
type RouterId = (usize, usize);

/// Where a router is served from: the joined prefix and the guards on the way.
#[derive(Clone, Debug)]
struct Context {
    prefix: String,
    /// In the order they run.
    guards: Vec<ContextGuard>,
    /// The app the chain of mounts ends at.
    app: Option<RouterId>,
}

/// A guard on the way to a router, and the full path below which it runs when a `use`
/// scoped it to a path deeper than the mount (`app.use("/v1/auth", limiter)` before
/// `app.use("/v1", routes)` guards `/v1/auth/login`, not `/v1/users`).
#[derive(Clone, Debug)]
struct ContextGuard {
    guard: Guard,
    below: Option<String>,
}

impl ContextGuard {
    fn always(guard: Guard) -> ContextGuard {
        ContextGuard { guard, below: None }
    }
}

impl RouteTable {
    /// Joins the routes of `files` (path and what it declares). Each file's route
    /// declarations are taken out of it (its `routes` is empty afterwards) and freed once
    /// its routes are made, so the joined table and every declaration of a large project
    /// are never all held at once; the rest of each file's facts stays for lookups.
    pub fn join<'f>(files: impl IntoIterator<Item = (&'f str, &'f mut FileRoutes)>) -> RouteTable {
        let mut files: Vec<(&str, &mut FileRoutes)> = files.into_iter().collect();
        let declared: Vec<Vec<RouteDecl>> = files
            .iter_mut()
            .map(|(_, f)| std::mem::take(&mut f.routes))
            .collect();
        let files: Vec<(&str, &FileRoutes)> = files.into_iter().map(|(p, f)| (p, &*f)).collect();
        let joiner = Joiner::new(&files);
        let global_prefix = files.iter().find_map(|(_, f)| f.global_prefix.as_deref());
        let global_guards: Vec<&(Framework, Guard)> =
            files.iter().flat_map(|(_, f)| &f.global_guards).collect();
        // Where each router is served from, found once per router rather than once per
        // declaration; a route is made per declaration and context, so their count sizes
        // the table exactly (mounts multiply declarations past one route each).
        let mut served: HashMap<RouterId, Vec<Context>> = HashMap::new();
        let mut count = 0;
        for (file, declarations) in declared.iter().enumerate() {
            for decl in declarations {
                let id = (file, decl.router);
                if joiner.clients.contains(&id) {
                    continue;
                }
                let contexts = served.entry(id).or_insert_with(|| {
                    let framework = files[file].1.routers[decl.router].framework;
                    let mut contexts = joiner.contexts(id, 0);
                    let global: Vec<Guard> = global_guards
                        .iter()
                        .filter(|(f, _)| *f == framework)
                        .map(|(_, g)| g.clone())
                        .collect();
                    for context in &mut contexts {
                        if framework == Framework::NestJs
                            && let Some(prefix) = global_prefix
                        {
                            context.prefix = join_path(prefix, &context.prefix);
                        }
                        let global = global.iter().cloned().map(ContextGuard::always);
                        context.guards.splice(0..0, global);
                    }
                    contexts
                });
                count += contexts.len();
            }
        }
        let mut routes = Vec::with_capacity(count);
        for (file, declarations) in declared.into_iter().enumerate() {
            let routers = &files[file].1.routers;
            for decl in &declarations {
                let Some(contexts) = served.get(&(file, decl.router)) else {
                    continue;
                };
                let router = &routers[decl.router];
                for context in contexts {
                    let nest = router.framework == Framework::NestJs;
                    let mut route = route(&joiner, file, decl, router.framework, context.clone());
                    // A NestJS controller is served by the app that imports its module.
                    route.partial = !nest && context.app.is_none();
                    route.app = context
                        .app
                        .map(|(f, r)| files[f].1.routers[r].location.clone());
                    routes.push(route);
                }
            }
        }
        RouteTable { routes }
    }
}

fn route(
    joiner: &Joiner<'_>,
    file: usize,
    decl: &RouteDecl,
    framework: Framework,
    context: Context,
) -> Route {
    let path = join_path(&context.prefix, &decl.path);
    let mut guards: Vec<Guard> = context
        .guards
        .into_iter()
        .filter(|g| g.below.as_deref().is_none_or(|below| covers(below, &path)))
        .map(|g| g.guard)
        .collect();
    guards.extend(joiner.uses_before((file, decl.router), decl.location.span.start, &decl.path));
    guards.extend(decl.guards.iter().cloned());
    for base in &decl.view_bases {
        joiner.view_class_guards(file, base, &mut guards, 0);
    }
    let imported = decl
        .handler_span
        .is_none()
        .then_some(decl.handler_import.as_ref())
        .flatten()
        .and_then(|reference| joiner.handler(file, reference, 0));
    Route {
        framework,
        methods: decl.methods.clone(),
        path,
        handler: decl.handler.clone(),
        handler_span: decl.handler_span,
        body: imported.unwrap_or(&decl.body).clone(),
        guards,
        status: decl.status,
        location: decl.location.clone(),
        partial: false,
        app: None,
    }
}

/// Whether middleware mounted at `prefix` runs for `path`.
fn covers(prefix: &str, path: &str) -> bool {
    // `router.all("/posts/*", auth)` runs below `/posts`, not for `/posts` itself.
    if let Some(base) = prefix.strip_suffix("/*") {
        return path
            .strip_prefix(base.trim_end_matches('/'))
            .is_some_and(|rest| rest.len() > 1 && rest.starts_with('/'));
    }
    let prefix = prefix.trim_end_matches('/');
    prefix.is_empty()
        || path == prefix
        || path
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('/'))
}

struct Joiner<'f> {
    files: &'f [(&'f str, &'f FileRoutes)],
    by_path: HashMap<&'f str, usize>,
    /// For each router, the mounts that mount it: (parent, file of the mount, mount index).
    parents: HashMap<RouterId, Vec<(usize, usize)>>,
    /// Alias routers (routes added to an imported router) and what they resolve to.
    aliases: HashMap<RouterId, Vec<RouterId>>,
    /// Mounts of what resolved to no router: middleware after all (`app.use(auth)` with
    /// `auth` imported), a `use` of the parent.
    middleware: HashMap<RouterId, Vec<(usize, String, Guard)>>,
    /// Alias routers that are HTTP clients another file exports: what is "declared" on
    /// them is requests.
    clients: HashSet<RouterId>,
    /// The files path aliases named, found once per alias.
    aliased: RefCell<HashMap<String, Option<usize>>>,
}

impl<'f> Joiner<'f> {
    fn new(files: &'f [(&'f str, &'f FileRoutes)]) -> Joiner<'f> {
        let by_path = files
            .iter()
            .enumerate()
            .map(|(i, (p, _))| (*p, i))
            .collect();
        let mut joiner = Joiner {
            files,
            by_path,
            parents: HashMap::new(),
            aliases: HashMap::new(),
            middleware: HashMap::new(),
            clients: HashSet::new(),
            aliased: RefCell::new(HashMap::new()),
        };
        for (file, (_, declared)) in files.iter().enumerate() {
            for (index, mount) in declared.mounts.iter().enumerate() {
                let children = joiner.resolve(file, &mount.child);
                if children.is_empty()
                    && let Some(guard) = &mount.fallback
                {
                    let uses = joiner.middleware.entry((file, mount.parent)).or_default();
                    uses.push((mount.at, mount.prefix.clone(), guard.clone()));
                }
                for child in children {
                    joiner.parents.entry(child).or_default().push((file, index));
                }
            }
            for (index, router) in declared.routers.iter().enumerate() {
                if let Some(target) = &router.alias {
                    if joiner.is_client(file, target) {
                        joiner.clients.insert((file, index));
                    }
                    let targets = joiner.resolve(file, target);
                    joiner.aliases.insert((file, index), targets);
                }
            }
        }
        joiner
    }

    /// Where router `id` is served from: one context per chain of mounts up to an app.
    fn contexts(&self, id: RouterId, depth: usize) -> Vec<Context> {
        let (file, index) = id;
        let router = &self.files[file].1.routers[index];
        let own = |mut context: Context| {
            context.prefix = join_path(&context.prefix, &router.prefix);
            let guards = router.guards.iter().cloned().map(ContextGuard::always);
            context.guards.extend(guards);
            context
        };
        let root = || Context {
            prefix: String::new(),
            guards: Vec::new(),
            app: self.is_root(id).then_some(id),
        };
        if depth >= MAX_DEPTH {
            return vec![own(root())];
        }
        let mut contexts = Vec::new();
        if let Some(targets) = self.aliases.get(&id) {
            for target in targets {
                contexts.extend(self.contexts(*target, depth + 1));
            }
        }
        for &(mount_file, mount_index) in self.parents.get(&id).into_iter().flatten() {
            let mount = &self.files[mount_file].1.mounts[mount_index];
            let parent = (mount_file, mount.parent);
            for mut context in self.contexts(parent, depth + 1) {
                let uses = self.uses_at_mount(parent, mount.at, &mount.prefix, &context.prefix);
                context.guards.extend(uses);
                let guards = mount.guards.iter().cloned().map(ContextGuard::always);
                context.guards.extend(guards);
                context.prefix = join_path(&context.prefix, &mount.prefix);
                contexts.push(own(context));
                if contexts.len() >= MAX_CONTEXTS {
                    return contexts;
                }
            }
        }
        if contexts.is_empty() {
            contexts.push(own(root()));
        }
        contexts.truncate(MAX_CONTEXTS);
        contexts
    }

    /// Whether router `id`, mounted nowhere, is served on its own: an app, or a Django
    /// URLconf that includes others (the project's `ROOT_URLCONF`; an app's URLconf that
    /// includes nothing is included from somewhere the model could not follow).
    fn is_root(&self, id: RouterId) -> bool {
        let declared = self.files[id.0].1;
        match declared.routers[id.1].kind {
            super::RouterKind::App => true,
            super::RouterKind::UrlConf => declared.mounts.iter().any(|m| m.parent == id.1),
            _ => false,
        }
    }

    /// The guards `use` calls on router `id` before byte `at` put on a path below it.
    fn uses_before<'s>(
        &'s self,
        id: RouterId,
        at: usize,
        path: &'s str,
    ) -> impl Iterator<Item = Guard> + 's {
        self.uses_until(id, at)
            .filter(move |(_, prefix, _)| covers(prefix, path))
            .map(|(_, _, guard)| guard.clone())
    }

    /// The guards `use` calls on router `id` before a mount at byte `at` of path `path`
    /// put on the mounted router: those covering the whole mount, and those scoped to a
    /// path below it, kept with that path joined to `served_at` (where `id` is served).
    fn uses_at_mount<'s>(
        &'s self,
        id: RouterId,
        at: usize,
        path: &'s str,
        served_at: &'s str,
    ) -> impl Iterator<Item = ContextGuard> + 's {
        self.uses_until(id, at)
            .filter_map(move |(_, prefix, guard)| {
                let guard = guard.clone();
                if covers(prefix, path) {
                    Some(ContextGuard::always(guard))
                } else {
                    let below = join_path(served_at, prefix);
                    covers(&join_path(served_at, path), &below).then_some(ContextGuard {
                        guard,
                        below: Some(below),
                    })
                }
            })
    }

    /// The `use` calls on router `id` up to byte `at`, in source order.
    fn uses_until(&self, id: RouterId, at: usize) -> impl Iterator<Item = &(usize, String, Guard)> {
        let own = &self.files[id.0].1.routers[id.1].uses;
        let middleware = self.middleware.get(&id).into_iter().flatten();
        let mut uses: Vec<&(usize, String, Guard)> = own.iter().chain(middleware).collect();
        uses.sort_by_key(|(offset, _, _)| *offset);
        uses.into_iter()
            // `<=`: middleware given with a mount (`app.use("/orders", auth, orders)`) is
            // recorded at the mount's own offset.
            .take_while(move |(offset, _, _)| *offset <= at)
    }

    /// The routers a reference from `file` names.
    fn resolve(&self, file: usize, reference: &RouterRef) -> Vec<RouterId> {
        self.resolve_through(file, reference, 0)
    }

    /// [`Joiner::resolve`], through the modules that re-export routers
    /// (`module.exports = { users: require("./users") }`, `export * from "./users"`).
    fn resolve_through(&self, file: usize, reference: &RouterRef, depth: usize) -> Vec<RouterId> {
        let (module, path) = match reference {
            RouterRef::Local(index) => return vec![(file, *index)],
            RouterRef::Imported { module, path } => (module, path),
        };
        let Some((target, name)) = self.exported(file, module, path) else {
            return Vec::new();
        };
        let declared = self.files[target].1;
        let found: Vec<RouterId> = declared
            .exports
            .iter()
            .filter(|(exported, _)| exported == name)
            .map(|(_, router)| (target, *router))
            .collect();
        if !found.is_empty() || depth >= MAX_DEPTH {
            return found;
        }
        declared
            .reexports
            .iter()
            .filter_map(|(reexported, module)| {
                let rest = reexported_rest(reexported, path)?;
                let next = RouterRef::Imported {
                    module: module.clone(),
                    path: rest,
                };
                Some(self.resolve_through(target, &next, depth + 1))
            })
            .flatten()
            .collect()
    }

    /// Whether a reference from `file` names an HTTP client another file exports.
    fn is_client(&self, file: usize, reference: &RouterRef) -> bool {
        let RouterRef::Imported { module, path } = reference else {
            return false;
        };
        self.exported(file, module, path)
            .is_some_and(|(target, name)| self.files[target].1.clients.iter().any(|c| c == name))
    }

    /// The file an import from `file` names and the name it exports the value under.
    fn exported<'p>(
        &self,
        file: usize,
        module: &str,
        path: &'p [String],
    ) -> Option<(usize, &'p str)> {
        let from = self.files[file].0;
        if from.ends_with(".py") {
            return self.python_module(from, module, path);
        }
        let target = self.javascript_module(from, module)?;
        Some((target, path.first().map_or("default", String::as_str)))
    }

    /// What the handler an import names does, read from the file that defines it,
    /// through re-exporting modules (`controllers/index.js`).
    fn handler(
        &self,
        file: usize,
        reference: &RouterRef,
        depth: usize,
    ) -> Option<&'f Arc<HandlerBody>> {
        let RouterRef::Imported { module, path } = reference else {
            return None;
        };
        if depth >= MAX_DEPTH {
            return None;
        }
        let from = self.files[file].0;
        if from.ends_with(".py") {
            let (target, name) = self.python_module(from, module, path)?;
            return self.files[target]
                .1
                .handlers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, body)| body);
        }
        let target = self.javascript_module(from, module)?;
        let declared = self.files[target].1;
        let key = path.join(".");
        // An ES default import of a CommonJS module is its `module.exports`, and
        // `require()` of an ES module gives its default export's members too.
        let alternative = match path.split_first() {
            Some((first, rest)) if first == "default" => rest.join("."),
            _ => format!("default.{key}"),
        };
        if let Some((_, body)) = declared
            .handlers
            .iter()
            .find(|(n, _)| *n == key || *n == alternative)
        {
            return Some(body);
        }
        declared.reexports.iter().find_map(|(name, module)| {
            // A handler is a member of what is re-exported, never the module itself.
            let rest = reexported_rest(name, path).filter(|rest| !rest.is_empty())?;
            let next = RouterRef::Imported {
                module: module.clone(),
                path: rest,
            };
            self.handler(target, &next, depth + 1)
        })
    }

    /// The dependencies an imported base class of a class-based view declares, its own
    /// and its bases', followed through the files that define them.
    fn view_class_guards(
        &self,
        file: usize,
        reference: &RouterRef,
        guards: &mut Vec<Guard>,
        depth: usize,
    ) {
        let RouterRef::Imported { module, path } = reference else {
            return;
        };
        if depth >= MAX_DEPTH {
            return;
        }
        let from = self.files[file].0;
        let named = |target: usize, name: &str| {
            self.files[target]
                .1
                .view_classes
                .iter()
                .find(|c| c.name == name)
                .map(|class| (target, class))
        };
        let found = self
            .python_module(from, module, path)
            .and_then(|(target, name)| named(target, name))
            .or_else(|| {
                // `from app.base import Controller` where `app/base/__init__.py` re-exports
                // its modules (`from .controllers import *`) and declares nothing itself.
                let [name] = path.as_slice() else {
                    return None;
                };
                let folder = python_folder(from, module)?;
                let absolute = !module.starts_with('.');
                (0..self.files.len())
                    .filter(|&f| {
                        let dir = parent_dir(self.files[f].0);
                        dir == folder
                            || (absolute
                                && dir
                                    .strip_suffix(folder.as_str())
                                    .is_some_and(|h| h.ends_with('/')))
                    })
                    .find_map(|f| named(f, name))
            });
        let Some((target, class)) = found else {
            return;
        };
        guards.extend(class.guards.iter().cloned());
        for base in &class.bases {
            self.view_class_guards(target, base, guards, depth + 1);
        }
    }

    /// The file a relative JS/TS import names, trying the extensions and `index` files
    /// Node and bundlers try.
    fn javascript_module(&self, from: &str, module: &str) -> Option<usize> {
        if !module.starts_with('.') {
            return self.aliased_module(from, module);
        }
        let base = normalize(&join_dir(parent_dir(from), module))?;
        let base = base.trim_end_matches('/');
        // `./users.js` written in TypeScript sources names `users.ts`.
        let stem = [".js", ".mjs", ".cjs"]
            .iter()
            .find_map(|e| base.strip_suffix(e))
            .unwrap_or(base);
        const EXTENSIONS: [&str; 8] =
            [".ts", ".js", ".tsx", ".jsx", ".mjs", ".cjs", ".mts", ".cts"];
        if let Some(&found) = self.by_path.get(base) {
            return Some(found);
        }
        for candidate in [stem.to_string(), format!("{base}/index")] {
            for extension in EXTENSIONS {
                if let Some(&found) = self.by_path.get(format!("{candidate}{extension}").as_str()) {
                    return Some(found);
                }
            }
        }
        None
    }

    /// The file a TypeScript path alias names (`@routes/users.route`, `@/controllers/
    /// users`, `~/app`, `#lib/x`, set up in `tsconfig.json`'s `paths`): the project file
    /// whose path ends with the module after its sigil, sharing the most folders with the
    /// importer (a repository of several projects has one such file each), then nearest
    /// the root. A scoped package (`@nestjs/common`) matches no file of the project.
    fn aliased_module(&self, from: &str, module: &str) -> Option<usize> {
        let key = format!("{}\0{module}", parent_dir(from));
        if let Some(found) = self.aliased.borrow().get(&key) {
            return *found;
        }
        let found = self.find_aliased(from, module);
        self.aliased.borrow_mut().insert(key, found);
        found
    }

    /// [`Joiner::aliased_module`], uncached: a scan of the project's files.
    fn find_aliased(&self, from: &str, module: &str) -> Option<usize> {
        let rest = module
            .strip_prefix(['@', '~', '#'])?
            .trim_start_matches('/');
        if rest.is_empty() || rest.split('/').any(|part| part == "..") {
            return None;
        }
        const EXTENSIONS: [&str; 4] = [".ts", ".js", ".tsx", ".mjs"];
        let suffixes: Vec<String> = EXTENSIONS
            .iter()
            .flat_map(|e| [format!("{rest}{e}"), format!("{rest}/index{e}")])
            .collect();
        self.files
            .iter()
            .enumerate()
            .filter(|(_, (path, _))| {
                suffixes.iter().any(|suffix| {
                    path.strip_suffix(suffix.as_str())
                        .is_some_and(|head| head.is_empty() || head.ends_with('/'))
                })
            })
            .min_by_key(|(_, (path, _))| {
                (std::cmp::Reverse(shared_folders(from, path)), path.len())
            })
            .map(|(index, _)| index)
    }

    /// The file and exported name a Python import names: `from app.api.routes import users`
    /// then `users.router` is `app/api/routes/users.py`, name `router`.
    fn python_module<'p>(
        &self,
        from: &str,
        module: &str,
        path: &'p [String],
    ) -> Option<(usize, &'p str)> {
        for split in (0..path.len()).rev() {
            let mut dotted = module.to_string();
            for part in &path[..split] {
                if !dotted.ends_with('.') {
                    dotted.push('.');
                }
                dotted.push_str(part);
            }
            if let Some(file) = self.python_file(from, &dotted) {
                return Some((file, &path[split]));
            }
        }
        None
    }

    fn python_file(&self, from: &str, dotted: &str) -> Option<usize> {
        let rest = python_folder(from, dotted)?;
        if dotted.starts_with('.') {
            return [format!("{rest}.py"), format!("{rest}/__init__.py")]
                .iter()
                .find_map(|candidate| self.by_path.get(candidate.trim_start_matches('/')))
                .copied();
        }
        // Absolute: the file whose path ends with the module's, nearest the importer's
        // folder first (a `src/` layout puts the package one folder down).
        let suffixes = [format!("{rest}.py"), format!("{rest}/__init__.py")];
        self.files
            .iter()
            .enumerate()
            .filter(|(_, (p, _))| {
                suffixes.iter().any(|s| {
                    *p == s.as_str() || p.strip_suffix(s.as_str()).is_some_and(|h| h.ends_with('/'))
                })
            })
            .min_by_key(|(_, (p, _))| p.len())
            .map(|(i, _)| i)
    }
}

/// The names left of `path` once a module re-exported as `reexported` is reached: all of
/// them through `export *` (which never re-exports a default), the rest after the
/// re-exported name otherwise; None when the path does not go through it.
fn reexported_rest(reexported: &str, path: &[String]) -> Option<Vec<String>> {
    if reexported == "*" {
        return (!path.is_empty() && path[0] != "default").then(|| path.to_vec());
    }
    let names: Vec<&str> = reexported.split('.').collect();
    let through = path.len() >= names.len() && path.iter().zip(&names).all(|(p, n)| p == n);
    through.then(|| path[names.len()..].to_vec())
}

/// How many leading folders two paths share.
fn shared_folders(a: &str, b: &str) -> usize {
    parent_dir(a)
        .split('/')
        .zip(parent_dir(b).split('/'))
        .take_while(|(x, y)| x == y && !x.is_empty())
        .count()
}

/// The folder a Python package names: relative to the importer, or as a path suffix
/// (`app.base` is `app/base`) for an absolute import.
fn python_folder(from: &str, dotted: &str) -> Option<String> {
    let dots = dotted.len() - dotted.trim_start_matches('.').len();
    let rest = dotted[dots..].replace('.', "/");
    if dots == 0 {
        return (!rest.is_empty()).then_some(rest);
    }
    let mut dir = parent_dir(from).to_string();
    for _ in 1..dots {
        dir = parent_dir(&dir).to_string();
    }
    Some(if rest.is_empty() {
        dir
    } else {
        join_dir(&dir, &rest)
    })
}

fn parent_dir(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

fn join_dir(dir: &str, relative: &str) -> String {
    if dir.is_empty() {
        relative.to_string()
    } else {
        format!("{dir}/{relative}")
    }
}

/// `a/./b/../c` as `a/c`; None when `..` climbs out of the root.
fn normalize(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            _ => parts.push(part),
        }
    }
    Some(parts.join("/"))
}
