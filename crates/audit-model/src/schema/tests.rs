//! The schema model over small multi-file histories: events lowered from SQL (parsed
//! and rejected), and the final schema of each set, as snapshots.

use std::sync::Arc;

use audit_core::SourceText;
use audit_syntax::{SqlDialect, parse_sql_each};

use super::*;

fn lowered(text: &str, dialect: SqlDialect) -> Vec<Statement> {
    let mut statements = Vec::new();
    let mut search_path = SearchPath::default();
    parse_sql_each(text, dialect, |file, statement| {
        statements.push(lower(file, text, statement, &mut search_path))
    })
    .unwrap();
    statements
}

fn source(path: &str, text: &str) -> SqlSource {
    SqlSource {
        source: SourceText::new(Arc::from(path), text.to_string()),
        dialect: SqlDialect::Postgres,
        statements: lowered(text, SqlDialect::Postgres),
        is_migration: is_migration_path(path),
        shape: FileShape::default(),
        revision: None,
        sqitch: None,
    }
}

/// The final schema of every migration set, as `set:` headers and table lines.
fn final_schemas(files: &[(&str, &str)]) -> String {
    let sources: Vec<SqlSource> = files.iter().map(|(p, t)| source(p, t)).collect();
    let mut out = String::new();
    let mut last: Option<*const Schema> = None;
    replay(&sources, |step| {
        let schema: *const Schema = step.final_schema;
        if step.migration.is_some() && last != Some(schema) {
            last = Some(schema);
            out.push_str(&format!("{}:\n{}", step.sql.source.path, step.final_schema));
        }
    });
    out
}

/// Each statement the replay shows, as `path:line role [tables before it]`.
fn steps(files: &[(&str, &str)], tables: &[&str]) -> Vec<String> {
    let sources: Vec<SqlSource> = files.iter().map(|(p, t)| source(p, t)).collect();
    steps_of(&sources, tables)
}

fn steps_of(sources: &[SqlSource], tables: &[&str]) -> Vec<String> {
    let mut seen = Vec::new();
    replay(sources, |step| {
        let line = step.sql.source.position(step.statement.span.start).line;
        let known: Vec<String> = tables
            .iter()
            .filter_map(|t| {
                let key = TableKey {
                    schema: None,
                    name: Name::new(t, true),
                };
                step.schema
                    .table(&key)
                    .map(|table| format!("{t}@{}", table.created_in))
            })
            .collect();
        seen.push(format!(
            "{}:{line} {:?} [{}]",
            step.sql.source.path,
            step.migration,
            known.join(" ")
        ));
    });
    seen
}

fn changes(text: &str) -> Vec<String> {
    lowered(text, SqlDialect::Postgres)
        .iter()
        .flat_map(|s| s.events.iter().map(|e| format!("{:?}", e.change)))
        .collect()
}

#[test]
fn create_table_lowers_columns_and_inline_and_table_constraints() {
    let history = final_schemas(&[(
        "db/migrations/0001_init.sql",
        "CREATE TABLE users (id bigserial PRIMARY KEY, email varchar(255) NOT NULL UNIQUE, created_at timestamptz NOT NULL DEFAULT now());\n\
         CREATE TABLE orders (id int GENERATED ALWAYS AS IDENTITY, user_id bigint NOT NULL REFERENCES users (id), total numeric(10,2), CONSTRAINT orders_pk PRIMARY KEY (id), CHECK (total >= 0));\n",
    )]);
    assert_eq!(
        history,
        "db/migrations/0001_init.sql:\n\
         orders@db/migrations/0001_init.sql (id int4 not null default, user_id int8 not null, total numeric(10,2)) pk(id) unique index(id) fk(user_id->users) check\n\
         users@db/migrations/0001_init.sql (id bigserial not null default, email varchar(255) not null, created_at timestamptz not null default) pk(id) unique index(id) unique index(email)\n"
    );
}

#[test]
fn alter_table_moves_columns_keys_indexes_and_constraints() {
    let history = final_schemas(&[
        (
            "migrations/0001_init.sql",
            "CREATE TABLE accounts (id int, name text, legacy text);\nCREATE TABLE posts (id int PRIMARY KEY, account int);\n",
        ),
        (
            "migrations/0002_change.sql",
            "ALTER TABLE accounts ADD PRIMARY KEY (id), ADD COLUMN email text NOT NULL DEFAULT '', DROP COLUMN legacy;\n\
             ALTER TABLE accounts RENAME COLUMN name TO display_name;\n\
             ALTER TABLE accounts ALTER COLUMN display_name TYPE varchar(80), ALTER COLUMN display_name SET NOT NULL;\n\
             ALTER TABLE posts ADD CONSTRAINT posts_account_fk FOREIGN KEY (account) REFERENCES accounts (id) NOT VALID;\n\
             ALTER TABLE posts VALIDATE CONSTRAINT posts_account_fk;\n\
             CREATE INDEX CONCURRENTLY posts_account_idx ON posts (account);\n",
        ),
        (
            "migrations/0003_more.sql",
            "DROP INDEX posts_account_idx;\nALTER TABLE posts DROP CONSTRAINT posts_pkey;\nALTER TABLE accounts RENAME TO members;\n",
        ),
    ]);
    assert_eq!(
        history,
        "migrations/0001_init.sql:\n\
         members@migrations/0001_init.sql (id int4 not null, display_name varchar(80) not null, email text not null default) pk(id) unique index(id)\n\
         posts@migrations/0001_init.sql (id int4 not null, account int4) unique index(id) fk(account->accounts)\n"
    );
}

#[test]
fn schema_qualified_and_quoted_names_are_distinct_tables() {
    let history = final_schemas(&[(
        "migrations/1.sql",
        "CREATE TABLE billing.users (id int);\nCREATE TABLE public.users (id int);\nCREATE TABLE \"Users\" (id int);\nCREATE TABLE USERS2 (id int);\nALTER TABLE billing.users RENAME TO customers;\n",
    )]);
    assert_eq!(
        history,
        "migrations/1.sql:\n\
         Users@migrations/1.sql (id int4)\n\
         users@migrations/1.sql (id int4)\n\
         users2@migrations/1.sql (id int4)\n\
         billing.customers@migrations/1.sql (id int4)\n"
    );
}

#[test]
fn rejected_statements_lower_what_their_keywords_make_certain() {
    assert_eq!(
        changes("CREATE INDEX CONCURRENTLY i ON ONLY app.m (a, b DESC, lower(c)) TABLESPACE fast;"),
        [
            "CreateIndex { table: TableRef { key: TableKey { schema: Some(Name(\"app\")), name: Name(\"m\") }, label: \"app.m\" }, name: None, columns: [Name(\"a\"), Name(\"b\")], unique: false, concurrently: true, only: true, rows: All }"
        ]
    );
    assert_eq!(
        changes("DROP INDEX CONCURRENTLY IF EXISTS s.a, b CASCADE;"),
        ["DropIndex { names: [Name(\"a\"), Name(\"b\")], concurrently: true }"]
    );
    assert_eq!(
        changes("DELETE FROM t WHERE id IN (SELECT 1) FOO;\nUPDATE ONLY t SET a = 1 BAR;"),
        [
            "Write { table: None, kind: Delete, filtered: true }",
            "Write { table: None, kind: Update, filtered: false }"
        ]
    );
    assert_eq!(
        changes(
            "ALTER TABLE ONLY app.notes ENABLE ROW LEVEL SECURITY, NOT A CLAUSE;\nALTER TABLE t NOT A CLAUSE;"
        ),
        [
            "SetRowLevelSecurity { table: TableRef { key: TableKey { schema: Some(Name(\"app\")), name: Name(\"notes\") }, label: \"app.notes\" }, enabled: true }"
        ]
    );
    // A rejected CREATE TABLE creates a table of unknown columns, but does not replace
    // one already known.
    let history = final_schemas(&[(
        "migrations/1.sql",
        "CREATE TABLE a (id int);\nCREATE TABLE a (id int) WITH (x = 1) WITH (y = 2);\nCREATE TABLE events (id int) WITH (fillfactor = 90) WITH (x = 1);\n",
    )]);
    assert_eq!(
        history,
        "migrations/1.sql:\na@migrations/1.sql (id int4)\nevents@migrations/1.sql () columns-unknown\n"
    );
}

