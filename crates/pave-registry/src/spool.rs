//! The spool: events on disk until a registry has them. Every event is written here before it is
//! sent, so a registry that is down, a wrong token or a killed process loses nothing.
//!
//! One file per batch (`<uuidv7>.json`, a [`Batch`], so names sort by time), written atomically
//! (a temp file beside it, synced, renamed). [`Spool::flush`] sends the files in batches of at
//! most [`Batch::MAX_EVENTS`] and removes a file only after the registry said 2xx. An event keeps
//! its id for ever, so a batch sent twice (two processes flushing at once, a crash between the
//! answer and the removal) is counted once by the registry. An event the registry rejects (400)
//! can never be accepted: it is moved to `rejected/` with the registry's message and the rest go
//! on.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::client::{SendError, Sink};
use crate::model::{Batch, Event};

/// Where rejected events are kept, inside the spool folder.
pub const REJECTED_DIR: &str = "rejected";

/// The most JSON one batch carries: half the server's body limit, so 1,000 events with long
/// paths and URLs never make a request the registry refuses as too large.
pub const MAX_BATCH_BYTES: usize = crate::model::MAX_BODY_BYTES / 2;

#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    #[error("cannot write to the spool {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// A spool folder.
#[derive(Debug, Clone)]
pub struct Spool {
    pub dir: PathBuf,
}

/// What a flush did.
#[derive(Debug, Default)]
pub struct FlushOutcome {
    /// Events the registry stored now.
    pub accepted: u64,
    /// Events it already had (sent before): not counted again.
    pub duplicates: u64,
    /// Events moved to `rejected/`, with why.
    pub rejected: Vec<Rejection>,
    /// Events still spooled.
    pub remaining: u64,
    /// Why the flush stopped early, when it did.
    pub stopped: Option<SendError>,
}

#[derive(Debug)]
pub struct Rejection {
    pub event_id: String,
    pub message: String,
    /// Where the event and the message were put.
    pub path: PathBuf,
}

/// A spooled file and its events, as read for a flush.
struct Pending {
    path: PathBuf,
    events: Vec<Event>,
    /// The file's size: about the JSON its events add to a batch.
    bytes: usize,
}

impl Spool {
    pub fn new(dir: PathBuf) -> Self {
        Self { dir }
    }

    /// Writes `events` in files of at most [`Batch::MAX_EVENTS`] events and about
    /// [`MAX_BATCH_BYTES`].
    pub fn write(&self, events: Vec<Event>) -> Result<(), SpoolError> {
        let mut batch = Batch::default();
        let mut bytes = 0;
        for event in events {
            let size = event_size(&event);
            if !batch.events.is_empty()
                && (batch.events.len() == Batch::MAX_EVENTS || bytes + size > MAX_BATCH_BYTES)
            {
                self.write_batch(&std::mem::take(&mut batch))?;
                bytes = 0;
            }
            bytes += size;
            batch.events.push(event);
        }
        if !batch.events.is_empty() {
            self.write_batch(&batch)?;
        }
        Ok(())
    }

    fn write_batch(&self, batch: &Batch) -> Result<(), SpoolError> {
        let name = format!("{}.json", uuid::Uuid::now_v7());
        let bytes = serde_json::to_vec(batch).expect("events serialize to JSON");
        write_atomically(&self.dir, &name, &bytes)
    }

    /// Spooled files, oldest first (temp files and `rejected/` left out).
    fn files(&self) -> Vec<PathBuf> {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut files: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .filter(|e| {
                let name = e.file_name();
                let name = name.to_string_lossy();
                !name.starts_with('.') && name.ends_with(".json")
            })
            .map(|e| e.path())
            .collect();
        files.sort();
        files
    }

    /// How many events are spooled (cheap enough for a warning; reads every file).
    pub fn count(&self) -> u64 {
        self.files()
            .iter()
            .filter_map(|path| read_batch(path).ok().flatten())
            .map(|batch| batch.events.len() as u64)
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.files().is_empty()
    }

