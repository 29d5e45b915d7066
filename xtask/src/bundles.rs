//! The three browser bundles, built by xtask itself: `cargo build` for wasm32, wasm-bindgen's
//! glue (the `threadline-bindgen` tool, `xtask/bindgen`), wasm-opt (`-Oz` or `-O3`, whichever
//! is smaller after brotli), content-hashed names, the page with its script and stylesheet
//! links (stylesheets minified), brotli and gzip copies.
//!
//! # Layout
//! - [`Bundle`]: where a bundle's page and sources are, where it lands, what it is built from.
//! - [`compile_ahead`]: the bundles' `cargo build` (one for the desktop and the console, so
//!   their last links, each single-threaded with fat LTO, run side by side; one for the widget),
//!   while the bindgen tool compiles in the background.
//! - [`prepare`]: both, with the tools, for the commands that serve the bundles;
//!   [`prepare_and`] also starts another build once cargo is free.
//! - [`build_all`]: assembles each bundle, skipping one whose inputs have not changed since its
//!   last successful build (wasm-bindgen and wasm-opt cost tens of seconds on a 2-core machine).
//! - [`Page`]: the page's `<link data-bundle=…>` markers turned into real links (see below).
//! - [`precompress`]: `<file>.br` (brotli 11) and `<file>.gz` (gzip 9) beside every file a
//!   browser downloads, so the server sends them compressed without compressing per request.
//!
//! A page marks what the bundler fills in, and nothing else in it changes:
//! - `<link data-bundle="wasm">`: replaced by preload links for the glue and the wasm and the
//!   inline module script that starts the app (the server allows that script by its hash).
//! - `<link data-bundle="css" href="style/x.css">`: the stylesheet, copied as `x-<hash>.css`.
//! - `<link data-bundle="copy" href="public/x">`: the file copied as is (its name stays: other
//!   sites load it, like the widget's `loader.js`); the marker is removed.
//!
//! The freshness stamp is `target/xtask/<bundle>.stamp`; delete it to force a rebuild.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::util::{self, cmd, step, Error, Result};

/// One browser bundle.
pub struct Bundle {
    /// Short name for messages and the stamp file.
    pub name: &'static str,
    /// The crate's directory, with the page, `style/` and `public/`.
    pub dir: PathBuf,
    /// Where the built bundle lands (what the server serves).
    pub dist: PathBuf,
    /// The cargo package (and its binary's name).
    package: &'static str,
    /// Bundles of the same group compile in one `cargo build`, so their shared dependencies
    /// compile once and their last links run side by side. Cargo unifies the dependencies'
    /// features within one build, so only bundles with the same dependencies share a group:
    /// built with the desktop, the widget came out 3 % bigger.
    group: &'static str,
    /// The page's file name, in `dir` and in `dist`.
    page: &'static str,
    /// Where the server mounts `dist`, for the links in the page.
    public_url: &'static str,
    /// Files and directories whose changes require a rebuild.
    inputs: Vec<PathBuf>,
}

/// The agent desktop (root package), the visitor widget (`crates/widget`) and the console
/// (`crates/console`).
pub fn all() -> [Bundle; 3] {
    let root = util::root();
    let shared = |extra: &[&str]| -> Vec<PathBuf> {
        [
            "Cargo.lock",
            "Cargo.toml",
            "crates/wire",
            ".cargo",
            "xtask/src/bundles.rs",
        ]
        .iter()
        .chain(extra)
        .map(|p| root.join(p))
        .collect()
    };
    [
        Bundle {
            name: "desktop",
            dir: root.clone(),
            dist: root.join("dist"),
            package: "threadline",
            group: "leptos",
            page: "index.html",
            public_url: "/",
            inputs: shared(&["src", "style", "public", "index.html", "build.rs"]),
        },
        Bundle {
            name: "widget",
            dir: root.join("crates/widget"),
            dist: root.join("crates/widget/dist"),
            package: "threadline-widget",
            group: "widget",
            page: "frame.html",
            public_url: "/widget/",
            inputs: shared(&["crates/widget"]),
        },
        Bundle {
            name: "console",
            dir: root.join("crates/console"),
            dist: root.join("crates/console/dist"),
            package: "threadline-console",
            group: "leptos",
            page: "index.html",
            public_url: "/console/",
            inputs: shared(&["crates/console", "crates/client"]),
        },
    ]
}