#[test]
fn writes_know_whether_they_are_filtered() {
    assert_eq!(
        changes(
            "UPDATE t SET a = 1;\nDELETE FROM t;\nUPDATE t SET a = 1 WHERE b;\nDELETE FROM t USING u WHERE t.id = u.id;\nUPDATE t SET a = u.a FROM u;"
        ),
        [
            "Write { table: Some(TableRef { key: TableKey { schema: None, name: Name(\"t\") }, label: \"t\" }), kind: Update, filtered: false }",
            "Write { table: Some(TableRef { key: TableKey { schema: None, name: Name(\"t\") }, label: \"t\" }), kind: Delete, filtered: false }",
            "Write { table: Some(TableRef { key: TableKey { schema: None, name: Name(\"t\") }, label: \"t\" }), kind: Update, filtered: true }",
            "Write { table: Some(TableRef { key: TableKey { schema: None, name: Name(\"t\") }, label: \"t\" }), kind: Delete, filtered: true }",
            "Write { table: Some(TableRef { key: TableKey { schema: None, name: Name(\"t\") }, label: \"t\" }), kind: Update, filtered: true }",
        ]
    );
}

#[test]
fn mysql_inline_keys_and_modify_column() {
    let text = "CREATE TABLE t (id int AUTO_INCREMENT PRIMARY KEY, owner_id int NOT NULL, KEY t_owner (owner_id));\nALTER TABLE t MODIFY COLUMN owner_id bigint NOT NULL;\n";
    let mut schema = Schema::default();
    let path: Arc<str> = Arc::from("migrations/1.sql");
    for statement in lowered(text, SqlDialect::MySql) {
        schema.apply(&statement, &path);
    }
    assert_eq!(
        schema.to_string(),
        "t@migrations/1.sql (id int4 not null default, owner_id int8 not null) pk(id) unique index(id) index(owner_id)\n"
    );
}

#[test]
fn templated_names_keep_their_placeholder_as_label() {
    let statements = lowered(
        "CREATE INDEX a ON {{ index .Options \"Namespace\" }}.sessions (x);\nCREATE INDEX b ON {{ .Table }} (x);\n",
        SqlDialect::Postgres,
    );
    let labels: Vec<String> = statements
        .iter()
        .flat_map(|s| &s.events)
        .map(|e| {
            let table = e.change.table().unwrap();
            format!("{} {}", table.key, table.label)
        })
        .collect();
    assert_eq!(labels, ["sessions sessions", "____table___ {{ .Table }}"]);
}

#[test]
fn sets_replay_apart_in_natural_order_and_other_files_last() {
    let files = [
        ("a/migrations/V10__c.sql", "DROP TABLE t;\n"),
        ("scripts/report.sql", "DELETE FROM t;\n"),
        ("a/migrations/V2__b.sql", "ALTER TABLE t ADD x int;\n"),
        ("a/migrations/V1__a.sql", "CREATE TABLE t (id int);\n"),
        ("a/migrations/R__views.sql", "DROP TABLE IF EXISTS t;\n"),
        ("b/migrations/V1__a.sql", "CREATE INDEX i ON t (id);\n"),
    ];
    assert_eq!(
        steps(&files, &["t"]),
        [
            "a/migrations/V1__a.sql:1 Some(Forward) []",
            "a/migrations/V2__b.sql:1 Some(Forward) [t@a/migrations/V1__a.sql]",
            "a/migrations/V10__c.sql:1 Some(Forward) [t@a/migrations/V1__a.sql]",
            // Flyway's repeatable migrations run after the versioned ones.
            "a/migrations/R__views.sql:1 Some(Forward) []",
            // Another set starts from an empty schema.
            "b/migrations/V1__a.sql:1 Some(Forward) []",
            "scripts/report.sql:1 None []",
        ]
    );
}

#[test]
fn down_files_and_sections_are_shown_but_not_applied() {
    let files = [
        (
            "m/migrations/0001_t.sql",
            "-- migrate:up\nCREATE TABLE t (id int);\n-- migrate:down\nDROP TABLE t;\n",
        ),
        ("m/migrations/0001_t.down.sql", "DROP TABLE t;\n"),
        ("m/migrations/0002_u.sql", "CREATE INDEX i ON t (id);\n"),
    ];
    assert_eq!(
        steps(&files, &["t"]),
        [
            "m/migrations/0001_t.down.sql:1 Some(Down) []",
            "m/migrations/0001_t.sql:2 Some(Forward) []",
            "m/migrations/0001_t.sql:4 Some(Down) [t@m/migrations/0001_t.sql]",
            "m/migrations/0002_u.sql:1 Some(Forward) [t@m/migrations/0001_t.sql]",
        ]
    );
}

/// The files of a sqitch project in `db/` (with `db/sqitch.plan` when `plan` is given),
/// resolved as the project phase resolves them.
fn sqitch_project(files: &[(&str, &str)], plan: Option<&str>) -> Vec<SqlSource> {
    let mut sources: Vec<SqlSource> = files
        .iter()
        .map(|(p, t)| SqlSource {
            sqitch: sqitch_change(p),
            ..source(p, t)
        })
        .collect();
    let plans = plan
        .map(|plan| ("db".to_string(), read_sqitch_plan(plan)))
        .into_iter()
        .collect();
    resolve_sqitch(&mut sources, &plans);
    sources
}

const SQITCH_FILES: [(&str, &str); 7] = [
    (
        "db/deploy/users.sql",
        "CREATE TABLE users (id int PRIMARY KEY, email text);\n",
    ),
    // Before `users` by name, after it by the plan.
    (
        "db/deploy/add_email_index.sql",
        "CREATE INDEX users_email ON users (email);\n",
    ),
    (
        "db/deploy/zz_unplanned.sql",
        "ALTER TABLE users ADD name text;\n",
    ),
    ("db/revert/users.sql", "DROP TABLE users;\n"),
    ("db/revert/add_email_index.sql", "DROP INDEX users_email;\n"),
    (
        "db/verify/users.sql",
        "SELECT id, email FROM users WHERE false;\n",
    ),
    // No plan and no revert scripts beside it: a folder of scripts.
    ("ops/deploy/cleanup.sql", "DROP TABLE sessions;\n"),
];

const SQITCH_PLAN: &str = "%syntax-version=1.0.0\n%project=app\n\n\
    users 2024-01-01T00:00:00Z Ann <ann@example.com> # Users.\n\
    @v1 2024-01-01T00:00:01Z Ann <ann@example.com> # Tag.\n\
    add_email_index [users] 2024-01-02T00:00:00Z Ann <ann@example.com>\n";

#[test]
fn sqitch_deploys_replay_in_plan_order_with_each_revert_after_its_deploy() {
    let sources = sqitch_project(&SQITCH_FILES, Some(SQITCH_PLAN));
    let users = "users@db/deploy/users.sql";
    assert_eq!(
        steps_of(&sources, &["users"]),
        [
            "db/deploy/users.sql:1 Some(Forward) []".to_string(),
            format!("db/revert/users.sql:1 Some(Down) [{users}]"),
            format!("db/deploy/add_email_index.sql:1 Some(Forward) [{users}]"),
            format!("db/revert/add_email_index.sql:1 Some(Down) [{users}]"),
            // Not in the plan: after the planned changes.
            format!("db/deploy/zz_unplanned.sql:1 Some(Forward) [{users}]"),
            // Verify scripts and a lone deploy folder are no migrations.
            "db/verify/users.sql:1 None []".to_string(),
            "ops/deploy/cleanup.sql:1 None []".to_string(),
        ]
    );
    let finals: Vec<String> = replay::final_schemas(&sources)
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        finals,
        [
            "users@db/deploy/users.sql (id int4 not null, email text, name text) pk(id) unique index(id) index(email)\n"
        ]
    );
}

