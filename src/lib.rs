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

// Linux x86_64 with glibc only: build.rs refuses other targets in one line.
pub mod backends;
pub mod steps;
pub mod support;
pub mod workbench;

/// The libtorch version build.rs found (`2.13.0+cu130` for the PyPI wheel).
pub const LIBTORCH_VERSION: &str = env!("SINE_RNN_LIBTORCH_VERSION");
