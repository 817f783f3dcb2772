//! Answers: the values a render uses for a golden path's parameters, from `--set`, an answers
//! file, a prompt or the manifest's default (in that order of precedence), typed and checked
//! against the parameter's constraints before anything is rendered.
//!
//! This module never prompts by itself: the edge passes an [`Asker`] when a person is there.

use std::fmt;
use std::path::PathBuf;

use indexmap::IndexMap;
use pave_model::manifest::Manifest;
use pave_model::parameter::{Answers, Parameter, ParameterType, Value};

use crate::remote::Remote;
use crate::render::{self, DefaultError};

/// Where an answer came from, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// `--set name=value`.
    CommandLine,
    /// An answers file, at a line.
    File {
        path: PathBuf,
        line: u64,
    },
    Prompt,
    /// Recorded in `.pave/lock.yaml`.
    Lock,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::CommandLine => f.write_str("--set"),
            Self::File { path, line } => write!(f, "{}:{line}", path.display()),
            Self::Prompt => f.write_str("prompt"),
            Self::Lock => f.write_str(".pave/lock.yaml"),
        }
    }
}

/// An answer as given, before it is typed.
#[derive(Debug, Clone)]
pub enum RawValue {
    Text(String),
    Json(serde_json::Value),
}

/// An answer as given, with where it came from.
#[derive(Debug, Clone)]
pub struct Given {
    pub value: RawValue,
    pub origin: Origin,
}

/// Answers given up front, by parameter name; later inserts win (`--set` after the file).
pub type GivenAnswers = IndexMap<String, Given>;

/// Where a render goes, as templated defaults see it: the folder's name (`{{ target_name }}`)
/// and the git remote of its repo (`{{ git.remote_owner }}`, …).
#[derive(Debug, Clone)]
pub struct Target {
    pub name: String,
    pub remote: Remote,
}

impl Target {
    /// A render whose answers a lock recorded: no default is needed, so nothing is looked at.
    pub fn recorded() -> Self {
        Self {
            name: String::new(),
            remote: Remote::NotRead,
        }
    }
}

/// A parameter that had no answer and no default.
#[derive(Debug, Clone)]
pub struct Missing {
    pub name: String,
    pub kind: ParameterType,
    pub help: String,
    /// Why the parameter's default could not serve.
    pub unusable_default: Option<UnusableDefault>,
}

/// Why a parameter's default gives no answer here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnusableDefault {
    /// A templated default that breaks the constraint (a folder name that is not DNS-safe):
    /// `its default `X` must match …`.
    DoesNotFit(String),
    /// A default that reads the git remote (`git.remote_owner`), which does not give it.
    NoGitValue { variable: String, remote: Remote },
}

impl fmt::Display for UnusableDefault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::DoesNotFit(why) => f.write_str(why),
            Self::NoGitValue { variable, remote } => {
                write!(f, "its default is `{variable}`, and {remote}")
            }
        }
    }
}

