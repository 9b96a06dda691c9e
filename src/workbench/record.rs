//! `--json`: the record of a run, everything a parity check compares, bit-exact;
//! `scripts/reference.py --json` writes the same layout.

use serde_json::{json, Value};

use crate::backends::Trained;
use crate::steps::data::{Config, SineData};

/// What computed a run, as the record and the trace header name it.
#[derive(Clone, Copy)]
pub struct RunInfo<'a> {
    /// `--backend`'s name (`tch`, `tch-manual`, `native`).
    pub backend: &'a str,
    pub config: &'a Config,
    /// `cpu` or `cuda:0`.
    pub device: &'a str,
}

/// One run of `sine-rnn`, as `--json` writes it.
pub struct RunRecord<'a> {
    pub info: RunInfo<'a>,
    pub data: &'a SineData,
    pub trained: &'a Trained,
    /// The closed-loop continuation (`--generate`), empty without it.
    pub generated: &'a [f32],
    /// The stop signal that ended training early (`SIGINT`, ...), if one did.
    pub interrupted_by: Option<&'a str>,
}

impl RunRecord<'_> {
    pub fn to_json(&self) -> Value {
        let RunInfo { backend, config: c, device } = self.info;
        let (i, h, o) = (c.input_size(), c.hidden_size, Config::OUTPUT_SIZE);
        let (t, w) = (self.trained, &self.trained.values);
        json!({
            "format": "sine-rnn-run/1",
            "program": "sine-rnn",
            "backend": backend,
            "config": config_json(c),
            // Stopped by a signal: the record is for the weights reached then.
            "interrupted": self.interrupted_by.is_some(),
            "signal": self.interrupted_by,
            "epochs_completed": t.losses.len(),
            "libtorch_version": crate::LIBTORCH_VERSION,
            "device": device,
            "time_steps": self.data.time_steps,
            "data": f32_array(&self.data.values, &[self.data.values.len()]),
            "epoch_losses": f32_array(&t.losses, &[t.losses.len()]),
            "predictions": f32_array(&t.predictions, &[t.predictions.len()]),
            "w1": f32_array(&w.w1, &[i, h]),
            "w2": f32_array(&w.w2, &[h, o]),
            "generated": f32_array(self.generated, &[self.generated.len()]),
        })
    }
}

/// The hyper-parameters, as the record and the trace header store them.
pub fn config_json(c: &Config) -> Value {
    json!({
        "seed": c.seed,
        // The same, as text: JSON readers that hold numbers as doubles
        // (JavaScript, jq) round seeds above 2^53.
        "seed_decimal": c.seed.to_string(),
        "epochs": c.epochs,
        "lr": c.lr,
        "seq_length": c.seq_length,
        "hidden_size": c.hidden_size,
        "input_size": c.input_size(),
        "output_size": Config::OUTPUT_SIZE,
    })
}

/// A float32 array stored exactly: each value's IEEE bit pattern in hex (for ULP
/// counting) beside a readable decimal (`null` for inf and nan, which JSON lacks).
pub fn f32_array(values: &[f32], shape: &[usize]) -> Value {
    let bits: Vec<String> = values.iter().map(|v| format!("{:08x}", v.to_bits())).collect();
    let decimals: Vec<Value> =
        values.iter().map(|v| if v.is_finite() { json!(*v as f64) } else { Value::Null }).collect();
    json!({ "shape": shape, "bits": bits, "values": decimals })
}
