//! Everything around the tutorial that a command-line tool needs, kept out of the
//! steps' way: flags ([`cli`]), CPU or CUDA ([`device`]), libtorch's CPU kernels ([`kernels`]), the stdout log
//! ([`epoch_log`]), output files ([`files`], [`outputs`]) and the JSON record ([`report`]),
//! exit codes and panics ([`process`]), Python's float format ([`pyfmt`]), the
//! progress line ([`progress`]), stop signals ([`signals`]), the step-by-step trace
//! ([`trace`]), weight files ([`weights`]), and what runs beside training ([`watch`]).

pub mod cli;
pub mod device;
pub mod epoch_log;
pub mod files;
pub mod kernels;
pub mod outputs;
pub mod process;
pub mod progress;
pub mod pyfmt;
pub mod report;
pub mod signals;
pub mod trace;
pub mod watch;
pub mod weights;
