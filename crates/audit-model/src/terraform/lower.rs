//! Lowering: a parsed file's hcl-edit tree becomes owned blocks and expressions with
//! byte spans, a few times smaller than the tree (no decor, no raw text), so the tree
//! is dropped in the per-file pass and only this is held until modules are evaluated.

use audit_core::Span;
use audit_syntax::hcl_edit::Span as _;
use audit_syntax::hcl_edit::expr::{
    BinaryOperator, Expression, ObjectKey, TraversalOperator, UnaryOperator,
};
use audit_syntax::hcl_edit::structure;
use audit_syntax::hcl_edit::template::{Element, Template};

use super::Value;

#[derive(Debug, Default)]
pub struct Body {
    pub attributes: Vec<Attribute>,
    pub blocks: Vec<Block>,
}

#[derive(Debug)]
pub struct Block {
    pub ident: String,
    pub labels: Vec<String>,
    /// The whole block, from its identifier to its closing brace.
    pub span: Span,
    pub body: Body,
}

#[derive(Debug)]
pub struct Attribute {
    pub key: String,
    /// `key = value`.
    pub span: Span,
    pub expr: Expr,
}

#[derive(Debug)]
pub struct Expr {
    /// Byte offsets as `u32` (files are size-capped far below 4 GiB): there is one
    /// `Expr` per value and sub-expression of every kept file. See [`Expr::span`].
    start: u32,
    end: u32,
    pub kind: ExprKind,
}

#[derive(Debug)]
pub enum ExprKind {
    /// `null`, booleans, numbers and strings without interpolation.
    Literal(Value),
    Array(Vec<Expr>),
    Object(Vec<(ObjectItemKey, Expr)>),
    /// A string or heredoc with interpolations; a directive (`%{ if }`) is unknown.
    Template(Vec<TemplatePart>),
    Variable(String),
    Traversal(Box<Expr>, Vec<Step>),
    /// Boxed: calls are rare next to literals, and every `Expr` pays for its largest kind.
    Call(Box<Call>),
    Conditional(Box<[Expr; 3]>),
    Not(Box<Expr>),
    Negate(Box<Expr>),
    Binary(BinaryOp, Box<[Expr; 2]>),
    For(Box<ForExpr>),
}

#[derive(Debug)]
pub struct Call {
    /// With its namespace: `provider::aws::arn_parse`.
    pub name: String,
    pub args: Vec<Expr>,
    /// `f(list...)`: the last argument's elements are the trailing arguments.
    pub expand_final: bool,
}

#[derive(Debug)]
pub enum ObjectItemKey {
    /// An identifier or a literal string, with its span.
    Name(String, Span),
    Computed(Expr),
}

#[derive(Debug)]
pub enum TemplatePart {
    Literal(String),
    Interpolation(Expr),
    Directive,
}

#[derive(Debug)]
pub enum Step {
    Attr(String),
    Index(Expr),
    /// `[*]` or `.*`: what follows applies to every element.
    Splat,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BinaryOp {
    Eq,
    NotEq,
    LessEq,
    GreaterEq,
    Less,
    Greater,
    Plus,
    Minus,
    Mul,
    Div,
    Mod,
    And,
    Or,
}

#[derive(Debug)]
pub struct ForExpr {
    pub key_var: Option<String>,
    pub value_var: String,
    pub collection: Expr,
    pub key: Option<Expr>,
    pub value: Expr,
    pub grouping: bool,
    pub cond: Option<Expr>,
}

impl Body {
    pub fn attribute(&self, key: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.key == key)
    }

    /// The blocks named `ident`.
    pub fn blocks<'a>(&'a self, ident: &'a str) -> impl Iterator<Item = &'a Block> + 'a {
        self.blocks.iter().filter(move |b| b.ident == ident)
    }

    pub fn is_empty(&self) -> bool {
        self.attributes.is_empty() && self.blocks.is_empty()
    }
}

impl Expr {
    fn new(span: Span, kind: ExprKind) -> Expr {
        let offset = |o: usize| u32::try_from(o).unwrap_or(u32::MAX);
        Expr {
            start: offset(span.start),
            end: offset(span.end),
            kind,
        }
    }

    pub fn span(&self) -> Span {
        Span::new(self.start as usize, self.end as usize)
    }

