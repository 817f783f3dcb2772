//! `.pave/gates.yaml`: the quality gates' configuration, its defaults and its checks.
//!
//! The defaults are exactly what the rust-service golden path renders, so a repo without the
//! file is gated as one with it. A field left out takes its default; an unknown field, a bad
//! glob, a trailer marker without `Name: value` or a threshold out of range is an error that
//! names the file, the line and the field.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_saphyr::{Location, Spanned};

use super::GateError;
use pave_base::yaml;

/// Where the file lives in a repo.
pub const CONFIG_PATH: &str = ".pave/gates.yaml";

/// `.pave/gates.yaml`, as written.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
#[schemars(title = "pave quality gates (.pave/gates.yaml)")]
pub struct GatesConfig {
    /// `pave gate pr-size`: keep changes reviewable.
    pub pr_size: PrSizeConfig,
    /// `pave gate ai-provenance`: stricter rules for AI-assisted changes.
    pub ai_provenance: AiProvenanceConfig,
    /// `pave gate conformance`: the repo still conforms to its golden paths (`pave check`).
    pub conformance: ConformanceConfig,
}

/// Text that carries the line it was read from (its line is unknown for defaults).
type Located<T> = Spanned<T>;

fn located<T>(value: T) -> Located<T> {
    Spanned::new(value, Location::UNKNOWN, Location::UNKNOWN)
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct PrSizeConfig {
    /// Run this gate in `pave gate all` (default true).
    pub enabled: bool,
    /// Added + deleted lines over all files of the change, minus the excluded ones.
    pub max_changed_lines: u64,
    /// Globs of files that do not count (generated, lock files, vendored code, snapshots).
    #[schemars(with = "Vec<String>")]
    pub exclude: Vec<Located<String>>,
}

impl Default for PrSizeConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            max_changed_lines: 400,
            exclude: ["Cargo.lock", "**/*.snap", "vendor/**", "**/generated/**"]
                .map(|g| located(g.to_owned()))
                .into(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct AiProvenanceConfig {
    /// Run this gate in `pave gate all` (default true).
    pub enabled: bool,
    /// What makes a commit AI-assisted.
    pub markers: MarkersConfig,
    /// The stricter rules applied when a change has AI-assisted commits.
    pub rules: AiRulesConfig,
}

impl Default for AiProvenanceConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            markers: MarkersConfig::default(),
            rules: AiRulesConfig::default(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct MarkersConfig {
    /// Git trailers `Trailer-Name: value-glob`: the name matches case-insensitively, the value
    /// is a case-insensitive glob (`*` matches any text).
    #[schemars(with = "Vec<String>")]
    pub trailers: Vec<Located<String>>,
}

/// The trailer markers used when the file names none.
pub const DEFAULT_TRAILERS: [&str; 9] = [
    "Co-authored-by: *Copilot*",
    "Co-authored-by: *Claude*",
    "Co-authored-by: *Cursor*",
    "Co-authored-by: *Codeium*",
    "Co-authored-by: *Gemini*",
    "Co-authored-by: *ChatGPT*",
    "Assisted-by: *",
    "AI-Assisted: true",
    "Generated-by: *",
];

impl Default for MarkersConfig {
    fn default() -> Self {
        Self {
            trailers: DEFAULT_TRAILERS.map(|t| located(t.to_owned())).into(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct AiRulesConfig {
    /// The size limit of a change with AI-assisted commits (counted as `pr_size` counts).
    pub max_changed_lines: u64,
    /// Source changes by AI-assisted commits need test changes in the same change.
    pub require_tests_with_source: bool,
    /// Per language: which files are source and which are tests.
    pub tests: BTreeMap<String, LanguageConfig>,
    /// Percentage (0-100) of the coverable lines AI-assisted commits added that the tests must
    /// execute (needs `--coverage`).
    #[schemars(with = "f64", range(min = 0, max = 100))]
    pub min_changed_line_coverage: Located<f64>,
}

impl Default for AiRulesConfig {
    fn default() -> Self {
        Self {
            max_changed_lines: 200,
            require_tests_with_source: true,
            tests: BTreeMap::from([(
                "rust".to_owned(),
                LanguageConfig {
                    source: vec![located("src/**/*.rs".to_owned())],
                    tests: ["tests/**/*.rs", "src/**/tests.rs"]
                        .map(|g| located(g.to_owned()))
                        .into(),
                },
            )]),
            min_changed_line_coverage: located(80.0),
        }
    }
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LanguageConfig {
    /// Globs of the language's source files.
    #[schemars(with = "Vec<String>")]
    pub source: Vec<Located<String>>,
    /// Globs of its test files (a file matching both is a test).
    #[schemars(with = "Vec<String>")]
    pub tests: Vec<Located<String>>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ConformanceConfig {
    /// Run this gate in `pave gate all` (default true).
    pub enabled: bool,
}

impl Default for ConformanceConfig {
    fn default() -> Self {
        Self { enabled: true }
    }
}

/// The configuration ready to use: globs compiled, markers parsed.
#[derive(Debug, Clone)]
pub struct Gates {
    /// Where it came from; `None` for the defaults.
    pub source: Option<PathBuf>,
    pub pr_size_enabled: bool,
    pub max_changed_lines: u64,
    pub exclude: GlobSet,
    pub ai_enabled: bool,
    pub markers: Vec<TrailerMarker>,
    pub ai_max_changed_lines: u64,
    pub require_tests_with_source: bool,
    pub languages: Vec<Language>,
    pub min_changed_line_coverage: f64,
    pub conformance_enabled: bool,
}

/// One `Name: value-glob` marker.
#[derive(Debug, Clone)]
pub struct TrailerMarker {
    /// As written, for reports.
    pub text: String,
    /// Lower case.
    name: String,
    value: globset::GlobMatcher,
}

impl TrailerMarker {
    /// Whether the trailer `name: value` is this marker.
    pub fn matches(&self, name: &str, value: &str) -> bool {
        name.trim().eq_ignore_ascii_case(&self.name) && self.value.is_match(value.trim())
    }
}

#[derive(Debug, Clone)]
pub struct Language {
    pub name: String,
    pub source: GlobSet,
    pub tests: GlobSet,
    /// The test globs as written, for messages.
    pub test_globs: Vec<String>,
}

impl Language {
    pub fn is_source(&self, path: &str) -> bool {
        self.source.is_match(path) && !self.tests.is_match(path)
    }
}

impl Gates {
    /// The configuration at `path`, or the defaults when there is no file there.
    pub fn load(path: &Path) -> Result<Self, GateError> {
        match std::fs::read(path) {
            Ok(bytes) => {
                let text = yaml::text_of(bytes).map_err(|e| GateError::ConfigSyntax {
                    path: path.to_owned(),
                    line: e.line,
                    message: e.message,
                })?;
                Self::parse(path, &text)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut gates = Self::from_config(Path::new(CONFIG_PATH), GatesConfig::default())?;
                gates.source = None;
                Ok(gates)
            }
            Err(source) => Err(GateError::ConfigUnreadable {
                path: path.to_owned(),
                source,
            }),
        }
    }

    /// Parses the file's `text`; `path` names it in errors.
    pub fn parse(path: &Path, text: &str) -> Result<Self, GateError> {
        // An empty file (or one of comments only) is the defaults.
        let config: GatesConfig = if text.lines().all(|l| {
            let l = l.trim();
            l.is_empty() || l.starts_with('#')
        }) {
            GatesConfig::default()
        } else {
            yaml::from_str(text).map_err(|e| GateError::ConfigSyntax {
                path: path.to_owned(),
                line: e.line,
                message: e.message,
            })?
        };
        Self::from_config(path, config)
    }

    fn from_config(path: &Path, config: GatesConfig) -> Result<Self, GateError> {
        let invalid = |at: &Location, field: &str, message: String| GateError::ConfigInvalid {
            path: path.to_owned(),
            line: at.line().max(1),
            field: field.to_owned(),
            message,
        };
        let globs = |list: &[Located<String>], field: &str| {
            let mut set = GlobSetBuilder::new();
            for glob in list {
                set.add(path_glob(&glob.value).map_err(|e| {
                    invalid(&glob.referenced, field, format!("`{}`: {e}", glob.value))
                })?);
            }
            set.build()
                .map_err(|e| invalid(&Location::UNKNOWN, field, e.to_string()))
        };
        let exclude = globs(&config.pr_size.exclude, "pr_size.exclude")?;
        let mut markers = Vec::new();
        for marker in &config.ai_provenance.markers.trailers {
            let field = "ai_provenance.markers.trailers";
            let Some((name, value)) = marker.value.split_once(':') else {
                return Err(invalid(
                    &marker.referenced,
                    field,
                    format!(
                        "`{}` must be `Trailer-Name: value-glob` (e.g. `Assisted-by: *`)",
                        marker.value
                    ),
                ));
            };
            let name = name.trim();
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                return Err(invalid(
                    &marker.referenced,
                    field,
                    format!(
                        "`{name}` is not a trailer name (letters, digits and `-`, as in `Co-authored-by`)"
                    ),
                ));
            }
            let value = GlobBuilder::new(value.trim())
                .case_insensitive(true)
                .build()
                .map_err(|e| {
                    invalid(
                        &marker.referenced,
                        field,
                        format!("`{}`: {e}", value.trim()),
                    )
                })?
                .compile_matcher();
            markers.push(TrailerMarker {
                text: marker.value.trim().to_owned(),
                name: name.to_ascii_lowercase(),
                value,
            });
        }
        let rules = &config.ai_provenance.rules;
        let mut languages = Vec::new();
        for (name, language) in &rules.tests {
            languages.push(Language {
                name: name.clone(),
                source: globs(
                    &language.source,
                    &format!("ai_provenance.rules.tests.{name}.source"),
                )?,
                tests: globs(
                    &language.tests,
                    &format!("ai_provenance.rules.tests.{name}.tests"),
                )?,
                test_globs: language.tests.iter().map(|g| g.value.clone()).collect(),
            });
        }
        let coverage = &rules.min_changed_line_coverage;
        if !(0.0..=100.0).contains(&coverage.value) {
            return Err(invalid(
                &coverage.referenced,
                "ai_provenance.rules.min_changed_line_coverage",
                format!("must be a percentage from 0 to 100, got {}", coverage.value),
            ));
        }
        Ok(Self {
            source: Some(path.to_owned()),
            pr_size_enabled: config.pr_size.enabled,
            max_changed_lines: config.pr_size.max_changed_lines,
            exclude,
            ai_enabled: config.ai_provenance.enabled,
            markers,
            ai_max_changed_lines: rules.max_changed_lines,
            require_tests_with_source: rules.require_tests_with_source,
            languages,
            min_changed_line_coverage: coverage.value,
            conformance_enabled: config.conformance.enabled,
        })
    }
}

/// A repo path glob: `*` stays in a folder, `**` crosses folders (as golden paths' globs do).
fn path_glob(glob: &str) -> Result<Glob, globset::Error> {
    GlobBuilder::new(glob).literal_separator(true).build()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Gates, GateError> {
        Gates::parse(Path::new(".pave/gates.yaml"), text)
    }

    #[test]
    fn the_rendered_golden_path_file_is_the_defaults() {
        let template = include_str!(
            "../../../../golden-paths/rust-service/1.1.0/components/quality-gates/.pave/gates.yaml.jinja"
        );
        let text: String = template
            .lines()
            .filter(|l| !l.contains("{{"))
            .map(|l| format!("{l}\n"))
            .collect();
        let file = parse(&text).unwrap();
        let defaults = Gates::load(Path::new("/nonexistent/gates.yaml")).unwrap();
        assert!(defaults.source.is_none());
        assert_eq!(file.max_changed_lines, defaults.max_changed_lines);
        assert_eq!(file.ai_max_changed_lines, defaults.ai_max_changed_lines);
        assert_eq!(
            file.min_changed_line_coverage,
            defaults.min_changed_line_coverage
        );
        let texts = |g: &Gates| g.markers.iter().map(|m| m.text.clone()).collect::<Vec<_>>();
        assert_eq!(texts(&file), texts(&defaults));
        assert_eq!(file.exclude.len(), defaults.exclude.len());
        assert_eq!(file.languages.len(), 1);
        assert!(file.languages[0].is_source("src/main.rs"));
        assert!(!file.languages[0].is_source("src/gate/tests.rs"));
        assert!(file.conformance_enabled);
    }

    #[test]
    fn markers_match_name_and_value_case_insensitively() {
        let gates = parse("ai_provenance:\n  markers:\n    trailers: [\"Co-authored-by: *copilot*\", \"AI-Assisted: true\"]\n").unwrap();
        let [copilot, flag] = &gates.markers[..] else {
            panic!("two markers")
        };
        assert!(copilot.matches("co-AUTHORED-by", " GitHub Copilot <copilot@github.com> "));
        assert!(!copilot.matches("Co-authored-by", "Jane <jane@example.com>"));
        assert!(flag.matches("AI-Assisted", "TRUE"));
        assert!(!flag.matches("AI-Assisted", "false"));
    }

    #[test]
    fn errors_name_the_line_and_field() {
        let e = parse("pr_size:\n  max_changed_lines: 10\n  exclude:\n    - \"a/[\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("gates.yaml:4") && e.contains("pr_size.exclude"),
            "{e}"
        );
        let e = parse("ai_provenance:\n  markers:\n    trailers:\n      - just text\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains(":4:") && e.contains("Trailer-Name"), "{e}");
        let e = parse("ai_provenance:\n  rules:\n    min_changed_line_coverage: 120\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(":3:") && e.contains("min_changed_line_coverage"),
            "{e}"
        );
        let e = parse("pr_size:\n  max_lines: 3\n").unwrap_err().to_string();
        assert!(e.contains(":2:") && e.contains("max_lines"), "{e}");
    }

    #[test]
    fn a_partial_file_keeps_the_other_defaults() {
        let gates = parse("pr_size:\n  max_changed_lines: 10\n").unwrap();
        assert_eq!(gates.max_changed_lines, 10);
        assert_eq!(gates.exclude.len(), 4);
        assert_eq!(gates.ai_max_changed_lines, 200);
        assert!(gates.ai_enabled);
    }
}
