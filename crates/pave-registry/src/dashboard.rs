//! The registry's dashboard (`GET /`): one page for a platform lead — headline figures, adoption
//! over time, versions per golden path, version lag, drift by team and by train, and the repos
//! that need attention, drifted first.
//!
//! The page is rendered here, on the server, from the same store reads as the JSON API, and is
//! self-contained: inline CSS, SVG charts drawn by [`pave_base::html`], no script, no URL outside
//! the registry, and a Content-Security-Policy that forbids loading anything. It works offline and
//! can be saved as a file. Every figure is in the markup as text (tiles, SVG `<title>`s, labels,
//! tables) with a stable `id` or `data-*` attribute, for screen readers and tests alike. Repo
//! names, teams and trains come from clients: the page is built as [`Html`], which escapes every
//! string it is given, so none of them can add markup.
//!
//! Units: "repos" counts distinct repos; every other figure counts a repo once per golden path
//! it is on (an adoption), as `/api/v1/stats` does. Version lag is measured against the newest
//! version the registry knows of each golden path in its catalog (`/api/v1/golden-paths`), so it
//! covers repos that were never checked too, and a scratch catalog's `lib-a` does not put the
//! platform's `lib-a` repos behind. A golden path whose name more than one catalog uses is shown
//! with its catalog: `lib-a (scratch)`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use semver::Version;

use crate::api_error::ApiError;
use crate::model::{DailyAdoption, GoldenPathSummary, GroupBy, GroupStats, Lag, RepoRecord, Stats};
use crate::store::{Store, StoreError};
use pave_base::html::bars::{self, Bar, BarChart, Segment};
use pave_base::html::timeline::{self, Day, Timeline};
use pave_base::html::{CONTENT_SECURITY_POLICY, Html, STYLE, attrs, capitalized, thousands};
use pave_base::text::share;
use pave_base::{html, push_html};
use pave_model::status::lag_class;

/// Days of the adoption chart.
pub const WINDOW_DAYS: u32 = 90;
/// Days of the "adopted recently" headline.
pub const RECENT_DAYS: usize = 30;
/// Bars per team or train chart; the rest are counted.
const MAX_BARS: usize = 20;
/// Versions named under a golden path's bar; older ones are summed.
const MAX_VERSIONS: usize = 6;
/// Of every chart: the page's width inside a chart's frame, as the adoption timeline.
const CHART_WIDTH: f64 = 920.0;
/// Rows of the attention table; the rest are counted.
const MAX_ROWS: usize = 100;

