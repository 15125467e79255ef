//! Prisma schema files (`schema.prisma`): `model User { ... }` blocks, their `@@map`
//! table names and the `@map` column names of their fields, and the connection string of
//! `datasource` blocks. The language is line-based (one field or attribute per line), so
//! it is read line by line.

use audit_core::Span;

use super::{ColumnNaming, Orm, OrmField, OrmModel};

/// The models of a Prisma schema file.
pub fn prisma_models(text: &str) -> Vec<OrmModel> {
    let mut found = Vec::new();
    let mut current: Option<OrmModel> = None;
    let mut offset = 0;
    for raw in text.split_inclusive('\n') {
        let start = offset;
        offset += raw.len();
        let line = raw.split("//").next().unwrap_or("").trim();
        if let Some(model) = &mut current {
            if line.starts_with('}') {
                model.span = Span::new(model.span.start, start + raw.trim_end().len());
                found.extend(current.take());
            } else if let Some(rest) = line.strip_prefix("@@map(") {
                if let Some(name) = quoted(rest) {
                    model.table = name;
                    model.explicit = true;
                }
            } else if !line.is_empty() && !line.starts_with('@') {
                let name = line.split_whitespace().next().unwrap_or("");
                let column = line
                    .find("@map(")
                    .and_then(|at| quoted(&line[at + 5..]))
                    .unwrap_or_else(|| name.to_string());
                model.fields.push(OrmField {
                    name: name.to_string(),
                    column,
                    relation: false,
                });
            }
            continue;
        }
        let mut words = line.split_whitespace();
        if words.next() == Some("model")
            && let Some(name) = words.next()
            && words.next() == Some("{")
        {
            current = Some(OrmModel {
                orm: Orm::Prisma,
                name: name.to_string(),
                table: name.to_string(),
                explicit: false,
                fields: Vec::new(),
                naming: ColumnNaming::AsWritten,
                span: Span::new(start, start + raw.trim_end().len()),
            });
        }
    }
    found
}

/// The `url = "…"` literals of `datasource` blocks that turn TLS off (`sslmode=disable`,
/// `ssl=false`): the string Prisma connects with. `url = env("DATABASE_URL")` says nothing.
pub fn prisma_tls_off(text: &str) -> Vec<Span> {
    let mut found = Vec::new();
    let mut in_datasource = false;
    let mut offset = 0;
    for raw in text.split_inclusive('\n') {
        let start = offset;
        offset += raw.len();
        let line = raw.split("//").next().unwrap_or("").trim();
        let mut words = line.split_whitespace();
        if !in_datasource {
            in_datasource = words.next() == Some("datasource") && line.ends_with('{');
            continue;
        }
        if line.starts_with('}') {
            in_datasource = false;
            continue;
        }
        // The whole line: a URL's `//` is not a comment.
        let Some(value) = raw
            .trim()
            .strip_prefix("url")
            .and_then(|rest| rest.trim_start().strip_prefix('='))
            .and_then(|rest| rest.trim_start().strip_prefix('"'))
            .and_then(|rest| rest.find('"').map(|end| &rest[..end]))
        else {
            continue;
        };
        let lower = value.to_ascii_lowercase();
        if lower.contains("sslmode=disable") || lower.contains("ssl=false") {
            // The literal with its quotes.
            let at = start + raw.find(value).unwrap_or(1) - 1;
            found.push(Span::new(at, at + value.len() + 2));
        }
    }
    found
}

/// The first double-quoted string of `text`.
fn quoted(text: &str) -> Option<String> {
    let open = text.find('"')?;
    let rest = &text[open + 1..];
    Some(rest[..rest.find('"')?].to_string())
}
