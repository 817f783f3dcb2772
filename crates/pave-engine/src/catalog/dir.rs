//! A catalog on disk (`<root>/<name>/<version>/golden-path.yaml`), and a single golden-path
//! folder read directly. Symbolic links anywhere in a golden path are refused, so a template
//! can never read a file outside it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{
    Catalog, CatalogError, GoldenPath, Listing, MANIFEST_FILE, Reference, TemplateFile, listings,
    pick_version,
};

/// A directory holding golden paths by name and version.
#[derive(Debug, Clone)]
pub struct DirCatalog {
    root: PathBuf,
}

impl DirCatalog {
    pub fn new(root: PathBuf) -> Self {
        Self { root }
    }

    fn versions(
        &self,
    ) -> Result<BTreeMap<String, BTreeMap<semver::Version, PathBuf>>, CatalogError> {
        let io = |path: &Path, source| CatalogError::Io {
            path: path.to_owned(),
            source,
        };
        let mut found: BTreeMap<String, BTreeMap<semver::Version, PathBuf>> = BTreeMap::new();
        for name_entry in std::fs::read_dir(&self.root).map_err(|e| io(&self.root, e))? {
            let name_entry = name_entry.map_err(|e| io(&self.root, e))?;
            let name_path = name_entry.path();
            if !name_path.is_dir() {
                continue;
            }
            let Some(name) = name_entry.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            for version_entry in std::fs::read_dir(&name_path).map_err(|e| io(&name_path, e))? {
                let version_path = version_entry.map_err(|e| io(&name_path, e))?.path();
                let version = version_path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .and_then(|v| semver::Version::parse(v).ok());
                if let Some(version) = version
                    && version_path.join(MANIFEST_FILE).is_file()
                {
                    found
                        .entry(name.clone())
                        .or_default()
                        .insert(version, version_path);
                }
            }
        }
        Ok(found)
    }
}

impl Catalog for DirCatalog {
    fn describe(&self) -> String {
        format!("dir:{}", self.root.display())
    }

    fn list(&self) -> Result<Vec<Listing>, CatalogError> {
        listings(self.versions()?, |path| {
            load_golden_path_dir(path, self.describe())
        })
    }

    fn load(&self, reference: &Reference) -> Result<GoldenPath, CatalogError> {
        let found = self.versions()?;
        let (version, path) = pick_version(reference, &self.describe(), &found)?;
        let golden_path = load_golden_path_dir(path, self.describe())?;
        let folder = format!("{}@{version}", reference.name);
        if golden_path.manifest.id() != folder {
            return Err(CatalogError::Mismatch {
                location: path.display().to_string(),
                manifest: golden_path.manifest.id(),
                folder,
            });
        }
        Ok(golden_path)
    }
}

/// Reads every file of the golden-path folder `root` into memory, refusing symbolic links.
pub fn load_golden_path_dir(root: &Path, source: String) -> Result<GoldenPath, CatalogError> {
    let mut files = BTreeMap::new();
    for entry in walkdir::WalkDir::new(root)
        .follow_links(false)
        .sort_by_file_name()
    {
        let entry = entry.map_err(|e| CatalogError::Io {
            path: e.path().unwrap_or(root).to_owned(),
            source: e
                .into_io_error()
                .unwrap_or_else(|| std::io::Error::other("walk failed")),
        })?;
        if entry.path_is_symlink() {
            return Err(CatalogError::Symlink {
                path: entry.path().to_owned(),
            });
        }
        if !entry.file_type().is_file() {
            continue;
        }
        let rel = entry
            .path()
            .strip_prefix(root)
            .ok()
            .and_then(|p| p.to_str())
            .map(|p| p.replace(std::path::MAIN_SEPARATOR, "/"));
        let Some(rel) = rel else {
            return Err(CatalogError::Io {
                path: entry.path().to_owned(),
                source: std::io::Error::other("file name is not UTF-8"),
            });
        };
        let io = |source| CatalogError::Io {
            path: entry.path().to_owned(),
            source,
        };
        let bytes = std::fs::read(entry.path()).map_err(io)?;
        let is_executable = is_executable(&entry.metadata().map_err(|e| io(e.into()))?);
        files.insert(
            rel,
            TemplateFile {
                bytes,
                is_executable,
            },
        );
    }
    GoldenPath::from_files(source, &root.display().to_string(), files)
}

#[cfg(unix)]
fn is_executable(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    meta.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
fn is_executable(_: &std::fs::Metadata) -> bool {
    false
}

/// One golden-path folder used as a catalog of one version (what `pave new ./my-golden-path`
/// records as its source).
#[derive(Debug, Clone)]
pub struct SingleGoldenPath {
    root: PathBuf,
}

impl SingleGoldenPath {
    pub fn new(root: PathBuf) -> Self {
        Self { root }
    }
}

impl Catalog for SingleGoldenPath {
    fn describe(&self) -> String {
        format!("dir:{}", self.root.display())
    }

    fn list(&self) -> Result<Vec<Listing>, CatalogError> {
        let gp = load_golden_path_dir(&self.root, self.describe())?;
        Ok(vec![Listing {
            name: gp.manifest.name.clone(),
            versions: vec![gp.manifest.version.clone()],
            summary: gp.manifest.summary.clone(),
            released: BTreeMap::new(),
        }])
    }

    fn load(&self, reference: &Reference) -> Result<GoldenPath, CatalogError> {
        let gp = load_golden_path_dir(&self.root, self.describe())?;
        let mut found = BTreeMap::new();
        found
            .entry(gp.manifest.name.clone())
            .or_insert_with(BTreeMap::new)
            .insert(gp.manifest.version.clone(), ());
        pick_version(reference, &self.describe(), &found)?;
        Ok(gp)
    }
}
