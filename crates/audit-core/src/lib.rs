//! The vocabulary every backend-audit crate shares: rule metadata, severities,
//! languages, source positions and diagnostics. No parsers live here.

mod diagnostic;
mod rule;
mod source;
mod test_code;
mod text_file;

pub use diagnostic::{
    Diagnostic, Finding, FlowStep, Note, NoteKind, Related, ScanSummary, Suppressed, fingerprint,
};
pub use rule::{
    Confidence, Domain, Language, LanguageMessages, ParseEnumError, RuleDocs, RuleId, RuleMeta,
    RuleReferences, Severity, TestCode,
};
pub use source::{
    Context, LineIndex, Location, MAX_INDEXED_BYTES, Position, SourceText, Span, mask,
};
pub use test_code::is_test_path;
pub use text_file::TextKind;
