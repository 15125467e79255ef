use std::sync::Arc;
use std::time::Duration;

use audit_core::SourceText;
use audit_syntax::Grammar;

use super::*;
use crate::code::CodeSemantics;

fn grammar(path: &str) -> Grammar {
    match path.rsplit('.').next() {
        Some("py") => Grammar::Python,
        Some("ts") => Grammar::TypeScript,
        _ => Grammar::JavaScript,
    }
}

/// The joined table of `files`, one line per route: `METHOD path handler [guards] line`.
fn table(files: &[(&str, &str)]) -> Vec<String> {
    let mut extracted: Vec<(String, FileRoutes)> = files
        .iter()
        .filter_map(|(path, text)| {
            let grammar = grammar(path);
            let (tree, grammar) =
                audit_syntax::parse_tree(grammar, text, Duration::from_secs(5)).unwrap();
            let source = SourceText::new(Arc::from(*path), text.to_string());
            let (sem, nodes) = CodeSemantics::build_indexed(&tree, text, grammar);
            extract(&sem, &nodes, &source, grammar).map(|r| (path.to_string(), r))
        })
        .collect();
    let table = RouteTable::join(extracted.iter_mut().map(|(p, r)| (p.as_str(), r)));
    table
        .routes
        .iter()
        .map(|r| {
            let guards: Vec<String> = r
                .guards
                .iter()
                .map(|g| format!("{}:{}", g.name, g.kind.name()))
                .collect();
            format!(
                "{} {} {} [{}] {}:{}{}",
                r.methods.join(","),
                r.path,
                r.handler.as_deref().unwrap_or("-"),
                guards.join(" "),
                r.location.path,
                r.location.start.line,
                if r.partial { " partial" } else { "" }
            )
        })
        .collect()
}

#[test]
fn express_routes_mounted_across_files() {
    let app = r#"
const express = require("express");
const helmet = require("helmet");
const { requireAuth } = require("./auth");
const users = require("./routes/users");
const app = express();
app.use(helmet());
app.get("/health", (req, res) => res.send("ok"));
app.use(requireAuth);
app.use("/api/v1/users", users);
app.post("/login", login);
"#;
    let users = r#"
const router = require("express").Router();
const { body } = require("express-validator");
router.get("/", list);
router.post("/", body("email").isEmail(), create);
router.route("/:id")
  .get(show)
  .delete(rateLimit({ max: 5 }), remove);
module.exports = router;
"#;
    assert_eq!(
        table(&[("src/app.js", app), ("src/routes/users.js", users)]),
        [
            "GET /health - [helmet:other] src/app.js:8",
            "POST /login login [helmet:other requireAuth:auth] src/app.js:11",
            "GET /api/v1/users/ list [helmet:other requireAuth:auth] src/routes/users.js:4",
            "POST /api/v1/users/ create [helmet:other requireAuth:auth express-validator.body:validation] src/routes/users.js:5",
            "DELETE /api/v1/users/:id remove [helmet:other requireAuth:auth rateLimit:rate-limit] src/routes/users.js:8",
            "GET /api/v1/users/:id show [helmet:other requireAuth:auth] src/routes/users.js:7",
        ]
    );
}

#[test]
fn express_es_modules_plugins_and_middleware_after_routes() {
    let app = r#"
import express from "express";
import apiRouter from "./api/index.js";
import registerAdmin from "./admin";
const app = express();
app.use("/api", apiRouter);
registerAdmin(app);
app.get("/late", handler);
app.use(passport.authenticate("jwt"));
"#;
    let api = r#"
import { Router } from "express";
import { ordersRouter } from "./orders";
const router = Router();
router.use("/orders", ordersRouter);
export default router;
"#;
    let orders = r#"
import express from "express";
export const ordersRouter = express.Router();
ordersRouter.patch("/:id", update);
"#;
    let admin = r#"
export default function registerAdmin(app) {
  app.delete("/admin/users/:id", isAdmin, removeUser);
}
"#;
    assert_eq!(
        table(&[
            ("src/admin.ts", admin),
            ("src/api/index.ts", api),
            ("src/api/orders.ts", orders),
            ("src/app.ts", app),
        ]),
        [
            "DELETE /admin/users/:id removeUser [isAdmin:auth] src/admin.ts:3",
            "PATCH /api/orders/:id update [] src/api/orders.ts:4",
            "GET /late handler [] src/app.ts:8",
        ]
    );
}

#[test]
fn middleware_scoped_below_a_mount_guards_only_the_routes_under_its_path() {
    let app = r#"
const express = require("express");
const v1 = require("./v1");
const app = express();
app.use("/v1/auth", authLimiter);
app.use("/v1/auth/*", captcha);
app.use("/other", requireAdmin);
app.use("/v1", v1);
app.use("/v1/users", late);
"#;
    let v1 = r#"
const router = require("express").Router();
const auth = require("express").Router();
auth.post("/login", login);
router.use("/auth", auth);
router.post("/auth", probe);
router.post("/authors", authors);
router.get("/users", users);
module.exports = router;
"#;
    assert_eq!(
        table(&[("src/app.js", app), ("src/v1.js", v1)]),
        [
            "POST /v1/auth/login login [authLimiter:rate-limit captcha:other] src/v1.js:4",
            "POST /v1/auth probe [authLimiter:rate-limit] src/v1.js:6",
            "POST /v1/authors authors [] src/v1.js:7",
            "GET /v1/users users [] src/v1.js:8",
        ]
    );
}

