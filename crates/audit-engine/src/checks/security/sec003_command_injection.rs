//! SEC003: a shell command built from a non-literal value, found by the qualified name of
//! the call (`child_process.exec`, `subprocess.run`, `os.system`) whatever the file
//! named the module or the function; a local `exec` or another object's `system` is not.

use audit_core::Span;
use audit_model::code::Call;
use audit_syntax::tree_sitter::Node;

use super::{arguments, elements, is_script_flag, is_shell, string_content, text_of};
use crate::checks::excerpt;
use crate::checks::{Check, CodeContext, Emit};
use audit_model::code::nodes::{Fields, KindName};

pub const CHECK: Check = Check::Code {
    anchors: &[
        "child_process",
        "shelljs",
        "subprocess",
        // Most Python files `import os` for paths; the model is built for those that
        // call a process function through it, or import os under another name.
        "import os as",
        "from os import",
        "os.system",
        "os.popen",
        "os.exec",
        "os.posix_spawn",
    ],
    run: check,
};

fn check(ctx: &CodeContext<'_>, out: &mut Emit<'_>) {
    let javascript = ctx.grammar.is_javascript_family();
    let promisify = javascript && ctx.source.text.contains("promisify");
    for call in ctx.semantics().calls() {
        if call.new {
            continue;
        }
        let reported = if javascript {
            let wrapped;
            let function = match call.qualified_name.as_deref() {
                Some(function) => Some(function),
                None if promisify => {
                    wrapped = promisified(ctx, call);
                    wrapped.as_deref()
                }
                None => None,
            };
            function.and_then(|f| javascript_call(ctx, call, f))
        } else {
            call.qualified_name
                .as_deref()
                .and_then(|f| python_call(ctx, call, f))
        };
        if let Some(span) = reported {
            let callee = excerpt(callee_name(ctx, call));
            ctx.report_input(out, span, span, &[("callee", &callee)], &callee);
        }
    }
}

/// The callee as the message names it: JS the function's own name (`exec` of `cp.exec`),
/// Python the whole callee (`subprocess.run`).
fn callee_name<'a>(ctx: &CodeContext<'a>, call: &Call) -> &'a str {
    let text = ctx.source.text.as_str();
    if ctx.grammar.is_javascript_family()
        && let Some(callee) = ctx.node_at(call.callee)
        && callee.kind_name() == "member_expression"
        && let Some(property) = callee.field("property")
    {
        return text_of(text, property);
    }
    &text[call.callee.start..call.callee.end]
}

/// `const execAsync = promisify(exec)`: the function a promisified callee wraps.
fn promisified(ctx: &CodeContext<'_>, call: &Call) -> Option<String> {
    let text = ctx.source.text.as_str();
    let name = &text[call.callee.start..call.callee.end];
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'$')
    {
        return None;
    }
    let binding = ctx.semantics().binding_at(name, call.callee.start)?;
    if !binding.path.is_empty() || binding.augmented {
        return None;
    }
    let wrapper = ctx.semantics().call(binding.value?)?;
    if wrapper.qualified_name.as_deref() != Some("util.promisify") {
        return None;
    }
    let wrapped = *arguments(ctx, wrapper.arguments).first()?;
    ctx.semantics().qualified_name(wrapped, text)
}

/// A JS value that is not a literal: a name, member, call, concatenation or template with
/// substitutions.
fn javascript_dynamic(node: Node<'_>) -> bool {
    match node.kind_name() {
        "identifier"
        | "member_expression"
        | "subscript_expression"
        | "call_expression"
        | "binary_expression"
        | "await_expression" => true,
        "template_string" => elements(node)
            .iter()
            .any(|c| c.kind_name() == "template_substitution"),
        _ => false,
    }
}

fn javascript_call(ctx: &CodeContext<'_>, call: &Call, function: &str) -> Option<Span> {
    let text = ctx.source.text.as_str();
    let spawn = match function {
        "child_process.exec" | "child_process.execSync" | "shelljs.exec" => false,
        "child_process.spawn"
        | "child_process.spawnSync"
        | "child_process.execFile"
        | "child_process.execFileSync" => true,
        _ => return None,
    };
    // A name bound only to literals is a literal: `const cmd = windows ? "cmd" : "npm"`.
    let flow = ctx.data_flow();
    let dynamic = |node: Node<'_>| javascript_dynamic(node) && !flow.constant(node);
    let args = arguments(ctx, call.arguments);
    let first = *args.first()?;
    if !spawn {
        return dynamic(first).then(|| span(first));
    }
    // A shell run explicitly: `spawn("sh", ["-c", cmd])`; the script follows the flag.
    if let Some(program) = string_content(text, first)
        && is_shell(program)
        && let Some(list) = args.get(1).filter(|a| a.kind_name() == "array")
    {
        let items = elements(*list);
        for pair in items.windows(2) {
            if string_content(text, pair[0]).is_some_and(is_script_flag) && dynamic(pair[1]) {
                return Some(span(pair[1]));
            }
        }
    }
    // With `shell: true` the command, or the arguments joined unescaped, reach a shell.
    let shell = |from: usize| args.iter().skip(from).any(|a| shell_true(text, *a));
    if dynamic(first) && shell(1) {
        return Some(span(first));
    }
    let list = args.get(1)?;
    let joined = match list.kind_name() {
        "array" => elements(*list)
            .iter()
            .any(|e| dynamic(*e) || e.kind_name() == "spread_element"),
        _ => dynamic(*list),
    };
    (joined && shell(2)).then(|| span(*list))
}

