//! The registry's dashboard (`GET /`): through `app()` with `oneshot` for access and the empty
//! state, and in a real headless Chromium against the real `pave registry serve` on a seeded
//! SQLite registry, where the figures the browser shows must be the ones the JSON API returns.
//!
//! Chromium is `/usr/bin/chromium` or `chromium` on PATH (`.ci/setup-tools` installs it); outside
//! CI a missing one skips the browser test. The screenshot is kept as
//! `target/tmp/registry-dashboard.png` for a person to look at.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use pave_registry::model::{Batch, Lag, Scope};
use pave_registry::server::{ReadAccess, app};
use pave_registry::store::Store;
use pave_registry::store::sqlite::SqliteStore;
use serde_json::{Value, json};
use tower::ServiceExt as _;

use crate::registry_server::{Child, free_port, http};

const HOSTILE_NAME: &str = "<script>alert('pwned')</script><img src=x onerror=alert(1)>";
const HOSTILE_TEAM: &str = "red<b>team</b>&co";

// ---------------------------------------------------------------------------------------------
// Through app()

fn open_store(path: &Path) -> Arc<dyn Store> {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(path).unwrap());
    store.migrate().unwrap();
    store
}

async fn get_page(
    store: &Arc<dyn Store>,
    access: ReadAccess,
    token: Option<&str>,
) -> (StatusCode, HeaderMap, String) {
    let mut request = Request::get("/").header(header::HOST, "registry.example:7878");
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let response = app(Arc::clone(store), access)
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    (
        parts.status,
        parts.headers,
        String::from_utf8(bytes.to_vec()).unwrap(),
    )
}

#[tokio::test]
async fn an_empty_registry_says_how_to_record_adoption() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(&dir.path().join("registry.sqlite"));
    let (status, headers, html) = get_page(&store, ReadAccess::Open, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "text/html; charset=utf-8");
    assert_eq!(
        headers[header::CONTENT_SECURITY_POLICY],
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    );
    assert!(html.contains("id=\"empty-state\""), "{html}");
    assert!(html.contains("No adoption recorded yet"));
    assert!(
        html.contains("export PAVE_REGISTRY_URL=http://registry.example:7878"),
        "the example names this registry: {html}"
    );
    assert!(html.contains("pave new rust-service"));
    assert!(!html.contains("<svg"), "no empty charts");
}

