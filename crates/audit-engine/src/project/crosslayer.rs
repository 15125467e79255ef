//! Cross-layer checks: what code asks of its databases (read in the per-file pass only
//! when such a check is enabled, and kept as owned, located facts), joined in the
//! project phase with the schema the migrations leave and with the Terraform databases.

use std::sync::Arc;

use audit_core::{Location, Related, SourceText};
use audit_model::connections;
use audit_model::orm::{self, OrmModel};
use audit_model::queries::{self, Client, Operation, SqlKind};
use audit_model::schema::{self, Change, Schema, Table, TableKey};
use audit_model::terraform;

use crate::checks::{CodeContext, Outcome, isolated};
use crate::facts::ProjectFacts;
use crate::plan::{Plan, Sought, TextHits};

/// What one file tells cross-layer checks about its databases.
#[derive(Debug, Default)]
pub struct DatabaseUse {
    /// Reads that filter or join on columns.
    pub reads: Vec<Read>,
    /// Connection settings that turn TLS off.
    pub tls_off: Vec<TlsOff>,
    /// The ORM models the file declares.
    pub models: Vec<OrmModel>,
    /// Attributes of Django model instances read in the loop over their queryset, for
    /// the relations DB020 finds loaded once per iteration (the models are often in
    /// another file).
    pub instance_reads: Vec<InstanceRead>,
}

/// A [`queries::InstanceRead`], located.
#[derive(Debug)]
pub struct InstanceRead {
    pub location: Location,
    /// The attribute as written: `o.customer`.
    pub written: String,
    /// The line of the loop.
    pub loop_line: u32,
    pub read: queries::InstanceRead,
}

/// A read (a `SELECT`, `find`, `filter`, `where`) and the columns it filters or joins
/// on, per table.
#[derive(Debug)]
pub struct Read {
    pub location: Location,
    pub client: Client,
    pub tables: Vec<ReadTable>,
}

#[derive(Debug)]
pub struct ReadTable {
    /// As the query names it: a table (`users`), or a model (`User`, Prisma's `user`)
    /// when `by_model`.
    pub name: String,
    pub by_model: bool,
    /// Filtered or joined columns (model fields when `by_model`).
    pub columns: Vec<String>,
    /// For a SQL statement of several tables: the columns belong to whichever of them
    /// has them.
    pub shared: bool,
}

#[derive(Debug)]
pub struct TlsOff {
    pub location: Location,
    pub at_connect: bool,
}

/// Reads the file's database use for the cross-layer checks: its queries (when it holds
/// a database anchor), its TLS settings (when it mentions `ssl`) and its ORM models (when
/// it holds a model anchor).
pub fn collect(ctx: &CodeContext<'_>, anchors: &TextHits) -> Option<DatabaseUse> {
    let text = ctx.source.text.as_str();
    let mut found = DatabaseUse::default();
    if anchors.holds(Sought::DatabaseCalls) {
        let code = ctx.queries();
        // X001, their one reader, leaves migrations alone: a data migration reads once,
        // at deploy, where a missing index costs one scan (a scheduled command is kept).
        if !crate::checks::database::is_migration(&ctx.source.path, text) {
            found.reads = code
                .queries
                .iter()
                .filter_map(|q| read(ctx.source, q))
                .collect();
        }
        // DB020, their one reader, leaves scripts and migrations alone.
        let script = ctx.is_script_or_migration();
        found.instance_reads = code
            .instance_reads
            .iter()
            .filter(|_| !script)
            .map(|read| InstanceRead {
                location: ctx.source.locate(read.span),
                written: text[read.span.start..read.span.end].to_string(),
                loop_line: ctx.source.position(read.in_loop.span.start).line,
                read: read.clone(),
            })
            .collect();
        if text.contains("ssl") {
            found.tls_off =
                connections::tls_off(ctx.tree, text, ctx.semantics(), &code.connections)
                    .into_iter()
                    .map(|t| TlsOff {
                        location: ctx.source.locate(t.span),
                        at_connect: t.at_connect,
                    })
                    .collect();
        }
    }
    if anchors.holds(Sought::ModelAnchors) {
        found.models = orm::models(ctx.tree, text, ctx.semantics(), &ctx.source.path);
    }
    let empty = found.reads.is_empty()
        && found.tls_off.is_empty()
        && found.models.is_empty()
        && found.instance_reads.is_empty();
    (!empty).then_some(found)
}

/// A `.prisma` schema file's models, and its datasource's connection string when that
/// turns TLS off.
pub fn collect_prisma(source: &SourceText) -> Option<DatabaseUse> {
    let models = orm::prisma_models(&source.text);
    let tls_off: Vec<TlsOff> = orm::prisma_tls_off(&source.text)
        .into_iter()
        .map(|span| TlsOff {
            location: source.locate(span),
            at_connect: true,
        })
        .collect();
    (!models.is_empty() || !tls_off.is_empty()).then(|| DatabaseUse {
        models,
        tls_off,
        ..DatabaseUse::default()
    })
}

