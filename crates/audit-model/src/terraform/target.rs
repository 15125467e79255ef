//! Attribute lookup: where an attribute path (`ingress.cidr_blocks`, `tags.Environment`)
//! leads in one resource.

use audit_core::Span;
use audit_syntax::hcl_edit::Span as _;
use audit_syntax::hcl_edit::expr::{Expression, ObjectKey};
use audit_syntax::hcl_edit::structure::{Block, Body};
use hcl::Value;

use super::{Resolved, Resource, attribute_span, top_blocks};

/// Where an attribute path leads in one resource: a target per block it passes through.
#[derive(Debug)]
pub enum Target<'a> {
    /// The attribute's expression, and its span.
    Expr(&'a Expression, Span),
    /// An object key's value, reached through a variable or local that resolved.
    Value(Value, Span),
    /// Absent: the first line of the innermost block (or attribute) that should hold it.
    Missing(Span),
    /// An object whose keys cannot be read statically.
    Unknown(Span),
}

impl<'a> Resource<'a> {
    /// Follows `a.b.c` through every nested block named `a`, then `b` (two
    /// `ebs_block_device` blocks are two targets; `dynamic "a"` blocks through their
    /// `content`), and through object keys once it reaches an attribute
    /// (`tags.Environment`).
    pub fn targets(&self, path: &str) -> Vec<Target<'a>> {
        let steps: Vec<&str> = path.split('.').collect();
        let mut found = Vec::new();
        self.walk(&self.block.body, &steps, self.header_span(), &mut found);
        found
    }

    /// Whether a target holds something other than `null` or `""`: an unknown value
    /// counts.
    pub fn is_set(&self, target: &Target<'_>) -> bool {
        let value = match target {
            Target::Missing(_) => return false,
            Target::Unknown(_) => return true,
            Target::Expr(expr, _) => match self.resolve(expr) {
                Resolved::Known(value) => value,
                Resolved::Unknown => return true,
            },
            Target::Value(value, _) => value.clone(),
        };
        value != Value::Null && value != Value::from("")
    }

    fn walk(&self, body: &'a Body, steps: &[&str], missing: Span, found: &mut Vec<Target<'a>>) {
        let [name, rest @ ..] = steps else {
            return;
        };
        if rest.is_empty() {
            found.push(match body.get_attribute(name) {
                Some(attr) => Target::Expr(&attr.value, attribute_span(attr)),
                None => Target::Missing(missing),
            });
            return;
        }
        let blocks = nested_blocks(body, name);
        if !blocks.is_empty() {
            for block in blocks {
                let start = block.span().map_or(missing.start, |s| s.start);
                self.walk(&block.body, rest, self.line_span(start), found);
            }
        } else if let Some(attr) = body.get_attribute(name) {
            found.push(self.object_key(&attr.value, rest, attribute_span(attr)));
        } else {
            found.push(Target::Missing(missing));
        }
    }

    /// Steps through object keys: a literal object's item by item (its other items may be
    /// unknown), anything else by resolving it to an object value.
    fn object_key(&self, expr: &'a Expression, keys: &[&str], span: Span) -> Target<'a> {
        let [key, rest @ ..] = keys else {
            return Target::Expr(expr, span);
        };
        if let Expression::Object(object) = expr {
            let mut computed = false;
            for (item_key, item) in object.iter() {
                let name = match item_key {
                    ObjectKey::Ident(ident) => Some(ident.as_str()),
                    ObjectKey::Expression(Expression::String(s)) => Some(s.as_str()),
                    ObjectKey::Expression(_) => None,
                };
                match name {
                    Some(name) if name == *key => {
                        let item_span = match (item_key.span(), item.expr().span()) {
                            (Some(k), Some(v)) => Span::new(k.start, v.end),
                            _ => span,
                        };
                        return self.object_key(item.expr(), rest, item_span);
                    }
                    Some(_) => {}
                    None => computed = true,
                }
            }
            return if computed {
                Target::Unknown(span)
            } else {
                Target::Missing(span)
            };
        }
        let mut value = match self.resolve(expr) {
            Resolved::Known(value) => value,
            Resolved::Unknown => return Target::Unknown(span),
        };
        for key in keys {
            match value {
                Value::Object(mut map) => match map.swap_remove(*key) {
                    Some(inner) => value = inner,
                    None => return Target::Missing(span),
                },
                _ => return Target::Missing(span),
            }
        }
        Target::Value(value, span)
    }
}

