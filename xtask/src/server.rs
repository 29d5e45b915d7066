//! The debug server with the demo data over a throwaway data directory, on a free loopback
//! port, for the xtask commands that talk to a running Threadline (`bench size`, the API fuzzing).

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::bundles;
use crate::util::{self, step, Error, Result};

/// A running server; killed (and its data removed) when dropped.
pub struct Server {
    /// The running `threadline-api`.
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its throwaway data directory.
    data: PathBuf,
}

impl Server {
    /// Builds the debug binary and starts it with `--demo` and both bundles.
    pub fn start() -> Result<Self> {
        step("starting the server (debug build, demo data)");
        util::cargo()
            .args(["build", "-p", "threadline-api", "--bin", "threadline-api"])
            .run()?;
        let addr = TcpListener::bind("127.0.0.1:0")?.local_addr()?;
        let data = util::target_dir()
            .join("xtask")
            .join(format!("server-data-{}", std::process::id()));
        std::fs::create_dir_all(&data)?;
        let [desktop, widget, console] = bundles::all();
        let binary = util::target_dir().join("debug").join("threadline-api");
        let child = util::cmd(&binary)
            .args(["--addr", &addr.to_string(), "--demo", "--data-dir"])
            .args([data.as_os_str()])
            .args(["--desktop-dir".as_ref(), desktop.dist.as_os_str()])
            .args(["--widget-dir".as_ref(), widget.dist.as_os_str()])
            .args(["--console-dir".as_ref(), console.dist.as_os_str()])
            .into_command()
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| Error::new(format!("could not start {}: {e}", binary.display())))?;
        let server = Self { child, addr, data };
        let deadline = Instant::now() + Duration::from_mins(1);
        while TcpStream::connect(addr).is_err() {
            if Instant::now() > deadline {
                return Err(Error::new("the server did not listen within 60 s"));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(server)
    }

    /// `http://ADDR`.
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.data);
    }
}
