//! The user's config file, `config.toml`: defaults that sit below flags and `PAVE_*` variables.
//! Typed and strict (an unknown key is an error, not silently ignored), so a typo never turns
//! into a default nobody chose. Where the file is comes from `settings`; this module only reads.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Name of the config file in pave's folder of the user config dir.
pub const CONFIG_FILE: &str = "config.toml";

/// What `config.toml` may say.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The catalog when neither `--catalog` nor `PAVE_CATALOG` names one; what `--catalog`
    /// takes. A relative path is relative to the config file's folder.
    pub catalog: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{}:{line}: {message}", path.display())]
    Syntax {
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
        toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|span| text[..span.start.min(text.len())].matches('\n').count() + 1)
                .unwrap_or(1);
            ConfigError::Syntax {
                path: path.to_owned(),
                line,
                message: e.message().trim_end().to_owned(),
            }
        })
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
    fn errors_name_the_file_and_line() {
        let e = Config::parse(Path::new("c.toml"), "\n\ncatalog = \n").unwrap_err();
        assert!(e.to_string().starts_with("c.toml:3: "), "{e}");
        let e =
            Config::parse(Path::new("c.toml"), "catalog = \"x\"\ncatalgo = \"y\"\n").unwrap_err();
        assert!(e.to_string().starts_with("c.toml:2: "), "{e}");
        assert!(e.to_string().contains("catalgo"), "{e}");
    }
}