#[tokio::test]
async fn the_dashboard_needs_a_read_token_when_reads_do() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(&dir.path().join("registry.sqlite"));
    let read = store.create_token("dashboard", &[Scope::Read]).unwrap();
    let write = store.create_token("ci", &[Scope::Write]).unwrap();
    let required = ReadAccess::TokenRequired;

    let (status, headers, html) = get_page(&store, required, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(headers[header::WWW_AUTHENTICATE], "Bearer");
    assert_eq!(headers[header::CONTENT_TYPE], "text/html; charset=utf-8");
    assert!(html.contains("This registry needs a read token"), "{html}");
    assert!(html.contains("A bearer token is required"), "{html}");
    assert!(html.contains("pave registry token create --name dashboard --scope read"));
    assert!(
        html.contains("http://registry.example:7878/ &gt; dashboard.html"),
        "how to save the page from this registry: {html}"
    );
    assert!(
        !html.contains("empty-state"),
        "nothing of the registry shown"
    );

    let (status, _, html) = get_page(&store, required, Some("pave_nope")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(html.contains("The token is unknown or revoked"), "{html}");

    let (status, _, html) = get_page(&store, required, Some(&write.secret)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(html.contains("The token lacks the `read` scope"), "{html}");

    let (status, _, html) = get_page(&store, required, Some(&read.secret)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("id=\"empty-state\""));
}

// ---------------------------------------------------------------------------------------------
// The seeded registry

/// Newest version of each golden path, as the catalog would say.
const LATEST: [(&str, &str); 3] = [
    ("rust-service", "2.1.0"),
    ("python-service", "1.3.1"),
    ("static-site", "0.9.0"),
];

/// A check of a repo's golden path: at which version, files drifted and missing, days ago.
type Check = Option<(&'static str, u32, u32, i64)>;

/// One repo on one golden path: name, golden path, version, team, train, adopted days ago, check.
type Seed = (
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    i64,
    Check,
);

/// A mix a platform lead would see: three golden paths, versions on the newest and a patch,
/// minor and major behind, drift, repos never checked, one checked before its upgrade, one on two
/// golden paths, repos without team or train, adoptions before and inside the chart's window,
/// and a hostile name and team.
#[rustfmt::skip]
const SEEDS: &[Seed] = &[
    ("payments-api", "rust-service", "2.1.0", Some("payments"), Some("checkout"), 120, Some(("2.1.0", 0, 0, 3))),
    ("ledger", "rust-service", "2.1.0", Some("payments"), Some("checkout"), 85, Some(("2.1.0", 3, 1, 2))),
    ("billing", "rust-service", "2.0.0", Some("payments"), Some("checkout"), 70, Some(("2.0.0", 0, 0, 4))),
    ("identity-svc", "rust-service", "1.4.0", Some("identity"), Some("onboarding"), 150, Some(("1.4.0", 1, 0, 1))),
    ("sso", "rust-service", "1.4.0", Some("identity"), Some("onboarding"), 60, Some(("1.4.0", 0, 0, 5))),
    ("signup", "python-service", "1.3.1", Some("growth"), Some("onboarding"), 40, Some(("1.3.1", 0, 0, 2))),
    ("experiments", "python-service", "1.3.0", Some("growth"), Some("onboarding"), 33, None),
    ("recommender", "python-service", "1.1.0", Some("growth"), None, 25, Some(("1.1.0", 2, 0, 1))),
    ("catalog-web", "static-site", "0.9.0", Some("growth"), Some("checkout"), 20, Some(("0.9.0", 0, 0, 1))),
    ("docs", "static-site", "0.9.0", Some("platform"), Some("core"), 18, None),
    ("status-page", "static-site", "0.8.0", Some("platform"), Some("core"), 12, Some(("0.8.0", 0, 0, 6))),
    ("pave-ci", "rust-service", "2.1.0", Some("platform"), Some("core"), 9, Some(("2.1.0", 0, 0, 1))),
    ("notifier", "python-service", "1.3.1", None, None, 5, None),
    ("search", "rust-service", "2.1.0", Some("growth"), Some("checkout"), 45, Some(("2.0.0", 0, 0, 6))),
    (HOSTILE_NAME, "rust-service", "2.1.0", Some(HOSTILE_TEAM), Some("checkout"), 3, Some(("2.1.0", 1, 0, 1))),
    ("ml-features", "python-service", "1.3.1", Some("data"), Some("core"), 2, Some(("1.3.1", 0, 0, 1))),
    ("edge-proxy", "rust-service", "2.1.0", Some("platform"), Some("core"), 1, None),
    ("storefront", "rust-service", "2.1.0", Some("growth"), Some("checkout"), 50, Some(("2.1.0", 0, 0, 2))),
    ("storefront", "static-site", "0.9.0", Some("growth"), Some("checkout"), 50, Some(("0.9.0", 0, 0, 2))),
    ("old-monolith", "rust-service", "1.4.0", Some("payments"), None, 200, None),
];

/// Repos that were upgraded after their last check: name and the version they left.
const UPGRADED_FROM: [(&str, &str); 1] = [("search", "2.0.0")];

fn seed(store: &dyn Store) {
    let now = jiff::Timestamp::now();
    let ago = |days: i64, hours: i64| {
        now - jiff::SignedDuration::from_hours(24 * days) + jiff::SignedDuration::from_hours(hours)
    };
    let mut events = Vec::new();
    let mut id = 0u32;
    let mut next_id = || {
        id += 1;
        format!("01920000-0000-7000-8000-{id:012}")
    };
    let latest = |golden_path: &str| {
        let v = LATEST.iter().find(|(g, _)| *g == golden_path).unwrap().1;
        semver::Version::parse(v).unwrap()
    };
    for (name, golden_path, version, team, train, days, check) in SEEDS {
        let repo_id = format!(
            "github.com/acme/{}",
            name.replace(['<', '>', ' ', '\''], "_")
        );
        let upgraded_from = UPGRADED_FROM
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| *v);
        let mut adoption = json!({
            "id": next_id(),
            "occurred_at": ago(*days, 0).to_string(),
            "repo_id": repo_id,
            "repo": {"name": name},
            "kind": "adoption",
            "command": "new",
            "golden_path": golden_path,
            "version": upgraded_from.unwrap_or(version),
            "components": ["app", "ci"],
            "catalog": "builtin"
        });
        if let Some(team) = team {
            adoption["team"] = json!(team);
        }
        if let Some(train) = train {
            adoption["train"] = json!(train);
        }
        events.push(adoption.clone());
        if let Some((checked, drifted, missing, days)) = check {
            let checked_version = semver::Version::parse(checked).unwrap();
            let latest = latest(golden_path);
            events.push(json!({
                "id": next_id(),
                "occurred_at": ago(*days, 1).to_string(),
                "repo_id": repo_id,
                "repo": {"name": name},
                "kind": "conformance",
                "golden_path": golden_path,
                "version": checked,
                "conforming": drifted + missing == 0,
                "drifted_files": drifted,
                "missing_files": missing,
                "edited_files": 0,
                "lag": Lag::between(&checked_version, &latest),
                "latest": latest.to_string(),
            }));
        }
        if upgraded_from.is_some() {
            adoption["id"] = json!(next_id());
            adoption["command"] = json!("upgrade");
            adoption["version"] = json!(version);
            adoption["occurred_at"] = json!(ago(1, 2).to_string());
            events.push(adoption);
        }
    }
    // The fleet audit finds drift in a repo no one checks with `pave check --report`.
    events.push(json!({
        "id": next_id(),
        "occurred_at": ago(0, -1).to_string(),
        "repo_id": "github.com/acme/metrics-gw",
        "repo": {"name": "metrics-gw", "path": "/srv/fleet/metrics-gw.git"},
        "kind": "audit",
        "status": "drifted",
        "golden_paths": [{"name": "rust-service", "version": "2.1.0", "catalog": "builtin", "latest": "2.1.0", "lag": "none"}],
        "drifted_files": 2, "missing_files": 0, "edited_files": 1,
        "team": "platform",
        "train": "core"
    }));
    let batch: Batch = serde_json::from_value(json!({ "events": events })).unwrap();
    let outcome = store.ingest(&batch).unwrap();
    assert_eq!(outcome.accepted as usize, batch.events.len());
}

/// After a repo is deleted, the page and `/metrics` count it no more: through `app()` (the
/// figures the browser shows are the page's own, as the browser test below proves).
#[tokio::test]
async fn a_deleted_repo_leaves_the_dashboards_totals_and_the_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(&dir.path().join("registry.sqlite"));
    seed(store.as_ref());
    let admin = store.create_token("sre", &[Scope::Admin]).unwrap();
    let call = |method: &str, uri: &str| {
        let request = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::AUTHORIZATION, format!("Bearer {}", admin.secret))
            .body(Body::empty())
            .unwrap();
        let app = app(Arc::clone(&store), ReadAccess::Open);
        let uri = uri.to_owned();
        async move {
            let response = app.oneshot(request).await.unwrap();
            assert_eq!(response.status(), StatusCode::OK, "{uri}");
            let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .unwrap();
            String::from_utf8(bytes.to_vec()).unwrap()
        }
    };
    let figures = |html: String| {
        let dom = Dom::parse(html);
        [
            "repos-total",
            "adoptions-total",
            "fleet-repos",
            "fleet-adopted",
            "conforming-count",
        ]
        .map(|id| dom.number_of(id))
    };
    let storefront_metric =
        r#"pave_registry_repos{golden_path="static-site",catalog="builtin",version="0.9.0"}"#;
    let metric = |text: &str| -> u64 {
        text.lines()
            .find_map(|line| line.strip_prefix(storefront_metric))
            .unwrap_or_else(|| panic!("no {storefront_metric}: {text}"))
            .trim()
            .parse()
            .unwrap()
    };

    let before = figures(call("GET", "/").await);
    let metric_before = metric(&call("GET", "/metrics").await);
    // storefront: one repo on two golden paths, both checked and conforming.
    call("DELETE", "/api/v1/repos/github.com%2Facme%2Fstorefront").await;
    let after = figures(call("GET", "/").await);
    assert_eq!(
        after,
        [
            before[0] - 1,
            before[1] - 2,
            before[2] - 1,
            before[3] - 1,
            before[4] - 2
        ],
        "repos, adoptions, fleet, adopted, conforming: {before:?} -> {after:?}"
    );
    assert_eq!(metric(&call("GET", "/metrics").await), metric_before - 1);
    assert!(!call("GET", "/").await.contains("storefront"));
}

