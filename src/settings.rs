//! Settings resolved once at the edge (flag > `PAVE_*` environment > config file > default) into
//! ready types. This is where the environment is read: `PAVE_CATALOG` (through clap),
//! `PAVE_CONFIG`, `PAVE_CACHE_DIR`, `PAVE_DATA_DIR`, `PAVE_STATE_DIR`, `PAVE_REGISTRY_URL`,
//! `PAVE_REGISTRY_TOKEN` (`PAVE_REGISTRY_RETENTION` through clap, like `PAVE_CATALOG`), and the
//! platform's user config, cache, data and state dirs.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::SystemTime;

use pave_base::config::{CONFIG_FILE, Config, ConfigError, is_catalog_name};
use pave_engine::catalog::{
    BuiltinCatalog, Catalog, CatalogError, DirCatalog, FetchPolicy, GitCatalog, GitLocation,
    GoldenPath, Recorded, Reference, SingleGoldenPath, SyncOutcome, is_repository_root,
    load_golden_path_dir,
};
use pave_model::catalog_id::{
    CatalogId, check_url, expand_machine_path, machine_path, without_credentials,
};
use pave_model::lock::LockEntry;
use pave_registry::model::Retention;
use pave_registry::recording::Destination;

use crate::cli::GlobalArgs;
use crate::printer::Printer;

/// Settings that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// `--catalog`, `PAVE_CATALOG` or `catalog` in config.toml names no catalog.
    #[error("catalog `{arg}` {why}{}", set_in.as_ref().map(|p| format!(" (set in {})", p.display())).unwrap_or_default())]
    CatalogArg {
        arg: String,
        why: String,
        set_in: Option<PathBuf>,
    },
    /// A catalog name that `[catalogs]` of config.toml does not map: given with `--catalog`,
    /// `PAVE_CATALOG` or `catalog` (`golden_path: None`), or recorded by a lock.
    #[error("{}", unknown_name_message(name, golden_path.as_deref(), config))]
    UnknownCatalogName {
        name: String,
        golden_path: Option<String>,
        /// The config file, as shown.
        config: String,
    },
    /// The platform has no user folder of a kind pave needs, and no variable names one.
    #[error("this system has no user {what} folder {purpose}")]
    NoUserDir {
        what: &'static str,
        purpose: String,
        variable: &'static str,
    },
    #[error("PAVE_REGISTRY_URL `{url}` {why}")]
    RegistryUrl { url: String, why: String },
    /// A lock's golden path came from a catalog that cannot be read from here.
    #[error("the catalog {catalog} that {golden_path} came from is not reachable: {why}")]
    LockCatalog {
        catalog: String,
        golden_path: String,
        why: String,
    },
    /// A lock records a catalog by a path (made before catalogs had portable names, or from a
    /// folder with no URL or name) that is not on this machine.
    #[error(
        "the lock records catalog `{catalog}` for {golden_path}, a folder that is not on this machine ({})",
        path.display()
    )]
    LockCatalogGone {
        catalog: String,
        golden_path: String,
        path: PathBuf,
        /// A name to suggest for it (its folder's).
        suggested_name: String,
        /// The config file, as shown.
        config: String,
    },
    /// `pave stats` with recording off.
    #[error("recording is off (registry url `off`), so there are no stats to show")]
    RecordingOff,
    /// The catalog named cannot be read.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// The config file cannot be read.
    #[error(transparent)]
    Config(#[from] ConfigError),
}

fn unknown_name_message(name: &str, golden_path: Option<&str>, config: &str) -> String {
    match golden_path {
        Some(golden_path) => format!(
            "the lock records catalog `{name}` for {golden_path}, a name that [catalogs] of {config} does not map"
        ),
        None => {
            format!("catalog `{name}` is neither a name in [catalogs] of {config} nor a folder")
        }
    }
}

/// An example git URL for hints.
const EXAMPLE_URL: &str = "https://git.example.com/platform/golden-paths.git";

