//! `--format html`: one self-contained page for a platform lead — headline tiles, three charts
//! (versions per golden path, drift by team, status mix by train), the most drifted files and
//! the repos that need attention. Nothing loads from the network: the CSS is inline, the charts
//! are SVG drawn here, there is no script, and a Content-Security-Policy forbids anything else.
//!
//! Every chart has a `<title>` and an `aria-label`, and every bar its numbers in text, so it
//! reads without colour. Repo paths, teams and errors come from untrusted repos and are escaped
//! everywhere. The markup is well-formed XML (void elements self-closed, no named entities but
//! XML's) so a test can parse it, and the output is deterministic: no timestamps.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{Adoption, most_drifted_first, needs_attention, percent, share, versions_newest_first};
use crate::audit::model::Breakdown;
use crate::audit::{AuditReport, RepoAudit, RepoStatus};

/// Bars per team or train chart; the rest are counted.
const MAX_BARS: usize = 20;
/// Rows of the attention table; the rest are counted.
const MAX_ROWS: usize = 200;
/// Files named per repo in the attention table.
const MAX_FILES: usize = 5;
/// Versions named under a golden path's bar; older ones are summed.
const MAX_VERSIONS: usize = 6;

// Chart geometry, in SVG user units (pixels at 100%).
const WIDTH: f64 = 760.0;
const LABEL_END: f64 = 172.0;
const BAR_X: f64 = 180.0;
const BAR_W: f64 = 460.0;
const BAR_H: f64 = 16.0;
const ROW_H: f64 = 44.0;
const LEGEND_H: f64 = 28.0;

