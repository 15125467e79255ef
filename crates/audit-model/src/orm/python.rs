//! Django and SQLAlchemy model classes.

use audit_core::Span;
use audit_syntax::tree_sitter::{Node, Tree};

use super::{ColumnNaming, Orm, OrmField, OrmModel, literal};
use crate::code::CodeSemantics;
use crate::code::nodes::node_at;
use crate::code::nodes::{Fields, KindName};

pub(super) fn models(
    tree: &Tree,
    text: &str,
    semantics: &CodeSemantics,
    path: &str,
) -> Vec<OrmModel> {
    let mut found = Vec::new();
    for class in semantics.classes() {
        let (Some(name), Some(node)) = (&class.name, node_at(tree, class.span)) else {
            continue;
        };
        let Some(body) = node.field("body") else {
            continue;
        };
        let mut table_name = None;
        let mut django = false;
        let mut sqlalchemy = false;
        let mut meta: Option<Node<'_>> = None;
        let mut fields = Vec::new();
        let mut cursor = body.walk();
        for statement in body.named_children(&mut cursor) {
            if statement.kind_name() == "class_definition"
                && statement
                    .field("name")
                    .is_some_and(|n| &text[n.byte_range()] == "Meta")
            {
                meta = Some(statement);
                continue;
            }
            let Some((target, value)) = assignment(statement, text) else {
                continue;
            };
            if target == "__tablename__" {
                table_name = literal(&text[value.byte_range()]);
                sqlalchemy = true;
                continue;
            }
            let Some(call) = semantics.call(Span::new(value.start_byte(), value.end_byte())) else {
                continue;
            };
            let qualified = call.qualified_name.as_deref().unwrap_or("");
            let class_name = qualified.rsplit('.').next().unwrap_or("");
            if qualified.starts_with("django.db.models.") && class_name.ends_with("Field")
                || qualified.starts_with("django.db.models.")
                    && matches!(class_name, "ForeignKey" | "OneToOneField")
            {
                django = true;
                if class_name == "ManyToManyField" {
                    continue;
                }
                let written = call
                    .keyword("db_column")
                    .and_then(|k| literal(&text[k.value.start..k.value.end]));
                let relation = matches!(class_name, "ForeignKey" | "OneToOneField");
                let column = written.unwrap_or_else(|| {
                    if relation {
                        format!("{target}_id")
                    } else {
                        target.to_string()
                    }
                });
                fields.push(OrmField {
                    name: target.to_string(),
                    column: column.clone(),
                    relation,
                });
                if relation {
                    fields.push(OrmField {
                        name: format!("{target}_id"),
                        column,
                        relation: false,
                    });
                }
            } else if matches!(class_name, "Column" | "mapped_column") {
                sqlalchemy = true;
                // `Column("email_address", String)`: the first argument names the column.
                let column = value
                    .field("arguments")
                    .and_then(|a| a.named_child(0))
                    .filter(|a| a.kind_name() == "string")
                    .and_then(|a| literal(&text[a.byte_range()]))
                    .unwrap_or_else(|| target.to_string());
                fields.push(OrmField {
                    name: target.to_string(),
                    column,
                    relation: false,
                });
            }
        }
        let meta_value = |key: &str| meta.and_then(|m| meta_assignment(m, text, key));
        if django {
            if meta_value("abstract").as_deref() == Some("True") {
                continue;
            }
            let written = meta_value("db_table").and_then(|v| literal(&v));
            let explicit = written.is_some();
            let Some(table) = written
                .or_else(|| app_label(path).map(|app| format!("{app}_{}", name.to_lowercase())))
            else {
                continue;
            };
            found.push(OrmModel {
                orm: Orm::Django,
                name: name.clone(),
                table,
                explicit,
                fields,
                naming: ColumnNaming::AsWritten,
                span: class.span,
            });
        } else if sqlalchemy && let Some(table) = table_name {
            found.push(OrmModel {
                orm: Orm::SqlAlchemy,
                name: name.clone(),
                table,
                explicit: true,
                fields,
                naming: ColumnNaming::AsWritten,
                span: class.span,
            });
        }
    }
    found
}

/// `name = value` or `name: T = value` as a statement of a class body.
fn assignment<'t>(statement: Node<'t>, text: &'t str) -> Option<(&'t str, Node<'t>)> {
    if statement.kind_name() != "expression_statement" {
        return None;
    }
    let assignment = statement.named_child(0)?;
    if assignment.kind_name() != "assignment" {
        return None;
    }
    let left = assignment.field("left")?;
    if left.kind_name() != "identifier" {
        return None;
    }
    Some((&text[left.byte_range()], assignment.field("right")?))
}

/// The value written for `key` in a `class Meta:` body.
fn meta_assignment(meta: Node<'_>, text: &str, key: &str) -> Option<String> {
    let body = meta.field("body")?;
    let mut cursor = body.walk();
    body.named_children(&mut cursor)
        .filter_map(|s| assignment(s, text))
        .find(|(target, _)| *target == key)
        .map(|(_, value)| text[value.byte_range()].to_string())
}

/// The Django app a models module belongs to: the folder holding `models.py` or the
/// `models/` package (`shop/models.py`, `shop/models/order.py` -> `shop`).
fn app_label(path: &str) -> Option<&str> {
    let mut parts: Vec<&str> = path.split('/').collect();
    let file = parts.pop()?;
    if file != "models.py" {
        if parts.last() != Some(&"models") {
            return None;
        }
        parts.pop();
    }
    parts.pop()
}
