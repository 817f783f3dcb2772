//! `pave gate <pr-size|ai-provenance|conformance|all>`: the AI-aware quality gates. Exit 0 when
//! every gate passes, 1 when one fails, 2 when a gate cannot give a verdict (bad configuration, a
//! base missing from a shallow clone, an unreadable coverage report). The edge's part: the CI's
//! base branch from the environment, the configuration and coverage files, and the output.

use crate::check::{self, CatalogAccess};
use crate::cli::{GateArgs, GateName};
use crate::coverage::Coverage;
use crate::error::{EXIT_FINDING, Error};
use crate::gate::format::{self, GateFormat};
use crate::gate::{self, Gate, GateReport, Gates, Verdict, config::CONFIG_PATH, range};
use crate::lock::{Lock, LockEntry};
use crate::printer::Printer;
use crate::settings::{CatalogChoice, catalog_of_source};

/// CI variables that name the branch a pull or merge request targets, in the order read.
pub const BASE_ENV: [&str; 2] = ["GITHUB_BASE_REF", "CI_MERGE_REQUEST_TARGET_BRANCH_NAME"];

pub fn run(
    args: &GateArgs,
    catalog: Option<&CatalogChoice>,
    printer: &Printer,
) -> Result<u8, Error> {
    let targets = super::report_targets(
        &args.format,
        &args.output,
        &args.output_of_format,
        GateFormat::Text,
    )?;
    if args.coverage.is_some() && !matches!(args.gate, GateName::AiProvenance | GateName::All) {
        return Err(Error::Usage(
            "--coverage is for `pave gate ai-provenance` and `pave gate all`".into(),
        ));
    }
    let repo = range::open(&args.repo)?;
    let root = repo
        .workdir()
        .map(std::path::Path::to_path_buf)
        .unwrap_or_else(|| args.repo.clone());
    let config_path = args
        .config
        .clone()
        .unwrap_or_else(|| root.join(CONFIG_PATH));
    // An explicit --config must exist; the default one may be missing (then: the defaults).
    if let Some(path) = &args.config
        && !path.is_file()
    {
        return Err(Error::Read {
            path: path.clone(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
        });
    }
    let gates = Gates::load(&config_path)?;

    let wanted = |gate: Gate| match args.gate {
        GateName::All => true,
        GateName::PrSize => gate == Gate::PrSize,
        GateName::AiProvenance => gate == Gate::AiProvenance,
        GateName::Conformance => gate == Gate::Conformance,
    };
    let enabled = |gate: Gate| match gate {
        Gate::PrSize => gates.pr_size_enabled,
        Gate::AiProvenance => gates.ai_enabled,
        Gate::Conformance => gates.conformance_enabled,
    };
    let runs = |gate: Gate| wanted(gate) && enabled(gate);

    // The coverage report is read before any git work: a bad report is an error either way.
    let coverage = match &args.coverage {
        Some(path) if runs(Gate::AiProvenance) => {
            Some(Coverage::load(path, &root).map_err(gate::GateError::from)?)
        }
        _ => None,
    };

    let mut verdicts: Vec<Verdict> = Vec::new();
    let mut measured = None;
    if runs(Gate::PrSize) || runs(Gate::AiProvenance) {
        let candidates = base_candidates(args.base.as_deref());
        let range = range::resolve(&repo, &candidates, &args.head)?;
        let change = range::change(&repo, &range, &gates)?;
        if runs(Gate::PrSize) {
            verdicts.push(gate::pr_size(&change, &gates));
        }
        if runs(Gate::AiProvenance) {
            verdicts.push(gate::ai_provenance(
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
        let lock = Lock::read(&root)?;
        let open = |entry: &LockEntry| match catalog {
            Some(choice) => Some(choice.open()),
            None => catalog_of_source(&entry.catalog),
        };
        let report = check::check(&root, &lock, CatalogAccess::Online(&open))?;
        verdicts.push(gate::conformance(&report));
    }
    for gate in [Gate::PrSize, Gate::AiProvenance, Gate::Conformance] {
        if wanted(gate) && !enabled(gate) {
            verdicts.push(Verdict::skipped(gate));
        }
    }
    verdicts.sort_by_key(|v| v.gate);

    let report = GateReport::new(
        gates.source.as_ref().map(|p| p.display().to_string()),
        measured,
        verdicts,
    );
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
