//! On a terminal, `pave new` prompts (dialoguer) for every parameter not answered on the command
//! line, showing its help text and default. Driven through a real pseudo-terminal.

use crate::support::*;

#[test]
fn prompts_on_a_terminal_with_help_and_defaults() {
    let gp = GoldenPathBuilder::new(&format!(
        "{MANIFEST_HEAD}parameters:\n  name: {{type: string, required: true, help: Service name, pattern: \"[a-z]+\"}}\n  port: {{type: integer, default: 8080, help: Listen port}}\n  flavour: {{type: choice, choices: [plain, fancy], default: fancy}}\n  team: {{type: string, default: core}}\ncomponents:\n  app: {{}}\n"
    ))
    .file("components/app/out.txt.jinja", "{{ name }} {{ port }} {{ flavour }} {{ team }}\n");
    let (_tmp, dir) = target();
    let bin = assert_cmd::cargo::cargo_bin("pave");
    let mut cmd = std::process::Command::new(bin);
    cmd.args(["new", &gp.arg()])
        .arg(&dir)
        .args(["--no-git", "--set", "team=web"])
        .env("NO_COLOR", "1")
        // Not through `pave()`: keep it out of the real user's local registry all the same.
        .env("PAVE_REGISTRY_URL", "off");
    let mut session = rexpect::session::spawn_command(cmd, Some(20_000)).unwrap();
    session.exp_string("Service name").unwrap();
    // A value that breaks the pattern is refused at the prompt and asked again.
    session.send_line("Bad1").unwrap();
    session.exp_string("must match").unwrap();
    session.send_line("").unwrap();
    session.send("\x15").unwrap(); // clear the line
    session.send_line("svc").unwrap();
    session.exp_string("Listen port").unwrap();
    session.exp_string("8080").unwrap();
    session.send_line("").unwrap(); // keep the default
    session.exp_string("flavour").unwrap();
    session.send_line("").unwrap(); // keep the default choice
    session.exp_eof().unwrap();
    assert_eq!(
        std::fs::read_to_string(dir.join("out.txt")).unwrap(),
        "svc 8080 fancy web\n"
    );
}

/// rust-service 1.3.0 on a terminal: `organization` is asked with nothing filled in (1.2.0
/// offered `acme`), and an empty line is not an answer; in a clone, `pave apply` offers the
/// owner in `origin`'s URL.
#[test]
fn the_organization_is_asked_with_nothing_filled_in_unless_the_remote_says() {
    // Every other parameter answered, so the one prompt is the organisation's.
    let others = [
        "service_name=payments-api",
        "description=Payments",
        "team=payments",
        "train=",
        "ci_provider=github",
        "port=8080",
        "replicas=2",
        "canary=true",
        "availability_slo=99.9",
        "latency_objective_ms=500",
        "aws_region=eu-west-1",
        "protected_environments=prod",
    ];
    let run = |args: &[&str], dir: &std::path::Path| {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("pave"));
        cmd.args(args)
            .arg(dir)
            .env("NO_COLOR", "1")
            .env("PAVE_REGISTRY_URL", "off");
        for other in others {
            cmd.args(["--set", other]);
        }
        rexpect::session::spawn_command(cmd, Some(20_000)).unwrap()
    };

    let (_tmp, dir) = target();
    let mut session = run(&["new", "rust-service", "--no-git"], &dir);
    let mut seen = session
        .exp_string("GitHub organisation or GitLab group")
        .unwrap();
    // The prompt ends in `›` (dialoguer's theme); rexpect reads it byte by byte. A default
    // would stand just before it, as `(acme)`.
    let prompt = session.exp_string("\u{e2}\u{80}\u{ba}").unwrap();
    assert!(!prompt.contains("acme"), "pre-filled: {prompt}");
    seen.push_str(&prompt);
    session.send_line("").unwrap(); // no default to keep: asked again
    session.send_line("octo-org").unwrap();
    seen.push_str(&session.exp_eof().unwrap());
    assert!(!seen.contains("acme"), "{seen}");
    let codeowners = std::fs::read_to_string(dir.join(".github/CODEOWNERS")).unwrap();
    assert!(codeowners.contains("@octo-org/payments"), "{codeowners}");
    assert!(!codeowners.contains("acme"), "{codeowners}");

    let repo = git_repo(&[("NOTES.md", "hello\n")]);
    git2::Repository::open(repo.path())
        .unwrap()
        .remote("origin", "git@github.com:octo-org/payments-api.git")
        .unwrap();
    let mut session = run(&["apply", "rust-service", "-C"], repo.path());
    session
        .exp_string("GitHub organisation or GitLab group")
        .unwrap();
    session.exp_string("octo-org").unwrap();
    session.send_line("").unwrap(); // keep the remote's owner
    session.exp_eof().unwrap();
    let lock = pave_model::lock::Lock::read(repo.path()).unwrap();
    assert_eq!(
        lock.golden_paths[0].answers.get("organization"),
        Some(&pave_model::parameter::Value::String("octo-org".into()))
    );
}