impl SettingsError {
    /// What to do, for the errors of settings themselves (a catalog's or the config file's
    /// own errors have their own hints).
    pub fn hint(&self) -> String {
        match self {
            Self::Catalog(_) | Self::Config(_) => String::new(),
            Self::CatalogArg { .. } => "use `builtin`, a catalog name from [catalogs] in config.toml, a folder of <name>/<version>/ golden paths, a golden path's folder, or a git repository by path or URL (`git:<path-or-url>`)".into(),
            Self::UnknownCatalogName { name, config, .. } => format!(
                "map the name to the catalog's git URL or folder on this machine, in {config}:\n  [catalogs]\n  {name} = \"{EXAMPLE_URL}\"\nor set PAVE_CATALOG to the catalog's git URL or folder"
            ),
            Self::LockCatalogGone {
                golden_path,
                suggested_name,
                config,
                ..
            } => format!(
                "set PAVE_CATALOG to the catalog's git URL or its folder here (PAVE_CATALOG={EXAMPLE_URL}), or give it a name in {config}:\n  [catalogs]\n  {suggested_name} = \"<git URL or folder>\"\nand run `pave apply {golden_path} --catalog {suggested_name}` once: the lock then records the name, which every machine maps"
            ),
            Self::NoUserDir { variable, .. } => format!("set {variable} to a folder pave may use"),
            Self::RegistryUrl { .. } => {
                "use http(s)://host[:port][/prefix], or `off` to record nothing".into()
            }
            Self::LockCatalog { .. } => {
                "check the URL and that git's credentials reach it here (a credential helper, GIT_ASKPASS, ssh config); or name a clone of it with --catalog (or PAVE_CATALOG)".into()
            }
            Self::RecordingOff => {
                "unset PAVE_REGISTRY_URL (the local registry), or set it to a registry's URL".into()
            }
        }
    }

    /// This error and its fix on one line, for a report's note (`pave check` goes on without
    /// the catalog: drift needs only the lock).
    pub fn as_note(&self) -> String {
        match self {
            Self::UnknownCatalogName { name, config, .. } => format!(
                "{self} (set PAVE_CATALOG to its git URL or folder, or add `{name} = \"<git URL or folder>\"` under [catalogs] in {config})"
            ),
            Self::LockCatalogGone {
                suggested_name,
                config,
                ..
            } => format!(
                "{self} (set PAVE_CATALOG to its git URL or folder here, or name it under [catalogs] in {config}: `{suggested_name} = \"<git URL or folder>\"`)"
            ),
            other => other.to_string(),
        }
    }
}

/// The user's config file, read once, when something first needs it (`pave check` on a repo
/// of the built-in catalog never reads it).
#[derive(Debug, Clone, Default)]
pub struct ConfigFile {
    loaded: OnceLock<Option<(PathBuf, Config)>>,
}

impl ConfigFile {
    /// The file and what it says; `None` when there is none.
    pub fn get(&self) -> Result<Option<&(PathBuf, Config)>, SettingsError> {
        if let Some(loaded) = self.loaded.get() {
            return Ok(loaded.as_ref());
        }
        let loaded = match config_path() {
            None => None,
            Some((path, must_exist)) => Config::read(&path, must_exist)?.map(|c| (path, c)),
        };
        Ok(self.loaded.get_or_init(|| loaded).as_ref())
    }

    /// Where the config file is, or would be, for messages.
    pub fn shown() -> String {
        config_path().map_or_else(
            || "config.toml in pave's user config folder".to_owned(),
            |(path, _)| path.display().to_string(),
        )
    }

    /// The location `[catalogs]` maps `name` to, relative paths made absolute against the
    /// config file's folder, with the file and line for errors.
    fn catalog_named(&self, name: &str) -> Result<Option<NamedLocation>, SettingsError> {
        let Some((path, config)) = self.get()? else {
            return Ok(None);
        };
        Ok(config.catalogs.get(name).map(|value| NamedLocation {
            location: relative_to(path.parent().unwrap_or(Path::new(".")), value),
            file: path.clone(),
            line: config.catalog_lines.get(name).copied().unwrap_or(1),
            name: name.to_owned(),
        }))
    }
}

/// A location `[catalogs]` gives a name, and where it is written.
struct NamedLocation {
    name: String,
    location: String,
    file: PathBuf,
    line: usize,
}

/// Which catalog to read, and the identity a lock made from it records.
#[derive(Debug, Clone)]
pub struct CatalogChoice {
    kind: CatalogKind,
    identity: CatalogId,
}

#[derive(Debug, Clone)]
enum CatalogKind {
    Builtin,
    Dir(PathBuf),
    Git(GitCatalog),
}

impl CatalogChoice {
    fn builtin() -> Self {
        Self {
            kind: CatalogKind::Builtin,
            identity: CatalogId::Builtin,
        }
    }

    /// What a lock made from this catalog records.
    pub fn identity(&self) -> &CatalogId {
        &self.identity
    }

