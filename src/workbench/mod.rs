//! The parity workbench's files (docs/parity-workbench.md): what a run writes so
//! that it can be compared with PyTorch's, value by value, and continued on the
//! other side. `scripts/reference.py` writes and reads the same formats.
//!
//! - [`record`]: `--json`, the whole run bit-exact;
//! - [`trace`]: `--trace`, every step's values;
//! - [`weights`]: `--save-weights` and `--init-weights`, safetensors.

pub mod record;
pub mod trace;
pub mod weights;
