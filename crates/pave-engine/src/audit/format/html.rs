//! `--format html`: one self-contained page for a platform lead — headline tiles, three charts
//! (versions per golden path, drift by team, status mix by train), the most drifted files and
//! the repos that need attention. Nothing loads from the network: the CSS is inline, the charts
//! are SVG drawn by [`pave_base::html`], there is no script, and a Content-Security-Policy forbids
//! anything else.
//!
//! Every chart has a `<title>` and an `aria-label`, and every bar its numbers in text, so it
//! reads without colour. Repo paths, teams and errors come from untrusted repos: the page is
//! built as [`Html`], which escapes every string it is given, so none of them can add markup. The
//! markup is well-formed XML (void elements self-closed, no named entities but XML's) so a test
//! can parse it, and the output is deterministic: no timestamps.

use std::collections::BTreeMap;

use super::{Adoption, most_drifted_first, needs_attention, percent, share, versions_newest_first};
use crate::audit::model::Breakdown;
use pave_model::status::{Lag, RepoStatus, lag_class};

use crate::audit::{AuditReport, RepoAudit};
use pave_base::html::bars::{self, Bar, BarChart, Segment};
use pave_base::html::{Html, STYLE};
use pave_base::{html, push_html};

/// Bars per team or train chart; the rest are counted.
const MAX_BARS: usize = 20;
/// Rows of the attention table; the rest are counted.
const MAX_ROWS: usize = 200;
/// Files named per repo in the attention table.
const MAX_FILES: usize = 5;
/// Versions named under a golden path's bar; older ones are summed.
const MAX_VERSIONS: usize = 6;

pub fn render(report: &AuditReport) -> String {
    let s = &report.summary;
    html![
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n",
        // Defence in depth behind the escaping: nothing may load or run, whatever a repo name holds.
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\"/>\n",
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n",
        "<title>pave audit: ",
        s.repos,
        " repos</title>\n<style>",
        STYLE,
        "</style>\n</head>\n<body>\n<main>\n<h1>pave audit</h1>\n<p class=\"sub\">",
        s.repos,
        " repos audited</p>\n",
        tiles(report),
        bars::render(&versions_chart(report)),
        bars::render(&teams_chart(&s.by_team)),
        bars::render(&trains_chart(&s.by_train)),
        drifted_files(report),
        attention(report),
        exceptions(report),
        "<footer>pave ",
        env!("CARGO_PKG_VERSION"),
        " · <code>pave audit --format json</code> lists every repo</footer>\n</main>\n</body>\n</html>\n"
    ]
    .into_string()
}

fn tiles(report: &AuditReport) -> Html {
    let s = &report.summary;
    let n = Adoption::of(report);
    let statuses: Vec<String> = RepoStatus::ALL
        .iter()
        .map(|st| {
            format!(
                "{} {}",
                s.by_status.get(st.as_str()).copied().unwrap_or(0),
                st.label()
            )
        })
        .collect();
    let mut out = html!["<section class=\"tiles\" aria-label=\"Headline numbers\">\n"];
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
        out.push(html::tile("", value, label, note));
    }
    push_html!(out, "</section>\n");
    out
}

/// Chart 1: per golden path, its repos by version, newest first; coloured by lag.
fn versions_chart(report: &AuditReport) -> BarChart {
    let mut lags: BTreeMap<(&str, &str), Lag> = BTreeMap::new();
    for repo in &report.repos {
        for gp in &repo.golden_paths {
            if let Some(lag) = gp.lag {
                lags.entry((&gp.name, &gp.version)).or_insert(lag);
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
                    let lag = lags.get(&(name.as_str(), *version)).copied();
                    let name = match lag {
                        Some(lag) => format!("{version} ({})", lag.label()),
                        None => (*version).to_owned(),
                    };
                    Segment {
                        class: lag_class(lag),
                        name,
                        count: *count,
                        attrs: Vec::new(),
                    }
                })
                .collect();
            let detail = bars::versions_in_words(&segments, MAX_VERSIONS);
            Bar {
                label: name.clone(),
                segments,
                detail,
                attrs: Vec::new(),
            }
        })
        .collect();
    BarChart {
        id: "versions",
        title: "Versions per golden path",
        width: bars::WIDTH,
        note: String::new(),
        empty: "No repo has a lock yet.",
        legend: Lag::ALL
            .iter()
            .map(|lag| (lag_class(Some(*lag)), lag.label().to_owned()))
            .chain([(lag_class(None), "lag unknown".to_owned())])
            .collect(),
        bars,
        is_share: true,
        more: (0, ""),
    }
}

