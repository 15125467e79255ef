//! `backend-audit routes`: the route table as a text table or JSON (schema in
//! docs/routes.md, versioned like the scan JSON).

use std::io::Write;

use audit_core::NoteKind;
use audit_engine::route_model::{GuardKind, Route, Status};
use audit_engine::{CliSelection, ConfigFile, RouteTable, ScanRequest};
use serde_json::json;

use crate::cli::{RoutesArgs, RulesFormat};

/// Version of the JSON document's shape; bumped on any incompatible change.
const ROUTES_SCHEMA_VERSION: u32 = 1;

pub fn run(args: RoutesArgs) -> Result<u8, String> {
    let paths: Vec<_> = args.path.iter().cloned().collect();
    let target = crate::root::resolve(&paths)?;
    let config = match &args.config {
        Some(path) => ConfigFile::load(path).map_err(|e| e.to_string())?,
        None => {
            ConfigFile::discover(&target.root)
                .map_err(|e| e.to_string())?
                .0
        }
    };
    let mut output: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(
            std::fs::File::create(path)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?,
        ),
        None => Box::new(std::io::stdout().lock()),
    };
    // Read-only from here on, as for `scan`.
    let _sandbox = crate::sandbox::enforce();
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let (table, scanned) = audit_engine::routes(ScanRequest {
        root: target.root,
        only: target.only,
        walk_only: target.walk_only,
        config,
        cli: CliSelection::default(),
        threads,
        extra_rules: None,
        progress: None,
        language: None,
        stage: audit_engine::Stage::Full,
    })
    .map_err(|e| e.to_string())?;
    let rendered = match args.format {
        RulesFormat::Text => text(&table),
        RulesFormat::Json => json(&table),
    };
    output
        .write_all(rendered.as_bytes())
        .and_then(|()| output.flush())
        .map_err(|e| format!("cannot write the route table: {e}"))?;
    // Notes on what could not be read; suppressions and SQL are not this command's.
    let relevant =
        |kind: NoteKind| !matches!(kind, NoteKind::UnusedSuppression | NoteKind::Unmodelled);
    for note in scanned.notes.iter().filter(|n| relevant(n.kind)) {
        if let Some(path) = &note.path {
            eprintln!("backend-audit: {path}: {}", note.message);
        }
    }
    Ok(0)
}

/// The guards that say who may call the route and how often: middleware of unknown
/// purpose (body parsers, CORS, static files) is in the JSON only.
fn guards(route: &Route) -> String {
    route
        .guards
        .iter()
        .filter(|g| g.kind != GuardKind::Other)
        .map(|g| format!("{} ({})", g.name, g.kind.name()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn text(table: &RouteTable) -> String {
    if table.routes.is_empty() {
        return "No routes found (Express, Fastify, Koa, NestJS, Flask and FastAPI are read).\n"
            .into();
    }
    let rows: Vec<[String; 5]> = table
        .routes
        .iter()
        .map(|r| {
            let path = if r.partial {
                format!("{} (prefix unknown)", r.path)
            } else {
                r.path.clone()
            };
            [
                r.methods.join(","),
                path,
                r.handler.as_deref().unwrap_or("-").to_string(),
                format!("{}:{}", r.location.path, r.location.start.line),
                guards(r),
            ]
        })
        .collect();
    let header = ["METHOD", "PATH", "HANDLER", "LOCATION", "GUARDS"];
    let mut widths = header.map(str::len);
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: [&str; 5]| {
        for (i, cell) in cells.iter().enumerate() {
            if i == cells.len() - 1 {
                out.push_str(cell);
            } else {
                out.push_str(&format!("{cell:<w$}  ", w = widths[i]));
            }
        }
        let trimmed = out.trim_end().len();
        out.truncate(trimmed);
        out.push('\n');
    };
    line(header);
    for row in &rows {
        line([&row[0], &row[1], &row[2], &row[3], &row[4]]);
    }
    let n = table.routes.len();
    out.push_str(&format!("\n{n} route{}.\n", if n == 1 { "" } else { "s" }));
    out
}

fn json(table: &RouteTable) -> String {
    let routes: Vec<_> = table
        .routes
        .iter()
        .map(|r| {
            json!({
                "framework": r.framework.name(),
                "methods": &*r.methods,
                "path": r.path,
                "prefix_known": !r.partial,
                "handler": r.handler.as_deref(),
                "file": &*r.location.path,
                "line": r.location.start.line,
                "column": r.location.start.column,
                "status": r.status,
                "guards": r.guards.iter().map(|g| json!({
                    "name": &*g.name,
                    "kind": g.kind.name(),
                })).collect::<Vec<_>>(),
                "answers": r.body.answers.iter().map(|a| json!({
                    "status": match a.status {
                        Status::Code(code) => json!(code),
                        Status::Default => json!("default"),
                        Status::Unknown => json!("unknown"),
                    },
                    "shape": a.body.error_shape(),
                    "file": &*a.location.path,
                    "line": a.location.start.line,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let document = json!({
        "schema_version": ROUTES_SCHEMA_VERSION,
        "tool": { "name": "backend-audit", "version": crate::VERSION },
        "routes": routes,
    });
    let mut text = serde_json::to_string_pretty(&document).expect("JSON values serialise");
    text.push('\n');
    text
}