#[test]
fn an_http_client_is_not_a_router() {
    let client = r#"
import axios from "axios";
const api = axios.create({ baseURL: "/api" });
api.get("/users", { params: { page: 1 } });
function load(http) { return http.post("/orders", body); }
request(app).post("/login").send({});
app.get("port");
"#;
    assert!(table(&[("src/client.js", client)]).is_empty());
    // TypeScript-Node-Starter's Facebook example: a module importing express for its
    // types calls a package's client.
    let sdk = r#"
import graph from "fbgraph";
import { Request, Response } from "express";
export const getFacebook = (req: Request, res: Response) => {
  graph.get(`${req.user.facebook}?fields=id,name`, (err: Error, results) => res.json(results));
  client.get(`/me?fields=id`, (req, res) => res.json(req));
  got.get("/users/:id", (error, body) => res.send(body));
};
"#;
    assert!(table(&[("src/controllers/api.ts", sdk)]).is_empty());
}

#[test]
fn an_imported_http_client_is_not_a_router() {
    // devconnector's React client: an axios instance exported from one file, called in
    // others.
    let instance = r#"
import axios from "axios";
const api = axios.create({ baseURL: "/api" });
api.interceptors.response.use((res) => res);
export default api;
"#;
    let actions = r#"
import api from "../utils/api";
import http from "axios";
export const register = (formData) => async (dispatch) => {
  const res = await api.post("/users", formData);
};
export const like = (id) => api.put(`/posts/like/${id}`, id).then(done);
api.post("/logs", buildEntry());
http.post("/metrics", collect());
"#;
    // Not known to be a client: only how the calls are used says they are requests.
    let unknown = r#"
import client from "./generated/client";
const payload = { name: "x" };
export async function save(user) {
  await client.post("/users", user);
  client.put("/settings", payload);
}
"#;
    let router = r#"
const express = require("express");
const router = express.Router();
module.exports = router;
"#;
    let routes = r#"
import router from "./router";
const same = require("./router");
router.post("/users", createUser);
same.delete("/users/:id", removeUser);
"#;
    assert_eq!(
        table(&[
            ("client/src/utils/api.js", instance),
            ("client/src/actions/auth.js", actions),
            ("client/src/actions/other.js", unknown),
            ("server/router.js", router),
            ("server/routes.js", routes),
        ]),
        [
            "POST /users createUser [] server/routes.js:4 partial",
            "DELETE /users/:id removeUser [] server/routes.js:5 partial",
        ]
    );
}

#[test]
fn routers_and_handlers_through_re_exporting_modules_of_any_name() {
    let app = r#"
const express = require("express");
const { users } = require("./routes/api");
const api = require("./routes/api");
import { posts } from "./routes/es";
import * as es from "./routes/es";
const app = express();
app.use("/users", users);
app.use("/v2/users", api.users);
app.use("/posts", posts);
app.use("/tags", es.tags);
"#;
    let commonjs = r#"
module.exports = { users: require("./users") };
"#;
    let es = r#"
export { default as posts } from "./posts";
export * from "./tags";
"#;
    let users = r#"
const router = require("express").Router();
const { accounts } = require("../controllers/all");
router.post("/", accounts.create);
module.exports = router;
"#;
    let posts = r#"
import { Router } from "express";
const router = Router();
router.get("/", list);
export default router;
"#;
    let tags = r#"
import { Router } from "express";
export const tags = Router();
tags.delete("/:id", remove);
"#;
    let controllers = r#"
module.exports = { accounts: require("./accounts") };
"#;
    let accounts = r#"
exports.create = async (req, res) => {
  await Account.create(req.body);
  res.status(409).json({ error: "taken" });
};
"#;
    let files = [
        ("src/app.js", app),
        ("src/routes/api.js", commonjs),
        ("src/routes/es.ts", es),
        ("src/routes/users.js", users),
        ("src/routes/posts.ts", posts),
        ("src/routes/tags.ts", tags),
        ("src/controllers/all.js", controllers),
        ("src/controllers/accounts.js", accounts),
    ];
    assert_eq!(
        table(&files),
        [
            "POST /users/ accounts.create [] src/routes/users.js:4",
            "POST /v2/users/ accounts.create [] src/routes/users.js:4",
            "GET /posts/ list [] src/routes/posts.ts:4",
            "DELETE /tags/:id remove [] src/routes/tags.ts:4",
        ]
    );
    assert_eq!(
        joined_answers(&files)[0],
        "POST /users/ [409:{error}@src/controllers/accounts.js:4] writes"
    );
}

#[test]
fn fastify_shorthand_full_declarations_and_prefixed_plugins() {
    let server = r#"
const fastify = require("fastify")({ logger: true });
fastify.register(require("@fastify/rate-limit"), { max: 100 });
fastify.register(require("./routes/items"), { prefix: "/v1" });
fastify.get("/health", async () => ({ ok: true }));
"#;
    let items = r#"
module.exports = async function (fastify, opts) {
  fastify.addHook("onRequest", fastify.authenticate);
  fastify.get("/items", { schema: itemsSchema }, listItems);
  fastify.route({ method: ["POST"], url: "/items", preHandler: [checkOwner], handler: createItem });
};
"#;
    assert_eq!(
        table(&[("server.js", server), ("routes/items.js", items)]),
        [
            "GET /health - [@fastify/rate-limit:rate-limit] server.js:5",
            "GET /v1/items listItems [@fastify/rate-limit:rate-limit fastify.authenticate:auth schema:validation] routes/items.js:4",
            "POST /v1/items createItem [@fastify/rate-limit:rate-limit fastify.authenticate:auth checkOwner:other] routes/items.js:5",
        ]
    );
}

