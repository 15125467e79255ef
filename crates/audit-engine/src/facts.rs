//! Facts: what a file tells project-level rules, gathered in the same single pass.

use std::sync::Arc;

use audit_core::{Location, SourceText};
pub use audit_model::routes::FileRoutes;
use audit_model::routes::RouteTable;
pub use audit_model::schema::SqlSource;
pub use audit_model::terraform::TerraformFile;
use audit_syntax::tree_sitter::{Node, Tree};

use audit_model::code::nodes::{Fields, KindName};

/// The keywords the JavaScript/TypeScript facts are read at.
pub const KEYWORDS: [&str; 6] = ["import", "require", "express", "fastify", "Fastify", "Koa"];

/// What a JavaScript/TypeScript file tells the project phase: the modules it imports
/// (`import ... from "m"`, `import "m"`, `require("m")`, `import("m")`) and the apps it
/// creates (`express()`, `fastify()`, `new Koa()`). Read with one descent of the tree at
/// each occurrence of a keyword (`keywords`: index into [`KEYWORDS`], start), not by a
/// query: compiling any query against a JavaScript grammar costs about 20 ms, more than
/// the whole scan of a small repository.
pub fn javascript(
    tree: &Tree,
    source: &SourceText,
    keywords: &[(usize, usize)],
    facts: &mut FileFacts,
) {
    let text = source.text.as_str();
    let root = tree.root_node();
    for &(keyword, start) in keywords {
        let end = start + KEYWORDS[keyword].len();
        let whole = |n: &Node<'_>| n.start_byte() == start && n.end_byte() == end;
        // The smallest named node over the keyword and the byte after it is the construct
        // the keyword begins or is the callee of: one descent from the root, where finding
        // the keyword's node and then its parent would descend twice more.
        let Some(parent) = root.named_descendant_for_byte_range(start, (end + 1).min(text.len()))
        else {
            continue;
        };
        let callee = |field: &'static str, kinds: &[&str]| {
            parent
                .field(field)
                .is_some_and(|f| whole(&f) && kinds.contains(&f.kind_name()))
        };
        match (KEYWORDS[keyword], parent.kind_name()) {
            ("import", "import_statement") if parent.start_byte() == start => {
                let module = parent.field("source");
                facts.imports.extend(module.and_then(|m| string(text, m)));
            }
            ("import" | "require", "call_expression")
                if callee("function", &["import", "identifier"]) =>
            {
                facts.imports.extend(first_string_argument(text, parent));
            }
            (factory, "call_expression" | "new_expression") => {
                let field = match parent.kind_name() {
                    "call_expression" => "function",
                    _ => "constructor",
                };
                if let Some(framework) = Framework::from_factory(factory)
                    && (framework == Framework::Koa) == (field == "constructor")
                    && callee(field, &["identifier"])
                {
                    facts.apps.push(AppCreation {
                        framework,
                        location: source.locate(parent.byte_range().into()),
                    });
                }
            }
            _ => {}
        }
    }
}

/// The module of `require("m")`/`import("m")`: its first argument, a plain string.
fn first_string_argument(text: &str, call: Node<'_>) -> Option<String> {
    let arguments = call.field("arguments")?;
    let mut cursor = arguments.walk();
    let first = arguments
        .named_children(&mut cursor)
        .find(|c| c.kind_name() != "comment")?;
    string(text, first)
}

/// The content of a string literal with no escapes or substitutions in it.
fn string(text: &str, node: Node<'_>) -> Option<String> {
    if node.kind_name() != "string" || node.named_child_count() != 1 {
        return None;
    }
    let fragment = node
        .named_child(0)
        .filter(|f| f.kind_name() == "string_fragment")?;
    Some(text[fragment.byte_range()].to_string())
}

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
    // Boxed: every scanned file keeps its facts until the project phase, and most files
    // have none of these, so inline they cost a twenty-thousand-file scan 30 MiB twice
    // over (the walk's results and the project's facts).
    pub sql: Option<Box<SqlSource>>,
    pub terraform: Option<Box<TerraformFile>>,
    pub routes: Option<Box<FileRoutes>>,
    /// The OpenAPI/Swagger spec a YAML or JSON file holds, read when a spec check is enabled.
    pub openapi: Option<Box<audit_model::openapi::Spec>>,
    /// What the file asks of its databases, read when a cross-layer check is enabled.
    pub database: Option<Box<crate::project::crosslayer::DatabaseUse>>,
    /// A `sqitch.plan`'s changes, until [`ProjectFacts::resolve_sqitch`] places the
    /// project's scripts by it.
    pub sqitch_plan: Option<Box<audit_model::schema::SqitchPlan>>,
}

