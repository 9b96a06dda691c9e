//! What a Rust port of a PyTorch program needs to prove it computes the same bits:
//! a [`Tracer`] that writes named tensors at named positions in the
//! model-independent format `parity-trace/1` (the Python twin,
//! `scripts/parity_trace.py` in the sine-rnn repository, writes the same bytes for
//! the same tensors, and `scripts/parity.sh --compare` names the first float that
//! differs), and [`py_float`], Python's `repr` of a float, so that a log can be
//! compared with PyTorch's byte for byte.
//!
//! It depends on tch, serde and serde_json only. From another crate:
//!
//! ```toml
//! [dependencies]
//! parity-trace = { git = "https://github.com/…/sine-rnn" }   # or { path = "…/crates/parity-trace" }
//! ```

mod pyrepr;
mod tracer;

pub use pyrepr::py_float;
pub use tracer::Tracer;
