//! One thin file per subcommand: read arguments, call the engine, print the outcome.

pub mod list;
pub mod new;
pub mod schema;
pub mod show;
