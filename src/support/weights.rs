//! `--save-weights` and `--init-weights`: the two weight matrices in a safetensors
//! file, the format both PyTorch (`safetensors.torch`, `safetensors.numpy`) and
//! Rust read natively, so weights cross between the two: train in Python, continue
//! in Rust, and back (`scripts/reference.py` takes the same flags).
//!
//! The file holds two float32 tensors, `w1` of shape `[hidden + 1, hidden]` and `w2`
//! of shape `[hidden, 1]`, little-endian, row-major, as PyTorch stores them.

use std::collections::HashMap;
use std::path::Path;

use safetensors::tensor::{Dtype, SafeTensors, TensorView};

/// The two weight matrices as row-major float32 values.
#[derive(Debug, Clone, PartialEq)]
pub struct WeightValues {
    pub w1: Vec<f32>,
    pub w2: Vec<f32>,
}

/// The file's bytes for weights of a network with `hidden` context units.
pub fn to_safetensors(w1: &[f32], w2: &[f32], hidden: usize) -> anyhow::Result<Vec<u8>> {
    let bytes = |v: &[f32]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
    let (b1, b2) = (bytes(w1), bytes(w2));
    let views = [
        ("w1", TensorView::new(Dtype::F32, vec![hidden + 1, hidden], &b1)?),
        ("w2", TensorView::new(Dtype::F32, vec![hidden, 1], &b2)?),
    ];
    let info = HashMap::from([("written_by".to_string(), "sine-rnn".to_string())]);
    Ok(safetensors::serialize(views, Some(info))?)
}

/// Reads and checks weights for `hidden` context units. Every way a file can be
/// unusable is one sentence naming the file (the caller adds the flag): missing,
/// not safetensors, a tensor missing, the wrong shape or type, a value that is not
/// finite.
pub fn read(path: &Path, hidden: usize) -> Result<WeightValues, String> {
    let name = path.display();
    let bytes = std::fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => format!("{name} does not exist"),
        _ => format!("cannot read {name} ({e})"),
    })?;
    let file =
        SafeTensors::deserialize(&bytes).map_err(|e| format!("{name} is not a safetensors file ({e})"))?;
    let tensor = |key: &str, shape: [usize; 2]| -> Result<Vec<f32>, String> {
        let t = file.tensor(key).map_err(|_| {
            let mut found = file.names();
            found.sort();
            format!("{name} has no tensor '{key}' (it holds: {})", found.join(", "))
        })?;
        if t.dtype() != Dtype::F32 {
            return Err(format!("{name}: '{key}' is {:?}, but the weights must be float32 (F32)", t.dtype()));
        }
        if t.shape() != shape {
            return Err(format!(
                "{name}: '{key}' has shape {:?}, but --hidden-size {hidden} needs {shape:?}",
                t.shape()
            ));
        }
        let values: Vec<f32> =
            t.data().chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
        if let Some(k) = values.iter().position(|v| !v.is_finite()) {
            let value = crate::support::pyfmt::py_float(values[k].into());
            return Err(format!("{name}: '{key}' holds {value} at index {k}; weights must be finite"));
        }
        Ok(values)
    };
    Ok(WeightValues { w1: tensor("w1", [hidden + 1, hidden])?, w2: tensor("w2", [hidden, 1])? })
}
