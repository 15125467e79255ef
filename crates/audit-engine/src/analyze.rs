//! The per-file pass: read once, parse once, run the plan, keep facts.

use std::cell::Cell;
use std::io::Read;
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use audit_core::{Finding, Language, Note, NoteKind, SourceText, Span};
use audit_syntax::hcl_edit::Span as _;
use audit_syntax::hcl_edit::structure::{Body, Structure};
use audit_syntax::tree_sitter::{
    Node, QueryCursor, QueryCursorOptions, QueryMatch, StreamingIterator, Tree,
};
use audit_syntax::{Grammar, ParseProblem, StatementKind};

use crate::facts::{AppCreation, FileFacts, Framework, SqlSource, TerraformSource};
use crate::plan::{CompiledQuery, PatternOwner, Plan};
use crate::settings::Settings;
use crate::suppress::{self, Suppression};

/// Everything one file contributes to the scan.
#[derive(Debug)]
pub struct FileResult {
    pub path: Arc<str>,
    pub findings: Vec<Finding>,
    pub notes: Vec<Note>,
    pub facts: FileFacts,
    pub suppressions: Vec<Suppression>,
    /// False when the file was skipped or unreadable.
    pub scanned: bool,
    /// The file was not analysed at all: the parser rejected it or ran out of time.
    pub parse_failed: bool,
    /// Analysed, but parts of it (syntax errors, statements no dialect rule recognises)
    /// were not understood.
    pub partly_parsed: bool,
    pub bytes: u64,
}

/// How much of a file is sniffed for NUL bytes to call it binary.
const BINARY_SNIFF: usize = 8 * 1024;

/// How far the per-file pass goes. `Read` and `Parse` stop the very same pass early for
/// the benchmark (`scan --stage`, hidden), so what `Full` adds is what the rules cost.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Walk, read and decode only.
    Read,
    /// Also parse, then drop the tree.
    Parse,
    Full,
}

impl std::str::FromStr for Stage {
    type Err = String;

    fn from_str(s: &str) -> Result<Stage, String> {
        match s {
            "read" => Ok(Stage::Read),
            "parse" => Ok(Stage::Parse),
            "full" => Ok(Stage::Full),
            _ => Err(format!(
                "unknown stage `{s}` (expected read, parse or full)"
            )),
        }
    }
}

pub fn analyze_file(
    plan: &Plan,
    settings: &Settings,
    abs: &Path,
    path: Arc<str>,
    language: Language,
    stage: Stage,
) -> FileResult {
    let mut result = FileResult::empty(path);
    if let Some(bytes) = read_bytes(abs, settings.max_file_size, &mut result) {
        match stage {
            Stage::Full => analyze_bytes(plan, settings, bytes, language, &mut result),
            Stage::Read | Stage::Parse => stop_early(settings, bytes, language, stage, &mut result),
        }
    }
    result
}

/// `Stage::Read` and `Stage::Parse`: the full pass's own decode and parser calls, and
/// nothing after them.
fn stop_early(
    settings: &Settings,
    bytes: Vec<u8>,
    language: Language,
    stage: Stage,
    result: &mut FileResult,
) {
    result.bytes = bytes.len() as u64;
    let Some(text) = decode(bytes, result) else {
        return;
    };
    result.scanned = true;
    if stage == Stage::Parse {
        result.parse_failed = match Grammar::for_language(language) {
            Some(grammar) => {
                audit_syntax::parse_tree(grammar, &text, settings.parse_timeout).is_err()
            }
            None if language == Language::Sql => {
                audit_syntax::parse_sql(&text, settings.sql_dialect_for(&result.path)).is_err()
            }
            None => audit_syntax::parse_hcl(&text).is_err(),
        };
    }
}

/// The pass over bytes already in memory: what `analyze_file` does after reading.
pub fn analyze_source(
    plan: &Plan,
    settings: &Settings,
    path: Arc<str>,
    bytes: Vec<u8>,
    language: Language,
) -> FileResult {
    let mut result = FileResult::empty(path);
    if bytes.len() as u64 > settings.max_file_size {
        let message = format!(
            "skipped: {} bytes is over the {}-byte limit (max-file-size)",
            bytes.len(),
            settings.max_file_size
        );
        result.note(NoteKind::Skipped, message);
    } else {
        analyze_bytes(plan, settings, bytes, language, &mut result);
    }
    result
}

impl FileResult {
    fn empty(path: Arc<str>) -> Self {
        Self {
            path,
            findings: Vec::new(),
            notes: Vec::new(),
            facts: FileFacts::default(),
            suppressions: Vec::new(),
            scanned: false,
            parse_failed: false,
            partly_parsed: false,
            bytes: 0,
        }
    }

    /// A note about the whole file.
    fn note(&mut self, kind: NoteKind, message: String) {
        self.notes.push(Note {
            path: Some(self.path.to_string()),
            line: None,
            kind,
            message,
        });
    }
}

