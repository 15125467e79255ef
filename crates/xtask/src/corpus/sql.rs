//! PostgreSQL migrations per service (golang-migrate layout: `NNNNNN_name.up.sql` and
//! `.down.sql`): tables, columns, indexes, constraints, views, backfills and seed data,
//! replayed against the tables earlier migrations created.

use std::io;

use super::{Entity, Gen, Out, Ty, WORDS, service_name};

/// How often a schema change is one the rules report: a plain CREATE INDEX on a table
/// that already holds data, a dropped column, a required column without a default, a
/// float for money, a backfill without WHERE, a type change that rewrites the table.
const VULNERABLE: f64 = 0.15;

struct Table {
    name: String,
    columns: Vec<(String, Ty)>,
    indexes: usize,
}

pub(crate) fn generate(rng: &mut Gen, out: &mut Out<'_>) -> io::Result<()> {
    let mut index = 0;
    while !out.full() {
        let service = service_name(index);
        index += 1;
        // The first service is a Supabase project, whose tables DB013 reads.
        let folder = if index == 1 { "supabase" } else { "db" };
        let dir = format!("services/{service}/{folder}/migrations");
        let count = rng.between(3, 7);
        let mut tables: Vec<Table> = Vec::new();
        let mut version = 0;
        let entities = Entity::several(rng, count);
        // A service's history: its tables first, then a few dozen changes to them.
        let changes = rng.between(15, 60);
        for step in 0..count + changes {
            version += 1;
            let (name, up, down) = match entities.get(step) {
                Some(entity) => create_table(rng, entity, &mut tables),
                None => change(rng, &mut tables),
            };
            out.source(&format!("{dir}/{version:06}_{name}.up.sql"), &up)?;
            if let Some(down) = down {
                out.source(&format!("{dir}/{version:06}_{name}.down.sql"), &down)?;
            }
        }
    }
    Ok(())
}

fn create_table(
    rng: &mut Gen,
    entity: &Entity,
    tables: &mut Vec<Table>,
) -> (String, String, Option<String>) {
    let name = entity.plural();
    // Every fifth table of a service is a link table keyed by nothing, whose foreign key
    // has no index, with a timestamp without time zone, and a fee on its parent added
    // NOT NULL without a default, as a float, backfilled without WHERE: what DB001,
    // DB006, DB010, DB003, DB009 and DB011 find.
    if tables.len() % 5 == 4 {
        let parent = &tables[0].name;
        let up = format!(
            "-- Links {name} to {parent}.\nCREATE TABLE {name}_links (\n    {parent}_id uuid NOT NULL REFERENCES {parent} (id),\n    linked_at timestamp NOT NULL DEFAULT now()\n);\n\nALTER TABLE {parent} ADD COLUMN {name}_fee double precision NOT NULL;\n\nUPDATE {parent}\nSET {name}_fee = 0;\n"
        );
        let down = format!("DROP TABLE IF EXISTS {name}_links;\n");
        // The draw a regular table makes for its comment, so the rest of the corpus
        // is the one it was before link tables.
        rng.chance(0.5);
        tables.push(Table {
            name: format!("{name}_links"),
            // Later changes pick among these: the foreign key stays unindexed.
            columns: vec![("linked_at".to_string(), Ty::Timestamp)],
            indexes: 0,
        });
        return (format!("create_{name}_links"), up, Some(down));
    }
    let mut up = format!(
        "-- {} owned by this service.\nCREATE TABLE {name} (\n    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),\n    tenant_id uuid NOT NULL,\n    status text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'active', 'suspended', 'archived')),\n",
        name.replace('_', " ")
    );
    let mut columns = vec![
        ("tenant_id".to_string(), Ty::Uuid),
        ("status".to_string(), Ty::Text),
    ];
    for (field, ty) in &entity.fields {
        let constraint = match ty {
            Ty::Bool => " NOT NULL DEFAULT false",
            Ty::Int | Ty::BigInt => " NOT NULL DEFAULT 0",
            Ty::Json => " NOT NULL DEFAULT '{}'::jsonb",
            _ => "",
        };
        up.push_str(&format!("    {field} {}{constraint},\n", ty.sql()));
        columns.push((field.to_string(), *ty));
    }
    up.push_str("    created_at timestamptz NOT NULL DEFAULT now(),\n    updated_at timestamptz NOT NULL DEFAULT now()\n);\n\n");
    // Indexes on a table created in the same migration cannot block anyone.
    up.push_str(&format!(
        "CREATE INDEX idx_{name}_tenant_created ON {name} (tenant_id, created_at DESC);\n"
    ));
    if let Some((field, _)) = entity
        .fields
        .iter()
        .find(|(f, _)| matches!(*f, "email" | "reference" | "external_id"))
    {
        up.push_str(&format!(
            "CREATE UNIQUE INDEX uq_{name}_{field} ON {name} (tenant_id, {field});\n"
        ));
    }
    if rng.chance(0.5) {
        up.push_str(&format!(
            "\nCOMMENT ON TABLE {name} IS 'Tenant-scoped {}';\n",
            name.replace('_', " ")
        ));
    }
    let down = format!("DROP TABLE IF EXISTS {name};\n");
    tables.push(Table {
        name: name.clone(),
        columns,
        indexes: 2,
    });
    (format!("create_{name}"), up, Some(down))
}