#[test]
fn sqitch_without_a_plan_replays_by_name_when_deploy_and_revert_sit_together() {
    let sources = sqitch_project(&SQITCH_FILES, None);
    assert_eq!(
        steps_of(&sources, &["users"])[..3],
        [
            "db/deploy/add_email_index.sql:1 Some(Forward) []",
            "db/revert/add_email_index.sql:1 Some(Down) []",
            "db/deploy/users.sql:1 Some(Forward) []",
        ]
    );
    // A lone deploy folder, with neither plan nor revert scripts, is left alone.
    let lone = sqitch_project(&SQITCH_FILES[..3], None);
    assert!(lone.iter().all(|s| s.sqitch.is_none() && !s.is_migration));
}

#[test]
fn layouts_replay_their_history_in_order() {
    let up_down_folders = [
        (
            "migrations/20240102_posts/up.sql",
            "ALTER TABLE users ADD COLUMN bio text;\n",
        ),
        (
            "migrations/20240102_posts/down.sql",
            "ALTER TABLE users DROP COLUMN bio;\n",
        ),
        (
            "migrations/20240101_users/up.sql",
            "CREATE TABLE users (id int PRIMARY KEY);\n",
        ),
        ("migrations/20240101_users/down.sql", "DROP TABLE users;\n"),
    ];
    let golang_migrate = [
        (
            "db/migrations/000002_bio.up.sql",
            "ALTER TABLE users ADD COLUMN bio text;\n",
        ),
        (
            "db/migrations/000002_bio.down.sql",
            "ALTER TABLE users DROP COLUMN bio;\n",
        ),
        (
            "db/migrations/000001_users.up.sql",
            "CREATE TABLE users (id int PRIMARY KEY);\n",
        ),
        ("db/migrations/000001_users.down.sql", "DROP TABLE users;\n"),
    ];
    let prisma = [
        (
            "prisma/migrations/20240102000000_bio/migration.sql",
            "ALTER TABLE \"users\" ADD COLUMN \"bio\" TEXT;\n",
        ),
        (
            "prisma/migrations/20240101000000_init/migration.sql",
            "CREATE TABLE \"users\" (\"id\" INTEGER NOT NULL, CONSTRAINT \"users_pkey\" PRIMARY KEY (\"id\"));\n",
        ),
    ];
    let flyway = [
        (
            "src/main/resources/db/migration/V2__bio.sql",
            "ALTER TABLE users ADD COLUMN bio text;\n",
        ),
        (
            "src/main/resources/db/migration/U2__bio.sql",
            "ALTER TABLE users DROP COLUMN bio;\n",
        ),
        (
            "src/main/resources/db/migration/V1__users.sql",
            "CREATE TABLE users (id int PRIMARY KEY);\n",
        ),
    ];
    let goose = [
        (
            "internal/db/migrations/00002_bio.sql",
            "-- +goose Up\nALTER TABLE users ADD COLUMN bio text;\n-- +goose Down\nALTER TABLE users DROP COLUMN bio;\n",
        ),
        (
            "internal/db/migrations/00001_users.sql",
            "-- +goose Up\nCREATE TABLE users (id int PRIMARY KEY);\n-- +goose Down\nDROP TABLE users;\n",
        ),
    ];
    let rails_timestamps = [
        (
            "db/migrate/20240102093000_bio.sql",
            "ALTER TABLE users ADD COLUMN bio text;\n",
        ),
        (
            "db/migrate/20231231235959_users.sql",
            "CREATE TABLE users (id int PRIMARY KEY);\n",
        ),
    ];
    for layout in [
        &up_down_folders[..],
        &golang_migrate,
        &prisma,
        &flyway,
        &goose,
        &rails_timestamps,
    ] {
        let history = final_schemas(layout);
        let created_in = layout
            .iter()
            .map(|(p, _)| *p)
            .filter(|p| !p.contains("down") && !p.contains("/U2"))
            .min_by(|a, b| replay::natural_cmp(a, b))
            .unwrap();
        let set = history.lines().next().unwrap();
        assert_eq!(
            history.lines().nth(1).unwrap(),
            format!("users@{created_in} (id int4 not null, bio text) pk(id) unique index(id)"),
            "{set}"
        );
    }
}

#[test]
fn one_folder_holds_a_history_per_dialect_named_in_its_files() {
    let sources: Vec<SqlSource> = [
        (
            "migrations/0001_users.postgres.up.sql",
            SqlDialect::Postgres,
            "CREATE TABLE users (id int PRIMARY KEY, at timestamptz);\n",
        ),
        (
            "migrations/0001_users.mysql.up.sql",
            SqlDialect::MySql,
            "CREATE TABLE users (id int PRIMARY KEY, at datetime);\n",
        ),
        (
            "migrations/0002_bio.mysql.up.sql",
            SqlDialect::MySql,
            "ALTER TABLE users ADD COLUMN bio text;\n",
        ),
    ]
    .into_iter()
    .map(|(path, dialect, text)| SqlSource {
        source: SourceText::new(Arc::from(path), text.to_string()),
        dialect,
        statements: lowered(text, dialect),
        is_migration: true,
        shape: FileShape::default(),
        revision: None,
        sqitch: None,
    })
    .collect();
    let mut finals = Vec::new();
    replay(&sources, |step| {
        let text = step.final_schema.to_string();
        if finals.last() != Some(&text) {
            finals.push(text);
        }
    });
    assert_eq!(
        finals,
        [
            "users@migrations/0001_users.mysql.up.sql (id int4 not null, at datetime, bio text) pk(id) unique index(id)\n",
            "users@migrations/0001_users.postgres.up.sql (id int4 not null, at timestamptz) pk(id) unique index(id)\n",
        ]
    );
}

fn django(path: &str, text: &str) -> SqlSource {
    let grammar = audit_syntax::Grammar::Python;
    let (tree, grammar) =
        audit_syntax::parse_tree(grammar, text, std::time::Duration::from_secs(10)).unwrap();
    let semantics = crate::code::CodeSemantics::build(&tree, text, grammar);
    let app = django_app_label(path).unwrap();
    SqlSource {
        source: SourceText::new(Arc::from(path), text.to_string()),
        dialect: SqlDialect::Postgres,
        statements: lower_django(&tree, &semantics, text, app, SqlDialect::Postgres).statements,
        is_migration: true,
        shape: FileShape::default(),
        revision: None,
        sqitch: None,
    }
}

#[test]
fn django_operations_replay_into_tables_named_like_django_names_them() {
    let initial = r#"from django.db import migrations, models
import django.db.models.deletion


class Migration(migrations.Migration):
    operations = [
        migrations.CreateModel(
            name="Author",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False)),
                ("name", models.CharField(max_length=100)),
                ("rating", models.FloatField(null=True)),
            ],
        ),
        migrations.CreateModel(
            name="Book",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("price", models.DecimalField(max_digits=8, decimal_places=2)),
                ("author", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to="library.author")),
            ],
        ),
    ]
"#;
    let change = r#"from django.db import migrations, models
from django.contrib.postgres.operations import AddIndexConcurrently


class Migration(migrations.Migration):
    atomic = False
    operations = [
        migrations.AddField(model_name="book", name="isbn", field=models.CharField(max_length=13, default="")),
        migrations.RemoveField(model_name="author", name="rating"),
        migrations.RenameField(model_name="author", old_name="name", new_name="full_name"),
        migrations.AlterField(model_name="author", name="full_name", field=models.CharField(max_length=200)),
        AddIndexConcurrently(model_name="book", index=models.Index(fields=["isbn", "-price"], name="book_isbn")),
        migrations.RenameModel(old_name="Book", new_name="Volume"),
        migrations.RunPython(migrations.RunPython.noop),
    ]
"#;
    let sources = [
        django("library/migrations/0002_change.py", change),
        django("library/migrations/0001_initial.py", initial),
    ];
    // Every operation is a statement, RunPython one without events.
    assert_eq!(sources[0].statements.len(), 7);
    assert!(sources[0].statements[6].events.is_empty());
    let mut last = String::new();
    replay(&sources, |step| last = step.final_schema.to_string());
    assert_eq!(
        last,
        "library_author@library/migrations/0001_initial.py (id int8 not null default, full_name varchar(200) not null) pk(id) unique index(id)\n\
         library_volume@library/migrations/0001_initial.py (id int8 not null default, price numeric(8,2) not null, author_id not null, isbn varchar(13) not null default) pk(id) unique index(id) index(author_id) index(isbn,price)\n"
    );
}

