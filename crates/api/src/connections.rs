//! Serving HTTP/1.1 connections with limits a stranger cannot get around (`axum::serve` has no
//! timer, so no header timeout, and no connection limit):
//! - at most [`Limits::max_connections`] open at once; more wait in the kernel's backlog until
//!   one closes (event streams count: each holds a connection);
//! - a request head must arrive whole within [`Limits::header_timeout`] (also an idle
//!   keep-alive connection waits no longer for its next request), so a slowloris client is
//!   cut off;
//! - every request has a deadline for its answer to start ([`deadlines`]): uploads (multipart
//!   bodies) [`Limits::upload_timeout`], everything else [`Limits::request_timeout`], reading
//!   the body included, so a trickled body gets 408 and its connection closes. The body of an
//!   answer (an event stream) is not limited;
//! - graceful shutdown: no new connections, open ones finish their request and close.

use crate::error::ApiError;
use axum::extract::{ConnectInfo, Request};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::IntoResponse;
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};
use tower::Service;

/// The connection limits and deadlines (from [`crate::Config`]).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Connections open at once (at least 1).
    pub max_connections: usize,
    /// Time for a request head to arrive, from the connection's start or its last answer.
    pub header_timeout: Duration,
    /// Time for an ordinary request's answer to start, its body read included.
    pub request_timeout: Duration,
    /// The same for an upload (a multipart body), which may be megabytes on a slow link.
    pub upload_timeout: Duration,
}

/// Serves `router` on `listener` until `shutdown` completes; `on_stop` runs then (it ends the
/// live streams, so their connections can close), and this returns once every connection has.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
    on_stop: impl FnOnce(),
) -> std::io::Result<()> {
    let max = limits
        .max_connections
        .clamp(1, Semaphore::MAX_PERMITS.min(u32::MAX as usize));
    let slots = Arc::new(Semaphore::new(max));
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: back off a little, then go on.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut req: Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            let mut router = router.clone();
            async move { router.call(req.map(axum::body::Body::new)).await }
        });
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            let _slot = slot;
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_timeout)
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades();
            let mut conn = std::pin::pin!(conn);
            tokio::select! {
                result = conn.as_mut() => {
                    if let Err(e) = result {
                        tracing::debug!(error = %e, "connection ended with an error");
                    }
                    return;
                }
                _ = stop.wait_for(|stopped| *stopped) => conn.as_mut().graceful_shutdown(),
            }
            let _ = conn.await;
        });
    }
    on_stop();
    let _ = stop_tx.send(true);
    // Every connection holds a slot until it closes: having them all back means all closed.
    let _ = slots
        .acquire_many(u32::try_from(max).unwrap_or(u32::MAX))
        .await;
    Ok(())
}

/// Puts the per-request deadlines of `limits` on `router` (see the module comment).
pub fn deadlines(router: Router, limits: Limits) -> Router {
    router.layer(axum::middleware::from_fn(
        move |req: Request, next: Next| async move {
            let limit = if is_upload(&req) {
                limits.upload_timeout
            } else {
                limits.request_timeout
            };
            if let Ok(response) = tokio::time::timeout(limit, next.run(req)).await {
                response
            } else {
                let mut response = ApiError::Timeout.into_response();
                // The rest of the body may still be on its way: do not read it.
                response
                    .headers_mut()
                    .insert(header::CONNECTION, HeaderValue::from_static("close"));
                response
            }
        },
    ))
}

/// Whether a request carries an upload (a multipart body).
fn is_upload(req: &Request) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/")
        })
}
