//! Notion's error bodies: `{"object":"error","status","code","message","request_id"}`.

use serde_json::{json, Value};

#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
    pub additional_data: Option<Box<Value>>,
    /// Seconds for a `Retry-After` header (429 only).
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            additional_data: None,
            retry_after: None,
        }
    }

    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(400, "validation_error", message)
    }

    pub fn invalid_json() -> Self {
        Self::new(400, "invalid_json", "Error parsing JSON body.")
    }

    pub fn invalid_url() -> Self {
        Self::new(400, "invalid_request_url", "Invalid request URL.")
    }

    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::new(400, "invalid_request", message)
    }

    pub fn missing_version() -> Self {
        Self::new(
            400,
            "missing_version",
            "Notion-Version header failed validation: Notion-Version header should be defined, instead was `undefined`.",
        )
    }

    pub fn unauthorized() -> Self {
        Self::new(401, "unauthorized", "API token is invalid.")
    }

    pub fn rate_limited(retry_after: u64) -> Self {
        let mut e = Self::new(
            429,
            "rate_limited",
            "You have been rate limited. Please try again in a few minutes.",
        );
        e.retry_after = Some(retry_after);
        e
    }

    /// A 429 from a window limit, with the reason Notion gives in `additional_data`.
    pub fn rate_limited_because(retry_after: u64, reason: &str) -> Self {
        let mut e = Self::rate_limited(retry_after);
        e.additional_data = Some(Box::new(json!({ "rate_limit_reason": reason })));
        e
    }

    /// The error a given HTTP status carries in Notion (used by fault injection).
    pub fn for_status(status: u16) -> Self {
        match status {
            400 => Self::validation("The request body does not match the schema for the expected parameters."),
            401 => Self::unauthorized(),
            403 => Self::new(403, "restricted_resource", "API token does not have access to this resource."),
            404 => Self::new(404, "object_not_found", "Could not find object."),
            409 => Self::new(409, "conflict_error", "Conflict occurred while saving. Please try again."),
            429 => Self::rate_limited(1),
            500 => Self::new(500, "internal_server_error", "Unexpected error occurred."),
            502 => Self::new(502, "bad_gateway", "Notion encountered an issue while attempting to complete this request. Please try again."),
            503 => Self::new(503, "service_unavailable", "Notion is unavailable. Please try again later."),
            504 => Self::new(504, "gateway_timeout", "Notion timed out while attempting to complete this request. Please try again later."),
            529 => Self::new(529, "service_overload", "Notion is experiencing high load. Please try again later."),
            s => Self::new(s, "internal_server_error", "Unexpected error occurred."),
        }
    }

    pub fn not_found(kind: &str, id: &str, integration_name: &str, integration_id: &str) -> Self {
        let mut e = Self::new(
            404,
            "object_not_found",
            format!(
                "Could not find {kind} with ID: {id}. Make sure the relevant pages and databases are shared with your integration \"{integration_name}\"."
            ),
        );
        e.additional_data = Some(Box::new(json!({ "integration_id": integration_id })));
        e
    }

    pub fn body(&self, request_id: &str) -> Value {
        let mut v = json!({
            "object": "error",
            "status": self.status,
            "code": self.code,
            "message": self.message,
        });
        if let Some(extra) = &self.additional_data {
            v["additional_data"] = (**extra).clone();
        }
        v["request_id"] = json!(request_id);
        v
    }
}
