//! The plan: enabled rules compiled once, indexed by what dispatches them.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::OnceLock;

use audit_model::taint::{self, NonLiteral, TaintSpec};
use audit_syntax::tree_sitter::Query;
use audit_syntax::{Grammar, StatementKind};

use crate::anchors::{Anchors, LiteralSets};
use crate::checks::{self, Check, CodeContext, Emit, RouteContext, SpecContext, TextContext};
use crate::facts::ProjectFacts;
use crate::project::SqlContext;
use crate::project::terraform::ResourceContext;
use crate::rules::{Matcher, Rule, RuleIdx, TaintMatcher, TerraformAssertion};

/// One grammar's combined query: every enabled query rule's patterns, compiled when the
/// scan first meets a file of that grammar. tree-sitter's analysis of a query against a
/// JavaScript grammar takes about 20 ms, so a repository without TypeScript never pays
/// for it, and a plan without query rules (the built-in rules are Rust) has no query.
pub struct GrammarPlan {
    grammar: Grammar,
    source: String,
    ranges: Vec<(Range<usize>, RuleIdx)>,
    compiled: OnceLock<Result<CompiledQuery, PlanError>>,
}

/// A grammar's patterns split by how they can be started: those with anchors only at
/// nodes that hold one, the rest (custom rules without an `#eq?`/`#any-of?`) in a query
/// of their own over the whole tree, so they do not turn anchoring off for the others.
pub struct CompiledQuery {
    pub anchored: Option<(QueryPart, Anchors)>,
    pub whole_tree: Option<QueryPart>,
}

pub struct QueryPart {
    pub query: Query,
    /// Pattern index -> the rule it belongs to.
    pub owners: Vec<RuleIdx>,
    pub report_capture: Option<u32>,
}

impl QueryPart {
    fn new(query: Query, owners: Vec<RuleIdx>) -> QueryPart {
        let report_capture = query.capture_index_for_name("report");
        QueryPart {
            query,
            owners,
            report_capture,
        }
    }
}

impl GrammarPlan {
    /// The compiled query; `rules` are the plan's, to name a rule that breaks it.
    pub fn compiled(&self, rules: &[Rule]) -> Result<&CompiledQuery, &PlanError> {
        self.compiled.get_or_init(|| self.compile(rules)).as_ref()
    }

    fn compile(&self, rules: &[Rule]) -> Result<CompiledQuery, PlanError> {
        let (grammar, source, ranges) = (self.grammar, &self.source, &self.ranges);
        let mut query = Query::new(&grammar.language(), source)
            .map_err(|e| blame(rules, grammar, source, ranges, e))?;
        let owner_at = |start: usize| {
            ranges
                .iter()
                .find(|(r, _)| r.contains(&start))
                .map(|(_, o)| *o)
                .expect("pattern inside a source range")
        };
        let owners: Vec<RuleIdx> = (0..query.pattern_count())
            .map(|i| owner_at(query.start_byte_for_pattern(i)))
            .collect();
        let (anchors, unanchored) = Anchors::new(&query, source);
        if unanchored.is_empty() {
            return Ok(CompiledQuery {
                anchored: Some((QueryPart::new(query, owners), anchors)),
                whole_tree: None,
            });
        }
        if unanchored.len() == query.pattern_count() {
            return Ok(CompiledQuery {
                anchored: None,
                whole_tree: Some(QueryPart::new(query, owners)),
            });
        }
        // The unanchored patterns again, alone: each was compiled above, so this cannot
        // fail unless the combination did.
        let mut rest = String::new();
        let mut rest_owners = Vec::with_capacity(unanchored.len());
        for &i in &unanchored {
            rest.push_str(&source[query.start_byte_for_pattern(i)..query.end_byte_for_pattern(i)]);
            rest.push('\n');
            rest_owners.push(owners[i]);
        }
        let whole_tree = Query::new(&grammar.language(), &rest)
            .map_err(|e| PlanError(format!("unanchored {grammar:?} patterns: {e}")))?;
        for &i in &unanchored {
            query.disable_pattern(i);
        }
        Ok(CompiledQuery {
            anchored: Some((QueryPart::new(query, owners), anchors)),
            whole_tree: Some(QueryPart::new(whole_tree, rest_owners)),
        })
    }
}

