//! A tracer for any tch program: named tensors at named positions, in the
//! model-independent format `parity-trace/1` that `scripts/parity_trace.py` writes
//! from PyTorch (docs/parity-workbench.md, "Port your own model").
//!
//! ```no_run
//! # fn main() -> std::io::Result<()> {
//! use parity_trace::Tracer;
//! let file = std::io::BufWriter::new(std::fs::File::create("rust.jsonl")?);
//! let mut trace = Tracer::new(file, "my-model", serde_json::json!({"seed": 0}))?;
//! let x = tch::Tensor::from_slice(&[1.0f32, -2.0]);
//! trace.record(("train", 0), &[("input", &x)])?;
//! trace.finish()?;
//! # Ok(())
//! # }
//! ```
//!
//! A trace is JSON Lines: a header `{"format":"parity-trace/1","program":…,"meta":{…}}`,
//! then one record per call, `{"at":[…],"tensors":{"name":{"dtype":…,"shape":[…],"bits":"…"},…}}`,
//! `bits` being every element's bit pattern, row-major, in hex of the dtype's width.
//! Records are written compactly, keys in this order and tensors in the caller's,
//! so that the Python tracer writes the same bytes for the same tensors. What the
//! comparer would refuse (a position that is not one, a name twice, a line over
//! [`LINE_LIMIT`]) is refused at the call, and nothing of it is written.

use std::fmt::Write as _;
use std::io::{self, Write};

use serde::Serialize;
use serde_json::{json, Value};
use tch::{Kind, Tensor};

/// The longest line the format allows, in bytes, its newline excluded
/// (`scripts/compare.py` refuses a longer one rather than read it).
const LINE_LIMIT: usize = 64 << 20;

/// Writes a trace line by line as the program runs: nothing is held in memory.
pub struct Tracer<W: Write> {
    out: W,
}

impl<W: Write> Tracer<W> {
    /// A trace into `out`, from its header line; `meta` (the run's description) is an object.
    pub fn new(mut out: W, program: &str, meta: Value) -> io::Result<Self> {
        if !meta.is_object() {
            return Err(invalid(format!("the trace's meta must be a JSON object, not {meta}")));
        }
        // Written by hand, to keep the keys in the format's order.
        let program = Value::from(program);
        let header = format!("{{\"format\":\"parity-trace/1\",\"program\":{program},\"meta\":{meta}}}\n");
        out.write_all(checked(&header)?.as_bytes())?;
        Ok(Tracer { out })
    }

    /// One record: its position, a non-empty list of integers and strings such as
    /// `("train", 3, 17)`, and named tensors (names unique; any shape, CPU or CUDA).
    pub fn record(&mut self, at: impl Serialize, tensors: &[(&str, &Tensor)]) -> io::Result<()> {
        let at = serde_json::to_value(at).map_err(io::Error::other)?;
        let item = |v: &Value| v.is_i64() || v.is_u64() || v.is_string();
        if !at.as_array().is_some_and(|a| !a.is_empty() && a.iter().all(item)) {
            return Err(invalid(format!(
                "a record's position must be a non-empty list of integers and strings, not {at}"
            )));
        }
        let mut line = format!(r#"{{"at":{at},"tensors":{{"#);
        for (k, (name, t)) in tensors.iter().enumerate() {
            if tensors[..k].iter().any(|(other, _)| other == name) {
                return Err(invalid(format!("tensor name {name:?} used twice in one record")));
            }
            let (dtype, shape, bits) = encode(t).map_err(|e| invalid(format!("tensor {name:?}: {e}")))?;
            let (sep, name, shape) = (if k == 0 { "" } else { "," }, json!(name), json!(shape));
            let _ = write!(line, r#"{sep}{name}:{{"dtype":"{dtype}","shape":{shape},"bits":"{bits}"}}"#);
        }
        line.push_str("}}\n");
        self.out.write_all(checked(&line)?.as_bytes())
    }

    /// Flushes and returns the writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

/// The format's dtypes: PyTorch's names, without `torch.`.
const DTYPES: [(Kind, &str); 10] = [
    (Kind::Half, "float16"),
    (Kind::BFloat16, "bfloat16"),
    (Kind::Float, "float32"),
    (Kind::Double, "float64"),
    (Kind::Int8, "int8"),
    (Kind::Int16, "int16"),
    (Kind::Int, "int32"),
    (Kind::Int64, "int64"),
    (Kind::Uint8, "uint8"),
    (Kind::Bool, "bool"),
];

/// dtype, shape and bits, from the raw bytes (`copy_data_u8` copies a CUDA tensor
/// to the host, contiguous), so NaN payloads and -0.0 stay as they are; each
/// element's little-endian bytes (the target is x86-64) are turned around.
fn encode(t: &Tensor) -> Result<(&'static str, Vec<i64>, String), String> {
    let kind = t.f_kind().map_err(|e| e.to_string())?;
    let Some(&(_, dtype)) = DTYPES.iter().find(|d| d.0 == kind) else {
        return Err(format!("dtype {kind:?} is not one the trace format has"));
    };
    let (width, numel) = (kind.elt_size_in_bytes(), t.numel());
    let mut bytes = vec![0u8; numel * width];
    t.f_copy_data_u8(&mut bytes, numel).map_err(|e| e.to_string())?;
    let mut bits = String::with_capacity(bytes.len() * 2);
    for byte in bytes.chunks_exact(width).flat_map(|element| element.iter().rev()) {
        let _ = write!(bits, "{byte:02x}");
    }
    Ok((dtype, t.size(), bits))
}

/// `line` (ending in its newline), if it is not longer than the format allows.
fn checked(line: &str) -> io::Result<&str> {
    match line.len() - 1 {
        n if n > LINE_LIMIT => {
            Err(invalid(format!("a line of {n} bytes; a trace's lines are at most {LINE_LIMIT}")))
        }
        _ => Ok(line),
    }
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message)
}
