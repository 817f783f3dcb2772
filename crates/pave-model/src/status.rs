//! The vocabulary of conformance that check, audit, the gates and the registry share: how far a
//! repo's golden-path version is behind ([`Lag`]: its wire name, its words and its colour on the
//! HTML pages, [`lag_class`]) and where a repo stands in an audit ([`RepoStatus`]). One definition
//! each, so every report, page and the registry's API say the same.

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

    /// How a report names it beside a version and in a chart's legend: `newest`, `patch behind`,
    /// `minor behind`, `major behind` (`1.1.0 (minor behind)`).
    pub fn label(self) -> &'static str {
        match self {
            Self::None => "newest",
            Self::Patch => "patch behind",
            Self::Minor => "minor behind",
            Self::Major => "major behind",
        }
    }

    /// As words of a sentence: `on the newest`, `a patch behind`, `a minor version behind`, `a
    /// major version behind` (`3 repos are a minor version behind`).
    pub fn words(self) -> &'static str {
        match self {
            Self::None => "on the newest",
            Self::Patch => "a patch behind",
            Self::Minor => "a minor version behind",
            Self::Major => "a major version behind",
        }
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

/// The class of a lag's colour in the HTML pages' stylesheet (`pave_base::html::STYLE`): green on
/// the newest, through blue and orange, to red a major version behind; grey when the lag is
/// unknown (the catalog or registry does not know the golden path's newest version).
pub fn lag_class(lag: Option<Lag>) -> &'static str {
    match lag {
        Some(Lag::None) => "v0",
        Some(Lag::Patch) => "v1",
        Some(Lag::Minor) => "v2",
        Some(Lag::Major) => "v3",
        None => "vx",
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
    /// As conforming, with managed files tailored by recorded exceptions (`pave except`) or kept
    /// by choice (`--conflict=keep`): "conforming with exceptions", never plain conforming.
    Excepted,
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
    pub const ALL: [RepoStatus; 6] = [
        Self::Conforming,
        Self::Excepted,
        Self::Outdated,
        Self::Drifted,
        Self::Unadopted,
        Self::Error,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Conforming => "conforming",
            Self::Excepted => "excepted",
            Self::Outdated => "outdated",
            Self::Drifted => "drifted",
            Self::Unadopted => "unadopted",
            Self::Error => "error",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == s)
    }

    /// How reports and pages name it: the wire name, except `conforming with exceptions`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Excepted => "conforming with exceptions",
            other => other.as_str(),
        }
    }

    /// Whether the repo's golden paths pass `pave check` (`None`: the audit cannot say).
    pub fn is_conforming(self) -> Option<bool> {
        match self {
            Self::Conforming | Self::Excepted | Self::Outdated => Some(true),
            Self::Drifted => Some(false),
            Self::Unadopted | Self::Error => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_lag_has_its_own_words_and_colour() {
        let classes: Vec<&str> = Lag::ALL.iter().map(|lag| lag_class(Some(*lag))).collect();
        assert_eq!(classes, ["v0", "v1", "v2", "v3"]);
        assert_eq!(lag_class(None), "vx");
        let labels: Vec<&str> = Lag::ALL.iter().map(|lag| lag.label()).collect();
        assert_eq!(
            labels,
            ["newest", "patch behind", "minor behind", "major behind"]
        );
        assert_eq!(Lag::Minor.words(), "a minor version behind");
    }
}
