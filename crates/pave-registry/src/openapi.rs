//! The registry API's OpenAPI 3.1 document (`GET /api/v1/openapi.json`), built from code.
//!
//! Each operation is described by an [`Operation`] in the server's route table, the same table
//! the router is built from, so a route cannot be served undocumented. Bodies are described by
//! the JSON Schemas the types derive (schemars): its draft 2020-12 schemas are what OpenAPI 3.1
//! uses as they are, so no OpenAPI library is needed, only the definitions moved to
//! `components.schemas` (the generator writes its `$ref`s there from the start).

use schemars::generate::SchemaSettings;
use schemars::{Schema, SchemaGenerator};
use serde_json::{Map, Value, json};

/// Where the API's routes live; an [`Operation`]'s path is below it.
pub const API_BASE: &str = "/api/v1";

/// The name of the bearer security scheme in the document.
const BEARER: &str = "bearer";

/// Writes a type's schema (usually a `$ref` into `components.schemas`) with the generator.
pub type SchemaFn = fn(&mut SchemaGenerator) -> Schema;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Delete,
}

impl Method {
    /// As an OpenAPI path item names it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "get",
            Self::Post => "post",
            Self::Delete => "delete",
        }
    }
}

/// Who may call an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone: it describes the API, not the registry's data.
    Public,
    /// Anyone, unless the server runs with `--read-token-required`: then a `read` token.
    Read,
    /// A token with the `write` scope, always.
    Write,
    /// A token with the `admin` scope, always: it removes records or reads the admin log.
    Admin,
}

/// Where a parameter goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamIn {
    /// A `{name}` segment of the path: always required.
    Path,
    /// The query string: always optional.
    Query,
}

/// A parameter of the path or the query.
pub struct Param {
    pub name: &'static str,
    pub location: ParamIn,
    pub description: &'static str,
    pub schema: SchemaFn,
}

/// One API operation as the document describes it.
pub struct Operation {
    pub method: Method,
    /// Below [`API_BASE`], in the syntax axum and OpenAPI share (`/stats/daily`, `/repos/{id}`).
    pub path: &'static str,
    pub operation_id: &'static str,
    pub summary: &'static str,
    pub access: Access,
    /// Every `{name}` of the path, then the query's.
    pub params: &'static [Param],
    /// The JSON body it takes, if any.
    pub request: Option<SchemaFn>,
    /// What a 200 means, and its JSON body.
    pub ok: &'static str,
    pub response: SchemaFn,
    /// The failures it can answer beside those of its [`Access`] (401, 403), each with the error
    /// body.
    pub errors: &'static [(u16, &'static str)],
}

impl Operation {
    /// The path as clients call it (`/api/v1/stats`, `/api/v1/repos/{repo}`).
    pub fn full_path(&self) -> String {
        format!("{API_BASE}{}", self.path)
    }

    /// The names of the path's `{name}` segments, in order.
    pub fn path_names(&self) -> Vec<&'static str> {
        self.path
            .split('/')
            .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
            .collect()
    }
}

/// The OpenAPI 3.1 document of `operations`; `error_body` is the schema of every error response.
pub fn document<'a>(
    operations: impl IntoIterator<Item = &'a Operation>,
    error_body: SchemaFn,
) -> Value {
    let mut generator = SchemaSettings::draft2020_12()
        .with(|settings| {
            settings.definitions_path = "/components/schemas".into();
            settings.meta_schema = None;
        })
        .into_generator();
    let error_schema = Value::from(error_body(&mut generator));
    let mut paths = Map::new();
    for operation in operations {
        let item = paths
            .entry(operation.full_path())
            .or_insert_with(|| Value::Object(Map::new()));
        item[operation.method.as_str()] = describe(operation, &mut generator, &error_schema);
    }
    let schemas = generator.take_definitions(true);
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "pave registry",
            "version": env!("CARGO_PKG_VERSION"),
            "summary": "Adoption and conformance of golden paths across a fleet of repos.",
            "description": "Clients (`pave new`, `pave apply`, `pave upgrade`, `pave check --report`, \
                `pave audit --push`) send events in batches; reads return repos, golden paths and \
                stats. Writes need a bearer token with the `write` scope (`pave registry token \
                create`). Reads are open unless the server runs with `--read-token-required`, \
                which makes them need a token with the `read` scope. Deleting a repo's records, \
                pruning and the admin log need a token with the `admin` scope; every deletion \
                and prune is recorded in the admin log. Every error is \
                `{\"error\": \"…\", \"field\": \"…\"}`, `field` naming the input at fault.",
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"},
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                BEARER: {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A registry token (`pave_` and 64 hex digits) from \
                        `pave registry token create`, sent as `Authorization: Bearer <token>`.",
                },
            },
        },
    })
}