pub struct Plan {
    pub rules: Vec<Rule>,
    pub grammars: HashMap<Grammar, GrammarPlan>,
    pub sql: HashMap<StatementKind, Vec<(RuleIdx, SqlCheck)>>,
    /// Terraform resource type -> rules (assertions or Rust checks).
    pub terraform: HashMap<String, Vec<(RuleIdx, TerraformMatcher)>>,
    pub project: Vec<(RuleIdx, ProjectCheck)>,
    pub routes: Vec<(RuleIdx, RoutesCheck)>,
    /// Checks over the project's OpenAPI specs, and whether each reads the routes too.
    pub specs: Vec<(RuleIdx, SpecsCheck, bool)>,
    /// Checks joining code queries and connections with the schema and Terraform.
    pub cross_layer: Vec<(RuleIdx, CrossLayerCheck)>,
    /// The route table is wanted for itself (`backend-audit routes`).
    pub inventory: bool,
    /// Rust checks over JS/TS/Python files, per grammar.
    pub code: HashMap<Grammar, CodeChecks>,
    /// Rust checks over the text of every file of their languages.
    pub text: Vec<(RuleIdx, TextCheck)>,
    /// Every enabled taint rule, answered by one data-flow pass per file.
    pub taint: Option<TaintPlan>,
    /// Per grammar (in [`Grammar::ALL`]'s order), built for its first file, when
    /// [`Plan::inventory`] is settled.
    text_searches: [OnceLock<TextSearch>; Grammar::ALL.len()],
}

/// The enabled taint rules as one spec for the data-flow model (rule `i` of the spec is
/// `rules[i]`), and the literal search that says whether a file can hold a sink.
pub struct TaintPlan {
    pub spec: TaintSpec,
    pub rules: Vec<(RuleIdx, Option<String>)>,
    /// Sink names: the data-flow model is built only for a file holding one ...
    sinks: Vec<String>,
    /// ... and one of these: request-source text, SQL keywords when a sink reports built
    /// SQL, and the names of sinks that report any non-literal value.
    reasons: Vec<String>,
}

impl TaintPlan {
    fn new(entries: Vec<(RuleIdx, TaintMatcher)>) -> TaintPlan {
        let mut sinks: Vec<String> = Vec::new();
        let mut reasons: Vec<String> = taint::SOURCE_ANCHORS
            .iter()
            .map(|a| a.to_string())
            .collect();
        let mut spec_rules = Vec::with_capacity(entries.len());
        let mut rules = Vec::with_capacity(entries.len());
        for (index, matcher) in entries {
            for sink in &matcher.rule.sinks {
                let names: Vec<String> = sink
                    .functions
                    .iter()
                    .map(|f| f.rsplit('.').next().unwrap_or(f))
                    .chain(sink.methods.iter().map(String::as_str))
                    .map(str::to_owned)
                    .collect();
                match sink.nonliteral {
                    NonLiteral::Never => {}
                    NonLiteral::Sql => {
                        reasons.extend(taint::SQL_ANCHORS.iter().map(|a| a.to_string()))
                    }
                    NonLiteral::Any | NonLiteral::Building => reasons.extend(names.iter().cloned()),
                }
                // A constructor sink has no name to look for, only its syntax.
                if sink.any_constructor {
                    sinks.push("new ".into());
                    sinks.push("(**".into());
                }
                sinks.extend(names);
            }
            spec_rules.push(matcher.rule);
            rules.push((index, matcher.nonliteral_message));
        }
        for list in [&mut sinks, &mut reasons] {
            list.sort();
            list.dedup();
        }
        TaintPlan {
            spec: TaintSpec::new(spec_rules),
            rules,
            sinks,
            reasons,
        }
    }
}

