//! The registry client: sends batches of events to a registry's HTTP API (or into the local
//! embedded registry) and reads its stats back. Never prints; every outcome is typed, so the
//! edge decides what a person sees.
//!
//! HTTP is reqwest's blocking client over rustls with the ring provider (no OpenSSL). Every call
//! is bounded: a 2 s connect timeout, an 8 s request timeout, and a few tries with exponential
//! backoff on what may pass (connection errors, timeouts, 5xx, 408, 429), none once the retry
//! budget is spent, so a registry that is down costs a developer's command well under a second
//! (refused connections) and never more than a few seconds (a black hole). Other 4xx are final:
//! 401/403 mean the token, 400 means the event can never be accepted.

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;

use crate::model::{AdminLogEntry, Batch, DailyAdoption, GroupBy, IngestOutcome, Removal, Stats};
use crate::store::sqlite::SqliteStore;
use crate::store::{Store, StoreError};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(8);
/// How long an admin call may take: pruning a large registry is one long transaction.
const ADMIN_TIMEOUT: Duration = Duration::from_secs(300);

/// How often and how long to try.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub attempts: u32,
    pub first_backoff: Duration,
    /// No new try starts after this much time since the first.
    pub budget: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempts: 3,
            first_backoff: Duration::from_millis(200),
            budget: Duration::from_secs(5),
        }
    }
}

/// Why a batch (or a read) did not go through.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SendError {
    /// No answer: connection refused, DNS, timeout, TLS. Worth trying later.
    #[error("the registry {url} is unreachable ({why})")]
    Unreachable { url: String, why: String },
    /// No token is set for a remote registry, so nothing was sent (it would refuse the events).
    #[error("no token is set for the registry {url}")]
    NoToken { url: String },
    /// 401/403: the token is missing, unknown, revoked or lacks a scope. Fixing it is the user's job.
    #[error("{url} refused the token ({status}: {message})")]
    Unauthorized {
        url: String,
        status: u16,
        message: String,
    },
    /// 400: something in the batch can never be accepted; `field` names it (`events[3].team`).
    #[error("{message}")]
    Rejected {
        field: Option<String>,
        message: String,
    },
    /// Anything else: a 5xx after every try, an unexpected status or answer, a local store error.
    #[error("{0}")]
    Failed(String),
}

impl SendError {
    /// The index of the event a rejection names (`events[3].team` → 3).
    pub fn rejected_index(&self) -> Option<usize> {
        let Self::Rejected {
            field: Some(field), ..
        } = self
        else {
            return None;
        };
        field
            .strip_prefix("events[")?
            .split_once(']')?
            .0
            .parse()
            .ok()
    }
}

/// Where batches go.
pub trait Sink {
    fn send(&self, batch: &Batch) -> Result<IngestOutcome, SendError>;
}

/// A registry's HTTP API.
pub struct RemoteRegistry {
    base: String,
    token: Option<String>,
    policy: RetryPolicy,
    timeout: Duration,
    client: OnceLock<Result<reqwest::blocking::Client, String>>,
}

impl RemoteRegistry {
    /// `base` is the registry's URL without `/api/v1` (a path prefix is kept).
    pub fn new(base: &str, token: Option<String>, policy: RetryPolicy) -> Self {
        Self {
            base: base.trim_end_matches('/').to_owned(),
            token,
            policy,
            timeout: REQUEST_TIMEOUT,
            client: OnceLock::new(),
        }
    }

    /// The registry's API for admin calls (deleting a repo, pruning, the admin log): each is
    /// tried once, since a retried deletion whose first answer was lost would be told the repo
    /// is unknown, and may take minutes (a prune is one transaction).
    pub fn admin(base: &str, token: Option<String>) -> Self {
        let once = RetryPolicy {
            attempts: 1,
            first_backoff: Duration::ZERO,
            budget: ADMIN_TIMEOUT,
        };
        Self {
            timeout: ADMIN_TIMEOUT,
            ..Self::new(base, token, once)
        }
    }

    pub fn url(&self) -> &str {
        &self.base
    }

    /// Built on first use: loading the platform's root certificates is not free.
    fn client(&self) -> Result<&reqwest::blocking::Client, SendError> {
        self.client
            .get_or_init(|| {
                // Another thread may have installed it: either way one provider is in place.
                let _ = rustls::crypto::ring::default_provider().install_default();
                reqwest::blocking::Client::builder()
                    .connect_timeout(CONNECT_TIMEOUT)
                    .timeout(self.timeout)
                    .user_agent(concat!("pave/", env!("CARGO_PKG_VERSION")))
                    .build()
                    .map_err(|e| format!("cannot set up the HTTP client: {e}"))
            })
            .as_ref()
            .map_err(|why| SendError::Failed(why.clone()))
    }

