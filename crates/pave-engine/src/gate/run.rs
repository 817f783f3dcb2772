//! Running the gates a command names: the configuration read (or its defaults), the coverage
//! report read before any git work (a bad report is an error whichever gate fails), the change
//! measured once for `pr-size` and `ai-provenance`, `pave check`'s engine for `conformance`, and
//! a disabled gate reported as skipped when it was named.

use std::path::Path;

use pave_model::lock::Lock;

use super::config::CONFIG_PATH;
use super::coverage::Coverage;
use super::{Gate, GateError, GateReport, Gates, Verdict, range};
use crate::check::{self, CatalogAccess};

/// What to run, and on what.
pub struct Request<'a> {
    /// A folder of the repository (its work tree, or a bare repository).
    pub repo: &'a Path,
    /// One gate, or all of them (`None`).
    pub gate: Option<Gate>,
    /// The configuration file; `None`: `.pave/gates.yaml` of the work tree, or the defaults.
    pub config: Option<&'a Path>,
    /// Refs to try as the base, in order (the first that resolves is used).
    pub base_candidates: &'a [String],
    pub head: &'a str,
    /// An lcov or Cobertura report for `ai-provenance`'s changed-line coverage.
    pub coverage: Option<&'a Path>,
}

/// Runs the gates of `request`; `catalogs` is where `conformance` looks up version lag.
pub fn run(request: &Request<'_>, catalogs: CatalogAccess<'_>) -> Result<GateReport, GateError> {
    if request.coverage.is_some() && !matches!(request.gate, None | Some(Gate::AiProvenance)) {
        return Err(GateError::CoverageUnused);
    }
    let repo = range::open(request.repo)?;
    let root = repo
        .workdir()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| request.repo.to_path_buf());
    // A named configuration must exist; the default one may be missing (then: the defaults).
    let config_path = match request.config {
        Some(path) if !path.is_file() => {
            return Err(GateError::ConfigUnreadable {
                path: path.to_owned(),
                source: if path.is_dir() {
                    std::io::Error::other("a folder, not a file")
                } else {
                    std::io::Error::new(std::io::ErrorKind::NotFound, "no such file")
                },
            });
        }
        Some(path) => path.to_owned(),
        None => root.join(CONFIG_PATH),
    };
    let gates = Gates::load(&config_path)?;

    let wanted = |gate: Gate| request.gate.is_none_or(|g| g == gate);
    let enabled = |gate: Gate| match gate {
        Gate::PrSize => gates.pr_size_enabled,
        Gate::AiProvenance => gates.ai_enabled,
        Gate::Conformance => gates.conformance_enabled,
    };
    let runs = |gate: Gate| wanted(gate) && enabled(gate);

    // The coverage report is read before any git work: a bad report is an error either way.
    let coverage = match request.coverage {
        Some(path) if runs(Gate::AiProvenance) => Some(Coverage::load(path, &root)?),
        _ => None,
    };

    let mut verdicts: Vec<Verdict> = Vec::new();
    let mut measured = None;
    if runs(Gate::PrSize) || runs(Gate::AiProvenance) {
        let range = range::resolve(&repo, request.base_candidates, request.head)?;
        let change = range::change(&repo, &range, &gates)?;
        if runs(Gate::PrSize) {
            verdicts.push(super::pr_size(&change, &gates));
        }
        if runs(Gate::AiProvenance) {
            verdicts.push(super::ai_provenance(
                &repo,
                &range,
                &change,
                &gates,
                coverage.as_ref(),
            )?);
        }
        measured = Some(range);
    }
    if runs(Gate::Conformance) {
        // No lock is an error, not a pass: deleting the lock must not pass the gate.
        let lock = Lock::read(&root)?;
        let report = check::check(&root, &lock, catalogs)?;
        verdicts.push(super::conformance(&report));
    }
    for gate in [Gate::PrSize, Gate::AiProvenance, Gate::Conformance] {
        if wanted(gate) && !enabled(gate) {
            verdicts.push(Verdict::skipped(gate));
        }
    }
    verdicts.sort_by_key(|v| v.gate);
    Ok(GateReport::new(
        gates.source.as_ref().map(|p| p.display().to_string()),
        measured,
        verdicts,
    ))
}
