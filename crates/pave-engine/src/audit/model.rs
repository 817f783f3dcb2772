//! The audit's typed model: one small [`RepoAudit`] per repo (so 10,000 of them fit in a few
//! megabytes) and the fleet [`Summary`] computed from them. Every renderer reads only this.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use pave_model::status::{Lag, RepoStatus};

/// Whether a repo was read from a work tree or from a bare repository's HEAD.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RepoKind {
    Worktree,
    Bare,
}

/// One golden path of a repo's lock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoGoldenPath {
    pub name: String,
    pub version: String,
    /// The catalog the lock records (absent from reports of older versions).
    #[serde(default)]
    pub catalog: Option<String>,
    /// Newest release in the catalog, when the catalog was reachable.
    pub latest: Option<String>,
    pub lag: Option<Lag>,
    /// Releases between the locked version and the newest.
    pub versions_behind: Option<usize>,
    /// Days since the locked version was released, when the catalog knows release dates.
    pub days_since_release: Option<i64>,
}

/// The audit of one repo.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoAudit {
    /// As found (relative to the audited folder) or as listed in the repos file.
    pub path: String,
    pub kind: RepoKind,
    pub status: RepoStatus,
    pub golden_paths: Vec<RepoGoldenPath>,
    /// Managed files edited.
    pub drifted_files: Vec<String>,
    /// Managed or merged files missing (or replaced by a link).
    pub missing_files: Vec<String>,
    /// Merged files edited (allowed).
    pub edited_merged_files: Vec<String>,
    /// Merged files that still hold `pave upgrade`'s conflict markers (fail, as drift does).
    #[serde(default)]
    pub conflicted_files: Vec<String>,
    /// Managed files tailored by recorded exceptions, or kept by choice (diverged).
    #[serde(default)]
    pub excepted_files: Vec<String>,
    /// Managed files that differ from the render only in declared pins moved forward (allowed;
    /// absent from reports of older paves and when there are none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pinned_files: Vec<String>,
    pub lock_problems: Vec<String>,
    /// What the audit could not tell, without it counting against the repo (a catalog this
    /// machine cannot read: version lag unknown).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Why the repo could not be read (status `error`).
    pub error: Option<String>,
    /// From the recorded answers, for breakdowns.
    pub team: Option<String>,
    pub train: Option<String>,
    /// The lock's repo id, for `audit --push`; not part of the report.
    #[serde(skip)]
    pub repo_id: Option<String>,
    /// Where the repo is: the URL it was listed by, else its absolute path; for `audit --push`
    /// (a repo without a lock is identified by it); not part of the report.
    #[serde(skip)]
    pub location: Option<String>,
}

/// Counts for one slice of the fleet (a team, a train, a golden path).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Breakdown {
    pub repos: usize,
    pub conforming: usize,
    /// Conforming with exceptions.
    #[serde(default)]
    pub excepted: usize,
    pub outdated: usize,
    pub drifted: usize,
    pub unadopted: usize,
    pub error: usize,
}

impl Breakdown {
    fn add(&mut self, status: RepoStatus) {
        self.repos += 1;
        match status {
            RepoStatus::Conforming => self.conforming += 1,
            RepoStatus::Excepted => self.excepted += 1,
            RepoStatus::Outdated => self.outdated += 1,
            RepoStatus::Drifted => self.drifted += 1,
            RepoStatus::Unadopted => self.unadopted += 1,
            RepoStatus::Error => self.error += 1,
        }
    }
}

/// One golden path across the fleet.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GoldenPathStats {
    pub repos: usize,
    pub latest: Option<String>,
    /// Repos per version.
    pub versions: BTreeMap<String, usize>,
    pub on_latest: usize,
    pub drifted: usize,
}

/// The fleet in numbers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub repos: usize,
    pub by_status: BTreeMap<String, usize>,
    /// Repos with a lock / repos seen (readable or not).
    pub adoption_rate: f64,
    /// Adopted repos whose every golden path is on its newest version.
    pub on_latest_rate: f64,
    /// Adopted repos with drift.
    pub drift_rate: f64,
    /// The most often drifted files, with how many repos drifted them.
    pub top_drifted_files: Vec<(String, usize)>,
    pub by_golden_path: BTreeMap<String, GoldenPathStats>,
    pub by_team: BTreeMap<String, Breakdown>,
    pub by_train: BTreeMap<String, Breakdown>,
}

/// The audit: the summary and every repo, sorted by path.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AuditReport {
    pub summary: Summary,
    pub repos: Vec<RepoAudit>,
}

/// The summary's key of a golden path: its name, or `name (catalog)` when the fleet has that name
/// from more than one catalog.
fn golden_path_key(
    name: &str,
    catalog: Option<&str>,
    catalogs_of: &BTreeMap<&str, std::collections::BTreeSet<Option<&str>>>,
) -> String {
    match catalog {
        Some(catalog) if catalogs_of.get(name).is_some_and(|c| c.len() > 1) => {
            format!("{name} ({catalog})")
        }
        _ => name.to_owned(),
    }
}