const DASHBOARD_STYLE: Html = html![
    r#"
main{max-width:1000px}
.top{display:flex;justify-content:space-between;align-items:baseline;flex-wrap:wrap;gap:8px}
.tiles{grid-template-columns:repeat(auto-fit,minmax(170px,1fr))}
.tile .value{font-variant-numeric:tabular-nums}
.tile.good .value{color:#00704f}.tile.bad .value{color:#b54700}
.chart{margin-top:16px}
.chart h2{margin:4px 0 4px}
.chart .sub{margin:0 0 8px}
.chart table{border:0}
.b-major{background:var(--drifted)}.b-minor{background:var(--outdated)}.b-unchecked{background:var(--unchecked)}
.id{color:#57606a}
#attention th,#attention td:nth-child(2),#attention td:nth-child(3),#attention time,.badge{white-space:nowrap}
#attention td:first-child{min-width:150px;max-width:240px;overflow-wrap:anywhere}
#attention td:nth-child(6){min-width:160px}
.behind{color:#b54700;font-weight:600}
.empty pre{background:#1f2328;color:#f6f8fa;padding:12px 16px;border-radius:6px;overflow-x:auto}
.empty pre code{font-size:13px;word-break:normal}
.refused{max-width:720px;margin:40px auto}
"#
];

/// What the page shows, read from the store in one go on the blocking pool.
pub struct Figures {
    /// When it was read: the end of the adoption window and the page's "as of".
    pub now: Timestamp,
    pub repos: Vec<RepoRecord>,
    pub golden_paths: Vec<GoldenPathSummary>,
    pub by_golden_path: Stats,
    pub by_team: Stats,
    pub by_train: Stats,
    /// The last [`WINDOW_DAYS`] days, oldest first.
    pub daily: Vec<DailyAdoption>,
}

impl Figures {
    pub fn load(store: &dyn Store, now: Timestamp) -> Result<Self, StoreError> {
        let today = jiff::tz::Offset::UTC.to_datetime(now).date();
        Ok(Self {
            now,
            repos: store.repos()?,
            golden_paths: store.golden_paths()?,
            by_golden_path: store.stats(GroupBy::GoldenPath)?,
            by_team: store.stats(GroupBy::Team)?,
            by_train: store.stats(GroupBy::Train)?,
            daily: store.daily(WINDOW_DAYS, today)?,
        })
    }
}

/// The page as a response, with headers that keep it inert and uncached.
pub fn page(figures: &Figures, request: &HeaderMap) -> Response {
    html_response(StatusCode::OK, render(figures, host(request)))
}

/// The `Host` the request named: this registry as its user reaches it, for examples.
fn host(request: &HeaderMap) -> Option<&str> {
    request
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| !h.is_empty())
}

/// The registry's URL for an example, as the request reached it.
fn example_url(host: Option<&str>) -> String {
    format!("http://{}", host.unwrap_or("HOST:PORT"))
}

/// A read the server refused (no token, or one without the `read` scope) as a page a browser
/// shows; anything else as the API's JSON error.
pub fn refused(error: ApiError, request: &HeaderMap) -> Response {
    let (status, why) = match &error {
        ApiError::Unauthorized(why) => (StatusCode::UNAUTHORIZED, (*why).to_owned()),
        ApiError::Forbidden(scope) => (
            StatusCode::FORBIDDEN,
            format!("the token lacks the `{}` scope", scope.as_str()),
        ),
        _ => return error.into_response(),
    };
    let mut out = head("pave registry: sign-in needed");
    push_html!(
        out,
        "<section class=\"chart empty refused\" id=\"refused\">\n<h1>This registry needs a read token</h1>\n<p><strong>",
        capitalized(&why),
        "</strong>.</p>\n<p>It was started with <code>--read-token-required</code>, so the dashboard, like every read of the API, needs the header <code>Authorization: Bearer &lt;token&gt;</code> with a token that has the <code>read</code> scope. A browser does not send one by itself: put a proxy in front of the registry that adds it, or save the page with</p>\n<pre><code>curl -H \"Authorization: Bearer $TOKEN\" ",
        example_url(host(request)),
        "/ &gt; dashboard.html</code></pre>\n<p>(the page is self-contained and opens offline). An admin creates a token with <code>pave registry token create --name dashboard --scope read</code>.</p>\n</section>\n</main>\n</body>\n</html>\n"
    );
    let mut response = html_response(status, out);
    if status == StatusCode::UNAUTHORIZED {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    response
}

fn html_response(status: StatusCode, body: Html) -> Response {
    let mut response = (status, body.into_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    // The figures change with every event.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The opening of every page, up to and including `<main>`.
fn head(title: &str) -> Html {
    html![
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n",
        // The header says it too; the meta keeps a saved copy inert.
        "<meta http-equiv=\"Content-Security-Policy\" content=\"",
        CONTENT_SECURITY_POLICY,
        "\"/>\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n",
        // An empty icon: the browser does not ask the server for /favicon.ico.
        "<link rel=\"icon\" href=\"data:,\"/>\n<title>",
        title,
        "</title>\n<style>",
        STYLE,
        DASHBOARD_STYLE,
        "</style>\n</head>\n<body>\n<main>\n"
    ]
}

/// The dashboard's markup. `host` (the request's `Host`) fills in the empty state's example.
pub fn render(figures: &Figures, host: Option<&str>) -> Html {
    let view = View::of(figures);
    let mut out = head(&format!(
        "pave registry: {} repos on a golden path",
        view.repos
    ));
    push_html!(
        out,
        "<header class=\"top\">\n<h1>pave registry</h1>\n<p class=\"sub\">Adoption of the paved path · as of <time datetime=\"",
        figures.now.to_string(),
        "\">",
        figures.now.strftime("%Y-%m-%d %H:%M UTC").to_string(),
        "</time></p>\n</header>\n"
    );
    if figures.repos.is_empty() {
        out.push(empty_state(host));
    } else {
        push_html!(
            out,
            tiles(&view),
            timeline::render(&adoption_chart(figures)),
            bars::render(&versions_chart(&view)),
            bars::render(&lag_chart(&view)),
            bars::render(&drift_chart(&figures.by_team, Grouping::Team)),
            bars::render(&drift_chart(&figures.by_train, Grouping::Train)),
            attention(&view)
        );
    }
    push_html!(
        out,
        "<footer>pave ",
        env!("CARGO_PKG_VERSION"),
        " · the same figures as JSON: <a href=\"/api/v1/stats\">stats</a> (<code>?by=team</code>, <code>train</code>, <code>version</code>), <a href=\"/api/v1/golden-paths\">golden paths</a>, <a href=\"/api/v1/repos\">repos</a>, <a href=\"/api/v1/stats/daily?days=",
        WINDOW_DAYS,
        "\">daily adoption</a>. Repos count once; other figures once per golden path a repo is on.</footer>\n</main>\n</body>\n</html>\n"
    );
    out
}

/// The figures derived once for every part of the page.
struct View<'a> {
    figures: &'a Figures,
    /// Distinct repos.
    repos: usize,
    /// The newest version the registry knows, per catalog and golden path.
    latest: BTreeMap<(Option<&'a str>, &'a str), &'a Version>,
    /// Golden-path names more than one catalog uses: shown with their catalog.
    shared_names: BTreeSet<&'a str>,
    /// Adoptions per lag: none, patch, minor, major.
    lag: [u64; 4],
    /// Summed over golden paths: every adoption is in exactly one golden path's group.
    totals: GroupStats,
    adopted_recently: u64,
}

impl<'a> View<'a> {
    fn of(figures: &'a Figures) -> Self {
        let latest: BTreeMap<(Option<&str>, &str), &Version> = figures
            .golden_paths
            .iter()
            .filter_map(|g| Some(((g.catalog.as_deref(), g.name.as_str()), g.latest.as_ref()?)))
            .collect();
        let mut seen = BTreeSet::new();
        let shared_names = figures
            .golden_paths
            .iter()
            .filter(|g| !seen.insert(g.name.as_str()))
            .map(|g| g.name.as_str())
            .collect();
        let mut view = Self {
            figures,
            repos: figures
                .repos
                .iter()
                .map(|r| r.repo_id.as_str())
                .collect::<BTreeSet<_>>()
                .len(),
            latest,
            shared_names,
            lag: [0; 4],
            totals: GroupStats::default(),
            adopted_recently: figures
                .daily
                .iter()
                .rev()
                .take(RECENT_DAYS)
                .map(|d| d.adopted)
                .sum(),
        };
        for record in &figures.repos {
            if let Some(lag) = view.lag_of(record) {
                view.lag[lag as usize] += 1;
            }
        }
        for g in &figures.by_golden_path.groups {
            view.totals.adoptions += g.adoptions;
            view.totals.conforming += g.conforming;
            view.totals.excepted += g.excepted;
            view.totals.drifted += g.drifted;
            view.totals.unchecked += g.unchecked;
        }
        view
    }

    fn latest_of(&self, catalog: Option<&str>, golden_path: &str) -> Option<&'a Version> {
        self.latest.get(&(catalog, golden_path)).copied()
    }

    fn lag_of(&self, record: &RepoRecord) -> Option<Lag> {
        self.latest_of(record.catalog.as_deref(), &record.golden_path)
            .map(|latest| Lag::between(&record.version, latest))
    }

    /// A golden path as the page names it: with its catalog when another catalog has one of
    /// the same name.
    fn golden_path_label(&self, name: &str, catalog: Option<&str>) -> String {
        if self.shared_names.contains(name) {
            format!("{name} ({})", catalog.unwrap_or("unknown catalog"))
        } else {
            name.to_owned()
        }
    }
}

fn plural(n: impl Into<u64>, one: &str, many: &str) -> String {
    let n = n.into();
    format!("{n} {}", if n == 1 { one } else { many })
}

fn tiles(view: &View) -> Html {
    let t = &view.totals;
    let checked = t.conforming + t.drifted;
    let behind: u64 = view.lag[1..].iter().sum();
    let rate = if checked == 0 {
        "–".to_owned()
    } else {
        share(t.conforming as usize, checked as usize)
    };
    let total_now = view.figures.daily.last().map_or(0, |d| d.cumulative);
    // Every repo the registry has seen, with a lock or without (`pave audit --push`).
    let fleet = view.figures.by_golden_path.fleet;
    let fleet_rate = if fleet.repos == 0 {
        "–".to_owned()
    } else {
        share(fleet.adopted as usize, fleet.repos as usize)
    };
    // A figure with its id, for tests and readers of the markup.
    let n = |id: &str, n: u64| html!["<span id=\"", id, "\">", thousands(n), "</span>"];
    let tiles = [
        (
            "",
            n("repos-total", view.repos as u64),
            "Repos on a golden path",
            html![
                n("adoptions-total", t.adoptions),
                " adoptions of ",
                n("golden-paths-total", view.figures.golden_paths.len() as u64),
                " golden paths; ",
                n("fleet-adopted", fleet.adopted),
                " of ",
                n("fleet-repos", fleet.repos),
                " repos seen (",
                html!["<span id=\"fleet-rate\">", fleet_rate, "</span>"],
                ")"
            ],
        ),
        (
            if checked > 0 && t.drifted == 0 {
                "good"
            } else {
                ""
            },
            html!["<span id=\"conforming-rate\">", rate, "</span>"],
            "Conforming",
            html![
                n("conforming-count", t.conforming),
                " of ",
                n("checked-count", checked),
                " checked at their version, ",
                n("excepted-count", t.excepted),
                " of them with exceptions"
            ],
        ),
        (
            if t.drifted > 0 { "bad" } else { "" },
            n("drifted-count", t.drifted),
            "Drifted",
            html![
                n("unchecked-count", t.unchecked),
                " not checked at their version"
            ],
        ),
        (
            if view.lag[3] > 0 { "bad" } else { "" },
            n("lagging-count", behind),
            "Behind the newest",
            html![
                thousands(view.lag[1]),
                " patch · ",
                thousands(view.lag[2]),
                " minor · ",
                n("major-count", view.lag[3]),
                " major"
            ],
        ),
        (
            if view.adopted_recently > 0 {
                "good"
            } else {
                ""
            },
            n("adopted-recent", view.adopted_recently),
            "Adopted in 30 days",
            html![thousands(total_now), " repos recorded in all"],
        ),
    ];
    let mut out = html!["<section class=\"tiles\" aria-label=\"Headline figures\">\n"];
    for (class, value, label, note) in tiles {
        out.push(html::tile(class, value, label, note));
    }
    push_html!(out, "</section>\n");
    out
}

fn adoption_chart(figures: &Figures) -> Timeline {
    Timeline {
        id: "adoption",
        title: format!("Adoption over the last {WINDOW_DAYS} days"),
        total_name: "repos on a golden path",
        new_name: "newly adopted",
        days: figures
            .daily
            .iter()
            .map(|d| Day {
                day: d.day,
                new: d.adopted,
                total: d.cumulative,
            })
            .collect(),
    }
}

/// Per golden path, its repos by version, newest first, coloured by how far behind.
fn versions_chart(view: &View) -> BarChart {
    let bars = view
        .figures
        .golden_paths
        .iter()
        .map(|g| {
            let latest = view.latest_of(g.catalog.as_deref(), &g.name);
            let segments: Vec<Segment> = g
                .versions
                .iter()
                .map(|v| {
                    let lag = latest.map(|latest| Lag::between(&v.version, latest));
                    let name = match lag {
                        Some(lag) => format!("{} ({})", v.version, lag.label()),
                        None => v.version.to_string(),
                    };
                    Segment {
                        class: lag_class(lag),
                        name,
                        count: v.repos as usize,
                        attrs: vec![
                            ("data-version", v.version.to_string()),
                            ("data-count", v.repos.to_string()),
                        ],
                    }
                })
                .collect();
            let detail = bars::versions_in_words(&segments, MAX_VERSIONS);
            let mut bar_attrs = vec![
                ("data-golden-path", g.name.clone()),
                ("data-catalog", g.catalog.clone().unwrap_or_default()),
                ("data-repos", g.repos.to_string()),
            ];
            if let Some(latest) = latest {
                bar_attrs.push(("data-latest", latest.to_string()));
            }
            Bar {
                label: view.golden_path_label(&g.name, g.catalog.as_deref()),
                segments,
                detail,
                attrs: bar_attrs,
            }
        })
        .collect();
    BarChart {
        id: "versions",
        title: "Versions per golden path",
        width: CHART_WIDTH,
        note: "Each bar is a golden path's repos by version, newest first; green is the newest version the registry knows.".into(),
        empty: "No repo is on a golden path yet.",
        legend: Lag::ALL
            .iter()
            .map(|lag| (lag_class(Some(*lag)), lag.label().to_owned()))
            .collect(),
        bars,
        is_share: true,
        more: (0, ""),
    }
}

/// Adoptions by how far behind the newest version they are.
fn lag_chart(view: &View) -> BarChart {
    let total: u64 = view.lag.iter().sum();
    let bars = Lag::ALL
        .into_iter()
        .map(|lag| {
            let count = view.lag[lag as usize];
            Bar {
                label: capitalized(lag.words()),
                segments: vec![Segment {
                    class: lag_class(Some(lag)),
                    name: lag.words().to_owned(),
                    count: count as usize,
                    attrs: vec![("data-count", count.to_string())],
                }],
                detail: format!(
                    "{} ({} of adoptions)",
                    plural(count, "repo", "repos"),
                    share(count as usize, total as usize)
                ),
                attrs: vec![("data-lag", lag.as_str().to_owned())],
            }
        })
        .collect();
    BarChart {
        id: "lag",
        title: "Version lag",
        width: CHART_WIDTH,
        note: "Repos by how far their version is behind the newest of their golden path.".into(),
        empty: "No repo is on a golden path yet.",
        legend: Vec::new(),
        bars,
        is_share: false,
        more: (0, ""),
    }
}

#[derive(Clone, Copy)]
enum Grouping {
    Team,
    Train,
}

/// Per team or train: conforming, drifted and unchecked adoptions, most drifted first.
fn drift_chart(stats: &Stats, grouping: Grouping) -> BarChart {
    let (id, title, attr, none, plural_name) = match grouping {
        Grouping::Team => ("teams", "Drift by team", "data-team", "(no team)", "teams"),
        Grouping::Train => (
            "trains",
            "Drift by train",
            "data-train",
            "(no train)",
            "trains",
        ),
    };
    let mut groups: Vec<&GroupStats> = stats.groups.iter().collect();
    groups.sort_by(|a, b| {
        b.drifted
            .cmp(&a.drifted)
            .then_with(|| b.adoptions.cmp(&a.adoptions))
            .then_with(|| (a.key.is_none(), &a.key).cmp(&(b.key.is_none(), &b.key)))
    });
    let bars = groups
        .iter()
        .take(MAX_BARS)
        .map(|g| {
            let parts = [
                ("s-conforming", "conforming", g.conforming),
                ("s-drifted", "drifted", g.drifted),
                ("s-unchecked", "unchecked", g.unchecked),
            ];
            let checked = g.conforming + g.drifted;
            let mut detail = format!(
                "{} conforming ({} with exceptions) · {} drifted · {} unchecked",
                g.conforming, g.excepted, g.drifted, g.unchecked
            );
            if checked > 0 {
                let _ = write!(
                    detail,
                    " · {} of checked conform",
                    share(g.conforming as usize, checked as usize)
                );
            }
            Bar {
                label: g.key.clone().unwrap_or_else(|| none.to_owned()),
                segments: parts
                    .into_iter()
                    .map(|(class, name, count)| Segment {
                        class,
                        name: name.to_owned(),
                        count: count as usize,
                        attrs: vec![
                            ("data-status", name.to_owned()),
                            ("data-count", count.to_string()),
                        ],
                    })
                    .collect(),
                detail,
                attrs: vec![
                    (attr, g.key.clone().unwrap_or_default()),
                    ("data-repos", g.repos.to_string()),
                    ("data-adoptions", g.adoptions.to_string()),
                ],
            }
        })
        .collect();
    BarChart {
        id,
        title,
        width: CHART_WIDTH,
        note: "Conformance at each repo's current version, from its last `pave check --report` or audit; most drifted first.".into(),
        empty: "No repo is on a golden path yet.",
        legend: vec![
            ("s-conforming", "conforming".into()),
            ("s-drifted", "drifted".into()),
            ("s-unchecked", "not checked at this version".into()),
        ],
        bars,
        is_share: false,
        more: (groups.len().saturating_sub(MAX_BARS), plural_name),
    }
}

/// Why a repo's golden path needs a look, in the order a person should look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Concern {
    Drifted,
    MajorBehind,
    MinorBehind,
    Unchecked,
}

impl Concern {
    fn as_str(self) -> &'static str {
        match self {
            Self::Drifted => "drifted",
            Self::MajorBehind => "major",
            Self::MinorBehind => "minor",
            Self::Unchecked => "unchecked",
        }
    }

    /// Its badge in the attention table.
    fn label(self) -> &'static str {
        match self {
            Self::Drifted => "drifted",
            Self::MajorBehind => Lag::Major.label(),
            Self::MinorBehind => Lag::Minor.label(),
            Self::Unchecked => "unchecked",
        }
    }
}

struct Attention<'a> {
    record: &'a RepoRecord,
    concern: Concern,
    latest: Option<&'a Version>,
}

