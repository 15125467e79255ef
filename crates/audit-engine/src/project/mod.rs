//! The project phase: rules that need the whole repository, run over merged facts. The
//! models (the schema replay, Terraform modules) come from `audit_model`; this phase only
//! dispatches checks over them.

pub mod crosslayer;
mod in_order;
pub mod terraform;

use audit_core::SourceText;
use audit_model::schema::{
    self, MigrationRole, Origin, Replayed, Schema, SqlSource, Statement, TableKey,
};
use audit_syntax::SqlDialect;

use audit_model::routes::RouteTable;

use crate::checks::{Outcome, RouteContext, SpecContext};
use crate::facts::ProjectFacts;
use crate::plan::Plan;

/// What a SQL check sees: the statement lowered to events, its file, and the schema
/// replayed before it and at the end of its migration set.
pub struct SqlContext<'a> {
    pub source: &'a SourceText,
    pub sql: &'a SqlSource,
    pub statement: &'a Statement,
    /// `None` for `.sql` files that are not migrations.
    pub migration: Option<MigrationRole>,
    pub schema: &'a Schema,
    pub final_schema: &'a Schema,
    /// The file's dialect (`sql.dialects`, its path, or `sql.dialect`).
    pub dialect: SqlDialect,
}

impl SqlContext<'_> {
    /// Where a table comes from, as the schema stood before this statement.
    pub fn origin(&self, key: &TableKey) -> Origin {
        self.schema.origin(key, &self.source.path)
    }

    /// A forward migration statement: the only kind that runs against live tables.
    pub fn is_forward(&self) -> bool {
        self.migration == Some(MigrationRole::Forward)
    }
}

/// The project phase: migrations replayed per set, Terraform evaluated per module, then
/// project checks. Every SQL file carries the dialect it was parsed with. The Terraform
/// modules are checked on `threads` threads.
pub fn run(plan: &Plan, facts: &mut ProjectFacts, threads: usize) -> (Outcome, Option<RouteTable>) {
    let mut out = Outcome::default();
    run_sql(plan, facts, &mut out);
    let tls_databases = terraform::run(plan, facts, threads, &mut out);
    crosslayer::run(plan, facts, tls_databases, &mut out);
    for (index, check) in &plan.project {
        out.run(&plan.rules[*index].meta, None, |emit| check(facts, emit));
    }
    let table = plan.needs_routes().then(|| facts.take_route_table());
    let facts = &*facts;
    if let Some(table) = &table {
        let ctx = RouteContext { table, facts };
        for (index, check) in &plan.routes {
            out.run(&plan.rules[*index].meta, None, |emit| check(&ctx, emit));
        }
    }
    if plan.needs_specs() {
        let specs: Vec<_> = facts
            .files
            .iter()
            .filter_map(|(_, f)| f.openapi.as_deref())
            .collect();
        for (index, check, routes) in &plan.specs {
            let ctx = SpecContext {
                specs: &specs,
                table: table.as_ref().filter(|_| *routes),
                facts,
            };
            out.run(&plan.rules[*index].meta, None, |emit| check(&ctx, emit));
        }
    }
    (out, table.filter(|_| plan.inventory))
}

/// Runs the SQL checks on every statement against the schema as it stood just before it
/// (see `audit_model::schema::replay`); `.sql` files that are not migrations are checked
/// against no schema.
fn run_sql(plan: &Plan, facts: &ProjectFacts, out: &mut Outcome) {
    let files = facts.files.iter().filter_map(|(_, f)| f.sql.as_deref());
    schema::replay(files, |step| check_statement(plan, step, out));
}

fn check_statement(plan: &Plan, step: Replayed<'_, '_>, out: &mut Outcome) {
    let Some(checks) = plan.sql.get(&step.statement.kind) else {
        return;
    };
    let ctx = SqlContext {
        source: &step.sql.source,
        sql: step.sql,
        statement: step.statement,
        migration: step.migration,
        schema: step.schema,
        final_schema: step.final_schema,
        dialect: step.sql.dialect,
    };
    for (index, check) in checks {
        let path = Some(&*ctx.source.path);
        out.run(&plan.rules[*index].meta, path, |emit| check(&ctx, emit));
    }
}

#[cfg(test)]
mod tests {
    fn scan(config: &str, files: &[(&str, &str)]) -> crate::ScanOutput {
        let config = crate::ConfigFile::parse(config, "backend-audit.toml").unwrap();
        let engine = crate::Engine::new(&config).unwrap();
        engine.scan_sources(
            files
                .iter()
                .map(|(path, text)| (path.to_string(), text.as_bytes().to_vec()))
                .collect(),
        )
    }