/// The blocks named `name` in `body`, `dynamic "name"` ones by their `content` block.
fn nested_blocks<'a>(body: &'a Body, name: &str) -> Vec<&'a Block> {
    let mut blocks = Vec::new();
    for block in body.blocks() {
        match block.ident.as_str() {
            ident if ident == name => blocks.push(block),
            "dynamic" if block.labels.first().is_some_and(|l| l.as_str() == name) => {
                blocks.extend(top_blocks(&block.body, "content"))
            }
            _ => {}
        }
    }
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::terraform::tests::sources;
    use crate::terraform::{modules, render_value};

    /// Each target of `path` in the first resource of the module made of `files`, as
    /// `line kind [value]`, and whether it counts as set.
    fn targets(files: &[(&str, &str)], path: &str) -> Vec<(String, bool)> {
        let sources = sources(files);
        let module = modules(&sources).next().unwrap();
        let resource = module.resources().next().unwrap();
        let source = resource.source;
        resource
            .targets(path)
            .iter()
            .map(|target| {
                let line = |span: &Span| source.position(span.start).line;
                let shown = match target {
                    Target::Expr(expr, span) => format!(
                        "{} expr {}",
                        line(span),
                        match resource.resolve(expr) {
                            Resolved::Known(value) => render_value(&value),
                            Resolved::Unknown => "?".to_string(),
                        }
                    ),
                    Target::Value(value, span) => {
                        format!("{} value {}", line(span), render_value(value))
                    }
                    Target::Missing(span) => format!("{} missing", line(span)),
                    Target::Unknown(span) => format!("{} unknown", line(span)),
                };
                (shown, resource.is_set(target))
            })
            .collect()
    }

    fn shown(found: &[(String, bool)]) -> Vec<&str> {
        found.iter().map(|(s, _)| s.as_str()).collect()
    }

    const NESTED: &str = r#"resource "r" "a" {
  mapping {
    ebs {
      encrypted = true
    }
  }
  mapping {
    ebs {
      encrypted = null
    }
    ebs {
    }
  }
  mapping {
    virtual_name = "ephemeral0"
  }
  dynamic "mapping" {
    for_each = [1]
    content {
      ebs {
        encrypted = aws_kms_key.k.arn
      }
    }
  }
}
"#;

    #[test]
    fn paths_lead_through_every_nested_block() {
        let found = targets(&[("main.tf", NESTED)], "mapping.ebs.encrypted");
        assert_eq!(
            shown(&found),
            [
                "4 expr true",
                "9 expr null",
                "11 missing",
                "14 missing",
                "21 expr ?"
            ]
        );
        let set: Vec<bool> = found.iter().map(|(_, set)| *set).collect();
        assert_eq!(set, [true, false, false, false, true]);
        assert_eq!(
            shown(&targets(&[("main.tf", NESTED)], "absent")),
            ["1 missing"]
        );
    }

    #[test]
    fn paths_lead_into_object_keys_literal_or_resolved() {
        let text = "resource \"r\" \"a\" {\n  tags = {\n    Env = \"dev\"\n    \"Owner\" = \"\"\n  }\n  labels = local.labels\n  computed = { (var.k) = 1 }\n}\n";
        let locals = "locals {\n  labels = { team = \"a\" }\n}\n";
        let files = [("main.tf", text), ("locals.tf", locals)];
        assert_eq!(
            targets(&files, "tags.Env"),
            [("3 expr \"dev\"".to_string(), true)]
        );
        assert_eq!(
            targets(&files, "tags.Owner"),
            [("4 expr \"\"".to_string(), false)]
        );
        assert_eq!(
            targets(&files, "tags.Cost"),
            [("2 missing".to_string(), false)]
        );
        assert_eq!(
            targets(&files, "labels.team"),
            [("6 value \"a\"".to_string(), true)]
        );
        assert_eq!(
            targets(&files, "labels.other"),
            [("6 missing".to_string(), false)]
        );
        assert_eq!(
            targets(&files, "computed.x"),
            [("7 unknown".to_string(), true)]
        );
    }

    #[test]
    fn tfvars_files_hold_no_resources() {
        let sources = sources(&[
            ("m/a.tfvars", "x = 1\n"),
            (
                "m/main.tf",
                "resource \"r\" \"a\" {}\nresource \"nolabel\" {}\n",
            ),
        ]);
        let module = modules(&sources).next().unwrap();
        let found: Vec<(String, &str)> = module
            .resources()
            .map(|r| (r.address(), &*r.source.path))
            .collect();
        assert_eq!(found, [("r.a".to_string(), "m/main.tf")]);
        assert_eq!(module.dir, "m");
        assert_eq!(module.files.len(), 2);
    }
}
