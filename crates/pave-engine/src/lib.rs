//! pave's engine: golden paths from [`catalog`]s, [`answers`] resolved, files rendered to memory
//! ([`render`]), a [`plan`] per file, written all or nothing ([`apply`]); conformance
//! ([`check`]), upgrades ([`upgrade`]), the fleet [`audit`] and the AI-aware quality [`gate`]s,
//! each with its report renderers.
//!
//! The engine never prints, prompts, reads the environment or exits: it takes typed input and
//! returns typed outcomes, and the `pave` binary (the edge) talks to people.

pub mod adopt;
pub mod answers;
pub mod apply;
pub mod audit;
pub mod catalog;
pub mod check;
pub mod conflict;
pub mod diff;
pub mod eol;
pub mod except;
pub mod gate;
pub mod git;
pub mod pins;
pub mod plan;
pub mod remote;
pub mod render;
pub mod report;
pub mod scaffold;
pub mod upgrade;