/// Compiles every bundle that is not up to date for wasm32, one `cargo build` per group (first
/// `cargo fetch`, so the wasm-only crates a fresh machine never downloaded are there).
pub fn compile_ahead() -> Result<()> {
    // A whole group compiles when one of its bundles is stale: built alone, a bundle would get
    // other dependency features, so its dependencies (and its wasm) would differ.
    let bundles = all();
    let mut groups: Vec<&str> = Vec::new();
    for bundle in bundles.iter().filter(|b| !b.is_fresh()) {
        if !groups.contains(&bundle.group) {
            groups.push(bundle.group);
        }
    }
    if groups.is_empty() {
        return Ok(());
    }
    step("fetching the bundles' dependencies");
    util::cargo()
        .args(["fetch"])
        .current_dir(util::root())
        .run()?;
    for group in groups {
        let members: Vec<&Bundle> = bundles.iter().filter(|b| b.group == group).collect();
        let names: Vec<&str> = members.iter().map(|b| b.name).collect();
        step(&format!(
            "compiling the {} (wasm32, release)",
            names.join(" and ")
        ));
        let mut build = util::cargo()
            .args([
                "build",
                "--target",
                WASM_TARGET,
                "--profile",
                PROFILE,
                "--offline",
            ])
            .args(short_sources()?);
        for bundle in members {
            build = build.args(["-p", bundle.package]);
        }
        build.current_dir(util::root()).run()?;
    }
    Ok(())
}

const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// Arguments for the bundles' `cargo build` that name the registry's sources by a short path
/// that is the same on every machine (`/crates/leptos-0.8.23/src/…`): a panic's location keeps
/// its file's path in the wasm, and `~/.cargo/registry/src/index.crates.io-…/` made the bundles
/// bigger by the length of the builder's home directory. Added to the `rustflags` of
/// `.cargo/config.toml` (cargo joins the two lists).
fn short_sources() -> Result<Vec<String>> {
    let registry = util::cargo_home().join("registry").join("src");
    let mut flags = Vec::new();
    if registry.is_dir() {
        for index in std::fs::read_dir(&registry)? {
            let from = index?.path();
            // A TOML string: the path's backslashes and quotes escaped.
            let from = from
                .to_string_lossy()
                .replace('\\', "\\\\")
                .replace('"', "\\\"");
            flags.push(format!("\"--remap-path-prefix={from}=/crates\""));
        }
    }
    if flags.is_empty() {
        return Ok(Vec::new());
    }
    Ok(vec![
        "--config".to_owned(),
        format!("target.{WASM_TARGET}.rustflags=[{}]", flags.join(", ")),
    ])
}

/// The cargo profile of the bundles (root Cargo.toml): size-optimised, fat LTO, panic=abort;
/// the server keeps the plain release profile.
const PROFILE: &str = "wasm-release";

/// Everything a command that serves the bundles needs first: the tools, the wasm compiled (while
/// the bindgen tool compiles beside it), every bundle assembled.
pub fn prepare() -> Result<()> {
    prepare_and(|| Ok(()))
}

/// [`prepare`], starting `meanwhile` once the wasm is compiled: cargo is idle while the bundles
/// are assembled (wasm-bindgen, wasm-opt and brotli keep one core busy), so another build can
/// run then. Returns what `meanwhile` returned.
pub fn prepare_and<T>(meanwhile: impl FnOnce() -> Result<T>) -> Result<T> {
    let tools = crate::tools::start_build_tools(crate::tools::Fuzzing::No)?;
    compile_ahead()?;
    let started = meanwhile()?;
    tools.wait()?;
    build_all()?;
    Ok(started)
}

/// Assembles every bundle that is not up to date; [`compile_ahead`] and the bindgen tool
/// ([`crate::tools::start_build_tools`]) must have run.
pub fn build_all() -> Result<()> {
    for bundle in all() {
        bundle.build()?;
    }
    Ok(())
}

impl Bundle {
    fn stamp(&self) -> PathBuf {
        util::target_dir()
            .join("xtask")
            .join(format!("{}.stamp", self.name))
    }

