//! `--trace`: every traced training step, at `["train", epoch, step]`, with the
//! nine tensors of a [`TrainStep`], written with the `parity-trace` crate into
//! a staged output as training goes, to compare step by step with PyTorch's
//! (`scripts/reference.py --trace`, `scripts/parity.sh --trace` or `--compare`).

use std::io::BufWriter;
use std::ops::Range;
use std::path::Path;

use anyhow::{Context, Result};
use serde_json::json;
use tch::Device;

use crate::steps::data::Config;
use crate::steps::watch::TrainStep;
use crate::support::cli::Args;
use crate::support::device;
use crate::support::files::{self, Staged};
use crate::workbench::record::config_json;
use parity_trace::Tracer;

/// Writes the tutorial's trace as training goes.
pub struct TraceWriter {
    tracer: Tracer<BufWriter<Staged>>,
    path: String,
    epochs: Range<usize>,
    error: Option<std::io::Error>,
}

impl TraceWriter {
    /// The trace of this run at `path`: its header describes the run, and the
    /// epochs traced as `[A, B]` (B excluded, `null` for "to the end").
    pub fn for_run(path: &Path, args: &Args, cfg: &Config, device: Device) -> Result<TraceWriter> {
        let epochs = args.trace_epochs.clone().unwrap_or(0..usize::MAX);
        let meta = json!({
            "backend": args.backend.name(),
            "config": config_json(cfg),
            "device": device::name(device),
            "init": args.init_weights.as_ref().map_or("seed".into(), |p| p.display().to_string()),
            "epochs": [epochs.start, (epochs.end != usize::MAX).then_some(epochs.end)],
        });
        let out = BufWriter::with_capacity(1 << 16, files::create(path)?);
        let shown = path.display().to_string();
        let tracer =
            Tracer::new(out, "sine-rnn", meta).with_context(|| format!("cannot write the trace {shown}"))?;
        Ok(TraceWriter { tracer, path: shown, epochs, error: None })
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

    /// Ends the trace: everything written, ready to be moved into place.
    pub fn finish(self) -> Result<Staged> {
        let staged = match self.error {
            Some(e) => Err(e),
            None => self.tracer.finish().and_then(|out| out.into_inner().map_err(|e| e.into_error())),
        };
        staged.with_context(|| format!("cannot write the trace {}", self.path))
    }
}
