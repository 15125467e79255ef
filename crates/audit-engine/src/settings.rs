//! `backend-audit.toml` and the rule selection it and the command line make.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use audit_core::{RuleId, Severity};
use audit_syntax::SqlDialect;
use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::Deserialize;

use crate::rules::{Rule, RuleIdx};

pub const CONFIG_FILE_NAME: &str = "backend-audit.toml";

/// Paths nobody wants scanned: dependencies and build output.
const DEFAULT_EXCLUDES: &[&str] = &[
    "**/node_modules/**",
    "**/bower_components/**",
    "**/vendor/**",
    "**/.venv/**",
    "**/venv/**",
    "**/site-packages/**",
    "**/__pycache__/**",
    "**/dist/**",
    "**/*.min.js",
];

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ConfigFile {
    /// Rule ids or prefixes to enable (default: all).
    pub select: Option<Vec<String>>,
    #[serde(default)]
    pub ignore: Vec<String>,
    /// Globs (relative to the scanned root) of paths not to scan.
    #[serde(default)]
    pub exclude: Vec<String>,
    pub fail_on: Option<Severity>,
    /// Files larger than this many bytes are skipped with a note.
    pub max_file_size: Option<u64>,
    /// Per-file parse budget in milliseconds.
    pub parse_timeout_ms: Option<u64>,
    /// Severity overrides by rule id or prefix.
    #[serde(default)]
    pub severity: BTreeMap<String, Severity>,
    /// Glob -> rule ids or prefixes ignored in matching files.
    #[serde(default)]
    pub per_path_ignores: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub sql: SqlConfig,
    /// The file this came from, named in errors found after parsing.
    #[serde(skip)]
    pub origin: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SqlConfig {
    /// The dialect of `.sql` files no `dialects` glob and no path name decides:
    /// postgres (default), mysql, mssql, sqlite, ... (`SqlDialect::names`).
    pub dialect: Option<String>,
    /// Glob -> dialect for the files it matches; the longest matching glob wins.
    #[serde(default)]
    pub dialects: BTreeMap<String, String>,
    /// Globs of `.sql` files that are migrations, besides the usual folder names.
    #[serde(default)]
    pub migrations: Vec<String>,
}

/// A configuration problem: always exit code 2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl ConfigFile {
    pub fn load(path: &Path) -> Result<ConfigFile, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError(format!("cannot read {}: {e}", path.display())))?;
        let origin = path.display().to_string();
        let mut config = ConfigFile::parse(&text, &origin)?;
        config.origin = Some(origin);
        Ok(config)
    }

    /// Parses config text; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<ConfigFile, ConfigError> {
        toml::from_str(text).map_err(|e| ConfigError(format!("{origin}: {e}")))
    }

    /// The config file at `root`, if there is one.
    pub fn discover(root: &Path) -> Result<(ConfigFile, Option<PathBuf>), ConfigError> {
        let path = root.join(CONFIG_FILE_NAME);
        if path.is_file() {
            Ok((ConfigFile::load(&path)?, Some(path)))
        } else {
            Ok((ConfigFile::default(), None))
        }
    }
}

/// Selectors from the command line, which win over the config file's.
#[derive(Debug, Default, Clone)]
pub struct CliSelection {
    pub select: Vec<String>,
    pub ignore: Vec<String>,
}

/// Everything the engine needs to know, resolved and validated.
#[derive(Debug)]
pub struct Settings {
    /// Per rule, indexed by [`RuleIdx`].
    rules: Vec<RuleSetting>,
    pub exclude: GlobSet,
    pub per_path_ignores: Vec<(GlobSet, Vec<RuleId>)>,
    pub migrations: GlobSet,
    /// The default SQL dialect (`sql.dialect`); see [`Settings::sql_dialect_for`].
    pub sql_dialect: SqlDialect,
    /// `sql.dialects`: globs with their dialect, longest glob first.
    pub sql_dialects: Vec<(globset::GlobMatcher, SqlDialect)>,
    pub max_file_size: u64,
    pub parse_timeout: std::time::Duration,
    pub fail_on: Option<Severity>,
}

/// What the configuration and command line make of one rule.
#[derive(Debug, Clone, Copy)]
pub struct RuleSetting {
    pub enabled: bool,
    pub severity: Severity,
}

struct Selector {
    /// An upper-cased rule id or prefix; empty selects every rule.
    text: String,
    enable: bool,
    /// Command-line selectors break ties with the config file's.
    from_cli: bool,
}

impl Settings {
    pub fn resolve(
        config: &ConfigFile,
        cli: &CliSelection,
        rules: &[Rule],
    ) -> Result<Settings, ConfigError> {
        Settings::resolve_unnamed(config, cli, rules).map_err(|e| match &config.origin {
            Some(origin) => ConfigError(format!("{origin}: {}", e.0)),
            None => e,
        })
    }

