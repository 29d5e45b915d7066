//! nginx run by a benchmark from a generated configuration: the nchan peer of `load` and the
//! load balancer of `cluster`.
//!
//! # Layout
//! - [`Site`]: what differs between the two: a module to load, `http`-level directives
//!   (upstreams) and the server's locations.
//! - [`Nginx::start`]: writes the configuration into a temporary directory and runs nginx from
//!   it as a foreground process (`-p <dir> -c <conf> -g 'daemon off;'`): one worker, listening
//!   on a free loopback port, pid file, error log and temp paths in that directory; waits until
//!   it answers and its worker is up.
//! - [`Nginx::worker`], [`Nginx::master`], [`Nginx::base`]: its processes and address.
//! - Dropping it stops nginx with SIGTERM (the master then stops its worker; SIGKILL would leave
//!   the worker running) and removes the directory.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Debian's nginx (package `nginx`).
pub const NGINX: &str = "/usr/sbin/nginx";

/// What one benchmark's nginx does, beside what every run shares (one worker, files in its
/// directory, `GET /ready` answered 204).
pub struct Site {
    /// A dynamic module to load (nchan's), if any.
    pub module: Option<PathBuf>,
    /// Directives inside `http { }` before the server (upstreams).
    pub http: String,
    /// Directives inside the `server { }` (locations).
    pub server: String,
    /// Simultaneous connections the worker must hold (clients and upstreams together).
    pub connections: usize,
}

/// A running nginx.
pub struct Nginx {
    /// The master process: started by us, stopped on drop.
    master: Child,
    /// Its one worker (`worker_processes 1`), which does all the work: its CPU is the figure
    /// that compares with the server's single process.
    worker: u32,
    /// `http://127.0.0.1:<port>`.
    base: String,
    /// Holds the configuration, pid file, error log and temp paths; removed on drop (after
    /// nginx has stopped, since it is the last field).
    dir: tempfile::TempDir,
}

