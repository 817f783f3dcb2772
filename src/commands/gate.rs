//! `pave gate <pr-size|ai-provenance|conformance|all>`: the AI-aware quality gates (the engine's
//! [`gate::run`](pave_engine::gate::run)). Exit 0 when every gate passes, 1 when one fails, 2
//! when a gate cannot give a verdict (bad configuration, a base missing from a shallow clone, an
//! unreadable coverage report). The edge's part: the CI's base branch from the environment, and
//! the output.

use pave_engine::check::CatalogAccess;
use pave_engine::gate::format::{self, GateFormat};
use pave_engine::gate::{self, Gate, Request};

use crate::cli::{GateArgs, GateName};
use crate::error::{EXIT_FINDING, Error};
use crate::printer::Printer;
use crate::settings::LockCatalogs;

/// CI variables that name the branch a pull or merge request targets, in the order read.
pub const BASE_ENV: [&str; 2] = ["GITHUB_BASE_REF", "CI_MERGE_REQUEST_TARGET_BRANCH_NAME"];

pub fn run(args: &GateArgs, catalogs: &LockCatalogs, printer: &Printer) -> Result<u8, Error> {
    let targets = super::report_targets(&args.format, &args.output_of_format, GateFormat::Text)?;
    let request = Request {
        repo: &args.repo,
        gate: match args.gate {
            GateName::All => None,
            GateName::PrSize => Some(Gate::PrSize),
            GateName::AiProvenance => Some(Gate::AiProvenance),
            GateName::Conformance => Some(Gate::Conformance),
        },
        config: args.config.as_deref(),
        base_candidates: &base_candidates(args.base.as_deref()),
        head: &args.head,
        coverage: args.coverage.as_deref(),
    };
    catalogs.read_config()?;
    let open = |entry: &pave_model::lock::LockEntry| catalogs.open(entry).map_err(|e| e.as_note());
    let report = gate::run(&request, CatalogAccess::Online(&open))?;
    super::write_reports(&targets, |f| format::render(&report, f), printer)?;
    Ok(if report.passed { 0 } else { EXIT_FINDING })
}

/// The refs to try as the base, in order: `--base`; else the CI's target branch (its
/// remote-tracking ref first, as CI checkouts have no local branch), then GitLab's merge-request
/// diff base (`CI_MERGE_REQUEST_DIFF_BASE_SHA`: merge-request pipelines fetch the merge request's
/// head, not always the target branch, and that commit is in the head's history); else
/// `origin/main`, `main`.
fn base_candidates(base: Option<&str>) -> Vec<String> {
    if let Some(base) = base {
        return vec![base.to_owned()];
    }
    let var = |name: &str| {
        std::env::var(name)
            .ok()
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let branch = BASE_ENV
        .iter()
        .find_map(|name| var(name))
        .unwrap_or_else(|| "main".to_owned());
    let mut candidates = vec![format!("origin/{branch}"), branch];
    candidates.extend(var("CI_MERGE_REQUEST_DIFF_BASE_SHA"));
    candidates
}
