//! A module's variables (defaults and `*.tfvars`) and locals, evaluated with hcl-rs so
//! `var.x`, `local.y` and simple interpolation resolve; anything else is unknown.

use std::collections::BTreeMap;

use audit_syntax::hcl_edit::expr::Expression;
use audit_syntax::hcl_edit::structure::Attribute;
use hcl::Value;
use hcl::eval::{Context, Evaluate};

use super::{TerraformSource, top_blocks};

/// A value as far as static evaluation can tell.
#[derive(Debug, Clone, PartialEq)]
pub enum Resolved {
    Known(Value),
    Unknown,
}

/// The variables and locals of one module (folder).
pub struct ModuleScope {
    context: Context<'static>,
}

impl ModuleScope {
    /// Evaluates the module made of `files` (its `.tf` and `.tfvars` files).
    pub fn new(files: &[&TerraformSource]) -> ModuleScope {
        let mut vars = hcl::Map::new();
        for file in files.iter().filter(|f| !f.is_tfvars()) {
            for block in top_blocks(&file.file.body, "variable") {
                let (Some(name), Some(default)) =
                    (block.labels.first(), block.body.get_attribute("default"))
                else {
                    continue;
                };
                if let Ok(value) =
                    hcl::Expression::from(default.value.clone()).evaluate(&Context::new())
                {
                    vars.insert(name.as_str().to_string(), value);
                }
            }
        }
        // Several tfvars files setting one variable differently (dev vs prod) make it unknown.
        let mut from_tfvars: BTreeMap<String, Option<Value>> = BTreeMap::new();
        for file in files.iter().filter(|f| f.is_tfvars()) {
            for attr in file.file.body.attributes() {
                let value = hcl::Expression::from(attr.value.clone())
                    .evaluate(&Context::new())
                    .ok();
                from_tfvars
                    .entry(attr.key.as_str().to_string())
                    .and_modify(|seen| {
                        if *seen != value {
                            *seen = None
                        }
                    })
                    .or_insert(value);
            }
        }
        for (name, value) in from_tfvars {
            match value {
                Some(value) => vars.insert(name, value),
                None => vars.shift_remove(&name),
            };
        }
        let mut context = Context::new();
        context.declare_var("var", Value::Object(vars));

        // Locals may refer to each other: evaluate until a round resolves nothing new.
        let locals: Vec<&Attribute> = files
            .iter()
            .flat_map(|f| top_blocks(&f.file.body, "locals").flat_map(|b| b.body.attributes()))
            .collect();
        let mut resolved = hcl::Map::new();
        loop {
            let before = resolved.len();
            context.declare_var("local", Value::Object(resolved.clone()));
            for attr in &locals {
                let key = attr.key.as_str();
                if !resolved.contains_key(key)
                    && let Ok(value) = hcl::Expression::from(attr.value.clone()).evaluate(&context)
                {
                    resolved.insert(key.to_string(), value);
                }
            }
            if resolved.len() == before {
                break;
            }
        }
        context.declare_var("local", Value::Object(resolved));
        ModuleScope { context }
    }

    /// The expression's value in this module, or unknown.
    pub fn resolve(&self, expr: &Expression) -> Resolved {
        match hcl::Expression::from(expr.clone()).evaluate(&self.context) {
            Ok(value) => Resolved::Known(value),
            Err(_) => Resolved::Unknown,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::terraform::tests::sources;

    /// `expr` resolved in the module made of `files`.
    fn resolve(files: &[(&str, &str)], expr: &str) -> Resolved {
        let sources = sources(files);
        let refs: Vec<&TerraformSource> = sources.iter().collect();
        let scope = ModuleScope::new(&refs);
        let body = audit_syntax::parse_hcl(&format!("x = {expr}\n"))
            .unwrap()
            .body;
        scope.resolve(&body.get_attribute("x").unwrap().value)
    }

    fn known(value: impl Into<Value>) -> Resolved {
        Resolved::Known(value.into())
    }

    const VARIABLES: &str = "variable \"port\" {\n  default = 22\n}\nvariable \"env\" {\n  default = \"dev\"\n}\nvariable \"region\" {}\n";

    #[test]
    fn variables_resolve_to_their_defaults_and_interpolate() {
        let files = [("variables.tf", VARIABLES)];
        assert_eq!(resolve(&files, "var.port"), known(22));
        assert_eq!(resolve(&files, "\"app-${var.env}\""), known("app-dev"));
        assert_eq!(resolve(&files, "var.region"), Resolved::Unknown);
        assert_eq!(resolve(&files, "aws_kms_key.k.arn"), Resolved::Unknown);
    }

    #[test]
    fn tfvars_override_defaults_unless_they_disagree() {
        let one = [
            ("variables.tf", VARIABLES),
            (
                "terraform.tfvars",
                "env = \"prod\"\nregion = \"eu-west-1\"\n",
            ),
        ];
        assert_eq!(resolve(&one, "var.env"), known("prod"));
        assert_eq!(resolve(&one, "var.region"), known("eu-west-1"));
        let two = [
            ("variables.tf", VARIABLES),
            ("dev.tfvars", "env = \"dev\"\nport = 22\n"),
            ("prod.tfvars", "env = \"prod\"\nport = 22\n"),
        ];
        assert_eq!(resolve(&two, "var.env"), Resolved::Unknown);
        assert_eq!(resolve(&two, "var.port"), known(22));
    }

    #[test]
    fn locals_resolve_through_each_other_in_any_order() {
        let files = [
            ("variables.tf", VARIABLES),
            (
                "locals.tf",
                "locals {\n  name = \"${local.prefix}-api\"\n  unknown = var.region\n}\nlocals {\n  prefix = var.env\n}\n",
            ),
        ];
        assert_eq!(resolve(&files, "local.name"), known("dev-api"));
        assert_eq!(resolve(&files, "local.unknown"), Resolved::Unknown);
    }
}
