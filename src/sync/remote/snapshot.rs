//! `GET /v1/tickets`'s answer read as it arrives: rows are handed on in chunks while
//! the rest is still on its way, so that a console evaluates the first tickets while
//! the server is still sending the last (100,000 tickets are tens of megabytes of
//! JSON: decoding them whole, then evaluating them, took most of a second each).

use std::fmt;
use std::io::Read;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::wire::Row;

/// Reads `{"tickets": [ROW, …], "cursor": "…"}` from `body`, passing the rows to
/// `each` at most `chunk` at a time; returns the cursor.
pub fn read(
    body: impl Read,
    chunk: usize,
    each: &mut dyn FnMut(Vec<Row>),
) -> Result<String, serde_json::Error> {
    let mut de =
        serde_json::Deserializer::from_reader(std::io::BufReader::with_capacity(1 << 16, body));
    let cursor = Answer {
        chunk: chunk.max(1),
        each,
    }
    .deserialize(&mut de)?;
    de.end()?;
    Ok(cursor)
}

struct Answer<'a> {
    chunk: usize,
    each: &'a mut dyn FnMut(Vec<Row>),
}

impl<'de> DeserializeSeed<'de> for Answer<'_> {
    type Value = String;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<String, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Answer<'_> {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a ticket snapshot (tickets and cursor)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<String, A::Error> {
        let mut cursor = None;
        let mut tickets = false;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "tickets" => {
                    map.next_value_seed(Rows {
                        chunk: self.chunk,
                        each: &mut *self.each,
                    })?;
                    tickets = true;
                }
                "cursor" => cursor = Some(map.next_value::<String>()?),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if !tickets {
            return Err(serde::de::Error::missing_field("tickets"));
        }
        cursor.ok_or_else(|| serde::de::Error::missing_field("cursor"))
    }
}

struct Rows<'a> {
    chunk: usize,
    each: &'a mut dyn FnMut(Vec<Row>),
}

impl<'de> DeserializeSeed<'de> for Rows<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Rows<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of tickets")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut rows = Vec::with_capacity(self.chunk);
        while let Some(row) = seq.next_element::<Row>()? {
            rows.push(row);
            if rows.len() == self.chunk {
                (self.each)(std::mem::replace(&mut rows, Vec::with_capacity(self.chunk)));
            }
        }
        if !rows.is_empty() {
            (self.each)(rows);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(t: &str) -> serde_json::Value {
        serde_json::json!({"ticket": t, "head": format!("h-{t}"), "events": 1, "last_seq": 1,
            "open": true, "resolved_at": null, "facts": null})
    }

    #[test]
    fn rows_come_in_chunks_before_the_cursor_and_in_either_order_of_keys() {
        let rows: Vec<_> = (0..5).map(|i| row(&format!("T-{i}"))).collect();
        for body in [
            serde_json::json!({"tickets": rows, "cursor": "c9", "more": [1, {"x": 2}]}),
            serde_json::json!({"cursor": "c9", "tickets": rows}),
        ] {
            let text = serde_json::to_vec(&body).unwrap();
            let mut chunks = Vec::new();
            let cursor = read(&text[..], 2, &mut |c| {
                chunks.push(c.into_iter().map(|r| r.ticket).collect::<Vec<_>>())
            })
            .unwrap();
            assert_eq!(cursor, "c9");
            assert_eq!(
                chunks,
                [vec!["T-0", "T-1"], vec!["T-2", "T-3"], vec!["T-4"]]
            );
        }
    }

    #[test]
    fn a_cut_or_incomplete_answer_is_an_error() {
        let whole =
            serde_json::to_vec(&serde_json::json!({"tickets": [row("T-1")], "cursor": "c"}))
                .unwrap();
        let mut none = |_: Vec<Row>| {};
        assert!(read(&whole[..whole.len() - 3], 8, &mut none).is_err());
        assert!(read(&br#"{"tickets": []}"#[..], 8, &mut none).is_err());
        assert!(read(&br#"{"cursor": "c"}"#[..], 8, &mut none).is_err());
        assert!(read(
            &br#"{"tickets": [], "cursor": "c"} trailing"#[..],
            8,
            &mut none
        )
        .is_err());
    }
}