#[test]
fn koa_router_prefixes() {
    let app = r#"
const Koa = require("koa");
const Router = require("@koa/router");
const app = new Koa();
const router = new Router({ prefix: "/api" });
router.get("user", "/users/:id", jwt({ secret }), getUser);
router.post("/users", createUser);
app.use(router.routes());
"#;
    assert_eq!(
        table(&[("app.js", app)]),
        [
            "GET /api/users/:id getUser [jwt:auth] app.js:6",
            "POST /api/users createUser [] app.js:7",
        ]
    );
}

#[test]
fn nestjs_controllers_with_guards_and_global_prefix() {
    let main = r#"
import { NestFactory } from "@nestjs/core";
async function bootstrap() {
  const app = await NestFactory.create(AppModule);
  app.setGlobalPrefix("api");
  app.useGlobalGuards(new ThrottlerGuard());
  await app.listen(3000);
}
"#;
    let controller = r#"
import { Controller, Get, Post, Delete, UseGuards, HttpCode, Body } from "@nestjs/common";
import { ApiBearerAuth } from "@nestjs/swagger";
@ApiBearerAuth()
@Controller("cats")
@UseGuards(AuthGuard("jwt"))
export class CatsController {
  @Get()
  findAll() {}
  @Post()
  @HttpCode(201)
  create(@Body() dto: CreateCatDto) {}
  @Public()
  @Delete(":id")
  remove() {}
}
"#;
    assert_eq!(
        table(&[
            ("src/main.ts", main),
            ("src/cats.controller.ts", controller)
        ]),
        [
            "GET /api/cats findAll [ThrottlerGuard:rate-limit AuthGuard:auth] src/cats.controller.ts:8",
            "POST /api/cats create [ThrottlerGuard:rate-limit AuthGuard:auth] src/cats.controller.ts:10",
            "DELETE /api/cats/:id remove [ThrottlerGuard:rate-limit AuthGuard:auth Public:public] src/cats.controller.ts:14",
        ]
    );
}

#[test]
fn flask_blueprints_and_decorators() {
    let app = r#"
from flask import Flask
from .auth import bp as auth_bp
from app.api import views
app = Flask(__name__)
app.register_blueprint(auth_bp, url_prefix="/auth")
app.register_blueprint(views.api)

@app.route("/health")
def health():
    return "ok"
"#;
    let auth = r#"
from flask import Blueprint
bp = Blueprint("auth", __name__)

@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("5/minute")
def login():
    pass
"#;
    let views = r#"
import flask
api = flask.Blueprint("api", __name__, url_prefix="/api/v1")

@api.delete("/posts/<int:id>")
@login_required
def delete_post(id):
    pass
"#;
    assert_eq!(
        table(&[
            ("app/__init__.py", app),
            ("app/api/views.py", views),
            ("app/auth.py", auth),
        ]),
        [
            "GET /health health [] app/__init__.py:9",
            "DELETE /api/v1/posts/<int:id> delete_post [login_required:auth] app/api/views.py:5",
            "GET,POST /auth/login login [limiter.limit:rate-limit] app/auth.py:5",
        ]
    );
}

#[test]
fn fastapi_routers_dependencies_and_status_codes() {
    let main = r#"
from fastapi import Depends, FastAPI
from app.api.routes import items, login
app = FastAPI()
app.include_router(login.router, prefix="/api/v1")
app.include_router(items.router, prefix="/api/v1", dependencies=[Depends(get_current_user)])
"#;
    let items = r#"
from fastapi import APIRouter, Depends, status
router = APIRouter(prefix="/items", tags=["items"])

@router.post("/", status_code=status.HTTP_201_CREATED)
def create_item(item: ItemCreate, session: SessionDep):
    pass

@router.get("/{id}")
def read_item(id: int, user: Annotated[User, Depends(get_current_active_user)]):
    pass
"#;
    let login = r#"
from fastapi import APIRouter
router = APIRouter()

@router.post("/login/access-token")
def login_access_token(form_data: OAuth2PasswordRequestForm = Depends()):
    pass
"#;
    assert_eq!(
        table(&[
            ("backend/app/api/routes/items.py", items),
            ("backend/app/api/routes/login.py", login),
            ("backend/app/main.py", main),
        ]),
        [
            "POST /api/v1/items/ create_item [get_current_user:auth] backend/app/api/routes/items.py:5",
            "GET /api/v1/items/{id} read_item [get_current_user:auth get_current_active_user:auth] backend/app/api/routes/items.py:9",
            "POST /api/v1/login/access-token login_access_token [] backend/app/api/routes/login.py:5",
        ]
    );
}

#[test]
fn class_based_views_inherit_class_level_dependencies_across_files() {
    // `app/base/__init__.py` re-exports it (`from .controllers import *`).
    let base = r#"
from fastapi import Depends
from app.deps import get_current_user, get_session

class BaseController:
    session: Session = Depends(get_session)

class UserController(BaseController):
    user: User = Depends(get_current_user)

class CrudController(UserController):
    pass
"#;
    let items = r#"
from fastapi import APIRouter, Depends
from fastapi_utils.cbv import cbv
from app.base import CrudController
from app.base.controllers import BaseController

router = APIRouter(prefix="/items")

@cbv(router)
class ItemRoutes(CrudController):
    @router.delete("/{item_id}")
    def delete_one(self, item_id: int):
        pass

class Limits:
    limiter = Depends(rate_limit)

@cbv(router)
class PublicRoutes(BaseController, Limits):
    @router.get("/public")
    def listing(self):
        pass
"#;
    assert_eq!(
        table(&[("app/base/controllers.py", base), ("app/items.py", items)]),
        [
            "DELETE /items/{item_id} delete_one [get_current_user:auth get_session:other] app/items.py:11 partial",
            "GET /items/public listing [rate_limit:rate-limit get_session:other] app/items.py:20 partial",
        ]
    );
}

