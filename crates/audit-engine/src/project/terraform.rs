//! Terraform modules: each folder's files evaluated together, so `var.x` (defaults and
//! `*.tfvars`), `local.y` and simple interpolation resolve; anything else is unknown.

use std::collections::BTreeMap;

use audit_core::{Finding, SourceText, Span};
use audit_syntax::hcl_edit::Span as _;
use audit_syntax::hcl_edit::expr::{Expression, ObjectKey};
use audit_syntax::hcl_edit::structure::{Attribute, Block, Body};
use hcl::Value;
use hcl::eval::{Context, Evaluate};

use crate::checks::Emit;
use crate::facts::{ProjectFacts, TerraformSource};
use crate::plan::{Plan, TerraformMatcher};
use crate::rules::{TerraformAssertion, Verdict};

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
        self.line_span(self.block.span().map_or(0, |s| s.start))
    }

    /// From `start` to the end of its line.
    fn line_span(&self, start: usize) -> Span {
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
                    let mut emit = Emit::for_rule(&rule.meta);
                    match matcher {
                        TerraformMatcher::Assertion(assertion) => {
                            check_assertion(&ctx, assertion, &mut emit)
                        }
                        TerraformMatcher::Check(check) => check(&ctx, &mut emit),
                    }
                    findings.extend(emit.findings);
                }
            }
        }
    }
}

fn check_assertion(ctx: &ResourceContext<'_>, assertion: &TerraformAssertion, out: &mut Emit<'_>) {
    if assertion
        .unless_set
        .iter()
        .any(|path| targets(ctx, path).iter().any(|t| is_set(ctx, t)))
    {
        return;
    }
    let expected = match (&assertion.expect, &assertion.expect_set) {
        (Some(value), _) => render_toml(value),
        (None, Some(text)) => text.clone(),
        (None, None) => String::new(),
    };
    let address = ctx.address();
    let mut report = |span: Span, actual: &str| {
        let args = [
            ("resource", address.as_str()),
            ("attribute", assertion.attribute.as_str()),
            ("expected", expected.as_str()),
            ("actual", actual),
        ];
        out.report(ctx.source, span, &args);
    };
    for target in targets(ctx, &assertion.attribute) {
        let (value, span) = match target {
            Target::Missing(span) => (Resolved::Known(Value::Null), span),
            Target::Unknown(span) => (Resolved::Unknown, span),
            Target::Expr(expr, span) => (ctx.resolve(expr), span),
            Target::Value(value, span) => (Resolved::Known(value), span),
        };
        match value {
            // `x = null` is Terraform's way of leaving an attribute out.
            Resolved::Known(Value::Null) => {
                if assertion.missing == Verdict::Fail {
                    report(span, "not set");
                }
            }
            Resolved::Known(value) => {
                let passes = match &assertion.expect {
                    Some(expect) => value_matches(&value, expect),
                    None => value != Value::from(""),
                };
                if !passes {
                    report(span, &format!("`{}`", render_value(&value)));
                }
            }
            Resolved::Unknown => {
                if assertion.unknown == Verdict::Fail {
                    report(span, "not statically known");
                }
            }
        }
    }
}

/// Where an attribute path leads in one resource: a target per block it passes through.
#[derive(Debug)]
enum Target<'a> {
    /// The attribute's expression, and its span.
    Expr(&'a Expression, Span),
    /// An object key's value, reached through a variable or local that resolved.
    Value(Value, Span),
    /// Absent: the first line of the innermost block (or attribute) that should hold it.
    Missing(Span),
    /// An object whose keys cannot be read statically.
    Unknown(Span),
}

/// Whether a target holds something other than `null` or `""`: an unknown value counts.
fn is_set(ctx: &ResourceContext<'_>, target: &Target<'_>) -> bool {
    let value = match target {
        Target::Missing(_) => return false,
        Target::Unknown(_) => return true,
        Target::Expr(expr, _) => match ctx.resolve(expr) {
            Resolved::Known(value) => value,
            Resolved::Unknown => return true,
        },
        Target::Value(value, _) => value.clone(),
    };
    value != Value::Null && value != Value::from("")
}

