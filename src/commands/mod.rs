//! One thin file per subcommand: read arguments, call the engine, print the outcome.

pub mod apply;
pub mod audit;
pub mod check;
pub mod diff;
pub mod list;
pub mod new;
pub mod registry;
pub mod schema;
pub mod show;
pub mod upgrade;
