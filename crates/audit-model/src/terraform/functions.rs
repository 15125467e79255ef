//! Terraform's common built-in functions over static values. Functions not listed here
//! (`file`, `cidrsubnet`, `timestamp`, provider functions) are unknown; a known argument
//! of the wrong kind is an error, which `try` and `can` observe.

use std::collections::BTreeMap;

use super::eval::{Eval, Failed, MAX_ELEMENTS};
use super::value::Value;

pub fn call(name: &str, args: Vec<Value>) -> Eval {
    // Functions that look inside collections handle unknown elements themselves; the
    // others need every argument known.
    let structural = matches!(
        name,
        "length"
            | "concat"
            | "merge"
            | "lookup"
            | "element"
            | "flatten"
            | "keys"
            | "values"
            | "tolist"
            | "toset"
            | "tomap"
            | "coalesce"
            | "compact"
            | "distinct"
            | "contains"
            | "jsonencode"
            | "reverse"
            | "one"
    );
    if args.iter().any(Value::is_unknown) || (!structural && args.iter().any(Value::has_unknown)) {
        return Ok(Value::Unknown);
    }
    let text = |i: usize| args.get(i).and_then(Value::to_text).ok_or(Failed);
    Ok(match (name, args.as_slice()) {
        ("jsonencode", [value]) => match value.to_json() {
            Some(json) => Value::String(json.to_string()),
            None => Value::Unknown,
        },
        ("jsondecode", [Value::String(s)]) => match serde_json::from_str(s) {
            Ok(json) => Value::from_json(&json),
            Err(_) => return Err(Failed),
        },
        ("merge", maps) => {
            let mut merged = BTreeMap::new();
            for map in maps {
                match map {
                    Value::Object(map) => merged.extend(map.clone()),
                    Value::Null => {}
                    _ => return Err(Failed),
                }
            }
            Value::Object(merged)
        }
        ("concat", lists) => {
            let mut all = Vec::new();
            for list in lists {
                match list {
                    Value::List(items) => all.extend(items.iter().cloned()),
                    _ => return Err(Failed),
                }
            }
            Value::List(all)
        }
        ("lookup", [Value::Object(map), key, rest @ ..]) => {
            let key = key.to_text().ok_or(Failed)?;
            match (map.get(&key), rest.first()) {
                (Some(value), _) => value.clone(),
                (None, Some(default)) => default.clone(),
                (None, None) => return Err(Failed),
            }
        }
        ("coalesce", values) => {
            for value in values {
                match value {
                    Value::Unknown => return Ok(Value::Unknown),
                    Value::Null => {}
                    Value::String(s) if s.is_empty() => {}
                    other => return Ok(other.clone()),
                }
            }
            return Err(Failed);
        }
        ("format", [Value::String(spec), rest @ ..]) => format(spec, rest)?,
        ("join", [sep, Value::List(items)]) => {
            let sep = sep.to_text().ok_or(Failed)?;
            let parts: Option<Vec<String>> = items.iter().map(Value::to_text).collect();
            Value::String(parts.ok_or(Failed)?.join(&sep))
        }
        ("split", [_, _]) => Value::List(
            text(1)?
                .split(text(0)?.as_str())
                .take(MAX_ELEMENTS)
                .map(Value::from)
                .collect(),
        ),
        ("lower", [_]) => Value::String(text(0)?.to_lowercase()),
        ("upper", [_]) => Value::String(text(0)?.to_uppercase()),
        ("trimspace", [_]) => Value::String(text(0)?.trim().to_string()),
        ("replace", [_, _, _]) => Value::String(text(0)?.replace(&text(1)?, &text(2)?)),
        ("startswith", [_, _]) => Value::Bool(text(0)?.starts_with(&text(1)?)),
        ("endswith", [_, _]) => Value::Bool(text(0)?.ends_with(&text(1)?)),
        ("tostring", [Value::Null]) => Value::Null,
        ("tostring", [_]) => Value::String(text(0)?),
        ("tonumber", [Value::Null]) => Value::Null,
        ("tonumber", [value]) => Value::Number(value.as_number().ok_or(Failed)?),
        ("tobool", [Value::Null]) => Value::Null,
        ("tobool", [value]) => Value::Bool(value.as_bool().ok_or(Failed)?),
        ("tolist" | "toset", [Value::List(items)]) => {
            let mut items = items.clone();
            if name == "toset" && !items.iter().any(Value::has_unknown) {
                dedup(&mut items);
            }
            Value::List(items)
        }
        ("tomap", [Value::Object(map)]) => Value::Object(map.clone()),
        ("length", [Value::List(items)]) => Value::from(items.len() as i64),
        ("length", [Value::Object(map)]) => Value::from(map.len() as i64),
        ("length", [Value::String(s)]) => Value::from(s.chars().count() as i64),
        ("contains", [Value::List(items), needle]) => {
            if items.contains(needle) {
                Value::Bool(true)
            } else if items.iter().any(Value::has_unknown) || needle.has_unknown() {
                Value::Unknown
            } else {
                Value::Bool(false)
            }
        }
        ("element", [Value::List(items), index]) => {
            let index = index.as_i64().ok_or(Failed)?;
            if items.is_empty() || index < 0 {
                return Err(Failed);
            }
            items[index as usize % items.len()].clone()
        }
        ("flatten", [Value::List(items)]) => {
            let mut flat = Vec::new();
            flatten(items, &mut flat);
            Value::List(flat)
        }
        ("keys", [Value::Object(map)]) => {
            Value::List(map.keys().map(|k| Value::from(k.as_str())).collect())
        }
        ("values", [Value::Object(map)]) => Value::List(map.values().cloned().collect()),
        ("compact", [Value::List(items)]) => Value::List(
            items
                .iter()
                .filter(|v| !matches!(v, Value::Null) && v.as_str() != Some(""))
                .cloned()
                .collect(),
        ),
        ("distinct", [Value::List(items)]) => {
            let mut items = items.clone();
            dedup(&mut items);
            Value::List(items)
        }
        ("sort", [Value::List(items)]) => {
            let mut texts: Vec<String> = items
                .iter()
                .map(|v| v.to_text().ok_or(Failed))
                .collect::<Result<_, _>>()?;
            texts.sort();
            Value::List(texts.into_iter().map(Value::String).collect())
        }
        ("reverse", [Value::List(items)]) => Value::List(items.iter().rev().cloned().collect()),
        ("range", [end]) => range(0.0, end.as_number().ok_or(Failed)?)?,
        ("range", [start, end]) => range(
            start.as_number().ok_or(Failed)?,
            end.as_number().ok_or(Failed)?,
        )?,
        ("zipmap", [Value::List(keys), Value::List(values)]) if keys.len() == values.len() => {
            Value::Object(
                keys.iter()
                    .zip(values)
                    .map(|(k, v)| Ok((k.to_text().ok_or(Failed)?, v.clone())))
                    .collect::<Result<_, Failed>>()?,
            )
        }
        ("alltrue" | "anytrue", [Value::List(items)]) => {
            let bools: Vec<bool> = items
                .iter()
                .map(|v| v.as_bool().ok_or(Failed))
                .collect::<Result<_, _>>()?;
            Value::Bool(if name == "alltrue" {
                bools.iter().all(|b| *b)
            } else {
                bools.iter().any(|b| *b)
            })
        }
        ("one", [Value::List(items)]) => match items.as_slice() {
            [] => Value::Null,
            [single] => single.clone(),
            _ => return Err(Failed),
        },
        ("sum", [Value::List(items)]) => Value::Number(
            items
                .iter()
                .map(|v| v.as_number().ok_or(Failed))
                .sum::<Result<f64, _>>()?,
        ),
        ("trimprefix", [_, _]) => Value::String(
            text(0)?
                .strip_prefix(text(1)?.as_str())
                .map(str::to_string)
                .unwrap_or(text(0)?),
        ),
        ("trimsuffix", [_, _]) => Value::String(
            text(0)?
                .strip_suffix(text(1)?.as_str())
                .map(str::to_string)
                .unwrap_or(text(0)?),
        ),
        ("min" | "max", numbers) if !numbers.is_empty() => {
            let numbers: Vec<f64> = numbers
                .iter()
                .map(|n| n.as_number().ok_or(Failed))
                .collect::<Result<_, _>>()?;
            let pick = if name == "min" { f64::min } else { f64::max };
            Value::Number(numbers.into_iter().reduce(pick).unwrap_or(0.0))
        }
        // Known names with arguments of the wrong kind are errors; anything else is
        // beyond static evaluation.
        (
            "jsondecode" | "lookup" | "join" | "tolist" | "toset" | "tomap" | "length" | "contains"
            | "element" | "flatten" | "keys" | "values" | "compact" | "distinct",
            _,
        ) => return Err(Failed),
        _ => Value::Unknown,
    })
}

