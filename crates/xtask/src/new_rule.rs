//! `xtask new-rule ID name --kind query|rust|terraform`: the files a new rule needs, so
//! that adding one is writing its logic, docs and fixtures, not finding where they go.
//! Written: rules/<domain>/<ID>-<name>.toml, fixtures/rules/<ID>/ with one file that
//! must be found and one that must not, and for Rust checks the check's file under
//! crates/audit-engine/src/checks/<domain>/ with its module and registry lines.

use std::fmt::Write as _;
use std::path::Path;

use clap::{Args, ValueEnum};

#[derive(Args, Debug)]
pub struct NewRuleArgs {
    /// The rule id: the domain's prefix and three digits (SEC026, DB014, TF018, API016, REL003, X004).
    id: String,
    /// The kebab-case name (`hardcoded-secret`).
    name: String,
    #[arg(long, value_enum)]
    kind: Kind,
    /// For `--kind rust`: what the check runs on [default: sql for DB, terraform for TF,
    /// code otherwise].
    #[arg(long, value_enum)]
    on: Option<On>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Kind {
    Query,
    Rust,
    Terraform,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum On {
    Code,
    Sql,
    Terraform,
    Project,
    /// Once, over the project's route table.
    Routes,
}

pub fn run(args: &NewRuleArgs, root: &Path) -> Result<(), String> {
    let id = args.id.to_ascii_uppercase();
    let prefix: String = id.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
    let digits = &id[prefix.len()..];
    if digits.len() != 3 || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(format!("`{id}`: an id is a domain prefix and three digits"));
    }
    let domain = match prefix.as_str() {
        "SEC" => "security",
        "API" => "api",
        "DB" => "database",
        "TF" => "terraform",
        "REL" => "reliability",
        "X" => "crosslayer",
        other => {
            return Err(format!(
                "unknown id prefix `{other}` (SEC, API, DB, TF, REL, X)"
            ));
        }
    };
    let name = &args.name;
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err(format!("`{name}`: a rule name is kebab-case"));
    }
    let on = match (args.kind, args.on) {
        (Kind::Rust, Some(on)) => on,
        (Kind::Rust, None) => match domain {
            "database" => On::Sql,
            "terraform" => On::Terraform,
            _ => On::Code,
        },
        (_, Some(_)) => return Err("--on is for --kind rust".into()),
        (Kind::Query, None) => On::Code,
        (Kind::Terraform, None) => On::Terraform,
    };
    let toml_path = root.join(format!("rules/{domain}/{id}-{name}.toml"));
    let fixtures = root.join(format!("fixtures/rules/{id}"));
    if toml_path.exists() || fixtures.exists() {
        return Err(format!("{id} exists already"));
    }
    let example = match on {
        On::Code | On::Project | On::Routes => "app/example.py",
        On::Sql => "db/migrations/002_example.sql",
        On::Terraform => "infra/main.tf",
    };
    let mut written = vec![write_new(
        &toml_path,
        &rule_toml(&id, name, domain, args.kind, on, example),
    )?];
    for (file, text) in fixture_files(&id, on) {
        written.push(write_new(&fixtures.join(file), &text)?);
    }
    if args.kind == Kind::Rust {
        written.extend(rust_check(root, &id, name, domain, on)?);
    }
    for path in written {
        println!(
            "wrote {}",
            path.strip_prefix(root).unwrap_or(&path).display()
        );
    }
    println!(
        "next: the logic, the docs in the TOML, at least two `expect:` and two `ok:` fixture lines, then \
         `BACKEND_AUDIT_UPDATE_DOCS=1 cargo test --test rules generated_docs` and `cargo test --test rules`"
    );
    Ok(())
}

fn write_new(path: &Path, text: &str) -> Result<std::path::PathBuf, String> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path.to_path_buf())
}

