//! Why a value stayed unknown: the innermost part of an expression that is unknown while
//! what it is made of is known. Measures the evaluator on real code (`xtask unknowns`);
//! rules do not read it.

use super::Module;
use super::eval::Bindings;
use super::lower::{Expr, ExprKind, ObjectItemKey, Step, TemplatePart};
use super::value::Value;

/// Locals followed through locals at most this deep.
const MAX_DEPTH: usize = 16;

/// What made a value unknown.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum UnknownReason {
    /// `var.x` with no default, tfvars value or module input (or conflicting tfvars).
    UnsetVariable,
    /// `data.type.name...`: read from the provider at plan time.
    DataSource,
    /// `module.name.output`: outputs of modules are not evaluated.
    ModuleOutput,
    /// `aws_kms_key.k.arn`: an attribute the referenced resource does not configure
    /// (computed at apply), or a resource with several instances.
    ComputedAttribute,
    /// A reference to a resource this module does not declare.
    UndeclaredResource,
    /// `count.index` or `each` where the instances are not known.
    InstanceKey,
    /// `path.module`, `terraform.workspace`, `self`.
    PathOrWorkspace,
    /// A function the evaluator leaves unknown (or whose result depends on the
    /// filesystem or time), by name.
    Function(String),
    /// A `%{ if }` / `%{ for }` template directive.
    TemplateDirective,
    /// Anything else (a `for` expression over values the evaluator gave up on, a local
    /// cycle, evaluation limits), by expression kind.
    Other(&'static str),
}

impl Module<'_> {
    /// Why `expr` is unknown in this module with `bindings`; `None` when it is known.
    pub fn unknown_reason(&self, expr: &Expr, bindings: &Bindings) -> Option<UnknownReason> {
        if self.eval(expr, bindings) != Value::Unknown {
            return None;
        }
        Some(self.reason(expr, bindings, 0))
    }

    /// The reason of the first unknown part, or of `expr` itself when its parts are known.
    fn first_reason<'e>(
        &self,
        parts: impl IntoIterator<Item = &'e Expr>,
        bindings: &Bindings,
        depth: usize,
    ) -> Option<UnknownReason> {
        parts
            .into_iter()
            .find(|part| self.eval(part, bindings) == Value::Unknown)
            .map(|part| self.reason(part, bindings, depth))
    }

    fn reason(&self, expr: &Expr, bindings: &Bindings, depth: usize) -> UnknownReason {
        if depth > MAX_DEPTH {
            return UnknownReason::Other("nesting");
        }
        let next = depth + 1;
        match &expr.kind {
            ExprKind::Literal(_) => UnknownReason::Other("literal"),
            ExprKind::Array(items) => self
                .first_reason(items, bindings, next)
                .unwrap_or(UnknownReason::Other("list")),
            ExprKind::Object(items) => self
                .first_reason(items.iter().map(|(_, v)| v), bindings, next)
                .unwrap_or(UnknownReason::Other("object")),
            ExprKind::Template(parts) => {
                if parts.iter().any(|p| matches!(p, TemplatePart::Directive)) {
                    return UnknownReason::TemplateDirective;
                }
                let inner = parts.iter().filter_map(|p| match p {
                    TemplatePart::Interpolation(e) => Some(e),
                    _ => None,
                });
                self.first_reason(inner, bindings, next)
                    .unwrap_or(UnknownReason::Other("template"))
            }
            ExprKind::Variable(name) => match name.as_str() {
                "count" | "each" => UnknownReason::InstanceKey,
                _ => UnknownReason::Other("variable"),
            },
            ExprKind::Traversal(root, steps) => {
                let indexes = steps.iter().filter_map(|s| match s {
                    Step::Index(e) => Some(e),
                    _ => None,
                });
                if let Some(reason) = self.first_reason(indexes, bindings, next) {
                    return reason;
                }
                let (ExprKind::Variable(scope), Some(Step::Attr(name))) =
                    (&root.kind, steps.first())
                else {
                    return self
                        .first_reason([&**root], bindings, next)
                        .unwrap_or(UnknownReason::Other("traversal"));
                };
                if bindings.iter().any(|(bound, _)| bound == scope) {
                    return UnknownReason::InstanceKey;
                }
                match scope.as_str() {
                    "var" if self.var(name) == Value::Unknown => UnknownReason::UnsetVariable,
                    "var" => UnknownReason::Other("missing key"),
                    "local" => match self.locals.get(name.as_str()) {
                        Some(local) => {
                            // `local.prefix.value`: into the object the local writes.
                            let inner = descend(local, &steps[1..]);
                            if self.eval(inner, &[]) == Value::Unknown {
                                self.reason(inner, &[], next)
                            } else {
                                UnknownReason::Other("missing key")
                            }
                        }
                        None => UnknownReason::Other("undeclared local"),
                    },
                    "data" => UnknownReason::DataSource,
                    "module" => UnknownReason::ModuleOutput,
                    "count" | "each" => UnknownReason::InstanceKey,
                    "path" | "terraform" | "self" => UnknownReason::PathOrWorkspace,
                    ty => match self.resource_block(ty, name) {
                        Some(_) => UnknownReason::ComputedAttribute,
                        None => UnknownReason::UndeclaredResource,
                    },
                }
            }
            ExprKind::Call(call) => self
                .first_reason(&call.args, bindings, next)
                .unwrap_or_else(|| UnknownReason::Function(call.name.clone())),
            ExprKind::Conditional(parts) => self
                .first_reason(parts.iter(), bindings, next)
                .unwrap_or(UnknownReason::Other("conditional")),
            ExprKind::Not(inner) | ExprKind::Negate(inner) => self
                .first_reason([&**inner], bindings, next)
                .unwrap_or(UnknownReason::Other("operator")),
            ExprKind::Binary(_, sides) => self
                .first_reason(sides.iter(), bindings, next)
                .unwrap_or(UnknownReason::Other("operator")),
            ExprKind::For(for_expr) => self
                .first_reason([&for_expr.collection], bindings, next)
                .unwrap_or(UnknownReason::Other("for expression")),
        }
    }
}

