//! The golden-path manifest (`golden-path.yaml`): its types, parsing and the checks that make a
//! manifest usable before anything is rendered.
//!
//! Parsing is two steps: serde-saphyr turns YAML into these types (syntax and shape errors carry
//! the line), then [`Manifest::validate`] checks what serde cannot (a default of the wrong type,
//! a bad regex, an unknown component) and names the parameter and its line.

use std::fmt;

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;

use pave_base::yaml;

use crate::parameter::{Parameter, Value};
use crate::pin::{Pin, PinKind};

/// The only manifest format this version of pave reads.
pub const API_VERSION: &str = "pave.dev/v1";

/// A golden path's manifest, as written in `golden-path.yaml`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "pave golden-path manifest")]
pub struct Manifest {
    /// Manifest format; must be `pave.dev/v1`.
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    /// Golden path name: lower-case letters, digits and dashes.
    pub name: String,
    /// Released version (semver). Every released version stays renderable.
    #[schemars(with = "String")]
    pub version: semver::Version,
    /// One line saying what the golden path gives a repo.
    #[serde(default)]
    pub summary: String,
    /// Teams that own the golden path.
    #[serde(default)]
    pub owners: Vec<String>,
    /// Typed, validated parameters, asked in this order.
    #[serde(default)]
    #[schemars(with = "IndexMap<String, Parameter>")]
    pub parameters: IndexMap<String, Spanned<Parameter>>,
    /// Independently applicable pieces; each is a folder under `components/`.
    #[serde(default)]
    pub components: IndexMap<String, Component>,
    /// File rules: ownership (first matching rule that names one wins; default `managed`) and
    /// `when` conditions (every matching rule's condition must hold or the file is not rendered).
    #[serde(default)]
    #[schemars(with = "Vec<FileRule>")]
    pub files: Vec<Spanned<FileRule>>,
    /// Pins: values in managed files that dependency bots (Dependabot, Renovate) may move
    /// forward without the file drifting. Every rule whose glob matches a file applies to it.
    /// Anything else in a managed file stays drift, and a pin moved backwards is drift too.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(with = "Vec<PinRule>")]
    pub pins: Vec<Spanned<PinRule>>,
    /// Template delimiters and whitespace handling, for golden paths whose files clash with
    /// the default `{{ }}` syntax.
    #[serde(default)]
    pub syntax: Syntax,
    /// What changed in this version, printed by `pave upgrade` to everyone who crosses it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub release_notes: String,
    /// Declarative steps run when a repo upgrades to this version from an older one, in order:
    /// before the files are planned (renames move the repo's file first so its edits survive).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(with = "Vec<Migration>")]
    pub migrations: Vec<Spanned<Migration>>,
}

/// One declarative migration step. No scripts: pave never runs code from a golden path.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Migration {
    /// A file moved: the repo's file (with its edits) moves from `from` to `to`.
    Rename { from: String, to: String },
    /// A file is no longer part of the golden path: deleted if unmodified, else kept and reported.
    Delete { path: String },
    /// A parameter was renamed: the recorded answer moves from `from` to `to`.
    MoveAnswer { from: String, to: String },
    /// A new parameter: repos that upgrade get `value` (new repos get the parameter's default).
    SetAnswer {
        parameter: String,
        value: serde_json::Value,
    },
}

/// An independently applicable piece of a golden path.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Component {
    #[serde(default)]
    pub summary: String,
    /// Rendered by `pave new` unless deselected.
    #[serde(default = "yes")]
    pub default: bool,
}

fn yes() -> bool {
    true
}

/// What pave may do to a file after it rendered it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Ownership {
    /// Owned by the golden path: a local edit is drift.
    Managed,
    /// Shared: local edits are allowed and 3-way merged on upgrade.
    Merged,
    /// Written once, then the repo's own.
    Seeded,
}

impl fmt::Display for Ownership {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Managed => "managed",
            Self::Merged => "merged",
            Self::Seeded => "seeded",
        })
    }
}

/// A rule about the files whose target path matches `glob`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FileRule {
    /// Glob over the target path (`*` stays in a folder, `**` crosses folders).
    pub glob: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ownership: Option<Ownership>,
    /// A minijinja expression over the answers; the file is rendered only when it is true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<String>,
}

