//! The record of sent nudges and the snoozes, kept by a [`Source`] (the store, or a
//! server): what the console and `slawatch watch` give the nudge service.

use super::service::SentLog;
use crate::sla::Micros;
use crate::store::{Claim, NudgeRecord};
use crate::sync::Source;

pub struct SourceLog(pub Box<dyn Source>);

impl SentLog for SourceLog {
    fn claim(&mut self, user: &str, records: &[NudgeRecord]) -> Result<Vec<Claim>, String> {
        self.0
            .claim_nudges(user, records)
            .map_err(|e| e.to_string())
    }

    fn set_snooze(
        &mut self,
        user: &str,
        ticket: &str,
        until: Option<Micros>,
    ) -> Result<(), String> {
        self.0
            .set_snooze(user, ticket, until)
            .map_err(|e| e.to_string())
    }

    fn snoozes(&mut self, user: &str, now: Micros) -> Result<Vec<(String, Micros)>, String> {
        self.0.snoozes(user, now).map_err(|e| e.to_string())
    }
}
