//! The pass over a JavaScript/TypeScript/Python tree: the combined query, facts and
//! suppressions.

use std::cell::Cell;
use std::ops::ControlFlow;
use std::time::Instant;

use audit_core::{Confidence, Finding, Language, Note, NoteKind, SourceText, Span};
use audit_model::taint::HitKind;
use audit_syntax::Grammar;
use audit_syntax::tree_sitter::{
    Node, QueryCursor, QueryCursorOptions, QueryMatch, StreamingIterator, Tree,
};

use super::{FileResult, problem_note};
use crate::checks::{CodeContext, Emit, Outcome, excerpt, isolated, render_message};
use crate::facts;
use crate::plan::{CodeChecks, CompiledQuery, Plan, QueryPart, Sought, TaintPlan, TextHits};
use crate::settings::Settings;
use crate::suppress;

pub(super) fn analyze_tree(
    plan: &Plan,
    settings: &Settings,
    source: SourceText,
    language: Language,
    grammar: Grammar,
    result: &mut FileResult,
) {
    let (tree, grammar) =
        match audit_syntax::parse_tree(grammar, &source.text, settings.parse_timeout) {
            Ok(parsed) => parsed,
            Err(problem) => return problem_note(result, &source, "not analysed", &problem),
        };
    if let Some(error) = first_error(tree.root_node()) {
        result.partly_parsed = true;
        result.notes.push(Note {
            path: Some(source.path.to_string()),
            line: Some(error.start_position().row as u32 + 1),
            kind: NoteKind::ParseError,
            message: format!(
                "syntax error near here ({} grammar); the rest of the file was analysed",
                language
            ),
        });
    }
    // A query that does not compile fails the scan after the walk (`Plan::query_error`).
    if let Some(Ok(query)) = plan.grammars.get(&grammar).map(|g| g.compiled(&plan.rules)) {
        run_query(plan, query, &tree, &source, settings, result);
    }
    // One literal search says which checks and models the file needs.
    let found = plan.text_search(grammar).search(&source.text);
    // One context, so code checks, text checks and routes share the semantics.
    let mut ctx = CodeContext::new(&source, &tree, grammar)
        .with_sql_dialect(settings.sql_dialect_for(&source.path));
    if let Some(taint) = &plan.taint {
        ctx = ctx.with_taint(&taint.spec);
    }
    if let Some(code) = plan.code.get(&grammar) {
        run_code_checks(plan, code, &ctx, &found, result);
    }
    if let Some(taint) = &plan.taint
        && found.taint_anchored()
    {
        run_taint(plan, taint, &ctx, language, result);
    }
    if plan.needs_routes() && found.holds(Sought::RouteAnchors) {
        extract_routes(&ctx, result);
    }
    super::text::run_text_checks(plan, &source, language, None, Some(&ctx), result);
    if !plan.cross_layer.is_empty() {
        let path = Some(&*source.path);
        match isolated("the cross-layer facts", path, || {
            crate::project::crosslayer::collect(&ctx, &found)
        }) {
            Ok(database) => result.facts.database = database.map(Box::new),
            Err(note) => result.notes.push(note),
        }
    }
    drop(ctx);
    // Only project checks read facts.
    if grammar.is_javascript_family() && !plan.project.is_empty() {
        facts::javascript(
            &tree,
            &source,
            found.hits(Sought::FactKeywords),
            &mut result.facts,
        );
    }
    result.suppressions = suppress::parse(&source, language, Some(&tree), &[], &mut result.notes);
    super::sql::analyze_code_migration(plan, settings, source, &tree, grammar, result);
}

/// The code checks whose anchors the file holds; the semantics are built, inside the
/// first check that asks for them, only if one does.
fn run_code_checks(
    plan: &Plan,
    code: &CodeChecks,
    ctx: &CodeContext<'_>,
    found: &TextHits,
    result: &mut FileResult,
) {
    let due = code.due(found);
    let path = Some(&*ctx.source.path);
    let mut out = Outcome::default();
    for (rule, check) in due {
        out.run(&plan.rules[rule].meta, path, |emit| check(ctx, emit));
    }
    result.findings.extend(out.findings);
    result.notes.extend(out.notes);
}

/// Every enabled taint rule at once (for a file that names a sink): request input that
/// reaches one is reported at high confidence with its flow, a non-literal value the
/// rule watches at medium.
fn run_taint(
    plan: &Plan,
    taint: &TaintPlan,
    ctx: &CodeContext<'_>,
    language: Language,
    result: &mut FileResult,
) {
    let path = Some(&*ctx.source.path);
    let hits = match isolated("the data-flow model", path, || ctx.data_flow().hits()) {
        Ok(hits) => hits,
        Err(note) => return result.notes.push(note),
    };
    let text = ctx.source.text.as_str();
    for hit in hits {
        let (index, nonliteral_message) = &taint.rules[hit.rule];
        let rule = &plan.rules[*index];
        if !rule.applies_to(language) {
            continue;
        }
        let sink = excerpt(&text[hit.callee.start..hit.callee.end]);
        let location = ctx.source.locate(hit.argument);
        let (message, confidence, flow) = match &hit.kind {
            HitKind::Tainted(flow) => {
                let source = excerpt(&text[flow.source.start..flow.source.end]);
                let line = ctx.source.locate(flow.source).start.line.to_string();
                let through = flow
                    .building()
                    .map(|how| format!(" through {how}"))
                    .unwrap_or_default();
                let args = [
                    ("source", source.as_str()),
                    ("line", line.as_str()),
                    ("sink", sink.as_str()),
                    ("through", through.as_str()),
                ];
                let template = rule.meta.message_for(&ctx.source.path);
                let steps = ctx.flow_steps(flow, hit.argument, format!("reaches `{sink}`"));
                (render_message(template, &args), Confidence::High, steps)
            }
            HitKind::NonLiteral { building } => {
                let Some(template) = nonliteral_message else {
                    continue;
                };
                let through = building
                    .map(|how| format!(" through {how}"))
                    .unwrap_or_default();
                let args = [("sink", sink.as_str()), ("through", through.as_str())];
                (
                    render_message(template, &args),
                    Confidence::Medium,
                    Vec::new(),
                )
            }
        };
        let mut emit = Emit::for_rule(&rule.meta);
        emit.report_message(location, message, Some(confidence), flow);
        result.findings.extend(emit.findings);
    }
}

