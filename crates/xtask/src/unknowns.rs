//! `xtask unknowns DIR`: how much of a Terraform repository the evaluator knows. Every
//! attribute of every resource instance (nested blocks included, `dynamic` contents and
//! meta-arguments left out) of every module instance is evaluated; those that stay
//! unknown are counted by [`UnknownReason`]. Lowered the way scans lower, every block
//! kept. Prints markdown.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use audit_core::{Language, SourceText};
use audit_model::terraform::{
    Body, Resource, TerraformFile, UnknownReason, for_each_module, is_json_path, is_tfvars_path,
    lower_body, lower_json,
};
use clap::Args;

#[derive(Args, Debug)]
pub struct UnknownsArgs {
    /// The repository (or folder) to read.
    dir: PathBuf,
    /// Reasons listed with this many example expressions each.
    #[arg(long, default_value_t = 3)]
    examples: usize,
}

/// Attributes that are not configuration values.
const META: &[&str] = &["depends_on", "provider", "count", "for_each"];

#[derive(Default)]
struct Tally {
    known: usize,
    unknown: BTreeMap<String, (usize, Vec<String>)>,
    files: usize,
    unparsed: usize,
    resources: usize,
}

pub fn run(args: &UnknownsArgs) -> Result<(), String> {
    let mut tally = Tally::default();
    let files = read(&args.dir, &mut tally)?;
    for_each_module(&files, |module| {
        let module = module.build();
        for resource in module.resources() {
            tally.resources += 1;
            count(&resource, &resource.block.body, args.examples, &mut tally);
        }
    });
    let unknown: usize = tally.unknown.values().map(|(n, _)| n).sum();
    let total = tally.known + unknown;
    println!(
        "{}: {} Terraform files ({} not parsed), {} resource instances, {} attribute values: {} known, {} unknown ({:.1} %)\n",
        args.dir.display(),
        tally.files,
        tally.unparsed,
        tally.resources,
        total,
        tally.known,
        unknown,
        100.0 * unknown as f64 / total.max(1) as f64
    );
    println!("| reason | unknown values | share | examples |\n|---|--:|--:|---|");
    let mut reasons: Vec<_> = tally.unknown.into_iter().collect();
    reasons.sort_by(|a, b| b.1.0.cmp(&a.1.0).then(a.0.cmp(&b.0)));
    for (reason, (n, examples)) in reasons {
        println!(
            "| {reason} | {n} | {:.1} % | {} |",
            100.0 * n as f64 / unknown.max(1) as f64,
            examples
                .iter()
                .map(|e| format!("`{}`", e.replace('|', "\\|")))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Ok(())
}

fn count(resource: &Resource<'_>, body: &Body, examples: usize, tally: &mut Tally) {
    for attribute in body
        .attributes
        .iter()
        .filter(|a| !META.contains(&a.key.as_str()))
    {
        match resource.unknown_reason(&attribute.expr) {
            None => tally.known += 1,
            Some(reason) => {
                let (n, seen) = tally.unknown.entry(label(&reason)).or_default();
                *n += 1;
                let span = attribute.expr.span();
                let text = resource.source.text.get(span.start..span.end).unwrap_or("");
                let line = text.lines().next().unwrap_or("");
                let example: String = line.chars().take(60).collect();
                if seen.len() < examples && !seen.contains(&example) {
                    seen.push(example);
                }
            }
        }
    }
    for block in body
        .blocks
        .iter()
        .filter(|b| b.ident != "dynamic" && b.ident != "lifecycle")
    {
        count(resource, &block.body, examples, tally);
    }
}

fn label(reason: &UnknownReason) -> String {
    match reason {
        UnknownReason::UnsetVariable => "variable without a value".into(),
        UnknownReason::DataSource => "data source".into(),
        UnknownReason::ModuleOutput => "module output".into(),
        UnknownReason::ComputedAttribute => "attribute computed at apply (id, arn...)".into(),
        UnknownReason::UndeclaredResource => "resource not declared in the module".into(),
        UnknownReason::InstanceKey => "count.index / each unknown".into(),
        UnknownReason::PathOrWorkspace => "path / terraform.workspace / self".into(),
        UnknownReason::Function(name) => format!("function `{name}`"),
        UnknownReason::TemplateDirective => "template directive".into(),
        UnknownReason::Other(kind) => format!("other: {kind}"),
    }
}

/// Every Terraform file under `dir`, lowered, `.git` and `.terraform` skipped.
fn read(dir: &Path, tally: &mut Tally) -> Result<Vec<TerraformFile>, String> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        let entries =
            std::fs::read_dir(&folder).map_err(|e| format!("{}: {e}", folder.display()))?;
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name();
            if path.is_dir() {
                if name != ".git" && name != ".terraform" {
                    pending.push(path);
                }
                continue;
            }
            if Language::from_path(&path) != Some(Language::Terraform) {
                continue;
            }
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            let rel = path
                .strip_prefix(dir)
                .unwrap_or(&path)
                .to_string_lossy()
                .replace('\\', "/");
            tally.files += 1;
            let body = if is_json_path(&rel) {
                audit_syntax::parse_hcl_json(&text)
                    .ok()
                    .map(|root| lower_json(&root, &text, is_tfvars_path(&rel)))
            } else {
                audit_syntax::parse_hcl(&text)
                    .ok()
                    .map(|file| lower_body(&file.body))
            };
            let Some(body) = body else {
                tally.unparsed += 1;
                continue;
            };
            files.push(TerraformFile {
                source: SourceText::new(Arc::from(rel.as_str()), text),
                body,
                parse_error: None,
            });
        }
    }
    Ok(files)
}
