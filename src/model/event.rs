use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::amount::{is_currency_code, parse_amount};
use super::Priority;

/// Free-form, kind-specific fields of an event (validated by [`Event::validate`]).
pub type Payload = Map<String, Value>;

/// What happened to a ticket. The names are the `kind` strings of the file formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Detected,
    Acknowledged,
    Escalated,
    ClientUpdate,
    CarrierUpdate,
    Paused,
    Resumed,
    PriorityChanged,
    Assigned,
    Restored,
    Resolved,
    Note,
    Penalty,
    PenaltyAdjusted,
}

impl EventKind {
    pub const ALL: [EventKind; 14] = [
        EventKind::Detected,
        EventKind::Acknowledged,
        EventKind::Escalated,
        EventKind::ClientUpdate,
        EventKind::CarrierUpdate,
        EventKind::Paused,
        EventKind::Resumed,
        EventKind::PriorityChanged,
        EventKind::Assigned,
        EventKind::Restored,
        EventKind::Resolved,
        EventKind::Note,
        EventKind::Penalty,
        EventKind::PenaltyAdjusted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Detected => "detected",
            EventKind::Acknowledged => "acknowledged",
            EventKind::Escalated => "escalated",
            EventKind::ClientUpdate => "client_update",
            EventKind::CarrierUpdate => "carrier_update",
            EventKind::Paused => "paused",
            EventKind::Resumed => "resumed",
            EventKind::PriorityChanged => "priority_changed",
            EventKind::Assigned => "assigned",
            EventKind::Restored => "restored",
            EventKind::Resolved => "resolved",
            EventKind::Note => "note",
            EventKind::Penalty => "penalty",
            EventKind::PenaltyAdjusted => "penalty_adjusted",
        }
    }

    /// Payload fields this kind cannot do without, with the JSON type each must have.
    fn required_fields(self) -> &'static [(&'static str, FieldType)] {
        use FieldType::*;
        match self {
            EventKind::Detected => &[("priority", PriorityStr), ("customer", Text)],
            EventKind::Escalated => &[("level", Level), ("to", Text)],
            EventKind::Paused => &[("reason", Text)],
            EventKind::PriorityChanged => &[("priority", PriorityStr)],
            EventKind::Assigned => &[("to", Text)],
            EventKind::Note => &[("text", Text)],
            EventKind::Penalty => &[("kpi", Text), ("period", Text), ("amount", Amount)],
            EventKind::PenaltyAdjusted => {
                &[("penalty", Text), ("amount", Amount), ("reason", Text)]
            }
            EventKind::Acknowledged
            | EventKind::ClientUpdate
            | EventKind::CarrierUpdate
            | EventKind::Resumed
            | EventKind::Restored
            | EventKind::Resolved => &[],
        }
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EventKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EventKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<_> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
                format!(
                    "unknown event kind {s:?}, expected one of {}",
                    names.join(", ")
                )
            })
    }
}

#[derive(Clone, Copy)]
enum FieldType {
    Text,
    PriorityStr,
    Level,
    /// Money as text: bounded, never negative, no finer than the event's `currency`
    /// (see [`super::amount::parse_amount`]).
    Amount,
}

/// One immutable fact in a ticket's history.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Client-generated, globally unique (UUIDv7 by default); appends are idempotent by it.
    pub id: String,
    pub ticket: String,
    pub kind: EventKind,
    /// When it happened (business time).
    pub at: DateTime<Utc>,
    /// When it was written down; defaults to `at` in files that leave it out.
    #[serde(default = "unset_instant")]
    pub recorded_at: DateTime<Utc>,
    #[serde(default)]
    pub actor: String,
    #[serde(default)]
    pub payload: Payload,
}

fn unset_instant() -> DateTime<Utc> {
    DateTime::<Utc>::MIN_UTC
}

/// Why an event is not acceptable, naming the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("field `{field}`: {message}")]
pub struct EventError {
    pub field: String,
    pub message: String,
}

