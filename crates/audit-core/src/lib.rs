//! The vocabulary every backend-audit crate shares: rule metadata, severities,
//! languages, source positions and diagnostics. No parsers live here.

mod diagnostic;
mod rule;
mod source;

pub use diagnostic::{Diagnostic, Finding, Note, NoteKind, ScanSummary, Suppressed, fingerprint};
pub use rule::{
    Confidence, Domain, Language, ParseEnumError, RuleDocs, RuleId, RuleMeta, RuleReferences,
    Severity,
};
pub use source::{Context, LineIndex, Location, Position, SourceText, Span};
