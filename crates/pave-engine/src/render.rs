//! The renderer: turns a golden path and its answers into files in memory.
//!
//! - Files ending in `.jinja` are rendered (the suffix is dropped); others are copied byte for
//!   byte, so `${{ github.sha }}` and Grafana's `{{ }}` survive without `{% raw %}`.
//! - Every path segment is templated; a segment that renders empty drops the file.
//! - Strict undefined: an unknown variable is an error naming the file and line.
//! - Sandboxed: the environment has no file system, network, environment-variable or process
//!   access; includes and imports resolve only to files of the same golden path; a fuel limit and
//!   a recursion limit stop hostile templates from hanging the tool.

use std::collections::BTreeMap;
use std::sync::Arc;

use globset::GlobMatcher;
use minijinja::{AutoEscape, Environment, UndefinedBehavior, syntax::SyntaxConfig};

use pave_base::repo_path::{RepoPath, UnsafePath};
use pave_model::lock::{LockEntry, LockedFile, sha256_hex};
use pave_model::manifest::{Ownership, Syntax, UnknownComponent};
use pave_model::parameter::{Answers, GIT_VARIABLES};
use pave_model::pin::{Pin, PinKind};

use crate::catalog::{GoldenPath, TemplateFile};
use crate::remote::Remote;

/// Instructions one template may run before it is stopped (a real golden path's largest file
/// uses well under 1% of this).
const FUEL: u64 = 50_000_000;
/// Nesting depth of macros, includes and blocks.
const RECURSION_LIMIT: usize = 64;
/// The suffix that marks a file as a template.
pub const TEMPLATE_SUFFIX: &str = ".jinja";
/// Where the lock lives; no golden path may render over it.
pub const RESERVED_PREFIX: &str = ".pave/lock";

/// One rendered file, ready to be planned.
#[derive(Debug, Clone)]
pub struct RenderedFile {
    pub path: RepoPath,
    pub bytes: Vec<u8>,
    pub ownership: Ownership,
    pub component: String,
    pub is_executable: bool,
    /// The pins the golden path declares in this file (managed files only: edits of merged
    /// files are allowed anyway, seeded files are the repo's).
    pub pins: Vec<Pin>,
}

/// Everything a render produced, by target path.
#[derive(Debug, Clone, Default)]
pub struct Rendered {
    pub files: BTreeMap<RepoPath, RenderedFile>,
}

impl Rendered {
    /// The lock entry that records this render of `golden_path` with `answers`.
    pub fn lock_entry(
        &self,
        golden_path: &GoldenPath,
        answers: &Answers,
        components: &[String],
    ) -> LockEntry {
        let manifest = &golden_path.manifest;
        LockEntry {
            name: manifest.name.clone(),
            version: manifest.version.clone(),
            catalog: golden_path.source.clone(),
            answers: answers.clone(),
            components: components.to_vec(),
            files: self.files.values().map(RenderedFile::locked).collect(),
        }
    }
}

impl RenderedFile {
    /// How the lock records this file as rendered (not diverged), with its pins.
    pub fn locked(&self) -> LockedFile {
        LockedFile {
            path: self.path.clone(),
            ownership: self.ownership,
            component: self.component.clone(),
            sha256: sha256_hex(&self.bytes),
            diverged: false,
            exception: None,
            pins: crate::pins::record(&self.bytes, &self.pins),
        }
    }
}

/// Why a golden path could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("{golden_path}: {file}{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
    Template {
        golden_path: String,
        file: String,
        line: Option<usize>,
        message: String,
    },
    #[error("{golden_path}: golden-path.yaml:{line}: `when: {expression}` failed: {message}")]
    When {
        golden_path: String,
        line: u64,
        expression: String,
        message: String,
    },
    #[error("{golden_path}: {file} renders to an unsafe path: {error}")]
    UnsafePath {
        golden_path: String,
        file: String,
        error: UnsafePath,
    },
    #[error("{golden_path}: {file} renders to `{path}`, which is reserved for pave's lock")]
    Reserved {
        golden_path: String,
        file: String,
        path: String,
    },
    #[error("{golden_path}: `{path}` is rendered by both component `{first}` and `{second}`")]
    Duplicate {
        golden_path: String,
        path: String,
        first: String,
        second: String,
    },
    #[error(transparent)]
    UnknownComponent(#[from] UnknownComponent),
}

