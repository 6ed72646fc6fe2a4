//! Turning verdicts into events: `penalty` (idempotent, with a deterministic id) and
//! `penalty_adjusted` (a negotiated waiver or reduction; the original stays).

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::{json, Value};

use super::book::RecordedPenalty;
use super::contract::Contract;
use super::engine::TermResult;
use super::money::{check_amount, minor_units};
use crate::model::{Event, EventKind, Payload};

/// The id of the penalty event for a contract's term and period: recording the same
/// month twice finds the same event.
pub fn penalty_id(contract: &str, term: &str, period: &str) -> String {
    format!("penalty:{contract}:{term}:{period}")
}

/// The `penalty` event for a breached term, on the contract's ledger, dated at the end
/// of the billing month. Refuses a term that is not breached or whose figure may still
/// change (month not over, clock still running).
pub fn penalty_event(
    contract: &Contract,
    r: &TermResult,
    now: DateTime<Utc>,
    actor: &str,
) -> Result<Event, String> {
    if !r.breached {
        return Err(format!(
            "term `{}` of contract `{}` is not breached in {}",
            r.term, r.contract, r.period
        ));
    }
    if !r.is_final() {
        return Err(format!(
            "term `{}` of contract `{}` for {} is not final: {}",
            r.term,
            r.contract,
            r.period,
            r.pending.join("; ")
        ));
    }
    let (_, end) = r.period.bounds(contract.timezone);
    let at = DateTime::from_timestamp_micros(end).ok_or("month end out of range")?;
    let items: Vec<Value> = r
        .items
        .iter()
        .filter(|i| i.breach)
        .map(|i| {
            json!({
                "ticket": i.ticket,
                "actual": i.actual,
                "amount": i.amount.to_string(),
                "band": i.band.map(|b| b + 1),
            })
        })
        .collect();
    let payload = json!({
        "contract": contract.id,
        "customer": contract.customer,
        "term": r.term,
        "kpi": r.kpi.as_str(),
        "period": r.period.to_string(),
        "operator": r.operator.as_str(),
        "threshold": r.threshold,
        "actual": r.actual,
        "band": r.band.map(|b| b + 1),
        "band_label": r.band_label,
        "monthly_fee": contract.monthly_fee.to_string(),
        "exact": r.exact.to_string(),
        "capped": r.capped.to_string(),
        "amount": r.amount.to_string(),
        "currency": r.currency,
        "rounding": contract.rounding.describe(contract.minor_units()),
        "tickets": r.tickets,
        "items": items,
        "calculation": r.steps,
    });
    let Value::Object(payload) = payload else {
        unreachable!("json! of an object")
    };
    let e = Event {
        id: penalty_id(&contract.id, &r.term, &r.period.to_string()),
        ticket: contract.ledger(),
        kind: EventKind::Penalty,
        at,
        recorded_at: now.max(at),
        actor: actor.to_owned(),
        payload,
    }
    .normalized();
    e.validate().map_err(|e| e.to_string())?;
    Ok(e)
}

/// A `penalty_adjusted` event setting what is owed for `p` to `amount`, with the reason.
pub fn adjustment_event(
    p: &RecordedPenalty,
    amount: Decimal,
    reason: &str,
    now: DateTime<Utc>,
    actor: &str,
) -> Result<Event, String> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err("an adjustment needs a reason".into());
    }
    let mut amount =
        check_amount(amount, Some(&p.currency)).map_err(|e| format!("the adjusted amount: {e}"))?;
    let places = minor_units(&p.currency);
    amount.rescale(places);
    let previous = p.net();
    let mut payload = Payload::new();
    for (k, v) in [
        ("penalty", p.event.id.clone()),
        ("contract", p.contract.clone()),
        ("term", p.term.clone()),
        ("period", p.period.clone()),
        ("currency", p.currency.clone()),
        ("original", p.amount.to_string()),
        ("previous", previous.to_string()),
        ("amount", amount.to_string()),
        ("delta", (amount - previous).to_string()),
        ("reason", reason.to_owned()),
    ] {
        payload.insert(k.into(), Value::String(v));
    }
    let e = Event::new(
        p.event.ticket.clone(),
        EventKind::PenaltyAdjusted,
        now.max(p.event.at),
        now,
        actor,
        payload,
    );
    e.validate().map_err(|e| e.to_string())?;
    Ok(e)
}
