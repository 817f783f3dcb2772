//! Every way a request to the registry's server can fail ([`ApiError`]), and the one place that
//! turns it into a response: a 4xx says what was wrong (naming the field, as the store's
//! validation does), a 5xx is logged and tells the client nothing more.

use std::io::Write as _;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use schemars::JsonSchema;
use serde::Serialize;

use crate::model::{Invalid, MAX_BODY_BYTES, Scope};
use crate::store::StoreError;

/// Every way a request can fail, and the one place that turns it into a response.
#[derive(Debug)]
pub enum ApiError {
    /// No token, a malformed header, or an unknown or revoked token.
    Unauthorized(&'static str),
    /// A valid token without the scope the route needs.
    Forbidden(Scope),
    /// The request names something wrong; the field says where.
    Invalid(Invalid),
    TooLarge,
    NotFound,
    /// No repo has the id or URL a request names.
    UnknownRepo(String),
    /// Several repos have the URL a request names.
    AmbiguousRepo {
        url: String,
        ids: Vec<String>,
    },
    /// The store does not answer (`/readyz`).
    Unavailable,
    /// Our fault: logged in full, told to the client in two words.
    Internal(String),
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Invalid(invalid) => Self::Invalid(invalid),
            StoreError::UnknownRepo(repo) => Self::UnknownRepo(repo),
            StoreError::AmbiguousRepo { url, ids } => Self::AmbiguousRepo { url, ids },
            other => Self::Internal(other.to_string()),
        }
    }
}

/// Every error's body.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "Error")]
pub(crate) struct ErrorBody {
    /// What was wrong, for a person.
    error: String,
    /// The input at fault, when one is (`events[2].occurred_at`, `days`).
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<String>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, error, field) = match self {
            Self::Unauthorized(why) => (StatusCode::UNAUTHORIZED, why.to_owned(), None),
            Self::Forbidden(scope) => (
                StatusCode::FORBIDDEN,
                format!("the token lacks the `{}` scope", scope.as_str()),
                None,
            ),
            Self::Invalid(invalid) => (
                StatusCode::BAD_REQUEST,
                invalid.message,
                Some(invalid.field),
            ),
            Self::TooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the body is over {MAX_BODY_BYTES} bytes; send fewer events per batch"),
                None,
            ),
            Self::NotFound => (StatusCode::NOT_FOUND, "no such route".to_owned(), None),
            Self::UnknownRepo(repo) => (
                StatusCode::NOT_FOUND,
                format!("no repo has the id or URL `{repo}`"),
                Some("repo".to_owned()),
            ),
            Self::AmbiguousRepo { url, ids } => (
                StatusCode::CONFLICT,
                format!(
                    "{} repos have the URL `{url}`: {}; delete each by its id",
                    ids.len(),
                    ids.join(", ")
                ),
                Some("repo".to_owned()),
            ),
            Self::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "the store is not reachable".to_owned(),
                None,
            ),
            Self::Internal(message) => {
                log_line(&serde_json::json!({"level": "error", "error": message}));
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal error".to_owned(),
                    None,
                )
            }
        };
        let is_unauthorized = status == StatusCode::UNAUTHORIZED;
        let mut response = (status, Json(ErrorBody { error, field })).into_response();
        if is_unauthorized {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// The server's log: JSON lines on stderr, which log collectors parse. One locked write per line,
/// so lines of concurrent requests never interleave; a closed stderr is not worth failing for.
pub(crate) fn log_line(value: &serde_json::Value) {
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "{value}");
}
