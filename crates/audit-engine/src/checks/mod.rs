//! Rules whose logic is Rust: one file per rule under `checks/<domain>/`, registered
//! once below under its id with the slice of the scan it runs on.

mod api;
mod database;
mod terraform;

use audit_core::{Finding, Location, RuleId, RuleMeta, SourceText, Span};
use audit_syntax::StatementKind;

use crate::facts::ProjectFacts;
use crate::project::SqlContext;
use crate::project::terraform::ResourceContext;

/// What a Rust check runs on and the function that does it. Each check file declares
/// its own as `pub const CHECK: Check`, so the plan needs nothing else from the rule.
#[derive(Clone, Copy)]
pub enum Check {
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
    /// Once, with the facts of the whole repository.
    Project {
        run: fn(&ProjectFacts, &mut Emit<'_>),
    },
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
    register!(api::api004_missing_security_headers),
    register!(database::db002_index_blocks_writes),
    register!(database::db004_destructive_migration),
    register!(terraform::tf005_open_ingress),
];

/// The check registered for a rule id.
pub fn lookup(id: &str) -> Option<Check> {
    REGISTRY.iter().find(|r| r.id() == id).map(|r| r.check)
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
