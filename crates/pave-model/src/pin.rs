//! Pins: values in a managed file that a dependency bot (Dependabot, Renovate) may move forward
//! without the file drifting, as a golden path declares them (`pins:` in `golden-path.yaml`) and
//! as the lock records them (`pins:` of a locked file).
//!
//! A pin is declared by its kind: four built-in kinds for what the bots update (GitHub Actions
//! `uses:`, GitLab CI images, Dockerfile `FROM`, Terraform `required_providers` versions) and a
//! `regex` kind whose `version` group (and optional `digest` group) names the value. Finding pins
//! in a file and judging their moves is the engine's (`pave_engine::pins`); this module holds
//! the declarations and checks that they can be used.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The named group of a `regex` pin that holds the version.
pub const VERSION_GROUP: &str = "version";
/// The optional named group of a `regex` pin that holds a digest or commit that moves with the
/// version.
pub const DIGEST_GROUP: &str = "digest";

/// What kind of value a pin is, which says where pave finds it and how it compares versions.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum PinKind {
    /// A GitHub Actions step `uses: owner/repo[/path]@<sha or tag>`, with its `# vX.Y.Z` comment
    /// when the reference is a commit SHA (Dependabot moves both together).
    GithubAction,
    /// A GitLab CI image: `image: name:tag`, `image: {name: …}`, and `services:` entries.
    GitlabCiImage,
    /// A Dockerfile base image: `FROM name:tag[@sha256:digest]`.
    DockerfileFrom,
    /// A Terraform provider's `version = "…"` inside `required_providers { … }`.
    TerraformProvider,
    /// The `version` group (and the optional `digest` group) of every match of `pattern`.
    Regex,
}

impl PinKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::GithubAction => "github-action",
            Self::GitlabCiImage => "gitlab-ci-image",
            Self::DockerfileFrom => "dockerfile-from",
            Self::TerraformProvider => "terraform-provider",
            Self::Regex => "regex",
        }
    }
}

impl fmt::Display for PinKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One kind of pin, with its pattern when the kind is `regex`: what a manifest's pin rule
/// declares for the files its glob matches, and what the lock records for each file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Pin {
    pub kind: PinKind,
    /// For kind `regex`: a regular expression with a named group `version` (and optionally
    /// `digest`); `(?m)` makes `^`/`$` match at lines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
}

impl Pin {
    /// Checks what serde cannot: a `regex` pin has a pattern that compiles and has a `version`
    /// group; other kinds have no pattern. The error says what is wrong, without the place.
    pub fn check(&self) -> Result<(), String> {
        match (self.kind, &self.pattern) {
            (PinKind::Regex, None) => {
                Err("kind `regex` needs a `pattern` with a named group `version`".into())
            }
            (PinKind::Regex, Some(pattern)) => compile(pattern).map(|_| ()),
            (kind, Some(_)) => Err(format!(
                "`pattern` applies to kind `regex` only, not to `{kind}`"
            )),
            (_, None) => Ok(()),
        }
    }
}

/// Compiles a `regex` pin's pattern, refusing one without a `version` group or with a group
/// name pave does not know (a typo such as `verison` would silently pin nothing).
pub fn compile(pattern: &str) -> Result<regex_lite::Regex, String> {
    let regex = regex_lite::Regex::new(pattern).map_err(|e| format!("bad `pattern`: {e}"))?;
    let names: Vec<&str> = regex.capture_names().flatten().collect();
    if !names.contains(&VERSION_GROUP) {
        return Err(format!(
            "`pattern` has no named group `{VERSION_GROUP}`: write the version as (?P<{VERSION_GROUP}>…)"
        ));
    }
    if let Some(other) = names
        .iter()
        .find(|n| **n != VERSION_GROUP && **n != DIGEST_GROUP)
    {
        return Err(format!(
            "`pattern` has a named group `{other}`; a pin knows `{VERSION_GROUP}` and `{DIGEST_GROUP}` only (use (?:…) for other groups)"
        ));
    }
    Ok(regex)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn regex(pattern: &str) -> Pin {
        Pin {
            kind: PinKind::Regex,
            pattern: Some(pattern.into()),
        }
    }

    #[test]
    fn a_regex_pin_needs_a_compiling_pattern_with_a_version_group() {
        assert!(regex(r"tool@(?P<version>\d+(?:\.\d+)*)").check().is_ok());
        assert!(
            regex(r"v(?P<version>\d+)@(?P<digest>[0-9a-f]+)")
                .check()
                .is_ok()
        );
        let no_group = regex(r"tool@\d+").check().unwrap_err();
        assert!(no_group.contains("no named group `version`"), "{no_group}");
        let bad = regex(r"tool@(?P<version>\d+").check().unwrap_err();
        assert!(bad.starts_with("bad `pattern`"), "{bad}");
        let typo = regex(r"(?P<verison>\d+)(?P<version>x)")
            .check()
            .unwrap_err();
        assert!(typo.contains("`verison`"), "{typo}");
        let none = Pin {
            kind: PinKind::Regex,
            pattern: None,
        };
        assert!(none.check().unwrap_err().contains("needs a `pattern`"));
    }

    #[test]
    fn a_pattern_on_a_built_in_kind_is_refused() {
        let pin = Pin {
            kind: PinKind::DockerfileFrom,
            pattern: Some("x".into()),
        };
        assert!(
            pin.check()
                .unwrap_err()
                .contains("not to `dockerfile-from`")
        );
    }
}
