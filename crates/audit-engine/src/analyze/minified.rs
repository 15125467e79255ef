//! Minified JavaScript: a build's output, not source. Its findings are in code nobody
//! edits (a bundle's copies of its dependencies), and its trees are the largest a scan
//! builds (wagtail's 670 KB `core.js` is two lines), so the code rules skip it; the
//! text checks (secrets baked into a bundle) still read it.

/// Smaller files are read whatever their lines look like.
const MIN_BYTES: usize = 20 * 1024;
/// A line longer than this is what a minifier writes, when it is mostly code.
const LONG_LINE: usize = 1_000;

/// Whether most of `text` is in long lines dense with punctuation. An inline source map
/// (`//# sourceMappingURL=data:...`) or a long string literal of base64 is a long line
/// too, but a comment or has almost no `;`, `,`, brackets or parentheses.
pub(super) fn is_minified(text: &str) -> bool {
    if text.len() < MIN_BYTES {
        return false;
    }
    let minified_bytes: usize = text
        .split('\n')
        .filter(|line| line.len() > LONG_LINE && !line.trim_start().starts_with("//"))
        .filter(|line| {
            let punctuation = line
                .bytes()
                .filter(|b| matches!(b, b';' | b',' | b'{' | b'}' | b'(' | b')'))
                .count();
            punctuation * 20 >= line.len()
        })
        .map(str::len)
        .sum();
    minified_bytes * 2 >= text.len()
}

#[cfg(test)]
mod tests {
    use super::is_minified;

    #[test]
    fn a_minified_bundle_is_told_from_source() {
        let statement = "var a=function(b,c){return b(c)};";
        let bundle = format!(
            "/*! For license information please see core.js.LICENSE.txt */\n(()=>{{{}}})();\n",
            statement.repeat(1_000)
        );
        assert!(is_minified(&bundle));

        let source = "function add(a, b) {\n  return a + b;\n}\n".repeat(1_000);
        assert!(!is_minified(&source));
        // Babel's output with an inline source map: one long comment line.
        let compiled = format!(
            "\"use strict\";\nvar x = require(\"x\");\n//# sourceMappingURL=data:application/json;base64,{}\n",
            "eyJ2ZXJzaW9uIjozLCJuYW1lcyI6W10".repeat(2_000)
        );
        assert!(!is_minified(&compiled));
        // A long base64 literal in real source.
        let data = format!(
            "export const logo = \"{}\";\n{}",
            "iVBORw0KGgo".repeat(5_000),
            "let y = 1;\n".repeat(100)
        );
        assert!(!is_minified(&data));
        // Small files are never skipped.
        assert!(!is_minified(&statement.repeat(100)));
    }
}
