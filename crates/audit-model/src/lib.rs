//! What the parsed files mean, built once and read by every rule: code semantics
//! (imports, qualified names, functions, bindings) per JS/TS/Python file; the schema
//! migrations replay into, statement by statement; Terraform modules evaluated (variables,
//! tfvars, locals) with their resources' attributes; the operations of OpenAPI specs. Models never import checks; checks
//! never build models.

pub mod code;
pub mod connections;
pub mod openapi;
pub mod orm;
pub mod queries;
pub mod routes;
pub mod schema;
pub mod taint;
pub mod terraform;
