use std::fmt::Write;
use std::time::Duration;

use audit_syntax::{Grammar, parse_tree};

use super::*;

/// Rule 0: SQL sinks (non-literal SQL reported); rule 1: a path sink sanitised by
/// `path.basename`/`os.path.basename`; rule 2: a whole-value sink (`create(req.body)`).
fn spec() -> TaintSpec {
    TaintSpec::new(vec![
        TaintRule {
            sinks: vec![Sink {
                methods: vec!["query".into(), "execute".into()],
                arguments: Some(vec![0]),
                nonliteral: NonLiteral::Sql,
                ..Sink::default()
            }],
            sanitizers: vec![],
        },
        TaintRule {
            sinks: vec![Sink {
                functions: vec!["fs.readFile".into(), "open".into()],
                arguments: Some(vec![0]),
                ..Sink::default()
            }],
            sanitizers: vec!["path.basename".into(), "os.path.basename".into()],
        },
        TaintRule {
            sinks: vec![Sink {
                methods: vec!["create".into()],
                arguments: Some(vec![0]),
                whole: true,
                unpacked: true,
                ..Sink::default()
            }],
            sanitizers: vec![],
        },
    ])
}

/// Each hit as `rule line: source -> steps` (or `non-literal (how)`), one per line.
fn hits(grammar: Grammar, text: &str) -> String {
    let (tree, grammar) = parse_tree(grammar, text, Duration::from_secs(5)).unwrap();
    let (semantics, nodes) = CodeSemantics::build_indexed(&tree, text, grammar);
    let spec = spec();
    let flow = DataFlow::new(&semantics, &nodes, text, grammar, &spec);
    let line = |at: usize| text[..at].matches('\n').count() + 1;
    let mut out = String::new();
    for hit in flow.hits() {
        write!(out, "{} {}: ", hit.rule, line(hit.argument.start)).unwrap();
        match hit.kind {
            HitKind::Tainted(flow) => {
                write!(out, "{}", &text[flow.source.start..flow.source.end]).unwrap();
                for step in &flow.steps {
                    write!(out, " -> {}", step.note).unwrap();
                }
            }
            HitKind::NonLiteral { building } => {
                write!(out, "non-literal ({})", building.unwrap_or("value")).unwrap()
            }
        }
        out.push('\n');
    }
    out
}

use crate::code::CodeSemantics;

#[test]
fn express_input_reaches_a_query_through_assignments_and_templates() {
    let text = r#"
app.get("/u", async (req, res) => {
  const id = req.query.id;
  const sql = `SELECT * FROM users WHERE id = ${id}`;
  await pool.query(sql);
  await pool.query("SELECT 1 WHERE a = " + req.params.a);
});
"#;
    assert_eq!(
        hits(Grammar::JavaScript, text),
        "0 5: req.query.id -> assigned to `id` -> a template literal -> assigned to `sql`\n\
         0 6: req.params.a -> concatenation\n"
    );
}

#[test]
fn literal_and_parameterised_queries_are_fine() {
    let text = r#"
const TABLE = "users";
app.get("/u", async (req, res) => {
  await pool.query("SELECT * FROM " + TABLE + " WHERE id = $1", [req.query.id]);
  await pool.query(`SELECT * FROM ${TABLE}`);
  const n = parseInt(req.query.n, 10);
  await pool.query(`SELECT * FROM t LIMIT ${n}`);
});
"#;
    assert_eq!(hits(Grammar::JavaScript, text), "");
}

#[test]
fn sql_built_from_a_value_of_unknown_origin_is_non_literal() {
    let text = r#"
function list(order) {
  return db.query(`SELECT * FROM users ORDER BY ${order}`);
}
db.query(`refresh ${x}`);
"#;
    // Not SQL-looking text is not reported; `list` is never called with request input.
    assert_eq!(
        hits(Grammar::JavaScript, text),
        "0 3: non-literal (a template literal)\n"
    );
}

