//! Django routes: a module's `urlpatterns` (`path`, `re_path`, `url`, `include`) and
//! Django REST framework routers (`router.register("users", UserViewSet)`), so URLconfs
//! join like routers: `include("shop.urls")` mounts that module's patterns.

use std::collections::HashMap;
use std::sync::Arc;

use audit_core::SourceText;
use audit_syntax::tree_sitter::Node;

use super::{FileRoutes, Framework, Mount, RouteDecl, Router, RouterKind, RouterRef};
use crate::code::nodes::Fields;
use crate::code::nodes::{KindName, NodeIndex, elements, string_content, text_of};
use crate::code::{BindingKind, CodeSemantics, Scope};

/// The methods a DRF viewset serves on its list and detail routes, by its base class;
/// `ALL` where the class is not known here.
const VIEWSETS: &[(&str, &[&str], &[&str])] = &[
    ("ReadOnlyModelViewSet", &["GET"], &["GET"]),
    (
        "ModelViewSet",
        &["GET", "POST"],
        &["GET", "PUT", "PATCH", "DELETE"],
    ),
];

pub(super) fn extract(
    sem: &CodeSemantics,
    nodes: &NodeIndex<'_>,
    source: &SourceText,
    routes: &mut FileRoutes,
) {
    let text = source.text.as_str();
    let mut drf_routers: HashMap<usize, usize> = HashMap::new();
    // DRF routers first: `urlpatterns` includes them.
    for binding in sem.bindings() {
        if binding.scope != Scope::Module || binding.kind != BindingKind::Variable {
            continue;
        }
        let Some(call) = binding.value.and_then(|v| sem.call(v)) else {
            continue;
        };
        let Some(qualified) = call.qualified_name.as_deref() else {
            continue;
        };
        if matches!(
            qualified,
            "rest_framework.routers.DefaultRouter" | "rest_framework.routers.SimpleRouter"
        ) {
            drf_routers.insert(binding.span.start, routes.routers.len());
            routes
                .routers
                .push(router(source, &binding.name, RouterKind::Router, call.span));
        }
    }
    let calls = if drf_routers.is_empty() {
        &[][..]
    } else {
        sem.calls()
    };
    for call in calls {
        if !text[call.callee.start..call.callee.end].ends_with(".register") {
            continue;
        }
        let Some(callee) = nodes.node_at(call.callee) else {
            continue;
        };
        if callee.kind_name() != "attribute"
            || callee
                .field("attribute")
                .is_none_or(|a| text_of(text, a) != "register")
        {
            continue;
        }
        let Some(object) = callee.field("object") else {
            continue;
        };
        let Some(&router) = sem
            .binding_at(text_of(text, object), object.start_byte())
            .and_then(|b| drf_routers.get(&b.span.start))
        else {
            continue;
        };
        let args = positional(nodes, call.arguments);
        let (Some(prefix), Some(viewset)) = (
            args.first().and_then(|a| string_content(text, *a)),
            args.get(1),
        ) else {
            continue;
        };
        let (list, detail) = viewset_methods(sem, text, *viewset);
        let handler: Option<Arc<str>> = Some(text_of(text, *viewset).into());
        let prefix = prefix.trim_start_matches('^').trim_end_matches('$');
        for (path, methods) in [
            (format!("{prefix}/"), list),
            (format!("{prefix}/{{pk}}/"), detail),
        ] {
            routes.routes.push(RouteDecl {
                router,
                methods: super::methods(methods),
                path,
                handler: handler.clone(),
                guards: Vec::new(),
                status: None,
                location: Arc::new(source.locate(call.span)),
                handler_span: None,
                body: super::HandlerBody::none(),
                handler_import: None,
                view_bases: Vec::new(),
            });
        }
    }
    let urls = Urls {
        sem,
        nodes,
        source,
        drf_routers,
    };
    let mut urlconf = None;
    for binding in sem.bindings() {
        if binding.scope != Scope::Module || binding.name != "urlpatterns" {
            continue;
        }
        let Some(value) = binding.value.and_then(|v| nodes.node_at(v)) else {
            continue;
        };
        let conf = *urlconf.get_or_insert_with(|| {
            routes
                .exports
                .push(("urlpatterns".into(), routes.routers.len()));
            routes.routers.push(router(
                source,
                "urlpatterns",
                RouterKind::UrlConf,
                binding.span,
            ));
            routes.routers.len() - 1
        });
        urls.patterns(value, conf, routes, 0);
    }
}