    /// Assembles `dist` from the compiled wasm unless the last successful build is newer than
    /// every input.
    pub fn build(&self) -> Result<()> {
        step(&format!("building the {} bundle (release)", self.name));
        if self.is_fresh() {
            precompress(&self.dist)?;
            println!(
                "up to date: {} (delete {} to force a rebuild)",
                self.dist.display(),
                self.stamp().display()
            );
            return Ok(());
        }
        let started = SystemTime::now();
        self.assemble()
            .map_err(|e| Error::new(format!("building the {} bundle failed: {e}", self.name)))?;
        precompress(&self.dist)?;
        let nanos = started
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        let stamp = self.stamp();
        if let Some(parent) = stamp.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&stamp, nanos.to_string())?;
        Ok(())
    }

    /// Writes the bundle into a staging folder, then swaps it in for `dist`.
    fn assemble(&self) -> Result<()> {
        let staging = util::target_dir()
            .join("xtask")
            .join(format!("staging-{}", self.name));
        if staging.exists() {
            std::fs::remove_dir_all(&staging)?;
        }
        std::fs::create_dir_all(&staging)?;
        let wasm = util::target_dir()
            .join(WASM_TARGET)
            .join(PROFILE)
            .join(format!("{}.wasm", self.package));
        if !wasm.exists() {
            return Err(Error::new(format!(
                "{} is missing: the wasm32 build did not produce it",
                wasm.display()
            )));
        }
        let stem = self.package.replace('-', "_");
        cmd(crate::tools::bindgen_binary())
            .args([wasm.as_os_str(), staging.as_os_str(), stem.as_ref()])
            .run()?;
        let glue = staging.join(format!("{stem}.js"));
        let raw = staging.join(format!("{stem}_bg.wasm"));
        let optimised = optimise(&raw, &staging.join(&stem))?;
        let js_name = hashed_name(&stem, ".js", &std::fs::read(&glue)?);
        let wasm_name = hashed_name(&stem, "_bg.wasm", &std::fs::read(&optimised)?);
        std::fs::rename(&glue, staging.join(&js_name))?;
        std::fs::rename(&optimised, staging.join(&wasm_name))?;
        std::fs::remove_file(&raw)?;

        let source = std::fs::read_to_string(self.dir.join(self.page))?;
        let page = Page {
            dir: &self.dir,
            out: &staging,
            public_url: self.public_url,
            js: &js_name,
            wasm: &wasm_name,
        }
        .render(&source)?;
        std::fs::write(staging.join(self.page), page)?;

        if self.dist.exists() {
            std::fs::remove_dir_all(&self.dist)?;
        }
        std::fs::rename(&staging, &self.dist)?;
        Ok(())
    }

    fn is_fresh(&self) -> bool {
        if !has_wasm(&self.dist) {
            return false;
        }
        let Some(built) = std::fs::read_to_string(self.stamp())
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok())
            .map(|nanos| UNIX_EPOCH + Duration::from_nanos(nanos))
        else {
            return false;
        };
        self.inputs
            .iter()
            .all(|input| newest_mtime(input).is_none_or(|t| t < built))
    }
}

/// wasm-opt's levels tried on each bundle: `-Oz` writes the smallest file, but what a browser
/// downloads is its brotli, and `-O3`'s code (also the quicker) sometimes compresses smaller
/// (the desktop's by 0.7 KB on 2026-12-03, the console's larger by 1.2 KB).
const OPT_LEVELS: [&str; 2] = ["-Oz", "-O3"];

/// Optimises `raw` at each of [`OPT_LEVELS`] side by side (`<stem><level>.wasm`) and keeps the
/// one smallest after brotli; returns its path.
fn optimise(raw: &Path, stem: &Path) -> Result<PathBuf> {
    let outputs: Vec<PathBuf> = OPT_LEVELS
        .iter()
        .map(|level| PathBuf::from(format!("{}{level}.wasm", stem.display())))
        .collect();
    std::thread::scope(|scope| {
        let runs: Vec<_> = OPT_LEVELS
            .iter()
            .zip(&outputs)
            .map(|(level, out)| {
                scope.spawn(move || {
                    cmd("wasm-opt")
                        .args([*level, "--output"])
                        .args([out.as_os_str(), raw.as_os_str()])
                        .run()
                })
            })
            .collect();
        runs.into_iter().try_for_each(|run| {
            run.join()
                .map_err(|_| Error::new("wasm-opt's thread panicked"))?
        })
    })?;
    let mut sizes = Vec::with_capacity(outputs.len());
    for out in &outputs {
        sizes.push(brotli(&std::fs::read(out)?)?.len());
    }
    let best = (0..outputs.len()).min_by_key(|&i| sizes[i]).unwrap_or(0);
    for (i, out) in outputs.iter().enumerate() {
        println!(
            "wasm-opt {}: {} after brotli{}",
            OPT_LEVELS[i],
            crate::size::kb(u64::try_from(sizes[i]).unwrap_or(u64::MAX)),
            if i == best { " (kept)" } else { "" }
        );
        if i != best {
            std::fs::remove_file(out)?;
        }
    }
    Ok(outputs[best].clone())
}

