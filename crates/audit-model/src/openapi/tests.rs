use std::sync::Arc;

use audit_core::SourceText;

use super::*;

fn spec(path: &str, text: &str) -> Result<Option<Spec>, SpecProblem> {
    read(&SourceText::new(Arc::from(path), text.to_string()))
}

/// `METHOD template line id security responses` per operation.
fn operations(spec: &Spec) -> Vec<String> {
    spec.paths
        .iter()
        .flat_map(|p| {
            p.operations.iter().map(move |o| {
                format!(
                    "{} {} {} {} {:?} [{}]",
                    o.method,
                    p.template,
                    o.location.start.line,
                    o.operation_id.as_deref().unwrap_or("-"),
                    o.security,
                    o.responses.join(",")
                )
            })
        })
        .collect()
}

#[test]
fn openapi_3_yaml_operations_with_lines() {
    let text = r#"openapi: 3.0.3
info: { title: Shop, version: "1" }
servers:
  - url: https://api.example.com/v1/
  - url: "{scheme}://{host}/{version}"
    variables:
      host: { default: api.example.com }
      version: { default: v1 }
  - url: /internal/{area}
security:
  - bearer: []
paths:
  /users/{id}:
    parameters:
      - name: id
        in: path
    get:
      operationId: getUser
      responses:
        "200": { description: ok }
        "404": { description: missing }
    delete:
      security: []
      responses:
        default: { description: x }
"#;
    let spec = spec("docs/api.yaml", text).unwrap().unwrap();
    assert_eq!(spec.version, "3.0.3");
    assert_eq!(spec.base_paths, ["/v1", "/internal/{area}"]);
    assert_eq!(spec.global_security, Some(true));
    assert_eq!(spec.location.start.line, 1);
    assert_eq!(spec.paths[0].location.start.line, 13);
    assert_eq!(
        operations(&spec),
        [
            "GET /users/{id} 17 getUser None [200,404]",
            "DELETE /users/{id} 22 - Some(false) [default]",
        ]
    );
}

#[test]
fn swagger_2_json_found_by_content() {
    let text = r#"{
  "swagger": "2.0",
  "basePath": "/api",
  "paths": {
    "/orders": {
      "post": { "operationId": "createOrder", "security": [{}], "responses": { "201": {} } }
    }
  }
}"#;
    let spec = spec("config/whatever.json", text).unwrap().unwrap();
    assert_eq!(spec.base_paths, ["/api"]);
    assert_eq!(spec.global_security, None);
    assert_eq!(
        operations(&spec),
        ["POST /orders 6 createOrder Some(false) [201]"]
    );
    let post = &spec.paths[0].operations[0].location;
    assert_eq!(
        (
            post.start.column,
            &post.context.text[post.context.span.start..post.context.span.end]
        ),
        (7, "\"post\"")
    );
}

#[test]
fn files_that_are_not_specs_are_none() {
    for text in [
        "name: ci\non: [push]\n",
        "{\"name\": \"pkg\", \"description\": \"an openapi generator\"}",
        "openapi_version: 3\n",
        "- openapi: 3.0.0\n",
        "",
    ] {
        assert!(spec("x.yaml", text).unwrap().is_none(), "{text}");
    }
    // Nested under another key: a Helm value, not a spec.
    assert!(
        spec("values.yaml", "app:\n  openapi: 3.0.0\n")
            .unwrap()
            .is_none()
    );
}

#[test]
fn malformed_specs_are_problems_never_panics() {
    let cases = [
        "openapi: 3.0.0\npaths:\n  /a: [\n",
        "openapi: 3.0.0\npaths: {/a: {get: }\n",
        "{\"openapi\": \"3.0.0\", \"paths\": {\"/a\": [}}",
        "swagger: '2.0'\n\tpaths:\n",
        "openapi: 3.0.0\nkey: 'unterminated\n",
    ];
    for text in cases {
        let problem = spec("api.yaml", text).unwrap_err();
        assert!(
            problem
                .message
                .starts_with("the OpenAPI document does not parse"),
            "{problem:?}"
        );
        assert!(problem.line.is_some());
    }
    // Shapes that parse but are not what a spec holds are read as far as they go.
    let odd = [
        "openapi: [3]\npaths: [1, 2]\n",
        "openapi: 3.0.0\npaths:\n  /a: 7\n  /b: {get: [1]}\n",
        "openapi: 3.0.0\nservers: {url: 1}\nsecurity: x\npaths:\n  ? [complex]\n  : {get: {}}\n",
        "openapi: &v 3.0.0\npaths:\n  /a: *v\n",
        "swagger: '2.0'\nbasePath: [1]\npaths:\n  /a:\n    get:\n      responses: [1]\n      security: {a: 1}\n",
    ];
    for text in odd {
        assert!(spec("api.yaml", text).unwrap().is_some(), "{text}");
    }
}