/// Drifted first (most files first), then a major, then a minor version behind, then not checked
/// at their version; a patch behind and conforming is fine.
fn needs_attention<'a>(view: &View<'a>) -> Vec<Attention<'a>> {
    let mut rows: Vec<Attention> = view
        .figures
        .repos
        .iter()
        .filter_map(|record| {
            let current = record
                .conformance
                .as_ref()
                .filter(|c| c.version == record.version);
            let concern = match (current, view.lag_of(record)) {
                (Some(c), _) if !c.conforming => Concern::Drifted,
                (_, Some(Lag::Major)) => Concern::MajorBehind,
                (_, Some(Lag::Minor)) => Concern::MinorBehind,
                (None, _) => Concern::Unchecked,
                _ => return None,
            };
            Some(Attention {
                record,
                concern,
                latest: view.latest_of(record.catalog.as_deref(), &record.golden_path),
            })
        })
        .collect();
    let files = |a: &Attention| match (a.concern, &a.record.conformance) {
        (Concern::Drifted, Some(c)) => c.drifted_files + c.missing_files + c.conflicted_files,
        _ => 0,
    };
    rows.sort_by(|a, b| {
        a.concern
            .cmp(&b.concern)
            .then_with(|| files(b).cmp(&files(a)))
            .then_with(|| a.record.repo.name.cmp(&b.record.repo.name))
            .then_with(|| a.record.repo_id.cmp(&b.record.repo_id))
            .then_with(|| a.record.golden_path.cmp(&b.record.golden_path))
    });
    rows
}