/// `<stem>-<16 hex digits of the content's hash><suffix>`: a new name whenever the content
/// changes, so browsers may cache every such file forever.
fn hashed_name(stem: &str, suffix: &str, content: &[u8]) -> String {
    use std::hash::{Hash, Hasher};
    // SipHash with fixed keys: the same bytes give the same name on every build.
    let mut hasher = std::hash::DefaultHasher::new();
    content.hash(&mut hasher);
    format!("{stem}-{:016x}{suffix}", hasher.finish())
}

/// One page being rendered into a bundle.
struct Page<'a> {
    /// Where the `href`s of the markers are relative to.
    dir: &'a Path,
    /// The staging folder the copied files go to.
    out: &'a Path,
    /// The prefix of every link.
    public_url: &'a str,
    /// The hashed glue's file name.
    js: &'a str,
    /// The hashed wasm's file name.
    wasm: &'a str,
}

impl Page<'_> {
    /// The page with each `<link data-bundle=…>` marker replaced (see the module's docs);
    /// exactly one `wasm` marker is required.
    fn render(&self, source: &str) -> Result<String> {
        const MARKER: &str = "<link data-bundle=";
        let mut out = String::with_capacity(source.len() + 512);
        let mut rest = source;
        let mut scripts = 0;
        while let Some(at) = rest.find(MARKER) {
            out.push_str(&rest[..at]);
            let tag_end = rest[at..]
                .find('>')
                .map(|i| at + i + 1)
                .ok_or_else(|| Error::new("a <link data-bundle …> is not closed"))?;
            let tag = &rest[at..tag_end];
            let produced = match attribute(tag, "data-bundle") {
                Some("wasm") => {
                    scripts += 1;
                    self.start_script()
                }
                Some("css") => self.stylesheet(tag)?,
                Some("copy") => {
                    self.copy(tag)?;
                    String::new()
                }
                other => {
                    return Err(Error::new(format!(
                        "unknown data-bundle kind {other:?} in {tag}"
                    )))
                }
            };
            rest = &rest[tag_end..];
            if produced.is_empty() {
                // The marker's whole line goes: its indentation and its line break.
                let kept = out.trim_end_matches([' ', '\t']).len();
                out.truncate(kept);
                rest = rest.strip_prefix('\n').unwrap_or(rest);
            } else {
                // Every line of what replaces the marker gets the marker's indentation.
                let line_start = out.rfind('\n').map_or(0, |i| i + 1);
                let indent: String = out[line_start..]
                    .chars()
                    .take_while(|c| *c == ' ' || *c == '\t')
                    .collect();
                out.push_str(&produced.replace('\n', &format!("\n{indent}")));
            }
        }
        out.push_str(rest);
        if scripts != 1 {
            return Err(Error::new(format!(
                "the page needs exactly one <link data-bundle=\"wasm\">, found {scripts}"
            )));
        }
        Ok(out)
    }

    /// Preloads for the glue and the wasm (fetched in parallel with the page's parsing), and
    /// the module script that instantiates the wasm and runs its `main`.
    fn start_script(&self) -> String {
        let (url, js, wasm) = (self.public_url, self.js, self.wasm);
        format!(
            "<link rel=\"modulepreload\" href=\"{url}{js}\">\n\
             <link rel=\"preload\" href=\"{url}{wasm}\" as=\"fetch\" type=\"application/wasm\" \
             crossorigin=\"anonymous\">\n\
             <script type=\"module\">import init from '{url}{js}';\
             await init({{ module_or_path: '{url}{wasm}' }});</script>"
        )
    }

    fn stylesheet(&self, tag: &str) -> Result<String> {
        let href = href(tag)?;
        let source = std::fs::read_to_string(self.dir.join(href))?;
        // Comments and layout are for the people who edit it: a browser gets the rules alone
        // (the desktop's sheet is a fifth smaller after brotli).
        let content = minifier::css::minify(&source)
            .map_err(|e| Error::new(format!("{href}: {e}")))?
            .to_string()
            .trim()
            .to_owned();
        let stem = Path::new(href)
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("style");
        let name = hashed_name(stem, ".css", content.as_bytes());
        std::fs::write(self.out.join(&name), content)?;
        Ok(format!(
            "<link rel=\"stylesheet\" href=\"{}{name}\">",
            self.public_url
        ))
    }

    fn copy(&self, tag: &str) -> Result<()> {
        let href = href(tag)?;
        let name = Path::new(href)
            .file_name()
            .ok_or_else(|| Error::new(format!("{tag}: href names no file")))?;
        std::fs::copy(self.dir.join(href), self.out.join(name))?;
        Ok(())
    }
}

