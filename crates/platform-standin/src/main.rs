//! `threadline-platform-standin`: answers like the Messenger Send API and the X Direct Message
//! API on loopback and, given Threadline's URL and secrets, sends customers' signed webhooks
//! to it (see the library's documentation).
//!
//! # Layout
//! - [`Args`]: the flags; `main` binds and serves until Ctrl-C.

use clap::Parser;
use std::time::Duration;
use threadline_platform_standin::{serve, Standin, Tokens, Webhooks};

/// A stand-in platform server for Threadline: the platforms' send APIs, and their webhooks.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Where it listens.
    #[arg(long, default_value = "127.0.0.1:8082")]
    addr: std::net::SocketAddr,
    /// The Page token the Messenger Send API accepts.
    #[arg(
        long,
        env = "THREADLINE_META_PAGE_TOKEN",
        default_value = "standin-page-token"
    )]
    meta_page_token: String,
    /// The user bearer token the X API accepts.
    #[arg(
        long,
        env = "THREADLINE_X_ACCESS_TOKEN",
        default_value = "standin-x-token"
    )]
    x_access_token: String,
    /// Threadline's base URL: customers' messages and receipts go to its `/api/webhooks/meta`
    /// and `/api/webhooks/x`, signed with THREADLINE_META_APP_SECRET and
    /// THREADLINE_X_CONSUMER_SECRET (environment only). Without it no webhook is sent.
    #[arg(long, env = "THREADLINE_STANDIN_THREADLINE_URL")]
    threadline_url: Option<String>,
    /// The Facebook Page the customers write to (Threadline's --meta-page-id).
    #[arg(
        long,
        env = "THREADLINE_META_PAGE_ID",
        default_value = "1000000000000001"
    )]
    meta_page_id: String,
    /// Threadline's X account (Threadline's --x-user-id).
    #[arg(long, env = "THREADLINE_X_USER_ID", default_value = "1000000000000002")]
    x_user_id: String,
    /// That X account's handle, as mentions write it.
    #[arg(long, default_value = "northwind")]
    x_screen_name: String,
    /// Milliseconds after an accepted send before its delivery and read receipts are sent.
    #[arg(long, default_value_t = 1000)]
    receipts_after_ms: u64,
    /// Send no delivery or read receipts.
    #[arg(long)]
    no_receipts: bool,
    /// A page origin whose scripts may post customers' messages (`/_standin/customer/…`);
    /// repeatable. Default: Threadline's origin (its demo page).
    #[arg(long)]
    cors_origin: Vec<String>,
}

/// The origin of a base URL (`http://127.0.0.1:8080/x` is `http://127.0.0.1:8080`).
fn origin_of(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let host = rest.split('/').next().unwrap_or(rest);
    format!("{scheme}://{host}")
}

fn fail(why: &str) -> ! {
    eprintln!("threadline-platform-standin: {why}");
    std::process::exit(1);
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let mut standin = Standin::new(Tokens {
        meta_page_token: args.meta_page_token,
        x_access_token: args.x_access_token,
    });
    let mut origins = args.cors_origin.clone();
    if let Some(url) = &args.threadline_url {
        let secret = |name: &str| match std::env::var(name) {
            Ok(v) if !v.is_empty() => v,
            _ => fail(&format!(
                "--threadline-url needs {name} in the environment to sign webhooks"
            )),
        };
        standin.send_webhooks_to(Webhooks {
            threadline_url: url.trim_end_matches('/').to_owned(),
            meta_app_secret: secret("THREADLINE_META_APP_SECRET"),
            x_consumer_secret: secret("THREADLINE_X_CONSUMER_SECRET"),
            page_id: args.meta_page_id,
            x_user_id: args.x_user_id,
            x_screen_name: args.x_screen_name,
            receipts_after: (!args.no_receipts)
                .then(|| Duration::from_millis(args.receipts_after_ms)),
        });
        if origins.is_empty() {
            origins.push(origin_of(url));
        }
    }
    for origin in &origins {
        standin = standin.with_cors_origin(origin);
    }
    let listener = match tokio::net::TcpListener::bind(args.addr).await {
        Ok(listener) => listener,
        Err(error) => fail(&format!("cannot listen on {}: {error}", args.addr)),
    };
    println!("stand-in platform on http://{}/", args.addr);
    if let Some(url) = &args.threadline_url {
        println!("  sending signed webhooks to {url}/api/webhooks/{{meta,x}}");
    }
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    if let Err(error) = serve(listener, standin, shutdown).await {
        fail(&error.to_string());
    }
}