fn analyze_bytes(
    plan: &Plan,
    settings: &Settings,
    bytes: Vec<u8>,
    language: Language,
    result: &mut FileResult,
) {
    result.bytes = bytes.len() as u64;
    let Some(text) = decode(bytes, result) else {
        return;
    };
    result.scanned = true;
    let source = SourceText::new(result.path.clone(), text);
    match Grammar::for_language(language) {
        Some(grammar) => analyze_tree(plan, settings, source, language, grammar, result),
        None if language == Language::Sql => analyze_sql(plan, settings, source, result),
        None => analyze_terraform(plan, source, result),
    }
}

/// Reads the file, opened read-only and read once. `None` means skipped, with a note.
fn read_bytes(abs: &Path, max_size: u64, result: &mut FileResult) -> Option<Vec<u8>> {
    let mut file = match std::fs::File::open(abs) {
        Ok(file) => file,
        Err(e) => {
            result.note(NoteKind::ReadError, format!("cannot open: {e}"));
            return None;
        }
    };
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    if size > max_size {
        result.note(
            NoteKind::Skipped,
            format!("skipped: {size} bytes is over the {max_size}-byte limit (max-file-size)"),
        );
        return None;
    }
    let mut bytes = Vec::with_capacity(size as usize);
    // `take` bounds the read even if the file grows while it is read.
    if let Err(e) = (&mut file).take(max_size + 1).read_to_end(&mut bytes) {
        result.note(NoteKind::ReadError, format!("cannot read: {e}"));
        return None;
    }
    if bytes.len() as u64 > max_size {
        result.note(
            NoteKind::Skipped,
            format!("skipped: over the {max_size}-byte limit (max-file-size)"),
        );
        return None;
    }
    Some(bytes)
}

/// Decodes UTF-16 (by BOM) and UTF-8 (BOM stripped; invalid bytes replaced, with a note).
/// `None` means binary content, with a note.
fn decode(bytes: Vec<u8>, result: &mut FileResult) -> Option<String> {
    if let Some(text) = decode_utf16(&bytes) {
        return Some(text);
    }
    if memchr::memchr(0, &bytes[..bytes.len().min(BINARY_SNIFF)]).is_some() {
        result.note(
            NoteKind::Skipped,
            "skipped: binary content (NUL bytes)".to_string(),
        );
        return None;
    }
    let mut bytes = bytes;
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    match String::from_utf8(bytes) {
        Ok(text) => Some(text),
        Err(e) => {
            let bad = e.utf8_error().valid_up_to();
            result.note(
                NoteKind::Encoding,
                format!("not valid UTF-8 (first bad byte at offset {bad}); scanned with replacement characters"),
            );
            Some(String::from_utf8_lossy(e.as_bytes()).into_owned())
        }
    }
}

/// UTF-16 text is recognised by its byte-order mark and converted.
fn decode_utf16(bytes: &[u8]) -> Option<String> {
    let (little, body) = match bytes {
        [0xFF, 0xFE, rest @ ..] => (true, rest),
        [0xFE, 0xFF, rest @ ..] => (false, rest),
        _ => return None,
    };
    let units = body.chunks_exact(2).map(|c| {
        if little {
            u16::from_le_bytes([c[0], c[1]])
        } else {
            u16::from_be_bytes([c[0], c[1]])
        }
    });
    Some(
        char::decode_utf16(units)
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect(),
    )
}

fn problem_note(result: &mut FileResult, source: &SourceText, what: &str, problem: &ParseProblem) {
    result.parse_failed = true;
    let line = problem.offset.map(|o| source.position(o).line);
    let kind = if problem.timed_out {
        NoteKind::Timeout
    } else {
        NoteKind::ParseError
    };
    result.notes.push(Note {
        path: Some(source.path.to_string()),
        line,
        kind,
        message: format!("{what}: {}", problem.message),
    });
}

fn analyze_tree(
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
    result.suppressions = suppress::parse(&source, language, Some(&tree), &[], &mut result.notes);
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
    let mut cursor = QueryCursor::new();
    let text = source.text.as_bytes();
    // With anchors the query starts only at nodes holding one, each match found once at
    // its own root; without, one walk over the whole tree.
    let roots = match &gp.anchors {
        Some(anchors) => {
            cursor.set_max_start_depth(Some(0));
            anchored_nodes(tree, &anchors.positions(text))
        }
        None => vec![tree.root_node()],
    };
    for root in roots {
        if timed_out.get() {
            break;
        }
        let options = QueryCursorOptions::new().progress_callback(&mut progress);
        let mut matches = cursor.matches_with_options(&gp.query, root, text, options);
        while let Some(m) = matches.next() {
            record_match(plan, gp, m, source, result);
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
    gp: &CompiledQuery,
    m: &QueryMatch<'_, '_>,
    source: &SourceText,
    result: &mut FileResult,
) {
    let names = gp.query.capture_names();
    match gp.owners[m.pattern_index] {
        PatternOwner::Rule(index) => {
            let Some(report) = m
                .captures()
                .iter()
                .find(|c| Some(c.index) == gp.report_capture)
            else {
                return;
            };
            let rule = &plan.rules[index];
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
            });
        }
        PatternOwner::Facts => collect_fact(m.captures(), names, source, &mut result.facts),
    }
}