    /// `data.aws_iam_policy_document.admin.json` -> `[data, aws_iam_policy_document,
    /// admin, json]`: the names of a traversal up to its first index or splat.
    pub fn path(&self) -> Vec<&str> {
        let inner = match &self.kind {
            ExprKind::Template(parts) => match parts.as_slice() {
                [TemplatePart::Interpolation(inner)] => inner,
                _ => return Vec::new(),
            },
            _ => self,
        };
        let ExprKind::Traversal(root, steps) = &inner.kind else {
            return Vec::new();
        };
        let ExprKind::Variable(first) = &root.kind else {
            return Vec::new();
        };
        let mut names = vec![first.as_str()];
        for step in steps {
            match step {
                Step::Attr(name) => names.push(name),
                _ => break,
            }
        }
        names
    }

    /// `aws_s3_bucket.logs.id` -> (`aws_s3_bucket`, `logs`): the resource an expression
    /// refers to, the way joins between resources find each other.
    pub fn reference(&self) -> Option<(&str, &str)> {
        match &self.kind {
            ExprKind::Traversal(root, steps) => match (&root.kind, steps.first()) {
                (ExprKind::Variable(ty), Some(Step::Attr(name))) => Some((ty, name)),
                _ => None,
            },
            ExprKind::Template(parts) => match parts.as_slice() {
                [TemplatePart::Interpolation(inner)] => inner.reference(),
                _ => None,
            },
            _ => None,
        }
    }
}

/// Lowers a parsed body; the tree can be dropped afterwards. Recursion is bounded by the
/// parser's own nesting limit (64 levels of blocks and brackets).
pub fn lower_body(body: &structure::Body) -> Body {
    lower_body_where(body, |_| true)
}

/// [`lower_body`] with only the top-level blocks `keep` accepts: the others are never
/// lowered (nested blocks are all kept).
pub fn lower_body_where(
    body: &structure::Body,
    mut keep: impl FnMut(&structure::Block) -> bool,
) -> Body {
    let blocks = body.blocks().count();
    let mut lowered = Body {
        attributes: Vec::with_capacity(body.len() - blocks),
        blocks: Vec::with_capacity(blocks),
    };
    for structure in body.iter() {
        match structure {
            structure::Structure::Attribute(attr) => lowered.attributes.push(Attribute {
                key: attr.key.as_str().to_string(),
                span: span_of(attr.span()),
                expr: lower_expr(&attr.value),
            }),
            structure::Structure::Block(block) if keep(block) => lowered.blocks.push(Block {
                ident: block.ident.as_str().to_string(),
                labels: block
                    .labels
                    .iter()
                    .map(|l| l.as_str().to_string())
                    .collect(),
                span: span_of(block.span()),
                body: lower_body(&block.body),
            }),
            structure::Structure::Block(_) => {}
        }
    }
    lowered.blocks.shrink_to_fit();
    lowered
}

/// Top-level block types of Terraform's JSON syntax and how many labels their object
/// nesting carries (`"resource": {"aws_s3_bucket": {"logs": {...}}}`).
const JSON_BLOCKS: &[(&str, usize)] = &[
    ("resource", 2),
    ("data", 2),
    ("module", 1),
    ("variable", 1),
    ("output", 1),
    ("provider", 1),
    ("locals", 0),
    ("terraform", 0),
];

/// Nested blocks with a label (`"dynamic": {"ingress": {...}}`).
const JSON_LABELLED_BLOCKS: &[&str] = &["dynamic", "backend", "provisioner"];

/// Object-valued arguments that are maps, not nested blocks: JSON cannot tell them
/// apart, Terraform's provider schemas do. The meta-arguments, and the maps rules read.
const JSON_MAP_ARGUMENTS: &[&str] = &[
    "for_each",
    "depends_on",
    "providers",
    "tags",
    "tags_all",
    "labels",
    "variables",
    "triggers",
    "metadata",
    "parameters",
    "environment_variables",
];

/// Bodies whose object values are all arguments (a variable's `default`, locals, a
/// module call's inputs, an output's value).
const JSON_ARGUMENT_BODIES: &[&str] = &["variable", "locals", "module", "output"];

/// Lowers a file in Terraform's JSON syntax (parsed by
/// [`audit_syntax::parse_hcl_json`]) into the blocks the native syntax gives, so every
/// rule reads both: top-level keys are block types, their nested objects the labels, and
/// inside a block an object value is a nested block unless it is a known map argument.
/// A `.tfvars.json` file's keys are all values. `"//"` keys are comments. `text` is the
/// file, for the spans of keys (an attribute runs from its key to its value).
pub fn lower_json(root: &Expression, text: &str, tfvars: bool) -> Body {
    let mut body = Body::default();
    let Expression::Object(object) = root else {
        return body;
    };
    for (key, value) in object.iter() {
        let Some(name) = json_key(key) else { continue };
        let value = value.expr();
        if tfvars {
            body.attributes.push(json_attribute(name, value, text));
            continue;
        }
        if let Some((ident, labels)) = JSON_BLOCKS.iter().find(|(ident, _)| *ident == name) {
            json_blocks(
                ident,
                value,
                *labels,
                &mut Vec::new(),
                text,
                &mut body.blocks,
            );
        }
    }
    body
}

