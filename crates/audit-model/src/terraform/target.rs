//! Reading a resource: a [`BlockView`] is a body with its bindings (`count`, `each`, a
//! `dynamic` block's iterator), so attributes come out evaluated; [`Resource::targets`]
//! follows an attribute path (`ingress.cidr_blocks`, `tags.Environment`) through every
//! nested block.

use audit_core::Span;

use super::lower::{Attribute, Body, ExprKind, ObjectItemKey};
use super::value::Value;
use super::{Module, Resource};

/// A body in its module, with the names bound around it.
#[derive(Clone)]
pub struct BlockView<'a> {
    pub module: &'a Module<'a>,
    pub body: &'a Body,
    /// The block's first line.
    pub header: Span,
    bindings: Vec<(String, Value)>,
}

/// An attribute and its value.
#[derive(Debug, Clone)]
pub struct Evaluated<'a> {
    pub attribute: &'a Attribute,
    pub value: Value,
    /// `key = value`.
    pub span: Span,
}

/// Where an attribute path leads: a value (possibly unknown) or nothing.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    Found(Value, Span),
    /// Absent: the first line of the innermost block (or attribute) that should hold it.
    Missing(Span),
}

impl Target {
    pub fn span(&self) -> Span {
        match self {
            Target::Found(_, span) | Target::Missing(span) => *span,
        }
    }

    /// Whether the target holds something other than `null` or `""`: an unknown value
    /// counts.
    pub fn is_set(&self) -> bool {
        match self {
            Target::Missing(_) => false,
            Target::Found(value, _) => *value != Value::Null && *value != Value::from(""),
        }
    }
}

impl<'a> BlockView<'a> {
    pub fn new(
        module: &'a Module<'a>,
        body: &'a Body,
        header: Span,
        bindings: Vec<(String, Value)>,
    ) -> BlockView<'a> {
        BlockView {
            module,
            body,
            header,
            bindings,
        }
    }

    /// The attribute `name`, evaluated; `None` when absent.
    pub fn attr(&self, name: &str) -> Option<Evaluated<'a>> {
        let attribute = self.body.attribute(name)?;
        Some(Evaluated {
            attribute,
            value: self.module.eval(&attribute.expr, &self.bindings),
            span: attribute.span,
        })
    }

    /// The attribute's value, `Null` when absent.
    pub fn value(&self, name: &str) -> Value {
        self.attr(name).map_or(Value::Null, |a| a.value)
    }

    /// The nested blocks named `ident`: literal ones, and the `content` of each
    /// `dynamic "ident"` once per element of its `for_each` (once with the iterator
    /// unknown when the collection is).
    pub fn blocks(&self, ident: &str) -> Vec<BlockView<'a>> {
        let mut found = Vec::new();
        for block in &self.body.blocks {
            if block.ident == ident {
                found.push(self.nested(&block.body, block.span.start, Vec::new()));
                continue;
            }
            if block.ident != "dynamic" || block.labels.first().map(String::as_str) != Some(ident) {
                continue;
            }
            let Some(content) = block.body.blocks("content").next() else {
                continue;
            };
            let iterator = match block.body.attribute("iterator").map(|i| &i.expr.kind) {
                Some(ExprKind::Variable(name)) => name.clone(),
                _ => ident.to_string(),
            };
            let collection = block
                .body
                .attribute("for_each")
                .map_or(Value::Unknown, |f| {
                    self.module.eval(&f.expr, &self.bindings)
                });
            // An unknown collection expands once, with an unknown key and value.
            let pairs = collection
                .into_entries()
                .unwrap_or_else(|| vec![(Value::Unknown, Value::Unknown)]);
            for (key, value) in pairs.into_iter().take(super::eval::MAX_ELEMENTS) {
                let bound =
                    Value::Object([("key".to_string(), key), ("value".to_string(), value)].into());
                found.push(self.nested(
                    &content.body,
                    block.span.start,
                    vec![(iterator.clone(), bound)],
                ));
            }
        }
        found
    }

    fn nested(&self, body: &'a Body, start: usize, extra: Vec<(String, Value)>) -> BlockView<'a> {
        let mut bindings = self.bindings.clone();
        bindings.extend(extra);
        BlockView {
            module: self.module,
            body,
            header: Span::new(start, start),
            bindings,
        }
    }

    /// Follows `a.b.c` through every nested block named `a`, then `b`, and through object
    /// keys once it reaches an attribute.
    fn walk(
        &self,
        resource: &Resource<'_>,
        steps: &[&str],
        missing: Span,
        found: &mut Vec<Target>,
    ) {
        let [name, rest @ ..] = steps else {
            return;
        };
        if rest.is_empty() {
            found.push(match self.attr(name) {
                Some(attr) => Target::Found(attr.value, attr.span),
                None => Target::Missing(missing),
            });
            return;
        }
        let blocks = self.blocks(name);
        if !blocks.is_empty() {
            for block in blocks {
                let header = resource.line_span(block.header.start);
                block.walk(resource, rest, header, found);
            }
        } else if let Some(attr) = self.body.attribute(name) {
            found.push(self.object_key(attr, rest));
        } else {
            found.push(Target::Missing(missing));
        }
    }

    /// Steps through object keys: a literal object's item by item, for the item's span;
    /// anything else by evaluating it to an object.
    fn object_key(&self, attr: &'a Attribute, keys: &[&str]) -> Target {
        let mut expr = &attr.expr;
        let mut span = attr.span;
        let mut rest = keys;
        while let ([key, tail @ ..], ExprKind::Object(items)) = (rest, &expr.kind) {
            let literal = items.iter().find_map(|(item_key, value)| match item_key {
                ObjectItemKey::Name(name, key_span) if name == key => Some((key_span, value)),
                _ => None,
            });
            match literal {
                Some((key_span, value)) => {
                    span = Span::new(key_span.start, value.span().end);
                    expr = value;
                    rest = tail;
                }
                None if items
                    .iter()
                    .all(|(k, _)| matches!(k, ObjectItemKey::Name(..))) =>
                {
                    return Target::Missing(span);
                }
                None => break,
            }
        }
        let mut value = self.module.eval(expr, &self.bindings);
        for key in rest {
            value = match value {
                Value::Unknown => return Target::Found(Value::Unknown, span),
                Value::Object(mut map) => match map.remove(*key) {
                    Some(inner) => inner,
                    None => return Target::Missing(span),
                },
                _ => return Target::Missing(span),
            };
        }
        Target::Found(value, span)
    }
}