// ---------------------------------------------------------------------------------------------
// The real server and a real browser

/// `pave registry serve` on a free loopback port, killed on drop.
struct Server {
    addr: String,
    _child: Child,
}

impl Server {
    fn start(database: &str) -> Self {
        let addr = format!("127.0.0.1:{}", free_port());
        let child = Command::new(env!("CARGO_BIN_EXE_pave"))
            .args([
                "registry",
                "serve",
                "--listen",
                &addr,
                "--database",
                database,
            ])
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let server = Self {
            addr,
            _child: Child(child),
        };
        let started = Instant::now();
        loop {
            match http(&server.addr, "GET", "/healthz", None, "") {
                Ok((200, _)) => return server,
                _ if started.elapsed() < Duration::from_secs(30) => {
                    std::thread::sleep(Duration::from_millis(50));
                }
                other => panic!("the server never became healthy: {other:?}"),
            }
        }
    }

    fn get(&self, path: &str) -> String {
        let (status, body) = http(&self.addr, "GET", path, None, "").unwrap();
        assert_eq!(status, 200, "GET {path}: {body}");
        body
    }

    fn json(&self, path: &str) -> Value {
        serde_json::from_str(&self.get(path)).unwrap()
    }

    fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }
}

/// Headless Chromium with a fresh profile per run.
struct Chromium {
    exe: PathBuf,
    dir: tempfile::TempDir,
}