fn attention(view: &View) -> Html {
    let rows = needs_attention(view);
    let mut out = html![
        "<section class=\"chart\" id=\"attention\" aria-labelledby=\"attention-h\">\n<h2 id=\"attention-h\">Needs attention (<span id=\"attention-total\">",
        thousands(rows.len() as u64),
        "</span>)</h2>\n"
    ];
    if rows.is_empty() {
        push_html!(
            out,
            "<p class=\"sub\">Nothing: every repo conforms at its version and is at most a patch behind.</p>\n</section>\n"
        );
        return out;
    }
    push_html!(
        out,
        "<p class=\"sub\">Drifted first, then a major or minor version behind, then not checked at their version.</p>\n"
    );
    if rows.len() > MAX_ROWS {
        push_html!(
            out,
            "<p class=\"more\">The first ",
            MAX_ROWS,
            " of ",
            thousands(rows.len() as u64),
            "; <a href=\"/api/v1/repos\">/api/v1/repos</a> lists every repo.</p>\n"
        );
    }
    push_html!(
        out,
        "<table>\n<thead><tr><th scope=\"col\">Repo</th><th scope=\"col\">Golden path</th><th scope=\"col\">Version</th><th scope=\"col\">Team</th><th scope=\"col\">Train</th><th scope=\"col\">Why</th><th scope=\"col\">Last check</th></tr></thead>\n<tbody>\n"
    );
    for row in rows.iter().take(MAX_ROWS) {
        let r = row.record;
        // The id (often the repo's URL without a scheme) on hover: the name is what people know.
        let repo = html![
            "<strong title=\"",
            r.repo_id,
            "\">",
            r.repo.name,
            "</strong>"
        ];
        let version = match row.latest {
            Some(latest) if *latest > r.version => html![
                r.version.to_string(),
                " → <span class=\"behind\">",
                latest.to_string(),
                "</span>"
            ],
            _ => html![r.version.to_string()],
        };
        let why = match (row.concern, &r.conformance) {
            (Concern::Drifted, Some(c)) => {
                let mut parts = Vec::new();
                if c.drifted_files > 0 || c.missing_files + c.conflicted_files == 0 {
                    parts.push(plural(c.drifted_files, "file drifted", "files drifted"));
                }
                if c.missing_files > 0 {
                    parts.push(plural(c.missing_files, "file missing", "files missing"));
                }
                if c.conflicted_files > 0 {
                    parts.push(plural(
                        c.conflicted_files,
                        "file with unresolved conflicts",
                        "files with unresolved conflicts",
                    ));
                }
                parts.join(", ")
            }
            // The version column shows the newest.
            (Concern::MajorBehind | Concern::MinorBehind, _) => String::new(),
            (_, Some(c)) if c.version != r.version => {
                format!("not checked since {} (checked at {})", r.version, c.version)
            }
            _ => "never checked".to_owned(),
        };
        let checked = r.conformance.as_ref().map_or_else(
            || html!["never"],
            |c| {
                html![
                    "<time datetime=\"",
                    c.checked_at.to_string(),
                    "\">",
                    c.checked_at.strftime("%Y-%m-%d").to_string(),
                    "</time><br/><span class=\"id\">",
                    c.source.as_str(),
                    "</span>"
                ]
            },
        );
        push_html!(
            out,
            "<tr",
            attrs(&[
                ("data-repo-id", r.repo_id.clone()),
                ("data-golden-path", r.golden_path.clone()),
                ("data-catalog", r.catalog.clone().unwrap_or_default()),
                ("data-version", r.version.to_string()),
                ("data-concern", row.concern.as_str().to_owned()),
            ]),
            "><td>",
            repo,
            "</td><td>",
            view.golden_path_label(&r.golden_path, r.catalog.as_deref()),
            "</td><td>",
            version,
            "</td><td>",
            r.team.as_deref().unwrap_or(""),
            "</td><td>",
            r.train.as_deref().unwrap_or(""),
            "</td><td><span class=\"badge b-",
            row.concern.as_str(),
            "\">",
            row.concern.label(),
            "</span> ",
            why,
            "</td><td>",
            checked,
            "</td></tr>\n"
        );
    }
    push_html!(out, "</tbody>\n</table>\n</section>\n");
    out
}

