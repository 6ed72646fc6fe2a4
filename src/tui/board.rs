//! Every open ticket with its SLA summary, kept sorted and counted incrementally.
//!
//! The board caches each ticket's facts (from the store's projection or a re-fold when
//! its events change) and a summary of its most urgent clock. Clocks are re-evaluated
//! only when a ticket's events change or when one of its clocks crosses a warning
//! threshold or breaches: those instants wait in a min-heap, so the 1 Hz tick costs
//! nothing for tickets whose state does not change. Countdowns are `due - now` at
//! render time. The order is re-sorted incrementally (remove, binary-search insert);
//! only a change of sort mode or filter rebuilds it.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::sanitize::clean;
use crate::model::Priority;
use crate::sla::calendar::{Calendar, Micros};
use crate::sla::clock::{self, Clock, ClockState};
use crate::sla::{Calendars, Facts, Metric, Policies, Policy, Severity};
use crate::slots::{distinct_key, Keyed, Slots};
use crate::store::TicketFacts;

/// How a ticket ranks: breached first, then running by due, then paused-only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Class {
    Breached,
    Running,
    Paused,
    /// No live clock (everything met, or the policy keeps none).
    Idle,
    /// No policy or calendar for it: shown, never hidden.
    Problem,
}

/// The most urgent live clock of a ticket, as evaluated at `at`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Summary {
    pub at: Micros,
    pub class: Class,
    pub metric: Option<Metric>,
    pub state: Option<ClockState>,
    pub due: Option<Micros>,
    pub target: Micros,
    pub elapsed: Micros,
    pub severity: Severity,
    /// The next instant a clock of this ticket changes state or severity.
    pub next_change: Option<Micros>,
}

impl Summary {
    fn problem(at: Micros) -> Summary {
        Summary {
            at,
            class: Class::Problem,
            metric: None,
            state: None,
            due: None,
            target: 0,
            elapsed: 0,
            severity: Severity::Ok,
            next_change: None,
        }
    }

    pub fn at_risk(&self) -> bool {
        self.class != Class::Breached
            && matches!(self.severity, Severity::Warning | Severity::Critical)
    }
}

#[derive(Clone, Debug)]
pub struct Entry {
    /// The ticket id as stored when sanitising changed `facts.ticket`; see [`Entry::key`].
    raw_key: Option<Box<str>>,
    /// Folded facts; their display texts (id, customer, title, service, assignee,
    /// escalation target) are sanitised. Pause reasons stay as stored: the policy
    /// matches them; views sanitise them when shown.
    pub facts: Arc<Facts>,
    pub policy: Option<u16>,
    pub sum: Summary,
    /// The letters of the texts the filter searches: most entries are ruled out by
    /// them without reading the texts.
    letters: Letters,
}

impl Entry {
    /// The ticket id exactly as stored (for appends and history).
    pub fn key(&self) -> &str {
        self.raw_key.as_deref().unwrap_or(&self.facts.ticket)
    }

    /// Whether the (lower-cased) text, whose letters are `letters`, occurs in the
    /// id, customer, title or assignee, ignoring case.
    fn mentions(&self, lower: &str, letters: Letters) -> bool {
        self.letters.has_all(letters) && crate::search::mentions(&self.facts, lower)
    }
}

/// Which letters and digits occur in texts, ignoring case: a bit for each of a–z and
/// one for each pair of digits. Text beyond ASCII has them all, since what it
/// lower-cases to is not worth working out here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Letters(u32);

impl Letters {
    fn of<'a>(texts: impl IntoIterator<Item = &'a str>) -> Letters {
        let mut bits = 0;
        for b in texts.into_iter().flat_map(str::bytes) {
            bits |= match b.to_ascii_lowercase() {
                c @ b'a'..=b'z' => 1 << (c - b'a'),
                d @ b'0'..=b'9' => 1 << (26 + (d - b'0') / 2),
                c if c.is_ascii() => 0,
                _ => return Letters(u32::MAX),
            };
        }
        Letters(bits)
    }

    fn has_all(self, other: Letters) -> bool {
        self.0 & other.0 == other.0
    }
}

impl Keyed for Entry {
    fn key(&self) -> &str {
        Entry::key(self)
    }
}

/// What the queue is sorted by, in the order `sort` cycles through them: a column of
/// the queue each (but age and last activity, which have none), every one with ties
/// broken by urgency.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, strum::IntoStaticStr, strum::VariantArray)]
#[strum(serialize_all = "lowercase")]
pub enum SortMode {
    /// Breached first, then soonest due (the "Due in" column).
    #[default]
    Urgency,
    Priority,
    #[strum(serialize = "ticket")]
    Id,
    Customer,
    Title,
    State,
    Assignee,
    /// Escalation level, highest first.
    #[strum(serialize = "escalation")]
    Level,
    #[strum(serialize = "at risk")]
    Metric,
    /// Share of the budget used, most first.
    #[strum(serialize = "budget used")]
    Used,
    Age,
    #[strum(serialize = "last activity")]
    Activity,
}

