//! sine-rnn: the PyTorch "predict a sine wave with an Elman RNN" tutorial, ported
//! to tch. The whole tutorial in one file is `examples/tutorial.rs`; this library is
//! the same program in layers, each using only those below it:
//!
//! - [`cli`]: the flags, checked and turned once into plain [`tool::options::Options`];
//! - [`tool`]: one run of the command-line tool, and what it needs (device, CPU
//!   kernels, log and progress, signals, output files, exit codes);
//! - [`workbench`]: the parity files: the record, the trace, safetensors weights;
//! - [`backends`]: the ways to train the network, and what a run leaves;
//! - [`steps`]: the tutorial itself, in its order;
//! - [`pyfmt`]: Python's float repr.
//!
//! Linux x86_64 only (build.rs says so).
pub mod backends;
pub mod cli;
pub mod pyfmt;
pub mod steps;
pub mod tool;
pub mod workbench;

/// The libtorch version build.rs found (`2.13.0+cu130` for the PyPI wheel).
pub const LIBTORCH_VERSION: &str = env!("SINE_RNN_LIBTORCH_VERSION");