    /// From `--catalog`, `PAVE_CATALOG` or the config file: absent or `builtin` is the built-in
    /// catalog; a name `[catalogs]` maps is what it maps to (and the lock records the name);
    /// `git:<url-or-path>`, a URL, or the root of a git repository is a git catalog (unless it has
    /// no version tags but `<name>/<version>/` folders); `dir:<path>` or another folder is a
    /// directory catalog. A relative path is relative to `base` (the config file's folder) when
    /// given.
    pub fn from_arg(
        arg: Option<&str>,
        base: Option<&Path>,
        config: &ConfigFile,
    ) -> Result<Self, SettingsError> {
        let arg = match arg {
            None | Some("" | "builtin") => return Ok(Self::builtin()),
            Some(arg) => arg,
        };
        if is_catalog_name(arg)
            && let Some(named) = config.catalog_named(arg)?
        {
            return Self::from_named(&named, config);
        }
        let located = match base {
            Some(base) => relative_to(base, arg),
            None => arg.to_owned(),
        };
        Self::from_location(&located, config).map_err(|e| match e {
            SettingsError::CatalogArg { .. } if is_catalog_name(arg) && base.is_none() => {
                SettingsError::UnknownCatalogName {
                    name: arg.to_owned(),
                    golden_path: None,
                    config: ConfigFile::shown(),
                }
            }
            SettingsError::CatalogArg { why, set_in, .. } => SettingsError::CatalogArg {
                arg: arg.to_owned(),
                why,
                set_in,
            },
            other => other,
        })
    }

    /// What a name in `[catalogs]` maps to; the lock records the name.
    fn from_named(named: &NamedLocation, config: &ConfigFile) -> Result<Self, SettingsError> {
        let location = Self::from_location(&named.location, config).map_err(|e| match e {
            SettingsError::CatalogArg { why, .. } => SettingsError::Config(ConfigError::Value {
                path: named.file.clone(),
                line: named.line,
                message: format!("catalogs.{}: `{}` {why}", named.name, named.location),
            }),
            other => other,
        })?;
        Ok(Self {
            kind: location.kind,
            identity: CatalogId::Name(named.name.clone()),
        })
    }

    /// A URL, `git:…`, `dir:…`, or a folder (absolute, `~/…`, or relative to where pave runs);
    /// never a name.
    fn from_location(arg: &str, config: &ConfigFile) -> Result<Self, SettingsError> {
        // `~/…` as a shell would expand it: a variable or `git:~/…` reaches pave unexpanded.
        let expanded = expand_home_in(arg);
        let arg = expanded.as_deref().unwrap_or(arg);
        let bad = |why: String| SettingsError::CatalogArg {
            arg: arg.to_owned(),
            why,
            set_in: None,
        };
        if GitLocation::is_url(arg) {
            check_url(arg).map_err(|why| bad(format!("is not a git URL: {why}")))?;
            return git_choice(GitLocation::Remote(arg.to_owned()));
        }
        if let Some(rest) = arg.strip_prefix("git:") {
            if rest.is_empty() {
                return Err(bad(
                    "names no repository: use `git:<url>` or `git:<path>`".into()
                ));
            }
            if GitLocation::is_url(rest) {
                check_url(rest).map_err(|why| bad(format!("is not a git URL: {why}")))?;
            }
            return match GitLocation::parse(rest) {
                GitLocation::Local(path) if !path.is_dir() => Err(bad("is not a folder".into())),
                GitLocation::Local(path) => {
                    let identity = local_identity(&path, true, config)?;
                    Ok(Self {
                        kind: CatalogKind::Git(GitCatalog::local(path)),
                        identity,
                    })
                }
                remote => git_choice(remote),
            };
        }
        let (path, may_be_git) = match arg.strip_prefix("dir:") {
            Some(rest) => (PathBuf::from(rest), false),
            None => (PathBuf::from(arg), true),
        };
        if !path.is_dir() {
            return Err(bad("is not a folder".into()));
        }
        let path = std::path::absolute(&path).unwrap_or(path);
        if may_be_git && is_repository_root(&path) {
            // A directory catalog kept in git, not tagged by version, stays what it was before
            // git catalogs existed.
            let git = GitCatalog::local(path.clone());
            let is_dir_catalog = !git.has_versions()
                && DirCatalog::new(path.clone())
                    .list()
                    .is_ok_and(|found| !found.is_empty());
            if !is_dir_catalog {
                let identity = local_identity(&path, true, config)?;
                return Ok(Self {
                    kind: CatalogKind::Git(git),
                    identity,
                });
            }
        }
        let identity = local_identity(&path, false, config)?;
        Ok(Self {
            kind: CatalogKind::Dir(path),
            identity,
        })
    }

