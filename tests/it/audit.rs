//! `pave audit` on fleets made by `pave_fleet`: the report equals the fleet's truth repo by
//! repo; hostile repos are reported for themselves and stop nothing; shards partition the fleet
//! and merge back into the whole; `--fail-on` rules; repos files with paths and `file://` URLs.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use pave_engine::audit::{AuditReport, RepoAudit, RepoKind};
use pave_fleet::{FleetSpec, Truth, TruthGoldenPath, TruthRepo};
use pave_model::status::Lag;
use pave_model::status::RepoStatus;

use crate::support::{pave, rust_service, set_locked_version};

/// ~60 repos: a fifth bare, every hostile kind, the default shares of drift, edits and lag.
fn small_spec() -> FleetSpec {
    FleetSpec {
        repos: 60,
        seed: 7,
        bare_share: 0.2,
        hostile: true,
        ..FleetSpec::default()
    }
}

/// A fleet in `<tmp>/fleet`; the folder is named as the truth names it.
fn fleet(spec: &FleetSpec) -> (tempfile::TempDir, String, Truth) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("fleet");
    let truth = pave_fleet::generate(&dir, spec).unwrap();
    (tmp, dir.display().to_string(), truth)
}

/// `pave audit <args> --format json`: the exit code and the report.
fn audit(args: &[&str]) -> (i32, AuditReport, String) {
    let output = pave()
        .arg("audit")
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    let report = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{e}\nstdout:\n{stdout}\nstderr:\n{stderr}"));
    (output.status.code().unwrap(), report, stderr)
}

/// The fields of the truth, as the audit reported them.
fn as_truth(repo: &RepoAudit) -> TruthRepo {
    TruthRepo {
        path: repo.path.clone(),
        kind: repo.kind,
        status: repo.status,
        golden_paths: repo
            .golden_paths
            .iter()
            .map(|g| TruthGoldenPath {
                name: g.name.clone(),
                version: g.version.clone(),
                latest: g.latest.clone().unwrap_or_default(),
            })
            .collect(),
        drifted_files: repo.drifted_files.clone(),
        missing_files: repo.missing_files.clone(),
        edited_merged_files: repo.edited_merged_files.clone(),
        excepted_files: repo.excepted_files.clone(),
        team: repo.team.clone(),
        train: repo.train.clone(),
    }
}

