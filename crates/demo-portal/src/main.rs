//! `threadline-demo-portal`: the demo CRM portal that frames the Threadline desktop
//! (see the library's documentation). `cargo xtask run` starts it beside the server.
//!
//! # Layout
//! - [`Args`]: the flags; `main` checks them, binds, and serves until Ctrl-C.

use clap::Parser;
use threadline_demo_portal::{serve, Config, SECRET_VARIABLE};

/// The demo portal ("Acme CRM") that frames the Threadline agent desktop.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Where the portal listens. Threadline's demo mode allows the origin http://127.0.0.1:8081.
    #[arg(long, default_value = "127.0.0.1:8081")]
    addr: std::net::SocketAddr,
    /// Threadline's URL: the page loads /embed.js and frames the desktop from it.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    threadline_url: String,
    /// Use the published demo secret when THREADLINE_EMBED_SECRET_DEMO is not set.
    #[arg(long)]
    demo: bool,
    /// The portal's secret (from the environment only, so it is not on a command line).
    #[arg(skip = std::env::var(SECRET_VARIABLE).ok())]
    secret: Option<String>,
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let config = match Config::new(&args.threadline_url, args.secret, args.demo) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("threadline-demo-portal: {error}");
            std::process::exit(2);
        }
    };
    let listener = match tokio::net::TcpListener::bind(args.addr).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!(
                "threadline-demo-portal: cannot listen on {}: {error}",
                args.addr
            );
            std::process::exit(1);
        }
    };
    println!(
        "demo portal (Acme CRM) on http://{}/ framing {}",
        args.addr, config.threadline
    );
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    if let Err(error) = serve(listener, config, shutdown).await {
        eprintln!("threadline-demo-portal: {error}");
        std::process::exit(1);
    }
}
