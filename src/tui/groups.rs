//! The queue's group headers: which rows form a group, what each header counts, and
//! which lines a window of the list shows once headers take lines too. Drawing, key
//! handling and the mouse all read the lines from here, so that they agree.

use super::board::{Board, Class, GroupBy};

/// Consecutive rows of the queue in one group (the order keeps a group together).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Run {
    pub first: usize,
    pub len: usize,
    pub breached: usize,
}

/// The groups of the queue as shown, recounted when the board changes.
#[derive(Clone, Debug, Default)]
pub struct Groups {
    version: Option<(u64, GroupBy)>,
    runs: Vec<Run>,
}

impl Groups {
    /// Recounts when the board or its grouping changed since the last count.
    pub fn refresh(&mut self, board: &Board) {
        let by = board.grouping();
        if self.version == Some((board.version, by)) {
            return;
        }
        self.version = Some((board.version, by));
        self.runs.clear();
        if by == GroupBy::None {
            return;
        }
        let rows = board.visible();
        let mut prev = None;
        for (r, e) in rows.iter().filter_map(|&i| board.entry(i)).enumerate() {
            let name = by.name(e);
            if prev != Some(name) {
                self.runs.push(Run {
                    first: r,
                    len: 0,
                    breached: 0,
                });
                prev = Some(name);
            }
            let run = self.runs.last_mut().expect("pushed");
            run.len += 1;
            run.breached += usize::from(e.sum.class == Class::Breached);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.runs.is_empty()
    }

    /// The group row `r` is in.
    pub fn run_of(&self, r: usize) -> Option<&Run> {
        let at = self.runs.partition_point(|g| g.first <= r);
        self.runs.get(at.checked_sub(1)?)
    }

    fn starts(&self, r: usize) -> bool {
        self.runs.binary_search_by_key(&r, |g| g.first).is_ok()
    }
}

/// One line of the list's body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Line {
    /// The header of the group that row starts (or, at the top, that row is in).
    Header(usize),
    Row(usize),
}

/// The lines a body of `h` lines shows of a list of `len` rows with the cursor on
/// `cur`, scrolling from the first row `offset` only as far as needed; and the first
/// row shown. The top line always names the group of the first row shown.
pub fn lines(
    groups: Option<&Groups>,
    offset: usize,
    cur: usize,
    h: usize,
    len: usize,
) -> (usize, Vec<Line>) {
    let mut offset = super::list::window(offset, cur, h, len);
    // One line is too few for a header and a row: headers go first.
    let groups = groups.filter(|g| !g.is_empty() && h >= 2);
    loop {
        let shown = fill(groups, offset, h, len);
        let cur_shown = shown.contains(&Line::Row(cur));
        if cur_shown || len == 0 || offset >= cur {
            return (offset, shown);
        }
        offset += 1;
    }
}

fn fill(groups: Option<&Groups>, offset: usize, h: usize, len: usize) -> Vec<Line> {
    let mut out = Vec::with_capacity(h);
    for r in offset..len {
        if let Some(g) = groups {
            if r == offset || g.starts(r) {
                if out.len() + 1 >= h {
                    break;
                }
                out.push(Line::Header(r));
            }
        }
        if out.len() >= h {
            break;
        }
        out.push(Line::Row(r));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn groups(runs: &[(usize, usize)]) -> Groups {
        Groups {
            version: None,
            runs: runs
                .iter()
                .map(|&(first, len)| Run {
                    first,
                    len,
                    breached: 0,
                })
                .collect(),
        }
    }

    #[test]
    fn headers_take_lines_and_the_cursor_stays_in_view() {
        let g = groups(&[(0, 2), (2, 3), (5, 1)]);
        let (offset, shown) = lines(Some(&g), 0, 0, 5, 6);
        assert_eq!(offset, 0);
        use Line::*;
        assert_eq!(shown, vec![Header(0), Row(0), Row(1), Header(2), Row(2)]);
        // The cursor on row 4 scrolls until it is shown, under its group's header.
        let (offset, shown) = lines(Some(&g), 0, 4, 5, 6);
        assert_eq!(offset, 2);
        assert_eq!(shown, vec![Header(2), Row(2), Row(3), Row(4)]);
        assert_eq!(g.run_of(4), Some(&g.runs[1]));
        assert_eq!(g.run_of(5), Some(&g.runs[2]));
        // A header never ends the body without a row under it.
        let (_, shown) = lines(Some(&g), 0, 1, 3, 6);
        assert_eq!(shown, vec![Header(0), Row(0), Row(1)]);
        let (offset, shown) = lines(None, 0, 4, 3, 6);
        assert_eq!((offset, shown), (2, vec![Row(2), Row(3), Row(4)]));
    }
}