/// Every repo of the report equals its truth; the failure lists each repo that does not.
fn assert_matches(report: &AuditReport, expected: &[TruthRepo]) {
    let got: Vec<TruthRepo> = report.repos.iter().map(as_truth).collect();
    let by_path: BTreeMap<&str, &TruthRepo> = got.iter().map(|r| (r.path.as_str(), r)).collect();
    let mut wrong = Vec::new();
    for want in expected {
        match by_path.get(want.path.as_str()) {
            None => wrong.push(format!("{}: not in the report", want.path)),
            Some(got) if *got != want => wrong.push(format!(
                "{}:\n  truth: {want:?}\n  audit: {got:?}",
                want.path
            )),
            Some(_) => {}
        }
    }
    let known: BTreeSet<&str> = expected.iter().map(|r| r.path.as_str()).collect();
    wrong.extend(
        got.iter()
            .filter(|r| !known.contains(r.path.as_str()))
            .map(|r| format!("{}: not in the truth", r.path)),
    );
    assert!(
        wrong.is_empty(),
        "{} repo(s) differ from the truth:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    assert_eq!(got, expected);
}

fn count(truth: &Truth, status: RepoStatus) -> usize {
    truth.repos.iter().filter(|r| r.status == status).count()
}

#[test]
fn audit_reports_exactly_the_fleet_truth() {
    let (_tmp, dir, truth) = fleet(&small_spec());
    // The fleet holds what the test is about: every status, bare repos, an older version.
    for status in RepoStatus::ALL {
        assert!(count(&truth, status) > 0, "no {status:?} repo in the fleet");
    }
    assert!(
        truth
            .repos
            .iter()
            .filter(|r| r.kind == RepoKind::Bare)
            .count()
            >= 10
    );
    assert!(
        truth
            .repos
            .iter()
            .any(|r| r.golden_paths.iter().any(|g| g.version == "1.0.0"))
    );
    assert!(
        truth
            .repos
            .iter()
            .any(|r| !r.edited_merged_files.is_empty())
    );
    assert!(
        truth
            .repos
            .iter()
            .any(|r| r.train.is_none() && r.team.is_some())
    );

    let (code, report, stderr) = audit(&[&dir]);
    assert_eq!(code, 0, "{stderr}");
    assert_matches(&report, &truth.repos);
    for repo in &report.repos {
        assert_eq!(
            repo.error.is_some(),
            repo.status == RepoStatus::Error,
            "{repo:?}"
        );
        assert!(repo.lock_problems.is_empty(), "{repo:?}");
        for g in &repo.golden_paths {
            let (version, latest) = (
                g.version.parse().unwrap(),
                g.latest.as_deref().unwrap().parse().unwrap(),
            );
            assert_eq!(
                g.lag,
                Some(Lag::between(&version, &latest)),
                "{}",
                repo.path
            );
        }
    }
    for status in RepoStatus::ALL {
        assert_eq!(
            report.summary.by_status[status.as_str()],
            count(&truth, status),
            "{status:?}"
        );
    }
    assert_eq!(report.summary.repos, truth.repos.len());
}

#[test]
fn the_truth_file_is_written_beside_the_repos_and_a_seed_makes_the_same_fleet() {
    let spec = small_spec();
    let (_tmp, dir, truth) = fleet(&spec);
    let text = std::fs::read_to_string(Path::new(&dir).join(pave_fleet::TRUTH_FILE)).unwrap();
    assert_eq!(serde_json::from_str::<Truth>(&text).unwrap(), truth);
    let (_again, dir_again, again) = fleet(&spec);
    let moved = serde_json::to_string(&again)
        .unwrap()
        .replace(&dir_again, &dir);
    assert_eq!(serde_json::from_str::<Truth>(&moved).unwrap(), truth);
    // The same bytes, repo ids included.
    for repo in truth
        .repos
        .iter()
        .filter(|r| r.kind == RepoKind::Worktree && r.status != RepoStatus::Error)
    {
        let rel = &repo.path[dir.len()..];
        let lock = |root: &str| std::fs::read(format!("{root}{rel}/.pave/lock.yaml")).ok();
        assert_eq!(lock(&dir), lock(&dir_again), "{}", repo.path);
    }
}

#[test]
fn hostile_repos_are_reported_for_themselves_and_stop_nothing() {
    let (_tmp, dir, truth) = fleet(&small_spec());
    assert_eq!(truth.hostile.len(), pave_fleet::Hostile::ALL.len());
    let (code, report, stderr) = audit(&[&dir]);
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("internal error"), "{stderr}");
    assert_eq!(report.repos.len(), truth.repos.len());
    let by_path: BTreeMap<&str, &RepoAudit> =
        report.repos.iter().map(|r| (r.path.as_str(), r)).collect();
    for (path, what) in &truth.hostile {
        let repo = by_path[path.as_str()];
        let expected = match what.as_str() {
            "bare, no commit" => RepoStatus::Unadopted,
            w if w.contains("lock") => RepoStatus::Error,
            _ => RepoStatus::Drifted,
        };
        assert_eq!(repo.status, expected, "{path} ({what}): {repo:?}");
        if what == "a 100 MB lock" {
            let error = repo.error.as_deref().unwrap();
            assert!(error.contains("104857600 bytes; not read"), "{error}");
        }
    }
}

#[test]
fn offline_audit_has_no_lag() {
    let (_tmp, dir, truth) = fleet(&small_spec());
    let (code, report, stderr) = audit(&[&dir, "--offline"]);
    assert_eq!(code, 0, "{stderr}");
    for repo in &report.repos {
        assert!(
            repo.golden_paths
                .iter()
                .all(|g| g.lag.is_none() && g.latest.is_none() && g.versions_behind.is_none()),
            "{repo:?}"
        );
    }
    let expected: Vec<TruthRepo> = truth
        .repos
        .iter()
        .map(|r| TruthRepo {
            status: r.offline_status(),
            golden_paths: r
                .golden_paths
                .iter()
                .map(|g| TruthGoldenPath {
                    latest: String::new(),
                    ..g.clone()
                })
                .collect(),
            ..r.clone()
        })
        .collect();
    assert_matches(&report, &expected);
    assert_eq!(report.summary.by_status["outdated"], 0);
}

