//! `--save-weights` and `--init-weights`: the two weight matrices in safetensors,
//! which PyTorch and Rust both read natively, so weights cross between the two
//! (`scripts/reference.py` takes the same flags): float32 `w1` `[hidden + 1,
//! hidden]` and `w2` `[hidden, 1]`, little-endian, row-major, as PyTorch stores them.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;

use crate::pyfmt::py_float;
use crate::steps::model::WeightValues;

/// The file's bytes for these weights.
pub fn to_safetensors(weights: &WeightValues) -> anyhow::Result<Vec<u8>> {
    let bytes = |v: &[f32]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
    let (b1, b2, hidden) = (bytes(&weights.w1), bytes(&weights.w2), weights.w2.len());
    let views = [
        ("w1", TensorView::new(Dtype::F32, vec![hidden + 1, hidden], &b1)?),
        ("w2", TensorView::new(Dtype::F32, vec![hidden, 1], &b2)?),
    ];
    let info = HashMap::from([("written_by".to_string(), "sine-rnn".to_string())]);
    Ok(safetensors::serialize(views, Some(info))?)
}

/// Reads and checks weights for `hidden` context units: every way a file can be
/// unusable is one sentence naming the file (the caller adds the flag).
pub fn read(path: &Path, hidden: usize) -> Result<WeightValues, String> {
    if path.as_os_str().is_empty() {
        return Err("the path is empty".into());
    }
    let name = path.display();
    let cannot = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::NotFound => format!("{name} does not exist"),
        _ if e.raw_os_error() == Some(libc::EISDIR) => {
            format!("{name} is a directory, not a safetensors file")
        }
        _ => format!("cannot read {name} ({e})"),
    };
    let bytes = read_bounded(path).map_err(cannot)?;
    // safetensors builds the header in memory whole, at several times its size for
    // some shapes (a long array): first it must be an object of tensors.
    if let Some(Err(e)) = header_of(&bytes).map(data_end) {
        return Err(format!("{name} is not a safetensors file ({e})"));
    }
    let file =
        SafeTensors::deserialize(&bytes).map_err(|e| format!("{name} is not a safetensors file ({e})"))?;
    let tensor = |key: &str, shape: [usize; 2]| -> Result<Vec<f32>, String> {
        let t = file.tensor(key).map_err(|_| {
            let mut found = file.names();
            found.sort();
            let holds =
                if found.is_empty() { " no tensors".to_string() } else { format!(": {}", found.join(", ")) };
            format!("{name} has no tensor '{key}' (it holds{holds})")
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
            let value = py_float(values[k].into());
            return Err(format!("{name}: '{key}' holds {value} at index {k}; weights must be finite"));
        }
        Ok(values)
    };
    Ok(WeightValues { w1: tensor("w1", [hidden + 1, hidden])?, w2: tensor("w2", [hidden, 1])? })
}

/// The longest header safetensors takes (its own limit, which it keeps private),
/// and the most tensor data a weights file may hold: four times w1 and w2 at the
/// largest hidden size.
const MAX_HEADER: u64 = 100_000_000;
const MAX_DATA: u64 = 256 << 20;
/// The most entries a header may list: safetensors holds each in memory at many
/// times its size (a million small ones took more than 1 GB).
const MAX_TENSORS: usize = 1000;

/// A safetensors file's bytes, read no further than its header says (and a byte
/// more, for the parser to see a file that runs on): a length that cannot be right
/// stops the reading, so an endless device or a huge file of zeros is not read.
fn read_bounded(path: &Path) -> std::io::Result<Vec<u8>> {
    let file = std::fs::File::open(path)?;
    let meta = file.metadata()?;
    if meta.is_dir() {
        return Err(std::io::Error::from_raw_os_error(libc::EISDIR));
    }
    let (mut bytes, mut reader) = (Vec::new(), file.take(8));
    reader.read_to_end(&mut bytes)?;
    let Ok(prefix) = <[u8; 8]>::try_from(&bytes[..]) else { return Ok(bytes) };
    let header_len = u64::from_le_bytes(prefix);
    if header_len > MAX_HEADER || (meta.is_file() && 8 + header_len > meta.len()) {
        return Ok(bytes);
    }
    bytes.reserve_exact(header_len as usize);
    let mut reader = reader.into_inner().take(header_len);
    reader.read_to_end(&mut bytes)?;
    // A header the parser will refuse reads no data: 0 bytes.
    let data_len = header_of(&bytes).map_or(Ok(0), data_end).unwrap_or(0);
    if data_len > MAX_DATA {
        return Err(std::io::Error::other(format!(
            "its header describes {data_len} bytes of tensors, more than the {MAX_DATA} a weights file may hold"
        )));
    }
    reader.into_inner().take(data_len + 1).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// The header of a safetensors file's bytes, when they hold all of it.
fn header_of(bytes: &[u8]) -> Option<&[u8]> {
    let len = u64::from_le_bytes(bytes.get(..8)?.try_into().ok()?);
    bytes.get(8..usize::try_from(len).ok()?.checked_add(8)?)
}

/// Where the tensor data a header describes ends (the largest `data_offsets` end),
/// read entry by entry without building the header in memory: whatever the header
/// holds, this costs no more than its bytes. Refuses what is not an object of at
/// most [`MAX_TENSORS`] entries.
fn data_end(header: &[u8]) -> serde_json::Result<u64> {
    #[derive(Deserialize)]
    struct Entry {
        data_offsets: Option<(u64, u64)>,
    }
    struct LargestEnd;
    impl<'de> Visitor<'de> for LargestEnd {
        type Value = u64;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a safetensors header (a JSON object)")
        }
        fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<u64, M::Error> {
            let mut end = 0;
            for listed in 1.. {
                let Some(key) = map.next_key::<std::borrow::Cow<str>>()? else { break };
                if listed > MAX_TENSORS {
                    let why = format!("its header lists more than {MAX_TENSORS} tensors; weights are two");
                    return Err(serde::de::Error::custom(why));
                }
                match key.as_ref() {
                    "__metadata__" => drop(map.next_value::<IgnoredAny>()?),
                    _ => end = end.max(map.next_value::<Entry>()?.data_offsets.map_or(0, |o| o.1)),
                }
            }
            Ok(end)
        }
    }
    serde_json::Deserializer::from_slice(header).deserialize_map(LargestEnd)
}
