//! The parity workbench (docs/parity-workbench.md): what keeps a run's bits
//! PyTorch's on any machine ([`kernels`]), and the files that compare the two and
//! carry a run across ([`record`], [`trace`], the `parity-trace` crate for any model,
//! [`weights`]), as `scripts/reference.py` writes and reads them too.

pub mod kernels;
pub mod record;
pub mod trace;
pub mod weights;
