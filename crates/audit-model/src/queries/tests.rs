use std::fmt::Write;
use std::time::Duration;

use audit_syntax::{Grammar, SqlDialect, parse_tree};

use super::*;

/// One line per query: `line client method operation table [columns] bounded loop tx`,
/// then one per connection.
fn summary(grammar: Grammar, text: &str) -> String {
    let (tree, grammar) = parse_tree(grammar, text, Duration::from_secs(5)).unwrap();
    let (semantics, nodes) = CodeSemantics::build_indexed(&tree, text, grammar);
    let model = CodeQueries::build(&nodes, text, &semantics, SqlDialect::Postgres);
    let line = |byte: usize| text[..byte].matches('\n').count() + 1;
    let mut out = String::new();
    for q in &model.queries {
        write!(
            out,
            "{} {} {} {:?} {} [{}]",
            line(q.span.start),
            q.client.label(),
            q.method,
            q.operation,
            q.table.as_deref().unwrap_or("-"),
            q.columns.join(","),
        )
        .unwrap();
        if let Some(bounded) = q.bounded {
            write!(out, " bounded={bounded}").unwrap();
        }
        if let Some(l) = q.in_loop {
            write!(out, " loop={:?}@{}", l.kind, line(l.span.start)).unwrap();
        }
        if q.in_transaction {
            out.push_str(" tx");
        }
        if q.batched {
            out.push_str(" batched");
        }
        if q.lazy {
            out.push_str(" lazy");
        }
        if let Some(expires) = q.expires {
            write!(out, " expires={expires}").unwrap();
        }
        for s in &q.sql {
            write!(out, " sql={:?}", s.kind).unwrap();
            if s.select_star {
                out.push('*');
            }
            if !s.filtered {
                out.push_str("!unfiltered");
            }
        }
        out.push('\n');
    }
    for c in &model.connections {
        writeln!(
            out,
            "{} connect {} {}{}{}{}",
            line(c.span.start),
            c.client.label(),
            c.constructor,
            if c.in_handler { " handler" } else { "" },
            if c.kept { " kept" } else { "" },
            if c.in_loop.is_some() { " loop" } else { "" },
        )
        .unwrap();
    }
    for read in &model.instance_reads {
        writeln!(
            out,
            "{} reads {}.{} of {} loop={:?}@{} loaded=[{}]{}",
            line(read.span.start),
            &text[read.span.start..read.span.end],
            read.field,
            read.model,
            read.in_loop.kind,
            line(read.in_loop.span.start),
            read.loaded.join(","),
            if read.loads_any { " any" } else { "" },
        )
        .unwrap();
    }
    out
}

#[test]
fn sql_strings_parse_with_every_placeholder_style() {
    for text in [
        "SELECT * FROM users WHERE id = $1",
        "SELECT * FROM users WHERE id = ? AND org = ?",
        "SELECT * FROM users WHERE id = %s",
        "SELECT * FROM users WHERE id = %(id)s",
        "SELECT * FROM users WHERE id = :id AND created::date > now()",
        "SELECT * FROM users WHERE id = __p ",
    ] {
        let parsed = sql::parse(text, SqlDialect::Postgres).expect(text);
        assert_eq!(parsed[0].tables, ["users"], "{text}");
        assert_eq!(parsed[0].columns[0], "id", "{text}");
        assert!(parsed[0].select_star, "{text}");
    }
    let count = sql::parse(
        "SELECT COUNT(*) FROM t WHERE EXISTS (SELECT * FROM u)",
        SqlDialect::Postgres,
    )
    .unwrap();
    assert!(!count[0].select_star);
    let join = sql::parse(
        "SELECT u.name FROM users u JOIN orders o ON o.user_id = u.id WHERE o.total > 10 LIMIT 5",
        SqlDialect::MySql,
    )
    .unwrap();
    assert_eq!(join[0].tables, ["users", "orders"]);
    assert_eq!(join[0].columns, ["user_id", "id", "total"]);
    assert!(join[0].limited);
    let delete = sql::parse("DELETE FROM sessions", SqlDialect::Sqlite).unwrap();
    assert!(!delete[0].filtered);
    assert!(sql::parse("hello there", SqlDialect::Postgres).is_none());
}

