//! `--trace`: every training step's values as float32 bit patterns, so a run can be
//! compared with PyTorch's step by step and the first difference found
//! (`scripts/parity.sh --trace`). `scripts/reference.py --trace` writes the same
//! format; docs/parity-workbench.md describes it.
//!
//! JSON Lines, one object per line, written as training goes (a long run never
//! holds its trace in memory): a header, then one line per traced training step,
//! then one per step of the prediction pass. Every tensor is a list of 8-digit hex
//! bit patterns in row-major order:
//!
//! ```text
//! {"backend":"tch","config":{…},"device":"cpu","epochs":[0,null],"format":"sine-rnn-trace/1",…}
//! {"phase":"train","epoch":0,"step":0,"input":["3f68c7b7"],"context_in":[…],…,"w2":[…]}
//! {"phase":"predict","epoch":300,"step":0,"input":[…],"context_in":[…],"context":[…],"pred":[…]}
//! ```

use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::ops::Range;
use std::path::Path;

use anyhow::{Context, Result};
use serde_json::{json, Value};

use crate::steps::train::StepValues;
use crate::support::cli::MAX_EPOCHS;
use crate::support::files::{stage, Staged};

/// The epochs `--trace-epochs` selects: `A..B` (B excluded, as in Rust and
/// Python's `range`), `A..=B`, `A..`, `..B`, or one epoch `N`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EpochRange(pub Range<usize>);

impl std::str::FromStr for EpochRange {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("expected epochs as A..B, A..=B, A.., ..B or N (e.g. 10..20), not '{s}'");
        // An epoch is a number below the most --epochs allows, so usize::MAX is
        // free to mean "to the end" and no bound overflows.
        let num = |t: &str, default: Option<usize>| -> Result<usize, String> {
            match (t.trim(), default) {
                ("", Some(d)) => Ok(d),
                (t, _) => match t.parse::<usize>() {
                    Ok(n) if n < MAX_EPOCHS => Ok(n),
                    Ok(_) => {
                        Err(format!("the epochs of a run are 0 to {} at most, not '{s}'", MAX_EPOCHS - 1))
                    }
                    Err(_) => Err(bad()),
                },
            }
        };
        let range = if let Some((a, b)) = s.split_once("..=") {
            num(a, Some(0))?..num(b, None)? + 1
        } else if let Some((a, b)) = s.split_once("..") {
            num(a, Some(0))?..num(b, Some(usize::MAX))?
        } else {
            let n = num(s, None)?;
            n..n + 1
        };
        if range.start >= range.end {
            return Err(format!("the epoch range {s} is empty"));
        }
        Ok(EpochRange(range))
    }
}

/// Writes a trace as training goes, into a staged file that is moved into place
/// with the run's other outputs.
pub struct TraceWriter {
    out: BufWriter<File>,
    staged: Staged,
    epochs: Range<usize>,
    error: Option<std::io::Error>,
}

impl TraceWriter {
    /// Starts a trace at `path` with its header line.
    pub fn create(path: &Path, header: Value, epochs: &EpochRange) -> Result<TraceWriter> {
        let staged = stage(path, b"")?;
        let file = staged.file().try_clone().with_context(|| format!("cannot write {}", path.display()))?;
        let mut writer = TraceWriter {
            out: BufWriter::with_capacity(1 << 16, file),
            staged,
            epochs: epochs.0.clone(),
            error: None,
        };
        let mut line = header;
        line["format"] = json!("sine-rnn-trace/1");
        // `[A, B]` with B excluded; `null` for "to the end".
        let end = (epochs.0.end != usize::MAX).then_some(epochs.0.end);
        line["epochs"] = json!([epochs.0.start, end]);
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
    pub fn finish(mut self) -> Result<Staged> {
        if let Err(e) = self.out.flush() {
            self.error.get_or_insert(e);
        }
        match self.error {
            Some(e) => {
                Err(e).with_context(|| format!("cannot write the trace {}", self.staged.path().display()))
            }
            None => Ok(self.staged),
        }
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