/// The file's routes (for a file holding a route anchor), read from the semantics the
/// code checks built, or built now; a failure is a note and the file has no routes.
fn extract_routes(ctx: &CodeContext<'_>, result: &mut FileResult) {
    let path = Some(&*ctx.source.path);
    match isolated("routes", path, || {
        audit_model::routes::extract(ctx.semantics(), ctx.nodes(), ctx.source, ctx.grammar)
    }) {
        Ok(routes) => result.facts.routes = routes.map(Box::new),
        Err(note) => result.notes.push(note),
    }
}

fn run_query(
    plan: &Plan,
    gp: &CompiledQuery,
    tree: &Tree,
    source: &SourceText,
    settings: &Settings,
    result: &mut FileResult,
) {
    let deadline = Instant::now() + settings.parse_timeout;
    let timed_out = Cell::new(false);
    let mut progress = |_: &_| {
        if Instant::now() >= deadline {
            timed_out.set(true);
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    };
    let text = source.text.as_bytes();
    // Anchored patterns start only at nodes holding an anchor, each match found once at
    // its own root; the others in one walk over the whole tree.
    if let Some((part, anchors)) = &gp.anchored {
        let mut cursor = QueryCursor::new();
        cursor.set_max_start_depth(Some(0));
        for root in anchored_nodes(tree, &anchors.positions(text)) {
            if timed_out.get() {
                break;
            }
            let options = QueryCursorOptions::new().progress_callback(&mut progress);
            let mut matches = cursor.matches_with_options(&part.query, root, text, options);
            while let Some(m) = matches.next() {
                record_match(plan, part, m, source, result);
            }
        }
    }
    if let Some(part) = gp.whole_tree.as_ref().filter(|_| !timed_out.get()) {
        let mut cursor = QueryCursor::new();
        let options = QueryCursorOptions::new().progress_callback(&mut progress);
        let mut matches = cursor.matches_with_options(&part.query, tree.root_node(), text, options);
        while let Some(m) = matches.next() {
            record_match(plan, part, m, source, result);
        }
    }
    if timed_out.get() {
        result.notes.push(Note {
            path: Some(source.path.to_string()),
            line: None,
            kind: NoteKind::Timeout,
            message: "rule matching stopped after the time budget; findings may be incomplete"
                .into(),
        });
    }
}

/// The nodes containing one of `positions` (sorted), in document order: where anchored
/// patterns can be rooted. Subtrees without a position are not entered.
fn anchored_nodes<'t>(tree: &'t Tree, positions: &[usize]) -> Vec<Node<'t>> {
    let contains = |node: Node<'_>| {
        let range = node.byte_range();
        let first = positions.partition_point(|&p| p < range.start);
        positions.get(first).is_some_and(|&p| p < range.end)
    };
    let mut nodes = Vec::new();
    let mut cursor = tree.walk();
    loop {
        let node = cursor.node();
        if contains(node) {
            nodes.push(node);
            if cursor.goto_first_child() {
                continue;
            }
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                return nodes;
            }
        }
    }
}

fn record_match(
    plan: &Plan,
    gp: &QueryPart,
    m: &QueryMatch<'_, '_>,
    source: &SourceText,
    result: &mut FileResult,
) {
    let names = gp.query.capture_names();
    let rule = &plan.rules[gp.owners[m.pattern_index]];
    let Some(report) = m
        .captures()
        .iter()
        .find(|c| Some(c.index) == gp.report_capture)
    else {
        return;
    };
    let args: Vec<(&str, String)> = m
        .captures()
        .iter()
        .filter(|c| !names[c.index as usize].starts_with('_'))
        .map(|c| {
            (
                names[c.index as usize],
                excerpt(&source.text[c.node.byte_range()]),
            )
        })
        .collect();
    let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let span = Span::from(report.node.byte_range());
    if result
        .findings
        .iter()
        .any(|f| f.rule == *rule.id() && f.location.span == span)
    {
        return;
    }
    let message = crate::checks::render_message(rule.meta.message_for(&source.path), &args);
    result.findings.push(Finding {
        rule: rule.id().clone(),
        location: source.locate(span),
        message,
        confidence: None,
        flow: Vec::new(),
        related: Vec::new(),
        lowered: false,
    });
}

/// The innermost-first error or missing node, found without recursion (deep trees).
fn first_error(root: Node<'_>) -> Option<Node<'_>> {
    if !root.has_error() {
        return None;
    }
    let mut node = root;
    'descend: loop {
        if node.is_error() || node.is_missing() {
            return Some(node);
        }
        let mut cursor = node.walk();
        for child in node.children(&mut cursor) {
            if child.has_error() {
                node = child;
                continue 'descend;
            }
        }
        return Some(node);
    }
}