/// Renders the chosen `components` of `golden_path` with `answers`.
pub fn render(
    golden_path: &GoldenPath,
    answers: &Answers,
    components: &[String],
) -> Result<Rendered, RenderError> {
    let manifest = &golden_path.manifest;
    let gp_id = manifest.id();
    for name in components {
        manifest.component(name)?;
    }
    let env = environment(&manifest.syntax, Some(golden_path.files.clone()))
        .map_err(|e| template_error(&gp_id, "golden-path.yaml", &e))?;
    let ctx = context(
        answers,
        Some((manifest.name.as_str(), &manifest.version.to_string())),
    );
    let rules = FileRules::new(golden_path, &env)?;

    let mut rendered = Rendered::default();
    for component in components {
        let prefix = format!("components/{component}/");
        for (source, file) in golden_path.files.range(prefix.clone()..) {
            let Some(rel) = source.strip_prefix(&prefix) else {
                break;
            };
            let Some(target) = render_path(&env, &manifest.syntax, &ctx, &gp_id, source, rel)?
            else {
                continue;
            };
            let Some(ownership) = rules.decide(&target, &ctx, &gp_id)? else {
                continue;
            };
            if target.as_str().starts_with(RESERVED_PREFIX) {
                return Err(RenderError::Reserved {
                    golden_path: gp_id,
                    file: source.clone(),
                    path: target.to_string(),
                });
            }
            let bytes = render_file(&env, &ctx, &gp_id, source, file)?;
            if let Some(existing) = rendered.files.get(&target) {
                return Err(RenderError::Duplicate {
                    golden_path: gp_id,
                    path: target.to_string(),
                    first: existing.component.clone(),
                    second: component.clone(),
                });
            }
            let pins = match ownership {
                Ownership::Managed => manifest.pins_of(target.as_str()),
                Ownership::Merged | Ownership::Seeded => Vec::new(),
            };
            rendered.files.insert(
                target.clone(),
                RenderedFile {
                    path: target,
                    bytes,
                    ownership,
                    component: component.clone(),
                    is_executable: file.is_executable,
                    pins,
                },
            );
        }
    }
    Ok(rendered)
}

/// A template file as `pave show` lists it: its component, its target path with the segments
/// not rendered, the ownership the file rules give it, the `when` conditions it depends on and
/// the pins declared in it.
#[derive(Debug, Clone)]
pub struct OutlineFile {
    pub component: String,
    pub path: String,
    pub ownership: Ownership,
    /// The matching rules' conditions joined with `and`, if any.
    pub condition: Option<String>,
    /// The kinds of pin the golden path declares in it (managed files only).
    pub pins: Vec<PinKind>,
}

/// Every template file of `golden_path`, in the order of its files, without rendering anything.
pub fn outline(golden_path: &GoldenPath) -> Vec<OutlineFile> {
    let rules: Vec<_> = golden_path
        .manifest
        .files
        .iter()
        .filter_map(|r| {
            pave_base::glob::compile(&r.value.glob)
                .ok()
                .map(|g| (g, &r.value))
        })
        .collect();
    let mut files = Vec::new();
    for source in golden_path.files.keys() {
        let Some(rest) = source.strip_prefix("components/") else {
            continue;
        };
        let Some((component, rel)) = rest.split_once('/') else {
            continue;
        };
        let path = rel.strip_suffix(TEMPLATE_SUFFIX).unwrap_or(rel).to_owned();
        let matching: Vec<_> = rules
            .iter()
            .filter(|(g, _)| g.is_match(&path))
            .map(|(_, r)| *r)
            .collect();
        let ownership = matching
            .iter()
            .find_map(|r| r.ownership)
            .unwrap_or(Ownership::Managed);
        let conditions: Vec<&str> = matching.iter().filter_map(|r| r.when.as_deref()).collect();
        let pins = match ownership {
            Ownership::Managed => golden_path
                .manifest
                .pins_of(&path)
                .into_iter()
                .map(|p| p.kind)
                .collect(),
            Ownership::Merged | Ownership::Seeded => Vec::new(),
        };
        files.push(OutlineFile {
            component: component.to_owned(),
            path,
            ownership,
            condition: (!conditions.is_empty()).then(|| conditions.join(" and ")),
            pins,
        });
    }
    files
}

