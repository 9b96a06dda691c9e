//! `scripts/parity.sh --compare A B`: the comparer for any two parity-trace/1 files.
//! The traces here are written by hand, from the format as docs/parity-workbench.md
//! specifies it ("The trace format"), as a third program would write them.

mod common;

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::process::Command;

use common::{root, scratch, stderr, stdout};

const HEADER: &str = r#"{"format":"parity-trace/1","program":"handmade","meta":{"seed":0}}"#;

/// One tensor of a record: `"name":{"dtype":..,"shape":..,"bits":..}`.
fn tensor(name: &str, dtype: &str, shape: &[usize], bits: &str) -> String {
    let shape: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    format!(r#""{name}":{{"dtype":"{dtype}","shape":[{}],"bits":"{bits}"}}"#, shape.join(","))
}

/// float32 elements: each bit pattern as 8 lowercase hex digits, in order.
fn f32s(values: &[f32]) -> String {
    values.iter().fold(String::new(), |mut s, v| {
        write!(s, "{:08x}", v.to_bits()).unwrap();
        s
    })
}

fn f64s(values: &[f64]) -> String {
    values.iter().map(|v| format!("{:016x}", v.to_bits())).collect()
}

/// int64 elements, two's complement.
fn i64s(values: &[i64]) -> String {
    values.iter().map(|v| format!("{:016x}", *v as u64)).collect()
}

fn bools(values: &[bool]) -> String {
    values.iter().map(|v| if *v { "01" } else { "00" }).collect()
}

/// A record line: `at` as JSON (e.g. `["train",0,1]`) and its tensors.
fn record(at: &str, tensors: &[String]) -> String {
    format!(r#"{{"at":{at},"tensors":{{{}}}}}"#, tensors.join(","))
}

fn trace(records: &[String]) -> String {
    let mut text = String::from(HEADER);
    for r in records {
        text.push('\n');
        text.push_str(r);
    }
    text.push('\n');
    text
}

/// `scripts/parity.sh --compare a.jsonl b.jsonl` (plus `extra`), run from the
/// directory holding both: (exit code, stdout, stderr).
fn compare_in(dir: &Path, extra: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(root().join("scripts/parity.sh"))
        .args(["--compare", "a.jsonl", "b.jsonl"])
        .args(extra)
        .current_dir(dir)
        .output()
        .expect("scripts/parity.sh runs");
    let (o, e) = (stdout(&out), stderr(&out));
    assert!(!o.contains("Traceback") && !e.contains("Traceback"), "{o}{e}");
    (out.status.code(), o, e)
}

fn compare(a: &str, b: &str) -> (Option<i32>, String) {
    compare_with(a, b, &[])
}

fn compare_with(a: &str, b: &str, extra: &[&str]) -> (Option<i32>, String) {
    let dir = scratch();
    std::fs::write(dir.path().join("a.jsonl"), a).unwrap();
    std::fs::write(dir.path().join("b.jsonl"), b).unwrap();
    let (code, out, err) = compare_in(dir.path(), extra);
    (code, out + &err)
}

fn has_line(text: &str, line: &str) {
    assert!(text.lines().any(|l| l == line), "no line {line:?} in:\n{text}");
}

/// The row of the per-tensor table for `name`, split into its columns.
fn row<'a>(text: &'a str, name: &str) -> Vec<&'a str> {
    let start = text.lines().position(|l| l == "per tensor, over the positions compared:").expect("a table");
    text.lines()
        .skip(start + 2)
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .find(|cols| cols.first() == Some(&name))
        .unwrap_or_else(|| panic!("no row for {name} in:\n{text}"))
}

