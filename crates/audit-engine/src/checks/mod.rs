//! Rules whose logic is Rust: one file per rule under `checks/<domain>/`, registered
//! once below under its id with the slice of the scan it runs on.

mod api;
mod crosslayer;
pub(crate) mod database;
mod reliability;
mod security;
mod terraform;

use std::cell::OnceCell;
use std::panic::AssertUnwindSafe;

use audit_core::{
    Confidence, Finding, FlowStep, Language, Location, Note, NoteKind, Related, RuleId, RuleMeta,
    SourceText, Span, TextKind,
};
use audit_model::code::CodeSemantics;
use audit_model::code::nodes::NodeIndex;
use audit_model::openapi::Spec;
use audit_model::queries::CodeQueries;
use audit_model::routes::RouteTable;
use audit_model::taint::{DataFlow, Flow, Step, TaintSpec};
use audit_syntax::tree_sitter::{Node, Tree};
use audit_syntax::{Grammar, SqlDialect, StatementKind};

use crate::facts::ProjectFacts;
use crate::project::SqlContext;
pub use crate::project::crosslayer::CrossLayerContext;
use crate::project::terraform::ResourceContext;

/// What a Rust check runs on and the function that does it. Each check file declares
/// its own as `pub const CHECK: Check`, so the plan needs nothing else from the rule.
#[derive(Clone, Copy)]
pub enum Check {
    /// Each JavaScript/TypeScript/Python file of the rule's languages whose text holds
    /// one of `anchors` (every such file when empty), with its tree and code semantics:
    /// on files without an anchor the check, and the semantics, cost nothing.
    Code {
        anchors: &'static [&'static str],
        run: fn(&CodeContext<'_>, &mut Emit<'_>),
    },
    /// Each statement of these kinds, with the schema replayed before it.
    Sql {
        statements: &'static [StatementKind],
        run: fn(&SqlContext<'_>, &mut Emit<'_>),
    },
    /// Each resource of these types, with its module evaluated.
    Terraform {
        resources: &'static [&'static str],
        run: fn(&ResourceContext<'_>, &mut Emit<'_>),
    },
    /// The text of each file of the rule's languages, read once for the scan: source files
    /// with their tree and code semantics, and the text-file class (configuration,
    /// environment, keys, other languages), which is read only when such a check is enabled.
    Text {
        run: fn(&TextContext<'_, '_>, &mut Emit<'_>),
    },
    /// Once, with the facts of the whole repository.
    Project {
        run: fn(&ProjectFacts, &mut Emit<'_>),
    },
    /// Once, with the project's route table (routes are extracted only when such a check
    /// is enabled).
    Routes {
        run: fn(&RouteContext<'_>, &mut Emit<'_>),
    },
    /// Once, with the project's OpenAPI/Swagger specs (YAML and JSON files are read for
    /// them only when such a check is enabled), and the route table when `routes` is set.
    Specs {
        routes: bool,
        run: fn(&SpecContext<'_>, &mut Emit<'_>),
    },
    /// Once, with what every code file asks of its databases (its reads with the
    /// columns they filter on, its TLS-off connection settings, its ORM models, read in
    /// the per-file pass only when such a check is enabled), the schema each migration
    /// set leaves, and the Terraform databases that demand TLS.
    CrossLayer {
        run: fn(&CrossLayerContext<'_>, &mut Emit<'_>),
    },
    /// One rule checked on several slices (DB011: SQL migrations and SQL strings in
    /// code); the parts do not nest.
    Several(&'static [Check]),
}

/// What a spec check sees: every spec of the project, and its routes when the check
/// asked for them.
pub struct SpecContext<'a> {
    pub specs: &'a [&'a Spec],
    pub table: Option<&'a RouteTable>,
    /// The project's facts: which service (package) each file belongs to.
    pub facts: &'a ProjectFacts,
}

/// What a route check sees: every route of the project, joined across files, and the
/// project's facts.
pub struct RouteContext<'a> {
    pub table: &'a RouteTable,
    pub facts: &'a ProjectFacts,
}

