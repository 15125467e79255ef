//! OpenAPI: the operations an OpenAPI 3.x or Swagger 2.0 document describes, read from
//! YAML or JSON files recognised by their content (a top-level `openapi:` or `swagger:`
//! key), whatever they are named, with the line of every path and operation. A document
//! that does not parse is a [`SpecProblem`], never a panic.

mod yaml;

use audit_core::{Location, SourceText, Span};

use yaml::Value;

/// One spec file.
#[derive(Debug)]
pub struct Spec {
    /// `openapi: 3.0.3` or `swagger: "2.0"`: the key's location.
    pub location: Location,
    pub version: String,
    /// The path every operation is served under: the path part of each `servers[].url`
    /// (OpenAPI 3), or `basePath` (Swagger 2); `[""]` when none is given.
    pub base_paths: Vec<String>,
    /// The top-level `security` requirement: Some(true) when it names a scheme, Some(false)
    /// for `security: []` (explicitly none), None when absent.
    pub global_security: Option<bool>,
    pub paths: Vec<SpecPath>,
}

/// A path of `paths:` and its operations.
#[derive(Debug)]
pub struct SpecPath {
    /// As written: `/users/{id}`.
    pub template: String,
    pub location: Location,
    pub operations: Vec<Operation>,
}

/// One operation: a method under a path.
#[derive(Debug)]
pub struct Operation {
    /// Upper case: `GET`.
    pub method: String,
    /// The method key's location.
    pub location: Location,
    pub operation_id: Option<String>,
    /// The operation's `security`: Some(true) when it names a scheme, Some(false) for
    /// `security: []` (public on purpose), None when it inherits the global one.
    pub security: Option<bool>,
    /// The keys of `responses` (`200`, `4XX`, `default`).
    pub responses: Vec<String>,
}

/// Why a file that declares itself a spec could not be read.
#[derive(Debug, PartialEq, Eq)]
pub struct SpecProblem {
    pub message: String,
    /// 1-based.
    pub line: Option<usize>,
}

const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Whether a YAML or JSON text may be a spec, without parsing it: a YAML line starting
/// with `openapi:`/`swagger:` (quoted or not), or a JSON key `"openapi"`/`"swagger"`.
pub fn may_be_spec(text: &str) -> bool {
    text.lines().any(|line| {
        let line = line.trim_start_matches(['{', ' ', '\t', '\u{feff}']);
        let line = line.trim_start_matches(['"', '\'']);
        ["openapi", "swagger"].iter().any(|key| {
            line.strip_prefix(key)
                .is_some_and(|rest| rest.trim_start_matches(['"', '\'']).starts_with(':'))
        })
    })
}

/// The spec `source` holds: Ok(None) when it is not one (no top-level `openapi` or
/// `swagger` key), Err when it says it is one and does not parse.
pub fn read(source: &SourceText) -> Result<Option<Spec>, SpecProblem> {
    if !may_be_spec(&source.text) {
        return Ok(None);
    }
    let root = match yaml::parse(&source.text) {
        Ok(Some(root)) => root,
        Ok(None) => return Ok(None),
        Err(problem) => {
            return Err(SpecProblem {
                message: format!("the OpenAPI document does not parse: {}", problem.message),
                line: Some(problem.line),
            });
        }
    };
    let Some((key, version)) = root
        .entries()
        .find(|(k, _)| matches!(k.as_str(), Some("openapi" | "swagger")))
    else {
        return Ok(None);
    };
    let locate = |value: &Value| locate(source, value);
    let swagger = key.as_str() == Some("swagger");
    let base_paths = if swagger {
        vec![
            root.get("basePath")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
        ]
    } else {
        let mut bases: Vec<String> = root
            .get("servers")
            .map(Value::items)
            .unwrap_or_default()
            .iter()
            .filter_map(|server| {
                let url = server.get("url").and_then(Value::as_str)?;
                Some(url_path(&substitute(url, server.get("variables"))))
            })
            .collect();
        let mut seen = std::collections::HashSet::new();
        bases.retain(|base| seen.insert(base.clone()));
        if bases.is_empty() {
            bases.push(String::new());
        }
        bases
    };
    let mut paths = Vec::new();
    if let Some(declared) = root.get("paths") {
        for (template, item) in declared.entries() {
            let Some(name) = template.as_str().filter(|t| t.starts_with('/')) else {
                continue;
            };
            let operations = item
                .entries()
                .filter_map(|(method, op)| {
                    let method = method_name(method)?;
                    Some(Operation {
                        method: method.0,
                        location: locate(method.1),
                        operation_id: op
                            .get("operationId")
                            .and_then(Value::as_str)
                            .map(str::to_string),
                        security: op.get("security").map(requires_scheme),
                        responses: op
                            .get("responses")
                            .map(|r| {
                                r.entries()
                                    .filter_map(|(k, _)| k.as_str().map(str::to_string))
                                    .collect()
                            })
                            .unwrap_or_default(),
                    })
                })
                .collect();
            paths.push(SpecPath {
                template: name.to_string(),
                location: locate(template),
                operations,
            });
        }
    }
    Ok(Some(Spec {
        location: locate(key),
        version: version.as_str().unwrap_or("").to_string(),
        base_paths,
        global_security: root.get("security").map(requires_scheme),
        paths,
    }))
}

fn method_name(key: &Value) -> Option<(String, &Value)> {
    let name = key.as_str()?;
    METHODS
        .contains(&name)
        .then(|| (name.to_ascii_uppercase(), key))
}

/// Whether a `security` list names a scheme: `[]` and `[{}]` (optional auth) do not.
fn requires_scheme(security: &Value) -> bool {
    security
        .items()
        .iter()
        .any(|requirement| requirement.entries().next().is_some())
}

/// A server URL with its variables' defaults in place: `http://{host}/{version}` with
/// `version: { default: v1 }` is `http://{host}/v1`; a variable with no default stays.
fn substitute(url: &str, variables: Option<&Value>) -> String {
    let mut out = url.to_string();
    for (name, variable) in variables.into_iter().flat_map(Value::entries) {
        let (Some(name), Some(default)) = (
            name.as_str(),
            variable.get("default").and_then(Value::as_str),
        ) else {
            continue;
        };
        out = out.replace(&format!("{{{name}}}"), default);
    }
    out
}

/// The path of a server URL: `https://api.example.com/v1` is `/v1`, `/api` stays,
/// `{scheme}://host/{basePath}` keeps its variable.
fn url_path(url: &str) -> String {
    let rest = match url.find("://") {
        Some(at) => {
            let after = &url[at + 3..];
            after.find('/').map_or("", |slash| &after[slash..])
        }
        None => url,
    };
    rest.trim_end_matches('/').to_string()
}

/// A key's location: its line and column, spanning the key as written.
fn locate(source: &SourceText, value: &Value) -> Location {
    let start = source.lines.offset(&source.text, value.line, value.column);
    let line_end = source.text[start..]
        .find(['\n', '\r'])
        .map_or(source.text.len(), |n| start + n);
    let key_len = value.as_str().map_or(0, str::len);
    let quoted = source.text[start..].starts_with(['"', '\'']);
    let end = (start + key_len + if quoted { 2 } else { 0 }).min(line_end);
    source.locate(Span::new(start, end.max(start)))
}

#[cfg(test)]
mod tests;
