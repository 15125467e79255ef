//! Terraform: the assertions and Rust checks dispatched over each resource of each
//! module, the modules evaluated by `audit_model::terraform`.

use audit_core::Span;
use audit_model::terraform::{self, Resolved, Resource, Target, Value, render_value};

use crate::checks::{Emit, Outcome};
use crate::facts::ProjectFacts;
use crate::plan::{Plan, TerraformMatcher};
use crate::rules::{TerraformAssertion, Verdict};

/// What a Terraform check sees: one resource block in its evaluated module.
pub type ResourceContext<'a> = Resource<'a>;

pub fn run(plan: &Plan, facts: &ProjectFacts, out: &mut Outcome) {
    if plan.terraform.is_empty() {
        return;
    }
    let files = facts.files.iter().filter_map(|(_, f)| f.terraform.as_ref());
    for module in terraform::modules(files) {
        for ctx in module.resources() {
            let Some(matchers) = plan.terraform.get(ctx.resource_type) else {
                continue;
            };
            let path = Some(&*ctx.source.path);
            for (index, matcher) in matchers {
                out.run(&plan.rules[*index].meta, path, |emit| match matcher {
                    TerraformMatcher::Assertion(assertion) => {
                        check_assertion(&ctx, assertion, emit)
                    }
                    TerraformMatcher::Check(check) => check(&ctx, emit),
                });
            }
        }
    }
}

fn check_assertion(ctx: &ResourceContext<'_>, assertion: &TerraformAssertion, out: &mut Emit<'_>) {
    if assertion
        .unless_set
        .iter()
        .any(|path| ctx.targets(path).iter().any(|t| ctx.is_set(t)))
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
    for target in ctx.targets(&assertion.attribute) {
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use audit_core::{RuleId, SourceText};
    use audit_model::terraform::{TerraformSource, modules};

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
        let module = modules(&sources).next().unwrap();
        let ctx = module.resources().next().unwrap();
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
