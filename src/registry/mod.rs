//! The registry: adoption recorded, measured and shown (issue 7). This is its foundation: the
//! events clients send and what reads return ([`model`]), and the storage both the server and
//! the local embedded registry use ([`store`]: one trait, SQLite and PostgreSQL), the HTTP API
//! ([`server`]) and its HTML [`dashboard`].

pub mod dashboard;
pub mod metrics;
pub mod model;
pub mod openapi;
pub mod server;
pub mod store;
