//! A golden path's parameters and the typed answers they take: the parameter's definition (type,
//! constraint, default, help), a value converted from YAML, JSON or text into the parameter's
//! type, and the check of a value against the constraint. Where answers come from (`--set`, a
//! file, a prompt, a default) is the engine's business (`pave_engine::answers`).

use std::fmt;

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The type of a parameter's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ParameterType {
    String,
    Integer,
    Boolean,
    Choice,
    List,
}

impl fmt::Display for ParameterType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::String => "string",
            Self::Integer => "integer",
            Self::Boolean => "boolean",
            Self::Choice => "choice",
            Self::List => "list of strings",
        })
    }
}

/// What a templated default may read of the target repo's git remote, as `git.<name>`.
pub const GIT_VARIABLES: [&str; 4] = ["remote_url", "remote_host", "remote_owner", "remote_repo"];

/// One parameter of a golden path.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Parameter {
    #[serde(rename = "type")]
    pub kind: ParameterType,
    /// Shown in prompts and `pave show`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub help: String,
    /// A required parameter has no default: every render must answer it.
    #[serde(default)]
    pub required: bool,
    /// Default value. A string default may be a template (`{{ }}`) over earlier answers,
    /// `target_name` (the target folder's name) and the target repo's git remote `origin`:
    /// `git.remote_owner` (the path before the repo's name: `acme`, or `group/subgroup` on
    /// GitLab), `git.remote_repo`, `git.remote_host`, `git.remote_url`. Without that remote (a
    /// new repo, no `origin`, a local URL) such a default gives nothing and the parameter needs
    /// an answer, unless the template says what to use instead (`| default(…)`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<serde_json::Value>,
    /// `string` and `list`: a regular expression each value must match (whole value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// `string`: minimum length in characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_length: Option<usize>,
    /// `string`: maximum length in characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<usize>,
    /// `integer`: smallest allowed value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<i64>,
    /// `integer`: largest allowed value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<i64>,
    /// `choice`: the allowed values.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<String>,
}

impl Parameter {
    /// Checks that the definition is coherent; the message names the offending field.
    pub(crate) fn check_definition(&self) -> Result<(), String> {
        let only_for = |present: bool, field: &str, kinds: &[ParameterType]| {
            if present && !kinds.contains(&self.kind) {
                Err(format!(
                    "`{field}` does not apply to {} parameters",
                    self.kind
                ))
            } else {
                Ok(())
            }
        };
        use ParameterType as T;
        only_for(self.pattern.is_some(), "pattern", &[T::String, T::List])?;
        only_for(self.min_length.is_some(), "min_length", &[T::String])?;
        only_for(self.max_length.is_some(), "max_length", &[T::String])?;
        only_for(self.min.is_some(), "min", &[T::Integer])?;
        only_for(self.max.is_some(), "max", &[T::Integer])?;
        only_for(!self.choices.is_empty(), "choices", &[T::Choice])?;
        if self.kind == T::Choice && self.choices.is_empty() {
            return Err("a choice parameter needs `choices`".into());
        }
        if let Some(pattern) = &self.pattern {
            regex_lite::Regex::new(pattern).map_err(|e| format!("bad `pattern`: {e}"))?;
        }
        if let (Some(min), Some(max)) = (self.min, self.max)
            && min > max
        {
            return Err(format!("`min` {min} is above `max` {max}"));
        }
        if let (Some(min), Some(max)) = (self.min_length, self.max_length)
            && min > max
        {
            return Err(format!("`min_length` {min} is above `max_length` {max}"));
        }
        if self.required && self.default.is_some() {
            return Err("a required parameter cannot have a default (drop one of them)".into());
        }
        if let Some(default) = &self.default {
            // A templated default is checked once rendered, with the answers it depends on.
            let is_templated = default.as_str().is_some_and(|s| s.contains("{{"));
            if let Some(template) = default.as_str().filter(|_| is_templated) {
                check_git_variables(template)?;
            } else {
                Value::from_json(self, default)
                    .and_then(|value| self.check_value(&value))
                    .map_err(|e| format!("`default`: {e}"))?;
            }
        }
        Ok(())
    }