/// A small model's trace: per step an input, a 4x5 float32 weight, a float64
/// loss, int64 indices and a bool mask; then a prediction.
fn steps(w1_bump: Option<(usize, usize)>) -> Vec<String> {
    let mut records = Vec::new();
    for (epoch, step) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
        let k = epoch * 2 + step;
        let mut w1: Vec<f32> = (0..20).map(|i| 0.5 + (i + k) as f32 * 0.25).collect();
        if let Some((at, flat)) = w1_bump {
            if at == k {
                w1[flat] = f32::from_bits(w1[flat].to_bits() + 1);
            }
        }
        records.push(record(
            &format!(r#"["train",{epoch},{step}]"#),
            &[
                tensor("input", "float32", &[1, 1], &f32s(&[k as f32 * 0.1])),
                tensor("w1", "float32", &[4, 5], &f32s(&w1)),
                tensor("loss", "float64", &[], &f64s(&[1.0 / (k + 3) as f64])),
                tensor("idx", "int64", &[2], &i64s(&[-(k as i64), k as i64 * 1000])),
                tensor("mask", "bool", &[3], &bools(&[true, k % 2 == 0, false])),
            ],
        ));
    }
    records.push(record(r#"["predict",2,0]"#, &[tensor("pred", "float32", &[2], &f32s(&[0.25, -0.75]))]));
    records
}

#[test]
fn identical_traces_are_identical() {
    let a = trace(&steps(None));
    // Another program and meta, and the tensors of one record listed in another
    // order: headers are free-form and a record's tensors are named, not ordered.
    let moved = record(
        r#"["train",0,1]"#,
        &[
            tensor("mask", "bool", &[3], &bools(&[true, false, false])),
            tensor("idx", "int64", &[2], &i64s(&[-1, 1000])),
            tensor("loss", "float64", &[], &f64s(&[1.0 / 4.0])),
            tensor(
                "w1",
                "float32",
                &[4, 5],
                &f32s(&(0..20).map(|i| 0.5 + (i + 1) as f32 * 0.25).collect::<Vec<_>>()),
            ),
            tensor("input", "float32", &[1, 1], &f32s(&[0.1])),
        ],
    );
    assert_eq!(steps(None)[1].len(), moved.len(), "the same tensors");
    let mut records = steps(None);
    records[1] = moved;
    let b = trace(&records).replacen(
        HEADER,
        r#"{"meta":{"device":"cuda"},"program":"other","extra":1,"format":"parity-trace/1"}"#,
        1,
    );
    let (code, text) = compare(&a, &b);
    assert_eq!(code, Some(0), "{text}");
    assert_eq!(text.lines().next(), Some("IDENTICAL"), "{text}");
    has_line(&text, r#"A: a.jsonl, program "handmade", 5 records"#);
    has_line(&text, r#"B: b.jsonl, program "other", 5 records"#);
    has_line(&text, "positions compared: 5");
    assert_eq!(row(&text, "w1"), ["w1", "float32", "4", "0", "0", "0", "0"]);
    assert_eq!(row(&text, "mask"), ["mask", "bool", "4", "0", "0", "0", "0"]);
    assert_eq!(row(&text, "pred"), ["pred", "float32", "1", "0", "0", "0", "0"]);
    assert!(!text.contains("first difference"), "{text}");
    // The same file against itself, and through compare.py directly with python3.
    let dir = scratch();
    std::fs::write(dir.path().join("t.jsonl"), &a).unwrap();
    let out = Command::new("python3")
        .arg(root().join("scripts/compare.py"))
        .args(["t.jsonl", "t.jsonl"])
        .current_dir(dir.path())
        .output()
        .expect("python3 runs");
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).starts_with("IDENTICAL\n"), "{}", stdout(&out));
}

#[test]
fn one_ulp_deep_in_a_2d_float32_is_found_and_placed() {
    // w1 of step (1, 0), flat index 13 = row 2, column 3 of the 4x5: 0.5 + 15 * 0.25.
    let (code, text) = compare(&trace(&steps(None)), &trace(&steps(Some((2, 13)))));
    assert_eq!(code, Some(1), "{text}");
    assert_eq!(text.lines().next(), Some("DIFFERENT"), "{text}");
    has_line(&text, "positions compared: 5");
    has_line(&text, r#"first difference: at ["train", 1, 0]: tensor w1: a value differs, at flat index 13"#);
    has_line(&text, r#"last position where everything agreed: ["train", 0, 1] (A line 3, B line 3)"#);
    has_line(
        &text,
        r#"first value that differs: at ["train", 1, 0], tensor w1, flat index 13, index [2, 3] (shape [4, 5], float32)"#,
    );
    has_line(&text, "A: 4.25 (bits 40880000)");
    has_line(&text, "B: 4.250000476837158 (bits 40880001)");
    has_line(&text, "distance: 1 ULPs");
    has_line(&text, "relative difference: 1.12e-07");
    // Five neighbours either side, the differing one marked.
    has_line(&text, "A: w1[8..18]: ..., 3.0, 3.25, 3.5, 3.75, 4.0, *4.25, 4.5, 4.75, 5.0, 5.25, 5.5, ...");
    has_line(
        &text,
        "B: w1[8..18]: ..., 3.0, 3.25, 3.5, 3.75, 4.0, *4.250000476837158, 4.5, 4.75, 5.0, 5.25, 5.5, ...",
    );
    has_line(&text, "positions on A only: 0");
    has_line(&text, "positions on B only: 0");
    has_line(&text, "tensors on one side only: none");
    has_line(&text, "shape or dtype mismatches: none");
    // w1: 4 records compared, 1 differing, 1 element, 1 ULP.
    assert_eq!(row(&text, "w1"), ["w1", "float32", "4", "1", "1", "1", "1.12e-07"]);
    assert_eq!(row(&text, "loss"), ["loss", "float64", "4", "0", "0", "0", "0"]);

    // The very first record: nothing agreed before it. --names labels the sides.
    let (code, text) =
        compare_with(&trace(&steps(None)), &trace(&steps(Some((0, 0)))), &["--names", "Rust,PyTorch"]);
    assert_eq!(code, Some(1), "{text}");
    has_line(&text, "last position where everything agreed: none (they differ from the first position)");
    has_line(&text, r#"Rust:    a.jsonl, program "handmade", 5 records"#);
    has_line(&text, "Rust:    0.5 (bits 3f000000)");
    has_line(&text, "PyTorch: 0.5000000596046448 (bits 3f000001)");
    has_line(&text, "Rust:    w1[0..5]: *0.5, 0.75, 1.0, 1.25, 1.5, 1.75, ...");
}

/// A one-record trace holding one tensor.
fn one(name: &str, dtype: &str, shape: &[usize], bits: &str) -> String {
    trace(&[record(r#"[0]"#, &[tensor(name, dtype, shape, bits)])])
}

#[test]
fn float64_int64_and_bool_values_are_compared_at_their_own_width() {
    let x = 0.1f64;
    let next = f64::from_bits(x.to_bits() + 1);
    let (code, text) = compare(
        &one("v", "float64", &[1, 2], &f64s(&[2.0, x])),
        &one("v", "float64", &[1, 2], &f64s(&[2.0, next])),
    );
    assert_eq!(code, Some(1), "{text}");
    has_line(
        &text,
        "first value that differs: at [0], tensor v, flat index 1, index [0, 1] (shape [1, 2], float64)",
    );
    has_line(&text, "A: 0.1 (bits 3fb999999999999a)");
    has_line(&text, "B: 0.10000000000000002 (bits 3fb999999999999b)");
    has_line(&text, "distance: 1 ULPs");

    // Across zero: -1 ULP to +1 ULP (the smallest subnormals) is 2 ULPs.
    let (tiny, minus) = (f64::from_bits(1), -f64::from_bits(1));
    let (code, text) =
        compare(&one("v", "float64", &[], &f64s(&[minus])), &one("v", "float64", &[], &f64s(&[tiny])));
    assert_eq!(code, Some(1), "{text}");
    has_line(&text, "A: -5e-324 (bits 8000000000000001)");
    has_line(&text, "distance: 2 ULPs");

    let (code, text) =
        compare(&one("i", "int64", &[3], &i64s(&[7, -3, 9])), &one("i", "int64", &[3], &i64s(&[7, 4, 9])));
    assert_eq!(code, Some(1), "{text}");
    has_line(&text, "first value that differs: at [0], tensor i, flat index 1, index [1] (shape [3], int64)");
    has_line(&text, "A: -3 (bits fffffffffffffffd)");
    has_line(&text, "B: 4 (bits 0000000000000004)");
    has_line(&text, "distance: 7 (integer difference)");
    assert_eq!(row(&text, "i")[..6], ["i", "int64", "1", "1", "1", "7"]);

    let (code, text) = compare(
        &one("m", "bool", &[2, 2], &bools(&[true, true, false, true])),
        &one("m", "bool", &[2, 2], &bools(&[true, true, true, true])),
    );
    assert_eq!(code, Some(1), "{text}");
    has_line(
        &text,
        "first value that differs: at [0], tensor m, flat index 2, index [1, 0] (shape [2, 2], bool)",
    );
    has_line(&text, "A: False (bits 00)");
    has_line(&text, "B: True (bits 01)");
    has_line(&text, "distance: 1 (integer difference)");
}

#[test]
fn nan_inf_and_signed_zeros() {
    // The same NaN bits are equal; other NaN bits, inf against the largest float
    // and -0 against +0 are differences, each marked.
    let nan = "7fc00000";
    let (code, text) = compare(&one("v", "float32", &[1], nan), &one("v", "float32", &[1], nan));
    assert_eq!(code, Some(0), "{text}");
    let (code, text) = compare(
        &one("v", "float32", &[2], &format!("3f800000{nan}")),
        &one("v", "float32", &[2], "3f8000007fc00001"),
    );
    assert_eq!(code, Some(1), "{text}");
    has_line(&text, "A: nan (bits 7fc00000)");
    has_line(&text, "distance: none, a NaN against other bits (NaN mismatch)");
    assert_eq!(row(&text, "v")[..5], ["v", "float32", "1", "1", "1"]);
    assert!(text.lines().any(|l| l.starts_with("v ") && l.ends_with("NaN mismatch x1")), "{text}");

    let (code, text) = compare(
        &one("v", "float32", &[], &f32s(&[f32::INFINITY])),
        &one("v", "float32", &[], &f32s(&[f32::MAX])),
    );
    assert_eq!(code, Some(1), "{text}");
    has_line(&text, "A: inf (bits 7f800000)");
    has_line(&text, "distance: 1 ULPs (inf mismatch)");
    has_line(&text, "relative difference: inf");
    assert!(text.lines().any(|l| l.starts_with("v ") && l.ends_with("inf mismatch x1")), "{text}");

    let (code, text) =
        compare(&one("v", "float32", &[], &f32s(&[-0.0])), &one("v", "float32", &[], &f32s(&[0.0])));
    assert_eq!(code, Some(1), "{text}");
    has_line(&text, "distance: 0 ULPs (+0 against -0)");
    // float16 and bfloat16: one ULP at their own width.
    let (code, text) = compare(&one("h", "float16", &[], "3c00"), &one("h", "float16", &[], "3c01"));
    assert_eq!(code, Some(1), "{text}");
    has_line(&text, "B: 1.0009765625 (bits 3c01)");
    has_line(&text, "distance: 1 ULPs");
    let (code, text) = compare(&one("g", "bfloat16", &[], "bf80"), &one("g", "bfloat16", &[], "bf82"));
    assert_eq!(code, Some(1), "{text}");
    has_line(&text, "B: -1.015625 (bits bf82)");
    has_line(&text, "distance: 2 ULPs");
}

#[test]
fn a_tensor_on_one_side_only_is_named_with_its_first_position() {
    let a = trace(&steps(None));
    // B has no mask from step (0, 1) on, and an extra tensor in the prediction.
    let mut records = steps(None);
    let mask = |k: usize| format!(",{}", tensor("mask", "bool", &[3], &bools(&[true, k % 2 == 0, false])));
    for (i, r) in records.iter_mut().enumerate().take(4).skip(1) {
        *r = r.replacen(&mask(i), "", 1);
    }
    records[4] = record(
        r#"["predict",2,0]"#,
        &[tensor("pred", "float32", &[2], &f32s(&[0.25, -0.75])), tensor("hidden", "float32", &[0], "")],
    );
    let (code, text) = compare(&a, &trace(&records));
    assert_eq!(code, Some(1), "{text}");
    has_line(&text, r#"first difference: at ["train", 0, 1]: tensor mask on A only"#);
    has_line(&text, r#"last position where everything agreed: ["train", 0, 0] (A line 2, B line 2)"#);
    has_line(&text, "first value that differs: none (every value compared is bit-identical)");
    has_line(&text, "tensors on one side only: 2");
    has_line(&text, r#"mask on A only: 3 records, the first at ["train", 0, 1]"#);
    has_line(&text, r#"hidden on B only: 1 records, the first at ["predict", 2, 0]"#);
    assert_eq!(row(&text, "mask")[..3], ["mask", "bool", "1"]);
}

#[test]
fn shape_and_dtype_mismatches_are_reported_with_both_sides() {
    let bits = f32s(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    let a = trace(&[
        record("[0]", &[tensor("w", "float32", &[2, 3], &bits)]),
        record("[1]", &[tensor("w", "float32", &[2, 3], &bits)]),
    ]);
    let b = trace(&[
        record("[0]", &[tensor("w", "float32", &[2, 3], &bits)]),
        record("[1]", &[tensor("w", "float32", &[3, 2], &bits)]),
    ]);
    let (code, text) = compare(&a, &b);
    assert_eq!(code, Some(1), "{text}");
    has_line(
        &text,
        "first difference: at [1]: tensor w: shape differs, float32 [2, 3] on A, float32 [3, 2] on B",
    );
    has_line(&text, "last position where everything agreed: [0] (A line 2, B line 2)");
    has_line(&text, "shape or dtype mismatches: 1");
    has_line(&text, "w: float32 [2, 3] on A, float32 [3, 2] on B: 1 records, the first at [1]");
    // The records whose shapes agree are still compared.
    assert_eq!(row(&text, "w")[..4], ["w", "float32", "1", "0"]);

    // The same 32 bits as int32: a dtype mismatch, not a value difference.
    let b = trace(&[
        record("[0]", &[tensor("w", "float32", &[2, 3], &bits)]),
        record("[1]", &[tensor("w", "int32", &[2, 3], &bits)]),
    ]);
    let (code, text) = compare(&a, &b);
    assert_eq!(code, Some(1), "{text}");
    has_line(
        &text,
        "first difference: at [1]: tensor w: dtype differs, float32 [2, 3] on A, int32 [2, 3] on B",
    );
    has_line(&text, "w: float32 [2, 3] on A, int32 [2, 3] on B: 1 records, the first at [1]");
    has_line(&text, "first value that differs: none (every value compared is bit-identical)");
}

#[test]
fn positions_that_part_are_reported_and_aligned_again_where_they_can_be() {
    let all = steps(None);
    // B lacks step (0, 1): positions that differ only in an integer are ordered,
    // so A's record is on A only and the next ones align again.
    let mut b: Vec<String> = all.clone();
    b.remove(1);
    let bumped = steps(Some((3, 0)));
    b[2] = bumped[3].clone();
    let (code, text) = compare(&trace(&all), &trace(&b));
    assert_eq!(code, Some(1), "{text}");
    has_line(&text, r#"first difference: position ["train", 0, 1] (line 3) on A only"#);
    has_line(&text, r#"last position where everything agreed: ["train", 0, 0] (A line 2, B line 2)"#);
    has_line(&text, r#"positions on A only: 1, the first ["train", 0, 1] (line 3)"#);
    has_line(&text, "positions on B only: 0");
    has_line(&text, "positions compared: 4");
    // Aligned again: the difference at step (1, 1) is found.
    has_line(
        &text,
        r#"first value that differs: at ["train", 1, 1], tensor w1, flat index 0, index [0, 0] (shape [4, 5], float32)"#,
    );
    assert!(!text.contains("the positions part"), "{text}");

    // B ends early: its missing records are on A only.
    let (code, text) = compare(&trace(&all), &trace(&all[..2]));
    assert_eq!(code, Some(1), "{text}");
    has_line(&text, r#"first difference: position ["train", 1, 0] (line 4) on A only"#);
    has_line(&text, r#"positions on A only: 3, the first ["train", 1, 0] (line 4)"#);
    has_line(&text, r#"B: b.jsonl, program "handmade", 2 records"#);

    // Positions that cannot be ordered (another phase name): they part for good.
    let mut b = all.clone();
    b[2] = b[2].replacen(r#"["train",1,0]"#, r#"["eval",1,0]"#, 1);
    let (code, text) = compare(&trace(&all), &trace(&b));
    assert_eq!(code, Some(1), "{text}");
    let parted = r#"the positions part: A ["train", 1, 0] (line 4), B ["eval", 1, 0] (line 4); not compared from there: A 3 records, B 3 records"#;
    has_line(&text, parted);
    has_line(
        &text,
        r#"first difference: the positions part: A has ["train", 1, 0] (line 4) where B has ["eval", 1, 0] (line 4)"#,
    );
    has_line(&text, "positions compared: 2");
    // Positions of other lengths cannot be ordered either.
    let mut b = all.clone();
    b[2] = b[2].replacen(r#"["train",1,0]"#, r#"["train",1]"#, 1);
    let (code, text) = compare(&trace(&all), &trace(&b));
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains(r#"the positions part: A ["train", 1, 0] (line 4), B ["train", 1] (line 4)"#),
        "{text}"
    );
}

#[test]
fn malformed_input_is_cannot_compare_with_file_and_line() {
    let good = trace(&steps(None));
    let ok_record = record("[0]", &[tensor("w", "float32", &[2], &f32s(&[1.0, 2.0]))]);
    let with = |line: &str| format!("{HEADER}\n{ok_record}\n{line}\n");
    let cases: Vec<(String, &str)> = vec![
        (with(r#"{"at":[1],"tensors":{"#), "b.jsonl:3: not JSON"),
        (
            format!("{HEADER}\n{ok_record}\n{}", &ok_record[..20]),
            "b.jsonl:3: not JSON: Expecting value (column 21); the file ends in this line, \
             with no newline: was its writer stopped?",
        ),
        (format!("{HEADER}\n\u{feff}{ok_record}\n"), "b.jsonl:2: not JSON"),
        (with("not json at all"), "b.jsonl:3: not JSON"),
        (with(r#"{"at":[1],"tensors":{}} {}"#), "b.jsonl:3: not JSON: Extra data"),
        (with(r#"{"at":[1],"tensors":{"w":NaN}}"#), "b.jsonl:3: not JSON: NaN is not a JSON value"),
        (with(""), "b.jsonl:3: empty line"),
        (format!("{HEADER}\n\n{ok_record}\n"), "b.jsonl:2: empty line"),
        ("".to_string(), "b.jsonl:1: empty file"),
        (
            r#"{"format":"parity-trace/2","program":"x","meta":{}}"#.to_string() + "\n",
            "b.jsonl:1: the header's format is \"parity-trace/2\"",
        ),
        (r#"{"program":"x","meta":{}}"#.to_string() + "\n", "b.jsonl:1: the header has no \"format\""),
        (format!("{ok_record}\n"), "b.jsonl:1: the header has no \"format\""),
        (
            r#"{"format":"parity-trace/1","meta":{}}"#.to_string() + "\n",
            "b.jsonl:1: the header's \"program\" must be a string",
        ),
        (
            r#"{"format":"parity-trace/1","program":"x"}"#.to_string() + "\n",
            "b.jsonl:1: the header's \"meta\" must be a JSON object",
        ),
        (with("[1, 2]"), "b.jsonl:3: a record must be a JSON object"),
        (with(r#"{"tensors":{}}"#), "b.jsonl:3: \"at\" must be a non-empty list"),
        (with(r#"{"at":[],"tensors":{}}"#), "b.jsonl:3: \"at\" must be a non-empty list"),
        (with(r#"{"at":[1.5],"tensors":{}}"#), "b.jsonl:3: \"at\" must be a non-empty list"),
        (with(r#"{"at":[true],"tensors":{}}"#), "b.jsonl:3: \"at\" must be a non-empty list"),
        (with(r#"{"at":[1]}"#), "b.jsonl:3: \"tensors\" must be a JSON object"),
        (with(r#"{"at":[1],"at":[2],"tensors":{}}"#), "b.jsonl:3: the key \"at\" appears twice"),
        (
            with(&record(
                "[1]",
                &[tensor("w", "float32", &[1], "3f800000"), tensor("w", "float32", &[1], "3f800000")],
            )),
            "b.jsonl:3: the key \"w\" appears twice",
        ),
        (
            with(&record("[1]", &[tensor("w", "float32", &[2], "3f800000")])),
            "b.jsonl:3: tensor w: \"bits\" has 8 hex digits; float32 [2] needs 16",
        ),
        (
            with(&record("[1]", &[tensor("w", "float64", &[1], "3f800000")])),
            "b.jsonl:3: tensor w: \"bits\" has 8 hex digits; float64 [1] needs 16",
        ),
        (
            with(&record("[1]", &[tensor("w", "float32", &[1], "3f80000g")])),
            "b.jsonl:3: tensor w: \"bits\" must be lowercase hex digits; character 8 is \"g\"",
        ),
        (
            with(&record("[1]", &[tensor("w", "float32", &[1], "3F800000")])),
            "b.jsonl:3: tensor w: \"bits\" must be lowercase hex digits",
        ),
        (
            with(&record("[1]", &[tensor("m", "bool", &[2], "0002")])),
            "b.jsonl:3: tensor m: a bool element is 00 or 01, element 1 is 02",
        ),
        (
            with(&record("[1]", &[tensor("w", "float8", &[1], "3f")])),
            "b.jsonl:3: tensor w: unknown dtype \"float8\"",
        ),
        (
            with(&record("[1]", &[tensor("w", "torch.float32", &[1], "3f800000")])),
            "b.jsonl:3: tensor w: unknown dtype \"torch.float32\"",
        ),
        (
            with(r#"{"at":[1],"tensors":{"w":{"dtype":7,"shape":[1],"bits":"00"}}}"#),
            "b.jsonl:3: tensor w: unknown dtype 7",
        ),
        (
            with(r#"{"at":[1],"tensors":{"w":{"shape":[1],"bits":"00"}}}"#),
            "b.jsonl:3: tensor w: no \"dtype\"",
        ),
        (
            with(r#"{"at":[1],"tensors":{"w":{"dtype":"uint8","shape":[-1],"bits":""}}}"#),
            "b.jsonl:3: tensor w: the shape must be a list of non-negative integers, not [-1]",
        ),
        (
            with(r#"{"at":[1],"tensors":{"w":{"dtype":"uint8","shape":[1.0],"bits":"00"}}}"#),
            "b.jsonl:3: tensor w: the shape must be a list of non-negative integers, not [1.0]",
        ),
        (
            with(r#"{"at":[1],"tensors":{"w":{"dtype":"uint8","shape":["1"],"bits":"00"}}}"#),
            "b.jsonl:3: tensor w: the shape must be a list",
        ),
        (
            with(r#"{"at":[1],"tensors":{"w":{"dtype":"uint8","shape":1,"bits":"00"}}}"#),
            "b.jsonl:3: tensor w: the shape must be a list",
        ),
        (
            with(r#"{"at":[1],"tensors":{"w":{"dtype":"uint8","shape":[1]}}}"#),
            "b.jsonl:3: tensor w: no \"bits\"",
        ),
        (
            with(r#"{"at":[1],"tensors":{"w":{"dtype":"uint8","shape":[1],"bits":255}}}"#),
            "b.jsonl:3: tensor w: \"bits\" must be a string",
        ),
        (with(r#"{"at":[1],"tensors":{"w":[1,2]}}"#), "b.jsonl:3: tensor w: must be an object"),
        (with(&format!("{}{}", "[".repeat(100_000), "]".repeat(100_000))), "b.jsonl:3: "),
    ];
    for (b, says) in &cases {
        let (code, text) = compare(&good, b);
        assert_eq!(code, Some(2), "{says}: {text}");
        assert_eq!(text.lines().count(), 1, "{says}: one line: {text}");
        assert!(text.starts_with(&format!("cannot compare: {says}")), "expected {says:?}, got: {text}");
    }
    // A byte-order mark before the header is skipped, and counted in a byte's place.
    let (code, text) = compare(&good, &format!("\u{feff}{good}"));
    assert_eq!(code, Some(0), "{text}");
    let bom = scratch();
    std::fs::write(bom.path().join("a.jsonl"), &good).unwrap();
    std::fs::write(bom.path().join("b.jsonl"), [&b"\xef\xbb\xbf{\xff"[..], good.as_bytes()].concat())
        .unwrap();
    let (code, text, _) = compare_in(bom.path(), &[]);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.starts_with("cannot compare: b.jsonl:1: not UTF-8 (byte 5 of the line)"), "{text}");
    // Bytes that are not UTF-8, and the A side named just as well.
    let dir = scratch();
    std::fs::write(dir.path().join("a.jsonl"), format!("{HEADER}\n{ok_record}\n{ok_record}\n")).unwrap();
    let mut bad = format!("{HEADER}\n{ok_record}\n").into_bytes();
    bad.extend_from_slice(b"{\"at\":[\"\xff\"],\"tensors\":{}}\n");
    std::fs::write(dir.path().join("b.jsonl"), bad).unwrap();
    let (code, text, _) = compare_in(dir.path(), &[]);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.starts_with("cannot compare: b.jsonl:3: not UTF-8"), "{text}");
    let (code, text) = compare(&with("{"), &good);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.starts_with("cannot compare: a.jsonl:3: not JSON"), "{text}");
    // A malformed line after a difference is still found: both files are read to the end.
    let mut b = steps(Some((0, 0)));
    b.push("{oops".to_string());
    let (code, text) = compare(&good, &trace(&b));
    assert_eq!(code, Some(2), "{text}");
    assert!(text.starts_with("cannot compare: b.jsonl:7: not JSON"), "{text}");
    // And after the positions part.
    let mut b = steps(None);
    b[1] = b[1].replacen(r#"["train",0,1]"#, r#"["eval",0,1]"#, 1);
    b.push("{oops".to_string());
    let (code, text) = compare(&good, &trace(&b));
    assert_eq!(code, Some(2), "{text}");
    assert!(text.starts_with("cannot compare: b.jsonl:7: not JSON"), "{text}");
}

#[test]
fn missing_files_and_usage_errors_are_cannot_compare() {
    let dir = scratch();
    std::fs::write(dir.path().join("a.jsonl"), trace(&steps(None))).unwrap();
    let (code, text, _) = compare_in(dir.path(), &[]);
    assert_eq!(code, Some(2), "{text}");
    assert_eq!(text, "cannot compare: b.jsonl: cannot read: No such file or directory\n");
    std::fs::create_dir(dir.path().join("b.jsonl")).unwrap();
    let (code, text, _) = compare_in(dir.path(), &[]);
    assert_eq!(code, Some(2), "{text}");
    assert_eq!(text, "cannot compare: b.jsonl: cannot read: Is a directory\n");
    std::fs::remove_dir(dir.path().join("b.jsonl")).unwrap();
    std::fs::write(dir.path().join("b.jsonl"), trace(&steps(None))).unwrap();
    for (extra, says) in [
        (&["--names", "Rust"][..], "cannot compare: --names \"Rust\": two different, non-empty names"),
        (&["--names", "X,X"][..], "cannot compare: --names \"X,X\": two different"),
        (&["--names"][..], "cannot compare: argument --names: expected one argument"),
        (&["--tolerance", "1e-3"][..], "cannot compare: unrecognized arguments: --tolerance"),
        (&["c.jsonl"][..], "cannot compare: two trace files are needed, 3 given"),
    ] {
        let (code, text, _) = compare_in(dir.path(), extra);
        assert_eq!(code, Some(2), "{extra:?}: {text}");
        assert!(text.starts_with(says) && text.lines().count() == 1, "{extra:?}: {text}");
    }
    let (code, text, _) = compare_in(dir.path(), &["--names=One,Two"]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("\nOne: a.jsonl, ") && text.contains("\nTwo: b.jsonl, "), "{text}");
    let out = Command::new(root().join("scripts/parity.sh"))
        .args(["--compare", "a.jsonl"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stdout(&out).starts_with("cannot compare: argument --compare: expected 2 arguments"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn a_large_trace_is_compared_as_it_streams() {
    // 200,000 records of a scalar and a 2x2; B's last record is one ULP off.
    const N: usize = 200_000;
    let dir = scratch();
    for (file, bump) in [("a.jsonl", false), ("b.jsonl", true)] {
        let f = std::fs::File::create(dir.path().join(file)).unwrap();
        let mut w = std::io::BufWriter::new(f);
        writeln!(w, "{HEADER}").unwrap();
        for i in 0..N {
            let x = (i as f32 * 0.001).to_bits() + u32::from(bump && i == N - 1);
            writeln!(
                w,
                r#"{{"at":["train",{},{}],"tensors":{{"loss":{{"dtype":"float32","shape":[],"bits":"{x:08x}"}},"w":{{"dtype":"float32","shape":[2,2],"bits":"{:08x}{:08x}{:08x}{:08x}"}}}}}}"#,
                i / 1000,
                i % 1000,
                x,
                x + 1,
                x + 2,
                x + 3
            )
            .unwrap();
        }
        w.flush().unwrap();
    }
    let (code, text, err) = compare_in(dir.path(), &[]);
    assert_eq!(code, Some(1), "{text}{err}");
    has_line(&text, "positions compared: 200000");
    has_line(
        &text,
        r#"first difference: at ["train", 199, 999]: tensor loss: a value differs, at flat index 0"#,
    );
    has_line(
        &text,
        &format!(r#"last position where everything agreed: ["train", 199, 998] (A line {N}, B line {N})"#),
    );
    has_line(&text, "distance: 1 ULPs");
    assert_eq!(row(&text, "loss")[..6], ["loss", "float32", "200000", "1", "1", "1"]);
    assert_eq!(row(&text, "w")[..6], ["w", "float32", "200000", "1", "4", "1"]);
}

#[test]
fn the_docs_example_prints_what_the_docs_show() {
    // docs/parity-workbench.md: the two traces of "A real run", then the report.
    let doc = std::fs::read_to_string(root().join("docs/parity-workbench.md")).expect("the doc");
    let section = &doc[doc.find("A real run, on two short traces").expect("the example")..];
    let blocks: Vec<&str> = section
        .split("```")
        .skip(1)
        .step_by(2)
        .take(3)
        .map(|b| b.strip_prefix('\n').expect("a plain block"))
        .collect();
    let dir = scratch();
    std::fs::write(dir.path().join("rust.jsonl"), blocks[0]).unwrap();
    std::fs::write(dir.path().join("pytorch.jsonl"), blocks[1]).unwrap();
    let out = Command::new(root().join("scripts/parity.sh"))
        .args(["--compare", "rust.jsonl", "pytorch.jsonl", "--names", "Rust,PyTorch"])
        .current_dir(dir.path())
        .output()
        .expect("scripts/parity.sh runs");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(stdout(&out), blocks[2]);
    assert!(blocks[2].starts_with("DIFFERENT\n"));
}

#[test]
fn inputs_that_never_end_or_never_come_are_refused_in_one_line() {
    let dir = scratch();
    let d = dir.path();
    std::fs::write(d.join("a.jsonl"), trace(&steps(None))).unwrap();
    let fifo = d.join("fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo runs");
    assert!(made.success());
    let limit = 64 << 20;
    for (b, says) in [
        // An endless line, from a device: bounded, so memory stays small.
        ("/dev/zero", format!("cannot compare: /dev/zero:1: the line is longer than {limit} bytes, the most a line may be\n")),
        // A FIFO nobody writes to: waited for 10 s, then refused.
        ("fifo", "cannot compare: fifo: cannot read: nothing came in 10 s (a FIFO with no writer?)\n".to_string()),
    ] {
        let out = Command::new(root().join("scripts/parity.sh"))
            .args(["--compare", "a.jsonl", b])
            .current_dir(d)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{b}: {}", stderr(&out));
        assert_eq!(stdout(&out), says);
        assert!(stderr(&out).is_empty(), "{b}: {}", stderr(&out));
    }
    // Output that cannot be written, or whose reader goes away: one line or none, no traceback.
    for (redirect, code, err) in [
        (">/dev/full", 2, "cannot compare: writing to stdout: No space left on device\n"),
        (">&-", 0, ""),
        ("| head -c 1 >/dev/null", 0, ""),
    ] {
        let script = format!("set -o pipefail; \"$0\" --compare a.jsonl a.jsonl {redirect}");
        let scripts = root().join("scripts/parity.sh");
        let out = Command::new("bash").args(["-c", &script]).arg(&scripts).current_dir(d).output().unwrap();
        assert_eq!((out.status.code(), stderr(&out).as_str()), (Some(code), err), "{redirect}");
    }
}

/// The harness's one line gets out whatever stdout is: full (it goes to stderr
/// then), or strict about its encoding while the line quotes a file name that is
/// not UTF-8 (the name's bytes are escaped, `\udcff`, as on stderr).
#[test]
fn the_error_line_gets_out_when_stdout_cannot_take_it() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let dir = scratch();
    let odd = OsStr::from_bytes(b"\xff.jsonl");
    let compare: [&OsStr; 3] = ["--compare".as_ref(), odd, "b.jsonl".as_ref()];
    let recorded: [&OsStr; 4] = ["--recorded".as_ref(), odd, "--config".as_ref(), "--seed 0".as_ref()];
    for (args, strict) in [(&compare[..], true), (&recorded[..], true), (&compare[..], false)] {
        let mut command = Command::new(root().join("scripts/parity.sh"));
        command.args(args).current_dir(dir.path());
        if strict {
            command.env("PYTHONIOENCODING", "utf-8");
        } else {
            command.stdout(std::fs::File::create("/dev/full").expect("/dev/full"));
        }
        let out = command.output().expect("scripts/parity.sh runs");
        let text = stdout(&out) + &stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {text}");
        assert_eq!(text.lines().count(), 1, "{args:?}: {text}");
        assert!(text.contains(r"\udcff.jsonl") && text.contains("No such file"), "{args:?}: {text}");
    }
}
