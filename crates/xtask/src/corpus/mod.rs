//! A deterministic generator of realistic backend repositories for the benchmark:
//! NestJS TypeScript and Express JavaScript services, FastAPI/Django Python apps, SQL
//! migrations and Terraform modules. File sizes are log-normal (many small files, a long
//! tail of large ones) and a few lines per thousand are things the rules report.

mod javascript;
mod python;
mod sql;
mod terraform;
mod text;
mod typescript;

use std::io;
use std::path::Path;

use audit_core::Language;

/// What to generate. Generation stops at whichever budget is reached first.
#[derive(Clone, Debug)]
pub struct Options {
    pub seed: u64,
    pub bytes: Option<u64>,
    pub files: Option<usize>,
    pub languages: Vec<Language>,
}

/// The languages the generator writes, with their share of a corpus's bytes and files,
/// roughly those of a backend monorepo (TypeScript services, Python apps, some legacy
/// JavaScript, many small migrations, a few Terraform modules, configuration files).
pub const LANGUAGES: [(Language, f64, f64); 6] = [
    (Language::TypeScript, 0.34, 0.30),
    (Language::Python, 0.30, 0.28),
    (Language::JavaScript, 0.20, 0.18),
    (Language::Sql, 0.08, 0.16),
    (Language::Terraform, 0.08, 0.08),
    (Language::Text, 0.05, 0.10),
];

/// Writes the corpus into `dir` (created if missing).
pub fn write(dir: &Path, options: &Options) -> io::Result<Totals> {
    generate(options, &mut |rel, text| {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, text)
    })
}

/// Bytes and files generated, source files only.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    pub bytes: u64,
    pub files: usize,
}

/// Generates the corpus, handing each file (root-relative path, contents) to `sink` in a
/// fixed order: the same options give the same bytes.
pub fn generate(
    options: &Options,
    sink: &mut dyn FnMut(&str, &[u8]) -> io::Result<()>,
) -> io::Result<Totals> {
    let chosen: Vec<_> = LANGUAGES
        .iter()
        .filter(|(l, _, _)| options.languages.contains(l))
        .collect();
    let byte_shares: f64 = chosen.iter().map(|(_, b, _)| b).sum();
    let file_shares: f64 = chosen.iter().map(|(_, _, f)| f).sum();
    // Budgets from rounded cumulative shares, so they add up to exactly the request.
    let (mut bytes_before, mut files_before) = (0.0, 0.0);
    let mut totals = Totals::default();
    for (stream, &&(language, byte_share, file_share)) in chosen.iter().enumerate() {
        let (bytes_upto, files_upto) = (
            bytes_before + byte_share / byte_shares,
            files_before + file_share / file_shares,
        );
        let part = |total: f64, from: f64, to: f64| (total * to).round() - (total * from).round();
        let budget = Budget {
            bytes: options
                .bytes
                .map(|b| part(b as f64, bytes_before, bytes_upto) as u64),
            files: options
                .files
                .map(|f| part(f as f64, files_before, files_upto) as usize),
        };
        (bytes_before, files_before) = (bytes_upto, files_upto);
        let mut rng = Gen::new(options.seed, stream as u64);
        let mut out = Out {
            sink: &mut *sink,
            budget,
            bytes: 0,
            files: 0,
        };
        match language {
            Language::TypeScript => typescript::generate(&mut rng, &mut out)?,
            Language::JavaScript => javascript::generate(&mut rng, &mut out)?,
            Language::Python => python::generate(&mut rng, &mut out)?,
            Language::Sql => sql::generate(&mut rng, &mut out)?,
            Language::Terraform => terraform::generate(&mut rng, &mut out)?,
            Language::Text => text::generate(&mut rng, &mut out)?,
            Language::Tsx => {}
        }
        totals.bytes += out.bytes;
        totals.files += out.files;
    }
    Ok(totals)
}

#[derive(Clone, Copy, Debug)]
struct Budget {
    bytes: Option<u64>,
    files: Option<usize>,
}