fn read(source: &SourceText, query: &queries::Query) -> Option<Read> {
    if matches!(
        query.client,
        Client::MongoDb | Client::Mongoose | Client::Redis | Client::DjangoCache
    ) {
        return None;
    }
    let tables: Vec<ReadTable> = if query.sql.is_empty() {
        let name = query.table.clone()?;
        if query.operation != Operation::Read || query.columns.is_empty() {
            return None;
        }
        vec![ReadTable {
            name,
            by_model: orm::names_models(query.client),
            columns: query.columns.clone(),
            shared: false,
        }]
    } else {
        query
            .sql
            .iter()
            .filter(|s| s.kind == SqlKind::Select && !s.columns.is_empty())
            .flat_map(|s| {
                s.tables.iter().map(|t| ReadTable {
                    name: t.clone(),
                    by_model: false,
                    columns: s.columns.clone(),
                    shared: s.tables.len() > 1,
                })
            })
            .collect()
    };
    if tables.is_empty() {
        return None;
    }
    let span = query
        .sql_span
        .filter(|_| !query.sql.is_empty())
        .unwrap_or(query.span);
    Some(Read {
        location: source.locate(span),
        client: query.client,
        tables,
    })
}

/// What a cross-layer check sees: every file's database use, the schema each migration
/// set leaves, the ORM models of the whole repository and the Terraform databases that
/// demand TLS.
pub struct CrossLayerContext<'a> {
    pub files: Vec<(&'a Arc<str>, &'a DatabaseUse)>,
    pub schemas: Vec<Schema>,
    pub models: Vec<&'a OrmModel>,
    pub tls_databases: Vec<TlsDatabase>,
    /// The repository has Terraform configuration.
    pub has_terraform: bool,
    facts: &'a ProjectFacts,
}

/// A Terraform database that demands TLS, located.
pub struct TlsDatabase {
    pub address: String,
    pub location: Location,
    pub public: bool,
    pub why: String,
}

impl CrossLayerContext<'_> {
    /// The table `name` names in some migration set's final schema (unquoted names fold
    /// to lower case, so `"User"` is tried as written too), and its set.
    pub fn table(&self, name: &str) -> Option<(&Schema, TableKey, &Table)> {
        let (schema_name, table) = match name.rsplit_once('.') {
            Some((s, t)) => (Some(s), t),
            None => (None, name),
        };
        let table = table.trim_matches(['"', '`', '[', ']']);
        let keys = [
            schema::Name::new(table, true),
            schema::Name::new(table, false),
        ];
        for set in &self.schemas {
            for name in &keys {
                for schema in [schema_name.map(|s| schema::Name::new(s, false)), None] {
                    let key = TableKey {
                        schema,
                        name: name.clone(),
                    };
                    if let Some(found) = set.table(&key) {
                        return Some((set, key, found));
                    }
                }
            }
        }
        None
    }

    /// The one table of all migration sets whose name ends with `suffix` (Django's
    /// `_<model>`); None when none or several do.
    pub fn table_with_suffix(&self, suffix: &str) -> Option<String> {
        let mut found = self
            .schemas
            .iter()
            .flat_map(|s| s.tables())
            .filter(|(key, _)| key.name.as_str().ends_with(suffix))
            .map(|(key, _)| key.to_string());
        let first = found.next()?;
        found.next().is_none().then_some(first)
    }

    /// The statement of `table.created_in` that created the table, as a related
    /// location.
    pub fn creation(&self, key: &TableKey, table: &Table) -> Option<Related> {
        let sql = self
            .facts
            .files
            .iter()
            .filter_map(|(_, f)| f.sql.as_deref())
            .find(|s| *s.source.path == *table.created_in)?;
        let statement = sql.statements.iter().find(|s| {
            s.events.iter().any(|e| {
                matches!(&e.change, Change::CreateTable { table, .. } if table.key.name == key.name)
            })
        })?;
        Some(Related {
            location: sql.source.locate(statement.span),
            note: format!("`{key}` is created here"),
        })
    }
}

/// Runs the cross-layer checks once, over the facts the per-file pass kept and the
/// Terraform databases the module instances of the Terraform pass gave.
pub fn run(
    plan: &Plan,
    facts: &ProjectFacts,
    mut tls_databases: Vec<TlsDatabase>,
    out: &mut Outcome,
) {
    if plan.cross_layer.is_empty() {
        return;
    }
    // A module called from several places names the same attribute once.
    tls_databases.dedup_by(|a, b| a.location == b.location);
    let built = isolated("the cross-layer model", None, || {
        context(facts, tls_databases)
    });
    let ctx = match built {
        Ok(ctx) => ctx,
        Err(note) => return out.notes.push(note),
    };
    for (index, check) in &plan.cross_layer {
        out.run(&plan.rules[*index].meta, None, |emit| check(&ctx, emit));
    }
}

/// The databases of one module instance that demand TLS, for [`run`].
pub fn collect_tls_databases(module: &terraform::Module<'_>, found: &mut Vec<TlsDatabase>) {
    for db in terraform::tls_databases(module) {
        found.push(TlsDatabase {
            location: db.source.locate(db.span),
            address: db.address,
            public: db.public,
            why: db.why,
        });
    }
}

fn context(facts: &ProjectFacts, tls_databases: Vec<TlsDatabase>) -> CrossLayerContext<'_> {
    let files: Vec<(&Arc<str>, &DatabaseUse)> = facts
        .files
        .iter()
        .filter_map(|(path, f)| f.database.as_deref().map(|d| (path, d)))
        .collect();
    let models = files.iter().flat_map(|(_, d)| &d.models).collect();
    let schemas = schema::final_schemas(facts.files.iter().filter_map(|(_, f)| f.sql.as_deref()));
    CrossLayerContext {
        files,
        schemas,
        models,
        tls_databases,
        has_terraform: facts
            .files
            .iter()
            .any(|(path, _)| path.ends_with(".tf") || path.ends_with(".tf.json")),
        facts,
    }
}
