//! The small modal forms that record one event each, usable with the keyboard alone.
//!
//! A form owns its fields and focus; a focused text field takes printable characters
//! before the keymap's [form] section (submit, cancel, next/previous field, cycle a
//! choice). Submitting validates, then yields exactly one event signed by the agent.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::board::{Board, Entry};
use super::sanitize::clean;
use crate::model::{Event, EventKind, Payload, Priority};
use crate::sla::Metric;

/// Longest text a field takes, in characters.
pub const MAX_TEXT: usize = 1000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormKind {
    Acknowledge,
    Escalate,
    ClientUpdate,
    CarrierUpdate,
    Pause,
    Resume,
    Restored,
    Resolve,
    Note,
    Priority,
    Assign,
}

impl FormKind {
    pub fn title(self) -> &'static str {
        match self {
            FormKind::Acknowledge => "Acknowledge",
            FormKind::Escalate => "Escalate",
            FormKind::ClientUpdate => "Client update",
            FormKind::CarrierUpdate => "Carrier update",
            FormKind::Pause => "Pause the clocks",
            FormKind::Resume => "Resume the clocks",
            FormKind::Restored => "Service restored",
            FormKind::Resolve => "Resolve",
            FormKind::Note => "Note",
            FormKind::Priority => "Change priority",
            FormKind::Assign => "Assign",
        }
    }

    /// Its event means something only on the ticket as the agent saw it: another
    /// agent's escalation or resolution in between changes what they would decide.
    /// Updates and notes add to any ticket.
    pub fn guarded(self) -> bool {
        !matches!(
            self,
            FormKind::ClientUpdate | FormKind::CarrierUpdate | FormKind::Note
        )
    }

    pub fn event_kind(self) -> EventKind {
        match self {
            FormKind::Acknowledge => EventKind::Acknowledged,
            FormKind::Escalate => EventKind::Escalated,
            FormKind::ClientUpdate => EventKind::ClientUpdate,
            FormKind::CarrierUpdate => EventKind::CarrierUpdate,
            FormKind::Pause => EventKind::Paused,
            FormKind::Resume => EventKind::Resumed,
            FormKind::Restored => EventKind::Restored,
            FormKind::Resolve => EventKind::Resolved,
            FormKind::Note => EventKind::Note,
            FormKind::Priority => EventKind::PriorityChanged,
            FormKind::Assign => EventKind::Assigned,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum FieldKind {
    Text {
        value: String,
        /// In characters.
        cursor: usize,
        required: bool,
    },
    /// (payload value, label shown)
    Choice {
        options: Vec<(Value, String)>,
        selected: usize,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    /// The payload key it fills.
    pub name: &'static str,
    pub label: &'static str,
    pub kind: FieldKind,
    /// For a field that names someone: the names already on tickets, which it
    /// completes; a name not among them is recorded only once confirmed.
    pub names: Vec<String>,
}

impl Field {
    fn text(name: &'static str, label: &'static str, value: &str, required: bool) -> Field {
        Field {
            name,
            label,
            kind: FieldKind::Text {
                value: value.to_owned(),
                cursor: value.chars().count(),
                required,
            },
            names: Vec::new(),
        }
    }

    /// A text field naming a person or team, completed from `names`.
    fn who(label: &'static str, value: &str, names: &[String]) -> Field {
        Field {
            names: names.to_vec(),
            ..Field::text("to", label, value, true)
        }
    }

    /// The known names that start with what is typed (ignoring case), in order.
    pub fn known_matching(&self) -> Vec<&str> {
        let FieldKind::Text { value, .. } = &self.kind else {
            return Vec::new();
        };
        let typed = value.trim().to_lowercase();
        self.names
            .iter()
            .filter(|n| n.to_lowercase().starts_with(&typed))
            .map(String::as_str)
            .collect()
    }

    /// Whether the value is a name on no ticket yet.
    pub fn is_new_name(&self) -> bool {
        match &self.kind {
            FieldKind::Text { value, .. } if !self.names.is_empty() => {
                let v = value.trim();
                !v.is_empty() && !self.names.iter().any(|n| n == v)
            }
            _ => false,
        }
    }

    /// The known name completing would take: the first that starts with what is
    /// typed and is not it already (the cursor at the end of the text).
    fn best_match(&self) -> Option<&str> {
        let FieldKind::Text { value, cursor, .. } = &self.kind else {
            return None;
        };
        if value.is_empty() || *cursor < value.chars().count() {
            return None;
        }
        self.known_matching().into_iter().find(|n| *n != value)
    }

    /// What completing would add after the typed text.
    pub fn completion(&self) -> Option<String> {
        let FieldKind::Text { value, .. } = &self.kind else {
            return None;
        };
        let best = self.best_match()?;
        Some(best.chars().skip(value.chars().count()).collect())
    }

    fn choice(
        name: &'static str,
        label: &'static str,
        options: Vec<(Value, String)>,
        selected: usize,
    ) -> Field {
        Field {
            name,
            label,
            kind: FieldKind::Choice { options, selected },
            names: Vec::new(),
        }
    }

    pub fn is_text(&self) -> bool {
        matches!(self.kind, FieldKind::Text { .. })
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Form {
    pub kind: FormKind,
    /// The ticket id as stored.
    pub ticket: String,
    /// Sanitised, for the title.
    pub ticket_label: String,
    /// The ticket's title (sanitised, as the board keeps it), so the agent sees what
    /// the form is about without the row it covers.
    pub ticket_title: String,
    /// One line of context under the title (current level, what a pause stops...).
    pub context: String,
    pub fields: Vec<Field>,
    pub focus: usize,
    pub error: Option<String>,
    /// A field value that would record nothing new (the current priority).
    unchanged: Option<(&'static str, Value)>,
    /// How many of the ticket's events the agent had seen when the form opened (for a
    /// guarded kind): its event goes on top of those only.
    pub seen: Option<u32>,
    /// What others recorded on the ticket since, sanitised, one line each: the form
    /// came back because of them.
    pub moved: Vec<String>,
    /// A name on no ticket yet that the agent confirmed by submitting it twice.
    new_name: Option<String>,
}

/// Forms whose events are on their way to the store, by event id, so that a form
/// whose ticket moved on meanwhile comes back as the agent left it.
#[derive(Clone, Debug, Default)]
pub struct Submitted(std::collections::VecDeque<(String, Form)>);

impl Submitted {
    /// More than an agent submits while the store is slow; the oldest go first.
    const KEPT: usize = 32;

    pub fn keep(&mut self, id: String, form: Form) {
        if self.0.len() == Self::KEPT {
            self.0.pop_front();
        }
        self.0.push_back((id, form));
    }

    pub fn take(&mut self, id: &str) -> Option<Form> {
        let i = self.0.iter().position(|(x, _)| x == id)?;
        self.0.remove(i).map(|(_, f)| f)
    }
}

fn choices<S: AsRef<str>>(items: &[S]) -> Vec<(Value, String)> {
    items
        .iter()
        .map(|s| (json!(s.as_ref()), s.as_ref().to_owned()))
        .collect()
}

impl Form {
    /// The form `kind` for ticket `e`. `Pause` on a paused ticket opens `Resume`.
    pub fn open(kind: FormKind, e: &Entry, board: &Board, agent: &str) -> Form {
        let f = &e.facts;
        let mut kind = kind;
        if kind == FormKind::Pause && f.current_pause().is_some() {
            kind = FormKind::Resume;
        }
        let mut context = String::new();
        let fields = match kind {
            FormKind::Acknowledge => {
                if let Some(x) = f.escalation.as_ref().filter(|x| !x.acknowledged) {
                    context = format!(
                        "acknowledges the level {} escalation to {} too",
                        x.level, x.to
                    );
                } else if f.first_response_at.is_some() {
                    context = "already acknowledged: records another acknowledgement".into();
                }
                vec![Field::text("note", "Note", "", false)]
            }
            FormKind::Escalate => {
                let current = f.escalation.as_ref().map_or(0, |x| x.level);
                let next = (current + 1).min(9);
                context = match &f.escalation {
                    Some(x) => format!("now at level {} (to {})", x.level, x.to),
                    None => "not escalated yet".into(),
                };
                let levels: Vec<(Value, String)> = (1..=9u8)
                    .map(|l| (json!(l), format!("level {l}")))
                    .collect();
                vec![
                    Field::choice("level", "Level", levels, usize::from(next - 1)),
                    Field::who("To", "", &board.names(agent)),
                    Field::text("note", "Note", "", false),
                ]
            }
            FormKind::ClientUpdate => {
                context = "restarts the client-update clock".into();
                vec![
                    Field::choice(
                        "channel",
                        "Channel",
                        choices(&["email", "phone", "portal", "chat", "sms"]),
                        0,
                    ),
                    Field::text("message", "Message", "", true),
                ]
            }
            FormKind::CarrierUpdate => vec![
                Field::text("message", "Message", "", true),
                Field::text("reference", "Carrier ref", "", false),
            ],
            FormKind::Pause => {
                let reasons: Vec<(Value, String)> = board
                    .policy(e)
                    .map(|p| {
                        p.pause_reasons
                            .iter()
                            .map(|(r, ms)| {
                                let stops: Vec<&str> =
                                    ms.iter().map(|m| Metric::as_str(*m)).collect();
                                let label = if stops.is_empty() {
                                    format!("{} (stops no clock)", clean(r))
                                } else {
                                    format!("{} (stops {})", clean(r), stops.join(", "))
                                };
                                (json!(r), label)
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                if reasons.is_empty() {
                    context = "the ticket's policy lists no pause reasons".into();
                }
                vec![
                    Field::choice("reason", "Reason", reasons, 0),
                    Field::text("note", "Note", "", false),
                ]
            }
            FormKind::Resume => {
                if let Some(p) = f.current_pause() {
                    context = format!("paused: {}", clean(&p.reason));
                }
                vec![Field::text("note", "Note", "", false)]
            }
            FormKind::Restored => vec![
                Field::choice(
                    "verification",
                    "Verified by",
                    choices(&["monitoring", "remote test", "field test", "customer"]),
                    0,
                ),
                Field::choice(
                    "client_confirmed",
                    "Client confirmed",
                    vec![(json!(false), "no".into()), (json!(true), "yes".into())],
                    0,
                ),
                Field::text("note", "Note", "", false),
            ],
            FormKind::Resolve => {
                if f.restored_at.is_none() {
                    context = "not restored yet: resolving also restores".into();
                }
                vec![
                    Field::text("root_cause", "Root cause", "", true),
                    Field::text("note", "Note", "", false),
                ]
            }
            FormKind::Note => vec![Field::text("text", "Text", "", true)],
            FormKind::Priority => {
                context = format!("now {}", f.priority);
                // Every priority a ticket can carry, P1 to P9.
                let options: Vec<(Value, String)> = (1..=9u8)
                    .filter_map(Priority::new)
                    .map(|p| (json!(p.to_string()), p.to_string()))
                    .collect();
                let selected = usize::from(f.priority.level() - 1);
                vec![
                    Field::choice("priority", "Priority", options, selected),
                    Field::text("note", "Reason", "", false),
                ]
            }
            FormKind::Assign => {
                if let Some(a) = &f.assignee {
                    context = format!("now assigned to {a}");
                }
                vec![Field::who("To", agent, &board.names(agent))]
            }
        };
        let focus = fields.iter().position(Field::is_text).unwrap_or(0);
        let unchanged =
            (kind == FormKind::Priority).then(|| ("priority", json!(f.priority.to_string())));
        Form {
            unchanged,
            kind,
            ticket: e.key().to_owned(),
            ticket_label: f.ticket.to_string(),
            ticket_title: f.title.to_string(),
            context,
            fields,
            focus,
            error: None,
            seen: kind.guarded().then_some(f.events),
            moved: Vec::new(),
            new_name: None,
        }
    }

    /// Back from the store because the ticket moved on: `moved` tells how, and a
    /// second submit goes on top of the ticket as it is now.
    pub fn moved_on(&mut self, unseen: u32, moved: Vec<String>) {
        self.seen = self.seen.map(|n| n + unseen);
        self.moved = moved;
        self.error = None;
    }

    /// Says again what the form does to the ticket as it is now (`e`): a form that
    /// came back must not describe the ticket as it was.
    pub fn refresh_context(&mut self, e: &Entry, board: &Board, agent: &str) {
        self.context = Form::open(self.kind, e, board, agent).context;
    }

    pub fn focused(&self) -> Option<&Field> {
        self.fields.get(self.focus)
    }

    pub fn next_field(&mut self) {
        if !self.fields.is_empty() {
            self.focus = (self.focus + 1) % self.fields.len();
        }
    }

    pub fn prev_field(&mut self) {
        if !self.fields.is_empty() {
            self.focus = (self.focus + self.fields.len() - 1) % self.fields.len();
        }
    }

    /// Cycles the focused choice; on a text field, moves the cursor instead.
    pub fn cycle(&mut self, forward: bool) {
        let Some(f) = self.fields.get_mut(self.focus) else {
            return;
        };
        match &mut f.kind {
            FieldKind::Choice { options, selected } if !options.is_empty() => {
                let n = options.len();
                *selected = if forward {
                    (*selected + 1) % n
                } else {
                    (*selected + n - 1) % n
                };
            }
            FieldKind::Text { value, cursor, .. } => {
                let len = value.chars().count();
                *cursor = if forward {
                    (*cursor + 1).min(len)
                } else {
                    cursor.saturating_sub(1)
                };
            }
            FieldKind::Choice { .. } => {}
        }
    }

    /// Edits the focused text field. Returns false when the focus is not a text field
    /// (or, completing, when no known name completes it).
    pub fn edit(&mut self, edit: Edit) -> bool {
        if edit == Edit::Complete {
            let Some(field) = self.fields.get_mut(self.focus) else {
                return false;
            };
            let Some(best) = field.best_match().map(str::to_owned) else {
                return false;
            };
            if let FieldKind::Text { value, cursor, .. } = &mut field.kind {
                *cursor = best.chars().count();
                *value = best;
            }
            self.error = None;
            return true;
        }
        let Some(Field {
            kind: FieldKind::Text { value, cursor, .. },
            ..
        }) = self.fields.get_mut(self.focus)
        else {
            return false;
        };
        let byte = |v: &str, c: usize| v.char_indices().nth(c).map_or(v.len(), |(b, _)| b);
        match edit {
            Edit::Insert(s) => {
                let s = clean(&s);
                let room = MAX_TEXT.saturating_sub(value.chars().count());
                let s: String = s.chars().take(room).collect();
                let at = byte(value, *cursor);
                value.insert_str(at, &s);
                *cursor += s.chars().count();
            }
            Edit::Backspace => {
                if *cursor > 0 {
                    let at = byte(value, *cursor - 1);
                    value.remove(at);
                    *cursor -= 1;
                }
            }
            Edit::Delete => {
                if *cursor < value.chars().count() {
                    let at = byte(value, *cursor);
                    value.remove(at);
                }
            }
            // Handled above, before the field's text is borrowed.
            Edit::Complete => return false,
            Edit::Home => *cursor = 0,
            Edit::End => *cursor = value.chars().count(),
            Edit::Clear => {
                value.clear();
                *cursor = 0;
            }
        }
        self.error = None;
        true
    }

    /// The event this form records, or the field at fault (focused, with a message).
    pub fn submit(&mut self, agent: &str, now: DateTime<Utc>) -> Result<Event, String> {
        let mut payload = Payload::new();
        for (i, f) in self.fields.iter().enumerate() {
            match &f.kind {
                FieldKind::Text {
                    value, required, ..
                } => {
                    let v = clean(value).trim().to_owned();
                    if f.is_new_name() && self.new_name.as_deref() != Some(v.as_str()) {
                        self.focus = i;
                        self.new_name = Some(v.clone());
                        let msg = format!("\"{v}\" is on no ticket yet: submit again to record it");
                        self.error = Some(msg.clone());
                        return Err(msg);
                    }
                    if v.is_empty() {
                        if *required {
                            self.focus = i;
                            let msg = format!("{} is required", f.label);
                            self.error = Some(msg.clone());
                            return Err(msg);
                        }
                    } else {
                        payload.insert(f.name.into(), Value::String(v));
                    }
                }
                FieldKind::Choice { options, selected } => match options.get(*selected) {
                    Some((v, _)) => {
                        payload.insert(f.name.into(), v.clone());
                    }
                    None => {
                        self.focus = i;
                        let msg = format!("{}: nothing to choose from", f.label);
                        self.error = Some(msg.clone());
                        return Err(msg);
                    }
                },
            }
        }
        if let Some((name, v)) = &self.unchanged {
            if payload.get(*name) == Some(v) {
                self.focus = self
                    .fields
                    .iter()
                    .position(|f| f.name == *name)
                    .unwrap_or(0);
                let msg = format!("the ticket is already {}", v.as_str().unwrap_or("that"));
                self.error = Some(msg.clone());
                return Err(msg);
            }
        }
        let event = Event::new(
            self.ticket.clone(),
            self.kind.event_kind(),
            now,
            now,
            agent,
            payload,
        );
        if let Err(e) = event.validate() {
            let msg = e.to_string();
            self.error = Some(msg.clone());
            return Err(msg);
        }
        Ok(event)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Edit {
    Insert(String),
    Backspace,
    Delete,
    Home,
    End,
    Clear,
    /// Takes the known name the typed text starts.
    Complete,
}

#[cfg(test)]
#[path = "form_tests.rs"]
mod tests;
