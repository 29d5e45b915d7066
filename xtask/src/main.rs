//! `cargo xtask`: the project's own commands (run it, test it, measure it).
//!
//! # Layout
//! - `main.rs`: argument parsing and dispatch (no argument-parser crate, to keep this fast to build).
//! - [`util`]: paths, the child-process helper (puts `~/.cargo/bin` first on `PATH`), errors.
//! - [`tools`]: makes sure the toolchain is installed at the right versions (wasm32 target, the
//!   bindgen tool matching `Cargo.lock`'s wasm-bindgen, wasm-opt, Chromium, nginx with nchan,
//!   Postgres).
//! - [`bundles`]: the three browser bundles (agent desktop, visitor widget, console), built by
//!   xtask itself, skipped when up to date.
//! - [`test`]: `cargo xtask test`, the whole check suite that CI runs.
//! - [`bench`]: `cargo xtask bench <what>`; [`size`]: the bundles' bytes on the wire.
//! - [`fuzz`]: `cargo xtask fuzz`, schemathesis against the API and the cargo-fuzz targets;
//!   [`server`]: the demo server those commands start.
//! - [`standin`]: the stand-in platform `run` starts beside the server.

mod bench;
mod bundles;
mod fuzz;
mod server;
mod size;
mod standin;
mod test;
mod tools;
mod util;

use std::process::ExitCode;

use util::{Error, Result};

const USAGE: &str = "\
Usage: cargo xtask <command>

Commands:
  run [--release] [-- <server args>]
                           install what is missing, build the three bundles (release), run the
                           server (a debug build, quick to compile; --release for an optimised
                           one)
                           on 127.0.0.1:8080 with the demo data, the demo portal (a CRM
                           page framing the desktop) on 127.0.0.1:8081 and the stand-in
                           platform (Messenger and X) on 127.0.0.1:8082; extra args go to
                           threadline-api
  test                     install what is missing (also Chromium, chromedriver), build the
                           bundles, then fmt check, clippy (native and wasm32), and the whole test
                           suite on SQLite and PostgreSQL
  bench <what> [--runs N]  a benchmark (`cargo xtask bench` lists them: size, ui, api,
                           cluster, search, reports); `api` and `cluster` take --runs N: N
                           runs on each database, each on a fresh one, then a summary
  fuzz [SECONDS]           schemathesis against the running API, then each cargo-fuzz target
                           in fuzz/ (default: 600 s for the API, 300 s per target; `test` runs
                           both for 90 s and 20 s per target)
  chaos [ROUNDS]           kill -9 the server mid-burst ROUNDS times (default 20) on SQLite and
                           PostgreSQL: nothing acknowledged lost or doubled, replays without gaps
  help                     this text
";

/// One parsed command line.
#[derive(Debug)]
enum Command {
    /// `cargo xtask run [--release] [-- args]`.
    Run {
        /// How the server, the demo portal and the stand-in are compiled.
        build: Build,
        /// What goes to the server.
        server_args: Vec<String>,
    },
    /// `cargo xtask test`.
    Test,
    /// `cargo xtask bench <what>`.
    Bench(bench::Plan),
    /// `cargo xtask fuzz [seconds]`.
    Fuzz(fuzz::Budget),
    /// `cargo xtask chaos [rounds]`.
    Chaos(u32),
    /// `cargo xtask help`.
    Help,
}