fn json_key(key: &ObjectKey) -> Option<&str> {
    let name = match key {
        ObjectKey::Ident(ident) => ident.as_str(),
        ObjectKey::Expression(Expression::String(s)) => s.value().as_str(),
        ObjectKey::Expression(_) => return None,
    };
    (name != "//").then_some(name)
}

/// The blocks `ident` under `value`: `labels` more levels of objects keyed by label, then
/// the body; an array at any level holds several.
fn json_blocks(
    ident: &str,
    value: &Expression,
    labels: usize,
    prefix: &mut Vec<String>,
    text: &str,
    out: &mut Vec<Block>,
) {
    match value {
        Expression::Array(items) => {
            for item in items.iter() {
                json_blocks(ident, item, labels, prefix, text, out);
            }
        }
        Expression::Object(object) if labels > 0 => {
            for (key, value) in object.iter() {
                let Some(label) = json_key(key) else { continue };
                prefix.push(label.to_string());
                json_blocks(ident, value.expr(), labels - 1, prefix, text, out);
                prefix.pop();
            }
        }
        Expression::Object(object) => out.push(Block {
            ident: ident.to_string(),
            labels: prefix.clone(),
            span: span_of(value.span()),
            body: json_body(ident, object, text),
        }),
        _ => {}
    }
}

fn json_body(ident: &str, object: &audit_syntax::hcl_edit::expr::Object, text: &str) -> Body {
    let mut body = Body::default();
    let arguments_only = JSON_ARGUMENT_BODIES.contains(&ident);
    for (key, value) in object.iter() {
        let Some(name) = json_key(key) else { continue };
        let value = value.expr();
        let nested = !arguments_only
            && !JSON_MAP_ARGUMENTS.contains(&name)
            && match value {
                Expression::Object(_) => true,
                Expression::Array(items) => {
                    !items.is_empty() && items.iter().all(|i| matches!(i, Expression::Object(_)))
                }
                _ => false,
            };
        if nested {
            let labels = usize::from(JSON_LABELLED_BLOCKS.contains(&name));
            json_blocks(name, value, labels, &mut Vec::new(), text, &mut body.blocks);
        } else {
            body.attributes.push(json_attribute(name, value, text));
        }
    }
    body
}

/// `"key": value` from its key's opening quote (found back from the value) to the
/// value's end.
fn json_attribute(name: &str, value: &Expression, text: &str) -> Attribute {
    let expr = lower_expr(value);
    let value_span = expr.span();
    let before = text.get(..value_span.start).unwrap_or("");
    let start = before
        .rfind(':')
        .and_then(|colon| before[..colon].rfind('"'))
        .and_then(|close| before[..close].rfind('"'))
        .unwrap_or(value_span.start);
    Attribute {
        key: name.to_string(),
        span: Span::new(start, value_span.end),
        expr,
    }
}

fn span_of(range: Option<std::ops::Range<usize>>) -> Span {
    range.map(Span::from).unwrap_or_default()
}