#[test]
fn node_postgres_mysql_and_sqlite_calls() {
    let text = r#"
const { Pool } = require("pg");
const mysql = require("mysql2/promise");
const Database = require("better-sqlite3");
const pool = new Pool();
const db = new Database("app.db");
async function list(ids) {
  for (const id of ids) {
    await pool.query("SELECT * FROM users WHERE id = $1", [id]);
  }
  const conn = await mysql.createConnection({});
  await conn.execute(`UPDATE orders SET paid = 1 WHERE id = ${ids[0]}`);
  db.prepare("DELETE FROM sessions").run();
  await pool.query("BEGIN");
}
"#;
    assert_eq!(
        summary(Grammar::JavaScript, text),
        "9 node-postgres query Read users [id] bounded=false loop=Statement@8 tx sql=Select*
12 mysql execute Write orders [id] tx sql=Update
13 SQLite run Write sessions [] tx sql=Delete!unfiltered
14 node-postgres query Other - [] tx sql=Begin
5 connect node-postgres pg.Pool kept
6 connect SQLite better-sqlite3 kept
11 connect mysql mysql2/promise.createConnection
"
    );
}

#[test]
fn a_repository_class_of_the_project_is_not_taken_for_typeorm() {
    let text = r#"
import { JobRepository } from "@acme/dal";
export class RunJob {
  constructor(private jobRepository: JobRepository) {}
  async run(id: string) {
    return this.jobRepository.findOne({ _id: id });
  }
}
"#;
    assert_eq!(
        summary(Grammar::TypeScript, text),
        "6 repository findOne Read job [] bounded=true\n"
    );
}

#[test]
fn prisma_typeorm_and_knex_calls() {
    let text = r#"
import { PrismaClient } from "@prisma/client";
import knex from "knex";
const prisma = new PrismaClient();
const db = knex({ client: "pg" });
export class UsersService {
  constructor(@InjectRepository(User) private readonly users: Repository<User>) {}
  async run(ids: string[]) {
    await prisma.user.findMany({ where: { email: "a", OR: [{ name: "b" }] } });
    await prisma.post.findMany({ take: 10 });
    await Promise.all(ids.map((id) => prisma.user.update({ where: { id }, data: {} })));
    await this.users.findOne({ where: { email: "x" } });
    await this.users.createQueryBuilder("u").where("u.org_id = :org").take(5).getMany();
    await db("orders").where({ user_id: 1 }).first();
    await db("orders").del();
    await prisma.$transaction(async (tx) => { await tx.user.create({ data: {} }); });
  }
}
"#;
    assert_eq!(
        summary(Grammar::TypeScript, text),
        "9 Prisma findMany Read user [email,name] bounded=false
10 Prisma findMany Read post [] bounded=true
11 Prisma update Write user [id] loop=Concurrent@11
12 TypeORM findOne Read User [email] bounded=true
13 TypeORM getMany Read User [org_id] bounded=true
14 Knex first Read orders [user_id] bounded=true
15 Knex del Write orders [] sql=Delete!unfiltered
16 Prisma create Write user [] tx
4 connect Prisma @prisma/client.PrismaClient kept
5 connect Knex knex kept
"
    );
}

#[test]
fn sequelize_mongoose_and_redis_calls() {
    let text = r#"
const mongoose = require("mongoose");
const { Post, User } = require("./models");
const Redis = require("ioredis");
const redis = new Redis();
app.get("/users", async (req, res) => {
  const users = await User.find({ active: true }).limit(20);
  for (const u of users) {
    const posts = await Post.find({ author: u._id });
    u.save();
  }
  await redis.set("k", "v");
  await redis.set("k", "v", "EX", 60);
  await redis.keys("user:*");
  const c = await mongoose.connect(process.env.URL);
});
"#;
    assert_eq!(
        summary(Grammar::JavaScript, text),
        "7 Mongoose find Read User [active] bounded=true
9 Mongoose find Read Post [author] bounded=false loop=Statement@8
10 Mongoose save Write - [] loop=Statement@8
12 Redis set Write - [] expires=false
13 Redis set Write - [] expires=true
14 Redis keys Read - []
5 connect Redis ioredis kept
15 connect Mongoose mongoose.connect handler
"
    );
}