/// Pins of one kind in the managed files whose target path matches `glob`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PinRule {
    /// Glob over the target path (`*` stays in a folder, `**` crosses folders).
    pub glob: String,
    /// `github-action` (`uses: owner/repo@<sha> # vX.Y.Z`), `gitlab-ci-image` (`image:`,
    /// `services:`), `dockerfile-from` (`FROM image:tag@sha256:…`), `terraform-provider`
    /// (`version` in `required_providers`) or `regex` (with `pattern`).
    pub kind: PinKind,
    /// For `kind: regex`: a regular expression with a named group `version` (and optionally
    /// `digest`, which may change along with the version).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
}

impl PinRule {
    /// What the rule pins, without where.
    pub fn pin(&self) -> Pin {
        Pin {
            kind: self.kind,
            pattern: self.pattern.clone(),
        }
    }
}

/// Template delimiters; the defaults are Jinja's.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Syntax {
    pub variable_start: String,
    pub variable_end: String,
    pub block_start: String,
    pub block_end: String,
    pub comment_start: String,
    pub comment_end: String,
}

impl Default for Syntax {
    fn default() -> Self {
        Self {
            variable_start: "{{".into(),
            variable_end: "}}".into(),
            block_start: "{%".into(),
            block_end: "%}".into(),
            comment_start: "{#".into(),
            comment_end: "#}".into(),
        }
    }
}

/// Why a manifest cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("{file}:{line}: {message}")]
    Syntax {
        file: String,
        line: u64,
        message: String,
    },
    #[error("{file}:{line}: {field}: {message}")]
    Invalid {
        file: String,
        line: u64,
        field: String,
        message: String,
    },
}

/// A component the golden path does not have (`--only`, or a lock naming one).
#[derive(Debug, thiserror::Error)]
#[error("{golden_path} has no component `{name}`; it has: {known}")]
pub struct UnknownComponent {
    pub golden_path: String,
    pub name: String,
    pub known: String,
}

impl Manifest {
    /// Parses and validates `text`, read from `file` (used in messages).
    pub fn parse(file: &str, text: &str) -> Result<Self, ManifestError> {
        let manifest: Manifest = yaml::from_str(text).map_err(|e| ManifestError::Syntax {
            file: file.to_owned(),
            line: e.line,
            message: e.message,
        })?;
        manifest.validate(file, text)?;
        Ok(manifest)
    }

    /// `name@version`, the way golden paths are referred to in messages.
    pub fn id(&self) -> String {
        format!("{}@{}", self.name, self.version)
    }

    /// The parameters without their source spans, in declaration order.
    pub fn parameter(&self, name: &str) -> Option<&Parameter> {
        self.parameters.get(name).map(|p| &p.value)
    }

    /// The components to render: `only` when given (in the manifest's order), else `also`
    /// plus every component rendered by default.
    pub fn select_components(
        &self,
        only: &[String],
        also: &[String],
    ) -> Result<Vec<String>, UnknownComponent> {
        for name in only.iter().chain(also) {
            self.component(name)?;
        }
        Ok(self
            .components
            .iter()
            .filter(|(name, c)| {
                if only.is_empty() {
                    c.default || also.contains(name)
                } else {
                    only.contains(name)
                }
            })
            .map(|(name, _)| name.clone())
            .collect())
    }

    /// The component `name`, or an error that lists the ones there are.
    pub fn component(&self, name: &str) -> Result<&Component, UnknownComponent> {
        self.components.get(name).ok_or_else(|| UnknownComponent {
            golden_path: self.id(),
            name: name.to_owned(),
            known: self
                .components
                .keys()
                .cloned()
                .collect::<Vec<_>>()
                .join(", "),
        })
    }

