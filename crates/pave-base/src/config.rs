//! The user's config file, `config.toml`: defaults that sit below flags and `PAVE_*` variables.
//! Typed and strict (an unknown key is an error, not silently ignored), so a typo never turns
//! into a default nobody chose. Where the file is comes from `settings`; this module only reads.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Name of the config file in pave's folder of the user config dir.
pub const CONFIG_FILE: &str = "config.toml";

/// The longest catalog name `[catalogs]` may define.
pub const MAX_CATALOG_NAME: usize = 64;

/// True for a catalog name `[catalogs]` may define and a lock may record: a letter or digit,
/// then letters, digits, `.`, `_` or `-`, at most [`MAX_CATALOG_NAME`] long, and not `builtin`.
/// No `:` or `/`, so a name never reads as a URL, a `git:`/`dir:` form or a path.
pub fn is_catalog_name(text: &str) -> bool {
    let mut chars = text.chars();
    let starts_well = chars.next().is_some_and(|c| c.is_ascii_alphanumeric());
    starts_well
        && text.len() <= MAX_CATALOG_NAME
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        && text != "builtin"
}

/// What `config.toml` may say.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The catalog when neither `--catalog` nor `PAVE_CATALOG` names one; what `--catalog`
    /// takes. A relative path is relative to the config file's folder.
    pub catalog: Option<String>,
    /// Catalogs by name (`platform = "https://git.example.com/platform/golden-paths.git"`, or a
    /// folder relative to the config file's): `--catalog platform` reads the location, and a
    /// lock made from it records the name, which every machine maps to its own location.
    #[serde(default)]
    pub catalogs: BTreeMap<String, String>,
    /// The line of each name in `[catalogs]`, for errors about its value.
    #[serde(skip)]
    pub catalog_lines: BTreeMap<String, usize>,
    /// Where `pave new`, `apply`, `upgrade`, `check --report` and `audit --push` record events.
    pub registry: Option<RegistryConfig>,
}

