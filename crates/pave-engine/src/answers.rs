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

/// A parameter that had no answer and no default.
#[derive(Debug, Clone)]
pub struct Missing {
    pub name: String,
    pub kind: ParameterType,
    pub help: String,
    /// Why the parameter's default could not serve (a templated default that broke the
    /// constraint, e.g. a folder name that is not DNS-safe).
    pub rejected_default: Option<String>,
}

/// `1 required parameter is missing: `team``; a parameter whose default does not fit here is
/// not missing but needs an answer all the same, and is said so.
fn missing_message(missing: &[Missing]) -> String {
    let names = |of: &[&Missing]| {
        of.iter()
            .map(|m| format!("`{}`", m.name))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (rejected, absent): (Vec<&Missing>, Vec<&Missing>) =
        missing.iter().partition(|m| m.rejected_default.is_some());
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
/// there), then defaults. `target_name` is the target folder's name, usable in defaults.
pub fn resolve(
    manifest: &Manifest,
    given: &GivenAnswers,
    target_name: &str,
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
        let (default, rejected_default) = match default_value(name, param, &answers, target_name) {
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
                rejected_default,
            }),
        }
    }
    if missing.is_empty() {
        Ok(answers)
    } else {
        Err(AnswerError::Missing(missing))
    }
}

/// The parameter's default, rendered against the answers so far when it is a template. The
/// inner `Err` says why a rendered default cannot be used.
fn default_value(
    name: &str,
    param: &Parameter,
    so_far: &Answers,
    target_name: &str,
) -> Result<Result<Option<Value>, String>, AnswerError> {
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
            let rendered =
                crate::render::render_default(template, so_far, target_name).map_err(bad)?;
            serde_json::Value::String(rendered)
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
            Err(if is_folder_name {
                format!("its default comes from the folder's name, `{value}`, which {why}")
            } else {
                format!("its default `{value}` {why}")
            })
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

    fn set(pairs: &[&str]) -> GivenAnswers {
        pairs.iter().map(|p| parse_set(p).unwrap()).collect()
    }

    #[test]
    fn defaults_fill_in_and_templated_default_uses_target() {
        let a = resolve(&manifest(), &set(&["team=pay"]), "PaymentsApi", None).unwrap();
        assert_eq!(
            a.get("service_name"),
            Some(&Value::String("payments-api".into()))
        );
        assert_eq!(a.get("replicas"), Some(&Value::Integer(2)));
        assert_eq!(a.get("envs"), Some(&Value::List(vec!["prod".into()])));
    }

    #[test]
    fn every_missing_parameter_is_listed() {
        let err = resolve(&manifest(), &set(&[]), "9", None).unwrap_err();
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
        let err = resolve(&m, &set(&[]), "Not_Valid", None).unwrap_err();
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
            let err = resolve(&manifest(), &set(&["team=t", arg]), "x", None).unwrap_err();
            assert_eq!(err.to_string(), want);
        }
    }

    #[test]
    fn unknown_parameter_is_refused() {
        let err = resolve(&manifest(), &set(&["team=t", "colour=red"]), "x", None).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("unknown parameter `colour` (--set)"),
            "{err}"
        );
    }

    #[test]
    fn answers_file_errors_carry_the_line() {
        let given = read_file(std::path::Path::new("a.yaml"), "team: t\nreplicas: 99\n").unwrap();
        let err = resolve(&manifest(), &given, "x", None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "parameter `replicas` must be at most 50, got 99 (a.yaml:2)"
        );
    }
}