    pub fn stats(&self, group_by: GroupBy) -> Result<Stats, SendError> {
        self.get(&format!("/api/v1/stats?by={}", group_by.as_str()))
    }

    pub fn daily(&self, days: u32) -> Result<Vec<DailyAdoption>, SendError> {
        #[derive(serde::Deserialize)]
        struct Daily {
            days: Vec<DailyAdoption>,
        }
        self.get::<Daily>(&format!("/api/v1/stats/daily?days={days}"))
            .map(|d| d.days)
    }

    /// `DELETE /api/v1/repos/{repo}`: `repo` is an id or a URL, sent percent-encoded.
    pub fn delete_repo(&self, repo: &str, dry_run: bool) -> Result<Removal, SendError> {
        let client = self.client()?;
        let mut url = self.endpoint(&["api", "v1", "repos", repo])?;
        if dry_run {
            url.set_query(Some("dry_run=true"));
        }
        self.with_retries(|| self.authorized(client.delete(url.clone())).send())
    }

    /// `POST /api/v1/admin/prune`.
    pub fn prune(&self, older_than: &str, dry_run: bool) -> Result<Removal, SendError> {
        let client = self.client()?;
        let mut url = self.endpoint(&["api", "v1", "admin", "prune"])?;
        if dry_run {
            url.set_query(Some("dry_run=true"));
        }
        let body = serde_json::json!({ "older_than": older_than }).to_string();
        self.with_retries(|| {
            self.authorized(client.post(url.clone()))
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.clone())
                .send()
        })
    }

    /// `GET /api/v1/admin/log`.
    pub fn admin_log(&self) -> Result<Vec<AdminLogEntry>, SendError> {
        #[derive(serde::Deserialize)]
        struct Log {
            entries: Vec<AdminLogEntry>,
        }
        self.get::<Log>("/api/v1/admin/log").map(|log| log.entries)
    }

    /// The base URL with `segments` appended, each percent-encoded as one path segment.
    fn endpoint(&self, segments: &[&str]) -> Result<reqwest::Url, SendError> {
        let mut url = reqwest::Url::parse(&self.base)
            .map_err(|e| SendError::Failed(format!("{} is not a URL: {e}", self.base)))?;
        url.path_segments_mut()
            .map_err(|()| SendError::Failed(format!("{} cannot have a path", self.base)))?
            .pop_if_empty()
            .extend(segments);
        Ok(url)
    }

    fn authorized(
        &self,
        request: reqwest::blocking::RequestBuilder,
    ) -> reqwest::blocking::RequestBuilder {
        match &self.token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, SendError> {
        let client = self.client()?;
        let url = format!("{}{path}", self.base);
        self.with_retries(|| {
            let mut request = client.get(&url);
            if let Some(token) = &self.token {
                request = request.bearer_auth(token);
            }
            request.send()
        })
    }

    /// Runs `call` until it gets a final answer or the policy gives up.
    fn with_retries<T: DeserializeOwned>(
        &self,
        call: impl Fn() -> reqwest::Result<reqwest::blocking::Response>,
    ) -> Result<T, SendError> {
        let started = Instant::now();
        let mut backoff = self.policy.first_backoff;
        let mut attempt = 1;
        loop {
            let outcome = match call() {
                Ok(response) => self.answer(response),
                Err(e) => Err(Attempt::Retry(SendError::Unreachable {
                    url: self.base.clone(),
                    why: describe(&e),
                })),
            };
            match outcome {
                Ok(value) => return Ok(value),
                Err(Attempt::Final(e)) => return Err(e),
                Err(Attempt::Retry(e)) => {
                    let out_of_time = started.elapsed() + backoff > self.policy.budget;
                    if attempt >= self.policy.attempts || out_of_time {
                        return Err(e);
                    }
                }
            }
            std::thread::sleep(backoff);
            backoff *= 2;
            attempt += 1;
        }
    }

    fn answer<T: DeserializeOwned>(
        &self,
        response: reqwest::blocking::Response,
    ) -> Result<T, Attempt> {
        let status = response.status();
        let code = status.as_u16();
        if status.is_success() {
            return response.json::<T>().map_err(|e| {
                Attempt::Final(SendError::Failed(format!(
                    "{} answered {code} with a body pave cannot read: {e}",
                    self.base
                )))
            });
        }
        let body = response.text().unwrap_or_default();
        let (message, field) = error_body(&body);
        let failed =
            |what: &str| SendError::Failed(format!("{} answered {code} ({what})", self.base));
        Err(match code {
            401 | 403 => Attempt::Final(SendError::Unauthorized {
                url: self.base.clone(),
                status: code,
                message,
            }),
            400 | 409 | 422 => Attempt::Final(SendError::Rejected { field, message }),
            // A route that answered about the input it names (an unknown repo), not a wrong URL.
            404 if field.is_some() => Attempt::Final(SendError::Rejected { field, message }),
            408 | 429 | 500..=599 => Attempt::Retry(failed(&message)),
            404 => Attempt::Final(failed(&format!(
                "{message}; is the URL the registry's base, without /api/v1?"
            ))),
            _ => Attempt::Final(failed(&message)),
        })
    }
}