#[test]
fn django_urlconfs_include_apps_and_drf_routers() {
    let root = r#"
from django.contrib import admin
from django.urls import include, path, re_path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("shop.urls")),
    re_path(r"^health/$", views.health),
]
"#;
    let shop = r#"
from django.urls import include, path
from rest_framework.routers import DefaultRouter
from rest_framework import viewsets

class OrderViewSet(viewsets.ReadOnlyModelViewSet):
    pass

router = DefaultRouter()
router.register(r"products", ProductViewSet)
router.register(r"orders", OrderViewSet, basename="order")

urlpatterns = [
    path("", include(router.urls)),
    path("cart/<int:pk>/", CartDetail.as_view(), name="cart"),
]
"#;
    assert_eq!(
        table(&[("config/urls.py", root), ("shop/urls.py", shop)]),
        [
            "ALL /admin/ admin.site.urls [] config/urls.py:6",
            "ALL /health/ views.health [] config/urls.py:8",
            "ALL /api/v1/products/ ProductViewSet [] shop/urls.py:10",
            "ALL /api/v1/products/{pk}/ ProductViewSet [] shop/urls.py:10",
            "GET /api/v1/orders/ OrderViewSet [] shop/urls.py:11",
            "GET /api/v1/orders/{pk}/ OrderViewSet [] shop/urls.py:11",
            "ALL /api/v1/cart/<int:pk>/ CartDetail [] shop/urls.py:15",
        ]
    );
}

#[test]
fn django_pattern_lists_that_include_themselves_end() {
    let urls = r#"
from django.urls import include, path

api = [
    path("again/", include(api)),
    path("x/", views.x),
]
urlpatterns = [path("api/", include(api))]
"#;
    let routes = table(&[("urls.py", urls)]);
    assert!(!routes.is_empty() && routes.len() <= 16, "{routes:#?}");
    assert!(
        routes.iter().all(|r| r.starts_with("ALL /api/")),
        "{routes:#?}"
    );
}

#[test]
fn unmounted_routers_are_partial_and_mount_cycles_end() {
    let a = r#"
const express = require("express");
const router = express.Router();
const other = require("./b");
router.use("/b", other);
router.get("/a", handler);
module.exports = router;
"#;
    let b = r#"
const express = require("express");
const router = express.Router();
router.use("/a", require("./a"));
router.get("/x", handler);
module.exports = router;
"#;
    let routes = table(&[("a.js", a), ("b.js", b)]);
    assert_eq!(routes.len(), 2, "{routes:#?}");
    assert!(routes.iter().all(|r| r.ends_with("partial")), "{routes:#?}");
}

#[test]
fn paths_join_with_one_slash() {
    assert_eq!(join_path("", "/x"), "/x");
    assert_eq!(join_path("/api/", "/x"), "/api/x");
    assert_eq!(join_path("api", "x"), "/api/x");
    assert_eq!(join_path("/api", ""), "/api");
    assert_eq!(join_path("/api", "/"), "/api/");
    assert_eq!(join_path("", ""), "/");
}

/// Each route's answers as `status body` and its unbounded list read, from one file.
fn answers_of(path: &str, text: &str) -> Vec<String> {
    let grammar = grammar(path);
    let (tree, grammar) = audit_syntax::parse_tree(grammar, text, Duration::from_secs(5)).unwrap();
    let source = SourceText::new(Arc::from(path), text.to_string());
    let (sem, nodes) = CodeSemantics::build_indexed(&tree, text, grammar);
    let routes = extract(&sem, &nodes, &source, grammar).unwrap();
    routes
        .routes
        .iter()
        .map(|r| {
            let answers: Vec<String> = r
                .body
                .answers
                .iter()
                .map(|a| {
                    let status = match a.status {
                        Status::Default => "default".to_string(),
                        Status::Code(c) => c.to_string(),
                        Status::Unknown => "?".to_string(),
                    };
                    let body = match &a.body {
                        Body::Object { keys, failure } => format!(
                            "{{{}}}{}",
                            keys.join(","),
                            failure.as_ref().map_or(String::new(), |f| format!("!{f}"))
                        ),
                        Body::Text => "text".to_string(),
                        Body::Other => "other".to_string(),
                    };
                    format!("{status}:{body}@{}", a.location.start.line)
                })
                .collect();
            let list = r.body.lists_all.as_ref().map(|l| l.start.line);
            format!("{} {} list={list:?}", r.path, answers.join(" "))
        })
        .collect()
}

#[test]
fn express_answers_with_status_and_body_shape() {
    let text = r#"const router = require("express").Router();
router.get("/a", async (req, res) => {
  if (!ok) return res.status(404).json({ error: "missing", code: 4 });
  if (bad) return res.status(err.status).send("bad");
  res.set("X", "1").json({ success: false, message: "no" });
});
router.get("/b", async (req, res) => {
  const data = await fetch(url).then((r) => r.json());
  res.json({ data, error: null });
  reply.code(HttpStatus.BAD_REQUEST).send({ errors });
  res.sendStatus(204);
});
router.get("/users", async (req, res) => res.json(await User.findAll()));
router.get("/posts", async (req, res) => res.json(await Post.find({}).limit(20)));
router.get("/tags", async (req, res) => res.json(await Tag.findAll({ limit: +req.query.limit })));
router.get("/items", async (req, res) => res.json(items.find((i) => i.ok)));
"#;
    assert_eq!(
        answers_of("src/a.js", text),
        [
            "/a 404:{error,code}!error@3 ?:text@4 default:{success,message}!success@5 list=None",
            "/b default:{data,error}@9 400:{errors}!errors@10 204:text@11 list=None",
            "/users default:other@13 list=Some(13)",
            "/posts default:other@14 list=None",
            "/tags default:other@15 list=None",
            "/items default:other@16 list=None",
        ]
    );
}

