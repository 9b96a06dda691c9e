//! The two tracers of the format `parity-trace/1`: the `parity-trace` crate (`crates/parity-trace`)
//! (Rust) and `scripts/parity_trace.py` (PyTorch). Each writes what the format says
//! for a tensor worked out by hand, and both write the same record lines, byte for
//! byte, for the same tensors: every dtype, float edge values (-0.0, infinities, NaNs
//! with payloads, subnormals), negative integers, bools, 0-dim, empty, 3-D and
//! non-contiguous tensors.

mod common;

use std::process::Command;

use common::{root, scratch, stderr};
use parity_trace::Tracer;
use serde_json::{json, Value};
use tch::{Kind, Tensor};

/// Runs `code` with scripts/ on Python's path, in `dir`; fails naming the fix when
/// scripts/python cannot run torch.
fn run_python(code: &str, dir: &std::path::Path) {
    let fix = "run scripts/fetch_libtorch.sh --python to make the Python environment";
    let out = Command::new(root().join("scripts/python"))
        .args(["-c", &format!("import sys\nsys.path.insert(0, {:?})\n{code}", root().join("scripts"))])
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("scripts/python does not run ({e}); {fix}"));
    assert!(out.status.success(), "the Python side failed ({fix} if torch is missing):\n{}", stderr(&out));
}

/// A record to write: its position and named tensors.
type Record<'a> = (Value, Vec<(&'a str, &'a Tensor)>);

/// A Rust trace, written into memory, as text.
fn rust_trace(program: &str, meta: Value, records: &[Record]) -> String {
    let mut trace = Tracer::new(Vec::new(), program, meta).expect("the header is written");
    for (at, tensors) in records {
        trace.record(at, tensors).expect("the record is written");
    }
    String::from_utf8(trace.finish().expect("flushed")).expect("UTF-8")
}

/// The example of the format's description, written out by hand from it: a float32
/// `[1, 1]` holding sin(2), then a 2×2 int64.
const DEMO: &str = concat!(
    r#"{"format":"parity-trace/1","program":"demo","meta":{"seed":0}}"#,
    "\n",
    r#"{"at":["train",0,0],"tensors":{"input":{"dtype":"float32","shape":[1,1],"bits":"3f68c7b7"},"#,
    r#""idx":{"dtype":"int64","shape":[2,2],"bits":"0000000000000001000000000000000200000000000000030000000000000004"}}}"#,
    "\n",
);

#[test]
fn both_tracers_write_the_formats_own_example() {
    let input = Tensor::from_slice(&[2f64.sin() as f32]).reshape([1, 1]);
    let idx = Tensor::from_slice(&[1i64, 2, 3, 4]).reshape([2, 2]);
    let at = json!(["train", 0usize, 0i64]);
    let rust = rust_trace("demo", json!({"seed": 0}), &[(at, vec![("input", &input), ("idx", &idx)])]);
    assert_eq!(rust, DEMO, "the Rust tracer");

    let dir = scratch();
    run_python(
        r#"
import math, torch
from parity_trace import Tracer
with Tracer("demo.jsonl", program="demo", meta={"seed": 0}) as trace:
    trace.record(("train", 0, 0), input=torch.tensor([[math.sin(2)]]), idx=torch.tensor([[1, 2], [3, 4]]))
"#,
        dir.path(),
    );
    let python = std::fs::read_to_string(dir.path().join("demo.jsonl")).expect("the Python trace");
    assert_eq!(python, DEMO, "the Python tracer");
}

/// A float32 tensor from bit patterns (NaN payloads survive).
fn f32_bits(bits: &[u32]) -> Tensor {
    let ints: Vec<i32> = bits.iter().map(|b| *b as i32).collect();
    Tensor::from_slice(&ints).view_dtype(Kind::Float)
}

/// Each element's bits as the format writes them, from Rust's own `to_bits` (not
/// through either tracer).
fn hex<T: Copy>(values: &[T], digits: usize, to_bits: impl Fn(T) -> u64) -> String {
    values.iter().map(|v| format!("{:0digits$x}", to_bits(*v))).collect()
}