/// What a code check sees: one file's text, tree and semantics. The semantics are built
/// on first use, once for all the file's checks, so a check that reads only the tree
/// costs no model.
pub struct CodeContext<'a> {
    pub source: &'a SourceText,
    pub tree: &'a Tree,
    pub grammar: Grammar,
    /// The dialect SQL strings in this file are parsed in (the migrations' setting).
    pub sql_dialect: SqlDialect,
    semantics: OnceCell<(CodeSemantics, NodeIndex<'a>)>,
    /// The enabled taint rules' sinks and sanitizers.
    taint: &'a TaintSpec,
    queries: OnceCell<CodeQueries>,
    script_or_migration: OnceCell<bool>,
}

impl<'a> CodeContext<'a> {
    pub fn new(source: &'a SourceText, tree: &'a Tree, grammar: Grammar) -> CodeContext<'a> {
        static NO_TAINT_RULES: TaintSpec = TaintSpec::empty();
        CodeContext {
            source,
            tree,
            grammar,
            sql_dialect: SqlDialect::default(),
            semantics: OnceCell::new(),
            taint: &NO_TAINT_RULES,
            queries: OnceCell::new(),
            script_or_migration: OnceCell::new(),
        }
    }

    /// Whether the file is a migration, seed or one-off script (asked by several rules,
    /// answered once).
    pub fn is_script_or_migration(&self) -> bool {
        *self
            .script_or_migration
            .get_or_init(|| database::is_script_or_migration(&self.source.path, &self.source.text))
    }

    pub fn with_sql_dialect(self, sql_dialect: SqlDialect) -> CodeContext<'a> {
        CodeContext {
            sql_dialect,
            ..self
        }
    }

    /// The context with the plan's taint rules, for [`CodeContext::data_flow`].
    pub fn with_taint(self, taint: &'a TaintSpec) -> CodeContext<'a> {
        CodeContext { taint, ..self }
    }

    pub fn semantics(&self) -> &CodeSemantics {
        &self.built().0
    }

    /// The nodes the semantics pass visited, by range (builds the semantics).
    pub fn nodes(&self) -> &NodeIndex<'a> {
        &self.built().1
    }

    /// The named node whose range is exactly `span`: from the index when the semantics
    /// are built, else from the tree.
    pub fn node_at(&self, span: Span) -> Option<Node<'a>> {
        match self.semantics.get() {
            Some((_, index)) => index.node_at(span),
            None => audit_model::code::nodes::node_at(self.tree, span),
        }
    }

    /// The named parent of `node`: from the index when the semantics are built (the tree
    /// finds a parent by descending from the root), else from the tree.
    pub fn parent(&self, node: Node<'a>) -> Option<Node<'a>> {
        match self.semantics.get() {
            Some((_, index)) => index.parent(node),
            None => node.parent(),
        }
    }

    fn built(&self) -> &(CodeSemantics, NodeIndex<'a>) {
        self.semantics.get_or_init(|| {
            CodeSemantics::build_indexed(self.tree, &self.source.text, self.grammar)
        })
    }

    /// The file's data flow, evaluated on demand over the semantics.
    pub fn data_flow(&self) -> DataFlow<'_> {
        let (semantics, nodes) = self.built();
        DataFlow::new(
            semantics,
            nodes,
            &self.source.text,
            self.grammar,
            self.taint,
        )
    }

    /// Reports `span` at high confidence with its flow when request input reaches the
    /// expression at `value`, else at the rule's confidence: for Rust checks whose finding
    /// does not need the input but is surer with it (SEC003, SEC005).
    pub fn report_input(
        &self,
        out: &mut Emit<'_>,
        span: Span,
        value: Span,
        args: &[(&str, &str)],
        sink: &str,
    ) {
        let flow = self
            .node_at(value)
            .and_then(|node| self.data_flow().request_input(node));
        let location = self.source.locate(span);
        match flow {
            Some(flow) => {
                let steps = self.flow_steps(&flow, value, format!("reaches `{sink}`"));
                out.report_flow(location, args, Some(Confidence::High), steps);
            }
            None => out.report_at(location, args),
        }
    }

    /// The steps of `flow` as a finding carries them: the source, each step, then
    /// `sink`, the expression the rule reports.
    pub fn flow_steps(&self, flow: &Flow, sink: Span, sink_note: String) -> Vec<FlowStep> {
        self.steps_from("request input", flow.source, &flow.steps, sink, sink_note)
    }

    /// `origin` (`"request input"`, `"caught error"`) at `source`, each of `through`,
    /// then `sink` with its note, as a finding's flow.
    pub fn steps_from(
        &self,
        origin: &str,
        source: Span,
        through: &[Step],
        sink: Span,
        sink_note: String,
    ) -> Vec<FlowStep> {
        let text = self.source.text.as_str();
        let excerpt = excerpt(&text[source.start..source.end]);
        let mut steps = Vec::with_capacity(through.len() + 2);
        steps.push(FlowStep {
            location: self.source.locate(source),
            note: format!("{origin} `{excerpt}`"),
        });
        for step in through {
            steps.push(FlowStep {
                location: self.source.locate(step.span),
                note: step.note.clone(),
            });
        }
        steps.push(FlowStep {
            location: self.source.locate(sink),
            note: sink_note,
        });
        steps
    }

    /// The file's database calls (`audit_model::queries`), built once for all its checks.
    pub fn queries(&self) -> &CodeQueries {
        self.queries.get_or_init(|| {
            let (semantics, nodes) = self.built();
            CodeQueries::build(nodes, &self.source.text, semantics, self.sql_dialect)
        })
    }
}