fn alembic(path: &str, text: &str) -> SqlSource {
    let grammar = audit_syntax::Grammar::Python;
    let (tree, grammar) =
        audit_syntax::parse_tree(grammar, text, std::time::Duration::from_secs(10)).unwrap();
    let semantics = crate::code::CodeSemantics::build(&tree, text, grammar);
    SqlSource {
        source: SourceText::new(Arc::from(path), text.to_string()),
        dialect: SqlDialect::Postgres,
        statements: lower_alembic(&tree, &semantics, text, SqlDialect::Postgres).statements,
        is_migration: true,
        shape: FileShape::default(),
        revision: alembic_revision(&semantics, text),
        sqitch: None,
    }
}

#[test]
fn alembic_revisions_replay_along_their_chain_and_downgrade_is_rollback() {
    let first = "import sqlalchemy as sa\nfrom alembic import op\n\nrevision = 'f3a1'\ndown_revision = None\n\n\ndef upgrade():\n    op.create_table('t', sa.Column('id', sa.Integer(), primary_key=True), sa.Column('n', sa.String(20), nullable=False), schema='billing')\n\n\ndef downgrade():\n    op.drop_table('t', schema='billing')\n";
    let second = "import sqlalchemy as sa\nfrom alembic import op\n\nrevision = '0b7c'\ndown_revision = 'f3a1'\n\n\ndef upgrade():\n    op.add_column('t', sa.Column('at', sa.DateTime()), schema='billing')\n    op.create_index('ix_t_at', 't', ['at'], schema='billing', postgresql_concurrently=True)\n    op.alter_column('t', 'n', type_=sa.Text(), new_column_name='name', schema='billing')\n\n\ndef downgrade():\n    op.drop_column('t', 'at', schema='billing')\n";
    // Named so that natural order is the wrong one.
    let sources = [
        alembic("alembic/versions/0b7c_second.py", second),
        alembic("alembic/versions/f3a1_first.py", first),
    ];
    assert_eq!(
        sources[0].revision,
        Some(Revision {
            id: "0b7c".into(),
            down: Some("f3a1".into())
        })
    );
    let mut order = Vec::new();
    let mut last = String::new();
    replay(&sources, |step| {
        let line = step.sql.source.position(step.statement.span.start).line;
        order.push(format!(
            "{}:{line} {:?}",
            step.sql.source.path,
            step.migration.unwrap()
        ));
        last = step.final_schema.to_string();
    });
    assert_eq!(
        order,
        [
            "alembic/versions/f3a1_first.py:9 Forward",
            "alembic/versions/f3a1_first.py:13 Down",
            "alembic/versions/0b7c_second.py:9 Forward",
            "alembic/versions/0b7c_second.py:10 Forward",
            "alembic/versions/0b7c_second.py:11 Forward",
            "alembic/versions/0b7c_second.py:15 Down",
        ]
    );
    assert_eq!(
        last,
        "billing.t@alembic/versions/f3a1_first.py (id int4 not null default, name text not null, at timestamp) pk(id) unique index(id) index(at)\n"
    );
}

#[test]
fn alembic_foreign_keys_name_the_schema_of_a_schema_qualified_target() {
    let text = "import sqlalchemy as sa\nfrom alembic import op\n\nrevision = 'a1'\ndown_revision = None\n\n\ndef upgrade():\n    op.create_table('plugin', sa.Column('id', sa.Integer(), primary_key=True), schema='core')\n    op.create_table('users', sa.Column('id', sa.Integer(), primary_key=True))\n    op.create_table('event', sa.Column('id', sa.Integer(), primary_key=True), sa.Column('plugin_id', sa.Integer()), sa.Column('user_id', sa.Integer()), sa.ForeignKeyConstraint(['plugin_id'], ['core.plugin.id']), sa.ForeignKeyConstraint(['user_id'], ['users.id']), schema='core')\n";
    let mut last = String::new();
    replay(&[alembic("alembic/versions/a1_init.py", text)], |step| {
        last = step.final_schema.to_string();
    });
    let event = last.lines().find(|l| l.starts_with("core.event@")).unwrap();
    assert!(
        event.ends_with("fk(plugin_id->core.plugin) fk(user_id->users)"),
        "{event}"
    );
}

#[test]
fn row_level_security_and_policies_lower_and_replay() {
    assert_eq!(
        changes(
            "ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;\n\
             ALTER TABLE ONLY \"public\".\"notes\" DISABLE ROW LEVEL SECURITY;\n\
             CREATE POLICY \"open\" ON notes FOR DELETE USING ((true));\n\
             CREATE POLICY own ON notes AS RESTRICTIVE TO anon, authenticated USING (auth.uid() = user_id);\n\
             DROP POLICY IF EXISTS \"open\" ON public.notes;"
        )
        .iter()
        .map(|c| c.replace("TableRef { key: TableKey { schema: None, name: Name(\"notes\") }, label: \"notes\" }", "notes"))
        .collect::<Vec<_>>(),
        [
            "SetRowLevelSecurity { table: notes, enabled: true }",
            "SetRowLevelSecurity { table: notes, enabled: false }",
            "CreatePolicy { table: notes, policy: Policy { name: Name(\"open\"), command: Delete, roles: Some([Name(\"public\")]), restrictive: false, using_true: true } }",
            "CreatePolicy { table: notes, policy: Policy { name: Name(\"own\"), command: All, roles: Some([Name(\"anon\"), Name(\"authenticated\")]), restrictive: true, using_true: false } }",
            "DropPolicy { table: notes, name: Name(\"open\") }",
        ]
    );
    let schemas = final_schemas(&[
        (
            "supabase/migrations/1_init.sql",
            "CREATE TABLE notes (id bigint PRIMARY KEY);\nALTER TABLE notes ENABLE ROW LEVEL SECURITY;\n\
             CREATE POLICY a ON notes FOR SELECT USING (true);\nCREATE POLICY b ON notes FOR UPDATE USING (true);\n\
             CREATE TABLE drafts (id bigint PRIMARY KEY);\nALTER TABLE drafts ENABLE ROW LEVEL SECURITY;",
        ),
        (
            "supabase/migrations/2_more.sql",
            "DROP POLICY b ON notes;\nCREATE TABLE IF NOT EXISTS notes (id bigint PRIMARY KEY);\n\
             ALTER TABLE notes RENAME TO memos;\nALTER TABLE drafts DISABLE ROW LEVEL SECURITY;",
        ),
    ]);
    assert_eq!(
        schemas,
        "supabase/migrations/1_init.sql:\n\
         drafts@supabase/migrations/1_init.sql (id int8 not null) pk(id) unique index(id)\n\
         memos@supabase/migrations/1_init.sql (id int8 not null) pk(id) unique index(id) rls policy(a)\n"
    );
}

fn knex(path: &str, text: &str) -> SqlSource {
    let grammar = audit_syntax::Grammar::TypeScript;
    let (tree, grammar) =
        audit_syntax::parse_tree(grammar, text, std::time::Duration::from_secs(10)).unwrap();
    let semantics = crate::code::CodeSemantics::build(&tree, text, grammar);
    assert!(is_knex_migration(text));
    SqlSource {
        source: SourceText::new(Arc::from(path), text.to_string()),
        dialect: SqlDialect::Postgres,
        statements: lower_knex(&tree, &semantics, text, SqlDialect::Postgres).statements,
        is_migration: true,
        shape: FileShape::default(),
        revision: None,
        sqitch: None,
    }
}

