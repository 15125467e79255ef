//! The text-file class: files no parser reads that text rules (SEC006) still search,
//! decided by name and extension.

use std::path::Path;

use crate::Language;

/// What kind of text file a path is: decides its comment syntax and how its keys and
/// values are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TextKind {
    /// `.env`, `.env.example`, `prod.env`.
    Env,
    Yaml,
    /// JSON, which has no comments: the conventional `"//"` key stands in for one.
    Json,
    /// Jupyter notebooks: JSON whose cells hold code as strings.
    Notebook,
    Toml,
    /// `.ini`, `.cfg`, `.conf`, `.npmrc`, `.pypirc`, `.netrc`.
    Ini,
    Properties,
    Xml,
    Dockerfile,
    Shell,
    /// `.pem`, `.key`, `id_rsa` and the other SSH key names.
    Key,
    /// Prisma schema files (`schema.prisma`): their models, for cross-layer rules.
    Prisma,
    /// A sqitch project's `sqitch.plan`: the order its migrations deploy in.
    SqitchPlan,
}

/// Lock files hold only hashes of published packages, and are often megabytes.
const LOCK_FILES: &[&str] = &[
    "package-lock.json",
    "npm-shrinkwrap.json",
    "pnpm-lock.yaml",
    "composer.lock",
    "Pipfile.lock",
];

impl TextKind {
    /// The text kind of a file no parser reads; `None` for parsed languages, the sources of
    /// languages backend-audit does not analyse, docs, data and assets.
    pub fn from_path(path: &Path) -> Option<TextKind> {
        if Language::from_path(path).is_some() {
            return None;
        }
        let name = path.file_name()?.to_str()?;
        if LOCK_FILES.contains(&name) {
            return None;
        }
        if name == ".env" || name.starts_with(".env.") || name.ends_with(".env") {
            return Some(TextKind::Env);
        }
        if name == "Dockerfile" || name.starts_with("Dockerfile.") || name.ends_with(".dockerfile")
        {
            return Some(TextKind::Dockerfile);
        }
        if matches!(
            name,
            "id_rsa" | "id_dsa" | "id_ecdsa" | "id_ed25519" | "id_ecdsa_sk" | "id_ed25519_sk"
        ) {
            return Some(TextKind::Key);
        }
        if name == "sqitch.plan" {
            return Some(TextKind::SqitchPlan);
        }
        if matches!(
            name,
            ".npmrc" | ".pypirc" | ".netrc" | ".git-credentials" | ".htpasswd" | ".pgpass"
        ) {
            return Some(TextKind::Ini);
        }
        let ext = path.extension()?.to_str()?;
        Some(match ext {
            "yaml" | "yml" => TextKind::Yaml,
            "json" | "jsonc" | "json5" => TextKind::Json,
            "ipynb" => TextKind::Notebook,
            "toml" => TextKind::Toml,
            "ini" | "cfg" | "conf" | "cnf" => TextKind::Ini,
            "properties" => TextKind::Properties,
            "xml" | "config" | "plist" => TextKind::Xml,
            "sh" | "bash" | "zsh" | "ksh" => TextKind::Shell,
            "pem" | "key" | "ppk" | "p8" => TextKind::Key,
            "prisma" => TextKind::Prisma,
            _ => return None,
        })
    }

    /// The comment leaders suppressions and fixture annotations are read from.
    pub fn comment_leaders(self) -> &'static [&'static str] {
        match self {
            TextKind::Env
            | TextKind::Yaml
            | TextKind::Toml
            | TextKind::Dockerfile
            | TextKind::Shell
            | TextKind::SqitchPlan
            // PEM readers skip text outside the block.
            | TextKind::Key => &["#"],
            TextKind::Ini => &["#", ";"],
            TextKind::Properties => &["#", "!"],
            TextKind::Xml => &["<!--"],
            TextKind::Json | TextKind::Notebook => &["\"//\""],
            TextKind::Prisma => &["//"],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::TextKind;
    use std::path::Path;

    #[test]
    fn kinds_by_name_and_extension() {
        for (path, kind) in [
            (".env", Some(TextKind::Env)),
            ("app/.env.production", Some(TextKind::Env)),
            ("deploy/prod.env", Some(TextKind::Env)),
            ("docker-compose.yml", Some(TextKind::Yaml)),
            ("charts/app/values.yaml", Some(TextKind::Yaml)),
            ("config/default.json", Some(TextKind::Json)),
            ("analysis.ipynb", Some(TextKind::Notebook)),
            ("Dockerfile", Some(TextKind::Dockerfile)),
            ("docker/Dockerfile.prod", Some(TextKind::Dockerfile)),
            ("certs/server.key", Some(TextKind::Key)),
            ("home/.ssh/id_rsa", Some(TextKind::Key)),
            ("scripts/deploy.sh", Some(TextKind::Shell)),
            ("src/main.go", None),
            ("app.properties", Some(TextKind::Properties)),
            ("package-lock.json", None),
            ("README.md", None),
            ("logo.png", None),
            ("src/app.ts", None),
            ("main.tf", None),
            ("prisma/schema.prisma", Some(TextKind::Prisma)),
            ("db/sqitch.plan", Some(TextKind::SqitchPlan)),
        ] {
            assert_eq!(TextKind::from_path(Path::new(path)), kind, "{path}");
        }
    }
}