fn empty_state(host: Option<&str>) -> Html {
    html![
        "<section class=\"chart empty\" id=\"empty-state\">\n<h2>No adoption recorded yet</h2>\n<p>This registry has not heard of a repo on a golden path. Repos appear here as pave records them: point pave at this registry with a <code>write</code> token, then scaffold, check or audit.</p>\n<pre><code>pave registry token create --name ci --scope write   # by an admin, where the database is\nexport PAVE_REGISTRY_URL=",
        example_url(host),
        "\nexport PAVE_REGISTRY_TOKEN=pave_…\npave new rust-service ./payments-api --set team=payments --set organization=acme  # records the adoption\npave check --report                                                               # in CI: records conformance and version lag\npave audit ~/src --push                                                           # records a whole fleet at once</code></pre>\n<p>The charts fill in with the first event: adoption over time, versions per golden path, version lag, drift by team and train, and the repos that need attention.</p>\n</section>\n"
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ConformanceSource, LastConformance, RepoRef, VersionCount};

    fn version(v: &str) -> Version {
        Version::parse(v).unwrap()
    }

    fn record(name: &str, v: &str, team: &str, conformance: Option<(&str, bool)>) -> RepoRecord {
        let at: Timestamp = "2026-03-01T10:00:00Z".parse().unwrap();
        RepoRecord {
            repo_id: format!("github.com/acme/{name}"),
            repo: RepoRef {
                name: name.into(),
                url: None,
                path: None,
            },
            golden_path: "rust-service".into(),
            catalog: Some("builtin".into()),
            version: version(v),
            team: Some(team.into()),
            train: None,
            adopted_at: at,
            updated_at: at,
            conformance: conformance.map(|(v, conforming)| LastConformance {
                version: version(v),
                conforming,
                drifted_files: u32::from(!conforming) * 2,
                missing_files: 0,
                edited_files: 0,
                conflicted_files: 0,
                excepted_files: 0,
                lag: None,
                latest: None,
                source: ConformanceSource::Check,
                checked_at: at,
            }),
            audit_status: None,
        }
    }

    fn figures(repos: Vec<RepoRecord>) -> Figures {
        let mut versions: BTreeMap<Version, u64> = BTreeMap::new();
        for r in &repos {
            *versions.entry(r.version.clone()).or_default() += 1;
        }
        let golden_paths = if repos.is_empty() {
            Vec::new()
        } else {
            vec![GoldenPathSummary {
                name: "rust-service".into(),
                catalog: Some("builtin".into()),
                repos: repos.len() as u64,
                latest: versions.keys().max().cloned(),
                versions: versions
                    .into_iter()
                    .rev()
                    .map(|(version, repos)| VersionCount { version, repos })
                    .collect(),
            }]
        };
        let stats = |group_by| Stats {
            group_by,
            groups: Vec::new(),
            fleet: Default::default(),
        };
        Figures {
            now: "2026-03-02T12:00:00Z".parse().unwrap(),
            daily: vec![DailyAdoption {
                day: jiff::civil::date(2026, 3, 1),
                adopted: repos.len() as u64,
                cumulative: repos.len() as u64,
            }],
            repos,
            golden_paths,
            by_golden_path: stats(GroupBy::GoldenPath),
            by_team: stats(GroupBy::Team),
            by_train: stats(GroupBy::Train),
        }
    }

    /// The page parses as XML: every tag closed, every attribute quoted, nothing unescaped.
    fn parse(html: &str) -> roxmltree::Document<'_> {
        let options = roxmltree::ParsingOptions {
            allow_dtd: true,
            ..roxmltree::ParsingOptions::default()
        };
        roxmltree::Document::parse_with_options(html, options).unwrap()
    }

    #[test]
    fn hostile_names_stay_text() {
        let hostile = "<script>alert(1)</script><img src=x onerror=alert(2)>\"'&";
        let mut repo = record(hostile, "1.0.0", hostile, Some(("1.0.0", false)));
        repo.train = Some(hostile.into());
        let html = render(&figures(vec![repo]), Some("<b>host</b>")).into_string();
        let doc = parse(&html);
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(
            doc.descendants()
                .filter(|n| n.has_tag_name("strong"))
                .any(|n| n.text() == Some(hostile)),
            "the name is shown as it is, as text"
        );
    }

    #[test]
    fn drifted_repos_come_first_then_lag_then_unchecked() {
        let view_of = figures(vec![
            record("unchecked", "2.1.0", "a", None),
            record("minor", "2.0.0", "a", Some(("2.0.0", true))),
            record("fine", "2.1.0", "a", Some(("2.1.0", true))),
            record("major", "1.0.0", "a", Some(("1.0.0", true))),
            record("drifted", "2.1.0", "a", Some(("2.1.0", false))),
            record("moved-on", "2.1.0", "a", Some(("2.0.0", true))),
        ]);
        let view = View::of(&view_of);
        let rows: Vec<(&str, Concern)> = needs_attention(&view)
            .iter()
            .map(|a| (a.record.repo.name.as_str(), a.concern))
            .collect();
        assert_eq!(
            rows,
            [
                ("drifted", Concern::Drifted),
                ("major", Concern::MajorBehind),
                ("minor", Concern::MinorBehind),
                ("moved-on", Concern::Unchecked),
                ("unchecked", Concern::Unchecked),
            ]
        );
        assert_eq!(view.lag, [4, 0, 1, 1]);
        let html = render(&view_of, None).into_string();
        parse(&html);
        assert!(html.contains("<span id=\"repos-total\">6</span>"));
        assert!(html.contains("<span id=\"lagging-count\">2</span>"));
        assert!(html.contains("not checked since 2.1.0 (checked at 2.0.0)"));
        assert!(html.contains("data-version=\"1.0.0\" data-count=\"1\""));
    }

    #[test]
    fn a_golden_path_of_another_catalog_puts_no_repo_behind() {
        let on = |name: &str, v: &str, catalog: &str| {
            let mut r = record(name, v, "a", Some((v, true)));
            r.golden_path = "lib-a".into();
            r.catalog = Some(catalog.into());
            r
        };
        let platform = "git:https://git.example.com/platform/golden-paths.git";
        let mut figures = figures(vec![
            on("p1", "1.0.0", platform),
            on("p2", "1.0.0", platform),
            on("s1", "5.0.0", "scratch"),
        ]);
        let summary = |catalog: &str, v: &str, repos: u64| GoldenPathSummary {
            name: "lib-a".into(),
            catalog: Some(catalog.into()),
            repos,
            latest: Some(version(v)),
            versions: vec![VersionCount {
                version: version(v),
                repos,
            }],
        };
        figures.golden_paths = vec![
            summary(platform, "1.0.0", 2),
            summary("scratch", "5.0.0", 1),
        ];
        let view = View::of(&figures);
        assert_eq!(view.lag, [3, 0, 0, 0], "nobody is behind");
        assert!(needs_attention(&view).is_empty());
        let html = render(&figures, None).into_string();
        parse(&html);
        assert!(
            html.contains("<span id=\"lagging-count\">0</span>"),
            "{html}"
        );
        assert!(html.contains(&format!("lib-a ({platform})")), "{html}");
        assert!(html.contains("lib-a (scratch)"), "{html}");
        assert!(html.contains("data-catalog=\"scratch\""), "{html}");
    }

    #[test]
    fn the_attention_table_is_cut_at_its_limit() {
        let repos = (0..MAX_ROWS + 50)
            .map(|i| record(&format!("r{i:04}"), "1.0.0", "a", None))
            .collect();
        let html = render(&figures(repos), None).into_string();
        assert_eq!(html.matches("data-concern=\"unchecked\"").count(), MAX_ROWS);
        assert!(html.contains("<span id=\"attention-total\">150</span>"));
        assert!(html.contains("The first 100 of 150;"));
    }

    #[test]
    fn an_empty_registry_says_how_to_record_adoption() {
        let html = render(&figures(Vec::new()), Some("registry.internal:7878")).into_string();
        parse(&html);
        assert!(html.contains("id=\"empty-state\""));
        assert!(html.contains("export PAVE_REGISTRY_URL=http://registry.internal:7878"));
        assert!(html.contains("pave new rust-service"));
        assert!(!html.contains("<svg"), "no empty charts");
    }

    #[test]
    fn a_refused_read_is_a_page_that_says_why() {
        let request = HeaderMap::new();
        let response = refused(
            ApiError::Unauthorized("a bearer token is required"),
            &request,
        );
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(response.headers()[header::WWW_AUTHENTICATE], "Bearer");
        assert!(
            response.headers()[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        let response = refused(ApiError::Forbidden(crate::model::Scope::Read), &request);
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert_eq!(
            refused(ApiError::NotFound, &request).status(),
            StatusCode::NOT_FOUND,
            "not a refusal: the API's error"
        );
    }
}
