//! Terraform: the assertions and Rust checks dispatched over each resource instance of
//! each module instance, the modules evaluated by `audit_model::terraform`. A resource
//! with several instances (`count`, `for_each`) is reported once when every instance
//! gives the same findings and per instance (naming it) otherwise; a module called from
//! several places reports a finding in its file once, naming the first call.

use std::collections::HashSet;
use std::sync::Arc;

use audit_core::{Finding, Note, RuleMeta, Span};
use audit_model::terraform::{self, Module, PendingModule, Resource, Target, Value, render_value};

use super::crosslayer::{self, TlsDatabase};
use super::in_order;
use crate::checks::{Emit, Outcome, isolated};
use crate::facts::ProjectFacts;
use crate::plan::{Plan, TerraformMatcher};
use crate::rules::{RuleIdx, TerraformAssertion, Verdict};

/// What a Terraform check sees: one resource instance in its evaluated module.
pub type ResourceContext<'a> = Resource<'a>;

/// Runs the Terraform checks over every resource instance of every module instance and
/// returns the databases that demand TLS, for the cross-layer checks (collected in the
/// same walk over the module instances, when those checks are enabled). With several
/// threads, modules are built here, in order, and checked on the others; the results
/// are merged in module order, so the output is the same with any number of threads.
pub fn run(
    plan: &Plan,
    facts: &ProjectFacts,
    threads: usize,
    out: &mut Outcome,
) -> Vec<TlsDatabase> {
    let cross_layer = !plan.cross_layer.is_empty();
    let mut merged = Merged {
        seen: HashSet::new(),
        tls_databases: Vec::new(),
        out,
    };
    if plan.terraform.is_empty() && !cross_layer {
        return merged.tls_databases;
    }
    let files = facts
        .files
        .iter()
        .filter_map(|(_, f)| f.terraform.as_deref());
    let check = |module: PendingModule<'_>| check_module(plan, &module.build(), cross_layer);
    // Each module instance is checked and dropped soon after it is built.
    if threads <= 1 {
        terraform::for_each_module(files, |module| merged.add(check(module)));
    } else {
        in_order::map_in_order(
            threads,
            |give| terraform::for_each_module(files, give),
            check,
            |checked| merged.add(checked),
        );
    }
    merged.tls_databases
}

/// What the checks found in one module instance, before the findings of a module
/// called from several places are deduplicated.
struct Checked {
    findings: Vec<(RuleIdx, Finding)>,
    notes: Vec<Note>,
    tls_databases: Vec<TlsDatabase>,
}

/// The module instances' results, merged in module order.
struct Merged<'o> {
    seen: HashSet<(RuleIdx, usize, usize, Arc<str>)>,
    tls_databases: Vec<TlsDatabase>,
    out: &'o mut Outcome,
}

impl Merged<'_> {
    fn add(&mut self, checked: Checked) {
        self.tls_databases.extend(checked.tls_databases);
        self.out.notes.extend(checked.notes);
        for (index, finding) in checked.findings {
            // A module called from several places: its findings once, the first call's.
            let key = (
                index,
                finding.location.span.start,
                finding.location.span.end,
                finding.location.path.clone(),
            );
            if self.seen.insert(key) {
                self.out.findings.push(finding);
            }
        }
    }
}

/// Every enabled check over every resource instance of `module`.
fn check_module(plan: &Plan, module: &Module<'_>, cross_layer: bool) -> Checked {
    let mut checked = Checked {
        findings: Vec::new(),
        notes: Vec::new(),
        tls_databases: Vec::new(),
    };
    if cross_layer {
        let collected = isolated("the cross-layer model", None, || {
            crosslayer::collect_tls_databases(module, &mut checked.tls_databases)
        });
        if let Err(note) = collected {
            checked.notes.push(note);
        }
    }
    if plan.terraform.is_empty() {
        return checked;
    }
    let mut resources = module.resources();
    // Provider and variable blocks, for the checks that read them (TF011).
    if plan.terraform.contains_key(terraform::PROVIDER)
        || plan.terraform.contains_key(terraform::VARIABLE)
    {
        resources.extend(module.settings());
    }
    let mut out = Outcome::default();
    let mut start = 0;
    while start < resources.len() {
        let block = resources[start].block;
        let end = start
            + resources[start..]
                .iter()
                .take_while(|r| std::ptr::eq(r.block, block))
                .count();
        let instances = &mut resources[start..end];
        start = end;
        let Some(matchers) = plan.terraform.get(instances[0].resource_type) else {
            continue;
        };
        for (index, matcher) in matchers {
            let meta = &plan.rules[*index].meta;
            let found = run_instances(meta, matcher, instances, &mut out);
            checked
                .findings
                .extend(found.into_iter().map(|finding| (*index, finding)));
        }
    }
    checked.notes.extend(out.notes);
    checked
}

