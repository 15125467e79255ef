//! Rules whose logic is Rust: one file per rule under `checks/<domain>/`, registered
//! once below under its id with the slice of the scan it runs on.

mod api;
mod database;
mod terraform;

use audit_core::{Finding, Location, RuleId, RuleMeta, SourceText, Span};

use crate::facts::ProjectFacts;
use crate::project::SqlContext;
use crate::project::terraform::ResourceContext;
use crate::rules::Dispatch;

/// A Rust check; the variant says what it is called with.
#[derive(Clone, Copy)]
pub enum CheckFn {
    Sql(fn(&SqlContext<'_>, &mut Emit<'_>)),
    Terraform(fn(&ResourceContext<'_>, &mut Emit<'_>)),
    Project(fn(&ProjectFacts, &mut Emit<'_>)),
}

impl std::fmt::Debug for CheckFn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            CheckFn::Sql(_) => "CheckFn::Sql",
            CheckFn::Terraform(_) => "CheckFn::Terraform",
            CheckFn::Project(_) => "CheckFn::Project",
        })
    }
}

/// Every Rust check, by rule id.
pub const REGISTRY: &[(&str, CheckFn)] = &[
    (
        "API004",
        CheckFn::Project(api::api004_missing_security_headers::check),
    ),
    (
        "DB002",
        CheckFn::Sql(database::db002_index_blocks_writes::check),
    ),
    (
        "DB004",
        CheckFn::Sql(database::db004_destructive_migration::check),
    ),
    (
        "TF005",
        CheckFn::Terraform(terraform::tf005_open_ingress::check),
    ),
];

pub fn lookup(id: &str) -> Option<CheckFn> {
    REGISTRY
        .iter()
        .find(|(rule, _)| *rule == id)
        .map(|(_, check)| *check)
}

impl CheckFn {
    /// A check must be dispatched the way its signature expects.
    pub fn validate(&self, dispatch: &Dispatch) -> Result<(), String> {
        match (self, dispatch) {
            (CheckFn::Sql(_), Dispatch::Sql(_))
            | (CheckFn::Terraform(_), Dispatch::Terraform(_))
            | (CheckFn::Project(_), Dispatch::Phase(_)) => Ok(()),
            (check, dispatch) => Err(format!("{check:?} cannot be dispatched as {dispatch:?}")),
        }
    }
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
        let template = self
            .meta
            .map_or(self.template, |meta| meta.message_for(&location.path));
        self.findings.push(Finding {
            rule: self.rule.clone(),
            location,
            message: render_message(template, args),
        });
    }
}

/// Replaces `{name}` in a rule's message template with the check's values.
pub fn render_message(template: &str, args: &[(&str, &str)]) -> String {
    let mut message = template.to_string();
    for (key, value) in args {
        message = message.replace(&format!("{{{key}}}"), value);
    }
    message
}

/// Lower-cased last part of a SQL object name (`public."Users"` -> `Users`, `users` ->
/// `users`): the key tables are known by in the schema model.
pub fn table_key(name: &audit_syntax::sqlparser::ast::ObjectName) -> String {
    name.0
        .last()
        .and_then(|part| part.as_ident())
        .map(|ident| {
            if ident.quote_style.is_some() {
                ident.value.clone()
            } else {
                ident.value.to_lowercase()
            }
        })
        .unwrap_or_else(|| name.to_string())
}
