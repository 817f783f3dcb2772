//! How a lock names the catalog a golden path came from (`LockEntry::catalog`), so that another
//! machine (CI, a colleague's checkout) can find it again (issue 13, part 5).
//!
//! A portable identity names the catalog, not where one machine keeps it:
//! - `builtin`: compiled into pave;
//! - `git:<URL>`: a git repository by URL, never with credentials (a token in
//!   `https://x-access-token:…@host/…` would end up in every repo and the registry);
//! - a name (`platform`) that each machine's `config.toml` maps to a location under `[catalogs]`.
//!
//! What is only true on one machine is kept readable, for locks written before and for catalogs
//! that have no URL or name yet: `git:<path>` and `dir:<path>`, a path that is absolute or starts
//! with `~/` (the home folder, so a person's user name is not recorded).

use std::fmt;
use std::path::{Path, PathBuf};

use pave_base::config::is_catalog_name;

/// The built-in catalog's identity.
pub const BUILTIN: &str = "builtin";

/// A catalog as a lock records it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CatalogId {
    Builtin,
    /// A name `[catalogs]` in `config.toml` maps to a location.
    Name(String),
    /// A git repository by URL (`https://…`, `ssh://…`, `git@host:…`, `file://…`).
    GitUrl(String),
    /// A git repository on one machine, by absolute or `~/` path.
    GitPath(String),
    /// A folder of golden paths (or one golden path) on one machine, by absolute or `~/` path.
    DirPath(String),
}

/// A lock's catalog field that names no catalog.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not a catalog: {why}")]
pub struct CatalogIdError {
    pub text: String,
    pub why: String,
}

impl CatalogId {
    /// Reads a lock's catalog field. A URL without `git:` is read as a git URL too.
    pub fn parse(text: &str) -> Result<Self, CatalogIdError> {
        let bad = |why: &str| CatalogIdError {
            text: text.to_owned(),
            why: why.to_owned(),
        };
        if text == BUILTIN {
            return Ok(Self::Builtin);
        }
        if text.chars().any(char::is_control) {
            return Err(bad("it holds control characters"));
        }
        if let Some(rest) = text.strip_prefix("git:") {
            if is_url(rest) {
                check_url(rest).map_err(|why| bad(&why))?;
                return Ok(Self::GitUrl(rest.to_owned()));
            }
            if is_machine_path(rest) {
                return Ok(Self::GitPath(rest.to_owned()));
            }
            return Err(bad(
                "after `git:` comes a URL (https://, ssh://, git@host:…, file://) or an absolute path",
            ));
        }
        if let Some(rest) = text.strip_prefix("dir:") {
            if is_machine_path(rest) {
                return Ok(Self::DirPath(rest.to_owned()));
            }
            return Err(bad(
                "after `dir:` comes an absolute path (or one starting with ~/)",
            ));
        }
        if is_url(text) {
            check_url(text).map_err(|why| bad(&why))?;
            return Ok(Self::GitUrl(text.to_owned()));
        }
        if is_catalog_name(text) {
            return Ok(Self::Name(text.to_owned()));
        }
        Err(bad(
            "expected `builtin`, a catalog name (letters, digits, `.`, `_`, `-`), `git:<URL>`, or `git:`/`dir:` and a path",
        ))
    }

    /// A git repository by URL, with any credentials dropped.
    pub fn git_url(url: &str) -> Self {
        Self::GitUrl(without_credentials(url))
    }

    /// True when the identity means the same catalog on every machine: `builtin`, a git URL, or a
    /// name (which each machine's config maps). A path is only true where it was made.
    pub fn is_portable(&self) -> bool {
        matches!(self, Self::Builtin | Self::Name(_) | Self::GitUrl(_))
    }

    /// The same identity without credentials in a URL.
    pub fn redacted(&self) -> Self {
        match self {
            Self::GitUrl(url) => Self::git_url(url),
            other => other.clone(),
        }
    }
}

impl fmt::Display for CatalogId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Builtin => f.write_str(BUILTIN),
            Self::Name(name) => f.write_str(name),
            Self::GitUrl(url) => write!(f, "git:{url}"),
            Self::GitPath(path) => write!(f, "git:{path}"),
            Self::DirPath(path) => write!(f, "dir:{path}"),
        }
    }
}

