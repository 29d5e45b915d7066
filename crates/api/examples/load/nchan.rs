//! nginx with its pub/sub module nchan: the peer the load benchmark measures beside the server.
//!
//! # Layout
//! - [`Nginx::start`]: writes a configuration into a temporary directory and runs nginx from it
//!   as a foreground process (`-p <dir> -c <conf> -g 'daemon off;'`): one worker, listening on a
//!   free loopback port, pid file, error log and temp paths in that directory; waits until it
//!   answers and its worker is up.
//! - [`Nginx::subscribe_url`], [`Nginx::publish_url`]: channel `<name>`'s EventSource
//!   subscriber and its publisher.
//! - [`Nginx::worker`], [`Nginx::master`]: the processes whose CPU and memory are read.
//! - Dropping it stops nginx with SIGTERM (the master then stops its worker; SIGKILL would leave
//!   the worker running) and removes the directory.
//!
//! nchan keeps each channel's messages in shared memory (its defaults: the last 10, for an
//! hour) and writes nothing to disk.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Debian's nginx (package `nginx`).
pub const NGINX: &str = "/usr/sbin/nginx";
/// Debian's nchan module (package `libnginx-mod-nchan`).
pub const NCHAN_MODULE: &str = "/usr/lib/nginx/modules/ngx_nchan_module.so";

/// A running nginx serving nchan channels.
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
    /// Starts `nginx` (the binary at `nginx`) with the nchan module at `module`, with room for
    /// `connections` simultaneous connections, and waits until it answers.
    ///
    /// # Panics
    /// When nginx cannot be started or does not answer within 10 s; the message holds its
    /// error log.
    pub async fn start(nginx: &Path, module: &Path, connections: usize) -> Self {
        assert!(
            module.exists(),
            "{} is missing: install Debian's nginx and libnginx-mod-nchan (`cargo xtask bench \
             api` does), or pass --peer none",
            module.display()
        );
        let dir = tempfile::tempdir().expect("temp dir");
        let port = super::common::free_port();
        let conf = dir.path().join("nginx.conf");
        std::fs::write(&conf, config(dir.path(), module, port, connections))
            .expect("write nginx.conf");
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

    /// Where a subscriber reads channel `name` as an EventSource stream.
    pub fn subscribe_url(&self, name: &str) -> String {
        format!("{}/sub/{name}", self.base)
    }

    /// Where a message is published to channel `name`.
    pub fn publish_url(&self, name: &str) -> String {
        format!("{}/pub/{name}", self.base)
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
    }
}

/// The configuration: nchan's module, one worker, everything nginx writes inside `dir`, a
/// publisher location and an EventSource subscriber location with the channel in the path.
fn config(dir: &Path, module: &Path, port: u16, connections: usize) -> String {
    let d = dir.display();
    // Started as root, nginx runs its worker as `user`; otherwise the directive is ignored.
    let user = if running_as_root() {
        "user nobody nogroup;"
    } else {
        ""
    };
    format!(
        "load_module {module};
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
    # Publishers keep their connections, as the server's visitors do.
    keepalive_requests 100000000;
    keepalive_timeout 600s;
    server {{
        listen 127.0.0.1:{port};
        location = /ready {{ return 204; }}
        location ~ ^/pub/(\\w+)$ {{
            nchan_publisher;
            nchan_channel_id $1;
        }}
        location ~ ^/sub/(\\w+)$ {{
            nchan_subscriber eventsource;
            nchan_channel_id $1;
        }}
    }}
}}
",
        module = module.display(),
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
