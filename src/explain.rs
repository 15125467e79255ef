//! `backend-audit rules` and `backend-audit explain ID`.

use std::path::Path;

use audit_core::RuleMeta;

use crate::RulesFormat;

pub fn list(format: RulesFormat, extra: Option<&Path>) -> Result<u8, String> {
    let rules = audit_engine::load_rules(extra).map_err(|e| e.to_string())?;
    let out = match format {
        RulesFormat::Json => {
            let metas: Vec<&RuleMeta> = rules.iter().map(|r| &r.meta).collect();
            serde_json::to_string_pretty(&metas).map_err(|e| e.to_string())? + "\n"
        }
        RulesFormat::Text => {
            let mut out = String::new();
            for r in &rules {
                let m = &r.meta;
                out.push_str(&format!(
                    "{:<8} {:<32} {:<10} {:<9} {}\n",
                    m.id, m.name, m.domain, m.severity, m.docs.summary
                ));
            }
            out
        }
    };
    print!("{out}");
    Ok(0)
}

pub fn explain(id: &str, extra: Option<&Path>) -> Result<u8, String> {
    let rules = audit_engine::load_rules(extra).map_err(|e| e.to_string())?;
    let rule = rules
        .iter()
        .find(|r| r.meta.id.as_str().eq_ignore_ascii_case(id))
        .ok_or_else(|| format!("no rule `{id}` (see `backend-audit rules`)"))?;
    print!("{}", audit_report::rule_markdown(&rule.meta));
    Ok(0)
}