    fn messages(output: &crate::ScanOutput, rule: &str) -> Vec<String> {
        output
            .diagnostics
            .iter()
            .filter(|d| d.rule.as_str() == rule)
            .map(|d| {
                format!(
                    "{}:{}: {}",
                    d.location.path, d.location.start.line, d.message
                )
            })
            .collect()
    }

    #[test]
    fn a_check_that_panics_becomes_a_note_and_the_scan_goes_on() {
        let files = [
            (
                "db/migrations/001_init.sql",
                "CREATE TABLE a (id int PRIMARY KEY);\nCREATE TABLE b (id int PRIMARY KEY);\n",
            ),
            (
                "db/migrations/002_change.sql",
                "CREATE INDEX a_id ON a (id);\nDROP TABLE b;\n",
            ),
        ];
        let found = |output: &crate::ScanOutput| -> Vec<String> {
            output
                .diagnostics
                .iter()
                .map(|d| format!("{}:{}", d.rule, d.location.start.line))
                .collect()
        };
        assert_eq!(found(&scan("", &files)), ["DB002:1", "DB004:2"]);

        crate::checks::PANIC_IN.with(|p| p.set(Some("DB004")));
        let output = scan("", &files);
        crate::checks::PANIC_IN.with(|p| p.set(None));
        assert_eq!(found(&output), ["DB002:1"], "the other rule still reports");
        let notes: Vec<_> = output
            .notes
            .iter()
            .map(|n| (n.kind, n.path.as_deref(), n.message.as_str()))
            .collect();
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert_eq!(notes[0].0, audit_core::NoteKind::InternalError);
        assert_eq!(notes[0].1, Some("db/migrations/002_change.sql"));
        assert!(
            notes[0]
                .2
                .starts_with("DB004 failed on this file (a check that panics on purpose)"),
            "{}",
            notes[0].2
        );
    }

    #[test]
    fn valid_sql_the_parser_does_not_model_is_no_parse_problem() {
        let output = scan(
            "",
            &[
                (
                    "db/migrations/0003_notes.down.sql",
                    "DROP INDEX CONCURRENTLY IF EXISTS notes_created_at_idx;\n",
                ),
                (
                    "db/migrations/0004_typo.sql",
                    "SELECT 1;\nCREAT TABLE t (id int);\n",
                ),
            ],
        );
        let notes: Vec<(&str, audit_core::NoteKind, Option<u32>)> = output
            .notes
            .iter()
            .map(|n| (n.path.as_deref().unwrap(), n.kind, n.line))
            .collect();
        assert_eq!(
            notes,
            [(
                "db/migrations/0003_notes.down.sql",
                audit_core::NoteKind::Unmodelled,
                Some(1)
            ),]
        );
        // The typo is DB012's to report, once, not a note besides.
        assert_eq!(
            messages(&output, "DB012")
                .iter()
                .map(|m| m.split(" is not").next().unwrap())
                .collect::<Vec<_>>(),
            ["db/migrations/0004_typo.sql:2: `CREAT TABLE t (id int);`"]
        );
        assert!(
            output.notes[0]
                .message
                .contains("`DROP INDEX CONCURRENTLY IF EXISTS notes_created_at_idx;`"),
            "{}",
            output.notes[0].message
        );
        assert_eq!(output.summary.files_partly_parsed, 1);
        assert_eq!(output.summary.parse_errors, 0);
    }

    #[test]
    fn a_table_whose_create_was_not_parsed_is_still_created() {
        let output = scan(
            "",
            &[
                (
                    "db/migrations/0001_events.sql",
                    "CREATE TABLE events (id int) WITH (fillfactor = 90) WITH (x = 1);\n",
                ),
                (
                    "db/migrations/0002_events_index.sql",
                    "CREATE INDEX events_id_idx ON events (id);\n",
                ),
            ],
        );
        assert_eq!(
            messages(&output, "DB002")
                .iter()
                .map(|m| m.split(" blocks").next().unwrap())
                .collect::<Vec<_>>(),
            [
                "db/migrations/0002_events_index.sql:1: CREATE INDEX without CONCURRENTLY on `events` (created in db/migrations/0001_events.sql)"
            ]
        );
    }

