//! Suppression comments: `backend-audit: ignore[ID, ...] reason` and
//! `backend-audit: ignore-file[ID, ...] reason`, in any comment of the file's language.

use audit_core::{Language, Note, NoteKind, SourceText};
use audit_model::code::nodes::KindName;
use audit_syntax::tree_sitter::Tree;

const MARKER: &str = "backend-audit:";

/// The lines a suppression covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// 1-based inclusive line range.
    Lines(u32, u32),
    File,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suppression {
    /// 1-based line of the comment.
    pub line: u32,
    /// Rule ids or prefixes.
    pub rules: Vec<String>,
    pub reason: String,
    pub scope: Scope,
}

impl Suppression {
    pub fn covers(&self, rule: &str, line: u32) -> bool {
        let in_scope = match self.scope {
            Scope::File => true,
            Scope::Lines(from, to) => (from..=to).contains(&line),
        };
        in_scope && self.rules.iter().any(|r| rule.starts_with(r.as_str()))
    }
}

/// Finds the suppression comments of a file. `tree` confirms that a marker sits in a
/// comment node; `blocks` are the 1-based line ranges of Terraform blocks, which a
/// suppression on its own line inside a block covers whole.
pub fn parse(
    source: &SourceText,
    language: Language,
    tree: Option<&Tree>,
    blocks: &[(u32, u32)],
    notes: &mut Vec<Note>,
) -> Vec<Suppression> {
    parse_with(source, language.comment_leaders(), tree, blocks, notes)
}

/// [`parse`] for a file whose comments start with one of `leaders` (text files, whose
/// comment syntax depends on their kind).
pub fn parse_with(
    source: &SourceText,
    leaders: &[&str],
    tree: Option<&Tree>,
    blocks: &[(u32, u32)],
    notes: &mut Vec<Note>,
) -> Vec<Suppression> {
    let text = &source.text;
    let mut found = Vec::new();
    for at in memchr::memmem::find_iter(text.as_bytes(), MARKER) {
        let line = source.lines.line_of(at);
        let range = source.lines.line_range(text, line);
        let prefix = &text[range.start..at];
        let Some(leader) = leaders.iter().filter_map(|l| prefix.find(l)).min() else {
            continue;
        };
        if let Some(tree) = tree {
            let in_comment = tree
                .root_node()
                .descendant_for_byte_range(at, at)
                .is_some_and(|n| n.kind_name().contains("comment"));
            if !in_comment {
                continue;
            }
        }
        let line_no = line as u32 + 1;
        let rest = text[at + MARKER.len()..range.end].trim_start();
        let (is_file, rest) = if let Some(r) = rest.strip_prefix("ignore-file[") {
            (true, r)
        } else if let Some(r) = rest.strip_prefix("ignore[") {
            (false, r)
        } else {
            let why = if rest.starts_with("ignore") {
                "it names no rule; write the ids it silences and why, e.g. `backend-audit: ignore[SEC010] reason`"
            } else {
                "expected `ignore[ID, ...] reason` or `ignore-file[ID, ...] reason`"
            };
            notes.push(malformed(source, line_no, why));
            continue;
        };
        let Some((ids, reason)) = rest.split_once(']') else {
            notes.push(malformed(source, line_no, "missing `]`"));
            continue;
        };
        let rules: Vec<String> = ids
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            // Rule ids are upper-case; `ignore[sec010]` means SEC010.
            .map(|s| s.to_ascii_uppercase())
            .collect();
        if rules.is_empty() {
            notes.push(malformed(
                source,
                line_no,
                "no rule ids between the brackets",
            ));
            continue;
        }
        let reason = reason
            .trim()
            .trim_end_matches("*/")
            .trim()
            .trim_start_matches([':', '-', '—'])
            .trim()
            .to_string();
        if reason.is_empty() {
            notes.push(Note {
                path: Some(source.path.to_string()),
                line: Some(line_no),
                kind: NoteKind::MissingReason,
                message: format!(
                    "suppression of {} gives no reason; say why after the brackets, e.g. `ignore[{}] test fixture`",
                    rules.join(", "),
                    rules.join(", ")
                ),
            });
        }
        let scope = if is_file {
            Scope::File
        } else if prefix[..leader].trim().is_empty() {
            match blocks
                .iter()
                .find(|(start, end)| *start < line_no && line_no <= *end)
            {
                Some(&(start, end)) => Scope::Lines(start, end),
                None => {
                    let next = next_code_line(source, leaders, line + 1);
                    Scope::Lines(next, next)
                }
            }
        } else {
            Scope::Lines(line_no, line_no)
        };
        found.push(Suppression {
            line: line_no,
            rules,
            reason,
            scope,
        });
    }
    found
}

