//! The target repo's git remote, as templated defaults see it (`{{ git.remote_owner }}`): a
//! parameter such as an organisation is taken from where the repo is hosted instead of a
//! default that is right for nobody (issue 13: rust-service filled in `acme`).
//!
//! Only `origin` is read, and only its URL: nothing is fetched. The URL is split into host,
//! owner and repo for the forms git accepts: `https://host/owner/repo.git` (with user info and
//! port), `ssh://[user@]host[:port]/owner/repo.git` (also `git://`, `git+ssh://`) and scp-like
//! `[user@]host:owner/repo.git`. The owner is everything between the host and the repo's name,
//! so a GitLab project in a subgroup, `group/subgroup/repo`, has the owner `group/subgroup`:
//! GitLab calls that the project's namespace, and `owner/repo` stays the project's full path
//! (what GitLab's OIDC `project_path` claim and its CODEOWNERS group references use). A local
//! path or `file://` URL names no host and no owner.

use std::fmt;
use std::path::{Path, PathBuf};

/// What the `origin` remote's URL says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitRemote {
    /// The URL as configured, less any credentials: an http(s) URL loses its user info (a token
    /// is often the user name: `https://x-access-token:…@github.com/…`), any URL its password.
    /// A default may record it in the lock, which is committed.
    pub url: String,
    /// Host name, lower case, without user or port: `github.com`.
    pub host: Option<String>,
    /// Everything between the host and the repo: `acme`, or `group/subgroup` on GitLab.
    pub owner: Option<String>,
    /// The repo's name, without `.git`.
    pub repo: Option<String>,
}

impl GitRemote {
    /// Splits a remote URL; a URL that names no host (a local path) keeps only `url`.
    pub fn parse(url: &str) -> Self {
        let url = url.trim();
        let (host, path) = split_url(url).unwrap_or((None, ""));
        let mut segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let mut owner = None;
        let mut repo = None;
        if host.is_some()
            && let Some(last) = segments.pop()
        {
            let last = last.strip_suffix(".git").unwrap_or(last);
            repo = (!last.is_empty()).then(|| last.to_owned());
            owner = (!segments.is_empty()).then(|| segments.join("/"));
        }
        Self {
            url: without_credentials(url),
            host,
            owner,
            repo,
        }
    }

    /// The value of a `git.*` variable (`remote_url`, `remote_host`, `remote_owner`,
    /// `remote_repo`), when the URL has it.
    pub fn variable(&self, name: &str) -> Option<&str> {
        match name {
            "remote_url" => Some(&self.url),
            "remote_host" => self.host.as_deref(),
            "remote_owner" => self.owner.as_deref(),
            "remote_repo" => self.repo.as_deref(),
            _ => None,
        }
    }
}

/// `(host, path)` of a URL git understands; `None` for a local path.
fn split_url(url: &str) -> Option<(Option<String>, &str)> {
    if let Some((scheme, rest)) = url.split_once("://") {
        if scheme.eq_ignore_ascii_case("file") {
            return None;
        }
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        return Some((host_of(authority), path));
    }
    // scp-like `[user@]host:path`: git's rule is a colon before the first slash. A Windows
    // drive (`C:\repo`, `C:/repo`) is a path.
    let colon = url.find(':')?;
    if url.find('/').is_some_and(|slash| slash < colon) {
        return None;
    }
    let (authority, path) = (&url[..colon], &url[colon + 1..]);
    if authority.len() == 1 && authority.chars().all(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    Some((host_of(authority), path))
}

/// `url` without the secrets its user info may hold (see [`GitRemote::url`]).
fn without_credentials(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, path) = match rest.find('/') {
        Some(slash) => rest.split_at(slash),
        None => (rest, ""),
    };
    let Some((user_info, host)) = authority.rsplit_once('@') else {
        return url.to_owned();
    };
    let is_http = scheme.eq_ignore_ascii_case("https") || scheme.eq_ignore_ascii_case("http");
    match user_info.split_once(':') {
        _ if is_http => format!("{scheme}://{host}{path}"),
        Some((user, _password)) => format!("{scheme}://{user}@{host}{path}"),
        None => url.to_owned(),
    }
}

/// The host of `[user[:password]@]host[:port]`, lower case; `None` when empty.
fn host_of(authority: &str) -> Option<String> {
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = match host.strip_prefix('[') {
        // An IPv6 literal keeps its colons: `[::1]:22`.
        Some(v6) => v6.split_once(']').map_or(v6, |(h, _)| h),
        None => host.split_once(':').map_or(host, |(h, _)| h),
    };
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// The target repo's remote, as far as defaults are concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Remote {
    /// A repo pave is about to create (`pave new`): it has no remote yet.
    NewRepo,
    /// The folder is in no git repo, or its repo has no `origin`.
    NoOrigin { root: PathBuf },
    /// Not looked at: the answers are those a lock recorded, so no default is needed.
    NotRead,
    /// The `origin` remote.
    Origin(GitRemote),
}

impl Remote {
    /// The `origin` of the git repo that holds `dir` (the folder itself or a parent: a service in
    /// a monorepo is hosted where the monorepo is).
    pub fn of(dir: &Path) -> Self {
        match crate::git::discovered_origin_url(dir) {
            Some(url) => Self::Origin(GitRemote::parse(&url)),
            None => Self::NoOrigin {
                root: std::path::absolute(dir).unwrap_or_else(|_| dir.to_owned()),
            },
        }
    }

