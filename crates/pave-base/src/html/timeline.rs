//! A daily series in SVG: the running total as an area over time and each day's new count as a
//! bar beneath it, on one time axis. Every day carries its numbers in a `<title>` (a tooltip on
//! hover, no script) and in `data-*` attributes, and the days with news are listed in a table.

use std::fmt::Write as _;

use jiff::civil::Date;

use super::{Html, attrs, capitalized, chart_start, fixed, thousands};
use crate::{html, push_html};

// Geometry, in SVG user units (pixels at 100%).
const WIDTH: f64 = 920.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 16.0;
const AREA_TOP: f64 = 24.0;
const AREA_H: f64 = 160.0;
const BARS_TOP: f64 = 216.0;
const BARS_H: f64 = 50.0;
const HEIGHT: f64 = 296.0;
/// Labels on the time axis, about.
const TICKS: usize = 6;

pub struct Timeline {
    pub id: &'static str,
    pub title: String,
    /// What the running total counts ("repos on a golden path").
    pub total_name: &'static str,
    /// What a day's count counts ("newly adopted").
    pub new_name: &'static str,
    /// Oldest first, one per day.
    pub days: Vec<Day>,
}

pub struct Day {
    pub day: Date,
    pub new: u64,
    pub total: u64,
}

/// The chart as a `<section>` with its heading, the SVG and a table of the days with news.
pub fn render(t: &Timeline) -> Html {
    let mut out = chart_start(t.id, &t.title);
    let (Some(first), Some(last)) = (t.days.first(), t.days.last()) else {
        push_html!(out, "<p class=\"more\">No days to show.</p>\n</section>\n");
        return out;
    };
    let new_in_all: u64 = t.days.iter().map(|d| d.new).sum();
    let busiest = t
        .days
        .iter()
        .max_by(|a, b| a.new.cmp(&b.new).then_with(|| b.day.cmp(&a.day)))
        .filter(|d| d.new > 0);
    let mut label = format!(
        "{}: {} from {} on {} to {} on {}; {new_in_all} {} in {} days",
        t.title,
        t.total_name,
        first.total,
        first.day,
        last.total,
        last.day,
        t.new_name,
        t.days.len()
    );
    if let Some(busiest) = busiest {
        let _ = write!(label, ", most on {} ({})", busiest.day, busiest.new);
    }
    push_html!(
        out,
        "<svg role=\"img\" aria-label=\"",
        label,
        "\" viewBox=\"0 0 ",
        WIDTH,
        " ",
        HEIGHT,
        "\" width=\"",
        WIDTH,
        "\" height=\"",
        HEIGHT,
        "\">\n<title>",
        label,
        "</title>\n"
    );

    let plot_w = WIDTH - LEFT - RIGHT;
    let step = plot_w / t.days.len() as f64;
    let x_of = |i: usize| LEFT + step * (i as f64 + 0.5);
    let total_max = nice_ceiling(t.days.iter().map(|d| d.total).max().unwrap_or(0));
    let new_max = nice_ceiling(t.days.iter().map(|d| d.new).max().unwrap_or(0));
    let area_base = AREA_TOP + AREA_H;
    let bars_base = BARS_TOP + BARS_H;
    let y_total = |v: u64| area_base - AREA_H * v as f64 / total_max as f64;

    // Captions, grid lines and their values.
    push_html!(
        out,
        "<text class=\"detail\" x=\"",
        LEFT,
        "\" y=\"14\">",
        capitalized(t.total_name),
        ", running total</text>\n<text class=\"detail\" x=\"",
        LEFT,
        "\" y=\"",
        fixed(BARS_TOP - 8.0, 1),
        "\">",
        capitalized(t.new_name),
        " per day</text>\n"
    );
    for (value, y) in [
        (0, area_base),
        (total_max / 2, area_base - AREA_H / 2.0),
        (total_max, AREA_TOP),
    ] {
        out.push(grid_line(y, value));
    }
    out.push(grid_line(bars_base, 0));
    out.push(grid_line(BARS_TOP, new_max));

    // The running total: an area under a line.
    let points: Vec<String> = t
        .days
        .iter()
        .enumerate()
        .map(|(i, d)| format!("{:.1},{:.1}", x_of(i), y_total(d.total)))
        .collect();
    push_html!(
        out,
        "<path class=\"area\" d=\"M",
        fixed(x_of(0), 1),
        ",",
        fixed(area_base, 1),
        " L",
        points.join(" L"),
        " L",
        fixed(x_of(t.days.len() - 1), 1),
        ",",
        fixed(area_base, 1),
        " Z\"/>\n<polyline class=\"line\" points=\"",
        points.join(" "),
        "\"/>\n"
    );
    let (last_x, last_y) = (x_of(t.days.len() - 1), y_total(last.total));
    push_html!(
        out,
        "<circle class=\"dot\" cx=\"",
        fixed(last_x, 1),
        "\" cy=\"",
        fixed(last_y, 1),
        "\" r=\"4\"/>\n<text class=\"end\" x=\"",
        fixed(last_x - 6.0, 1),
        "\" y=\"",
        fixed((last_y - 8.0).max(AREA_TOP + 10.0), 1),
        "\" text-anchor=\"end\">",
        thousands(last.total),
        "</text>\n"
    );

    // One group per day: its bar, and a column that shows its numbers on hover.
    let bar_w = (step * 0.7).max(1.0);
    for (i, d) in t.days.iter().enumerate() {
        push_html!(
            out,
            "<g class=\"day\"",
            attrs(&[
                ("data-day", d.day.to_string()),
                ("data-adopted", d.new.to_string()),
                ("data-cumulative", d.total.to_string()),
            ]),
            "><title>",
            d.day.to_string(),
            ": ",
            d.new,
            " ",
            t.new_name,
            ", ",
            d.total,
            " ",
            t.total_name,
            "</title>"
        );
        if d.new > 0 {
            let h = BARS_H * d.new as f64 / new_max as f64;
            push_html!(
                out,
                "<rect class=\"bar\" x=\"",
                fixed(x_of(i) - bar_w / 2.0, 1),
                "\" y=\"",
                fixed(bars_base - h, 1),
                "\" width=\"",
                fixed(bar_w, 1),
                "\" height=\"",
                fixed(h, 1),
                "\"/>"
            );
        }
        push_html!(
            out,
            "<rect class=\"hit\" x=\"",
            fixed(LEFT + step * i as f64, 1),
            "\" y=\"",
            AREA_TOP,
            "\" width=\"",
            fixed(step, 1),
            "\" height=\"",
            fixed(bars_base - AREA_TOP, 1),
            "\"/></g>\n"
        );
    }

    // The time axis: the first day, the last, and a few between.
    let every = t.days.len().div_ceil(TICKS).max(1);
    for (i, d) in t.days.iter().enumerate() {
        let is_last = i == t.days.len() - 1;
        // A label between must leave room for the last day's.
        if !(is_last || i % every == 0 && t.days.len() - 1 - i >= every / 2) {
            continue;
        }
        let anchor = match i {
            0 => "start",
            _ if is_last => "end",
            _ => "middle",
        };
        let x = match i {
            0 => LEFT,
            _ if is_last => WIDTH - RIGHT,
            _ => x_of(i),
        };
        push_html!(
            out,
            "<text class=\"tick\" x=\"",
            fixed(x, 1),
            "\" y=\"",
            fixed(bars_base + 18.0, 1),
            "\" text-anchor=\"",
            anchor,
            "\">",
            d.day.strftime("%b %-d").to_string(),
            "</text>\n"
        );
    }
    push_html!(out, "</svg>\n");

    let with_news: Vec<&Day> = t.days.iter().filter(|d| d.new > 0).collect();
    if !with_news.is_empty() {
        push_html!(
            out,
            "<details><summary>The ",
            with_news.len(),
            " days with news</summary>\n<table>\n<thead><tr><th scope=\"col\">Day</th><th scope=\"col\" class=\"num\">",
            capitalized(t.new_name),
            "</th><th scope=\"col\" class=\"num\">",
            capitalized(t.total_name),
            "</th></tr></thead>\n<tbody>\n"
        );
        for d in with_news {
            push_html!(
                out,
                "<tr><td>",
                d.day.to_string(),
                "</td><td class=\"num\">",
                d.new,
                "</td><td class=\"num\">",
                d.total,
                "</td></tr>\n"
            );
        }
        push_html!(out, "</tbody>\n</table>\n</details>\n");
    }
    push_html!(out, "</section>\n");
    out
}

