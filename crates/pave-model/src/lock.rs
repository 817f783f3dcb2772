//! The lock, `.pave/lock.yaml`: the repo's record of its paved path. One entry per golden path
//! applied, with the answers, the components and every rendered file's ownership and SHA-256, so
//! `pave check` can find drift offline from the lock alone.

use std::path::{Path, PathBuf};

use pave_base::yaml::YamlError;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::Digest as _;

use pave_base::repo_path::RepoPath;

use crate::manifest::Ownership;
use crate::parameter::Answers;
use crate::pin::Pin;

/// Where the lock lives in a repo.
pub const LOCK_PATH: &str = ".pave/lock.yaml";
/// The lock's JSON Schema, written beside it so editors validate the lock offline.
pub const LOCK_SCHEMA_PATH: &str = ".pave/lock.schema.json";
/// The newest lock format this pave reads and writes: 2, which adds the `pins` of a locked file.
/// A lock without pins is still written as 1, so an older pave reads it; one with pins is 2, so
/// an older pave says to install a newer one instead of tripping over an unknown field.
pub const LOCK_VERSION: u32 = 2;
/// The format of a lock that records no pins.
pub const LOCK_VERSION_WITHOUT_PINS: u32 = 1;
/// A lock larger than this is refused unread (a hostile repo could ship a huge one).
pub const MAX_LOCK_BYTES: u64 = 8 * 1024 * 1024;

/// Why a repo's lock cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("{path}: no lock; this repo has not adopted a golden path")]
    Missing { path: PathBuf },
    /// The repo folder itself is not there.
    #[error("{path} is not a folder")]
    NoRepo { path: PathBuf },
    #[error("cannot read {path}: {source}")]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: the lock is {size} bytes; pave refuses locks over {MAX_LOCK_BYTES} bytes")]
    TooLarge { path: PathBuf, size: u64 },
    /// A lock format this pave does not read (a newer pave wrote it).
    #[error("{path}:{line}: {}", unsupported_version(*found))]
    Unsupported {
        path: PathBuf,
        line: u64,
        found: u32,
    },
    #[error("{path}:{line}: {message}")]
    Invalid {
        path: PathBuf,
        line: u64,
        message: String,
    },
}

fn unsupported_version(found: u32) -> String {
    format!(
        "lock_version {found} is not one this pave reads (it reads {LOCK_VERSION_WITHOUT_PINS} to {LOCK_VERSION})"
    )
}

fn is_supported(version: u32) -> bool {
    (LOCK_VERSION_WITHOUT_PINS..=LOCK_VERSION).contains(&version)
}

/// The 1-based line of the `nth` line of `text` that `matches`, else of the last one that does,
/// else 1.
fn line_where(text: &str, matches: impl Fn(&str) -> bool, nth: usize) -> u64 {
    let found: Vec<usize> = text
        .lines()
        .enumerate()
        .filter(|(_, line)| matches(line))
        .map(|(i, _)| i + 1)
        .collect();
    found
        .get(nth.saturating_sub(1))
        .or(found.last())
        .map_or(1, |line| *line as u64)
}

/// What serde cannot check of a file's pins: a SHA-256, and rules pave can use.
fn check_pins(pins: &LockedPins, field: &str) -> Result<(), String> {
    if !is_sha256_hex(&pins.sha256) {
        return Err(format!(
            "{field}.pins.sha256: `{}` is not a SHA-256 (64 lower-case hex digits)",
            pins.sha256
        ));
    }
    for (k, rule) in pins.rules.iter().enumerate() {
        rule.check()
            .map_err(|e| format!("{field}.pins.rules[{k}]: {e}"))?;
    }
    Ok(())
}

/// Which golden path of the lock a command is about, when that is not clear.
#[derive(Debug, thiserror::Error)]
pub enum PickError {
    #[error("this repo has no golden path `{name}`; it has: {known}")]
    Unknown { name: String, known: String },
    #[error("this repo has several golden paths ({known}); name the one to upgrade")]
    Several { known: String },
}

/// `.pave/lock.yaml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "pave lock (.pave/lock.yaml)")]
pub struct Lock {
    /// Lock format version.
    pub lock_version: u32,
    /// Stable id of this repo, generated once when it first adopted a golden path (UUIDv7).
    pub repo_id: String,
    /// One entry per golden path applied to the repo.
    pub golden_paths: Vec<LockEntry>,
}