/// The `[registry]` table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistryConfig {
    /// The registry's base URL (`https://pave.example.com`), or `off` to record nothing.
    /// Without one, events go to the local embedded registry.
    pub url: Option<String>,
    /// A bearer token with the `write` scope (and `read` if the registry protects reads).
    pub token: Option<String>,
    /// How long `pave registry serve` keeps events (`400d`); below `--retention` and
    /// `PAVE_REGISTRY_RETENTION`. Without one, events are kept forever.
    pub retention: Option<String>,
    /// The line of `url`, for errors about its value.
    #[serde(skip)]
    pub url_line: usize,
    /// The line of `retention`, for errors about its value.
    #[serde(skip)]
    pub retention_line: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{}:{line}: {message}", path.display())]
    Syntax {
        path: PathBuf,
        line: usize,
        message: String,
    },
    /// A key that parses but whose value cannot be used (a malformed URL).
    #[error("{}:{line}: {message}", path.display())]
    Value {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl Config {
    /// Parses the text of the config file at `path` (named in errors, with the line).
    pub fn parse(path: &Path, text: &str) -> Result<Self, ConfigError> {
        let line_at = |offset: usize| text[..offset.min(text.len())].matches('\n').count() + 1;
        let mut config: Self = toml::from_str(text).map_err(|e| ConfigError::Syntax {
            path: path.to_owned(),
            line: e.span().map_or(1, |span| line_at(span.start)),
            message: e.message().trim_end().to_owned(),
        })?;
        if !config.catalogs.is_empty() {
            #[derive(Deserialize)]
            struct Spans {
                catalogs: BTreeMap<toml::Spanned<String>, toml::Spanned<String>>,
            }
            if let Ok(spans) = toml::from_str::<Spans>(text) {
                config.catalog_lines = spans
                    .catalogs
                    .keys()
                    .map(|name| (name.get_ref().clone(), line_at(name.span().start)))
                    .collect();
            }
            for (name, value) in &config.catalogs {
                let line = config.catalog_lines.get(name).copied().unwrap_or(1);
                let bad = |message: String| ConfigError::Value {
                    path: path.to_owned(),
                    line,
                    message,
                };
                if !is_catalog_name(name) {
                    return Err(bad(format!(
                        "catalogs.{name}: `{name}` cannot name a catalog: a name is a letter or digit, then letters, digits, `.`, `_` or `-` (at most {MAX_CATALOG_NAME}), and not `builtin`"
                    )));
                }
                if value.trim().is_empty() {
                    return Err(bad(format!(
                        "catalogs.{name}: no location: give the catalog's git URL or folder"
                    )));
                }
            }
        }
        if let Some(registry) = &mut config.registry {
            // Spans are only known while parsing; find the lines by a second, spanned read.
            #[derive(Deserialize)]
            struct Spans {
                registry: SpannedRegistry,
            }
            #[derive(Deserialize)]
            struct SpannedRegistry {
                url: Option<toml::Spanned<String>>,
                retention: Option<toml::Spanned<String>>,
            }
            if let Ok(spans) = toml::from_str::<Spans>(text) {
                let line = |value: Option<toml::Spanned<String>>| {
                    value.map_or(0, |value| line_at(value.span().start))
                };
                registry.url_line = line(spans.registry.url);
                registry.retention_line = line(spans.registry.retention);
            }
        }
        Ok(config)
    }

    /// Reads the config file at `path`; a missing file is `None` unless `must_exist`.
    pub fn read(path: &Path, must_exist: bool) -> Result<Option<Self>, ConfigError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::parse(path, &text).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !must_exist => Ok(None),
            Err(source) => Err(ConfigError::Io {
                path: path.to_owned(),
                source,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_catalog() {
        let config = Config::parse(Path::new("c.toml"), "# mine\ncatalog = \"./gp\"\n").unwrap();
        assert_eq!(config.catalog.as_deref(), Some("./gp"));
        assert_eq!(
            Config::parse(Path::new("c.toml"), "").unwrap(),
            Config::default()
        );
    }

    #[test]
    fn reads_the_registry_and_where_its_values_are() {
        let config = Config::parse(
            Path::new("c.toml"),
            "[registry]\nurl = \"https://r.example\"\n\nretention = \"400d\"\n",
        )
        .unwrap();
        let registry = config.registry.unwrap();
        assert_eq!(registry.retention.as_deref(), Some("400d"));
        assert_eq!((registry.url_line, registry.retention_line), (2, 4));
    }

    #[test]
    fn reads_catalog_names_with_their_lines() {
        let text = "catalog = \"platform\"\n\n[catalogs]\nplatform = \"https://git.example.com/gp.git\"\nscratch = \"../scratch\"\n";
        let config = Config::parse(Path::new("c.toml"), text).unwrap();
        assert_eq!(config.catalogs["scratch"], "../scratch");
        assert_eq!(config.catalog_lines["platform"], 4);
        assert_eq!(config.catalog_lines["scratch"], 5);

        for (bad, line) in [
            ("[catalogs]\nbuiltin = \"x\"\n", ":2: catalogs.builtin"),
            (
                "[catalogs]\nok = \"x\"\n\"a/b\" = \"x\"\n",
                ":3: catalogs.a/b",
            ),
            (
                "[catalogs]\nempty = \" \"\n",
                ":2: catalogs.empty: no location",
            ),
        ] {
            let e = Config::parse(Path::new("c.toml"), bad).unwrap_err();
            assert!(e.to_string().starts_with(&format!("c.toml{line}")), "{e}");
        }
    }

    #[test]
    fn catalog_names() {
        for name in ["platform", "gp-2", "a.b_c", "X"] {
            assert!(is_catalog_name(name), "{name}");
        }
        let long = "a".repeat(MAX_CATALOG_NAME + 1);
        for not in [
            "",
            "builtin",
            "-x",
            ".x",
            "a/b",
            "a:b",
            "a b",
            "git:x",
            long.as_str(),
        ] {
            assert!(!is_catalog_name(not), "{not}");
        }
    }

    #[test]
    fn errors_name_the_file_and_line() {
        let e = Config::parse(Path::new("c.toml"), "\n\ncatalog = \n").unwrap_err();
        assert!(e.to_string().starts_with("c.toml:3: "), "{e}");
        let e =
            Config::parse(Path::new("c.toml"), "catalog = \"x\"\ncatalgo = \"y\"\n").unwrap_err();
        assert!(e.to_string().starts_with("c.toml:2: "), "{e}");
        assert!(e.to_string().contains("catalgo"), "{e}");
    }
}
