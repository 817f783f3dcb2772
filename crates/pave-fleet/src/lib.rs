//! A reproducible fleet of repos for `pave audit`'s tests and benchmarks, with the ground truth
//! of what an audit must report about it. Everything follows from a seed — which repos are bare,
//! adopted, on an older version, drifted, edited or hostile, their teams and trains, even their
//! repo ids and commit times — so two runs with one seed write the same bytes.
//!
//! Repos are rendered from the built-in golden paths with pave's own library (answers → render →
//! lock → apply), each distinct answer set once: teams and trains come from small sets, so
//! 10,000 repos share a few hundred renders and writing them is mostly file I/O. The truth is
//! derived from what each repo was given (this managed file edited, that one replaced by a link),
//! never by auditing, so it can catch the audit out.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use pave_base::repo_path::RepoPath;
use pave_engine::answers::{Given, GivenAnswers, Origin, RawValue, Target};
use pave_engine::apply::{ApplyError, Write};
use pave_engine::audit::RepoKind;
use pave_engine::catalog::{
    BuiltinCatalog, Catalog as _, CatalogError, GoldenPath, Reference, VersionSpec,
};
use pave_engine::remote::Remote;
use pave_engine::render::Rendered;
use pave_engine::scaffold::{Scaffold, ScaffoldError, scaffold};
use pave_model::lock::{LOCK_PATH, LOCK_VERSION, Lock, LockEntry};
use pave_model::manifest::Ownership;
use pave_model::status::RepoStatus;

/// The file the truth is written to, at the top of the fleet's folder.
pub const TRUTH_FILE: &str = "truth.json";

/// The golden path every adopted repo of the fleet is on.
const GOLDEN_PATH: &str = "rust-service";
const TEAMS: [&str; 12] = [
    "payments",
    "checkout",
    "search",
    "identity",
    "billing",
    "catalog",
    "shipping",
    "notifications",
    "analytics",
    "platform",
    "risk",
    "growth",
];
const TRAINS: [&str; 4] = ["aurora", "borealis", "cascade", "delta"];
/// Managed files that every answer set renders: drift lands in one of them.
const DRIFT_FILES: [&str; 2] = ["Dockerfile", "deploy/base/service.yaml"];
/// Managed files a repo may have deleted (never the same as a drifted one).
const DELETE_FILES: [&str; 2] = [".dockerignore", "deploy/base/hpa.yaml"];
/// The managed file a repo tailors with a recorded exception (`pave except`).
const EXCEPTED_FILE: &str = "deploy/base/pdb.yaml";
/// The reason the fleet's exceptions record.
const EXCEPTION_REASON: &str = "fleet: a reviewed tailoring";
/// What a tailoring appends.
const TAILORING: &[u8] = b"# tailored by a recorded exception\n";
/// The merged file an allowed local edit lands in.
const MERGED_FILE: &str = "README.md";
/// A managed folder a hostile repo replaces by a link to a copy of it outside the repo.
const LINKED_FOLDER: &str = "deploy/overlays";
/// Where those copies live, below the fleet's folder (not a repo: nothing marks it as one).
const OUTSIDE_FOLDER: &str = "_outside-the-repos";
/// What a link in place of a managed file points at.
const OUTSIDE_TARGET: &str = "/etc/passwd";
/// Sizes of the sparse files of hostile repos: over the audit's file and lock limits.
const HUGE_FILE_BYTES: u64 = 20 * 1024 * 1024;
const HUGE_LOCK_BYTES: u64 = 100 * 1024 * 1024;
/// Commit times of bare repos: fixed, so the fleet is the same on every run.
const EPOCH: i64 = 1_700_000_000;

/// What fleet to make. Shares are fractions of the repos (rounded), picked by the seed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FleetSpec {
    /// How many repos, hostile ones included.
    pub repos: usize,
    pub seed: u64,
    /// Bare clones (no work tree; the audit reads HEAD's tree).
    pub bare_share: f64,
    /// Repos with no lock: a plain repo with a README.
    pub unadopted_share: f64,
    /// Adopted repos on an older version of the golden path than the newest.
    pub old_version_share: f64,
    /// Repos with a managed file edited (drift).
    pub drift_share: f64,
    /// Repos with the merged README.md edited (allowed, reported).
    pub merged_edit_share: f64,
    /// Repos with a managed file deleted.
    pub deleted_share: f64,
    /// Repos with a managed file tailored by a recorded exception (conforming with exceptions).
    #[serde(default)]
    pub excepted_share: f64,
    /// Teams and release trains the repos are spread over (a fifth-or-so share has no train).
    pub teams: usize,
    pub trains: usize,
    /// Make one repo of each [`Hostile`] kind (needs at least as many repos as kinds).
    pub hostile: bool,
}