/// A catalog text (a lock's, an event's) without credentials; text that is no identity is
/// returned as it is.
pub fn redact(text: &str) -> String {
    match CatalogId::parse(text) {
        Ok(id) => id.redacted().to_string(),
        Err(_) => text.to_owned(),
    }
}

/// True for what git treats as a URL rather than a path.
pub fn is_url(text: &str) -> bool {
    const SCHEMES: [&str; 6] = ["https://", "http://", "ssh://", "git://", "file://", "git@"];
    SCHEMES.iter().any(|scheme| text.starts_with(scheme))
}

/// Why `url` (one [`is_url`] accepts) cannot name a repository: no host, no path, blanks.
pub fn check_url(url: &str) -> Result<(), String> {
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("a URL holds no blanks or control characters".into());
    }
    if let Some(rest) = url.strip_prefix("git@") {
        // scp-like: git@host:path
        return match rest.split_once(':') {
            Some((host, path)) if !host.is_empty() && !path.is_empty() => Ok(()),
            _ => Err("an scp-like URL is git@<host>:<path>".into()),
        };
    }
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    if scheme == "file" {
        return if rest.trim_start_matches('/').is_empty() {
            Err("a file:// URL names a folder".into())
        } else {
            Ok(())
        };
    }
    let authority = rest.split('/').next().unwrap_or("");
    let host = authority.rsplit('@').next().unwrap_or("");
    if host.is_empty() || host.starts_with(':') {
        return Err(format!("a {scheme}:// URL names a host"));
    }
    if rest.len() <= authority.len() + 1 {
        return Err(format!(
            "a {scheme}:// URL names a repository after the host"
        ));
    }
    Ok(())
}

/// `url` without the credentials a URL can carry. `https://`, `http://` and `git://` lose their
/// whole user part (a token often travels as the user name); `ssh://user:password@` keeps the
/// account (`git`), which ssh needs and is no secret; scp-like `git@host:` has no password.
pub fn without_credentials(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    let Some((userinfo, host)) = authority.rsplit_once('@') else {
        return url.to_owned();
    };
    match scheme {
        "ssh" => {
            let user = userinfo.split(':').next().unwrap_or("");
            if user.is_empty() {
                format!("{scheme}://{host}{path}")
            } else {
                format!("{scheme}://{user}@{host}{path}")
            }
        }
        _ => format!("{scheme}://{host}{path}"),
    }
}

/// True for a path only one machine can resolve: absolute (`/srv/gp`, `C:\gp`, `\\host\gp`) or
/// below the home folder (`~/src/gp`).
fn is_machine_path(text: &str) -> bool {
    let bytes = text.as_bytes();
    let is_drive = bytes.len() >= 3
        && bytes[0].is_ascii_alphabetic()
        && bytes[1] == b':'
        && matches!(bytes[2], b'\\' | b'/');
    text.starts_with('/')
        || text.starts_with("\\\\")
        || text == "~"
        || text.starts_with("~/")
        || is_drive
}

/// How a lock writes a path on this machine: below `home` as `~/…`, so a person's user name is
/// not recorded; elsewhere as it is (absolute).
pub fn machine_path(path: &Path, home: Option<&Path>) -> String {
    let below_home = home
        .filter(|home| home.is_absolute() && home.parent().is_some())
        .and_then(|home| path.strip_prefix(home).ok());
    match below_home {
        Some(rel) if rel.as_os_str().is_empty() => "~".to_owned(),
        Some(rel) => format!("~/{}", rel.to_string_lossy().replace('\\', "/")),
        None => path.display().to_string(),
    }
}

