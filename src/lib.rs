//! sine-rnn: the PyTorch "predict a sine wave with an Elman RNN" tutorial, ported
//! to tch. The whole tutorial in one file is `examples/tutorial.rs`; this library is
//! the same program laid out in three parts:
//!
//! - [`steps`]: the tutorial's steps, one module each: [`steps::data`] (2),
//!   [`steps::model`] (3, 4), [`steps::train`] (5), [`steps::plot`] (6);
//! - [`backends`]: the other ways to train the same network (`--backend`), and the
//!   dispatch that runs whichever was chosen;
//! - [`support`]: what a command-line tool needs around them: flags, device,
//!   files, the epoch log, Python's float format.

// Linux x86_64 with glibc only (the README's Supported platforms); build.rs says
// so first, and this says it again for a build that skips build.rs's check.
#[cfg(not(all(target_os = "linux", target_arch = "x86_64", target_env = "gnu")))]
compile_error!("sine-rnn supports Linux x86_64 with glibc only; see the README's Supported platforms");

// The code itself is Linux code (dlopen, /proc, Unix file types and signals): kept
// out of other builds, so the line above is the error they show.
#[cfg(all(target_os = "linux", target_arch = "x86_64", target_env = "gnu"))]
pub mod backends;
#[cfg(all(target_os = "linux", target_arch = "x86_64", target_env = "gnu"))]
pub mod steps;
#[cfg(all(target_os = "linux", target_arch = "x86_64", target_env = "gnu"))]
pub mod support;

/// The libtorch version build.rs found (`2.13.0+cu130` for the PyPI wheel).
pub const LIBTORCH_VERSION: &str = env!("SINE_RNN_LIBTORCH_VERSION");
