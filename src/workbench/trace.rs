//! `--trace`: every training step's values as float32 bit patterns, so a run can be
//! compared with PyTorch's step by step and the first difference found
//! (`scripts/parity.sh --trace`). `scripts/reference.py --trace` writes the same
//! format; docs/parity-workbench.md describes it.
//!
//! JSON Lines, one object per line, written as training goes into the staged
//! file (a long run does not hold its trace in memory, but for `-`, a FIFO or a
//! device, which are written into at the end): a header, then one line per traced training step,
//! then one per step of the prediction pass. Every tensor is a list of 8-digit hex
//! bit patterns in row-major order:
//!
//! ```text
//! {"backend":"tch","config":{…},"device":"cpu","epochs":[0,null],"format":"sine-rnn-trace/1",…}
//! {"phase":"train","epoch":0,"step":0,"input":["3f68c7b7"],"context_in":[…],…,"w2":[…]}
//! {"phase":"predict","epoch":300,"step":0,"input":[…],"context_in":[…],"context":[…],"pred":[…]}
//! ```

use std::fmt::Write as _;
use std::io::{BufWriter, Write};
use std::ops::Range;
use std::path::Path;

use anyhow::{Context, Result};
use serde_json::{json, Value};

use crate::steps::watch::StepValues;
use crate::support::files::{self, Staged};

/// Writes a trace as training goes, into a staged file that is moved into place
/// with the run's other outputs.
pub struct TraceWriter {
    out: BufWriter<Staged>,
    epochs: Range<usize>,
    error: Option<std::io::Error>,
}

impl TraceWriter {
    /// Starts a trace at `path` with its header line, for the epochs in `epochs`
    /// (`usize::MAX` as the end: to the last).
    pub fn create(path: &Path, header: Value, epochs: Range<usize>) -> Result<TraceWriter> {
        let out = BufWriter::with_capacity(1 << 16, files::create(path)?);
        let mut line = header;
        line["format"] = json!("sine-rnn-trace/1");
        // `[A, B]` with B excluded; `null` for "to the end".
        line["epochs"] = json!([epochs.start, (epochs.end != usize::MAX).then_some(epochs.end)]);
        let mut writer = TraceWriter { out, epochs, error: None };
        writer.write_line(&line.to_string());
        Ok(writer)
    }

    /// Whether epoch `epoch` is traced.
    pub fn traces(&self, epoch: usize) -> bool {
        self.epochs.contains(&epoch) && self.error.is_none()
    }

    /// One training step, after its update.
    pub fn step(&mut self, epoch: usize, step: usize, values: &StepValues) {
        self.record("train", epoch, step, &values.named());
    }

    /// One step of the prediction pass that follows `epochs` epochs of training:
    /// its input, incoming context, new context and prediction.
    pub fn prediction(&mut self, epochs: usize, step: usize, values: &[Vec<f32>; 4]) {
        let names = ["input", "context_in", "context", "pred"];
        let named: [(&str, &[f32]); 4] = std::array::from_fn(|k| (names[k], values[k].as_slice()));
        self.record("predict", epochs, step, &named);
    }

    /// Ends the trace: everything written, ready to be moved into place.
    pub fn finish(self) -> Result<Staged> {
        let path = self.out.get_ref().path().display().to_string();
        let staged = match self.error {
            Some(e) => Err(e),
            None => self.out.into_inner().map_err(|e| e.into_error()),
        };
        staged.with_context(|| format!("cannot write the trace {path}"))
    }

    fn record(&mut self, phase: &str, epoch: usize, step: usize, tensors: &[(&str, &[f32])]) {
        let mut line = format!(r#"{{"phase":"{phase}","epoch":{epoch},"step":{step}"#);
        for (name, values) in tensors {
            let _ = write!(line, r#","{name}":["#);
            for (k, v) in values.iter().enumerate() {
                let sep = if k == 0 { "" } else { "," };
                let _ = write!(line, r#"{sep}"{:08x}""#, v.to_bits());
            }
            line.push(']');
        }
        line.push('}');
        self.write_line(&line);
    }

    fn write_line(&mut self, line: &str) {
        if self.error.is_none() {
            if let Err(e) = writeln!(self.out, "{line}") {
                self.error = Some(e);
            }
        }
    }
}
