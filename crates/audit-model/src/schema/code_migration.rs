//! Which layout a migration written in code follows (Knex, TypeORM/MikroORM, Sequelize,
//! Alembic, Django), lowering it by that layout, and the classification count: how many
//! of a file's migration statements were lowered to events.

use audit_syntax::tree_sitter::Tree;
use audit_syntax::{Grammar, SqlDialect};

use super::replay::CodeMigration;
use super::{Revision, alembic, django, knex, sequelize, typeorm};
use crate::code::CodeSemantics;

/// The migration layouts written in code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodeLayout {
    Knex,
    TypeOrm,
    Sequelize,
    Alembic,
    Django,
}

/// The layout of a JS/TS or Python file, if it is a code migration; `is_migration`
/// says whether its path is a migration's (a migrations folder, or configured).
pub fn code_layout(
    path: &str,
    text: &str,
    grammar: Grammar,
    is_migration: bool,
) -> Option<CodeLayout> {
    if grammar.is_javascript_family() {
        if !is_migration {
            return None;
        }
        return if typeorm::is_typeorm_migration(text) {
            Some(CodeLayout::TypeOrm)
        } else if sequelize::is_sequelize_migration(text) {
            Some(CodeLayout::Sequelize)
        } else if knex::is_knex_migration(text) {
            Some(CodeLayout::Knex)
        } else {
            None
        };
    }
    if text.contains("alembic") && path.split('/').rev().nth(1) == Some("versions") {
        return Some(CodeLayout::Alembic);
    }
    (text.contains("migrations") && is_migration && django::django_app_label(path).is_some())
        .then_some(CodeLayout::Django)
}

/// A code migration lowered by its layout, with its Alembic revision; `None` for an
/// Alembic file without `revision = "..."`.
pub fn lower_code_migration(
    layout: CodeLayout,
    path: &str,
    tree: &Tree,
    semantics: &CodeSemantics,
    text: &str,
    dialect: SqlDialect,
) -> Option<(CodeMigration, Option<Revision>)> {
    Some(match layout {
        CodeLayout::Knex => (knex::lower_knex(tree, semantics, text, dialect), None),
        CodeLayout::TypeOrm => (typeorm::lower_typeorm(tree, semantics, text, dialect), None),
        CodeLayout::Sequelize => (
            sequelize::lower_sequelize(tree, semantics, text, dialect),
            None,
        ),
        CodeLayout::Alembic => {
            let revision = alembic::alembic_revision(semantics, text)?;
            (
                alembic::lower_alembic(tree, semantics, text, dialect),
                Some(revision),
            )
        }
        CodeLayout::Django => {
            let app_label = django::django_app_label(path)?;
            (
                django::lower_django(tree, semantics, text, app_label, dialect),
                None,
            )
        }
    })
}

/// How many migration statements a file holds and how many were classified: lowered to
/// events, or understood as changing nothing a rule reads.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Classification {
    pub statements: usize,
    pub classified: usize,
    /// The start of each statement that was not classified (at most a few per file).
    pub unclassified: Vec<String>,
}

/// The classification of one migration file (`.sql`, or code in `grammar`), as the
/// scan lowers it; `None` when it is no migration.
pub fn classify_migration(
    path: &str,
    text: &str,
    grammar: Option<Grammar>,
    is_migration: bool,
    dialect: SqlDialect,
) -> Option<Classification> {
    let head = |s: &str| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .chars()
            .take(100)
            .collect::<String>()
    };
    let Some(grammar) = grammar else {
        if !is_migration {
            return None;
        }
        let mut counted = Classification::default();
        audit_syntax::parse_sql_each(text, dialect, |_, statement| {
            counted.statements += 1;
            if statement.recognised {
                counted.classified += 1;
            } else {
                counted
                    .unclassified
                    .push(head(&text[statement.span.start..statement.span.end]));
            }
        })
        .ok()?;
        return Some(counted);
    };
    let layout = code_layout(path, text, grammar, is_migration)?;
    let (tree, grammar) =
        audit_syntax::parse_tree(grammar, text, std::time::Duration::from_secs(10)).ok()?;
    let semantics = CodeSemantics::build(&tree, text, grammar);
    let (migration, _) = lower_code_migration(layout, path, &tree, &semantics, text, dialect)?;
    Some(Classification {
        statements: migration.statements.len() + migration.unclassified.len(),
        classified: migration.statements.len(),
        unclassified: migration
            .unclassified
            .iter()
            .map(|s| head(&text[s.start..s.end]))
            .collect(),
    })
}