/// Chromium, or `None` (with a note) outside CI when it is not installed.
#[allow(clippy::print_stderr)] // a skipped browser test must be visible in the test log
fn chromium() -> Option<Chromium> {
    let exe = std::iter::once(PathBuf::from("/usr/bin/chromium"))
        .chain(
            std::env::var_os("PATH")
                .into_iter()
                .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
                .map(|dir| dir.join("chromium")),
        )
        .find(|p| p.is_file());
    if exe.is_none() {
        assert!(
            std::env::var_os("CI").is_none_or(|ci| ci != "true"),
            "chromium is missing; `.ci/setup-tools` installs it"
        );
        eprintln!("skipping: chromium is not installed (run .ci/setup-tools)");
    }
    Some(Chromium {
        exe: exe?,
        dir: tempfile::tempdir().unwrap(),
    })
}

impl Chromium {
    /// Runs Chromium on `url` with `args`, its stdout into a file; fails after two minutes.
    fn run(&self, name: &str, args: &[String], url: &str) -> Vec<u8> {
        let stdout = self.dir.path().join(format!("{name}.out"));
        let stderr = self.dir.path().join(format!("{name}.err"));
        let child = Command::new(&self.exe)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
            ])
            .arg(format!(
                "--user-data-dir={}",
                self.dir.path().join(format!("{name}-profile")).display()
            ))
            .args(args)
            .arg(url)
            .env("HOME", self.dir.path())
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&stdout).unwrap())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .unwrap();
        let mut child = Child(child);
        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.0.try_wait().unwrap() {
                break status;
            }
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "chromium {name} took over two minutes: {}",
                std::fs::read_to_string(&stderr).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(100));
        };
        assert!(
            status.success(),
            "chromium {name} failed ({status}): {}",
            std::fs::read_to_string(&stderr).unwrap_or_default()
        );
        std::fs::read(&stdout).unwrap()
    }

    /// The DOM after Chromium parsed and rendered the page, serialized.
    fn dump_dom(&self, url: &str) -> String {
        String::from_utf8(self.run("dump-dom", &["--dump-dom".into()], url)).unwrap()
    }

    /// A PNG of the page in a window of `width` × `height`.
    fn screenshot(&self, url: &str, width: u32, height: u32) -> Vec<u8> {
        let path = self.dir.path().join("dashboard.png");
        self.run(
            "screenshot",
            &[
                format!("--screenshot={}", path.display()),
                format!("--window-size={width},{height}"),
            ],
            url,
        );
        std::fs::read(&path).unwrap()
    }
}