    #[test]
    fn templated_names_are_the_table_or_the_placeholder_as_written() {
        let output = scan(
            "",
            &[(
                "migrations/0002_x.sql",
                "CREATE INDEX a ON {{ index .Options \"Namespace\" }}.sessions (x);\nCREATE INDEX b ON {{ .Table }} (x);\nDROP TABLE \"{{ index .Options \"Namespace\" }}\".\"users\";\n",
            )],
        );
        let table = |m: &String| m.split('`').nth(1).unwrap().to_string();
        assert_eq!(
            messages(&output, "DB002")
                .iter()
                .map(table)
                .collect::<Vec<_>>(),
            ["sessions", "{{ .Table }}"]
        );
        assert_eq!(
            messages(&output, "DB004")
                .iter()
                .map(table)
                .collect::<Vec<_>>(),
            ["users"]
        );
        assert!(output.notes.is_empty(), "{:?}", output.notes);
    }

    #[test]
    fn postgres_advice_only_on_postgres_files() {
        let index = "CREATE INDEX i ON t (x);\n";
        let output = scan(
            "[sql]\ndialects = { \"legacy/**\" = \"mysql\" }\n",
            &[
                ("database/sqlserver/migrations/1_i.up.sql", index),
                ("database/cockroachdb/migrations/1_i.up.sql", index),
                ("database/mysql8/migrations/1_i.up.sql", index),
                ("legacy/postgres/migrations/1_i.up.sql", index),
                ("database/postgres/migrations/1_i.up.sql", index),
                ("db/migrations/1_i.up.sql", index),
            ],
        );
        let found: Vec<String> = messages(&output, "DB002")
            .iter()
            .map(|m| m.split(':').next().unwrap().to_string())
            .collect();
        assert_eq!(
            found,
            [
                "database/postgres/migrations/1_i.up.sql",
                "db/migrations/1_i.up.sql"
            ]
        );
    }

    #[test]
    fn terraform_findings_are_the_same_on_any_number_of_threads() {
        // Enough module instances for several batches, a module called from every root
        // (its findings reported once, for the first call) and modules called from some.
        let db = "variable \"public\" {}\nresource \"aws_db_instance\" \"main\" {\n  engine = \"postgres\"\n  publicly_accessible = var.public\n}\n";
        let bucket =
            "variable \"name\" {}\nresource \"aws_s3_bucket\" \"b\" {\n  bucket = var.name\n}\n";
        let mut files = vec![
            ("modules/db/main.tf".to_string(), db.to_string()),
            ("modules/bucket/main.tf".to_string(), bucket.to_string()),
        ];
        for i in 0..150 {
            let root = format!(
                "module \"db_{i:03}\" {{\n  source = \"../../modules/db\"\n  public = {}\n}}\nmodule \"bucket\" {{\n  source = \"../../modules/bucket\"\n  name = \"b-{i}\"\n}}\nresource \"aws_security_group\" \"g\" {{\n  ingress {{\n    from_port = 22\n    to_port = 22\n    protocol = \"tcp\"\n    cidr_blocks = [\"0.0.0.0/0\"]\n  }}\n}}\n",
                i % 3 == 1
            );
            files.push((format!("live/app-{i:03}/main.tf"), root));
        }
        let config = crate::ConfigFile::parse("", "backend-audit.toml").unwrap();
        let engine = crate::Engine::new(&config).unwrap();
        let scan = |engine: crate::Engine| {
            let sources = files
                .iter()
                .map(|(path, text)| (path.clone(), text.as_bytes().to_vec()))
                .collect();
            let output = engine.scan_sources(sources);
            let found: Vec<String> = output
                .diagnostics
                .iter()
                .map(|d| {
                    let at = &d.location;
                    format!("{} {}:{} {}", d.rule, at.path, at.start.line, d.message)
                })
                .collect();
            (found, format!("{:?}", output.notes))
        };
        let (serial, notes) = scan(engine);
        // The shared module's public database, once, for the first call that makes it public.
        let public: Vec<&String> = serial.iter().filter(|f| f.starts_with("TF004")).collect();
        assert_eq!(public.len(), 1, "{public:?}");
        assert!(public[0].contains("modules/db/main.tf:4"), "{}", public[0]);
        assert!(public[0].contains("module.db_001."), "{}", public[0]);
        assert!(
            serial.iter().filter(|f| f.starts_with("TF005")).count() == 150,
            "{serial:#?}"
        );
        for threads in [2, 3] {
            let engine = crate::Engine::new(&config).unwrap().with_threads(threads);
            assert_eq!(
                scan(engine),
                (serial.clone(), notes.clone()),
                "{threads} threads"
            );
        }
    }
}
