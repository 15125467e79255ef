//! TypeORM entities (`@Entity` classes) and Sequelize models (`sequelize.define(...)`,
//! `Model.init(...)`).

use audit_syntax::tree_sitter::{Node, Tree};

use super::{ColumnNaming, Orm, OrmField, OrmModel, literal, plural, snake_case};
use crate::code::CodeSemantics;
use crate::code::nodes::Fields;
use crate::code::nodes::{KindName, elements, node_at};

pub(super) fn models(tree: &Tree, text: &str, semantics: &CodeSemantics) -> Vec<OrmModel> {
    let mut found = Vec::new();
    for class in semantics.classes() {
        let Some(name) = &class.name else { continue };
        let Some(entity) = class
            .decorators
            .iter()
            .find(|d| d.name == "Entity" || d.name.ends_with(".Entity"))
        else {
            continue;
        };
        // `@Entity("users")`, `@Entity({ name: "users" })`.
        let written = entity
            .arguments
            .and_then(|a| node_at(tree, a))
            .and_then(|a| a.named_child(0))
            .and_then(|a| match a.kind_name() {
                "object" => property(a, text, "name").and_then(|v| literal(&text[v.byte_range()])),
                _ => literal(&text[a.byte_range()]),
            });
        let fields = node_at(tree, class.body)
            .map(|body| entity_fields(body, text))
            .unwrap_or_default();
        found.push(OrmModel {
            orm: Orm::TypeOrm,
            name: name.clone(),
            explicit: written.is_some(),
            table: written.unwrap_or_else(|| snake_case(name)),
            fields,
            naming: ColumnNaming::AsWritten,
            span: class.span,
        });
    }
    for call in semantics.calls() {
        let callee = &text[call.callee.start..call.callee.end];
        let define = callee.ends_with(".define");
        let init = callee.ends_with(".init");
        if !define && !init {
            continue;
        }
        let Some(arguments) = call.arguments.and_then(|a| node_at(tree, a)) else {
            continue;
        };
        let arguments = elements(arguments);
        // `sequelize.define("User", attributes, options)`, `User.init(attributes, options)`.
        let (model, attributes, options) = if define {
            let Some(model) = arguments
                .first()
                .and_then(|a| literal(&text[a.byte_range()]))
            else {
                continue;
            };
            (model, arguments.get(1), arguments.get(2))
        } else {
            let receiver = callee.trim_end_matches(".init");
            if !receiver.starts_with(|c: char| c.is_ascii_uppercase()) || receiver.contains('.') {
                continue;
            }
            (receiver.to_string(), arguments.first(), arguments.get(1))
        };
        let options = options.filter(|o| o.kind_name() == "object");
        // `init` takes options with `sequelize`; `define` is called on the instance.
        if init
            && !options.is_some_and(|o| {
                property(*o, text, "sequelize").is_some() || shorthand(*o, text, "sequelize")
            })
        {
            continue;
        }
        let option = |key: &str| options.and_then(|o| property(*o, text, key));
        let is_true = |key: &str| option(key).is_some_and(|v| &text[v.byte_range()] == "true");
        let model_name = option("modelName")
            .and_then(|v| literal(&text[v.byte_range()]))
            .unwrap_or(model);
        let written = option("tableName").and_then(|v| literal(&text[v.byte_range()]));
        let naming = if is_true("underscored") {
            ColumnNaming::Snake
        } else {
            ColumnNaming::AsWritten
        };
        let table = written.clone().unwrap_or_else(|| {
            if is_true("freezeTableName") {
                model_name.clone()
            } else {
                plural(&model_name)
            }
        });
        let fields = attributes
            .filter(|a| a.kind_name() == "object")
            .map(|a| sequelize_fields(*a, text, naming))
            .unwrap_or_default();
        found.push(OrmModel {
            orm: Orm::Sequelize,
            name: model_name,
            table,
            explicit: written.is_some(),
            fields,
            naming,
            span: call.span,
        });
    }
    found
}

/// The columns of an entity's properties: `@Column({ name: "first_name" })`,
/// `@Column("varchar", { name })`, else the property's own name.
fn entity_fields(body: Node<'_>, text: &str) -> Vec<OrmField> {
    let mut fields = Vec::new();
    let mut pending: Vec<Node<'_>> = Vec::new();
    let mut cursor = body.walk();
    for member in body.named_children(&mut cursor) {
        if member.kind_name() == "decorator" {
            pending.push(member);
            continue;
        }
        if !matches!(
            member.kind_name(),
            "public_field_definition" | "field_definition"
        ) {
            pending.clear();
            continue;
        }
        let mut decorators = std::mem::take(&mut pending);
        let mut inner = member.walk();
        decorators.extend(
            member
                .named_children(&mut inner)
                .filter(|c| c.kind_name() == "decorator"),
        );
        let Some(name) = member.field("name").or_else(|| member.field("property")) else {
            continue;
        };
        let name = text[name.byte_range()].to_string();
        let mut column = None;
        let mut is_column = false;
        for decorator in decorators {
            let Some(call) = decorator
                .named_child(0)
                .filter(|c| c.kind_name() == "call_expression")
            else {
                continue;
            };
            let callee = call.field("function").map_or("", |f| &text[f.byte_range()]);
            if !callee.ends_with("Column") {
                continue;
            }
            is_column = true;
            if let Some(arguments) = call.field("arguments") {
                column = elements(arguments)
                    .into_iter()
                    .filter(|a| a.kind_name() == "object")
                    .find_map(|o| property(o, text, "name"))
                    .and_then(|v| literal(&text[v.byte_range()]));
            }
        }
        if is_column {
            fields.push(OrmField {
                column: column.unwrap_or_else(|| name.clone()),
                name,
                relation: false,
            });
        }
    }
    fields
}

/// The columns of Sequelize attributes: `{ firstName: { type, field: "first_name" } }`.
fn sequelize_fields(attributes: Node<'_>, text: &str, naming: ColumnNaming) -> Vec<OrmField> {
    let mut fields = Vec::new();
    let mut cursor = attributes.walk();
    for pair in attributes.named_children(&mut cursor) {
        if pair.kind_name() != "pair" {
            continue;
        }
        let (Some(key), Some(value)) = (pair.field("key"), pair.field("value")) else {
            continue;
        };
        let name = key_text(key, text);
        let written = (value.kind_name() == "object")
            .then(|| property(value, text, "field"))
            .flatten()
            .and_then(|v| literal(&text[v.byte_range()]));
        let column = written.unwrap_or_else(|| match naming {
            ColumnNaming::AsWritten => name.clone(),
            ColumnNaming::Snake => snake_case(&name),
        });
        fields.push(OrmField {
            name,
            column,
            relation: false,
        });
    }
    fields
}

/// The value of `key: value` in an object literal.
fn property<'t>(object: Node<'t>, text: &str, key: &str) -> Option<Node<'t>> {
    let mut cursor = object.walk();
    object
        .named_children(&mut cursor)
        .filter(|p| p.kind_name() == "pair")
        .find(|p| p.field("key").is_some_and(|k| key_text(k, text) == key))
        .and_then(|p| p.field("value"))
}

/// `{ sequelize }` written as a shorthand property.
fn shorthand(object: Node<'_>, text: &str, key: &str) -> bool {
    let mut cursor = object.walk();
    object
        .named_children(&mut cursor)
        .any(|p| p.kind_name() == "shorthand_property_identifier" && &text[p.byte_range()] == key)
}

fn key_text(key: Node<'_>, text: &str) -> String {
    let written = &text[key.byte_range()];
    literal(written).unwrap_or_else(|| written.to_string())
}
