use std::cell::RefCell;
use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use audit_core::Language;
use tree_sitter::{ParseOptions, Parser, Tree};

use crate::ParseProblem;

/// The tree-sitter grammars backend-audit parses with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Grammar {
    JavaScript,
    TypeScript,
    Tsx,
    Python,
}

impl Grammar {
    pub const ALL: [Grammar; 4] = [
        Grammar::JavaScript,
        Grammar::TypeScript,
        Grammar::Tsx,
        Grammar::Python,
    ];

    pub fn for_language(language: Language) -> Option<Grammar> {
        Some(match language {
            Language::JavaScript => Grammar::JavaScript,
            Language::TypeScript => Grammar::TypeScript,
            Language::Tsx => Grammar::Tsx,
            Language::Python => Grammar::Python,
            Language::Sql | Language::Terraform | Language::Text => return None,
        })
    }

    pub fn language(self) -> tree_sitter::Language {
        match self {
            Grammar::JavaScript => tree_sitter_javascript::LANGUAGE.into(),
            Grammar::TypeScript => tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
            Grammar::Tsx => tree_sitter_typescript::LANGUAGE_TSX.into(),
            Grammar::Python => tree_sitter_python::LANGUAGE.into(),
        }
    }

    /// Whether queries written for `javascript` run on this grammar (TS and TSX extend JS).
    pub fn is_javascript_family(self) -> bool {
        !matches!(self, Grammar::Python)
    }
}

thread_local! {
    static PARSER: RefCell<Parser> = RefCell::new(Parser::new());
}

/// Parses `text` with `grammar` within `budget`. A JavaScript file whose tree has errors is
/// parsed again with the TSX grammar, which accepts most Flow and JSX-heavy files; the
/// cleaner tree wins. Returns the tree and the grammar that produced it.
pub fn parse_tree(
    grammar: Grammar,
    text: &str,
    budget: Duration,
) -> Result<(Tree, Grammar), ParseProblem> {
    let deadline = Instant::now() + budget;
    let tree = parse_with(grammar, text, deadline)?;
    if grammar == Grammar::JavaScript
        && tree.root_node().has_error()
        && let Ok(tsx) = parse_with(Grammar::Tsx, text, deadline)
        && !tsx.root_node().has_error()
    {
        return Ok((tsx, Grammar::Tsx));
    }
    Ok((tree, grammar))
}

fn parse_with(grammar: Grammar, text: &str, deadline: Instant) -> Result<Tree, ParseProblem> {
    PARSER.with_borrow_mut(|parser| {
        parser
            .set_language(&grammar.language())
            .map_err(|e| ParseProblem {
                offset: None,
                message: format!("grammar could not be loaded: {e}"),
                timed_out: false,
            })?;
        let bytes = text.as_bytes();
        let mut read = |offset: usize, _| &bytes[offset.min(bytes.len())..];
        let mut reached = 0;
        let mut progress = |state: &tree_sitter::ParseState| {
            reached = state.current_byte_offset();
            if Instant::now() >= deadline {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        };
        let options = ParseOptions::new().progress_callback(&mut progress);
        let tree = parser.parse_with_options(&mut read, None, Some(options));
        // A cancelled parse leaves state behind; reset so the next file starts clean.
        parser.reset();
        tree.ok_or_else(|| ParseProblem {
            offset: Some(reached),
            message: format!(
                "parsing stopped after the time budget at byte {reached} of {}",
                bytes.len()
            ),
            timed_out: true,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flow_typed_javascript_is_reparsed_as_tsx() {
        let text = "function f(x: number): string { return `${x}`; }\n";
        let (tree, grammar) =
            parse_tree(Grammar::JavaScript, text, Duration::from_secs(5)).unwrap();
        assert_eq!(grammar, Grammar::Tsx);
        assert!(!tree.root_node().has_error());
    }

    #[test]
    fn a_zero_budget_is_a_timeout_not_a_panic() {
        let text = "let a = [".repeat(50_000);
        let err = parse_tree(Grammar::JavaScript, &text, Duration::ZERO).unwrap_err();
        assert!(err.timed_out);
    }
}
