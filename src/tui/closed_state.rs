//! What the console keeps of the closed list (the logic is in `closed`).

use super::board::Entry;
use crate::sync::closed::ClosedQuery;

#[derive(Clone, Debug, Default)]
pub struct ClosedState {
    /// What is listed (asked for, or answered).
    pub query: ClosedQuery,
    /// The tickets, newest closed first, evaluated for their final verdicts.
    pub rows: Vec<Entry>,
    /// Asked and not answered yet.
    pub loading: bool,
    pub error: Option<String>,
    pub row: usize,
    pub offset: usize,
}