fn parse(args: &[String]) -> Result<Command> {
    let Some((first, rest)) = args.split_first() else {
        return Ok(Command::Help);
    };
    match first.as_str() {
        "run" => {
            let (build, rest) = match rest.split_first() {
                Some((flag, tail)) if flag == "--release" => (Build::Release, tail),
                _ => (Build::Debug, rest),
            };
            let rest = match rest.split_first() {
                Some((dashes, tail)) if dashes == "--" => tail,
                _ => rest,
            };
            Ok(Command::Run {
                build,
                server_args: rest.to_vec(),
            })
        }
        "test" => {
            if let Some(extra) = rest.first() {
                return Err(Error::new(format!(
                    "`cargo xtask test` takes no arguments (got `{extra}`)"
                )));
            }
            Ok(Command::Test)
        }
        "bench" => Ok(Command::Bench(bench::Bench::parse(rest)?)),
        "fuzz" => match rest {
            [] => Ok(Command::Fuzz(fuzz::LONG)),
            [seconds] => {
                let seconds: u64 = seconds.parse().map_err(|_| {
                    Error::new(format!("`cargo xtask fuzz` takes seconds, not `{seconds}`"))
                })?;
                Ok(Command::Fuzz(fuzz::Budget {
                    api: std::time::Duration::from_secs(seconds),
                    per_target: std::time::Duration::from_secs(seconds),
                    repeatable: None,
                }))
            }
            _ => Err(Error::new("`cargo xtask fuzz` takes at most one argument")),
        },
        "chaos" => match rest {
            [] => Ok(Command::Chaos(20)),
            [rounds] => rounds.parse().map(Command::Chaos).map_err(|_| {
                Error::new(format!(
                    "`cargo xtask chaos` takes a number of rounds, not `{rounds}`"
                ))
            }),
            _ => Err(Error::new("`cargo xtask chaos` takes at most one argument")),
        },
        "help" | "-h" | "--help" => Ok(Command::Help),
        other => Err(Error::new(format!("unknown command `{other}`\n\n{USAGE}"))),
    }
}

