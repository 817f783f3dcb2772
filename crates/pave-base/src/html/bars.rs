//! A stacked horizontal bar chart in SVG: one bar per row (a golden path, a team), one coloured
//! segment per part (a version, a status), the row's numbers in words under each bar.

use super::{Html, attrs, chart_start, fixed, thousands, truncate};
use crate::{html, push_html};

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
/// (`1.2.0 (newest): 8 · 1.1.0 (minor behind): 2`), older ones summed.
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

/// The chart as a `<section>` with its heading, or its `empty` text when it has no bars.
pub fn render(c: &BarChart) -> Html {
    let mut out = chart_start(c.id, c.title);
    if !c.note.is_empty() {
        push_html!(out, "<p class=\"sub\">", c.note, "</p>\n");
    }
    if c.bars.is_empty() {
        push_html!(out, "<p class=\"more\">", c.empty, "</p>\n</section>\n");
        return out;
    }
    let summary: Vec<String> = c
        .bars
        .iter()
        .map(|b| format!("{}: {}", b.label, b.detail))
        .collect();
    let label = format!("{}. {}", c.title, summary.join("; "));
    let height = LEGEND_H + ROW_H * c.bars.len() as f64;
    let (width, bar_w) = (c.width, c.width - BAR_X - TOTAL_W);
    push_html!(
        out,
        "<svg role=\"img\" aria-label=\"",
        label,
        "\" viewBox=\"0 0 ",
        width,
        " ",
        height,
        "\" width=\"",
        width,
        "\" height=\"",
        height,
        "\">\n<title>",
        label,
        "</title>\n",
        legend(&c.legend)
    );
    let max = c.bars.iter().map(Bar::total).max().unwrap_or(0).max(1);
    for (index, bar) in c.bars.iter().enumerate() {
        let y = LEGEND_H + ROW_H * index as f64;
        let total = bar.total();
        push_html!(
            out,
            "<g",
            attrs(&bar.attrs),
            ">\n<title>",
            bar.label,
            ": ",
            bar.detail,
            "</title>\n<text x=\"",
            LABEL_END,
            "\" y=\"",
            fixed(y + 12.0, 1),
            "\" text-anchor=\"end\">",
            truncate(&bar.label, 26),
            "</text>\n<rect class=\"track\" x=\"",
            BAR_X,
            "\" y=\"",
            fixed(y, 1),
            "\" width=\"",
            bar_w,
            "\" height=\"",
            BAR_H,
            "\"/>\n"
        );
        let full = if c.is_share { total.max(1) } else { max };
        let mut x = BAR_X;
        for seg in bar.segments.iter().filter(|s| s.count > 0) {
            let w = bar_w * seg.count as f64 / full as f64;
            push_html!(
                out,
                "<rect class=\"",
                seg.class,
                "\" x=\"",
                fixed(x, 1),
                "\" y=\"",
                fixed(y, 1),
                "\" width=\"",
                fixed(w, 1),
                "\" height=\"",
                BAR_H,
                "\"",
                attrs(&seg.attrs),
                "><title>",
                seg.name,
                ": ",
                seg.count,
                "</title></rect>\n"
            );
            let digits = seg.count.to_string();
            if w >= 10.0 + 7.0 * digits.len() as f64 {
                push_html!(
                    out,
                    "<text class=\"count\" x=\"",
                    fixed(x + w / 2.0, 1),
                    "\" y=\"",
                    fixed(y + 12.0, 1),
                    "\" text-anchor=\"middle\">",
                    digits,
                    "</text>\n"
                );
            }
            x += w;
        }
        push_html!(
            out,
            "<text x=\"",
            fixed(BAR_X + bar_w + 8.0, 1),
            "\" y=\"",
            fixed(y + 12.0, 1),
            "\">",
            thousands(total as u64),
            " ",
            if total == 1 { "repo" } else { "repos" },
            "</text>\n<text class=\"detail\" x=\"",
            BAR_X,
            "\" y=\"",
            fixed(y + 30.0, 1),
            "\">",
            truncate(&bar.detail, 100),
            "</text>\n</g>\n"
        );
    }
    push_html!(out, "</svg>\n");
    if c.more.0 > 0 {
        push_html!(
            out,
            "<p class=\"more\">… and ",
            c.more.0,
            " more ",
            c.more.1,
            ".</p>\n"
        );
    }
    push_html!(out, "</section>\n");
    out
}

/// Swatches and names in one row (every legend here is a few short words).
fn legend(items: &[(&'static str, String)]) -> Html {
    let mut out = html!["<g class=\"legend\">\n"];
    let mut x = 8.0;
    for (class, name) in items {
        let width = 22.0 + 7.0 * name.chars().count() as f64;
        push_html!(
            out,
            "<rect class=\"",
            class,
            "\" x=\"",
            fixed(x, 1),
            "\" y=\"4\" width=\"12\" height=\"12\"/><text x=\"",
            fixed(x + 16.0, 1),
            "\" y=\"14\">",
            name,
            "</text>\n"
        );
        x += width + 10.0;
    }
    push_html!(out, "</g>\n");
    out
}