#[test]
fn sequelize_options_give_the_columns() {
    let text = r#"
const { Sequelize } = require("sequelize");
const { Order, User } = require("../models");
async function f() {
  await User.findAll({ where: { orgId: 1 }, limit: 5 });
  await Order.update({ paid: true }, { where: { id: 3 } });
  await Order.destroy({ where: {}, transaction: t });
  await sequelize.models.orchestra.findAll();
}
"#;
    assert_eq!(
        summary(Grammar::JavaScript, text),
        "5 Sequelize findAll Read User [orgId] bounded=true
6 Sequelize update Write Order [id]
7 Sequelize destroy Write Order [] tx
8 Sequelize findAll Read orchestra [] bounded=false
"
    );
}

#[test]
fn model_receivers_are_known_by_their_origin() {
    let text = r#"
import { EditorState } from "prosemirror-state";
import { EditorView } from "prosemirror-view";
import Metrics from "@server/logging/Metrics";
import { Collection } from "@server/models";
import Document from "../models/Document";
import Member from "./Member";
import { Model, DataTypes } from "sequelize";
const db = require("../db");
class Team extends Model {}
const Star = sequelize.define("star", { id: DataTypes.UUID });
async function f(doc) {
  EditorState.create({ doc });
  Metrics.increment("x");
  Selection.create(doc);
  await Collection.findAll({ where: { teamId: 1 } });
  await Document.destroy({ where: { id: 2 } });
  await Member.create({ id: 3 });
  await Team.update({ name: "a" }, { where: { id: 4 } });
  await Star.create({ id: 5 });
  await db.User.findOne({ where: { email: "e" } });
  const view = new EditorView(null, {});
  view.destroy();
  const ids = (await Collection.findAll({ where: { id: 6 } })).map((c) => c.id);
  await sequelize.query(`DROP TABLE IF EXISTS "${name}"`);
}
"#;
    assert_eq!(
        summary(Grammar::TypeScript, text),
        "16 Sequelize findAll Read Collection [teamId] bounded=false
17 Sequelize destroy Write Document [id]
18 Sequelize create Write Member []
19 Sequelize update Write Team [id]
20 Sequelize create Write Star []
21 Sequelize findOne Read User [email] bounded=true
24 Sequelize findAll Read Collection [id] bounded=false
25 Sequelize query Other - [] sql=Schema
"
    );
}

#[test]
fn django_querysets_and_instances() {
    let text = r#"
from django.db import transaction
from django.core.cache import cache

def view(request):
    orders = Order.objects.filter(customer__name="x", status="open")[:10]
    for o in Order.objects.all():
        o.save()
        Line.objects.filter(order=o).count()
    names = [u.name for u in User.objects.filter(id__in=[1, 2])]
    totals = [Line.objects.get(pk=i) for i in range(3)]
    with transaction.atomic():
        Order.objects.create(total=1)
    Order.objects.all().delete()
    cache.set("k", 1, timeout=None)
    cache.set("k", 1)
"#;
    assert_eq!(
        summary(Grammar::Python, text),
        "6 Django ORM filter Read Order [customer,status] bounded=true batched
7 Django ORM all Read Order [] bounded=false
8 Django ORM save Write Order [] loop=Statement@7
9 Django ORM count Read Line [order] bounded=true loop=Statement@7
10 Django ORM filter Read User [id] bounded=false batched
11 Django ORM get Read Line [pk] bounded=true loop=Comprehension@11
13 Django ORM create Write Order [] tx
14 Django ORM delete Write Order [] sql=Delete!unfiltered
15 Django cache set Write - [] expires=false
16 Django cache set Write - [] expires=true
10 reads u.name.name of User loop=Comprehension@10 loaded=[]
"
    );
}

