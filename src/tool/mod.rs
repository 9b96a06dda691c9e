//! The command-line tool around the tutorial's steps: one [`run`] from its
//! [`options`], and what it needs, each in its own module: the [`device`], the
//! pinned CPU [`kernels`], the log and [`progress`] line, stop [`signals`], the
//! [`outputs`] and their [`files`], and how the [`process`] reports and ends.

pub mod device;
pub mod files;
pub mod kernels;
pub mod options;
pub mod outputs;
pub mod process;
pub mod progress;
pub mod run;
pub mod signals;