    pub fn open(&self) -> Box<dyn Catalog> {
        let identity = self.identity.to_string();
        match &self.kind {
            CatalogKind::Builtin => Box::new(BuiltinCatalog),
            // One golden-path folder given as the catalog is a catalog of that one version.
            CatalogKind::Dir(path) if path.join(pave_engine::catalog::MANIFEST_FILE).is_file() => {
                Box::new(Recorded::new(SingleGoldenPath::new(path.clone()), identity))
            }
            CatalogKind::Dir(path) => {
                Box::new(Recorded::new(DirCatalog::new(path.clone()), identity))
            }
            CatalogKind::Git(git) => Box::new(Recorded::new(git.clone(), identity)),
        }
    }

    /// Makes a git catalog from a URL ready to read: cloned when not cached yet, fetched with
    /// `--fetch` or when the cache is stale. A failed fetch with a cache warns and goes on.
    pub fn sync(&self, fetch: bool, printer: &Printer) -> Result<(), CatalogError> {
        let CatalogKind::Git(git) = &self.kind else {
            return Ok(());
        };
        let policy = if fetch {
            FetchPolicy::Always
        } else {
            FetchPolicy::IfStale
        };
        let what = git.describe();
        match git.sync(policy, SystemTime::now())? {
            SyncOutcome::UpToDate => {}
            SyncOutcome::Cloned => printer.status("Cloned", &format!("catalog {what}")),
            SyncOutcome::Fetched => printer.status("Fetched", &format!("catalog {what}")),
            SyncOutcome::UsedCache { why } => printer.warn(&format!(
                "could not fetch catalog {what} ({why}); using its cached clone"
            )),
        }
        Ok(())
    }

    /// Loads what `reference` names: a golden-path folder when it is a path to one, else a
    /// golden path of this catalog.
    pub fn load(&self, reference: &str, config: &ConfigFile) -> Result<GoldenPath, SettingsError> {
        let as_path = Path::new(reference);
        let looks_like_path =
            reference.starts_with('.') || reference.contains('/') || as_path.is_absolute();
        if looks_like_path && as_path.is_dir() {
            let abs = std::path::absolute(as_path).unwrap_or_else(|_| as_path.to_owned());
            let identity = local_identity(&abs, false, config)?;
            return Ok(load_golden_path_dir(&abs, identity.to_string())?);
        }
        let parsed: Reference = reference.parse()?;
        Ok(self.open().load(&parsed)?)
    }
}

/// The identity of a catalog read from a folder on this machine: the URL of its `origin` when it
/// is a git clone with one (the same catalog everywhere), else the name `[catalogs]` gives this
/// folder, else the folder itself (`~/…` below the home folder), which only this machine knows.
fn local_identity(
    path: &Path,
    is_git: bool,
    config: &ConfigFile,
) -> Result<CatalogId, SettingsError> {
    if is_git
        && let Some(origin) = pave_engine::git::origin_url(path)
        && GitLocation::is_url(&origin)
        && check_url(&origin).is_ok()
    {
        return Ok(CatalogId::git_url(&origin));
    }
    if let Some((file, config)) = config.get()? {
        let base = file.parent().unwrap_or(Path::new("."));
        for (name, value) in &config.catalogs {
            let located = relative_to(base, value);
            let target = located
                .strip_prefix("git:")
                .or_else(|| located.strip_prefix("dir:"))
                .unwrap_or(&located);
            if !GitLocation::is_url(target) && same_folder(Path::new(target), path) {
                return Ok(CatalogId::Name(name.clone()));
            }
        }
    }
    let shown = machine_path(path, home_dir().as_deref());
    Ok(if is_git {
        CatalogId::GitPath(shown)
    } else {
        CatalogId::DirPath(shown)
    })
}

