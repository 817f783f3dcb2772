//! pave's integration tests: one binary, one shared `support` module.

mod apply;
mod audit;
mod audit_formats;
mod bad_input;
mod catalogs;
mod check;
mod check_formats;
mod diff;
mod errors;
mod gate;
mod layers;
mod new;
mod prompts;
mod registry_client;
mod registry_dashboard;
mod registry_observability;
mod registry_server;
mod registry_store;
mod rendered_app;
mod safety;
mod schemas;
mod show_list;
mod snapshots;
mod support;
mod upgrade;
mod validators;
