//! Defaults from the target repo's git remote (issue 13, part 8: "no silent organisation").
//! rust-service 1.2.0 filled in `organization: acme` unasked, which landed in CODEOWNERS and the
//! CI role's trust policy; from 1.3.0 the default is `{{ git.remote_owner }}`: the owner in the
//! URL of the repo's `origin`, or an answer the person must give.

use std::path::Path;

use crate::support::*;
use predicates::prelude::*;

/// A git repo with a committed note and, when given, `origin` at `url`.
fn repo_with_origin(url: Option<&str>) -> tempfile::TempDir {
    let repo = git_repo(&[("NOTES.md", "hello\n")]);
    if let Some(url) = url {
        git2::Repository::open(repo.path())
            .unwrap()
            .remote("origin", url)
            .unwrap();
    }
    repo
}

fn read(dir: &Path, rel: &str) -> String {
    std::fs::read_to_string(dir.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn recorded_organization(dir: &Path) -> String {
    let lock = pave_model::lock::Lock::read(dir).unwrap();
    lock.golden_paths[0]
        .answers
        .get("organization")
        .map(ToString::to_string)
        .unwrap_or_default()
}

/// The failure as reported: `pave new rust-service ./x --no-input` without an organisation made
/// a repo for acme. Now it is refused, naming the parameter and how to give it, with nothing
/// written — with git or without.
#[test]
fn a_new_rust_service_without_an_organization_is_refused() {
    for extra in [&[][..], &["--no-git"], &["--dry-run"]] {
        refused(
            "rust-service",
            &[&["--no-input", "--set", "team=payments"][..], extra].concat(),
            &[
                "error: parameter `organization` needs an answer: its default is `git.remote_owner`, and a new repo has no git remote yet",
                "hint: pass them on the command line, in an --answers file, or run on a terminal without --no-input:",
                "  --set organization=<string>  # GitHub organisation or GitLab group",
            ],
        );
    }
    // Also when the answers come from a file that lacks it, and next to another missing one.
    refused(
        "rust-service@1.3.0",
        &["--no-input"],
        &[
            "error: 1 required parameter is missing: `team`; parameter `organization` needs an answer",
            "  --set team=<string>",
            "  --set organization=<string>",
        ],
    );
}

/// Released versions are as they were released: 1.2.0 still defaults to acme.
#[test]
fn rust_service_1_2_0_keeps_its_default() {
    let (_tmp, dir) = target();
    pave_new(
        "rust-service@1.2.0",
        &dir,
        &["--no-input", "--set", "team=payments"],
    )
    .assert()
    .success();
    assert_eq!(recorded_organization(&dir), "acme");
}

#[test]
fn a_new_rust_service_with_the_organization_given_uses_it() {
    let (_tmp, dir) = target();
    pave_new(
        "rust-service",
        &dir,
        &[
            "--no-input",
            "--set",
            "team=payments",
            "--set",
            "organization=octo-org",
        ],
    )
    .assert()
    .success();
    assert_eq!(recorded_organization(&dir), "octo-org");
    assert!(
        read(&dir, ".github/CODEOWNERS").contains("*                       @octo-org/payments\n")
    );
    assert!(read(&dir, "infra/terraform/terraform.tfvars").contains("organization = \"octo-org\""));
}

/// `pave apply` in a clone: the owner in `origin`'s URL is the organisation, in CODEOWNERS and
/// in the Terraform variables that the CI role's trust policy (`repo:<org>/<repo>`, GitLab's
/// `project_path:<group>/<project>`) is built from — https, scp-like ssh and `ssh://` URLs, and
/// a GitLab subgroup, whose owner is its whole namespace.
#[test]
fn apply_takes_the_organization_from_the_origin_remote() {
    let cases = [
        (
            "https://github.com/octo-org/payments-api.git",
            "github",
            "octo-org",
        ),
        (
            "git@github.com:octo-org/payments-api.git",
            "github",
            "octo-org",
        ),
        (
            "ssh://git@gitlab.example.com:2222/platform/payments/payments-api.git",
            "gitlab",
            "platform/payments",
        ),
        (
            "https://gitlab.com/platform/payments/payments-api",
            "gitlab",
            "platform/payments",
        ),
    ];
    for (url, provider, owner) in cases {
        let repo = repo_with_origin(Some(url));
        pave_apply(
            "rust-service",
            repo.path(),
            &[
                "--no-input",
                "--set",
                "team=payments",
                "--set",
                "service_name=payments-api",
                "--set",
                &format!("ci_provider={provider}"),
            ],
        )
        .assert()
        .success();
        let dir = repo.path();
        assert_eq!(recorded_organization(dir), owner, "{url}");
        let codeowners = read(dir, &format!(".{provider}/CODEOWNERS"));
        assert!(
            codeowners.contains(&format!("*                       @{owner}/payments\n")),
            "{url}: {codeowners}"
        );
        assert!(!codeowners.contains("acme"), "{url}: {codeowners}");
        let tfvars = read(dir, "infra/terraform/terraform.tfvars");
        assert!(
            tfvars.contains(&format!("organization = \"{owner}\"\n")),
            "{url}: {tfvars}"
        );
        // The trust policy reads that variable: the subjects are the remote's own repo.
        let main_tf = read(dir, "infra/terraform/main.tf");
        let subject = match provider {
            "github" => "repo:${var.organization}/${local.repository}:ref:refs/heads/",
            _ => "project_path:${var.organization}/${local.repository}:ref_type:branch:ref:",
        };
        assert!(main_tf.contains(subject), "{url}: {main_tf}");
        commit_all(dir, "adopt");
        pave_check(dir, &[]).assert().success();
    }
}

/// A service in a monorepo is hosted where the monorepo is: the remote is found upwards.
#[test]
fn apply_in_a_folder_of_a_repo_uses_that_repos_remote() {
    let repo = repo_with_origin(Some("git@github.com:octo-org/monorepo.git"));
    let service = repo.path().join("services/payments-api");
    std::fs::create_dir_all(&service).unwrap();
    pave_apply(
        "rust-service",
        &service,
        &[
            "--no-input",
            "--set",
            "team=payments",
            "--only",
            "quality-gates",
        ],
    )
    .assert()
    .success();
    assert_eq!(recorded_organization(&service), "octo-org");
}

/// A repo without `origin` (or one whose URL names no owner): the parameter is reported with
/// the other way to give it, adding the remote; nothing is written.
#[test]
fn apply_without_an_origin_needs_the_organization() {
    for (url, why) in [
        (None, "has no git remote `origin`"),
        (
            Some("/srv/git/payments-api.git"),
            "the git remote `origin` (/srv/git/payments-api.git) does not say it",
        ),
    ] {
        let repo = repo_with_origin(url);
        let before = tree(repo.path());
        pave_apply(
            "rust-service",
            repo.path(),
            &[
                "--no-input",
                "--set",
                "team=payments",
                "--set",
                "service_name=payments-api",
            ],
        )
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains(
            "error: parameter `organization` needs an answer: its default is `git.remote_owner`, and ",
        ))
        .stderr(predicate::str::contains(why))
        .stderr(predicate::str::contains("  --set organization=<string>"))
        .stderr(
            predicate::str::contains("git remote add origin <url>").count(usize::from(url.is_none())),
        );
        assert_eq!(tree(repo.path()), before, "nothing was written");
        assert!(!repo.path().join(".pave").exists());
    }
}

/// An answer recorded in the lock is the repo's: a remote that names another owner later (a
/// transfer, a fork) changes nothing on apply, and an answer given on the command line wins over
/// the remote.
#[test]
fn recorded_and_given_answers_win_over_the_remote() {
    let (_tmp, dir) = rust_service(&[]);
    assert_eq!(recorded_organization(&dir), "acme");
    git2::Repository::open(&dir)
        .unwrap()
        .remote("origin", "https://github.com/octo-org/payments-api.git")
        .unwrap();
    let before = tree(&dir);
    pave_apply("rust-service", &dir, &["--no-input"])
        .assert()
        .success()
        .stderr(predicate::str::contains("Up to date"));
    assert_eq!(tree(&dir), before);

    let repo = repo_with_origin(Some("git@github.com:octo-org/payments-api.git"));
    pave_apply(
        "rust-service",
        repo.path(),
        &[
            "--no-input",
            "--set",
            "team=payments",
            "--set",
            "service_name=payments-api",
            "--set",
            "organization=payments-guild",
        ],
    )
    .assert()
    .success();
    assert_eq!(recorded_organization(repo.path()), "payments-guild");
}

/// The mechanism is the manifest's, not rust-service's: any golden path may read the remote's
/// host, owner and repo in a default, and say what to use without one.
#[test]
fn any_golden_path_may_read_the_remote_in_a_default() {
    let gp = GoldenPathBuilder::new(&format!(
        "{MANIFEST_HEAD}parameters:\n  host: {{type: string, default: \"{{{{ git.remote_host }}}}\"}}\n  slug: {{type: string, default: \"{{{{ git.remote_owner }}}}/{{{{ git.remote_repo | kebab_case }}}}\"}}\n  team: {{type: string, default: \"{{{{ git.remote_owner | default('nobody') }}}}\"}}\ncomponents:\n  app: {{}}\n"
    ))
    .file(
        "components/app/where.txt.jinja",
        "{{ host }} {{ slug }} {{ team }}\n",
    );
    let repo = repo_with_origin(Some("git@git.example.com:platform/Payments_API.git"));
    pave_apply(&gp.arg(), repo.path(), &["--no-input"])
        .assert()
        .success();
    assert_eq!(
        read(repo.path(), "where.txt"),
        "git.example.com platform/payments-api platform\n"
    );
    // In a new repo the fallback serves `team`; the others need answers.
    refused(
        &gp.arg(),
        &["--no-input"],
        &[
            "parameter `host` needs an answer: its default is `git.remote_host`, and a new repo has no git remote yet",
            "parameter `slug` needs an answer: its default is `git.remote_owner`",
        ],
    );
    let (_tmp, dir) = target();
    pave_new(
        &gp.arg(),
        &dir,
        &["--no-input", "--set", "host=h", "--set", "slug=s"],
    )
    .assert()
    .success();
    assert_eq!(read(&dir, "where.txt"), "h s nobody\n");
}

/// A misspelt variable is the golden path's error, said when it is loaded, not a missing remote.
#[test]
fn an_unknown_git_variable_is_a_manifest_error() {
    let gp = GoldenPathBuilder::new(&format!(
        "{MANIFEST_HEAD}parameters:\n  org: {{type: string, default: \"{{{{ git.owner }}}}\"}}\ncomponents:\n  app: {{}}\n"
    ));
    refused(
        &gp.arg(),
        &["--set", "org=x"],
        &[
            "parameters.org: `default` reads `git.owner`; the git remote gives `git.remote_url`, `git.remote_host`, `git.remote_owner`, `git.remote_repo`",
        ],
    );
}

#[test]
fn show_says_where_the_default_comes_from() {
    let out = pave().args(["show", "rust-service"]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let row = text
        .lines()
        .find(|l| l.trim_start().starts_with("organization "))
        .unwrap_or_else(|| panic!("no organization row:\n{text}"));
    assert!(row.contains("\"{{ git.remote_owner }}\""), "{row}");
    assert!(!row.contains("acme"), "{row}");
    assert!(
        text.contains("come from the target repo's `origin` remote"),
        "{text}"
    );
    assert!(
        text.contains("so `organization` must be answered there"),
        "{text}"
    );
}
