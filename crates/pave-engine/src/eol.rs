//! Line endings the way git sees them. pave renders text with LF and records hashes of that; a
//! checkout may hold the same text with CRLF (`core.autocrlf=true`, the default of Git for
//! Windows and of GitHub's Windows runners, or `eol=crlf` in `.gitattributes`). Comparing bytes
//! as they lie in the work tree would call every such file edited, so pave compares text as git
//! stores it ([`Checkout::to_git`]) and writes it as the checkout does ([`Checkout::to_worktree`]).
//! Binary files (`-text`, `binary`, or a NUL byte where git would guess) stay byte-exact.
//!
//! The rules are git's, simplified to what decides a file's line endings: the `text` and `eol`
//! attributes, then `core.autocrlf`, then `core.eol`.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use pave_base::repo_path::RepoPath;

/// How git guesses text when asked to (`text=auto`, `core.autocrlf`): no NUL byte in the first
/// 8,000 bytes, as git does.
const SNIFF_BYTES: usize = 8000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AutoCrlf {
    False,
    True,
    Input,
}

/// The conversions of the git checkout that holds a folder; none when it is not in one.
pub struct Checkout {
    repo: Option<git2::Repository>,
    /// The folder's place in the work tree (`""` at its root), for attribute lookups.
    prefix: PathBuf,
    autocrlf: AutoCrlf,
    /// `core.eol=crlf`.
    is_eol_crlf: bool,
}

impl Checkout {
    /// The checkout whose work tree holds `root`; a folder outside git converts nothing.
    pub fn of(root: &Path) -> Self {
        let repo = git2::Repository::discover(root)
            .ok()
            .filter(|repo| !repo.is_bare());
        let prefix = repo
            .as_ref()
            .and_then(|repo| {
                let workdir = std::fs::canonicalize(repo.workdir()?).ok()?;
                let root = std::fs::canonicalize(root).ok()?;
                root.strip_prefix(workdir).ok().map(Path::to_owned)
            })
            .unwrap_or_default();
        let config = repo.as_ref().and_then(|repo| repo.config().ok());
        let setting = |name: &str| {
            config
                .as_ref()
                .and_then(|c| c.get_string(name).ok())
                .map(|v| v.to_ascii_lowercase())
        };
        let autocrlf = match setting("core.autocrlf").as_deref() {
            Some("true" | "yes" | "on" | "1") => AutoCrlf::True,
            Some("input") => AutoCrlf::Input,
            _ => AutoCrlf::False,
        };
        let is_eol_crlf = setting("core.eol").as_deref() == Some("crlf");
        Self {
            repo,
            prefix,
            autocrlf,
            is_eol_crlf,
        }
    }