/// The expression an object literal gives for `steps` (`{ value = ... }` for `.value`),
/// as deep as the steps name its keys.
fn descend<'e>(mut expr: &'e Expr, steps: &[Step]) -> &'e Expr {
    for step in steps {
        let (Step::Attr(key), ExprKind::Object(items)) = (step, &expr.kind) else {
            break;
        };
        let item = items
            .iter()
            .find(|(k, _)| matches!(k, ObjectItemKey::Name(name, _) if name == key));
        match item {
            Some((_, value)) => expr = value,
            None => break,
        }
    }
    expr
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::terraform::modules;
    use crate::terraform::tests::sources;

    #[test]
    fn reasons_name_the_innermost_unknown() {
        let files = sources(&[(
            "main.tf",
            r#"variable "unset" {}
variable "set" {
  default = "a"
}
locals {
  via_local = var.unset
  known     = "k"
  prefix    = { value = "${var.unset}-app" }
}
resource "aws_kms_key" "k" {}
resource "r" "a" {
  unset    = var.unset
  set      = var.set
  local    = local.via_local
  data     = data.aws_caller_identity.me.account_id
  computed = aws_kms_key.k.arn
  output   = module.vpc.id
  function = timestamp()
  nested   = upper("${local.known}-${var.unset}")
  path     = path.module
  prefixed = "rds-${local.prefix.value}"
}
"#,
        )]);
        let modules = modules(&files);
        let resource = &modules[0].resources()[1];
        let reason = |key: &str| {
            let expr = &resource.block.body.attribute(key).unwrap().expr;
            modules[0].unknown_reason(expr, &[])
        };
        assert_eq!(reason("unset"), Some(UnknownReason::UnsetVariable));
        assert_eq!(reason("set"), None);
        assert_eq!(reason("local"), Some(UnknownReason::UnsetVariable));
        assert_eq!(reason("data"), Some(UnknownReason::DataSource));
        assert_eq!(reason("computed"), Some(UnknownReason::ComputedAttribute));
        assert_eq!(reason("output"), Some(UnknownReason::ModuleOutput));
        assert_eq!(
            reason("function"),
            Some(UnknownReason::Function("timestamp".into()))
        );
        assert_eq!(reason("nested"), Some(UnknownReason::UnsetVariable));
        assert_eq!(reason("path"), Some(UnknownReason::PathOrWorkspace));
        assert_eq!(reason("prefixed"), Some(UnknownReason::UnsetVariable));
    }
}