    /// The `git.*` variables a templated default reads (`git.remote_owner`), sorted; a
    /// default that is not a template reads none.
    pub fn git_variables(&self) -> Vec<String> {
        let Some(template) = self.default.as_ref().and_then(|d| d.as_str()) else {
            return Vec::new();
        };
        let env = minijinja::Environment::new();
        let Ok(template) = env.template_from_str(template) else {
            return Vec::new();
        };
        let mut names: Vec<String> = template
            .undeclared_variables(true)
            .into_iter()
            .filter(|v| v == "git" || v.starts_with("git."))
            .collect();
        names.sort();
        names
    }

    /// The constraint in words, for `pave show` and prompts.
    pub fn constraint(&self) -> String {
        let mut parts = Vec::new();
        if let Some(p) = &self.pattern {
            parts.push(format!("matches {p}"));
        }
        match (self.min_length, self.max_length) {
            (Some(a), Some(b)) => parts.push(format!("{a}..={b} chars")),
            (Some(a), None) => parts.push(format!(">= {a} chars")),
            (None, Some(b)) => parts.push(format!("<= {b} chars")),
            (None, None) => {}
        }
        match (self.min, self.max) {
            (Some(a), Some(b)) => parts.push(format!("{a}..={b}")),
            (Some(a), None) => parts.push(format!(">= {a}")),
            (None, Some(b)) => parts.push(format!("<= {b}")),
            (None, None) => {}
        }
        if !self.choices.is_empty() {
            parts.push(format!("one of {}", self.choices.join(", ")));
        }
        parts.join("; ")
    }

    /// Checks a typed value against the parameter's constraints.
    pub fn check_value(&self, value: &Value) -> Result<(), String> {
        match (self.kind, value) {
            (ParameterType::String, Value::String(s)) => {
                let chars = s.chars().count();
                if let Some(min) = self.min_length
                    && chars < min
                {
                    return Err(format!("must be at least {min} characters, got {chars}"));
                }
                if let Some(max) = self.max_length
                    && chars > max
                {
                    return Err(format!("must be at most {max} characters, got {chars}"));
                }
                self.check_pattern(s)
            }
            (ParameterType::Integer, Value::Integer(i)) => {
                if let Some(min) = self.min
                    && *i < min
                {
                    return Err(format!("must be at least {min}, got {i}"));
                }
                if let Some(max) = self.max
                    && *i > max
                {
                    return Err(format!("must be at most {max}, got {i}"));
                }
                Ok(())
            }
            (ParameterType::Boolean, Value::Boolean(_)) => Ok(()),
            (ParameterType::Choice, Value::String(s)) => {
                if self.choices.iter().any(|c| c == s) {
                    Ok(())
                } else {
                    Err(format!(
                        "must be one of {}, got `{s}`",
                        self.choices.join(", ")
                    ))
                }
            }
            (ParameterType::List, Value::List(items)) => {
                items.iter().try_for_each(|item| self.check_pattern(item))
            }
            (kind, other) => Err(format!("expects a {kind}, got `{other}`")),
        }
    }

    fn check_pattern(&self, s: &str) -> Result<(), String> {
        let Some(pattern) = &self.pattern else {
            return Ok(());
        };
        // The manifest was validated, so the pattern compiles; anchoring makes it whole-value.
        match regex_lite::Regex::new(&format!("^(?:{pattern})$")) {
            Ok(re) if re.is_match(s) => Ok(()),
            Ok(_) => Err(format!("must match {pattern}, got `{s}`")),
            Err(e) => Err(format!("has a bad pattern: {e}")),
        }
    }
}

/// A typed answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Value {
    Boolean(bool),
    Integer(i64),
    String(String),
    List(Vec<String>),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Boolean(b) => write!(f, "{b}"),
            Self::Integer(i) => write!(f, "{i}"),
            Self::String(s) => write!(f, "{s}"),
            Self::List(items) => write!(f, "{}", items.join(",")),
        }
    }
}