    /// Sends every spooled event to `sink`, oldest first, in batches of at most
    /// [`Batch::MAX_EVENTS`]. Stops at the first failure that is not a rejection: the registry is
    /// down or refuses the token, and the next batch would fare no better.
    pub fn flush(&self, sink: &dyn Sink) -> FlushOutcome {
        let mut outcome = FlushOutcome::default();
        let mut files = self.files().into_iter().peekable();
        let mut carried: Option<Pending> = None;
        loop {
            // The next chunk: whole files, up to MAX_EVENTS events.
            let mut chunk: Vec<Pending> = Vec::new();
            let mut size = 0;
            let mut bytes = 0;
            loop {
                let next = match carried.take() {
                    Some(pending) => pending,
                    None => match files.next() {
                        Some(path) => match self.load(&path, &mut outcome) {
                            Some(pending) => pending,
                            None => continue,
                        },
                        None => break,
                    },
                };
                if size > 0
                    && (size + next.events.len() > Batch::MAX_EVENTS
                        || bytes + next.bytes > MAX_BATCH_BYTES)
                {
                    carried = Some(next);
                    break;
                }
                size += next.events.len();
                bytes += next.bytes;
                chunk.push(next);
            }
            if chunk.is_empty() {
                break;
            }
            if let Err(stop) = self.send_chunk(sink, &mut chunk, &mut outcome) {
                outcome.remaining = chunk.iter().map(|p| p.events.len() as u64).sum::<u64>()
                    + carried.map_or(0, |p| p.events.len() as u64)
                    + files
                        .filter_map(|path| read_batch(&path).ok().flatten())
                        .map(|b| b.events.len() as u64)
                        .sum::<u64>();
                outcome.stopped = Some(stop);
                break;
            }
        }
        outcome
    }

    /// Reads a spooled file; `None` when another flush took it already or it is unreadable (then
    /// it is moved to `rejected/`, since no later try can read it either).
    fn load(&self, path: &Path, outcome: &mut FlushOutcome) -> Option<Pending> {
        match read_batch(path) {
            Ok(Some(batch)) if batch.events.is_empty() => {
                let _ = std::fs::remove_file(path);
                None
            }
            Ok(Some(batch)) => Some(Pending {
                path: path.to_owned(),
                bytes: batch.events.iter().map(event_size).sum(),
                events: batch.events,
            }),
            Ok(None) => None,
            Err(why) => {
                let name = path.file_name().map(|n| n.to_owned()).unwrap_or_default();
                let dest = self.dir.join(REJECTED_DIR).join(&name);
                if std::fs::create_dir_all(self.dir.join(REJECTED_DIR)).is_ok()
                    && std::fs::rename(path, &dest).is_ok()
                {
                    outcome.rejected.push(Rejection {
                        event_id: name.to_string_lossy().into_owned(),
                        message: format!("unreadable spool file: {why}"),
                        path: dest,
                    });
                }
                None
            }
        }
    }

    /// Sends one chunk until it is delivered or cannot be; rejected events are taken out of their
    /// files one by one and the rest sent again.
    fn send_chunk(
        &self,
        sink: &dyn Sink,
        chunk: &mut Vec<Pending>,
        outcome: &mut FlushOutcome,
    ) -> Result<(), SendError> {
        loop {
            chunk.retain(|p| !p.events.is_empty());
            if chunk.is_empty() {
                return Ok(());
            }
            let batch = Batch {
                events: chunk
                    .iter()
                    .flat_map(|p| p.events.iter().cloned())
                    .collect(),
            };
            match sink.send(&batch) {
                Ok(ingested) => {
                    outcome.accepted += ingested.accepted;
                    outcome.duplicates += ingested.duplicates;
                    for pending in chunk.iter() {
                        // Gone already: another process flushed it too.
                        let _ = std::fs::remove_file(&pending.path);
                    }
                    return Ok(());
                }
                Err(e @ SendError::Rejected { .. }) => match e.rejected_index() {
                    Some(index) if index < batch.events.len() => {
                        let message = e.to_string();
                        let field = match &e {
                            SendError::Rejected { field, .. } => field.clone(),
                            _ => None,
                        };
                        self.reject_one(chunk, index, &message, field, outcome)
                            .map_err(|e| SendError::Failed(e.to_string()))?;
                    }
                    _ => {
                        // The batch as a whole: reject every event of the chunk, so it never
                        // blocks what comes after.
                        for pending in chunk.iter_mut() {
                            for event in std::mem::take(&mut pending.events) {
                                let path = self
                                    .write_rejected(&event, &e.to_string(), None)
                                    .map_err(|e| SendError::Failed(e.to_string()))?;
                                outcome.rejected.push(Rejection {
                                    event_id: event.id.to_string(),
                                    message: e.to_string(),
                                    path,
                                });
                            }
                            let _ = std::fs::remove_file(&pending.path);
                        }
                    }
                },
                Err(other) => return Err(other),
            }
        }
    }

