//! Settings resolved once at the edge (flag > `PAVE_*` environment > default) into ready types.

use std::path::{Path, PathBuf};

use crate::catalog::{
    BuiltinCatalog, Catalog, CatalogError, DirCatalog, GoldenPath, Reference, SingleGoldenPath,
    load_golden_path_dir,
};
use crate::error::Error;

/// Which catalog to read.
#[derive(Debug, Clone)]
pub enum CatalogChoice {
    Builtin,
    Dir(PathBuf),
}

impl CatalogChoice {
    /// From `--catalog` / `PAVE_CATALOG`; absent or `builtin` is the built-in catalog.
    pub fn from_arg(arg: Option<&str>) -> Result<Self, Error> {
        match arg {
            None | Some("" | "builtin") => Ok(Self::Builtin),
            Some(path) => {
                let path = PathBuf::from(path);
                if !path.is_dir() {
                    return Err(Error::Usage(format!(
                        "catalog `{}` is not a directory (use `builtin` or a folder of <name>/<version>/ golden paths)",
                        path.display()
                    )));
                }
                Ok(Self::Dir(std::path::absolute(&path).unwrap_or(path)))
            }
        }
    }

    pub fn open(&self) -> Box<dyn Catalog> {
        match self {
            Self::Builtin => Box::new(BuiltinCatalog),
            Self::Dir(path) => Box::new(DirCatalog::new(path.clone())),
        }
    }

    /// Loads what `reference` names: a golden-path folder when it is a path to one, else a
    /// golden path of this catalog.
    pub fn load(&self, reference: &str) -> Result<GoldenPath, Error> {
        let as_path = Path::new(reference);
        let looks_like_path =
            reference.starts_with('.') || reference.contains('/') || as_path.is_absolute();
        if looks_like_path && as_path.is_dir() {
            let abs = std::path::absolute(as_path).unwrap_or_else(|_| as_path.to_owned());
            return Ok(load_golden_path_dir(
                &abs,
                format!("dir:{}", abs.display()),
            )?);
        }
        let parsed: Reference = reference
            .parse()
            .map_err(|e: CatalogError| Error::Catalog(e))?;
        Ok(self.open().load(&parsed)?)
    }
}

/// The catalog a lock entry says it came from (`builtin`, `dir:/path`), when it is reachable
/// from here; `None` for a folder that is gone or a kind this pave cannot read.
pub fn catalog_of_source(source: &str) -> Option<Box<dyn Catalog>> {
    if source == "builtin" {
        return Some(Box::new(BuiltinCatalog));
    }
    let path = Path::new(source.strip_prefix("dir:")?);
    if path.join(crate::catalog::MANIFEST_FILE).is_file() {
        Some(Box::new(SingleGoldenPath::new(path.to_owned())))
    } else if path.is_dir() {
        Some(Box::new(DirCatalog::new(path.to_owned())))
    } else {
        None
    }
}