pub type CodeCheck = fn(&CodeContext<'_>, &mut Emit<'_>);
type CodeCheckEntry = (RuleIdx, &'static [&'static str], CodeCheck);

/// A grammar's code checks and the anchors that say which a file needs.
pub struct CodeChecks {
    checks: Vec<(RuleIdx, CodeCheck)>,
    /// Checks that run on every file of the grammar.
    always: Vec<usize>,
    /// Searched for with the grammar's [`TextSearch`] ([`Sought::CheckAnchors`]).
    literals: Vec<&'static str>,
    /// Anchor literal -> the check it lets run.
    owners: Vec<usize>,
}

impl CodeChecks {
    fn new(entries: Vec<CodeCheckEntry>) -> CodeChecks {
        let mut checks = Vec::with_capacity(entries.len());
        let (mut always, mut literals, mut owners) = (Vec::new(), Vec::new(), Vec::new());
        for (i, (rule, anchors, run)) in entries.into_iter().enumerate() {
            checks.push((rule, run));
            if anchors.is_empty() {
                always.push(i);
            }
            for anchor in anchors {
                literals.push(*anchor);
                owners.push(i);
            }
        }
        CodeChecks {
            checks,
            always,
            literals,
            owners,
        }
    }

    /// The checks a file needs, in registry order, from the occurrences of their anchors
    /// in its text.
    pub fn due(&self, found: &TextHits) -> Vec<(RuleIdx, CodeCheck)> {
        let mut due = vec![false; self.checks.len()];
        for &i in &self.always {
            due[i] = true;
        }
        for &(literal, _) in found.hits(Sought::CheckAnchors) {
            due[self.owners[literal]] = true;
        }
        self.checks
            .iter()
            .zip(due)
            .filter(|(_, due)| *due)
            .map(|(check, _)| *check)
            .collect()
    }
}

/// What the per-file pass looks for in a code file's text, to know which checks and
/// models the file needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sought {
    /// The code checks' anchors ([`CodeChecks::due`]).
    CheckAnchors,
    /// [`TaintPlan`]'s sink names and reasons.
    TaintSinks,
    TaintReasons,
    /// Text a route declaration cannot do without (`audit_model::routes::ANCHORS`).
    RouteAnchors,
    /// The cross-layer facts' database calls and ORM models.
    DatabaseCalls,
    ModelAnchors,
    /// The keywords the JavaScript facts are read at (`facts::KEYWORDS`).
    FactKeywords,
}

impl Sought {
    const ALL: [Sought; 7] = [
        Sought::CheckAnchors,
        Sought::TaintSinks,
        Sought::TaintReasons,
        Sought::RouteAnchors,
        Sought::DatabaseCalls,
        Sought::ModelAnchors,
        Sought::FactKeywords,
    ];
}

/// One grammar's literal search: every set the plan's readers need, in one pass per file.
/// A set no enabled reader needs is left empty, so its literals cost no hits.
pub struct TextSearch {
    sets: LiteralSets,
}

impl TextSearch {
    fn new(plan: &Plan, grammar: Grammar) -> TextSearch {
        let sets = Sought::ALL.map(|sought| -> Vec<&str> {
            match sought {
                Sought::CheckAnchors => plan
                    .code
                    .get(&grammar)
                    .map(|code| code.literals.clone())
                    .unwrap_or_default(),
                Sought::TaintSinks => plan
                    .taint
                    .iter()
                    .flat_map(|taint| taint.sinks.iter().map(String::as_str))
                    .collect(),
                Sought::TaintReasons => plan
                    .taint
                    .iter()
                    .flat_map(|taint| taint.reasons.iter().map(String::as_str))
                    .collect(),
                Sought::RouteAnchors if plan.needs_routes() => {
                    audit_model::routes::ANCHORS.to_vec()
                }
                Sought::DatabaseCalls if !plan.cross_layer.is_empty() => {
                    audit_model::queries::ANCHORS.to_vec()
                }
                Sought::ModelAnchors if !plan.cross_layer.is_empty() => {
                    audit_model::orm::ANCHORS.to_vec()
                }
                Sought::FactKeywords
                    if grammar.is_javascript_family() && !plan.project.is_empty() =>
                {
                    crate::facts::KEYWORDS.to_vec()
                }
                _ => Vec::new(),
            }
        });
        TextSearch {
            sets: LiteralSets::new(&sets),
        }
    }

