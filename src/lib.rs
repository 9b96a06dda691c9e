//! sine-rnn: the PyTorch "predict a sine wave with an Elman RNN" tutorial, ported
//! to tch. The whole tutorial in one file is `examples/tutorial.rs`; this library is
//! the same program in four parts: the tutorial's [`steps`], the other
//! [`backends`] that train the same network, the parity [`workbench`], and the
//! [`support`] a command-line tool needs. Linux x86_64 only (build.rs says so).
pub mod backends;
pub mod steps;
pub mod support;
pub mod workbench;

/// The libtorch version build.rs found (`2.13.0+cu130` for the PyPI wheel).
pub const LIBTORCH_VERSION: &str = env!("SINE_RNN_LIBTORCH_VERSION");
