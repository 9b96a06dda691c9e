//! Build-time set-up: finds libtorch, checks its version, and bakes its `lib`
//! directory into the binaries' run path so they start with no `LD_LIBRARY_PATH`.
//!
//! torch-sys (tch's -sys crate) compiles its C++ wrapper against `$LIBTORCH`.
//! This script usually runs first, so a missing or wrong libtorch is reported
//! here in one sentence instead of as a wall of C++ compiler errors.

use std::env;
use std::path::{Path, PathBuf};

/// The libtorch release that tch 0.26 is written against.
const EXPECTED: &str = "2.13.0";
const FIX: &str = "run scripts/fetch_libtorch.sh (or set LIBTORCH to a libtorch 2.13.0 directory)";

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    for var in ["LIBTORCH", "LIBTORCH_BYPASS_VERSION_CHECK", "LIBTORCH_USE_PYTORCH"] {
        println!("cargo:rerun-if-env-changed={var}");
    }
    if let Err(message) = setup() {
        // A panic would print a backtrace hint; one clear line is what helps.
        eprintln!("error: {message}");
        println!("cargo:warning={message}");
        std::process::exit(1);
    }
}

fn setup() -> Result<(), String> {
    if env::var_os("LIBTORCH_USE_PYTORCH").is_some() {
        // torch-sys asks the active Python for libtorch; nothing to check here.
        println!("cargo:rustc-env=SINE_RNN_LIBTORCH_LIB=");
        println!("cargo:rustc-env=SINE_RNN_LIBTORCH_VERSION=unknown");
        return Ok(());
    }
    let root = match env::var_os("LIBTORCH") {
        Some(dir) => PathBuf::from(dir),
        None => return Err(format!("libtorch not found: LIBTORCH is not set; {FIX}")),
    };
    if !root.exists() {
        return Err(format!("libtorch not found at {} (LIBTORCH); {FIX}", root.display()));
    }
    let root =
        root.canonicalize().map_err(|e| format!("cannot resolve LIBTORCH={}: {e}; {FIX}", root.display()))?;
    let lib = root.join("lib");
    if !lib.join("libtorch_cpu.so").exists() {
        return Err(format!(
            "{} has no lib/libtorch_cpu.so, so it is not a libtorch directory; {FIX}",
            root.display()
        ));
    }
    if !root.join("include/torch/csrc/api/include/torch/torch.h").exists() {
        return Err(format!(
            "libtorch headers missing: {} has no include/torch/csrc/api/include/torch/torch.h; {FIX}",
            root.display()
        ));
    }
    let version = read_version(&root);
    if env::var_os("LIBTORCH_BYPASS_VERSION_CHECK").is_none() {
        match version.as_deref() {
            Some(v) if v.split('+').next() == Some(EXPECTED) => {}
            Some(v) => {
                return Err(format!(
                    "tch 0.26 needs libtorch {EXPECTED}, but {} is libtorch {v}; {FIX}, \
                     or set LIBTORCH_BYPASS_VERSION_CHECK=1 to try it anyway",
                    root.display()
                ))
            }
            None => {
                return Err(format!(
                    "cannot tell the libtorch version of {} (no version.py or build-version); {FIX}, \
                     or set LIBTORCH_BYPASS_VERSION_CHECK=1",
                    root.display()
                ))
            }
        }
    }
    println!("cargo:rerun-if-changed={}", lib.join("libtorch_cpu.so").display());
    // The run path makes `target/release/sine-rnn` (and the test binaries) find
    // libtorch by themselves. LD_LIBRARY_PATH, when set, is still searched first.
    println!("cargo:rustc-link-arg=-Wl,-rpath,{}", lib.display());
    // libtorch_cuda is deliberately not a link dependency (the linker's default
    // --as-needed drops it): src/device.rs loads it at run time, and only where an
    // NVIDIA driver is present, so CPU-only machines never map the CUDA stack.
    println!("cargo:rustc-env=SINE_RNN_LIBTORCH_LIB={}", lib.display());
    println!("cargo:rustc-env=SINE_RNN_LIBTORCH_VERSION={}", version.unwrap_or_else(|| "unknown".into()));
    Ok(())
}

/// The version string of a libtorch directory: `version.py` in a PyPI wheel,
/// `build-version` in an official libtorch archive.
fn read_version(root: &Path) -> Option<String> {
    if let Ok(text) = std::fs::read_to_string(root.join("version.py")) {
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("__version__") {
                let v = rest.trim_start_matches([' ', '=']).trim().trim_matches(['\'', '"']);
                return Some(v.to_string());
            }
        }
    }
    std::fs::read_to_string(root.join("build-version")).ok().map(|s| s.trim().to_string())
}