/// How many drifted files the summary lists.
const TOP_FILES: usize = 10;

impl AuditReport {
    /// Builds the report from per-repo audits (any order), sorting them by path.
    pub fn new(mut repos: Vec<RepoAudit>) -> Self {
        repos.sort_by(|a, b| a.path.cmp(&b.path));
        let summary = Summary::of(&repos);
        Self { summary, repos }
    }
}

impl Summary {
    pub fn of(repos: &[RepoAudit]) -> Self {
        let mut s = Summary {
            repos: repos.len(),
            ..Summary::default()
        };
        for status in RepoStatus::ALL {
            s.by_status.insert(status.as_str().to_owned(), 0);
        }
        let mut drifted_files: BTreeMap<&str, usize> = BTreeMap::new();
        // The catalogs each golden-path name comes from across the fleet.
        let mut catalogs_of: BTreeMap<&str, std::collections::BTreeSet<Option<&str>>> =
            BTreeMap::new();
        for gp in repos.iter().flat_map(|r| &r.golden_paths) {
            catalogs_of
                .entry(gp.name.as_str())
                .or_default()
                .insert(gp.catalog.as_deref());
        }
        let (mut adopted, mut on_latest, mut drifted) = (0usize, 0usize, 0usize);
        for repo in repos {
            *s.by_status
                .entry(repo.status.as_str().to_owned())
                .or_default() += 1;
            let is_adopted = !repo.golden_paths.is_empty();
            if is_adopted {
                adopted += 1;
                if repo.status == RepoStatus::Drifted {
                    drifted += 1;
                }
                if repo.golden_paths.iter().all(|g| g.lag == Some(Lag::None)) {
                    on_latest += 1;
                }
            }
            for f in &repo.drifted_files {
                *drifted_files.entry(f.as_str()).or_default() += 1;
            }
            let team = repo.team.clone().unwrap_or_else(|| "(none)".into());
            s.by_team.entry(team).or_default().add(repo.status);
            if is_adopted {
                let train = repo
                    .train
                    .clone()
                    .filter(|t| !t.is_empty())
                    .unwrap_or_else(|| "(none)".into());
                s.by_train.entry(train).or_default().add(repo.status);
            }
            for gp in &repo.golden_paths {
                // Golden paths are told apart by catalog and name: a scratch catalog's
                // `rust-service` is not the platform's.
                let key = golden_path_key(&gp.name, gp.catalog.as_deref(), &catalogs_of);
                let stats = s.by_golden_path.entry(key).or_default();
                stats.repos += 1;
                *stats.versions.entry(gp.version.clone()).or_default() += 1;
                if gp.latest.is_some() {
                    stats.latest.clone_from(&gp.latest);
                }
                if gp.lag == Some(Lag::None) {
                    stats.on_latest += 1;
                }
                if repo.status == RepoStatus::Drifted {
                    stats.drifted += 1;
                }
            }
        }
        let rate = |n: usize, d: usize| if d == 0 { 0.0 } else { n as f64 / d as f64 };
        s.adoption_rate = rate(adopted, repos.len());
        s.on_latest_rate = rate(on_latest, adopted);
        s.drift_rate = rate(drifted, adopted);
        let mut top: Vec<(String, usize)> = drifted_files
            .into_iter()
            .map(|(f, n)| (f.to_owned(), n))
            .collect();
        top.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        top.truncate(TOP_FILES);
        s.top_drifted_files = top;
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo(path: &str, catalog: &str, version: &str) -> RepoAudit {
        serde_json::from_value(serde_json::json!({
            "path": path, "kind": "worktree", "status": "conforming",
            "golden_paths": [{"name": "rust-service", "version": version, "catalog": catalog,
                              "latest": version, "lag": "none", "versions_behind": 0,
                              "days_since_release": null}],
            "drifted_files": [], "missing_files": [], "edited_merged_files": [],
            "lock_problems": [], "error": null, "team": null, "train": null
        }))
        .unwrap()
    }

    #[test]
    fn one_name_from_two_catalogs_is_two_golden_paths() {
        let one = Summary::of(&[repo("a", "builtin", "1.3.0"), repo("b", "builtin", "1.3.0")]);
        assert_eq!(
            one.by_golden_path.keys().collect::<Vec<_>>(),
            ["rust-service"]
        );
        let two = Summary::of(&[repo("a", "builtin", "1.3.0"), repo("b", "scratch", "5.0.0")]);
        assert_eq!(
            two.by_golden_path.keys().collect::<Vec<_>>(),
            ["rust-service (builtin)", "rust-service (scratch)"]
        );
        assert_eq!(
            two.by_golden_path["rust-service (builtin)"]
                .latest
                .as_deref(),
            Some("1.3.0")
        );
    }
}
