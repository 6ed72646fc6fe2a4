//! `slawatch penalties`: a month's penalties per contract, recorded as events on request;
//! `slawatch penalties adjust`: a negotiated waiver or reduction, as a new event.

use std::collections::BTreeMap;

use anyhow::{anyhow, bail};
use clap::{Args, Subcommand};
use rust_decimal::Decimal;

use super::config_args::{now_arg, ConfigArgs};
use crate::config::Compiled;
use crate::model::{Event, EventKind};
use crate::remote::Client;
use crate::report::text::terminal;
use crate::sla::penalty::money::{format_money, parse_decimal, saturating_sum};
use crate::sla::penalty::record::{adjustment_event, penalty_event};
use crate::sla::penalty::{evaluate_contract, fmt_instant, Book, Env, Month};
use crate::store::{Expect, Store, StoreTarget};
use serde::{Deserialize, Serialize};

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct PenaltiesArgs {
    #[command(subcommand)]
    pub cmd: Option<PenaltiesCmd>,
    /// The billing month, YYYY-MM (in each contract's time zone).
    #[arg(long)]
    pub month: Option<String>,
    /// Only this customer's contracts.
    #[arg(long)]
    pub customer: Option<String>,
    /// Append a `penalty` event for every breached term whose figure is final. Safe to
    /// repeat: event ids come from contract, term and month.
    #[arg(long)]
    pub record: bool,
    /// Who records (the events' actor).
    #[arg(long, default_value = "slawatch-penalties")]
    pub actor: String,
    /// Compute as of this instant (RFC 3339) instead of now.
    #[arg(long)]
    pub now: Option<String>,
    #[command(flatten)]
    pub config: ConfigArgs,
}

/// `penalties adjust --actor` when not given.
const ADJUST_ACTOR: &str = "supervisor";

#[derive(Subcommand, Debug)]
pub enum PenaltiesCmd {
    /// Record a negotiated amount for a penalty (0 waives it); the original stays.
    Adjust {
        /// The penalty event's id, as `slawatch penalties` prints it.
        penalty: String,
        /// The agreed amount now owed, in the penalty's currency.
        #[arg(long)]
        amount: String,
        /// Why (the negotiation, the agreement's reference).
        #[arg(long)]
        reason: String,
        /// Who records; through --server the token's name signs instead.
        #[arg(long, default_value = ADJUST_ACTOR)]
        actor: String,
        #[arg(long)]
        now: Option<String>,
        #[command(flatten)]
        config: ConfigArgs,
    },
}

pub fn run(args: PenaltiesArgs, db: &StoreTarget) -> anyhow::Result<()> {
    if let Some(PenaltiesCmd::Adjust {
        penalty,
        amount,
        reason,
        actor,
        now,
        config,
    }) = args.cmd
    {
        return adjust(
            db,
            &penalty,
            &amount,
            &reason,
            &actor,
            now.as_deref(),
            &config,
        );
    }
    let month = month_arg(args.month.as_deref())?;
    let now = now_arg(args.now.as_deref())?;
    let bundle = args.config.bundle()?;
    let compiled = bundle.compile().map_err(|e| anyhow!("{e}"))?;
    let mut store = if args.record {
        db.open()?
    } else {
        db.open_read_only()?
    };
    let record = args.record.then_some(args.actor.as_str());
    let st = statement(
        &compiled,
        &bundle.contracts.path,
        &*store,
        month,
        args.customer.as_deref(),
        record,
        now,
    )?;
    for l in &st.lines {
        println!("{l}");
    }
    if !st.to_record.is_empty() {
        let n = store.append_all(&st.to_record)?;
        println!("recorded {n} penalty event(s)");
    } else if args.record {
        println!("recorded nothing new");
    }
    st.differences()
}