fn lower_expr(expr: &Expression) -> Expr {
    let span = span_of(expr.span());
    let down = lower_expr;
    let kind = match expr {
        Expression::Null(_) => ExprKind::Literal(Value::Null),
        Expression::Bool(b) => ExprKind::Literal(Value::Bool(*b.value())),
        Expression::Number(n) => {
            ExprKind::Literal(n.value().as_f64().map_or(Value::Unknown, Value::Number))
        }
        Expression::String(s) => ExprKind::Literal(Value::String(s.value().clone())),
        Expression::Array(items) => ExprKind::Array(items.iter().map(down).collect()),
        Expression::Object(object) => ExprKind::Object(
            object
                .iter()
                .map(|(key, value)| {
                    let key = match key {
                        ObjectKey::Ident(ident) => {
                            ObjectItemKey::Name(ident.as_str().to_string(), span_of(ident.span()))
                        }
                        ObjectKey::Expression(Expression::String(s)) => {
                            ObjectItemKey::Name(s.value().clone(), span_of(s.span()))
                        }
                        ObjectKey::Expression(e) => ObjectItemKey::Computed(down(e)),
                    };
                    (key, down(value.expr()))
                })
                .collect(),
        ),
        Expression::StringTemplate(template) => lower_template(template),
        Expression::HeredocTemplate(heredoc) => lower_template(&heredoc.template),
        Expression::Parenthesis(inner) => return down(inner.inner()),
        Expression::Variable(name) => ExprKind::Variable(name.as_str().to_string()),
        Expression::Conditional(c) => ExprKind::Conditional(Box::new([
            down(&c.cond_expr),
            down(&c.true_expr),
            down(&c.false_expr),
        ])),
        Expression::FuncCall(call) => {
            let mut name = String::new();
            for part in &call.name.namespace {
                name.push_str(part.as_str());
                name.push_str("::");
            }
            name.push_str(call.name.name.as_str());
            ExprKind::Call(Box::new(Call {
                name,
                args: call.args.iter().map(down).collect(),
                expand_final: call.args.expand_final(),
            }))
        }
        Expression::Traversal(traversal) => ExprKind::Traversal(
            Box::new(down(&traversal.expr)),
            traversal
                .operators
                .iter()
                .map(|op| match op.value() {
                    TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_) => {
                        Step::Splat
                    }
                    TraversalOperator::GetAttr(ident) => Step::Attr(ident.as_str().to_string()),
                    TraversalOperator::Index(index) => Step::Index(down(index)),
                    TraversalOperator::LegacyIndex(i) => Step::Index(Expr::new(
                        span,
                        ExprKind::Literal(Value::Number(*i.value() as f64)),
                    )),
                })
                .collect(),
        ),
        Expression::UnaryOp(op) => match op.operator.value() {
            UnaryOperator::Not => ExprKind::Not(Box::new(down(&op.expr))),
            UnaryOperator::Neg => ExprKind::Negate(Box::new(down(&op.expr))),
        },
        Expression::BinaryOp(op) => ExprKind::Binary(
            match op.operator.value() {
                BinaryOperator::Eq => BinaryOp::Eq,
                BinaryOperator::NotEq => BinaryOp::NotEq,
                BinaryOperator::LessEq => BinaryOp::LessEq,
                BinaryOperator::GreaterEq => BinaryOp::GreaterEq,
                BinaryOperator::Less => BinaryOp::Less,
                BinaryOperator::Greater => BinaryOp::Greater,
                BinaryOperator::Plus => BinaryOp::Plus,
                BinaryOperator::Minus => BinaryOp::Minus,
                BinaryOperator::Mul => BinaryOp::Mul,
                BinaryOperator::Div => BinaryOp::Div,
                BinaryOperator::Mod => BinaryOp::Mod,
                BinaryOperator::And => BinaryOp::And,
                BinaryOperator::Or => BinaryOp::Or,
            },
            Box::new([down(&op.lhs_expr), down(&op.rhs_expr)]),
        ),
        Expression::ForExpr(for_expr) => ExprKind::For(Box::new(ForExpr {
            key_var: for_expr
                .intro
                .key_var
                .as_ref()
                .map(|k| k.as_str().to_string()),
            value_var: for_expr.intro.value_var.as_str().to_string(),
            collection: down(&for_expr.intro.collection_expr),
            key: for_expr.key_expr.as_ref().map(down),
            value: down(&for_expr.value_expr),
            grouping: for_expr.grouping,
            cond: for_expr.cond.as_ref().map(|c| down(&c.expr)),
        })),
    };
    Expr::new(span, kind)
}

