//! What to say about a name that is not defined: every defined name when there are
//! few, else the closest few by edit distance, so that a file with 20,000 calendars
//! does not answer a typo with 20,000 names.

/// Up to this many defined names are listed in full.
const LIST_ALL_UP_TO: usize = 10;
/// How many close names are suggested from a longer list.
const SUGGESTED: usize = 3;

/// "expected one of: a, b" or "did you mean `x` or `y`? (of 20000 calendars)", for
/// `name` among `known` (`what` is the plural noun: "calendars").
pub fn expected_one_of<'a>(
    name: &str,
    known: impl IntoIterator<Item = &'a str>,
    what: &str,
) -> String {
    let known: Vec<&str> = known.into_iter().collect();
    if known.is_empty() {
        return format!("no {what} are defined");
    }
    if known.len() <= LIST_ALL_UP_TO {
        return format!("expected one of: {}", known.join(", "));
    }
    let mut ranked: Vec<(usize, &str)> = known
        .iter()
        .map(|k| (strsim::levenshtein(name, k), *k))
        .collect();
    ranked.sort_unstable();
    // Farther than half the name's length is no longer a typo of it.
    let close_enough = (name.chars().count() / 2).max(2);
    let close: Vec<String> = ranked
        .iter()
        .take(SUGGESTED)
        .filter(|(d, _)| *d <= close_enough)
        .map(|(_, k)| format!("`{k}`"))
        .collect();
    let n = known.len();
    match close.as_slice() {
        [] => format!(
            "none of the {n} {what} is close to it (the first are {})",
            known[..SUGGESTED].join(", ")
        ),
        [one] => format!("did you mean {one}? ({n} {what} are defined)"),
        [init @ .., last] => format!(
            "did you mean {} or {last}? ({n} {what} are defined)",
            init.join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn few_names_are_listed_many_are_narrowed_to_the_closest() {
        assert_eq!(
            expected_one_of("ofice", ["24x7", "office"], "calendars"),
            "expected one of: 24x7, office"
        );
        let many: Vec<String> = (0..20_000).map(|i| format!("cal-{i:05}")).collect();
        let msg = expected_one_of("cal-1234", many.iter().map(String::as_str), "calendars");
        assert_eq!(
            msg,
            "did you mean `cal-01234`, `cal-10234` or `cal-11234`? (20000 calendars are defined)"
        );
        let msg = expected_one_of("zzzzzzzzzzzz", many.iter().map(String::as_str), "calendars");
        assert_eq!(
            msg,
            "none of the 20000 calendars is close to it (the first are cal-00000, cal-00001, cal-00002)"
        );
        assert_eq!(
            expected_one_of("x", [], "calendars"),
            "no calendars are defined"
        );
    }
}
