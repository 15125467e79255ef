use std::fmt::Write;
use std::time::Duration;

use audit_syntax::tree_sitter::{Node, Tree};
use audit_syntax::{Grammar, parse_tree};

use super::*;
use crate::code::nodes::{Fields, KindName};

fn parse(grammar: Grammar, text: &str) -> (Tree, CodeSemantics) {
    let (tree, grammar) = parse_tree(grammar, text, Duration::from_secs(5)).unwrap();
    let semantics = CodeSemantics::build(&tree, text, grammar);
    (tree, semantics)
}

/// Every node of `kind`, in source order.
fn nodes_of<'t>(tree: &'t Tree, kinds: &[&str]) -> Vec<Node<'t>> {
    let mut found = Vec::new();
    let mut cursor = tree.walk();
    'walk: loop {
        if kinds.contains(&cursor.node().kind()) {
            found.push(cursor.node());
        }
        if cursor.goto_first_child() {
            continue;
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                break 'walk;
            }
        }
    }
    found
}

/// `callee => qualified name` for every call, one per line.
fn calls(grammar: Grammar, text: &str) -> String {
    let (tree, semantics) = parse(grammar, text);
    let mut out = String::new();
    for call in nodes_of(&tree, &["call_expression", "call"]) {
        let callee = call.field("function").unwrap();
        let qualified = semantics.qualified_name(call, text);
        writeln!(
            out,
            "{} => {}",
            &text[callee.byte_range()],
            qualified.as_deref().unwrap_or("-")
        )
        .unwrap();
    }
    out
}

fn imports(grammar: Grammar, text: &str) -> String {
    let (_, semantics) = parse(grammar, text);
    let mut out = String::new();
    for import in semantics.imports() {
        writeln!(
            out,
            "{:?} {} {} as {} @{}",
            import.kind,
            import.module,
            import.name.as_deref().unwrap_or("-"),
            import.local.as_deref().unwrap_or("-"),
            &text[import.span.start..import.span.end],
        )
        .unwrap();
    }
    out
}

fn decorators(text: &str, decorators: &[Decorator]) -> String {
    decorators
        .iter()
        .map(|d| {
            format!(
                " @{}={}{}",
                d.name,
                d.qualified_name.as_deref().unwrap_or("-"),
                d.arguments
                    .map_or(String::new(), |a| text[a.start..a.end].to_owned())
            )
        })
        .collect()
}

fn functions(grammar: Grammar, text: &str) -> String {
    let (_, semantics) = parse(grammar, text);
    let mut out = String::new();
    for function in semantics.functions() {
        let parameters: Vec<String> = function
            .parameters
            .iter()
            .map(|p| {
                let mut s = format!("{}:{}", p.position, p.name);
                if p.kind != ParameterKind::Positional {
                    write!(s, " {:?}", p.kind).unwrap();
                }
                if !p.path.is_empty() {
                    write!(s, " {:?}", p.path).unwrap();
                }
                if let Some(d) = p.default {
                    write!(s, " ={}", &text[d.start..d.end]).unwrap();
                }
                if let Some(a) = p.annotation {
                    write!(s, " {}", &text[a.start..a.end]).unwrap();
                }
                s.push_str(&decorators(text, &p.decorators));
                s
            })
            .collect();
        writeln!(
            out,
            "{:?}{} {}({}){}{}{} body={:?}",
            function.kind,
            if function.is_async { " async" } else { "" },
            function.name.as_deref().unwrap_or("-"),
            parameters.join(", "),
            decorators(text, &function.decorators),
            function.class.map_or(String::new(), |c| format!(
                " in {}",
                semantics.classes()[c].name.as_deref().unwrap_or("-")
            )),
            function
                .parent
                .map_or(String::new(), |p| format!(" parent={p}")),
            &text[function.body.start..function.body.end],
        )
        .unwrap();
    }
    out
}

fn bindings(grammar: Grammar, text: &str) -> String {
    let (_, semantics) = parse(grammar, text);
    let mut out = String::new();
    for b in semantics.bindings() {
        write!(out, "{} {:?} {:?}", b.name, b.kind, b.scope).unwrap();
        if let Some(v) = b.value {
            write!(out, " = {}", &text[v.start..v.end]).unwrap();
        }
        if !b.path.is_empty() {
            write!(out, " {:?}", b.path).unwrap();
        }
        if b.augmented {
            out.push_str(" augmented");
        }
        if let Some(q) = &b.qualified_name {
            write!(out, " -> {q}").unwrap();
        }
        out.push('\n');
    }
    out
}

