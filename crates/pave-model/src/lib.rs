//! pave's model: the types of what golden paths and repos are made of, with their parsing and
//! validation, and no behaviour beyond that. A golden path's [`manifest`] and its
//! [`parameter`]s with the typed answers they take and the [`pin`]s it declares; a repo's
//! [`lock`] and how it names the catalog a golden path came from ([`catalog_id`]); the
//! conformance vocabulary every report and the registry share ([`status`]).
//!
//! Depends only on `pave-base`; the engine, the registry and the edge build on it.

pub mod catalog_id;
pub mod lock;
pub mod manifest;
pub mod parameter;
pub mod pin;
pub mod status;
