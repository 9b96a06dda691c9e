//! What a command-line tool needs around the tutorial, kept out of the steps'
//! way: flags ([`cli`]), CPU or CUDA ([`device`]), libtorch's CPU kernels
//! ([`kernels`]), the stdout log ([`epoch_log`]), the progress line
//! ([`progress`]), what runs beside training ([`watch`]), stop signals
//! ([`signals`]), output files ([`files`], [`outputs`]), exit codes and panics
//! ([`process`]), and Python's float format ([`pyfmt`]).

pub mod cli;
pub mod device;
pub mod epoch_log;
pub mod files;
pub mod kernels;
pub mod outputs;
pub mod process;
pub mod progress;
pub mod pyfmt;
pub mod signals;
pub mod watch;