#[test]
fn python_answers_from_returns_responses_and_raises() {
    let text = r#"from fastapi import APIRouter, HTTPException, status
from fastapi.responses import JSONResponse
from flask import Blueprint, jsonify
router = APIRouter()
bp = Blueprint("b", __name__)

@router.get("/a")
def a():
    if x:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="gone")
    if y:
        return JSONResponse(status_code=400, content={"error": "bad"})
    return {"status": "error", "message": "m"}

@bp.route("/b")
def b():
    if x:
        return jsonify(error="bad"), 400
    if y:
        return {"message": "no"}, HTTPStatus.CONFLICT
    return jsonify(items)

@router.get("/items")
def items(session):
    return session.query(Item).all()

@router.get("/pages")
def pages(session, skip: int = 0, limit: int = 100):
    return session.query(Item).offset(skip).limit(limit).all()

@bp.route("/all")
def everything():
    return jsonify([i.to_dict() for i in Item.query.all()])

@bp.route("/some")
def some():
    return jsonify([i.to_dict() for i in Item.objects.all()[:20]])
"#;
    assert_eq!(
        answers_of("app/api.py", text),
        [
            "/a 404:{detail}@10 400:{error}!error@12 default:{status,message}!status@13 list=None",
            "/b 400:{error}!error@18 409:{message}@20 list=None",
            "/items  list=Some(25)",
            "/pages  list=None",
            "/all  list=Some(33)",
            "/some  list=None",
        ]
    );
}

/// Each joined route's answers as `status:shape`, and whether it writes, over `files`.
fn joined_answers(files: &[(&str, &str)]) -> Vec<String> {
    let mut extracted: Vec<(String, FileRoutes)> = files
        .iter()
        .filter_map(|(path, text)| {
            let (tree, grammar) =
                audit_syntax::parse_tree(grammar(path), text, Duration::from_secs(5)).unwrap();
            let source = SourceText::new(Arc::from(*path), text.to_string());
            let (sem, nodes) = CodeSemantics::build_indexed(&tree, text, grammar);
            extract(&sem, &nodes, &source, grammar).map(|r| (path.to_string(), r))
        })
        .collect();
    let table = RouteTable::join(extracted.iter_mut().map(|(p, r)| (p.as_str(), r)));
    table
        .routes
        .iter()
        .map(|r| {
            let answers: Vec<String> = r
                .body
                .answers
                .iter()
                .map(|a| {
                    let status = match a.status {
                        Status::Default => "default".to_string(),
                        Status::Code(c) => c.to_string(),
                        Status::Unknown => "?".to_string(),
                    };
                    let shape = a.body.error_shape().unwrap_or_else(|| "-".into());
                    format!(
                        "{status}:{shape}@{}:{}",
                        a.location.path, a.location.start.line
                    )
                })
                .collect();
            let writes = if r.body.writes.is_some() {
                " writes"
            } else {
                ""
            };
            format!(
                "{} {} [{}]{writes}",
                r.methods.join(","),
                r.path,
                answers.join(" ")
            )
        })
        .collect()
}

#[test]
fn handlers_defined_in_other_files_answer_through_imports() {
    let routes = r#"
const express = require("express");
const userController = require("../controllers/user.controller");
const { postController } = require("../controllers");
const { remove } = require("../controllers/user.controller");
import Items from "../controllers/items";
import * as tags from "../controllers/tags";
const router = express.Router();
router.get("/users", userController.list);
router.post("/users", auth, catchAsync(userController.create));
router.delete("/users/:id", remove);
router.get("/posts", postController.list);
router.get("/items", Items.index);
router.get("/tags", tags.all);
router.get("/local", helpers.unknown);
module.exports = router;
"#;
    let users = r#"
const catchAsync = require("../utils/catchAsync");
const list = async (req, res) => {
  res.status(500).json({ message: "down" });
};
const create = catchAsync(async (req, res) => {
  await User.create(req.body);
  res.status(400).send({ error: "taken" });
});
exports.remove = function (req, res) { res.status(404).json({ errors: [] }); };
module.exports = { list, create, remove: exports.remove };
"#;
    let index = r#"
module.exports.postController = require("./post.controller");
"#;
    let posts = r#"
module.exports = {
  list(req, res) { return res.status(403).json({ error: "no" }); },
};
"#;
    let items = r#"
class ItemsController {
  async index(req, res) { res.status(404).json({ detail: "none" }); }
}
export default new ItemsController();
"#;
    let tags = r#"
export async function all(req, res) { res.status(400).json({ msg: "x" }); }
"#;
    assert_eq!(
        joined_answers(&[
            ("src/routes/users.js", routes),
            ("src/controllers/user.controller.js", users),
            ("src/controllers/index.js", index),
            ("src/controllers/post.controller.js", posts),
            ("src/controllers/items.ts", items),
            ("src/controllers/tags.ts", tags),
        ]),
        [
            "GET /users [500:{message}@src/controllers/user.controller.js:4]",
            "POST /users [400:{error}@src/controllers/user.controller.js:8] writes",
            "DELETE /users/:id [404:{errors}@src/controllers/user.controller.js:10]",
            "GET /posts [403:{error}@src/controllers/post.controller.js:3]",
            "GET /items [404:{detail}@src/controllers/items.ts:3]",
            "GET /tags [400:{msg}@src/controllers/tags.ts:2]",
            "GET /local []",
        ]
    );
}