/// Why a templated default gave no value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DefaultError {
    /// It reads `git.<variable>`, which the target's remote does not give (no remote, or a URL
    /// without an owner): not the golden path's fault, the person must answer.
    NoGitValue { variable: String },
    /// It does not render: a syntax error, an unknown name, out of fuel.
    Template(String),
}

/// Renders a parameter's templated default against the answers so far, the target folder's name
/// (`target_name`) and what the target repo's git remote gives (`git.remote_url`,
/// `git.remote_host`, `git.remote_owner`, `git.remote_repo`; only those it has). Files never
/// see `git`: they are rendered from answers alone, so a lock renders the same anywhere.
pub fn render_default(
    template: &str,
    so_far: &Answers,
    target_name: &str,
    remote: &Remote,
) -> Result<String, DefaultError> {
    let failed = |e: &minijinja::Error| DefaultError::Template(plain_message(e));
    let env = environment(&Syntax::default(), None).map_err(|e| failed(&e))?;
    let mut ctx = context(so_far, None);
    ctx.insert("target_name".into(), minijinja::Value::from(target_name));
    let git: BTreeMap<&str, &str> = GIT_VARIABLES
        .iter()
        .filter_map(|name| remote.variable(name).map(|value| (*name, value)))
        .collect();
    ctx.insert(
        "git".into(),
        minijinja::Value::from(minijinja::value::Serde(&git)),
    );
    let template = env.template_from_str(template).map_err(|e| failed(&e))?;
    template.render(ctx).map_err(|e| {
        // A `git.*` variable the remote lacks is undefined; a default may still get by without
        // it (`| default(…)`, `is defined`), so only a failed render asks which one it was.
        let absent = (e.kind() == minijinja::ErrorKind::UndefinedError)
            .then(|| {
                let used: std::collections::BTreeSet<String> =
                    template.undeclared_variables(true).into_iter().collect();
                used.into_iter().find(|v| {
                    v.strip_prefix("git.")
                        .is_some_and(|name| remote.variable(name).is_none())
                })
            })
            .flatten();
        match absent {
            Some(variable) => DefaultError::NoGitValue { variable },
            None => failed(&e),
        }
    })
}

type Context = BTreeMap<String, minijinja::Value>;

fn context(answers: &Answers, golden_path: Option<(&str, &str)>) -> Context {
    let mut ctx: Context = answers
        .0
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                minijinja::Value::from(minijinja::value::Serde(v)),
            )
        })
        .collect();
    if let Some((name, version)) = golden_path {
        let mut gp = BTreeMap::new();
        gp.insert("name", minijinja::Value::from(name));
        gp.insert("version", minijinja::Value::from(version));
        ctx.insert(
            "golden_path".into(),
            minijinja::Value::from(minijinja::value::Serde(&gp)),
        );
    }
    ctx
}

