//! Hand-written SVG charts for the HTML report: no scripts, no libraries.

use std::fmt::Write;

use super::text::html as h;

const W: f64 = 720.0;
const H: f64 = 200.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 14.0;
const BOTTOM: f64 = 30.0;

/// The colour of a priority's series.
pub fn priority_colour(level: u8) -> &'static str {
    match level {
        1 => "#b42318",
        2 => "#e36209",
        3 => "#bf8700",
        4 => "#0969da",
        _ => "#6e7781",
    }
}

fn frame(o: &mut String, title: &str, days: usize, y_labels: &[(f64, String)]) {
    let _ = write!(
        o,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {H}\" width=\"100%\" role=\"img\" aria-label=\"{}\" font-family=\"sans-serif\" font-size=\"10\">\n<title>{}</title>\n",
        h(title),
        h(title)
    );
    let plot_h = H - TOP - BOTTOM;
    for (frac, label) in y_labels {
        let y = TOP + plot_h * (1.0 - frac);
        let _ = writeln!(
            o,
            "<line x1=\"{LEFT}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#d0d7de\" stroke-width=\"0.5\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#5b6470\">{}</text>",
            W - RIGHT,
            LEFT - 4.0,
            y + 3.0,
            h(label)
        );
    }
    let step = (W - LEFT - RIGHT) / days.max(1) as f64;
    for d in 0..days {
        if d % 5 == 0 || d + 1 == days {
            let x = LEFT + step * (d as f64 + 0.5);
            let _ = writeln!(
                o,
                "<text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#5b6470\">{}</text>",
                H - BOTTOM + 14.0,
                d + 1
            );
        }
    }
}

/// Daily adherence, 0–100 %, one point per day; days without outcomes leave a gap.
pub fn adherence_line(title: &str, values: &[Option<f64>]) -> String {
    let mut o = String::new();
    let labels: Vec<(f64, String)> = [0.0, 0.25, 0.5, 0.75, 1.0]
        .into_iter()
        .map(|f| (f, format!("{:.0} %", f * 100.0)))
        .collect();
    frame(&mut o, title, values.len(), &labels);
    let plot_h = H - TOP - BOTTOM;
    let step = (W - LEFT - RIGHT) / values.len().max(1) as f64;
    let point = |i: usize, v: f64| {
        (
            LEFT + step * (i as f64 + 0.5),
            TOP + plot_h * (1.0 - v.clamp(0.0, 100.0) / 100.0),
        )
    };
    let mut path = String::new();
    let mut pen_down = false;
    for (i, v) in values.iter().enumerate() {
        match v {
            Some(v) => {
                let (x, y) = point(i, *v);
                let _ = write!(path, "{}{x:.1},{y:.1} ", if pen_down { "L" } else { "M" });
                pen_down = true;
            }
            None => pen_down = false,
        }
    }
    if !path.is_empty() {
        let _ = writeln!(
            o,
            "<path d=\"{}\" fill=\"none\" stroke=\"#0969da\" stroke-width=\"1.8\"/>",
            path.trim_end()
        );
    }
    for (i, v) in values.iter().enumerate() {
        if let Some(v) = v {
            let (x, y) = point(i, *v);
            let _ = writeln!(
                o,
                "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"2.4\" fill=\"#0969da\"><title>day {}: {v:.2} %</title></circle>",
                i + 1
            );
        }
    }
    o.push_str("</svg>\n");
    o
}

/// Breaches per day stacked by priority: `days[d]` lists (priority level, count).
pub fn breaches_bars(title: &str, days: &[Vec<(u8, u32)>]) -> String {
    let mut o = String::new();
    let max = days
        .iter()
        .map(|d| d.iter().map(|(_, n)| n).sum::<u32>())
        .max()
        .unwrap_or(0)
        .max(1);
    // Whole-number gridlines.
    let top = max.div_ceil(4) * 4;
    let labels: Vec<(f64, String)> = (0..=4)
        .map(|i| (f64::from(i) / 4.0, (top * i / 4).to_string()))
        .collect();
    frame(&mut o, title, days.len(), &labels);
    let plot_h = H - TOP - BOTTOM;
    let step = (W - LEFT - RIGHT) / days.len().max(1) as f64;
    let bar_w = (step * 0.7).max(1.0);
    for (i, stack) in days.iter().enumerate() {
        let mut base = 0u32;
        for &(level, n) in stack {
            if n == 0 {
                continue;
            }
            let y0 = TOP + plot_h * (1.0 - f64::from(base) / f64::from(top));
            let y1 = TOP + plot_h * (1.0 - f64::from(base + n) / f64::from(top));
            let x = LEFT + step * i as f64 + (step - bar_w) / 2.0;
            let _ = writeln!(
                o,
                "<rect x=\"{x:.1}\" y=\"{y1:.1}\" width=\"{bar_w:.1}\" height=\"{:.1}\" fill=\"{}\"><title>day {}: {n} P{level} breach(es)</title></rect>",
                y0 - y1,
                priority_colour(level),
                i + 1
            );
            base += n;
        }
    }
    // Legend.
    let mut levels: Vec<u8> = days.iter().flatten().map(|(l, _)| *l).collect();
    levels.sort_unstable();
    levels.dedup();
    for (k, level) in levels.iter().enumerate() {
        let x = LEFT + 8.0 + 48.0 * k as f64;
        let _ = writeln!(
            o,
            "<rect x=\"{x:.1}\" y=\"2\" width=\"9\" height=\"9\" fill=\"{}\"/><text x=\"{:.1}\" y=\"10\" fill=\"#1b1f24\">P{level}</text>",
            priority_colour(*level),
            x + 12.0
        );
    }
    o.push_str("</svg>\n");
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_are_plain_svg_with_gaps_and_stacks() {
        let line = adherence_line("a <b>", &[Some(100.0), None, Some(50.0), Some(75.0)]);
        assert!(line.starts_with("<svg") && line.ends_with("</svg>\n"));
        assert!(line.contains("a &lt;b&gt;"));
        // The gap on day 2 lifts the pen: two subpaths.
        assert_eq!(line.matches('M').count(), 2);
        assert!(!line.contains("<script"));
        let bars = breaches_bars("b", &[vec![(1, 2), (3, 1)], vec![], vec![(2, 4)]]);
        assert_eq!(bars.matches("<rect").count(), 3 + 3);
        assert!(bars.contains(">P1<") && bars.contains(">P3<"));
    }
}