impl SortMode {
    pub fn next(self) -> SortMode {
        use strum::VariantArray;
        let all = SortMode::VARIANTS;
        let at = all.iter().position(|m| *m == self).unwrap_or(0);
        all[(at + 1) % all.len()]
    }

    pub fn label(self) -> &'static str {
        self.into()
    }

    /// Whether its natural order (the first rows the ones that matter most) puts
    /// larger values first: levels, budget used and last activity.
    fn descends(self) -> bool {
        matches!(self, SortMode::Level | SortMode::Used | SortMode::Activity)
    }
}

/// A sort and its direction: `reverse` turns the natural order round.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sort {
    pub mode: SortMode,
    pub reverse: bool,
}

impl Sort {
    /// Whether values grow down the list (the header's `▲`) or shrink (`▼`).
    pub fn ascending(self) -> bool {
        self.mode.descends() == self.reverse
    }

    pub fn arrow(self) -> &'static str {
        if self.ascending() {
            "▲"
        } else {
            "▼"
        }
    }

    /// `customer ▲` for the header.
    pub fn describe(self) -> String {
        format!("{} {}", self.mode.label(), self.arrow())
    }
}

/// What the queue's rows are grouped by (under a header with counts each), in the
/// order `group` cycles through them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, strum::IntoStaticStr, strum::VariantArray)]
#[strum(serialize_all = "lowercase")]
pub enum GroupBy {
    #[default]
    None,
    Customer,
    Assignee,
    #[strum(serialize = "escalation level")]
    Level,
}

impl GroupBy {
    pub fn next(self) -> GroupBy {
        use strum::VariantArray;
        let all = GroupBy::VARIANTS;
        let at = all.iter().position(|m| *m == self).unwrap_or(0);
        all[(at + 1) % all.len()]
    }

    pub fn label(self) -> &'static str {
        self.into()
    }

    /// The group `e` belongs to, as its header names it.
    pub fn name(self, e: &Entry) -> GroupName<'_> {
        match self {
            GroupBy::None => GroupName::Text(""),
            GroupBy::Customer => GroupName::Text(&e.facts.customer),
            GroupBy::Assignee => match e.facts.assignee.as_deref() {
                Some(a) => GroupName::Text(a),
                None => GroupName::Unassigned,
            },
            GroupBy::Level => match &e.facts.escalation {
                Some(x) => GroupName::Level(x.level),
                None => GroupName::NotEscalated,
            },
        }
    }
}

/// A group's name; groups sort in this order (levels highest first, the tickets
/// without an assignee or escalation last).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GroupName<'a> {
    Text(&'a str),
    Level(u8),
    Unassigned,
    NotEscalated,
}

impl GroupName<'_> {
    fn cmp_key(&self) -> (u8, Reverse<u8>) {
        match self {
            GroupName::Text(_) => (0, Reverse(0)),
            GroupName::Level(l) => (0, Reverse(*l)),
            GroupName::Unassigned | GroupName::NotEscalated => (1, Reverse(0)),
        }
    }

    fn cmp(&self, other: &GroupName<'_>) -> Ordering {
        self.cmp_key()
            .cmp(&other.cmp_key())
            .then_with(|| match (self, other) {
                (GroupName::Text(a), GroupName::Text(b)) => cmp_folded(a, b),
                _ => Ordering::Equal,
            })
    }

    /// As the group's header says it.
    pub fn text(&self) -> String {
        match self {
            GroupName::Text(t) => (*t).to_owned(),
            GroupName::Level(l) => format!("L{l}"),
            GroupName::Unassigned => "unassigned".to_owned(),
            GroupName::NotEscalated => "not escalated".to_owned(),
        }
    }
}

/// Compares texts ignoring case, without allocating.
fn cmp_folded(a: &str, b: &str) -> Ordering {
    if a.is_ascii() && b.is_ascii() {
        return a
            .bytes()
            .map(|c| c.to_ascii_lowercase())
            .cmp(b.bytes().map(|c| c.to_ascii_lowercase()));
    }
    a.chars()
        .flat_map(char::to_lowercase)
        .cmp(b.chars().flat_map(char::to_lowercase))
}

/// How the queue's State column ranks a ticket: as the ticket's life goes on.
fn state_rank(e: &Entry) -> u8 {
    let f = &e.facts;
    if e.sum.class == Class::Problem {
        4
    } else if f.current_pause().is_some() {
        3
    } else if f.restored_at.is_some() {
        2
    } else if f.first_response_at.is_some() {
        1
    } else {
        0
    }
}

