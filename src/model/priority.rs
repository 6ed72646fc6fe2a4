use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Ticket priority `P1` (most urgent) to `P9`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Priority(u8);

impl Priority {
    pub fn new(level: u8) -> Option<Priority> {
        (1..=9).contains(&level).then_some(Priority(level))
    }

    pub fn level(self) -> u8 {
        self.0
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "P{}", self.0)
    }
}

impl FromStr for Priority {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let digits = s
            .strip_prefix('P')
            .or_else(|| s.strip_prefix('p'))
            .unwrap_or("");
        match digits.parse::<u8>().ok().and_then(Priority::new) {
            Some(p) if digits.len() == 1 => Ok(p),
            _ => Err(format!("expected a priority P1 to P9, found {s:?}")),
        }
    }
}

impl Serialize for Priority {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Priority {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Read in place: 100,000 projection rows hold several priorities each.
        struct Text;
        impl serde::de::Visitor<'_> for Text {
            type Value = Priority;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a priority such as \"P1\"")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Priority, E> {
                s.parse().map_err(E::custom)
            }
        }
        d.deserialize_str(Text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        assert_eq!("P1".parse::<Priority>().unwrap().to_string(), "P1");
        assert_eq!("p4".parse::<Priority>().unwrap().level(), 4);
        for bad in ["P0", "P10", "1", "", "PX", "P01"] {
            assert!(bad.parse::<Priority>().is_err(), "{bad}");
        }
        assert!(Priority::new(1) < Priority::new(2));
    }
}
