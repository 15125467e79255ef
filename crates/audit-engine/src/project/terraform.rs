//! Terraform modules: each folder's files evaluated together, so `var.x` (defaults and
//! `*.tfvars`), `local.y` and simple interpolation resolve; anything else is unknown.

use std::collections::BTreeMap;

use audit_core::{Finding, SourceText, Span};
use audit_syntax::hcl_edit::Span as _;
use audit_syntax::hcl_edit::expr::Expression;
use audit_syntax::hcl_edit::structure::{Attribute, Block, Body};
use hcl::Value;
use hcl::eval::{Context, Evaluate};

use crate::checks::{CheckFn, Emit};
use crate::facts::{ProjectFacts, TerraformSource};
use crate::plan::{Plan, TerraformMatcher};
use crate::rules::{MissingValue, TerraformAssertion, UnknownValue};

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
    fn new(files: &[&TerraformSource]) -> ModuleScope {
        let mut vars = hcl::Map::new();
        for file in files.iter().filter(|f| !is_tfvars(f)) {
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
        for file in files.iter().filter(|f| is_tfvars(f)) {
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

    pub fn resolve(&self, expr: &Expression) -> Resolved {
        match hcl::Expression::from(expr.clone()).evaluate(&self.context) {
            Ok(value) => Resolved::Known(value),
            Err(_) => Resolved::Unknown,
        }
    }
}

/// What a Terraform check sees: one resource block in its module.
pub struct ResourceContext<'a> {
    pub source: &'a SourceText,
    pub block: &'a Block,
    pub resource_type: &'a str,
    pub name: &'a str,
    pub scope: &'a ModuleScope,
}

impl ResourceContext<'_> {
    /// `aws_db_instance.main`, the way Terraform addresses the resource.
    pub fn address(&self) -> String {
        format!("{}.{}", self.resource_type, self.name)
    }

    /// The resource's first line: where findings about missing attributes point.
    pub fn header_span(&self) -> Span {
        let start = self.block.span().map_or(0, |s| s.start);
        let line = self.source.lines.line_of(start);
        Span::new(
            start,
            self.source.lines.line_range(&self.source.text, line).end,
        )
    }

    pub fn resolve(&self, expr: &Expression) -> Resolved {
        self.scope.resolve(expr)
    }
}

/// Byte span of an attribute, for findings on a wrong value.
pub fn attribute_span(attr: &Attribute) -> Span {
    attr.span().map(Span::from).unwrap_or_default()
}

pub fn run(plan: &Plan, facts: &ProjectFacts, findings: &mut Vec<Finding>) {
    if plan.terraform.is_empty() {
        return;
    }
    let mut modules: BTreeMap<&str, Vec<&TerraformSource>> = BTreeMap::new();
    for tf in facts.files.iter().filter_map(|(_, f)| f.terraform.as_ref()) {
        let dir = tf.source.path.rsplit_once('/').map_or("", |(dir, _)| dir);
        modules.entry(dir).or_default().push(tf);
    }
    for files in modules.values() {
        let scope = ModuleScope::new(files);
        for file in files.iter().filter(|f| !is_tfvars(f)) {
            for block in top_blocks(&file.file.body, "resource") {
                let [ty, name, ..] = block.labels.as_slice() else {
                    continue;
                };
                let Some(matchers) = plan.terraform.get(ty.as_str()) else {
                    continue;
                };
                let ctx = ResourceContext {
                    source: &file.source,
                    block,
                    resource_type: ty.as_str(),
                    name: name.as_str(),
                    scope: &scope,
                };
                for (index, matcher) in matchers {
                    let rule = &plan.rules[*index];
                    let mut emit = Emit::new(rule.id(), &rule.meta.message);
                    match matcher {
                        TerraformMatcher::Assertion(assertion) => {
                            check_assertion(&ctx, assertion, &mut emit)
                        }
                        TerraformMatcher::Check(CheckFn::Terraform(check)) => {
                            check(&ctx, &mut emit)
                        }
                        TerraformMatcher::Check(_) => {}
                    }
                    findings.extend(emit.findings);
                }
            }
        }
    }
}

fn check_assertion(ctx: &ResourceContext<'_>, assertion: &TerraformAssertion, out: &mut Emit<'_>) {
    let expected = render_toml(&assertion.expect);
    let address = ctx.address();
    let args = |actual: &str| {
        [
            ("resource", address.clone()),
            ("attribute", assertion.attribute.clone()),
            ("expected", expected.clone()),
            ("actual", actual.to_string()),
        ]
    };
    let emit_args = |out: &mut Emit<'_>, span: Span, actual: &str| {
        let owned = args(actual);
        let borrowed: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (*k, v.as_str())).collect();
        out.report(ctx.source, span, &borrowed);
    };
    match find_attribute(&ctx.block.body, &assertion.attribute) {
        None => {
            if assertion.missing == MissingValue::Fail {
                emit_args(out, ctx.header_span(), "not set");
            }
        }
        Some(attr) => match ctx.resolve(&attr.value) {
            Resolved::Known(value) => {
                if !value_matches(&value, &assertion.expect) {
                    emit_args(
                        out,
                        attribute_span(attr),
                        &format!("`{}`", render_value(&value)),
                    );
                }
            }
            Resolved::Unknown => {
                if assertion.unknown == UnknownValue::Fail {
                    emit_args(out, attribute_span(attr), "not statically known");
                }
            }
        },
    }
}

/// Follows `a.b.c` through nested blocks to an attribute.
fn find_attribute<'a>(body: &'a Body, path: &str) -> Option<&'a Attribute> {
    let (blocks, attribute) = path.rsplit_once('.').map_or(("", path), |(b, a)| (b, a));
    let mut body = body;
    for name in blocks.split('.').filter(|s| !s.is_empty()) {
        body = &body.blocks().find(|b| b.ident.as_str() == name)?.body;
    }
    body.get_attribute(attribute)
}

/// Terraform converts between strings, numbers and bools: `"true"` is `true`.
fn value_matches(value: &Value, expect: &toml::Value) -> bool {
    match (value, expect) {
        (Value::Bool(b), toml::Value::Boolean(e)) => b == e,
        (Value::String(s), toml::Value::Boolean(e)) => s.parse::<bool>().is_ok_and(|b| b == *e),
        (Value::String(s), toml::Value::String(e)) => s == e,
        (Value::Number(n), toml::Value::Integer(e)) => n.as_i64() == Some(*e),
        (Value::String(s), toml::Value::Integer(e)) => s.parse::<i64>().is_ok_and(|n| n == *e),
        _ => false,
    }
}

fn render_toml(value: &toml::Value) -> String {
    match value {
        toml::Value::String(s) => format!("\"{s}\""),
        other => other.to_string(),
    }
}

pub fn render_value(value: &Value) -> String {
    match value {
        Value::String(s) => format!("\"{s}\""),
        other => hcl::format::to_string(other).unwrap_or_else(|_| format!("{other:?}")),
    }
}

fn top_blocks<'a>(body: &'a Body, ident: &'a str) -> impl Iterator<Item = &'a Block> + 'a {
    body.blocks().filter(move |b| b.ident.as_str() == ident)
}

fn is_tfvars(file: &TerraformSource) -> bool {
    file.source.path.ends_with(".tfvars")
}