fn same_folder(a: &Path, b: &Path) -> bool {
    match (fs_canonical(a), fs_canonical(b)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

fn fs_canonical(path: &Path) -> Option<PathBuf> {
    std::fs::canonicalize(path).ok()
}

/// The home folder, for `~/…` paths in locks.
fn home_dir() -> Option<PathBuf> {
    dirs::home_dir().filter(|home| home.is_absolute())
}

/// The catalog named by `--catalog` or `PAVE_CATALOG` (clap gives the flag precedence), ready to
/// read; `None` when neither names one.
pub fn explicit_catalog(
    global: &GlobalArgs,
    config: &ConfigFile,
    printer: &Printer,
) -> Result<Option<CatalogChoice>, SettingsError> {
    let Some(arg) = global.catalog.as_deref() else {
        return Ok(None);
    };
    let choice = CatalogChoice::from_arg(Some(arg), None, config)?;
    choice.sync(global.fetch, printer)?;
    Ok(Some(choice))
}

/// The catalog when no flag or variable names one: the config file's, else the built-in one.
pub fn default_catalog(
    global: &GlobalArgs,
    config: &ConfigFile,
    printer: &Printer,
) -> Result<CatalogChoice, SettingsError> {
    let Some((path, file)) = config.get()? else {
        return Ok(CatalogChoice::builtin());
    };
    let Some(arg) = file.catalog.as_deref() else {
        return Ok(CatalogChoice::builtin());
    };
    let path = path.clone();
    let base = path.parent().unwrap_or(Path::new("."));
    let choice = CatalogChoice::from_arg(Some(arg), Some(base), config).map_err(|e| match e {
        SettingsError::CatalogArg { arg, why, .. } => SettingsError::CatalogArg {
            arg,
            why,
            set_in: Some(path.clone()),
        },
        other => other,
    })?;
    choice.sync(global.fetch, printer)?;
    Ok(choice)
}

/// How commands on an existing repo (`check`, `diff`, `upgrade`, `apply`, `gate`, `audit`) find
/// the catalog a lock entry records: the one `--catalog` or `PAVE_CATALOG` names, else the
/// entry's own identity resolved on this machine (see [`LockCatalogs::open`]).
#[derive(Debug, Clone)]
pub struct LockCatalogs {
    explicit: Option<CatalogChoice>,
    config: ConfigFile,
}

impl LockCatalogs {
    pub fn new(explicit: Option<CatalogChoice>, config: ConfigFile) -> Self {
        Self { explicit, config }
    }

    /// The catalog `--catalog` or `PAVE_CATALOG` named, if any.
    pub fn explicit(&self) -> Option<&CatalogChoice> {
        self.explicit.as_ref()
    }

    /// Reads the config file now, so a malformed one is an error (exit 2) before a command that
    /// would otherwise only note an unreachable catalog.
    pub fn read_config(&self) -> Result<(), SettingsError> {
        self.config.get().map(|_| ())
    }

    /// The catalog for the golden path `entry` records.
    pub fn open(&self, entry: &LockEntry) -> Result<Box<dyn Catalog>, SettingsError> {
        self.open_recorded(&entry.catalog, &entry.name)
    }

    /// The catalog a lock records as `recorded` for `golden_path`:
    /// - the one `--catalog`/`PAVE_CATALOG` names, whatever the lock says;
    /// - `builtin`;
    /// - a name: what `[catalogs]` maps it to (an error that shows the line to add if nothing);
    /// - a git URL: a catalog of config.toml that is this URL or a clone of it (its `origin`),
    ///   else the cached clone of the URL, cloned or fetched when stale;
    /// - a path (`git:/…`, `dir:~/…`): the folder, where it exists; an error that says how to
    ///   name the catalog where it does not.
    ///
    /// A catalog read from a folder records what [`local_identity`] finds (a lock made before
    /// identities were portable moves to its `origin`'s URL when written again).
    pub fn open_recorded(
        &self,
        recorded: &str,
        golden_path: &str,
    ) -> Result<Box<dyn Catalog>, SettingsError> {
        if let Some(choice) = &self.explicit {
            return Ok(choice.open());
        }
        let id = CatalogId::parse(recorded).map_err(|e| SettingsError::LockCatalog {
            catalog: recorded.to_owned(),
            golden_path: golden_path.to_owned(),
            why: e.to_string(),
        })?;
        // A catalog at a URL is cloned when this machine has none yet (CI), fetched when stale.
        let sync = |choice: &CatalogChoice| -> Result<(), SettingsError> {
            if let CatalogKind::Git(git) = &choice.kind {
                git.sync(FetchPolicy::IfStale, SystemTime::now())
                    .map_err(|e| SettingsError::LockCatalog {
                        catalog: recorded.to_owned(),
                        golden_path: golden_path.to_owned(),
                        why: match e {
                            CatalogError::Unreachable { why, .. } => {
                                format!("no cached clone, and {why}")
                            }
                            other => other.to_string(),
                        },
                    })?;
            }
            Ok(())
        };
        let choice = match &id {
            CatalogId::Builtin => CatalogChoice::builtin(),
            CatalogId::Name(name) => match self.config.catalog_named(name)? {
                Some(named) => {
                    let choice = CatalogChoice::from_named(&named, &self.config)?;
                    sync(&choice)?;
                    choice
                }
                None => {
                    return Err(SettingsError::UnknownCatalogName {
                        name: name.clone(),
                        golden_path: Some(golden_path.to_owned()),
                        config: ConfigFile::shown(),
                    });
                }
            },
            CatalogId::GitUrl(url) => {
                let choice = match self.configured_clone_of(url)? {
                    Some(choice) => choice,
                    None => git_choice(GitLocation::Remote(url.clone()))?,
                };
                sync(&choice)?;
                CatalogChoice {
                    kind: choice.kind,
                    identity: id.redacted(),
                }
            }
            CatalogId::GitPath(text) | CatalogId::DirPath(text) => {
                let path = expand_machine_path(text, home_dir().as_deref());
                let gone = |path: PathBuf| SettingsError::LockCatalogGone {
                    catalog: recorded.to_owned(),
                    golden_path: golden_path.to_owned(),
                    suggested_name: suggested_name(&path),
                    path,
                    config: ConfigFile::shown(),
                };
                let Some(path) = path else {
                    return Err(gone(PathBuf::from(text)));
                };
                let is_git = matches!(id, CatalogId::GitPath(_));
                let found = if is_git {
                    is_repository_root(&path)
                } else {
                    path.is_dir()
                };
                if !found {
                    return Err(gone(path));
                }
                let kind = if is_git {
                    CatalogKind::Git(GitCatalog::local(path.clone()))
                } else {
                    CatalogKind::Dir(path.clone())
                };
                CatalogChoice {
                    kind,
                    identity: local_identity(&path, is_git, &self.config)?,
                }
            }
        };
        Ok(choice.open())
    }

    /// A catalog config.toml names (`catalog`, or under `[catalogs]`) that is the repository at
    /// `url`: the same URL, or a clone on this machine whose `origin` is it. Reading a local clone
    /// needs no network and has the tags its owner fetched.
    fn configured_clone_of(&self, url: &str) -> Result<Option<CatalogChoice>, SettingsError> {
        let Some((file, config)) = self.config.get()? else {
            return Ok(None);
        };
        let base = file.parent().unwrap_or(Path::new("."));
        let wanted = without_credentials(url);
        for value in config.catalog.iter().chain(config.catalogs.values()) {
            let located = relative_to(base, value);
            let target = located.strip_prefix("git:").unwrap_or(&located);
            if GitLocation::is_url(target) {
                if without_credentials(target) == wanted {
                    return git_choice(GitLocation::Remote(target.to_owned())).map(Some);
                }
                continue;
            }
            let path = Path::new(target);
            if is_repository_root(path)
                && pave_engine::git::origin_url(path)
                    .is_some_and(|origin| without_credentials(&origin) == wanted)
            {
                return Ok(Some(CatalogChoice {
                    kind: CatalogKind::Git(GitCatalog::local(
                        std::path::absolute(path).unwrap_or_else(|_| path.to_owned()),
                    )),
                    identity: CatalogId::git_url(url),
                }));
            }
        }
        Ok(None)
    }
}

/// A catalog name made from a folder's name, for a hint.
fn suggested_name(path: &Path) -> String {
    let name: String = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
        .trim_end_matches(".git")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect();
    let name = name.trim_start_matches(['.', '_', '-']).to_owned();
    if is_catalog_name(&name) {
        name
    } else {
        "golden-paths".to_owned()
    }
}

/// `PAVE_CONFIG` (which must exist), else `<user config dir>/pave/config.toml` (which may not).
fn config_path() -> Option<(PathBuf, bool)> {
    match std::env::var_os("PAVE_CONFIG").filter(|v| !v.is_empty()) {
        Some(path) => Some((PathBuf::from(path), true)),
        None => Some((dirs::config_dir()?.join("pave").join(CONFIG_FILE), false)),
    }
}

/// A catalog path in the config file is relative to the file's folder, not to wherever pave
/// runs, and `~/…` is below the home folder; URLs and absolute paths stay as they are.
fn relative_to(base: &Path, arg: &str) -> String {
    if matches!(arg, "" | "builtin") || GitLocation::is_url(arg) {
        return arg.to_owned();
    }
    let (prefix, rest) = ["git:", "dir:"]
        .into_iter()
        .find_map(|prefix| arg.strip_prefix(prefix).map(|rest| (prefix, rest)))
        .unwrap_or(("", arg));
    if GitLocation::is_url(rest) || Path::new(rest).is_absolute() {
        return arg.to_owned();
    }
    if let Some(expanded) = expand_home_in(arg) {
        return expanded;
    }
    if rest.starts_with('~') {
        return arg.to_owned();
    }
    format!("{prefix}{}", base.join(rest).display())
}

/// `arg` with a leading `~` (after `git:` or `dir:` too) made the home folder, when it starts so
/// and there is one.
fn expand_home_in(arg: &str) -> Option<String> {
    let (prefix, rest) = ["git:", "dir:"]
        .into_iter()
        .find_map(|prefix| arg.strip_prefix(prefix).map(|rest| (prefix, rest)))
        .unwrap_or(("", arg));
    if rest != "~" && !rest.starts_with("~/") {
        return None;
    }
    let path = expand_machine_path(rest, home_dir().as_deref())?;
    Some(format!("{prefix}{}", path.display()))
}

/// Where clones of git catalogs are cached: `$PAVE_CACHE_DIR/pave/catalogs`, else the same below
/// the platform's user cache dir.
pub fn catalogs_cache_dir() -> Option<PathBuf> {
    Some(pave_dir("PAVE_CACHE_DIR", dirs::cache_dir)?.join("catalogs"))
}

/// Where `pave audit` clones the repos a repos file lists by URL: `audit` beside the catalogs'
/// clones.
pub fn audit_cache_dir() -> Result<PathBuf, SettingsError> {
    catalogs_cache_dir()
        .map(|dir| dir.with_file_name("audit"))
        .ok_or(SettingsError::NoUserDir {
            what: "cache",
            purpose: "to clone the listed repos into".into(),
            variable: "PAVE_CACHE_DIR",
        })
}

/// The spool folder, or why there is none.
pub fn required_spool_dir() -> Result<PathBuf, SettingsError> {
    spool_dir().ok_or(SettingsError::NoUserDir {
        what: "state",
        purpose: "for the spool of registry events".into(),
        variable: "PAVE_STATE_DIR",
    })
}

/// `$var/pave`, else `pave` below the platform dir `fallback` gives.
fn pave_dir(var: &str, fallback: fn() -> Option<PathBuf>) -> Option<PathBuf> {
    let root = match std::env::var_os(var).filter(|v| !v.is_empty()) {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            std::path::absolute(&dir).unwrap_or(dir)
        }
        None => fallback()?,
    };
    Some(root.join("pave"))
}

/// The local embedded registry: `$PAVE_DATA_DIR/pave/registry.sqlite`, else the same below the
/// user data dir. `pave registry serve` uses it when no `--database` is given.
pub fn local_registry_path() -> Option<PathBuf> {
    Some(pave_dir("PAVE_DATA_DIR", dirs::data_dir)?.join("registry.sqlite"))
}

/// Where events wait for the registry: `$PAVE_STATE_DIR/pave/spool`, else the same below the
/// user state dir (Linux) or the local data dir (elsewhere).
pub fn spool_dir() -> Option<PathBuf> {
    Some(
        pave_dir("PAVE_STATE_DIR", || {
            dirs::state_dir().or_else(dirs::data_local_dir)
        })?
        .join("spool"),
    )
}

/// Where events go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistryChoice {
    /// `off`: nothing is recorded.
    Off,
    /// No registry configured: the local embedded registry (SQLite).
    Local(PathBuf),
    /// A registry's HTTP API.
    Remote {
        url: String,
        token: Option<String>,
        /// Where the URL was set (`PAVE_REGISTRY_URL`, `url in …/config.toml`), for messages.
        url_from: String,
        /// Where the token is set, or should be.
        token_from: String,
    },
}