impl Value {
    /// Converts a value read from YAML or JSON into the parameter's type.
    pub fn from_json(param: &Parameter, json: &serde_json::Value) -> Result<Self, String> {
        use serde_json::Value as J;
        let scalar_text = |json: &J| match json {
            J::String(s) => Some(s.clone()),
            J::Number(n) => Some(n.to_string()),
            J::Bool(b) => Some(b.to_string()),
            _ => None,
        };
        match param.kind {
            ParameterType::String | ParameterType::Choice => scalar_text(json)
                .map(Value::String)
                .ok_or_else(|| format!("expects a {}, got {}", param.kind, json_kind(json))),
            ParameterType::Integer => match json {
                J::Number(n) => n
                    .as_i64()
                    .map(Value::Integer)
                    .ok_or_else(|| format!("expects an integer, got {n}")),
                J::String(s) => Self::from_text(param, s),
                other => Err(format!("expects an integer, got {}", json_kind(other))),
            },
            ParameterType::Boolean => match json {
                J::Bool(b) => Ok(Value::Boolean(*b)),
                J::String(s) => Self::from_text(param, s),
                other => Err(format!("expects true or false, got {}", json_kind(other))),
            },
            ParameterType::List => match json {
                J::Array(items) => items
                    .iter()
                    .map(|item| {
                        scalar_text(item).ok_or_else(|| {
                            format!(
                                "expects a list of strings, got an item that is {}",
                                json_kind(item)
                            )
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map(Value::List),
                J::String(s) => Self::from_text(param, s),
                other => Err(format!(
                    "expects a list of strings, got {}",
                    json_kind(other)
                )),
            },
        }
    }

    /// Converts text from the command line (`--set k=v`) or a prompt into the parameter's type.
    /// Lists are comma separated.
    pub fn from_text(param: &Parameter, text: &str) -> Result<Self, String> {
        match param.kind {
            ParameterType::String | ParameterType::Choice => Ok(Value::String(text.to_owned())),
            ParameterType::Integer => text
                .trim()
                .parse::<i64>()
                .map(Value::Integer)
                .map_err(|_| format!("expects an integer, got `{text}`")),
            ParameterType::Boolean => match text.trim().to_ascii_lowercase().as_str() {
                "true" | "yes" | "y" | "on" | "1" => Ok(Value::Boolean(true)),
                "false" | "no" | "n" | "off" | "0" => Ok(Value::Boolean(false)),
                _ => Err(format!("expects true or false, got `{text}`")),
            },
            ParameterType::List => Ok(Value::List(
                text.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect(),
            )),
        }
    }
}

/// A templated default may read only the `git.*` variables there are: a misspelt one would
/// otherwise pass as "no remote" and ask every person for an answer.
fn check_git_variables(template: &str) -> Result<(), String> {
    let env = minijinja::Environment::new();
    // A syntax error is reported when the default renders, with the answers it uses.
    let Ok(template) = env.template_from_str(template) else {
        return Ok(());
    };
    let mut unknown: Vec<String> = template
        .undeclared_variables(true)
        .into_iter()
        .filter(|v| {
            v.strip_prefix("git.")
                .is_some_and(|name| !GIT_VARIABLES.contains(&name))
        })
        .collect();
    unknown.sort();
    match unknown.first() {
        None => Ok(()),
        Some(name) => Err(format!(
            "`default` reads `{name}`; the git remote gives {}",
            GIT_VARIABLES
                .iter()
                .map(|v| format!("`git.{v}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

fn json_kind(json: &serde_json::Value) -> &'static str {
    match json {
        serde_json::Value::Null => "nothing (null)",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "a list",
        serde_json::Value::Object(_) => "a mapping",
    }
}

/// The resolved answers of one render, in the manifest's parameter order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct Answers(pub IndexMap<String, Value>);

impl Answers {
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name)
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    fn integer_param() -> Parameter {
        pave_base::yaml::from_str("{type: integer, min: -5, max: 5}").unwrap()
    }

    proptest! {
        /// Any text given for an integer parameter is either a checked integer in range or a
        /// typed error; it never panics and never passes out of range.
        #[test]
        fn integer_answers_are_typed_and_bounded(text in "\\PC{0,12}") {
            let param = integer_param();
            if let Ok(value) = Value::from_text(&param, &text).and_then(|v| param.check_value(&v).map(|()| v)) {
                let Value::Integer(i) = value else { panic!("not an integer: {value:?}") };
                prop_assert!((-5..=5).contains(&i));
            }
        }

        /// An answer rendered back to text reads as the same answer (what the lock and prompts rely on).
        #[test]
        fn list_answers_round_trip(items in proptest::collection::vec("[a-z0-9-]{1,8}", 0..5)) {
            let param: Parameter = pave_base::yaml::from_str("{type: list}").unwrap();
            let value = Value::List(items);
            prop_assert_eq!(Value::from_text(&param, &value.to_string()), Ok(value));
        }
    }
}
