//! Puts a memory map where the runtime's link.x looks for it, as `memory.x`
//! in OUT_DIR: the crate's `qemu.x` (QEMU's board), or `boards/NAME.x` when
//! the feature NAME is on (`cargo build --features nucleo-f411`: a real board).
//! No crate names a map `memory.x` itself: the linker looks in the current
//! directory (the crate's) first, so that one would always win.
//! (Shared by the RISC-V and Cortex-M0 demos through `build = "../cortex-m/build.rs"`;
//! they have no `boards/`.)
use std::{env, fs, path::PathBuf};

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    // A board is on when cargo sets CARGO_FEATURE_<its name, upper case, '-' as '_'>.
    let mut boards = Vec::new();
    if let Ok(entries) = fs::read_dir(dir.join("boards")) {
        for path in entries.map(|e| e.expect("read boards/").path()) {
            let name = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default();
            let feature = format!("CARGO_FEATURE_{}", name.to_uppercase().replace('-', "_"));
            if path.extension().is_some_and(|x| x == "x") && env::var_os(feature).is_some() {
                boards.push(path);
            }
        }
    }
    let memory = match boards.as_slice() {
        [] => dir.join("qemu.x"),
        [board] => board.clone(),
        _ => panic!("more than one board feature is on: {boards:?}"),
    };
    fs::copy(&memory, out.join("memory.x"))
        .unwrap_or_else(|e| panic!("copy {}: {e}", memory.display()));
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed={}", memory.display());
}
