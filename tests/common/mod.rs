//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Mutex, MutexGuard};

pub mod golden;

/// The binary under test, built by cargo for this test run.
pub const BIN: &str = env!("CARGO_BIN_EXE_sine-rnn");

pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the binary with `args` from `dir`.
pub fn sine_rnn(args: &[&str], dir: &Path) -> Output {
    Command::new(BIN).args(args).current_dir(dir).output().expect("the test binary runs")
}

/// An example as `cargo test` builds it, beside this test's own binary
/// (`target/<profile>/deps/<test>-…` → `target/<profile>/examples/<name>`).
pub fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    let profile_dir = exe.parent().and_then(|deps| deps.parent()).expect("target/<profile>");
    let path = profile_dir.join("examples").join(name);
    assert!(
        path.exists(),
        "{} is missing: `cargo test` builds the examples; with a test filter, run \
         `cargo build --release --example {name}` first",
        path.display()
    );
    path
}

/// Runs `scripts/python` (the environment scripts/fetch_libtorch.sh made).
pub fn python(args: &[&str]) -> Output {
    Command::new(root().join("scripts/python"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("scripts/python runs")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// libtorch's generator is global to the process: tests that seed it and draw
/// from it take this lock so parallel tests do not interleave their draws.
pub fn seed_lock() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// A fresh scratch directory.
pub fn scratch() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary directory")
}

pub fn path_str(p: &Path) -> String {
    p.to_str().expect("utf-8 path").to_string()
}

pub fn read_json(p: &PathBuf) -> serde_json::Value {
    let text = std::fs::read_to_string(p).unwrap_or_else(|e| panic!("reading {}: {e}", p.display()));
    serde_json::from_str(&text).expect("valid JSON")
}

/// The `.sine-rnn-*` temporary files left in `dir` (there should be none).
pub fn temporary_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("the directory reads")
        .map(|e| e.expect("an entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".sine-rnn-"))
        .collect()
}

/// Whether this machine has a GPU the binary can use, as the binary itself decides.
#[allow(dead_code)]
pub fn gpu() -> bool {
    sine_rnn::tool::device::cuda_available()
}
