//! Evaluation of lowered expressions in one module instance: variables, locals (on
//! demand, memoised, a cycle is unknown), `count`/`each`/`for` bindings, references to
//! other resources' configured attributes, the common functions, conditionals and
//! operators. Anything else is [`Value::Unknown`]; evaluation is bounded by depth and by
//! fuel, so hostile input ends as unknown, never as a hang or a stack overflow.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

use foldhash::HashMap;

use super::Module;
use super::functions;
use super::lower::{BinaryOp, Expr, ExprKind, ForExpr, ObjectItemKey, Step, TemplatePart};
use super::value::Value;

/// Names bound around an expression: `count`, `each`, a `dynamic` block's iterator, a
/// `for` expression's variables. Innermost last.
pub type Bindings = [(String, Value)];

/// Why evaluation stopped: Terraform would report an error (a missing key, a bad
/// conversion), which `try` and `can` observe. Everywhere else it reads as unknown.
#[derive(Debug)]
pub struct Failed;

pub type Eval = Result<Value, Failed>;

/// Nested evaluation (locals through locals, references through references) deeper than
/// this is unknown.
const MAX_DEPTH: usize = 96;
/// Expression nodes one module instance may evaluate; beyond, every value is unknown.
const FUEL: u64 = 20_000_000;
/// Elements a `for` expression or function builds at most.
pub const MAX_ELEMENTS: usize = 10_000;
/// A value bigger than this (elements, and string bytes / 64) is unknown: locals that
/// double a list or a string at each step would otherwise take all memory.
const MAX_VALUE_WEIGHT: usize = 100_000;

/// The evaluation state of a module instance.
pub(super) struct Evaluator {
    local_values: RefCell<HashMap<String, Value>>,
    /// Other resources' attributes read through references, by `type.name.attribute`.
    reference_values: RefCell<HashMap<String, Value>>,
    in_progress: RefCell<Vec<String>>,
    depth: Cell<usize>,
    fuel: Cell<u64>,
}

impl Default for Evaluator {
    fn default() -> Evaluator {
        Evaluator {
            local_values: RefCell::default(),
            reference_values: RefCell::default(),
            in_progress: RefCell::default(),
            depth: Cell::new(0),
            fuel: Cell::new(FUEL),
        }
    }
}

