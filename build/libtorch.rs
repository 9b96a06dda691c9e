//! The libtorch checks of build.rs, in a file of their own so that the tests
//! (tests/build_check.rs) run the very same code on fake libtorch directories.

use std::path::{Path, PathBuf};

/// The libtorch release that tch 0.26 is written against, from build/torch-version,
/// the one file that names it (scripts/fetch_libtorch.sh, scripts/python and the
/// tests read it too).
pub const EXPECTED: &str = include_str!("torch-version").trim_ascii();

/// The one platform sine-rnn is built and tested on (the README's "Supported
/// platforms"): the libtorch it fetches is the Linux x86_64 glibc wheel, and the
/// binary loads CUDA with `dlopen` and reads `/proc`.
pub const SUPPORTED: &str = "Linux x86_64 with glibc";

/// Refuses any other target before torch-sys's C++ build can fail in its own
/// words. Takes cargo's `CARGO_CFG_TARGET_{OS,ARCH,ENV}`.
pub fn check_platform(os: &str, arch: &str, env: &str) -> Result<(), String> {
    if (os, arch, env) == ("linux", "x86_64", "gnu") {
        return Ok(());
    }
    let env = if env.is_empty() { String::new() } else { format!(" ({env})") };
    Err(format!(
        "sine-rnn supports {SUPPORTED} only; this build is for {os} {arch}{env}. \
         See the README's Supported platforms"
    ))
}

/// What build.rs needs to know about a usable libtorch.
#[derive(Debug)]
pub struct Libtorch {
    /// The `lib` directory, absolute and with symlinks resolved (it goes into the run path).
    pub lib: PathBuf,
    /// `2.13.0+cu130` for the PyPI wheel; `None` when it could not be read.
    pub version: Option<String>,
}

/// Checks that `root` (the value of `LIBTORCH`) is a libtorch directory of the
/// expected release. Each failure is one sentence that names the fix.
pub fn check(root: Option<&Path>, bypass_version_check: bool) -> Result<Libtorch, String> {
    let fix = format!("run scripts/fetch_libtorch.sh (or set LIBTORCH to a libtorch {EXPECTED} directory)");
    let root = root.ok_or_else(|| format!("libtorch not found: LIBTORCH is not set; {fix}"))?;
    if root.as_os_str().is_empty() {
        return Err(format!("LIBTORCH is set but empty; unset it or {fix}"));
    }
    if !root.exists() {
        return Err(format!("libtorch not found at {} (LIBTORCH); {fix}", root.display()));
    }
    let root =
        root.canonicalize().map_err(|e| format!("cannot resolve LIBTORCH={}: {e}; {fix}", root.display()))?;
    let lib = root.join("lib");
    if !lib.join("libtorch_cpu.so").exists() {
        return Err(format!(
            "{} has no lib/libtorch_cpu.so, so it is not a libtorch directory; {fix}",
            root.display()
        ));
    }
    if !root.join("include/torch/csrc/api/include/torch/torch.h").exists() {
        return Err(format!(
            "libtorch headers missing: {} has no include/torch/csrc/api/include/torch/torch.h; {fix}",
            root.display()
        ));
    }
    let version = read_version(&root);
    if !bypass_version_check {
        match version.as_deref() {
            Some(v) if v.split('+').next() == Some(EXPECTED) => {}
            Some(v) => {
                return Err(format!(
                    "tch 0.26 needs libtorch {EXPECTED}, but {} is libtorch {v}; {fix}, \
                     or set LIBTORCH_BYPASS_VERSION_CHECK=1 to try it anyway",
                    root.display()
                ))
            }
            None => {
                return Err(format!(
                    "cannot tell the libtorch version of {} (no version.py or build-version); {fix}, \
                     or set LIBTORCH_BYPASS_VERSION_CHECK=1",
                    root.display()
                ))
            }
        }
    }
    Ok(Libtorch { lib, version })
}

/// The version string of a libtorch directory: `version.py` in a PyPI wheel,
/// `build-version` in an official libtorch archive.
pub fn read_version(root: &Path) -> Option<String> {
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
