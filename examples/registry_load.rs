//! Load generator for the registry (`scripts/bench-registry` drives it):
//!
//! ```sh
//! # POST events over HTTP in batches from several threads, bounded in count and time:
//! registry_load ingest --url http://127.0.0.1:7878 --token pave_… --events 200000 --batch 500 --threads 4 --max-seconds 60
//! # Fill a database straight through the store (no HTTP) up to a total number of events:
//! registry_load seed --database sqlite:/tmp/r.sqlite --events 1000000
//! # Time the read queries over HTTP (median and worst of several runs):
//! registry_load query --url http://127.0.0.1:7878 --runs 7
//! ```
//!
//! Events describe a synthetic fleet: one repo in ten of the events, each adopting one of three
//! golden paths at one of several versions, owned by one of 40 teams on one of 4 trains; after its
//! adoption a repo reports conformance (mostly passing, some drifted, some lagging). Every event
//! has a fresh UUIDv7, so nothing is deduplicated. Prints one JSON object of figures on stdout.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a benchmark tool prints its figures"
)]

use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp};
use pave_registry::model::{
    Adoption, AdoptionCommand, Batch, Conformance, Event, EventKind, Lag, RepoRef,
};
use pave_registry::store::Database;
use uuid::Uuid;

const USAGE: &str = "usage: registry_load ingest --url URL [--token T] [--events N] [--batch B] [--threads C] [--max-seconds S] [--offset K]
       registry_load seed --database DB --events N [--offset K]
       registry_load query --url URL [--token T] [--runs R]";

const GOLDEN_PATHS: [&str; 3] = ["rust-service", "python-service", "static-site"];
const VERSIONS: [&str; 5] = ["1.0.0", "1.1.0", "1.2.0", "1.2.1", "2.0.0"];
const TEAMS: u64 = 40;
const TRAINS: [&str; 4] = ["stable", "beta", "lts", "edge"];
/// One repo per this many events.
const EVENTS_PER_REPO: u64 = 10;