impl Resource<'_> {
    /// Where `path` leads: a target per block it passes through (two
    /// `ebs_block_device` blocks are two targets; `dynamic` blocks once per element).
    pub fn targets(&self, path: &str) -> Vec<Target> {
        let steps: Vec<&str> = path.split('.').collect();
        let mut found = Vec::new();
        self.body()
            .walk(self, &steps, self.header_span(), &mut found);
        found
    }

    /// Whether any target of `path` is set (unknown counts as set).
    pub fn is_set(&self, path: &str) -> bool {
        self.targets(path).iter().any(Target::is_set)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::terraform::tests::sources;
    use crate::terraform::{modules, render_value};

    /// Each target of `path` in the first resource of the module made of `files`, as
    /// `line kind [value]`.
    fn targets(files: &[(&str, &str)], path: &str) -> Vec<String> {
        let sources = sources(files);
        let modules = modules(&sources);
        let resource = &modules[0].resources()[0];
        let line = |span: Span| resource.source.position(span.start).line;
        resource
            .targets(path)
            .into_iter()
            .map(|target| match target {
                Target::Found(value, span) => format!("{} {}", line(span), render_value(&value)),
                Target::Missing(span) => format!("{} missing", line(span)),
            })
            .collect()
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
    for_each = var.disks
    content {
      ebs {
        encrypted = mapping.value
      }
    }
  }
}
"#;

    #[test]
    fn paths_lead_through_every_nested_block_and_dynamic_instance() {
        let vars = "variable \"disks\" {\n  default = [false, true]\n}\n";
        let found = targets(
            &[("main.tf", NESTED), ("vars.tf", vars)],
            "mapping.ebs.encrypted",
        );
        assert_eq!(
            found,
            [
                "4 true",
                "9 null",
                "11 missing",
                "14 missing",
                "21 false",
                "21 true"
            ]
        );
        // An unknown collection: the content once, its iterator unknown.
        let found = targets(&[("main.tf", NESTED)], "mapping.ebs.encrypted");
        assert_eq!(found.last().unwrap(), "21 (unknown)");
        assert_eq!(targets(&[("main.tf", NESTED)], "absent"), ["1 missing"]);
    }

    #[test]
    fn paths_lead_into_object_keys_literal_or_evaluated() {
        let text = "resource \"r\" \"a\" {\n  tags = {\n    Env = \"dev\"\n    \"Owner\" = \"\"\n  }\n  labels = local.labels\n  computed = { (var.k) = 1 }\n}\n";
        let locals = "locals {\n  labels = { team = \"a\" }\n}\n";
        let files = [("main.tf", text), ("locals.tf", locals)];
        assert_eq!(targets(&files, "tags.Env"), ["3 \"dev\""]);
        assert_eq!(targets(&files, "tags.Owner"), ["4 \"\""]);
        assert_eq!(targets(&files, "tags.Cost"), ["2 missing"]);
        assert_eq!(targets(&files, "labels.team"), ["6 \"a\""]);
        assert_eq!(targets(&files, "labels.other"), ["6 missing"]);
        assert_eq!(targets(&files, "computed.x"), ["7 (unknown)"]);
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
        let modules = modules(&sources);
        let found: Vec<(String, &str)> = modules[0]
            .resources()
            .iter()
            .map(|r| (r.address(), &*r.source.path))
            .collect();
        assert_eq!(found, [("r.a".to_string(), "m/main.tf")]);
        assert_eq!(modules[0].dir, "m");
        assert_eq!(modules[0].files.len(), 2);
    }
}
