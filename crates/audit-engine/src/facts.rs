//! Facts: what a file tells project-level rules, gathered in the same single pass.

use std::sync::Arc;

use audit_core::{Location, SourceText};
use audit_syntax::{HclFile, SqlFile};

/// Patterns that gather facts from JavaScript/TypeScript; they join the rules' patterns
/// in the one combined query, so facts cost no extra pass. Capture names say the fact.
/// Each names a keyword in a predicate, so the query only starts where it occurs (anchors).
pub const JAVASCRIPT_FACTS: &str = r#"
(import_statement
  "import" @_import (#eq? @_import "import")
  source: (string (string_fragment) @import))
(call_expression
  function: (identifier) @_require (#eq? @_require "require")
  arguments: (arguments . (string (string_fragment) @import)))
(call_expression
  function: (import) @_import (#eq? @_import "import")
  arguments: (arguments . (string (string_fragment) @import)))
(call_expression
  function: (identifier) @_factory (#any-of? @_factory "express" "fastify" "Fastify")) @app
(new_expression
  constructor: (identifier) @_factory (#eq? @_factory "Koa")) @app
"#;

/// The web framework whose app a file creates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framework {
    Express,
    Fastify,
    Koa,
}

impl Framework {
    pub fn from_factory(name: &str) -> Option<Framework> {
        Some(match name {
            "express" => Framework::Express,
            "fastify" | "Fastify" => Framework::Fastify,
            "Koa" => Framework::Koa,
            _ => return None,
        })
    }

    /// The package the factory comes from: an app counts only where that is imported.
    pub fn module(self) -> &'static str {
        match self {
            Framework::Express => "express",
            Framework::Fastify => "fastify",
            Framework::Koa => "koa",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Framework::Express => "Express",
            Framework::Fastify => "Fastify",
            Framework::Koa => "Koa",
        }
    }
}

/// An application object created from a web framework's factory.
#[derive(Debug)]
pub struct AppCreation {
    pub framework: Framework,
    pub location: Location,
}

/// A migration or other `.sql` file, kept whole: the schema replay reads it in order.
#[derive(Debug)]
pub struct SqlSource {
    pub source: SourceText,
    pub file: SqlFile,
    pub is_migration: bool,
}

/// A Terraform file, kept whole: modules are evaluated across their files.
#[derive(Debug)]
pub struct TerraformSource {
    pub source: SourceText,
    pub file: HclFile,
}

/// What one file contributes to the project phase.
#[derive(Debug, Default)]
pub struct FileFacts {
    /// Modules the file imports (`import`, `require`, dynamic `import()`).
    pub imports: Vec<String>,
    pub apps: Vec<AppCreation>,
    pub sql: Option<SqlSource>,
    pub terraform: Option<TerraformSource>,
}

/// Facts of the whole scanned repository, in path order.
#[derive(Debug, Default)]
pub struct ProjectFacts {
    pub files: Vec<(Arc<str>, FileFacts)>,
}

impl ProjectFacts {
    pub fn imports(&self) -> impl Iterator<Item = &str> {
        self.files
            .iter()
            .flat_map(|(_, f)| f.imports.iter().map(String::as_str))
    }

    pub fn apps(&self) -> impl Iterator<Item = (&Arc<str>, &AppCreation)> {
        self.files
            .iter()
            .flat_map(|(path, f)| f.apps.iter().map(move |a| (path, a)))
    }

    pub fn file_imports(&self, path: &str) -> impl Iterator<Item = &str> {
        self.files
            .iter()
            .filter(move |(p, _)| &**p == path)
            .flat_map(|(_, f)| f.imports.iter().map(String::as_str))
    }
}
