//! The screen's geometry, computed once per resize and read by both the key handling
//! (how far a page moves, what scrolls) and the drawing, so that they always agree.

/// Terminal rows that are not timeline in the ticket view: header 2, footer 1, facts
/// 3, clock header 1, four clocks, timeline header 1.
pub const TICKET_FIXED_ROWS: u16 = 12;

/// Where things go on a terminal of one size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    pub width: u16,
    pub height: u16,
    /// Rows of a list view's body (header 2, column header 1, footer 1 taken off).
    pub list_rows: usize,
    /// Timeline rows of the ticket view.
    pub timeline_rows: usize,
    /// Rows of the nudge log (its detail lines taken off too).
    pub nudge_rows: usize,
    /// Rows of the compliance table.
    pub compliance_rows: usize,
}

impl Layout {
    pub fn of(width: u16, height: u16) -> Layout {
        Layout {
            width,
            height,
            list_rows: usize::from(height.saturating_sub(4)),
            timeline_rows: usize::from(height.saturating_sub(TICKET_FIXED_ROWS)),
            nudge_rows: usize::from(height.saturating_sub(2 + 1 + 3 + 1)),
            compliance_rows: usize::from(height.saturating_sub(3 + 2 + 4)).max(1),
        }
    }

    /// How far a page key moves in a list.
    pub fn page(&self) -> usize {
        self.list_rows.max(1)
    }
}

impl Default for Layout {
    fn default() -> Layout {
        Layout::of(80, 24)
    }
}

/// What a mouse click landed on, worked out where the screen is drawn (see
/// `screen::hit`) so that update needs no geometry of its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hit {
    /// A row of the list in view.
    Row(usize),
    /// A column's heading in the queue: sort by it (again: the other way round).
    Sort(super::board::SortMode),
}
