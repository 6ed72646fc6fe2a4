//! JSON values built as serde_json builds them, except that a key given twice in one
//! object is remembered, not silently last-wins: `"priority":"P1","priority":"P9"` must
//! not import as P9 without a word.

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// The first key given twice, by its path in the value (`payload.priority`), and how
/// many other keys were.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Duplicates {
    pub first: Option<String>,
    pub others: usize,
}

impl Duplicates {
    fn found(&mut self, path: &str) {
        if self.first.is_none() {
            self.first = Some(path.to_owned());
        } else {
            self.others += 1;
        }
    }

    /// The error for the record, naming the first duplicate key.
    pub fn message(&self) -> Option<(String, String)> {
        let first = self.first.as_ref()?;
        let more = match self.others {
            0 => String::new(),
            n => format!(" ({n} more key(s) of this record are given twice too)"),
        };
        Some((
            first.clone(),
            format!("given twice in the same object; give each field once{more}"),
        ))
    }
}

/// Parses one JSON text into a value, noting duplicate keys.
pub fn from_str(text: &str) -> Result<(Value, Duplicates), serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    let mut dups = Duplicates::default();
    let mut path = String::new();
    let value = Strict {
        path: &mut path,
        dups: &mut dups,
    }
    .deserialize(&mut de)?;
    de.end()?;
    Ok((value, dups))
}

/// Builds a [`Value`] from any deserializer, noting duplicate keys under `path`.
pub struct Strict<'a> {
    pub path: &'a mut String,
    pub dups: &'a mut Duplicates,
}

impl<'de> DeserializeSeed<'de> for Strict<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strict<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        let base = self.path.len();
        loop {
            self.path.truncate(base);
            self.path.push_str(&format!("[{}]", items.len()));
            let seed = Strict {
                path: &mut *self.path,
                dups: &mut *self.dups,
            };
            match seq.next_element_seed(seed)? {
                Some(v) => items.push(v),
                None => break,
            }
        }
        self.path.truncate(base);
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        let base = self.path.len();
        while let Some(key) = map.next_key::<String>()? {
            self.path.truncate(base);
            if base > 0 {
                self.path.push('.');
            }
            self.path.push_str(&key);
            if out.contains_key(&key) {
                self.dups.found(self.path);
            }
            let value = map.next_value_seed(Strict {
                path: &mut *self.path,
                dups: &mut *self.dups,
            })?;
            out.insert(key, value);
        }
        self.path.truncate(base);
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn builds_what_serde_json_builds() {
        let text = r#"{"a":[1,-2,3.5,true,null,"x",{"b":{}}],"c":18446744073709551615}"#;
        let (v, dups) = from_str(text).unwrap();
        assert_eq!(v, serde_json::from_str::<Value>(text).unwrap());
        assert_eq!(dups, Duplicates::default());
    }

    #[test]
    fn duplicate_keys_are_named_by_path_anywhere() {
        let (v, dups) = from_str(r#"{"priority":"P1","priority":"P9"}"#).unwrap();
        assert_eq!(v, json!({"priority": "P9"}));
        assert_eq!(dups.first.as_deref(), Some("priority"));
        let (_, dups) =
            from_str(r#"{"payload":{"l":[{"x":1,"x":2}],"k":1,"k":2},"t":1,"t":2}"#).unwrap();
        assert_eq!(dups.first.as_deref(), Some("payload.l[0].x"));
        assert_eq!(dups.others, 2);
        let (field, message) = dups.message().unwrap();
        assert_eq!(field, "payload.l[0].x");
        assert!(message.contains("2 more key(s)"), "{message}");
        // The same key in sibling objects is no duplicate.
        let (_, dups) = from_str(r#"[{"a":1},{"a":2}]"#).unwrap();
        assert_eq!(dups.first, None);
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let deep = "[".repeat(100_000);
        assert!(from_str(&deep).is_err());
    }
}