impl RegistryChoice {
    /// Where events go; `None` when recording is off.
    pub fn destination(&self) -> Option<Destination> {
        match self {
            Self::Off => None,
            Self::Local(path) => Some(Destination::local(path.clone())),
            Self::Remote { url, token, .. } => Some(Destination::remote(url, token.clone())),
        }
    }
}

/// The registry settings: `PAVE_REGISTRY_URL` and `PAVE_REGISTRY_TOKEN` beat the config file's
/// `[registry]` `url` and `token`; no URL means the local embedded registry; `off` records
/// nothing. A malformed URL is an error naming the variable or the file and line.
pub fn registry_choice() -> Result<RegistryChoice, SettingsError> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let path = config_path();
    let config = match &path {
        Some((path, must_exist)) => Config::read(path, *must_exist)?
            .and_then(|c| c.registry)
            .map(|r| (path.clone(), r)),
        None => None,
    };
    let config_name = |key: &str| match &path {
        Some((path, _)) => format!("`{key}` in [registry] of {}", path.display()),
        None => format!("`{key}` in [registry] of config.toml"),
    };
    let (url, url_from) = match env("PAVE_REGISTRY_URL") {
        Some(url) => (url, "PAVE_REGISTRY_URL".to_owned()),
        None => match config.as_ref().and_then(|(path, r)| {
            r.url
                .clone()
                .filter(|u| !u.trim().is_empty())
                .map(|u| (u, path, r.url_line))
        }) {
            Some((url, path, line)) => {
                check_registry_url(&url).map_err(|why| pave_base::config::ConfigError::Value {
                    path: path.clone(),
                    line,
                    message: format!("registry url `{url}` {why}"),
                })?;
                (url, config_name("url"))
            }
            None => {
                return Ok(match local_registry_path() {
                    Some(path) => RegistryChoice::Local(path),
                    None => RegistryChoice::Off,
                });
            }
        },
    };
    if url.trim() == "off" {
        return Ok(RegistryChoice::Off);
    }
    if url_from == "PAVE_REGISTRY_URL" {
        check_registry_url(&url).map_err(|why| SettingsError::RegistryUrl {
            url: url.clone(),
            why,
        })?;
    }
    let (token, token_from) = match env("PAVE_REGISTRY_TOKEN") {
        Some(token) => (Some(token), "PAVE_REGISTRY_TOKEN".to_owned()),
        None => {
            let token = config
                .as_ref()
                .and_then(|(_, r)| r.token.clone())
                .filter(|t| !t.trim().is_empty());
            let from = if token.is_some() {
                config_name("token")
            } else {
                format!("PAVE_REGISTRY_TOKEN (or {})", config_name("token"))
            };
            (token, from)
        }
    };
    Ok(RegistryChoice::Remote {
        url: url.trim().trim_end_matches('/').to_owned(),
        token: token.map(|t| t.trim().to_owned()),
        url_from,
        token_from,
    })
}

