//! Our float formatter against Python's own `repr`, run live.

mod common;

use sine_rnn::pyfmt::py_float;

#[test]
fn formats_floats_exactly_like_python_repr() {
    let mut values: Vec<f64> = vec![
        1e-05,
        0.0001,
        1e16,
        123456789.0,
        0.1,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
        5e-324,
        0.0,
        -0.0,
        1e15,
        9999999999999998.0,
        1e-4 * 0.99,
        4.6673707402078435e-05,
        2.853710651397705,
        1.7976931348623157e308,
        -1.5e-7,
        1e22,
        12345.678,
    ];
    // Every power of two a float32 can hold, and beside them, where a tie rounded
    // half to even may not read back.
    for e in -149..=127 {
        let p = 2f64.powi(e);
        values.extend([p, f64::from_bits(p.to_bits() - 1), f64::from_bits(p.to_bits() + 1)]);
    }
    // Every float32 the log can print is an f64 widened from an f32: add many.
    let mut state = 0x2545f4914f6cdd1du64;
    for _ in 0..2000 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        values.push(f32::from_bits((state >> 32) as u32) as f64);
        values.push(f64::from_bits(state));
    }
    let script = "import struct, sys\nfor line in sys.stdin:\n    print(repr(struct.unpack('<d', bytes.fromhex(line.strip()))[0]))\n";
    let input: String = values.iter().map(|v| format!("{}\n", hex(v.to_le_bytes()))).collect();
    let mut child = std::process::Command::new(common::root().join("scripts/python"))
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python runs");
    use std::io::Write;
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let expected: Vec<String> = String::from_utf8(out.stdout).unwrap().lines().map(String::from).collect();
    assert_eq!(expected.len(), values.len());
    for (v, want) in values.iter().zip(&expected) {
        assert_eq!(&py_float(*v), want, "bits {:016x}", v.to_bits());
    }
    // The edge cases of Python's format, spelled out.
    assert_eq!(&expected[..8], ["1e-05", "0.0001", "1e+16", "123456789.0", "0.1", "inf", "-inf", "nan"]);
    assert_eq!(expected[8], "5e-324");
}

fn hex(bytes: [u8; 8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn the_learning_rate_hint_reads_as_a_person_writes_it() {
    use sine_rnn::pyfmt::readable_tenth;
    assert_eq!(py_float(1e30 / 10.0), "1.0000000000000001e+29", "why the hint is not a division");
    for (lr, hint) in [(1e30, "1e+29"), (4.0, "0.4"), (0.1, "0.01"), (0.3, "0.03"), (2.5e-7, "2.5e-08")] {
        assert_eq!(readable_tenth(lr), hint, "lr {lr}");
    }
}