impl Default for FleetSpec {
    fn default() -> Self {
        Self {
            repos: 100,
            seed: 1,
            bare_share: 0.0,
            unadopted_share: 0.1,
            old_version_share: 0.3,
            drift_share: 0.1,
            merged_edit_share: 0.1,
            deleted_share: 0.05,
            excepted_share: 0.05,
            teams: TEAMS.len(),
            trains: TRAINS.len(),
            hostile: false,
        }
    }
}

/// Repos made to trip a fleet audit up; each must be reported for itself and stop nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hostile {
    /// A lock that is not YAML (error).
    CorruptLock,
    /// A 100 MB (sparse) lock, to be refused unread (error).
    HugeLock,
    /// A link to a file outside the repo in place of a managed file (missing).
    LinkedFile,
    /// A link in place of a managed folder, to a byte-identical copy outside the repo: links
    /// are not followed, so its files are missing.
    LinkedFolder,
    /// Binary bytes in place of a managed file (drift).
    BinaryFile,
    /// A 20 MB (sparse) file in place of a managed file, over the read limit (drift).
    HugeFile,
    /// Bare: a lock that is not YAML (error).
    BareCorruptLock,
    /// Bare: a link (mode 120000) in place of a managed file (missing).
    BareLinkedFile,
    /// Bare: a 20 MB blob in place of a managed file (drift).
    BareHugeFile,
    /// Bare: no commit at all, HEAD unborn (unadopted).
    BareEmpty,
}

impl Hostile {
    pub const ALL: [Hostile; 10] = [
        Self::CorruptLock,
        Self::HugeLock,
        Self::LinkedFile,
        Self::LinkedFolder,
        Self::BinaryFile,
        Self::HugeFile,
        Self::BareCorruptLock,
        Self::BareLinkedFile,
        Self::BareHugeFile,
        Self::BareEmpty,
    ];

    pub fn describe(self) -> &'static str {
        match self {
            Self::CorruptLock => "a lock that is not YAML",
            Self::HugeLock => "a 100 MB lock",
            Self::LinkedFile => "a link outside the repo in place of a managed file",
            Self::LinkedFolder => "a link outside the repo in place of a managed folder",
            Self::BinaryFile => "binary bytes in place of a managed file",
            Self::HugeFile => "a 20 MB file in place of a managed file",
            Self::BareCorruptLock => "bare, a lock that is not YAML",
            Self::BareLinkedFile => "bare, a link in place of a managed file",
            Self::BareHugeFile => "bare, a 20 MB blob in place of a managed file",
            Self::BareEmpty => "bare, no commit",
        }
    }

    fn is_bare(self) -> bool {
        matches!(
            self,
            Self::BareCorruptLock | Self::BareLinkedFile | Self::BareHugeFile | Self::BareEmpty
        )
    }
}

/// What `pave audit` must report about a fleet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Truth {
    /// What the fleet was made from: the same spec makes the same fleet.
    pub spec: FleetSpec,
    /// Every repo, sorted by path.
    pub repos: Vec<TruthRepo>,
    /// The hostile repos: path → what makes them hostile.
    pub hostile: BTreeMap<String, String>,
}

/// One repo as `pave audit <dir>` reports it with the built-in catalog reachable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TruthRepo {
    /// As the audit names it: `<dir>/<relative path>`, `<dir>` as given to [`generate`].
    pub path: String,
    pub kind: RepoKind,
    pub status: RepoStatus,
    pub golden_paths: Vec<TruthGoldenPath>,
    pub drifted_files: Vec<String>,
    pub missing_files: Vec<String>,
    pub edited_merged_files: Vec<String>,
    /// Managed files tailored by a recorded exception.
    #[serde(default)]
    pub excepted_files: Vec<String>,
    pub team: Option<String>,
    pub train: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TruthGoldenPath {
    pub name: String,
    pub version: String,
    /// The newest version in the built-in catalog.
    pub latest: String,
}

impl TruthRepo {
    fn record(&mut self, file: &str, ownership: Ownership, effect: Effect) {
        let list = match (effect, ownership) {
            (_, Ownership::Seeded) => return,
            (Effect::Missing, _) => &mut self.missing_files,
            (Effect::Changed, Ownership::Managed) => &mut self.drifted_files,
            (Effect::Changed, Ownership::Merged) => &mut self.edited_merged_files,
            (Effect::Excepted, _) => &mut self.excepted_files,
        };
        list.push(file.to_owned());
    }