fn lines(expected: &str) -> String {
    expected
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| format!("{l}\n"))
        .collect()
}

#[track_caller]
fn check(actual: String, expected: &str) {
    assert_eq!(actual, lines(expected), "\nactual:\n{actual}");
}

#[test]
fn javascript_imports_qualify_calls() {
    let text = r#"
import x from "m";
import * as ns from "node:child_process";
import { a as b, c } from "m2";
import def, { default as d2 } from "m3";
import "side-effect";
const m = require("m4");
const { exec, spawn: sp, ...rest } = require("node:child_process");
const ex2 = require("child_process").execSync;
const mod = await import("fs");
const { readFile } = await import("fs/promises");
x(); x.f(); ns.exec(); b(); c(); def(); d2.g();
m.run(); exec(); sp(); rest.fork(); ex2();
require("child_process").exec(cmd);
mod.readFileSync(); readFile();
"#;
    check(
        calls(Grammar::JavaScript, text),
        r#"
        require => require
        require => require
        require => require
        import => -
        import => -
        x => m
        x.f => m.f
        ns.exec => child_process.exec
        b => m2.a
        c => m2.c
        def => m3
        d2.g => m3.g
        m.run => m4.run
        exec => child_process.exec
        sp => child_process.spawn
        rest.fork => child_process.fork
        ex2 => child_process.execSync
        require("child_process").exec => child_process.exec
        require => require
        mod.readFileSync => fs.readFileSync
        readFile => fs/promises.readFile
        "#,
    );
    check(
        imports(Grammar::JavaScript, text),
        r#"
        Default m - as x @x
        Module child_process - as ns @* as ns
        Member m2 a as b @a as b
        Member m2 c as c @c
        Default m3 - as def @def
        Default m3 - as d2 @default as d2
        Unbound side-effect - as - @import "side-effect";
        Module m4 - as m @m
        Member child_process exec as exec @exec
        Member child_process spawn as sp @sp
        Module child_process - as rest @rest
        Member child_process execSync as ex2 @ex2
        Module fs - as mod @mod
        Member fs/promises readFile as readFile @readFile
        Unbound child_process - as - @require("child_process")
        "#,
    );
}

#[test]
fn typescript_import_require_and_aliases() {
    let text = r#"
import cp = require("child_process");
import type { Request } from "express";
const cp2 = cp;
const cp3 = cp2;
const run = cp3.exec;
let later;
later = require("child_process");
cp.spawn(); cp2.exec(); cp3.execFile(); run(); later.fork();
(cp as any).exec(); cp!.exec(); cp?.exec(); cp["execSync"]();
"#;
    check(
        calls(Grammar::TypeScript, text),
        r#"
        require => require
        cp.spawn => child_process.spawn
        cp2.exec => child_process.exec
        cp3.execFile => child_process.execFile
        run => child_process.exec
        later.fork => child_process.fork
        (cp as any).exec => child_process.exec
        cp!.exec => child_process.exec
        cp?.exec => child_process.exec
        cp["execSync"] => child_process.execSync
        "#,
    );
}

#[test]
fn tsx_uses_its_own_grammar_tables() {
    let text = r#"
import { exec } from "node:child_process";
export const Button = ({ cmd }: { cmd: string }) => <button onClick={() => exec(cmd)}>{fetch(u)}</button>;
"#;
    check(
        calls(Grammar::Tsx, text),
        r#"
        exec => child_process.exec
        fetch => fetch
        "#,
    );
    check(
        functions(Grammar::Tsx, text),
        r#"
        Arrow Button(0:cmd [Property("cmd")] { cmd: string }) body="<button onClick={() => exec(cmd)}>{fetch(u)}</button>"
        Arrow -() parent=0 body="exec(cmd)"
        "#,
    );
}

