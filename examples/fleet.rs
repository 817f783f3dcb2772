//! Writes a reproducible fleet of repos for `pave audit` and its ground truth (`truth.json`):
//!
//! ```sh
//! cargo run --release --example fleet -- --repos 1000 --seed 42 --out /tmp/fleet
//! cargo run --release --example fleet -- --repos 60 --seed 7 --out /tmp/small --bare-share 0.2 --hostile
//! ```
//!
//! See `pave_fleet` for what the fleet holds.
#![allow(clippy::print_stderr, reason = "a command-line tool reports on stderr")]

use std::path::PathBuf;
use std::process::ExitCode;

use pave_fleet::{FleetSpec, generate};

const USAGE: &str = "usage: fleet --repos N --seed S --out DIR [--bare-share F] [--unadopted-share F] \
[--old-share F] [--drift-share F] [--merged-edit-share F] [--deleted-share F] [--teams N] [--trains N] [--hostile]";

fn main() -> ExitCode {
    let (spec, out) = match parse(std::env::args().skip(1)) {
        Ok(parsed) => parsed,
        Err(why) => {
            eprintln!("error: {why}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let started = std::time::Instant::now();
    match generate(&out, &spec) {
        Ok(truth) => {
            let mut by_status = std::collections::BTreeMap::<&str, usize>::new();
            for repo in &truth.repos {
                *by_status.entry(repo.status.as_str()).or_default() += 1;
            }
            let bare = truth
                .repos
                .iter()
                .filter(|r| r.kind == pave_engine::audit::RepoKind::Bare)
                .count();
            eprintln!(
                "wrote {} repos ({bare} bare, {} hostile) to {} in {:.1} s; {by_status:?}; truth in {}",
                truth.repos.len(),
                truth.hostile.len(),
                out.display(),
                started.elapsed().as_secs_f64(),
                out.join(pave_fleet::TRUTH_FILE).display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<(FleetSpec, PathBuf), String> {
    let mut spec = FleetSpec::default();
    let mut out = None;
    let mut has_repos = false;
    while let Some(flag) = args.next() {
        if flag == "--hostile" {
            spec.hostile = true;
            continue;
        }
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number = |what: &str| {
            value
                .parse::<usize>()
                .map_err(|_| format!("{flag} {value}: {what}"))
        };
        let share = || match value.parse::<f64>() {
            Ok(share) if (0.0..=1.0).contains(&share) => Ok(share),
            _ => Err(format!("{flag} {value}: expected a share between 0 and 1")),
        };
        match flag.as_str() {
            "--repos" => {
                spec.repos = number("expected a number of repos")?;
                has_repos = true;
            }
            "--seed" => {
                spec.seed = value
                    .parse()
                    .map_err(|_| format!("--seed {value}: expected a number"))?
            }
            "--out" => out = Some(PathBuf::from(value)),
            "--bare-share" => spec.bare_share = share()?,
            "--unadopted-share" => spec.unadopted_share = share()?,
            "--old-share" => spec.old_version_share = share()?,
            "--drift-share" => spec.drift_share = share()?,
            "--merged-edit-share" => spec.merged_edit_share = share()?,
            "--deleted-share" => spec.deleted_share = share()?,
            "--teams" => spec.teams = number("expected a number of teams")?,
            "--trains" => spec.trains = number("expected a number of trains")?,
            _ => return Err(format!("unknown argument {flag}")),
        }
    }
    if !has_repos {
        return Err("--repos is required".into());
    }
    Ok((spec, out.ok_or("--out is required")?))
}
