//! JUnit XML for test dashboards (GitLab's and Jenkins' test reports, CI summaries): one
//! `<testsuite>` per domain, one `<testcase>` per enabled rule, one `<failure>` per
//! unsuppressed finding. A rule with findings is one failed test case.

use std::io::{self, Write};

use audit_core::{Diagnostic, Domain, RuleMeta};

use crate::{Report, rule_doc_url};

pub fn junit(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    let findings = |rule: &RuleMeta| -> Vec<&Diagnostic> {
        report.active().filter(|d| d.rule == rule.id).collect()
    };
    let failing = |rules: &[&RuleMeta]| rules.iter().filter(|r| !findings(r).is_empty()).count();
    let all: Vec<&RuleMeta> = report.rules.iter().collect();

    out.write_all(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")?;
    writeln!(
        out,
        "<testsuites name=\"backend-audit\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"0\">",
        all.len(),
        failing(&all)
    )?;
    for domain in Domain::ALL {
        let rules: Vec<&RuleMeta> = all
            .iter()
            .copied()
            .filter(|r| r.domain == *domain)
            .collect();
        if rules.is_empty() {
            continue;
        }
        writeln!(
            out,
            "  <testsuite name=\"backend-audit.{domain}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"0\">",
            rules.len(),
            failing(&rules)
        )?;
        for rule in rules {
            write!(
                out,
                "    <testcase classname=\"{domain}\" name=\"{}\"",
                attr(&format!("{} {}", rule.id, rule.name))
            )?;
            let found = findings(rule);
            if found.is_empty() {
                out.write_all(b"/>\n")?;
                continue;
            }
            out.write_all(b">\n")?;
            for d in found {
                let loc = &d.location;
                let place = format!("{}:{}:{}", loc.path, loc.start.line, loc.start.column);
                writeln!(
                    out,
                    "      <failure type=\"{}\" message=\"{}\">{}</failure>",
                    d.severity,
                    attr(&format!("{place}: {}", d.message)),
                    content(&format!(
                        "{place}: {} [{} {}]\n{}\nSee {}",
                        d.message,
                        d.severity,
                        d.rule,
                        loc.context.text,
                        rule_doc_url(rule)
                    ))
                )?;
            }
            out.write_all(b"    </testcase>\n")?;
        }
        out.write_all(b"  </testsuite>\n")?;
    }
    out.write_all(b"</testsuites>\n")
}

/// An XML 1.0 attribute value: markup characters become entities, line breaks and tabs
/// character references (a parser would otherwise turn them into spaces), and characters
/// XML 1.0 cannot carry at all become U+FFFD.
fn attr(text: &str) -> String {
    escape(text, true)
}

/// XML 1.0 element content: as [`attr`], but quotes, line breaks and tabs stay as they
/// are (a carriage return is still a reference, or a parser would drop it).
fn content(text: &str) -> String {
    escape(text, false)
}

fn escape(text: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            '\'' if attribute => out.push_str("&apos;"),
            '\r' => out.push_str("&#13;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\t' if attribute => out.push_str("&#9;"),
            '\n' | '\t' => out.push(c),
            '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{attr, content};

    #[test]
    fn escaping_covers_markup_breaks_and_characters_xml_cannot_carry() {
        let text = "a<b>&\"c'\n\t\r\u{1}\u{fffe}é";
        assert_eq!(
            attr(text),
            "a&lt;b&gt;&amp;&quot;c&apos;&#10;&#9;&#13;\u{fffd}\u{fffd}é"
        );
        assert_eq!(
            content(text),
            "a&lt;b&gt;&amp;\"c'\n\t&#13;\u{fffd}\u{fffd}é"
        );
    }
}