#[test]
fn javascript_globals_locals_and_shadowing() {
    let text = r#"
eval(s); fetch(u); setTimeout(f, 1); window.eval(s); globalThis.fetch(u);
unknownThing(); this.exec(); new Runner().system(); a.b.c(); obj?.x.y();
function exec() {}
exec(cmd);
function handler(fetch, { eval: ev }) { fetch(u); ev(s); setTimeout(f); }
const { exec: run } = require("child_process");
function inner() { const run = () => 1; run(); { let eval = 1; eval(); } eval(); }
run();
try {} catch (fetch) { fetch(u); }
"#;
    check(
        calls(Grammar::JavaScript, text),
        r#"
        eval => eval
        fetch => fetch
        setTimeout => setTimeout
        window.eval => eval
        globalThis.fetch => fetch
        unknownThing => -
        this.exec => -
        new Runner().system => -
        a.b.c => -
        obj?.x.y => -
        exec => -
        fetch => -
        ev => -
        setTimeout => setTimeout
        require => require
        run => -
        eval => -
        eval => eval
        run => child_process.exec
        fetch => -
        "#,
    );
}

#[test]
fn javascript_functions() {
    let text = r#"
function f({ a, b: [c] }, d = 1, ...e) {}
const g = async (x) => x;
const h = function named() {};
let k = y => y + 1;
class K { m(a) {} static async s() {} #p() {} get q() { return 1 } handler = () => {}; }
const o = { meth(a) {}, arrow: () => 1, "quoted": function() {} };
module.exports.route = function (req, res) { return () => req; };
export default function () {}
"#;
    check(
        functions(Grammar::JavaScript, text),
        r#"
        Declaration f(0:a [Property("a")], 0:c [Property("b"), Index(0)], 1:d =1, 2:e Rest) body="{}"
        Arrow async g(0:x) body="x"
        Expression named() body="{}"
        Arrow k(0:y) body="y + 1"
        Method m(0:a) in K body="{}"
        Method async s() in K body="{}"
        Method #p() in K body="{}"
        Method q() in K body="{ return 1 }"
        Arrow handler() body="{}"
        Method meth(0:a) body="{}"
        Arrow arrow() body="1"
        Expression quoted() body="{}"
        Expression route(0:req, 1:res) body="{ return () => req; }"
        Arrow -() parent=12 body="req"
        Expression -() body="{}"
        "#,
    );
}

#[test]
fn typescript_decorators_and_parameters() {
    let text = r#"
import { Controller, Get, Param, Body } from "@nestjs/common";
import * as nest from "@nestjs/common";
@Controller("users")
export class UsersController {
  constructor(private readonly service: Service) {}
  @Get(":id")
  @nest.UseGuards(AuthGuard)
  find(@Param("id") id: string, @Body() body?: Dto, this_is_fine = 2): void {}
}
@Local() class Other {}
function typed(this: Window, a: number) {}
"#;
    check(
        functions(Grammar::TypeScript, text),
        r#"
        Method constructor(0:service Service) in UsersController body="{}"
        Method find(0:id string @Param=@nestjs/common.Param("id"), 1:body Dto @Body=@nestjs/common.Body(), 2:this_is_fine =2) @Get=@nestjs/common.Get(":id") @nest.UseGuards=@nestjs/common.UseGuards(AuthGuard) in UsersController body="{}"
        Declaration typed(0:a number) body="{}"
        "#,
    );
    let (_, semantics) = parse(Grammar::TypeScript, text);
    let classes: Vec<String> = semantics
        .classes()
        .iter()
        .map(|c| {
            format!(
                "{}{}",
                c.name.as_deref().unwrap_or("-"),
                decorators(text, &c.decorators)
            )
        })
        .collect();
    assert_eq!(
        classes,
        [
            r#"UsersController @Controller=@nestjs/common.Controller("users")"#,
            "Other @Local=-()"
        ]
    );
}

#[test]
fn javascript_bindings_and_binding_at() {
    let text = r#"
let x = source();
const { a, b: [c], ...r } = req.body;
for (const item of items) {}
for (k in obj) {}
try {} catch (err) {}
x = other;
x += more;
function f(p) { var v = p; if (v) { let v = 2; } return v; }
"#;
    check(
        bindings(Grammar::JavaScript, text),
        r#"
        x Variable Module = source()
        a Variable Module = req.body [Property("a")]
        c Variable Module = req.body [Property("b"), Index(0)]
        r Variable Module = req.body [Rest]
        item Variable Module = items [Element]
        k Variable Module = obj [Key]
        err Variable Module
        x Variable Module = other
        x Variable Module = more augmented
        f Function Module
        p Parameter Function(0)
        v Variable Function(0) = p
        v Variable Function(0) = 2
        "#,
    );
    let (_, semantics) = parse(Grammar::JavaScript, text);
    let value_at = |name: &str, marker: &str| {
        let at = text.find(marker).unwrap();
        semantics
            .binding_at(name, at)
            .and_then(|b| b.value)
            .map(|v| &text[v.start..v.end])
    };
    assert_eq!(value_at("x", "x = other"), Some("source()"));
    assert_eq!(value_at("x", "x += more"), Some("other"));
    assert_eq!(value_at("x", "function f"), Some("more"));
    assert_eq!(value_at("v", "return v"), Some("p"));
    assert_eq!(value_at("v", "= 2; }"), Some("2"));
    assert_eq!(value_at("item", "{}\nfor (k"), Some("items"));
    assert_eq!(value_at("item", "for (k"), None);
    assert_eq!(
        semantics
            .binding_at("p", text.find("var v").unwrap())
            .map(|b| b.kind),
        Some(BindingKind::Parameter)
    );
    assert!(
        semantics
            .binding_at("p", text.find("x = other").unwrap())
            .is_none()
    );
}

#[test]
fn qualified_names_of_identifiers_and_members() {
    let text =
        "const cp = require('child_process');\nconst f = cp.exec, g = cp?.spawn, h = eval;\n";
    let (tree, semantics) = parse(Grammar::JavaScript, text);
    let names: Vec<Option<String>> = nodes_of(&tree, &["variable_declarator"])
        .into_iter()
        .map(|d| semantics.qualified_name(d.field("value").unwrap(), text))
        .collect();
    assert_eq!(
        names,
        [
            Some("require".into()),
            Some("child_process.exec".into()),
            Some("child_process.spawn".into()),
            Some("eval".into())
        ]
    );
    let text = "from os import (\n    path,\n    system as run,\n)\nx = path.join\n";
    let (tree, semantics) = parse(Grammar::Python, text);
    let value = nodes_of(&tree, &["attribute"])[0];
    assert_eq!(
        semantics.qualified_name(value, text).as_deref(),
        Some("os.path.join")
    );
    assert_eq!(
        semantics
            .binding_at("run", text.len() - 1)
            .and_then(|b| b.qualified_name.as_deref()),
        Some("os.system")
    );
}

#[test]
fn enclosing_function_is_the_innermost() {
    let text = "function outer() { const a = 1; const inner = () => { b(); }; c(); }\nd();\n";
    let (_, semantics) = parse(Grammar::JavaScript, text);
    let name_at = |marker: &str| {
        semantics
            .enclosing_function(text.find(marker).unwrap())
            .and_then(|f| f.name.as_deref())
    };
    assert_eq!(name_at("a = 1"), Some("outer"));
    assert_eq!(name_at("b()"), Some("inner"));
    assert_eq!(name_at("c()"), Some("outer"));
    assert_eq!(name_at("d()"), None);
    assert_eq!(
        semantics.enclosing_function_index(text.find("b()").unwrap()),
        Some(1)
    );
}

#[test]
fn python_imports_qualify_calls() {
    let text = r#"
import os
import os.path
import subprocess as sp
import a.b as c
from os import system
from subprocess import run as r, Popen
from . import sibling
from .mod import helper
from ..pkg.mod import *
import yaml, jwt
os.system(cmd); os.path.join(a, b); sp.call(cmd); c.d(); system(cmd); r(cmd); Popen(cmd)
sibling.go(); helper(); yaml.load(s); jwt.decode(t); __import__("os").system(cmd)
"#;
    check(
        calls(Grammar::Python, text),
        r#"
        os.system => os.system
        os.path.join => os.path.join
        sp.call => subprocess.call
        c.d => a.b.d
        system => os.system
        r => subprocess.run
        Popen => subprocess.Popen
        sibling.go => .sibling.go
        helper => .mod.helper
        yaml.load => yaml.load
        jwt.decode => jwt.decode
        __import__("os").system => os.system
        __import__ => __import__
        "#,
    );
    check(
        imports(Grammar::Python, text),
        r#"
        Module os - as os @os
        Module os.path - as os @os.path
        Module subprocess - as sp @subprocess as sp
        Module a.b - as c @a.b as c
        Member os system as system @system
        Member subprocess run as r @run as r
        Member subprocess Popen as Popen @Popen
        Member . sibling as sibling @sibling
        Member .mod helper as helper @helper
        Wildcard ..pkg.mod - as - @*
        Module yaml - as yaml @yaml
        Module jwt - as jwt @jwt
        Unbound os - as - @__import__("os")
        "#,
    );
}

#[test]
fn python_builtins_and_shadowing() {
    let text = r#"
eval(s); exec(s); open(p); builtins_free(); print(x)
import builtins
builtins.open(p)
class Files:
    def open(self):
        open(p)
    exec = staticmethod(run)
    exec(s)
def handler(eval):
    eval(s)
    exec(s)
def local():
    open(p)
    open = make()
exec(s)
def exec(code): pass
exec(s)
from os import system as eval
eval(s)
"#;
    check(
        calls(Grammar::Python, text),
        r#"
        eval => eval
        exec => exec
        open => open
        builtins_free => -
        print => print
        builtins.open => open
        open => open
        staticmethod => staticmethod
        exec => -
        eval => -
        exec => -
        open => -
        make => -
        exec => exec
        exec => -
        eval => os.system
        "#,
    );
}

#[test]
fn python_fallback_imports_and_aliases() {
    let text = r#"
try:
    import yaml
except ImportError:
    yaml = None
try:
    import simplejson as json
except ImportError:
    import json
loader = yaml.load
sub = __import__("subprocess")
def f():
    global g
    g = loader
    yaml.load(s); loader(s); json.loads(s); sub.run(c)
g(s)
"#;
    check(
        calls(Grammar::Python, text),
        r#"
        __import__ => __import__
        yaml.load => yaml.load
        loader => yaml.load
        json.loads => json.loads
        sub.run => subprocess.run
        g => yaml.load
        "#,
    );
}

#[test]
fn python_functions_and_decorators() {
    let text = r#"
from flask import Flask
from django.views.decorators.csrf import csrf_exempt
import fastapi
app = Flask(__name__)
router = fastapi.APIRouter()
@app.route("/x", methods=["POST"])
@csrf_exempt
async def view(request, a: int = 1, *args, b=2, c: str, **kwargs):
    f = lambda x, y=1: x
    return f
class K(Base):
    @property
    def m(self, /, q): pass
    @router.get("/items")
    def items(self, *, limit): pass
@fastapi.Depends
def dep(): pass
"#;
    check(
        functions(Grammar::Python, text),
        r#"
        Declaration async view(0:request, 1:a =1 int, 2:args Rest, 3:b KeywordOnly =2, 4:c KeywordOnly str, 5:kwargs Keywords) @app.route=-("/x", methods=["POST"]) @csrf_exempt=django.views.decorators.csrf.csrf_exempt body="f = lambda x, y=1: x\n    return f"
        Lambda f(0:x, 1:y =1) parent=0 body="x"
        Method m(0:self, 1:q) @property=property in K body="pass"
        Method items(0:self, 1:limit KeywordOnly) @router.get=-("/items") in K body="pass"
        Declaration dep() @fastapi.Depends=fastapi.Depends body="pass"
        "#,
    );
}

#[test]
fn python_bindings() {
    let text = r#"
x, (y, z) = source()
a = b = req.args
w: int = 5
w += 1
t: str
with open(p) as fh: pass
for i, j in items: pass
try: pass
except E as err: pass
squares = [v * v for v in values]
if (n := compute()) > 5: pass
class C:
    attr = 1
def f(p):
    q = p
"#;
    check(
        bindings(Grammar::Python, text),
        r#"
        x Variable Module = source() [Index(0)]
        y Variable Module = source() [Index(1), Index(0)]
        z Variable Module = source() [Index(1), Index(1)]
        a Variable Module = req.args
        b Variable Module = req.args
        w Variable Module = 5
        w Variable Module = 1 augmented
        fh Variable Module = open(p)
        i Variable Module = items [Element, Index(0)]
        j Variable Module = items [Element, Index(1)]
        err Variable Module
        squares Variable Module = [v * v for v in values]
        v Variable Module = values [Element]
        n Variable Module = compute()
        C Class Module
        attr Variable Class(0) = 1
        f Function Module
        p Parameter Function(0)
        q Variable Function(0) = p
        "#,
    );
    let (_, semantics) = parse(Grammar::Python, text);
    let at = |marker: &str| text.find(marker).unwrap();
    assert_eq!(
        semantics.binding_at("v", at("v * v")).map(|b| b.kind),
        Some(BindingKind::Variable)
    );
    assert!(semantics.binding_at("v", at("if (n")).is_none());
    assert_eq!(
        semantics.binding_at("p", at("q = p") + 4).map(|b| b.kind),
        Some(BindingKind::Parameter)
    );
    assert!(semantics.binding_at("attr", at("q = p")).is_none());
}

#[test]
fn deep_nesting_does_not_overflow() {
    let depth = 20_000;
    let text = format!("{}x{}", "(".repeat(depth), ")".repeat(depth));
    let (tree, semantics) = parse(Grammar::JavaScript, &text);
    assert!(semantics.functions().is_empty());
    assert_eq!(semantics.qualified_name(tree.root_node(), &text), None);

    let text = format!(
        "const cp = require('child_process');\n{}cp.exec(a);{}",
        "{ let a = cp; const f = (e) => { e(); };\n".repeat(depth),
        "}".repeat(depth)
    );
    let (_, semantics) = parse(Grammar::JavaScript, &text);
    assert_eq!(semantics.functions().len(), depth);
    let use_at = text.find("cp.exec(a)").unwrap();
    let a = semantics.binding_at("a", use_at).unwrap();
    assert_eq!(a.qualified_name.as_deref(), Some("child_process"));
    assert_eq!(semantics.enclosing_function(use_at), None);

    let text = format!(
        "{}def f(x):\n    eval(x)\n",
        "def g(e):\n    e()\n".repeat(depth)
    );
    let (tree, semantics) = parse(Grammar::Python, &text);
    let calls = nodes_of(&tree, &["call"]);
    assert_eq!(
        semantics
            .qualified_name(*calls.last().unwrap(), &text)
            .as_deref(),
        Some("eval")
    );
    assert_eq!(semantics.qualified_name(calls[0], &text), None);
}

/// The call index, one call per line: `callee => qualified (arguments) keywords`.
fn call_index(grammar: Grammar, text: &str) -> String {
    let (_, semantics) = parse(grammar, text);
    let mut out = String::new();
    for call in semantics.calls() {
        let at = |s: Span| &text[s.start..s.end];
        write!(
            out,
            "{}{} => {}",
            if call.new { "new " } else { "" },
            at(call.callee),
            call.qualified_name.as_deref().unwrap_or("-"),
        )
        .unwrap();
        if let Some(arguments) = call.arguments {
            write!(out, " {}", at(arguments)).unwrap();
        }
        for keyword in &call.keywords {
            write!(out, " [{}={}]", keyword.name, at(keyword.value)).unwrap();
            assert_eq!(
                at(keyword.span),
                format!("{}={}", keyword.name, at(keyword.value))
            );
        }
        out.push('\n');
        assert_eq!(semantics.call(call.span), Some(call));
    }
    out
}

#[test]
fn javascript_call_index() {
    let text = r#"
import { exec as run } from "child_process";
const { exec } = require("node:child_process");
import * as cp from "child_process";
import https from "node:https";
run(cmd); cp.exec(a.b()); exec`ls`;
function local() { function exec(x) {} exec(cmd); this.exec(cmd); }
new https.Agent({ rejectUnauthorized: false }); new Foo;
require("child_process").execSync(cmd).toString();
"#;
    check(
        call_index(Grammar::JavaScript, text),
        r#"
        require => require ("node:child_process")
        run => child_process.exec (cmd)
        cp.exec => child_process.exec (a.b())
        a.b => - ()
        exec => child_process.exec `ls`
        exec => - (cmd)
        this.exec => - (cmd)
        new https.Agent => https.Agent ({ rejectUnauthorized: false })
        new Foo => -
        require("child_process").execSync(cmd).toString => - ()
        require("child_process").execSync => child_process.execSync (cmd)
        require => require ("child_process")
        "#,
    );
}

#[test]
fn python_call_index() {
    let text = r#"
import subprocess as sp
from subprocess import Popen as P
from os import system
import requests

def system2(c): ...
sp.call(cmd, shell=True)
P(cmd, shell=False, **extra)
system(cmd)
s = requests.Session()
s.get(u, verify=False, timeout=(1, 2))
f(x for x in y)
@app.route("/x", methods=["GET"])
def view(): return print(f"{g(1)}")
"#;
    let index = call_index(Grammar::Python, text);
    check(
        index,
        r#"
        sp.call => subprocess.call (cmd, shell=True) [shell=True]
        P => subprocess.Popen (cmd, shell=False, **extra) [shell=False]
        system => os.system (cmd)
        requests.Session => requests.Session ()
        s.get => - (u, verify=False, timeout=(1, 2)) [verify=False] [timeout=(1, 2)]
        f => - (x for x in y)
        app.route => - ("/x", methods=["GET"]) [methods=["GET"]]
        print => print (f"{g(1)}")
        g => - (1)
        "#,
    );
    // A binding's value leads to the call that made it.
    let (_, semantics) = parse(Grammar::Python, text);
    let at = text.find("s.get").unwrap();
    let value = semantics.binding_at("s", at).unwrap().value.unwrap();
    let session = semantics.call(value).unwrap();
    assert_eq!(session.qualified_name.as_deref(), Some("requests.Session"));
    let get = semantics
        .calls()
        .iter()
        .find(|c| c.span.start == at)
        .unwrap();
    assert_eq!(
        get.keyword("verify")
            .map(|k| &text[k.value.start..k.value.end]),
        Some("False")
    );
    assert!(get.keyword("shell").is_none());
}

/// The index holds every call node, with the qualified name `qualified_name` gives it.
#[test]
fn call_index_matches_the_tree() {
    for (grammar, text) in [
        (
            Grammar::TypeScript,
            "import * as cp from 'child_process';\nclass A { m() { cp.exec(x!); (cp as any).spawn(); } }\nconst f = () => g(h(1), new K(2));\n",
        ),
        (
            Grammar::Python,
            "import os\nclass A:\n    def m(self):\n        os.system(x)\n        [f(y) for y in z]\n        lambda: __import__('os').popen(q)\n",
        ),
    ] {
        let (tree, semantics) = parse(grammar, text);
        let nodes = nodes_of(&tree, &["call_expression", "call", "new_expression"]);
        assert_eq!(nodes.len(), semantics.calls().len());
        for node in nodes {
            let call = semantics.call(Span::from(node.byte_range())).unwrap();
            if node.kind() != "new_expression" {
                assert_eq!(call.qualified_name, semantics.qualified_name(node, text));
            }
        }
    }
}

/// The index answers every range as the descent from the root does: the nodes of every
/// kind (named and anonymous, in subtrees the walk skips too: imports, strings, types,
/// Python annotations whose `type` node has the range of its expression) and ranges no
/// node has.
#[test]
fn node_index_finds_what_the_tree_finds() {
    let samples = [
        (
            Grammar::JavaScript,
            "import x, { y as z } from 'm';\nconst a = require(\"b\").c(`t${1}`);\n\
             class K { #p = 1; m() { return this.#p?.q ?? /re/g; } }\n\
             app.get('/x', async (req, res) => { try { await db.query(`SELECT ${req.query.id}`) } catch (e) { next(e) } });\n\
             let [d, { e = 2 }] = f(g)(h);\nconst broken = (;\n\
             x.y.z[w]; f(a.b, [c, d], {k: v}); return_(a + b, !c, d ? e : f, new G, [class {}]);\n",
        ),
        (
            Grammar::TypeScript,
            "import type { T } from './t';\ninterface I { a: string }\ntype U = I | null;\n\
             @Controller('u') export class C { constructor(private readonly r: Repository<User>) {}\n\
             @Get(':id') find(@Param('id') id: string): Promise<U> { return this.r.findOne({ where: { id } })!; } }\n",
        ),
        (
            Grammar::Python,
            "import os, a.b as c\nfrom . import d\n\n@app.route('/<int:i>')\ndef f(i: int, s: str = 'x', *a, **k) -> dict:\n\
             \x20   q = f\"SELECT {i}\" + 'lit'\n    return {'k': [x for x in range(i) if x], 'l': lambda y: y}\n\n\
             class M(models.Model):\n    n: int = 1\n    def g(self): return self.n[1:2]\n\
             h(a.b, [c, d], {'k': v}, not e, -f, [y for y in z], lambda: 1)\nx = (\n",
        ),
    ];
    for (grammar, text) in samples {
        let (tree, grammar) = parse_tree(grammar, text, Duration::from_secs(5)).unwrap();
        let (_, index) = CodeSemantics::build_indexed(&tree, text, grammar);
        let mut spans = Vec::new();
        let mut cursor = tree.walk();
        'walk: loop {
            let node = cursor.node();
            spans.push(Span::new(node.start_byte(), node.end_byte()));
            if node.is_named() {
                assert_eq!(
                    index.parent(node).map(|p| p.id()),
                    node.parent().map(|p| p.id()),
                    "{grammar:?} parent of `{}`",
                    &text[node.byte_range()]
                );
            }
            if cursor.goto_first_child() {
                continue;
            }
            while !cursor.goto_next_sibling() {
                if !cursor.goto_parent() {
                    break 'walk;
                }
            }
        }
        // Ranges of no node: every word, and every pair of adjacent node starts.
        for (at, word) in text.match_indices(|c: char| !c.is_alphanumeric()) {
            spans.push(Span::new(at, at + word.len()));
            spans.push(Span::new(at.saturating_sub(3), at));
        }
        for call in nodes_of(
            &tree,
            &["call_expression", "call", "arguments", "argument_list"],
        ) {
            let span = Span::new(call.start_byte(), call.end_byte());
            assert!(
                index.indexed(span).is_some(),
                "{grammar:?} {span:?} not indexed"
            );
        }
        for span in spans {
            assert_eq!(
                index.node_at(span).map(|n| n.id()),
                nodes::node_at(&tree, span).map(|n| n.id()),
                "{grammar:?} {:?} `{}`",
                span,
                &text[span.start..span.end]
            );
        }
    }
}

