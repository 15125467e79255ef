//! Terraform values as static evaluation sees them: [`Value::Unknown`] is a value like any
//! other, so a list can hold a known CIDR beside an unknown one.

use std::collections::BTreeMap;
use std::fmt::Write as _;

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    /// Lists, tuples and sets.
    List(Vec<Value>),
    /// Objects and maps.
    Object(BTreeMap<String, Value>),
    /// Not statically known: a computed attribute, a data source, a variable without a
    /// value, a function left unevaluated.
    Unknown,
}

impl Value {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, Value::Unknown)
    }

    /// Whether anything inside is unknown.
    pub fn has_unknown(&self) -> bool {
        match self {
            Value::Unknown => true,
            Value::List(items) => items.iter().any(Value::has_unknown),
            Value::Object(map) => map.values().any(Value::has_unknown),
            _ => false,
        }
    }

    /// Terraform's conversion to bool: `"true"` is `true`.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            Value::String(s) => s.parse().ok(),
            _ => None,
        }
    }

    /// Terraform's conversion to number: `"7"` is 7.
    pub fn as_number(&self) -> Option<f64> {
        match self {
            Value::Number(n) => Some(*n),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        self.as_number()
            .filter(|n| n.fract() == 0.0 && n.abs() < 9e15)
            .map(|n| n as i64)
    }

    /// Terraform's conversion to string, for interpolation and `tostring`: only
    /// primitives convert.
    pub fn to_text(&self) -> Option<String> {
        match self {
            Value::String(s) => Some(s.clone()),
            Value::Bool(b) => Some(b.to_string()),
            Value::Number(n) => Some(number_text(*n)),
            _ => None,
        }
    }

    /// What `for` and `dynamic` iterate: a list's (index, element) pairs or an object's
    /// (key, value) pairs; None for anything else.
    pub fn into_entries(self) -> Option<Vec<(Value, Value)>> {
        match self {
            Value::List(items) => Some(
                items
                    .into_iter()
                    .enumerate()
                    .map(|(i, v)| (Value::from(i as i64), v))
                    .collect(),
            ),
            Value::Object(map) => Some(
                map.into_iter()
                    .map(|(k, v)| (Value::String(k), v))
                    .collect(),
            ),
            _ => None,
        }
    }

    /// The elements of a list, or the values of an object, in order.
    pub fn elements(&self) -> Option<Vec<&Value>> {
        match self {
            Value::List(items) => Some(items.iter().collect()),
            Value::Object(map) => Some(map.values().collect()),
            _ => None,
        }
    }

    /// An object key or list index.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(map) => map.get(key),
            Value::List(items) => key.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        }
    }

    /// The value as JSON, for `jsonencode` (unknown parts make the whole unknown).
    pub fn to_json(&self) -> Option<serde_json::Value> {
        Some(match self {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Number(n) => serde_json::Number::from_f64(*n)
                .map(|n| {
                    if let Some(int) = Value::Number(n.as_f64().unwrap_or(0.0)).as_i64() {
                        serde_json::Value::from(int)
                    } else {
                        serde_json::Value::Number(n)
                    }
                })
                .unwrap_or(serde_json::Value::Null),
            Value::String(s) => serde_json::Value::String(s.clone()),
            Value::List(items) => {
                serde_json::Value::Array(items.iter().map(Value::to_json).collect::<Option<_>>()?)
            }
            Value::Object(map) => serde_json::Value::Object(
                map.iter()
                    .map(|(k, v)| Some((k.clone(), v.to_json()?)))
                    .collect::<Option<_>>()?,
            ),
            Value::Unknown => return None,
        })
    }

    /// A JSON document (an IAM policy in a string), or `None` when it is not JSON.
    pub fn parse_json(text: &str) -> Option<Value> {
        serde_json::from_str(text)
            .ok()
            .map(|json| Value::from_json(&json))
    }

    pub fn from_json(json: &serde_json::Value) -> Value {
        match json {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => n.as_f64().map_or(Value::Unknown, Value::Number),
            serde_json::Value::String(s) => Value::String(s.clone()),
            serde_json::Value::Array(items) => {
                Value::List(items.iter().map(Value::from_json).collect())
            }
            serde_json::Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), Value::from_json(v)))
                    .collect(),
            ),
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.to_string())
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Value {
        Value::Number(n as f64)
    }
}

/// Integers without a fraction, the way Terraform prints them.
pub fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 9e15 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}

/// A value the way messages show it: HCL syntax on one line, strings quoted.
pub fn render_value(value: &Value) -> String {
    let mut out = String::new();
    render_into(value, &mut out);
    out
}

fn render_into(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&number_text(*n)),
        Value::String(s) => {
            let _ = write!(out, "{s:?}");
        }
        Value::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                render_into(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                let _ = write!(out, "{key} = ");
                render_into(item, out);
            }
            out.push('}');
        }
        Value::Unknown => out.push_str("(unknown)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_render_as_hcl_on_one_line() {
        assert_eq!(render_value(&Value::from("dev")), "\"dev\"");
        assert_eq!(render_value(&Value::from(22)), "22");
        assert_eq!(render_value(&Value::Number(1.5)), "1.5");
        assert_eq!(render_value(&Value::Bool(false)), "false");
        assert_eq!(
            render_value(&Value::List(vec!["0.0.0.0/0".into(), Value::Unknown])),
            "[\"0.0.0.0/0\", (unknown)]"
        );
    }

    #[test]
    fn conversions_follow_terraform() {
        assert_eq!(Value::from("true").as_bool(), Some(true));
        assert_eq!(Value::from("7").as_i64(), Some(7));
        assert_eq!(Value::Number(7.5).as_i64(), None);
        assert_eq!(Value::from(3).to_text().as_deref(), Some("3"));
        assert!(Value::List(vec![Value::Unknown]).has_unknown());
        let json = serde_json::json!({"a": [1, "x", null, true]});
        assert_eq!(Value::from_json(&json).to_json(), Some(json));
    }
}