/// The path a lock's `~/…` (or absolute) path means on this machine; `None` for `~` without a
/// home folder.
pub fn expand_machine_path(text: &str, home: Option<&Path>) -> Option<PathBuf> {
    match text.strip_prefix('~') {
        Some("") => home.map(Path::to_owned),
        Some(rest) if rest.starts_with('/') => {
            home.map(|home| home.join(rest.trim_start_matches('/')))
        }
        _ => Some(PathBuf::from(text)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identities_read_and_write_back() {
        for (text, id) in [
            ("builtin", CatalogId::Builtin),
            ("platform", CatalogId::Name("platform".into())),
            (
                "git:https://git.example.com/org/gp.git",
                CatalogId::GitUrl("https://git.example.com/org/gp.git".into()),
            ),
            (
                "git:git@example.com:org/gp.git",
                CatalogId::GitUrl("git@example.com:org/gp.git".into()),
            ),
            (
                "git:/home/x/golden-paths",
                CatalogId::GitPath("/home/x/golden-paths".into()),
            ),
            ("dir:~/src/gp", CatalogId::DirPath("~/src/gp".into())),
            ("dir:C:\\gp", CatalogId::DirPath("C:\\gp".into())),
        ] {
            assert_eq!(CatalogId::parse(text).unwrap(), id, "{text}");
            assert_eq!(id.to_string(), text);
        }
        assert_eq!(
            CatalogId::parse("file:///srv/gp").unwrap().to_string(),
            "git:file:///srv/gp",
            "a bare URL reads as a git URL"
        );
        assert!(CatalogId::parse("platform").unwrap().is_portable());
        assert!(!CatalogId::parse("dir:/srv/gp").unwrap().is_portable());
    }

    #[test]
    fn what_names_no_catalog_is_refused_with_why() {
        for bad in [
            "",
            "git:",
            "dir:",
            "dir:relative/folder",
            "git:relative",
            "svn:https://example.com/x",
            "my catalog",
            "https://",
            "git:https://host",
            "git@host",
            "git:https://exa mple.com/x.git",
            "a\u{1b}b",
        ] {
            let e = CatalogId::parse(bad).unwrap_err();
            assert!(
                e.to_string()
                    .starts_with(&format!("`{bad}` is not a catalog: ")),
                "{e}"
            );
        }
    }

    #[test]
    fn credentials_never_stay_in_an_identity() {
        for (url, clean) in [
            (
                "https://x-access-token:ghs_secret@github.com/org/gp.git",
                "https://github.com/org/gp.git",
            ),
            (
                "https://ghp_token@github.com/org/gp.git",
                "https://github.com/org/gp.git",
            ),
            ("http://u:p@127.0.0.1:8080/gp", "http://127.0.0.1:8080/gp"),
            (
                "ssh://git:hunter2@example.com/org/gp.git",
                "ssh://git@example.com/org/gp.git",
            ),
            ("git@example.com:org/gp.git", "git@example.com:org/gp.git"),
            (
                "https://example.com/a@b/gp.git",
                "https://example.com/a@b/gp.git",
            ),
            ("file:///srv/gp", "file:///srv/gp"),
        ] {
            assert_eq!(without_credentials(url), clean, "{url}");
            assert_eq!(CatalogId::git_url(url).to_string(), format!("git:{clean}"));
        }
        assert_eq!(
            redact("git:https://tok@example.com/gp.git"),
            "git:https://example.com/gp.git"
        );
        assert_eq!(redact("not a catalog"), "not a catalog");
    }

    #[test]
    fn paths_below_home_are_written_from_home() {
        let home = Path::new("/home/ada");
        assert_eq!(
            machine_path(Path::new("/home/ada/src/gp"), Some(home)),
            "~/src/gp"
        );
        assert_eq!(machine_path(Path::new("/srv/gp"), Some(home)), "/srv/gp");
        assert_eq!(
            machine_path(Path::new("/srv/gp"), Some(Path::new("/"))),
            "/srv/gp",
            "a home of / would claim every path"
        );
        assert_eq!(machine_path(Path::new("/srv/gp"), None), "/srv/gp");
        assert_eq!(
            expand_machine_path("~/src/gp", Some(Path::new("/home/bob"))),
            Some(PathBuf::from("/home/bob/src/gp"))
        );
        assert_eq!(
            expand_machine_path("/srv/gp", None),
            Some(PathBuf::from("/srv/gp"))
        );
        assert_eq!(expand_machine_path("~/gp", None), None);
    }
}