/// Facts of the whole scanned repository, in path order (`file_imports` relies on it).
#[derive(Debug, Default)]
pub struct ProjectFacts {
    pub files: Vec<(Arc<str>, FileFacts)>,
    /// Folders holding a package manifest (`package.json`, `pyproject.toml`, `setup.py`,
    /// `requirements.txt`), sorted: each is a service of a monorepo.
    services: Vec<String>,
}

impl ProjectFacts {
    pub fn set_services(&mut self, mut services: Vec<String>) {
        services.sort();
        services.dedup();
        self.services = services;
    }

    /// The service `path` belongs to: the deepest folder above it with a package
    /// manifest, `""` (the repository) when none is.
    pub fn service_of<'p>(&'p self, path: &str) -> &'p str {
        self.services
            .iter()
            .filter(|s| {
                s.is_empty()
                    || path
                        .strip_prefix(s.as_str())
                        .is_some_and(|rest| rest.starts_with('/'))
            })
            .max_by_key(|s| s.len())
            .map_or("", String::as_str)
    }

    /// Decides which `deploy/`, `revert/` and `verify/` scripts are a sqitch project's
    /// and orders them by its plan: before any check reads the SQL files.
    pub fn resolve_sqitch(&mut self) {
        let plans = self
            .files
            .iter_mut()
            .filter_map(|(path, f)| {
                let folder = path.rsplit_once('/').map_or("", |(folder, _)| folder);
                Some((folder.to_string(), *f.sqitch_plan.take()?))
            })
            .collect();
        let sql = self
            .files
            .iter_mut()
            .filter_map(|(_, f)| f.sql.as_deref_mut());
        audit_model::schema::resolve_sqitch(sql, &plans);
    }

    pub fn imports(&self) -> impl Iterator<Item = &str> {
        self.files
            .iter()
            .flat_map(|(_, f)| f.imports.iter().map(String::as_str))
    }

    /// The project's routes joined; each file's route declarations go into the table
    /// (what route checks read of a file itself, its flags and `listens`, stays).
    pub fn take_route_table(&mut self) -> RouteTable {
        RouteTable::join(
            self.files
                .iter_mut()
                .filter_map(|(path, f)| f.routes.as_deref_mut().map(|r| (&**path, r))),
        )
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

    fn file_facts(grammar: audit_syntax::Grammar, text: &str) -> FileFacts {
        let (tree, _) =
            audit_syntax::parse_tree(grammar, text, std::time::Duration::from_secs(5)).unwrap();
        let source = SourceText::new(Arc::from("app.ts"), text.to_string());
        let mut facts = FileFacts::default();
        let keywords =
            crate::anchors::LiteralSets::new(&[KEYWORDS.to_vec()]).search(text.as_bytes());
        javascript(&tree, &source, &keywords[0], &mut facts);
        facts
    }

    #[test]
    fn imports_are_read_from_every_form() {
        let text = r#"
import express from "express";
import type { Request } from "express-serve-static-core";
import "reflect-metadata";
const helmet = require("helmet");
const { json } = require(/* body */ "body-parser");
async function load() { return import("./lazy"); }
// import nothing from "a-comment"
const s = "require('in-a-string')";
loader.require("not-a-module-import");
require(name);
require(`template`);
"#;
        let facts = file_facts(audit_syntax::Grammar::TypeScript, text);
        assert_eq!(
            facts.imports,
            [
                "express",
                "express-serve-static-core",
                "reflect-metadata",
                "helmet",
                "body-parser",
                "./lazy"
            ]
        );
    }

    #[test]
    fn apps_are_the_framework_factories_called() {
        let text = r#"
const app = express();
const server = fastify({ logger: true });
const other = Fastify();
const koa = new Koa();
const router = express.Router();
const notAnApp = new express();
const alsoNot = Koa();
function express2() {}
"#;
        let facts = file_facts(audit_syntax::Grammar::JavaScript, text);
        let apps: Vec<(Framework, u32)> = facts
            .apps
            .iter()
            .map(|a| (a.framework, a.location.start.line))
            .collect();
        assert_eq!(
            apps,
            [
                (Framework::Express, 2),
                (Framework::Fastify, 3),
                (Framework::Fastify, 4),
                (Framework::Koa, 5)
            ]
        );
    }

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
            ..ProjectFacts::default()
        }
    }

    #[test]
    fn a_file_belongs_to_the_deepest_folder_with_a_manifest() {
        let mut facts = ProjectFacts::default();
        assert_eq!(facts.service_of("services/api/src/app.js"), "");
        facts.set_services(vec![
            "".into(),
            "services/api".into(),
            "services/api-v2".into(),
        ]);
        assert_eq!(facts.service_of("services/api/src/app.js"), "services/api");
        assert_eq!(
            facts.service_of("services/api-v2/app.js"),
            "services/api-v2"
        );
        assert_eq!(facts.service_of("services/web/app.js"), "");
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
            ..ProjectFacts::default()
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