    /// The status `pave audit --offline` reports: no catalog, so nothing is outdated.
    pub fn offline_status(&self) -> RepoStatus {
        match self.status {
            RepoStatus::Outdated if !self.excepted_files.is_empty() => RepoStatus::Excepted,
            RepoStatus::Outdated => RepoStatus::Conforming,
            status => status,
        }
    }
}

/// Why a fleet could not be made.
#[derive(Debug, thiserror::Error)]
pub enum FleetError {
    #[error("fleet spec: {0}")]
    Spec(String),
    #[error("{path} exists and is not empty; a fleet is written into a new folder")]
    NotEmpty { path: PathBuf },
    #[error("{golden_path} does not render `{file}`, which the fleet edits")]
    NotRendered { golden_path: String, file: String },
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error(transparent)]
    Scaffold(#[from] ScaffoldError),
    #[error(transparent)]
    Apply(#[from] ApplyError),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: git: {message}")]
    Git { path: PathBuf, message: String },
}

/// Writes the fleet `spec` describes into `dir` (missing or empty) and its truth into
/// `dir/truth.json`; returns the truth. Repos are `<dir>/<team>/svc-NNNNN` (work trees, with an
/// empty `git init`) and `<dir>/<team>/svc-NNNNN.git` (bare, one commit on `main`).
pub fn generate(dir: &Path, spec: &FleetSpec) -> Result<Truth, FleetError> {
    check(spec)?;
    make_empty_dir(dir)?;
    let golden_paths = builtin_versions()?;
    let plans = plan(spec, golden_paths.len());
    let sets: BTreeSet<AnswerSet> = plans
        .iter()
        .filter(|p| p.is_adopted)
        .map(|p| p.answers)
        .collect();
    let renders: HashMap<AnswerSet, Render> = sets
        .into_par_iter()
        .map(|set| Ok((set, render_set(&golden_paths[set.version], set)?)))
        .collect::<Result<_, FleetError>>()?;
    let latest = golden_paths
        .last()
        .map(|g| g.manifest.version.to_string())
        .unwrap_or_default();
    let writer = Writer {
        dir,
        seed: spec.seed,
        renders: &renders,
        latest: &latest,
    };
    let mut repos: Vec<TruthRepo> = plans
        .par_iter()
        .map(|p| writer.write(p))
        .collect::<Result<_, _>>()?;
    repos.sort_by(|a, b| a.path.cmp(&b.path));
    let hostile = plans
        .iter()
        .filter_map(|p| p.hostile.map(|h| (writer.name(p), h.describe().to_owned())))
        .collect();
    let truth = Truth {
        spec: spec.clone(),
        repos,
        hostile,
    };
    let path = dir.join(TRUTH_FILE);
    let text = serde_json::to_string_pretty(&truth).expect("the truth serialises") + "\n";
    std::fs::write(&path, text).map_err(|source| FleetError::Io { path, source })?;
    Ok(truth)
}

fn check(spec: &FleetSpec) -> Result<(), FleetError> {
    let shares = [
        ("bare_share", spec.bare_share),
        ("unadopted_share", spec.unadopted_share),
        ("old_version_share", spec.old_version_share),
        ("drift_share", spec.drift_share),
        ("merged_edit_share", spec.merged_edit_share),
        ("deleted_share", spec.deleted_share),
        ("excepted_share", spec.excepted_share),
    ];
    if let Some((name, share)) = shares.iter().find(|(_, s)| !(0.0..=1.0).contains(s)) {
        return Err(FleetError::Spec(format!(
            "{name} must be between 0 and 1, got {share}"
        )));
    }
    if spec.teams == 0 {
        return Err(FleetError::Spec("teams must be at least 1".into()));
    }
    if spec.hostile && spec.repos < Hostile::ALL.len() {
        return Err(FleetError::Spec(format!(
            "hostile repos need a fleet of at least {} repos, got {}",
            Hostile::ALL.len(),
            spec.repos
        )));
    }
    Ok(())
}

fn make_empty_dir(dir: &Path) -> Result<(), FleetError> {
    let io = |source| FleetError::Io {
        path: dir.to_owned(),
        source,
    };
    match std::fs::read_dir(dir) {
        Ok(mut entries) => match entries.next() {
            Some(_) => Err(FleetError::NotEmpty {
                path: dir.to_owned(),
            }),
            None => Ok(()),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(dir).map_err(io)
        }
        Err(e) => Err(io(e)),
    }
}

/// Every released version of the golden path in the built-in catalog, oldest first.
fn builtin_versions() -> Result<Vec<GoldenPath>, FleetError> {
    let listing = BuiltinCatalog
        .list()?
        .into_iter()
        .find(|l| l.name == GOLDEN_PATH);
    let mut versions: Vec<semver::Version> = listing
        .map(|l| l.versions)
        .unwrap_or_default()
        .into_iter()
        .filter(|v| v.pre.is_empty())
        .collect();
    versions.sort();
    versions
        .into_iter()
        .map(|v| {
            let reference = Reference {
                name: GOLDEN_PATH.to_owned(),
                version: VersionSpec::Exact(v),
            };
            Ok(BuiltinCatalog.load(&reference)?)
        })
        .collect()
}

/// SplitMix64 (Steele, Lea and Flood, 2014): a tiny, fast, well-mixed generator; plenty to pick
/// shapes from, and no dependency.
struct Rng(u64);

impl Rng {
    /// An independent stream for item `item` of stream `salt` of a seed, so a repo's draws do not
    /// depend on any other repo's.
    fn new(seed: u64, salt: u64, item: u64) -> Self {
        let mut mixer = Rng(seed ^ salt.wrapping_mul(0xA076_1D64_78BD_642F));
        let base = mixer.next_u64();
        Rng(base ^ Rng(item).next_u64())
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn bytes16(&mut self) -> [u8; 16] {
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&self.next_u64().to_le_bytes());
        bytes[8..].copy_from_slice(&self.next_u64().to_le_bytes());
        bytes
    }

    /// Uniform in `0..n` (the modulo bias is far below anything a fleet can show).
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }
}