/// Follows `a.b.c` through every nested block named `a`, then `b` (two `ebs_block_device`
/// blocks are two targets), and through object keys once it reaches an attribute
/// (`tags.Environment`).
fn targets<'a>(ctx: &ResourceContext<'a>, path: &str) -> Vec<Target<'a>> {
    let steps: Vec<&str> = path.split('.').collect();
    let mut found = Vec::new();
    walk(ctx, &ctx.block.body, &steps, ctx.header_span(), &mut found);
    found
}

fn walk<'a>(
    ctx: &ResourceContext<'_>,
    body: &'a Body,
    steps: &[&str],
    missing: Span,
    found: &mut Vec<Target<'a>>,
) {
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
            walk(ctx, &block.body, rest, ctx.line_span(start), found);
        }
    } else if let Some(attr) = body.get_attribute(name) {
        found.push(object_key(ctx, &attr.value, rest, attribute_span(attr)));
    } else {
        found.push(Target::Missing(missing));
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

/// Steps through object keys: a literal object's item by item (its other items may be
/// unknown), anything else by resolving it to an object value.
fn object_key<'a>(
    ctx: &ResourceContext<'_>,
    expr: &'a Expression,
    keys: &[&str],
    span: Span,
) -> Target<'a> {
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
                    return object_key(ctx, item.expr(), rest, item_span);
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
    let mut value = match ctx.resolve(expr) {
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use audit_core::RuleId;

    use super::*;

    fn assertion(attribute: &str, expect: Option<toml::Value>) -> TerraformAssertion {
        TerraformAssertion {
            resources: vec!["r".into()],
            attribute: attribute.into(),
            expect_set: expect.is_none().then(|| "\"x\"".to_string()),
            expect,
            missing: Verdict::Fail,
            unknown: Verdict::Pass,
            unless_set: Vec::new(),
        }
    }

    /// The lines (1-based) and `{actual}`s the assertion reports on the module's first
    /// resource; `files` are (path, text), the first one holding the resource.
    fn check(files: &[(&str, &str)], assertion: &TerraformAssertion) -> Vec<(u32, String)> {
        let sources: Vec<TerraformSource> = files
            .iter()
            .map(|(path, text)| TerraformSource {
                source: SourceText::new(Arc::from(*path), text.to_string()),
                file: audit_syntax::parse_hcl(text).unwrap(),
            })
            .collect();
        let refs: Vec<&TerraformSource> = sources.iter().collect();
        let scope = ModuleScope::new(&refs);
        let block = top_blocks(&sources[0].file.body, "resource")
            .next()
            .unwrap();
        let ctx = ResourceContext {
            source: &sources[0].source,
            block,
            resource_type: block.labels[0].as_str(),
            name: block.labels[1].as_str(),
            scope: &scope,
        };
        let rule = RuleId("T001".into());
        let mut emit = Emit::new(&rule, "{actual}");
        check_assertion(&ctx, assertion, &mut emit);
        emit.findings
            .into_iter()
            .map(|f| (f.location.start.line, f.message))
            .collect()
    }

    fn one(text: &str, assertion: &TerraformAssertion) -> Vec<(u32, String)> {
        check(&[("main.tf", text)], assertion)
    }

    fn lines(found: &[(u32, String)]) -> Vec<u32> {
        found.iter().map(|(line, _)| *line).collect()
    }

    const TAGS: &str = r#"resource "r" "a" {
  tags = {
    Name        = var.undeclared
    Environment = "dev"
    "Owner"     = "team-a"
  }
}
"#;

    #[test]
    fn object_keys_are_followed_into_literal_objects() {
        let dev = Some(toml::Value::from("dev"));
        assert!(one(TAGS, &assertion("tags.Environment", dev.clone())).is_empty());
        assert!(one(TAGS, &assertion("tags.Owner", Some("team-a".into()))).is_empty());
        // Reported on the key, with the value found, not "not set".
        let prod = Some(toml::Value::from("prod"));
        assert_eq!(
            one(TAGS, &assertion("tags.Environment", prod)),
            [(4, "`\"dev\"`".to_string())]
        );
        assert_eq!(
            one(TAGS, &assertion("tags.CostCenter", dev.clone())),
            [(2, "not set".to_string())]
        );
        // Another key's unknown value does not hide this one, and is itself unknown.
        assert!(one(TAGS, &assertion("tags.Name", dev)).is_empty());
    }

    #[test]
    fn object_keys_are_followed_through_locals_and_stop_at_unknowns() {
        let text = "resource \"r\" \"a\" {\n  tags = local.tags\n}\n";
        let locals = "locals {\n  tags = { Environment = \"dev\" }\n}\n";
        let files = [("main.tf", text), ("locals.tf", locals)];
        let prod = Some(toml::Value::from("prod"));
        assert_eq!(
            check(&files, &assertion("tags.Environment", prod.clone())),
            [(2, "`\"dev\"`".to_string())]
        );
        assert_eq!(
            lines(&check(&files, &assertion("tags.Owner", prod.clone()))),
            [2]
        );
        let merged = "resource \"r\" \"a\" {\n  tags = merge(local.tags, { Owner = \"a\" })\n}\n";
        assert!(one(merged, &assertion("tags.Environment", prod.clone())).is_empty());
        let computed = "resource \"r\" \"a\" {\n  tags = { (var.key) = \"x\" }\n}\n";
        assert!(one(computed, &assertion("tags.Environment", prod)).is_empty());
    }

    #[test]
    fn every_nested_block_is_checked_two_levels_deep() {
        let text = r#"resource "r" "a" {
  mapping {
    ebs {
      encrypted = true
    }
  }
  mapping {
    ebs {
      encrypted = false
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
        encrypted = "false"
      }
    }
  }
}
"#;
        let found = one(text, &assertion("mapping.ebs.encrypted", Some(true.into())));
        // The `ebs` without the flag (line 11) and the `mapping` without `ebs` (line 14)
        // are reported where the flag is missing.
        assert_eq!(lines(&found), [9, 11, 14, 21]);
    }

    #[test]
    fn null_is_an_absent_attribute() {
        let text = "resource \"r\" \"a\" {\n  encrypted = null\n}\n";
        let mut a = assertion("encrypted", Some(true.into()));
        assert_eq!(one(text, &a), [(2, "not set".to_string())]);
        a.missing = Verdict::Pass;
        assert!(one(text, &a).is_empty());
    }

    #[test]
    fn expect_set_wants_a_non_empty_value() {
        let a = assertion("key", None);
        let block = |body: &str| format!("resource \"r\" \"a\" {{\n{body}\n}}\n");
        assert_eq!(one(&block(""), &a), [(1, "not set".to_string())]);
        assert_eq!(one(&block("  key = \"\""), &a), [(2, "`\"\"`".to_string())]);
        assert!(one(&block("  key = \"alias/aws/sns\""), &a).is_empty());
        assert!(one(&block("  key = aws_kms_key.k.arn"), &a).is_empty());
    }

    #[test]
    fn unless_set_exempts_the_resource() {
        let mut a = assertion("sse", Some(true.into()));
        a.unless_set = vec!["key".into()];
        let block = |body: &str| format!("resource \"r\" \"a\" {{\n  sse = false\n{body}\n}}\n");
        assert_eq!(lines(&one(&block(""), &a)), [2]);
        assert_eq!(lines(&one(&block("  key = null"), &a)), [2]);
        assert_eq!(lines(&one(&block("  key = \"\""), &a)), [2]);
        assert!(one(&block("  key = aws_kms_key.k.arn"), &a).is_empty());
        assert!(one(&block("  key = \"alias/aws/sqs\""), &a).is_empty());
    }
}
