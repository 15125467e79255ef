pub mod db002_index_blocks_writes;
pub mod db004_destructive_migration;

use crate::project::{MigrationRole, SqlContext};

/// The statement's migration role, also reading goose's `-- +goose Up` / `-- +goose Down`
/// sections (the SQL splitter marks only dbmate's `-- migrate:down`). Called only once a
/// check is about to report, so the backwards scan costs nothing on clean statements.
pub fn migration_role(ctx: &SqlContext<'_>) -> Option<MigrationRole> {
    match ctx.migration {
        Some(MigrationRole::Forward)
            if in_goose_down(&ctx.source.text[..ctx.statement.span.start]) =>
        {
            Some(MigrationRole::Down)
        }
        other => other,
    }
}

/// Whether the last goose section marker before the statement opens a Down section.
fn in_goose_down(before: &str) -> bool {
    for line in before.lines().rev() {
        let Some(annotation) = line.trim().strip_prefix("--").map(str::trim_start) else {
            continue;
        };
        let Some(command) = annotation.strip_prefix("+goose") else {
            continue;
        };
        match command.trim() {
            c if c.eq_ignore_ascii_case("down") => return true,
            c if c.eq_ignore_ascii_case("up") => return false,
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::in_goose_down;

    #[test]
    fn goose_sections() {
        assert!(!in_goose_down("-- +goose Up\n"));
        assert!(in_goose_down(
            "-- +goose Up\nALTER TABLE t ADD c int;\n\n-- +goose Down\n-- +goose StatementBegin\n"
        ));
        assert!(!in_goose_down("-- +goose Down\nSELECT 1;\n-- +goose Up\n"));
        assert!(!in_goose_down("CREATE TABLE t (id int);\n"));
    }
}