/// An options object with `shell: true`.
fn shell_true(text: &str, node: Node<'_>) -> bool {
    node.kind_name() == "object"
        && elements(node).iter().any(|pair| {
            pair.kind_name() == "pair"
                && pair.field("key").is_some_and(|k| {
                    k.kind_name() == "property_identifier" && text_of(text, k) == "shell"
                })
                && pair.field("value").is_some_and(|v| v.kind_name() == "true")
        })
}

/// A Python value that is not a literal: a name, attribute, subscript, call, operation, or
/// an f-string with interpolations.
fn python_dynamic(node: Node<'_>) -> bool {
    match node.kind_name() {
        "identifier" | "attribute" | "subscript" | "call" | "binary_operator" => true,
        "string" => interpolated(node),
        "concatenated_string" => elements(node).iter().any(|s| interpolated(*s)),
        _ => false,
    }
}

fn interpolated(string: Node<'_>) -> bool {
    string.kind_name() == "string"
        && elements(string)
            .iter()
            .any(|c| c.kind_name() == "interpolation")
}

#[derive(Clone, Copy)]
enum Python {
    /// Runs its first argument through a shell: `os.system(cmd)`.
    Shell,
    /// Runs through a shell when `shell=True`; a list may start a shell itself.
    Subprocess,
    /// A program and a list of arguments: `os.execvp("sh", ["sh", "-c", cmd])`.
    ProgramAndList,
    /// A program and its arguments one by one: `os.execl("/bin/sh", "sh", "-c", cmd)`.
    ProgramAndArguments,
}

fn python_call(ctx: &CodeContext<'_>, call: &Call, function: &str) -> Option<Span> {
    let text = ctx.source.text.as_str();
    let kind = match function {
        "os.system"
        | "os.popen"
        | "subprocess.getoutput"
        | "subprocess.getstatusoutput"
        | "asyncio.create_subprocess_shell"
        | "asyncio.subprocess.create_subprocess_shell" => Python::Shell,
        "subprocess.run"
        | "subprocess.call"
        | "subprocess.check_call"
        | "subprocess.check_output"
        | "subprocess.Popen" => Python::Subprocess,
        "os.execv" | "os.execve" | "os.execvp" | "os.execvpe" | "os.posix_spawn"
        | "os.posix_spawnp" => Python::ProgramAndList,
        "os.execl"
        | "os.execle"
        | "os.execlp"
        | "os.execlpe"
        | "asyncio.create_subprocess_exec"
        | "asyncio.subprocess.create_subprocess_exec" => Python::ProgramAndArguments,
        _ => return None,
    };
    let flow = ctx.data_flow();
    let dynamic = |node: Node<'_>| python_dynamic(node) && !flow.constant(node);
    let args = arguments(ctx, call.arguments);
    let first = *args.first()?;
    let shell_program = || string_content(text, first).is_some_and(is_shell);
    match kind {
        Python::Shell => dynamic(first).then(|| span(first)),
        Python::Subprocess => {
            let shell = call
                .keyword("shell")
                .is_some_and(|k| &text[k.value.start..k.value.end] == "True");
            if shell && dynamic(first) {
                return Some(span(first));
            }
            if first.kind_name() != "list" {
                return None;
            }
            let items = elements(first);
            let program = *items.first()?;
            if !string_content(text, program).is_some_and(is_shell) {
                return None;
            }
            script_after_flag(text, &items[1..], dynamic)
        }
        Python::ProgramAndList => {
            let list = args.get(1).filter(|a| a.kind_name() == "list")?;
            if !shell_program() {
                return None;
            }
            script_after_flag(text, &elements(*list), dynamic)
        }
        Python::ProgramAndArguments => {
            if !shell_program() {
                return None;
            }
            let positional: Vec<Node<'_>> = args[1..]
                .iter()
                .copied()
                .take_while(|a| a.kind_name() != "keyword_argument")
                .collect();
            script_after_flag(text, &positional, dynamic)
        }
    }
}

/// The non-literal script right after a shell's command flag in `items`.
fn script_after_flag(
    text: &str,
    items: &[Node<'_>],
    dynamic: impl Fn(Node<'_>) -> bool,
) -> Option<Span> {
    items.windows(2).find_map(|pair| {
        (string_content(text, pair[0]).is_some_and(is_script_flag) && dynamic(pair[1]))
            .then(|| span(pair[1]))
    })
}

fn span(node: Node<'_>) -> Span {
    Span::from(node.byte_range())
}