/// What a text check sees: a file's text and what it is; for JavaScript/TypeScript/Python
/// files also their tree and semantics, so assignments are read from the code itself.
pub struct TextContext<'a, 'c> {
    pub source: &'a SourceText,
    pub language: Language,
    /// Set for [`Language::Text`] files.
    pub kind: Option<TextKind>,
    pub code: Option<&'a CodeContext<'c>>,
}

/// A check in the registry: `module` is `<domain>/<id>_<name>`, its file under checks/.
pub struct Registered {
    pub module: &'static str,
    pub check: Check,
}

impl Registered {
    /// The rule id the file is named for: `database/db002_index_blocks_writes` -> DB002.
    pub fn id(&self) -> String {
        let file = self.module.rsplit('/').next().unwrap_or("");
        file.split('_').next().unwrap_or("").to_ascii_uppercase()
    }
}

/// One registry line: the check file's module, which declares `CHECK`.
macro_rules! register {
    ($domain:ident :: $file:ident) => {
        Registered {
            module: concat!(stringify!($domain), "/", stringify!($file)),
            check: $domain::$file::CHECK,
        }
    };
}

/// Every Rust check, one line each.
pub const REGISTRY: &[Registered] = &[
    register!(api::api001_unauthenticated_write_route),
    register!(api::api002_unversioned_api),
    register!(api::api003_missing_rate_limit),
    register!(api::api004_missing_security_headers),
    register!(api::api005_error_with_success_status),
    register!(api::api006_create_not_201),
    register!(api::api007_verb_in_path),
    register!(api::api008_unsafe_get),
    register!(api::api009_inconsistent_error_shape),
    register!(api::api010_unvalidated_input),
    register!(api::api011_unbounded_list),
    register!(api::api012_missing_health_check),
    register!(api::api013_no_graceful_shutdown),
    register!(api::api014_graphql_unbounded_queries),
    register!(api::api015_openapi_contract),
    register!(crosslayer::x001_query_column_not_indexed),
    register!(crosslayer::x002_db_connection_without_tls),
    register!(crosslayer::x003_route_not_in_spec),
    register!(database::db001_table_without_primary_key),
    register!(database::db002_index_blocks_writes),
    register!(database::db003_required_column_without_default),
    register!(database::db004_destructive_migration),
    register!(database::db005_column_type_rewrite),
    register!(database::db006_foreign_key_without_index),
    register!(database::db007_foreign_key_locks_table),
    register!(database::db008_missing_rollback),
    register!(database::db009_float_for_money),
    register!(database::db010_timestamp_without_time_zone),
    register!(database::db011_unbounded_write),
    register!(database::db012_sql_parse_error),
    register!(database::db013_row_level_security_missing),
    register!(database::db020_query_in_loop),
    register!(database::db021_connection_per_call),
    register!(database::db022_redis_keys_scan),
    register!(database::db023_cache_without_ttl),
    register!(database::db024_multi_write_without_transaction),
    register!(database::db025_select_star),
    register!(reliability::rel001_request_without_timeout),
    register!(reliability::rel002_retry_without_backoff),
    register!(security::sec003_command_injection),
    register!(security::sec005_unsafe_deserialization),
    register!(security::sec006_hardcoded_secret),
    register!(security::sec007_jwt_insecure_verification),
    register!(security::sec008_weak_password_hash),
    register!(security::sec009_weak_crypto),
    register!(security::sec010_tls_verification_disabled),
    register!(security::sec011_permissive_cors),
    register!(security::sec012_debug_enabled),
    register!(security::sec013_insecure_session_cookie),
    register!(security::sec014_error_details_leaked),
    register!(security::sec015_sensitive_data_logged),
    register!(security::sec021_csrf_disabled),
    register!(security::sec022_insecure_randomness),
    register!(security::sec023_timing_unsafe_compare),
    register!(security::sec024_xxe),
    register!(terraform::tf003_weak_tls_policy),
    register!(terraform::tf004_database_publicly_accessible),
    register!(terraform::tf005_open_ingress),
    register!(terraform::tf006_iam_wildcard),
    register!(terraform::tf007_public_bucket),
    register!(terraform::tf008_backups_insufficient),
    register!(terraform::tf010_not_highly_available),
    register!(terraform::tf011_hardcoded_credential),
    register!(terraform::tf014_api_gateway_open),
    register!(terraform::tf015_state_backend_insecure),
    register!(terraform::tf016_elastic_cloud_open),
    register!(terraform::tf017_hcl_parse_error),
];