/// The sandboxed template environment. With `files`, templates may include each other.
fn environment(
    syntax: &Syntax,
    files: Option<Arc<BTreeMap<String, TemplateFile>>>,
) -> Result<Environment<'static>, minijinja::Error> {
    let mut env = Environment::new();
    env.set_syntax(
        SyntaxConfig::builder()
            .block_delimiters(syntax.block_start.clone(), syntax.block_end.clone())
            .variable_delimiters(syntax.variable_start.clone(), syntax.variable_end.clone())
            .comment_delimiters(syntax.comment_start.clone(), syntax.comment_end.clone())
            .trim_blocks(true)
            .lstrip_blocks(true)
            .keep_trailing_newline(true)
            .build()?,
    );
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|_| AutoEscape::None);
    env.set_fuel(Some(FUEL));
    env.set_recursion_limit(RECURSION_LIMIT);
    env.add_filter("kebab_case", |s: String| {
        heck::ToKebabCase::to_kebab_case(s.as_str())
    });
    env.add_filter("snake_case", |s: String| {
        heck::ToSnakeCase::to_snake_case(s.as_str())
    });
    env.add_filter("pascal_case", |s: String| {
        heck::ToPascalCase::to_pascal_case(s.as_str())
    });
    env.add_filter("camel_case", |s: String| {
        heck::ToLowerCamelCase::to_lower_camel_case(s.as_str())
    });
    env.add_filter("screaming_snake_case", |s: String| {
        heck::ToShoutySnakeCase::to_shouty_snake_case(s.as_str())
    });
    // Relative includes (`./x`, `../x`) resolve from the including file; others from the
    // golden path's root. Anything that would climb out of the root is not found.
    env.set_path_join_callback(|name, parent| {
        if !(name.starts_with("./") || name.starts_with("../")) {
            return name.into();
        }
        let mut segments: Vec<&str> = parent.split('/').collect();
        segments.pop();
        for part in name.split('/') {
            match part {
                "." | "" => {}
                ".." => {
                    if segments.pop().is_none() {
                        return "<outside the golden path>".into();
                    }
                }
                other => segments.push(other),
            }
        }
        segments.join("/").into()
    });
    match files {
        Some(files) => env.set_loader(move |name| {
            if name.split('/').any(|s| s == ".." || s == ".") || name.starts_with('/') {
                return Ok(None);
            }
            match files.get(name) {
                Some(file) => String::from_utf8(file.bytes.clone())
                    .map(Some)
                    .map_err(|_| {
                        minijinja::Error::new(
                            minijinja::ErrorKind::TemplateNotFound,
                            format!("`{name}` is not UTF-8 text and cannot be included"),
                        )
                    }),
                None => Ok(None),
            }
        }),
        None => env.set_loader(|_| Ok::<Option<String>, minijinja::Error>(None)),
    }
    Ok(env)
}

/// Renders the target path of `source` (`rel` below its component folder). `None`: dropped.
fn render_path(
    env: &Environment<'static>,
    syntax: &Syntax,
    ctx: &Context,
    gp_id: &str,
    source: &str,
    rel: &str,
) -> Result<Option<RepoPath>, RenderError> {
    let mut segments = Vec::new();
    for segment in rel.split('/') {
        let is_templated = segment.contains(syntax.variable_start.as_str())
            || segment.contains(syntax.block_start.as_str());
        let rendered = if is_templated {
            env.render_named_str(source, segment, ctx)
                .map_err(|e| template_error(gp_id, source, &e))?
        } else {
            segment.to_owned()
        };
        if rendered.is_empty() {
            return Ok(None);
        }
        segments.push(rendered);
    }
    if let Some(last) = segments.last_mut()
        && let Some(stripped) = last.strip_suffix(TEMPLATE_SUFFIX)
    {
        if stripped.is_empty() {
            return Ok(None);
        }
        *last = stripped.to_owned();
    }
    RepoPath::from_segments(&segments)
        .map(Some)
        .map_err(|error| RenderError::UnsafePath {
            golden_path: gp_id.to_owned(),
            file: source.to_owned(),
            error,
        })
}