#[test]
fn knex_builders_and_raw_sql_replay_into_tables() {
    let first = r#"
export async function up(knex: Knex) {
  await knex.schema.createTable('orgs', (t) => {
    t.increments();
    t.string('name', 100).notNullable().unique();
  });
  await knex.schema.withSchema('billing').createTable('invoices', function (table) {
    table.bigIncrements('id');
    table.integer('org_id').references('orgs.id');
    table.decimal('total', 10, 2).defaultTo(0);
    table.timestamps(true, true);
    table.index(['org_id', 'id']);
  });
  await knex.raw('CREATE INDEX orgs_lower_name ON orgs (name)');
  await knex.raw('LOWER(??)');
}
export async function down(knex: Knex) {
  await knex.schema.dropTable('orgs');
}
"#;
    let second = r#"
exports.up = (knex) =>
  knex.schema.alterTable('orgs', (t) => {
    t.string('plan').nullable();
    t.dropColumn('name');
    t.dropUnique(['name']);
    t.text('plan').notNullable().alter();
  }).renameTable('orgs', 'teams');
exports.down = () => {};
"#;
    let sources = [
        knex("migrations/20240101_init.ts", first),
        knex("migrations/20240201_more.js", second),
    ];
    let kinds: Vec<(StatementKind, bool)> = sources[0]
        .statements
        .iter()
        .map(|s| (s.kind, s.in_down_section))
        .collect();
    use audit_syntax::StatementKind;
    assert_eq!(
        kinds,
        [
            (StatementKind::CreateTable, false),
            (StatementKind::CreateTable, false),
            (StatementKind::CreateIndex, false),
            (StatementKind::CreateIndex, false),
            (StatementKind::DropTable, true),
        ],
        "the raw fragment is no statement"
    );
    let mut out = String::new();
    replay(&sources, |step| {
        if std::ptr::eq(step.statement, sources[1].statements.last().unwrap()) {
            out = step.final_schema.to_string();
        }
    });
    assert_eq!(
        out,
        "teams@migrations/20240101_init.ts (id serial not null default, plan text not null) pk(id) unique index(id)\n\
         billing.invoices@migrations/20240101_init.ts (id bigserial not null default, org_id int4, total numeric(10,2) default, created_at timestamptz not null default, updated_at timestamptz not null default) pk(id) unique index(id) index(org_id,id) fk(org_id->orgs)\n"
    );
}

/// A JS/TS migration lowered by `lower`, with what it left unclassified.
fn js_migration(
    path: &str,
    text: &str,
    lower: fn(
        &audit_syntax::tree_sitter::Tree,
        &crate::code::CodeSemantics,
        &str,
        SqlDialect,
    ) -> CodeMigration,
) -> (SqlSource, Vec<String>) {
    let (tree, grammar) = audit_syntax::parse_tree(
        audit_syntax::Grammar::TypeScript,
        text,
        std::time::Duration::from_secs(10),
    )
    .unwrap();
    let semantics = crate::code::CodeSemantics::build(&tree, text, grammar);
    let migration = lower(&tree, &semantics, text, SqlDialect::Postgres);
    let unclassified = migration
        .unclassified
        .iter()
        .map(|s| text[s.start..s.end].to_string())
        .collect();
    let source = SqlSource {
        source: SourceText::new(Arc::from(path), text.to_string()),
        dialect: SqlDialect::Postgres,
        statements: migration.statements,
        is_migration: true,
        shape: FileShape {
            down_function: migration.down_function,
            ..FileShape::default()
        },
        revision: None,
        sqitch: None,
    };
    (source, unclassified)
}

fn final_schema_of(sources: &[SqlSource]) -> String {
    let mut last = String::new();
    replay(sources, |step| last = step.final_schema.to_string());
    last
}