/// The words of a name, lower-case: `expectedSignature` and `EXPECTED_SIGNATURE` give
/// `["expected", "signature"]`; `X-Hub-Signature` gives `["x", "hub", "signature"]`.
pub(crate) fn words(name: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for c in name.chars() {
        if !c.is_ascii_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            previous_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && previous_lower && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        previous_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        current.push(c.to_ascii_lowercase());
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// The check registered for a rule id.
pub fn lookup(id: &str) -> Option<Check> {
    REGISTRY.iter().find(|r| r.id() == id).map(|r| r.check)
}

/// Runs `run`, a check of `rule` (or the model builder it waits for) on `path`, so that a
/// panic becomes a note naming both and the scan goes on without that check's findings
/// for that file.
pub fn isolated<T>(rule: &str, path: Option<&str>, run: impl FnOnce() -> T) -> Result<T, Note> {
    std::panic::catch_unwind(AssertUnwindSafe(|| {
        #[cfg(test)]
        if PANIC_IN.with(|p| p.get()) == Some(rule) {
            panic!("a check that panics on purpose");
        }
        run()
    }))
    .map_err(|payload| {
        let why = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no message".into());
        let place = if path.is_some() { "on this file" } else { "on the project" };
        Note {
            path: path.map(str::to_string),
            line: None,
            kind: NoteKind::InternalError,
            message: format!(
                "{rule} failed {place} ({why}); its findings there are missing, the rest of the scan went on. Please report this."
            ),
        }
    })
}

/// What running checks produced: findings, and a note for each check that failed.
#[derive(Default)]
pub struct Outcome {
    pub findings: Vec<Finding>,
    pub notes: Vec<Note>,
}

impl Outcome {
    /// Runs one check of `meta` (on `path`, or on the project) with its own [`Emit`];
    /// a panic becomes a note and its findings are dropped.
    pub fn run(&mut self, meta: &RuleMeta, path: Option<&str>, check: impl FnOnce(&mut Emit<'_>)) {
        let mut emit = Emit::for_rule(meta);
        match isolated(meta.id.as_str(), path, || check(&mut emit)) {
            Ok(()) => self.findings.extend(emit.findings),
            Err(note) => self.notes.push(note),
        }
    }
}

#[cfg(test)]
thread_local! {
    /// The rule whose checks panic, for the tests of `isolated`.
    pub static PANIC_IN: std::cell::Cell<Option<&'static str>> = const { std::cell::Cell::new(None) };
}

/// Where a check's findings go; fills the rule's message template (the one for the
/// finding's language, where the rule has per-language messages).
pub struct Emit<'a> {
    rule: &'a RuleId,
    template: &'a str,
    meta: Option<&'a RuleMeta>,
    pub findings: Vec<Finding>,
}

impl<'a> Emit<'a> {
    pub fn new(rule: &'a RuleId, template: &'a str) -> Emit<'a> {
        Emit {
            rule,
            template,
            meta: None,
            findings: Vec::new(),
        }
    }

    /// Findings of `meta`'s rule, with its messages.
    pub fn for_rule(meta: &'a RuleMeta) -> Emit<'a> {
        Emit {
            meta: Some(meta),
            ..Emit::new(&meta.id, &meta.message)
        }
    }

    pub fn report(&mut self, source: &SourceText, span: Span, args: &[(&str, &str)]) {
        self.report_at(source.locate(span), args);
    }

    pub fn report_at(&mut self, location: Location, args: &[(&str, &str)]) {
        self.report_with(location, args, None);
    }

    /// [`Emit::report_at`] with a confidence other than the rule's.
    pub fn report_with(
        &mut self,
        location: Location,
        args: &[(&str, &str)],
        confidence: Option<Confidence>,
    ) {
        self.report_flow(location, args, confidence, Vec::new());
    }

    /// [`Emit::report_with`] with the data flow that led to the finding.
    pub fn report_flow(
        &mut self,
        location: Location,
        args: &[(&str, &str)],
        confidence: Option<Confidence>,
        flow: Vec<FlowStep>,
    ) {
        let template = self
            .meta
            .map_or(self.template, |meta| meta.message_for(&location.path));
        self.report_message(location, render_message(template, args), confidence, flow);
    }

    /// A finding with its message already written and the data flow that led to it.
    pub fn report_message(
        &mut self,
        location: Location,
        message: String,
        confidence: Option<Confidence>,
        flow: Vec<FlowStep>,
    ) {
        self.findings.push(Finding {
            rule: self.rule.clone(),
            location,
            message,
            confidence,
            flow,
            related: Vec::new(),
            lowered: false,
        });
    }

    /// A finding of the rule's message with the other places it is about (SARIF
    /// `relatedLocations`).
    pub fn report_related(
        &mut self,
        location: Location,
        args: &[(&str, &str)],
        confidence: Option<Confidence>,
        related: Vec<Related>,
    ) {
        self.report_with(location, args, confidence);
        if let Some(finding) = self.findings.last_mut() {
            finding.related = related;
        }
    }
}

/// The first line of a captured span, cut at 60 characters: how code is quoted in
/// messages.
pub fn excerpt(text: &str) -> String {
    let line = text.lines().next().unwrap_or("");
    if line.chars().count() > 60 {
        format!("{}…", line.chars().take(59).collect::<String>())
    } else {
        line.to_string()
    }
}

/// Replaces `{name}` in a rule's message template with the check's values, in one pass
/// over the template (a placeholder without a value stays as written).
pub fn render_message(template: &str, args: &[(&str, &str)]) -> String {
    let mut message = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        message.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let value = after.find('}').and_then(|close| {
            let key = &after[..close];
            let (_, value) = args.iter().find(|(k, _)| *k == key)?;
            Some((value, close))
        });
        match value {
            Some((value, close)) => {
                message.push_str(value);
                rest = &after[close + 1..];
            }
            None => {
                message.push('{');
                rest = after;
            }
        }
    }
    message.push_str(rest);
    // Held with its finding until the report is written: without the room reserved.
    message.shrink_to_fit();
    message
}

#[cfg(test)]
mod tests {
    use super::render_message;

    #[test]
    fn messages_fill_each_placeholder_once_and_keep_unknown_ones() {
        let args = [
            ("resource", "aws_db_instance.main"),
            ("how", "`{x}` is open"),
        ];
        assert_eq!(
            render_message("`{resource}` {how}; {resource} {unknown} {", &args),
            "`aws_db_instance.main` `{x}` is open; aws_db_instance.main {unknown} {"
        );
    }
}
