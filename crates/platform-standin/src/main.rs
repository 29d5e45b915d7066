//! `threadline-platform-standin`: answers like the Messenger Send API and the X Direct Message
//! API on loopback (see the library's documentation).
//!
//! # Layout
//! - [`Args`]: the flags; `main` binds and serves until Ctrl-C.

use clap::Parser;
use threadline_platform_standin::{serve, Standin, Tokens};

/// A stand-in platform server for Threadline's outbox.
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
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let listener = match tokio::net::TcpListener::bind(args.addr).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!(
                "threadline-platform-standin: cannot listen on {}: {error}",
                args.addr
            );
            std::process::exit(1);
        }
    };
    println!("stand-in platform on http://{}/", args.addr);
    let standin = Standin::new(Tokens {
        meta_page_token: args.meta_page_token,
        x_access_token: args.x_access_token,
    });
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    if let Err(error) = serve(listener, standin, shutdown).await {
        eprintln!("threadline-platform-standin: {error}");
        std::process::exit(1);
    }
}
