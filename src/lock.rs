//! The lock, `.pave/lock.yaml`: the repo's record of its paved path. One entry per golden path
//! applied, with the answers, the components and every rendered file's ownership and SHA-256, so
//! `pave check` can find drift offline from the lock alone.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::Digest as _;

use crate::answers::Answers;
use crate::manifest::Ownership;
use crate::render::Rendered;
use crate::repo_path::RepoPath;

/// Where the lock lives in a repo.
pub const LOCK_PATH: &str = ".pave/lock.yaml";
/// The lock's JSON Schema, written beside it so editors validate the lock offline.
pub const LOCK_SCHEMA_PATH: &str = ".pave/lock.schema.json";
/// The lock format this pave writes.
pub const LOCK_VERSION: u32 = 1;

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
    /// The catalog it came from (`builtin`, `dir:/path`, `git:url`).
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
}

/// SHA-256 of `bytes`, lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(bytes))
}

impl LockEntry {
    /// The entry recording a render.
    pub fn new(
        name: &str,
        version: &semver::Version,
        catalog: &str,
        answers: &Answers,
        components: &[String],
        rendered: &Rendered,
    ) -> Self {
        Self {
            name: name.to_owned(),
            version: version.clone(),
            catalog: catalog.to_owned(),
            answers: answers.clone(),
            components: components.to_vec(),
            files: rendered
                .files
                .values()
                .map(|f| LockedFile {
                    path: f.path.clone(),
                    ownership: f.ownership,
                    component: f.component.clone(),
                    sha256: sha256_hex(&f.bytes),
                })
                .collect(),
        }
    }
}

impl Lock {
    /// A lock for a repo that adopts its first golden path now.
    pub fn new(entry: LockEntry) -> Self {
        Self {
            lock_version: LOCK_VERSION,
            repo_id: uuid::Uuid::now_v7().to_string(),
            golden_paths: vec![entry],
        }
    }

    /// The lock file's text, with the `$schema` comment editors use.
    pub fn to_yaml(&self) -> String {
        format!(
            "# yaml-language-server: $schema=lock.schema.json\n# Written by pave; records this repo's golden paths. Do not edit by hand.\n{}",
            crate::yaml::to_string(self)
        )
    }

    /// Reads a lock; errors carry the line.
    pub fn parse(text: &str) -> Result<Self, crate::yaml::YamlError> {
        crate::yaml::from_str(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_round_trips_through_yaml() {
        let answers = Answers(
            [
                (
                    "team".to_owned(),
                    crate::answers::Value::String("pay".into()),
                ),
                ("replicas".to_owned(), crate::answers::Value::Integer(2)),
                ("canary".to_owned(), crate::answers::Value::Boolean(true)),
                (
                    "envs".to_owned(),
                    crate::answers::Value::List(vec!["prod".into()]),
                ),
                ("train".to_owned(), crate::answers::Value::String("".into())),
                (
                    "slo".to_owned(),
                    crate::answers::Value::String("99.9".into()),
                ),
            ]
            .into_iter()
            .collect(),
        );
        let mut entry = LockEntry::new(
            "gp",
            &"1.0.0".parse().unwrap(),
            "builtin",
            &answers,
            &["app".into()],
            &Rendered::default(),
        );
        entry.files.push(LockedFile {
            path: RepoPath::parse("src/main.rs").unwrap(),
            ownership: Ownership::Seeded,
            component: "app".into(),
            sha256: sha256_hex(b"x"),
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
}
