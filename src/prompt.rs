//! Prompts, at the edge: when a person is at a terminal (and `--no-input` is not given), every
//! parameter without an answer is asked with dialoguer, showing its help and default; and a
//! destructive registry command asks before it removes anything ([`confirm`]).

use std::io::IsTerminal as _;

use pave_engine::answers::{AnswerError, Asker};
use pave_model::parameter::{Parameter, ParameterType, Value};

/// Asks on a terminal with dialoguer, showing each parameter's help, constraint and default.
pub struct Prompter {
    is_interactive: bool,
}

impl Prompter {
    /// Prompts only when stdin and stderr are a terminal and `--no-input` was not given.
    pub fn new(is_no_input: bool) -> Self {
        Self {
            is_interactive: !is_no_input
                && std::io::stdin().is_terminal()
                && std::io::stderr().is_terminal(),
        }
    }

    /// The asker to hand the engine: none when no person is there, so a missing answer is an
    /// error that lists every missing parameter.
    pub fn asker(&mut self) -> Option<&mut dyn Asker> {
        if self.is_interactive {
            Some(self)
        } else {
            None
        }
    }
}

impl Asker for Prompter {
    fn ask(
        &mut self,
        name: &str,
        param: &Parameter,
        default: Option<&Value>,
    ) -> Result<Value, AnswerError> {
        use dialoguer::{Confirm, Input, Select, theme::ColorfulTheme};
        let theme = ColorfulTheme::default();
        let constraint = param.constraint();
        let mut prompt = name.to_owned();
        if !param.help.is_empty() {
            prompt.push_str(&format!(" — {}", param.help));
        }
        if !constraint.is_empty() && param.kind != ParameterType::Choice {
            prompt.push_str(&format!(" [{constraint}]"));
        }
        let failed = |e: dialoguer::Error| AnswerError::Prompt(e.to_string());
        match param.kind {
            ParameterType::Boolean => {
                let mut confirm = Confirm::with_theme(&theme).with_prompt(prompt);
                if let Some(Value::Boolean(b)) = default {
                    confirm = confirm.default(*b);
                }
                confirm.interact().map(Value::Boolean).map_err(failed)
            }
            ParameterType::Choice => {
                let selected = default
                    .and_then(|d| {
                        param
                            .choices
                            .iter()
                            .position(|c| Value::String(c.clone()) == *d)
                    })
                    .unwrap_or(0);
                Select::with_theme(&theme)
                    .with_prompt(prompt)
                    .items(&param.choices)
                    .default(selected)
                    .interact()
                    .map(|i| Value::String(param.choices[i].clone()))
                    .map_err(failed)
            }
            _ => {
                let param_for_check = param.clone();
                let mut input = Input::<String>::with_theme(&theme)
                    .with_prompt(prompt)
                    // Without a default (none, or one that does not serve here: a new repo has
                    // no git remote) an empty line is no answer, as it is not with --no-input.
                    .allow_empty(default.is_some())
                    .validate_with(move |text: &String| -> Result<(), String> {
                        Value::from_text(&param_for_check, text)
                            .and_then(|v| param_for_check.check_value(&v))
                    });
                if let Some(d) = default {
                    input = input.default(d.to_string());
                }
                let text = input.interact_text().map_err(failed)?;
                Value::from_text(param, &text).map_err(AnswerError::Prompt)
            }
        }
    }
}

/// Whether a person is there to answer: stdin and stderr are a terminal.
pub fn is_interactive() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// Asks a yes/no question (default no) on the terminal; `Ok(false)` unless the answer is yes.
pub fn confirm(question: &str) -> Result<bool, String> {
    dialoguer::Confirm::with_theme(&dialoguer::theme::ColorfulTheme::default())
        .with_prompt(question)
        .default(false)
        .interact()
        .map_err(|e| e.to_string())
}
