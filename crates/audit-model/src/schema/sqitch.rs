//! Sqitch projects: `sqitch.plan` at the project's root lists its changes in deploy
//! order; each change has `deploy/<change>.sql` (forward), `revert/<change>.sql` (its
//! rollback) and `verify/<change>.sql` (queries checking a deploy: no migration).

use std::collections::HashMap;

use super::SqlSource;

/// What a script of a sqitch change does, by its folder.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum SqitchRole {
    Deploy,
    Revert,
    Verify,
}

/// A `.sql` file under a `deploy/`, `revert/` or `verify/` folder: the script of a
/// sqitch change if its project looks like one ([`resolve_sqitch`] decides, once every
/// file is known), else an ordinary file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SqitchChange {
    /// The folder holding `deploy/` (`""` at the root): the project, one migration set.
    pub project: String,
    /// The change's name; a reworked change's earlier script is `name@tag`.
    pub change: String,
    pub role: SqitchRole,
    /// The change's place in the plan; `None` without a plan, or for a change the plan
    /// does not list: those replay after the listed ones, by name.
    pub position: Option<usize>,
}

impl SqitchChange {
    /// The path of this change's script of another role.
    pub fn script_path(&self, role: SqitchRole) -> String {
        let folder = match role {
            SqitchRole::Deploy => "deploy",
            SqitchRole::Revert => "revert",
            SqitchRole::Verify => "verify",
        };
        let change = &self.change;
        match self.project.as_str() {
            "" => format!("{folder}/{change}.sql"),
            project => format!("{project}/{folder}/{change}.sql"),
        }
    }
}

/// The sqitch change a path would be the script of: the innermost `deploy/`,
/// `revert/` or `verify/` folder, and the rest of the path without `.sql`.
pub fn sqitch_change(path: &str) -> Option<SqitchChange> {
    let stem = path.strip_suffix(".sql")?;
    let mut offset = 0;
    let mut found = None;
    for part in stem.split('/') {
        let role = match part {
            "deploy" => Some(SqitchRole::Deploy),
            "revert" => Some(SqitchRole::Revert),
            "verify" => Some(SqitchRole::Verify),
            _ => None,
        };
        let end = offset + part.len();
        if let Some(role) = role
            && end < stem.len()
        {
            found = Some((offset, end, role));
        }
        offset = end + 1;
    }
    let (start, end, role) = found?;
    Some(SqitchChange {
        project: stem[..start.saturating_sub(1)].to_string(),
        change: stem[end + 1..].to_string(),
        role,
        position: None,
    })
}

/// A `sqitch.plan`: its changes and `@tag`s, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SqitchPlan {
    entries: Vec<String>,
}

/// Reads a plan: each change line starts with the change's name (an old plan may put
/// `+`/`-` before it), each tag line with `@tag`; `%pragma`s, comments and blank lines
/// are skipped.
pub fn read_sqitch_plan(text: &str) -> SqitchPlan {
    let entries = text
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .filter(|first| !first.starts_with(['#', '%']))
        .map(|first| first.trim_start_matches(['+', '-']).to_string())
        .filter(|name| !name.is_empty())
        .collect();
    SqitchPlan { entries }
}

impl SqitchPlan {
    /// Where a change deploys: its last listing, or for a reworked change's earlier
    /// script (`name@tag`) the last listing before that tag.
    pub fn position(&self, change: &str) -> Option<usize> {
        let (name, before) = match change.split_once('@') {
            Some((name, tag)) => {
                let tag = self
                    .entries
                    .iter()
                    .position(|e| e.strip_prefix('@') == Some(tag))?;
                (name, tag)
            }
            None => (change, self.entries.len()),
        };
        self.entries[..before].iter().rposition(|e| e == name)
    }
}

/// Decides which `deploy/`, `revert/` and `verify/` files are sqitch scripts: those
/// whose project has a plan (`plans`, by the plan's folder), or has both deploy and
/// revert scripts, so that a lone `deploy/` folder of scripts is left as it was. Deploy
/// and revert scripts become migrations placed by the plan, verify scripts stop being
/// migrations.
pub fn resolve_sqitch<'a>(
    files: impl IntoIterator<Item = &'a mut SqlSource>,
    plans: &HashMap<String, SqitchPlan>,
) {
    let mut candidates: Vec<&mut SqlSource> = files
        .into_iter()
        .filter(|sql| sql.sqitch.is_some())
        .collect();
    // Per project: whether it has deploy and revert scripts.
    let mut roles: HashMap<String, (bool, bool)> = HashMap::new();
    for change in candidates.iter().filter_map(|sql| sql.sqitch.as_ref()) {
        let seen = roles.entry(change.project.clone()).or_default();
        seen.0 |= change.role == SqitchRole::Deploy;
        seen.1 |= change.role == SqitchRole::Revert;
    }
    for sql in &mut candidates {
        let Some(change) = sql.sqitch.as_mut() else {
            continue;
        };
        let plan = plans.get(&change.project);
        if plan.is_none() && roles.get(&change.project) != Some(&(true, true)) {
            sql.sqitch = None;
            continue;
        }
        change.position = plan.and_then(|plan| plan.position(&change.change));
        sql.is_migration = change.role != SqitchRole::Verify;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_are_named_by_their_innermost_role_folder() {
        let change = sqitch_change("db/deploy/users.sql").unwrap();
        assert_eq!(
            (change.project.as_str(), change.change.as_str(), change.role),
            ("db", "users", SqitchRole::Deploy)
        );
        assert_eq!(
            change.script_path(SqitchRole::Revert),
            "db/revert/users.sql"
        );
        let root = sqitch_change("verify/app/users@v1.sql").unwrap();
        assert_eq!(
            (root.project.as_str(), root.change.as_str(), root.role),
            ("", "app/users@v1", SqitchRole::Verify)
        );
        assert_eq!(
            root.script_path(SqitchRole::Deploy),
            "deploy/app/users@v1.sql"
        );
        assert_eq!(sqitch_change("deploy.sql"), None);
        assert_eq!(sqitch_change("db/deploy/notes.md"), None);
        assert_eq!(sqitch_change("db/migrations/1_users.sql"), None);
    }

    #[test]
    fn the_plan_orders_changes_and_reworked_ones_by_their_tag() {
        let plan = read_sqitch_plan(
            "%syntax-version=1.0.0\n%project=flipr\n\n# a comment\n\
             appschema 2013-12-30T23:19:45Z Marge <m@example.com> # Schema.\n\
             users [appschema] 2013-12-30T23:49:00Z Marge <m@example.com> # Users.\n\
             @v1.0 2013-12-31T00:01:22Z Marge <m@example.com> # Tag.\n\
             +lists [users] 2013-12-31T00:39:40Z Marge <m@example.com>\n\
             users [users@v1.0] 2013-12-31T01:00:10Z Marge <m@example.com># Rework.\n",
        );
        assert_eq!(plan.position("appschema"), Some(0));
        assert_eq!(plan.position("users@v1.0"), Some(1));
        assert_eq!(plan.position("lists"), Some(3));
        assert_eq!(plan.position("users"), Some(4));
        assert_eq!(plan.position("missing"), None);
        assert_eq!(plan.position("users@v9"), None);
    }
}
