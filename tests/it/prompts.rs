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
