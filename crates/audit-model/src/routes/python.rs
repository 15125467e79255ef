//! Routes of a Python file: Flask apps and blueprints, FastAPI apps and routers; route
//! decorators and `add_url_rule`/`add_api_route`, and the mounts between them.

use std::collections::HashMap;
use std::sync::Arc;

use audit_core::{SourceText, Span};
use audit_syntax::tree_sitter::Node;

use super::{
    FileRoutes, Framework, Guard, GuardKind, Mount, RouteDecl, Router, RouterKind, RouterRef,
    ViewClass, verb,
};
use crate::code::nodes::Fields;
use crate::code::nodes::{KindName, NodeIndex, elements, string_content, text_of};
use crate::code::{Binding, BindingKind, Call, CodeSemantics, Function, Scope};

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
        routes: FileRoutes::default(),
        by_binding: HashMap::new(),
        view_dependencies: HashMap::new(),
    };
    for function in sem.functions() {
        reader.decorated(function);
    }
    for call in sem.calls() {
        reader.call(call);
    }
    reader.exports();
    reader.view_classes();
    reader.routes
}

struct Reader<'a> {
    sem: &'a CodeSemantics,
    nodes: &'a NodeIndex<'a>,
    source: &'a SourceText,
    text: &'a str,
    routes: FileRoutes,
    by_binding: HashMap<usize, usize>,
    /// Each class's dependencies and imported bases, read once for all its methods.
    view_dependencies: HashMap<usize, (Vec<Guard>, Vec<RouterRef>)>,
}

impl<'a> Reader<'a> {
    /// `@app.route("/x", methods=["POST"])`, `@router.get("/x", status_code=201)`; a view
    /// with several route decorators serves each.
    fn decorated(&mut self, function: &Function) {
        fn is_route(name: &str) -> Option<(&str, Option<&'static str>)> {
            let (object, method) = name.rsplit_once('.')?;
            let methods = match method {
                "route" | "api_route" => None,
                _ => Some(verb(method)?),
            };
            Some((object, methods))
        }
        if !function
            .decorators
            .iter()
            .any(|d| is_route(&d.name).is_some())
        {
            return;
        }
        // Decorators that are not routes guard the view: `@login_required`,
        // `@jwt_required()`, `@limiter.limit("5/minute")`.
        let mut guards: Vec<Guard> = function
            .decorators
            .iter()
            .filter(|d| is_route(&d.name).is_none())
            .map(|d| Guard::named(&d.name))
            .collect();
        self.parameter_dependencies(function, &mut guards);
        let view_bases = match function.class {
            Some(class) => {
                let (class_guards, bases) = self.view_dependencies(class);
                guards.extend(class_guards.iter().cloned());
                bases.clone()
            }
            None => Vec::new(),
        };
        for decorator in &function.decorators {
            let Some((object, methods)) = is_route(&decorator.name) else {
                continue;
            };
            let Some(router) = self.router_named(object, decorator.span.start) else {
                continue;
            };
            let Some(call) = self.sem.call(decorator.span) else {
                continue;
            };
            let args = positional(self.nodes, call);
            let Some(path) = args.first().and_then(|a| self.string(*a)) else {
                continue;
            };
            let methods = match methods {
                Some(verb) => vec![verb.to_string()],
                None => self.methods_keyword(call),
            };
            let mut route_guards = self.dependencies(call);
            route_guards.extend(guards.iter().cloned());
            let decl = RouteDecl {
                router,
                methods: super::methods(methods),
                path: path.to_string(),
                handler: function.name.as_deref().map(Arc::from),
                guards: route_guards,
                status: self.status(call),
                location: Arc::new(self.source.locate(decorator.span)),
                handler_span: Some(function.span),
                body: super::HandlerBody::none(),
                handler_import: None,
                view_bases: view_bases.clone(),
            };
            self.routes.routes.push(decl);
        }
    }

    /// [`Self::class_dependencies`] of class `class`, memoised.
    fn view_dependencies(&mut self, class: usize) -> &(Vec<Guard>, Vec<RouterRef>) {
        if !self.view_dependencies.contains_key(&class) {
            let (mut guards, mut bases) = (Vec::new(), Vec::new());
            self.class_dependencies(class, &mut guards, &mut bases, &mut Vec::new());
            self.view_dependencies.insert(class, (guards, bases));
        }
        &self.view_dependencies[&class]
    }

