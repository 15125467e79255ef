pub mod db002_index_blocks_writes;
pub mod db004_destructive_migration;

use audit_model::schema::table_key;
use audit_syntax::sqlparser::ast::ObjectName;

use crate::project::SqlContext;

/// How messages name a table: its schema key (`public."Orders"` -> `Orders`, the schema
/// left out as everywhere in the model), or, when a template or psql placeholder stands
/// for the name itself (`{{ .Table }}`, `${table}`), that placeholder as written.
/// `{{ index .Options "Namespace" }}.sessions` is therefore `sessions`.
pub(crate) fn table_label(ctx: &SqlContext<'_>, name: &ObjectName) -> String {
    let text = &ctx.source.text;
    let written = name
        .0
        .last()
        .and_then(|part| part.as_ident())
        .and_then(|ident| ctx.file.byte_span(text, ident.span));
    if let Some(span) = written {
        let original = &text[span.start..span.end];
        if ctx.file.parsed_text(text).get(span.start..span.end) != Some(original) {
            return original.to_string();
        }
    }
    table_key(name)
}