/// The `href` of a marker that needs one.
fn href(tag: &str) -> Result<&str> {
    attribute(tag, "href").ok_or_else(|| Error::new(format!("{tag} has no href")))
}

/// The double-quoted value of `name` in one tag.
fn attribute<'t>(tag: &'t str, name: &str) -> Option<&'t str> {
    let key = format!(" {name}=\"");
    let start = tag.find(&key)? + key.len();
    let len = tag[start..].find('"')?;
    Some(&tag[start..start + len])
}

/// Whether `dir` holds a built bundle (a `.wasm` file).
fn has_wasm(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries
            .flatten()
            .any(|e| e.path().extension().is_some_and(|x| x == "wasm"))
    })
}

/// The newest modification time under `path` (skipping build outputs), or `None` if absent.
fn newest_mtime(path: &Path) -> Option<SystemTime> {
    let meta = std::fs::metadata(path).ok()?;
    let own = meta.modified().ok();
    if !meta.is_dir() {
        return own;
    }
    let mut newest = own;
    for entry in std::fs::read_dir(path).ok()?.flatten() {
        let name = entry.file_name();
        if matches!(
            name.to_str(),
            Some("target" | "dist" | "node_modules" | ".git")
        ) {
            continue;
        }
        if let Some(t) = newest_mtime(&entry.path()) {
            newest = Some(newest.map_or(t, |n| n.max(t)));
        }
    }
    newest
}

/// The kinds of file worth compressing (the rest, pictures, are compressed already).
const COMPRESSIBLE: [&str; 6] = ["wasm", "js", "css", "html", "svg", "json"];

/// Writes `<file>.br` and `<file>.gz` for every compressible file under `dir` that does not
/// have them yet or changed since.
pub fn precompress(dir: &Path) -> Result<()> {
    let mut pending = vec![dir.to_path_buf()];
    while let Some(next) = pending.pop() {
        for entry in std::fs::read_dir(&next)?.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            let compressible = path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| COMPRESSIBLE.contains(&e));
            if !compressible {
                continue;
            }
            let source = std::fs::metadata(&path)?.modified()?;
            for (suffix, compress) in [("br", brotli as fn(&[u8]) -> Result<Vec<u8>>), ("gz", gzip)]
            {
                let mut name = path.clone().into_os_string();
                name.push(".");
                name.push(suffix);
                let out = PathBuf::from(name);
                let current = std::fs::metadata(&out)
                    .and_then(|m| m.modified())
                    .is_ok_and(|t| t >= source);
                if !current {
                    std::fs::write(&out, compress(&std::fs::read(&path)?)?)?;
                }
            }
        }
    }
    Ok(())
}

/// Brotli at its best setting (quality 11, window 22), as a browser receives it.
pub fn brotli(bytes: &[u8]) -> Result<Vec<u8>> {
    use std::io::Write;
    let mut out = Vec::new();
    {
        let mut writer = ::brotli::CompressorWriter::new(&mut out, 64 * 1024, 11, 22);
        writer.write_all(bytes)?;
    }
    Ok(out)
}

