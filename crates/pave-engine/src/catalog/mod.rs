//! Catalogs: where golden paths come from. One interface ([`Catalog`]) over the built-in catalog
//! compiled into the binary, a directory on disk (same `<name>/<version>/` layout) and a git
//! repository (versions are tags), plus a single golden-path folder given by path (for authors
//! trying their own).

mod builtin;
mod dir;
pub(crate) mod git;

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

pub use builtin::BuiltinCatalog;
pub use dir::{DirCatalog, SingleGoldenPath, load_golden_path_dir};
pub use git::{
    FetchPolicy, GitCatalog, GitLocation, STALE_AFTER, SyncOutcome, cache_dir, is_repository_root,
};

use pave_model::lock::LockEntry;
use pave_model::manifest::{Manifest, ManifestError};

/// Name of the manifest file at the root of every golden path.
pub const MANIFEST_FILE: &str = "golden-path.yaml";

/// A file of a golden path, as stored in its catalog.
#[derive(Debug, Clone)]
pub struct TemplateFile {
    pub bytes: Vec<u8>,
    pub is_executable: bool,
}

/// One version of a golden path, loaded and validated, ready to render.
#[derive(Debug, Clone)]
pub struct GoldenPath {
    pub manifest: Manifest,
    /// Where it came from, as recorded in the lock (`builtin`, `git:<url>`, a catalog name; on
    /// one machine `git:<path>` or `dir:<path>`): see `pave_model::catalog_id`.
    pub source: String,
    /// Every file below the golden path's folder, by `/`-separated relative path.
    pub files: Arc<BTreeMap<String, TemplateFile>>,
}

impl GoldenPath {
    /// Builds a golden path from its files, parsing and checking the manifest.
    pub fn from_files(
        source: String,
        display_root: &str,
        files: BTreeMap<String, TemplateFile>,
    ) -> Result<Self, CatalogError> {
        let manifest_name = format!("{display_root}/{MANIFEST_FILE}");
        let manifest_file = files
            .get(MANIFEST_FILE)
            .ok_or_else(|| CatalogError::NoManifest {
                location: display_root.to_owned(),
            })?;
        let text = std::str::from_utf8(&manifest_file.bytes).map_err(|_| {
            CatalogError::Manifest(ManifestError::Syntax {
                file: manifest_name.clone(),
                line: 1,
                message: "not UTF-8 text".into(),
            })
        })?;
        let manifest = Manifest::parse(&manifest_name, text)?;
        Ok(Self {
            manifest,
            source,
            files: Arc::new(files),
        })
    }
}

/// A catalog's view of one golden path: its released versions, newest last.
#[derive(Debug, Clone)]
pub struct Listing {
    pub name: String,
    pub versions: Vec<semver::Version>,
    pub summary: String,
    /// When each version was released (Unix seconds), where the catalog knows (git: the
    /// tagged commit's time).
    pub released: BTreeMap<semver::Version, i64>,
}

/// `name`, `name@1.2.0` or `name@^1.2`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub name: String,
    pub version: VersionSpec,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionSpec {
    Newest,
    Exact(semver::Version),
    Matching(semver::VersionReq),
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.version {
            VersionSpec::Newest => write!(f, "{}", self.name),
            VersionSpec::Exact(v) => write!(f, "{}@{v}", self.name),
            VersionSpec::Matching(r) => write!(f, "{}@{r}", self.name),
        }
    }
}

impl std::str::FromStr for Reference {
    type Err = CatalogError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |why: &str| CatalogError::BadReference {
            reference: s.to_owned(),
            why: why.to_owned(),
        };
        let (name, version) = match s.split_once('@') {
            None => (s, VersionSpec::Newest),
            Some((name, v)) => {
                let spec = match semver::Version::parse(v) {
                    Ok(exact) => VersionSpec::Exact(exact),
                    Err(_) => VersionSpec::Matching(semver::VersionReq::parse(v).map_err(|e| {
                        bad(&format!("`{v}` is not a version or requirement: {e}"))
                    })?),
                };
                (name, spec)
            }
        };
        if name.is_empty() {
            return Err(bad("no golden-path name"));
        }
        Ok(Self {
            name: name.to_owned(),
            version,
        })
    }
}