/// One golden path applied to the repo.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LockEntry {
    pub name: String,
    #[schemars(with = "String")]
    pub version: semver::Version,
    /// The catalog it came from, portably: `builtin`, `git:<URL>` (no credentials), or a name
    /// that config.toml's `[catalogs]` maps to a location; on one machine only, `git:<path>` or
    /// `dir:<path>` (absolute, or `~/…`). See `catalog_id`.
    pub catalog: String,
    /// Every parameter's answer, so later commands ask nothing they already know.
    pub answers: Answers,
    /// Components applied, in the manifest's order.
    pub components: Vec<String>,
    /// Every rendered file, sorted by path.
    pub files: Vec<LockedFile>,
}

/// A rendered file as pave wrote it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LockedFile {
    pub path: RepoPath,
    pub ownership: Ownership,
    pub component: String,
    /// SHA-256 of the rendered bytes, lower-case hex.
    pub sha256: String,
    /// The repo chose to keep its own version of this file (`pave apply --conflict=keep` or
    /// `write-new`): reported by `pave check`, not drift.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub diverged: bool,
    /// A reviewed, recorded tailoring of this managed file (`pave except`): the repo's version is
    /// accepted while its bytes are the ones recorded here, and `pave upgrade` carries it to the
    /// next version by a 3-way merge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exception: Option<Exception>,
    /// The pins the golden path declares in this (managed) file, as rendered: what lets
    /// `pave check` accept, offline, a file whose only change is pins moved forward.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pins: Option<LockedPins>,
}

/// The pins of a rendered file: how to find them, the render without them, and their values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LockedPins {
    /// The pins the golden path declares for the file (kind, and pattern for `regex`).
    pub rules: Vec<Pin>,
    /// SHA-256 of the rendered bytes with every pin value replaced by one NUL byte, lower-case
    /// hex: a file whose own text has this hash differs from the render only in its pins.
    pub sha256: String,
    /// The rendered text of every pin value, in the order they are found in the file (a
    /// `regex` pin with a `digest` group has two: its groups in the order they appear).
    pub values: Vec<String>,
}

/// A managed file the repo tailors on purpose, with the reason a reviewer accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Exception {
    /// Why the repo changes this file (shown wherever the file's state is shown).
    pub reason: String,
    /// SHA-256 of the tailored file (text as git stores it): any other content is drift.
    pub sha256: String,
    /// Lines the tailoring adds to the render.
    pub added: u32,
    /// Lines of the render the tailoring removes.
    pub removed: u32,
}

/// Longest exception reason kept (a paragraph, not a document: the lock is read in review).
pub const MAX_REASON_LEN: usize = 500;

impl Exception {
    /// A reason as the lock keeps it: one line of printable text, at most [`MAX_REASON_LEN`]
    /// bytes, without control or bidirectional-override characters (which could hide text
    /// from a reviewer or inject a CI log command). `Err` says what is wrong.
    pub fn check_reason(text: &str) -> Result<String, String> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err("must say why (it is empty)".into());
        }
        if trimmed.len() > MAX_REASON_LEN {
            return Err(format!(
                "at most {MAX_REASON_LEN} bytes (got {}); link to a ticket for the long story",
                trimmed.len()
            ));
        }
        let is_hidden = |c: char| {
            c.is_control()
                || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        };
        if trimmed.chars().any(is_hidden) {
            return Err("one line of text, without control or text-direction characters".into());
        }
        Ok(trimmed.to_owned())
    }

    /// `+3 -1`: the size of the tailoring against the render.
    pub fn size(&self) -> String {
        format!("+{} -{}", self.added, self.removed)
    }
}

/// Whether `s` is a SHA-256 as the lock writes it: 64 lower-case hex digits.
pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The lock's JSON Schema (`pave schema lock`, `schemas/lock.schema.json`), pretty-printed.
pub fn schema() -> String {
    pave_base::schema::of::<Lock>()
}

/// SHA-256 of `bytes`, lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(bytes))
}