/// Gzip at level 9, for browsers without brotli.
pub fn gzip(bytes: &[u8]) -> Result<Vec<u8>> {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(bytes)?;
    Ok(gz.finish()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A folder under the system's temp dir, removed when dropped.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(name: &str) -> Self {
            let dir = std::env::temp_dir().join(format!("xtask-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(dir.join("style")).unwrap();
            std::fs::create_dir_all(dir.join("public")).unwrap();
            std::fs::create_dir_all(dir.join("out")).unwrap();
            Scratch(dir)
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn page(dir: &Path, out: &Path) -> String {
        let source = "<head>\n  <meta charset=\"utf-8\">\n  <link data-bundle=\"wasm\">\n  \
                      <link data-bundle=\"css\" href=\"style/frame.css\">\n  \
                      <link data-bundle=\"copy\" href=\"public/loader.js\">\n</head>\n";
        Page {
            dir,
            out,
            public_url: "/widget/",
            js: "w-0123456789abcdef.js",
            wasm: "w-fedcba9876543210_bg.wasm",
        }
        .render(source)
        .unwrap()
    }

    #[test]
    fn markers_become_links_and_files() {
        let scratch = Scratch::new("page");
        let dir = &scratch.0;
        std::fs::write(
            dir.join("style/frame.css"),
            "/* The frame. */\nbody {\n  margin: 0;\n}\n.a > .b { color: #fff; }\n",
        )
        .unwrap();
        std::fs::write(dir.join("public/loader.js"), "loader();").unwrap();
        let out = dir.join("out");
        let html = page(dir, &out);

        assert!(!html.contains("data-bundle"), "{html}");
        assert!(html.contains(
            "\n  <script type=\"module\">import init from '/widget/w-0123456789abcdef.js';\
             await init({ module_or_path: '/widget/w-fedcba9876543210_bg.wasm' });</script>"
        ));
        assert!(
            html.contains("<link rel=\"modulepreload\" href=\"/widget/w-0123456789abcdef.js\">")
        );
        // The stylesheet is served minified, named after what is served.
        let minified = "body{margin:0;}.a>.b{color:#fff;}";
        let css = hashed_name("frame", ".css", minified.as_bytes());
        assert!(html.contains(&format!("<link rel=\"stylesheet\" href=\"/widget/{css}\">")));
        assert_eq!(std::fs::read_to_string(out.join(&css)).unwrap(), minified);
        assert_eq!(std::fs::read(out.join("loader.js")).unwrap(), b"loader();");
        // The copy marker's line is gone, indentation and all; the rest is as written.
        let tail =
            format!("</script>\n  <link rel=\"stylesheet\" href=\"/widget/{css}\">\n</head>\n");
        assert!(html.ends_with(&tail), "{html}");
        assert!(
            html.starts_with("<head>\n  <meta charset=\"utf-8\">\n  <link rel=\"modulepreload\"")
        );
    }

    #[test]
    fn a_page_needs_one_wasm_marker_and_known_kinds() {
        let scratch = Scratch::new("bad-page");
        let dir = &scratch.0;
        let out = dir.join("out");
        let page = Page {
            dir,
            out: &out,
            public_url: "/",
            js: "a.js",
            wasm: "a.wasm",
        };
        assert!(page.render("<head></head>").is_err());
        assert!(page
            .render("<link data-bundle=\"wasm\"><link data-bundle=\"wasm\">")
            .is_err());
        assert!(page
            .render("<link data-bundle=\"wasm\"><link data-bundle=\"rust\">")
            .is_err());
        assert!(page.render("<link data-bundle=\"wasm\"").is_err());
    }

    #[test]
    fn hashed_names_follow_the_content() {
        let a = hashed_name("main", ".css", b"a");
        assert_eq!(a, hashed_name("main", ".css", b"a"));
        assert_ne!(a, hashed_name("main", ".css", b"b"));
        // The shape the server's caching rule recognises: `<stem>-<16 hex>` then `.` or `_`.
        let hex = a
            .strip_prefix("main-")
            .and_then(|r| r.strip_suffix(".css"))
            .unwrap();
        assert_eq!(hex.len(), 16);
        assert!(hex.chars().all(|c| c.is_ascii_hexdigit()));
    }
}
