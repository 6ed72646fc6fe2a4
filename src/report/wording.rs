//! One wording of events in prose, for every reader: the evidence package's timeline
//! and summary, reports, and (once it adopts it) the console's ticket history. Texts
//! come out unescaped; each output escapes them with its own module of
//! [`super::text`].

use crate::model::{Event, EventKind};
use crate::sla::{Metric, Policy};

/// An escalation's level as the SLA clocks count it: an event without one is level 1
/// (as `sla::Facts` folds it), never a placeholder.
pub fn escalation_level(e: &Event) -> u8 {
    e.level().unwrap_or(1)
}

/// What happened, in a short sentence, and the detail that goes with it (a note, a
/// message, a root cause). With `policy`, a pause also says which clocks it stops.
pub fn describe(e: &Event, policy: Option<&Policy>) -> (String, Option<String>) {
    let t = |k: &str| e.text(k).map(str::to_owned);
    let (what, detail) = match e.kind {
        EventKind::Detected => (
            format!("Detected ({})", t("priority").unwrap_or_default()),
            Some(
                [
                    t("title"),
                    t("service").map(|s| format!("service {s}")),
                    t("customer").map(|c| format!("customer {c}")),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" — "),
            ),
        ),
        EventKind::Acknowledged => ("Acknowledged".into(), t("note")),
        EventKind::Escalated => (
            format!(
                "Escalated to level {}: {}",
                escalation_level(e),
                t("to").unwrap_or_default()
            ),
            t("note"),
        ),
        EventKind::ClientUpdate => (
            match t("channel") {
                Some(c) => format!("Client notified by {c}"),
                None => "Client notified".into(),
            },
            t("message"),
        ),
        EventKind::CarrierUpdate => ("Carrier / vendor update".into(), t("message")),
        EventKind::Paused => {
            let reason = t("reason").unwrap_or_default();
            let what = match policy {
                Some(policy) => {
                    let stops: Vec<&str> = Metric::ALL
                        .into_iter()
                        .filter(|m| policy.stops(&reason, *m))
                        .map(Metric::as_str)
                        .collect();
                    if stops.is_empty() {
                        format!("Clock paused: {reason} (stops no clock)")
                    } else {
                        format!("Clock paused: {reason} (stops {})", stops.join(", "))
                    }
                }
                None => format!("Clock paused: {reason}"),
            };
            (what, t("note"))
        }
        EventKind::Resumed => ("Clock resumed".into(), t("note")),
        EventKind::PriorityChanged => (
            format!("Priority changed to {}", t("priority").unwrap_or_default()),
            t("note"),
        ),
        EventKind::Assigned => (format!("Assigned to {}", t("to").unwrap_or_default()), None),
        EventKind::Restored => {
            let mut d = Vec::new();
            if let Some(v) = t("verification") {
                d.push(format!("verification: {v}"));
            }
            match e.payload.get("client_confirmed").and_then(|v| v.as_bool()) {
                Some(true) => d.push("client confirmed restoration".into()),
                Some(false) => d.push("client has not confirmed".into()),
                None => {}
            }
            (
                "Service restored".into(),
                (!d.is_empty()).then(|| d.join("; ")),
            )
        }
        EventKind::Resolved => (
            "Resolved".into(),
            t("root_cause").map(|r| format!("root cause: {r}")),
        ),
        EventKind::Note => ("Note".into(), t("text")),
        EventKind::Penalty => (
            format!(
                "Penalty recorded: {} {}",
                t("amount").unwrap_or_default(),
                t("currency").unwrap_or_default()
            ),
            t("term"),
        ),
        EventKind::PenaltyAdjusted => (
            format!("Penalty adjusted to {}", t("amount").unwrap_or_default()),
            t("reason"),
        ),
    };
    (what, detail.filter(|d| !d.is_empty()))
}

/// An escalation as the package's summary lists it: "level 2 to noc-l2 at …".
pub fn escalation(e: &Event, when: &str) -> String {
    format!(
        "level {} to {} at {when}",
        escalation_level(e),
        e.text("to").unwrap_or("?")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn escalated(payload: serde_json::Value) -> Event {
        serde_json::from_value(serde_json::json!({
            "id": "e1", "ticket": "T-1", "kind": "escalated", "actor": "alice",
            "at": "2026-03-02T09:00:00Z", "recorded_at": "2026-03-02T09:00:00Z",
            "payload": payload
        }))
        .unwrap()
    }

    #[test]
    fn a_missing_escalation_level_is_level_1_everywhere() {
        let e = escalated(serde_json::json!({"to": "noc-l2"}));
        assert_eq!(describe(&e, None).0, "Escalated to level 1: noc-l2");
        assert_eq!(escalation(&e, "09:00"), "level 1 to noc-l2 at 09:00");
        let e = escalated(serde_json::json!({"to": "noc-l3", "level": 3}));
        assert_eq!(describe(&e, None).0, "Escalated to level 3: noc-l3");
    }
}
