//! `pave new`: from nothing to a committed repo with a lock.

use crate::support::*;
use predicates::prelude::*;

#[test]
fn new_rust_service_gives_a_committed_repo_with_a_lock() {
    let (tmp, dir) = target();
    pave_new(
        "rust-service",
        &dir,
        &[
            "--set",
            "team=payments",
            "--set",
            "service_name=payments-api",
            "--set",
            "organization=acme",
        ],
    )
    .assert()
    .success()
    .stdout("")
    .stderr(predicate::str::contains("Created"))
    .stderr(predicate::str::contains("rust-service@1.3.0"));
    assert_no_leftovers(tmp.path());

    let repo = git2::Repository::open(&dir).unwrap();
    let head = repo.head().unwrap();
    assert_eq!(head.shorthand().ok(), Some("main"));
    let commit = head.peel_to_commit().unwrap();
    assert_eq!(commit.parent_count(), 0, "exactly one commit");
    assert_eq!(commit.author().name().ok(), Some("Test Author"));
    assert!(commit.summary().unwrap().unwrap().contains("payments-api"));
    let statuses = repo.statuses(None).unwrap();
    assert_eq!(
        statuses.len(),
        0,
        "work tree is clean after the first commit"
    );

    // The lock records every rendered file with its SHA-256, and the hashes are right.
    let lock_text = std::fs::read_to_string(dir.join(".pave/lock.yaml")).unwrap();
    assert!(lock_text.starts_with("# yaml-language-server: $schema=lock.schema.json\n"));
    let lock = pave_model::lock::Lock::parse(&lock_text).unwrap();
    assert_eq!(lock.golden_paths.len(), 1);
    let entry = &lock.golden_paths[0];
    assert_eq!(
        (entry.name.as_str(), entry.version.to_string().as_str()),
        ("rust-service", "1.3.0")
    );
    assert_eq!(entry.catalog, "builtin");
    assert_eq!(
        entry.answers.get("team"),
        Some(&pave_model::parameter::Value::String("payments".into()))
    );
    assert_eq!(
        entry.components,
        [
            "app",
            "ci",
            "iac",
            "deploy",
            "observability",
            "quality-gates"
        ]
    );
    uuid::Uuid::parse_str(&lock.repo_id).unwrap();
    let files = tree(&dir);
    for locked in &entry.files {
        let bytes = files
            .get(locked.path.as_str())
            .unwrap_or_else(|| panic!("{} missing", locked.path));
        assert_eq!(
            pave_model::lock::sha256_hex(bytes),
            locked.sha256,
            "{}",
            locked.path
        );
    }
    // Every file in the repo is either in the lock or is the lock itself.
    let locked: std::collections::BTreeSet<_> =
        entry.files.iter().map(|f| f.path.to_string()).collect();
    for path in files.keys() {
        assert!(
            locked.contains(path) || path.starts_with(".pave/lock"),
            "{path} not in the lock"
        );
    }
    for must in [
        "src/main.rs",
        "Dockerfile",
        ".github/workflows/ci.yml",
        "deploy/base/kustomization.yaml",
        ".pave/gates.yaml",
    ] {
        assert!(files.contains_key(must), "{must} missing");
    }
    assert!(!files.contains_key(".gitlab-ci.yml"));
}

#[test]
fn answers_file_then_set_wins() {
    let gp = GoldenPathBuilder::demo();
    let (_tmp, dir) = target();
    let answers = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(answers.path(), "name: from-file\nport: 9000\n").unwrap();
    pave()
        .args(["new", &gp.arg()])
        .arg(&dir)
        .arg("--answers")
        .arg(answers.path())
        .args(["--set", "port=9100", "--no-git"])
        .assert()
        .success();
    assert_eq!(
        std::fs::read_to_string(dir.join("README.md")).unwrap(),
        "# from-file on 9100\n"
    );
    assert!(!dir.join(".git").exists(), "--no-git makes no repo");
}

#[test]
fn defaults_are_used_without_a_terminal() {
    let gp = GoldenPathBuilder::demo();
    let (_tmp, dir) = target();
    pave_new(&gp.arg(), &dir, &["--set", "name=x1"])
        .assert()
        .success();
    assert_eq!(
        std::fs::read_to_string(dir.join("README.md")).unwrap(),
        "# x1 on 8080\n"
    );
}

#[test]
fn dry_run_prints_the_plan_and_writes_nothing() {
    let (tmp, dir) = target();
    pave_new(
        "rust-service",
        &dir,
        &[&RUST_SERVICE_ANSWERS[..], &["--dry-run"]].concat(),
    )
    .assert()
    .success()
    .stderr(predicate::str::contains("create"))
    .stderr(predicate::str::contains("src/main.rs"))
    .stderr(predicate::str::contains(".pave/lock.yaml"))
    .stderr(predicate::str::contains("nothing written"));
    assert!(!dir.exists());
    assert_no_leftovers(tmp.path());
}

#[test]
fn only_renders_the_chosen_components() {
    let (_tmp, dir) = target();
    pave_new(
        "rust-service",
        &dir,
        &[
            &RUST_SERVICE_ANSWERS[..],
            &["--only", "deploy,ci", "--no-git"],
        ]
        .concat(),
    )
    .assert()
    .success();
    let files = tree(&dir);
    assert!(files.contains_key("deploy/base/kustomization.yaml"));
    assert!(files.contains_key(".github/workflows/ci.yml"));
    assert!(!files.contains_key("src/main.rs"));
    let lock =
        pave_model::lock::Lock::parse(&String::from_utf8_lossy(&files[".pave/lock.yaml"])).unwrap();
    assert_eq!(
        lock.golden_paths[0].components,
        ["ci", "deploy"],
        "manifest order"
    );
}

