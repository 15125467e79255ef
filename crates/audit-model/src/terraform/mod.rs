//! The Terraform model: each file is lowered in the per-file pass ([`TerraformFile`]:
//! owned blocks with spans, the parse tree dropped), each folder's files form a module,
//! and each module is evaluated as an instance: the root modules on their own, a local
//! module once per call with the inputs its caller set ([`modules`]). Resources expand
//! into their `count`/`for_each` instances and are asked what an attribute holds
//! ([`Resource::targets`], [`BlockView`]). Unknown is a value ([`Value::Unknown`]); each
//! rule says which way it falls.

pub mod cidr;
mod databases;
mod eval;
mod functions;
mod instances;
mod lower;
mod target;
mod unknown;
mod value;

use foldhash::HashMap;

use audit_core::{SourceText, Span};
use audit_syntax::ParseProblem;

pub use databases::{TLS_DATABASE_TYPES, TlsDatabase, tls_databases};
pub use eval::Bindings;
use eval::Evaluator;
pub use instances::{PendingModule, for_each_module, modules};
pub use lower::{
    Attribute, Block, Body, Call, Expr, ExprKind, ObjectItemKey, Step, lower_body,
    lower_body_where, lower_json,
};
pub use target::{BlockView, Evaluated, Target};
pub use unknown::UnknownReason;
pub use value::{Value, number_text, render_value};

/// A Terraform file as the per-file pass leaves it: its text (for positions and
/// messages) and its lowered blocks, or why it did not parse (then the body is empty).
#[derive(Debug)]
pub struct TerraformFile {
    pub source: SourceText,
    pub body: Body,
    pub parse_error: Option<ParseProblem>,
}

impl TerraformFile {
    /// Variable values (`*.tfvars`, `*.tfvars.json`), not configuration.
    pub fn is_tfvars(&self) -> bool {
        is_tfvars_path(&self.source.path)
    }

    /// The top-level blocks named `ident`.
    pub fn blocks<'a>(&'a self, ident: &'a str) -> impl Iterator<Item = &'a Block> + 'a {
        self.body.blocks(ident)
    }
}

/// Whether a file of this path holds variable values (`*.tfvars`, `*.tfvars.json`).
pub fn is_tfvars_path(path: &str) -> bool {
    path.ends_with(".tfvars") || path.ends_with(".tfvars.json")
}

/// Whether a file of this path is in Terraform's JSON syntax (`.tf.json`,
/// `.tfvars.json`).
pub fn is_json_path(path: &str) -> bool {
    path.ends_with(".json")
}

/// One evaluated instance of a module: the Terraform files of one folder, with its
/// variables set by tfvars and defaults (a root module) or by the call (a local module).
pub struct Module<'a> {
    /// The folder (`""` at the root).
    pub dir: &'a str,
    /// Its files, in path order.
    pub files: Vec<&'a TerraformFile>,
    /// `module.db.module.subnets`: the calls that led here, empty for a root module.
    pub call_path: String,
    /// The call that instantiated this module: its file and the `module` block.
    pub call: Option<(&'a TerraformFile, &'a Block)>,
    vars: HashMap<String, Value>,
    locals: HashMap<&'a str, &'a Expr>,
    resources: HashMap<(&'a str, &'a str), &'a Block>,
    data: HashMap<(&'a str, &'a str), (&'a TerraformFile, &'a Block)>,
    evaluator: Evaluator,
}

impl<'a> Module<'a> {
    /// The configuration files (not tfvars).
    pub fn config_files(&self) -> impl Iterator<Item = &'a TerraformFile> + '_ {
        self.files.iter().copied().filter(|f| !f.is_tfvars())
    }

    /// The value a variable has in this instance (unknown when nothing sets it).
    pub fn var(&self, name: &str) -> Value {
        self.vars.get(name).cloned().unwrap_or(Value::Unknown)
    }

    /// The `resource "type" "name"` block, if the module declares it (and the per-file
    /// pass kept it).
    pub fn resource_block(&self, ty: &str, name: &str) -> Option<&'a Block> {
        self.resources.get(&(ty, name)).copied()
    }

    /// The `data "type" "name"` block and its file, if the module declares it.
    pub fn data_block(&self, ty: &str, name: &str) -> Option<(&'a TerraformFile, &'a Block)> {
        self.data.get(&(ty, name)).copied()
    }

    /// Every instance of every resource, file by file.
    pub fn resources(&self) -> Vec<Resource<'_>> {
        let mut found = Vec::new();
        for file in self.config_files() {
            for block in file.blocks("resource") {
                let [ty, name, ..] = block.labels.as_slice() else {
                    continue;
                };
                instances::expand(self, file, block, ty, name, &mut found);
            }
        }
        found
    }

    /// The `provider` and `variable` blocks, each as one instance of the pseudo-type
    /// [`PROVIDER`] or [`VARIABLE`] named by its label: checks read them like resources
    /// (their attributes evaluated in this module), and their addresses are Terraform's
    /// (`provider.aws`, `var.db_password`).
    pub fn settings(&self) -> Vec<Resource<'_>> {
        let mut found = Vec::new();
        for file in self.config_files() {
            for block in &file.body.blocks {
                let ty = match block.ident.as_str() {
                    "provider" => PROVIDER,
                    "variable" => VARIABLE,
                    _ => continue,
                };
                if let Some(name) = block.labels.first() {
                    found.push(Resource {
                        module: self,
                        file,
                        source: &file.source,
                        block,
                        resource_type: ty,
                        name,
                        key: None,
                        name_instance: false,
                        bindings: Vec::new(),
                    });
                }
            }
        }
        found
    }

    /// Instances of resources of type `ty` whose attribute `attribute` refers to
    /// `target` (`bucket = aws_s3_bucket.data.id`): how separate resources (a bucket's
    /// public access block, a security group's rules) are joined to theirs.
    pub fn referencing(
        &self,
        ty: &str,
        attribute: &str,
        target: &Resource<'_>,
    ) -> Vec<Resource<'_>> {
        self.resources()
            .into_iter()
            .filter(|r| r.resource_type == ty)
            .filter(|r| {
                r.block.body.attribute(attribute).is_some_and(|a| {
                    a.expr.reference() == Some((target.resource_type, target.name))
                        || r.body().attr(attribute).is_some_and(|v| {
                            // Joined by a configured name (`bucket = "my-data"`).
                            v.value.as_str().is_some()
                                && target
                                    .body()
                                    .attr(attribute)
                                    .is_some_and(|own| own.value == v.value)
                        })
                })
            })
            .collect()
    }
}