/// `Fields::field` tells grammars apart by their kind and field counts, so those of the
/// grammars the product parses code with must differ; and its cache must answer what the
/// tree answers when the grammars alternate.
#[test]
fn field_cache_tells_the_grammars_apart() {
    grammars_differ_in(|language| (language.node_kind_count(), language.field_count()));
    let sources = [
        (Grammar::JavaScript, "f(a, b)", "call_expression"),
        (Grammar::Python, "f(a, b)", "call"),
        (Grammar::TypeScript, "f<T>(a, b)", "call_expression"),
        (Grammar::Tsx, "f(a, <b/>)", "call_expression"),
    ];
    for _ in 0..2 {
        for (grammar, text, kind) in sources {
            let (tree, _) = parse(grammar, text);
            let call = nodes_of(&tree, &[kind])[0];
            for name in ["function", "arguments", "body"] {
                assert_eq!(
                    call.field(name).map(|n| n.byte_range()),
                    call.child_by_field_name(name).map(|n| n.byte_range()),
                    "{grammar:?} {name}"
                );
            }
        }
    }
}

#[test]
fn kind_names_are_the_trees_kinds() {
    grammars_differ_in(|language| language.node_kind_count());
    let sources = [
        (
            Grammar::JavaScript,
            "const a = require('x'); f(a, `t${b}`); /* c */ if (x) {}",
        ),
        (
            Grammar::TypeScript,
            "let a: Array<T> = f<T>(b as C) satisfies D; @d class E {}",
        ),
        (
            Grammar::Tsx,
            "const e = <div a={b}>{c}</div>; function f(x?: number) {}",
        ),
        (
            Grammar::Python,
            "import os\n@d\ndef f(a, *b, **c):\n    return [x for x in a if x]\n",
        ),
        (Grammar::JavaScript, "f(a,, ) { ] ( ERROR"),
        (Grammar::Python, "def (:\n  x = ) ]"),
    ];
    // Twice, so the second round reads every grammar's table from the cache.
    for _ in 0..2 {
        for (grammar, text) in sources {
            let (tree, _) = parse(grammar, text);
            let mut cursor = tree.walk();
            let mut seen = 0;
            loop {
                let node = cursor.node();
                assert_eq!(node.kind_name(), node.kind(), "{grammar:?} {text}");
                seen += 1;
                if cursor.goto_first_child() {
                    continue;
                }
                while !cursor.goto_next_sibling() {
                    if !cursor.goto_parent() {
                        break;
                    }
                }
                if cursor.node() == tree.root_node() {
                    break;
                }
            }
            assert!(seen > 5, "{grammar:?}: {seen} nodes");
        }
    }
}

/// The product's grammars each have their own `key`: the caches of field ids and kind
/// names tell grammars apart by it.
fn grammars_differ_in<K: PartialEq + std::fmt::Debug>(
    key: impl Fn(&audit_syntax::tree_sitter::Language) -> K,
) {
    let grammars = [
        Grammar::JavaScript,
        Grammar::TypeScript,
        Grammar::Tsx,
        Grammar::Python,
    ];
    let keys: Vec<K> = grammars.iter().map(|g| key(&g.language())).collect();
    for (i, k) in keys.iter().enumerate() {
        assert!(!keys[i + 1..].contains(k), "{:?} shares {k:?}", grammars[i]);
    }
}