/// `range(start, end)` with step 1, bounded like every built list.
fn range(start: f64, end: f64) -> Eval {
    if end - start > MAX_ELEMENTS as f64 {
        return Ok(Value::Unknown);
    }
    let mut items = Vec::new();
    let mut i = start;
    while i < end {
        items.push(Value::Number(i));
        i += 1.0;
    }
    Ok(Value::List(items))
}

fn dedup(items: &mut Vec<Value>) {
    let mut seen: Vec<Value> = Vec::new();
    items.retain(|item| {
        if seen.contains(item) {
            false
        } else {
            seen.push(item.clone());
            true
        }
    });
}

fn flatten(items: &[Value], out: &mut Vec<Value>) {
    for item in items {
        match item {
            Value::List(inner) => flatten(inner, out),
            other => out.push(other.clone()),
        }
    }
}

/// `format` with `%s`, `%d`, `%v` and `%%`; other verbs are unknown.
fn format(spec: &str, args: &[Value]) -> Eval {
    let mut out = String::new();
    let mut args = args.iter();
    let mut chars = spec.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('%') => out.push('%'),
            Some('s' | 'd' | 'v') => {
                out.push_str(&args.next().and_then(Value::to_text).ok_or(Failed)?)
            }
            _ => return Ok(Value::Unknown),
        }
    }
    Ok(Value::String(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(items: &[Value]) -> Value {
        Value::List(items.to_vec())
    }

    fn object(items: &[(&str, Value)]) -> Value {
        Value::Object(
            items
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }

    fn ok(name: &str, args: &[Value]) -> Value {
        call(name, args.to_vec()).unwrap()
    }

    #[test]
    fn collections() {
        let a = object(&[("x", 1.into()), ("y", 2.into())]);
        let b = object(&[("y", 3.into())]);
        assert_eq!(
            ok("merge", &[a.clone(), b]),
            object(&[("x", 1.into()), ("y", 3.into())])
        );
        assert_eq!(
            ok("concat", &[list(&[1.into()]), list(&[Value::Unknown])]),
            list(&[1.into(), Value::Unknown])
        );
        assert_eq!(
            ok("lookup", &[a.clone(), "z".into(), false.into()]),
            false.into()
        );
        assert_eq!(ok("lookup", &[a.clone(), "x".into()]), 1.into());
        assert!(call("lookup", vec![a.clone(), "z".into()]).is_err());
        assert_eq!(
            ok("keys", std::slice::from_ref(&a)),
            list(&["x".into(), "y".into()])
        );
        assert_eq!(
            ok("values", std::slice::from_ref(&a)),
            list(&[1.into(), 2.into()])
        );
        assert_eq!(ok("length", &[list(&[Value::Unknown, 1.into()])]), 2.into());
        assert_eq!(
            ok("element", &[list(&["a".into(), "b".into()]), 3.into()]),
            "b".into()
        );
        assert_eq!(
            ok("flatten", &[list(&[list(&[1.into()]), 2.into()])]),
            list(&[1.into(), 2.into()])
        );
        assert_eq!(
            ok("toset", &[list(&["a".into(), "a".into()])]),
            list(&["a".into()])
        );
        assert_eq!(
            ok("contains", &[list(&["a".into()]), "a".into()]),
            true.into()
        );
        assert_eq!(
            ok(
                "contains",
                &[list(&["a".into(), Value::Unknown]), "b".into()]
            ),
            Value::Unknown
        );
        assert_eq!(
            ok("coalesce", &[Value::Null, "".into(), "x".into()]),
            "x".into()
        );
    }

    #[test]
    fn strings_and_conversions() {
        assert_eq!(
            ok("format", &["%s-%d%%".into(), "a".into(), 7.into()]),
            "a-7%".into()
        );
        assert_eq!(
            ok("join", &[",".into(), list(&["a".into(), "b".into()])]),
            "a,b".into()
        );
        assert_eq!(
            ok("split", &[",".into(), "a,b".into()]),
            list(&["a".into(), "b".into()])
        );
        assert_eq!(ok("lower", &["AbC".into()]), "abc".into());
        assert_eq!(ok("upper", &["abc".into()]), "ABC".into());
        assert_eq!(ok("tostring", &[5.into()]), "5".into());
        assert_eq!(ok("tonumber", &["5".into()]), 5.into());
        assert_eq!(ok("tobool", &["false".into()]), false.into());
        assert!(call("tobool", vec!["maybe".into()]).is_err());
        let policy = ok("jsonencode", &[object(&[("Action", "*".into())])]);
        assert_eq!(policy, "{\"Action\":\"*\"}".into());
        assert_eq!(
            ok("jsondecode", &[policy]),
            object(&[("Action", "*".into())])
        );
    }

    #[test]
    fn unknown_arguments_and_functions_stay_unknown() {
        assert_eq!(ok("lower", &[Value::Unknown]), Value::Unknown);
        assert_eq!(
            ok("cidrsubnet", &["10.0.0.0/16".into(), 8.into(), 1.into()]),
            Value::Unknown
        );
        assert_eq!(ok("file", &["policy.json".into()]), Value::Unknown);
        assert_eq!(ok("jsonencode", &[list(&[Value::Unknown])]), Value::Unknown);
        assert_eq!(
            ok("join", &[",".into(), list(&[Value::Unknown])]),
            Value::Unknown
        );
    }
}