fn render_file(
    env: &Environment<'static>,
    ctx: &Context,
    gp_id: &str,
    source: &str,
    file: &TemplateFile,
) -> Result<Vec<u8>, RenderError> {
    if !source.ends_with(TEMPLATE_SUFFIX) {
        return Ok(file.bytes.clone());
    }
    let template = env
        .get_template(source)
        .map_err(|e| template_error(gp_id, source, &e))?;
    template
        .render(ctx)
        .map(String::into_bytes)
        .map_err(|e| template_error(gp_id, source, &e))
}

fn template_error(gp_id: &str, source: &str, e: &minijinja::Error) -> RenderError {
    // An error inside an included template is reported where it happened, with the include
    // chain after it, so the author fixes the right file.
    let mut chain = vec![e];
    let mut current: &dyn std::error::Error = e;
    while let Some(next) = current.source() {
        if let Some(inner) = next.downcast_ref::<minijinja::Error>() {
            chain.push(inner);
        }
        current = next;
    }
    let root = chain.last().copied().unwrap_or(e);
    let file = root
        .name()
        .filter(|n| !n.is_empty())
        .unwrap_or(source)
        .to_owned();
    let mut message = plain_message(root);
    for outer in chain.iter().rev().skip(1) {
        if let (Some(name), Some(line)) = (outer.name(), outer.line()) {
            message.push_str(&format!("\n  included from {name}:{line}"));
        }
    }
    RenderError::Template {
        golden_path: gp_id.to_owned(),
        file,
        line: root.line(),
        message,
    }
}

/// minijinja's message without its own ` (in file:line)` suffix, which we print ourselves.
fn plain_message(e: &minijinja::Error) -> String {
    let mut message = e.kind().to_string();
    if let Some(detail) = e.detail() {
        message.push_str(": ");
        message.push_str(detail);
    }
    if e.kind() == minijinja::ErrorKind::OutOfFuel {
        message.push_str(" (the template ran too long; is there an endless or huge loop?)");
    }
    message
}

/// A file rule's `when`, compiled, with its manifest line and text for messages.
struct Condition<'a> {
    expression: minijinja::Expression<'a, 'a>,
    line: u64,
    text: &'a str,
}

/// The manifest's file rules, compiled once per render.
struct FileRules<'a> {
    rules: Vec<(GlobMatcher, Option<Ownership>, Option<Condition<'a>>)>,
}

impl<'a> FileRules<'a> {
    fn new(
        golden_path: &'a GoldenPath,
        env: &'a Environment<'static>,
    ) -> Result<Self, RenderError> {
        let gp_id = golden_path.manifest.id();
        let mut rules = Vec::new();
        for spanned in &golden_path.manifest.files {
            let rule = &spanned.value;
            let line = spanned.referenced.line();
            let glob = pave_base::glob::compile(&rule.glob).map_err(|e| RenderError::When {
                golden_path: gp_id.clone(),
                line,
                expression: rule.glob.clone(),
                message: e.to_string(),
            })?;
            let when = match &rule.when {
                Some(text) => Some(Condition {
                    expression: env.compile_expression(text.as_str()).map_err(|e| {
                        RenderError::When {
                            golden_path: gp_id.clone(),
                            line,
                            expression: text.clone(),
                            message: plain_message(&e),
                        }
                    })?,
                    line,
                    text: text.as_str(),
                }),
                None => None,
            };
            rules.push((glob, rule.ownership, when));
        }
        Ok(Self { rules })
    }