/// The share of its budget the summary's clock had used when evaluated (in
/// millionths, so that it orders without floats).
fn used_share(e: &Entry) -> i64 {
    if e.sum.metric.is_none() || e.sum.target <= 0 {
        return -1;
    }
    ((e.sum.elapsed as i128 * 1_000_000) / e.sum.target as i128) as i64
}

/// Text and quick filters. Quick filters of one kind widen each other (either may
/// hold): the states (breached, at risk, paused), the priorities, and whose the
/// ticket is (mine, unassigned). Different kinds, and the text, narrow each other (all
/// must hold).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    /// Lower-cased; matched in id, customer, title and assignee.
    pub text: String,
    pub mine: bool,
    pub unassigned: bool,
    pub breached: bool,
    pub at_risk: bool,
    pub paused: bool,
    /// Bit n set: priority Pn (bit 4 also takes P5..P9). Empty: all.
    pub priorities: u16,
}

impl Filter {
    pub fn is_empty(&self) -> bool {
        *self == Filter::default()
    }

    fn matches(&self, e: &Entry, agent: &str) -> bool {
        if self.mine || self.unassigned {
            let who = e.facts.assignee.as_deref();
            let ok = (self.mine && who == Some(agent)) || (self.unassigned && who.is_none());
            if !ok {
                return false;
            }
        }
        if self.priorities != 0 {
            let bit = 1u16 << e.facts.priority.level().min(4);
            if self.priorities & bit == 0 {
                return false;
            }
        }
        if self.breached || self.at_risk || self.paused {
            let ok = (self.breached && e.sum.class == Class::Breached)
                || (self.at_risk && e.sum.at_risk())
                || (self.paused && e.facts.current_pause().is_some());
            if !ok {
                return false;
            }
        }
        self.text.is_empty() || e.mentions(&self.text, Letters::of([self.text.as_str()]))
    }