#[test]
fn gitlab_and_plain_deployment_variants() {
    let (_tmp, dir) = target();
    pave_new(
        "rust-service",
        &dir,
        &[
            "--set",
            "team=payments",
            "--set",
            "organization=acme",
            "--set",
            "ci_provider=gitlab",
            "--set",
            "canary=false",
            "--no-git",
        ],
    )
    .assert()
    .success();
    let files = tree(&dir);
    assert!(files.contains_key(".gitlab-ci.yml"));
    assert!(
        !files.keys().any(|p| p.starts_with(".github/")),
        "no GitHub files for gitlab"
    );
    assert!(files.contains_key("deploy/base/deployment.yaml"));
    assert!(!files.contains_key("deploy/base/rollout.yaml"));
}

#[test]
fn binary_files_are_copied_byte_for_byte_and_modes_kept() {
    let binary: Vec<u8> = (0..=255u8).chain([0, 0xff, 0xfe, b'{', b'{']).collect();
    let gp = GoldenPathBuilder::demo()
        .bytes("components/app/assets/logo.png", &binary)
        .file(
            "components/app/ci.yml",
            "sha: ${{ github.sha }} {{ not_rendered }}\n",
        )
        .file("components/app/run.sh", "#!/bin/sh\necho hi\n");
    {
        use std::os::unix::fs::PermissionsExt as _;
        let script = gp.path().join("components/app/run.sh");
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let (_tmp, dir) = target();
    pave_new(&gp.arg(), &dir, &["--set", "name=x"])
        .assert()
        .success();
    assert_eq!(std::fs::read(dir.join("assets/logo.png")).unwrap(), binary);
    assert_eq!(
        std::fs::read_to_string(dir.join("ci.yml")).unwrap(),
        "sha: ${{ github.sha }} {{ not_rendered }}\n"
    );
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(dir.join("run.sh"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o755);
    let mode = std::fs::metadata(dir.join("ci.yml"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o644);
}

#[test]
fn templated_path_segments_and_empty_segment_drops_the_file() {
    let gp = GoldenPathBuilder::new(&format!(
        "{MANIFEST_HEAD}parameters:\n  name: {{type: string, default: MyService}}\n  docs: {{type: boolean, default: false}}\ncomponents:\n  app: {{}}\n"
    ))
    .file("components/app/src/{{ name | snake_case }}.rs.jinja", "// {{ name | pascal_case }} {{ name | kebab_case }} {{ name | camel_case }} {{ name | screaming_snake_case }}\n")
    .file("components/app/{% if docs %}docs{% endif %}/guide.md", "guide\n");
    let (_tmp, dir) = target();
    pave_new(&gp.arg(), &dir, &["--no-git"]).assert().success();
    assert_eq!(
        std::fs::read_to_string(dir.join("src/my_service.rs")).unwrap(),
        "// MyService my-service myService MY_SERVICE\n"
    );
    assert!(
        !dir.join("docs").exists(),
        "an empty segment drops the file"
    );
}

#[test]
fn when_rules_drop_files_and_ownership_is_first_match() {
    let gp = GoldenPathBuilder::new(&format!(
        "{MANIFEST_HEAD}parameters:\n  ci: {{type: choice, choices: [github, gitlab], default: gitlab}}\ncomponents:\n  app: {{}}\nfiles:\n  - {{glob: \"src/**\", ownership: seeded}}\n  - {{glob: \"**/*.md\", ownership: merged}}\n  - {{glob: \".github/**\", when: \"ci == 'github'\"}}\n"
    ))
    .file("components/app/src/a/b.rs", "x\n")
    .file("components/app/src/README.md", "x\n")
    .file("components/app/README.md", "x\n")
    .file("components/app/.github/workflows/ci.yml", "x\n")
    .file("components/app/.gitlab-ci.yml", "x\n");
    let (_tmp, dir) = target();
    pave_new(&gp.arg(), &dir, &["--no-git"]).assert().success();
    let lock = pave_model::lock::Lock::parse(
        &std::fs::read_to_string(dir.join(".pave/lock.yaml")).unwrap(),
    )
    .unwrap();
    let owned: Vec<(String, String)> = lock.golden_paths[0]
        .files
        .iter()
        .map(|f| (f.path.to_string(), f.ownership.to_string()))
        .collect();
    let want = [
        (".gitlab-ci.yml", "managed"),
        ("README.md", "merged"),
        ("src/README.md", "seeded"),
        ("src/a/b.rs", "seeded"),
    ];
    assert_eq!(owned, want.map(|(a, b)| (a.to_owned(), b.to_owned())));
}

#[test]
fn new_into_an_existing_empty_folder_works() {
    let (_tmp, dir) = target();
    std::fs::create_dir(&dir).unwrap();
    pave_new("rust-service", &dir, &RUST_SERVICE_ANSWERS)
        .assert()
        .success();
    assert!(dir.join(".pave/lock.yaml").exists());
}

#[test]
fn falls_back_to_a_named_author_when_git_has_none() {
    let gp = GoldenPathBuilder::demo();
    let (_tmp, dir) = target();
    let home = tempfile::tempdir().unwrap();
    pave()
        .env_remove("GIT_AUTHOR_NAME")
        .env_remove("GIT_AUTHOR_EMAIL")
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .args(["new", &gp.arg()])
        .arg(&dir)
        .args(["--set", "name=x"])
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "warning: git has no user.name/user.email; committed as pave <pave@localhost>",
        ));
    let repo = git2::Repository::open(&dir).unwrap();
    let commit = repo.head().unwrap().peel_to_commit().unwrap();
    assert_eq!(commit.author().email().ok(), Some("pave@localhost"));
}