/// The retention period `pave registry serve` applies: `--retention` (or
/// `PAVE_REGISTRY_RETENTION`, which clap reads into the flag), else `retention` in [registry] of
/// config.toml, else none (everything is kept). A bad value in the file names the file and line.
pub fn serve_retention(flag: Option<&Retention>) -> Result<Option<Retention>, SettingsError> {
    if let Some(retention) = flag {
        return Ok(Some(retention.clone()));
    }
    let Some((path, must_exist)) = config_path() else {
        return Ok(None);
    };
    let Some(registry) = Config::read(&path, must_exist)?.and_then(|c| c.registry) else {
        return Ok(None);
    };
    let Some(text) = registry.retention.as_deref() else {
        return Ok(None);
    };
    Retention::parse(text).map(Some).map_err(|why| {
        pave_base::config::ConfigError::Value {
            path: path.clone(),
            line: registry.retention_line,
            message: format!("registry retention: {why}"),
        }
        .into()
    })
}

/// Why `url` cannot be a registry's URL, if it cannot.
fn check_registry_url(url: &str) -> Result<(), String> {
    if url.trim() == "off" {
        return Ok(());
    }
    let parsed = reqwest::Url::parse(url.trim()).map_err(|e| format!("is not a URL ({e})"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!(
            "has the scheme `{}`; a registry is reached over http or https",
            parsed.scheme()
        ));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err("names no host".to_owned());
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err("has a query or fragment; give the registry's base URL".to_owned());
    }
    Ok(())
}