/// The first line after `from` (0-based) that is neither blank nor only a comment, 1-based.
fn next_code_line(source: &SourceText, leaders: &[&str], from: usize) -> u32 {
    (from..source.lines.line_count())
        .find(|&line| {
            let text = source.line_text(line).trim();
            !text.is_empty() && !leaders.iter().any(|l| text.starts_with(l))
        })
        .unwrap_or(from) as u32
        + 1
}

fn malformed(source: &SourceText, line: u32, why: &str) -> Note {
    Note {
        path: Some(source.path.to_string()),
        line: Some(line),
        kind: NoteKind::MalformedSuppression,
        message: format!("malformed suppression comment: {why}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_py(text: &str) -> Vec<Suppression> {
        let source = SourceText::new("a.py".into(), text.to_string());
        parse(&source, Language::Python, None, &[], &mut Vec::new())
    }

    #[test]
    fn trailing_comment_covers_its_line() {
        let s = parse_py(
            "x = 1\nrequests.get(u, verify=False)  # backend-audit: ignore[SEC010] internal CA\n",
        );
        assert_eq!(
            s,
            vec![Suppression {
                line: 2,
                rules: vec!["SEC010".into()],
                reason: "internal CA".into(),
                scope: Scope::Lines(2, 2)
            }]
        );
    }

    #[test]
    fn own_line_comment_covers_the_next_code_line() {
        let s =
            parse_py("# backend-audit: ignore[SEC010, SEC003] reason\n\n# other comment\ncall()\n");
        assert_eq!(s[0].scope, Scope::Lines(4, 4));
        assert_eq!(s[0].rules, ["SEC010", "SEC003"]);
    }

    #[test]
    fn markers_outside_comments_are_not_suppressions() {
        assert!(parse_py("x = 'backend-audit: ignore[SEC010]'\n").is_empty());
    }

    #[test]
    fn terraform_comment_inside_a_block_covers_the_block() {
        let text =
            "resource \"a\" \"b\" {\n  # backend-audit: ignore[TF001] test data\n  x = 1\n}\n";
        let source = SourceText::new("m.tf".into(), text.to_string());
        let s = parse(
            &source,
            Language::Terraform,
            None,
            &[(1, 4)],
            &mut Vec::new(),
        );
        assert_eq!(s[0].scope, Scope::Lines(1, 4));
    }

    #[test]
    fn malformed_comments_become_notes() {
        let source = SourceText::new(
            "a.py".into(),
            "# backend-audit: ignore SEC010\n".to_string(),
        );
        let mut notes = Vec::new();
        assert!(parse(&source, Language::Python, None, &[], &mut notes).is_empty());
        assert_eq!(notes.len(), 1);
        assert_eq!(notes[0].kind, NoteKind::MalformedSuppression);
    }

    fn notes_of(text: &str) -> (Vec<Suppression>, Vec<Note>) {
        let source = SourceText::new("a.py".into(), text.to_string());
        let mut notes = Vec::new();
        let found = parse(&source, Language::Python, None, &[], &mut notes);
        (found, notes)
    }

    #[test]
    fn bare_ignore_is_malformed_and_shows_the_expected_form() {
        let (found, notes) = notes_of("call()  # backend-audit: ignore\n");
        assert!(found.is_empty());
        assert_eq!(notes.len(), 1);
        assert_eq!(notes[0].kind, NoteKind::MalformedSuppression);
        assert!(
            notes[0]
                .message
                .contains("`backend-audit: ignore[SEC010] reason`"),
            "{}",
            notes[0].message
        );
    }

    #[test]
    fn ids_are_read_in_any_case() {
        let (found, _) = notes_of("call()  # backend-audit: ignore[sec010, Db00] fixture\n");
        assert_eq!(found[0].rules, ["SEC010", "DB00"]);
        assert!(found[0].covers("SEC010", 1));
    }

    #[test]
    fn a_suppression_without_reason_works_and_asks_for_one() {
        let (found, notes) = notes_of("call()  # backend-audit: ignore[SEC010]\n");
        assert_eq!(found.len(), 1);
        assert_eq!(notes.len(), 1);
        assert_eq!(notes[0].kind, NoteKind::MissingReason);
        let (_, notes) = notes_of("call()  # backend-audit: ignore[SEC010] self-signed CA\n");
        assert!(notes.is_empty());
    }
}
