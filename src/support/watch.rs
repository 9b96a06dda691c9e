//! What the binary does while training runs, after every epoch (and, with
//! `--trace`, every step): the tutorial's stdout log, the progress line, the trace,
//! and a stop when a signal asked for one. Kept trivial: it runs every epoch.

use std::io::Write;
use std::ops::ControlFlow;

use crate::steps::train::{StepValues, Watch};
use crate::support::epoch_log::EpochLog;
use crate::support::progress::Progress;
use crate::support::signals;
use crate::support::trace::TraceWriter;

/// The binary's [`Watch`].
pub struct RunWatch<W: Write> {
    pub log: EpochLog<W>,
    pub progress: Progress,
    pub trace: Option<TraceWriter>,
}

impl<W: Write> RunWatch<W> {
    /// Ends what ran beside training: the progress line cleared, the log flushed
    /// (its first write error, if any); the trace, still to be finished, returned.
    pub fn finish(self) -> anyhow::Result<Option<TraceWriter>> {
        self.progress.finish();
        self.log.finish()?;
        Ok(self.trace)
    }
}

impl<W: Write> Watch for &mut RunWatch<W> {
    fn epoch(&mut self, epoch: usize, total: f32) -> ControlFlow<()> {
        self.log.record(epoch, total);
        self.progress.epoch(epoch, total);
        if signals::received().is_some() {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
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