impl Lock {
    /// A lock for a repo that adopts its first golden path now.
    pub fn new(entry: LockEntry) -> Self {
        let mut lock = Self {
            lock_version: LOCK_VERSION,
            repo_id: uuid::Uuid::now_v7().to_string(),
            golden_paths: vec![entry],
        };
        lock.lock_version = lock.format_version();
        lock
    }

    /// The oldest lock format that holds this lock: 2 when a file records pins, else 1.
    pub fn format_version(&self) -> u32 {
        let has_pins = self
            .golden_paths
            .iter()
            .flat_map(|e| &e.files)
            .any(|f| f.pins.is_some());
        if has_pins {
            LOCK_VERSION
        } else {
            LOCK_VERSION_WITHOUT_PINS
        }
    }

    /// The files pave keeps in a repo for its lock, in the order to write them (the lock last,
    /// so an interrupted write leaves the old lock in place): the lock's JSON Schema beside it
    /// (`.pave/lock.schema.json`, which editors validate against offline) and the lock itself.
    pub fn files(&self) -> [(RepoPath, Vec<u8>); 2] {
        [
            (
                RepoPath::parse(LOCK_SCHEMA_PATH).expect("a constant, valid repo path"),
                schema().into_bytes(),
            ),
            (
                RepoPath::parse(LOCK_PATH).expect("a constant, valid repo path"),
                self.to_yaml().into_bytes(),
            ),
        ]
    }

    /// The lock file's text, with the `$schema` comment editors use, in the oldest format that
    /// holds it ([`Lock::format_version`]).
    pub fn to_yaml(&self) -> String {
        let mut lock = self.clone();
        lock.lock_version = self.format_version();
        format!(
            "# yaml-language-server: $schema=lock.schema.json\n# Written by pave; records this repo's golden paths. Do not edit by hand.\n{}",
            pave_base::yaml::to_string(&lock)
        )
    }

    /// Reads a lock; errors carry the line.
    pub fn parse(text: &str) -> Result<Self, YamlError> {
        let lock = Self::parse_any_version(text)?;
        if !is_supported(lock.lock_version) {
            return Err(YamlError {
                line: pave_base::yaml::top_level_line(text, "lock_version"),
                message: unsupported_version(lock.lock_version),
            });
        }
        Ok(lock)
    }