enum Attempt {
    Retry(SendError),
    Final(SendError),
}

impl Sink for RemoteRegistry {
    fn send(&self, batch: &Batch) -> Result<IngestOutcome, SendError> {
        let client = self.client()?;
        let url = format!("{}/api/v1/events", self.base);
        let body = serde_json::to_vec(batch)
            .map_err(|e| SendError::Failed(format!("cannot encode the batch: {e}")))?;
        self.with_retries(|| {
            let mut request = client
                .post(&url)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.clone());
            if let Some(token) = &self.token {
                request = request.bearer_auth(token);
            }
            request.send()
        })
    }
}

/// The registry's JSON error (`{"error": …, "field": …}`), or the body as it is.
fn error_body(body: &str) -> (String, Option<String>) {
    #[derive(serde::Deserialize)]
    struct ErrorBody {
        error: String,
        field: Option<String>,
    }
    match serde_json::from_str::<ErrorBody>(body) {
        Ok(parsed) => (parsed.error, parsed.field),
        Err(_) if body.trim().is_empty() => ("no message".to_owned(), None),
        Err(_) => (body.trim().chars().take(200).collect(), None),
    }
}

/// reqwest's error with its causes (the useful part, "Connection refused", is the innermost).
fn describe(e: &reqwest::Error) -> String {
    let mut text = if e.is_timeout() {
        "timed out".to_owned()
    } else if e.is_connect() {
        "cannot connect".to_owned()
    } else {
        "request failed".to_owned()
    };
    let mut source = std::error::Error::source(e);
    let mut last = None;
    while let Some(cause) = source {
        last = Some(cause.to_string());
        source = cause.source();
    }
    if let Some(last) = last {
        text.push_str(": ");
        text.push_str(&last);
    }
    text
}

/// The local embedded registry: the SQLite file `pave registry serve` uses by default, opened
/// and migrated only when there is something to store or read.
pub struct LocalRegistry {
    pub path: PathBuf,
    store: OnceLock<Result<Box<dyn Store>, String>>,
}

impl LocalRegistry {
    pub fn new(path: PathBuf) -> Self {
        Self {
            path,
            store: OnceLock::new(),
        }
    }

    pub fn store(&self) -> Result<&dyn Store, SendError> {
        self.store
            .get_or_init(|| {
                let open = || -> Result<Box<dyn Store>, StoreError> {
                    let store = SqliteStore::open_short_lived(&self.path)?;
                    store.migrate()?;
                    Ok(Box::new(store))
                };
                if let Some(parent) = self.path.parent() {
                    std::fs::create_dir_all(parent)
                        .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
                }
                open().map_err(|e| e.to_string())
            })
            .as_ref()
            .map(AsRef::as_ref)
            .map_err(|why| SendError::Failed(why.clone()))
    }
}