/// Chart 2: per team, drifted, outdated and conforming repos (and any others), most drifted first.
fn teams_chart(by_team: &BTreeMap<String, Breakdown>) -> BarChart {
    let rows = most_drifted_first(by_team);
    let order = [
        RepoStatus::Drifted,
        RepoStatus::Outdated,
        RepoStatus::Excepted,
        RepoStatus::Conforming,
        RepoStatus::Error,
        RepoStatus::Unadopted,
    ];
    BarChart {
        id: "teams",
        title: "Drift by team",
        width: bars::WIDTH,
        note: String::new(),
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
fn trains_chart(by_train: &BTreeMap<String, Breakdown>) -> BarChart {
    let mut rows: Vec<(&String, &Breakdown)> = by_train.iter().collect();
    rows.sort_by(|a, b| b.1.repos.cmp(&a.1.repos).then_with(|| a.0.cmp(b.0)));
    let order = [
        RepoStatus::Conforming,
        RepoStatus::Outdated,
        RepoStatus::Drifted,
        RepoStatus::Excepted,
    ];
    BarChart {
        id: "trains",
        title: "Status mix by train (adopted repos)",
        width: bars::WIDTH,
        note: String::new(),
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
        .map(|s| (status_class(*s), s.label().to_owned()))
        .collect()
}

/// A bar of statuses; the first three are always named, others only when there are some.
fn status_bar(name: &str, b: &Breakdown, order: &[RepoStatus], with_share: bool) -> Bar {
    let count = |status: RepoStatus| match status {
        RepoStatus::Conforming => b.conforming,
        RepoStatus::Excepted => b.excepted,
        RepoStatus::Outdated => b.outdated,
        RepoStatus::Drifted => b.drifted,
        RepoStatus::Unadopted => b.unadopted,
        RepoStatus::Error => b.error,
    };
    let segments: Vec<Segment> = order
        .iter()
        .map(|s| Segment {
            class: status_class(*s),
            name: s.label().to_owned(),
            count: count(*s),
            attrs: Vec::new(),
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
        attrs: Vec::new(),
    }
}

fn status_class(status: RepoStatus) -> &'static str {
    match status {
        RepoStatus::Conforming => "s-conforming",
        RepoStatus::Excepted => "s-excepted",
        RepoStatus::Outdated => "s-outdated",
        RepoStatus::Drifted => "s-drifted",
        RepoStatus::Unadopted => "s-unadopted",
        RepoStatus::Error => "s-error",
    }
}

fn drifted_files(report: &AuditReport) -> Html {
    let files = &report.summary.top_drifted_files;
    if files.is_empty() {
        return Html::new();
    }
    let adopted = Adoption::of(report).adopted;
    let mut out = html![
        "<h2>Most drifted files</h2>\n<table>\n<thead><tr><th scope=\"col\">File</th><th scope=\"col\" class=\"num\">Repos</th><th scope=\"col\" class=\"num\">Share of adopted repos</th></tr></thead>\n<tbody>\n"
    ];
    for (file, count) in files {
        push_html!(
            out,
            "<tr><td><code>",
            file,
            "</code></td><td class=\"num\">",
            count,
            "</td><td class=\"num\">",
            share(*count, adopted),
            "</td></tr>\n"
        );
    }
    push_html!(out, "</tbody>\n</table>\n");
    out
}

fn attention(report: &AuditReport) -> Html {
    let repos = needs_attention(report);
    if repos.is_empty() {
        return Html::new();
    }
    let mut out = html!["<h2>Needs attention (", repos.len(), ")</h2>\n"];
    if repos.len() > MAX_ROWS {
        push_html!(
            out,
            "<p class=\"more\">The first ",
            MAX_ROWS,
            " of ",
            repos.len(),
            "; <code>pave audit --format json</code> lists every repo.</p>\n"
        );
    }
    push_html!(
        out,
        "<table>\n<thead><tr><th scope=\"col\">Status</th><th scope=\"col\">Repo</th><th scope=\"col\">Team</th><th scope=\"col\">Golden paths</th><th scope=\"col\">Why</th></tr></thead>\n<tbody>\n"
    );
    for repo in repos.iter().take(MAX_ROWS) {
        let golden_paths = Html::join(
            repo.golden_paths
                .iter()
                .map(|g| format!("{}@{}", g.name, g.version)),
            html!["<br/>"],
        );
        let status = repo.status.as_str();
        push_html!(
            out,
            "<tr><td><span class=\"badge b-",
            status,
            "\">",
            status,
            "</span></td><td><code>",
            repo.path,
            "</code></td><td>",
            repo.team.as_deref().unwrap_or(""),
            "</td><td>",
            golden_paths,
            "</td><td>",
            why(repo),
            "</td></tr>\n"
        );
    }
    push_html!(out, "</tbody>\n</table>\n");
    out
}

/// The repos with exceptions and their excepted files, for review.
fn exceptions(report: &AuditReport) -> Html {
    let repos = super::with_exceptions(report);
    if repos.is_empty() {
        return Html::new();
    }
    let mut out = html!["<h2>With exceptions (", repos.len(), ")</h2>\n"];
    push_html!(
        out,
        "<table>\n<thead><tr><th scope=\"col\">Status</th><th scope=\"col\">Repo</th><th scope=\"col\">Team</th><th scope=\"col\">Excepted files</th></tr></thead>\n<tbody>\n"
    );
    for repo in repos.iter().take(MAX_ROWS) {
        let files = Html::join(
            repo.excepted_files
                .iter()
                .map(|f| html!["<code>", f.as_str(), "</code>"]),
            html!["<br/>"],
        );
        push_html!(
            out,
            "<tr><td>",
            repo.status.label(),
            "</td><td><code>",
            repo.path,
            "</code></td><td>",
            repo.team.as_deref().unwrap_or(""),
            "</td><td>",
            files,
            "</td></tr>\n"
        );
    }
    push_html!(out, "</tbody>\n</table>\n");
    if repos.len() > MAX_ROWS {
        push_html!(
            out,
            "<p class=\"more\">… and ",
            repos.len() - MAX_ROWS,
            " more; <code>pave audit --format json</code> lists every repo.</p>\n"
        );
    }
    out
}

/// Why a repo needs attention: its error, or what drifted.
fn why(repo: &RepoAudit) -> Html {
    if let Some(error) = &repo.error {
        return html![error];
    }
    let files = |label: &str, list: &[String]| {
        let mut named: Vec<Html> = list
            .iter()
            .take(MAX_FILES)
            .map(|f| html!["<code>", f, "</code>"])
            .collect();
        if list.len() > MAX_FILES {
            named.push(html![list.len() - MAX_FILES, " more"]);
        }
        html![list.len(), " ", label, ": ", Html::join(named, ", ")]
    };
    let mut parts = Vec::new();
    if !repo.drifted_files.is_empty() {
        parts.push(files("drifted", &repo.drifted_files));
    }
    if !repo.missing_files.is_empty() {
        parts.push(files("missing", &repo.missing_files));
    }
    if !repo.conflicted_files.is_empty() {
        parts.push(files("with unresolved conflicts", &repo.conflicted_files));
    }
    if !repo.excepted_files.is_empty() {
        parts.push(files("excepted", &repo.excepted_files));
    }
    parts.extend(repo.lock_problems.iter().map(|p| html![p]));
    Html::join(parts, html!["<br/>"])
}
