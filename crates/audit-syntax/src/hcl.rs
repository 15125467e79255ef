use hcl_edit::expr::Expression;
use hcl_edit::structure::Body;

use crate::ParseProblem;

/// A parsed Terraform file: hcl-edit keeps byte spans on every block and attribute.
#[derive(Debug)]
pub struct HclFile {
    pub body: Body,
}

pub fn parse_hcl(text: &str) -> Result<HclFile, ParseProblem> {
    hcl_edit::parser::parse_body(text)
        .map(|body| HclFile { body })
        .map_err(|e| problem(text, &e))
}

/// A file in Terraform's JSON syntax (`.tf.json`, `.tfvars.json`) as one HCL expression:
/// HCL's object constructor accepts JSON's `"key": value`, and its strings are the
/// templates Terraform reads in JSON strings (`"${var.name}"`), with spans throughout.
pub fn parse_hcl_json(text: &str) -> Result<Expression, ParseProblem> {
    // The expression parser takes no whitespace around the expression. After it, it is
    // cut; before it (or a byte order mark), it becomes `(` and spaces, closed after the
    // end, so every byte offset stays where it was.
    let text = text.trim_end();
    let lead = text.len()
        - text
            .trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n'])
            .len();
    if lead == 0 {
        return hcl_edit::parser::parse_expr(text).map_err(|e| problem(text, &e));
    }
    let wrapped = format!("({}{})", " ".repeat(lead - 1), &text[lead..]);
    match hcl_edit::parser::parse_expr(&wrapped) {
        Ok(Expression::Parenthesis(inner)) => Ok(inner.into_inner()),
        Ok(other) => Ok(other),
        Err(e) => Err(problem(&wrapped, &e)),
    }
}

fn problem(text: &str, e: &hcl_edit::parser::Error) -> ParseProblem {
    let location = e.location();
    let index = audit_core::LineIndex::new(text);
    ParseProblem {
        offset: Some(index.offset(text, location.line(), location.column())),
        message: e.message().to_string(),
        timed_out: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_errors_carry_a_position() {
        let text = "resource \"a\" \"b\" {\n  x = \n}\n";
        let err = parse_hcl(text).unwrap_err();
        assert!(err.offset.unwrap() > 0);
        assert!(!err.message.is_empty());
    }

    #[test]
    fn json_is_an_expression_with_spans() {
        use hcl_edit::Span;
        let text = "{\n  \"variable\": {\"a\": {\"default\": \"${local.x}\"}},\n  \"locals\": [\n    {\"b\": 1}\n  ]\n}\n";
        let Expression::Object(object) = parse_hcl_json(text).unwrap() else {
            panic!("an object");
        };
        let (_, value) = object.iter().next().unwrap();
        assert!(text[value.expr().span().unwrap()].starts_with("{\"a\""));
        assert_eq!(object.len(), 2);
        assert!(parse_hcl_json("{\"a\": }").unwrap_err().offset.is_some());
        // Leading blank lines and a byte order mark keep every offset.
        let text = "\u{feff}\n  {\"a\": true}\n";
        let Expression::Object(object) = parse_hcl_json(text).unwrap() else {
            panic!("an object");
        };
        let (_, value) = object.iter().next().unwrap();
        assert_eq!(&text[value.expr().span().unwrap()], "true");
        assert_eq!(parse_hcl_json("\n{\"a\": }").unwrap_err().offset, Some(7));
    }

    #[test]
    fn blocks_keep_spans() {
        use hcl_edit::Span;
        let text = "resource \"aws_ebs_volume\" \"v\" {\n  encrypted = false\n}\n";
        let file = parse_hcl(text).unwrap();
        let block = file.body.blocks().next().unwrap();
        assert_eq!(block.span().unwrap().start, 0);
        let attr = block.body.get_attribute("encrypted").unwrap();
        assert_eq!(&text[attr.span().unwrap()], "encrypted = false");
    }
}
