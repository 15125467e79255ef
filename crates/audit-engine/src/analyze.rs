//! The per-file pass: read once, parse once, run the plan, keep facts.

use std::io::Read;
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use audit_core::{Finding, Language, Note, NoteKind, SourceText, Span};
use audit_syntax::hcl_edit::Span as _;
use audit_syntax::tree_sitter::{Node, QueryCursor, QueryCursorOptions, StreamingIterator, Tree};
use audit_syntax::{Grammar, ParseProblem};

use crate::facts::{AppCreation, FileFacts, Framework, SqlSource, TerraformSource};
use crate::plan::{PatternOwner, Plan};
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
    pub parse_failed: bool,
    pub bytes: u64,
}

/// How much of a file is sniffed for NUL bytes to call it binary.
const BINARY_SNIFF: usize = 8 * 1024;

pub fn analyze_file(
    plan: &Plan,
    settings: &Settings,
    abs: &Path,
    path: Arc<str>,
    language: Language,
) -> FileResult {
    let mut result = FileResult {
        path: path.clone(),
        findings: Vec::new(),
        notes: Vec::new(),
        facts: FileFacts::default(),
        suppressions: Vec::new(),
        scanned: false,
        parse_failed: false,
        bytes: 0,
    };
    let text = match read_text(abs, settings.max_file_size, &mut result) {
        Some(text) => text,
        None => return result,
    };
    result.scanned = true;
    let source = SourceText::new(path, text);
    match Grammar::for_language(language) {
        Some(grammar) => analyze_tree(plan, settings, source, language, grammar, &mut result),
        None if language == Language::Sql => analyze_sql(settings, source, &mut result),
        None => analyze_terraform(source, &mut result),
    }
    result
}

/// Reads the file (opened read-only) and decodes it. `None` means skipped, with a note.
fn read_text(abs: &Path, max_size: u64, result: &mut FileResult) -> Option<String> {
    let note = |kind, message: String| Note {
        path: Some(result.path.to_string()),
        line: None,
        kind,
        message,
    };
    let mut file = match std::fs::File::open(abs) {
        Ok(file) => file,
        Err(e) => {
            result
                .notes
                .push(note(NoteKind::ReadError, format!("cannot open: {e}")));
            return None;
        }
    };
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    if size > max_size {
        result.notes.push(note(
            NoteKind::Skipped,
            format!("skipped: {size} bytes is over the {max_size}-byte limit (max-file-size)"),
        ));
        return None;
    }
    let mut bytes = Vec::with_capacity(size as usize);
    // `take` bounds the read even if the file grows while it is read.
    if let Err(e) = (&mut file).take(max_size + 1).read_to_end(&mut bytes) {
        result
            .notes
            .push(note(NoteKind::ReadError, format!("cannot read: {e}")));
        return None;
    }
    if bytes.len() as u64 > max_size {
        result.notes.push(note(
            NoteKind::Skipped,
            format!("skipped: over the {max_size}-byte limit (max-file-size)"),
        ));
        return None;
    }
    result.bytes = bytes.len() as u64;
    if let Some(text) = decode_utf16(&bytes) {
        return Some(text);
    }
    if memchr::memchr(0, &bytes[..bytes.len().min(BINARY_SNIFF)]).is_some() {
        result.notes.push(note(
            NoteKind::Skipped,
            "skipped: binary content (NUL bytes)".to_string(),
        ));
        return None;
    }
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    match std::str::from_utf8(body) {
        Ok(text) => Some(text.to_string()),
        Err(e) => {
            result.notes.push(note(
                NoteKind::Encoding,
                format!("not valid UTF-8 (first bad byte at offset {}); scanned with replacement characters", e.valid_up_to()),
            ));
            Some(String::from_utf8_lossy(body).into_owned())
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
    if let Some(grammar_plan) = plan.grammars.get(&grammar) {
        run_query(plan, grammar_plan, &tree, &source, settings, result);
    }
    result.suppressions = suppress::parse(&source, language, Some(&tree), &[], &mut result.notes);
}

fn run_query(
    plan: &Plan,
    gp: &crate::plan::GrammarPlan,
    tree: &Tree,
    source: &SourceText,
    settings: &Settings,
    result: &mut FileResult,
) {
    let deadline = Instant::now() + settings.parse_timeout;
    let mut timed_out = false;
    let mut progress = |_: &_| {
        if Instant::now() >= deadline {
            timed_out = true;
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    };
    let mut cursor = QueryCursor::new();
    let options = QueryCursorOptions::new().progress_callback(&mut progress);
    let text = source.text.as_bytes();
    let names = gp.query.capture_names();
    let mut matches = cursor.matches_with_options(&gp.query, tree.root_node(), text, options);
    while let Some(m) = matches.next() {
        match gp.owners[m.pattern_index] {
            PatternOwner::Rule(index) => {
                let Some(report) = m
                    .captures()
                    .iter()
                    .find(|c| Some(c.index) == gp.report_capture)
                else {
                    continue;
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
                    continue;
                }
                let message = crate::checks::render_message(&rule.meta.message, &args);
                result.findings.push(Finding {
                    rule: rule.id().clone(),
                    location: source.locate(span),
                    message,
                });
            }
            PatternOwner::Facts => collect_fact(m.captures(), names, source, &mut result.facts),
        }
    }
    drop(matches);
    if timed_out {
        result.notes.push(Note {
            path: Some(source.path.to_string()),
            line: None,
            kind: NoteKind::Timeout,
            message: "rule matching stopped after the time budget; findings may be incomplete"
                .into(),
        });
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

fn analyze_sql(settings: &Settings, source: SourceText, result: &mut FileResult) {
    result.suppressions = suppress::parse(&source, Language::Sql, None, &[], &mut result.notes);
    let file = match audit_syntax::parse_sql(&source.text, settings.sql_dialect) {
        Ok(file) => file,
        Err(problem) => return problem_note(result, &source, "SQL not analysed", &problem),
    };
    let rejected: Vec<_> = file
        .statements
        .iter()
        .filter_map(|s| s.ast.as_ref().err().map(|e| (s.span, e)))
        .collect();
    if let Some((span, message)) = rejected.first() {
        result.notes.push(Note {
            path: Some(source.path.to_string()),
            line: Some(source.position(span.start).line),
            kind: NoteKind::ParseError,
            message: format!(
                "{} statement(s) not understood by the {:?} SQL parser (first: {message}); only their leading keywords were checked",
                rejected.len(),
                settings.sql_dialect
            ),
        });
    }
    let is_migration = settings.is_migration(&source.path);
    result.facts.sql = Some(SqlSource {
        source,
        file,
        is_migration,
    });
}

fn analyze_terraform(source: SourceText, result: &mut FileResult) {
    let file = match audit_syntax::parse_hcl(&source.text) {
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
    result.facts.terraform = Some(TerraformSource { source, file });
}
