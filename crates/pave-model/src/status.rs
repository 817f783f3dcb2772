//! The vocabulary of conformance that check, audit, the gates and the registry share: how far a
//! repo's golden-path version is behind ([`Lag`]) and where a repo stands in an audit
//! ([`RepoStatus`]). One definition each, so every report and the registry's API say the same.

use serde::{Deserialize, Serialize};

/// How far a golden path's version is behind the catalog's newest.
/// Ordered from none to major: `lag >= Lag::Minor` reads as "at least a minor version behind".
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Lag {
    None,
    Patch,
    Minor,
    Major,
}

impl Lag {
    pub const ALL: [Lag; 4] = [Self::None, Self::Patch, Self::Minor, Self::Major];

    /// The wire and storage form, as serde writes it: `none`, `patch`, `minor`, `major`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Patch => "patch",
            Self::Minor => "minor",
            Self::Major => "major",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|lag| lag.as_str() == s)
    }

    pub fn between(current: &semver::Version, latest: &semver::Version) -> Self {
        if latest <= current {
            Self::None
        } else if latest.major != current.major {
            Self::Major
        } else if latest.minor != current.minor {
            Self::Minor
        } else {
            Self::Patch
        }
    }
}

/// Where a repo stands.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
// The registry's API documents it under the name its events use.
#[schemars(rename = "AuditStatus")]
pub enum RepoStatus {
    /// On its golden paths' newest versions, no drift.
    Conforming,
    /// Behind the newest version of a golden path, no drift.
    Outdated,
    /// A managed file edited or deleted, or a lock that does not add up (wins over outdated).
    Drifted,
    /// No lock: not on a paved path.
    Unadopted,
    /// Unreadable: no readable HEAD, a corrupt or hostile lock, an I/O error.
    Error,
}

impl RepoStatus {
    pub const ALL: [RepoStatus; 5] = [
        Self::Conforming,
        Self::Outdated,
        Self::Drifted,
        Self::Unadopted,
        Self::Error,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Conforming => "conforming",
            Self::Outdated => "outdated",
            Self::Drifted => "drifted",
            Self::Unadopted => "unadopted",
            Self::Error => "error",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == s)
    }

    /// Whether the repo's golden paths pass `pave check` (`None`: the audit cannot say).
    pub fn is_conforming(self) -> Option<bool> {
        match self {
            Self::Conforming | Self::Outdated => Some(true),
            Self::Drifted => Some(false),
            Self::Unadopted | Self::Error => None,
        }
    }
}
