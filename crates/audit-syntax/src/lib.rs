//! Parse each file once: tree-sitter for JS/TS/TSX/Python, sqlparser statement by
//! statement for SQL, hcl-edit (with spans) for Terraform. Failures are values.

mod hcl;
mod sql;
mod tree;

pub use hcl::{HclFile, parse_hcl, parse_hcl_json};
pub use sql::{
    Rejected, SqlDialect, SqlFile, SqlStatement, StatementKind, parse_sql, parse_sql_each,
    parse_sql_expression,
};
pub use tree::{Grammar, parse_tree};

pub use hcl_edit;
pub use sqlparser;
pub use tree_sitter;

/// Why a file, or part of it, could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseProblem {
    /// Byte offset the parser stopped at, when it says.
    pub offset: Option<usize>,
    pub message: String,
    pub timed_out: bool,
}