#[test]
fn methods_of_controllers_made_at_run_time() {
    let routes = r#"
const express = require("express");
const { UserController } = require("../controllers/users");
import PostController from "../controllers/posts";
const ctl = require("../controllers/tags");
class ItemController {
  constructor(service) { this.service = service; }
  async create(req, res) { await Item.create(req.body); res.status(400).json({ error: "x" }); }
}
const users = new UserController(userService);
const posts = new PostController();
const items = new ItemController(itemService);
const tags = new ctl.TagController();
const router = express.Router();
router.get("/users", users.list);
router.post("/users", (req, res) => users.create(req, res));
router.get("/posts", asyncHandler(async (req, res, next) => { await posts.index(req, res, next); }));
router.post("/items", items.create.bind(items));
router.put("/items/:id", (req, res) => items.create(req, res));
router.get("/tags", tags.list);
router.get("/answer", (req, res) => res.json(users.count()));
module.exports = router;
"#;
    let users = r#"
class UserController {
  constructor(service) { this.service = service; }
  async list(req, res) { res.status(503).json({ message: "down" }); }
  create = async (req, res) => { await User.create(req.body); res.status(422).json({ errors: [] }); };
}
module.exports = { UserController };
"#;
    let posts = r#"
export default class PostController {
  async index(req, res) { res.status(404).json({ detail: "none" }); }
}
"#;
    let files = [
        ("src/routes/all.js", routes),
        ("src/controllers/users.js", users),
        ("src/controllers/posts.ts", posts),
    ];
    assert_eq!(
        joined_answers(&files),
        [
            "GET /users [503:{message}@src/controllers/users.js:4]",
            "POST /users [422:{errors}@src/controllers/users.js:5] writes",
            "GET /posts [404:{detail}@src/controllers/posts.ts:3]",
            "POST /items [400:{error}@src/routes/all.js:8] writes",
            "PUT /items/:id [400:{error}@src/routes/all.js:8] writes",
            "GET /tags []",
            "GET /answer [default:-@src/routes/all.js:21]",
        ]
    );
    let handlers: Vec<String> = table(&files)
        .iter()
        .map(|r| r.split(' ').nth(2).unwrap_or_default().to_string())
        .collect();
    assert_eq!(
        handlers,
        [
            "users.list",
            "users.create",
            "posts.index",
            "items.create",
            "items.create",
            "tags.list",
            "-"
        ]
    );
}

#[test]
fn constructor_functions_and_a_plugin_required_by_name() {
    // OWASP NodeGoat's layout.
    let server = r#"
const express = require("express");
const routes = require("./app/routes");
MongoClient.connect(url, (err, db) => {
  const app = express();
  routes(app, db);
});
"#;
    let index = r#"
const SessionHandler = require("./session");
function MemosHandler(db) {
  this.addMemos = (req, res) => { res.status(500).json({ error: "x" }); };
}
const index = (app, db) => {
  const sessionHandler = new SessionHandler(db);
  const memosHandler = new MemosHandler(db);
  const isLoggedIn = sessionHandler.isLoggedInMiddleware;
  app.post("/login", sessionHandler.handleLoginRequest);
  app.post("/memos", isLoggedIn, memosHandler.addMemos);
};
module.exports = index;
"#;
    let session = r#"
function SessionHandler(db) {
  "use strict";
  const userDAO = new UserDAO(db);
  this.isLoggedInMiddleware = (req, res, next) => next();
  this.handleLoginRequest = (req, res, next) => {
    return res.status(401).json({ message: "bad" });
  };
}
module.exports = SessionHandler;
"#;
    let files = [
        ("server.js", server),
        ("app/routes/index.js", index),
        ("app/routes/session.js", session),
    ];
    assert_eq!(
        table(&files),
        [
            "POST /login sessionHandler.handleLoginRequest [] app/routes/index.js:10",
            "POST /memos memosHandler.addMemos [isLoggedIn:auth] app/routes/index.js:11",
        ]
    );
    assert_eq!(
        joined_answers(&files),
        [
            "POST /login [401:{message}@app/routes/session.js:7]",
            "POST /memos [500:{error}@app/routes/index.js:4]",
        ]
    );
}

#[test]
fn python_views_imported_from_another_module() {
    let urls = r#"
from django.urls import path
from . import views
from .views import detail, ItemView
urlpatterns = [
    path("items/", views.index),
    path("items/<int:pk>/", detail),
    path("things/", ItemView.as_view()),
]
"#;
    let views = r#"
from django.http import JsonResponse
def index(request):
    return JsonResponse({"error": "bad"}, status=400)
def detail(request, pk):
    return JsonResponse({"message": "gone"}, status=404)
class ItemView(View):
    def get(self, request):
        return JsonResponse({"detail": "x"}, status=403)
    def post(self, request):
        return JsonResponse({"errors": []}, status=422)
"#;
    assert_eq!(
        joined_answers(&[("shop/urls.py", urls), ("shop/views.py", views)]),
        [
            "ALL /items/ [400:{error}@shop/views.py:4]",
            "ALL /items/<int:pk>/ [404:{message}@shop/views.py:6]",
            "ALL /things/ [403:{detail}@shop/views.py:9 422:{errors}@shop/views.py:11]",
        ]
    );
}

