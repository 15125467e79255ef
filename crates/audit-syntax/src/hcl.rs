use hcl_edit::structure::Body;

use crate::ParseProblem;

/// A parsed Terraform file: hcl-edit keeps byte spans on every block and attribute.
#[derive(Debug)]
pub struct HclFile {
    pub body: Body,
}

pub fn parse_hcl(text: &str) -> Result<HclFile, ParseProblem> {
    match hcl_edit::parser::parse_body(text) {
        Ok(body) => Ok(HclFile { body }),
        Err(e) => {
            let location = e.location();
            let index = audit_core::LineIndex::new(text);
            Err(ParseProblem {
                offset: Some(index.offset(text, location.line(), location.column())),
                message: e.message().to_string(),
                timed_out: false,
            })
        }
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