    /// The lock in `text`, whatever its `lock_version`, with what serde cannot check: a UUID
    /// `repo_id`, one entry per golden path, one entry per file, SHA-256 hashes, and components
    /// the entry applied.
    fn parse_any_version(text: &str) -> Result<Self, YamlError> {
        let lock: Lock = pave_base::yaml::from_str(text)?;
        let at = |needle: &str, nth: usize, message: String| YamlError {
            line: line_where(text, |l| l.contains(needle), nth),
            message,
        };
        if uuid::Uuid::parse_str(&lock.repo_id).is_err() {
            return Err(at(
                "repo_id:",
                1,
                format!(
                    "repo_id: `{}` is not a UUID (pave writes one when a repo first adopts a golden path)",
                    lock.repo_id
                ),
            ));
        }
        let mut names = std::collections::BTreeSet::new();
        let mut paths = std::collections::BTreeSet::new();
        for (i, entry) in lock.golden_paths.iter().enumerate() {
            if let Err(e) = crate::catalog_id::CatalogId::parse(&entry.catalog) {
                let nth = lock.golden_paths[..i]
                    .iter()
                    .filter(|other| other.catalog == entry.catalog)
                    .count()
                    + 1;
                return Err(YamlError {
                    line: line_where(
                        text,
                        |l| {
                            let l = l.trim_start().trim_start_matches("- ");
                            l.starts_with("catalog:") && l.contains(entry.catalog.trim())
                        },
                        nth,
                    ),
                    message: format!(
                        "golden_paths[{i}].catalog: {e}; pave writes `builtin`, `git:<URL>` or a catalog name"
                    ),
                });
            }
            if !names.insert(entry.name.as_str()) {
                return Err(at(
                    &format!("name: {}", entry.name),
                    2,
                    format!(
                        "golden_paths[{i}].name: `{}` is listed twice; a lock has one entry per golden path",
                        entry.name
                    ),
                ));
            }
            for (j, file) in entry.files.iter().enumerate() {
                let field = format!("golden_paths[{i}].files[{j}]");
                if !is_sha256_hex(&file.sha256) {
                    return Err(at(
                        &format!("sha256: {}", file.sha256),
                        1,
                        format!(
                            "{field}.sha256: `{}` is not a SHA-256 (64 lower-case hex digits)",
                            file.sha256
                        ),
                    ));
                }
                if let Some(pins) = &file.pins {
                    check_pins(pins, &field)
                        .map_err(|message| at(&format!("path: {}", file.path), 1, message))?;
                }
                if let Some(exception) = &file.exception {
                    if let Err(why) = Exception::check_reason(&exception.reason) {
                        return Err(at(
                            "reason:",
                            1,
                            format!(
                                "{field}.exception.reason: {why}; record the exception again with `pave except {} --reason \"…\"`",
                                file.path
                            ),
                        ));
                    }
                    if !is_sha256_hex(&exception.sha256) {
                        return Err(at(
                            &format!("sha256: {}", exception.sha256),
                            1,
                            format!(
                                "{field}.exception.sha256: `{}` is not a SHA-256 (64 lower-case hex digits); record the exception again with `pave except {}`",
                                exception.sha256, file.path
                            ),
                        ));
                    }
                    if file.ownership != Ownership::Managed || file.diverged {
                        return Err(at(
                            file.path.as_str(),
                            1,
                            format!(
                                "{field}.exception: only a managed file pave still owns can have an exception (this one is {}{})",
                                file.ownership,
                                if file.diverged { ", diverged" } else { "" }
                            ),
                        ));
                    }
                }
                if !entry.components.contains(&file.component) {
                    return Err(at(
                        file.path.as_str(),
                        1,
                        format!(
                            "{field}.component: `{}` is not one of the components the entry applied ({})",
                            file.component,
                            entry.components.join(", ")
                        ),
                    ));
                }
                if !paths.insert(file.path.as_str()) {
                    return Err(at(
                        file.path.as_str(),
                        2,
                        format!(
                            "{field}.path: `{}` is listed twice; a file belongs to one golden path",
                            file.path
                        ),
                    ));
                }
            }
        }
        Ok(lock)
    }

