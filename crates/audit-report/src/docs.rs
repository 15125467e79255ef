//! Rule documentation as Markdown: `backend-audit explain` and docs/rules/.

use std::fmt::Write as _;

use audit_core::RuleMeta;

/// The Markdown code-fence language of a rule's examples, from their file name.
fn fence(rule: &RuleMeta) -> &'static str {
    match rule.docs.example_file.rsplit('.').next().unwrap_or("") {
        "py" => "python",
        "ts" | "tsx" | "mts" | "cts" => "typescript",
        "js" | "jsx" | "mjs" | "cjs" => "javascript",
        "sql" => "sql",
        "tf" | "tfvars" => "hcl",
        _ => "",
    }
}

pub fn rule_markdown(rule: &RuleMeta) -> String {
    let d = &rule.docs;
    let lang = fence(rule);
    let languages: Vec<&str> = rule.languages.iter().map(|l| l.as_str()).collect();
    let mut out = String::new();
    let _ = writeln!(out, "# {} {}\n", rule.id, rule.name);
    let _ = writeln!(out, "{}\n", d.summary);
    let _ = writeln!(out, "| domain | severity | confidence | languages |");
    let _ = writeln!(out, "|---|---|---|---|");
    let _ = writeln!(
        out,
        "| {} | {} | {} | {} |\n",
        rule.domain,
        rule.severity,
        rule.confidence,
        languages.join(", ")
    );
    let _ = writeln!(
        out,
        "In test code (test folders and fixtures, `test_*.py`, `*.spec.ts`, `*.test.js`...): {}.\n",
        rule.tests.describe()
    );
    let _ = writeln!(out, "## Why\n\n{}\n", d.why.trim());
    let _ = writeln!(out, "## Bad\n\n```{lang}\n{}\n```\n", d.bad.trim());
    let _ = writeln!(out, "## Good\n\n```{lang}\n{}\n```\n", d.good.trim());
    let _ = writeln!(out, "## Fix\n\n{}\n", d.fix.trim());
    let _ = writeln!(
        out,
        "## Suppress\n\nWhen a finding is intended, say why next to it:\n\n```{lang}\n{} backend-audit: ignore[{}] <reason>\n```\n",
        comment_leader(lang),
        rule.id
    );
    let refs = &rule.references;
    let _ = writeln!(out, "## References\n");
    let _ = writeln!(out, "- Standard: {}", refs.standard);
    for cwe in &refs.cwe {
        let _ = writeln!(
            out,
            "- [CWE-{cwe}](https://cwe.mitre.org/data/definitions/{cwe}.html)"
        );
    }
    for owasp in &refs.owasp {
        let _ = writeln!(out, "- OWASP Top 10 {owasp}");
    }
    out
}

fn comment_leader(lang: &str) -> &'static str {
    match lang {
        "python" | "hcl" => "#",
        "sql" => "--",
        _ => "//",
    }
}

/// docs/rules/README.md: one line per rule.
pub fn rules_index_markdown(rules: &[RuleMeta]) -> String {
    let mut out = String::from(
        "# Rules\n\nGenerated from `rules/` by `BACKEND_AUDIT_UPDATE_DOCS=1 cargo test --test rules generated_docs`; do not edit by hand.\n\n",
    );
    out.push_str("| id | name | domain | severity | summary |\n|---|---|---|---|---|\n");
    for r in rules {
        let _ = writeln!(
            out,
            "| [{}]({}.md) | {} | {} | {} | {} |",
            r.id, r.id, r.name, r.domain, r.severity, r.docs.summary
        );
    }
    out
}