#[test]
fn destructuring_and_koa_and_nest_sources() {
    let text = r#"
router.get("/a", (req, res) => {
  const { body } = req;
  const { name } = req.query;
  db.query("SELECT * FROM t WHERE a = '" + body.a + "'");
  db.query("SELECT * FROM t WHERE n = '" + name + "'");
});
router.get("/k", async (ctx) => {
  await db.query(`SELECT * FROM t WHERE q = ${ctx.request.query.q}`);
});
class C {
  @Get() find(@Query("q") q: string) {
    return this.repo.query(`SELECT * FROM t WHERE q = '${q}'`);
  }
}
"#;
    assert_eq!(
        hits(Grammar::TypeScript, text),
        "0 5: body -> assigned to `body` -> concatenation\n\
         0 6: req.query -> assigned to `name` -> concatenation\n\
         0 9: ctx.request.query.q -> a template literal\n\
         0 13: q -> a template literal\n"
    );
}

#[test]
fn sanitizers_clear_only_their_rules() {
    let text = r#"
const fs = require("fs");
const path = require("path");
app.get("/f", (req, res) => {
  const name = path.basename(req.query.f);
  fs.readFile(name, () => {});
  fs.readFile(req.query.f, () => {});
  db.query("SELECT * FROM t WHERE f = '" + name + "'");
});
"#;
    assert_eq!(
        hits(Grammar::JavaScript, text),
        "1 7: req.query.f\n\
         0 8: req.query.f -> assigned to `name` -> concatenation\n"
    );
}

#[test]
fn whole_values_only_where_the_sink_wants_them() {
    let text = r#"
app.post("/u", async (req, res) => {
  await User.create(req.body);
  await User.create({ ...req.body });
  await User.create({ name: req.body.name });
});
"#;
    assert_eq!(
        hits(Grammar::JavaScript, text),
        "2 3: req.body\n2 4: req.body\n"
    );
}

#[test]
fn flows_through_functions_of_the_same_file() {
    let text = r#"
function where(column, value) {
  return column + " = '" + value + "'";
}
function run(sql) {
  return db.query(sql);
}
app.get("/s", (req, res) => {
  run("SELECT * FROM t WHERE " + where("a", req.query.a));
});
"#;
    assert_eq!(
        hits(Grammar::JavaScript, text),
        "0 6: req.query.a -> through `where()` -> concatenation -> concatenation -> passed to `run()`\n"
    );
}

#[test]
fn recursion_and_cycles_terminate() {
    let text = r#"
function a(x) { return b(x) + a(x); }
function b(y) { return a(y); }
let q = q + req.query.q;
app.get("/r", (req, res) => {
  let s = "SELECT 1 WHERE x = ";
  s = s + a(req.query.q);
  db.query(s);
});
"#;
    // Whatever it finds, evaluation ends.
    let _ = hits(Grammar::JavaScript, text);
}

#[test]
fn flask_django_and_fastapi_sources() {
    let text = r#"
from flask import request
import os

@app.route("/a")
def a():
    q = request.args.get("q")
    cursor.execute(f"SELECT * FROM t WHERE q = '{q}'")
    cursor.execute("SELECT * FROM t WHERE q = %s", (q,))

def view(request):
    name = request.GET["name"]
    cursor.execute("SELECT * FROM t WHERE n = '%s'" % name)
    open(os.path.basename(name))
    open(name)

# `item_id: int` holds a number: neither request text nor a non-literal.
@router.get("/items/{item_id}")
def item(item_id: int, q: str, db: Session = Depends(get_db)):
    cursor.execute("SELECT * FROM t WHERE id = {}".format(item_id))
    cursor.execute("SELECT * FROM t WHERE q = '{}'".format(q))

def make(request):
    Model.objects.create(**request.data)
"#;
    assert_eq!(
        hits(Grammar::Python, text),
        "0 8: request.args.get(\"q\") -> assigned to `q` -> an f-string\n\
         0 13: request.GET[\"name\"] -> assigned to `name` -> `%` formatting\n\
         1 15: request.GET[\"name\"] -> assigned to `name`\n\
         0 21: q -> `.format()`\n\
         2 24: request.data\n"
    );
}

#[test]
fn branches_keep_the_earlier_value() {
    let text = r#"
app.get("/b", (req, res) => {
  let order = req.query.order;
  if (!order) {
    order = "id";
  }
  db.query("SELECT * FROM t ORDER BY " + order);
  let n = req.query.n;
  n = Number(n);
  db.query("SELECT * FROM t LIMIT " + n);
});
"#;
    assert_eq!(
        hits(Grammar::JavaScript, text),
        "0 7: req.query.order -> assigned to `order` -> concatenation\n"
    );
}

