//! What a command-line tool needs around the tutorial, kept out of the steps'
//! way: flags ([`cli`]), CPU or CUDA ([`device`]), the log and progress line
//! beside training ([`watch`]), stop signals ([`signals`]), output files
//! ([`files`], [`outputs`]), exit codes and panics ([`process`]), and Python's
//! float format ([`pyfmt`]).

pub mod cli;
pub mod device;
pub mod files;
pub mod outputs;
pub mod process;
pub mod pyfmt;
pub mod signals;
pub mod watch;
