//! Everything around the tutorial that a command-line tool needs, kept out of the
//! steps' way: flags ([`cli`]), CPU or CUDA ([`device`]), the stdout log
//! ([`epoch_log`]), output files ([`files`]) and the JSON record ([`report`]),
//! exit codes and panics ([`process`]), Python's float format ([`pyfmt`]), the
//! progress line ([`progress`]) and stop signals ([`signals`]).

pub mod cli;
pub mod device;
pub mod epoch_log;
pub mod files;
pub mod process;
pub mod progress;
pub mod pyfmt;
pub mod report;
pub mod signals;
