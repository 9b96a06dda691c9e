//! Build-time set-up: finds libtorch, checks its version, and bakes its `lib`
//! directory into the binaries' run path so they start with no `LD_LIBRARY_PATH`.
//!
//! torch-sys (tch's -sys crate) compiles its C++ wrapper against `$LIBTORCH`.
//! This script does not wait for it and usually fails first, so a missing or
//! wrong libtorch is reported here in one sentence rather than as a wall of C++
//! compiler errors.

use std::env;
use std::path::PathBuf;

#[path = "build/libtorch.rs"]
mod libtorch;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=build/libtorch.rs");
    println!("cargo:rerun-if-changed=build/torch-version");
    for var in ["LIBTORCH", "LIBTORCH_BYPASS_VERSION_CHECK", "LIBTORCH_USE_PYTORCH"] {
        println!("cargo:rerun-if-env-changed={var}");
    }
    // Another system: say so before torch-sys's compiler errors do.
    let target = |key: &str| env::var(key).unwrap_or_default();
    if let Err(message) = libtorch::check_platform(
        &target("CARGO_CFG_TARGET_OS"),
        &target("CARGO_CFG_TARGET_ARCH"),
        &target("CARGO_CFG_TARGET_ENV"),
    ) {
        fail(&message);
    }
    if env::var_os("LIBTORCH_USE_PYTORCH").is_some() {
        // torch-sys asks the active Python for libtorch; nothing to check here.
        println!("cargo:rustc-env=SINE_RNN_LIBTORCH_VERSION=unknown");
        return;
    }
    let root = env::var_os("LIBTORCH").map(PathBuf::from);
    let bypass = env::var_os("LIBTORCH_BYPASS_VERSION_CHECK").is_some();
    let found = match libtorch::check(root.as_deref(), bypass) {
        Ok(found) => found,
        Err(message) => fail(&message),
    };
    let lib = found.lib.display();
    println!("cargo:rerun-if-changed={lib}/libtorch_cpu.so");
    // The run path makes `target/release/sine-rnn` (and the test binaries) find
    // libtorch by themselves. LD_LIBRARY_PATH, when set, is still searched first.
    println!("cargo:rustc-link-arg=-Wl,-rpath,{lib}");
    // libtorch_cuda is deliberately not a link dependency (the linker's default
    // --as-needed drops it): src/tool/device.rs loads it at run time, and only where an
    // NVIDIA driver is present, so CPU-only machines never map the CUDA stack.
    println!("cargo:rustc-env=SINE_RNN_LIBTORCH_VERSION={}", found.version.as_deref().unwrap_or("unknown"));
}

/// One clear line (and a cargo warning, which cargo shows first), exit 1; a panic
/// would only add a backtrace hint.
fn fail(message: &str) -> ! {
    println!("cargo:warning={message}");
    eprintln!("error: {message}");
    std::process::exit(1);
}