/// A horizontal grid line across the plot with its value at the left.
fn grid_line(y: f64, value: u64) -> Html {
    html![
        "<line class=\"grid\" x1=\"",
        LEFT,
        "\" y1=\"",
        fixed(y, 1),
        "\" x2=\"",
        fixed(WIDTH - RIGHT, 1),
        "\" y2=\"",
        fixed(y, 1),
        "\"/><text class=\"detail\" x=\"",
        fixed(LEFT - 6.0, 1),
        "\" y=\"",
        fixed(y + 4.0, 1),
        "\" text-anchor=\"end\">",
        thousands(value),
        "</text>\n"
    ]
}

/// The top of an axis: the smallest of 1, 2, 3, 4, 5, 6, 8 times a power of ten that holds
/// `max` (at least 2, so the middle grid line is a whole number or close to one).
fn nice_ceiling(max: u64) -> u64 {
    let max = max.max(2);
    let mut scale: u64 = 1;
    loop {
        for m in [1, 2, 3, 4, 5, 6, 8] {
            if let Some(top) = scale.checked_mul(m)
                && top >= max
            {
                return top;
            }
        }
        match scale.checked_mul(10) {
            Some(next) => scale = next,
            None => return u64::MAX,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_end_on_round_numbers() {
        let tops: Vec<u64> = [0, 1, 2, 3, 7, 9, 11, 42, 130, 800]
            .into_iter()
            .map(nice_ceiling)
            .collect();
        assert_eq!(tops, [2, 2, 2, 3, 8, 10, 20, 50, 200, 800]);
        assert_eq!(nice_ceiling(u64::MAX - 1), u64::MAX);
    }

    #[test]
    fn every_day_carries_its_numbers() {
        let day = |d: i8, new: u64, total: u64| Day {
            day: jiff::civil::date(2026, 3, d),
            new,
            total,
        };
        let timeline = Timeline {
            id: "adoption",
            title: "Adoption <over> time".into(),
            total_name: "repos",
            new_name: "new",
            days: vec![day(1, 0, 4), day(2, 3, 7), day(3, 0, 7)],
        };
        let out = render(&timeline).into_string();
        assert!(out.contains("data-day=\"2026-03-02\" data-adopted=\"3\" data-cumulative=\"7\""));
        assert!(out.contains("<title>2026-03-02: 3 new, 7 repos</title>"));
        assert!(out.contains("repos from 4 on 2026-03-01 to 7 on 2026-03-03; 3 new in 3 days"));
        assert!(out.contains("Adoption &lt;over&gt; time"));
        assert_eq!(
            out.matches("class=\"bar\"").count(),
            1,
            "no bar for a day without news"
        );
        assert!(
            out.contains("<td>2026-03-02</td><td class=\"num\">3</td><td class=\"num\">7</td>")
        );
        roxmltree::Document::parse(&format!("<div>{out}</div>")).unwrap();
    }
}