fn change(rng: &mut Gen, tables: &mut [Table]) -> (String, String, Option<String>) {
    let t = rng.between(0, tables.len() - 1);
    let vulnerable = rng.chance(VULNERABLE);
    // Seed and backfill migrations make the long tail of large files.
    let target = rng.size(700.0);
    if target > 2500 && !vulnerable {
        return seed(rng, &tables[t], target);
    }
    let table = &mut tables[t];
    let name = table.name.clone();
    let word = rng.pick(WORDS);
    match rng.between(0, 4) {
        // tenant_id and status stay.
        0 if vulnerable && table.columns.len() > 3 => {
            let (column, _) = table
                .columns
                .remove(rng.between(2, table.columns.len() - 1));
            (
                format!("drop_{name}_{column}"),
                format!(
                    "-- {column} is no longer read since the v2 API.\nALTER TABLE {name} DROP COLUMN {column};\n"
                ),
                None,
            )
        }
        3 if vulnerable => {
            let (column, _) = table.columns[0].clone();
            let up = format!("ALTER TABLE {name} ALTER COLUMN {column} TYPE text;\n");
            (format!("retype_{name}_{column}"), up, None)
        }
        0 | 1 => {
            let column = format!("{word}_note");
            let up = format!(
                "ALTER TABLE {name} ADD COLUMN IF NOT EXISTS {column} text;\n\nUPDATE {name}\nSET {column} = 'migrated'\nWHERE {column} IS NULL AND status <> 'archived';\n"
            );
            let down = format!("ALTER TABLE {name} DROP COLUMN IF EXISTS {column};\n");
            table.columns.push((column.clone(), Ty::Text));
            (format!("add_{name}_{column}"), up, Some(down))
        }
        2 => {
            let (column, _) = table.columns[rng.between(0, table.columns.len() - 1)].clone();
            table.indexes += 1;
            let index = format!("idx_{name}_{column}_{}", table.indexes);
            let up = if vulnerable {
                format!("CREATE INDEX {index} ON {name} ({column});\n")
            } else {
                format!(
                    "-- Built without blocking writes.\nCREATE INDEX CONCURRENTLY IF NOT EXISTS {index} ON {name} ({column}, created_at);\n"
                )
            };
            let down = format!("DROP INDEX IF EXISTS {index};\n");
            (format!("index_{name}_{column}"), up, Some(down))
        }
        3 => {
            let up = format!(
                "CREATE OR REPLACE VIEW active_{name}_{word} AS\nSELECT id, tenant_id, status, created_at\nFROM {name}\nWHERE status IN ('active', 'draft')\n  AND created_at > now() - INTERVAL '90 days';\n"
            );
            let down = format!("DROP VIEW IF EXISTS active_{name}_{word};\n");
            (format!("view_active_{name}_{word}"), up, Some(down))
        }
        _ => {
            let constraint = format!("{name}_{word}_check");
            let up = format!(
                "ALTER TABLE {name}\n    ADD CONSTRAINT {constraint} CHECK (updated_at >= created_at);\n\nUPDATE {name}\nSET updated_at = created_at\nWHERE updated_at < created_at;\n"
            );
            let down = format!("ALTER TABLE {name} DROP CONSTRAINT IF EXISTS {constraint};\n");
            (format!("check_{name}_{word}"), up, Some(down))
        }
    }
}

fn seed(rng: &mut Gen, table: &Table, target: usize) -> (String, String, Option<String>) {
    let name = &table.name;
    let columns: Vec<&(String, Ty)> = table.columns.iter().take(6).collect();
    let list: Vec<&str> = columns.iter().map(|(c, _)| c.as_str()).collect();
    let mut up = format!("-- Reference data for {name}.\n");
    let mut row = 0;
    while up.len() < target {
        up.push_str(&format!(
            "INSERT INTO {name} ({}) VALUES\n",
            list.join(", ")
        ));
        let rows = rng.between(20, 200);
        for i in 0..rows {
            let values: Vec<String> = columns
                .iter()
                .map(|(c, ty)| match c.as_str() {
                    "status" => "'active'".to_string(),
                    _ => ty.sql_value(rng, row),
                })
                .collect();
            row += 1;
            let end = if i + 1 == rows { ";\n\n" } else { ",\n" };
            up.push_str(&format!("    ({}){end}", values.join(", ")));
        }
    }
    let down = format!("DELETE FROM {name} WHERE status = 'active';\n");
    (format!("seed_{name}"), up, Some(down))
}