#[test]
fn request_input_for_rust_checks() {
    let text =
        "app.get('/x', (req, res) => { exec(req.query.cmd); exec(parseInt(req.query.n)); });";
    let (tree, grammar) = parse_tree(Grammar::JavaScript, text, Duration::from_secs(5)).unwrap();
    let (semantics, nodes) = CodeSemantics::build_indexed(&tree, text, grammar);
    let spec = TaintSpec::empty();
    let flow = DataFlow::new(&semantics, &nodes, text, grammar, &spec);
    let arguments: Vec<_> = semantics
        .calls()
        .iter()
        .filter(|c| &text[c.callee.start..c.callee.end] == "exec")
        .map(|c| {
            let node = crate::code::nodes::node_at(&tree, c.arguments.unwrap()).unwrap();
            flow.request_input(node.named_child(0).unwrap())
                .map(|f| text[f.source.start..f.source.end].to_string())
        })
        .collect();
    assert_eq!(arguments, vec![Some("req.query.cmd".to_string()), None]);
}

#[test]
fn validation_written_as_control_flow_stops_the_flow() {
    let text = r#"
const fs = require("fs");
app.get("/v", (req, res) => {
  const ext = ["png", "jpg"].includes(req.query.ext) ? req.query.ext : "png";
  fs.readFile("images/a." + ext, () => {});
  const file = req.query.file;
  if (!file.startsWith("public/")) {
    throw new Error("outside");
  }
  fs.readFile(file, () => {});
  if (isAllowed(req.query.other)) {
    fs.readFile(req.query.other, () => {});
  }
  if (fs.existsSync(req.query.last)) {
    fs.readFile(req.query.last, () => {});
  }
});
"#;
    // Only the existence test, which validates nothing, leaves the flow.
    assert_eq!(hits(Grammar::JavaScript, text), "1 15: req.query.last\n");
}

#[test]
fn a_branch_that_replaces_an_invalid_value_ends_its_flow() {
    let text = r#"
from flask import request

@app.route("/next")
def done():
    target = request.args.get("next")
    if not target or urlsplit(target).netloc != "":
        target = "/"
    open(target)
    name = request.args.get("name")
    if not name:
        name = "default"
    open(name)
"#;
    assert_eq!(
        hits(Grammar::Python, text),
        "1 13: request.args.get(\"name\") -> assigned to `name`\n"
    );
}

#[test]
fn decorators_that_are_not_routes_make_no_sources() {
    let text = r#"
from unittest.mock import patch

@patch("app.client.post")
def test_upload(tmpdir):
    open(tmpdir)

@app.get("/files/{name}")
def read(name: str):
    open(name)
"#;
    assert_eq!(hits(Grammar::Python, text), "1 10: name\n");
}

/// The caught errors reaching the first argument of each `send(...)` call, as
/// `line: source part broad [inferred]` (`-` when none).
fn caught(grammar: Grammar, text: &str) -> Vec<String> {
    let (tree, grammar) = parse_tree(grammar, text, Duration::from_secs(5)).unwrap();
    let (semantics, nodes) = CodeSemantics::build_indexed(&tree, text, grammar);
    let flow = DataFlow::errors(&semantics, &nodes, text, grammar);
    let line = |at: usize| text[..at].matches('\n').count() + 1;
    semantics
        .calls()
        .iter()
        .filter(|c| text[c.callee.start..c.callee.end].ends_with("send"))
        .map(|c| {
            let node = crate::code::nodes::node_at(&tree, c.arguments.unwrap()).unwrap();
            let errors = flow.caught_errors(node.named_child(0).unwrap());
            let found: Vec<String> = errors
                .iter()
                .map(|e| {
                    format!(
                        "{} {:?} {}{}",
                        &text[e.source.start..e.source.end],
                        e.part,
                        if e.broad { "broad" } else { "narrow" },
                        if e.inferred { " inferred" } else { "" }
                    )
                })
                .collect();
            format!(
                "{}: {}",
                line(c.span.start),
                if found.is_empty() {
                    "-".into()
                } else {
                    found.join(", ")
                }
            )
        })
        .collect()
}