/// `1 required parameter is missing: `team``; a parameter whose default does not fit here, or
/// reads a git remote the target does not have, is not missing but needs an answer all the same,
/// and is said so.
fn missing_message(missing: &[Missing]) -> String {
    let names = |of: &[&Missing]| {
        of.iter()
            .map(|m| format!("`{}`", m.name))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (from_git, missing): (Vec<&Missing>, Vec<&Missing>) = missing
        .iter()
        .partition(|m| matches!(m.unusable_default, Some(UnusableDefault::NoGitValue { .. })));
    let (rejected, absent): (Vec<&Missing>, Vec<&Missing>) = missing
        .into_iter()
        .partition(|m| m.unusable_default.is_some());
    let mut parts = Vec::new();
    if !absent.is_empty() {
        parts.push(format!(
            "{} required parameter{} missing: {}",
            absent.len(),
            if absent.len() == 1 { " is" } else { "s are" },
            names(&absent)
        ));
    }
    if !rejected.is_empty() {
        parts.push(format!(
            "{} parameter{} an answer, as {} default does not fit here: {}",
            rejected.len(),
            if rejected.len() == 1 {
                " needs"
            } else {
                "s need"
            },
            if rejected.len() == 1 { "its" } else { "their" },
            names(&rejected)
        ));
    }
    for m in from_git {
        if let Some(why) = &m.unusable_default {
            parts.push(format!("parameter `{}` needs an answer: {why}", m.name));
        }
    }
    parts.join("; ")
}

/// Why the answers cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum AnswerError {
    #[error("unknown parameter `{name}` ({origin}); {golden_path} has: {known}")]
    Unknown {
        name: String,
        origin: Origin,
        golden_path: String,
        known: String,
    },
    #[error("parameter `{name}` {message} ({origin})")]
    Invalid {
        name: String,
        message: String,
        origin: Origin,
    },
    #[error("parameter `{name}`: its default `{template}` does not render: {message}")]
    BadDefault {
        name: String,
        template: String,
        message: String,
    },
    #[error("{}", missing_message(.0))]
    Missing(Vec<Missing>),
    #[error("cannot read answers file {path}: {message}")]
    File { path: PathBuf, message: String },
    #[error("prompt failed: {0}")]
    Prompt(String),
    #[error("`--set {arg}` {why}")]
    BadSet { arg: String, why: &'static str },
}

/// Asks a person for an answer. `default` is what pressing enter keeps.
pub trait Asker {
    fn ask(
        &mut self,
        name: &str,
        param: &Parameter,
        default: Option<&Value>,
    ) -> Result<Value, AnswerError>;
}

/// Answers recorded in a lock, as given answers. With `manifest`, names it does not know are
/// left out (a parameter the golden path no longer has); without, all are kept, so resolving
/// them reports an unknown one.
pub fn recorded(answers: &Answers, manifest: Option<&Manifest>) -> GivenAnswers {
    answers
        .0
        .iter()
        .filter(|(name, _)| manifest.is_none_or(|m| m.parameters.contains_key(*name)))
        .map(|(name, value)| {
            let json = serde_json::to_value(value).expect("answers serialise to JSON");
            (
                name.clone(),
                Given {
                    value: RawValue::Json(json),
                    origin: Origin::Lock,
                },
            )
        })
        .collect()
}

/// Reads an answers file: a YAML (or JSON) mapping of parameter names to values.
pub fn read_file(path: &std::path::Path, text: &str) -> Result<GivenAnswers, AnswerError> {
    let map: IndexMap<String, serde_saphyr::Spanned<serde_json::Value>> =
        pave_base::yaml::from_str(text).map_err(|e| AnswerError::File {
            path: path.to_owned(),
            message: format!("line {}: {}", e.line, e.message),
        })?;
    Ok(map
        .into_iter()
        .map(|(name, spanned)| {
            let origin = Origin::File {
                path: path.to_owned(),
                line: spanned.referenced.line(),
            };
            (
                name,
                Given {
                    value: RawValue::Json(spanned.value),
                    origin,
                },
            )
        })
        .collect())
}

/// Parses `name=value` from `--set`.
pub fn parse_set(arg: &str) -> Result<(String, Given), AnswerError> {
    let bad = |why| AnswerError::BadSet {
        arg: arg.to_owned(),
        why,
    };
    let (name, value) = arg
        .split_once('=')
        .ok_or_else(|| bad("needs the form name=value"))?;
    let name = name.trim();
    if name.is_empty() {
        return Err(bad("has no parameter name before `=`"));
    }
    Ok((
        name.to_owned(),
        Given {
            value: RawValue::Text(value.to_owned()),
            origin: Origin::CommandLine,
        },
    ))
}

/// Resolves every parameter of `manifest`: given answers first, then the asker (when a person is
/// there), then defaults, which may read the `target`'s name and git remote.
pub fn resolve(
    manifest: &Manifest,
    given: &GivenAnswers,
    target: &Target,
    mut asker: Option<&mut dyn Asker>,
) -> Result<Answers, AnswerError> {
    for (name, g) in given {
        if !manifest.parameters.contains_key(name) {
            return Err(AnswerError::Unknown {
                name: name.clone(),
                origin: g.origin.clone(),
                golden_path: manifest.id(),
                known: manifest
                    .parameters
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
    }
    let mut answers = Answers::default();
    let mut missing = Vec::new();
    for (name, spanned) in &manifest.parameters {
        let param = &spanned.value;
        if let Some(g) = given.get(name) {
            let value = match &g.value {
                RawValue::Text(text) => Value::from_text(param, text),
                RawValue::Json(json) => Value::from_json(param, json),
            }
            .and_then(|v| param.check_value(&v).map(|()| v))
            .map_err(|message| AnswerError::Invalid {
                name: name.clone(),
                message,
                origin: g.origin.clone(),
            })?;
            answers.0.insert(name.clone(), value);
            continue;
        }
        let (default, unusable_default) = match default_value(name, param, &answers, target) {
            Ok(Ok(default)) => (default, None),
            Ok(Err(why)) => (None, Some(why)),
            // A default built from a parameter that is itself missing cannot render; the
            // missing one is what the person must fix, so only it is reported.
            Err(AnswerError::BadDefault { .. }) if !missing.is_empty() => continue,
            Err(e) => return Err(e),
        };
        let value = match asker.as_deref_mut() {
            Some(asker) => Some(asker.ask(name, param, default.as_ref())?),
            None => default,
        };
        match value {
            Some(v) => {
                answers.0.insert(name.clone(), v);
            }
            None => missing.push(Missing {
                name: name.clone(),
                kind: param.kind,
                help: param.help.clone(),
                unusable_default,
            }),
        }
    }
    if missing.is_empty() {
        Ok(answers)
    } else {
        Err(AnswerError::Missing(missing))
    }
}

/// The parameter's default, rendered against the answers so far and the target when it is a
/// template. The inner `Err` says why a default cannot be used here.
fn default_value(
    name: &str,
    param: &Parameter,
    so_far: &Answers,
    target: &Target,
) -> Result<Result<Option<Value>, UnusableDefault>, AnswerError> {
    let Some(json) = &param.default else {
        return Ok(Ok(None));
    };
    let bad = |message: String| AnswerError::BadDefault {
        name: name.to_owned(),
        template: json.to_string(),
        message,
    };
    let is_folder_name = json
        .as_str()
        .is_some_and(|t| t.contains("{{") && t.contains("target_name"));
    let json = match json.as_str() {
        Some(template) if template.contains("{{") => {
            match render::render_default(template, so_far, &target.name, &target.remote) {
                Ok(rendered) => serde_json::Value::String(rendered),
                Err(DefaultError::NoGitValue { variable }) => {
                    return Ok(Err(UnusableDefault::NoGitValue {
                        variable,
                        remote: target.remote.clone(),
                    }));
                }
                Err(DefaultError::Template(message)) => return Err(bad(message)),
            }
        }
        _ => json.clone(),
    };
    let value = Value::from_json(param, &json).map_err(&bad)?;
    // A rendered default that breaks the constraint (a folder name that is not DNS-safe, say)
    // is not an answer: a person must give one.
    Ok(match param.check_value(&value) {
        Ok(()) => Ok(Some(value)),
        Err(why) => {
            // The value is named once, and where it came from when that is the folder.
            let why = why.rsplit_once(", got `").map_or(why.as_str(), |(w, _)| w);
            Err(UnusableDefault::DoesNotFit(if is_folder_name {
                format!("its default comes from the folder's name, `{value}`, which {why}")
            } else {
                format!("its default `{value}` {why}")
            }))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest() -> Manifest {
        Manifest::parse(
            "gp.yaml",
            r#"apiVersion: pave.dev/v1
name: demo
version: 1.0.0
components: {app: {}}
parameters:
  service_name: {type: string, pattern: "[a-z][a-z0-9-]*", default: "{{ target_name | kebab_case }}"}
  team: {type: string, required: true}
  replicas: {type: integer, min: 1, max: 50, default: 2}
  canary: {type: boolean, default: true}
  ci: {type: choice, choices: [github, gitlab], default: github}
  envs: {type: list, default: [prod]}
"#,
        )
        .unwrap()
    }

    fn named(name: &str) -> Target {
        Target {
            name: name.into(),
            remote: Remote::NewRepo,
        }
    }

    fn set(pairs: &[&str]) -> GivenAnswers {
        pairs.iter().map(|p| parse_set(p).unwrap()).collect()
    }

    #[test]
    fn defaults_fill_in_and_templated_default_uses_target() {
        let a = resolve(
            &manifest(),
            &set(&["team=pay"]),
            &named("PaymentsApi"),
            None,
        )
        .unwrap();
        assert_eq!(
            a.get("service_name"),
            Some(&Value::String("payments-api".into()))
        );
        assert_eq!(a.get("replicas"), Some(&Value::Integer(2)));
        assert_eq!(a.get("envs"), Some(&Value::List(vec!["prod".into()])));
    }

    #[test]
    fn every_missing_parameter_is_listed() {
        let err = resolve(&manifest(), &set(&[]), &named("9"), None).unwrap_err();
        let AnswerError::Missing(missing) = &err else {
            panic!("{err}")
        };
        let names: Vec<_> = missing.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["service_name", "team"]);
    }

    #[test]
    fn a_default_depending_on_a_missing_answer_reports_only_the_missing_one() {
        let m = Manifest::parse(
            "gp.yaml",
            "apiVersion: pave.dev/v1\nname: demo\nversion: 1.0.0\ncomponents: {app: {}}\nparameters:\n  service_name: {type: string, pattern: \"[a-z]+\", default: \"{{ target_name }}\"}\n  description: {type: string, default: \"{{ service_name }} service\"}\n",
        )
        .unwrap();
        let err = resolve(&m, &set(&[]), &named("Not_Valid"), None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "1 parameter needs an answer, as its default does not fit here: `service_name`"
        );
    }

    #[test]
    fn typed_errors_name_parameter_and_constraint() {
        let cases = [
            (
                "replicas=80",
                "parameter `replicas` must be at most 50, got 80 (--set)",
            ),
            (
                "replicas=two",
                "parameter `replicas` expects an integer, got `two` (--set)",
            ),
            (
                "canary=maybe",
                "parameter `canary` expects true or false, got `maybe` (--set)",
            ),
            (
                "ci=jenkins",
                "parameter `ci` must be one of github, gitlab, got `jenkins` (--set)",
            ),
            (
                "service_name=Bad_Name",
                "parameter `service_name` must match [a-z][a-z0-9-]*, got `Bad_Name` (--set)",
            ),
        ];
        for (arg, want) in cases {
            let err = resolve(&manifest(), &set(&["team=t", arg]), &named("x"), None).unwrap_err();
            assert_eq!(err.to_string(), want);
        }
    }

    #[test]
    fn unknown_parameter_is_refused() {
        let err = resolve(
            &manifest(),
            &set(&["team=t", "colour=red"]),
            &named("x"),
            None,
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("unknown parameter `colour` (--set)"),
            "{err}"
        );
    }

    fn with_organization() -> Manifest {
        Manifest::parse(
            "gp.yaml",
            r#"apiVersion: pave.dev/v1
name: demo
version: 1.0.0
components: {app: {}}
parameters:
  team: {type: string, required: true}
  organization: {type: string, pattern: "[a-z/-]+", default: "{{ git.remote_owner }}"}
"#,
        )
        .unwrap()
    }

    fn at(url: &str) -> Target {
        Target {
            name: "x".into(),
            remote: Remote::Origin(crate::remote::GitRemote::parse(url)),
        }
    }

    #[test]
    fn a_default_from_the_git_remote() {
        let m = with_organization();
        for (url, owner) in [
            ("https://github.com/octo-org/x.git", "octo-org"),
            (
                "git@gitlab.com:platform/payments/x.git",
                "platform/payments",
            ),
        ] {
            let a = resolve(&m, &set(&["team=t"]), &at(url), None).unwrap();
            assert_eq!(a.get("organization"), Some(&Value::String(owner.into())));
        }
        // An answer given wins over the remote.
        let a = resolve(
            &m,
            &set(&["team=t", "organization=acme"]),
            &at("https://github.com/octo-org/x.git"),
            None,
        )
        .unwrap();
        assert_eq!(a.get("organization"), Some(&Value::String("acme".into())));
    }

    #[test]
    fn without_the_git_remote_the_parameter_needs_an_answer() {
        let m = with_organization();
        let cases = [
            (
                named("x"),
                "parameter `organization` needs an answer: its default is `git.remote_owner`, and a new repo has no git remote yet",
            ),
            (
                Target {
                    name: "x".into(),
                    remote: Remote::NoOrigin {
                        root: "/src/x".into(),
                    },
                },
                "parameter `organization` needs an answer: its default is `git.remote_owner`, and /src/x has no git remote `origin`",
            ),
            (
                at("/srv/git/x.git"),
                "parameter `organization` needs an answer: its default is `git.remote_owner`, and the git remote `origin` (/srv/git/x.git) does not say it",
            ),
        ];
        for (target, want) in cases {
            let err = resolve(&m, &set(&["team=t"]), &target, None).unwrap_err();
            assert_eq!(err.to_string(), want);
        }
        let err = resolve(&m, &set(&[]), &named("x"), None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "1 required parameter is missing: `team`; parameter `organization` needs an answer: its default is `git.remote_owner`, and a new repo has no git remote yet"
        );
    }

    /// A person at a terminal is asked, with nothing filled in.
    #[test]
    fn without_the_git_remote_the_prompt_offers_no_default() {
        struct Recorder(Vec<(String, Option<Value>)>);
        impl Asker for Recorder {
            fn ask(
                &mut self,
                name: &str,
                _: &Parameter,
                default: Option<&Value>,
            ) -> Result<Value, AnswerError> {
                self.0.push((name.to_owned(), default.cloned()));
                Ok(Value::String("typed".into()))
            }
        }
        let mut asker = Recorder(Vec::new());
        resolve(
            &with_organization(),
            &set(&["team=t"]),
            &named("x"),
            Some(&mut asker),
        )
        .unwrap();
        assert_eq!(asker.0, [("organization".to_owned(), None)]);
        let mut asker = Recorder(Vec::new());
        resolve(
            &with_organization(),
            &set(&["team=t"]),
            &at("git@github.com:octo-org/x.git"),
            Some(&mut asker),
        )
        .unwrap();
        assert_eq!(
            asker.0,
            [(
                "organization".to_owned(),
                Some(Value::String("octo-org".into()))
            )]
        );
    }

    #[test]
    fn answers_file_errors_carry_the_line() {
        let given = read_file(std::path::Path::new("a.yaml"), "team: t\nreplicas: 99\n").unwrap();
        let err = resolve(&manifest(), &given, &named("x"), None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "parameter `replicas` must be at most 50, got 99 (a.yaml:2)"
        );
    }
}