    /// Reads the lock of the repo at `root`, refusing a symlinked or oversized one.
    pub fn read(root: &Path) -> Result<Self, LockError> {
        let path = root.join(LOCK_PATH);
        let meta = match std::fs::symlink_metadata(&path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if !root.is_dir() {
                    return Err(LockError::NoRepo {
                        path: root.to_owned(),
                    });
                }
                return Err(LockError::Missing { path });
            }
            Err(source) => return Err(LockError::Unreadable { path, source }),
        };
        if !meta.is_file() {
            let source = std::io::Error::other("not a regular file (a symbolic link or a folder)");
            return Err(LockError::Unreadable { path, source });
        }
        if meta.len() > MAX_LOCK_BYTES {
            return Err(LockError::TooLarge {
                path,
                size: meta.len(),
            });
        }
        let bytes = std::fs::read(&path).map_err(|source| LockError::Unreadable {
            path: path.clone(),
            source,
        })?;
        let text = pave_base::yaml::text_of(bytes).map_err(|e| LockError::Invalid {
            path: path.clone(),
            line: e.line,
            message: e.message,
        })?;
        let lock = Self::parse_any_version(&text).map_err(|e| LockError::Invalid {
            path: path.clone(),
            line: e.line,
            message: e.message,
        })?;
        if !is_supported(lock.lock_version) {
            return Err(LockError::Unsupported {
                line: pave_base::yaml::top_level_line(&text, "lock_version"),
                path,
                found: lock.lock_version,
            });
        }
        Ok(lock)
    }

    /// The entry of the golden path `name`, if the repo applied it.
    pub fn entry(&self, name: &str) -> Option<&LockEntry> {
        self.golden_paths.iter().find(|e| e.name == name)
    }

    /// The entry of the golden path `name`; without a name, the lock's only entry.
    pub fn pick(&self, name: Option<&str>) -> Result<&LockEntry, PickError> {
        let known = || {
            self.golden_paths
                .iter()
                .map(|e| e.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        match name {
            Some(name) => self.entry(name).ok_or_else(|| PickError::Unknown {
                name: name.to_owned(),
                known: known(),
            }),
            None => match self.golden_paths.as_slice() {
                [one] => Ok(one),
                _ => Err(PickError::Several { known: known() }),
            },
        }
    }

    /// The entry (other than `except`) that records `path`, if any.
    pub fn owner_of(&self, path: &RepoPath, except: &str) -> Option<&LockEntry> {
        self.golden_paths
            .iter()
            .filter(|e| e.name != except)
            .find(|e| e.files.iter().any(|f| f.path == *path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parameter::Value;

    #[test]
    fn lock_round_trips_through_yaml() {
        let answers = Answers(
            [
                ("team".to_owned(), Value::String("pay".into())),
                ("replicas".to_owned(), Value::Integer(2)),
                ("canary".to_owned(), Value::Boolean(true)),
                ("envs".to_owned(), Value::List(vec!["prod".into()])),
                ("train".to_owned(), Value::String("".into())),
                ("slo".to_owned(), Value::String("99.9".into())),
            ]
            .into_iter()
            .collect(),
        );
        let mut entry = LockEntry {
            name: "gp".into(),
            version: "1.0.0".parse().unwrap(),
            catalog: "builtin".into(),
            answers,
            components: vec!["app".into()],
            files: Vec::new(),
        };
        entry.files.push(LockedFile {
            path: RepoPath::parse("src/main.rs").unwrap(),
            ownership: Ownership::Seeded,
            component: "app".into(),
            sha256: sha256_hex(b"x"),
            diverged: true,
            exception: None,
            pins: None,
        });
        let lock = Lock::new(entry);
        let text = lock.to_yaml();
        assert_eq!(Lock::parse(&text).unwrap(), lock, "{text}");
    }

    #[test]
    fn lock_with_escaping_path_is_refused() {
        let text = "lock_version: 1\nrepo_id: x\ngolden_paths:\n- name: gp\n  version: 1.0.0\n  catalog: builtin\n  answers: {}\n  components: []\n  files:\n  - {path: ../x, ownership: managed, component: app, sha256: ab}\n";
        let err = Lock::parse(text).unwrap_err();
        assert_eq!(err.line, 10, "{}", err.message);
    }

    /// A lock of one golden path `gp` (component `app`) with `a.txt` and `b.txt`, as text.
    fn two_file_lock() -> String {
        let file = |path: &str| LockedFile {
            path: RepoPath::parse(path).unwrap(),
            ownership: Ownership::Managed,
            component: "app".into(),
            sha256: sha256_hex(path.as_bytes()),
            diverged: false,
            exception: None,
            pins: None,
        };
        Lock::new(LockEntry {
            name: "gp".into(),
            version: "1.0.0".parse().unwrap(),
            catalog: "builtin".into(),
            answers: Answers::default(),
            components: vec!["app".into()],
            files: vec![file("a.txt"), file("b.txt")],
        })
        .to_yaml()
    }

    fn line_of(text: &str, needle: &str) -> u64 {
        text.lines().position(|l| l.contains(needle)).unwrap() as u64 + 1
    }

    #[test]
    fn what_serde_cannot_check_is_refused_with_field_and_line() {
        let text = two_file_lock();
        Lock::parse(&text).unwrap();

        let bad = text.replacen(&sha256_hex(b"b.txt"), "zz", 1);
        let e = Lock::parse(&bad).unwrap_err();
        assert_eq!(e.line, line_of(&bad, "sha256: zz"), "{}", e.message);
        assert!(
            e.message
                .starts_with("golden_paths[0].files[1].sha256: `zz` is not a SHA-256"),
            "{}",
            e.message
        );

        let bad = text.replace("path: b.txt", "path: a.txt");
        let e = Lock::parse(&bad).unwrap_err();
        assert!(
            e.message
                .starts_with("golden_paths[0].files[1].path: `a.txt` is listed twice"),
            "{}",
            e.message
        );
        let second = bad
            .lines()
            .enumerate()
            .filter(|(_, l)| l.contains("path: a.txt"))
            .nth(1);
        assert_eq!(e.line, second.unwrap().0 as u64 + 1, "{}", e.message);

        let bad = text.replacen("component: app", "component: nosuch", 1);
        let e = Lock::parse(&bad).unwrap_err();
        assert!(e.message.starts_with("golden_paths[0].files[0].component: `nosuch` is not one of the components the entry applied (app)"), "{}", e.message);

        let repo_id = text.lines().find(|l| l.starts_with("repo_id:")).unwrap();
        let bad = text.replace(repo_id, "repo_id: 42");
        let e = Lock::parse(&bad).unwrap_err();
        assert_eq!(e.line, line_of(&bad, "repo_id: 42"));
        assert!(
            e.message.starts_with("repo_id: `42` is not a UUID"),
            "{}",
            e.message
        );

        let bad = text.replace("lock_version: 1", "lock_version: 7");
        let e = Lock::parse(&bad).unwrap_err();
        assert_eq!(e.line, line_of(&bad, "lock_version: 7"));
        assert!(
            e.message
                .contains("lock_version 7 is not one this pave reads"),
            "{}",
            e.message
        );
    }

    #[test]
    fn a_catalog_that_names_no_catalog_is_refused_at_its_line() {
        let text = two_file_lock();
        let bad = text.replace("catalog: builtin", "catalog: svn:/x");
        let e = Lock::parse(&bad).unwrap_err();
        assert_eq!(e.line, line_of(&bad, "catalog: svn:/x"), "{}", e.message);
        assert!(
            e.message
                .starts_with("golden_paths[0].catalog: `svn:/x` is not a catalog: "),
            "{}",
            e.message
        );
        for good in ["platform", "git:https://example.com/gp.git", "dir:/srv/gp"] {
            Lock::parse(&text.replace("catalog: builtin", &format!("catalog: {good}"))).unwrap();
        }
    }

    #[test]
    fn a_golden_path_listed_twice_is_refused_at_its_second_entry() {
        let text = two_file_lock();
        let start = text.find("- name: gp").unwrap();
        let entry = text[start..]
            .replace("a.txt", "c.txt")
            .replace("b.txt", "d.txt");
        let bad = format!("{text}{entry}");
        let e = Lock::parse(&bad).unwrap_err();
        assert!(
            e.message
                .starts_with("golden_paths[1].name: `gp` is listed twice"),
            "{}",
            e.message
        );
        let second = bad
            .lines()
            .enumerate()
            .filter(|(_, l)| l.contains("name: gp"))
            .nth(1)
            .unwrap()
            .0 as u64
            + 1;
        assert_eq!(e.line, second);
    }

    fn pinned_lock() -> Lock {
        let mut lock = Lock::parse(&two_file_lock()).unwrap();
        lock.golden_paths[0].files[0].pins = Some(LockedPins {
            rules: vec![Pin {
                kind: crate::pin::PinKind::Regex,
                pattern: Some("v(?P<version>[0-9.]+)".into()),
            }],
            sha256: sha256_hex(b"skeleton"),
            values: vec!["1.2.3".into()],
        });
        lock
    }

    #[test]
    fn a_lock_with_pins_is_written_as_version_2_and_one_without_as_1() {
        assert!(two_file_lock().contains("lock_version: 1\n"));
        let lock = pinned_lock();
        let text = lock.to_yaml();
        assert!(text.contains("lock_version: 2\n"), "{text}");
        let read = Lock::parse(&text).unwrap();
        assert_eq!(read.golden_paths, lock.golden_paths);
        assert_eq!(read.lock_version, 2);
    }

    #[test]
    fn bad_pins_in_a_lock_are_refused_with_field_and_line() {
        let text = pinned_lock().to_yaml();
        let bad = text.replacen(&sha256_hex(b"skeleton"), "nothex", 1);
        let e = Lock::parse(&bad).unwrap_err();
        assert!(
            e.message
                .starts_with("golden_paths[0].files[0].pins.sha256: `nothex` is not a SHA-256"),
            "{}",
            e.message
        );
        assert_eq!(e.line, line_of(&bad, "path: a.txt"));
        let bad = text.replace("(?P<version>", "(?P<v>");
        let e = Lock::parse(&bad).unwrap_err();
        assert!(
            e.message
                .starts_with("golden_paths[0].files[0].pins.rules[0]: `pattern` has"),
            "{}",
            e.message
        );
    }
}