impl Reference {
    /// Picks the version this reference means among `versions`.
    pub fn pick(&self, versions: &[semver::Version]) -> Option<semver::Version> {
        versions
            .iter()
            .filter(|v| match &self.version {
                VersionSpec::Newest => v.pre.is_empty(),
                VersionSpec::Exact(want) => *v == want,
                VersionSpec::Matching(req) => req.matches(v),
            })
            .max()
            .cloned()
    }
}

/// A source of golden paths.
pub trait Catalog {
    /// How the catalog is named in messages and in the lock.
    fn describe(&self) -> String;
    /// Every golden path with its versions, sorted by name.
    fn list(&self) -> Result<Vec<Listing>, CatalogError>;
    /// Loads the version of a golden path that `reference` means.
    fn load(&self, reference: &Reference) -> Result<GoldenPath, CatalogError>;
}

/// A catalog whose golden paths record `identity` in the lock rather than where this machine
/// reads them from: the catalog's name, or the URL of the clone it is read from (issue 13).
pub struct Recorded<C> {
    catalog: C,
    identity: String,
}

impl<C: Catalog> Recorded<C> {
    pub fn new(catalog: C, identity: String) -> Self {
        Self { catalog, identity }
    }
}

impl<C: Catalog> Catalog for Recorded<C> {
    fn describe(&self) -> String {
        self.catalog.describe()
    }

    fn list(&self) -> Result<Vec<Listing>, CatalogError> {
        self.catalog.list()
    }

    fn load(&self, reference: &Reference) -> Result<GoldenPath, CatalogError> {
        let mut golden_path = self.catalog.load(reference)?;
        golden_path.source.clone_from(&self.identity);
        Ok(golden_path)
    }
}

impl Catalog for Box<dyn Catalog> {
    fn describe(&self) -> String {
        self.as_ref().describe()
    }

    fn list(&self) -> Result<Vec<Listing>, CatalogError> {
        self.as_ref().list()
    }

    fn load(&self, reference: &Reference) -> Result<GoldenPath, CatalogError> {
        self.as_ref().load(reference)
    }
}

/// Why a golden path could not be found or loaded.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("`{reference}` is not a golden-path reference: {why}")]
    BadReference { reference: String, why: String },
    #[error(
        "no golden path `{name}` in the {catalog} catalog; it has: {}",
        or_none(known)
    )]
    UnknownGoldenPath {
        name: String,
        catalog: String,
        known: String,
    },
    #[error(
        "no version of `{name}` matches `{reference}` in the {catalog} catalog; it has: {}",
        or_none(known)
    )]
    UnknownVersion {
        name: String,
        reference: String,
        catalog: String,
        known: String,
    },
    #[error("{location}: no {MANIFEST_FILE}")]
    NoManifest { location: String },
    #[error("{location}: the manifest says {manifest}, but the folder is {folder}")]
    Mismatch {
        location: String,
        manifest: String,
        folder: String,
    },
    #[error("{path}: symbolic links are not allowed in a golden path")]
    Symlink { path: PathBuf },
    #[error("{location}: submodules are not allowed in a golden path")]
    Submodule { location: String },
    #[error(
        "tag `{tag}` of the {catalog} catalog holds {manifest}; the manifest's name and version must match the tag ({expected})"
    )]
    TagMismatch {
        catalog: String,
        tag: String,
        manifest: String,
        expected: String,
    },
    #[error("cannot read the {catalog} catalog: {message}")]
    Git { catalog: String, message: String },
    #[error("the git catalog {url} is not reachable and has no cached clone: {why}")]
    Unreachable { url: String, why: String },
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// A golden path the repo's lock records (its name or its version) that the catalog in use
    /// lacks: the wrong catalog, one that dropped it, or a lock edited by hand.
    #[error("{source}; the repo's .pave/lock.yaml records {name}@{version} from `{recorded}`")]
    NotAsLocked {
        name: String,
        version: semver::Version,
        recorded: String,
        source: Box<CatalogError>,
    },
}

