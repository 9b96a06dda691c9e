//! What the binary does while training runs: the tutorial's stdout log and, with
//! `--trace`, the step-by-step record.

use std::io::Write;
use std::ops::ControlFlow;

use crate::steps::train::{StepValues, Watch};
use crate::support::epoch_log::EpochLog;
use crate::support::trace::TraceWriter;

/// The binary's [`Watch`]: every epoch to the log, traced steps to the trace.
pub struct RunWatch<W: Write> {
    pub log: EpochLog<W>,
    pub trace: Option<TraceWriter>,
}

impl<W: Write> Watch for &mut RunWatch<W> {
    fn epoch(&mut self, epoch: usize, total: f32) -> ControlFlow<()> {
        self.log.record(epoch, total);
        ControlFlow::Continue(())
    }

    fn traces(&self, epoch: usize) -> bool {
        self.trace.as_ref().is_some_and(|t| t.traces(epoch))
    }

    fn step(&mut self, epoch: usize, step: usize, values: &StepValues) {
        if let Some(trace) = &mut self.trace {
            trace.step(epoch, step, values);
        }
    }
}