    fn resolve_unnamed(
        config: &ConfigFile,
        cli: &CliSelection,
        rules: &[Rule],
    ) -> Result<Settings, ConfigError> {
        // Rule ids are upper-case; users may type them in any case.
        let config_select: Vec<String> = match &config.select {
            Some(s) => s.iter().map(|id| id.to_ascii_uppercase()).collect(),
            None => vec![String::new()],
        };
        let upper = |list: &[String]| -> Vec<String> {
            list.iter().map(|id| id.to_ascii_uppercase()).collect()
        };
        let mut selectors = Vec::new();
        for (list, enable, from_cli) in [
            (config_select, true, false),
            (upper(&config.ignore), false, false),
            (upper(&cli.select), true, true),
            (upper(&cli.ignore), false, true),
        ] {
            for text in list {
                if !text.is_empty() {
                    check_selector(&text, rules)?;
                }
                selectors.push(Selector {
                    text,
                    enable,
                    from_cli,
                });
            }
        }
        // `--select` on the command line replaces the config file's selection.
        if !cli.select.is_empty() {
            selectors.retain(|s| !s.enable || s.from_cli);
        }
        let severity_overrides: Vec<(String, Severity)> = config
            .severity
            .iter()
            .map(|(k, s)| (k.to_ascii_uppercase(), *s))
            .collect();
        for (key, _) in &severity_overrides {
            check_selector(key, rules)?;
        }
        let per_rule = rules
            .iter()
            .map(|rule| RuleSetting {
                enabled: is_enabled(rule.id().as_str(), &selectors),
                severity: severity_overrides
                    .iter()
                    .filter(|(k, _)| rule.id().as_str().starts_with(k.as_str()))
                    .max_by_key(|(k, _)| k.len())
                    .map_or(rule.meta.severity, |(_, s)| *s),
            })
            .collect();

        let mut per_path_ignores = Vec::new();
        for (glob, ids) in &config.per_path_ignores {
            let mut matched = Vec::new();
            for id in ids {
                let id = id.to_ascii_uppercase();
                check_selector(&id, rules)?;
                matched.extend(
                    rules
                        .iter()
                        .filter(|r| r.id().as_str().starts_with(id.as_str()))
                        .map(|r| r.id().clone()),
                );
            }
            per_path_ignores.push((
                glob_set("per-path-ignores", std::slice::from_ref(glob))?,
                matched,
            ));
        }

        let mut excludes: Vec<String> = DEFAULT_EXCLUDES.iter().map(|s| s.to_string()).collect();
        excludes.extend(config.exclude.iter().cloned());
        let sql_dialect = match &config.sql.dialect {
            None => SqlDialect::default(),
            Some(name) => dialect_named("sql.dialect", name)?,
        };
        let mut sql_dialects = Vec::new();
        for (glob, name) in &config.sql.dialects {
            let key = format!("sql.dialects.\"{glob}\"");
            let dialect = dialect_named(&key, name)?;
            let matcher = Glob::new(glob)
                .map_err(|e| ConfigError(format!("{key}: invalid glob `{glob}`: {e}")))?
                .compile_matcher();
            sql_dialects.push((matcher, dialect));
        }
        sql_dialects.sort_by_key(|(m, _)| std::cmp::Reverse(m.glob().glob().len()));
        let max_file_size = config.max_file_size.unwrap_or(2 * 1024 * 1024);
        if max_file_size > audit_core::MAX_INDEXED_BYTES {
            return Err(ConfigError(format!(
                "max-file-size: {max_file_size} is over {} bytes (4 GiB), the largest file \
                 the parsers address",
                audit_core::MAX_INDEXED_BYTES
            )));
        }
        Ok(Settings {
            rules: per_rule,
            exclude: glob_set("exclude", &excludes)?,
            per_path_ignores,
            migrations: glob_set("sql.migrations", &config.sql.migrations)?,
            sql_dialect,
            sql_dialects,
            max_file_size,
            parse_timeout: std::time::Duration::from_millis(
                config.parse_timeout_ms.unwrap_or(10_000),
            ),
            fail_on: config.fail_on,
        })
    }

    pub fn rule(&self, index: RuleIdx) -> RuleSetting {
        self.rules[index.position()]
    }

    pub fn is_excluded(&self, rel_path: &str) -> bool {
        self.exclude.is_match(rel_path)
    }

    pub fn is_ignored_at(&self, rule: &RuleId, rel_path: &str) -> bool {
        self.per_path_ignores
            .iter()
            .any(|(globs, ids)| ids.contains(rule) && globs.is_match(rel_path))
    }

    /// The dialect a `.sql` file is parsed and checked as: the longest `sql.dialects`
    /// glob matching it, else the dialect its path names (`db/mssql/`, `mysql8/`,
    /// `x.sqlite.sql`), else `sql.dialect`.
    pub fn sql_dialect_for(&self, rel_path: &str) -> SqlDialect {
        self.sql_dialects
            .iter()
            .find(|(glob, _)| glob.is_match(rel_path))
            .map(|(_, dialect)| *dialect)
            .or_else(|| SqlDialect::from_path(rel_path))
            .unwrap_or(self.sql_dialect)
    }

    /// Whether a `.sql` file is a migration: under a migrations folder, a Flyway
    /// `V<n>__` file, or matched by `sql.migrations`.
    pub fn is_migration(&self, rel_path: &str) -> bool {
        audit_model::schema::is_migration_path(rel_path) || self.migrations.is_match(rel_path)
    }
}

