//! The parity workbench: `--trace` on both sides, the first-difference report,
//! and weights that cross between PyTorch and Rust in safetensors files.

mod common;

use std::path::Path;
use std::process::Command;

use common::{path_str, python, root, scratch, sine_rnn, stderr, stdout};

/// scripts/reference.py with `args` (paths in them absolute: it runs from the root).
fn reference(args: &[&str]) -> std::process::Output {
    let script = path_str(&root().join("scripts/reference.py"));
    python(&[&[script.as_str()], args].concat())
}

fn lines(path: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines().map(|l| serde_json::from_str(l).expect("one JSON object per line")).collect()
}

#[test]
fn both_sides_trace_the_same_steps_bit_for_bit() {
    let dir = scratch();
    let (rs, py) = (dir.path().join("rs.jsonl"), dir.path().join("py.jsonl"));
    let flags = ["--seed", "3", "--epochs", "25", "--hidden-size", "4", "--seq-length", "7", "--no-plot"];
    let mut rs_args = flags.to_vec();
    let rs_path = path_str(&rs);
    rs_args.extend(["--device", "cpu", "--trace", &rs_path, "--trace-epochs", "10..=12"]);
    let out = sine_rnn(&rs_args, dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let mut py_args = flags.to_vec();
    let py_path = path_str(&py);
    let py_json = dir.path().join("py.json");
    let py_json_path = path_str(&py_json);
    py_args.extend([
        "--device",
        "cpu",
        "--trace",
        &py_path,
        "--trace-epochs",
        "10..=12",
        "--json",
        &py_json_path,
    ]);
    let out = reference(&py_args);
    assert!(out.status.success(), "{}", stderr(&out));

    let (r, p) = (lines(&rs), lines(&py));
    assert_eq!(
        (r[0]["format"].as_str(), p[0]["format"].as_str()),
        (Some("parity-trace/1"), Some("parity-trace/1"))
    );
    assert_eq!(
        (r[0]["meta"]["epochs"].clone(), p[0]["meta"]["epochs"].clone()),
        (serde_json::json!([10, 13]), serde_json::json!([10, 13]))
    );
    // A header, then epochs 10, 11 and 12 of 7 steps each (the training steps only).
    assert_eq!(r.len(), 1 + 3 * 7);
    assert_eq!(r[1..], p[1..], "the traced steps differ");
    // The comparer for any two traces says so too.
    let compared =
        Command::new(root().join("scripts/parity.sh")).args(["--compare", &rs_path, &py_path]).output();
    let compared = compared.expect("scripts/parity.sh runs");
    assert_eq!(compared.status.code(), Some(0), "{}", stdout(&compared));
    assert!(stdout(&compared).starts_with("IDENTICAL\n"), "{}", stdout(&compared));
    assert_eq!(r[1]["at"], serde_json::json!(["train", 10, 0]));
    // hidden 4: xh is 5 wide; w1 [5, 4], w2 [4, 1]; the loss is 0-dimensional.
    let mut shapes: Vec<(String, String)> = r[1]["tensors"]
        .as_object()
        .expect("named tensors")
        .iter()
        .map(|(name, t)| (name.clone(), t["shape"].to_string()))
        .collect();
    shapes.sort();
    let expected = [
        ("context", "[1,4]"),
        ("context_in", "[1,4]"),
        ("grad_w1", "[5,4]"),
        ("grad_w2", "[4,1]"),
        ("input", "[1,1]"),
        ("loss", "[]"),
        ("pred", "[1,1]"),
        ("w1", "[5,4]"),
        ("w2", "[4,1]"),
    ];
    assert_eq!(shapes, expected.map(|(n, s)| (n.to_string(), s.to_string())));
    assert_eq!(r[r.len() - 1]["at"], serde_json::json!(["train", 12, 6]));
    // The weights after the last traced step are the weights PyTorch ends with.
    let last = dir.path().join("last.jsonl");
    let mut args = flags.to_vec();
    let last_path = path_str(&last);
    args.extend(["--device", "cpu", "--trace", &last_path, "--trace-epochs", "24.."]);
    let out = sine_rnn(&args, dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let pytorch = common::read_json(&py_json);
    let traced = lines(&last);
    let final_step = &traced[7]; // the header, then steps 0..=6 of epoch 24
    assert_eq!(final_step["at"], serde_json::json!(["train", 24, 6]));
    for w in ["w1", "w2"] {
        let bits: Vec<&str> =
            pytorch[w]["bits"].as_array().unwrap().iter().map(|b| b.as_str().unwrap()).collect();
        assert_eq!(final_step["tensors"][w]["bits"], bits.concat(), "{w}");
    }
}

#[test]
fn the_default_trace_is_small_enough() {
    let dir = scratch();
    let out = sine_rnn(&["--no-plot", "--device", "cpu", "--trace", "t.jsonl"], dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let size = std::fs::metadata(dir.path().join("t.jsonl")).unwrap().len();
    assert!(size < 20_000_000, "{size} bytes");
    // A header and 300 epochs × 20 steps.
    assert_eq!(std::fs::read_to_string(dir.path().join("t.jsonl")).unwrap().lines().count(), 6001);
}

#[test]
fn a_trace_records_training_steps_only() {
    // With no epoch trained, both sides' traces are a header and nothing else: the
    // prediction pass is in the JSON record, not in the trace.
    let dir = scratch();
    let (rs, py) = (dir.path().join("rs.jsonl"), dir.path().join("py.jsonl"));
    let out = sine_rnn(&["--epochs", "0", "--no-plot", "--trace", &path_str(&rs)], dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let out = reference(&["--epochs", "0", "--no-plot", "--trace", &path_str(&py)]);
    assert!(out.status.success(), "{}", stderr(&out));
    for path in [&rs, &py] {
        let records = lines(path);
        assert_eq!(records.len(), 1, "{}: {records:?}", path.display());
        assert_eq!(records[0]["format"], "parity-trace/1");
    }
}

#[test]
fn the_harness_names_the_first_difference() {
    let out = Command::new(root().join("scripts/parity.sh"))
        .args([
            "--binary",
            common::BIN,
            "--config",
            "--seed 4 --epochs 12",
            "--perturb-lr-ulps",
            "1",
            "--trace",
        ])
        .output()
        .expect("scripts/parity.sh runs");
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}{}", stderr(&out));
    // The learning rate only enters the update: the first values to differ are
    // weights after the very first step, never its input, context, loss or gradients.
    // The traces are compared by the comparer of --compare, its report indented.
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("first difference:"))
        .expect("a first-difference line");
    assert!(
        line.starts_with(r#"first difference: at ["train", 0, 0]: tensor w1: a value differs"#)
            || line.starts_with(r#"first difference: at ["train", 0, 0]: tensor w2: a value differs"#),
        "{line}"
    );
    assert!(text.lines().any(|l| l.trim().starts_with("Python: ")), "{text}");
    let distance = text.lines().map(str::trim).find(|l| l.starts_with("distance: ")).expect("a distance");
    assert!(distance.ends_with(" ULPs") && distance != "distance: 0 ULPs", "{distance}");
    assert!(
        text.contains("  last position where everything agreed: none (they differ from the first position)"),
        "{text}"
    );
}

#[test]
fn a_side_that_cannot_run_is_not_called_different() {
    let out = Command::new(root().join("scripts/parity.sh"))
        .args(["--binary", common::BIN, "--python", "/nonexistent/python3", "--config", "--seed 1"])
        .output()
        .expect("scripts/parity.sh runs");
    assert_eq!(out.status.code(), Some(2));
    let text = stdout(&out);
    assert!(text.starts_with("cannot compare: the Python reference cannot run"), "{text}");
    assert!(!text.contains("DIFFERENT"), "{text}");
    // --device cuda: compared where a GPU is present, "cannot compare" where not.
    let out = Command::new(root().join("scripts/parity.sh"))
        .args(["--binary", common::BIN, "--config", "--seed 1 --epochs 2", "--device", "cuda"])
        .output()
        .expect("scripts/parity.sh runs");
    let text = stdout(&out);
    if common::gpu() {
        assert_eq!(out.status.code(), Some(0), "{text}");
        assert!(text.contains("verdict: IDENTICAL") && !text.contains("cannot compare"), "{text}");
    } else {
        assert_eq!(out.status.code(), Some(2), "{text}");
        assert!(
            text.contains("cannot compare: the Python side did not run") && !text.contains("DIFFERENT"),
            "{text}"
        );
    }
}

#[test]
fn weights_cross_from_pytorch_to_rust_and_back() {
    let dir = scratch();
    let (py_w, rs_w) =
        (path_str(&dir.path().join("py.safetensors")), path_str(&dir.path().join("rs.safetensors")));
    // PyTorch trains 40 epochs and saves; Rust and PyTorch each continue from that file.
    let out = reference(&[
        "--seed",
        "2",
        "--epochs",
        "40",
        "--no-plot",
        "--device",
        "cpu",
        "--save-weights",
        &py_w,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let more = ["--epochs", "30", "--no-plot", "--device", "cpu", "--init-weights"];
    let rs = sine_rnn(&[&more[..], &[py_w.as_str(), "--save-weights", &rs_w]].concat(), dir.path());
    assert!(rs.status.success(), "{}", stderr(&rs));
    let py = reference(&[&more[..], &[py_w.as_str()]].concat());
    assert!(py.status.success(), "{}", stderr(&py));
    assert_eq!(stdout(&rs), stdout(&py));
    // Continuing is not starting over: the first loss is far below a fresh start's.
    let fresh = sine_rnn(&["--seed", "2", "--epochs", "1", "--no-plot", "--device", "cpu"], dir.path());
    let first = |o: &std::process::Output| -> f64 {
        stdout(o)
            .lines()
            .next()
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .expect("a loss")
    };
    assert!(first(&rs) < first(&fresh) / 2.0, "{} vs {}", first(&rs), first(&fresh));
    // And back: PyTorch reads what Rust wrote, with the shapes and type it expects.
    let check = format!(
        "from safetensors.numpy import load_file\nt = load_file({rs_w:?})\nprint(sorted(t), t['w1'].shape, t['w2'].shape, t['w1'].dtype)"
    );
    let out = python(&["-c", &check]);
    assert_eq!(stdout(&out).trim(), "['w1', 'w2'] (7, 6) (6, 1) float32", "{}", stderr(&out));
}

#[test]
fn a_bad_weights_file_is_refused_before_training_on_both_sides() {
    let dir = scratch();
    let d = dir.path();
    std::fs::write(d.join("text.safetensors"), b"not a safetensors file at all").unwrap();
    // Files made by PyTorch's own safetensors package: a tensor missing, a float64, a nan.
    let make = format!(
        "import numpy as np\nfrom safetensors.numpy import save_file\nd = {:?}\n\
         w1, w2 = np.zeros((7, 6), np.float32), np.zeros((6, 1), np.float32)\n\
         save_file({{'w1': w1}}, d + '/only_w1.safetensors')\n\
         save_file({{'w1': w1.astype(np.float64), 'w2': w2}}, d + '/f64.safetensors')\n\
         w1[2, 3] = np.nan\nsave_file({{'w1': w1, 'w2': w2}}, d + '/nan.safetensors')\n\
         save_file({{'w1': np.zeros((9, 8), np.float32), 'w2': np.zeros((8, 1), np.float32)}}, d + '/h8.safetensors')\n",
        path_str(d)
    );
    let out = python(&["-c", &make]);
    assert!(out.status.success(), "{}", stderr(&out));
    for (file, says) in [
        ("missing.safetensors", "does not exist"),
        ("text.safetensors", "is not a safetensors file"),
        ("only_w1.safetensors", "has no tensor 'w2' (it holds: w1)"),
        ("f64.safetensors", "'w1' is F64, but the weights must be float32 (F32)"),
        ("nan.safetensors", "'w1' holds nan at index 15; weights must be finite"),
        ("h8.safetensors", "'w1' has shape [9, 8], but --hidden-size 6 needs [7, 6]"),
    ] {
        let path = path_str(&d.join(file));
        let rs = sine_rnn(&["--init-weights", &path, "--no-plot"], d);
        assert_eq!(rs.status.code(), Some(2), "{file}: {}", stderr(&rs));
        assert!(rs.stdout.is_empty(), "{file}: trained");
        let err = stderr(&rs);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.starts_with("sine-rnn: error: --init-weights: ") && err.contains(says), "{file}: {err}");
        let py = reference(&["--init-weights", &path, "--no-plot"]);
        assert_eq!(py.status.code(), Some(2), "{file}: {}", stderr(&py));
        assert!(py.stdout.is_empty(), "{file}: trained");
        refused_in_one_line(&py, says);
    }
}

/// reference.py's refusal of an --init-weights file: exit 2, one line on stderr
/// that names the flag and says `says`.
fn refused_in_one_line(py: &std::process::Output, says: &str) {
    let err = stderr(py);
    assert_eq!(py.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(err.starts_with("reference.py: error: --init-weights: ") && err.contains(says), "{says}: {err}");
}

/// A safetensors file of the given header (w1 of `dtype`, w2 float32, zeros).
fn write_typed(path: &Path, dtype: &str, bits: usize) {
    let (n1, n2) = (42 * bits / 8, 6 * 4);
    let header = format!(
        r#"{{"w1":{{"dtype":"{dtype}","shape":[7,6],"data_offsets":[0,{n1}]}},"w2":{{"dtype":"F32","shape":[6,1],"data_offsets":[{n1},{}]}}}}"#,
        n1 + n2
    );
    let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
    bytes.extend(header.as_bytes());
    bytes.resize(bytes.len() + n1 + n2, 0);
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn odd_weight_inputs_are_refused_by_both_sides_in_one_line() {
    let dir = scratch();
    let d = dir.path();
    for (dtype, bits) in [("BF16", 16), ("F8_E4M3", 8), ("F4", 4), ("C64", 64), ("U16", 16), ("U32", 32)] {
        write_typed(&d.join(format!("{dtype}.st")), dtype, bits);
    }
    std::fs::create_dir(d.join("adir")).unwrap();
    std::os::unix::fs::symlink("loop2", d.join("loop1")).unwrap();
    std::os::unix::fs::symlink("loop1", d.join("loop2")).unwrap();
    std::fs::write(d.join("empty.st"), [&8u64.to_le_bytes()[..], b"{}      "].concat()).unwrap();
    // Headers of odd shapes: a list, nested deeply, metadata that is no map.
    for (file, header) in [
        ("list.st", "[1,2]".to_string()),
        ("deep.st", format!("{}{}", "[".repeat(50_000), "]".repeat(50_000))),
        ("meta.st", r#"{"__metadata__":5}"#.to_string()),
    ] {
        std::fs::write(d.join(file), [&(header.len() as u64).to_le_bytes()[..], header.as_bytes()].concat())
            .unwrap();
    }
    let cases = [
        ("BF16.st", "'w1' is BF16, but the weights must be float32 (F32)"),
        ("F8_E4M3.st", "'w1' is F8_E4M3, but"),
        ("F4.st", "'w1' is F4, but"),
        ("C64.st", "'w1' is C64, but"),
        ("U16.st", "'w1' is U16, but"),
        ("U32.st", "'w1' is U32, but"),
        ("adir", "adir is a directory, not a safetensors file"),
        ("loop1", "cannot read loop1 (Too many levels of symbolic links"),
        ("BF16.st/", "cannot read BF16.st/ (Not a directory"),
        ("empty.st", "empty.st has no tensor 'w1' (it holds no tensors)"),
        ("", "--init-weights: the path is empty"),
        ("list.st", "list.st is not a safetensors file ("),
        ("deep.st", "deep.st is not a safetensors file ("),
        ("meta.st", "meta.st is not a safetensors file ("),
    ];
    for (file, says) in cases {
        let rs = sine_rnn(&["--init-weights", file, "--no-plot"], d);
        let err = stderr(&rs);
        assert_eq!(rs.status.code(), Some(2), "{file:?}: {err}");
        assert!(err.contains(says), "{file:?}: {err}");
        let py = Command::new(root().join("scripts/python"))
            .arg(root().join("scripts/reference.py"))
            .args(["--init-weights", file, "--no-plot"])
            .current_dir(d)
            .output()
            .unwrap();
        refused_in_one_line(&py, says);
    }
}

#[test]
fn an_error_quoting_a_huge_header_string_is_one_short_line_on_both_sides() {
    let dir = scratch();
    // A 20 MB dtype that ends with an escape character: both sides quote it, cut in
    // the middle to 1,000 characters, with the escape character shown escaped.
    let huge = format!("F32{}\\u001b", "x".repeat(20 << 20));
    let header = format!(r#"{{"w1":{{"dtype":"{huge}","shape":[7,6],"data_offsets":[0,168]}}}}"#);
    let path = dir.path().join("huge.st");
    std::fs::write(&path, [&(header.len() as u64).to_le_bytes()[..], header.as_bytes()].concat()).unwrap();
    let file = path_str(&path);
    let rs = sine_rnn(&["--init-weights", &file, "--no-plot"], dir.path());
    assert_eq!(rs.status.code(), Some(2), "{}", &stderr(&rs)[..300]);
    let py = reference(&["--init-weights", &file, "--no-plot"]);
    refused_in_one_line(&py, "is not a safetensors file (");
    for (err, prefix) in [(stderr(&rs), "sine-rnn: error: "), (stderr(&py), "reference.py: error: ")] {
        let message = err.trim_end().strip_prefix(prefix).unwrap().trim_end_matches(" (see sine-rnn --help)");
        let (start, rest) = message.split_once(" [\u{2026}").expect("a cut");
        let (count, end) = rest.split_once(" characters cut\u{2026}] ").expect("a cut");
        // 500 characters each side of the cut; the escape character is one of them.
        assert_eq!(start.chars().count(), 500, "{err}");
        assert!((500..=505).contains(&end.chars().count()), "{err}");
        assert!(count.parse::<usize>().unwrap() > 20_000_000, "{err}");
        assert!(end.contains(r"x\u{1b}`, expected") || end.contains(r"x\x1b`, expected"), "{err}");
    }
}

#[test]
fn an_endless_or_huge_weights_input_is_refused_at_once() {
    let dir = scratch();
    let sparse = dir.path().join("sparse.st");
    std::fs::File::create(&sparse).unwrap().set_len(1 << 30).unwrap();
    for file in ["/dev/zero", "/dev/urandom", sparse.to_str().unwrap()] {
        // Only the 8-byte header length is read: an endless device or a gigabyte
        // of zeros is refused at once. The run gets 256 MiB of data memory, so a
        // reader that took the file whole would abort instead of refusing it.
        let out = Command::new("sh")
            .args(["-c", "ulimit -d 262144 && exec \"$0\" \"$@\"", common::BIN])
            .args(["--init-weights", file, "--no-plot"])
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{file}: {}", stderr(&out));
        assert!(stderr(&out).contains("is not a safetensors file ("), "{file}: {}", stderr(&out));
    }
}

#[test]
fn the_harness_compares_traces_always_and_the_manual_trace_is_pytorchs() {
    // tch-manual's records were always PyTorch's; its traces now are too (the
    // sign of a zero gradient at each epoch's first step).
    let out = Command::new(root().join("scripts/parity.sh"))
        .args(["--binary", common::BIN, "--config", "--seed 0 --epochs 5", "--trace"])
        .args(["--rust-flags", "--backend tch-manual"])
        .output()
        .unwrap();
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    assert!(
        text.contains("no difference in the traced steps") && text.contains("verdict: IDENTICAL"),
        "{text}"
    );
}

#[test]
fn the_harness_never_crashes_on_bad_input() {
    let dir = scratch();
    let bad_json = dir.path().join("bad.sh");
    std::fs::write(
        &bad_json,
        "#!/bin/sh\nfor a; do [ \"$p\" = --json ] && echo '{bad' > \"$a\"; p=$a; done\n",
    )
    .unwrap();
    let no_keys = dir.path().join("nokeys.sh");
    std::fs::write(&no_keys, "#!/bin/sh\nfor a; do [ \"$p\" = --json ] && echo '{}' > \"$a\"; p=$a; done\n")
        .unwrap();
    for script in [&bad_json, &no_keys] {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let (bad, nokeys) = (path_str(&bad_json), path_str(&no_keys));
    let cases: [(&[&str], &str); 9] = [
        (&["--config", "--seed 'oops"], "cannot compare: --config \"--seed 'oops\": No closing quotation"),
        (
            &["--perturb-lr-ulps", "1", "--config", "--epochs 1 --lr"],
            "has no --lr that can be moved 1 float32 ULPs",
        ),
        (&["--config", "--epochs 1 --lr abc"], "cannot compare: 1 of 1 configurations could not run"),
        (
            &["--binary", &bad, "--config", "--epochs 1"],
            "the Rust side wrote a record that is not a sine-rnn record",
        ),
        (&["--binary", &nokeys, "--config", "--epochs 1"], "no float32 array 'data'"),
        (&["--seeds", ",,"], "--seeds: no seed in ',,'"),
        (&["--config", ""], "--config: an empty configuration"),
        (&["--tolerance", "-1"], "the tolerance must be a finite number >= 0"),
        (&["--tolerance", "nan"], "the tolerance must be a finite number >= 0"),
    ];
    for (args, says) in cases {
        let mut cmd = Command::new(root().join("scripts/parity.sh"));
        if !args.contains(&"--binary") {
            cmd.args(["--binary", common::BIN]);
        }
        let out = cmd.args(args).current_dir(dir.path()).output().unwrap();
        let text = stdout(&out) + &stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {text}");
        assert!(text.contains(says) && !text.contains("Traceback"), "{args:?}: {text}");
    }
}

#[test]
fn trace_epochs_get_the_same_verdict_from_both_sides() {
    let dir = scratch();
    let trace = path_str(&dir.path().join("t.jsonl"));
    for (range, ok, says) in [
        ("", false, "expected epochs as A..B"),
        ("\u{663}", false, "expected epochs as A..B"),
        ("1_0", false, "expected epochs as A..B"),
        ("-1", false, "expected epochs as A..B"),
        ("18446744073709551615", false, "the epochs of a run are 0 to 9999999 at most"),
        ("18446744073709551614..", false, "the epochs of a run are 0 to 9999999 at most"),
        ("5..9", false, "the range starts at epoch 5, but this run trains epochs 0 to 2"),
        ("2..9", true, ""),
        ("..=1", true, ""),
    ] {
        let args = ["--epochs", "3", "--no-plot", "--trace", &trace, "--trace-epochs", range];
        let rs = sine_rnn(&args, dir.path());
        let py = reference(&args);
        assert_eq!(rs.status.success(), ok, "{range:?}: {}", stderr(&rs));
        assert_eq!(py.status.success(), ok, "{range:?}: {}", stderr(&py));
        if !ok {
            assert_eq!((rs.status.code(), py.status.code()), (Some(2), Some(2)), "{range:?}");
            assert!(
                stderr(&rs).contains(says) && stderr(&py).contains(says),
                "{range:?}: {}{}",
                stderr(&rs),
                stderr(&py)
            );
            assert!(!stderr(&rs).contains("unexpected argument"), "{range:?}");
        }
    }
}

#[test]
fn a_binary_given_with_an_equals_sign_is_not_rebuilt() {
    // A `cargo` first on PATH that leaves a mark: the harness must not call it.
    let dir = scratch();
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let mark = dir.path().join("cargo-ran");
    std::fs::write(bin.join("cargo"), format!("#!/bin/sh\ntouch {}\n", mark.display())).unwrap();
    std::fs::set_permissions(bin.join("cargo"), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let out = Command::new(root().join("scripts/parity.sh"))
        .arg(format!("--binary={}", common::BIN))
        .args(["--config", "--epochs 1"])
        .env("PATH", path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    assert!(!mark.exists(), "parity.sh ran cargo although --binary=PATH was given");
}

/// reference.py in `dir` through `sh -c` (so that a test can close, fill or cut its
/// stdout, or limit its files), with `env`.
fn reference_sh(script: &str, env: &[(&str, &std::ffi::OsStr)], dir: &Path) -> std::process::Output {
    let python = root().join("scripts/python");
    let reference = root().join("scripts/reference.py");
    Command::new("bash")
        .args(["-c", &format!("set -o pipefail; {script}"), "sh"])
        .arg(python)
        .arg(reference)
        .envs(env.iter().copied())
        .current_dir(dir)
        .output()
        .unwrap()
}

#[test]
fn reference_py_ends_every_failure_in_one_line_and_leaves_nothing() {
    use std::os::unix::ffi::OsStrExt;
    let dir = scratch();
    let d = dir.path();
    let run = "\"$1\" \"$2\" --no-plot --device cpu";
    let not_ascii = std::ffi::OsStr::from_bytes(b"\xff");
    // (script, environment, exit code, the last line of stderr, or "" for none that is an error)
    type Env<'a> = &'a [(&'a str, &'a std::ffi::OsStr)];
    let cases: [(String, Env, i32, &str); 9] = [
        (format!("{run} --epochs 1 >&-"), &[], 0, ""),
        (format!("{run} --epochs 3000 --log-every 1 | head -c 10 >/dev/null"), &[], 0, ""),
        (format!("{run} --epochs 1 >/dev/full"), &[], 1, "reference.py: error: writing to stdout: No space left on device"),
        (format!("{run} --epochs 1 --json /dev/full"), &[], 1, "reference.py: error: cannot write --json /dev/full: No space left on device"),
        (format!("ulimit -f 16; {run} --epochs 40 --trace t.jsonl"), &[], 1, "reference.py: error: cannot write --trace t.jsonl: File too large"),
        (format!("{run} --epochs 1"), &[("ATEN_CPU_CAPABILITY", not_ascii)], 2, "reference.py: error: ATEN_CPU_CAPABILITY in the environment is not ASCII text; unset it or give a value such as avx2"),
        (format!("{run} --epochs 1"), &[("MKL_CBWR", not_ascii)], 2, "reference.py: error: MKL_CBWR in the environment is not ASCII text; unset it or give a value such as COMPATIBLE"),
        // As the binary takes flags: each once, and a path is never a negative number.
        (format!("{run} --epochs 1 --seed 1 --seed=2"), &[], 2, "reference.py: error: the argument '--seed' cannot be used multiple times"),
        (format!("{run} --epochs 1 --json -5"), &[], 2, "reference.py: error: unexpected argument '-5' found"),
    ];
    for (script, env, code, last) in cases {
        let out = reference_sh(&script, env, d);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(code), "{script}: {err}");
        assert!(!err.contains("Traceback") && !err.contains("Warning"), "{script}: {err}");
        let errors: Vec<&str> = err.lines().filter(|l| l.contains("error")).collect();
        assert_eq!(errors, if last.is_empty() { vec![] } else { vec![last] }, "{script}: {err}");
        assert_eq!(std::fs::read_dir(d).unwrap().count(), 0, "{script}: nothing left behind");
    }
    // The binary refuses the same flags.
    for args in [&["--seed", "1", "--seed=2"][..], &["--json", "-5"][..]] {
        assert_eq!(
            sine_rnn(&[args, &["--epochs", "1", "--no-plot"]].concat(), d).status.code(),
            Some(2),
            "{args:?}"
        );
    }
}

#[test]
fn reference_py_stopped_by_a_signal_says_so_and_leaves_nothing() {
    use std::io::BufRead;
    let dir = scratch();
    for (signal, code) in [(libc::SIGTERM, 143), (libc::SIGINT, 130)] {
        let mut child = Command::new(root().join("scripts/python"))
            .arg(root().join("scripts/reference.py"))
            .args([
                "--epochs",
                "10000000",
                "--no-plot",
                "--device",
                "cpu",
                "--trace",
                "t.jsonl",
                "--json",
                "r.json",
            ])
            .current_dir(dir.path())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
        assert!(first.starts_with("Epoch: 0 "), "{first}");
        // SAFETY: kill(2) on the child's own pid.
        unsafe { libc::kill(child.id() as i32, signal) };
        let out = child.wait_with_output().unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(code), "{err}");
        let name = if signal == libc::SIGTERM { "SIGTERM" } else { "SIGINT" };
        assert_eq!(
            err.lines().last(),
            Some(format!("reference.py: error: stopped by {name}").as_str()),
            "{err}"
        );
        assert!(!err.contains("Traceback"), "{err}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "nothing left behind");
    }
}