#[test]
fn caught_errors_are_origins_with_the_part_read() {
    let text = r#"
try { run(); } catch (err) {
  send({ stack: err.stack });
  send(`failed: ${err}`);
  const { message } = err;
  send(message);
  send({ code: err.code, status: err.status });
  const detail = err.toString();
  send(detail);
}
function handler(err, req, res, next) { send(err); }
function route(req, res, next) { send(req); }
"#;
    assert_eq!(
        caught(Grammar::JavaScript, text),
        [
            "3: err.stack Stack broad",
            "4: err Whole broad",
            "6: message Message broad",
            "7: -",
            "9: err Whole broad",
            "11: err Whole broad",
            "12: -",
        ]
    );
    let text = r#"
import traceback
try:
    run()
except ValueError as e:
    send(str(e))
except (KeyError, Exception) as e:
    send({"error": repr(e), "args": e.args})
except Exception:
    send(traceback.format_exc())

@app.errorhandler(404)
def missing(error):
    send(error)
"#;
    assert_eq!(
        caught(Grammar::Python, text),
        [
            "6: e Whole narrow",
            "8: e Whole broad, e.args Message broad",
            "10: traceback.format_exc() Stack broad",
            "14: error Whole narrow",
        ]
    );
}

#[test]
fn error_first_callbacks_give_errors_and_value_callbacks_do_not() {
    let text = r#"
fs.readFile(p, (err, data) => { if (err) return send(err.message); });
db.query(sql, function (e, rows) { send(e); });
cache.get(key, (failure, value) => { if (failure) send(failure); });
client.get(key, (result, value) => send(result.stack));
rows.forEach((row) => send(row.message));
emitter.on("data", (err) => send(err));
stream.on("error", (err) => send(err));
load(p, (item, next) => send(item));
fs.readFile(p, (err, data) => send(data));
"#;
    assert_eq!(
        caught(Grammar::JavaScript, text),
        [
            "2: err.message Message broad",
            "3: e Whole broad inferred",
            "4: failure Whole broad inferred",
            "5: result.stack Stack broad inferred",
            "6: -",
            "7: -",
            "8: err Whole broad",
            "9: -",
            "10: -",
        ]
    );
}

#[test]
fn helpers_that_read_an_error_pass_on_the_part_they_read() {
    let text = r#"
function errorMessage(e) { return e.message; }
function describe(e) { return { code: e.code }; }
function outer(x) { return errorMessage(x); }
try { run(); } catch (err) {
  send(errorMessage(err));
  send(describe(err));
  send(outer(err));
}
"#;
    assert_eq!(
        caught(Grammar::JavaScript, text),
        ["6: err Message broad", "7: -", "8: err Message broad"]
    );
    let text = r#"
def error_text(exc):
    return exc.args[0]
try:
    run()
except Exception as e:
    send(error_text(e))
"#;
    assert_eq!(caught(Grammar::Python, text), ["7: e Message broad"]);
}

#[test]
fn whole_request_containers_are_told_from_their_fields() {
    let text = "app.post('/x', (req, res) => { const body = req.body; const { name } = req.body; log(body); log(name); log(req.headers); log(req.body.email); log({ b: body }); });";
    let (tree, grammar) = parse_tree(Grammar::JavaScript, text, Duration::from_secs(5)).unwrap();
    let (semantics, nodes) = CodeSemantics::build_indexed(&tree, text, grammar);
    let spec = TaintSpec::empty();
    let flow = DataFlow::new(&semantics, &nodes, text, grammar, &spec);
    let containers: Vec<_> = semantics
        .calls()
        .iter()
        .filter(|c| &text[c.callee.start..c.callee.end] == "log")
        .map(|c| {
            let node = crate::code::nodes::node_at(&tree, c.arguments.unwrap()).unwrap();
            flow.request_container(node.named_child(0).unwrap())
                .map(|(_, container)| container)
        })
        .collect();
    assert_eq!(
        containers,
        [Some("body"), None, Some("headers"), None, Some("body")]
    );
}
