//! What one run of the tool is asked to do: the command line converted once, by
//! [`crate::cli`], into plain values that every part of the run reads.

use std::ops::Range;
use std::path::{Path, PathBuf};

use crate::backends::Backend;
use crate::steps::data::Config;
use crate::steps::model::WeightValues;
use crate::tool::device::DeviceChoice;
use crate::tool::kernels::CpuKernels;

#[derive(Debug, Clone)]
pub struct Options {
    /// The tutorial's hyper-parameters.
    pub config: Config,
    pub backend: Backend,
    /// Where to run (the CPU for the native backend, whatever `--device` said).
    pub device: DeviceChoice,
    pub cpu_kernels: CpuKernels,
    /// `--init-weights`: the file, and its values, read and checked.
    pub init: Option<(PathBuf, WeightValues)>,
    /// Steps to continue the wave past the data (0: none).
    pub generate: usize,
    /// The tutorial's log line every `log_every`-th epoch.
    pub log_every: usize,
    /// The scatter plot (`None`: `--no-plot`).
    pub plot: Option<PathBuf>,
    pub loss_plot: Option<PathBuf>,
    pub json: Option<PathBuf>,
    pub save_weights: Option<PathBuf>,
    pub trace: Option<PathBuf>,
    /// The epochs `--trace` records; an end of `usize::MAX` means "to the last".
    pub trace_epochs: Range<usize>,
}

impl Options {
    /// Every file the run will write, with the flag that named it.
    pub fn outputs(&self) -> Vec<(&'static str, &Path)> {
        let all = [
            ("--plot", &self.plot),
            ("--loss-plot", &self.loss_plot),
            ("--json", &self.json),
            ("--save-weights", &self.save_weights),
            ("--trace", &self.trace),
        ];
        all.into_iter().filter_map(|(flag, path)| Some((flag, path.as_deref()?))).collect()
    }
}