fn router(source: &SourceText, name: &str, kind: RouterKind, span: audit_core::Span) -> Router {
    Router::new(Framework::Django, kind, name, source.locate(span))
}

/// What reading a file's URL patterns needs: the DRF routers are found first, since the
/// patterns include them.
struct Urls<'a> {
    sem: &'a CodeSemantics,
    nodes: &'a NodeIndex<'a>,
    source: &'a SourceText,
    drf_routers: HashMap<usize, usize>,
}

impl Urls<'_> {
    /// The patterns of `urlpatterns = [...]`, `+= [...]` or `= router.urls` (and sums of them).
    fn patterns(&self, value: Node<'_>, conf: usize, routes: &mut FileRoutes, depth: usize) {
        let (sem, source) = (self.sem, self.source);
        let drf_routers = &self.drf_routers;
        let text = source.text.as_str();
        // Lists including lists end; one including itself must too.
        if depth > 8 {
            return;
        }
        match value.kind_name() {
            "list" => {
                for element in elements(value) {
                    self.pattern(element, conf, routes, depth);
                }
            }
            "binary_operator" => {
                for side in ["left", "right"] {
                    if let Some(part) = value.field(side) {
                        self.patterns(part, conf, routes, depth);
                    }
                }
            }
            "attribute" => {
                // `router.urls`: the DRF router's routes at the URLconf's root.
                if let Some(child) = drf_router(sem, text, value, drf_routers) {
                    routes.mounts.push(Mount {
                        parent: conf,
                        prefix: String::new(),
                        child: RouterRef::Local(child),
                        guards: Vec::new(),
                        fallback: None,
                        at: value.start_byte(),
                        location: source.locate(value.byte_range().into()),
                    });
                }
            }
            _ => {}
        }
    }

    /// `path("users/<int:pk>/", views.user_detail)`, `re_path(r"^api/", include("api.urls"))`.
    fn pattern(&self, element: Node<'_>, conf: usize, routes: &mut FileRoutes, depth: usize) {
        let (sem, nodes, source) = (self.sem, self.nodes, self.source);
        let drf_routers = &self.drf_routers;
        let text = source.text.as_str();
        let Some(call) = sem.call(element.byte_range().into()) else {
            return;
        };
        let is_pattern = matches!(
            call.qualified_name.as_deref(),
            Some(
                "django.urls.path"
                    | "django.urls.re_path"
                    | "django.conf.urls.url"
                    | "django.conf.urls.re_path"
            )
        );
        if !is_pattern {
            return;
        }
        let args = positional(nodes, call.arguments);
        let (Some(route), Some(view)) = (
            args.first().and_then(|a| string_content(text, *a)),
            args.get(1),
        ) else {
            return;
        };
        let route = route.trim_start_matches('^').trim_end_matches('$');
        let location = source.locate(call.span);
        if let Some(included) = sem.call(view.byte_range().into())
            && matches!(
                included.qualified_name.as_deref(),
                Some("django.urls.include" | "django.conf.urls.include")
            )
        {
            let target = positional(nodes, included.arguments).first().copied();
            // `include(api_patterns)`: a list of patterns bound in this file.
            if let Some(list) = target
                .filter(|t| t.kind_name() == "identifier")
                .and_then(|t| sem.binding_at(text_of(text, t), t.start_byte()))
                .and_then(|b| b.value)
                .and_then(|v| nodes.node_at(v))
                .filter(|v| v.kind_name() == "list")
            {
                let name = text_of(text, target.unwrap_or(list));
                let child = routes.routers.len();
                routes.routers.push(router(
                    source,
                    name,
                    RouterKind::Router,
                    list.byte_range().into(),
                ));
                routes.mounts.push(Mount {
                    parent: conf,
                    prefix: route.to_string(),
                    child: RouterRef::Local(child),
                    guards: Vec::new(),
                    fallback: None,
                    at: call.span.start,
                    location,
                });
                self.patterns(list, child, routes, depth + 1);
                return;
            }
            let child = target.and_then(|t| {
                // `include("shop.urls")`, `include(("shop.urls", "shop"))`, `include(router.urls)`.
                let module = match t.kind_name() {
                    "tuple" => elements(t).first().copied(),
                    _ => Some(t),
                }?;
                if let Some(module) = string_content(text, module) {
                    return Some(RouterRef::Imported {
                        module: module.to_string(),
                        path: vec!["urlpatterns".to_string()],
                    });
                }
                drf_router(sem, text, module, drf_routers).map(RouterRef::Local)
            });
            if let Some(child) = child {
                routes.mounts.push(Mount {
                    parent: conf,
                    prefix: route.to_string(),
                    child,
                    guards: Vec::new(),
                    fallback: None,
                    at: call.span.start,
                    location,
                });
            }
            return;
        }
        // `UserDetail.as_view()` is the class; a function view is its name.
        let handler = match view.kind_name() {
            "call" => view
                .field("function")
                .and_then(|f| f.field("object"))
                .map(|o| text_of(text, o)),
            _ => Some(text_of(text, *view)),
        };
        routes.routes.push(RouteDecl {
            router: conf,
            methods: super::methods(vec!["ALL".to_string()]),
            path: route.to_string(),
            handler: handler.map(Arc::from),
            guards: Vec::new(),
            status: None,
            location: Arc::new(location),
            handler_span: None,
            body: super::HandlerBody::none(),
            handler_import: None,
            view_bases: Vec::new(),
        });
    }
}

