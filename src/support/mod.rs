//! What a command-line tool needs around the tutorial, out of the steps' way:
//! flags, device, log and progress, signals, files, exit codes, Python's floats.

pub mod cli;
pub mod device;
pub mod files;
pub mod outputs;
pub mod process;
pub mod pyfmt;
pub mod signals;
pub mod watch;