    /// The ownership of `path`, or `None` when a matching rule's `when` is false.
    fn decide(
        &self,
        path: &RepoPath,
        ctx: &Context,
        gp_id: &str,
    ) -> Result<Option<Ownership>, RenderError> {
        let mut ownership = None;
        for (glob, rule_ownership, when) in &self.rules {
            if !glob.is_match(path.as_str()) {
                continue;
            }
            if let Some(condition) = when {
                let value = condition
                    .expression
                    .eval(ctx)
                    .map_err(|e| RenderError::When {
                        golden_path: gp_id.to_owned(),
                        line: condition.line,
                        expression: condition.text.to_owned(),
                        message: plain_message(&e),
                    })?;
                if !value.is_true() {
                    return Ok(None);
                }
            }
            if ownership.is_none() {
                ownership = *rule_ownership;
            }
        }
        Ok(Some(ownership.unwrap_or(Ownership::Managed)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answers() -> Answers {
        Answers(
            [(
                "name".to_owned(),
                pave_model::parameter::Value::String("PaymentsApi".into()),
            )]
            .into_iter()
            .collect(),
        )
    }

    fn template_error(result: Result<String, DefaultError>) -> String {
        match result {
            Err(DefaultError::Template(message)) => message,
            other => panic!("not a template error: {other:?}"),
        }
    }

    #[test]
    fn defaults_read_the_git_remote() {
        let remote = Remote::Origin(crate::remote::GitRemote::parse(
            "git@gitlab.com:platform/payments/payments-api.git",
        ));
        let out = render_default(
            "{{ git.remote_host }} {{ git.remote_owner }} {{ git.remote_repo | snake_case }} {{ git.remote_url }}",
            &answers(),
            "t",
            &remote,
        )
        .unwrap();
        assert_eq!(
            out,
            "gitlab.com platform/payments payments_api git@gitlab.com:platform/payments/payments-api.git"
        );
    }

    #[test]
    fn a_git_value_the_remote_lacks_is_named() {
        let local = Remote::Origin(crate::remote::GitRemote::parse("/srv/git/payments-api.git"));
        for remote in [Remote::NewRepo, Remote::NotRead, local] {
            assert_eq!(
                render_default(
                    "{{ name }}-{{ git.remote_owner }}",
                    &answers(),
                    "t",
                    &remote
                ),
                Err(DefaultError::NoGitValue {
                    variable: "git.remote_owner".into()
                }),
                "{remote:?}"
            );
        }
        // A default may get by without it, when its author says how.
        assert_eq!(
            render_default(
                "{{ git.remote_owner | default(name | kebab_case) }}",
                &answers(),
                "t",
                &Remote::NewRepo
            ),
            Ok("payments-api".into())
        );
        // Another undefined name is the template's own error.
        let err = template_error(render_default(
            "{{ git.remote_owner }}{{ nope }}",
            &answers(),
            "t",
            &Remote::Origin(crate::remote::GitRemote::parse("https://h/o/r")),
        ));
        assert!(err.contains("undefined"), "{err}");
    }

    #[test]
    fn case_filters() {
        let out = render_default(
            "{{ name | kebab_case }} {{ name | snake_case }} {{ name | pascal_case }} {{ name | camel_case }} {{ name | screaming_snake_case }}",
            &answers(),
            "t",
            &Remote::NotRead,
        )
        .unwrap();
        assert_eq!(
            out,
            "payments-api payments_api PaymentsApi paymentsApi PAYMENTS_API"
        );
    }

    #[test]
    fn strict_undefined() {
        let err = template_error(render_default(
            "{{ nope }}",
            &answers(),
            "t",
            &Remote::NotRead,
        ));
        assert!(err.contains("undefined"), "{err}");
    }

    #[test]
    fn no_environment_access() {
        for t in [
            "{{ env.HOME }}",
            "{{ range(3) | map('env') }}",
            "{% include '/etc/passwd' %}",
        ] {
            assert!(
                render_default(t, &answers(), "t", &Remote::NotRead).is_err(),
                "{t}"
            );
        }
    }

    #[test]
    fn endless_work_runs_out_of_fuel() {
        let t = "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}";
        let err = template_error(render_default(t, &answers(), "t", &Remote::NotRead));
        assert!(err.contains("fuel"), "{err}");
    }

    #[test]
    fn endless_recursion_is_stopped() {
        let t = "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}";
        let err = template_error(render_default(t, &answers(), "t", &Remote::NotRead));
        assert!(err.contains("recursion"), "{err}");
    }
}