/// The DRF router `router.urls` names.
fn drf_router(
    sem: &CodeSemantics,
    text: &str,
    node: Node<'_>,
    drf_routers: &HashMap<usize, usize>,
) -> Option<usize> {
    if node.kind_name() != "attribute" {
        return None;
    }
    let object = node.field("object")?;
    let attribute = node.field("attribute")?;
    if text_of(text, attribute) != "urls" || object.kind_name() != "identifier" {
        return None;
    }
    let binding = sem.binding_at(text_of(text, object), object.start_byte())?;
    drf_routers.get(&binding.span.start).copied()
}

/// A viewset's list and detail methods, from its base class when the file defines it.
fn viewset_methods(
    sem: &CodeSemantics,
    text: &str,
    viewset: Node<'_>,
) -> (Vec<String>, Vec<String>) {
    let all = || (vec!["ALL".to_string()], vec!["ALL".to_string()]);
    if viewset.kind_name() != "identifier" {
        return all();
    }
    let name = text_of(text, viewset);
    let Some(class) = sem
        .classes()
        .iter()
        .find(|c| c.name.as_deref() == Some(name))
    else {
        return all();
    };
    let header = &text[class.span.start..class.body.start];
    VIEWSETS
        .iter()
        .find(|(base, _, _)| header.contains(base))
        .map_or_else(all, |(_, list, detail)| {
            let owned = |m: &[&str]| m.iter().map(|s| s.to_string()).collect();
            (owned(list), owned(detail))
        })
}

fn positional<'t>(nodes: &NodeIndex<'t>, arguments: Option<audit_core::Span>) -> Vec<Node<'t>> {
    let mut args = arguments
        .and_then(|span| nodes.node_at(span))
        .map_or_else(Vec::new, elements);
    args.retain(|a| a.kind_name() != "keyword_argument");
    args
}