/// Where one language's files go, counting them against its budget.
pub(crate) struct Out<'a> {
    sink: &'a mut dyn FnMut(&str, &[u8]) -> io::Result<()>,
    budget: Budget,
    bytes: u64,
    files: usize,
}

impl Out<'_> {
    pub(crate) fn full(&self) -> bool {
        self.budget.bytes.is_some_and(|b| self.bytes >= b)
            || self.budget.files.is_some_and(|f| self.files >= f)
    }

    /// A source file of the language being generated; dropped once the budget is spent.
    pub(crate) fn source(&mut self, path: &str, text: &str) -> io::Result<()> {
        if self.full() {
            return Ok(());
        }
        self.bytes += text.len() as u64;
        self.files += 1;
        (self.sink)(path, text.as_bytes())
    }

    /// A file the scanner does not read (package.json, pyproject.toml): the walker still
    /// meets it, as in a real repository.
    pub(crate) fn other(&mut self, path: &str, text: &str) -> io::Result<()> {
        (self.sink)(path, text.as_bytes())
    }
}

/// The seeded random source, with the draws the generators need.
pub(crate) struct Gen(fastrand::Rng);

impl Gen {
    fn new(seed: u64, stream: u64) -> Gen {
        Gen(fastrand::Rng::with_seed(
            seed ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15),
        ))
    }

    pub(crate) fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.0.usize(..items.len())]
    }

    pub(crate) fn chance(&mut self, p: f64) -> bool {
        self.0.f64() < p
    }

    /// A number in `lo..=hi`.
    pub(crate) fn between(&mut self, lo: usize, hi: usize) -> usize {
        self.0.usize(lo..=hi)
    }

    /// A file size in bytes: log-normal around `median`, so most files are small and a
    /// few are many times larger.
    pub(crate) fn size(&mut self, median: f64) -> usize {
        let (u1, u2) = (1.0 - self.0.f64(), self.0.f64());
        let normal = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
        (median * (1.1 * normal).exp()).clamp(300.0, 400_000.0) as usize
    }

    /// `count` distinct items.
    pub(crate) fn distinct<T: Copy + PartialEq>(&mut self, items: &[T], count: usize) -> Vec<T> {
        let mut chosen = Vec::with_capacity(count);
        while chosen.len() < count.min(items.len()) {
            let item = self.pick(items);
            if !chosen.contains(&item) {
                chosen.push(item);
            }
        }
        chosen
    }
}

/// Service names; past the list they repeat with a number, as in a large monorepo.
const SERVICES: &[&str] = &[
    "billing",
    "catalog",
    "identity",
    "fulfillment",
    "notifications",
    "analytics",
    "search",
    "support",
    "inventory",
    "pricing",
    "payments",
    "accounts",
    "reporting",
    "scheduling",
    "messaging",
    "media",
    "ledger",
    "onboarding",
    "compliance",
    "partners",
];

pub(crate) fn service_name(index: usize) -> String {
    let base = SERVICES[index % SERVICES.len()];
    match index / SERVICES.len() {
        0 => base.to_string(),
        n => format!("{base}-{}", n + 1),
    }
}

const NOUNS: &[&str] = &[
    "user",
    "account",
    "order",
    "invoice",
    "payment",
    "product",
    "customer",
    "shipment",
    "cart",
    "coupon",
    "review",
    "subscription",
    "notification",
    "session",
    "tenant",
    "webhook",
    "report",
    "warehouse",
    "refund",
    "ticket",
    "message",
    "api_key",
    "plan",
    "price",
    "address",
    "team",
    "project",
    "task",
    "device",
    "document",
    "comment",
    "category",
    "supplier", // not "vendor": `**/vendor/**` is excluded by default
    "contract",
    "delivery",
    "employee",
    "payout",
    "transfer",
    "booking",
    "membership",
];

/// A column's type, rendered per language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ty {
    Text,
    Int,
    BigInt,
    Bool,
    Timestamp,
    Uuid,
    Json,
    Decimal,
}

