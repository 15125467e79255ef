//! The per-file pass: read once, parse once, run the plan, keep facts. Reading is in
//! `read`, the pass per kind of file in `code`, `sql`, `terraform` and `text` (text
//! checks, over every file of their languages and the text-file class).

mod code;
mod minified;
mod read;
mod sql;
mod terraform;
mod text;

use std::path::Path;
use std::sync::Arc;

use audit_core::{Finding, Language, Note, NoteKind, SourceText};
use audit_syntax::{Grammar, ParseProblem};

use crate::facts::FileFacts;
use crate::plan::Plan;
use crate::settings::Settings;
use crate::suppress::Suppression;
use code::analyze_tree;
use read::{decode, read_bytes};
use sql::analyze_sql;
use terraform::analyze_terraform;
use text::{analyze_text, run_text_checks};

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
    /// A file of the text-file class, read only for text checks.
    pub text_only: bool,
    pub bytes: u64,
}

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
    result.text_only = language == Language::Text;
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
    // The floor parses what the full scan parses.
    if stage == Stage::Parse && !skips_minified(language, &text, result) {
        result.parse_failed = match Grammar::for_language(language) {
            Some(grammar) => {
                audit_syntax::parse_tree(grammar, &text, settings.parse_timeout).is_err()
            }
            None if language == Language::Sql => {
                audit_syntax::parse_sql(&text, settings.sql_dialect_for(&result.path)).is_err()
            }
            None if language == Language::Terraform => audit_syntax::parse_hcl(&text).is_err(),
            // Text files are not parsed.
            None => false,
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
    result.text_only = language == Language::Text;
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
            text_only: false,
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
    let minified = skips_minified(language, &text, result);
    let source = SourceText::new(result.path.clone(), text);
    match Grammar::for_language(language) {
        Some(_) if minified => run_text_checks(plan, &source, language, None, None, result),
        Some(grammar) => analyze_tree(plan, settings, source, language, grammar, result),
        None if language == Language::Sql => analyze_sql(plan, settings, source, result),
        None if language == Language::Terraform => {
            run_text_checks(plan, &source, language, None, None, result);
            analyze_terraform(plan, source, result);
        }
        None => analyze_text(plan, source, result),
    }
}

/// Whether a JavaScript file is minified, so only its text is checked (with a note).
fn skips_minified(language: Language, text: &str, result: &mut FileResult) -> bool {
    let minified = language == Language::JavaScript && minified::is_minified(text);
    if minified {
        result.note(
            NoteKind::Skipped,
            "code rules skipped: minified JavaScript (most of it in lines over 1,000 characters); scan the source it was built from (secrets are still searched)".to_string(),
        );
    }
    minified
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
