//! What new events change in the current state, decided once for both backends.
//!
//! Every piece of state is the newest fact about it (ordered by time, then event id) or the
//! earliest time something was seen. Both merges are order-independent, so a batch is first
//! merged here into one change per row, and a backend then merges each change into its stored
//! row by the same rules: the state is the same whatever order events arrive in (a spool flushed
//! late, two clients, a retry). One change per row also lets PostgreSQL write a batch with a few
//! set-based statements.
//!
//! The rules, per row:
//! - `repos`: name/url/path from the newest event; `first_seen_at` the earliest event;
//!   `first_adopted_at` the earliest event that showed a golden path; the audit status from the
//!   newest audit.
//! - `repo_golden_paths`: the version from the newest event naming the golden path (adoption,
//!   check or audit); `adopted_at` the earliest; team and train from the newest adoption or
//!   audit (a check knows neither); the catalog from the newest event that names one (every
//!   adoption does; older clients' checks and audits do not, and leave it as it was).
//! - `conformance`: the newest check, or audit that could tell (not `unadopted` or `error`),
//!   with the catalog it named (none: the golden path's, when read).

use std::collections::BTreeMap;

use jiff::Timestamp;
use uuid::Uuid;

use super::stored_time;
use crate::model::{AuditStatus, ConformanceSource, Event, EventKind, Lag, RepoRef};

/// When a fact was reported: the newest wins, ties broken by event id (UUIDv7s sort by time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Stamp {
    pub at: Timestamp,
    pub id: Uuid,
}

impl Stamp {
    pub fn of(event: &Event) -> Self {
        Self {
            at: stored_time(event.occurred_at),
            id: event.id,
        }
    }
}

/// What one event says.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Facts<'a> {
    /// The repo is on these golden paths at these versions.
    pub golden_paths: Vec<GoldenPathFact<'a>>,
    pub conformance: Vec<ConformanceFact<'a>>,
    pub audit_status: Option<AuditStatus>,
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) struct GoldenPathFact<'a> {
    pub golden_path: &'a str,
    pub version: String,
    /// `None` when the event does not say (an older client's check or audit).
    pub catalog: Option<&'a str>,
    /// `None` when the event does not know them (a check).
    pub labels: Option<Labels<'a>>,
}

/// A repo's team and train on a golden path, from its lock's answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Labels<'a> {
    pub team: Option<&'a str>,
    pub train: Option<&'a str>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ConformanceFact<'a> {
    pub golden_path: &'a str,
    pub version: String,
    pub catalog: Option<&'a str>,
    pub conforming: bool,
    pub drifted_files: u32,
    pub missing_files: u32,
    pub edited_files: u32,
    pub conflicted_files: u32,
    pub excepted_files: u32,
    pub lag: Option<Lag>,
    pub latest: Option<String>,
    pub source: ConformanceSource,
}

impl<'a> Facts<'a> {
    pub fn of(event: &'a Event) -> Self {
        match &event.kind {
            EventKind::Adoption(adoption) => Facts {
                golden_paths: vec![GoldenPathFact {
                    golden_path: &adoption.golden_path,
                    version: adoption.version.to_string(),
                    catalog: Some(&adoption.catalog),
                    labels: Some(Labels {
                        team: adoption.team.as_deref(),
                        train: adoption.train.as_deref(),
                    }),
                }],
                ..Facts::default()
            },
            EventKind::Conformance(check) => Facts {
                golden_paths: vec![GoldenPathFact {
                    golden_path: &check.golden_path,
                    version: check.version.to_string(),
                    catalog: check.catalog.as_deref(),
                    labels: None,
                }],
                conformance: vec![ConformanceFact {
                    golden_path: &check.golden_path,
                    version: check.version.to_string(),
                    catalog: check.catalog.as_deref(),
                    conforming: check.conforming,
                    drifted_files: check.drifted_files,
                    missing_files: check.missing_files,
                    edited_files: check.edited_files,
                    conflicted_files: check.conflicted_files,
                    excepted_files: check.excepted_files,
                    lag: check.lag,
                    latest: check.latest.as_ref().map(ToString::to_string),
                    source: ConformanceSource::Check,
                }],
                audit_status: None,
            },
            EventKind::Audit(audit) => {
                let labels = Labels {
                    team: audit.team.as_deref(),
                    train: audit.train.as_deref(),
                };
                let conforming = audit.status.is_conforming();
                Facts {
                    golden_paths: audit
                        .golden_paths
                        .iter()
                        .map(|g| GoldenPathFact {
                            golden_path: &g.name,
                            version: g.version.to_string(),
                            catalog: g.catalog.as_deref(),
                            labels: Some(labels),
                        })
                        .collect(),
                    conformance: audit
                        .golden_paths
                        .iter()
                        .filter_map(|g| {
                            Some(ConformanceFact {
                                golden_path: &g.name,
                                version: g.version.to_string(),
                                catalog: g.catalog.as_deref(),
                                conforming: conforming?,
                                drifted_files: audit.drifted_files,
                                missing_files: audit.missing_files,
                                edited_files: audit.edited_files,
                                conflicted_files: audit.conflicted_files,
                                excepted_files: audit.excepted_files,
                                lag: g.lag,
                                latest: g.latest.as_ref().map(ToString::to_string),
                                source: ConformanceSource::Audit,
                            })
                        })
                        .collect(),
                    audit_status: Some(audit.status),
                }
            }
        }
    }
}

