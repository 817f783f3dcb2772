//! Settings resolved once at the edge (flag > `PAVE_*` environment > config file > default) into
//! ready types. This is where the environment is read: `PAVE_CATALOG` (through clap),
//! `PAVE_CONFIG`, `PAVE_CACHE_DIR`, `PAVE_DATA_DIR`, `PAVE_STATE_DIR`, `PAVE_REGISTRY_URL`,
//! `PAVE_REGISTRY_TOKEN` (`PAVE_REGISTRY_RETENTION` through clap, like `PAVE_CATALOG`), and the
//! platform's user config, cache, data and state dirs.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use pave_base::config::{CONFIG_FILE, Config, ConfigError};
use pave_engine::catalog::{
    BuiltinCatalog, Catalog, CatalogError, DirCatalog, FetchPolicy, GitCatalog, GitLocation,
    GoldenPath, Reference, SingleGoldenPath, SyncOutcome, is_repository_root, load_golden_path_dir,
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
    #[error("the catalog {catalog} that {golden_path} came from is not reachable")]
    LockCatalog {
        catalog: String,
        golden_path: String,
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

impl SettingsError {
    /// What to do, for the errors of settings themselves (a catalog's or the config file's
    /// own errors have their own hints).
    pub fn hint(&self) -> String {
        match self {
            Self::Catalog(_) | Self::Config(_) => String::new(),
            Self::CatalogArg { .. } => "use `builtin`, a folder of <name>/<version>/ golden paths, a golden path's folder, or a git repository by path or URL (`git:<path-or-url>`)".into(),
            Self::NoUserDir { variable, .. } => format!("set {variable} to a folder pave may use"),
            Self::RegistryUrl { .. } => {
                "use http(s)://host[:port][/prefix], or `off` to record nothing".into()
            }
            Self::LockCatalog { .. } => {
                "name a catalog that has it with --catalog (or PAVE_CATALOG)".into()
            }
            Self::RecordingOff => {
                "unset PAVE_REGISTRY_URL (the local registry), or set it to a registry's URL".into()
            }
        }
    }
}

/// Which catalog to read.
#[derive(Debug, Clone)]
pub enum CatalogChoice {
    Builtin,
    Dir(PathBuf),
    Git(GitCatalog),
}

impl CatalogChoice {
    /// From `--catalog`, `PAVE_CATALOG` or the config file: absent or `builtin` is the built-in
    /// catalog; `git:<url-or-path>`, a URL, or the root of a git repository is a git catalog
    /// (unless it has no version tags but `<name>/<version>/` folders); `dir:<path>` or another
    /// folder is a directory catalog.
    pub fn from_arg(arg: Option<&str>) -> Result<Self, SettingsError> {
        let arg = match arg {
            None | Some("" | "builtin") => return Ok(Self::Builtin),
            Some(arg) => arg,
        };
        if GitLocation::is_url(arg) {
            return git_choice(GitLocation::Remote(arg.to_owned()));
        }
        if let Some(rest) = arg.strip_prefix("git:") {
            if rest.is_empty() {
                return Err(SettingsError::CatalogArg {
                    arg: arg.to_owned(),
                    why: "names no repository: use `git:<url>` or `git:<path>`".into(),
                    set_in: None,
                });
            }
            return git_choice(GitLocation::parse(rest));
        }
        let (path, may_be_git) = match arg.strip_prefix("dir:") {
            Some(rest) => (PathBuf::from(rest), false),
            None => (PathBuf::from(arg), true),
        };
        if !path.is_dir() {
            return Err(SettingsError::CatalogArg {
                arg: arg.to_owned(),
                why: "is not a folder".into(),
                set_in: None,
            });
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
                return Ok(Self::Git(git));
            }
        }
        Ok(Self::Dir(path))
    }

    pub fn open(&self) -> Box<dyn Catalog> {
        match self {
            Self::Builtin => Box::new(BuiltinCatalog),
            // One golden-path folder given as the catalog is a catalog of that one version.
            Self::Dir(path) if path.join(pave_engine::catalog::MANIFEST_FILE).is_file() => {
                Box::new(SingleGoldenPath::new(path.clone()))
            }
            Self::Dir(path) => Box::new(DirCatalog::new(path.clone())),
            Self::Git(git) => Box::new(git.clone()),
        }
    }

    /// Makes a git catalog from a URL ready to read: cloned when not cached yet, fetched with
    /// `--fetch` or when the cache is stale. A failed fetch with a cache warns and goes on.
    pub fn sync(&self, fetch: bool, printer: &Printer) -> Result<(), CatalogError> {
        let Self::Git(git) = self else {
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
    pub fn load(&self, reference: &str) -> Result<GoldenPath, CatalogError> {
        let as_path = Path::new(reference);
        let looks_like_path =
            reference.starts_with('.') || reference.contains('/') || as_path.is_absolute();
        if looks_like_path && as_path.is_dir() {
            let abs = std::path::absolute(as_path).unwrap_or_else(|_| as_path.to_owned());
            return load_golden_path_dir(&abs, format!("dir:{}", abs.display()));
        }
        let parsed: Reference = reference.parse()?;
        self.open().load(&parsed)
    }
}

/// The catalog named by `--catalog` or `PAVE_CATALOG` (clap gives the flag precedence), ready to
/// read; `None` when neither names one.
pub fn explicit_catalog(
    global: &GlobalArgs,
    printer: &Printer,
) -> Result<Option<CatalogChoice>, SettingsError> {
    let Some(arg) = global.catalog.as_deref() else {
        return Ok(None);
    };
    let choice = CatalogChoice::from_arg(Some(arg))?;
    choice.sync(global.fetch, printer)?;
    Ok(Some(choice))
}

/// The catalog when no flag or variable names one: the config file's, else the built-in one.
pub fn default_catalog(
    global: &GlobalArgs,
    printer: &Printer,
) -> Result<CatalogChoice, SettingsError> {
    let Some((path, must_exist)) = config_path() else {
        return Ok(CatalogChoice::Builtin);
    };
    let Some(config) = Config::read(&path, must_exist)? else {
        return Ok(CatalogChoice::Builtin);
    };
    let Some(arg) = config.catalog.as_deref() else {
        return Ok(CatalogChoice::Builtin);
    };
    let base = path.parent().unwrap_or(Path::new("."));
    let choice = CatalogChoice::from_arg(Some(&relative_to(base, arg))).map_err(|e| match e {
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

/// `PAVE_CONFIG` (which must exist), else `<user config dir>/pave/config.toml` (which may not).
fn config_path() -> Option<(PathBuf, bool)> {
    match std::env::var_os("PAVE_CONFIG").filter(|v| !v.is_empty()) {
        Some(path) => Some((PathBuf::from(path), true)),
        None => Some((dirs::config_dir()?.join("pave").join(CONFIG_FILE), false)),
    }
}

/// A catalog path in the config file is relative to the file's folder, not to wherever pave
/// runs; URLs and absolute paths stay as they are.
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
    format!("{prefix}{}", base.join(rest).display())
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
    let git = match location {
        GitLocation::Local(path) => GitCatalog::local(path),
        GitLocation::Remote(url) => {
            let cache = catalogs_cache_dir().ok_or_else(|| SettingsError::NoUserDir {
                what: "cache",
                purpose: format!("to clone the git catalog {url} into"),
                variable: "PAVE_CACHE_DIR",
            })?;
            GitCatalog::cached(url, &cache)
        }
    };
    Ok(CatalogChoice::Git(git))
}

/// The catalog for a golden path a lock records: the one named explicitly, else the one the lock
/// says it came from; an error when that one is not reachable.
pub fn catalog_for_lock_entry(
    explicit: Option<&CatalogChoice>,
    entry: &LockEntry,
) -> Result<Box<dyn Catalog>, SettingsError> {
    match explicit {
        Some(choice) => Ok(choice.open()),
        None => catalog_of_source(&entry.catalog).ok_or_else(|| SettingsError::LockCatalog {
            catalog: entry.catalog.clone(),
            golden_path: entry.name.clone(),
        }),
    }
}

/// How `check` and the conformance gate open a lock entry's catalog: the one named
/// explicitly, else the one the entry records (`None` when that is not reachable: lag unknown).
pub fn catalog_opener(
    explicit: Option<&CatalogChoice>,
) -> impl Fn(&LockEntry) -> Option<Box<dyn Catalog>> + '_ {
    move |entry| match explicit {
        Some(choice) => Some(choice.open()),
        None => catalog_of_source(&entry.catalog),
    }
}

/// The catalog a lock entry says it came from (`builtin`, `dir:/path`, `git:<url-or-path>`), when
/// it is reachable from here; `None` for a folder or repository that is gone, a URL that can be
/// neither fetched nor read from the cache, or a kind this pave cannot read.
pub fn catalog_of_source(source: &str) -> Option<Box<dyn Catalog>> {
    if source == "builtin" {
        return Some(Box::new(BuiltinCatalog));
    }
    if let Some(rest) = source.strip_prefix("git:") {
        let git = match GitLocation::parse(rest) {
            GitLocation::Local(path) if is_repository_root(&path) => GitCatalog::local(path),
            GitLocation::Local(_) => return None,
            GitLocation::Remote(url) => GitCatalog::cached(url, &catalogs_cache_dir()?),
        };
        git.sync(FetchPolicy::IfStale, SystemTime::now()).ok()?;
        return Some(Box::new(git));
    }
    let path = Path::new(source.strip_prefix("dir:")?);
    if path.join(pave_engine::catalog::MANIFEST_FILE).is_file() {
        Some(Box::new(SingleGoldenPath::new(path.to_owned())))
    } else if path.is_dir() {
        Some(Box::new(DirCatalog::new(path.to_owned())))
    } else {
        None
    }
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