impl Nginx {
    /// Starts `nginx` (the binary at `nginx`) serving `site`, and waits until it answers.
    ///
    /// # Panics
    /// When nginx cannot be started or does not answer within 10 s; the message holds its
    /// error log.
    pub async fn start(nginx: &Path, site: &Site) -> Self {
        if let Some(module) = &site.module {
            assert!(
                module.exists(),
                "{} is missing: install Debian's nginx and libnginx-mod-nchan (`cargo xtask \
                 bench api` does), or pass --peer none",
                module.display()
            );
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let port = super::common::free_port();
        let conf = dir.path().join("nginx.conf");
        std::fs::write(&conf, config(dir.path(), site, port)).expect("write nginx.conf");
        // Run as root, nginx hands its worker to `nobody`, which must reach the temp paths.
        std::fs::set_permissions(
            dir.path(),
            std::os::unix::fs::PermissionsExt::from_mode(0o755),
        )
        .expect("chmod");
        let stderr = std::fs::File::create(dir.path().join("stderr.log")).expect("stderr.log");
        let prefix = dir.path().to_str().expect("UTF-8 temp dir");
        let error_log = dir.path().join("error.log");
        let mut master = Command::new(nginx)
            .args(["-p", prefix, "-c"])
            .arg(&conf)
            .arg("-e")
            .arg(&error_log)
            .args(["-g", "daemon off;"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", nginx.display()));
        let base = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(10);
        let worker = loop {
            if let Some(status) = master.try_wait().expect("wait for nginx") {
                panic!("nginx exited ({status}):\n{}", logs(dir.path()));
            }
            let answers = client
                .get(format!("{base}/ready"))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if let (true, Some(worker)) = (answers, child_of(master.id())) {
                break worker;
            }
            if Instant::now() > deadline {
                let _ = master.kill();
                let _ = master.wait();
                panic!("nginx did not answer within 10 s:\n{}", logs(dir.path()));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        Self {
            master,
            worker,
            base,
            dir,
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The master's pid.
    pub fn master(&self) -> u32 {
        self.master.id()
    }

    /// The worker's pid.
    pub fn worker(&self) -> u32 {
        self.worker
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // SIGTERM: the master stops its worker, then itself.
        let stopped = Command::new("kill")
            .args(["-TERM", &self.master.id().to_string()])
            .status()
            .is_ok_and(|s| s.success());
        if !stopped {
            eprintln!(
                "could not send SIGTERM to nginx (pid {}); killing it and its worker {}",
                self.master.id(),
                self.worker
            );
            let _ = Command::new("kill")
                .args(["-KILL", &self.worker.to_string()])
                .status();
            let _ = self.master.kill();
        }
        if let Err(e) = self.master.wait() {
            eprintln!(
                "waiting for nginx (pid {}): {e}\n{}",
                self.master.id(),
                logs(self.dir.path())
            );
        }
        let problems = problems(
            &std::fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default(),
        );
        if !problems.is_empty() {
            println!("nginx's error log (warnings and worse, by kind):");
            for (n, what) in problems {
                println!("  {n} × {what}");
            }
        }
    }
}

/// The warnings and errors of an nginx error log, counted by kind: each line without its
/// time, process and connection numbers and what follows the first comma (client, upstream),
/// most frequent first.
fn problems(log: &str) -> Vec<(usize, String)> {
    let mut kinds: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for line in log.lines() {
        let Some((_, rest)) = line.split_once("] ") else {
            continue;
        };
        // "<pid>#<tid>: *<connection> <message>, client: …"
        let message = rest.split_once(": ").map_or(rest, |(_, m)| m);
        let message = message
            .strip_prefix('*')
            .and_then(|m| m.split_once(' '))
            .map_or(message, |(_, m)| m);
        let kind = message.split(", ").next().unwrap_or(message).to_owned();
        *kinds.entry(kind).or_insert(0) += 1;
    }
    let mut sorted: Vec<(usize, String)> = kinds.into_iter().map(|(k, n)| (n, k)).collect();
    sorted.sort_by_key(|(n, _)| std::cmp::Reverse(*n));
    sorted.truncate(8);
    sorted
}

/// The configuration: the site's module, one worker, everything nginx writes inside `dir`,
/// `GET /ready`, then the site's own directives.
fn config(dir: &Path, site: &Site, port: u16) -> String {
    let d = dir.display();
    // Started as root, nginx runs its worker as `user`; otherwise the directive is ignored.
    let user = if running_as_root() {
        "user nobody nogroup;"
    } else {
        ""
    };
    let module = site
        .module
        .as_ref()
        .map(|m| format!("load_module {};", m.display()))
        .unwrap_or_default();
    format!(
        "{module}
worker_processes 1;
{user}
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections {connections}; }}
http {{
    access_log off;
    client_body_temp_path {d}/client_body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    # Clients keep their connections, as the server's visitors and agents do.
    keepalive_requests 100000000;
    keepalive_timeout 600s;
{http}
    server {{
        listen 127.0.0.1:{port};
        location = /ready {{ return 204; }}
{server}
    }}
}}
",
        connections = site.connections,
        http = site.http,
        server = site.server,
    )
}

/// Whether this process runs as root (the owner of `/proc/self`).
fn running_as_root() -> bool {
    std::os::unix::fs::MetadataExt::uid(&std::fs::metadata("/proc/self").expect("/proc/self")) == 0
}

/// The first process whose parent is `parent` (from `/proc/<pid>/stat`, field 4).
fn child_of(parent: u32) -> Option<u32> {
    std::fs::read_dir("/proc")
        .ok()?
        .flatten()
        .find_map(|entry| {
            let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            // After the command name in parentheses: state, then the parent's pid.
            let ppid: u32 = stat
                .rsplit_once(')')?
                .1
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()?;
            (ppid == parent).then_some(pid)
        })
}

/// nginx's error log and standard error, for a failure message.
fn logs(dir: &Path) -> String {
    let mut out = String::new();
    for file in ["error.log", "stderr.log"] {
        out += "--- ";
        out += file;
        out += "\n";
        out += &std::fs::read_to_string(dir.join(file)).unwrap_or_default();
    }
    out
}
