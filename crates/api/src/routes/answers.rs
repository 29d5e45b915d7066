//! The answers any route can give for reasons of its kind rather than its own, added to the
//! OpenAPI document in one place so that each handler's annotation lists only what is its own
//! and the document still names every status a client can meet (schemathesis checks it does):
//! - a route with a bearer token: `401` (no, expired or ended credentials);
//! - a route with a path parameter: `404` (no such thing) and `400` (not an id);
//! - a route with a JSON body: `400` (unreadable or invalid) and `415` (not JSON);
//!   with an upload: `400`, `413` and `415`;
//! - a visitor's route and the login: `429` (limits for strangers, with `Retry-After`);
//! - every route: `408` (the request's deadline passed while it was still arriving).
//!
//! It also writes into each agent's bearer route's description the role it needs
//! ([`role_for`]), and adds `403` where that is more than an agent (not on a visitor's routes,
//! nor on a portal's `/api/embed/` ones, whose bearer is the portal secret).

use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, ResponseBuilder};

/// Adds the kind-of-route answers to every operation of `doc` that does not list them.
pub fn add_standard_answers(doc: &mut OpenApi) {
    for (path, item) in &mut doc.paths.paths {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.patch,
            &mut item.delete,
        ];
        for operation in operations.into_iter().flatten() {
            let bearer = operation.security.as_ref().is_some_and(|s| !s.is_empty());
            // A visitor's routes take a visitor token and a portal's its portal secret: no role.
            if bearer && !path.starts_with("/api/visitor/") && !path.starts_with("/api/embed/") {
                let role = role_for(path);
                let note = format!("Role needed: {} (or higher).", role.as_str());
                operation.description = Some(match operation.description.take() {
                    Some(d) if !d.is_empty() => format!("{d}\n\n{note}"),
                    _ => note,
                });
                if role > wire::Role::Agent {
                    operation
                        .responses
                        .responses
                        .entry("403".to_owned())
                        .or_insert_with(|| {
                            error_response("The account's role does not allow this.")
                        });
                }
            }
            for (status, why) in answers_for(path, operation) {
                operation
                    .responses
                    .responses
                    .entry(status.to_string())
                    .or_insert_with(|| error_response(why));
            }
        }
    }
}

/// The role an agent's route needs, by where it lives: `/api/admin/` administrators,
/// `/api/supervisor/` and `/api/reports` supervisors, everything else any agent. (Each handler
/// checks it through its extractor; this is what the document says.)
pub fn role_for(path: &str) -> wire::Role {
    if path.starts_with("/api/admin/") {
        wire::Role::Administrator
    } else if path.starts_with("/api/supervisor/") || path.starts_with("/api/reports") {
        wire::Role::Supervisor
    } else {
        wire::Role::Agent
    }
}

/// The kind-of-route answers of one operation.
fn answers_for(path: &str, operation: &Operation) -> Vec<(u16, &'static str)> {
    let mut answers = vec![(408, "The request did not arrive within its deadline.")];
    if operation.security.as_ref().is_some_and(|s| !s.is_empty()) {
        answers.push((401, "No valid credentials: missing, expired, or ended."));
    }
    let has_path_parameter = operation
        .parameters
        .iter()
        .flatten()
        .any(|p| matches!(p.parameter_in, ParameterIn::Path));
    if has_path_parameter {
        answers.push((404, "No such thing."));
    }
    if has_path_parameter || operation.request_body.is_some() {
        answers.push((
            400,
            "A malformed path parameter, or a body unreadable or invalid.",
        ));
    }
    if let Some(body) = &operation.request_body {
        answers.push((415, "The body is not of the declared type."));
        if body.content.keys().any(|k| k.starts_with("multipart/")) {
            answers.push((413, "The upload is too large."));
        }
    }
    if path.starts_with("/api/visitor/") || path == "/api/auth/login" {
        answers.push((
            429,
            "Too many requests; try again after `Retry-After` seconds.",
        ));
    }
    answers
}

fn error_response(description: &str) -> RefOr<utoipa::openapi::Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .build()
        .into()
}