fn lower_template(template: &Template) -> ExprKind {
    let parts: Vec<TemplatePart> = template
        .iter()
        .map(|element| match element {
            Element::Literal(text) => TemplatePart::Literal(text.value().clone()),
            Element::Interpolation(interpolation) => {
                TemplatePart::Interpolation(lower_expr(&interpolation.expr))
            }
            Element::Directive(_) => TemplatePart::Directive,
        })
        .collect();
    match parts.as_slice() {
        [] => ExprKind::Literal(Value::String(String::new())),
        [TemplatePart::Literal(text)] => ExprKind::Literal(Value::String(text.clone())),
        _ => ExprKind::Template(parts),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lowered_json(text: &str) -> Body {
        lower_json(&audit_syntax::parse_hcl_json(text).unwrap(), text, false)
    }

    #[test]
    fn json_syntax_lowers_to_the_same_blocks() {
        let text = r#"{
  "//": "managed by cdktf",
  "resource": {
    "aws_security_group": {
      "web": [{
        "name": "web",
        "count": "${var.n}",
        "tags": {"Env": "dev"},
        "ingress": [{"from_port": 22}, {"from_port": 443}],
        "dynamic": {"egress": {"for_each": {"a": 1}, "content": {"to_port": 0}}}
      }]
    }
  },
  "locals": {"settings": {"public": true}},
  "variable": {"db_password": {"type": "string", "default": "x"}},
  "terraform": {"backend": {"s3": {"bucket": "state"}}}
}
"#;
        let body = lowered_json(text);
        let sg = body.blocks("resource").next().unwrap();
        assert_eq!(sg.labels, ["aws_security_group", "web"]);
        assert_eq!(&text[sg.span.start..sg.span.start + 1], "{");
        let name = sg.body.attribute("name").unwrap();
        assert_eq!(&text[name.span.start..name.span.end], "\"name\": \"web\"");
        assert_eq!(
            sg.body.attribute("count").unwrap().expr.path(),
            ["var", "n"]
        );
        assert!(matches!(
            sg.body.attribute("tags").unwrap().expr.kind,
            ExprKind::Object(_)
        ));
        assert_eq!(sg.body.blocks("ingress").count(), 2);
        let dynamic = sg.body.blocks("dynamic").next().unwrap();
        assert_eq!(dynamic.labels, ["egress"]);
        assert!(dynamic.body.attribute("for_each").is_some());
        assert_eq!(dynamic.body.blocks("content").count(), 1);
        let locals = body.blocks("locals").next().unwrap();
        assert!(locals.body.attribute("settings").is_some());
        let variable = body.blocks("variable").next().unwrap();
        assert_eq!(variable.labels, ["db_password"]);
        assert!(variable.body.attribute("default").is_some());
        let terraform = body.blocks("terraform").next().unwrap();
        assert_eq!(
            terraform.body.blocks("backend").next().unwrap().labels,
            ["s3"]
        );
        // `.tfvars.json`: every key a value.
        let vars = "{\"region\": \"eu-west-1\", \"sizes\": {\"a\": 1}}";
        let tfvars = lower_json(&audit_syntax::parse_hcl_json(vars).unwrap(), vars, true);
        assert_eq!(tfvars.attributes.len(), 2);
    }

    fn lowered(text: &str) -> Body {
        lower_body(&audit_syntax::parse_hcl(text).unwrap().body)
    }

    #[test]
    fn blocks_and_attributes_keep_their_spans() {
        let text = "resource \"aws_ebs_volume\" \"v\" {\n  encrypted = false\n  tags = { Env = \"dev\" }\n}\n";
        let body = lowered(text);
        let block = body.blocks("resource").next().unwrap();
        assert_eq!(block.labels, ["aws_ebs_volume", "v"]);
        assert_eq!(block.span.start, 0);
        assert_eq!(&text[block.span.end - 1..block.span.end], "}");
        let attr = block.body.attribute("encrypted").unwrap();
        assert_eq!(&text[attr.span.start..attr.span.end], "encrypted = false");
        let ExprKind::Object(items) = &block.body.attribute("tags").unwrap().expr.kind else {
            panic!("tags is an object");
        };
        let ObjectItemKey::Name(key, span) = &items[0].0 else {
            panic!("Env is a name");
        };
        assert_eq!((key.as_str(), &text[span.start..span.end]), ("Env", "Env"));
    }

    #[test]
    fn expressions_stay_small() {
        // Every attribute value and sub-expression of every kept file is one `Expr`.
        assert!(
            std::mem::size_of::<Expr>() <= 48,
            "{}",
            std::mem::size_of::<Expr>()
        );
    }

    #[test]
    fn references_name_the_resource() {
        let body = lowered("a = aws_s3_bucket.logs.id\nb = \"${aws_kms_key.k.arn}\"\nc = var.x\n");
        let reference = |key: &str| body.attribute(key).unwrap().expr.reference();
        assert_eq!(reference("a"), Some(("aws_s3_bucket", "logs")));
        assert_eq!(reference("b"), Some(("aws_kms_key", "k")));
        assert_eq!(reference("c"), Some(("var", "x")));
        let body = lowered("p = data.aws_iam_policy_document.admin.json\nq = local.list[0].name\n");
        assert_eq!(
            body.attribute("p").unwrap().expr.path(),
            ["data", "aws_iam_policy_document", "admin", "json"]
        );
        assert_eq!(body.attribute("q").unwrap().expr.path(), ["local", "list"]);
    }
}