impl Module<'_> {
    /// The expression's value in this module with `bindings` in scope.
    pub fn eval(&self, expr: &Expr, bindings: &Bindings) -> Value {
        self.try_eval(expr, bindings).unwrap_or(Value::Unknown)
    }

    fn try_eval(&self, expr: &Expr, bindings: &Bindings) -> Eval {
        let state = &self.evaluator;
        let fuel = state.fuel.get();
        if fuel == 0 || state.depth.get() >= MAX_DEPTH {
            return Ok(Value::Unknown);
        }
        state.fuel.set(fuel - 1);
        state.depth.set(state.depth.get() + 1);
        let value = self.eval_kind(expr, bindings);
        state.depth.set(state.depth.get() - 1);
        match value {
            Ok(value @ (Value::List(_) | Value::Object(_) | Value::String(_)))
                if weight(&value, MAX_VALUE_WEIGHT + 1) > MAX_VALUE_WEIGHT =>
            {
                Ok(Value::Unknown)
            }
            other => other,
        }
    }

    fn eval_kind(&self, expr: &Expr, bindings: &Bindings) -> Eval {
        Ok(match &expr.kind {
            ExprKind::Literal(value) => value.clone(),
            ExprKind::Array(items) => Value::List(
                items
                    .iter()
                    .map(|item| self.try_eval(item, bindings))
                    .collect::<Result<_, _>>()?,
            ),
            ExprKind::Object(items) => {
                let mut map = BTreeMap::new();
                for (key, value) in items {
                    let key = match key {
                        ObjectItemKey::Name(name, _) => name.clone(),
                        ObjectItemKey::Computed(key) => {
                            match self.try_eval(key, bindings)?.to_text() {
                                Some(key) => key,
                                None => return Ok(Value::Unknown),
                            }
                        }
                    };
                    map.insert(key, self.try_eval(value, bindings)?);
                }
                Value::Object(map)
            }
            ExprKind::Template(parts) => {
                let mut text = String::new();
                for part in parts {
                    match part {
                        TemplatePart::Literal(literal) => text.push_str(literal),
                        TemplatePart::Interpolation(inner) => {
                            match self.try_eval(inner, bindings)? {
                                Value::Unknown => return Ok(Value::Unknown),
                                value => text.push_str(&value.to_text().ok_or(Failed)?),
                            }
                        }
                        TemplatePart::Directive => return Ok(Value::Unknown),
                    }
                }
                Value::String(text)
            }
            ExprKind::Variable(name) => self.variable(name, bindings),
            ExprKind::Traversal(root, steps) => self.traversal(root, steps, bindings)?,
            ExprKind::Call(call) => {
                self.call(&call.name, &call.args, call.expand_final, bindings)?
            }
            ExprKind::Conditional(parts) => {
                let [cond, then, otherwise] = &**parts;
                match self.try_eval(cond, bindings)? {
                    Value::Unknown => {
                        // Both branches alike: the condition does not matter.
                        let then = self.eval(then, bindings);
                        let otherwise = self.eval(otherwise, bindings);
                        if then == otherwise {
                            then
                        } else {
                            Value::Unknown
                        }
                    }
                    value => match value.as_bool().ok_or(Failed)? {
                        true => self.try_eval(then, bindings)?,
                        false => self.try_eval(otherwise, bindings)?,
                    },
                }
            }
            ExprKind::Not(inner) => match self.try_eval(inner, bindings)? {
                Value::Unknown => Value::Unknown,
                value => Value::Bool(!value.as_bool().ok_or(Failed)?),
            },
            ExprKind::Negate(inner) => match self.try_eval(inner, bindings)? {
                Value::Unknown => Value::Unknown,
                value => Value::Number(-value.as_number().ok_or(Failed)?),
            },
            ExprKind::Binary(op, operands) => {
                let [lhs, rhs] = &**operands;
                self.binary(*op, lhs, rhs, bindings)?
            }
            ExprKind::For(for_expr) => self.for_expr(for_expr, bindings)?,
        })
    }

    fn variable(&self, name: &str, bindings: &Bindings) -> Value {
        bindings
            .iter()
            .rev()
            .find(|(bound, _)| bound == name)
            .map_or(Value::Unknown, |(_, value)| value.clone())
    }

    fn traversal(&self, root: &Expr, steps: &[Step], bindings: &Bindings) -> Eval {
        // Module-level names are looked up by their first step so one local or
        // variable is evaluated, not every one.
        let (value, rest) = match (&root.kind, steps) {
            (ExprKind::Variable(scope), [Step::Attr(name), rest @ ..])
                if !bindings.iter().any(|(bound, _)| bound == scope) =>
            {
                match scope.as_str() {
                    "var" => (self.vars.get(name).cloned().unwrap_or(Value::Unknown), rest),
                    "local" => (self.local(name), rest),
                    // Module outputs, data sources, `path`, `terraform`, `self`.
                    "module" | "data" | "path" | "terraform" | "self" | "count" | "each" => {
                        return Ok(Value::Unknown);
                    }
                    ty => return Ok(self.resource_reference(ty, name, rest, bindings)),
                }
            }
            _ => (self.try_eval(root, bindings)?, steps),
        };
        self.apply_steps(value, rest, bindings)
    }

    /// Steps into a value: attributes, indexes, and splats over every element.
    fn apply_steps(&self, mut value: Value, steps: &[Step], bindings: &Bindings) -> Eval {
        for (i, step) in steps.iter().enumerate() {
            value = match (step, value) {
                (_, Value::Unknown) => return Ok(Value::Unknown),
                (Step::Splat, value) => {
                    let items = match value {
                        Value::List(items) => items,
                        // A splat on a single value makes it a one-element list.
                        Value::Null => Vec::new(),
                        single => vec![single],
                    };
                    let rest = &steps[i + 1..];
                    let mut out = Vec::with_capacity(items.len());
                    for item in items {
                        out.push(self.apply_steps(item, rest, bindings)?);
                    }
                    return Ok(Value::List(out));
                }
                (Step::Attr(key), value) => value.get(key).cloned().ok_or(Failed)?,
                (Step::Index(index), value) => match self.try_eval(index, bindings)? {
                    Value::Unknown => return Ok(Value::Unknown),
                    index => {
                        let key = index.to_text().ok_or(Failed)?;
                        value.get(&key).cloned().ok_or(Failed)?
                    }
                },
            };
        }
        Ok(value)
    }

    /// A local, evaluated on first use; one met again while it is being evaluated is a
    /// cycle and unknown.
    pub fn local(&self, name: &str) -> Value {
        let state = &self.evaluator;
        if let Some(value) = state.local_values.borrow().get(name) {
            return value.clone();
        }
        let Some(expr) = self.locals.get(name) else {
            return Value::Unknown;
        };
        if state.in_progress.borrow().iter().any(|n| n == name) {
            return Value::Unknown;
        }
        state.in_progress.borrow_mut().push(name.to_string());
        let value = self.eval(expr, &[]);
        state.in_progress.borrow_mut().pop();
        state
            .local_values
            .borrow_mut()
            .insert(name.to_string(), value.clone());
        value
    }

    /// `aws_s3_bucket.logs.bucket`: the referenced resource's configured attribute, when
    /// it is a single instance and sets it; computed attributes (`id`, `arn`) are
    /// unknown.
    fn resource_reference(
        &self,
        ty: &str,
        name: &str,
        steps: &[Step],
        bindings: &Bindings,
    ) -> Value {
        let Some(block) = self.resource_block(ty, name) else {
            return Value::Unknown;
        };
        if block.body.attribute("count").is_some() || block.body.attribute("for_each").is_some() {
            return Value::Unknown;
        }
        let Some(Step::Attr(attribute)) = steps.first() else {
            return Value::Unknown;
        };
        let Some(attr) = block.body.attribute(attribute) else {
            return Value::Unknown;
        };
        let key = format!("{ty}.{name}.{attribute}");
        let state = &self.evaluator;
        let memo = state.reference_values.borrow().get(&key).cloned();
        let value = match memo {
            Some(value) => value,
            None if state.in_progress.borrow().contains(&key) => return Value::Unknown,
            None => {
                state.in_progress.borrow_mut().push(key.clone());
                let value = self.eval(&attr.expr, &[]);
                state.in_progress.borrow_mut().pop();
                state
                    .reference_values
                    .borrow_mut()
                    .insert(key, value.clone());
                value
            }
        };
        self.apply_steps(value, &steps[1..], bindings)
            .unwrap_or(Value::Unknown)
    }

    fn call(&self, name: &str, args: &[Expr], expand: bool, bindings: &Bindings) -> Eval {
        match name {
            // The first argument that evaluates without an error; an unknown one could
            // still fail, so it makes the result unknown.
            "try" => {
                for arg in args {
                    match self.try_eval(arg, bindings) {
                        Ok(value) if value.has_unknown() => return Ok(Value::Unknown),
                        Ok(value) => return Ok(value),
                        Err(Failed) => continue,
                    }
                }
                Err(Failed)
            }
            "can" => Ok(match args.first().map(|a| self.try_eval(a, bindings)) {
                Some(Ok(value)) if value.has_unknown() => Value::Unknown,
                Some(Ok(_)) => Value::Bool(true),
                _ => Value::Bool(false),
            }),
            _ => {
                let mut values = Vec::with_capacity(args.len());
                for arg in args {
                    values.push(self.try_eval(arg, bindings)?);
                }
                if expand {
                    match values.pop() {
                        Some(Value::List(items)) => values.extend(items),
                        Some(_) => return Ok(Value::Unknown),
                        None => {}
                    }
                }
                functions::call(name, values)
            }
        }
    }

    fn binary(&self, op: BinaryOp, lhs: &Expr, rhs: &Expr, bindings: &Bindings) -> Eval {
        let left = self.try_eval(lhs, bindings)?;
        // `false && unknown` is false, `true || unknown` is true.
        match (op, left.as_bool()) {
            (BinaryOp::And, Some(false)) => return Ok(Value::Bool(false)),
            (BinaryOp::Or, Some(true)) => return Ok(Value::Bool(true)),
            _ => {}
        }
        let right = self.try_eval(rhs, bindings)?;
        match (op, right.as_bool()) {
            (BinaryOp::And, Some(false)) if left.is_unknown() => return Ok(Value::Bool(false)),
            (BinaryOp::Or, Some(true)) if left.is_unknown() => return Ok(Value::Bool(true)),
            _ => {}
        }
        if left.is_unknown() || right.is_unknown() {
            return Ok(Value::Unknown);
        }
        let number = |v: &Value| v.as_number().ok_or(Failed);
        Ok(match op {
            BinaryOp::Eq | BinaryOp::NotEq => {
                if left.has_unknown() || right.has_unknown() {
                    return Ok(Value::Unknown);
                }
                Value::Bool((left == right) == (op == BinaryOp::Eq))
            }
            BinaryOp::And | BinaryOp::Or => {
                let (l, r) = (
                    left.as_bool().ok_or(Failed)?,
                    right.as_bool().ok_or(Failed)?,
                );
                Value::Bool(if op == BinaryOp::And { l && r } else { l || r })
            }
            BinaryOp::Less => Value::Bool(number(&left)? < number(&right)?),
            BinaryOp::LessEq => Value::Bool(number(&left)? <= number(&right)?),
            BinaryOp::Greater => Value::Bool(number(&left)? > number(&right)?),
            BinaryOp::GreaterEq => Value::Bool(number(&left)? >= number(&right)?),
            BinaryOp::Plus => Value::Number(number(&left)? + number(&right)?),
            BinaryOp::Minus => Value::Number(number(&left)? - number(&right)?),
            BinaryOp::Mul => Value::Number(number(&left)? * number(&right)?),
            BinaryOp::Div => match number(&right)? {
                0.0 => return Err(Failed),
                r => Value::Number(number(&left)? / r),
            },
            BinaryOp::Mod => match number(&right)? {
                0.0 => return Err(Failed),
                r => Value::Number(number(&left)? % r),
            },
        })
    }

    fn for_expr(&self, for_expr: &ForExpr, bindings: &Bindings) -> Eval {
        let pairs = match self.try_eval(&for_expr.collection, bindings)? {
            Value::Unknown => return Ok(Value::Unknown),
            collection => collection.into_entries().ok_or(Failed)?,
        };
        if pairs.len() > MAX_ELEMENTS {
            return Ok(Value::Unknown);
        }
        let mut list = Vec::new();
        let mut object: BTreeMap<String, Value> = BTreeMap::new();
        let mut scope: Vec<(String, Value)> = bindings.to_vec();
        let base = scope.len();
        for (key, value) in pairs {
            scope.truncate(base);
            if let Some(key_var) = &for_expr.key_var {
                scope.push((key_var.clone(), key));
            }
            scope.push((for_expr.value_var.clone(), value));
            if let Some(cond) = &for_expr.cond {
                match self.try_eval(cond, &scope)?.as_bool() {
                    Some(true) => {}
                    Some(false) => continue,
                    None => return Ok(Value::Unknown),
                }
            }
            let value = self.try_eval(&for_expr.value, &scope)?;
            match &for_expr.key {
                None => list.push(value),
                Some(key) => {
                    let Some(key) = self.try_eval(key, &scope)?.to_text() else {
                        return Ok(Value::Unknown);
                    };
                    if for_expr.grouping {
                        match object.entry(key).or_insert_with(|| Value::List(Vec::new())) {
                            Value::List(group) => group.push(value),
                            _ => return Err(Failed),
                        }
                    } else {
                        object.insert(key, value);
                    }
                }
            }
        }
        Ok(match for_expr.key {
            None => Value::List(list),
            Some(_) => Value::Object(object),
        })
    }
}