/// Exactly `round(share × n)` of `0..n`, chosen by a seeded shuffle.
fn pick(seed: u64, salt: u64, n: usize, share: f64) -> Vec<bool> {
    let count = ((share * n as f64).round() as usize).min(n);
    let mut order: Vec<usize> = (0..n).collect();
    let mut rng = Rng::new(seed, salt, u64::MAX);
    for i in (1..n).rev() {
        order.swap(i, rng.below(i + 1));
    }
    let mut chosen = vec![false; n];
    for &i in &order[..count] {
        chosen[i] = true;
    }
    chosen
}

/// The answers a repo renders with; repos sharing them share one render.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct AnswerSet {
    /// Index into the golden path's versions, oldest first.
    version: usize,
    team: usize,
    train: Option<usize>,
}

/// A local change to a rendered repo.
#[derive(Debug, Clone, Copy)]
enum Edit {
    /// A line appended: drift in a managed file, an allowed edit in a merged one.
    Append(&'static str),
    Delete(&'static str),
    Binary(&'static str),
    /// A sparse 20 MB file in its place.
    Huge(&'static str),
    /// A link to outside the repo in its place.
    Link(&'static str),
    /// A link in place of the folder, to a byte-identical copy outside the repo.
    LinkFolder(&'static str),
    /// A line appended to a managed file and recorded in the lock as an exception.
    Except(&'static str),
}

/// What an edit does to a file the lock records, as an audit must see it.
#[derive(Debug, Clone, Copy)]
enum Effect {
    /// Other bytes: drift in a managed file, an allowed edit in a merged one.
    Changed,
    /// Gone, or not a regular file of the repo (a link, or behind one).
    Missing,
    /// Other bytes, exactly as a recorded exception says.
    Excepted,
}

/// One repo to write.
#[derive(Debug, Clone)]
struct Plan {
    index: usize,
    kind: RepoKind,
    answers: AnswerSet,
    is_adopted: bool,
    edits: Vec<Edit>,
    hostile: Option<Hostile>,
}

impl Plan {
    /// `<team>/svc-NNNNN`, `.git` for a bare repo.
    fn rel(&self) -> String {
        let suffix = if self.kind == RepoKind::Bare {
            ".git"
        } else {
            ""
        };
        format!(
            "{}/svc-{:05}{suffix}",
            team_name(self.answers.team),
            self.index
        )
    }
}

fn team_name(team: usize) -> String {
    TEAMS
        .get(team)
        .map_or_else(|| format!("team-{team}"), |t| (*t).to_owned())
}

fn train_name(train: usize) -> String {
    TRAINS
        .get(train)
        .map_or_else(|| format!("train-{train}"), |t| (*t).to_owned())
}

/// Decides every repo from the seed alone.
fn plan(spec: &FleetSpec, version_count: usize) -> Vec<Plan> {
    let n = spec.repos;
    let seed = spec.seed;
    let bare = pick(seed, 1, n, spec.bare_share);
    let unadopted = pick(seed, 2, n, spec.unadopted_share);
    let old = pick(seed, 3, n, spec.old_version_share);
    let drift = pick(seed, 4, n, spec.drift_share);
    let merged = pick(seed, 5, n, spec.merged_edit_share);
    let deleted = pick(seed, 6, n, spec.deleted_share);
    let excepted = pick(seed, 8, n, spec.excepted_share);
    let mut plans: Vec<Plan> = (0..n)
        .map(|i| {
            // Every draw is made whatever the repo turns out to be, so changing one share does
            // not reshuffle the rest.
            let mut rng = Rng::new(seed, 0, i as u64);
            let team = rng.below(spec.teams);
            // One pick in trains + 1 is "no train".
            let train = rng.below(spec.trains + 1);
            let old_version = rng.below(version_count.saturating_sub(1));
            let drift_file = DRIFT_FILES[rng.below(DRIFT_FILES.len())];
            let delete_file = DELETE_FILES[rng.below(DELETE_FILES.len())];
            let version = if old[i] && version_count > 1 {
                old_version
            } else {
                version_count - 1
            };
            let mut edits = Vec::new();
            if drift[i] {
                edits.push(Edit::Append(drift_file));
            }
            if merged[i] {
                edits.push(Edit::Append(MERGED_FILE));
            }
            if deleted[i] {
                edits.push(Edit::Delete(delete_file));
            }
            if excepted[i] {
                edits.push(Edit::Except(EXCEPTED_FILE));
            }
            Plan {
                index: i,
                kind: if bare[i] {
                    RepoKind::Bare
                } else {
                    RepoKind::Worktree
                },
                answers: AnswerSet {
                    version,
                    team,
                    train: (train < spec.trains).then_some(train),
                },
                is_adopted: !unadopted[i],
                edits,
                hostile: None,
            }
        })
        .collect();
    if spec.hostile {
        // Spread over the fleet; each keeps its team, train and version, nothing else.
        for (k, hostile) in Hostile::ALL.into_iter().enumerate() {
            let plan = &mut plans[k * n / Hostile::ALL.len()];
            plan.kind = if hostile.is_bare() {
                RepoKind::Bare
            } else {
                RepoKind::Worktree
            };
            plan.is_adopted = hostile != Hostile::BareEmpty;
            plan.hostile = Some(hostile);
            plan.edits = match hostile {
                Hostile::LinkedFile | Hostile::BareLinkedFile => vec![Edit::Link("Dockerfile")],
                Hostile::LinkedFolder => vec![Edit::LinkFolder(LINKED_FOLDER)],
                Hostile::BinaryFile => vec![Edit::Binary("deploy/base/service.yaml")],
                Hostile::HugeFile | Hostile::BareHugeFile => vec![Edit::Huge("Dockerfile")],
                Hostile::CorruptLock
                | Hostile::HugeLock
                | Hostile::BareCorruptLock
                | Hostile::BareEmpty => Vec::new(),
            };
        }
    }
    plans
}

/// One answer set rendered, and its lock entry.
struct Render {
    rendered: Rendered,
    entry: LockEntry,
}

fn render_set(golden_path: &GoldenPath, set: AnswerSet) -> Result<Render, FleetError> {
    let manifest = &golden_path.manifest;
    let team = team_name(set.team);
    let service_name = format!("{team}-api");
    let mut given = GivenAnswers::new();
    let mut give = |name: &str, value: String| {
        // Only what this version asks: an older version may lack a newer parameter.
        if manifest.parameters.contains_key(name) {
            given.insert(
                name.to_owned(),
                Given {
                    value: RawValue::Text(value),
                    origin: Origin::CommandLine,
                },
            );
        }
    };
    give("service_name", service_name.clone());
    give("team", team);
    give("organization", "acme".to_owned());
    give("train", set.train.map(train_name).unwrap_or_default());
    // Teams differ in CI and delivery, so the fleet holds every shape of the golden path.
    give(
        "ci_provider",
        if set.team % 2 == 1 {
            "gitlab"
        } else {
            "github"
        }
        .to_owned(),
    );
    give("canary", (set.team % 3 != 2).to_string());
    // The same pipeline as `pave new` (no prompts).
    let target = Target {
        name: service_name,
        remote: Remote::NewRepo,
    };
    let Scaffold { rendered, lock, .. } = scaffold(golden_path, &given, &target, &[], None)?;
    let entry = lock
        .golden_paths
        .into_iter()
        .next()
        .expect("a scaffold locks one golden path");
    Ok(Render { rendered, entry })
}

/// What a repo holds at a path.
enum Content {
    File {
        bytes: Vec<u8>,
        is_executable: bool,
    },
    /// A symbolic link to this target.
    Link(String),
    /// A file of this many zero bytes (sparse in a work tree).
    Zeros(u64),
}

type Files = BTreeMap<String, Content>;

struct Writer<'a> {
    dir: &'a Path,
    seed: u64,
    renders: &'a HashMap<AnswerSet, Render>,
    latest: &'a str,
}

impl Writer<'_> {
    /// The repo's name in the audit: `<dir>/<relative path>`.
    fn name(&self, plan: &Plan) -> String {
        format!(
            "{}/{}",
            self.dir.display().to_string().trim_end_matches('/'),
            plan.rel()
        )
    }

    /// Writes one repo and says what the audit must report about it.
    fn write(&self, plan: &Plan) -> Result<TruthRepo, FleetError> {
        let root = self.dir.join(plan.rel());
        let mut truth = TruthRepo {
            path: self.name(plan),
            kind: plan.kind,
            status: RepoStatus::Unadopted,
            golden_paths: Vec::new(),
            drifted_files: Vec::new(),
            missing_files: Vec::new(),
            edited_merged_files: Vec::new(),
            excepted_files: Vec::new(),
            team: None,
            train: None,
        };
        if plan.hostile == Some(Hostile::BareEmpty) {
            init_bare(&root)?;
            return Ok(truth);
        }
        let Some(render) = self.renders.get(&plan.answers).filter(|_| plan.is_adopted) else {
            let readme = format!(
                "# svc-{:05}\n\nA repo that has not adopted a golden path.\n",
                plan.index
            );
            let files = Files::from([(
                "README.md".to_owned(),
                Content::File {
                    bytes: readme.into_bytes(),
                    is_executable: false,
                },
            )]);
            self.write_files(&root, plan, &files)?;
            return Ok(truth);
        };
        let mut files: Files = render
            .rendered
            .files
            .values()
            .map(|f| {
                (
                    f.path.to_string(),
                    Content::File {
                        bytes: f.bytes.clone(),
                        is_executable: f.is_executable,
                    },
                )
            })
            .collect();
        let repo_id =
            uuid::Builder::from_random_bytes(Rng::new(self.seed, 7, plan.index as u64).bytes16())
                .into_uuid();
        let mut entry = render.entry.clone();
        // An exception is recorded in the lock, as `pave except` records it.
        for edit in &plan.edits {
            if let Edit::Except(file) = *edit {
                let locked = entry
                    .files
                    .iter_mut()
                    .find(|f| f.path.as_str() == file)
                    .ok_or_else(|| FleetError::NotRendered {
                        golden_path: render.entry.name.clone(),
                        file: file.to_owned(),
                    })?;
                let render_bytes = &render.rendered.files[&locked.path].bytes;
                let tailored = [render_bytes.as_slice(), TAILORING].concat();
                let (added, removed) = pave_engine::except::size(render_bytes, &tailored);
                locked.exception = Some(pave_model::lock::Exception {
                    reason: EXCEPTION_REASON.to_owned(),
                    sha256: pave_model::lock::sha256_hex(&tailored),
                    added,
                    removed,
                });
            }
        }
        let lock = Lock {
            lock_version: LOCK_VERSION,
            repo_id: repo_id.to_string(),
            golden_paths: vec![entry],
        };
        // The schema and the lock as every pave command writes them; a hostile repo's lock is
        // replaced by its corrupt or huge one.
        for (path, bytes) in lock.files() {
            let content = match plan.hostile {
                Some(Hostile::CorruptLock | Hostile::BareCorruptLock)
                    if path.as_str() == LOCK_PATH =>
                {
                    Content::File {
                        bytes: b"lock_version: 1\nrepo_id: {not closed\ngolden_paths: [\n".to_vec(),
                        is_executable: false,
                    }
                }
                Some(Hostile::HugeLock) if path.as_str() == LOCK_PATH => {
                    Content::Zeros(HUGE_LOCK_BYTES)
                }
                _ => Content::File {
                    bytes,
                    is_executable: false,
                },
            };
            files.insert(path.to_string(), content);
        }
        let ownership = |file: &str| {
            RepoPath::parse(file)
                .ok()
                .and_then(|p| render.rendered.files.get(&p))
                .map(|f| f.ownership)
                .ok_or_else(|| FleetError::NotRendered {
                    golden_path: render.entry.name.clone(),
                    file: file.to_owned(),
                })
        };
        for edit in &plan.edits {
            let (file, effect) = match *edit {
                Edit::Append(file) => {
                    if let Some(Content::File { bytes, .. }) = files.get_mut(file) {
                        bytes.extend_from_slice(b"\n# changed by hand\n");
                    }
                    (file, Effect::Changed)
                }
                Edit::Binary(file) => {
                    let bytes = b"\x7fELF\x02\x01\x01\0\0\0\xff\xfe\0binary".to_vec();
                    let binary = Content::File {
                        bytes,
                        is_executable: false,
                    };
                    files.insert(file.to_owned(), binary);
                    (file, Effect::Changed)
                }
                Edit::Huge(file) => {
                    files.insert(file.to_owned(), Content::Zeros(HUGE_FILE_BYTES));
                    (file, Effect::Changed)
                }
                Edit::Delete(file) => {
                    files.remove(file);
                    (file, Effect::Missing)
                }
                Edit::Except(file) => {
                    if let Some(Content::File { bytes, .. }) = files.get_mut(file) {
                        bytes.extend_from_slice(TAILORING);
                    }
                    (file, Effect::Excepted)
                }
                Edit::Link(file) => {
                    files.insert(file.to_owned(), Content::Link(OUTSIDE_TARGET.to_owned()));
                    (file, Effect::Missing)
                }
                Edit::LinkFolder(folder) => {
                    for path in self.link_folder(plan, folder, &mut files)? {
                        truth.record(&path, ownership(&path)?, Effect::Missing);
                    }
                    continue;
                }
            };
            truth.record(file, ownership(file)?, effect);
        }
        self.write_files(&root, plan, &files)?;
        for list in [
            &mut truth.drifted_files,
            &mut truth.missing_files,
            &mut truth.edited_merged_files,
            &mut truth.excepted_files,
        ] {
            list.sort();
        }
        if matches!(
            plan.hostile,
            Some(Hostile::CorruptLock | Hostile::HugeLock | Hostile::BareCorruptLock)
        ) {
            truth.drifted_files.clear();
            truth.missing_files.clear();
            truth.edited_merged_files.clear();
            truth.excepted_files.clear();
            truth.status = RepoStatus::Error;
            return Ok(truth);
        }
        let version = render.entry.version.to_string();
        truth.status = if !truth.drifted_files.is_empty() || !truth.missing_files.is_empty() {
            RepoStatus::Drifted
        } else if version != self.latest {
            RepoStatus::Outdated
        } else if !truth.excepted_files.is_empty() {
            RepoStatus::Excepted
        } else {
            RepoStatus::Conforming
        };
        truth.golden_paths = vec![TruthGoldenPath {
            name: render.entry.name.clone(),
            version,
            latest: self.latest.to_owned(),
        }];
        truth.team = Some(team_name(plan.answers.team));
        truth.train = plan.answers.train.map(train_name);
        Ok(truth)
    }

    /// Moves the files below `folder` to a copy outside the repo (below the fleet's folder, in
    /// no repo) and puts a relative link to it in the folder's place; returns the moved paths.
    fn link_folder(
        &self,
        plan: &Plan,
        folder: &str,
        files: &mut Files,
    ) -> Result<Vec<String>, FleetError> {
        let prefix = format!("{folder}/");
        let under: Vec<String> = files
            .range(prefix.clone()..)
            .map(|(path, _)| path)
            .take_while(|p| p.starts_with(&prefix))
            .cloned()
            .collect();
        if under.is_empty() {
            return Err(FleetError::NotRendered {
                golden_path: GOLDEN_PATH.to_owned(),
                file: prefix,
            });
        }
        let copy = format!("{OUTSIDE_FOLDER}/svc-{:05}", plan.index);
        let moved: Files = under
            .iter()
            .filter_map(|path| {
                files
                    .remove(path)
                    .map(|c| (path[prefix.len()..].to_owned(), c))
            })
            .collect();
        write_worktree(&self.dir.join(&copy), &moved)?;
        let depth = plan.rel().split('/').count() + folder.split('/').count() - 1;
        let target = format!("{}{copy}", "../".repeat(depth));
        files.insert(folder.to_owned(), Content::Link(target));
        Ok(under)
    }

    fn write_files(&self, root: &Path, plan: &Plan, files: &Files) -> Result<(), FleetError> {
        match plan.kind {
            RepoKind::Worktree => {
                write_worktree(root, files)?;
                let mut options = git2::RepositoryInitOptions::new();
                // No hook samples from the system's git templates: the same repo everywhere.
                options.initial_head("main").external_template(false);
                git2::Repository::init_opts(root, &options).map_err(|e| git_error(root, &e))?;
                Ok(())
            }
            RepoKind::Bare => {
                let repo = init_bare(root)?;
                commit_bare(&repo, files, EPOCH + plan.index as i64)
                    .map_err(|e| git_error(root, &e))
            }
        }
    }
}

fn git_error(path: &Path, e: &git2::Error) -> FleetError {
    FleetError::Git {
        path: path.to_owned(),
        message: e.message().to_owned(),
    }
}

/// Regular files through pave's all-or-nothing writer, then links and sparse files.
fn write_worktree(root: &Path, files: &Files) -> Result<(), FleetError> {
    let writes: Vec<Write> = files
        .iter()
        .filter_map(|(path, content)| match content {
            Content::File {
                bytes,
                is_executable,
            } => Some(
                RepoPath::parse(path)
                    .map(|path| Write {
                        path,
                        bytes: bytes.clone(),
                        is_executable: *is_executable,
                    })
                    .map_err(|_| FleetError::NotRendered {
                        golden_path: GOLDEN_PATH.into(),
                        file: path.clone(),
                    }),
            ),
            _ => None,
        })
        .collect::<Result<_, _>>()?;
    std::fs::create_dir_all(root).map_err(|source| FleetError::Io {
        path: root.to_owned(),
        source,
    })?;
    pave_engine::apply::write_all(root, &writes)?;
    for (path, content) in files {
        let full = root.join(path);
        let io = |source| FleetError::Io {
            path: full.clone(),
            source,
        };
        match content {
            Content::File { .. } => {}
            Content::Link(target) => {
                if let Some(parent) = full.parent() {
                    std::fs::create_dir_all(parent).map_err(io)?;
                }
                make_link(target, &full).map_err(io)?;
            }
            Content::Zeros(len) => {
                if let Some(parent) = full.parent() {
                    std::fs::create_dir_all(parent).map_err(io)?;
                }
                std::fs::File::create(&full)
                    .and_then(|f| f.set_len(*len))
                    .map_err(io)?;
            }
        }
    }
    Ok(())
}

#[cfg(unix)]
fn make_link(target: &str, link: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

/// Without symbolic links the file is simply absent, which the audit reports the same way.
#[cfg(not(unix))]
fn make_link(_target: &str, _link: &Path) -> std::io::Result<()> {
    Ok(())
}

fn init_bare(root: &Path) -> Result<git2::Repository, FleetError> {
    let mut options = git2::RepositoryInitOptions::new();
    options
        .bare(true)
        .initial_head("main")
        .external_template(false);
    git2::Repository::init_opts(root, &options).map_err(|e| git_error(root, &e))
}

/// One commit on `main` holding `files`, written straight into the object database.
fn commit_bare(repo: &git2::Repository, files: &Files, time: i64) -> Result<(), git2::Error> {
    #[derive(Default)]
    struct Folder<'a> {
        entries: Vec<(&'a str, git2::Oid, i32)>,
        folders: BTreeMap<&'a str, Folder<'a>>,
    }
    fn write_folder(repo: &git2::Repository, folder: &Folder) -> Result<git2::Oid, git2::Error> {
        let mut builder = repo.treebuilder(None)?;
        for (name, sub) in &folder.folders {
            builder.insert(name, write_folder(repo, sub)?, 0o040000)?;
        }
        for (name, id, mode) in &folder.entries {
            builder.insert(name, *id, *mode)?;
        }
        builder.write()
    }
    let mut root = Folder::default();
    for (path, content) in files {
        let (id, mode) = match content {
            Content::File {
                bytes,
                is_executable,
            } => (
                repo.blob(bytes)?,
                if *is_executable { 0o100755 } else { 0o100644 },
            ),
            Content::Link(target) => (repo.blob(target.as_bytes())?, 0o120000),
            Content::Zeros(len) => (
                repo.blob(&vec![0; usize::try_from(*len).unwrap_or(0)])?,
                0o100644,
            ),
        };
        let mut segments: Vec<&str> = path.split('/').collect();
        let name = segments.pop().unwrap_or_default();
        let mut folder = &mut root;
        for segment in segments {
            folder = folder.folders.entry(segment).or_default();
        }
        folder.entries.push((name, id, mode));
    }
    let tree = repo.find_tree(write_folder(repo, &root)?)?;
    let signature = git2::Signature::new(
        "pave fleet",
        "fleet@pave.invalid",
        &git2::Time::new(time, 0),
    )?;
    repo.commit(
        Some("HEAD"),
        &signature,
        &signature,
        "A repo of the fleet\n",
        &tree,
        &[],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_exactly_the_share_and_the_same_for_a_seed() {
        let a = pick(7, 4, 1000, 0.1);
        assert_eq!(a.iter().filter(|b| **b).count(), 100);
        assert_eq!(a, pick(7, 4, 1000, 0.1));
        assert_ne!(a, pick(8, 4, 1000, 0.1));
    }

    #[test]
    fn same_seed_same_plans() {
        let spec = FleetSpec {
            repos: 50,
            hostile: true,
            bare_share: 0.2,
            ..FleetSpec::default()
        };
        let names = |s: &FleetSpec| {
            plan(s, 2)
                .iter()
                .map(|p| (p.rel(), p.answers, p.is_adopted))
                .collect::<Vec<_>>()
        };
        assert_eq!(names(&spec), names(&spec));
        assert_ne!(
            names(&spec),
            names(&FleetSpec {
                seed: 2,
                ..spec.clone()
            })
        );
    }
}
