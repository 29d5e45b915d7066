//! nginx with its pub/sub module nchan: the peer the load benchmark measures beside the server.
//!
//! # Layout
//! - [`start`]: nginx (`load/nginx.rs`) with the nchan module, a publisher location and an
//!   EventSource subscriber location with the channel in the path.
//! - [`subscribe_url`], [`publish_url`]: channel `<name>`'s EventSource subscriber and its
//!   publisher.
//!
//! nchan keeps each channel's messages in shared memory (its defaults: the last 10, for an
//! hour) and writes nothing to disk.

use super::nginx::{Nginx, Site};
use std::path::Path;

/// Debian's nchan module (package `libnginx-mod-nchan`).
pub const NCHAN_MODULE: &str = "/usr/lib/nginx/modules/ngx_nchan_module.so";

/// Starts `nginx` (the binary at `nginx`) with the nchan module at `module`, with room for
/// `connections` simultaneous connections, and waits until it answers.
pub async fn start(nginx: &Path, module: &Path, connections: usize) -> Nginx {
    let site = Site {
        module: Some(module.to_owned()),
        http: String::new(),
        server: "        location ~ ^/pub/(\\w+)$ {
            nchan_publisher;
            nchan_channel_id $1;
        }
        location ~ ^/sub/(\\w+)$ {
            nchan_subscriber eventsource;
            nchan_channel_id $1;
        }"
        .to_owned(),
        connections,
    };
    Nginx::start(nginx, &site).await
}

/// Where a subscriber reads channel `name` as an EventSource stream.
pub fn subscribe_url(nginx: &Nginx, name: &str) -> String {
    format!("{}/sub/{name}", nginx.base())
}

/// Where a message is published to channel `name`.
pub fn publish_url(nginx: &Nginx, name: &str) -> String {
    format!("{}/pub/{name}", nginx.base())
}