    /// Moves the `index`th event of the chunk to `rejected/` and rewrites its file without it.
    fn reject_one(
        &self,
        chunk: &mut [Pending],
        mut index: usize,
        message: &str,
        field: Option<String>,
        outcome: &mut FlushOutcome,
    ) -> Result<(), SpoolError> {
        for pending in chunk.iter_mut() {
            if index >= pending.events.len() {
                index -= pending.events.len();
                continue;
            }
            let event = pending.events.remove(index);
            let path = self.write_rejected(&event, message, field)?;
            outcome.rejected.push(Rejection {
                event_id: event.id.to_string(),
                message: message.to_owned(),
                path,
            });
            if pending.events.is_empty() {
                let _ = std::fs::remove_file(&pending.path);
            } else {
                let batch = Batch {
                    events: pending.events.clone(),
                };
                let name = pending
                    .path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let bytes = serde_json::to_vec(&batch).expect("events serialize to JSON");
                write_atomically(&self.dir, &name, &bytes)?;
            }
            return Ok(());
        }
        Ok(())
    }

    fn write_rejected(
        &self,
        event: &Event,
        message: &str,
        field: Option<String>,
    ) -> Result<PathBuf, SpoolError> {
        let dir = self.dir.join(REJECTED_DIR);
        let name = format!("{}.json", event.id);
        let body = serde_json::json!({"error": message, "field": field, "event": event});
        let bytes = serde_json::to_vec_pretty(&body).expect("JSON values serialize");
        write_atomically(&dir, &name, &bytes)?;
        Ok(dir.join(name))
    }
}

/// The bytes an event adds to a batch's JSON.
fn event_size(event: &Event) -> usize {
    serde_json::to_vec(event).map_or(0, |json| json.len() + 1)
}

/// A spooled batch; `None` when the file is gone (another process flushed it).
fn read_batch(path: &Path) -> Result<Option<Batch>, String> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| e.to_string()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.to_string()),
    }
}