    pub fn search(&self, text: &str) -> TextHits {
        TextHits {
            hits: self.sets.search(text.as_bytes()),
        }
    }
}

/// A file's occurrences of what was [`Sought`].
pub struct TextHits {
    hits: Vec<Vec<(usize, usize)>>,
}

impl TextHits {
    /// The occurrences of one set: (index of the literal in its set, start), by start.
    pub fn hits(&self, sought: Sought) -> &[(usize, usize)] {
        &self.hits[sought as usize]
    }

    pub fn holds(&self, sought: Sought) -> bool {
        !self.hits(sought).is_empty()
    }

    /// Whether the file names a sink and has a reason for one to report (request input,
    /// or what a non-literal sink watches for): only then is the data-flow model built.
    pub fn taint_anchored(&self) -> bool {
        self.holds(Sought::TaintSinks) && self.holds(Sought::TaintReasons)
    }
}

pub type TextCheck = fn(&TextContext<'_, '_>, &mut Emit<'_>);
pub type SqlCheck = fn(&SqlContext<'_>, &mut Emit<'_>);
pub type ResourceCheck = fn(&ResourceContext<'_>, &mut Emit<'_>);
pub type ProjectCheck = fn(&ProjectFacts, &mut Emit<'_>);
pub type RoutesCheck = fn(&RouteContext<'_>, &mut Emit<'_>);
pub type SpecsCheck = fn(&SpecContext<'_>, &mut Emit<'_>);
pub type CrossLayerCheck = fn(&crate::checks::CrossLayerContext<'_>, &mut Emit<'_>);

#[derive(Clone)]
pub enum TerraformMatcher {
    Assertion(TerraformAssertion),
    Check(ResourceCheck),
}

/// A grammar's combined query text and which byte range of it belongs to whom.
type QuerySource = (String, Vec<(Range<usize>, RuleIdx)>);

/// A rule whose matcher does not compile, named so the author knows which.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanError(pub String);

impl std::fmt::Display for PlanError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Plan {
    /// Whether the per-file pass extracts routes: a route check is enabled or the route
    /// table is wanted for itself.
    pub fn needs_routes(&self) -> bool {
        self.inventory || !self.routes.is_empty() || self.specs.iter().any(|(_, _, r)| *r)
    }

    /// The literal search of `grammar`'s files.
    pub fn text_search(&self, grammar: Grammar) -> &TextSearch {
        let slot = Grammar::ALL
            .iter()
            .position(|g| *g == grammar)
            .expect("Grammar::ALL holds every grammar");
        self.text_searches[slot].get_or_init(|| TextSearch::new(self, grammar))
    }

    /// Whether YAML and JSON files are read for OpenAPI specs.
    pub fn needs_specs(&self) -> bool {
        !self.specs.is_empty()
    }

    /// Compiles the rules `enabled` says yes to; others are kept for metadata only.
    pub fn compile(rules: Vec<Rule>, enabled: impl Fn(RuleIdx) -> bool) -> Result<Plan, PlanError> {
        let mut plan = Plan {
            rules: Vec::new(),
            grammars: HashMap::new(),
            sql: HashMap::new(),
            terraform: HashMap::new(),
            project: Vec::new(),
            routes: Vec::new(),
            specs: Vec::new(),
            cross_layer: Vec::new(),
            inventory: false,
            code: HashMap::new(),
            text: Vec::new(),
            taint: None,
            text_searches: Default::default(),
        };
        let mut taint_rules = Vec::new();
        let mut sources: HashMap<Grammar, QuerySource> = HashMap::new();
        let mut code_checks: HashMap<Grammar, Vec<CodeCheckEntry>> = HashMap::new();

        for index in RuleIdx::all(&rules) {
            let rule = &rules[index];
            if !enabled(index) {
                continue;
            }
            match &rule.matcher {
                Matcher::Query(queries) => {
                    for grammar in Grammar::ALL {
                        let Some(text) = query_for(queries, grammar) else {
                            continue;
                        };
                        if !rule_covers(rule, grammar) {
                            continue;
                        }
                        // Built-in queries are checked by the test suite; compiling each
                        // again here would double the start-up cost.
                        if !rule.builtin {
                            compile_alone(rule, grammar, text)?;
                        }
                        let (source, owners) = sources.entry(grammar).or_default();
                        let start = source.len();
                        source.push_str(text);
                        source.push('\n');
                        owners.push((start..source.len(), index));
                    }
                }
                Matcher::Terraform(assertions) => {
                    for assertion in assertions {
                        for resource in &assertion.resources {
                            plan.terraform
                                .entry(resource.clone())
                                .or_default()
                                .push((index, TerraformMatcher::Assertion(assertion.clone())));
                        }
                    }
                }
                Matcher::Taint(matcher) => {
                    // The model keeps a rule per bit of a u64, one bit for itself.
                    if taint_rules.len() == 63 {
                        return Err(PlanError(format!(
                            "{}: at most 63 taint rules can be enabled at once",
                            rule.origin
                        )));
                    }
                    taint_rules.push((index, matcher.clone()));
                }
                Matcher::Rust => {
                    let check = checks::lookup(rule.id().as_str()).ok_or_else(|| {
                        PlanError(format!(
                            "{}: no Rust check is registered for {}",
                            rule.origin,
                            rule.id()
                        ))
                    })?;
                    // A rule that runs on several slices of the scan lists each.
                    let parts = match &check {
                        Check::Several(parts) => parts,
                        single => std::slice::from_ref(single),
                    };
                    for check in parts.iter().copied() {
                        match check {
                            Check::Code { anchors, run } => {
                                for grammar in Grammar::ALL {
                                    if rule_covers(rule, grammar) {
                                        let checks = code_checks.entry(grammar).or_default();
                                        checks.push((index, anchors, run));
                                    }
                                }
                            }
                            Check::Sql { statements, run } => {
                                for kind in statements {
                                    plan.sql.entry(*kind).or_default().push((index, run));
                                }
                            }
                            Check::Terraform { resources, run } => {
                                for ty in resources {
                                    plan.terraform
                                        .entry(ty.to_string())
                                        .or_default()
                                        .push((index, TerraformMatcher::Check(run)));
                                }
                            }
                            Check::Text { run } => plan.text.push((index, run)),
                            Check::Project { run } => plan.project.push((index, run)),
                            Check::Routes { run } => plan.routes.push((index, run)),
                            Check::Specs { routes, run } => plan.specs.push((index, run, routes)),
                            Check::CrossLayer { run } => plan.cross_layer.push((index, run)),
                            Check::Several(_) => {}
                        }
                    }
                }
            }
        }

        if !taint_rules.is_empty() {
            plan.taint = Some(TaintPlan::new(taint_rules));
        }
        plan.code = code_checks
            .into_iter()
            .map(|(grammar, checks)| (grammar, CodeChecks::new(checks)))
            .collect();
        for (grammar, (source, ranges)) in sources {
            plan.grammars.insert(
                grammar,
                GrammarPlan {
                    grammar,
                    source,
                    ranges,
                    compiled: OnceLock::new(),
                },
            );
        }
        plan.rules = rules;
        Ok(plan)
    }

    /// The text checks that read files of `language`.
    pub fn text_checks(
        &self,
        language: audit_core::Language,
    ) -> impl Iterator<Item = &(RuleIdx, TextCheck)> {
        self.text
            .iter()
            .filter(move |(rule, _)| self.rules[*rule].applies_to(language))
    }

    /// Whether files of the text-file class are read at all.
    pub fn reads_text_files(&self) -> bool {
        self.text_checks(audit_core::Language::Text)
            .next()
            .is_some()
    }

    /// Whether a file of the text-file class is read: for the text checks, or, YAML and
    /// JSON, for the OpenAPI specs among them; a sqitch plan for the schema replay.
    pub fn reads_text_file(&self, kind: audit_core::TextKind) -> bool {
        use audit_core::TextKind::{Json, Prisma, SqitchPlan, Yaml};
        self.reads_text_files()
            || self.needs_specs() && matches!(kind, Yaml | Json)
            || !self.cross_layer.is_empty() && kind == Prisma
            || self.replays_schema() && kind == SqitchPlan
    }

    /// Whether a check reads the migrations' replay or the SQL files' facts (SQL,
    /// project and cross-layer checks).
    pub fn replays_schema(&self) -> bool {
        !(self.sql.is_empty() && self.project.is_empty() && self.cross_layer.is_empty())
    }

    /// Compiles every grammar's query now rather than on first use: the first error.
    pub fn compile_queries(&self) -> Result<(), PlanError> {
        for grammar in self.grammars.values() {
            grammar.compiled(&self.rules).map_err(Clone::clone)?;
        }
        Ok(())
    }

    /// The error of a query compiled during the scan, if one failed.
    pub fn query_error(&self) -> Option<&PlanError> {
        self.grammars
            .values()
            .find_map(|g| g.compiled.get()?.as_ref().err())
    }
}

/// Names the rule whose patterns break a combined query, by compiling each part alone.
fn blame(
    rules: &[Rule],
    grammar: Grammar,
    source: &str,
    ranges: &[(Range<usize>, RuleIdx)],
    error: audit_syntax::tree_sitter::QueryError,
) -> PlanError {
    for (range, index) in ranges {
        if let Err(e) = compile_alone(&rules[*index], grammar, &source[range.clone()]) {
            return e;
        }
    }
    PlanError(format!("combined {grammar:?} query: {error}"))
}

fn query_for(
    queries: &std::collections::BTreeMap<String, String>,
    grammar: Grammar,
) -> Option<&str> {
    let key = if grammar.is_javascript_family() {
        "javascript"
    } else {
        "python"
    };
    queries.get(key).map(String::as_str)
}

fn rule_covers(rule: &Rule, grammar: Grammar) -> bool {
    use audit_core::Language;
    match grammar {
        // JS files may be parsed with the TSX grammar (Flow, JSX); JS rules follow them.
        Grammar::JavaScript => rule.applies_to(Language::JavaScript),
        Grammar::TypeScript => rule.applies_to(Language::TypeScript),
        Grammar::Tsx => {
            rule.applies_to(Language::Tsx)
                || rule.applies_to(Language::JavaScript)
                || rule.applies_to(Language::TypeScript)
        }
        Grammar::Python => rule.applies_to(Language::Python),
    }
}

/// Compiles one rule's query alone, so an error names the rule, and checks that it
/// has a `@report` capture and only predicates tree-sitter evaluates itself.
pub fn compile_alone(rule: &Rule, grammar: Grammar, text: &str) -> Result<Query, PlanError> {
    let query = Query::new(&grammar.language(), text)
        .map_err(|e| PlanError(format!("{} ({grammar:?} query): {e}", rule.origin)))?;
    if query.capture_index_for_name("report").is_none() {
        return Err(PlanError(format!(
            "{}: the query has no @report capture",
            rule.origin
        )));
    }
    for i in 0..query.pattern_count() {
        if let Some(p) = query.general_predicates(i).first() {
            return Err(PlanError(format!(
                "{}: unsupported predicate #{}",
                rule.origin, p.operator
            )));
        }
    }
    Ok(query)
}