    fn validate(&self, file: &str, text: &str) -> Result<(), ManifestError> {
        let line_of = |key: &str| yaml::top_level_line(text, key);
        let invalid = |line: u64, field: String, message: String| ManifestError::Invalid {
            file: file.to_owned(),
            line,
            field,
            message,
        };
        if self.api_version != API_VERSION {
            return Err(invalid(
                line_of("apiVersion"),
                "apiVersion".into(),
                format!(
                    "unsupported `{}`; this pave reads `{API_VERSION}`",
                    self.api_version
                ),
            ));
        }
        if !is_slug(&self.name) {
            return Err(invalid(
                line_of("name"),
                "name".into(),
                format!(
                    "`{}` must start with a lower-case letter and hold only lower-case letters, digits and dashes (at most 64)",
                    self.name
                ),
            ));
        }
        for (name, spanned) in &self.parameters {
            let line = spanned.referenced.line();
            let field = format!("parameters.{name}");
            if !is_identifier(name) {
                return Err(invalid(
                    line,
                    field,
                    "a parameter name must be a template identifier (letters, digits, `_`)".into(),
                ));
            }
            if name == "git" {
                return Err(invalid(
                    line,
                    field,
                    "`git` is reserved: templated defaults read the target's git remote as `git.remote_owner`, `git.remote_repo`, …".into(),
                ));
            }
            spanned
                .value
                .check_definition()
                .map_err(|message| invalid(line, field, message))?;
        }
        if self.components.is_empty() {
            return Err(invalid(
                line_of("components"),
                "components".into(),
                "a golden path needs at least one component".into(),
            ));
        }
        for (index, step) in self.migrations.iter().enumerate() {
            let line = step.referenced.line();
            let field = format!("migrations[{index}]");
            let check_path = |p: &str| {
                pave_base::repo_path::RepoPath::parse(p)
                    .map(|_| ())
                    .map_err(|e| invalid(line, field.clone(), e.to_string()))
            };
            match &step.value {
                Migration::Rename { from, to } => {
                    check_path(from)?;
                    check_path(to)?;
                }
                Migration::Delete { path } => check_path(path)?,
                Migration::MoveAnswer { to, .. } if !self.parameters.contains_key(to) => {
                    return Err(invalid(
                        line,
                        field,
                        format!("`move_answer` to `{to}`, which is not a parameter"),
                    ));
                }
                Migration::SetAnswer { parameter, value } => {
                    let Some(param) = self.parameters.get(parameter) else {
                        return Err(invalid(
                            line,
                            field,
                            format!("`set_answer` for `{parameter}`, which is not a parameter"),
                        ));
                    };
                    Value::from_json(&param.value, value)
                        .and_then(|v| param.value.check_value(&v))
                        .map_err(|e| {
                            invalid(line, field.clone(), format!("`set_answer` value: {e}"))
                        })?;
                }
                Migration::MoveAnswer { .. } => {}
            }
        }
        for (index, rule) in self.files.iter().enumerate() {
            let line = rule.referenced.line();
            let field = format!("files[{index}]");
            if let Err(e) = pave_base::glob::compile(&rule.value.glob) {
                return Err(invalid(line, field, format!("bad glob: {e}")));
            }
            if let Some(when) = &rule.value.when {
                let env = minijinja::Environment::new();
                if let Err(e) = env.compile_expression(when) {
                    return Err(invalid(line, field, format!("bad `when` expression: {e}")));
                }
            }
        }
        for (index, rule) in self.pins.iter().enumerate() {
            let line = rule.referenced.line();
            if let Err(e) = pave_base::glob::compile(&rule.value.glob) {
                return Err(invalid(
                    line,
                    format!("pins[{index}].glob"),
                    format!("bad glob: {e}"),
                ));
            }
            let field = match rule.value.kind {
                PinKind::Regex => format!("pins[{index}].pattern"),
                _ if rule.value.pattern.is_some() => format!("pins[{index}].pattern"),
                _ => format!("pins[{index}]"),
            };
            rule.value
                .pin()
                .check()
                .map_err(|message| invalid(line, field, message))?;
        }
        Ok(())
    }

    /// The pins declared for the file at target path `path`, in the manifest's order, each
    /// once.
    pub fn pins_of(&self, path: &str) -> Vec<Pin> {
        let mut pins: Vec<Pin> = Vec::new();
        for rule in &self.pins {
            let matches =
                pave_base::glob::compile(&rule.value.glob).is_ok_and(|glob| glob.is_match(path));
            let pin = rule.value.pin();
            if matches && !pins.contains(&pin) {
                pins.push(pin);
            }
        }
        pins
    }
}

fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn is_identifier(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str =
        "apiVersion: pave.dev/v1\nname: demo\nversion: 1.0.0\ncomponents:\n  app: {}\n";

    #[test]
    fn minimal_manifest_parses() {
        let m = Manifest::parse("golden-path.yaml", MINIMAL).unwrap();
        assert_eq!(m.id(), "demo@1.0.0");
        assert!(m.components["app"].default);
    }

    #[test]
    fn unknown_field_names_its_line() {
        let text = format!("{MINIMAL}parameters:\n  x: {{type: string, colour: red}}\n");
        let err = Manifest::parse("gp.yaml", &text).unwrap_err().to_string();
        assert!(err.starts_with("gp.yaml:7:"), "{err}");
        assert!(err.contains("colour"), "{err}");
    }

    #[test]
    fn a_bad_name_names_its_line() {
        let text = MINIMAL.replace("name: demo", "name: Demo_Path");
        let line = text.lines().position(|l| l.starts_with("name:")).unwrap() + 1;
        let err = Manifest::parse("gp.yaml", &text).unwrap_err().to_string();
        assert!(
            err.starts_with(&format!("gp.yaml:{line}: name: `Demo_Path`")),
            "{err}"
        );
    }

    #[test]
    fn default_out_of_range_is_refused_with_line() {
        let text =
            format!("{MINIMAL}parameters:\n  n:\n    type: integer\n    max: 3\n    default: 9\n");
        let err = Manifest::parse("gp.yaml", &text).unwrap_err().to_string();
        assert!(err.contains("gp.yaml:8: parameters.n"), "{err}");
        assert!(err.contains("at most 3"), "{err}");
    }

    #[test]
    fn defaults_read_only_the_git_variables_there_are() {
        let text = format!(
            "{MINIMAL}parameters:\n  org: {{type: string, default: \"{{{{ git.remote_ownr }}}}\"}}\n"
        );
        let err = Manifest::parse("gp.yaml", &text).unwrap_err().to_string();
        assert!(err.contains("gp.yaml:7: parameters.org"), "{err}");
        assert!(
            err.contains("`default` reads `git.remote_ownr`; the git remote gives `git.remote_url`, `git.remote_host`, `git.remote_owner`, `git.remote_repo`"),
            "{err}"
        );
        let text = format!(
            "{MINIMAL}parameters:\n  org: {{type: string, default: \"{{{{ git.remote_owner }}}}\"}}\n"
        );
        let m = Manifest::parse("gp.yaml", &text).unwrap();
        assert_eq!(
            m.parameters["org"].value.git_variables(),
            ["git.remote_owner"]
        );
    }

    #[test]
    fn git_is_no_parameter_name() {
        let text = format!("{MINIMAL}parameters:\n  git: {{type: string, default: x}}\n");
        let err = Manifest::parse("gp.yaml", &text).unwrap_err().to_string();
        assert!(
            err.contains("gp.yaml:7: parameters.git: `git` is reserved"),
            "{err}"
        );
    }

    #[test]
    fn pattern_on_integer_is_refused() {
        let text = format!("{MINIMAL}parameters:\n  n: {{type: integer, pattern: x}}\n");
        let err = Manifest::parse("gp.yaml", &text).unwrap_err().to_string();
        assert!(
            err.contains("`pattern` does not apply to integer parameters"),
            "{err}"
        );
    }

    #[test]
    fn pins_are_declared_per_glob_and_kind() {
        let text = format!(
            "{MINIMAL}pins:\n  - {{glob: \".github/workflows/*.yml\", kind: github-action}}\n  - {{glob: \"**/*.sh\", kind: regex, pattern: \"tool@(?P<version>[0-9.]+)\"}}\n  - {{glob: \".github/**\", kind: github-action}}\n"
        );
        let m = Manifest::parse("gp.yaml", &text).unwrap();
        assert_eq!(
            m.pins_of(".github/workflows/ci.yml"),
            [Pin {
                kind: PinKind::GithubAction,
                pattern: None
            }],
            "two rules of one kind pin once"
        );
        assert_eq!(m.pins_of("scripts/x.sh")[0].kind, PinKind::Regex);
        assert!(m.pins_of("Dockerfile").is_empty());
    }

    #[test]
    fn a_bad_pin_declaration_names_its_line_and_field() {
        let line = MINIMAL.lines().count() + 2;
        for (pin, expected) in [
            (
                "{glob: Dockerfile, kind: docker}",
                "pins[0].kind: unknown variant `docker`",
            ),
            (
                "{glob: x, kind: regex, pattern: \"v(?P<version>[0-9.]+\"}",
                "pins[0].pattern: bad `pattern`",
            ),
            (
                "{glob: x, kind: regex, pattern: \"v[0-9.]+\"}",
                "pins[0].pattern: `pattern` has no named group `version`",
            ),
            (
                "{glob: x, kind: regex}",
                "pins[0].pattern: kind `regex` needs a `pattern`",
            ),
            (
                "{glob: x, kind: dockerfile-from, pattern: y}",
                "pins[0].pattern: `pattern` applies to kind `regex` only",
            ),
            (
                "{glob: \"a[\", kind: github-action}",
                "pins[0].glob: bad glob",
            ),
        ] {
            let text = format!("{MINIMAL}pins:\n  - {pin}\n");
            let err = Manifest::parse("gp.yaml", &text).unwrap_err().to_string();
            assert!(
                err.starts_with(&format!("gp.yaml:{line}: {expected}")),
                "{pin}: {err}"
            );
        }
    }
}