/// Writes `dir/name` whole or not at all: a synced temp file in `dir`, renamed over the name.
fn write_atomically(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), SpoolError> {
    let error = |source| SpoolError::Write {
        path: dir.to_owned(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(error)?;
    let mut file = tempfile::Builder::new()
        .prefix(".tmp-")
        .suffix(".json")
        .tempfile_in(dir)
        .map_err(error)?;
    file.write_all(bytes).map_err(error)?;
    file.as_file().sync_data().map_err(error)?;
    file.persist(dir.join(name)).map_err(|e| error(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;
    use crate::model::{Adoption, AdoptionCommand, EventKind, IngestOutcome, Invalid, RepoRef};

    fn event(team: &str) -> Event {
        Event {
            id: uuid::Uuid::now_v7(),
            occurred_at: jiff::Timestamp::now(),
            repo_id: "r".into(),
            repo: RepoRef {
                name: "r".into(),
                url: None,
                path: None,
            },
            kind: EventKind::Adoption(Adoption {
                command: AdoptionCommand::New,
                golden_path: "gp".into(),
                version: "1.0.0".parse().unwrap(),
                components: vec![],
                team: Some(team.into()),
                train: None,
                catalog: "builtin".into(),
            }),
        }
    }

    /// Validates like the registry and remembers what it stored.
    #[derive(Default)]
    struct Fake {
        batches: RefCell<Vec<usize>>,
        stored: RefCell<Vec<uuid::Uuid>>,
        down: bool,
    }

    impl Sink for Fake {
        fn send(&self, batch: &Batch) -> Result<IngestOutcome, SendError> {
            if self.down {
                return Err(SendError::Unreachable {
                    url: "x".into(),
                    why: "down".into(),
                });
            }
            for (i, e) in batch.events.iter().enumerate() {
                e.validate().map_err(|e: Invalid| {
                    let e = e.within(&format!("events[{i}]"));
                    SendError::Rejected {
                        field: Some(e.field),
                        message: e.message,
                    }
                })?;
            }
            self.batches.borrow_mut().push(batch.events.len());
            let mut outcome = IngestOutcome::default();
            for e in &batch.events {
                if self.stored.borrow().contains(&e.id) {
                    outcome.duplicates += 1;
                } else {
                    self.stored.borrow_mut().push(e.id);
                    outcome.accepted += 1;
                }
            }
            Ok(outcome)
        }
    }

    #[test]
    fn events_stay_spooled_until_delivered_in_batches_of_at_most_a_thousand() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::new(dir.path().join("spool"));
        assert!(spool.is_empty());
        spool
            .write((0..1500).map(|_| event("t")).collect())
            .unwrap();
        spool.write(vec![event("t")]).unwrap();
        assert_eq!(spool.count(), 1501);

        let down = Fake {
            down: true,
            ..Fake::default()
        };
        let outcome = spool.flush(&down);
        assert_eq!(outcome.remaining, 1501);
        assert!(outcome.stopped.is_some());

        let up = Fake::default();
        let outcome = spool.flush(&up);
        assert_eq!((outcome.accepted, outcome.remaining), (1501, 0));
        assert!(up.batches.borrow().iter().all(|n| *n <= Batch::MAX_EVENTS));
        assert!(spool.is_empty());
        assert_eq!(spool.flush(&up).accepted, 0, "nothing left to send");
    }

    #[test]
    fn batches_stay_well_under_the_body_limit() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::new(dir.path().to_owned());
        let long = |mut e: Event| {
            e.repo.path = Some("p".repeat(2000));
            e
        };
        spool
            .write((0..1000).map(|_| long(event("t"))).collect())
            .unwrap();
        let sink = Fake::default();
        assert_eq!(spool.flush(&sink).accepted, 1000);
        assert!(
            sink.batches.borrow().len() > 1,
            "{:?}",
            sink.batches.borrow()
        );
    }

    #[test]
    fn a_rejected_event_is_set_aside_and_the_rest_delivered() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::new(dir.path().to_owned());
        let bad = event("");
        let bad_id = bad.id;
        spool.write(vec![event("a"), bad, event("b")]).unwrap();
        spool.write(vec![event("c")]).unwrap();
        let sink = Fake::default();
        let outcome = spool.flush(&sink);
        assert_eq!(outcome.accepted, 3);
        assert_eq!(outcome.rejected.len(), 1);
        assert_eq!(outcome.rejected[0].event_id, bad_id.to_string());
        assert!(outcome.rejected[0].message.contains("must not be empty"));
        let kept: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&outcome.rejected[0].path).unwrap()).unwrap();
        assert_eq!(kept["field"], "events[1].team");
        assert!(spool.is_empty());
    }

    #[test]
    fn an_unreadable_file_is_set_aside() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::new(dir.path().to_owned());
        std::fs::write(dir.path().join("0-broken.json"), "{").unwrap();
        spool.write(vec![event("a")]).unwrap();
        let outcome = spool.flush(&Fake::default());
        assert_eq!(outcome.accepted, 1);
        assert_eq!(outcome.rejected.len(), 1);
        assert!(dir.path().join(REJECTED_DIR).join("0-broken.json").exists());
    }
}