fn git_choice(location: GitLocation) -> Result<CatalogChoice, SettingsError> {
    let (git, identity) = match location {
        GitLocation::Local(path) => {
            let identity = CatalogId::GitPath(machine_path(&path, home_dir().as_deref()));
            (GitCatalog::local(path), identity)
        }
        GitLocation::Remote(url) => {
            let cache = catalogs_cache_dir().ok_or_else(|| SettingsError::NoUserDir {
                what: "cache",
                purpose: format!(
                    "to clone the git catalog {} into",
                    without_credentials(&url)
                ),
                variable: "PAVE_CACHE_DIR",
            })?;
            let identity = CatalogId::git_url(&url);
            (GitCatalog::cached(url, &cache), identity)
        }
    };
    Ok(CatalogChoice {
        kind: CatalogKind::Git(git),
        identity,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_urls_are_checked() {
        assert!(check_registry_url("https://pave.example.com").is_ok());
        assert!(check_registry_url("http://127.0.0.1:7878/prefix/").is_ok());
        assert!(check_registry_url("off").is_ok());
        for bad in [
            "pave.example.com",
            "ftp://h",
            "http://",
            "https://h/?x=1",
            "::",
        ] {
            assert!(check_registry_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn config_paths_are_relative_to_the_config_file() {
        let base = Path::new("/home/me/.config/pave");
        assert_eq!(relative_to(base, "builtin"), "builtin");
        assert_eq!(relative_to(base, "gp"), "/home/me/.config/pave/gp");
        assert_eq!(relative_to(base, "git:gp"), "git:/home/me/.config/pave/gp");
        assert_eq!(relative_to(base, "dir:/srv/gp"), "dir:/srv/gp");
        assert_eq!(
            relative_to(base, "git@example.com:org/gp.git"),
            "git@example.com:org/gp.git"
        );
        assert_eq!(
            relative_to(base, "git:https://example.com/gp.git"),
            "git:https://example.com/gp.git"
        );
    }
}