const STYLE: &str = r#"
:root{--conforming:#009e73;--outdated:#e69f00;--drifted:#d55e00;--unadopted:#999;--error:#cc79a7}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328;background:#f6f8fa}
main{max-width:980px;margin:0 auto;padding:24px}
h1{font-size:24px;margin:0}
h2{font-size:18px;margin:28px 0 8px}
.sub,.more,footer,.tile .note{color:#57606a;font-size:12px}
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(200px,1fr));gap:12px;margin:16px 0}
.tile,.chart{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:12px 16px}
.tile .value{font-size:28px;font-weight:600}
.tile .label{font-weight:600}
.chart{overflow-x:auto}
svg{max-width:100%;height:auto}
svg text{font:12px system-ui,sans-serif;fill:#1f2328}
svg .detail{font-size:11px;fill:#57606a}
svg .count{font-size:11px;fill:#000}
svg .track{fill:#eaeef2}
.s-conforming{fill:var(--conforming)}.s-outdated{fill:var(--outdated)}.s-drifted{fill:var(--drifted)}
.s-unadopted{fill:var(--unadopted)}.s-error{fill:var(--error)}
.v0{fill:#009e73}.v1{fill:#56b4e9}.v2{fill:#e69f00}.v3{fill:#d55e00}.vx{fill:#999}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid #d0d7de}
th,td{text-align:left;padding:6px 10px;border-bottom:1px solid #d0d7de;vertical-align:top}
th{background:#eaeef2;position:sticky;top:0}
.num{text-align:right;font-variant-numeric:tabular-nums}
tbody tr:nth-child(even){background:#f6f8fa}
code{font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;word-break:break-all}
.badge{display:inline-block;padding:0 8px;border-radius:10px;font-size:12px;font-weight:600;color:#000}
.b-drifted{background:var(--drifted)}.b-error{background:var(--error)}
footer{margin-top:32px}
@media print{body{background:#fff}.tile,.chart{break-inside:avoid}}
"#;

pub fn render(report: &AuditReport) -> String {
    let s = &report.summary;
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n");
    // Defence in depth behind the escaping: nothing may load or run, whatever a repo name holds.
    out.push_str(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\"/>\n",
    );
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n");
    let _ = writeln!(out, "<title>pave audit: {} repos</title>", s.repos);
    let _ = writeln!(out, "<style>{STYLE}</style>\n</head>\n<body>\n<main>");
    let _ = writeln!(
        out,
        "<h1>pave audit</h1>\n<p class=\"sub\">{} repos audited</p>",
        s.repos
    );
    tiles(&mut out, report);
    chart(&mut out, versions_chart(report));
    chart(&mut out, teams_chart(&s.by_team));
    chart(&mut out, trains_chart(&s.by_train));
    drifted_files(&mut out, report);
    attention(&mut out, report);
    let _ = writeln!(
        out,
        "<footer>pave {} · <code>pave audit --format json</code> lists every repo</footer>\n</main>\n</body>\n</html>",
        env!("CARGO_PKG_VERSION")
    );
    out
}

fn tiles(out: &mut String, report: &AuditReport) {
    let s = &report.summary;
    let n = Adoption::of(report);
    let statuses: Vec<String> = RepoStatus::ALL
        .iter()
        .map(|st| {
            format!(
                "{} {}",
                s.by_status.get(st.as_str()).copied().unwrap_or(0),
                st.as_str()
            )
        })
        .collect();
    out.push_str("<section class=\"tiles\" aria-label=\"Headline numbers\">\n");
    for (label, value, note) in [
        ("Repos", s.repos.to_string(), statuses.join(" · ")),
        (
            "Adoption",
            percent(s.adoption_rate),
            format!("{} of {} repos have a lock", n.adopted, s.repos),
        ),
        (
            "On newest version",
            percent(s.on_latest_rate),
            format!("{} of {} adopted repos", n.on_latest, n.adopted),
        ),
        (
            "Drift rate",
            percent(s.drift_rate),
            format!("{} of {} adopted repos drifted", n.drifted, n.adopted),
        ),
    ] {
        let _ = writeln!(
            out,
            "<div class=\"tile\"><div class=\"value\">{}</div><div class=\"label\">{label}</div><div class=\"note\">{}</div></div>",
            esc(&value),
            esc(&note)
        );
    }
    out.push_str("</section>\n");
}

/// A stacked horizontal bar chart: one bar per row, one segment per part.
struct Chart {
    id: &'static str,
    title: &'static str,
    /// Shown instead of the chart when there are no bars.
    empty: &'static str,
    legend: Vec<(&'static str, String)>,
    bars: Vec<Bar>,
    /// Every bar fills the width (a mix), or bars are as long as their totals.
    is_share: bool,
    /// Rows left out, and what they are.
    more: (usize, &'static str),
}

struct Bar {
    label: String,
    segments: Vec<Segment>,
    /// The numbers in words, written under the bar.
    detail: String,
}

struct Segment {
    /// CSS class of its colour.
    class: &'static str,
    name: String,
    count: usize,
}

impl Bar {
    fn total(&self) -> usize {
        self.segments.iter().map(|s| s.count).sum()
    }
}

fn chart(out: &mut String, c: Chart) {
    let _ = writeln!(
        out,
        "<section class=\"chart\" aria-labelledby=\"{0}-h\">\n<h2 id=\"{0}-h\">{1}</h2>",
        c.id, c.title
    );
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
    let _ = writeln!(
        out,
        "<svg role=\"img\" aria-label=\"{}\" viewBox=\"0 0 {WIDTH} {height}\" width=\"{WIDTH}\" height=\"{height}\">\n<title>{}</title>",
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
            "<g>\n<title>{}: {}</title>\n<text x=\"{LABEL_END}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>\n<rect class=\"track\" x=\"{BAR_X}\" y=\"{y:.1}\" width=\"{BAR_W}\" height=\"{BAR_H}\"/>",
            esc(&bar.label),
            esc(&bar.detail),
            y + 12.0,
            esc(&truncate(&bar.label, 26))
        );
        let full = if c.is_share { total.max(1) } else { max };
        let mut x = BAR_X;
        for seg in bar.segments.iter().filter(|s| s.count > 0) {
            let w = BAR_W * seg.count as f64 / full as f64;
            let _ = writeln!(
                out,
                "<rect class=\"{}\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{BAR_H}\"><title>{}: {}</title></rect>",
                seg.class,
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
            "<text x=\"{:.1}\" y=\"{:.1}\">{total} {}</text>\n<text class=\"detail\" x=\"{BAR_X}\" y=\"{:.1}\">{}</text>\n</g>",
            BAR_X + BAR_W + 8.0,
            y + 12.0,
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

/// Chart 1: per golden path, its repos by version, newest first; colour by releases behind.
fn versions_chart(report: &AuditReport) -> Chart {
    let mut behind: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for repo in &report.repos {
        for gp in &repo.golden_paths {
            if let Some(n) = gp.versions_behind {
                behind.entry((&gp.name, &gp.version)).or_insert(n);
            }
        }
    }
    let bars = report
        .summary
        .by_golden_path
        .iter()
        .map(|(name, stats)| {
            let versions = versions_newest_first(&stats.versions);
            let segments: Vec<Segment> = versions
                .iter()
                .map(|(version, count)| {
                    let lag = behind.get(&(name.as_str(), *version)).copied();
                    let class = match lag {
                        Some(0) => "v0",
                        Some(1) => "v1",
                        Some(2) => "v2",
                        Some(_) => "v3",
                        None => "vx",
                    };
                    let name = match lag {
                        Some(0) => format!("{version} (newest)"),
                        Some(n) => format!("{version} ({n} behind)"),
                        None => (*version).to_owned(),
                    };
                    Segment {
                        class,
                        name,
                        count: *count,
                    }
                })
                .collect();
            let mut words: Vec<String> = segments
                .iter()
                .take(MAX_VERSIONS)
                .map(|s| format!("{}: {}", s.name, s.count))
                .collect();
            if segments.len() > MAX_VERSIONS {
                let rest = &segments[MAX_VERSIONS..];
                words.push(format!(
                    "{} older versions: {}",
                    rest.len(),
                    rest.iter().map(|s| s.count).sum::<usize>()
                ));
            }
            Bar {
                label: name.clone(),
                segments,
                detail: words.join(" · "),
            }
        })
        .collect();
    Chart {
        id: "versions",
        title: "Versions per golden path",
        empty: "No repo has a lock yet.",
        legend: vec![
            ("v0", "newest".into()),
            ("v1", "1 release behind".into()),
            ("v2", "2 behind".into()),
            ("v3", "3 or more behind".into()),
            ("vx", "lag unknown".into()),
        ],
        bars,
        is_share: true,
        more: (0, ""),
    }
}

/// Chart 2: per team, drifted, outdated and conforming repos (and any others), most drifted first.
fn teams_chart(by_team: &BTreeMap<String, Breakdown>) -> Chart {
    let rows = most_drifted_first(by_team);
    let order = [
        RepoStatus::Drifted,
        RepoStatus::Outdated,
        RepoStatus::Conforming,
        RepoStatus::Error,
        RepoStatus::Unadopted,
    ];
    Chart {
        id: "teams",
        title: "Drift by team",
        empty: "No repos.",
        legend: status_legend(&order),
        bars: rows
            .iter()
            .take(MAX_BARS)
            .map(|(name, b)| status_bar(name, b, &order, false))
            .collect(),
        is_share: false,
        more: (rows.len().saturating_sub(MAX_BARS), "teams"),
    }
}

/// Chart 3: per train, the status mix of its adopted repos, largest train first.
fn trains_chart(by_train: &BTreeMap<String, Breakdown>) -> Chart {
    let mut rows: Vec<(&String, &Breakdown)> = by_train.iter().collect();
    rows.sort_by(|a, b| b.1.repos.cmp(&a.1.repos).then_with(|| a.0.cmp(b.0)));
    let order = [
        RepoStatus::Conforming,
        RepoStatus::Outdated,
        RepoStatus::Drifted,
    ];
    Chart {
        id: "trains",
        title: "Status mix by train (adopted repos)",
        empty: "No adopted repo names a train.",
        legend: status_legend(&order),
        bars: rows
            .iter()
            .take(MAX_BARS)
            .map(|(name, b)| status_bar(name, b, &order, true))
            .collect(),
        is_share: true,
        more: (rows.len().saturating_sub(MAX_BARS), "trains"),
    }
}

fn status_legend(order: &[RepoStatus]) -> Vec<(&'static str, String)> {
    order
        .iter()
        .map(|s| (status_class(*s), s.as_str().to_owned()))
        .collect()
}

/// A bar of statuses; the first three are always named, others only when there are some.
fn status_bar(name: &str, b: &Breakdown, order: &[RepoStatus], with_share: bool) -> Bar {
    let count = |status: RepoStatus| match status {
        RepoStatus::Conforming => b.conforming,
        RepoStatus::Outdated => b.outdated,
        RepoStatus::Drifted => b.drifted,
        RepoStatus::Unadopted => b.unadopted,
        RepoStatus::Error => b.error,
    };
    let segments: Vec<Segment> = order
        .iter()
        .map(|s| Segment {
            class: status_class(*s),
            name: s.as_str().to_owned(),
            count: count(*s),
        })
        .collect();
    let words: Vec<String> = segments
        .iter()
        .enumerate()
        .filter(|(i, s)| *i < 3 || s.count > 0)
        .map(|(_, s)| {
            if with_share {
                format!("{} {} ({})", s.count, s.name, share(s.count, b.repos))
            } else {
                format!("{} {}", s.count, s.name)
            }
        })
        .collect();
    Bar {
        label: name.to_owned(),
        segments,
        detail: words.join(" · "),
    }
}

fn status_class(status: RepoStatus) -> &'static str {
    match status {
        RepoStatus::Conforming => "s-conforming",
        RepoStatus::Outdated => "s-outdated",
        RepoStatus::Drifted => "s-drifted",
        RepoStatus::Unadopted => "s-unadopted",
        RepoStatus::Error => "s-error",
    }
}

fn drifted_files(out: &mut String, report: &AuditReport) {
    let files = &report.summary.top_drifted_files;
    if files.is_empty() {
        return;
    }
    let adopted = Adoption::of(report).adopted;
    out.push_str("<h2>Most drifted files</h2>\n<table>\n<thead><tr><th scope=\"col\">File</th><th scope=\"col\" class=\"num\">Repos</th><th scope=\"col\" class=\"num\">Share of adopted repos</th></tr></thead>\n<tbody>\n");
    for (file, count) in files {
        let _ = writeln!(
            out,
            "<tr><td><code>{}</code></td><td class=\"num\">{count}</td><td class=\"num\">{}</td></tr>",
            esc(file),
            share(*count, adopted)
        );
    }
    out.push_str("</tbody>\n</table>\n");
}

fn attention(out: &mut String, report: &AuditReport) {
    let repos = needs_attention(report);
    if repos.is_empty() {
        return;
    }
    let _ = writeln!(out, "<h2>Needs attention ({})</h2>", repos.len());
    if repos.len() > MAX_ROWS {
        let _ = writeln!(
            out,
            "<p class=\"more\">The first {MAX_ROWS} of {}; <code>pave audit --format json</code> lists every repo.</p>",
            repos.len()
        );
    }
    out.push_str("<table>\n<thead><tr><th scope=\"col\">Status</th><th scope=\"col\">Repo</th><th scope=\"col\">Team</th><th scope=\"col\">Golden paths</th><th scope=\"col\">Why</th></tr></thead>\n<tbody>\n");
    for repo in repos.iter().take(MAX_ROWS) {
        let golden_paths: Vec<String> = repo
            .golden_paths
            .iter()
            .map(|g| esc(&format!("{}@{}", g.name, g.version)))
            .collect();
        let _ = writeln!(
            out,
            "<tr><td><span class=\"badge b-{0}\">{0}</span></td><td><code>{1}</code></td><td>{2}</td><td>{3}</td><td>{4}</td></tr>",
            repo.status.as_str(),
            esc(&repo.path),
            esc(repo.team.as_deref().unwrap_or("")),
            golden_paths.join("<br/>"),
            why(repo)
        );
    }
    out.push_str("</tbody>\n</table>\n");
}

/// Why a repo needs attention, as escaped markup: its error, or what drifted.
fn why(repo: &RepoAudit) -> String {
    if let Some(error) = &repo.error {
        return esc(error);
    }
    let files = |label: &str, list: &[String]| {
        let mut named: Vec<String> = list
            .iter()
            .take(MAX_FILES)
            .map(|f| format!("<code>{}</code>", esc(f)))
            .collect();
        if list.len() > MAX_FILES {
            named.push(format!("{} more", list.len() - MAX_FILES));
        }
        format!("{} {label}: {}", list.len(), named.join(", "))
    };
    let mut parts = Vec::new();
    if !repo.drifted_files.is_empty() {
        parts.push(files("drifted", &repo.drifted_files));
    }
    if !repo.missing_files.is_empty() {
        parts.push(files("missing", &repo.missing_files));
    }
    parts.extend(repo.lock_problems.iter().map(|p| esc(p)));
    parts.join("<br/>")
}

/// At most `max` characters, with an ellipsis when cut.
fn truncate(value: &str, max: usize) -> String {
    if value.chars().count() <= max {
        return value.to_owned();
    }
    let mut cut: String = value.chars().take(max - 1).collect();
    cut.push('…');
    cut
}

/// Text or an attribute value: markup and quotes escaped; control characters XML cannot carry
/// (even as references) replaced by U+FFFD, so the page stays well-formed.
fn esc(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\r' => out.push_str("&#13;"),
            '\t' | '\n' => out.push(c),
            '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' | '\u{fffe}' | '\u{ffff}' => {
                out.push('\u{fffd}')
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_quotes_and_control_characters() {
        assert_eq!(esc("a&b<c>\"d'e"), "a&amp;b&lt;c&gt;&quot;d&#39;e");
        assert_eq!(esc("x\u{1}y\rz"), "x\u{fffd}y&#13;z");
    }

    #[test]
    fn long_labels_are_cut() {
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abc", 4), "abc");
    }
}
