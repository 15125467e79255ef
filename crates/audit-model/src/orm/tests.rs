use std::time::Duration;

use audit_syntax::{Grammar, parse_tree};

use super::*;
use crate::connections::tls_off;
use crate::queries::CodeQueries;

/// `Model->table explicit? field:column,...` per model of a file.
fn summary(grammar: Grammar, path: &str, text: &str) -> Vec<String> {
    let (tree, grammar) = parse_tree(grammar, text, Duration::from_secs(5)).unwrap();
    let semantics = CodeSemantics::build(&tree, text, grammar);
    render(&models(&tree, text, &semantics, path))
}

fn render(models: &[OrmModel]) -> Vec<String> {
    models
        .iter()
        .map(|m| {
            let fields: Vec<String> = m
                .fields
                .iter()
                .map(|f| format!("{}:{}", f.name, f.column))
                .collect();
            let explicit = if m.explicit { " explicit" } else { "" };
            format!("{}->{}{explicit} {}", m.name, m.table, fields.join(","))
        })
        .collect()
}

#[test]
fn django_and_sqlalchemy_models_name_their_tables() {
    let text = r#"
from django.db import models
from sqlalchemy import Column, String
from sqlalchemy.orm import mapped_column

class Base(models.Model):
    created = models.DateTimeField()
    class Meta:
        abstract = True

class Order(Base):
    number = models.CharField(max_length=10, db_column="no")
    customer = models.ForeignKey("Customer", on_delete=models.CASCADE)

class Legacy(models.Model):
    code = models.CharField(max_length=3)
    class Meta:
        db_table = "legacy_codes"

class User(Declarative):
    __tablename__ = "users"
    email = Column("email_address", String)
    name = mapped_column(String)
"#;
    assert_eq!(
        summary(Grammar::Python, "shop/models.py", text),
        [
            "Order->shop_order number:no,customer:customer_id,customer_id:customer_id",
            "Legacy->legacy_codes explicit code:code",
            "User->users explicit email:email_address,name:name",
        ]
    );
}

#[test]
fn typeorm_entities_and_sequelize_models_name_their_tables() {
    let text = r#"
import { Entity, Column } from "typeorm";
@Entity()
export class UserProfile {
  @Column({ name: "display_name" }) displayName: string;
  @Column() bio: string;
}
@Entity({ name: "teams" })
export class Team {}
const Category = sequelize.define("Category", { label: { type: DataTypes.STRING, field: "title" } });
class Order extends Model {}
Order.init({ totalCents: DataTypes.INTEGER }, { sequelize, underscored: true, tableName: "orders" });
"#;
    assert_eq!(
        summary(Grammar::TypeScript, "src/models.ts", text),
        [
            "UserProfile->user_profile displayName:display_name,bio:bio",
            "Team->teams explicit ",
            "Category->Categories label:title",
            "Order->orders explicit totalCents:total_cents",
        ]
    );
}

#[test]
fn prisma_models_map_tables_and_columns() {
    let text = "model Post {\n  id Int @id\n  authorId Int @map(\"author_id\") // who\n  @@index([authorId])\n  @@map(\"posts\")\n}\nmodel Tag {\n  id Int @id\n}\n";
    assert_eq!(
        render(&prisma_models(text)),
        [
            "Post->posts explicit id:id,authorId:author_id",
            "Tag->Tag id:id"
        ]
    );
}

#[test]
fn names_follow_each_orms_convention() {
    assert_eq!(snake_case("UserProfile"), "user_profile");
    assert_eq!(snake_case("HTTPRequest"), "http_request");
    assert_eq!(plural("Category"), "Categories");
    assert_eq!(plural("Address"), "Addresses");
    assert_eq!(plural("Day"), "Days");
}

#[test]
fn tls_off_settings_are_literal_and_placed() {
    let text = r#"
const { Pool } = require("pg");
const a = new Pool({ host: "db", ssl: false });
const b = new Pool({ host: "db", ssl: process.env.SSL === "1" });
const config = { database: "app", ssl: false };
const other = { retries: 3, ssl: false };
const url = "postgres://db/app?sslmode=disable";
"#;
    let (tree, grammar) = parse_tree(Grammar::JavaScript, text, Duration::from_secs(5)).unwrap();
    let (semantics, nodes) = CodeSemantics::build_indexed(&tree, text, grammar);
    let queries = CodeQueries::build(&nodes, text, &semantics, audit_syntax::SqlDialect::Postgres);
    let found: Vec<(&str, bool)> = tls_off(&tree, text, &semantics, &queries.connections)
        .iter()
        .map(|t| (&text[t.span.start..t.span.end], t.at_connect))
        .collect();
    assert_eq!(
        found,
        [
            ("ssl: false", true),
            ("ssl: false", false),
            ("\"postgres://db/app?sslmode=disable\"", false),
        ]
    );
}

#[test]
fn prisma_datasource_urls_that_turn_tls_off() {
    let text = "datasource db {\n  provider = \"postgresql\"\n  url = \"postgresql://h:5432/a?sslmode=disable\" // local\n}\n\
                datasource b {\n  url = env(\"URL\")\n}\n\
                datasource c {\n  url = \"postgresql://h/a?sslmode=require\"\n}\n\
                model M {\n  url String // sslmode=disable\n}\n";
    let found: Vec<&str> = super::prisma_tls_off(text)
        .into_iter()
        .map(|s| &text[s.start..s.end])
        .collect();
    assert_eq!(found, ["\"postgresql://h:5432/a?sslmode=disable\""]);
}