/// One rule over the instances of one resource block: the first instance's findings
/// when all agree, otherwise each instance's, named.
fn run_instances(
    meta: &RuleMeta,
    matcher: &TerraformMatcher,
    instances: &mut [Resource<'_>],
    out: &mut Outcome,
) -> Vec<Finding> {
    let run = |ctx: &Resource<'_>, out: &mut Outcome| {
        let mut one = Outcome::default();
        one.run(meta, Some(&ctx.source.path), |emit| match matcher {
            TerraformMatcher::Assertion(assertion) => check_assertion(ctx, assertion, emit),
            TerraformMatcher::Check(check) => check(ctx, emit),
        });
        out.notes.extend(one.notes);
        one.findings
    };
    let found: Vec<Vec<Finding>> = instances.iter().map(|ctx| run(ctx, out)).collect();
    let same = |a: &[Finding], b: &[Finding]| {
        a.len() == b.len()
            && a.iter()
                .zip(b)
                .all(|(x, y)| x.location == y.location && x.message == y.message)
    };
    if found.iter().all(|f| same(f, &found[0])) {
        return found.into_iter().next().unwrap_or_default();
    }
    instances
        .iter_mut()
        .flat_map(|ctx| {
            ctx.name_instance = true;
            run(ctx, &mut Outcome::default())
        })
        .collect()
}

fn check_assertion(ctx: &ResourceContext<'_>, assertion: &TerraformAssertion, out: &mut Emit<'_>) {
    if assertion.unless_set.iter().any(|path| ctx.is_set(path)) {
        return;
    }
    // Rendered only for a finding: most resources pass.
    let mut report = |span: Span, actual: &str| {
        let expected = match (&assertion.expect, &assertion.expect_set) {
            (Some(value), _) => render_toml(value),
            (None, Some(text)) => text.clone(),
            (None, None) => String::new(),
        };
        let address = ctx.address();
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
            Target::Missing(span) => (Value::Null, span),
            Target::Found(value, span) => (value, span),
        };
        match value {
            // `x = null` is Terraform's way of leaving an attribute out.
            Value::Null => {
                if assertion.missing == Verdict::Fail {
                    report(span, "not set");
                }
            }
            Value::Unknown => {
                if assertion.unknown == Verdict::Fail {
                    report(span, "not statically known");
                }
            }
            value => {
                let passes = match &assertion.expect {
                    Some(expect) => value_matches(&value, expect),
                    None => value != Value::from(""),
                };
                if !passes {
                    report(span, &format!("`{}`", render_value(&value)));
                }
            }
        }
    }
}

/// Terraform converts between strings, numbers and bools: `"true"` is `true`.
fn value_matches(value: &Value, expect: &toml::Value) -> bool {
    match expect {
        toml::Value::Boolean(e) => value.as_bool() == Some(*e),
        toml::Value::String(e) => value.as_str() == Some(e.as_str()),
        toml::Value::Integer(e) => value.as_i64() == Some(*e),
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
    use audit_model::terraform::{TerraformFile, lower_body, modules};

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
        let sources: Vec<TerraformFile> = files
            .iter()
            .map(|(path, text)| TerraformFile {
                source: SourceText::new(Arc::from(*path), text.to_string()),
                body: lower_body(&audit_syntax::parse_hcl(text).unwrap().body),
                parse_error: None,
            })
            .collect();
        let modules = modules(&sources);
        let resources = modules[0].resources();
        let ctx = &resources[0];
        let rule = RuleId("T001".into());
        let mut emit = Emit::new(&rule, "{actual}");
        check_assertion(ctx, assertion, &mut emit);
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