#[test]
fn shards_partition_the_fleet_and_merge_back_into_the_whole() {
    let (tmp, dir, truth) = fleet(&small_spec());
    let whole = pave()
        .args(["audit", &dir, "--format", "json"])
        .output()
        .unwrap();
    assert!(whole.status.success());
    let mut shards = Vec::new();
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    for i in 1..=3 {
        let shard = format!("{i}/3");
        let out = tmp.path().join(format!("shard-{i}.json"));
        pave()
            .args([
                "audit", &dir, "--format", "json", "--shard", &shard, "--output",
            ])
            .arg(&out)
            .assert()
            .success();
        let report: AuditReport =
            serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
        assert!(!report.repos.is_empty(), "shard {shard} is empty");
        for repo in &report.repos {
            if let Some(other) = seen.insert(repo.path.clone(), shard.clone()) {
                panic!("{} is in shard {other} and shard {shard}", repo.path);
            }
        }
        shards.push(out);
    }
    let all: BTreeSet<&str> = truth.repos.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(
        seen.keys().map(String::as_str).collect::<BTreeSet<_>>(),
        all
    );

    let merged = pave()
        .args(["audit", "merge", "--format", "json"])
        .args(&shards)
        .output()
        .unwrap();
    assert!(
        merged.status.success(),
        "{}",
        String::from_utf8_lossy(&merged.stderr)
    );
    let json = |bytes: &[u8]| serde_json::from_slice::<serde_json::Value>(bytes).unwrap();
    assert_eq!(json(&merged.stdout), json(&whole.stdout));
}

#[test]
fn fail_on_rules_exit_1_when_a_repo_matches_and_0_otherwise() {
    let (_tmp, dir, truth) = fleet(&small_spec());
    assert!(
        truth
            .repos
            .iter()
            .any(|r| r.golden_paths.iter().any(|g| g.version == "1.0.0"))
    );
    assert!(
        truth
            .repos
            .iter()
            .all(|r| r.golden_paths.iter().all(|g| g.version.starts_with("1.")))
    );
    let code = |rules: &[&str]| {
        let mut cmd = pave();
        cmd.args(["audit", &dir, "--format", "json", "--output", "/dev/null"]);
        for rule in rules {
            cmd.args(["--fail-on", rule]);
        }
        let output = cmd.output().unwrap();
        let stderr = String::from_utf8(output.stderr).unwrap();
        let code = output.status.code().unwrap();
        // A report to a device is written into it, never renamed over it.
        assert!(
            std::os::unix::fs::FileTypeExt::is_char_device(
                &std::fs::metadata("/dev/null").unwrap().file_type()
            ),
            "pave replaced /dev/null with a file"
        );
        if code == 1 {
            assert!(stderr.contains("the fleet fails --fail-on"), "{stderr}");
        }
        code
    };
    assert_eq!(code(&["drift"]), 1);
    assert_eq!(code(&["unadopted"]), 1);
    assert_eq!(code(&["error"]), 1);
    assert_eq!(
        code(&["lag=minor"]),
        1,
        "a 1.0.0 repo is a minor version behind 1.2.0"
    );
    assert_eq!(
        code(&["lag=patch"]),
        1,
        "patch means at least a patch behind"
    );
    assert_eq!(code(&["lag=major"]), 0, "no repo is a major version behind");
    assert_eq!(code(&[]), 0);
    assert_eq!(code(&["lag=major", "drift"]), 1);

    let clean = FleetSpec {
        repos: 12,
        unadopted_share: 0.0,
        old_version_share: 0.0,
        drift_share: 0.0,
        deleted_share: 0.0,
        excepted_share: 0.0,
        merged_edit_share: 0.5,
        ..small_spec()
    };
    let clean = FleetSpec {
        hostile: false,
        ..clean
    };
    let (_tmp, clean_dir, truth) = fleet(&clean);
    assert!(
        truth
            .repos
            .iter()
            .all(|r| r.status == RepoStatus::Conforming),
        "{truth:?}"
    );
    pave()
        .args(["audit", &clean_dir, "--output", "/dev/null"])
        .args([
            "--fail-on",
            "drift",
            "--fail-on",
            "unadopted",
            "--fail-on",
            "error",
            "--fail-on",
            "lag=patch",
        ])
        .assert()
        .code(0);
}