/// The longest matching selector decides; on a tie the command line wins, then ignore.
fn is_enabled(id: &str, selectors: &[Selector]) -> bool {
    selectors
        .iter()
        .filter(|s| id.starts_with(s.text.as_str()))
        .max_by_key(|s| (s.text.len(), s.from_cli, !s.enable))
        .is_some_and(|s| s.enable)
}

fn check_selector(selector: &str, rules: &[Rule]) -> Result<(), ConfigError> {
    if rules.iter().any(|r| r.id().as_str().starts_with(selector)) {
        Ok(())
    } else {
        Err(ConfigError(format!(
            "`{selector}` matches no rule id or prefix (see `backend-audit rules`)"
        )))
    }
}

fn dialect_named(key: &str, name: &str) -> Result<SqlDialect, ConfigError> {
    SqlDialect::from_name(name).ok_or_else(|| {
        let names: Vec<&str> = SqlDialect::names().collect();
        ConfigError(format!(
            "{key}: unknown dialect `{name}` (expected one of {})",
            names.join(", ")
        ))
    })
}

fn glob_set(key: &str, globs: &[String]) -> Result<GlobSet, ConfigError> {
    let mut builder = GlobSetBuilder::new();
    for glob in globs {
        let glob = Glob::new(glob)
            .map_err(|e| ConfigError(format!("{key}: invalid glob `{glob}`: {e}")))?;
        builder.add(glob);
    }
    builder.build().map_err(|e| ConfigError(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn selectors(list: &[(&str, bool, bool)]) -> Vec<Selector> {
        list.iter()
            .map(|&(text, enable, from_cli)| Selector {
                text: text.to_string(),
                enable,
                from_cli,
            })
            .collect()
    }

    #[test]
    fn longest_selector_wins() {
        let s = selectors(&[
            ("", true, false),
            ("SEC", false, false),
            ("SEC010", true, false),
        ]);
        assert!(is_enabled("SEC010", &s));
        assert!(!is_enabled("SEC003", &s));
        assert!(is_enabled("DB002", &s));
    }

    #[test]
    fn command_line_breaks_ties() {
        let s = selectors(&[("SEC", false, false), ("SEC", true, true)]);
        assert!(is_enabled("SEC003", &s));
    }

    #[test]
    fn migration_paths() {
        let settings =
            Settings::resolve(&ConfigFile::default(), &CliSelection::default(), &[]).unwrap();
        assert!(settings.is_migration("db/migrations/001_init.sql"));
        assert!(settings.is_migration("sql/V2__add_users.sql"));
        assert!(!settings.is_migration("queries/report.sql"));
        assert!(!settings.is_migration("sql/Vendor__x.sql"));
    }

    fn sql_settings(toml: &str) -> Result<Settings, ConfigError> {
        let config = ConfigFile::parse(toml, "backend-audit.toml")?;
        Settings::resolve(&config, &CliSelection::default(), &[])
    }

    #[test]
    fn sql_dialects_per_folder_then_path_names_then_the_default() {
        let settings = sql_settings(
            r#"
            [sql]
            dialect = "mysql"
            dialects = { "db/mssql/**" = "sqlserver", "db/**" = "postgres", "db/legacy/**" = "sqlite" }
            "#,
        )
        .unwrap();
        let of = |path| settings.sql_dialect_for(path);
        // The longest matching glob wins, over what the path says.
        assert_eq!(of("db/mssql/migrations/0001.sql"), SqlDialect::MsSql);
        assert_eq!(of("db/legacy/postgres/0001.sql"), SqlDialect::Sqlite);
        assert_eq!(of("db/mysql/0001.sql"), SqlDialect::Postgres);
        // Then the path's own names, over `dialect`.
        assert_eq!(
            of("services/postgres/migrations/1.sql"),
            SqlDialect::Postgres
        );
        assert_eq!(
            of("database/spanner/examples/migrations/1_users.up.sql"),
            SqlDialect::Spanner
        );
        assert_eq!(of("migrations/0001_init.sql"), SqlDialect::MySql);
    }

    #[test]
    fn unknown_sql_dialects_are_errors_naming_the_key() {
        let err = sql_settings("[sql]\ndialects = { \"db/**\" = \"mongo\" }\n").unwrap_err();
        assert!(
            err.0
                .contains("sql.dialects.\"db/**\": unknown dialect `mongo`"),
            "{err}"
        );
        assert!(err.0.contains("mssql"), "{err}");
        let err = sql_settings("[sql]\ndialect = \"oracle9\"\n").unwrap_err();
        assert!(
            err.0.contains("sql.dialect: unknown dialect `oracle9`"),
            "{err}"
        );
        let err = sql_settings("[sql]\ndialects = { \"db/[\" = \"mysql\" }\n").unwrap_err();
        assert!(err.0.contains("invalid glob"), "{err}");
        assert_eq!(
            sql_settings("[sql]\ndialect = \"PostgreSQL\"\n")
                .unwrap()
                .sql_dialect,
            SqlDialect::Postgres
        );
    }
}