    /// The value of `git.<name>`, when the remote has it.
    pub fn variable(&self, name: &str) -> Option<&str> {
        match self {
            Self::Origin(remote) => remote.variable(name),
            _ => None,
        }
    }
}

/// Why a `git.*` variable has no value: the end of a sentence such as "its default reads
/// `git.remote_owner`, and …".
impl fmt::Display for Remote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NewRepo => f.write_str("a new repo has no git remote yet"),
            Self::NoOrigin { root } => {
                write!(f, "{} has no git remote `origin`", root.display())
            }
            Self::NotRead => f.write_str("the git remote was not read"),
            Self::Origin(remote) => write!(
                f,
                "the git remote `origin` ({}) does not say it",
                remote.url
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(url: &str) -> (Option<String>, Option<String>, Option<String>) {
        let r = GitRemote::parse(url);
        (r.host, r.owner, r.repo)
    }

    fn some(
        host: &str,
        owner: &str,
        repo: &str,
    ) -> (Option<String>, Option<String>, Option<String>) {
        (
            Some(host.into()),
            (!owner.is_empty()).then(|| owner.into()),
            Some(repo.into()),
        )
    }

    #[test]
    fn the_forms_git_accepts() {
        let cases = [
            (
                "https://github.com/octo-org/payments-api.git",
                some("github.com", "octo-org", "payments-api"),
            ),
            (
                "https://github.com/octo-org/payments-api",
                some("github.com", "octo-org", "payments-api"),
            ),
            (
                "https://github.com/octo-org/payments-api/",
                some("github.com", "octo-org", "payments-api"),
            ),
            (
                "https://user:token@GitHub.com:443/octo-org/payments-api.git",
                some("github.com", "octo-org", "payments-api"),
            ),
            (
                "http://git.example.com/octo-org/payments-api",
                some("git.example.com", "octo-org", "payments-api"),
            ),
            (
                "git@github.com:octo-org/payments-api.git",
                some("github.com", "octo-org", "payments-api"),
            ),
            (
                "github.com:octo-org/payments-api",
                some("github.com", "octo-org", "payments-api"),
            ),
            (
                "ssh://git@github.com/octo-org/payments-api.git",
                some("github.com", "octo-org", "payments-api"),
            ),
            (
                "ssh://git@gitlab.example.com:2222/octo-org/payments-api.git",
                some("gitlab.example.com", "octo-org", "payments-api"),
            ),
            (
                "git+ssh://git@github.com/octo-org/payments-api",
                some("github.com", "octo-org", "payments-api"),
            ),
            (
                "git://git.example.com/octo-org/payments-api.git",
                some("git.example.com", "octo-org", "payments-api"),
            ),
            (
                "ssh://git@[::1]:22/octo-org/payments-api.git",
                some("::1", "octo-org", "payments-api"),
            ),
            // GitLab subgroups: the owner is the namespace, the whole path before the project.
            (
                "https://gitlab.com/platform/payments/payments-api.git",
                some("gitlab.com", "platform/payments", "payments-api"),
            ),
            (
                "git@gitlab.com:platform/payments/payments-api.git",
                some("gitlab.com", "platform/payments", "payments-api"),
            ),
            // A host with the repo at its root names no owner.
            (
                "https://git.example.com/payments-api.git",
                some("git.example.com", "", "payments-api"),
            ),
        ];
        for (url, want) in cases {
            assert_eq!(parts(url), want, "{url}");
        }
    }

    #[test]
    fn the_url_keeps_no_credentials() {
        for (url, kept) in [
            (
                "https://x-access-token:ghs_secret@github.com/octo-org/payments-api.git",
                "https://github.com/octo-org/payments-api.git",
            ),
            (
                "https://ghp_secret@github.com/octo-org/payments-api",
                "https://github.com/octo-org/payments-api",
            ),
            (
                "ssh://git:secret@git.example.com:2222/octo-org/payments-api.git",
                "ssh://git@git.example.com:2222/octo-org/payments-api.git",
            ),
            (
                "ssh://git@github.com/octo-org/payments-api.git",
                "ssh://git@github.com/octo-org/payments-api.git",
            ),
            (
                "git@github.com:octo-org/payments-api.git",
                "git@github.com:octo-org/payments-api.git",
            ),
        ] {
            assert_eq!(GitRemote::parse(url).url, kept, "{url}");
        }
    }

    #[test]
    fn local_paths_name_no_host_or_owner() {
        for url in [
            "/srv/git/octo-org/payments-api.git",
            "../payments-api",
            "file:///srv/git/octo-org/payments-api.git",
            "C:\\repos\\payments-api",
            "C:/repos/payments-api",
            "./a:b",
            "",
        ] {
            assert_eq!(parts(url), (None, None, None), "{url}");
            assert_eq!(GitRemote::parse(url).url, url.trim());
        }
    }

    #[test]
    fn variables_by_name() {
        let remote = Remote::Origin(GitRemote::parse("git@github.com:octo-org/payments-api.git"));
        assert_eq!(remote.variable("remote_owner"), Some("octo-org"));
        assert_eq!(remote.variable("remote_repo"), Some("payments-api"));
        assert_eq!(remote.variable("remote_host"), Some("github.com"));
        assert_eq!(
            remote.variable("remote_url"),
            Some("git@github.com:octo-org/payments-api.git")
        );
        assert_eq!(remote.variable("remote_branch"), None);
        assert_eq!(Remote::NewRepo.variable("remote_owner"), None);
    }
}
