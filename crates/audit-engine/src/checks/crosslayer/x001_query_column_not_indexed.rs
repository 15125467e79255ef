//! X001: a read in code filtering or joining on columns of a migrated table that no
//! index of the replayed schema starts with.

use audit_model::orm;
use audit_model::queries::Client;
use audit_model::schema::{Name, Table};

use crate::checks::{Check, CrossLayerContext, Emit};
use crate::project::crosslayer::{Read, ReadTable};
use audit_core::Confidence;

pub const CHECK: Check = Check::CrossLayer { run: check };

fn check(ctx: &CrossLayerContext<'_>, out: &mut Emit<'_>) {
    if ctx.schemas.is_empty() {
        return;
    }
    for (_, use_) in &ctx.files {
        for read in &use_.reads {
            for table in &read.tables {
                check_table(ctx, read, table, out);
            }
        }
    }
}

/// How a query's table name was matched to the schema.
struct Resolved {
    table: String,
    columns: Vec<String>,
    /// How the name was joined, for the message ("" for a table named in SQL).
    via: String,
    confidence: Confidence,
}

fn resolve(ctx: &CrossLayerContext<'_>, read: &Read, table: &ReadTable) -> Option<Resolved> {
    if !table.by_model {
        return Some(Resolved {
            table: table.name.clone(),
            columns: table.columns.clone(),
            via: String::new(),
            confidence: Confidence::High,
        });
    }
    if let Some(model) = ctx
        .models
        .iter()
        .find(|m| orm::refers_to(read.client, &table.name, m))
    {
        let how = if model.explicit {
            "as its model declares"
        } else {
            "by the ORM's naming convention"
        };
        return Some(Resolved {
            table: model.table.clone(),
            columns: table.columns.iter().map(|c| model.column(c)).collect(),
            via: format!(" (model `{}` maps to `{}` {how})", model.name, model.table),
            confidence: if model.explicit {
                Confidence::High
            } else {
                Confidence::Medium
            },
        });
    }
    // No scanned class declares the model: the ORM's convention, where it has one;
    // Django's `<app>_<model>` when exactly one migrated table ends so.
    let guess = orm::conventional_tables(read.client, &table.name)
        .into_iter()
        .find(|t| ctx.table(t).is_some())
        .or_else(|| {
            (read.client == Client::Django)
                .then(|| ctx.table_with_suffix(&format!("_{}", table.name.to_lowercase())))
                .flatten()
        })?;
    Some(Resolved {
        via: format!(
            " (model `{}` taken to be table `{guess}` by the ORM's naming convention)",
            table.name
        ),
        table: guess,
        columns: table.columns.clone(),
        confidence: Confidence::Medium,
    })
}

fn check_table(ctx: &CrossLayerContext<'_>, read: &Read, written: &ReadTable, out: &mut Emit<'_>) {
    let Some(resolved) = resolve(ctx, read, written) else {
        return;
    };
    let Some((_, key, table)) = ctx.table(&resolved.table) else {
        return;
    };
    if !table.columns_known {
        return;
    }
    // Only columns the schema knows for this table: a relation, an alias or another
    // table's column of a join says nothing about this table's indexes.
    let mut columns: Vec<Name> = Vec::new();
    for column in &resolved.columns {
        if let Some(name) =
            known_column(table, column).or_else(|| django_column(read.client, table, column))
            && !columns.contains(&name)
        {
            columns.push(name);
        }
    }
    if columns.is_empty() || served(table, &columns) {
        return;
    }
    let listed: Vec<String> = columns.iter().map(|c| format!("`{c}`")).collect();
    let names: Vec<&str> = columns.iter().map(Name::as_str).collect();
    let quoted: Vec<String> = names.iter().map(|n| identifier(n)).collect();
    let index = format!(
        "CREATE INDEX {} ON {} ({})",
        identifier(&format!("{}_{}_idx", key.name, names.join("_"))),
        identifier(key.name.as_str()),
        quoted.join(", ")
    );
    let table_label = key.to_string();
    let migration = table.created_in.to_string();
    let columns_text = listed.join(", ");
    let args = [
        ("table", table_label.as_str()),
        ("columns", columns_text.as_str()),
        ("via", resolved.via.as_str()),
        ("migration", migration.as_str()),
        ("index", index.as_str()),
    ];
    let related = ctx.creation(&key, table).into_iter().collect();
    out.report_related(
        read.location.clone(),
        &args,
        Some(resolved.confidence),
        related,
    );
}

/// The table's column a query's column names, unquoted names folded as SQL folds them.
fn known_column(table: &Table, column: &str) -> Option<Name> {
    [Name::new(column, true), Name::new(column, false)]
        .into_iter()
        .find(|name| table.column(name).is_some())
}

/// What a Django lookup names when no scanned model says: `pk` is the primary key, a
/// relation `author` is stored as `author_id`.
fn django_column(client: Client, table: &Table, field: &str) -> Option<Name> {
    if client != Client::Django {
        return None;
    }
    if field == "pk" {
        return table.primary_key.as_ref()?.first().cloned();
    }
    known_column(table, &format!("{field}_id"))
}

/// An index serves the read when its leading column is one of the columns the read
/// filters or joins on: the database can seek by it and filter the rest. A partial
/// index counts when the read also filters on the other columns its condition names.
fn served(table: &Table, columns: &[Name]) -> bool {
    table.indexes.iter().any(|index| {
        index.rows.may_serve_reads_by(columns, &index.columns)
            && index.columns.first().is_some_and(|c| columns.contains(c))
    }) || table
        .primary_key
        .as_ref()
        .and_then(|pk| pk.first())
        .is_some_and(|c| columns.contains(c))
}

/// A name as SQL must write it: quoted when it is not all lower case.
fn identifier(name: &str) -> String {
    if name.chars().any(|c| c.is_ascii_uppercase()) {
        format!("\"{name}\"")
    } else {
        name.to_string()
    }
}
