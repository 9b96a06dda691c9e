//! The parity workbench (docs/parity-workbench.md): the files that compare a run
//! with PyTorch's and carry weights across ([`record`] for `--json`, [`train_trace`]
//! for `--trace` with the `parity-trace` crate, [`weights`] for safetensors), as
//! `scripts/reference.py` writes and reads them too. Formats only: where the bytes
//! go is the tool's business.

pub mod record;
pub mod train_trace;
pub mod weights;
