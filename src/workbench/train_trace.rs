//! `--trace`: every traced training step, at `["train", epoch, step]`, with the
//! nine tensors of a [`TrainStep`], written with the `parity-trace` crate as
//! training goes, to compare step by step with PyTorch's
//! (`scripts/reference.py --trace`, `scripts/parity.sh --trace` or `--compare`).

use std::io::Write;
use std::ops::Range;

use serde_json::json;

use crate::steps::watch::TrainStep;
use crate::workbench::record::{config_json, RunInfo};
use parity_trace::Tracer;

/// Writes the tutorial's trace into `W` as training goes.
pub struct TrainTrace<W: Write> {
    tracer: Tracer<W>,
    epochs: Range<usize>,
    error: Option<std::io::Error>,
}

impl<W: Write> TrainTrace<W> {
    /// A trace of `epochs` (an end of `usize::MAX`: to the last) of the run `info`
    /// describes, started from `init` (`seed` or the `--init-weights` file); its
    /// header stores the epochs as `[A, B]` (B excluded, `null` for "to the end").
    pub fn start(out: W, info: RunInfo, init: &str, epochs: Range<usize>) -> std::io::Result<Self> {
        let meta = json!({
            "backend": info.backend,
            "config": config_json(info.config),
            "device": info.device,
            "init": init,
            "epochs": [epochs.start, (epochs.end != usize::MAX).then_some(epochs.end)],
        });
        let tracer = Tracer::new(out, "sine-rnn", meta)?;
        Ok(TrainTrace { tracer, epochs, error: None })
    }

    /// Whether epoch `epoch` is traced.
    pub fn traces(&self, epoch: usize) -> bool {
        self.epochs.contains(&epoch) && self.error.is_none()
    }

    /// One training step's record; the first error is kept for [`finish`](Self::finish).
    pub fn record(&mut self, epoch: usize, step: usize, tensors: &TrainStep) {
        if self.error.is_none() {
            self.error = self.tracer.record(("train", epoch, step), &tensors.named()).err();
        }
    }

    /// Ends the trace and hands back what it was written into.
    pub fn finish(self) -> std::io::Result<W> {
        match self.error {
            Some(e) => Err(e),
            None => self.tracer.finish(),
        }
    }
}