// ---------------------------------------------------------------------------------------------
// Reading the DOM Chromium serialized (HTML, not XML: a few regexes read what the test needs)

#[derive(Debug)]
struct Element {
    tag: String,
    attrs: BTreeMap<String, String>,
    /// Where the start tag ends in the page.
    end: usize,
}

impl Element {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.get(name).map(String::as_str)
    }

    fn number(&self, name: &str) -> u64 {
        self.attr(name)
            .unwrap_or_else(|| panic!("no {name} on {self:?}"))
            .parse()
            .unwrap()
    }
}

struct Dom {
    html: String,
    elements: Vec<Element>,
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&")
}

impl Dom {
    fn parse(html: String) -> Self {
        let tag = regex_lite::Regex::new(
            r#"<([a-zA-Z][a-zA-Z0-9]*)((?:\s+[^\s"'>/=]+(?:="[^"]*")?)*)\s*/?>"#,
        )
        .unwrap();
        let attr = regex_lite::Regex::new(r#"([^\s"'>/=]+)(?:="([^"]*)")?"#).unwrap();
        let elements = tag
            .captures_iter(&html)
            .map(|c| Element {
                tag: c[1].to_ascii_lowercase(),
                attrs: attr
                    .captures_iter(&c[2])
                    .map(|a| {
                        (
                            a[1].to_owned(),
                            unescape(a.get(2).map_or("", |v| v.as_str())),
                        )
                    })
                    .collect(),
                end: c.get(0).unwrap().end(),
            })
            .collect();
        Self { html, elements }
    }

    /// The text right after the start tag of the element with this id.
    fn text_of(&self, id: &str) -> String {
        let element = self
            .elements
            .iter()
            .find(|e| e.attr("id") == Some(id))
            .unwrap_or_else(|| panic!("no #{id} in the page"));
        let rest = &self.html[element.end..];
        unescape(&rest[..rest.find('<').unwrap_or(rest.len())])
    }

    fn number_of(&self, id: &str) -> u64 {
        let text = self.text_of(id).replace(',', "");
        text.parse()
            .unwrap_or_else(|_| panic!("#{id} is {text:?}, not a number"))
    }

    fn all(&self, tag: &str, attr: &str) -> Vec<&Element> {
        self.elements
            .iter()
            .filter(|e| e.tag == tag && e.attrs.contains_key(attr))
            .collect()
    }

    /// The `g` whose `attr` is `value` (a bar of a chart).
    fn bar(&self, attr: &str, value: &str) -> &Element {
        self.elements
            .iter()
            .find(|e| e.tag == "g" && e.attr(attr) == Some(value))
            .unwrap_or_else(|| panic!("no bar with {attr}={value:?}"))
    }

    /// The segments of a bar (the `rect`s with a `data-count` up to its `</g>`).
    fn segments(&self, bar: &Element) -> Vec<&Element> {
        let close = bar.end + self.html[bar.end..].find("</g>").unwrap();
        self.elements
            .iter()
            .filter(|e| e.end > bar.end && e.end < close)
            .filter(|e| e.tag == "rect" && e.attrs.contains_key("data-count"))
            .collect()
    }

    /// A bar's segment counts by the value of `key` (absent segments are zero: not drawn).
    fn counts(&self, bar: &Element, key: &str) -> BTreeMap<String, u64> {
        self.segments(bar)
            .into_iter()
            .map(|s| (s.attr(key).unwrap().to_owned(), s.number("data-count")))
            .collect()
    }
}

/// Every URL the markup would load or link: none may leave the registry. Read from the tags'
/// attributes, not the text, where a repo's name may well say `src=x`.
fn assert_nothing_external(dom: &Dom) {
    for element in &dom.elements {
        for (name, value) in &element.attrs {
            let is_reference = matches!(
                name.to_ascii_lowercase().as_str(),
                "src"
                    | "href"
                    | "xlink:href"
                    | "action"
                    | "formaction"
                    | "poster"
                    | "srcset"
                    | "data"
            );
            let is_local =
                value.starts_with("data:") || (value.starts_with('/') && !value.starts_with("//"));
            assert!(
                !is_reference || is_local,
                "a URL outside the registry: <{} {name}={value:?}>",
                element.tag
            );
        }
        assert_ne!(element.tag, "script", "a script element");
    }
    assert!(!dom.html.contains("url("), "a CSS url()");
    assert!(!dom.html.contains("@import"), "a CSS @import");
}

#[cfg(unix)]
#[test]
fn the_dashboard_shows_in_a_real_browser_what_the_api_returns() {
    let Some(chromium) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("registry.sqlite");
    seed(open_store(&db).as_ref());
    let server = Server::start(&format!("sqlite:{}", db.display()));

    assert_nothing_external(&Dom::parse(server.get("/")));
    let dom = Dom::parse(chromium.dump_dom(&server.url()));
    let kept_dom = Path::new(env!("CARGO_TARGET_TMPDIR")).join("registry-dashboard.dom.html");
    std::fs::write(&kept_dom, &dom.html).unwrap();
    assert!(dom.html.contains("<svg"), "the browser kept the charts");
    assert_nothing_external(&dom);

    // The hostile repo is text: no element came of it, its name is shown as it is.
    assert!(
        !dom.html.contains("<img"),
        "an injected element: {}",
        dom.html
    );
    assert!(!dom.html.contains("<b>team"), "an injected element");
    assert!(
        dom.html
            .contains("&lt;script&gt;alert('pwned')&lt;/script&gt;")
    );
    assert!(
        dom.all("g", "data-team")
            .iter()
            .any(|g| g.attr("data-team") == Some(HOSTILE_TEAM))
    );

    // Headline figures: the API's, summed as a person would.
    let repos = server.json("/api/v1/repos")["repos"]
        .as_array()
        .unwrap()
        .clone();
    let golden_paths = server.json("/api/v1/golden-paths")["golden_paths"]
        .as_array()
        .unwrap()
        .clone();
    let distinct: BTreeSet<&str> = repos
        .iter()
        .map(|r| r["repo_id"].as_str().unwrap())
        .collect();
    assert_eq!(distinct.len(), 20, "19 seeded repos and the audited one");
    assert_eq!(dom.number_of("repos-total"), distinct.len() as u64);
    assert_eq!(dom.number_of("adoptions-total"), repos.len() as u64);
    assert_eq!(
        dom.number_of("golden-paths-total"),
        golden_paths.len() as u64
    );

    let by_golden_path = server.json("/api/v1/stats");
    let sum = |stats: &Value, field: &str| -> u64 {
        stats["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g[field].as_u64().unwrap())
            .sum()
    };
    let (conforming, drifted, unchecked) = (
        sum(&by_golden_path, "conforming"),
        sum(&by_golden_path, "drifted"),
        sum(&by_golden_path, "unchecked"),
    );
    assert_eq!(
        (conforming, drifted, unchecked),
        (10, 5, 6),
        "the seed's mix"
    );
    assert_eq!(dom.number_of("conforming-count"), conforming);
    assert_eq!(dom.number_of("drifted-count"), drifted);
    assert_eq!(dom.number_of("unchecked-count"), unchecked);
    assert_eq!(dom.number_of("checked-count"), conforming + drifted);
    assert_eq!(
        dom.text_of("conforming-rate"),
        format!(
            "{:.1}%",
            100.0 * conforming as f64 / (conforming + drifted) as f64
        )
    );

    // Version lag, against the newest version the registry knows of each golden path.
    let latest: BTreeMap<&str, semver::Version> = golden_paths
        .iter()
        .map(|g| {
            (
                g["name"].as_str().unwrap(),
                g["latest"].as_str().unwrap().parse().unwrap(),
            )
        })
        .collect();
    let lag_of = |r: &Value| {
        let version: semver::Version = r["version"].as_str().unwrap().parse().unwrap();
        Lag::between(&version, &latest[r["golden_path"].as_str().unwrap()])
    };
    let mut lags: BTreeMap<&str, u64> = BTreeMap::new();
    for r in &repos {
        *lags.entry(lag_of(r).as_str()).or_default() += 1;
    }
    for lag in [Lag::None, Lag::Patch, Lag::Minor, Lag::Major] {
        let bar = dom.bar("data-lag", lag.as_str());
        let shown = dom
            .segments(bar)
            .first()
            .map_or(0, |s| s.number("data-count"));
        let expected = lags.get(lag.as_str()).copied().unwrap_or(0);
        assert_eq!(shown, expected, "repos {}", lag.as_str());
    }
    assert_eq!(
        (lags["patch"], lags["minor"], lags["major"]),
        (1, 3, 3),
        "the seed's lag"
    );
    assert_eq!(
        dom.number_of("lagging-count"),
        lags["patch"] + lags["minor"] + lags["major"]
    );
    // The fleet: every repo seen, adopted or not.
    let fleet = &by_golden_path["fleet"];
    assert_eq!(
        dom.number_of("fleet-repos"),
        fleet["repos"].as_u64().unwrap()
    );
    assert_eq!(
        dom.number_of("fleet-adopted"),
        fleet["adopted"].as_u64().unwrap()
    );
    assert_eq!(
        dom.number_of("fleet-adopted"),
        dom.number_of("repos-total"),
        "every repo on a golden path is in the fleet"
    );
    // `pave stats` counts "behind" the way the tile does, in every grouping.
    for by in ["golden-path", "version", "team", "train"] {
        let stats = server.json(&format!("/api/v1/stats?by={by}"));
        assert_eq!(
            sum(&stats, "lagging"),
            dom.number_of("lagging-count"),
            "lagging by {by}: {stats}"
        );
    }
    assert_eq!(dom.number_of("major-count"), lags["major"]);

    // Versions per golden path: every version the API lists, newest first, with its count.
    for g in &golden_paths {
        let name = g["name"].as_str().unwrap();
        let bar = dom.bar("data-golden-path", name);
        assert_eq!(bar.number("data-repos"), g["repos"].as_u64().unwrap());
        assert_eq!(bar.attr("data-latest"), g["latest"].as_str());
        let shown: Vec<(&str, u64)> = dom
            .segments(bar)
            .iter()
            .map(|s| (s.attr("data-version").unwrap(), s.number("data-count")))
            .collect();
        let listed: Vec<(&str, u64)> = g["versions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| (v["version"].as_str().unwrap(), v["repos"].as_u64().unwrap()))
            .collect();
        assert_eq!(shown, listed, "{name}");
        let newest = dom.segments(bar)[0];
        assert_eq!(
            newest.attr("class"),
            Some("v0"),
            "the newest is highlighted"
        );
    }

    // Drift by team and by train: each group's conforming, drifted and unchecked.
    for (by, attr) in [("team", "data-team"), ("train", "data-train")] {
        let stats = server.json(&format!("/api/v1/stats?by={by}"));
        let groups = stats["groups"].as_array().unwrap();
        assert_eq!(dom.all("g", attr).len(), groups.len(), "a bar per {by}");
        for group in groups {
            let key = group["key"].as_str().unwrap_or("");
            let bar = dom.bar(attr, key);
            assert_eq!(
                bar.number("data-adoptions"),
                group["adoptions"].as_u64().unwrap()
            );
            assert_eq!(bar.number("data-repos"), group["repos"].as_u64().unwrap());
            let counts = dom.counts(bar, "data-status");
            for status in ["conforming", "drifted", "unchecked"] {
                assert_eq!(
                    counts.get(status).copied().unwrap_or(0),
                    group[status].as_u64().unwrap(),
                    "{by} {key:?}: {status}"
                );
            }
        }
    }

    // Adoption over time: the last 90 days as the API counts them.
    let daily = server.json("/api/v1/stats/daily?days=90")["days"]
        .as_array()
        .unwrap()
        .clone();
    let days = dom.all("g", "data-day");
    assert_eq!(days.len(), daily.len());
    for (shown, day) in days.iter().zip(&daily) {
        assert_eq!(shown.attr("data-day"), day["day"].as_str());
        assert_eq!(
            shown.number("data-adopted"),
            day["adopted"].as_u64().unwrap()
        );
        assert_eq!(
            shown.number("data-cumulative"),
            day["cumulative"].as_u64().unwrap()
        );
    }
    let recent: u64 = server.json("/api/v1/stats/daily?days=30")["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["adopted"].as_u64().unwrap())
        .sum();
    assert_eq!(dom.number_of("adopted-recent"), recent);
    assert!(
        recent > 0 && recent < distinct.len() as u64,
        "some adopted inside 30 days"
    );

    // Needs attention: drifted, then a major or minor version behind, then not checked.
    let concern = |r: &Value| {
        let conformance = &r["conformance"];
        let current = !conformance.is_null() && conformance["version"] == r["version"];
        if current && conformance["conforming"] == false {
            Some("drifted")
        } else if lag_of(r) == Lag::Major {
            Some("major")
        } else if lag_of(r) == Lag::Minor {
            Some("minor")
        } else if !current {
            Some("unchecked")
        } else {
            None
        }
    };
    let mut expected: Vec<(String, String, &str)> = repos
        .iter()
        .filter_map(|r| {
            Some((
                r["repo_id"].as_str().unwrap().to_owned(),
                r["golden_path"].as_str().unwrap().to_owned(),
                concern(r)?,
            ))
        })
        .collect();
    let rows: Vec<(String, String, &str)> = dom
        .all("tr", "data-concern")
        .iter()
        .map(|tr| {
            (
                tr.attr("data-repo-id").unwrap().to_owned(),
                tr.attr("data-golden-path").unwrap().to_owned(),
                tr.attr("data-concern").unwrap(),
            )
        })
        .collect();
    assert_eq!(dom.number_of("attention-total"), expected.len() as u64);
    let order = ["drifted", "major", "minor", "unchecked"];
    let rank = |c: &str| order.iter().position(|o| *o == c).unwrap();
    assert!(
        rows.windows(2).all(|w| rank(w[0].2) <= rank(w[1].2)),
        "drifted first, then lag, then unchecked: {rows:?}"
    );
    let mut shown = rows.clone();
    shown.sort();
    expected.sort();
    assert_eq!(shown, expected);
    assert_eq!(
        rows[0].0, "github.com/acme/ledger",
        "the most drifted files first"
    );

    // The screenshot: a PNG of the asked size, with something on it.
    let (width, height) = (1280, 2400);
    let png = chromium.screenshot(&server.url(), width, height);
    let kept = Path::new(env!("CARGO_TARGET_TMPDIR")).join("registry-dashboard.png");
    std::fs::write(&kept, &png).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "a PNG");
    assert_eq!(&png[12..16], b"IHDR");
    let size = |at: usize| u32::from_be_bytes(png[at..at + 4].try_into().unwrap());
    assert_eq!((size(16), size(20)), (width, height), "{}", kept.display());
    assert!(
        png.len() > 60_000,
        "{} bytes: a blank page? see {}",
        png.len(),
        kept.display()
    );
}