#[test]
fn both_tracers_write_the_same_record_lines_for_every_dtype_and_edge_value() {
    // The same tensors on both sides: each built from the same literals.
    let f32s =
        [-0.0f32, 0.0, f32::INFINITY, f32::NEG_INFINITY, f32::NAN, 1e-45, 1.1754942e-38, 1.1754944e-38];
    let f32s = [&f32s[..], &[f32::MAX, 0.1, -2.5, 1.0]].concat();
    let f64s = [-0.0f64, f64::INFINITY, f64::NEG_INFINITY, f64::NAN, 5e-324, 2.225073858507201e-308];
    let f64s = [&f64s[..], &[2.2250738585072014e-308, f64::MAX, 0.1]].concat();
    // (No NaN converted: libtorch's float32-to-bfloat16 conversion writes one as 0x7fc0
    // or as 0xffff, depending on the CPU kernels. NaNs of 16 bits come from their bits.)
    let halves = [1.0f32, -0.0, 65504.0, 6e-8, f32::INFINITY, 0.1, -3.0e38];
    let nans16 = Tensor::from_slice(&[0x7e00u16 as i16, 0xfe01u16 as i16, 0x7fc0, 0xffffu16 as i16]);
    let (i8s, i16s, i32s) = ([-128i8, -1, 0, 127], [-32768i16, -2, 32767], [i32::MIN, -2, i32::MAX]);
    let (i64s, u8s) = ([i64::MIN, -1, 0, i64::MAX], [0u8, 1, 128, 255]);
    let tensors: Vec<(&str, Tensor)> = vec![
        ("f32", Tensor::from_slice(&f32s)),
        ("f32_nan_payloads", f32_bits(&[0xffc00001, 0x7f800001, 0x7fffffff])),
        ("f64", Tensor::from_slice(&f64s)),
        ("f16", Tensor::from_slice(&halves).to_kind(Kind::Half)),
        ("bf16", Tensor::from_slice(&halves).to_kind(Kind::BFloat16)),
        ("f16_nans", nans16.view_dtype(Kind::Half)),
        ("bf16_nans", nans16.view_dtype(Kind::BFloat16)),
        ("i8", Tensor::from_slice(&i8s)),
        ("i16", Tensor::from_slice(&i16s)),
        ("i32", Tensor::from_slice(&i32s)),
        ("i64", Tensor::from_slice(&i64s)),
        ("u8", Tensor::from_slice(&u8s)),
        ("bool", Tensor::from_slice(&[true, false, true]).reshape([3, 1])),
        ("scalar", Tensor::from(3.5f32)),
        ("scalar_bool", Tensor::from_slice(&[false]).reshape([])),
        ("empty", Tensor::zeros([0], (Kind::Float, tch::Device::Cpu))),
        ("empty_3d", Tensor::zeros([2, 0, 3], (Kind::Int64, tch::Device::Cpu))),
        ("cube", Tensor::arange(24, (Kind::Float, tch::Device::Cpu)).reshape([2, 3, 4]) - 12),
        ("transposed", Tensor::arange(6, (Kind::Double, tch::Device::Cpu)).reshape([2, 3]).tr()),
        ("slice", Tensor::arange(10, (Kind::Int, tch::Device::Cpu)).narrow(0, 3, 4)),
        ("a \"quoted\"\tname / ü", Tensor::from_slice(&[-1.0f32])),
    ];
    let named: Vec<(&str, &Tensor)> = tensors.iter().map(|(n, t)| (*n, t)).collect();
    let at = json!(["train", 3usize, -1i64, "ü \"x\""]);
    let records = vec![(at, named.clone()), (json!([0]), vec![]), (json!(("one",)), named[..1].to_vec())];
    let rust = rust_trace("every-dtype", json!({"n": 1}), &records);

    let dir = scratch();
    run_python(
        r#"
import torch
from parity_trace import Tracer
inf, nan = float("inf"), float("nan")
f32 = torch.tensor([-0.0, 0.0, inf, -inf, nan, 1e-45, 1.1754942e-38, 1.1754944e-38,
                    3.4028234663852886e38, 0.1, -2.5, 1.0], dtype=torch.float32)
f64 = torch.tensor([-0.0, inf, -inf, nan, 5e-324, 2.225073858507201e-308,
                    2.2250738585072014e-308, 1.7976931348623157e308, 0.1], dtype=torch.float64)
halves = torch.tensor([1.0, -0.0, 65504.0, 6e-8, inf, 0.1, -3.0e38], dtype=torch.float32)
nans16 = torch.tensor([0x7e00, 0xfe01 - 2**16, 0x7fc0, 0xffff - 2**16], dtype=torch.int16)
payloads = torch.tensor([0xffc00001 - 2**32, 0x7f800001, 0x7fffffff], dtype=torch.int32).view(torch.float32)
tensors = {
    "f32": f32,
    "f32_nan_payloads": payloads,
    "f64": f64,
    "f16": halves.to(torch.float16),
    "bf16": halves.to(torch.bfloat16),
    "f16_nans": nans16.view(torch.float16),
    "bf16_nans": nans16.view(torch.bfloat16),
    "i8": torch.tensor([-128, -1, 0, 127], dtype=torch.int8),
    "i16": torch.tensor([-32768, -2, 32767], dtype=torch.int16),
    "i32": torch.tensor([-2**31, -2, 2**31 - 1], dtype=torch.int32),
    "i64": torch.tensor([-2**63, -1, 0, 2**63 - 1], dtype=torch.int64),
    "u8": torch.tensor([0, 1, 128, 255], dtype=torch.uint8),
    "bool": torch.tensor([[True], [False], [True]]),
    "scalar": torch.tensor(3.5),
    "scalar_bool": torch.tensor(False),
    "empty": torch.zeros(0),
    "empty_3d": torch.zeros(2, 0, 3, dtype=torch.int64),
    "cube": torch.arange(24, dtype=torch.float32).reshape(2, 3, 4) - 12,
    "transposed": torch.arange(6, dtype=torch.float64).reshape(2, 3).t(),
    "slice": torch.arange(10, dtype=torch.int32)[3:7],
    'a "quoted"\tname / ü': torch.tensor([-1.0]),
}
with Tracer("every.jsonl", program="every-dtype", meta={"n": 1}) as trace:
    trace.record(["train", 3, -1, 'ü "x"'], **tensors)
    trace.record((0,))
    trace.record(("one",), f32=tensors["f32"])
"#,
        dir.path(),
    );
    let python = std::fs::read_to_string(dir.path().join("every.jsonl")).expect("the Python trace");
    let (rust_lines, python_lines): (Vec<&str>, Vec<&str>) =
        (rust.lines().collect(), python.lines().collect());
    assert_eq!(rust_lines.len(), 4, "a header and three records");
    assert_eq!(python_lines.len(), rust_lines.len(), "the Python trace's lines");
    for (k, (r, p)) in rust_lines.iter().zip(&python_lines).enumerate() {
        assert!(r == p, "line {} differs:\n  Rust:   {r}\n  Python: {p}", k + 1);
    }
    assert!(rust.ends_with("}\n") && python.ends_with("}\n"), "each line ends with \\n");

    // What the lines say, against the format itself.
    let record: Value = serde_json::from_str(rust_lines[1]).expect("a record is one JSON object");
    assert_eq!(record["at"], json!(["train", 3, -1, "ü \"x\""]));
    let t = &record["tensors"];
    let keys: Vec<&str> =
        rust_lines[1].match_indices(r#"":{"dtype""#).map(|(i, _)| &rust_lines[1][..i]).collect();
    assert!(keys[0].ends_with(r#""f32"#) && keys.len() == tensors.len(), "the tensors in the caller's order");
    let bits = |name: &str| t[name]["bits"].as_str().unwrap_or_else(|| panic!("{name} has bits")).to_string();
    assert_eq!(bits("f32"), hex(&f32s, 8, |v| v.to_bits() as u64));
    assert_eq!(&bits("f32")[..40], "80000000000000007f800000ff8000007fc00000", "-0.0, 0.0, inf, -inf, NaN");
    assert_eq!(&bits("f32")[40..64], "00000001007fffff00800000", "the subnormals around the smallest normal");
    assert_eq!(bits("f32_nan_payloads"), "ffc000017f8000017fffffff");
    assert_eq!(bits("f64"), hex(&f64s, 16, f64::to_bits));
    assert_eq!(&bits("f64")[..16], "8000000000000000");
    // float16: 1.0, -0.0, 65504 (the largest), 2^-24 (the smallest subnormal), inf,
    // 0.1 rounded, and -3e38 overflowing to -inf; bfloat16: float32's top half, rounded
    // to nearest even.
    assert_eq!(bits("f16"), "3c0080007bff00017c002e66fc00");
    assert_eq!(bits("bf16"), "3f808000478033817f803dcdff62");
    assert_eq!((bits("f16_nans"), bits("bf16_nans")), ("7e00fe017fc0ffff".into(), "7e00fe017fc0ffff".into()));
    assert_eq!(bits("i8"), "80ff007f");
    assert_eq!(bits("i16"), "8000fffe7fff");
    assert_eq!(bits("i32"), hex(&i32s, 8, |v| v as u32 as u64));
    assert_eq!(bits("i64"), "8000000000000000ffffffffffffffff00000000000000007fffffffffffffff");
    assert_eq!(bits("u8"), "000180ff");
    assert_eq!((bits("bool"), t["bool"]["shape"].clone()), ("010001".to_string(), json!([3, 1])));
    assert_eq!((bits("scalar"), t["scalar"]["shape"].clone()), ("40600000".to_string(), json!([])));
    assert_eq!((bits("scalar_bool"), t["scalar_bool"]["dtype"].clone()), ("00".to_string(), json!("bool")));
    assert_eq!((bits("empty"), t["empty_3d"]["shape"].clone()), (String::new(), json!([2, 0, 3])));
    assert_eq!(bits("cube").len(), 24 * 8);
    assert_eq!(&bits("cube")[..8], "c1400000", "-12.0 first, row-major");
    // The transpose of [[0, 1, 2], [3, 4, 5]] in row-major order: 0, 3, 1, 4, 2, 5.
    let transposed: Vec<f64> = vec![0.0, 3.0, 1.0, 4.0, 2.0, 5.0];
    assert_eq!(bits("transposed"), hex(&transposed, 16, f64::to_bits));
    assert_eq!(bits("slice"), "00000003000000040000000500000006", "a slice's own elements");
    assert_eq!(t["a \"quoted\"\tname / ü"]["bits"], "bf800000");
    assert_eq!(rust_lines[2], r#"{"at":[0],"tensors":{}}"#, "a record with no tensors");
}

#[test]
fn the_rust_tracer_refuses_what_the_format_cannot_hold() {
    let x = Tensor::from_slice(&[1.0f32]);
    let mut trace = Tracer::new(Vec::new(), "p", json!({})).expect("a header");
    let err = |r: std::io::Result<()>| r.expect_err("refused").to_string();
    let not_a_position = "must be a non-empty list of integers and strings";
    for at in [json!([]), json!([1.5]), json!([true]), json!(["train", [0]]), json!({"epoch": 0}), json!(3)] {
        assert!(err(trace.record(&at, &[("x", &x)])).contains(not_a_position), "{at}");
    }
    assert!(err(trace.record([0], &[("x", &x), ("x", &x)])).contains("used twice"));
    let complex = Tensor::from_slice(&[1.0f32, 2.0]).view_as_complex();
    assert!(err(trace.record([0], &[("z", &complex)])).contains("ComplexFloat"));
    assert!(Tracer::new(Vec::new(), "p", json!([1])).is_err(), "meta must be an object");
    // A line longer than the format allows (the comparer would refuse it).
    let big = Tensor::zeros([(64 << 20) / 8 + 1], (tch::Kind::Float, tch::Device::Cpu));
    assert!(err(trace.record([1], &[("big", &big)])).contains("at most"));
    // Nothing of the refused records was written.
    let text = String::from_utf8(trace.finish().expect("flushed")).expect("UTF-8");
    assert_eq!(text, "{\"format\":\"parity-trace/1\",\"program\":\"p\",\"meta\":{}}\n");
}

#[test]
fn the_python_tracer_refuses_what_the_format_cannot_hold() {
    let dir = scratch();
    run_python(
        r#"
import torch
from parity_trace import Tracer
def refused(f, word):
    try:
        f()
    except (TypeError, ValueError) as e:
        assert word in str(e), (word, str(e))
    else:
        raise AssertionError("not refused: " + word)
with Tracer("p.jsonl", program="p") as trace:
    refused(lambda: trace.record((), x=torch.zeros(1)), "non-empty")
    refused(lambda: trace.record((1.5,), x=torch.zeros(1)), "ints and strs")
    refused(lambda: trace.record((True,), x=torch.zeros(1)), "ints and strs")
    refused(lambda: trace.record((0,), z=torch.zeros(1, dtype=torch.complex64)), "complex64")
    refused(lambda: trace.record((0,), x=[1.0]), "not list")
refused(lambda: Tracer("q.jsonl", program="p", meta=[1]), "must be a dict")
# What the comparer refuses is refused at the call, and no file is made for it.
refused(lambda: Tracer("q.jsonl", program="p", meta={"lr": float("nan")}), "strict JSON")
refused(lambda: Tracer("q.jsonl", program="p", meta={"x": [float("inf")]}), "strict JSON")
refused(lambda: Tracer("q.jsonl", program="p", meta={1: 0, "1": 1}), "key twice")
refused(lambda: Tracer("q.jsonl", program=7, meta={}), "must be a str")
import os
assert not os.path.exists("q.jsonl")
assert open("p.jsonl").read() == '{"format":"parity-trace/1","program":"p","meta":{}}\n'
# Any name, "at" and "self" included; a line over the format's limit is refused.
with Tracer("n.jsonl", program="p") as trace:
    trace.record((0,), **{"at": torch.ones(1), "self": torch.zeros(1)})
    refused(lambda: trace.record((1,), big=torch.zeros((64 << 20) // 8 + 1)), "at most")
    refused(lambda: trace.record(("\udcff",), x=torch.zeros(1)), "UTF-8")
lines = open("n.jsonl").read().splitlines()
assert len(lines) == 2 and lines[1].startswith('{"at":[0],"tensors":{"at":{'), lines
"#,
        dir.path(),
    );
}
