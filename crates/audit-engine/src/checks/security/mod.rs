//! Security checks over the code model: calls matched by qualified name, never by the
//! name a file happens to give a module. The helpers below turn the model's byte ranges
//! back into nodes, only where a check needs their shape.

pub mod sec003_command_injection;
pub mod sec005_unsafe_deserialization;
pub mod sec006_hardcoded_secret;
pub mod sec007_jwt_insecure_verification;
pub mod sec008_weak_password_hash;
pub mod sec009_weak_crypto;
pub mod sec010_tls_verification_disabled;

use audit_core::Span;
pub(crate) use audit_model::code::nodes::{elements, node_at, string_content, text_of};
use audit_syntax::tree_sitter::{Node, Tree};

use super::CodeContext;
pub(crate) use super::words;
use audit_model::code::nodes::{Fields, KindName};

/// The arguments of a call whose argument list is at `arguments`.
pub(crate) fn arguments<'a>(ctx: &CodeContext<'a>, arguments: Option<Span>) -> Vec<Node<'a>> {
    arguments
        .and_then(|span| ctx.node_at(span))
        .map_or_else(Vec::new, elements)
}

/// The positional arguments of a Python call: its arguments without the `name=value` ones.
pub(crate) fn positional_arguments<'a>(ctx: &CodeContext<'a>, list: Option<Span>) -> Vec<Node<'a>> {
    let mut args = arguments(ctx, list);
    args.retain(|a| a.kind_name() != "keyword_argument");
    args
}

/// The node each occurrence of `word` in `text` is exactly (an identifier, a property, a
/// string fragment), in source order; occurrences inside longer names, comments or
/// strings with more in them are skipped. Costs a descent per occurrence, not a walk.
fn occurrences<'t>(tree: &'t Tree, text: &'t str, word: &'t str) -> impl Iterator<Item = Node<'t>> {
    text.match_indices(word)
        .filter_map(move |(at, _)| node_at(tree, Span::new(at, at + word.len())))
}

/// Whether `child` is the `field` child of `parent`.
pub(crate) fn is_field(parent: Node<'_>, field: &'static str, child: Node<'_>) -> bool {
    parent.field(field).is_some_and(|c| c.id() == child.id())
}

/// The `key: value` pair of a Python dict literal whose key is the string `key`.
pub(crate) fn dictionary_key<'t>(
    text: &str,
    dictionary: Node<'t>,
    key: &str,
) -> Option<(Node<'t>, Node<'t>)> {
    if dictionary.kind_name() != "dictionary" {
        return None;
    }
    elements(dictionary).into_iter().find_map(|pair| {
        let k = pair.field("key")?;
        (pair.kind_name() == "pair" && string_content(text, k) == Some(key))
            .then(|| pair.field("value").map(|v| (pair, v)))
            .flatten()
    })
}

/// The module-level assignments `name = value` of a Python file (a settings module), as
/// (assignment, value) in source order; assignments inside functions, classes or `if`
/// branches are left out: they are not what the module always sets.
pub(crate) fn module_assignments<'t>(
    tree: &'t Tree,
    text: &'t str,
    name: &'t str,
) -> impl Iterator<Item = (Node<'t>, Node<'t>)> {
    occurrences(tree, text, name).filter_map(|node| {
        let assignment = node.parent()?;
        let statement = assignment.parent()?;
        (node.kind_name() == "identifier"
            && assignment.kind_name() == "assignment"
            && is_field(assignment, "left", node)
            && statement.kind_name() == "expression_statement"
            && statement.parent()?.kind_name() == "module")
            .then(|| Some((assignment, assignment.field("right")?)))
            .flatten()
    })
}

/// Whether the last module-level assignment of `name` is the literal `True`.
pub(crate) fn module_flag_true(tree: &Tree, text: &str, name: &str) -> bool {
    module_assignments(tree, text, name)
        .last()
        .is_some_and(|(_, value)| value.kind_name() == "true")
}

