//! Facts: what a file tells project-level rules, gathered in the same single pass.

use std::sync::Arc;

use audit_core::Location;
pub use audit_model::schema::SqlSource;
pub use audit_model::terraform::TerraformFile;

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

/// What one file contributes to the project phase.
#[derive(Debug, Default)]
pub struct FileFacts {
    /// Modules the file imports (`import`, `require`, dynamic `import()`).
    pub imports: Vec<String>,
    pub apps: Vec<AppCreation>,
    pub sql: Option<SqlSource>,
    pub terraform: Option<TerraformFile>,
}

/// Facts of the whole scanned repository, in path order (`file_imports` relies on it).
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

    /// The modules `path` imports: a binary search over the path-sorted files, so a
    /// check asking for every app's file stays O(apps log files).
    pub fn file_imports(&self, path: &str) -> impl Iterator<Item = &str> {
        let start = self.files.partition_point(|(p, _)| &**p < path);
        self.files[start..]
            .iter()
            .take_while(move |(p, _)| &**p == path)
            .flat_map(|(_, f)| f.imports.iter().map(String::as_str))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(files: &[(&str, &[&str])]) -> ProjectFacts {
        ProjectFacts {
            files: files
                .iter()
                .map(|(path, imports)| {
                    let facts = FileFacts {
                        imports: imports.iter().map(|i| i.to_string()).collect(),
                        ..FileFacts::default()
                    };
                    (Arc::from(*path), facts)
                })
                .collect(),
        }
    }

    #[test]
    fn file_imports_finds_the_file_among_sorted_paths() {
        let facts = facts(&[
            ("a.js", &["koa"]),
            ("src/app.js", &["express", "cors"]),
            ("src/app.jsx", &["react"]),
            ("src/b.js", &[]),
            ("z.js", &["fastify"]),
        ]);
        let imports = |path| facts.file_imports(path).collect::<Vec<_>>();
        assert_eq!(imports("a.js"), ["koa"]);
        assert_eq!(imports("src/app.js"), ["express", "cors"]);
        assert_eq!(imports("z.js"), ["fastify"]);
        assert!(imports("src/b.js").is_empty());
        assert!(imports("src/app").is_empty());
        assert!(imports("zz.js").is_empty());
        assert!(
            ProjectFacts::default()
                .file_imports("a.js")
                .next()
                .is_none()
        );
    }

    #[test]
    fn file_imports_scales_with_many_files() {
        let paths: Vec<String> = (0..20_000).map(|i| format!("src/f{i:05}.js")).collect();
        let facts = ProjectFacts {
            files: paths
                .iter()
                .map(|p| {
                    let facts = FileFacts {
                        imports: vec![p.clone()],
                        ..FileFacts::default()
                    };
                    (Arc::from(p.as_str()), facts)
                })
                .collect(),
        };
        // Every file asked once: quadratic would be 4e8 comparisons.
        for path in &paths {
            assert_eq!(
                facts.file_imports(path).collect::<Vec<_>>(),
                [path.as_str()]
            );
        }
    }
}
