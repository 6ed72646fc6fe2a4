//! Finding a text in ticket texts as an agent types it: ignoring case, without
//! allocating (the console's filter runs it over every open ticket at each keystroke).

use crate::sla::Facts;

/// Whether `lower` (lower case already) occurs in the ticket's id, customer, title or
/// assignee, ignoring case.
pub fn mentions(f: &Facts, lower: &str) -> bool {
    searched(f)
        .into_iter()
        .any(|text| contains_folded(text, lower))
}

/// The texts a search looks in: id, customer, title and assignee.
pub fn searched(f: &Facts) -> [&str; 4] {
    [
        &f.ticket,
        &f.customer,
        &f.title,
        f.assignee.as_deref().unwrap_or(""),
    ]
}

/// Whether `lower` (lower case already) occurs in `text` ignoring case, without
/// allocating: plain ASCII, nearly every text, byte by byte; anything else char by
/// char, each lower-cased as it is compared.
pub fn contains_folded(text: &str, lower: &str) -> bool {
    if lower.is_empty() {
        return true;
    }
    if text.is_ascii() {
        let (hay, needle) = (text.as_bytes(), lower.as_bytes());
        return hay.len() >= needle.len()
            && hay.windows(needle.len()).any(|w| {
                w.iter()
                    .zip(needle)
                    .all(|(h, n)| h.to_ascii_lowercase() == *n)
            });
    }
    text.char_indices()
        .any(|(at, _)| starts_folded(&text[at..], lower))
}

/// Whether `text` lower-cased starts with `lower`.
fn starts_folded(text: &str, lower: &str) -> bool {
    let mut want = lower.chars().peekable();
    for c in text.chars().flat_map(char::to_lowercase) {
        match want.next() {
            Some(w) if w == c => {}
            Some(_) => return false,
            None => return true,
        }
        if want.peek().is_none() {
            return true;
        }
    }
    false
}