fn collect_fact(
    captures: &[audit_syntax::tree_sitter::QueryCapture<'_>],
    names: &[&str],
    source: &SourceText,
    facts: &mut FileFacts,
) {
    let text = |node: Node<'_>| &source.text[node.byte_range()];
    let factory = captures
        .iter()
        .find(|c| names[c.index as usize] == "_factory")
        .map(|c| text(c.node));
    for capture in captures {
        match names[capture.index as usize] {
            "import" => facts.imports.push(text(capture.node).to_string()),
            "app" => {
                if let Some(framework) = factory.and_then(Framework::from_factory) {
                    facts.apps.push(AppCreation {
                        framework,
                        location: source.locate(capture.node.byte_range().into()),
                    });
                }
            }
            _ => {}
        }
    }
}

/// First line of a capture, shortened, for message templates.
fn excerpt(text: &str) -> String {
    let line = text.lines().next().unwrap_or("");
    if line.chars().count() > 60 {
        format!("{}…", line.chars().take(59).collect::<String>())
    } else {
        line.to_string()
    }
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

fn analyze_sql(plan: &Plan, settings: &Settings, source: SourceText, result: &mut FileResult) {
    result.suppressions = suppress::parse(&source, Language::Sql, None, &[], &mut result.notes);
    let dialect = settings.sql_dialect_for(&source.path);
    let mut file = match audit_syntax::parse_sql(&source.text, dialect) {
        Ok(file) => file,
        Err(problem) => return problem_note(result, &source, "SQL not analysed", &problem),
    };
    // Valid SQL the parser does not model is classified from its keywords: a note for
    // --verbose. Only statements no dialect rule recognises leave the file partly parsed.
    let (unmodelled, unrecognised): (Vec<_>, Vec<_>) = file
        .statements
        .iter()
        .filter_map(|s| s.ast.as_ref().err().map(|e| (s, e)))
        .partition(|(s, _)| s.recognised);
    if let Some((first, _)) = unmodelled.first() {
        let head = excerpt(&source.text[first.span.start..first.span.end]);
        result.notes.push(Note {
            path: Some(source.path.to_string()),
            line: Some(source.position(first.span.start).line),
            kind: NoteKind::Unmodelled,
            message: format!(
                "{} {dialect} statement(s) the SQL parser does not model, classified from their keywords (first: `{head}`)",
                unmodelled.len(),
            ),
        });
    }
    if let Some((first, message)) = unrecognised.first() {
        result.partly_parsed = true;
        result.notes.push(Note {
            path: Some(source.path.to_string()),
            line: Some(source.position(first.span.start).line),
            kind: NoteKind::ParseError,
            message: format!(
                "{} statement(s) not understood as {dialect} (first: {message}); only their leading keywords were checked",
                unrecognised.len(),
            ),
        });
    }
    if plan.sql.is_empty() {
        return;
    }
    // Data changes never change the schema: unless a check reads them, their trees (seed
    // data is often most of a migration set's bytes, its tree several times more) are not
    // held until the project phase.
    file.statements.retain(|s| {
        !matches!(
            s.kind,
            StatementKind::Insert | StatementKind::Update | StatementKind::Delete
        ) || plan.sql.contains_key(&s.kind)
    });
    if file.statements.is_empty() {
        return;
    }
    let is_migration = settings.is_migration(&source.path);
    result.facts.sql = Some(SqlSource {
        source,
        file,
        is_migration,
    });
}

fn analyze_terraform(plan: &Plan, source: SourceText, result: &mut FileResult) {
    let mut file = match audit_syntax::parse_hcl(&source.text) {
        Ok(file) => file,
        Err(problem) => {
            result.suppressions =
                suppress::parse(&source, Language::Terraform, None, &[], &mut result.notes);
            return problem_note(result, &source, "Terraform not analysed", &problem);
        }
    };
    let blocks: Vec<(u32, u32)> = file
        .body
        .blocks()
        .filter_map(|b| b.span())
        .map(|r| {
            (
                source.position(r.start).line,
                source.position(r.end.saturating_sub(1)).line,
            )
        })
        .collect();
    result.suppressions = suppress::parse(
        &source,
        Language::Terraform,
        None,
        &blocks,
        &mut result.notes,
    );
    if plan.terraform.is_empty() {
        return;
    }
    keep_what_rules_read(plan, &mut file.body);
    if !file.body.is_empty() {
        result.facts.terraform = Some(TerraformSource { source, file });
    }
}

/// Drops the top-level blocks the project phase never reads (data sources, modules,
/// outputs, providers, resources no enabled rule checks): every file's tree is otherwise
/// held until the end, at some forty times the file's size.
fn keep_what_rules_read(plan: &Plan, body: &mut Body) {
    for i in (0..body.len()).rev() {
        let read = match body.get(i) {
            Some(Structure::Block(block)) => match block.ident.as_str() {
                "variable" | "locals" => true,
                "resource" => block
                    .labels
                    .first()
                    .is_some_and(|ty| plan.terraform.contains_key(ty.as_str())),
                _ => false,
            },
            // Top-level attributes: the values of a .tfvars file.
            _ => true,
        };
        if !read {
            body.remove(i);
        }
    }
}
