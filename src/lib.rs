//! sine-rnn: the PyTorch "predict a sine wave with an Elman RNN" tutorial,
//! ported to tch. The modules follow the tutorial's steps:
//!
//! | Step | What                                  | Module            |
//! |------|---------------------------------------|-------------------|
//! | 1    | imports                               | `Cargo.toml`      |
//! | 2    | hyper-parameters and data             | [`data`]          |
//! | 3, 4 | weights and the forward pass          | [`model`]         |
//! | 5    | training and prediction               | [`train`]         |
//! | 6    | the plot                              | [`plot`]          |
//!
//! Other ways to train the same network (`--backend`): [`manual`] (the backward
//! pass by hand on libtorch ops), [`idiomatic`] (tch's nn module), [`native`] with
//! [`grad`] (plain Rust, the chain-rule formulas).
//!
//! Scaffolding lives apart: [`cli`] (flags), [`device`] (CPU or CUDA),
//! [`report`] (JSON, atomic writes), [`pyfmt`] (Python's float format).

pub mod cli;
pub mod data;
pub mod device;
pub mod grad;
pub mod idiomatic;
pub mod manual;
pub mod model;
pub mod native;
pub mod plot;
pub mod pyfmt;
pub mod report;
pub mod train;

/// The libtorch version build.rs found (`2.13.0+cu130` for the PyPI wheel).
pub const LIBTORCH_VERSION: &str = env!("SINE_RNN_LIBTORCH_VERSION");