#[test]
fn koa_body_assignments_and_nest_returns_and_exceptions() {
    let koa = r#"const Router = require("@koa/router");
const router = new Router();
router.get("/a", async (ctx) => {
  if (!ctx.query.id) {
    ctx.status = 400;
    ctx.body = { error: "id required" };
    return;
  }
  ctx.status = 404;
  if (missing) {
    ctx.response.body = "gone";
  }
  ctx.body = { success: false, message: "no" };
});
router.get("/b", async (ctx) => {
  const body = ctx.request.body;
  ctx.body = await Item.findAll();
});
"#;
    assert_eq!(
        answers_of("src/koa.js", koa),
        [
            "/a 400:{error}!error@6 404:text@11 404:{success,message}!success@13 list=None",
            "/b default:other@17 list=Some(17)",
        ]
    );
    let nest = r#"import { Controller, Get, Post, HttpCode, HttpException, HttpStatus, NotFoundException } from "@nestjs/common";
@Controller("cats")
export class CatsController {
  @Get(":id")
  async one(id) {
    const cat = await this.cats.find(id);
    if (!cat) throw new NotFoundException("no cat");
    if (cat.hidden) {
      throw new HttpException({ error: "hidden" }, HttpStatus.FORBIDDEN);
    }
    const format = (c) => { return { c }; };
    return { success: false, cat };
  }
  @Post()
  @HttpCode(200)
  create() {
    throw new HttpException("bad", 400);
  }
}
"#;
    assert_eq!(
        answers_of("src/cats.controller.ts", nest),
        [
            ":id 404:{statusCode,message,error}@7 403:{error}!error@9 default:{success,cat}!success@12 list=None",
            " 400:{statusCode,message}@17 list=None",
        ]
    );
}

#[test]
fn mounts_from_a_table_of_routes_and_exported_koa_middleware() {
    let app = r#"
const express = require("express");
const routes = require("./routes/v1");
const app = express();
app.use("/v1", routes);
"#;
    let index = r#"
const express = require("express");
const authRoute = require("./auth.route");
const router = express.Router();
const defaultRoutes = [
  { path: "/auth", route: authRoute },
  { path: "/users", route: require("./user.route") },
];
defaultRoutes.forEach((route) => {
  router.use(route.path, route.route);
});
module.exports = router;
"#;
    let auth = r#"
const router = require("express").Router();
router.post("/login", login);
module.exports = router;
"#;
    let users = r#"
const router = require("express").Router();
router.get("/:id", getUser);
module.exports = router;
"#;
    let koa_app = r#"
const Koa = require("koa");
const app = new Koa();
const routes = require("./router");
app.use(routes.routes());
"#;
    let koa_router = r#"
const Router = require("koa-router");
const router = new Router({ prefix: "/api" });
router.get("/tags", list);
module.exports = router.routes();
"#;
    let koa_index = r#"
const Router = require("koa-router");
const router = new Router();
const tags = require("./tags");
router.use(tags);
module.exports = router;
"#;
    assert_eq!(
        table(&[
            ("src/app.js", app),
            ("src/routes/v1/index.js", index),
            ("src/routes/v1/auth.route.js", auth),
            ("src/routes/v1/user.route.js", users),
            ("koa/app.js", koa_app),
            ("koa/router.js", koa_index),
            ("koa/tags.js", koa_router),
        ]),
        [
            "POST /v1/auth/login login [] src/routes/v1/auth.route.js:3",
            "GET /v1/users/:id getUser [] src/routes/v1/user.route.js:3",
            "GET /api/tags list [] koa/tags.js:4",
        ]
    );
}

#[test]
fn a_plugin_required_with_dots_in_its_name_requires_its_handlers_inside() {
    let server = r#"
const express = require("express");
const app = express();
require("./app/routes/tutorial.routes.js")(app);
"#;
    let routes = r#"
module.exports = (app) => {
  const tutorials = require("../controllers/tutorial.controller.js");
  const router = require("express").Router();
  router.post("/", tutorials.create);
  app.use("/api/tutorials", router);
};
"#;
    let controller = r#"
exports.create = (req, res) => {
  if (!req.body.title) {
    res.status(400).send({ message: "Content can not be empty!" });
    return;
  }
};
"#;
    assert_eq!(
        joined_answers(&[
            ("server.js", server),
            ("app/routes/tutorial.routes.js", routes),
            ("app/controllers/tutorial.controller.js", controller),
        ]),
        ["POST /api/tutorials/ [400:{message}@app/controllers/tutorial.controller.js:4]"]
    );
}

