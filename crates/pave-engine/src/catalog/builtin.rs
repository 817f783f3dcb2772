//! The built-in catalog: `golden-paths/` compiled into the binary, so `pave new` works offline
//! and every released version stays renderable.

use std::collections::BTreeMap;

use super::{
    Catalog, CatalogError, GoldenPath, Listing, MANIFEST_FILE, Reference, TemplateFile, listings,
    pick_version,
};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/builtin_catalog.rs"));
}

/// The golden paths shipped inside the pave binary.
#[derive(Debug, Default, Clone, Copy)]
pub struct BuiltinCatalog;

type Versions = BTreeMap<String, BTreeMap<semver::Version, String>>;

impl BuiltinCatalog {
    /// name → version → folder prefix (`name/version/`), from the embedded file list.
    fn versions() -> Versions {
        let mut found = Versions::new();
        for (path, _, _) in embedded::FILES {
            let mut parts = path.splitn(3, '/');
            if let (Some(name), Some(version), Some(MANIFEST_FILE)) =
                (parts.next(), parts.next(), parts.next())
                && let Ok(v) = semver::Version::parse(version)
            {
                found
                    .entry(name.to_owned())
                    .or_default()
                    .insert(v, format!("{name}/{version}/"));
            }
        }
        found
    }

    fn load_prefix(prefix: &str) -> Result<GoldenPath, CatalogError> {
        let files: BTreeMap<String, TemplateFile> = embedded::FILES
            .iter()
            .filter_map(|(path, bytes, is_executable)| {
                path.strip_prefix(prefix).map(|rel| {
                    (
                        rel.to_owned(),
                        TemplateFile {
                            bytes: bytes.to_vec(),
                            is_executable: *is_executable,
                        },
                    )
                })
            })
            .collect();
        let display_root = format!("builtin:{}", prefix.trim_end_matches('/'));
        let golden_path = GoldenPath::from_files("builtin".into(), &display_root, files)?;
        let m = &golden_path.manifest;
        let folder = prefix.trim_end_matches('/').replacen('/', "@", 1);
        if m.id() != folder {
            return Err(CatalogError::Mismatch {
                location: display_root,
                manifest: m.id(),
                folder,
            });
        }
        Ok(golden_path)
    }
}

impl Catalog for BuiltinCatalog {
    fn describe(&self) -> String {
        "builtin".into()
    }

    fn list(&self) -> Result<Vec<Listing>, CatalogError> {
        listings(Self::versions(), |prefix| Self::load_prefix(prefix))
    }

    fn load(&self, reference: &Reference) -> Result<GoldenPath, CatalogError> {
        let found = Self::versions();
        let (_, prefix) = pick_version(reference, &self.describe(), &found)?;
        Self::load_prefix(prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_golden_path_loads() {
        let listings = BuiltinCatalog.list().unwrap();
        assert!(listings.iter().any(|l| l.name == "rust-service"));
        for listing in listings {
            for v in listing.versions {
                let r = Reference {
                    name: listing.name.clone(),
                    version: super::super::VersionSpec::Exact(v),
                };
                BuiltinCatalog.load(&r).unwrap();
            }
        }
    }
}