#[test]
fn sqlalchemy_cursors_and_redis_py() {
    let text = r#"
import psycopg2
import redis
from sqlalchemy import select, text

r = redis.Redis()

def handler(request, ids):
    conn = psycopg2.connect("dbname=x")
    cur = conn.cursor()
    for i in ids:
        cur.execute("SELECT * FROM items WHERE id = %s", (i,))
    db.session.query(User).filter(User.email == "a").first()
    db.session.execute(select(User).where(User.org_id == 1))
    db.session.add(User())
    r.set("k", "v")
    r.set("k", "v", ex=30)
    r.keys("*")
"#;
    assert_eq!(
        summary(Grammar::Python, text),
        "12 database driver execute Read items [id] bounded=false loop=Statement@11 sql=Select*
13 SQLAlchemy first Read User [email] bounded=true tx
14 SQLAlchemy execute Read User [org_id] bounded=false tx
15 SQLAlchemy add Write - [] tx
16 Redis set Write - [] expires=false
17 Redis set Write - [] expires=true
18 Redis keys Read - []
6 connect Redis redis.Redis kept
9 connect database driver psycopg2.connect handler
"
    );
}

#[test]
fn calls_that_are_not_database_calls_are_left_out() {
    let js = r#"
const m = new Map();
m.set("a", 1);
items.find((x) => x.id === 1);
Object.create(null);
client.query({ query: gql`{ a }` });
"#;
    assert_eq!(summary(Grammar::JavaScript, js), "");
    let py = r#"
d = {}
d.update(a=1)
form.save()
items.filter(lambda x: x)
"#;
    assert_eq!(summary(Grammar::Python, py), "");
}

#[test]
fn batches_lazy_querysets_and_transactions_of_callers() {
    let py = r#"
from django.db import transaction

def helper(order):
    Line.objects.filter(order=order).delete()
    order.save()

def outer_helper(order):
    helper(order)
    Note.objects.create(order=order)

def unused(order):
    Note.objects.create(order=order)

@transaction.atomic
def view(request, ids):
    for chunk in chunks(ids):
        Product.objects.filter(pk__in=chunk).update(seen=True)
        pending = Order.objects.filter(status="open")
        lines = list(Line.objects.filter(order_id=chunk[0]))
    helper(Order.objects.get(pk=1))
    outer_helper(None)
"#;
    assert_eq!(
        summary(Grammar::Python, py),
        "5 Django ORM delete Write Line [order] tx sql=Delete
10 Django ORM create Write Note [] tx
13 Django ORM create Write Note []
18 Django ORM update Write Product [pk] loop=Statement@17 tx batched sql=Update
19 Django ORM filter Read Order [status] bounded=false loop=Statement@17 tx lazy
20 Django ORM filter Read Line [order_id] bounded=false loop=Statement@17 tx
21 Django ORM get Read Order [pk] bounded=true tx
"
    );
    let js = r#"
async function page(prisma, ids) {
  for (const chunk of ids) {
    await prisma.user.findMany({ where: { id: { in: chunk } } });
    await prisma.user.findMany({ skip: 10, take: 10 });
    await prisma.user.createMany({ data: chunk });
  }
}
"#;
    assert_eq!(
        summary(Grammar::JavaScript, js),
        "4 Prisma findMany Read user [id] bounded=false loop=Statement@3 batched
5 Prisma findMany Read user [] bounded=true loop=Statement@3 batched
6 Prisma createMany Write user [] loop=Statement@3 batched
"
    );
}

#[test]
fn attributes_of_queryset_instances_read_in_loops() {
    let text = r#"
from django.db.models import Prefetch

def view(request):
    for o in Order.objects.filter(status="open"):
        print(o.customer.name, o.customer.email, o.total)
        o.note = "seen"
        o.refresh()
    qs = Order.objects.all()
    qs = qs.select_related("customer__address").prefetch_related(Prefetch("lines"))
    names = [o.customer.name for o in qs[:10] if o.paid]
    for row in Order.objects.values("customer__name"):
        print(row.customer)
    for o in orders_of(request):
        print(o.customer)
    for o in Order.objects.select_related():
        o = other
        print(o.customer)
"#;
    let summary = summary(Grammar::Python, text);
    let reads: Vec<&str> = summary.lines().filter(|l| l.contains(" reads ")).collect();
    assert_eq!(
        reads,
        [
            "6 reads o.customer.customer of Order loop=Statement@5 loaded=[]",
            "6 reads o.total.total of Order loop=Statement@5 loaded=[]",
            "11 reads o.customer.customer of Order loop=Comprehension@11 loaded=[customer__address,lines]",
            "11 reads o.paid.paid of Order loop=Comprehension@11 loaded=[customer__address,lines]",
        ]
    );
}