    /// An attribute of `path` from `.gitattributes` (and `info/attributes`).
    fn attr(&self, path: &RepoPath, name: &str) -> git2::AttrValue<'static> {
        let Some(repo) = &self.repo else {
            return git2::AttrValue::Unspecified;
        };
        let at = self.prefix.join(path.as_str());
        match repo.get_attr(&at, name, git2::AttrCheckFlags::FILE_THEN_INDEX) {
            Ok(Some(value)) => match git2::AttrValue::from_string(Some(value)) {
                git2::AttrValue::True => git2::AttrValue::True,
                git2::AttrValue::False => git2::AttrValue::False,
                git2::AttrValue::Unspecified => git2::AttrValue::Unspecified,
                _ => match value {
                    "auto" => git2::AttrValue::String("auto"),
                    "crlf" => git2::AttrValue::String("crlf"),
                    "lf" => git2::AttrValue::String("lf"),
                    _ => git2::AttrValue::Unspecified,
                },
            },
            _ => git2::AttrValue::Unspecified,
        }
    }

    /// Whether git converts the line endings of `path` holding `bytes`.
    fn is_text(&self, path: &RepoPath, bytes: &[u8]) -> bool {
        if self.repo.is_none() {
            return false;
        }
        let looks_text = || !bytes[..bytes.len().min(SNIFF_BYTES)].contains(&0);
        match self.attr(path, "text") {
            git2::AttrValue::True => true,
            git2::AttrValue::False => false,
            git2::AttrValue::String("auto") => looks_text(),
            _ => match self.attr(path, "eol") {
                git2::AttrValue::String(_) => true,
                _ => self.autocrlf != AutoCrlf::False && looks_text(),
            },
        }
    }

    /// Whether the work tree holds `path`'s text with CRLF.
    fn is_crlf_out(&self, path: &RepoPath) -> bool {
        match self.attr(path, "eol") {
            git2::AttrValue::String("crlf") => true,
            git2::AttrValue::String("lf") => false,
            _ => match self.autocrlf {
                AutoCrlf::True => true,
                AutoCrlf::Input => false,
                AutoCrlf::False => self.is_eol_crlf,
            },
        }
    }

    /// `bytes` of the work tree's `path` as git stores them: CRLF → LF for text.
    pub fn to_git<'a>(&self, path: &RepoPath, bytes: &'a [u8]) -> Cow<'a, [u8]> {
        if !bytes.windows(2).any(|w| w == b"\r\n") || !self.is_text(path, bytes) {
            return Cow::Borrowed(bytes);
        }
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
                i += 1;
                continue;
            }
            out.push(bytes[i]);
            i += 1;
        }
        Cow::Owned(out)
    }

    /// A regular file's bytes below `root` as git stores them; `None` when missing or not a
    /// regular file.
    pub fn read_as_git(&self, root: &Path, path: &RepoPath) -> Option<Vec<u8>> {
        let bytes = path.read_regular_under(root)?;
        Some(match self.to_git(path, &bytes) {
            Cow::Borrowed(_) => bytes,
            Cow::Owned(converted) => converted,
        })
    }

    /// `bytes` (LF, as pave renders and git stores) as this checkout writes `path`: LF → CRLF
    /// for text it checks out with CRLF.
    pub fn to_worktree<'a>(&self, path: &RepoPath, bytes: &'a [u8]) -> Cow<'a, [u8]> {
        if !bytes.contains(&b'\n') || !self.is_text(path, bytes) || !self.is_crlf_out(path) {
            return Cow::Borrowed(bytes);
        }
        let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 32);
        for (i, byte) in bytes.iter().enumerate() {
            if *byte == b'\n' && (i == 0 || bytes[i - 1] != b'\r') {
                out.push(b'\r');
            }
            out.push(*byte);
        }
        Cow::Owned(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo(config: &[(&str, &str)], attributes: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let repo = git2::Repository::init(dir.path()).unwrap();
        let mut cfg = repo.config().unwrap();
        for (key, value) in config {
            cfg.set_str(key, value).unwrap();
        }
        std::fs::write(dir.path().join(".gitattributes"), attributes).unwrap();
        dir
    }

    fn path(p: &str) -> RepoPath {
        RepoPath::parse(p).unwrap()
    }

    #[test]
    fn autocrlf_true_reads_and_writes_crlf_text_and_leaves_binaries() {
        let dir = repo(&[("core.autocrlf", "true")], "*.bin binary\n");
        let co = Checkout::of(dir.path());
        assert_eq!(&*co.to_git(&path("a.txt"), b"a\r\nb\r\n"), b"a\nb\n");
        assert_eq!(&*co.to_worktree(&path("a.txt"), b"a\nb\n"), b"a\r\nb\r\n");
        assert_eq!(&*co.to_worktree(&path("a.txt"), b"a\r\nb\n"), b"a\r\nb\r\n");
        assert_eq!(&*co.to_git(&path("x.bin"), b"a\r\nb"), b"a\r\nb");
        assert_eq!(&*co.to_worktree(&path("x.bin"), b"a\nb"), b"a\nb");
        // A NUL byte makes git's guess "binary".
        assert_eq!(&*co.to_git(&path("a.dat"), b"\0a\r\n"), b"\0a\r\n");
    }

    #[test]
    fn input_normalises_on_the_way_in_only() {
        let dir = repo(&[("core.autocrlf", "input")], "");
        let co = Checkout::of(dir.path());
        assert_eq!(&*co.to_git(&path("a.txt"), b"a\r\n"), b"a\n");
        assert_eq!(&*co.to_worktree(&path("a.txt"), b"a\n"), b"a\n");
    }

    #[test]
    fn attributes_decide_before_the_config() {
        let dir = repo(&[], "*.cmd text eol=crlf\n*.sh text eol=lf\n*.txt -text\n");
        let co = Checkout::of(dir.path());
        assert_eq!(&*co.to_worktree(&path("run.cmd"), b"a\n"), b"a\r\n");
        assert_eq!(&*co.to_git(&path("run.cmd"), b"a\r\n"), b"a\n");
        assert_eq!(&*co.to_worktree(&path("run.sh"), b"a\n"), b"a\n");
        assert_eq!(&*co.to_git(&path("a.txt"), b"a\r\n"), b"a\r\n");
        // No attribute, no autocrlf: bytes as they are.
        assert_eq!(&*co.to_git(&path("b.md"), b"a\r\n"), b"a\r\n");
    }

    #[test]
    fn outside_git_nothing_is_converted() {
        let dir = tempfile::tempdir().unwrap();
        let co = Checkout::of(dir.path());
        assert_eq!(&*co.to_git(&path("a.txt"), b"a\r\n"), b"a\r\n");
        assert_eq!(&*co.to_worktree(&path("a.txt"), b"a\n"), b"a\n");
    }
}