impl EventError {
    fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        EventError {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl Event {
    /// A new event with a fresh UUIDv7 id, recorded at `recorded_at`.
    pub fn new(
        ticket: impl Into<String>,
        kind: EventKind,
        at: DateTime<Utc>,
        recorded_at: DateTime<Utc>,
        actor: impl Into<String>,
        payload: Payload,
    ) -> Event {
        Event {
            id: uuid::Uuid::now_v7().to_string(),
            ticket: ticket.into(),
            kind,
            at,
            recorded_at,
            actor: actor.into(),
            payload,
        }
        .normalized()
    }

    /// Timestamps truncated to microseconds (what every store keeps) and a missing
    /// `recorded_at` filled from `at`, so that hashing is stable across stores.
    pub fn normalized(mut self) -> Event {
        if self.recorded_at == unset_instant() {
            self.recorded_at = self.at;
        }
        self.at = truncate_micros(self.at);
        self.recorded_at = truncate_micros(self.recorded_at);
        self
    }

    /// Checks identity fields and the kind's required payload fields.
    pub fn validate(&self) -> Result<(), EventError> {
        if self.id.trim().is_empty() {
            return Err(EventError::new("id", "must not be empty"));
        }
        if self.id.chars().count() > 128 {
            return Err(EventError::new("id", "longer than 128 characters"));
        }
        if self.ticket.trim().is_empty() {
            return Err(EventError::new("ticket", "must not be empty"));
        }
        if self.ticket.chars().count() > 128 {
            return Err(EventError::new("ticket", "longer than 128 characters"));
        }
        for &(name, ty) in self.kind.required_fields() {
            let field = format!("payload.{name}");
            let value = self.payload.get(name).ok_or_else(|| {
                EventError::new(&field, format!("required for a `{}` event", self.kind))
            })?;
            match ty {
                FieldType::Text => match value.as_str() {
                    Some(s) if !s.trim().is_empty() => {}
                    _ => return Err(EventError::new(field, "expected a non-empty string")),
                },
                FieldType::PriorityStr => {
                    let s = value
                        .as_str()
                        .ok_or_else(|| EventError::new(&field, "expected a string like \"P1\""))?;
                    s.parse::<Priority>()
                        .map_err(|e| EventError::new(&field, e))?;
                }
                FieldType::Level => match value.as_u64() {
                    Some(1..=9) => {}
                    _ => return Err(EventError::new(field, "expected a whole number 1 to 9")),
                },
                FieldType::Amount => {
                    let s = value.as_str().ok_or_else(|| {
                        EventError::new(
                            &field,
                            "expected an amount as a string, such as \"250.00\"",
                        )
                    })?;
                    parse_amount(s, self.currency()?).map_err(|e| EventError::new(&field, e))?;
                }
            }
        }
        Ok(())
    }

    /// The `currency` of a money event: absent, or an ISO 4217 code.
    fn currency(&self) -> Result<Option<&str>, EventError> {
        match self.payload.get("currency") {
            None => Ok(None),
            Some(v) => v
                .as_str()
                .filter(|c| is_currency_code(c))
                .map(Some)
                .ok_or_else(|| {
                    EventError::new(
                        "payload.currency",
                        "expected an ISO 4217 code such as \"EUR\"",
                    )
                }),
        }
    }

    /// A payload string field, if present.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.payload.get(name).and_then(Value::as_str)
    }

    /// The priority carried by `detected` and `priority_changed` events.
    pub fn priority(&self) -> Option<Priority> {
        self.text("priority").and_then(|s| s.parse().ok())
    }

    /// The escalation level of an `escalated` event.
    pub fn level(&self) -> Option<u8> {
        self.payload
            .get("level")
            .and_then(Value::as_u64)
            .and_then(|l| u8::try_from(l).ok())
    }
}

pub(crate) fn truncate_micros(t: DateTime<Utc>) -> DateTime<Utc> {
    t.duration_trunc(TimeDelta::microseconds(1)).unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: Value) -> Event {
        serde_json::from_value::<Event>(v).unwrap().normalized()
    }

