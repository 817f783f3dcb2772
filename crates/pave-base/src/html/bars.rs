//! A stacked horizontal bar chart in SVG: one bar per row (a golden path, a team), one coloured
//! segment per part (a version, a status), the row's numbers in words under each bar.

use std::fmt::Write as _;

use super::{attrs, esc, thousands, truncate};

/// The usual width of a chart.
pub const WIDTH: f64 = 760.0;
// Geometry, in SVG user units (pixels at 100%).
const LABEL_END: f64 = 172.0;
const BAR_X: f64 = 180.0;
/// Right of the bars: room for their totals.
const TOTAL_W: f64 = 120.0;
const BAR_H: f64 = 16.0;
const ROW_H: f64 = 44.0;
const LEGEND_H: f64 = 28.0;

pub struct BarChart {
    pub id: &'static str,
    pub title: &'static str,
    /// Of the SVG ([`WIDTH`] usually); the bars get what the labels and totals leave.
    pub width: f64,
    /// A line under the title that says how to read the chart (none when empty).
    pub note: String,
    /// Shown instead of the chart when there are no bars.
    pub empty: &'static str,
    /// CSS class of a colour, and what it means.
    pub legend: Vec<(&'static str, String)>,
    pub bars: Vec<Bar>,
    /// Every bar fills the width (a mix), or bars are as long as their totals.
    pub is_share: bool,
    /// Rows left out, and what they are.
    pub more: (usize, &'static str),
}

pub struct Bar {
    pub label: String,
    pub segments: Vec<Segment>,
    /// The numbers in words, written under the bar.
    pub detail: String,
    /// Attributes of the bar's group (`data-golden-path`), for tests and readers of the markup.
    pub attrs: Vec<(&'static str, String)>,
}

pub struct Segment {
    /// CSS class of its colour.
    pub class: &'static str,
    pub name: String,
    pub count: usize,
    /// Attributes of the segment's rectangle (`data-version`, `data-count`).
    pub attrs: Vec<(&'static str, String)>,
}

impl Bar {
    fn total(&self) -> usize {
        self.segments.iter().map(|s| s.count).sum()
    }
}

/// A golden path's versions in words, newest first: the first `max` each with its count
/// (`1.2.0 (newest): 8 · 1.1.0 (minor): 2`), older ones summed.
pub fn versions_in_words(segments: &[Segment], max: usize) -> String {
    let mut words: Vec<String> = segments
        .iter()
        .take(max)
        .map(|s| format!("{}: {}", s.name, s.count))
        .collect();
    if segments.len() > max {
        let rest = &segments[max..];
        words.push(format!(
            "{} older versions: {}",
            rest.len(),
            rest.iter().map(|s| s.count).sum::<usize>()
        ));
    }
    words.join(" · ")
}

/// Writes the chart as a `<section>` with its heading, or its `empty` text when it has no bars.
pub fn render(out: &mut String, c: &BarChart) {
    let _ = writeln!(
        out,
        "<section class=\"chart\" id=\"{0}\" aria-labelledby=\"{0}-h\">\n<h2 id=\"{0}-h\">{1}</h2>",
        c.id, c.title
    );
    if !c.note.is_empty() {
        let _ = writeln!(out, "<p class=\"sub\">{}</p>", esc(&c.note));
    }
    if c.bars.is_empty() {
        let _ = writeln!(out, "<p class=\"more\">{}</p>\n</section>", c.empty);
        return;
    }
    let summary: Vec<String> = c
        .bars
        .iter()
        .map(|b| format!("{}: {}", b.label, b.detail))
        .collect();
    let label = format!("{}. {}", c.title, summary.join("; "));
    let height = LEGEND_H + ROW_H * c.bars.len() as f64;
    let (width, bar_w) = (c.width, c.width - BAR_X - TOTAL_W);
    let _ = writeln!(
        out,
        "<svg role=\"img\" aria-label=\"{}\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\">\n<title>{}</title>",
        esc(&label),
        esc(&label)
    );
    legend(out, &c.legend);
    let max = c.bars.iter().map(Bar::total).max().unwrap_or(0).max(1);
    for (index, bar) in c.bars.iter().enumerate() {
        let y = LEGEND_H + ROW_H * index as f64;
        let total = bar.total();
        let _ = writeln!(
            out,
            "<g{}>\n<title>{}: {}</title>\n<text x=\"{LABEL_END}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>\n<rect class=\"track\" x=\"{BAR_X}\" y=\"{y:.1}\" width=\"{bar_w}\" height=\"{BAR_H}\"/>",
            attrs(&bar.attrs),
            esc(&bar.label),
            esc(&bar.detail),
            y + 12.0,
            esc(&truncate(&bar.label, 26))
        );
        let full = if c.is_share { total.max(1) } else { max };
        let mut x = BAR_X;
        for seg in bar.segments.iter().filter(|s| s.count > 0) {
            let w = bar_w * seg.count as f64 / full as f64;
            let _ = writeln!(
                out,
                "<rect class=\"{}\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{BAR_H}\"{}><title>{}: {}</title></rect>",
                seg.class,
                attrs(&seg.attrs),
                esc(&seg.name),
                seg.count
            );
            let digits = seg.count.to_string();
            if w >= 10.0 + 7.0 * digits.len() as f64 {
                let _ = writeln!(
                    out,
                    "<text class=\"count\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{digits}</text>",
                    x + w / 2.0,
                    y + 12.0
                );
            }
            x += w;
        }
        let _ = writeln!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\">{} {}</text>\n<text class=\"detail\" x=\"{BAR_X}\" y=\"{:.1}\">{}</text>\n</g>",
            BAR_X + bar_w + 8.0,
            y + 12.0,
            thousands(total as u64),
            if total == 1 { "repo" } else { "repos" },
            y + 30.0,
            esc(&truncate(&bar.detail, 100))
        );
    }
    out.push_str("</svg>\n");
    if c.more.0 > 0 {
        let _ = writeln!(
            out,
            "<p class=\"more\">… and {} more {}.</p>",
            c.more.0, c.more.1
        );
    }
    out.push_str("</section>\n");
}

/// Swatches and names in one row (every legend here is a few short words).
fn legend(out: &mut String, items: &[(&'static str, String)]) {
    out.push_str("<g class=\"legend\">\n");
    let mut x = 8.0;
    for (class, name) in items {
        let width = 22.0 + 7.0 * name.chars().count() as f64;
        let _ = writeln!(
            out,
            "<rect class=\"{class}\" x=\"{x:.1}\" y=\"4\" width=\"12\" height=\"12\"/><text x=\"{:.1}\" y=\"14\">{}</text>",
            x + 16.0,
            esc(name)
        );
        x += width + 10.0;
    }
    out.push_str("</g>\n");
}