    /// A class-based view's dependencies (fastapi-utils' `@cbv(router)`, fastapi-restful,
    /// a project's own `@controller(router)`): class attributes `user: User =
    /// Depends(get_current_user)` run before each of its routes, and so do its bases'.
    /// Bases defined in this file are followed here; imported ones are left for the
    /// project's join, in `bases`.
    fn class_dependencies(
        &self,
        class: usize,
        guards: &mut Vec<Guard>,
        bases: &mut Vec<RouterRef>,
        seen: &mut Vec<usize>,
    ) {
        if seen.contains(&class) || seen.len() >= 16 {
            return;
        }
        seen.push(class);
        let Some(node) = self.nodes.node_at(self.sem.classes()[class].span) else {
            return;
        };
        if let Some(body) = node.field("body") {
            for statement in elements(body) {
                let assigned = (statement.kind_name() == "expression_statement")
                    .then(|| statement.named_child(0))
                    .flatten()
                    .filter(|a| a.kind_name() == "assignment")
                    .and_then(|a| a.field("right"));
                if let Some(guard) = assigned.and_then(|value| self.dependency(value)) {
                    guards.push(guard);
                }
            }
        }
        let superclasses = node.field("superclasses").map(elements).unwrap_or_default();
        for base in superclasses {
            if !matches!(base.kind_name(), "identifier" | "attribute") {
                continue;
            }
            let written = text_of(self.text, base);
            let classes = self.sem.classes();
            let local = (0..classes.len()).find(|&i| {
                i != class
                    && classes[i].function.is_none()
                    && classes[i].name.as_deref() == Some(written)
            });
            match local {
                Some(local) => self.class_dependencies(local, guards, bases, seen),
                None => bases.extend(super::handlers::handler_import(
                    self.sem,
                    written,
                    base.start_byte(),
                )),
            }
        }
    }

    /// Module-level classes with dependencies of their own or through their bases, for
    /// the class-based views of other files that inherit them.
    fn view_classes(&mut self) {
        if !self.text.contains("Depends(") && !self.text.contains("Security(") {
            return;
        }
        let sem = self.sem;
        for (index, class) in sem.classes().iter().enumerate() {
            let Some(name) = class.name.as_ref().filter(|_| class.function.is_none()) else {
                continue;
            };
            let (guards, bases) = self.view_dependencies(index).clone();
            if !guards.is_empty() || !bases.is_empty() {
                self.routes.view_classes.push(ViewClass {
                    name: name.clone(),
                    guards,
                    bases,
                });
            }
        }
    }