impl Ty {
    pub(crate) fn ts(self) -> &'static str {
        match self {
            Ty::Text | Ty::Uuid | Ty::Decimal => "string",
            Ty::Int | Ty::BigInt => "number",
            Ty::Bool => "boolean",
            Ty::Timestamp => "Date",
            Ty::Json => "Record<string, unknown>",
        }
    }

    pub(crate) fn py(self) -> &'static str {
        match self {
            Ty::Text => "str",
            Ty::Int | Ty::BigInt => "int",
            Ty::Bool => "bool",
            Ty::Timestamp => "datetime",
            Ty::Uuid => "UUID",
            Ty::Json => "dict[str, Any]",
            Ty::Decimal => "Decimal",
        }
    }

    pub(crate) fn sql(self) -> &'static str {
        match self {
            Ty::Text => "text",
            Ty::Int => "integer",
            Ty::BigInt => "bigint",
            Ty::Bool => "boolean",
            Ty::Timestamp => "timestamptz",
            Ty::Uuid => "uuid",
            Ty::Json => "jsonb",
            Ty::Decimal => "numeric(12, 2)",
        }
    }

    /// A literal of this type in SQL, for seed rows and defaults.
    pub(crate) fn sql_value(self, rng: &mut Gen, row: usize) -> String {
        match self {
            Ty::Text => format!("'{}-{row}'", rng.pick(WORDS)),
            Ty::Int => rng.between(0, 500).to_string(),
            Ty::BigInt => rng.between(100, 2_000_000).to_string(),
            Ty::Bool => rng.pick(&["true", "false"]).to_string(),
            Ty::Timestamp => format!(
                "'2024-{:02}-{:02}T{:02}:{:02}:00Z'",
                rng.between(1, 12),
                rng.between(1, 28),
                rng.between(0, 23),
                rng.between(0, 59)
            ),
            Ty::Uuid => format!(
                "'{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}'",
                rng.0.u32(..),
                rng.0.u16(..),
                rng.0.u16(..0x1000),
                rng.0.u16(..0x1000),
                rng.0.u64(..1 << 48)
            ),
            Ty::Json => format!(
                "'{{\"source\": \"{}\", \"version\": {}}}'",
                rng.pick(WORDS),
                rng.between(1, 9)
            ),
            Ty::Decimal => format!("{}.{:02}", rng.between(0, 9999), rng.between(0, 99)),
        }
    }
}

/// Fields an entity may have besides its id, status and timestamps.
const FIELDS: &[(&str, Ty)] = &[
    ("email", Ty::Text),
    ("name", Ty::Text),
    ("title", Ty::Text),
    ("description", Ty::Text),
    ("reference", Ty::Text),
    ("currency", Ty::Text),
    ("country_code", Ty::Text),
    ("external_id", Ty::Uuid),
    ("owner_id", Ty::Uuid),
    ("parent_id", Ty::Uuid),
    ("amount_cents", Ty::BigInt),
    ("balance_cents", Ty::BigInt),
    ("quantity", Ty::Int),
    ("priority", Ty::Int),
    ("attempts", Ty::Int),
    ("is_active", Ty::Bool),
    ("is_archived", Ty::Bool),
    ("expires_at", Ty::Timestamp),
    ("processed_at", Ty::Timestamp),
    ("metadata", Ty::Json),
    ("settings", Ty::Json),
    ("tax_rate", Ty::Decimal),
    ("discount", Ty::Decimal),
];

/// Words for names, literals and messages.
pub(crate) const WORDS: &[&str] = &[
    "alpha", "north", "harbor", "cedar", "granite", "summit", "delta", "maple", "orbit", "quartz",
    "river", "signal", "timber", "vector", "willow", "amber", "beacon", "cobalt", "ember",
    "falcon",
];

/// A domain object: the same entities appear as ORM models, DTOs, routes and tables.
#[derive(Clone, Debug)]
pub(crate) struct Entity {
    pub snake: &'static str,
    pub fields: Vec<(&'static str, Ty)>,
}

impl Entity {
    pub(crate) fn pick(rng: &mut Gen) -> Entity {
        let count = rng.between(3, 7);
        Entity {
            snake: rng.pick(NOUNS),
            fields: rng.distinct(FIELDS, count),
        }
    }

