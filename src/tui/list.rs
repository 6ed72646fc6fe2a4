//! List navigation, written once for every list the console shows: where a key moves
//! the cursor, and which rows are in view.

use super::action::Action;

/// The first row shown so that row `cur` of `len` is in a window of `h` rows,
/// scrolling from `offset` only as far as needed.
pub fn window(offset: usize, cur: usize, h: usize, len: usize) -> usize {
    let h = h.max(1);
    let mut o = offset.min(len.saturating_sub(h));
    if cur < o {
        o = cur;
    } else if cur >= o + h {
        o = cur + 1 - h;
    }
    o
}

/// Where a movement key takes the cursor at `cur` in a list of `len` rows, `page`
/// rows to a page; `None` for a key that does not move.
pub fn step(a: Action, cur: usize, len: usize, page: usize) -> Option<usize> {
    let last = len.saturating_sub(1);
    let cur = cur.min(last);
    Some(match a {
        Action::Up => cur.saturating_sub(1),
        Action::Down => (cur + 1).min(last),
        Action::PageUp => cur.saturating_sub(page.max(1)),
        Action::PageDown => (cur + page.max(1)).min(last),
        Action::Top => 0,
        Action::Bottom => last,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_stay_in_the_list_and_the_window_follows_the_cursor() {
        assert_eq!(step(Action::Up, 0, 5, 2), Some(0));
        assert_eq!(step(Action::Down, 4, 5, 2), Some(4));
        assert_eq!(step(Action::PageDown, 1, 5, 2), Some(3));
        assert_eq!(step(Action::PageUp, 1, 5, 2), Some(0));
        assert_eq!(step(Action::Bottom, 0, 5, 2), Some(4));
        assert_eq!(step(Action::Top, 3, 0, 2), Some(0));
        assert_eq!(step(Action::Open, 3, 5, 2), None);
        assert_eq!(window(0, 7, 5, 20), 3);
        assert_eq!(window(3, 4, 5, 20), 3);
        assert_eq!(window(3, 1, 5, 20), 1);
        assert_eq!(window(18, 5, 5, 6), 1);
    }
}