    fn call(&mut self, call: &Call) {
        let written = &self.text[call.callee.start..call.callee.end];
        let method = written.rsplit('.').next().unwrap_or(written);
        if !matches!(
            method,
            "Limiter"
                | "register_blueprint"
                | "include_router"
                | "mount"
                | "add_url_rule"
                | "add_api_route"
                | "before_request"
        ) {
            return;
        }
        // Flask-Limiter and slowapi limit every route with `default_limits`.
        if let Some(framework) = match call.qualified_name.as_deref() {
            Some("flask_limiter.Limiter" | "flask_limiter.extension.Limiter") => {
                Some(Framework::Flask)
            }
            Some("slowapi.Limiter") => Some(Framework::FastApi),
            _ => None,
        } && call.keyword("default_limits").is_some()
        {
            let guard = Guard {
                name: "Limiter(default_limits)".into(),
                kind: GuardKind::RateLimit,
            };
            self.routes.global_guards.push((framework, guard));
            return;
        }
        let Some(callee) = self.nodes.node_at(call.callee) else {
            return;
        };
        if callee.kind_name() != "attribute" {
            return;
        }
        let (Some(object), Some(attribute)) = (callee.field("object"), callee.field("attribute"))
        else {
            return;
        };
        let method = text_of(self.text, attribute);
        if !matches!(
            method,
            "register_blueprint"
                | "include_router"
                | "mount"
                | "add_url_rule"
                | "add_api_route"
                | "before_request"
        ) {
            return;
        }
        if object.kind_name() != "identifier" {
            return;
        }
        let Some(parent) = self.router_named(text_of(self.text, object), object.start_byte())
        else {
            return;
        };
        let args = positional(self.nodes, call);
        match method {
            "add_url_rule" | "add_api_route" => self.url_rule(call, parent, &args),
            "before_request" => {
                if let Some(hook) = args.first() {
                    let guard = Guard::named(text_of(self.text, *hook));
                    self.routes.routers[parent]
                        .uses
                        .push((call.span.start, String::new(), guard));
                }
            }
            _ => {
                // `mount("/x", subapp)` puts the path first; the others take the router.
                let (child, prefix) = if method == "mount" {
                    (args.get(1), args.first().and_then(|a| self.string(*a)))
                } else {
                    let keyword = match method {
                        "register_blueprint" => "url_prefix",
                        _ => "prefix",
                    };
                    (args.first(), self.keyword_string(call, keyword))
                };
                let Some(child) = child.and_then(|c| self.child_router(*c)) else {
                    return;
                };
                let guards = self.dependencies(call);
                self.routes.mounts.push(Mount {
                    parent,
                    prefix: prefix.unwrap_or_default(),
                    child,
                    guards,
                    fallback: None,
                    at: call.span.start,
                    location: self.source.locate(call.span),
                });
            }
        }
    }

