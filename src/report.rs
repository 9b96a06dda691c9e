//! Output scaffolding: the JSON record of a run and atomic file writes.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use serde_json::{json, Value};

use crate::data::Config;

/// Everything a parity check compares, from one run.
pub struct RunRecord<'a> {
    pub program: &'a str,
    pub config: &'a Config,
    pub libtorch_version: &'a str,
    pub device: &'a str,
    pub time_steps: &'a [f64],
    pub values: &'a [f32],
    pub epoch_losses: &'a [f32],
    pub predictions: &'a [f32],
    pub w1: (&'a [f32], [usize; 2]),
    pub w2: (&'a [f32], [usize; 2]),
}

impl RunRecord<'_> {
    /// The JSON document; `scripts/reference.py --json` writes the same layout.
    pub fn to_json(&self) -> Value {
        let c = self.config;
        json!({
            "format": "sine-rnn-run/1",
            "program": self.program,
            "config": {
                "seed": c.seed,
                "epochs": c.epochs,
                "lr": c.lr,
                "seq_length": c.seq_length,
                "hidden_size": c.hidden_size,
                "input_size": c.input_size(),
                "output_size": c.output_size(),
            },
            "libtorch_version": self.libtorch_version,
            "device": self.device,
            "time_steps": self.time_steps,
            "data": f32_array(self.values, &[self.values.len()]),
            "epoch_losses": f32_array(self.epoch_losses, &[self.epoch_losses.len()]),
            "predictions": f32_array(self.predictions, &[self.predictions.len()]),
            "w1": f32_array(self.w1.0, &self.w1.1),
            "w2": f32_array(self.w2.0, &self.w2.1),
        })
    }
}

/// A float32 array stored exactly: each value's IEEE bit pattern in hex (for ULP
/// counting) beside a readable decimal (`null` for inf and nan, which JSON lacks).
pub fn f32_array(values: &[f32], shape: &[usize]) -> Value {
    let bits: Vec<String> = values.iter().map(|v| format!("{:08x}", v.to_bits())).collect();
    let decimals: Vec<Value> =
        values.iter().map(|v| if v.is_finite() { json!(*v as f64) } else { Value::Null }).collect();
    json!({ "shape": shape, "bits": bits, "values": decimals })
}

/// Writes `bytes` to `path` through a temporary file in the same directory and a
/// rename, so an interrupted or failed run never leaves a truncated file and never
/// removes the previous good one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_with(path, |file| file.write_all(bytes))
}

/// [`write_atomic`] for any writer: `fill` writes the content into the temporary
/// file; if it fails, the temporary file is removed and `path` is left as it was.
pub fn write_atomic_with(
    path: &Path,
    fill: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>,
) -> Result<()> {
    let dir = parent_dir(path);
    let mut tmp = tempfile::Builder::new()
        .prefix(".sine-rnn-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    fill(tmp.as_file_mut())
        .and_then(|()| tmp.as_file().sync_all())
        .with_context(|| format!("cannot write {}", path.display()))?;
    // tempfile creates files readable by the owner only; a plot is an ordinary file.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = tmp.as_file().set_permissions(std::fs::Permissions::from_mode(0o644));
    }
    tmp.persist(path)
        .map_err(|e| e.error)
        .with_context(|| format!("cannot move the new file into place at {}", path.display()))?;
    Ok(())
}

/// The directory a file path lives in (`.` for a bare file name).
pub fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}
