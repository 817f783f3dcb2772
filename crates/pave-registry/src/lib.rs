//! The registry: adoption recorded, measured and shown (issue 7). This crate is its whole: the
//! events clients send and what reads return ([`model`]), and the storage both the server and
//! the local embedded registry use ([`store`]: one trait, SQLite and PostgreSQL); the HTTP API
//! ([`server`], described by [`openapi`], measured by [`metrics`]) and its HTML [`dashboard`];
//! and the client side: sending events and reading stats ([`client`]) with the on-disk
//! [`spool`] that keeps events until a registry has them.
//!
//! It builds on `pave-base` and `pave-model` only: the server never needs the rendering engine.

mod api_error;
pub mod client;
pub mod dashboard;
pub mod format;
pub mod metrics;
pub mod model;
pub mod openapi;
pub mod recording;
pub mod server;
pub mod spool;
pub mod store;