    /// `app.add_url_rule("/x", view_func=f, methods=[...])`, `app.add_api_route("/x", f)`.
    fn url_rule(&mut self, call: &Call, router: usize, args: &[Node<'a>]) {
        let Some(path) = args.first().and_then(|a| self.string(*a)) else {
            return;
        };
        let view = call
            .keyword("view_func")
            .or_else(|| call.keyword("endpoint"))
            .and_then(|k| self.nodes.node_at(k.value))
            .or_else(|| args.get(1).copied());
        let handler = view.map(|v| Arc::from(text_of(self.text, v)));
        let mut guards = self.dependencies(call);
        let handler_span = view.and_then(|v| self.function_named(v));
        if let Some(span) = handler_span
            && let Some(function) = self
                .sem
                .function_with_span(span)
                .map(|i| &self.sem.functions()[i])
        {
            self.parameter_dependencies(function, &mut guards);
        }
        let decl = RouteDecl {
            router,
            methods: super::methods(self.methods_keyword(call)),
            path: path.to_string(),
            handler,
            guards,
            status: self.status(call),
            location: Arc::new(self.source.locate(call.span)),
            handler_span,
            body: super::HandlerBody::none(),
            handler_import: None,
            view_bases: Vec::new(),
        };
        self.routes.routes.push(decl);
    }

    /// `methods=["GET", "POST"]`; `GET` when absent (Flask's and FastAPI's default).
    fn methods_keyword(&self, call: &Call) -> Vec<String> {
        let methods: Vec<String> = call
            .keyword("methods")
            .and_then(|k| self.nodes.node_at(k.value))
            .map(|list| {
                elements(list)
                    .iter()
                    .filter_map(|m| string_content(self.text, *m))
                    .map(str::to_ascii_uppercase)
                    .collect()
            })
            .unwrap_or_default();
        if methods.is_empty() {
            vec!["GET".to_string()]
        } else {
            methods
        }
    }

    /// FastAPI `dependencies=[Depends(verify_token), Security(scopes)]`.
    fn dependencies(&self, call: &Call) -> Vec<Guard> {
        let Some(list) = call
            .keyword("dependencies")
            .and_then(|k| self.nodes.node_at(k.value))
        else {
            return Vec::new();
        };
        elements(list)
            .into_iter()
            .filter_map(|d| self.dependency(d))
            .collect()
    }

    /// The guard of `Depends(get_current_user)`; `Security(...)` is always authorization.
    /// Read from the node: calls inside annotations are not in the model.
    fn dependency(&self, node: Node<'a>) -> Option<Guard> {
        if node.kind_name() != "call" {
            return None;
        }
        let security = match self.sem.qualified_name(node, self.text)?.as_str() {
            "fastapi.Depends" | "fastapi.params.Depends" => false,
            "fastapi.Security" | "fastapi.params.Security" => true,
            _ => return None,
        };
        let args = elements(node.field("arguments")?);
        let dependency = args.iter().find_map(|a| match a.kind_name() {
            "keyword_argument" => a
                .field("name")
                .filter(|n| text_of(self.text, *n) == "dependency")
                .and_then(|_| a.field("value")),
            _ => Some(*a),
        })?;
        let name = text_of(self.text, dependency);
        let mut guard = Guard::named(name.split('(').next().unwrap_or(name));
        if security {
            guard.kind = GuardKind::Auth;
        }
        Some(guard)
    }

    /// Dependencies in a handler's parameters: `user = Depends(get_current_user)`,
    /// `user: Annotated[User, Depends(get_current_user)]`.
    fn parameter_dependencies(&self, function: &Function, guards: &mut Vec<Guard>) {
        for parameter in &function.parameters {
            for span in parameter.default.iter().chain(parameter.annotation.iter()) {
                let Some(node) = self.nodes.node_at(*span) else {
                    continue;
                };
                // `current_user: CurrentUser`, an alias of `Annotated[User, Depends(...)]`
                // defined elsewhere: its name is all there is to go by.
                if Some(*span) == parameter.annotation.as_ref().copied()
                    && matches!(node.kind_name(), "type" | "identifier")
                    && node.named_child_count() <= 1
                {
                    let name = text_of(self.text, node);
                    let user = name.len() < 64 && name.to_ascii_lowercase().contains("user");
                    if user && !name.contains('[') {
                        let guard = Guard::named(name);
                        if guard.kind == GuardKind::Auth {
                            guards.push(guard);
                            continue;
                        }
                    }
                }
                // Annotations are a few nodes deep at most; walk them whole.
                let mut stack = vec![node];
                while let Some(node) = stack.pop() {
                    if let Some(guard) = self.dependency(node) {
                        guards.push(guard);
                        continue;
                    }
                    let mut cursor = node.walk();
                    stack.extend(node.named_children(&mut cursor));
                }
            }
        }
    }

    fn status(&self, call: &Call) -> Option<u16> {
        let value = call.keyword("status_code")?;
        let text = &self.text[value.value.start..value.value.end];
        text.parse().ok().or_else(|| {
            // `status.HTTP_201_CREATED`.
            let name = text.rsplit('.').next()?;
            name.strip_prefix("HTTP_")?.split('_').next()?.parse().ok()
        })
    }

    /// A path or prefix; an expression not known here is kept as `${expr}`.
    fn string(&self, node: Node<'a>) -> Option<String> {
        super::path_value(self.sem, self.nodes, self.text, node, true)
    }

    fn keyword_string(&self, call: &Call, name: &str) -> Option<String> {
        let value = self.nodes.node_at(call.keyword(name)?.value)?;
        self.string(value)
    }

    /// The local function a view argument names.
    fn function_named(&self, node: Node<'a>) -> Option<Span> {
        if node.kind_name() != "identifier" {
            return None;
        }
        let binding = self
            .sem
            .binding_at(text_of(self.text, node), node.start_byte())?;
        (binding.kind == BindingKind::Function).then_some(())?;
        // A `def`'s name lies inside its function.
        self.sem
            .enclosing_function(binding.span.start)
            .map(|f| f.span)
    }

    /// The router a name refers to at `at`: created here, imported (an alias router), or
    /// a function's `app` parameter.
    fn router_named(&mut self, name: &str, at: usize) -> Option<usize> {
        if name.contains('.') {
            return None;
        }
        let binding = self.sem.binding_at(name, at)?;
        self.router_of(binding)
    }

    /// The router a binding names, created on first sight.
    fn router_of(&mut self, binding: &'a Binding) -> Option<usize> {
        let name = binding.name.as_str();
        let key = binding.span.start;
        if let Some(&router) = self.by_binding.get(&key) {
            return Some(router);
        }
        let span = binding.span;
        match binding.kind {
            BindingKind::Variable => {
                let call = self.sem.call(binding.value?)?;
                let (framework, kind) = creation(call.qualified_name.as_deref()?)?;
                let prefix = match (framework, kind) {
                    (Framework::Flask, RouterKind::Router) => {
                        self.keyword_string(call, "url_prefix")
                    }
                    (Framework::FastApi, RouterKind::Router) => self.keyword_string(call, "prefix"),
                    _ => None,
                };
                let guards = self.dependencies(call);
                let index = self.add_router(key, framework, kind, name, span);
                let router = &mut self.routes.routers[index];
                router.prefix = prefix.unwrap_or_default();
                router.guards = guards;
                Some(index)
            }
            BindingKind::Import => {
                let target = super::imported(self.sem, span, Vec::new())?;
                let framework = self.file_framework();
                let index = self.add_router(key, framework, RouterKind::Router, name, span);
                self.routes.routers[index].alias = Some(target);
                Some(index)
            }
            BindingKind::Parameter if matches!(name, "app" | "router" | "bp" | "blueprint") => {
                let framework = self.file_framework();
                Some(self.add_router(key, framework, RouterKind::Plugin, name, span))
            }
            _ => None,
        }
    }

    fn file_framework(&self) -> Framework {
        let fastapi = self
            .sem
            .imports()
            .iter()
            .any(|i| i.module == "fastapi" || i.module.starts_with("fastapi."));
        if fastapi {
            Framework::FastApi
        } else {
            Framework::Flask
        }
    }

    fn add_router(
        &mut self,
        key: usize,
        framework: Framework,
        kind: RouterKind,
        name: &str,
        span: Span,
    ) -> usize {
        let index = self.routes.routers.len();
        let location = self.source.locate(span);
        self.routes
            .routers
            .push(Router::new(framework, kind, name, location));
        self.by_binding.insert(key, index);
        index
    }

    /// A mounted router: a local or imported name, or `module.router`.
    fn child_router(&mut self, node: Node<'a>) -> Option<RouterRef> {
        match node.kind_name() {
            "identifier" => {
                let name = text_of(self.text, node);
                let binding = self.sem.binding_at(name, node.start_byte())?;
                if binding.kind == BindingKind::Import {
                    let span = binding.span;
                    return super::imported(self.sem, span, Vec::new());
                }
                self.router_named(name, node.start_byte())
                    .map(RouterRef::Local)
            }
            "attribute" => {
                let mut path = Vec::new();
                let mut head = node;
                while head.kind_name() == "attribute" {
                    path.push(text_of(self.text, head.field("attribute")?).to_string());
                    head = head.field("object")?;
                }
                path.reverse();
                if head.kind_name() != "identifier" {
                    return None;
                }
                let binding = self
                    .sem
                    .binding_at(text_of(self.text, head), head.start_byte())?;
                (binding.kind == BindingKind::Import).then_some(())?;
                let span = binding.span;
                super::imported(self.sem, span, path)
            }
            _ => None,
        }
    }

    /// Every module-level router is importable by its name.
    fn exports(&mut self) {
        for binding in self.sem.bindings() {
            if binding.scope != Scope::Module || binding.kind != BindingKind::Variable {
                continue;
            }
            if let Some(router) = self.router_of(binding) {
                self.routes.exports.push((binding.name.clone(), router));
            }
        }
    }
}

fn creation(qualified: &str) -> Option<(Framework, RouterKind)> {
    Some(match qualified {
        "flask.Flask" => (Framework::Flask, RouterKind::App),
        "flask.Blueprint" | "flask.blueprints.Blueprint" => (Framework::Flask, RouterKind::Router),
        "fastapi.FastAPI" | "fastapi.applications.FastAPI" => (Framework::FastApi, RouterKind::App),
        "fastapi.APIRouter" | "fastapi.routing.APIRouter" => {
            (Framework::FastApi, RouterKind::Router)
        }
        _ => return None,
    })
}

fn positional<'t>(nodes: &NodeIndex<'t>, call: &Call) -> Vec<Node<'t>> {
    let mut args = call
        .arguments
        .and_then(|span| nodes.node_at(span))
        .map_or_else(Vec::new, elements);
    args.retain(|a| a.kind_name() != "keyword_argument");
    args
}