fn main() -> ExitCode {
    util::started();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = parse(&args).and_then(|command| match command {
        Command::Run { build, server_args } => run(build, &server_args),
        Command::Test => test::run(),
        Command::Bench(what) => what.run(),
        Command::Fuzz(budget) => fuzz::run(budget),
        Command::Chaos(rounds) => chaos(rounds),
        Command::Help => {
            print!("{USAGE}");
            Ok(())
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("\nxtask: error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// `cargo xtask chaos`: the ignored `chaos` tests of `crates/api/tests/crash.rs`, on SQLite and
/// PostgreSQL, `rounds` kills each.
fn chaos(rounds: u32) -> Result<()> {
    tools::ensure_postgres()?;
    util::step(&format!(
        "kill -9 under load, {rounds} rounds on each database"
    ));
    util::cargo()
        .args([
            "test",
            "-p",
            "threadline-api",
            "--test",
            "crash",
            "--",
            "--ignored",
        ])
        .args(["--test-threads=1", "--nocapture", "chaos"])
        .env("THREADLINE_CHAOS_ROUNDS", rounds.to_string())
        .env("THREADLINE_TEST_PG", tools::TEST_PG_URL)
        .current_dir(util::root())
        .run()
}

/// How `cargo xtask run` compiles the server and its companions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Build {
    /// cargo's dev profile: the one the tests build too, minutes quicker on a first run; fast
    /// enough for one person trying the desktop (password hashing is optimised even here).
    Debug,
    /// `--release`: what a benchmark or a real deployment runs.
    Release,
}

impl Build {
    /// `target/<this>/` holds the binaries.
    fn dir(self) -> &'static str {
        match self {
            Build::Debug => "debug",
            Build::Release => "release",
        }
    }
}

/// `cargo xtask run`: toolchain, the bundles, then the server in the foreground.
fn run(build: Build, server_args: &[String]) -> Result<()> {
    // The server and its two companions compile while the bundles are assembled.
    let binaries = util::target_dir().join(build.dir());
    let mut cargo_args = vec!["build"];
    if build == Build::Release {
        cargo_args.push("--release");
    }
    cargo_args.extend([
        "-p",
        "threadline-api",
        "-p",
        "threadline-demo-portal",
        "-p",
        "threadline-platform-standin",
    ]);
    let servers = bundles::prepare_and(|| {
        tools::Builds::cargo(
            &format!(
                "the server, the demo portal and the stand-in platform ({})",
                build.dir()
            ),
            &cargo_args,
            "servers",
            binaries.join("threadline-api"),
        )
    })?;
    servers.wait()?;

    let root = util::root();
    let mut args: Vec<String> = Vec::new();
    // Our defaults go first; a flag the caller passes (or sets through its environment variable)
    // wins, so we leave ours out rather than have clap reject a repeated flag.
    let defaults = [
        ("--addr", Some("THREADLINE_ADDR"), "127.0.0.1:8080"),
        ("--data-dir", Some("THREADLINE_DATA_DIR"), "./data"),
        ("--desktop-dir", Some("THREADLINE_DESKTOP_DIR"), "dist"),
        (
            "--widget-dir",
            Some("THREADLINE_WIDGET_DIR"),
            "crates/widget/dist",
        ),
        (
            "--console-dir",
            Some("THREADLINE_CONSOLE_DIR"),
            "crates/console/dist",
        ),
        // Messenger and X through the stand-in platform, and the demo page's panel for it.
        (
            "--meta-page-id",
            Some("THREADLINE_META_PAGE_ID"),
            standin::PAGE_ID,
        ),
        (
            "--x-user-id",
            Some("THREADLINE_X_USER_ID"),
            standin::X_USER_ID,
        ),
        (
            "--meta-api-url",
            Some("THREADLINE_META_API_URL"),
            standin::URL,
        ),
        ("--x-api-url", Some("THREADLINE_X_API_URL"), standin::URL),
        (
            "--demo-standin-url",
            Some("THREADLINE_DEMO_STANDIN_URL"),
            standin::URL,
        ),
    ];
    for (flag, env, value) in defaults {
        let given = server_args
            .iter()
            .any(|a| a == flag || a.starts_with(&format!("{flag}=")));
        let from_env = env.is_some_and(|name| std::env::var_os(name).is_some());
        if !given && !from_env {
            args.push(flag.to_owned());
            args.push(value.to_owned());
        }
    }
    // Demo data and the published demo secret: `cargo xtask run` is for trying Threadline out.
    let demo_given = server_args
        .iter()
        .any(|a| a == "--demo" || a.starts_with("--demo="));
    if !demo_given && std::env::var_os("THREADLINE_DEMO").is_none() {
        args.push("--demo".to_owned());
    }
    args.extend(server_args.iter().cloned());

    // The demo portal (another origin, as a real portal would be) frames the desktop beside it.
    let threadline = server_url(server_args, std::env::var("THREADLINE_ADDR").ok());
    let _portal = DemoPortal::start(&binaries, &threadline)?;
    // The platform secrets are made for this run: the stand-in signs with them, the server
    // checks with them, and they never leave the two processes' environments.
    let secrets = standin::Secrets::generate()?;
    let _standin = standin::Standin::start(&binaries, &threadline, &secrets)?;

    // The binary just built, not `cargo run -p threadline-api`: built alone, the server's
    // dependencies resolve other features than in the build above and would compile again.
    util::step("starting the server (Ctrl-C stops it, the demo portal and the stand-in)");
    let server = binaries.join("threadline-api");
    let mut server = util::cmd(server).args(&args).current_dir(&root);
    for (name, value) in &secrets.env {
        server = server.env(name, value);
    }
    server.run()
}

/// Where the demo portal listens: the origin the server's demo mode lets frame the desktop.
const DEMO_PORTAL_ADDR: &str = "127.0.0.1:8081";

/// The server's URL as a browser on this machine reaches it: its `--addr` (from the arguments,
/// else `THREADLINE_ADDR`, else the default), with a wildcard address as `127.0.0.1`.
fn server_url(server_args: &[String], from_env: Option<String>) -> String {
    let mut addr = from_env.unwrap_or_else(|| "127.0.0.1:8080".to_owned());
    let mut args = server_args.iter();
    while let Some(arg) = args.next() {
        if arg == "--addr" {
            if let Some(value) = args.next() {
                value.clone_into(&mut addr);
            }
        } else if let Some(value) = arg.strip_prefix("--addr=") {
            value.clone_into(&mut addr);
        }
    }
    let addr = match addr.parse::<std::net::SocketAddr>() {
        Ok(a) if a.ip().is_unspecified() => format!("127.0.0.1:{}", a.port()),
        _ => addr,
    };
    format!("http://{addr}")
}

/// The demo portal's process; stopped when dropped (the server stopped or failed).
struct DemoPortal {
    /// The running `threadline-demo-portal`.
    child: std::process::Child,
}

impl DemoPortal {
    /// Starts the binary in `binaries` with the published demo secret (or
    /// `THREADLINE_EMBED_SECRET_DEMO` when set), framing the server at `threadline`.
    fn start(binaries: &std::path::Path, threadline: &str) -> Result<DemoPortal> {
        let binary = binaries.join("threadline-demo-portal");
        let child = util::cmd(&binary)
            .args([
                "--demo",
                "--addr",
                DEMO_PORTAL_ADDR,
                "--threadline-url",
                threadline,
            ])
            .into_command()
            .stdin(std::process::Stdio::null())
            .spawn()
            .map_err(|e| Error::new(format!("could not start {}: {e}", binary.display())))?;
        println!(
            "demo portal: http://{DEMO_PORTAL_ADDR}/ (Acme CRM: the desktop framed on another \
             origin; pick an agent and press Log in)"
        );
        Ok(DemoPortal { child })
    }
}

impl Drop for DemoPortal {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn run_passes_arguments_after_dashes() {
        let Command::Run { build, server_args } =
            parse(&strings(&["run", "--", "--offer-timeout", "5"])).unwrap()
        else {
            panic!("expected run");
        };
        assert_eq!(build, Build::Debug);
        assert_eq!(server_args, ["--offer-timeout", "5"]);
        let Command::Run { build, server_args } =
            parse(&strings(&["run", "--release", "--", "--demo"])).unwrap()
        else {
            panic!("expected run");
        };
        assert_eq!(build, Build::Release);
        assert_eq!(server_args, ["--demo"]);
    }

    #[test]
    fn the_demo_portal_finds_the_server() {
        assert_eq!(server_url(&[], None), "http://127.0.0.1:8080");
        assert_eq!(
            server_url(&strings(&["--addr", "0.0.0.0:9000"]), None),
            "http://127.0.0.1:9000"
        );
        assert_eq!(
            server_url(&strings(&["--addr=127.0.0.1:7000"]), Some("x:1".into())),
            "http://127.0.0.1:7000"
        );
        assert_eq!(
            server_url(&[], Some("127.0.0.1:8181".into())),
            "http://127.0.0.1:8181"
        );
    }

    #[test]
    fn unknown_commands_are_errors() {
        assert!(parse(&strings(&["frobnicate"])).is_err());
        assert!(parse(&strings(&["bench", "nothing"])).is_err());
        assert!(matches!(
            parse(&strings(&["bench", "size"])).unwrap(),
            Command::Bench(bench::Plan {
                bench: bench::Bench::Size,
                runs: 1
            })
        ));
    }

    #[test]
    fn load_benchmarks_take_a_number_of_runs() {
        assert!(matches!(
            parse(&strings(&["bench", "api", "--runs", "5"])).unwrap(),
            Command::Bench(bench::Plan {
                bench: bench::Bench::Api,
                runs: 5
            })
        ));
        assert!(matches!(
            parse(&strings(&["bench", "cluster", "--runs", "3"])).unwrap(),
            Command::Bench(bench::Plan {
                bench: bench::Bench::Cluster,
                runs: 3
            })
        ));
        for wrong in [
            &["bench", "api", "--runs"][..],
            &["bench", "api", "--runs", "0"],
            &["bench", "api", "--runs", "five"],
            &["bench", "api", "--runs", "5", "extra"],
            &["bench", "ui", "--runs", "2"],
            &["bench", "size", "extra"],
        ] {
            assert!(parse(&strings(wrong)).is_err(), "{wrong:?} was accepted");
        }
    }
}