fn describe(operation: &Operation, generator: &mut SchemaGenerator, error_schema: &Value) -> Value {
    let json_body = |schema: Value| json!({"application/json": {"schema": schema}});
    let error = |description: &str| json!({"description": description, "content": json_body(error_schema.clone())});

    let mut responses = Map::new();
    responses.insert(
        "200".into(),
        json!({
            "description": operation.ok,
            "content": json_body((operation.response)(generator).into()),
        }),
    );
    let (security, auth_errors, note) = match operation.access {
        Access::Public => (json!([]), &[][..], "Public: no token needed."),
        Access::Write => (
            json!([{BEARER: []}]),
            &[
                (
                    401,
                    "No token, a malformed `Authorization` header, or an unknown or revoked token.",
                ),
                (403, "The token lacks the `write` scope."),
            ][..],
            "Needs a token with the `write` scope.",
        ),
        Access::Admin => (
            json!([{BEARER: []}]),
            &[
                (
                    401,
                    "No token, a malformed `Authorization` header, or an unknown or revoked token.",
                ),
                (403, "The token lacks the `admin` scope."),
            ][..],
            "Needs a token with the `admin` scope.",
        ),
        // Either no credentials or a bearer token: which one the server wants is its setting.
        Access::Read => (
            json!([{}, {BEARER: []}]),
            &[
                (
                    401,
                    "Only with `--read-token-required`: no token, a malformed header, or an unknown or revoked token.",
                ),
                (
                    403,
                    "Only with `--read-token-required`: the token lacks the `read` scope.",
                ),
            ][..],
            "Open, unless the server runs with `--read-token-required`: then it needs a token \
             with the `read` scope.",
        ),
    };
    let mut errors: Vec<(u16, &str)> = auth_errors
        .iter()
        .chain(operation.errors)
        .copied()
        .collect();
    errors.sort_by_key(|(status, _)| *status);
    for (status, description) in errors {
        responses.insert(status.to_string(), error(description));
    }

    let mut described = json!({
        "operationId": operation.operation_id,
        "summary": operation.summary,
        "description": note,
        "security": security,
        "responses": responses,
    });
    if !operation.params.is_empty() {
        described["parameters"] = operation
            .params
            .iter()
            .map(|param| {
                let (location, required) = match param.location {
                    ParamIn::Path => ("path", true),
                    ParamIn::Query => ("query", false),
                };
                json!({
                    "name": param.name,
                    "in": location,
                    "required": required,
                    "description": param.description,
                    "schema": Value::from((param.schema)(generator)),
                })
            })
            .collect();
    }
    if let Some(request) = operation.request {
        described["requestBody"] = json!({
            "required": true,
            "content": json_body(request(generator).into()),
        });
    }
    described
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(schemars::JsonSchema)]
    #[allow(dead_code)] // only its schema is used
    struct Thing {
        inner: Inner,
    }

    #[derive(schemars::JsonSchema)]
    #[allow(dead_code)]
    struct Inner {
        n: u32,
    }

    #[test]
    fn definitions_are_components_and_refs_point_at_them() {
        let operation = Operation {
            method: Method::Post,
            path: "/things",
            operation_id: "postThing",
            summary: "A thing",
            access: Access::Write,
            params: &[],
            request: Some(|g| g.subschema_for::<Thing>()),
            ok: "Stored",
            response: |g| g.subschema_for::<Inner>(),
            errors: &[(400, "Bad thing")],
        };
        let doc = document([&operation], |g| g.subschema_for::<Inner>());
        let post = &doc["paths"]["/api/v1/things"]["post"];
        assert_eq!(
            post["requestBody"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/Thing"
        );
        assert_eq!(
            doc["components"]["schemas"]["Thing"]["properties"]["inner"]["$ref"],
            "#/components/schemas/Inner"
        );
        assert!(!doc.to_string().contains("$defs"), "{doc}");
        let statuses: Vec<&String> = post["responses"].as_object().unwrap().keys().collect();
        assert_eq!(statuses, ["200", "400", "401", "403"]);
        assert_eq!(post["security"], json!([{"bearer": []}]));
    }

    #[test]
    fn path_parameters_are_required_and_named_by_the_path() {
        let operation = Operation {
            method: Method::Delete,
            path: "/things/{thing}",
            operation_id: "deleteThing",
            summary: "Removes a thing",
            access: Access::Admin,
            params: &[
                Param {
                    name: "thing",
                    location: ParamIn::Path,
                    description: "Which thing",
                    schema: |g| g.subschema_for::<String>(),
                },
                Param {
                    name: "dry_run",
                    location: ParamIn::Query,
                    description: "Only say what would go",
                    schema: |g| g.subschema_for::<bool>(),
                },
            ],
            request: None,
            ok: "Removed",
            response: |g| g.subschema_for::<Inner>(),
            errors: &[(404, "No such thing")],
        };
        assert_eq!(operation.path_names(), ["thing"]);
        let doc = document([&operation], |g| g.subschema_for::<Inner>());
        let delete = &doc["paths"]["/api/v1/things/{thing}"]["delete"];
        assert_eq!(
            delete["parameters"],
            json!([
                {"name": "thing", "in": "path", "required": true, "description": "Which thing",
                 "schema": {"type": "string"}},
                {"name": "dry_run", "in": "query", "required": false,
                 "description": "Only say what would go", "schema": {"type": "boolean"}},
            ])
        );
        let statuses: Vec<&String> = delete["responses"].as_object().unwrap().keys().collect();
        assert_eq!(statuses, ["200", "401", "403", "404"]);
        assert_eq!(
            delete["responses"]["403"]["description"],
            "The token lacks the `admin` scope."
        );
    }
}