/// `penalties --server`: the server computes, with `--record` the events it proposes
/// (signed by the token's name) are posted back to it.
pub fn run_remote(args: PenaltiesArgs, server: &Client) -> anyhow::Result<()> {
    if let Some(PenaltiesCmd::Adjust {
        penalty,
        amount,
        reason,
        actor,
        now,
        config,
    }) = args.cmd
    {
        config.refuse_with_server()?;
        return adjust_remote(server, &penalty, &amount, &reason, &actor, now.as_deref());
    }
    args.config.refuse_with_server()?;
    let month = args
        .month
        .as_deref()
        .ok_or_else(|| anyhow!("--month YYYY-MM is required (or use `penalties adjust`)"))?;
    let mut query = vec![("month", month)];
    if let Some(c) = &args.customer {
        query.push(("customer", c));
    }
    if let Some(n) = &args.now {
        query.push(("now", n));
    }
    if args.record {
        query.push(("record", "true"));
    }
    let answer = server.get_json("/v1/penalties", &query)?;
    let st: Statement = serde_json::from_value(answer).map_err(|e| {
        anyhow!(
            "server {}: an unexpected penalty statement: {e}",
            server.server()
        )
    })?;
    for l in &st.lines {
        println!("{}", terminal(l));
    }
    if !st.to_record.is_empty() {
        let mut body = Vec::new();
        crate::formats::write_jsonl(&st.to_record, &mut body)?;
        match server.post("/v1/events", "application/x-ndjson", body)? {
            Ok(stored) => println!(
                "recorded {} penalty event(s)",
                stored["stored"].as_u64().unwrap_or(0)
            ),
            Err(refusal) => return Err(server.refused(&refusal)),
        }
    } else if args.record {
        println!("recorded nothing new");
    }
    st.differences()
}

fn month_arg(month: Option<&str>) -> anyhow::Result<Month> {
    month
        .ok_or_else(|| anyhow!("--month YYYY-MM is required (or use `penalties adjust`)"))?
        .parse()
        .map_err(|e| anyhow!("--month: {e}"))
}

/// A month's penalty statement: the lines to print, the penalty events `--record` would
/// append, and the recorded penalties that differ from the recomputation.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Statement {
    pub lines: Vec<String>,
    pub to_record: Vec<Event>,
    pub differs: Vec<String>,
}

impl Statement {
    /// The run's verdict: an error when a recorded penalty differs.
    pub fn differences(&self) -> anyhow::Result<()> {
        let differs = &self.differs;
        if !differs.is_empty() {
            bail!(
                "{} recorded penalt{} from the recomputation: {}",
                differs.len(),
                if differs.len() == 1 {
                    "y differs"
                } else {
                    "ies differ"
                },
                terminal(&differs.join(", "))
            );
        }
        Ok(())
    }
}

/// There is no contract to compute (the server's 404).
#[derive(Debug)]
pub struct NoContract(pub String);