    #[test]
    fn recorded_at_defaults_to_at_and_is_truncated() {
        let e = parse(json!({"id":"e1","ticket":"T-1","kind":"acknowledged",
            "at":"2026-03-02T09:00:00.1234567Z"}));
        assert_eq!(e.recorded_at, e.at);
        assert_eq!(e.at.to_rfc3339(), "2026-03-02T09:00:00.123456+00:00");
    }

    #[test]
    fn validation_names_the_field() {
        let e = parse(json!({"id":"e1","ticket":"T-1","kind":"detected",
            "at":"2026-03-02T09:00:00Z","payload":{"priority":"P7X","customer":"acme"}}));
        let err = e.validate().unwrap_err();
        assert_eq!(err.field, "payload.priority");
        let e = parse(json!({"id":"e1","ticket":"T-1","kind":"escalated",
            "at":"2026-03-02T09:00:00Z","payload":{"level":0,"to":"bob"}}));
        assert_eq!(e.validate().unwrap_err().field, "payload.level");
        let e = parse(json!({"id":"e1","ticket":"T-1","kind":"paused",
            "at":"2026-03-02T09:00:00Z"}));
        assert_eq!(e.validate().unwrap_err().field, "payload.reason");
        let e = parse(json!({"id":" ","ticket":"T-1","kind":"resumed",
            "at":"2026-03-02T09:00:00Z"}));
        assert_eq!(e.validate().unwrap_err().field, "id");
    }

    #[test]
    fn money_events_carry_bounded_non_negative_amounts() {
        let penalty = |amount: Value, currency: &str| {
            parse(
                json!({"id":"penalty:k:t:2026-03","ticket":"penalties:k","kind":"penalty",
                "at":"2026-04-01T00:00:00Z","payload":{"kpi":"availability","period":"2026-03",
                "amount":amount,"currency":currency}}),
            )
            .validate()
        };
        assert!(penalty(json!("4800.00"), "EUR").is_ok());
        let err = penalty(json!("79228162514264337593543950335"), "EUR").unwrap_err();
        assert_eq!(err.field, "payload.amount");
        assert!(
            err.message.contains("more than the largest amount"),
            "{err}"
        );
        assert_eq!(
            penalty(json!("-1.00"), "EUR").unwrap_err().to_string(),
            "field `payload.amount`: must not be negative, found -1.00"
        );
        assert_eq!(
            penalty(json!(12), "EUR").unwrap_err().field,
            "payload.amount"
        );
        assert_eq!(
            penalty(json!("12.5"), "JPY").unwrap_err().field,
            "payload.amount"
        );
        assert_eq!(
            penalty(json!("12"), "euro").unwrap_err().field,
            "payload.currency"
        );
        let adjusted = |amount: &str| {
            parse(
                json!({"id":"a1","ticket":"penalties:k","kind":"penalty_adjusted",
                "at":"2026-04-02T00:00:00Z","payload":{"penalty":"penalty:k:t:2026-03",
                "amount":amount,"currency":"EUR","reason":"goodwill"}}),
            )
            .validate()
        };
        assert!(adjusted("0").is_ok());
        assert_eq!(
            adjusted("-100.00").unwrap_err().to_string(),
            "field `payload.amount`: must not be negative, found -100.00"
        );
    }

    #[test]
    fn kinds_round_trip_their_names() {
        for k in EventKind::ALL {
            assert_eq!(k.as_str().parse::<EventKind>().unwrap(), k);
            assert_eq!(serde_json::to_value(k).unwrap(), json!(k.as_str()));
        }
        assert!("reopened"
            .parse::<EventKind>()
            .unwrap_err()
            .contains("detected"));
    }
}