#[test]
fn routers_held_by_classes_and_apps_built_from_them() {
    // mwanago/express-typescript and typescript-express-starter's layout.
    let server = r#"
import App from "./app";
import PostController from "./post/post.controller";
import { UserRoute } from "./routes/users.route";
const app = new App([new PostController(), new UserRoute()]);
app.listen();
"#;
    let app = r#"
import * as express from "express";
class App {
  public app: express.Application;
  constructor(controllers) {
    this.app = express();
    this.initializeControllers(controllers);
  }
  private initializeControllers(controllers) {
    controllers.forEach((controller) => {
      this.app.use("/", controller.router);
    });
  }
}
export default App;
"#;
    let posts = r#"
import { Router } from "express";
import authMiddleware from "../middleware/auth.middleware";
class PostController {
  public path = "/posts";
  public router = Router();
  constructor() {
    this.initializeRoutes();
  }
  private initializeRoutes() {
    this.router.get(this.path, this.getAllPosts);
    this.router
      .all(`${this.path}/*`, authMiddleware)
      .patch(`${this.path}/:id`, this.modifyPost)
      .post(this.path, this.createPost);
  }
  private getAllPosts = async (request, response) => {
    response.status(503).json({ message: "down" });
  };
  private modifyPost = async (request, response) => {};
  private createPost = async (request, response) => {};
}
export default PostController;
"#;
    let users = r#"
import { Router } from "express";
import { UserController } from "../controllers/users.controller";
export class UserRoute {
  public path = "/users";
  public router = Router();
  public user = new UserController();
  constructor() {
    this.initializeRoutes();
  }
  private initializeRoutes() {
    this.router.get(`${this.path}/:id(\\d+)`, this.user.getUserById);
  }
}
"#;
    let controller = r#"
export class UserController {
  public getUserById = async (req, res, next) => {
    res.status(404).json({ error: "none" });
  };
}
"#;
    let files = [
        ("src/server.ts", server),
        ("src/app.ts", app),
        ("src/post/post.controller.ts", posts),
        ("src/routes/users.route.ts", users),
        ("src/controllers/users.controller.ts", controller),
    ];
    assert_eq!(
        table(&files),
        [
            "GET /posts this.getAllPosts [] src/post/post.controller.ts:11",
            "POST /posts this.createPost [] src/post/post.controller.ts:15",
            "PATCH /posts/:id this.modifyPost [authMiddleware:auth] src/post/post.controller.ts:14",
            "GET /users/:id(\\\\d+) this.user.getUserById [] src/routes/users.route.ts:12",
        ]
    );
    assert_eq!(
        joined_answers(&files),
        [
            "GET /posts [503:{message}@src/post/post.controller.ts:18]",
            "POST /posts []",
            "PATCH /posts/:id []",
            "GET /users/:id(\\\\d+) [404:{error}@src/controllers/users.controller.ts:4]",
        ]
    );
}

#[test]
fn class_routers_mounted_by_instance_and_self_aliases() {
    let app = r#"
const express = require("express");
const ctl = require("./controllers");
const { UsersController } = require("./users");
class HealthController {
  constructor() {
    const self = this;
    self.router = express.Router();
    self.router.get("/", self.check);
  }
  check(req, res) { res.status(500).json({ error: "x" }); }
}
const app = express();
app.use("/health", new HealthController().router);
const users = new UsersController();
app.use("/users", users.router);
const tags = new ctl.TagsController();
app.get("/tags", tags.list);
"#;
    let users = r#"
const { Router } = require("express");
class UsersController {
  router = Router();
  constructor() {
    this.router.post("/", this.create);
  }
  create(req, res) {}
}
module.exports = { UsersController };
"#;
    let controllers = r#"
class TagsController {
  list(req, res) { res.status(418).json({ message: "tea" }); }
}
module.exports = { TagsController };
"#;
    let files = [
        ("app.js", app),
        ("users.js", users),
        ("controllers/index.js", controllers),
    ];
    assert_eq!(
        table(&files),
        [
            "GET /health/ self.check [] app.js:9",
            "GET /tags tags.list [] app.js:18",
            "POST /users/ this.create [] users.js:6",
        ]
    );
    assert_eq!(
        joined_answers(&files),
        [
            "GET /health/ [500:{error}@app.js:11]",
            "GET /tags [418:{message}@controllers/index.js:3]",
            "POST /users/ []",
        ]
    );
}

#[test]
fn modules_named_through_typescript_path_aliases() {
    let server = r#"
import { App } from "@/app";
import { AuthRoute } from "@routes/auth.route";
const app = new App([new AuthRoute()]);
"#;
    let app = r#"
import express from "express";
export class App {
  constructor(routes) {
    this.app = express();
    routes.forEach((route) => this.app.use("/", route.router));
  }
}
"#;
    let auth = r#"
import { Router } from "express";
import { AuthController } from "@controllers/auth.controller";
import { Logger } from "@nestjs/common";
export class AuthRoute {
  public path = "/";
  public router = Router();
  public auth = new AuthController();
  constructor() {
    this.router.post(`${this.path}login`, this.auth.logIn);
  }
}
"#;
    let controller = r#"
export class AuthController {
  public logIn = async (req, res) => { res.status(401).json({ message: "no" }); };
}
"#;
    let files = [
        ("src/server.ts", server),
        ("src/app.ts", app),
        ("src/routes/auth.route.ts", auth),
        ("src/controllers/auth.controller.ts", controller),
    ];
    assert_eq!(
        table(&files),
        ["POST /login this.auth.logIn [] src/routes/auth.route.ts:10"]
    );
    // A repository of several such projects: each alias names its own project's file.
    let twice: Vec<(String, &str)> = files
        .iter()
        .flat_map(|(path, text)| {
            [
                (format!("lib/knex/{path}"), *text),
                (format!("lib/prisma/{path}"), *text),
            ]
        })
        .collect();
    let twice: Vec<(&str, &str)> = twice.iter().map(|(p, t)| (p.as_str(), *t)).collect();
    assert_eq!(
        table(&twice),
        [
            "POST /login this.auth.logIn [] lib/knex/src/routes/auth.route.ts:10",
            "POST /login this.auth.logIn [] lib/prisma/src/routes/auth.route.ts:10",
        ]
    );
    assert_eq!(
        joined_answers(&files),
        ["POST /login [401:{message}@src/controllers/auth.controller.ts:3]"]
    );
}

#[test]
fn one_verb_method_lists_are_shared_and_others_kept_as_written() {
    let get = super::methods(vec!["GET".to_string()]);
    assert!(Arc::ptr_eq(&get, &super::methods(vec!["GET".to_string()])));
    assert!(!Arc::ptr_eq(
        &get,
        &super::methods(vec!["POST".to_string()])
    ));
    assert_eq!(&*super::methods(vec!["PROPFIND".to_string()]), ["PROPFIND"]);
    assert_eq!(
        &*super::methods(vec!["GET".to_string(), "HEAD".to_string()]),
        ["GET", "HEAD"]
    );
}