/// A list for a message, `none` when empty.
fn or_none(list: &str) -> &str {
    if list.is_empty() { "none" } else { list }
}

impl CatalogError {
    /// This error, said of the golden path `entry` records: a missing name or version then
    /// names the lock, which is where it came from.
    pub fn for_locked(self, entry: &LockEntry) -> Self {
        match self {
            Self::UnknownGoldenPath { .. } | Self::UnknownVersion { .. } => Self::NotAsLocked {
                name: entry.name.clone(),
                version: entry.version.clone(),
                recorded: entry.catalog.clone(),
                source: Box::new(self),
            },
            other => other,
        }
    }
}

/// The listing of the golden path `entry` records (its versions, newest included).
pub fn listing_of_locked(
    catalog: &dyn Catalog,
    entry: &LockEntry,
) -> Result<Listing, CatalogError> {
    let listings = catalog.list()?;
    let known = listings
        .iter()
        .map(|l| l.name.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    listings
        .into_iter()
        .find(|l| l.name == entry.name)
        .ok_or_else(|| {
            CatalogError::UnknownGoldenPath {
                name: entry.name.clone(),
                catalog: catalog.describe(),
                known,
            }
            .for_locked(entry)
        })
}

/// Loads the version of the golden path `entry` records.
pub fn load_locked(catalog: &dyn Catalog, entry: &LockEntry) -> Result<GoldenPath, CatalogError> {
    catalog
        .load(&Reference {
            name: entry.name.clone(),
            version: VersionSpec::Exact(entry.version.clone()),
        })
        .map_err(|e| e.for_locked(entry))
}

/// The listings of versioned golden paths `found` (name → version → where it is), each with the
/// summary of its newest version, read with `load`.
fn listings<T>(
    found: BTreeMap<String, BTreeMap<semver::Version, T>>,
    load: impl Fn(&T) -> Result<GoldenPath, CatalogError>,
) -> Result<Vec<Listing>, CatalogError> {
    found
        .into_iter()
        .map(|(name, versions)| {
            let summary = match versions.last_key_value() {
                Some((_, newest)) => load(newest)?.manifest.summary,
                None => String::new(),
            };
            Ok(Listing {
                name,
                versions: versions.into_keys().collect(),
                summary,
                released: BTreeMap::new(),
            })
        })
        .collect()
}

/// Resolves `reference` against versioned golden paths `found` (name → version → loader).
fn pick_version<'a, T>(
    reference: &Reference,
    catalog: &str,
    found: &'a BTreeMap<String, BTreeMap<semver::Version, T>>,
) -> Result<(semver::Version, &'a T), CatalogError> {
    let versions = found
        .get(&reference.name)
        .ok_or_else(|| CatalogError::UnknownGoldenPath {
            name: reference.name.clone(),
            catalog: catalog.to_owned(),
            known: found.keys().cloned().collect::<Vec<_>>().join(", "),
        })?;
    let all: Vec<_> = versions.keys().cloned().collect();
    let version = reference
        .pick(&all)
        .ok_or_else(|| CatalogError::UnknownVersion {
            name: reference.name.clone(),
            reference: reference.to_string(),
            catalog: catalog.to_owned(),
            known: all
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
        })?;
    let entry = &versions[&version];
    Ok((version, entry))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_parse() {
        let r: Reference = "rust-service".parse().unwrap();
        assert_eq!(r.version, VersionSpec::Newest);
        let r: Reference = "rust-service@1.2.0".parse().unwrap();
        assert_eq!(r.version, VersionSpec::Exact("1.2.0".parse().unwrap()));
        let r: Reference = "rust-service@^1.2".parse().unwrap();
        let versions: Vec<semver::Version> = ["1.1.0", "1.2.0", "1.3.1", "2.0.0"]
            .iter()
            .map(|v| v.parse().unwrap())
            .collect();
        assert_eq!(r.pick(&versions), Some("1.3.1".parse().unwrap()));
        assert!("@1.0.0".parse::<Reference>().is_err());
        assert!("x@banana".parse::<Reference>().is_err());
    }
}