/// The size of a value, counted up to `limit`.
fn weight(value: &Value, limit: usize) -> usize {
    match value {
        Value::String(s) => s.len() / 64 + 1,
        Value::List(items) => {
            let mut total = 1;
            for item in items {
                total += weight(item, limit - total.min(limit));
                if total >= limit {
                    break;
                }
            }
            total
        }
        Value::Object(map) => {
            let mut total = 1;
            for item in map.values() {
                total += weight(item, limit - total.min(limit));
                if total >= limit {
                    break;
                }
            }
            total
        }
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::terraform::lower_body;
    use crate::terraform::modules;
    use crate::terraform::tests::sources;

    /// `expr` evaluated in the (first) module made of `files`.
    fn eval(files: &[(&str, &str)], expr: &str) -> Value {
        let sources = sources(files);
        let modules = modules(&sources);
        let body = lower_body(
            &audit_syntax::parse_hcl(&format!("x = {expr}\n"))
                .unwrap()
                .body,
        );
        modules[0].eval(&body.attribute("x").unwrap().expr, &[])
    }

    fn known(value: impl Into<Value>) -> Value {
        value.into()
    }

    const VARIABLES: &str = "variable \"port\" {\n  default = 22\n}\nvariable \"env\" {\n  default = \"dev\"\n}\nvariable \"region\" {}\n";

    #[test]
    fn variables_resolve_to_their_defaults_and_interpolate() {
        let files = [("variables.tf", VARIABLES)];
        assert_eq!(eval(&files, "var.port"), known(22));
        assert_eq!(eval(&files, "\"app-${var.env}\""), known("app-dev"));
        assert_eq!(eval(&files, "var.region"), Value::Unknown);
        assert_eq!(eval(&files, "\"${var.region}-x\""), Value::Unknown);
        assert_eq!(eval(&files, "aws_kms_key.k.arn"), Value::Unknown);
    }

    #[test]
    fn tfvars_override_defaults_unless_they_disagree() {
        let one = [
            ("variables.tf", VARIABLES),
            ("terraform.tfvars", "env = \"prod\"\n"),
            ("region.auto.tfvars", "region = \"eu-west-1\"\n"),
        ];
        assert_eq!(eval(&one, "var.env"), known("prod"));
        assert_eq!(eval(&one, "var.region"), known("eu-west-1"));
        let two = [
            ("variables.tf", VARIABLES),
            ("dev.tfvars", "env = \"dev\"\nport = 22\n"),
            ("prod.tfvars", "env = \"prod\"\nport = 22\n"),
        ];
        // Conflicting files make the variable unknown, not its default.
        assert_eq!(eval(&two, "var.env"), Value::Unknown);
        assert_eq!(eval(&two, "var.port"), known(22));
    }

    #[test]
    fn locals_resolve_through_each_other_and_cycles_are_unknown() {
        let files = [
            ("variables.tf", VARIABLES),
            (
                "locals.tf",
                "locals {\n  name = \"${local.prefix}-api\"\n  unknown = var.region\n  a = local.b\n  b = [local.a]\n  self = \"${local.self}x\"\n}\nlocals {\n  prefix = var.env\n}\n",
            ),
        ];
        assert_eq!(eval(&files, "local.name"), known("dev-api"));
        assert_eq!(eval(&files, "local.unknown"), Value::Unknown);
        assert_eq!(eval(&files, "local.self"), Value::Unknown);
        assert!(eval(&files, "local.a").has_unknown());
        assert_eq!(eval(&files, "local.missing"), Value::Unknown);
    }

    #[test]
    fn conditionals_operators_and_for_expressions() {
        let files = [("variables.tf", VARIABLES)];
        assert_eq!(eval(&files, "var.env == \"prod\" ? 35 : 1"), known(1));
        assert_eq!(eval(&files, "var.region == \"x\" ? 7 : 7"), known(7));
        assert_eq!(eval(&files, "var.region == \"x\" ? 7 : 1"), Value::Unknown);
        assert_eq!(eval(&files, "false && var.region"), known(false));
        assert_eq!(eval(&files, "var.region || true"), known(true));
        assert_eq!(eval(&files, "var.region && true"), Value::Unknown);
        assert_eq!(
            eval(&files, "!(var.port > 10) || var.port % 2 == 0"),
            known(true)
        );
        assert_eq!(eval(&files, "-var.port + 2 * 3"), known(-16));
        assert_eq!(
            eval(&files, "[for p in [22, 80] : \"${p}/tcp\" if p != 80]"),
            Value::List(vec!["22/tcp".into()])
        );
        assert_eq!(
            eval(&files, "{ for k, v in { a = 1, b = 2 } : v => k }"),
            Value::Object([("1".into(), "a".into()), ("2".into(), "b".into())].into())
        );
        assert_eq!(
            eval(&files, "[{ n = 1 }, { n = 2 }][*].n"),
            Value::List(vec![1.into(), 2.into()])
        );
        assert_eq!(eval(&files, "{ a = [10, 20] }.a[1]"), known(20));
    }

    #[test]
    fn functions_and_try() {
        let files = [("variables.tf", VARIABLES)];
        assert_eq!(
            eval(&files, "upper(lookup({ a = var.env }, \"a\", \"x\"))"),
            known("DEV")
        );
        assert_eq!(
            eval(&files, "try({}.missing, \"fallback\")"),
            known("fallback")
        );
        assert_eq!(
            eval(&files, "try(var.region, \"fallback\")"),
            Value::Unknown
        );
        assert_eq!(eval(&files, "can({}.missing)"), known(false));
        assert_eq!(eval(&files, "length(concat([1], [var.region]))"), known(2));
        assert_eq!(eval(&files, "coalesce(var.env, \"x\")"), known("dev"));
        assert_eq!(
            eval(&files, "jsondecode(jsonencode({ Action = \"*\" })).Action"),
            known("*")
        );
        assert_eq!(
            eval(&files, "cidrsubnet(\"10.0.0.0/16\", 8, 1)"),
            Value::Unknown
        );
    }

    #[test]
    fn references_read_other_resources_configured_attributes() {
        let files = [(
            "main.tf",
            "resource \"aws_s3_bucket\" \"logs\" {\n  bucket = \"logs-${var.env}\"\n}\nresource \"aws_s3_bucket\" \"many\" {\n  count = 2\n  bucket = \"x\"\n}\nresource \"r\" \"loop\" {\n  a = r.loop.a\n}\nvariable \"env\" {\n  default = \"prod\"\n}\n",
        )];
        assert_eq!(
            eval(&files, "aws_s3_bucket.logs.bucket"),
            known("logs-prod")
        );
        assert_eq!(eval(&files, "aws_s3_bucket.logs.arn"), Value::Unknown);
        assert_eq!(eval(&files, "aws_s3_bucket.many[0].bucket"), Value::Unknown);
        assert_eq!(eval(&files, "r.loop.a"), Value::Unknown);
    }

    #[test]
    fn large_and_hostile_modules_end_bounded() {
        // 10,000 resources in one file, each referring to the one before it.
        let mut text = String::from("resource \"r\" \"n0\" {\n  v = 1\n}\n");
        for i in 1..10_000 {
            text.push_str(&format!(
                "resource \"r\" \"n{i}\" {{\n  v = r.n{}.v + 1\n}}\n",
                i - 1
            ));
        }
        let chain = sources(&[("main.tf", &text)]);
        let chain_modules = modules(&chain);
        let resources = chain_modules[0].resources();
        assert_eq!(resources.len(), 10_000);
        // The chain is deeper than evaluation goes: the end is unknown, the start known.
        assert_eq!(resources[1].body().value("v"), known(2));
        assert_eq!(resources[9_999].body().value("v"), Value::Unknown);

        // Each resource reading the two before it: exponential without the memo.
        let mut text = String::from(
            "resource \"r\" \"n0\" {\n  v = 1\n}\nresource \"r\" \"n1\" {\n  v = 1\n}\n",
        );
        for i in 2..25 {
            text.push_str(&format!(
                "resource \"r\" \"n{i}\" {{\n  v = r.n{}.v + r.n{}.v\n}}\n",
                i - 1,
                i - 2
            ));
        }
        let fan = sources(&[("main.tf", &text)]);
        let fan_modules = modules(&fan);
        assert_eq!(
            fan_modules[0].resources()[24].body().value("v"),
            known(75025)
        );

        // Locals that double a list or a string at each step would need 2^40 elements.
        let mut locals = String::from("locals {\n  l0 = [1, 1]\n  s0 = \"ab\"\n");
        for i in 1..40 {
            locals.push_str(&format!(
                "  l{i} = concat(local.l{}, local.l{})\n",
                i - 1,
                i - 1
            ));
            locals.push_str(&format!(
                "  s{i} = \"${{local.s{}}}${{local.s{}}}\"\n",
                i - 1,
                i - 1
            ));
        }
        locals.push_str("}\n");
        let files = [("locals.tf", locals.as_str())];
        assert_eq!(eval(&files, "length(local.l10)"), known(2048));
        assert_eq!(eval(&files, "local.l39"), Value::Unknown);
        assert_eq!(eval(&files, "local.s39"), Value::Unknown);
    }
}
