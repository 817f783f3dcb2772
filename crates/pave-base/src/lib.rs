//! pave's foundations: what every layer above may use and that knows nothing of golden paths.
//! Paths that cannot leave a repo ([`repo_path`]), YAML in and out ([`yaml`]), globs with one
//! meaning everywhere ([`glob`]), the user config file ([`config`]), XML escaping with one set of
//! rules for every XML pave writes ([`xml`]), and the pieces of pave's self-contained HTML pages
//! ([`html`]).
//!
//! Layers (docs/ARCHITECTURE.md): base ← model ← engine ← registry ← the `pave` binary. A crate
//! names only the crates below it, so the compiler refuses an upward import.

pub mod config;
pub mod glob;
pub mod html;
pub mod repo_path;
pub mod schema;
pub mod text;
pub mod xml;
pub mod yaml;