#[test]
fn typeorm_and_mikroorm_migrations_replay_their_sql_and_schema_api() {
    let generated = r#"import { MigrationInterface, QueryRunner } from "typeorm";

export class AddUsers1700000000000 implements MigrationInterface {
    name = 'AddUsers1700000000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "user" ("id" SERIAL NOT NULL, "email" character varying NOT NULL, "createdAt" TIMESTAMP NOT NULL DEFAULT now(), CONSTRAINT "PK_user" PRIMARY KEY ("id"))`);
        await queryRunner.query("CREATE TABLE \"photo\" (\"id\" SERIAL NOT NULL, \"userId\" integer, CONSTRAINT \"PK_photo\" PRIMARY KEY (\"id\"))");
        await queryRunner.query(`ALTER TABLE "photo" ADD CONSTRAINT "FK_photo_user" FOREIGN KEY ("userId") REFERENCES "user"("id")`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP TABLE "photo"`);
        await queryRunner.query(`DROP TABLE "user"`);
    }
}
"#;
    let api = r#"import { MigrationInterface, QueryRunner, Table, TableColumn, TableForeignKey, TableIndex } from "typeorm";

export class Orders1700000100000 implements MigrationInterface {
    async up(runner: QueryRunner): Promise<void> {
        await runner.createTable(new Table({
            name: "order",
            columns: [
                { name: "id", type: "int", isPrimary: true, isGenerated: true, generationStrategy: "increment" },
                { name: "total", type: "decimal", precision: 10, scale: 2 },
                { name: "note", type: "varchar", length: "120", isNullable: true },
                { name: "userId", type: "int" },
            ],
            foreignKeys: [{ columnNames: ["userId"], referencedTableName: "user", referencedColumnNames: ["id"] }],
        }), true);
        await runner.addColumn("user", new TableColumn({ name: "plan", type: "text", default: "'free'" }));
        await runner.createIndex("order", new TableIndex({ name: "IDX_order_user", columnNames: ["userId"] }));
        await runner.renameColumn("user", "email", "mail");
        await runner.dropColumn("user", "createdAt");
        await runner.query(sql);
        await runner.startTransaction();
    }

    async down(runner: QueryRunner): Promise<void> {}
}
"#;
    let mikro = r#"import { Migration } from '@mikro-orm/migrations';

export class Migration20240101000000 extends Migration {
  async up(): Promise<void> {
    this.addSql('create table "tag" ("id" serial primary key, "label" varchar(50) not null); create index "tag_label_index" on "tag" ("label");');
  }

  async down(): Promise<void> {
    this.addSql('drop table if exists "tag" cascade;');
  }
}
"#;
    let (first, none) = js_migration(
        "src/migrations/1700000000000-AddUsers.ts",
        generated,
        lower_typeorm,
    );
    assert!(none.is_empty(), "{none:?}");
    // The escaped string's statement is placed at its text in the file.
    let photo = &first.statements[1];
    assert!(generated[photo.span.start..].starts_with("CREATE TABLE \\\"photo"));
    let roles: Vec<bool> = first.statements.iter().map(|s| s.in_down_section).collect();
    assert_eq!(roles, [false, false, false, true, true]);
    assert_eq!(first.shape.down_function, DownFunction::Present);
    let (second, unclassified) =
        js_migration("src/migrations/1700000100000-Orders.ts", api, lower_typeorm);
    assert_eq!(unclassified, ["runner.query(sql)"]);
    assert!(matches!(second.shape.down_function, DownFunction::Empty(_)));
    let (third, none) = js_migration(
        "src/migrations/Migration20240101000000.ts",
        mikro,
        lower_typeorm,
    );
    assert!(none.is_empty(), "{none:?}");
    assert_eq!(third.statements.len(), 3);
    assert_eq!(
        final_schema_of(&[first, second, third]),
        "order@src/migrations/1700000100000-Orders.ts (id int4 not null default, total numeric(10,2) not null, note varchar(120), userId int4 not null) pk(id) unique index(id) index(userId) fk(userId->user)\n\
         photo@src/migrations/1700000000000-AddUsers.ts (id serial not null default, userId int4) pk(id) unique index(id) fk(userId->user)\n\
         tag@src/migrations/Migration20240101000000.ts (id serial not null default, label varchar(50) not null) pk(id) unique index(id) index(label)\n\
         user@src/migrations/1700000000000-AddUsers.ts (id serial not null default, mail varchar not null, plan text not null default) pk(id) unique index(id)\n"
    );
}

#[test]
fn sequelize_migrations_replay_their_query_interface_calls() {
    let create = r#"'use strict';
module.exports = {
  up: async (queryInterface, Sequelize) => {
    await queryInterface.createTable('Users', {
      id: { allowNull: false, autoIncrement: true, primaryKey: true, type: Sequelize.INTEGER },
      email: { type: Sequelize.STRING, allowNull: false, unique: true },
      balance: Sequelize.FLOAT,
      createdAt: { allowNull: false, type: Sequelize.DATE },
    });
    await queryInterface.createTable('Posts', {
      id: { primaryKey: true, type: Sequelize.UUID, defaultValue: Sequelize.UUIDV4 },
      userId: { type: Sequelize.INTEGER, references: { model: 'Users', key: 'id' }, onDelete: 'CASCADE' },
    });
  },
  down: async (queryInterface) => {
    await queryInterface.dropTable('Posts');
    await queryInterface.dropTable('Users');
  },
};
"#;
    let change = r#"module.exports = {
  async up(queryInterface, Sequelize) {
    await queryInterface.addColumn('Users', 'plan', { type: Sequelize.STRING(20), allowNull: false, defaultValue: 'free' });
    await queryInterface.addIndex('Posts', ['userId'], { concurrently: true });
    await queryInterface.addIndex('Users', { fields: ['plan'], name: 'users_plan' });
    await queryInterface.changeColumn('Users', 'balance', { type: Sequelize.DECIMAL(12, 2), allowNull: false });
    await queryInterface.renameColumn('Users', 'email', 'mail');
    await queryInterface.removeIndex('Users', 'users_plan');
    await queryInterface.addConstraint('Posts', { fields: ['id', 'userId'], type: 'unique', name: 'posts_id_user' });
    await queryInterface.sequelize.query("UPDATE \"Users\" SET plan = 'pro'");
    await queryInterface.bulkDelete('Posts', null, {});
    await queryInterface.removeColumn('Users', 'createdAt');
    await queryInterface.describeTable('Users');
    await queryInterface.addColumn('Posts', 'editorId', Sequelize.INTEGER);
    await queryInterface.changeColumn('Posts', 'editorId', { type: Sequelize.INTEGER, references: { model: 'Users', key: 'id' } });
    await queryInterface.changeColumn('Users', 'plan', { type: Sequelize.STRING(20), allowNull: false, unique: true });
  },
  async down() {
    // nothing to undo
  },
};
"#;
    let (first, none) = js_migration(
        "migrations/20240101000000-create-users.js",
        create,
        lower_sequelize,
    );
    assert!(none.is_empty(), "{none:?}");
    assert_eq!(
        first
            .statements
            .iter()
            .filter(|s| s.in_down_section)
            .count(),
        2
    );
    let (second, none) = js_migration("migrations/20240201000000-plan.js", change, lower_sequelize);
    assert!(none.is_empty(), "{none:?}");
    assert!(matches!(second.shape.down_function, DownFunction::Empty(_)));
    let writes: Vec<String> = second
        .statements
        .iter()
        .flat_map(|s| &s.events)
        .filter(|e| matches!(e.change, Change::Write { .. } | Change::CreateIndex { .. }))
        .map(|e| format!("{:?}", e.change))
        .collect();
    assert_eq!(writes.len(), 4, "{writes:#?}");
    assert!(writes[0].contains("concurrently: true"), "{}", writes[0]);
    assert!(
        writes[2].contains("kind: Update, filtered: false"),
        "{}",
        writes[2]
    );
    assert!(
        writes[3].contains("kind: Delete, filtered: false"),
        "{}",
        writes[3]
    );
    assert_eq!(
        final_schema_of(&[first, second]),
        "Posts@migrations/20240101000000-create-users.js (id uuid not null default, userId int4, editorId int4) pk(id) unique index(id) index(userId) unique index(id,userId) fk(userId->Users) fk(editorId->Users)\n\
         Users@migrations/20240101000000-create-users.js (id int4 not null default, mail varchar(255) not null, balance numeric(12,2) not null, plan varchar(20) not null default) pk(id) unique index(id) unique index(mail) unique index(plan)\n"
    );
}

#[test]
fn alembic_batch_operations_act_on_the_batch_table_and_an_empty_downgrade_is_seen() {
    let text = "import sqlalchemy as sa\nfrom alembic import op\n\nrevision = 'b1'\ndown_revision = None\n\n\ndef upgrade():\n    op.create_table('t', sa.Column('id', sa.Integer(), primary_key=True), sa.Column('a', sa.String(10)))\n    with op.batch_alter_table('t', schema=None) as batch_op:\n        batch_op.add_column(sa.Column('b', sa.Integer(), nullable=False))\n        batch_op.drop_column('a')\n        batch_op.create_index(batch_op.f('ix_t_b'), ['b'], unique=False)\n        batch_op.create_foreign_key('fk_t_b', 'other', ['b'], ['id'])\n        batch_op.alter_column('b', new_column_name='c')\n    op.execute(sa.text(\"UPDATE t SET c = 1\"))\n\n\ndef downgrade():\n    \"\"\"Nothing to undo.\"\"\"\n    pass\n";
    let grammar = audit_syntax::Grammar::Python;
    let (tree, grammar) =
        audit_syntax::parse_tree(grammar, text, std::time::Duration::from_secs(10)).unwrap();
    let semantics = crate::code::CodeSemantics::build(&tree, text, grammar);
    let migration = lower_alembic(&tree, &semantics, text, SqlDialect::Postgres);
    assert!(
        migration.unclassified.is_empty(),
        "{:?}",
        migration.unclassified
    );
    assert!(matches!(migration.down_function, DownFunction::Empty(_)));
    let source = SqlSource {
        source: SourceText::new(Arc::from("alembic/versions/b1_x.py"), text.to_string()),
        dialect: SqlDialect::Postgres,
        statements: migration.statements,
        is_migration: true,
        shape: FileShape::default(),
        revision: alembic_revision(&semantics, text),
        sqitch: None,
    };
    assert!(
        source
            .statements
            .iter()
            .any(|s| s.events.iter().any(|e| matches!(
                e.change,
                Change::Write {
                    filtered: false,
                    ..
                }
            )))
    );
    assert_eq!(
        final_schema_of(&[source]),
        "t@alembic/versions/b1_x.py (id int4 not null default, c int4 not null) pk(id) unique index(id) index(c) fk(c->other)\n"
    );
}

#[test]
fn django_run_sql_and_together_options_lower_to_events() {
    let initial = r#"from django.db import migrations, models


class Migration(migrations.Migration):
    operations = [
        migrations.CreateModel(
            name="Book",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("title", models.CharField(max_length=100)),
                ("isbn", models.CharField(max_length=13)),
            ],
        ),
        migrations.AlterUniqueTogether(name="book", unique_together={("title", "isbn")}),
        migrations.AlterIndexTogether(name="book", index_together={("isbn",)}),
        migrations.RunSQL(
            sql=["CREATE INDEX shop_book_lower_title ON shop_book (lower(title))", ("UPDATE shop_book SET isbn = %s", ["x"])],
            reverse_sql="DROP INDEX shop_book_lower_title",
        ),
        migrations.RunSQL("ALTER TABLE shop_book ADD COLUMN pages integer"),
        migrations.AddConstraint(model_name="book", constraint=models.CheckConstraint(check=models.Q(id__gt=0), name="book_id_positive")),
    ]
"#;
    let grammar = audit_syntax::Grammar::Python;
    let (tree, grammar) =
        audit_syntax::parse_tree(grammar, initial, std::time::Duration::from_secs(10)).unwrap();
    let semantics = crate::code::CodeSemantics::build(&tree, initial, grammar);
    let migration = lower_django(&tree, &semantics, initial, "shop", SqlDialect::Postgres);
    assert!(
        migration.unclassified.is_empty(),
        "{:?}",
        migration.unclassified
    );
    let described: Vec<(StatementKind, bool, bool, usize)> = migration
        .statements
        .iter()
        .map(|s| (s.kind, s.in_down_section, s.irreversible, s.events.len()))
        .collect();
    use audit_syntax::StatementKind;
    assert_eq!(
        described,
        [
            (StatementKind::CreateTable, false, false, 1),
            (StatementKind::AlterTable, false, false, 1),
            (StatementKind::CreateIndex, false, false, 1),
            (StatementKind::Other, false, false, 0),
            (StatementKind::CreateIndex, false, false, 1),
            (StatementKind::Update, false, false, 1),
            (StatementKind::DropIndex, true, false, 1),
            (StatementKind::Other, false, true, 0),
            (StatementKind::AlterTable, false, false, 1),
            (StatementKind::AlterTable, false, false, 1),
        ]
    );
    let source = SqlSource {
        source: SourceText::new(
            Arc::from("shop/migrations/0001_initial.py"),
            initial.to_string(),
        ),
        dialect: SqlDialect::Postgres,
        statements: migration.statements,
        is_migration: true,
        shape: FileShape::default(),
        revision: None,
        sqitch: None,
    };
    assert_eq!(
        final_schema_of(&[source]),
        "shop_book@shop/migrations/0001_initial.py (id int8 not null default, title varchar(100) not null, isbn varchar(13) not null, pages int4) pk(id) unique index(id) unique index(title,isbn) index(isbn) index() check\n"
    );
}

#[test]
fn django_fields_that_django_indexes_are_indexes() {
    let initial = r#"from django.db import migrations, models


class Migration(migrations.Migration):
    operations = [
        migrations.CreateModel(
            name="Account",
            fields=[
                ("id", models.AutoField(primary_key=True, serialize=False)),
                ("provider", models.CharField(max_length=30)),
                ("uid", models.CharField(max_length=191)),
                ("code", models.CharField(max_length=8, unique=True)),
                ("slug", models.SlugField()),
                ("label", models.CharField(max_length=8, db_column="title")),
            ],
        ),
        migrations.AlterUniqueTogether(name="account", unique_together=set([("provider", "uid")])),
    ]
"#;
    let change = r#"from django.db import migrations, models


class Migration(migrations.Migration):
    operations = [
        migrations.AlterField(model_name="account", name="uid", field=models.CharField(max_length=191, db_index=True)),
        migrations.AddField(model_name="account", name="email", field=models.EmailField(db_index=True)),
    ]
"#;
    let sources = [
        django("social/migrations/0001_initial.py", initial),
        django("social/migrations/0002_index.py", change),
    ];
    let mut last = String::new();
    replay(&sources, |step| last = step.final_schema.to_string());
    assert_eq!(
        last,
        "social_account@social/migrations/0001_initial.py (id int4 not null default, provider varchar(30) not null, uid varchar(191) not null, code varchar(8) not null, slug varchar(50) not null, title varchar(8) not null, email varchar(254) not null) pk(id) unique index(id) unique index(code) index(slug) unique index(provider,uid) index(uid) index(email)\n"
    );
}

#[test]
fn django_join_tables_unique_together_and_removals_replay() {
    let initial = r#"from django.db import migrations, models


class Migration(migrations.Migration):
    operations = [
        migrations.CreateModel(
            name="Site",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("name", models.CharField(max_length=100)),
                ("slug", models.SlugField(db_index=False)),
                ("peers", models.ManyToManyField(to="dcim.site")),
            ],
        ),
        migrations.AlterUniqueTogether(name="site", unique_together={("name", "slug")}),
        migrations.AddIndex(model_name="site", index=models.Index(fields=["name"], name="site_name_idx")),
    ]
"#;
    let change = r#"import django.contrib.postgres.fields
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    operations = [
        migrations.AddField(model_name="site", name="tags", field=models.ManyToManyField(blank=True, related_name="+", to="extras.tag")),
        migrations.AddField(model_name="site", name="owners", field=models.ManyToManyField(through="dcim.SiteOwner", to="users.user")),
        migrations.AddField(model_name="site", name="watchers", field=models.ManyToManyField(to=settings.AUTH_USER_MODEL)),
        migrations.AddField(model_name="site", name="codes", field=django.contrib.postgres.fields.ArrayField(base_field=models.CharField(max_length=50), null=True)),
        migrations.AlterField(model_name="site", name="codes", field=django.contrib.postgres.fields.ArrayField(base_field=models.CharField(max_length=50), size=None)),
        migrations.AlterUniqueTogether(name="site", unique_together=set()),
        migrations.AddConstraint(model_name="site", constraint=models.UniqueConstraint(fields=("slug",), name="dcim_site_unique_slug")),
        migrations.AddConstraint(model_name="site", constraint=models.UniqueConstraint(fields=("name",), name="dcim_site_unique_name")),
        migrations.RemoveIndex(model_name="site", name="site_name_idx"),
        migrations.RemoveConstraint(model_name="site", name="dcim_site_unique_slug"),
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.RemoveField(model_name="site", name="name")],
            database_operations=[
                migrations.RunSQL("CREATE INDEX dcim_site_slug ON dcim_site (slug)", reverse_sql="DROP INDEX dcim_site_slug"),
            ],
        ),
    ]
"#;
    let grammar = audit_syntax::Grammar::Python;
    for text in [initial, change] {
        let (tree, grammar) =
            audit_syntax::parse_tree(grammar, text, std::time::Duration::from_secs(10)).unwrap();
        let semantics = crate::code::CodeSemantics::build(&tree, text, grammar);
        let migration = lower_django(&tree, &semantics, text, "dcim", SqlDialect::Postgres);
        assert!(
            migration.unclassified.is_empty(),
            "{:?}",
            migration.unclassified
        );
    }
    let sources = [
        django("dcim/migrations/0001_initial.py", initial),
        django("dcim/migrations/0002_tags.py", change),
    ];
    // `set()` dropped the unique-together pair, the removals their index and constraint;
    // the field removed from Django's state only is still a column.
    assert_eq!(
        final_schema_of(&sources),
        "dcim_site@dcim/migrations/0001_initial.py (id int8 not null default, name varchar(100) not null, slug varchar(50) not null, codes varchar[](50)) pk(id) unique index(id) unique index(name) index(slug)\n\
         dcim_site_peers@dcim/migrations/0001_initial.py (id not null default, from_site_id not null, to_site_id not null) pk(id) unique index(id) index(from_site_id) unique index(from_site_id,to_site_id) index(to_site_id) fk(from_site_id->dcim_site) fk(to_site_id->dcim_site)\n\
         dcim_site_tags@dcim/migrations/0002_tags.py (id not null default, site_id not null, tag_id not null) pk(id) unique index(id) index(site_id) unique index(site_id,tag_id) index(tag_id) fk(site_id->dcim_site) fk(tag_id->extras_tag)\n\
         dcim_site_watchers@dcim/migrations/0002_tags.py () columns-unknown pk(id) unique index(id) index(site_id) fk(site_id->dcim_site)\n"
    );
}

#[test]
fn django_remove_field_drops_the_column_the_relation_or_the_join_table() {
    let initial = r#"from django.db import migrations, models


class Migration(migrations.Migration):
    operations = [
        migrations.CreateModel(
            name="Author",
            fields=[("id", models.BigAutoField(primary_key=True, serialize=False))],
        ),
        migrations.CreateModel(
            name="Book",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("title", models.CharField(max_length=100)),
                ("rating", models.IntegerField()),
                ("author", models.ForeignKey(on_delete=models.CASCADE, to="shop.author")),
                ("readers", models.ManyToManyField(to="shop.author")),
            ],
        ),
    ]
"#;
    let removals = r#"from django.db import migrations


class Migration(migrations.Migration):
    operations = [
        migrations.RemoveField(model_name="book", name="rating"),
        migrations.RemoveField(model_name="book", name="author"),
        migrations.RemoveField(model_name="book", name="readers"),
    ]
"#;
    let sources = [
        django("shop/migrations/0001_initial.py", initial),
        django("shop/migrations/0002_removals.py", removals),
    ];
    // What each removal drops, as the schema stood before it.
    let mut removed = Vec::new();
    replay(&sources, |step| {
        for event in &step.statement.events {
            if let Change::RemoveField { table, field } = &event.change {
                removed.push(step.schema.removed_field(&table.key, field));
            }
        }
    });
    let key = |name: &str| TableKey {
        schema: None,
        name: Name::new(name, false),
    };
    assert_eq!(
        removed,
        [
            Removed::Column(Name::new("rating", false)),
            Removed::Column(Name::new("author_id", false)),
            Removed::JoinTable(TableRef::new(key("shop_book_readers"))),
        ]
    );
    // `author` is the column `author_id`, which takes its foreign key and index with it;
    // `readers` is the join table `shop_book_readers`.
    assert_eq!(
        final_schema_of(&sources),
        "shop_author@shop/migrations/0001_initial.py (id int8 not null default) pk(id) unique index(id)\n\
         shop_book@shop/migrations/0001_initial.py (id int8 not null default, title varchar(100) not null) pk(id) unique index(id)\n"
    );
}

#[test]
fn unqualified_names_follow_the_files_search_path() {
    let history = final_schemas(&[
        (
            "db/migrations/0001_users.sql",
            "SET search_path TO registry, public;\n\
             CREATE TABLE users (id bigint PRIMARY KEY, team_id bigint);\n\
             CREATE INDEX users_team_idx ON registry.users (team_id);\n\
             SET search_path = '$user', public;\n\
             CREATE TABLE audit (id bigint PRIMARY KEY);\n",
        ),
        (
            "db/migrations/0002_teams.sql",
            "CREATE TABLE teams (id bigint PRIMARY KEY);\n",
        ),
    ]);
    // `users` and `registry.users` are one table; after the path is reset, and in
    // another file (another session), unqualified names are the default schema's.
    assert!(history.contains("registry.users@db/migrations/0001_users.sql (id int8 not null, team_id int8) pk(id) unique index(id) index(team_id)"), "{history}");
    assert!(
        history.contains("audit@db/migrations/0001_users.sql"),
        "{history}"
    );
    assert!(
        history.contains("teams@db/migrations/0002_teams.sql"),
        "{history}"
    );
}

#[test]
fn renamed_indexes_are_dropped_by_their_new_name() {
    let history = final_schemas(&[(
        "db/migrations/0001_users.sql",
        "CREATE TABLE users (id bigint PRIMARY KEY, email text, team_id bigint);\n\
         CREATE INDEX users_email_idx ON users (email);\n\
         CREATE INDEX users_team_idx ON users (team_id);\n\
         ALTER INDEX users_email_idx RENAME TO users_email_key;\n\
         ALTER INDEX public.users_team_idx RENAME TO users_team_key;\n\
         DROP INDEX users_email_key;\n\
         DROP INDEX users_team_idx;\n",
    )]);
    // The index renamed and dropped by its new name is gone; the one dropped by its old
    // name stays (PostgreSQL would refuse that statement).
    assert!(
        history.contains("users@db/migrations/0001_users.sql (id int8 not null, email text, team_id int8) pk(id) unique index(id) index(team_id)\n"),
        "{history}"
    );

    let text = r#"from django.db import migrations, models


class Migration(migrations.Migration):
    operations = [
        migrations.CreateModel(
            name="Book",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("title", models.CharField(max_length=100)),
                ("isbn", models.CharField(max_length=13)),
            ],
        ),
        migrations.AddIndex(model_name="book", index=models.Index(fields=["title"], name="book_title_idx")),
        migrations.AddIndex(model_name="book", index=models.Index(fields=["isbn"], name="book_isbn_idx")),
        migrations.RenameIndex(model_name="book", old_name="book_title_idx", new_name="book_title_ix"),
        migrations.RenameIndex(model_name="book", old_fields=("isbn",), new_name="book_isbn_ix"),
        migrations.RemoveIndex(model_name="book", name="book_title_ix"),
    ]
"#;
    let sources = [django("shop/migrations/0001_initial.py", text)];
    assert_eq!(
        final_schema_of(&sources),
        "shop_book@shop/migrations/0001_initial.py (id int8 not null default, title varchar(100) not null, isbn varchar(13) not null) pk(id) unique index(id) index(isbn)\n"
    );
}

/// The `rows` of every index a statement creates.
fn index_rows(statements: &[Statement]) -> Vec<String> {
    statements
        .iter()
        .flat_map(|s| &s.events)
        .filter_map(|e| match &e.change {
            Change::CreateIndex { rows, .. } => Some(format!("{rows:?}")),
            _ => None,
        })
        .collect()
}

#[test]
fn partial_indexes_keep_the_columns_their_condition_names() {
    let sql = "CREATE INDEX a ON s (token) WHERE revoked_at IS NULL;\n\
               CREATE INDEX b ON s (token) WHERE revoked_at IS NULL AND s.kind IN ('a', 'b');\n\
               CREATE INDEX c ON s (token) WHERE user_id IS NOT NULL;\n\
               CREATE INDEX d ON s (token) WHERE lower(kind) = 'x';\n\
               CREATE INDEX e ON s (token) WHERE NOT (plan BETWEEN 1 AND 3);\n";
    assert_eq!(
        index_rows(&lowered(sql, SqlDialect::Postgres)),
        [
            "Partial([Name(\"revoked_at\")])",
            "Partial([Name(\"revoked_at\"), Name(\"kind\")])",
            "NotNull([Name(\"user_id\")])",
            // A function call: what the condition names is not all read.
            "Partial([])",
            "Partial([Name(\"plan\")])",
        ]
    );
    let django_migration = r#"from django.db import migrations, models


class Migration(migrations.Migration):
    operations = [
        migrations.AddIndex(model_name="check", index=models.Index(fields=["alert_after"], name="a", condition=models.Q(_negated=True, status="down"))),
        migrations.AddIndex(model_name="check", index=models.Index(fields=["code"], name="b", condition=Q(kind__in=["sms"]) & ~Q(status="down"))),
        migrations.AddIndex(model_name="check", index=models.Index(fields=["code"], name="c", condition=LIVE)),
        migrations.AddIndex(model_name="check", index=models.Index(fields=["code"], name="d")),
    ]
"#;
    let source = django("api/migrations/0002_indexes.py", django_migration);
    assert_eq!(
        index_rows(&source.statements),
        [
            "Partial([Name(\"status\")])",
            "Partial([Name(\"kind\"), Name(\"status\")])",
            "Partial([])",
            "All",
        ]
    );
    let alembic_revision = r#"import sqlalchemy as sa
from alembic import op

revision = "a1"
down_revision = None


def upgrade():
    op.create_index("ix_live", "session", ["token"], postgresql_where=sa.text("revoked_at IS NULL AND kind <> 'api'"))
    op.create_index("ix_set", "session", ["user_id"], postgresql_where=sa.text("user_id IS NOT NULL"))
    op.create_index("ix_expr", "session", ["token"], postgresql_where=session.c.kind != "api")
"#;
    let source = alembic("alembic/versions/a1_indexes.py", alembic_revision);
    assert_eq!(
        index_rows(&source.statements),
        [
            "Partial([Name(\"revoked_at\"), Name(\"kind\")])",
            "NotNull([Name(\"user_id\")])",
            "Partial([])",
        ]
    );
    let typeorm_migration = r#"import { MigrationInterface, QueryRunner, TableIndex } from "typeorm";

export class Live1700000000000 implements MigrationInterface {
    public async up(runner: QueryRunner): Promise<void> {
        await runner.createIndex("session", new TableIndex({ name: "IDX_live", columnNames: ["token"], where: '"revokedAt" IS NULL' }));
        await runner.createIndex("session", new TableIndex({ name: "IDX_odd", columnNames: ["token"], where: condition }));
    }
}
"#;
    let (source, _) = js_migration(
        "src/migrations/1700000000000-Live.ts",
        typeorm_migration,
        lower_typeorm,
    );
    assert_eq!(
        index_rows(&source.statements),
        ["Partial([Name(\"revokedAt\")])", "Partial([])"]
    );
    let sequelize_migration = r#"module.exports = {
  async up(queryInterface, Sequelize) {
    await queryInterface.addIndex('Sessions', ['token'], { where: { revokedAt: null, kind: 'web' } });
    await queryInterface.addIndex('Sessions', ['token'], { where: { [Sequelize.Op.or]: [{ kind: 'a' }, { kind: 'b' }] } });
  },
};
"#;
    let (source, _) = js_migration(
        "migrations/20240301000000-live.js",
        sequelize_migration,
        lower_sequelize,
    );
    assert_eq!(
        index_rows(&source.statements),
        [
            "Partial([Name(\"revokedAt\"), Name(\"kind\")])",
            "Partial([])"
        ]
    );
}