#[test]
fn repos_file_lists_paths_and_file_urls_offline() {
    let (tmp, dir, truth) = fleet(&small_spec());
    let relative = |repo: &TruthRepo| {
        format!(
            "fleet/{}",
            repo.path
                .strip_prefix(&dir)
                .unwrap()
                .trim_start_matches('/')
        )
    };
    let first = |status: RepoStatus, kind: RepoKind| {
        truth
            .repos
            .iter()
            .find(|r| r.status == status && r.kind == kind && !truth.hostile.contains_key(&r.path))
            .unwrap_or_else(|| panic!("no {status:?} {kind:?} repo"))
    };
    let listed = [
        first(RepoStatus::Drifted, RepoKind::Worktree),
        first(RepoStatus::Outdated, RepoKind::Worktree),
        first(RepoStatus::Unadopted, RepoKind::Worktree),
        first(RepoStatus::Conforming, RepoKind::Bare),
    ];
    let by_url = truth
        .repos
        .iter()
        .find(|r| {
            r.kind == RepoKind::Bare
                && r.status == RepoStatus::Drifted
                && !truth.hostile.contains_key(&r.path)
        })
        .expect("a drifted bare repo");
    let url = format!("file://{}", by_url.path);
    let mut lines = vec!["# the repos of this test".to_owned(), String::new()];
    lines.extend(listed.iter().map(|r| relative(r)));
    lines.push(url.clone());
    let file = tmp.path().join("repos.txt");
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();

    let cache = tmp.path().join("cache");
    let output = pave()
        .env("PAVE_CACHE_DIR", &cache)
        .args(["audit", "--offline", "--format", "json", "--repos-file"])
        .arg(&file)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("cannot clone"), "{stderr}");
    let report: AuditReport = serde_json::from_slice(&output.stdout).unwrap();

    let mut expected: Vec<TruthRepo> = listed
        .iter()
        .map(|r| TruthRepo {
            path: relative(r),
            ..(*r).clone()
        })
        .chain([TruthRepo {
            path: url,
            ..by_url.clone()
        }])
        .map(|r| TruthRepo {
            status: r.offline_status(),
            golden_paths: r
                .golden_paths
                .iter()
                .map(|g| TruthGoldenPath {
                    latest: String::new(),
                    ..g.clone()
                })
                .collect(),
            ..r
        })
        .collect();
    expected.sort_by(|a, b| a.path.cmp(&b.path));
    assert_matches(&report, &expected);
    assert!(cache.exists(), "the URL was cloned into PAVE_CACHE_DIR");
}

#[test]
fn a_folder_replaced_by_a_link_to_identical_files_outside_the_repo_is_missing() {
    // Regression: the work-tree reader followed a linked folder (`deploy/overlays` → a copy
    // outside the repo) and reported the repo conforming.
    let spec = FleetSpec {
        repos: pave_fleet::Hostile::ALL.len(),
        ..small_spec()
    };
    let (_tmp, dir, truth) = fleet(&spec);
    let (path, _) = truth
        .hostile
        .iter()
        .find(|(_, what)| what.contains("managed folder"))
        .unwrap();
    let (code, report, _) = audit(&[&dir]);
    assert_eq!(code, 0);
    let repo = report.repos.iter().find(|r| &r.path == path).unwrap();
    assert_eq!(repo.status, RepoStatus::Drifted, "{repo:?}");
    assert_eq!(
        repo.missing_files,
        ["dev", "prod", "staging"].map(|env| format!("deploy/overlays/{env}/kustomization.yaml"))
    );
}

#[test]
fn a_locked_version_the_catalog_lacks_has_no_lag_and_is_a_lock_problem() {
    let (tmp, dir) = rust_service(&[]);
    set_locked_version(&dir, "9.0.0");
    let (_, report, _) = audit(&[tmp.path().to_str().unwrap()]);
    let repo = &report.repos[0];
    assert_eq!(repo.golden_paths[0].lag, None, "{repo:?}");
    assert!(
        repo.lock_problems
            .iter()
            .any(|p| p.contains("rust-service@9.0.0 is not a version of catalog builtin")),
        "{repo:?}"
    );
}