impl Sink for LocalRegistry {
    fn send(&self, batch: &Batch) -> Result<IngestOutcome, SendError> {
        self.store()?.ingest(batch).map_err(|e| match e {
            StoreError::Invalid(invalid) => SendError::Rejected {
                field: Some(invalid.field),
                message: invalid.message,
            },
            other => SendError::Failed(format!("{}: {other}", self.path.display())),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rejection_names_its_event() {
        let rejected = |field: &str| SendError::Rejected {
            field: Some(field.into()),
            message: "m".into(),
        };
        assert_eq!(rejected("events[3].team").rejected_index(), Some(3));
        assert_eq!(rejected("events[12]").rejected_index(), Some(12));
        assert_eq!(rejected("body").rejected_index(), None);
        assert_eq!(rejected("events").rejected_index(), None);
    }

    #[test]
    fn error_bodies_are_read_or_quoted() {
        assert_eq!(
            error_body(r#"{"error": "bad", "field": "events[0].id"}"#),
            ("bad".to_owned(), Some("events[0].id".to_owned()))
        );
        assert_eq!(error_body("oops\n"), ("oops".to_owned(), None));
        assert_eq!(error_body(""), ("no message".to_owned(), None));
    }

    /// A registry that answers each request with the next of `answers` (status, body) and
    /// counts the requests.
    fn scripted(answers: Vec<(u16, &'static str)>) -> (String, std::thread::JoinHandle<usize>) {
        use std::io::{BufRead as _, BufReader, Read as _, Write as _};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let handle = std::thread::spawn(move || {
            let mut served = 0;
            for (status, body) in answers {
                let (stream, _) = listener.accept().unwrap();
                let mut reader = BufReader::new(stream);
                let mut length = 0;
                loop {
                    let mut line = String::new();
                    reader.read_line(&mut line).unwrap();
                    if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = value.trim().parse().unwrap();
                    }
                    if line == "\r\n" {
                        break;
                    }
                }
                reader
                    .by_ref()
                    .take(length)
                    .read_to_end(&mut Vec::new())
                    .unwrap();
                let mut stream = reader.into_inner();
                write!(
                    stream,
                    "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                )
                .unwrap();
                served += 1;
            }
            served
        });
        (url, handle)
    }

    fn quick() -> RetryPolicy {
        RetryPolicy {
            attempts: 3,
            first_backoff: Duration::from_millis(10),
            budget: Duration::from_secs(5),
        }
    }

    #[test]
    fn server_errors_and_throttling_are_retried_until_an_answer() {
        let (url, served) = scripted(vec![
            (503, ""),
            (429, r#"{"error": "slow down"}"#),
            (200, r#"{"accepted": 1, "duplicates": 0}"#),
        ]);
        let registry = RemoteRegistry::new(&url, Some("pave_t".into()), quick());
        let outcome = registry.send(&Batch::default()).unwrap();
        assert_eq!(outcome.accepted, 1);
        assert_eq!(served.join().unwrap(), 3);
    }

    #[test]
    fn client_errors_are_final() {
        let (url, served) = scripted(vec![(
            401,
            r#"{"error": "the token is unknown or revoked"}"#,
        )]);
        let registry = RemoteRegistry::new(&url, Some("pave_t".into()), quick());
        let err = registry.send(&Batch::default()).unwrap_err();
        assert!(
            matches!(&err, SendError::Unauthorized { status: 401, message, .. } if message.contains("revoked")),
            "{err:?}"
        );
        assert_eq!(served.join().unwrap(), 1, "not retried");

        let (url, served) = scripted(vec![(
            400,
            r#"{"error": "must not be empty", "field": "events[2].team"}"#,
        )]);
        let registry = RemoteRegistry::new(&url, None, quick());
        let err = registry.send(&Batch::default()).unwrap_err();
        assert_eq!(err.rejected_index(), Some(2));
        assert_eq!(served.join().unwrap(), 1, "not retried");
    }

    #[test]
    fn admin_calls_are_tried_once_and_name_the_repo_as_one_segment() {
        let (url, served) = scripted(vec![(503, r#"{"error": "busy"}"#)]);
        let registry = RemoteRegistry::admin(&format!("{url}/prefix/"), Some("pave_t".into()));
        let err = registry.prune("400d", false).unwrap_err();
        assert!(err.to_string().contains("answered 503 (busy)"), "{err}");
        assert_eq!(served.join().unwrap(), 1, "not retried");

        let registry = RemoteRegistry::admin("http://registry.example/prefix", None);
        let url = registry
            .endpoint(&["api", "v1", "repos", "https://git.example.com/a b.git"])
            .unwrap();
        assert_eq!(
            url.as_str(),
            "http://registry.example/prefix/api/v1/repos/https:%2F%2Fgit.example.com%2Fa%20b.git"
        );

        let (url, served) = scripted(vec![(
            404,
            r#"{"error": "no repo has the id or URL `x`", "field": "repo"}"#,
        )]);
        let err = RemoteRegistry::admin(&url, None)
            .delete_repo("x", false)
            .unwrap_err();
        assert!(
            matches!(&err, SendError::Rejected { field: Some(field), .. } if field == "repo"),
            "{err:?}"
        );
        assert_eq!(served.join().unwrap(), 1);
    }

    #[test]
    fn a_server_error_on_every_try_fails_after_the_last() {
        let (url, served) = scripted(vec![
            (500, ""),
            (502, ""),
            (500, r#"{"error": "internal error"}"#),
        ]);
        let registry = RemoteRegistry::new(&url, None, quick());
        let err = registry.send(&Batch::default()).unwrap_err();
        assert!(
            err.to_string().contains("answered 500 (internal error)"),
            "{err}"
        );
        assert_eq!(served.join().unwrap(), 3);
    }

    #[test]
    fn a_refused_connection_gives_up_within_the_budget() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let registry = RemoteRegistry::new(
            &format!("http://127.0.0.1:{port}/"),
            None,
            RetryPolicy {
                attempts: 3,
                first_backoff: Duration::from_millis(10),
                budget: Duration::from_secs(2),
            },
        );
        let started = Instant::now();
        let err = registry.send(&Batch::default()).unwrap_err();
        assert!(matches!(err, SendError::Unreachable { .. }), "{err:?}");
        assert!(started.elapsed() < Duration::from_secs(2));
        assert_eq!(registry.url(), format!("http://127.0.0.1:{port}"));
    }
}
