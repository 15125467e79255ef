//! The Terraform model: each folder's files form a module, evaluated together
//! ([`ModuleScope`]: variables, tfvars, locals), and each of its resources can be asked
//! what an attribute path holds ([`Resource::targets`]). Unknown is a value
//! ([`Resolved::Unknown`]); each rule says which way it falls.

mod scope;
mod target;

use std::collections::BTreeMap;

use audit_core::{SourceText, Span};
use audit_syntax::HclFile;
use audit_syntax::hcl_edit::Span as _;
use audit_syntax::hcl_edit::expr::Expression;
use audit_syntax::hcl_edit::structure::{Attribute, Block, Body};

pub use hcl::Value;
pub use scope::{ModuleScope, Resolved};
pub use target::Target;

/// A Terraform file, kept whole from the per-file pass: modules are evaluated across
/// their files.
#[derive(Debug)]
pub struct TerraformSource {
    pub source: SourceText,
    pub file: HclFile,
}

impl TerraformSource {
    /// Variable values (`*.tfvars`), not configuration.
    pub fn is_tfvars(&self) -> bool {
        self.source.path.ends_with(".tfvars")
    }
}

/// One module: the Terraform files of one folder, evaluated together.
pub struct Module<'a> {
    /// The folder (`""` at the root).
    pub dir: &'a str,
    /// Its files, in the order given to [`modules`].
    pub files: Vec<&'a TerraformSource>,
    pub scope: ModuleScope,
}

/// Groups `files` by folder into modules, in folder order; each module is evaluated as
/// the iterator reaches it.
pub fn modules<'a>(
    files: impl IntoIterator<Item = &'a TerraformSource>,
) -> impl Iterator<Item = Module<'a>> {
    let mut by_dir: BTreeMap<&str, Vec<&TerraformSource>> = BTreeMap::new();
    for file in files {
        let dir = file.source.path.rsplit_once('/').map_or("", |(dir, _)| dir);
        by_dir.entry(dir).or_default().push(file);
    }
    by_dir.into_iter().map(|(dir, files)| Module {
        dir,
        scope: ModuleScope::new(&files),
        files,
    })
}

impl<'a> Module<'a> {
    /// The module's `resource "type" "name"` blocks, file by file (tfvars files hold
    /// none).
    pub fn resources(&self) -> impl Iterator<Item = Resource<'_>> {
        self.files
            .iter()
            .filter(|f| !f.is_tfvars())
            .flat_map(move |file| {
                top_blocks(&file.file.body, "resource").filter_map(move |block| {
                    let [ty, name, ..] = block.labels.as_slice() else {
                        return None;
                    };
                    Some(Resource {
                        source: &file.source,
                        block,
                        resource_type: ty.as_str(),
                        name: name.as_str(),
                        scope: &self.scope,
                    })
                })
            })
    }
}

/// One resource block in its module: what a Terraform check reads.
#[derive(Clone, Copy)]
pub struct Resource<'a> {
    pub source: &'a SourceText,
    pub block: &'a Block,
    pub resource_type: &'a str,
    pub name: &'a str,
    pub scope: &'a ModuleScope,
}

impl Resource<'_> {
    /// `aws_db_instance.main`, the way Terraform addresses the resource.
    pub fn address(&self) -> String {
        format!("{}.{}", self.resource_type, self.name)
    }

    /// The resource's first line: where findings about missing attributes point.
    pub fn header_span(&self) -> Span {
        self.line_span(self.block.span().map_or(0, |s| s.start))
    }

    /// From `start` to the end of its line.
    pub fn line_span(&self, start: usize) -> Span {
        let line = self.source.lines.line_of(start);
        Span::new(
            start,
            self.source.lines.line_range(&self.source.text, line).end,
        )
    }

    /// The expression's value in the resource's module.
    pub fn resolve(&self, expr: &Expression) -> Resolved {
        self.scope.resolve(expr)
    }
}

/// Byte span of an attribute, for findings on a wrong value.
pub fn attribute_span(attr: &Attribute) -> Span {
    attr.span().map(Span::from).unwrap_or_default()
}

/// The blocks of `body` (not nested ones) named `ident`.
pub fn top_blocks<'a>(body: &'a Body, ident: &'a str) -> impl Iterator<Item = &'a Block> + 'a {
    body.blocks().filter(move |b| b.ident.as_str() == ident)
}

/// A value the way messages show it: strings quoted, the rest as HCL.
pub fn render_value(value: &Value) -> String {
    match value {
        Value::String(s) => format!("\"{s}\""),
        other => hcl::format::to_string(other).unwrap_or_else(|_| format!("{other:?}")),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::sync::Arc;

    use super::*;

    /// Parsed Terraform files from (path, text).
    pub(crate) fn sources(files: &[(&str, &str)]) -> Vec<TerraformSource> {
        files
            .iter()
            .map(|(path, text)| TerraformSource {
                source: SourceText::new(Arc::from(*path), text.to_string()),
                file: audit_syntax::parse_hcl(text).unwrap(),
            })
            .collect()
    }

    #[test]
    fn modules_are_folders_in_order() {
        let sources = sources(&[
            ("b/main.tf", "resource \"r\" \"b\" {}\n"),
            ("main.tf", "resource \"r\" \"root\" {}\n"),
            ("a/main.tf", "resource \"r\" \"a1\" {}\n"),
            ("a/more.tf", "resource \"r\" \"a2\" {}\n"),
        ]);
        let found: Vec<(&str, Vec<String>)> = modules(&sources)
            .map(|m| (m.dir, m.resources().map(|r| r.address()).collect()))
            .collect();
        assert_eq!(
            found,
            [
                ("", vec!["r.root".to_string()]),
                ("a", vec!["r.a1".to_string(), "r.a2".to_string()]),
                ("b", vec!["r.b".to_string()]),
            ]
        );
    }

    #[test]
    fn values_render_as_hcl_with_strings_quoted() {
        assert_eq!(render_value(&Value::from("dev")), "\"dev\"");
        assert_eq!(render_value(&Value::from(22)), "22");
        assert_eq!(render_value(&Value::Bool(false)), "false");
        assert_eq!(
            render_value(&Value::Array(vec!["0.0.0.0/0".into()])),
            "[\n  \"0.0.0.0/0\"\n]"
        );
    }

    #[test]
    fn header_spans_are_the_resource_first_line() {
        let sources = sources(&[("main.tf", "\nresource \"r\" \"a\" {\n  x = 1\n}\n")]);
        let module = modules(&sources).next().unwrap();
        let resource = module.resources().next().unwrap();
        let span = resource.header_span();
        assert_eq!(
            &resource.source.text[span.start..span.end],
            "resource \"r\" \"a\" {"
        );
        let attr = resource.block.body.get_attribute("x").unwrap();
        let span = attribute_span(attr);
        assert_eq!(&resource.source.text[span.start..span.end], "x = 1");
    }
}
