//! ORM models: the table each model class (or Prisma model) maps to and the column each
//! of its fields is stored in, by each ORM's own rules: Django (`<app>_<model>`,
//! `Meta.db_table`, `db_column`, a relation's `<name>_id`), SQLAlchemy (`__tablename__`,
//! `Column("name", ...)`), TypeORM (`@Entity("name")` or the class name in snake_case,
//! `@Column({ name })`), Sequelize (`define`/`init` with `tableName`, else the model name
//! pluralised; `field`, `underscored`) and Prisma (`@@map`, `@map`, else the model's
//! name). Read from the code semantics and the tree (or a `.prisma` file's text); owned,
//! so the project phase can join code queries with the replayed schema through it.

mod javascript;
mod prisma;
mod python;

use audit_core::Span;
use audit_syntax::tree_sitter::Tree;

use crate::code::CodeSemantics;
use crate::queries::Client;

pub use prisma::{prisma_models, prisma_tls_off};

/// Strings a file holds when it may declare ORM models: files without one cost nothing.
pub const ANCHORS: &[&str] = &[
    "models.Model",
    "django.db",
    "__tablename__",
    "Entity",
    ".define(",
    ".init(",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Orm {
    Django,
    SqlAlchemy,
    TypeOrm,
    Sequelize,
    Prisma,
}

/// How a model's fields not declared with a column name are stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnNaming {
    /// Under the field's own name (Django, SQLAlchemy, TypeORM, Prisma, Sequelize).
    AsWritten,
    /// In snake_case (Sequelize `underscored: true`).
    Snake,
}

/// One model class and the table it maps to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrmModel {
    pub orm: Orm,
    /// The name code refers to it by: `User`.
    pub name: String,
    pub table: String,
    /// The table name is written (`db_table`, `__tablename__`, `@Entity("users")`,
    /// `tableName`, `@@map`) rather than derived from the model's name by the ORM's
    /// convention.
    pub explicit: bool,
    pub fields: Vec<OrmField>,
    pub naming: ColumnNaming,
    /// The class, call or `model` block.
    pub span: Span,
}

/// A field of a model and its column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrmField {
    pub name: String,
    pub column: String,
    /// A Django `ForeignKey`/`OneToOneField` read as the related object (`order.customer`,
    /// loaded by a query of its own unless the queryset selects it); its `<name>_id`
    /// field is not.
    pub relation: bool,
}

impl OrmModel {
    /// The column a query's field name is stored in: a declared field's column, Django's
    /// `pk` (the primary key, `id` unless a field says otherwise), else the ORM's naming.
    pub fn column(&self, field: &str) -> String {
        if let Some(f) = self.fields.iter().find(|f| f.name == field) {
            return f.column.clone();
        }
        if self.orm == Orm::Django && field == "pk" {
            return "id".into();
        }
        match self.naming {
            ColumnNaming::AsWritten => field.to_string(),
            ColumnNaming::Snake => snake_case(field),
        }
    }
}

/// The models a JS/TS or Python file declares; `path` gives a Django model its app label.
pub fn models(tree: &Tree, text: &str, semantics: &CodeSemantics, path: &str) -> Vec<OrmModel> {
    if semantics.grammar().is_javascript_family() {
        javascript::models(tree, text, semantics)
    } else {
        python::models(tree, text, semantics, path)
    }
}

/// The tables a query's model name may map to, for queries whose model no scanned class
/// declares: the ORM's convention applied to the name (`User` -> TypeORM `user`,
/// Sequelize `Users`, Prisma `User`, Django `<app>_user` for any app).
pub fn conventional_tables(client: Client, model: &str) -> Vec<String> {
    match client {
        Client::TypeOrm => vec![snake_case(model)],
        Client::Sequelize | Client::Model => vec![plural(model), model.to_string()],
        Client::Prisma => vec![capitalised(model)],
        _ => Vec::new(),
    }
}

/// Whether a query of `client` names its model by the model's class (or Prisma
/// delegate) rather than by its table.
pub fn names_models(client: Client) -> bool {
    matches!(
        client,
        Client::TypeOrm
            | Client::Repository
            | Client::Prisma
            | Client::Django
            | Client::SqlAlchemy
            | Client::Sequelize
            | Client::Model
    )
}

/// Whether a query made by `client` may read the model `model` names: Prisma's delegate
/// is the model's name with a lower-case first letter (`prisma.userProfile`).
pub fn refers_to(client: Client, written: &str, model: &OrmModel) -> bool {
    match client {
        Client::Prisma => capitalised(written) == model.name,
        _ => written == model.name,
    }
}

/// `UserProfile` -> `user_profile`, `userId` -> `user_id`, as TypeORM's default naming
/// strategy and Sequelize's `underscored` write them.
pub fn snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    let chars: Vec<char> = name.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() {
            let after_lower =
                i > 0 && (chars[i - 1].is_ascii_lowercase() || chars[i - 1].is_ascii_digit());
            let before_lower = i > 0
                && chars[i - 1].is_ascii_uppercase()
                && chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            if after_lower || before_lower {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Sequelize's default table name: the model name in the plural (`User` -> `Users`,
/// `Category` -> `Categories`, `Address` -> `Addresses`).
pub fn plural(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with('y')
        && !lower.ends_with("ay")
        && !lower.ends_with("ey")
        && !lower.ends_with("oy")
    {
        format!("{}ies", &name[..name.len() - 1])
    } else if ["s", "x", "z", "ch", "sh"]
        .iter()
        .any(|e| lower.ends_with(e))
    {
        format!("{name}es")
    } else {
        format!("{name}s")
    }
}

fn capitalised(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The text of a plain string literal (`"a"`, `'a'`, `r"a"`, a template without
/// substitutions); None for anything else.
fn literal(written: &str) -> Option<String> {
    let trimmed = written.trim();
    let unprefixed = trimmed.trim_start_matches(['r', 'R', 'u', 'U', 'b', 'B']);
    for quote in ["\"\"\"", "'''", "\"", "'", "`"] {
        if let Some(inner) = unprefixed
            .strip_prefix(quote)
            .and_then(|s| s.strip_suffix(quote))
        {
            if inner.contains(['\\', '\n']) || (quote == "`" && inner.contains("${")) {
                return None;
            }
            return Some(inner.to_string());
        }
    }
    None
}

#[cfg(test)]
mod tests;