/// A batch's new events merged into one change per row, each map in key order (so rows are
/// written, and locked, in a stable order).
#[derive(Debug, Default)]
pub(crate) struct Changes<'a> {
    pub repos: BTreeMap<&'a str, RepoChange<'a>>,
    pub golden_paths: BTreeMap<(&'a str, &'a str), GoldenPathChange<'a>>,
    pub conformance: BTreeMap<(&'a str, &'a str), (Stamp, ConformanceFact<'a>)>,
}

#[derive(Debug)]
pub(crate) struct RepoChange<'a> {
    /// The newest event about the repo, and the repo as it described it.
    pub newest: Stamp,
    pub repo: &'a RepoRef,
    pub first_seen_at: Timestamp,
    pub first_adopted_at: Option<Timestamp>,
    pub audit: Option<(Stamp, AuditStatus)>,
}

#[derive(Debug)]
pub(crate) struct GoldenPathChange<'a> {
    /// The newest event naming the golden path, and the version it reported.
    pub newest: Stamp,
    pub version: String,
    pub adopted_at: Timestamp,
    pub labels: Option<(Stamp, Labels<'a>)>,
    /// The catalog from the newest event that named one.
    pub catalog: Option<(Stamp, &'a str)>,
}

/// Keeps `value` if it is newer than what `slot` holds.
fn keep_newest<T>(slot: &mut Option<(Stamp, T)>, stamp: Stamp, value: T) {
    if slot.as_ref().is_none_or(|(held, _)| stamp > *held) {
        *slot = Some((stamp, value));
    }
}

impl<'a> Changes<'a> {
    pub fn of(events: impl IntoIterator<Item = &'a Event>) -> Self {
        let mut changes = Self::default();
        for event in events {
            changes.add(event);
        }
        changes
    }

    fn add(&mut self, event: &'a Event) {
        let stamp = Stamp::of(event);
        let facts = Facts::of(event);

        let repo = self
            .repos
            .entry(&event.repo_id)
            .or_insert_with(|| RepoChange {
                newest: stamp,
                repo: &event.repo,
                first_seen_at: stamp.at,
                first_adopted_at: None,
                audit: None,
            });
        if stamp > repo.newest {
            repo.newest = stamp;
            repo.repo = &event.repo;
        }
        repo.first_seen_at = repo.first_seen_at.min(stamp.at);
        if !facts.golden_paths.is_empty() {
            repo.first_adopted_at =
                Some(repo.first_adopted_at.map_or(stamp.at, |t| t.min(stamp.at)));
        }
        if let Some(status) = facts.audit_status {
            keep_newest(&mut repo.audit, stamp, status);
        }

        for fact in facts.golden_paths {
            let change = self
                .golden_paths
                .entry((&event.repo_id, fact.golden_path))
                .or_insert_with(|| GoldenPathChange {
                    newest: stamp,
                    version: fact.version.clone(),
                    adopted_at: stamp.at,
                    labels: None,
                    catalog: None,
                });
            if stamp > change.newest {
                change.newest = stamp;
                change.version = fact.version;
            }
            change.adopted_at = change.adopted_at.min(stamp.at);
            if let Some(labels) = fact.labels {
                keep_newest(&mut change.labels, stamp, labels);
            }
            if let Some(catalog) = fact.catalog {
                keep_newest(&mut change.catalog, stamp, catalog);
            }
        }

        for fact in facts.conformance {
            let slot = self
                .conformance
                .entry((&event.repo_id, fact.golden_path))
                .or_insert_with(|| (stamp, fact.clone()));
            if stamp > slot.0 {
                *slot = (stamp, fact);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Adoption, AdoptionCommand, Audit, AuditedGoldenPath, Conformance};

    fn event(at: &str, kind: EventKind) -> Event {
        Event {
            id: Uuid::now_v7(),
            occurred_at: at.parse().unwrap(),
            repo_id: "r".into(),
            repo: RepoRef {
                name: at.into(),
                url: None,
                path: None,
            },
            kind,
        }
    }

    fn adopt(at: &str, version: &str, team: Option<&str>) -> Event {
        event(
            at,
            EventKind::Adoption(Adoption {
                command: AdoptionCommand::Apply,
                golden_path: "gp".into(),
                version: version.parse().unwrap(),
                components: vec![],
                team: team.map(Into::into),
                train: None,
                catalog: "builtin".into(),
            }),
        )
    }

    fn check(at: &str, version: &str) -> Event {
        event(
            at,
            EventKind::Conformance(Conformance {
                golden_path: "gp".into(),
                version: version.parse().unwrap(),
                conforming: true,
                drifted_files: 0,
                missing_files: 0,
                edited_files: 0,
                conflicted_files: 0,
                excepted_files: 0,
                lag: None,
                latest: None,
                catalog: None,
            }),
        )
    }

    /// The merged state as text, for comparing orders.
    fn merged(events: &[&Event]) -> String {
        let changes = Changes::of(events.iter().copied());
        let repo = &changes.repos["r"];
        let gp = &changes.golden_paths[&("r", "gp")];
        format!(
            "{} seen={} adopted={:?} | {} at {} since {} labels={:?}",
            repo.repo.name,
            repo.first_seen_at,
            repo.first_adopted_at,
            gp.version,
            gp.newest.at,
            gp.adopted_at,
            gp.labels.map(|(_, l)| l)
        )
    }

    #[test]
    fn every_order_merges_to_the_same_state() {
        let a = adopt("2025-03-01T00:00:00Z", "1.0.0", Some("old"));
        let b = adopt("2025-03-02T00:00:00Z", "1.1.0", Some("new"));
        let c = check("2025-03-03T00:00:00Z", "1.1.0");
        let orders: [[&Event; 3]; 6] = [
            [&a, &b, &c],
            [&a, &c, &b],
            [&b, &a, &c],
            [&b, &c, &a],
            [&c, &a, &b],
            [&c, &b, &a],
        ];
        for order in orders {
            assert_eq!(
                merged(&order),
                "2025-03-03T00:00:00Z seen=2025-03-01T00:00:00Z \
                 adopted=Some(2025-03-01T00:00:00Z) | 1.1.0 at 2025-03-03T00:00:00Z \
                 since 2025-03-01T00:00:00Z labels=Some(Labels { team: Some(\"new\"), train: None })"
            );
        }
    }

    #[test]
    fn the_catalog_comes_from_the_newest_event_that_names_one() {
        let mut old = adopt("2025-03-01T00:00:00Z", "1.0.0", None);
        if let EventKind::Adoption(a) = &mut old.kind {
            a.catalog = "scratch".into();
        }
        let new = adopt("2025-03-02T00:00:00Z", "1.0.0", None);
        // An older client's check names no catalog: it changes the version, not the catalog.
        let silent = check("2025-03-03T00:00:00Z", "1.0.0");
        for order in [
            [&old, &new, &silent],
            [&silent, &new, &old],
            [&new, &silent, &old],
        ] {
            let changes = Changes::of(order);
            let gp = &changes.golden_paths[&("r", "gp")];
            assert_eq!(gp.catalog.map(|(_, c)| c), Some("builtin"));
            assert_eq!(gp.newest.at, silent.occurred_at);
        }
    }

    #[test]
    fn an_audit_that_cannot_tell_records_no_conformance() {
        let audit = |status| {
            event(
                "2025-03-01T00:00:00Z",
                EventKind::Audit(Audit {
                    status,
                    golden_paths: vec![AuditedGoldenPath {
                        name: "gp".into(),
                        version: "1.0.0".parse().unwrap(),
                        catalog: None,
                        latest: None,
                        lag: None,
                    }],
                    drifted_files: 1,
                    missing_files: 0,
                    edited_files: 0,
                    conflicted_files: 0,
                    excepted_files: 0,
                    team: Some("t".into()),
                    train: None,
                }),
            )
        };
        let drifted = audit(AuditStatus::Drifted);
        let facts = Facts::of(&drifted);
        assert!(!facts.conformance[0].conforming);
        assert_eq!(facts.golden_paths[0].labels.unwrap().team, Some("t"));
        let error = audit(AuditStatus::Error);
        let facts = Facts::of(&error);
        assert_eq!(facts.conformance, []);
        assert_eq!(facts.golden_paths.len(), 1);
    }
}