    /// A short description for the header, each kind's filters joined by `|` (either
    /// may hold), the kinds by spaces (all must): `/acme mine|unassigned
    /// breached|at-risk P1|P2`.
    pub fn describe(&self) -> String {
        let mut kinds: Vec<String> = Vec::new();
        if !self.text.is_empty() {
            kinds.push(format!("/{}", self.text));
        }
        let mut kind = |parts: &[(bool, String)]| {
            let on: Vec<&str> = parts.iter().filter(|p| p.0).map(|p| p.1.as_str()).collect();
            if !on.is_empty() {
                kinds.push(on.join("|"));
            }
        };
        kind(&[
            (self.mine, "mine".into()),
            (self.unassigned, "unassigned".into()),
        ]);
        kind(&[
            (self.breached, "breached".into()),
            (self.at_risk, "at-risk".into()),
            (self.paused, "paused".into()),
        ]);
        let priorities: Vec<(bool, String)> = (1..=4)
            .map(|p| {
                let name = if p == 4 {
                    "P4+".into()
                } else {
                    format!("P{p}")
                };
                (self.priorities & (1 << p) != 0, name)
            })
            .collect();
        kind(&priorities);
        kinds.join(" ")
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub open: usize,
    pub breached: usize,
    pub at_risk: usize,
    pub paused: usize,
    pub escalated: usize,
    pub unacknowledged: usize,
}

impl Counts {
    fn add(&mut self, e: &Entry, sign: isize) {
        let add = |n: &mut usize, yes: bool| {
            if yes {
                *n = n.wrapping_add_signed(sign);
            }
        };
        add(&mut self.open, true);
        add(&mut self.breached, e.sum.class == Class::Breached);
        add(&mut self.at_risk, e.sum.at_risk());
        add(&mut self.paused, e.facts.current_pause().is_some());
        add(&mut self.escalated, e.facts.escalation.is_some());
        add(
            &mut self.unacknowledged,
            e.facts.escalation.as_ref().is_some_and(|x| !x.acknowledged),
        );
    }
}

/// Above this many changed tickets at once, re-sorting everything is cheaper.
const BULK: usize = 512;

/// Turns a ticket's facts into its board entry: the policy that applies, its most
/// urgent clock, sanitised texts. Cheap to clone and `Send`, so that a snapshot is
/// evaluated off the UI task (see [`Board::add_evaluated`]).
#[derive(Clone)]
pub struct Evaluator {
    policies: Arc<Policies>,
    /// The compiled calendar of each policy, by policy index.
    cals: Arc<[Option<Arc<Calendar>>]>,
}

pub struct Board {
    eval: Evaluator,
    /// Entries in place (about a hundred bytes each, no allocation apiece). A slot's
    /// generation is bumped whenever its entry changes, so stale heap items are
    /// skipped.
    slots: Slots<Entry>,
    /// Every ticket, sorted.
    order: Vec<u32>,
    /// The filtered order (what the queue shows).
    visible: Vec<u32>,
    filter: Filter,
    sort: Sort,
    group: GroupBy,
    frozen: bool,
    loading: bool,
    agent: String,
    heap: BinaryHeap<Reverse<(Micros, u32, u32)>>,
    counts: Counts,
    /// Bumped on every change a view could show.
    pub version: u64,
}

impl Evaluator {
    /// Evaluates open tickets into entries (on every core when `parallel` and there
    /// are many); closed ones and those whose history does not fold are left out.
    /// The tickets are only borrowed: whoever passes them on next (the nudge
    /// scheduler) takes them as they are, uncopied.
    pub fn evaluate(
        &self,
        tickets: impl AsRef<[TicketFacts]>,
        now: DateTime<Utc>,
        parallel: bool,
    ) -> Vec<Vec<Entry>> {
        let tickets = tickets.as_ref();
        let now_us = now.timestamp_micros();
        let part = |part: &[TicketFacts]| -> Vec<Entry> {
            part.iter()
                .filter_map(|(k, f)| {
                    let f = f.as_ref().filter(|f| f.is_open())?;
                    Some(self.make_entry(k, Arc::clone(f), now, now_us))
                })
                .collect()
        };
        // Evaluating 100,000 tickets is the console's one big job: use every core.
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(8);
        if !parallel || threads == 1 || tickets.len() < 4096 {
            return vec![part(tickets)];
        }
        let part = &part;
        std::thread::scope(|s| {
            let handles: Vec<_> = tickets
                .chunks(tickets.len().div_ceil(threads))
                .map(|p| s.spawn(move || part(p)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("evaluation thread"))
                .collect()
        })
    }

    /// One ticket's entry, open or closed (the console shows a closed ticket opened
    /// from a report with its final verdicts).
    pub fn entry(&self, key: &str, facts: Arc<Facts>, now: DateTime<Utc>) -> Entry {
        self.make_entry(key, facts, now, now.timestamp_micros())
    }

    fn make_entry(
        &self,
        key: &str,
        mut facts: Arc<Facts>,
        now: DateTime<Utc>,
        now_us: Micros,
    ) -> Entry {
        let policy = self
            .policies
            .select(&facts.customer, facts.service.as_deref(), facts.priority)
            .and_then(|p| self.policies.0.iter().position(|q| std::ptr::eq(q, p)))
            .map(|p| p as u16);
        let sum = self.summarize(&facts, policy, now, now_us);
        sanitise(&mut facts);
        Entry {
            raw_key: distinct_key(key, &facts.ticket),
            letters: Letters::of(crate::search::searched(&facts)),
            facts,
            policy,
            sum,
        }
    }

    fn summarize(
        &self,
        facts: &Facts,
        policy: Option<u16>,
        now: DateTime<Utc>,
        now_us: Micros,
    ) -> Summary {
        let (Some(pi), Some(Some(cal))) = (
            policy,
            policy.map(|p| self.cals.get(p as usize).cloned().flatten()),
        ) else {
            return Summary::problem(now_us);
        };
        let policy = &self.policies.0[pi as usize];
        let clocks = clock::clocks(facts, policy, &cal, now);
        summarize_clocks(&clocks, policy, &cal, now_us)
    }
}

impl Board {
    pub fn new(policies: Policies, calendars: &Calendars, agent: impl Into<String>) -> Board {
        let cals: Arc<[Option<Arc<Calendar>>]> = policies
            .0
            .iter()
            .map(|p| calendars.get(&p.calendar).cloned())
            .collect();
        Board {
            eval: Evaluator {
                policies: Arc::new(policies),
                cals,
            },
            slots: Slots::new(),
            order: Vec::new(),
            visible: Vec::new(),
            filter: Filter::default(),
            sort: Sort::default(),
            group: GroupBy::None,
            frozen: false,
            loading: false,
            agent: agent.into(),
            heap: BinaryHeap::new(),
            counts: Counts::default(),
            version: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    pub fn counts(&self) -> Counts {
        self.counts
    }

    pub fn visible(&self) -> &[u32] {
        &self.visible
    }

    pub fn entry(&self, i: u32) -> Option<&Entry> {
        self.slots.get(i)
    }

    pub fn find(&self, key: &str) -> Option<u32> {
        self.slots.find(key)
    }

    pub fn filter(&self) -> &Filter {
        &self.filter
    }

    pub fn sort(&self) -> Sort {
        self.sort
    }

    pub fn grouping(&self) -> GroupBy {
        self.group
    }

    pub fn frozen(&self) -> bool {
        self.frozen
    }

    /// The names on open tickets (assignees and escalation targets) and `agent`,
    /// sorted ignoring case, each once: what a field naming someone completes.
    pub fn names(&self, agent: &str) -> Vec<String> {
        let mut set: std::collections::HashSet<&str> = std::collections::HashSet::new();
        set.insert(agent);
        for (_, e) in self.slots.iter() {
            set.extend(e.facts.assignee.as_deref());
            set.extend(e.facts.escalation.as_ref().map(|x| &*x.to));
        }
        let mut names: Vec<String> = set
            .into_iter()
            .filter(|n| !n.trim().is_empty())
            .map(str::to_owned)
            .collect();
        names.sort_by(|a, b| cmp_folded(a, b).then_with(|| a.cmp(b)));
        names
    }

    pub fn policy(&self, e: &Entry) -> Option<&Policy> {
        e.policy.and_then(|p| self.eval.policies.0.get(p as usize))
    }

    pub fn calendar(&self, e: &Entry) -> Option<&Arc<Calendar>> {
        e.policy
            .and_then(|p| self.eval.cals.get(p as usize))
            .and_then(Option::as_ref)
    }

    /// Replaces everything with `tickets` (ticket id, facts if its history folds).
    pub fn load(&mut self, tickets: impl IntoIterator<Item = TicketFacts>, now: DateTime<Utc>) {
        self.begin_load();
        self.add_loaded(tickets, now, true);
        self.finish_load();
    }

    /// Empties the board for a new snapshot, delivered by [`Board::add_loaded`] and
    /// closed by [`Board::finish_load`].
    pub fn begin_load(&mut self) {
        self.slots.clear();
        self.heap.clear();
        self.order.clear();
        self.visible.clear();
        self.counts = Counts::default();
        self.loading = true;
    }

    /// Evaluates part of a snapshot (on every core when `parallel` and it is large);
    /// nothing is sorted until [`Board::finish_load`].
    pub fn add_loaded(
        &mut self,
        tickets: impl IntoIterator<Item = TicketFacts>,
        now: DateTime<Utc>,
        parallel: bool,
    ) {
        let tickets: Vec<TicketFacts> = tickets.into_iter().collect();
        let parts = self.eval.evaluate(tickets, now, parallel);
        self.insert_loaded(parts);
    }

    /// The evaluator, for evaluating a snapshot elsewhere.
    pub fn evaluator(&self) -> Evaluator {
        self.eval.clone()
    }

    /// Adds part of a snapshot evaluated elsewhere (see [`Evaluator::evaluate`]).
    pub fn add_evaluated(&mut self, parts: Vec<Vec<Entry>>) {
        self.insert_loaded(parts);
    }

    fn insert_loaded(&mut self, parts: Vec<Vec<Entry>>) {
        let total: usize = parts.iter().map(Vec::len).sum();
        self.slots.reserve(total);
        self.heap.reserve(total);
        for e in parts.into_iter().flatten() {
            if let Ok(i) = self.slots.insert(e) {
                self.counts.add(self.slots.get(i).expect("inserted"), 1);
                self.push_heap(i);
            }
        }
    }

    /// Sorts and filters what was loaded: the board is live from here.
    pub fn finish_load(&mut self) {
        self.loading = false;
        self.rebuild();
    }

    /// Between [`Board::begin_load`] and [`Board::finish_load`].
    pub fn is_loading(&self) -> bool {
        self.loading
    }

    /// One ticket's facts changed (or it was resolved: `None` or closed facts remove it).
    pub fn upsert(&mut self, key: &str, facts: Option<Arc<Facts>>, now: DateTime<Utc>) {
        self.upsert_many(std::iter::once((key.to_owned(), facts)), now);
    }

    pub fn upsert_many(
        &mut self,
        changes: impl IntoIterator<Item = TicketFacts>,
        now: DateTime<Utc>,
    ) {
        let changes: Vec<_> = changes.into_iter().collect();
        let bulk = changes.len() > BULK || self.loading;
        let now_us = now.timestamp_micros();
        for (key, facts) in changes {
            let existing = self.slots.find(&key);
            let Some(f) = facts.filter(|f| f.is_open()) else {
                if let Some(i) = existing {
                    if !bulk {
                        self.unplace(i);
                    }
                    let old = self.slots.remove(i).expect("indexed entry");
                    self.counts.add(&old, -1);
                }
                continue;
            };
            let e = self.eval.make_entry(&key, f, now, now_us);
            self.counts.add(&e, 1);
            let i = match existing {
                Some(i) => {
                    if !bulk {
                        self.unplace(i);
                    }
                    let old = self.slots.replace(i, e);
                    self.counts.add(&old, -1);
                    i
                }
                None => self.slots.insert(e).expect("a new key"),
            };
            self.push_heap(i);
            if !bulk {
                self.place(i);
            }
        }
        if bulk && !self.loading {
            self.rebuild();
        }
        self.version += 1;
    }

    /// Re-evaluates the tickets whose next state change is due. Returns the tickets
    /// that breached just now (for the bell).
    pub fn tick(&mut self, now: DateTime<Utc>) -> Vec<u32> {
        if self.loading {
            return Vec::new();
        }
        let now_us = now.timestamp_micros();
        let mut due = Vec::new();
        while let Some(&Reverse((at, i, gen))) = self.heap.peek() {
            if at > now_us {
                break;
            }
            self.heap.pop();
            if self.slots.is_current(i, gen) {
                due.push(i);
            }
        }
        due.sort_unstable();
        due.dedup();
        let bulk = due.len() > BULK;
        let mut breached = Vec::new();
        for &i in &due {
            if !bulk {
                self.unplace(i);
            }
            let e = self.slots.get(i).expect("live entry");
            let sum = self.eval.summarize(&e.facts, e.policy, now, now_us);
            if e.sum.class != Class::Breached && sum.class == Class::Breached {
                breached.push(i);
            }
            self.counts.add(e, -1);
            let e = self.slots.get_mut(i).expect("live entry");
            e.sum = sum;
            self.counts.add(e, 1);
            self.push_heap(i);
            if !bulk {
                self.place(i);
            }
        }
        if bulk {
            self.rebuild();
        }
        if !due.is_empty() {
            self.version += 1;
        }
        breached
    }

    /// The next instant `tick` has work (for tests and the idle loop).
    pub fn next_change(&self) -> Option<Micros> {
        self.heap.peek().map(|Reverse((at, _, _))| *at)
    }

    pub fn set_filter(&mut self, f: Filter) {
        if f == self.filter {
            return;
        }
        // Typing one more character only narrows: filter what is shown, not all.
        let narrows = !self.frozen
            && f.text.contains(self.filter.text.as_str())
            && Filter {
                text: String::new(),
                ..f.clone()
            } == Filter {
                text: String::new(),
                ..self.filter.clone()
            };
        self.filter = f;
        if narrows && self.visible.len() < self.slots.len() / 4 {
            let visible = std::mem::take(&mut self.visible);
            self.visible = visible.into_iter().filter(|&i| self.matches(i)).collect();
            self.version += 1;
        } else {
            // Of many, the ones shown are those of all that pass.
            self.refilter();
        }
    }

    pub fn set_sort(&mut self, sort: Sort, group: GroupBy) {
        self.sort = sort;
        self.group = group;
        self.rebuild();
    }

    pub fn set_frozen(&mut self, frozen: bool) {
        self.frozen = frozen;
        if !frozen {
            self.rebuild();
        }
    }

    /// All clocks of one ticket, now (for the ticket view).
    pub fn clocks(&self, e: &Entry, now: DateTime<Utc>) -> Vec<Clock> {
        match (self.policy(e), self.calendar(e)) {
            (Some(p), Some(c)) => clock::clocks(&e.facts, p, c, now),
            _ => Vec::new(),
        }
    }

    /// Working time used by the summary's clock as of `now` (it keeps running after
    /// `sum.at` unless paused or stopped).
    pub fn elapsed_now(&self, e: &Entry, now: DateTime<Utc>) -> Micros {
        let s = &e.sum;
        let running = matches!(s.state, Some(ClockState::Running | ClockState::Breached));
        match self.calendar(e) {
            Some(cal) if running => {
                s.elapsed + cal.elapsed_micros(s.at, now.timestamp_micros().max(s.at))
            }
            _ => s.elapsed,
        }
    }

    /// Escalated tickets passing the filter: highest level first; within a level
    /// unacknowledged, then breached, then longest waiting first.
    pub fn escalations(&self) -> Vec<u32> {
        let mut out: Vec<u32> = self
            .order
            .iter()
            .copied()
            .filter(|&i| {
                let e = self.slots.get(i).expect("ordered entry");
                e.facts.escalation.is_some() && self.filter.matches(e, &self.agent)
            })
            .collect();
        let key = |i: &u32| {
            let e = self.slots.get(*i).expect("ordered entry");
            let x = e.facts.escalation.as_ref().expect("escalated");
            (
                Reverse(x.level),
                x.acknowledged,
                e.sum.class != Class::Breached,
                x.at,
                *i,
            )
        };
        out.sort_by_key(key);
        out
    }

    /// Bumps the slot's generation (older heap items go stale) and schedules its
    /// next change.
    fn push_heap(&mut self, i: u32) {
        if self.heap.len() > 2 * self.slots.len() + 4096 {
            self.compact_heap();
        }
        let gen = self.slots.bump(i);
        if let Some(at) = self.entry(i).and_then(|e| e.sum.next_change) {
            self.heap.push(Reverse((at, i, gen)));
        }
    }

    /// Drops stale heap items (superseded by a later evaluation of their ticket).
    fn compact_heap(&mut self) {
        let heap = std::mem::take(&mut self.heap);
        self.heap = heap
            .into_iter()
            .filter(|Reverse((_, i, gen))| self.slots.is_current(*i, *gen))
            .collect();
    }

    fn cmp(&self, a: u32, b: u32) -> Ordering {
        let x = self.slots.get(a).expect("entry");
        let y = self.slots.get(b).expect("entry");
        let urg = |e: &Entry| {
            (
                e.sum.class,
                e.sum.due.unwrap_or(Micros::MAX),
                e.facts.priority,
                e.facts.detected_at,
            )
        };
        let (fx, fy) = (&x.facts, &y.facts);
        let by = match self.sort.mode {
            SortMode::Urgency => Ordering::Equal,
            SortMode::Priority => fx.priority.cmp(&fy.priority),
            SortMode::Id => cmp_folded(&fx.ticket, &fy.ticket),
            SortMode::Customer => cmp_folded(&fx.customer, &fy.customer),
            SortMode::Title => cmp_folded(&fx.title, &fy.title),
            SortMode::State => state_rank(x).cmp(&state_rank(y)),
            SortMode::Assignee => match (fx.assignee.as_deref(), fy.assignee.as_deref()) {
                (Some(p), Some(q)) => cmp_folded(p, q),
                (p, q) => p.is_none().cmp(&q.is_none()),
            },
            SortMode::Level => {
                let level = |f: &Facts| f.escalation.as_ref().map(|e| (e.level, !e.acknowledged));
                level(fy).cmp(&level(fx))
            }
            SortMode::Metric => {
                (x.sum.metric.is_none(), x.sum.metric).cmp(&(y.sum.metric.is_none(), y.sum.metric))
            }
            SortMode::Used => used_share(y).cmp(&used_share(x)),
            SortMode::Age => fx.detected_at.cmp(&fy.detected_at),
            SortMode::Activity => fy.last_event_at.cmp(&fx.last_event_at),
        }
        .then_with(|| urg(x).cmp(&urg(y)));
        let by = if self.sort.reverse { by.reverse() } else { by };
        self.group
            .name(x)
            .cmp(&self.group.name(y))
            .then(by)
            .then(a.cmp(&b))
    }

    fn matches(&self, i: u32) -> bool {
        let e = self.slots.get(i).expect("entry");
        self.filter.matches(e, &self.agent)
    }

    /// Takes ticket `i` out of the orders (before its sort key changes).
    fn unplace(&mut self, i: u32) {
        let find = |v: &[u32], this: &Board| -> Option<usize> {
            if this.frozen {
                v.iter().position(|&j| j == i)
            } else {
                v.binary_search_by(|&j| this.cmp(j, i)).ok()
            }
        };
        if let Some(p) = find(&self.order, self) {
            self.order.remove(p);
        } else if let Some(p) = self.order.iter().position(|&j| j == i) {
            self.order.remove(p);
        }
        if let Some(p) = find(&self.visible, self) {
            self.visible.remove(p);
        } else if let Some(p) = self.visible.iter().position(|&j| j == i) {
            self.visible.remove(p);
        }
    }

    /// Puts ticket `i` into the orders at its place (at the end while frozen).
    fn place(&mut self, i: u32) {
        if self.frozen {
            self.order.push(i);
            if self.matches(i) {
                self.visible.push(i);
            }
            return;
        }
        let p = self
            .order
            .binary_search_by(|&j| self.cmp(j, i))
            .unwrap_or_else(|p| p);
        self.order.insert(p, i);
        if self.matches(i) {
            let p = self
                .visible
                .binary_search_by(|&j| self.cmp(j, i))
                .unwrap_or_else(|p| p);
            self.visible.insert(p, i);
        }
    }

    fn rebuild(&mut self) {
        let mut order: Vec<u32>;
        if self.sort == Sort::default() && self.group == GroupBy::None {
            // The common case, with flat keys sorted in one array: several times
            // faster than `cmp`, which follows two pointers per comparison.
            let mut keys: Vec<(Class, Micros, Priority, Micros, u32)> = self
                .slots
                .iter()
                .map(|(i, e)| {
                    (
                        e.sum.class,
                        e.sum.due.unwrap_or(Micros::MAX),
                        e.facts.priority,
                        e.facts.detected_at,
                        i,
                    )
                })
                .collect();
            keys.sort_unstable();
            order = keys.into_iter().map(|k| k.4).collect();
        } else {
            order = self.slots.iter().map(|(i, _)| i).collect();
            order.sort_unstable_by(|&a, &b| self.cmp(a, b));
        }
        self.order = order;
        self.refilter();
    }

    fn refilter(&mut self) {
        self.visible = if self.filter.is_empty() {
            self.order.clone()
        } else {
            let pass = self.passing();
            self.order
                .iter()
                .copied()
                .filter(|&i| pass[i as usize])
                .collect()
        };
        self.version += 1;
    }

    /// Whether each slot's entry passes the filter, read in slot order: entries and
    /// their facts lie in memory about as they were loaded, so this reads them front
    /// to back, several times faster at 100,000 than in the queue's order.
    fn passing(&self) -> Vec<bool> {
        let mut pass = vec![false; self.slots.bound()];
        for (i, e) in self.slots.iter() {
            pass[i as usize] = self.filter.matches(e, &self.agent);
        }
        pass
    }
}

/// The summary of a ticket's clocks evaluated at `now`: its most urgent live clock
/// (breached first, then soonest due) and when anything about it next changes.
pub fn summarize_clocks(clocks: &[Clock], policy: &Policy, cal: &Calendar, now: Micros) -> Summary {
    let urgent = clocks.iter().filter(|c| c.is_live()).min_by_key(|c| {
        (
            c.state != ClockState::Breached,
            c.due.unwrap_or(Micros::MAX),
        )
    });
    let Some(c) = urgent else {
        return Summary {
            at: now,
            class: Class::Idle,
            metric: None,
            state: None,
            due: None,
            target: 0,
            elapsed: 0,
            severity: Severity::Ok,
            next_change: None,
        };
    };
    let warnings = policy.warnings_for(c.metric);
    let severity = warnings.severity(c.elapsed, c.target, c.is_breached());
    let class = match c.state {
        ClockState::Breached => Class::Breached,
        ClockState::Paused => Class::Paused,
        _ => Class::Running,
    };
    // Breach instants of every running clock; threshold instants of the urgent one.
    let mut next: Option<Micros> = None;
    let mut consider = |t: Option<Micros>| {
        if let Some(t) = t.filter(|&t| t > now) {
            next = Some(next.map_or(t, |n| n.min(t)));
        }
    };
    for k in clocks.iter().filter(|k| k.state == ClockState::Running) {
        consider(k.due.map(|d| d + 1));
    }
    if c.state == ClockState::Running {
        // Severity changes only at the first and last threshold of each list; only
        // the nearest one ahead matters (one calendar lookup, not four).
        let pct = |p: &u8| crate::sla::policy::percent_mark(c.target, *p);
        let min = |m: &u32| crate::sla::policy::minutes_mark(c.target, *m);
        let ahead = [
            warnings.percent.first().map(pct),
            warnings.percent.last().map(pct),
            warnings.minutes_before.first().map(min),
            warnings.minutes_before.last().map(min),
        ]
        .into_iter()
        .flatten()
        .filter(|&e| e > c.elapsed && e < c.target)
        .min();
        if let Some(e) = ahead {
            consider(cal.due_micros(now, e - c.elapsed));
        }
    }
    Summary {
        at: now,
        class,
        metric: Some(c.metric),
        state: Some(c.state),
        due: c.due,
        target: c.target,
        elapsed: c.elapsed,
        severity,
        next_change: next,
    }
}

/// Sanitises the display texts (id, customer, title, service, assignee, escalation
/// target). Facts whose texts are all plain ASCII, nearly all of them, stay shared
/// with whoever else holds them (the nudge scheduler); the others are copied once.
fn sanitise(facts: &mut Arc<Facts>) {
    fn plain(s: &str) -> bool {
        s.bytes().all(|b| (0x20..0x7f).contains(&b))
    }
    fn tidy<S: std::ops::Deref<Target = str> + From<String>>(s: &mut S) {
        if !plain(s) {
            *s = clean(s).into();
        }
    }
    let f = &**facts;
    let clean_already = [&*f.ticket, &*f.customer, &*f.title]
        .into_iter()
        .chain(f.service.as_deref())
        .chain(f.assignee.as_deref())
        .chain(f.escalation.as_ref().map(|x| &*x.to))
        .all(plain);
    if clean_already {
        return;
    }
    let f = Arc::make_mut(facts);
    [&mut f.ticket, &mut f.title]
        .into_iter()
        .chain(f.assignee.as_mut())
        .chain(f.escalation.as_mut().map(|x| &mut x.to))
        .for_each(tidy);
    [&mut f.customer]
        .into_iter()
        .chain(f.service.as_mut())
        .for_each(tidy);
}

/// The priorities a quick filter bit stands for, for labels.
pub fn priority_bit(p: Priority) -> u16 {
    1 << p.level().min(4)
}
