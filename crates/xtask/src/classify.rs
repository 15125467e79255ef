//! `xtask classify DIR`: the schema model's classification rate over a repository's
//! migrations (`.sql` files under migrations folders, sqitch deploy scripts, and Knex, TypeORM/MikroORM,
//! Sequelize, Alembic and Django migrations), and the most common unclassified
//! statements, so the largest causes can be fixed first.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use audit_model::schema::{
    Classification, SqitchRole, classify_migration, is_migration_path, sqitch_change,
};
use audit_syntax::{Grammar, SqlDialect};
use clap::Args;

#[derive(Args, Debug)]
pub struct ClassifyArgs {
    /// The repository (or folder) whose migrations are counted.
    pub dir: PathBuf,
    /// How many of the most common unclassified statement heads to print.
    #[arg(long, default_value_t = 15)]
    pub top: usize,
}

/// A migration by its path, or a sqitch project's deploy script (a `sqitch.plan` or
/// `revert/` folder beside its `deploy/`), as the scan decides once it knows every file.
fn is_migration(dir: &Path, rel: &str) -> bool {
    is_migration_path(rel)
        || sqitch_change(rel).is_some_and(|change| {
            let project = dir.join(&change.project);
            change.role == SqitchRole::Deploy
                && (project.join("sqitch.plan").is_file() || project.join("revert").is_dir())
        })
}

pub fn run(args: &ClassifyArgs) -> Result<(), String> {
    let mut per_kind: BTreeMap<&'static str, (usize, usize, usize)> = BTreeMap::new();
    let mut causes: BTreeMap<String, usize> = BTreeMap::new();
    let walk = ignore::WalkBuilder::new(&args.dir).hidden(false).build();
    for entry in walk.filter_map(Result::ok) {
        let path = entry.path();
        let Ok(rel) = path.strip_prefix(&args.dir) else {
            continue;
        };
        let rel = rel.to_string_lossy().replace('\\', "/");
        let (kind, grammar) = match path.extension().and_then(|e| e.to_str()) {
            Some("sql") => ("sql", None),
            Some("js" | "mjs" | "cjs") => ("javascript", Some(Grammar::JavaScript)),
            Some("ts" | "mts" | "cts") => ("typescript", Some(Grammar::TypeScript)),
            Some("py") => ("python", Some(Grammar::Python)),
            _ => continue,
        };
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        let dialect = SqlDialect::from_path(&rel).unwrap_or(SqlDialect::Postgres);
        let Some(Classification {
            statements,
            classified,
            unclassified,
        }) = classify_migration(&rel, &text, grammar, is_migration(&args.dir, &rel), dialect)
        else {
            continue;
        };
        let totals = per_kind.entry(kind).or_default();
        totals.0 += 1;
        totals.1 += statements;
        totals.2 += classified;
        for head in unclassified {
            let cause: Vec<&str> = head.split_whitespace().take(3).collect();
            *causes.entry(cause.join(" ")).or_default() += 1;
            eprintln!("unclassified {rel}: {head}");
        }
    }
    let (files, statements, classified) = per_kind
        .values()
        .fold((0, 0, 0), |(f, s, c), (f2, s2, c2)| {
            (f + f2, s + s2, c + c2)
        });
    println!("| files | kind | statements | classified | rate |\n|---|---|---|---|---|");
    let rate = |c: usize, s: usize| {
        if s == 0 {
            100.0
        } else {
            100.0 * c as f64 / s as f64
        }
    };
    for (kind, (f, s, c)) in &per_kind {
        println!("| {f} | {kind} | {s} | {c} | {:.2}% |", rate(*c, *s));
    }
    println!(
        "| {files} | all | {statements} | {classified} | {:.2}% |",
        rate(classified, statements)
    );
    let mut causes: Vec<(String, usize)> = causes.into_iter().collect();
    causes.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    if !causes.is_empty() {
        println!("\nMost common unclassified (first three words):");
        for (cause, count) in causes.iter().take(args.top) {
            println!("{count:6}  {cause}");
        }
    }
    Ok(())
}