/// A settings file meant for a developer's machine, CI or tests by its name
/// (`settings/local.py`, `dev_settings.py`, `settings_test.py`, `config/development.py`):
/// debug flags and open CORS there do not reach production.
pub(crate) fn development_settings(path: &str) -> bool {
    let file = path.rsplit('/').next().unwrap_or(path);
    let stem = file.split('.').next().unwrap_or(file);
    stem.split(['_', '-']).any(|word| {
        let word = word.to_ascii_lowercase();
        matches!(
            word.as_str(),
            "local"
                | "dev"
                | "develop"
                | "development"
                | "testing"
                | "ci"
                | "debug"
                | "sample"
                | "example"
        ) || word.ends_with("test")
            || word.ends_with("tests")
    })
}

/// A program that runs the script it is given after a command flag: `sh`, `/bin/bash`,
/// `cmd.exe`, `powershell`, `pwsh`.
fn is_shell(program: &str) -> bool {
    let unix = ["/usr/local/bin/", "/usr/bin/", "/local/bin/", "/bin/", ""]
        .iter()
        .find_map(|prefix| program.strip_prefix(prefix))
        .is_some_and(|name| {
            matches!(
                name,
                "sh" | "bash" | "dash" | "ash" | "ksh" | "mksh" | "zsh"
            )
        });
    let name = program.rsplit(['/', '\\']).next().unwrap_or(program);
    let name = name.to_ascii_lowercase();
    let name = name.strip_suffix(".exe").unwrap_or(&name);
    unix || matches!(name, "cmd" | "powershell" | "pwsh")
}

/// The flag after which a shell reads its script: `-c` and its combinations with other
/// single-letter options (`-lc`, `-ec`), `/c`, `/k`, `-Command`.
fn is_script_flag(flag: &str) -> bool {
    if let Some(letters) = flag.strip_prefix('-')
        && letters.bytes().filter(|&b| b == b'c').count() == 1
        && letters
            .bytes()
            .all(|b| b"abcefhiklmnprstuvxBCEHPT".contains(&b))
    {
        return true;
    }
    matches!(flag.to_ascii_lowercase().as_str(), "/c" | "/k" | "-command")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_named_for_development() {
        for path in [
            "config/settings/local.py",
            "dev_settings.py",
            "settings_test.py",
            "dojo/settings/unittests.py",
            "settings/ci.py",
        ] {
            assert!(development_settings(path), "{path}");
        }
        for path in [
            "config/settings/production.py",
            "settings.py",
            "settings/base.py",
        ] {
            assert!(!development_settings(path), "{path}");
        }
    }

    #[test]
    fn names_split_into_words() {
        assert_eq!(words("expectedSignature"), ["expected", "signature"]);
        assert_eq!(words("EXPECTED_SIGNATURE"), ["expected", "signature"]);
        assert_eq!(
            words("X-Hub-Signature-256"),
            ["x", "hub", "signature", "256"]
        );
        assert_eq!(words("apiKey"), ["api", "key"]);
        assert_eq!(words("HMACDigest"), ["hmacdigest"]);
    }

    #[test]
    fn shells_and_their_script_flags() {
        for program in [
            "sh",
            "/bin/bash",
            "/usr/local/bin/zsh",
            "cmd.exe",
            "C:\\Windows\\System32\\CMD.EXE",
            "pwsh",
            "powershell.exe",
        ] {
            assert!(is_shell(program), "{program}");
        }
        for program in [
            "python3",
            "/opt/bin/sh",
            "shell",
            "bash2",
            "node",
            "/bin/sh.exe",
        ] {
            assert!(!is_shell(program), "{program}");
        }
        for flag in [
            "-c", "-lc", "-ec", "-cx", "/c", "/K", "-Command", "-command",
        ] {
            assert!(is_script_flag(flag), "{flag}");
        }
        for flag in ["-e", "-", "c", "-NoProfile", "-File", "--c", "-cd", "-cc"] {
            assert!(!is_script_flag(flag), "{flag}");
        }
    }
}
pub mod sec011_permissive_cors;
pub mod sec012_debug_enabled;
pub mod sec013_insecure_session_cookie;
pub mod sec014_error_details_leaked;
pub mod sec015_sensitive_data_logged;
pub mod sec021_csrf_disabled;
pub mod sec022_insecure_randomness;
pub mod sec023_timing_unsafe_compare;
pub mod sec024_xxe;
