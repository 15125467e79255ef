//! DB009: money-like columns typed binary floating point.

use audit_model::schema::MigrationRole;
use audit_syntax::StatementKind;

use super::for_each_typed_column;
use crate::checks::{Check, Emit};
use crate::project::SqlContext;

pub const CHECK: Check = Check::Sql {
    statements: &[StatementKind::CreateTable, StatementKind::AlterTable],
    run: check,
};

/// Words of a column name that say it holds money.
const MONEY_WORDS: &[&str] = &[
    "price", "prices", "amount", "amounts", "cost", "costs", "balance", "balances", "fee", "fees",
    "subtotal", "salary", "revenue",
];

fn check(ctx: &SqlContext<'_>, out: &mut Emit<'_>) {
    if ctx.migration == Some(MigrationRole::Down) {
        return;
    }
    for_each_typed_column(ctx, |name, data_type, span| {
        if data_type.is_float() && is_money(name.as_str()) {
            let written = data_type.to_string();
            out.report(
                ctx.source,
                span,
                &[("column", name.as_str()), ("type", &written)],
            );
        }
    });
}

/// `price`, `unit_price`, `totalAmount`, `total`: split at underscores and case changes.
fn is_money(name: &str) -> bool {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut previous_lower = false;
    for c in name.chars() {
        if !c.is_alphanumeric() {
            words.push(std::mem::take(&mut word));
            previous_lower = false;
            continue;
        }
        if c.is_uppercase() && previous_lower {
            words.push(std::mem::take(&mut word));
        }
        previous_lower = c.is_lowercase();
        word.extend(c.to_lowercase());
    }
    words.push(word);
    name.eq_ignore_ascii_case("total") || words.iter().any(|w| MONEY_WORDS.contains(&w.as_str()))
}

#[cfg(test)]
mod tests {
    use super::is_money;

    #[test]
    fn money_names() {
        for name in [
            "price",
            "unit_price",
            "totalAmount",
            "total",
            "Fee",
            "shipping_cost",
        ] {
            assert!(is_money(name), "{name}");
        }
        for name in [
            "total_distance",
            "costume",
            "priced_at_ms",
            "latitude",
            "feedback",
        ] {
            assert!(!is_money(name), "{name}");
        }
    }
}
