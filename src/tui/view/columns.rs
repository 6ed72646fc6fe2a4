//! How a table's columns share a terminal's width, for every table the same: the
//! title takes what is left; when nothing is left, columns give way in a stated
//! order (the title first), each shrinking before it goes. Ids and countdowns are
//! never in that order, so they are never cut.

/// Fits `cols` (one space between columns) into `w`: `title`'s width becomes what is
/// left (at least `min_title`), or the columns in `give_way` shrink and go, in order.
pub fn fit<T: PartialEq + Copy>(
    cols: &mut Vec<(T, usize)>,
    w: usize,
    title: T,
    min_title: usize,
    give_way: &[T],
) {
    let total = |cols: &[(T, usize)]| {
        cols.iter()
            .map(|c| c.1 + 1)
            .sum::<usize>()
            .saturating_sub(1)
    };
    let others = total(cols) - cols.iter().find(|c| c.0 == title).map_or(0, |c| c.1);
    let left = w.saturating_sub(others);
    if left >= min_title {
        for c in cols.iter_mut().filter(|c| c.0 == title) {
            c.1 = left;
        }
        return;
    }
    cols.retain(|c| c.0 != title);
    for &name in give_way.iter().filter(|&&n| n != title) {
        let over = total(cols).saturating_sub(w);
        if over == 0 {
            break;
        }
        if let Some(c) = cols.iter_mut().find(|c| c.0 == name) {
            // A column that cannot keep a few characters goes, with its space.
            c.1 = if c.1 > over + 3 { c.1 - over } else { 0 };
        }
        cols.retain(|c| c.1 > 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_title_takes_the_rest_then_columns_give_way_in_order() {
        let base = vec![("id", 10), ("customer", 9), ("title", 0), ("due", 9)];
        let mut cols = base.clone();
        fit(&mut cols, 60, "title", 6, &["title", "customer"]);
        assert_eq!(cols[2], ("title", 60 - 10 - 9 - 9 - 3));
        let mut cols = base.clone();
        fit(&mut cols, 32, "title", 6, &["title", "customer"]);
        assert_eq!(cols, vec![("id", 10), ("customer", 9), ("due", 9)]);
        let mut cols = base.clone();
        fit(&mut cols, 26, "title", 6, &["title", "customer"]);
        assert_eq!(cols, vec![("id", 10), ("customer", 5), ("due", 9)]);
        let mut cols = base;
        fit(&mut cols, 21, "title", 6, &["title", "customer"]);
        assert_eq!(
            cols,
            vec![("id", 10), ("due", 9)],
            "too narrow for a customer"
        );
    }
}
