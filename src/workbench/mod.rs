//! The parity workbench (docs/parity-workbench.md): what keeps a run's bits
//! PyTorch's on any machine, and the files that let the two be compared value by
//! value and continued on the other side. `scripts/reference.py` pins the same
//! kernels and writes and reads the same formats.
//!
//! - [`kernels`]: libtorch's CPU kernels, pinned (`--cpu-kernels`);
//! - [`record`]: `--json`, the whole run bit-exact;
//! - [`trace`]: `--trace`, every step's values;
//! - [`tracer`]: a trace of any tch program, in the model-independent format
//!   `parity-trace/1` (`scripts/parity_trace.py` is its PyTorch twin);
//! - [`weights`]: `--save-weights` and `--init-weights`, safetensors.

pub mod kernels;
pub mod record;
pub mod trace;
pub mod tracer;
pub mod weights;