/// The pseudo resource type of `provider` blocks ([`Module::settings`]).
pub const PROVIDER: &str = "provider";
/// The pseudo resource type of `variable` blocks ([`Module::settings`]).
pub const VARIABLE: &str = "variable";

/// One instance of a resource block in its module: what a Terraform check reads.
pub struct Resource<'a> {
    pub module: &'a Module<'a>,
    pub file: &'a TerraformFile,
    pub source: &'a SourceText,
    pub block: &'a Block,
    pub resource_type: &'a str,
    pub name: &'a str,
    /// The instance key as Terraform writes it (`0` for `count`, `"a"` for
    /// `for_each`), when the resource has several instances.
    pub key: Option<String>,
    /// Whether messages name the instance (set when instances differ).
    pub name_instance: bool,
    bindings: Vec<(String, Value)>,
}

impl Resource<'_> {
    /// `module.db.aws_db_instance.main[0]`, the way Terraform addresses the instance.
    pub fn address(&self) -> String {
        let mut address = String::new();
        if !self.module.call_path.is_empty() {
            address.push_str(&self.module.call_path);
            address.push('.');
        }
        address.push_str(match self.resource_type {
            VARIABLE => "var",
            ty => ty,
        });
        address.push('.');
        address.push_str(self.name);
        if let (true, Some(key)) = (self.name_instance, &self.key) {
            address.push_str(&format!("[{key}]"));
        }
        address
    }

    /// The resource's body, with `count`/`each` bound.
    pub fn body(&self) -> BlockView<'_> {
        BlockView::new(
            self.module,
            &self.block.body,
            self.header_span(),
            self.bindings.clone(),
        )
    }

    /// The resource's first line: where findings about missing attributes point.
    pub fn header_span(&self) -> Span {
        self.line_span(self.block.span.start)
    }

    /// From `start` to the end of its line.
    pub fn line_span(&self, start: usize) -> Span {
        line_span(self.source, start)
    }

    /// An expression's value in this instance.
    pub fn eval(&self, expr: &Expr) -> Value {
        self.module.eval(expr, &self.bindings)
    }

    /// Why an expression is unknown in this instance (`None` when it is known).
    pub fn unknown_reason(&self, expr: &Expr) -> Option<UnknownReason> {
        self.module.unknown_reason(expr, &self.bindings)
    }
}

/// From `start` to the end of its line in `source`.
pub fn line_span(source: &SourceText, start: usize) -> Span {
    let line = source.lines.line_of(start);
    Span::new(start, source.lines.line_range(&source.text, line).end)
}

#[cfg(test)]
pub(crate) mod tests {
    use std::sync::Arc;

    use super::*;

    /// Lowered Terraform files from (path, text).
    pub(crate) fn sources(files: &[(&str, &str)]) -> Vec<TerraformFile> {
        files
            .iter()
            .map(|(path, text)| TerraformFile {
                source: SourceText::new(Arc::from(*path), text.to_string()),
                body: lower_body(&audit_syntax::parse_hcl(text).unwrap().body),
                parse_error: None,
            })
            .collect()
    }

    #[test]
    fn root_modules_are_folders_in_order() {
        let sources = sources(&[
            ("b/main.tf", "resource \"r\" \"b\" {}\n"),
            ("main.tf", "resource \"r\" \"root\" {}\n"),
            ("a/main.tf", "resource \"r\" \"a1\" {}\n"),
            ("a/more.tf", "resource \"r\" \"a2\" {}\n"),
        ]);
        let found: Vec<(String, Vec<String>)> = modules(&sources)
            .iter()
            .map(|m| {
                (
                    m.dir.to_string(),
                    m.resources().iter().map(|r| r.address()).collect(),
                )
            })
            .collect();
        assert_eq!(
            found,
            [
                (String::new(), vec!["r.root".to_string()]),
                ("a".into(), vec!["r.a1".to_string(), "r.a2".to_string()]),
                ("b".into(), vec!["r.b".to_string()]),
            ]
        );
    }

    #[test]
    fn header_spans_are_the_resource_first_line() {
        let sources = sources(&[("main.tf", "\nresource \"r\" \"a\" {\n  x = 1\n}\n")]);
        let modules = modules(&sources);
        let resource = &modules[0].resources()[0];
        let span = resource.header_span();
        assert_eq!(
            &resource.source.text[span.start..span.end],
            "resource \"r\" \"a\" {"
        );
        let x = resource.body().attr("x").unwrap();
        assert_eq!(&resource.source.text[x.span.start..x.span.end], "x = 1");
        assert_eq!(x.value, Value::from(1));
    }
}
