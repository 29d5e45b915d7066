//! `threadline-bindgen <input.wasm> <out-dir> <name>`: runs wasm-bindgen for the `web` target
//! (an ES module `<name>.js` and `<name>_bg.wasm`, no TypeScript) over a bundle that cargo built
//! for `wasm32-unknown-unknown`. xtask's bundler calls it, then wasm-opt, then hashes the names.

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, out_dir, name] = args.as_slice() else {
        eprintln!("usage: threadline-bindgen <input.wasm> <out-dir> <name>");
        return ExitCode::from(2);
    };
    match generate(Path::new(input), Path::new(out_dir), name) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("threadline-bindgen: {input}: {e}");
            ExitCode::FAILURE
        }
    }
}

fn generate(
    input: &Path,
    out_dir: &Path,
    name: &str,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let mut bindgen = wasm_bindgen_cli_support::Bindgen::new();
    bindgen
        .input_path(input)
        .out_name(name)
        .web(true)?
        .typescript(false)
        .generate(out_dir)?;
    Ok(())
}