fn rule_toml(id: &str, name: &str, domain: &str, kind: Kind, on: On, example: &str) -> String {
    let (languages, fence_comment) = match on {
        // The skeleton query is Python's; add `javascript` with its query.
        On::Code if kind == Kind::Query => (r#"["python"]"#, "#"),
        On::Code | On::Project | On::Routes => (r#"["javascript", "typescript", "python"]"#, "#"),
        On::Sql => (r#"["sql"]"#, "--"),
        On::Terraform => (r#"["terraform"]"#, "#"),
    };
    let mut out = format!(
        r#"id = "{id}"
name = "{name}"
domain = "{domain}"
severity = "medium"
confidence = "medium"
languages = {languages}
message = "Say in one sentence what is wrong at `{{report}}` and how to fix it."
tests = "report"

[docs]
summary = "One line: what the rule finds."
why = """
Why it matters, for whom, and what goes wrong in production; the CWE where one applies.
"""
bad = """
{fence_comment} code the rule reports
"""
good = """
{fence_comment} the same code, fixed
"""
fix = "How to fix it."
example_file = "{example}"

[references]
standard = "The sentence of the engineering standard this rule enforces."
"#
    );
    match kind {
        Kind::Query => out.push_str(
            r#"
[query]
# `@report` is the span; an `#eq?`/`#any-of?` on a capture every match has lets the
# query start only where its string occurs (docs/writing-rules.md).
python = '''
(call
  function: (identifier) @_fn (#eq? @_fn "example")) @report
'''
"#,
        ),
        Kind::Terraform => out.push_str(
            r#"
[[terraform]]
resources = ["aws_example"]
attribute = "setting"
expect = true
missing = "fail"
unknown = "pass"
"#,
        ),
        // A top-level key: it must come before the first table.
        Kind::Rust => out = out.replacen("\n[docs]", "check = \"rust\"\n\n[docs]", 1),
    }
    out
}

fn fixture_files(id: &str, on: On) -> Vec<(&'static str, String)> {
    match on {
        On::Code | On::Project | On::Routes => vec![
            ("app/bad.py", format!("example()  # expect: {id}\n")),
            ("app/good.py", format!("other()  # ok: {id}\n")),
        ],
        On::Sql => vec![
            (
                "db/migrations/001_bad.sql",
                format!("-- expect: {id}\nCREATE TABLE example (id int);\n"),
            ),
            (
                "db/migrations/002_good.sql",
                format!("-- ok: {id}\nCREATE TABLE other (id int PRIMARY KEY);\n"),
            ),
        ],
        On::Terraform => vec![
            (
                "infra/bad.tf",
                format!(
                    "resource \"aws_example\" \"bad\" {{\n  setting = false  # expect: {id}\n}}\n"
                ),
            ),
            (
                "infra/good.tf",
                format!("# ok: {id}\nresource \"aws_example\" \"good\" {{\n  setting = true\n}}\n"),
            ),
        ],
    }
}

/// The check's file, its `pub mod` line in the domain's module and its registry line.
fn rust_check(
    root: &Path,
    id: &str,
    name: &str,
    domain: &str,
    on: On,
) -> Result<Vec<std::path::PathBuf>, String> {
    let checks = root.join("crates/audit-engine/src/checks");
    let stem = format!("{}_{}", id.to_ascii_lowercase(), name.replace('-', "_"));
    let (declaration, signature, imports) = match on {
        On::Code => (
            "Check::Code {\n    anchors: &[\"example\"],\n    run: check,\n}",
            "ctx: &CodeContext<'_>",
            "use crate::checks::{Check, CodeContext, Emit};",
        ),
        On::Sql => (
            "Check::Sql {\n    statements: &[StatementKind::CreateTable],\n    run: check,\n}",
            "ctx: &SqlContext<'_>",
            "use audit_syntax::StatementKind;\n\nuse crate::checks::{Check, Emit};\nuse crate::project::SqlContext;",
        ),
        On::Terraform => (
            "Check::Terraform {\n    resources: &[\"aws_example\"],\n    run: check,\n}",
            "ctx: &ResourceContext<'_>",
            "use crate::checks::{Check, Emit};\nuse crate::project::terraform::ResourceContext;",
        ),
        On::Project => (
            "Check::Project { run: check }",
            "facts: &ProjectFacts",
            "use crate::checks::{Check, Emit};\nuse crate::facts::ProjectFacts;",
        ),
        On::Routes => (
            "Check::Routes { run: check }",
            "ctx: &RouteContext<'_>",
            "use crate::checks::{Check, Emit, RouteContext};",
        ),
    };
    let argument = signature.split(':').next().unwrap_or("ctx");
    let file = checks.join(domain).join(format!("{stem}.rs"));
    let mut text = format!("//! {id}: what the rule finds, in one line.\n\n{imports}\n\n");
    let _ = write!(
        text,
        "pub const CHECK: Check = {declaration};\n\nfn check({signature}, out: &mut Emit<'_>) {{\n    let _ = ({argument}, out);\n}}\n"
    );
    let mut written = vec![write_new(&file, &text)?];

    let module = checks.join(domain).join("mod.rs");
    let mut module_text = std::fs::read_to_string(&module).unwrap_or_default();
    module_text.push_str(&format!("pub mod {stem};\n"));
    written.push(write_new(&module, &module_text)?);

    let registry = checks.join("mod.rs");
    let mut registry_text =
        std::fs::read_to_string(&registry).map_err(|e| format!("{}: {e}", registry.display()))?;
    let domain_line = format!("mod {domain};\n");
    if !registry_text.contains(&domain_line) {
        let at = registry_text
            .find("mod ")
            .ok_or("checks/mod.rs has no module list")?;
        registry_text.insert_str(at, &domain_line);
    }
    let end = registry_text
        .find("pub const REGISTRY")
        .and_then(|start| registry_text[start..].find("\n];").map(|i| start + i + 1))
        .ok_or("checks/mod.rs has no REGISTRY")?;
    registry_text.insert_str(end, &format!("    register!({domain}::{stem}),\n"));
    written.push(write_new(&registry, &registry_text)?);
    Ok(written)
}