fn main() -> ExitCode {
    // reqwest is built without a default TLS crypto provider; pave uses ring.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let outcome = match args.first().map(String::as_str) {
        Some("ingest") => Options::parse(&args[1..]).and_then(|o| ingest(&o)),
        Some("seed") => Options::parse(&args[1..]).and_then(|o| seed(&o)),
        Some("query") => Options::parse(&args[1..]).and_then(|o| query(&o)),
        _ => Err("expected ingest, seed or query".to_owned()),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(why) => {
            eprintln!("error: {why}\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

#[derive(Debug)]
struct Options {
    url: Option<String>,
    token: Option<String>,
    database: Option<String>,
    events: u64,
    batch: u64,
    threads: u64,
    max_seconds: u64,
    offset: u64,
    runs: usize,
}

impl Options {
    fn parse(args: &[String]) -> Result<Self, String> {
        let mut options = Self {
            url: None,
            token: None,
            database: None,
            events: 100_000,
            batch: 500,
            threads: 4,
            max_seconds: 60,
            offset: 0,
            runs: 7,
        };
        let mut args = args.iter();
        while let Some(flag) = args.next() {
            let value = args
                .next()
                .ok_or_else(|| format!("{flag} needs a value"))?
                .clone();
            let number = || {
                value
                    .parse::<u64>()
                    .map_err(|_| format!("{flag} takes a whole number, got `{value}`"))
            };
            match flag.as_str() {
                "--url" => options.url = Some(value.trim_end_matches('/').to_owned()),
                "--token" => options.token = Some(value.clone()),
                "--database" => options.database = Some(value.clone()),
                "--events" => options.events = number()?,
                "--batch" => options.batch = number()?.clamp(1, Batch::MAX_EVENTS as u64),
                "--threads" => options.threads = number()?.max(1),
                "--max-seconds" => options.max_seconds = number()?,
                "--offset" => options.offset = number()?,
                "--runs" => options.runs = number()?.max(1) as usize,
                other => return Err(format!("unknown option {other}")),
            }
        }
        Ok(options)
    }

    fn url(&self) -> Result<&str, String> {
        self.url
            .as_deref()
            .ok_or_else(|| "--url is required".into())
    }
}

/// A small deterministic generator (SplitMix64): the same event index gives the same event shape.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// Event number `n` of the synthetic fleet (0-based across all runs, so seeding can continue
/// where an HTTP run stopped). The first event of each repo is its adoption.
fn event(n: u64, now: Timestamp) -> Event {
    let repos = 100_000;
    let repo = n % repos;
    let r = mix(repo);
    let golden_path = GOLDEN_PATHS[(r % 3) as usize];
    let version: semver::Version = VERSIONS[((r >> 8) % VERSIONS.len() as u64) as usize]
        .parse()
        .expect("a valid version");
    let team = format!("team-{:02}", (r >> 16) % TEAMS);
    let train = TRAINS[((r >> 24) % TRAINS.len() as u64) as usize];
    let e = mix(n ^ 0xA5A5);
    // Spread over the last 90 days, later events later.
    let age_minutes = ((90 * 24 * 60) as u64).saturating_sub(n / EVENTS_PER_REPO % (90 * 24 * 60));
    let occurred_at = now
        .checked_sub(SignedDuration::from_mins(age_minutes as i64))
        .unwrap_or(now);
    let kind = if n < repos {
        EventKind::Adoption(Adoption {
            command: AdoptionCommand::New,
            golden_path: golden_path.to_owned(),
            version,
            components: vec!["app".into(), "ci".into(), "deploy".into()],
            team: Some(team),
            train: Some(train.to_owned()),
            catalog: "builtin".into(),
        })
    } else {
        let drifted = e % 100 < 12;
        let latest: semver::Version = VERSIONS[VERSIONS.len() - 1].parse().expect("valid");
        let lag = if version == latest {
            Lag::None
        } else {
            Lag::Major
        };
        EventKind::Conformance(Conformance {
            golden_path: golden_path.to_owned(),
            version,
            conforming: !drifted,
            drifted_files: if drifted { (e >> 8) as u32 % 5 + 1 } else { 0 },
            missing_files: 0,
            edited_files: (e >> 16) as u32 % 3,
            conflicted_files: 0,
            excepted_files: 0,
            lag: Some(lag),
            latest: Some(latest),
            catalog: Some("builtin".into()),
        })
    };
    Event {
        id: Uuid::now_v7(),
        occurred_at,
        repo_id: format!("bench/repo-{repo:06}"),
        repo: RepoRef {
            name: format!("repo-{repo:06}"),
            url: Some(format!("https://git.example.com/bench/repo-{repo:06}")),
            path: None,
        },
        kind,
    }
}

fn batch(from: u64, to: u64, now: Timestamp) -> Batch {
    Batch {
        events: (from..to).map(|n| event(n, now)).collect(),
    }
}

/// Several threads POST batches until `events` are sent or `max_seconds` pass.
fn ingest(options: &Options) -> Result<(), String> {
    let url = format!("{}/api/v1/events", options.url()?);
    let next = AtomicU64::new(0);
    let sent = AtomicU64::new(0);
    let deadline = Instant::now() + Duration::from_secs(options.max_seconds);
    let now = Timestamp::now();
    let started = Instant::now();
    let failures: Vec<String> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..options.threads)
            .map(|_| {
                scope.spawn(|| -> Result<(), String> {
                    let client = reqwest::blocking::Client::builder()
                        .timeout(Duration::from_secs(30))
                        .build()
                        .map_err(|e| e.to_string())?;
                    loop {
                        let from = next.fetch_add(options.batch, Ordering::Relaxed);
                        if from >= options.events || Instant::now() >= deadline {
                            return Ok(());
                        }
                        let to = (from + options.batch).min(options.events);
                        let body = serde_json::to_vec(&batch(
                            options.offset + from,
                            options.offset + to,
                            now,
                        ))
                        .map_err(|e| e.to_string())?;
                        let mut request = client
                            .post(&url)
                            .header("content-type", "application/json")
                            .body(body);
                        if let Some(token) = &options.token {
                            request = request.bearer_auth(token);
                        }
                        let response = request.send().map_err(|e| e.to_string())?;
                        if !response.status().is_success() {
                            return Err(format!(
                                "{}: {}",
                                response.status(),
                                response.text().unwrap_or_default()
                            ));
                        }
                        sent.fetch_add(to - from, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .filter_map(|w| w.join().expect("a worker panicked").err())
            .collect()
    });
    let seconds = started.elapsed().as_secs_f64();
    if let Some(failure) = failures.first() {
        return Err(format!("a batch failed: {failure}"));
    }
    let sent = sent.load(Ordering::Relaxed);
    println!(
        "{}",
        serde_json::json!({
            "mode": "ingest",
            "events": sent,
            "batch": options.batch,
            "threads": options.threads,
            "seconds": round(seconds),
            "events_per_second": (sent as f64 / seconds).round(),
        })
    );
    Ok(())
}

/// Events `offset..events` straight through the store, in batches of the maximum size.
fn seed(options: &Options) -> Result<(), String> {
    let database = options
        .database
        .as_deref()
        .ok_or("--database is required")?;
    let store = Database::parse(database)
        .map_err(|e| e.to_string())?
        .open()
        .map_err(|e| e.to_string())?;
    store.migrate().map_err(|e| e.to_string())?;
    let now = Timestamp::now();
    let started = Instant::now();
    let step = Batch::MAX_EVENTS as u64;
    let mut from = options.offset;
    while from < options.events {
        let to = (from + step).min(options.events);
        store
            .ingest(&batch(from, to, now))
            .map_err(|e| e.to_string())?;
        from = to;
    }
    let seconds = started.elapsed().as_secs_f64();
    let count = options.events.saturating_sub(options.offset);
    println!(
        "{}",
        serde_json::json!({
            "mode": "seed",
            "events": count,
            "seconds": round(seconds),
            "events_per_second": (count as f64 / seconds).round(),
        })
    );
    // The PostgreSQL client owns a runtime; dropping it here, outside any other, is fine.
    drop(store);
    Ok(())
}

/// Median and worst wall time of each read over HTTP, after one warm-up run.
fn query(options: &Options) -> Result<(), String> {
    let base = options.url()?;
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .map_err(|e| e.to_string())?;
    let paths = [
        "/api/v1/stats?by=golden-path",
        "/api/v1/stats?by=version",
        "/api/v1/stats?by=team",
        "/api/v1/stats?by=train",
        "/api/v1/stats/daily?days=90",
        "/api/v1/golden-paths",
    ];
    let mut figures = serde_json::Map::new();
    for path in paths {
        let mut times = Vec::with_capacity(options.runs);
        for run in 0..=options.runs {
            let mut request = client.get(format!("{base}{path}"));
            if let Some(token) = &options.token {
                request = request.bearer_auth(token);
            }
            let started = Instant::now();
            let response = request.send().map_err(|e| e.to_string())?;
            let status = response.status();
            let body = response.bytes().map_err(|e| e.to_string())?;
            let ms = started.elapsed().as_secs_f64() * 1000.0;
            if !status.is_success() {
                return Err(format!("{path}: {status}"));
            }
            if run > 0 {
                times.push(ms);
            } else if body.is_empty() {
                return Err(format!("{path}: empty body"));
            }
        }
        times.sort_by(f64::total_cmp);
        figures.insert(
            path.to_owned(),
            serde_json::json!({
                "median_ms": round(times[times.len() / 2]),
                "max_ms": round(times[times.len() - 1]),
            }),
        );
    }
    println!(
        "{}",
        serde_json::json!({"mode": "query", "runs": options.runs, "queries": figures})
    );
    Ok(())
}

fn round(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}
