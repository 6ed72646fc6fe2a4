//! What an evidence package holds: the types of `evidence.json`, which the builder,
//! the renderers and the verifier share (and nothing else, so none of them imports
//! another through it).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::config::Bundle;
use crate::model::Event;

/// The format this slawatch writes. Bump it whenever the JSON's shape, the wording of
/// its figures or either rendering changes: a package is re-rendered only by the
/// renderer of its own version (see `evidence_verify`), so an older package keeps
/// verifying after any such change.
pub const FORMAT_VERSION: u32 = 2;
/// The `format` text of a package of `version`.
pub fn format_name(version: u32) -> String {
    format!("slawatch-evidence/{version}")
}
pub const JSON_FILE: &str = "evidence.json";
pub const HTML_FILE: &str = "evidence.html";
pub const MD_FILE: &str = "evidence.md";
pub const SUMS_FILE: &str = "evidence.sha256";

/// An event as stored: its place in the log and in its ticket's chain.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChainedEvent {
    pub seq: i64,
    pub prev_hash: String,
    pub hash: String,
    pub event: Event,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub customer: String,
    pub service: Option<String>,
    pub title: String,
    pub priority: String,
    pub policy: String,
    pub calendar: String,
    /// The zone every instant of the package is shown in.
    pub timezone: String,
    pub state: String,
    pub detected_at: String,
    pub first_response_at: Option<String>,
    pub restored_at: Option<String>,
    pub resolved_at: Option<String>,
    pub verification: Option<String>,
    pub client_confirmed: Option<bool>,
    pub root_cause: Option<String>,
    pub escalations: Vec<String>,
    pub client_updates: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChainInfo {
    pub algorithm: String,
    pub genesis: String,
    /// Hash of the ticket's newest event: compare it with the store or with the value
    /// given to the other party.
    pub head: String,
    pub events: usize,
    /// Chain problems found when the package was made (empty when it verified).
    pub problems: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TimelineEntry {
    pub at: String,
    /// Set when the event was written down later than it happened (over a minute).
    pub recorded_at: Option<String>,
    pub kind: String,
    pub actor: String,
    pub what: String,
    pub detail: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PauseEvidence {
    pub from: String,
    pub to: Option<String>,
    pub reason: String,
    /// Whether the policy lets this reason stop this clock.
    pub stops_this_clock: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClockEvidence {
    pub metric: String,
    pub state: String,
    pub target: String,
    /// Working time measured (pauses that stop the clock excluded).
    pub actual: String,
    pub started_at: String,
    pub stopped_at: Option<String>,
    pub due: Option<String>,
    pub breached_at: Option<String>,
    pub breaches: u32,
    pub pauses: Vec<PauseEvidence>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PenaltyEvidence {
    pub contract: String,
    pub customer: String,
    pub term: String,
    pub kpi: String,
    pub period: String,
    pub operator: String,
    pub threshold: String,
    pub actual: String,
    pub breached: bool,
    pub band: Option<String>,
    pub exact: String,
    pub capped: String,
    pub amount: String,
    pub currency: String,
    /// This ticket's line in the calculation.
    pub this_ticket: Option<String>,
    /// Availability: the stretches of this ticket's outage the contract excludes.
    pub exclusions: Vec<String>,
    pub tickets: Vec<String>,
    pub steps: Vec<String>,
    /// Why the figure may still change; empty once final.
    pub pending: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdjustmentEvidence {
    pub event_id: String,
    pub at: String,
    pub actor: String,
    pub amount: String,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecordedEvidence {
    pub penalty_id: String,
    pub ledger: String,
    pub contract: String,
    pub term: String,
    pub period: String,
    pub amount: String,
    pub currency: String,
    /// After adjustments.
    pub net: String,
    pub adjustments: Vec<AdjustmentEvidence>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    pub format: String,
    /// 1 for packages written before the field existed (they have no proofs).
    #[serde(default = "format_1")]
    pub format_version: u32,
    pub generator: String,
    /// The instant every figure is computed as of.
    pub generated_at: DateTime<Utc>,
    pub ticket: String,
    pub summary: Summary,
    pub chain: ChainInfo,
    /// The ticket's events in chain order, with their hashes.
    pub events: Vec<ChainedEvent>,
    pub timeline: Vec<TimelineEntry>,
    pub clocks: Vec<ClockEvidence>,
    pub penalties: Vec<PenaltyEvidence>,
    pub recorded_penalties: Vec<RecordedEvidence>,
    /// Other tickets behind the penalty figures, and penalty ledgers, with their chains.
    pub related: BTreeMap<String, Vec<ChainedEvent>>,
    /// The configuration every figure was computed with.
    pub config: Bundle,
    /// Manifest: sha256 of the HTML and Markdown renderings of this file.
    pub files: BTreeMap<String, String>,
    /// Since format 2: where every event of the package sits in the store's log-wide
    /// Merkle tree, proved against a signed checkpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proofs: Option<Proofs>,
}

fn format_1() -> u32 {
    1
}

/// Inclusion proofs of a package's events, all against one checkpoint.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Proofs {
    /// The checkpoint the proofs are against, in its text form (`slawatch checkpoint`),
    /// signed when the package was written.
    pub checkpoint: String,
    /// Every event of the package (the ticket's and the related chains'), by event id.
    pub inclusion: BTreeMap<String, Inclusion>,
    /// Consistency proofs from every earlier checkpoint the store had signed to the
    /// package's, by that checkpoint's tree size: the package verifies against any of
    /// them held elsewhere without the store.
    pub consistency: BTreeMap<u64, Vec<String>>,
}

/// One event's place in the tree and its audit path (RFC 9162), hashes in base64.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Inclusion {
    pub leaf: u64,
    pub path: Vec<String>,
}