impl std::fmt::Display for NoContract {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for NoContract {}

/// The month's penalties per contract over every event of `store`; with `record`
/// (the actor), the penalty events to append.
pub fn statement(
    compiled: &Compiled,
    contracts_path: &impl std::fmt::Display,
    store: &(impl Store + ?Sized),
    month: Month,
    customer: Option<&str>,
    record: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<Statement> {
    let env = Env {
        policies: &compiled.policies,
        calendars: &compiled.calendars,
    };
    let mut events = Vec::new();
    store.for_each_event(None, &mut |s| {
        events.push(s.event);
        Ok(())
    })?;
    let book = Book::from_events(env, &events, now);
    let existing: BTreeMap<&str, &Event> = events
        .iter()
        .filter(|e| e.kind == EventKind::Penalty)
        .map(|e| (e.id.as_str(), e))
        .collect();
    let contracts: Vec<_> = compiled
        .contracts
        .0
        .iter()
        .filter(|c| customer.is_none_or(|x| x == c.customer))
        .collect();
    if contracts.is_empty() {
        return Err(NoContract(format!(
            "no contract{} in {contracts_path}",
            customer.map_or(String::new(), |c| format!(
                " for customer {:?}",
                terminal(c)
            )),
        ))
        .into());
    }
    let mut st = Statement::default();
    let mut totals: BTreeMap<String, Decimal> = BTreeMap::new();
    let lines = &mut st.lines;
    let to_record = &mut st.to_record;
    let differs = &mut st.differs;
    for c in contracts {
        let cm = evaluate_contract(env, c, &book, month);
        lines.push(format!(
            "{} ({}) {month}: monthly fee {}, billed in {} ({} to {})",
            terminal(&c.id),
            terminal(&c.customer),
            format_money(c.monthly_fee, &c.currency),
            c.timezone.name(),
            fmt_instant(cm.start, c.timezone),
            fmt_instant(cm.end, c.timezone)
        ));
        for t in &cm.terms {
            let verdict = match (&t.band_label, t.breached) {
                (Some(b), true) => format!("breached, {}", terminal(b)),
                (None, true) => "breached".to_owned(),
                _ => "met".to_owned(),
            };
            lines.push(format!(
                "  {:<16} {} {} {}: actual {} — {verdict}: {}{}",
                terminal(&t.term),
                t.kpi,
                t.operator.as_str(),
                terminal(&t.threshold),
                terminal(&t.actual),
                format_money(t.amount, &t.currency),
                if t.is_final() { "" } else { " (not final)" }
            ));
            if t.breached && !t.tickets.is_empty() {
                lines.push(format!(
                    "      tickets: {}",
                    terminal(&t.tickets.join(", "))
                ));
            }
            let total = totals.entry(t.currency.clone()).or_default();
            *total = saturating_sum([*total, t.amount]);
            let Some(actor) = record.filter(|_| t.breached) else {
                continue;
            };
            match penalty_event(c, t, now, actor) {
                Err(why) => lines.push(format!("      not recorded: {}", terminal(&why))),
                Ok(e) => match existing.get(e.id.as_str()) {
                    Some(old) if same_penalty(old, &e) => {
                        lines.push(format!("      already recorded as {}", e.id))
                    }
                    Some(old) => {
                        lines.push(format!(
                            "      DIFFERS from the recorded {} ({} → {}): record an adjustment with the reason",
                            e.id,
                            old.text("amount").unwrap_or("?"),
                            e.text("amount").unwrap_or("?")
                        ));
                        differs.push(e.id.clone());
                    }
                    None => {
                        lines.push(format!("      recording {}", e.id));
                        to_record.push(e);
                    }
                },
            }
        }
        for p in book
            .recorded
            .iter()
            .filter(|p| p.contract == c.id && p.period == month.to_string())
        {
            let computed = cm.terms.iter().find(|t| t.term == p.term);
            let mark = match computed {
                Some(t) if t.amount == p.amount && t.currency == p.currency => String::new(),
                Some(t) => format!(
                    " — DIFFERS from the computed {}",
                    format_money(t.amount, &t.currency)
                ),
                None => format!(
                    " — DIFFERS: contract {} has no term {} to compute it from",
                    terminal(&c.id),
                    terminal(&p.term)
                ),
            };
            if !mark.is_empty() && !differs.contains(&p.event.id) {
                differs.push(p.event.id.clone());
            }
            lines.push(format!(
                "  recorded {}: {}{}{mark}",
                terminal(&p.event.id),
                format_money(p.amount, &terminal(&p.currency)),
                match p.adjustments.last() {
                    Some(a) => format!(
                        ", adjusted to {} ({})",
                        format_money(a.amount, &terminal(&p.currency)),
                        terminal(&a.reason)
                    ),
                    None => String::new(),
                }
            ));
        }
        for (_, why) in book.problems.iter().filter(|(id, _)| *id == c.ledger()) {
            lines.push(format!("  not counted: {}", terminal(why)));
        }
    }
    for (cur, total) in &totals {
        lines.push(format!("total {month}: {}", format_money(*total, cur)));
    }
    Ok(st)
}

/// The same penalty, whenever it was recorded and however its calculation was worded:
/// the figures that decide the amount are equal.
fn same_penalty(a: &Event, b: &Event) -> bool {
    const DECISIVE: [&str; 11] = [
        "contract",
        "term",
        "kpi",
        "period",
        "operator",
        "threshold",
        "actual",
        "band",
        "amount",
        "currency",
        "tickets",
    ];
    a.ticket == b.ticket
        && a.at == b.at
        && DECISIVE
            .iter()
            .all(|k| a.payload.get(*k) == b.payload.get(*k))
}

fn adjust(
    db: &StoreTarget,
    penalty: &str,
    amount: &str,
    reason: &str,
    actor: &str,
    now: Option<&str>,
    config: &ConfigArgs,
) -> anyhow::Result<()> {
    let now = now_arg(now)?;
    let amount = parse_decimal(amount).map_err(|e| anyhow!("--amount: {e}"))?;
    let bundle = config.bundle()?;
    let compiled = bundle.compile().map_err(|e| anyhow!("{e}"))?;
    let env = Env {
        policies: &compiled.policies,
        calendars: &compiled.calendars,
    };
    let mut store = db.open()?;
    let mut ledger = None;
    store.for_each_event(None, &mut |s| {
        if s.event.kind == EventKind::Penalty && s.event.id == penalty {
            ledger = Some(s.event.ticket.clone());
        }
        Ok(())
    })?;
    let Some(ledger) = ledger else {
        bail!(
            "store {} has no penalty event {:?}; `slawatch penalties --month YYYY-MM` lists them",
            db,
            terminal(penalty)
        );
    };
    let history = store.history(&ledger)?;
    let head = history.last().map(|s| s.hash.clone()).unwrap_or_default();
    let events: Vec<Event> = history.into_iter().map(|s| s.event).collect();
    let (e, said) = adjustment(env, &events, penalty, amount, reason, now, actor)?;
    store.append(&e, Expect::Head(&head))?;
    println!("{said}");
    Ok(())
}

/// The adjustment event of `penalty` among its ledger's `events`, and the line that
/// says what it records.
fn adjustment(
    env: Env,
    events: &[Event],
    penalty: &str,
    amount: Decimal,
    reason: &str,
    now: chrono::DateTime<chrono::Utc>,
    actor: &str,
) -> anyhow::Result<(Event, String)> {
    let book = Book::from_events(
        env,
        events,
        now.max(chrono::DateTime::<chrono::Utc>::MIN_UTC),
    );
    let Some(p) = book.recorded.iter().find(|p| p.event.id == penalty) else {
        bail!("penalty {penalty:?} lies after --now");
    };
    let e = adjustment_event(p, amount, reason, now, actor).map_err(|e| anyhow!("{e}"))?;
    let said = format!(
        "recorded adjustment {}: {} {} → {} ({})",
        e.id,
        p.event.id,
        format_money(p.net(), &p.currency),
        format_money(
            parse_decimal(e.text("amount").unwrap_or("0")).unwrap_or_default(),
            &p.currency
        ),
        terminal(reason.trim())
    );
    Ok((e, said))
}

/// `penalties adjust --server`: the penalty's ledger is read from the server, the
/// adjustment signed with the token's name and posted at the ledger's head, so an
/// adjustment recorded meanwhile by someone else is never overwritten unseen.
fn adjust_remote(
    server: &Client,
    penalty: &str,
    amount: &str,
    reason: &str,
    actor: &str,
    now: Option<&str>,
) -> anyhow::Result<()> {
    let now = now_arg(now)?;
    let amount = parse_decimal(amount).map_err(|e| anyhow!("--amount: {e}"))?;
    let unexpected = |what: &str| anyhow!("server {}: {what}", server.server());
    let me = server.get_json("/v1/whoami", &[])?;
    let name = me["name"]
        .as_str()
        .ok_or_else(|| unexpected("whoami without a name"))?
        .to_owned();
    if actor != ADJUST_ACTOR && actor != name {
        bail!(
            "--actor {:?}: through --server the token's name {:?} signs the adjustment",
            terminal(actor),
            terminal(&name)
        );
    }
    let ledger = penalty_ledger(server, penalty)?.ok_or_else(|| {
        anyhow!(
            "server {} has no penalty event {:?}; `slawatch penalties --month YYYY-MM` lists them",
            server.server(),
            terminal(penalty)
        )
    })?;
    let path = format!("/v1/tickets/{}", super::evidence_cmd::url_segment(&ledger));
    let one = server.get_json(&path, &[])?;
    let head = one["ticket"]["head"]
        .as_str()
        .ok_or_else(|| unexpected("a ticket without a head"))?
        .to_owned();
    let events: Vec<Event> = one["events"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(serde_json::from_value)
        .collect::<Result<_, _>>()
        .map_err(|e| unexpected(&format!("an event that does not read: {e}")))?;
    let bundle = ConfigArgs::default().bundle()?;
    let compiled = bundle.compile().map_err(|e| anyhow!("{e}"))?;
    let env = Env {
        policies: &compiled.policies,
        calendars: &compiled.calendars,
    };
    let (e, said) = adjustment(env, &events, penalty, amount, reason, now, &name)?;
    let body = serde_json::json!({"events": [e], "expect_heads": {ledger.as_str(): head}});
    match server.post("/v1/events", "application/json", body.to_string().into_bytes())? {
        Ok(_) => {
            println!("{said}");
            Ok(())
        }
        Err(r) if r.status == reqwest::StatusCode::CONFLICT => bail!(
            "server {}: the ledger {:?} changed while the adjustment was made (another adjustment?); nothing was recorded, run `penalties adjust` again",
            server.server(),
            terminal(&ledger)
        ),
        Err(r) => Err(server.refused(&r)),
    }
}

/// The ticket (ledger) the penalty event `penalty` is stored on, read from the feed.
fn penalty_ledger(server: &Client, penalty: &str) -> anyhow::Result<Option<String>> {
    let mut cursor = String::new();
    loop {
        let page = server.get_json("/v1/feed", &[("after", cursor.as_str()), ("wait", "0")])?;
        let events = page["events"].as_array().cloned().unwrap_or_default();
        if events.is_empty() {
            return Ok(None);
        }
        if let Some(e) = events
            .iter()
            .find(|e| e["kind"] == "penalty" && e["id"] == penalty)
        {
            return Ok(e["ticket"].as_str().map(str::to_owned));
        }
        cursor = page["cursor"]
            .as_str()
            .ok_or_else(|| anyhow!("server {}: a feed page without a cursor", server.server()))?
            .to_owned();
    }
}