    /// `count` entities with distinct names, for one service.
    pub(crate) fn several(rng: &mut Gen, count: usize) -> Vec<Entity> {
        let mut entities: Vec<Entity> = Vec::with_capacity(count);
        while entities.len() < count {
            let entity = Entity::pick(rng);
            if entities.iter().all(|e| e.snake != entity.snake) {
                entities.push(entity);
            }
        }
        entities
    }

    pub(crate) fn plural(&self) -> String {
        plural(self.snake)
    }

    /// The `%key%` placeholders templates use for this entity.
    pub(crate) fn vars(&self) -> Vec<(&'static str, String)> {
        let plural = self.plural();
        vec![
            ("Entity", pascal(self.snake)),
            ("Entities", pascal(&plural)),
            ("entity", camel(self.snake)),
            ("entities", camel(&plural)),
            ("entity_snake", self.snake.to_string()),
            ("table", plural.clone()),
            ("route", plural.replace('_', "-")),
            ("kebab", self.snake.replace('_', "-")),
            ("words", plural.replace('_', " ")),
        ]
    }
}

fn plural(snake: &str) -> String {
    if snake.ends_with('s') {
        format!("{snake}es")
    } else if let Some(stem) = snake.strip_suffix('y')
        && !stem.ends_with(['a', 'e', 'o', 'u'])
    {
        format!("{stem}ies")
    } else {
        format!("{snake}s")
    }
}

pub(crate) fn pascal(snake: &str) -> String {
    snake
        .split('_')
        .map(|w| {
            let mut chars = w.chars();
            chars.next().map_or_else(String::new, |c| {
                c.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect()
}

pub(crate) fn camel(snake: &str) -> String {
    let p = pascal(snake);
    let mut chars = p.chars();
    chars.next().map_or_else(String::new, |c| {
        c.to_ascii_lowercase().to_string() + chars.as_str()
    })
}

/// Replaces `%key%` placeholders; text between percent signs that is not a key (format
/// strings, SQL patterns) is left alone.
pub(crate) fn fill(template: &str, vars: &[(&str, String)]) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(start) = rest.find('%') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let value = after.find('%').and_then(|end| {
            let key = &after[..end];
            vars.iter().find(|(k, _)| *k == key).map(|(_, v)| (v, end))
        });
        match value {
            Some((value, end)) => {
                out.push_str(value);
                rest = &after[end + 1..];
            }
            None => {
                out.push('%');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// `vars` plus a few more.
pub(crate) fn with(
    vars: &[(&'static str, String)],
    more: &[(&'static str, String)],
) -> Vec<(&'static str, String)> {
    vars.iter().chain(more).cloned().collect()
}

/// A suffix that keeps repeated members of one file distinct.
pub(crate) fn suffix(i: usize) -> String {
    const NAMES: &[&str] = &[
        "",
        "ForAdmin",
        "ByTenant",
        "Archived",
        "Recent",
        "Pending",
        "Legacy",
        "Batch",
        "Internal",
        "Scheduled",
    ];
    match NAMES.get(i) {
        Some(name) => name.to_string(),
        None => format!("V{i}"),
    }
}

/// [`suffix`] for snake_case names: `""`, `_foradmin`, ...
pub(crate) fn snake_suffix(i: usize) -> String {
    match i {
        0 => String::new(),
        _ => format!("_{}", suffix(i).to_lowercase()),
    }
}

/// Appends `block(i)` for i = 0, 1, ... until `text` reaches `target` bytes (at least once).
pub(crate) fn grow(text: &mut String, target: usize, mut block: impl FnMut(usize) -> String) {
    let mut i = 0;
    loop {
        text.push_str(&block(i));
        i += 1;
        if text.len() >= target {
            break;
        }
    }
}

/// The value of a placeholder.
pub(crate) fn get<'a>(vars: &'a [(&str, String)], key: &str) -> &'a str {
    vars.iter()
        .find(|(k, _)| *k == key)
        .map_or("", |(_, v)| v.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(options: &Options) -> Vec<(String, Vec<u8>)> {
        let mut files = Vec::new();
        generate(options, &mut |path, bytes| {
            files.push((path.to_string(), bytes.to_vec()));
            Ok(())
        })
        .unwrap();
        files
    }

    fn options(seed: u64) -> Options {
        Options {
            seed,
            bytes: Some(400_000),
            files: None,
            languages: LANGUAGES.iter().map(|(l, _, _)| *l).collect(),
        }
    }

    #[test]
    fn a_seed_gives_the_same_bytes() {
        let first = collect(&options(7));
        assert!(!first.is_empty());
        assert_eq!(first, collect(&options(7)));
        assert_ne!(first, collect(&options(8)));
    }

    #[test]
    fn budgets_bound_bytes_and_files() {
        let mut by_files = options(1);
        by_files.bytes = None;
        by_files.files = Some(300);
        let totals = generate(&by_files, &mut |_, _| Ok(())).unwrap();
        assert_eq!(totals.files, 300);

        let totals = generate(&options(1), &mut |_, _| Ok(())).unwrap();
        assert!(totals.bytes >= 400_000, "{totals:?}");
    }

    /// Realistic means: every file parses, nothing is skipped, and each rule has
    /// something to report.
    #[test]
    fn the_corpus_scans_cleanly_with_findings_for_every_rule() {
        let dir = tempfile::tempdir().unwrap();
        let mut options = options(3);
        options.bytes = Some(1_500_000);
        let totals = write(dir.path(), &options).unwrap();
        let output = audit_engine::scan(audit_engine::ScanRequest {
            root: dir.path().to_path_buf(),
            only: None,
            walk_only: None,
            config: audit_engine::ConfigFile::default(),
            cli: audit_engine::CliSelection::default(),
            threads: 2,
            extra_rules: None,
            progress: None,
            language: None,
            stage: audit_engine::Stage::Full,
        })
        .unwrap();
        assert!(output.notes.is_empty(), "{:#?}", output.notes);
        // Every file is read: sources by their parsers, configuration files (those the
        // text generator writes and the others' package.json/pyproject.toml) by SEC006.
        let files: Vec<std::path::PathBuf> = walk_files(dir.path());
        let count = |read: fn(&std::path::Path) -> bool| files.iter().filter(|p| read(p)).count();
        let sources = count(|p| Language::from_path(p).is_some());
        let configuration = count(|p| audit_core::TextKind::from_path(p).is_some());
        assert!(configuration > 0);
        assert_eq!(output.summary.files_scanned, sources);
        assert_eq!(output.summary.text_files_scanned, configuration);
        assert!(sources + configuration >= totals.files);
        let found: std::collections::BTreeSet<&str> =
            output.diagnostics.iter().map(|d| d.rule.as_str()).collect();
        // DB012 and TF017 report SQL no dialect recognises and Terraform that does not
        // parse, which a corpus that parses cleanly does not have.
        let all: std::collections::BTreeSet<&str> = output
            .rules
            .iter()
            .map(|r| r.id.as_str())
            .filter(|id| *id != "DB012" && *id != "TF017")
            .collect();
        assert_eq!(found, all);
    }

    fn walk_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
        let mut files = Vec::new();
        let mut pending = vec![dir.to_path_buf()];
        while let Some(dir) = pending.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    pending.push(path);
                } else {
                    files.push(path);
                }
            }
        }
        files
    }

    #[test]
    fn placeholders() {
        let vars = [("Entity", "Order".to_string())];
        assert_eq!(
            fill("class %Entity% {} // 100%", &vars),
            "class Order {} // 100%"
        );
        assert_eq!(fill("'%s' % name, %Entity%", &vars), "'%s' % name, Order");
        assert_eq!(plural("address"), "addresses");
        assert_eq!(plural("delivery"), "deliveries");
        assert_eq!(plural("api_key"), "api_keys");
        assert_eq!(camel("api_key"), "apiKey");
    }
}
