//! The second model, ported end to end: examples/rnn_nn.py (nn.RNN, nn.Linear,
//! optim.SGD) and its tch port examples/rnn_nn.rs, traced by the two tracers and
//! compared as docs/parity-workbench.md ("Port your own model") says: bit-identical,
//! from PyTorch's weights and from the same seed; a learning rate one float32 ULP off
//! on the Rust side found at the documented position, tensor and index; weights that
//! cross Python → Rust → Python under PyTorch's names; and the tutorial's own form,
//! from the same weights, parting where the doc says.
//!
//! The traces are compared by the workbench's comparer (`scripts/parity.sh
//! --compare`), and, to name what the doc names, by a small comparison of this
//! test's own for this model's float32 tensors.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{path_str, root, scratch, stderr, stdout};
use serde_json::{json, Value};

/// Each record's tensors, in the order the computation makes them.
const NAMES: [&str; 11] = [
    "input",
    "hidden_in",
    "hidden_out",
    "pred",
    "loss",
    "rnn.weight_ih_l0.grad",
    "rnn.weight_hh_l0.grad",
    "linear.weight.grad",
    "rnn.weight_ih_l0",
    "rnn.weight_hh_l0",
    "linear.weight",
];

/// scripts/python with `args`, in `dir`; fails naming the fix when it cannot run torch.
fn python(args: &[&str], dir: &Path) -> Output {
    let fix = "run scripts/fetch_libtorch.sh --python to make the Python environment";
    let out = Command::new(root().join("scripts/python"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("scripts/python does not run ({e}); {fix}"));
    let err = stderr(&out);
    assert!(!err.contains("No module named") && !err.contains("scripts/python: error"), "{fix}:\n{err}");
    out
}

/// examples/rnn_nn.py with `args`, in `dir`; must succeed.
fn py(args: &[&str], dir: &Path) -> String {
    let script = path_str(&root().join("examples/rnn_nn.py"));
    let out = python(&[&[script.as_str()], args].concat(), dir);
    assert!(out.status.success(), "examples/rnn_nn.py {}: {}", args.join(" "), stderr(&out));
    stdout(&out)
}

/// examples/rnn_nn.rs with `args`, in `dir`.
fn rs_output(args: &[&str], dir: &Path) -> Output {
    Command::new(common::example("rnn_nn")).args(args).current_dir(dir).output().expect("the example runs")
}

fn rs(args: &[&str], dir: &Path) -> String {
    let out = rs_output(args, dir);
    assert!(out.status.success(), "examples/rnn_nn.rs {}: {}", args.join(" "), stderr(&out));
    stdout(&out)
}

/// A trace's lines: the header, checked, then the records.
fn trace(path: &Path) -> (String, Vec<String>) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines().map(String::from);
    let header = lines.next().expect("a header line");
    let h: Value = serde_json::from_str(&header).expect("the header is JSON");
    assert_eq!(h["format"], "parity-trace/1");
    assert!(h["meta"].is_object(), "{header}");
    (header, lines.collect())
}

/// Where two traces first part: the record's position, the tensor (in `NAMES`'
/// order), the flat index and both float32 bit patterns.
#[derive(Debug, PartialEq)]
struct Difference {
    at: Value,
    tensor: String,
    index: usize,
    left: u32,
    right: u32,
}

fn words(tensor: &Value) -> Vec<u32> {
    assert_eq!(tensor["dtype"], "float32", "this model traces float32 tensors");
    let bits = tensor["bits"].as_str().expect("bits");
    (0..bits.len() / 8).map(|k| u32::from_str_radix(&bits[8 * k..8 * k + 8], 16).expect("hex")).collect()
}

fn first_difference(left: &[String], right: &[String]) -> Option<Difference> {
    assert_eq!(left.len(), right.len(), "the two traces have as many records");
    for (l, r) in left.iter().zip(right) {
        let (l, r): (Value, Value) =
            (serde_json::from_str(l).expect("JSON"), serde_json::from_str(r).expect("JSON"));
        assert_eq!(l["at"], r["at"], "the records' positions");
        for name in NAMES {
            let (a, b) = (&l["tensors"][name], &r["tensors"][name]);
            assert_eq!(a["shape"], b["shape"], "{name}'s shape at {}", l["at"]);
            let (a, b) = (words(a), words(b));
            if let Some(index) = (0..a.len()).find(|&k| a[k] != b[k]) {
                let (at, tensor) = (l["at"].clone(), name.to_string());
                return Some(Difference { at, tensor, index, left: a[index], right: b[index] });
            }
        }
    }
    None
}

/// Distance in float32 ULPs, across zero too.
fn ulps(a: u32, b: u32) -> i64 {
    let ordered = |x: u32| if x >> 31 == 1 { -((x & 0x7fff_ffff) as i64) } else { x as i64 };
    (ordered(a) - ordered(b)).abs()
}

/// `scripts/parity.sh --compare a b`: the workbench's comparer for any two traces.
fn compare(a: &Path, b: &Path) -> Output {
    let (a, b) = (path_str(a), path_str(b));
    Command::new(root().join("scripts/parity.sh"))
        .args(["--compare", &a, &b])
        .output()
        .expect("parity.sh runs")
}

/// PyTorch's seeded weights for a configuration (`--epochs 0 --save-weights`).
fn initial_weights(config: &[&str], dir: &Path) -> String {
    let init = path_str(&dir.join("init.safetensors"));
    py(&[config, &["--epochs", "0", "--save-weights", &init]].concat(), dir);
    init
}

#[test]
fn the_port_is_bit_identical_to_pytorch_from_pytorchs_weights() {
    // The doc's run (the defaults: seed 0, 300 epochs, lr 0.1, 20 points, hidden 6)
    // and one of other sizes.
    let configs: [&[&str]; 2] =
        [&[], &["--seed", "3", "--epochs", "40", "--lr", "0.05", "--seq-length", "13", "--hidden-size", "9"]];
    std::thread::scope(|s| {
        for config in configs {
            s.spawn(move || {
                let dir = scratch();
                let d = dir.path();
                let init = initial_weights(config, d);
                let from = [config, &["--init-weights", init.as_str()]].concat();
                let rust_log = rs(&[&from[..], &["--trace", "rust.jsonl"]].concat(), d);
                let python_log = py(&[&from[..], &["--trace", "python.jsonl"]].concat(), d);
                assert!(rust_log.starts_with("Epoch: 0 loss "), "{rust_log}");
                assert_eq!(rust_log, python_log, "{config:?}: the logs");
                let ((rh, r), (ph, p)) = (trace(&d.join("rust.jsonl")), trace(&d.join("python.jsonl")));
                assert_eq!(first_difference(&p, &r), None, "{config:?}");
                assert!(r == p, "{config:?}: the record lines, byte for byte");
                let compared = compare(&d.join("python.jsonl"), &d.join("rust.jsonl"));
                assert_eq!(compared.status.code(), Some(0), "{config:?}: {}", stdout(&compared));
                let (rh, ph): (Value, Value) = (serde_json::from_str(&rh).unwrap(), serde_json::from_str(&ph).unwrap());
                assert_eq!((rh["program"].as_str(), ph["program"].as_str()), (Some("examples/rnn_nn.rs"), Some("examples/rnn_nn.py")));
                assert_eq!(rh["meta"]["hidden_size"], ph["meta"]["hidden_size"]);
                if config.is_empty() {
                    assert_eq!(r.len(), 300 * 20, "a record per step");
                    assert_eq!(rust_log.lines().last(), Some("Epoch: 290 loss 0.277622252702713"), "the doc's figure");
                    // The names in the computation's order, and the first record's position.
                    let first = &r[0];
                    let at: Vec<usize> = NAMES.iter().map(|n| first.find(&format!("\"{n}\":{{")).expect(n)).collect();
                    assert!(at.windows(2).all(|w| w[0] < w[1]), "the tensors in NAMES' order: {first}");
                    assert!(first.starts_with(r#"{"at":["train",0,0],"tensors":{"input":{"dtype":"float32","shape":[1,1,1],"bits":"3f68c7b7"}"#));
                }
            });
        }
    });
}

#[test]
fn the_seeded_draw_is_pytorchs_too() {
    let dir = scratch();
    let d = dir.path();
    let config = ["--seed", "5", "--epochs", "3", "--hidden-size", "7"];
    let rust_log =
        rs(&[&config[..], &["--trace", "rust.jsonl", "--save-weights", "r.safetensors"]].concat(), d);
    let python_log =
        py(&[&config[..], &["--trace", "python.jsonl", "--save-weights", "p.safetensors"]].concat(), d);
    assert_eq!(rust_log, python_log);
    let ((_, r), (_, p)) = (trace(&d.join("rust.jsonl")), trace(&d.join("python.jsonl")));
    assert_eq!(first_difference(&p, &r), None);
    assert!(r == p);
    let (rw, pw) = (tensors(&d.join("r.safetensors")), tensors(&d.join("p.safetensors")));
    assert_eq!(rw, pw, "the final weights");
    // And the draw itself: PyTorch's weights before training are the port's.
    let init = initial_weights(&["--seed", "5", "--hidden-size", "7"], d);
    rs(&["--seed", "5", "--hidden-size", "7", "--epochs", "0", "--save-weights", "r0.safetensors"], d);
    assert_eq!(tensors(Path::new(&init)), tensors(&d.join("r0.safetensors")));
}

/// A safetensors file's tensors: name, dtype, shape and bytes, sorted by name.
fn tensors(path: &Path) -> Vec<(String, String, Vec<usize>, Vec<u8>)> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let file = safetensors::SafeTensors::deserialize(&bytes).expect("safetensors");
    let mut all: Vec<_> = file
        .tensors()
        .into_iter()
        .map(|(name, t)| (name, format!("{:?}", t.dtype()), t.shape().to_vec(), t.data().to_vec()))
        .collect();
    all.sort();
    all
}

#[test]
fn a_learning_rate_one_ulp_off_is_found_where_the_doc_says() {
    let dir = scratch();
    let d = dir.path();
    let init = initial_weights(&[], d);
    // 0.1 as float32 is 0x3dcccccd; SGD's update rounds lr to float32, so the next one
    // up, 0x3dccccce, is one ULP off.
    let next = f32::from_bits(0.1f32.to_bits() + 1) as f64;
    assert_eq!(next.to_string(), "0.10000000894069672");
    let run = ["--epochs", "5", "--init-weights", init.as_str()];
    rs(&[&run[..], &["--trace", "rust.jsonl", "--lr", "0.10000000894069672"]].concat(), d);
    py(&[&run[..], &["--trace", "python.jsonl"]].concat(), d);
    let ((_, r), (_, p)) = (trace(&d.join("rust.jsonl")), trace(&d.join("python.jsonl")));
    let found = first_difference(&p, &r).expect("the traces differ");
    // The forward pass, the loss and the gradients of the first step agree; the first
    // value to differ is the first weight after that step's update.
    let documented = Difference {
        at: json!(["train", 0, 0]),
        tensor: "rnn.weight_ih_l0".into(),
        index: 0,
        left: 0x3a5b4d3d,
        right: 0x3a5b4d42,
    };
    assert_eq!(found, documented);
    assert_eq!(ulps(found.left, found.right), 5);
    assert_eq!(
        (f32::from_bits(found.left) as f64, f32::from_bits(found.right) as f64),
        (0.000836569641251117, 0.0008365699322894216)
    );
    // The workbench's comparer, which knows nothing of this model, says the same.
    let compared = compare(&d.join("python.jsonl"), &d.join("rust.jsonl"));
    assert_eq!(compared.status.code(), Some(1), "{}", stdout(&compared));
    let report = stdout(&compared);
    for line in [
        "DIFFERENT\n",
        "\nfirst value that differs: at [\"train\", 0, 0], tensor rnn.weight_ih_l0, flat index 0, index [0, 0] \
         (shape [6, 1], float32)\n",
        "\nA: 0.000836569641251117 (bits 3a5b4d3d)\nB: 0.0008365699322894216 (bits 3a5b4d42)\ndistance: 5 ULPs\n",
    ] {
        assert!(report.contains(line), "{line:?} not in:\n{report}");
    }
    // And it is where PyTorch itself parts, given the same learning rate.
    py(&[&run[..], &["--trace", "python_next.jsonl", "--lr", "0.10000000894069672"]].concat(), d);
    let (_, pn) = trace(&d.join("python_next.jsonl"));
    assert!(pn == r, "PyTorch with the same learning rate writes the Rust side's records");
}

#[test]
fn weights_cross_python_rust_python_under_pytorchs_names() {
    let dir = scratch();
    let d = dir.path();
    let init = initial_weights(&["--seed", "2"], d);
    // Python's seeded weights, 4 epochs in Rust, 3 more in Python...
    rs(&["--epochs", "4", "--init-weights", &init, "--save-weights", "rust.safetensors"], d);
    let names: Vec<(String, String, Vec<usize>)> =
        tensors(&d.join("rust.safetensors")).into_iter().map(|(n, t, s, _)| (n, t, s)).collect();
    let f32_named = |n: &str, s: &[usize]| (n.to_string(), "F32".to_string(), s.to_vec());
    assert_eq!(
        names,
        [
            f32_named("linear.weight", &[1, 6]),
            f32_named("rnn.weight_hh_l0", &[6, 6]),
            f32_named("rnn.weight_ih_l0", &[6, 1])
        ]
    );
    py(&["--epochs", "3", "--init-weights", "rust.safetensors", "--save-weights", "back.safetensors"], d);
    // ... are PyTorch's 7 epochs (each epoch starts from a zero hidden state; SGD keeps no state).
    py(&["--epochs", "7", "--init-weights", &init, "--save-weights", "python.safetensors"], d);
    assert_eq!(tensors(&d.join("back.safetensors")), tensors(&d.join("python.safetensors")));
    // PyTorch reads the Rust file under its own names.
    let out = python(
        &["-c", "from safetensors.torch import load_file; w = load_file('rust.safetensors'); print(sorted((k, tuple(v.shape)) for k, v in w.items()))"],
        d,
    );
    assert_eq!(
        stdout(&out).trim(),
        "[('linear.weight', (1, 6)), ('rnn.weight_hh_l0', (6, 6)), ('rnn.weight_ih_l0', (6, 1))]"
    );
}

#[test]
fn weights_that_do_not_fit_are_refused_by_both() {
    let dir = scratch();
    let d = dir.path();
    let init = initial_weights(&["--hidden-size", "4"], d);
    let out = rs_output(&["--init-weights", &init], d);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("--init-weights") && err.contains("init.safetensors") && err.contains("[4, 4]"),
        "{err}"
    );
    let script = path_str(&root().join("examples/rnn_nn.py"));
    let out = python(&[&script, "--init-weights", &init], d);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--init-weights"), "{}", stderr(&out));
    let out = rs_output(&["--init-weights", "missing.safetensors"], d);
    assert!(!out.status.success() && stderr(&out).contains("missing.safetensors"), "{}", stderr(&out));
}

#[test]
fn the_tutorials_own_form_from_the_same_weights_parts_where_the_doc_says() {
    let dir = scratch();
    let d = dir.path();
    let init = initial_weights(&[], d);
    // The doc's command: the same weights in the tutorial's layout.
    let rearrange = "import sys, torch; from safetensors.torch import load_file, save_file; \
        w = load_file(sys.argv[1]); \
        save_file({'w1': torch.cat((w['rnn.weight_ih_l0'].t(), w['rnn.weight_hh_l0'].t())).contiguous(), \
        'w2': w['linear.weight'].t().contiguous()}, sys.argv[2])";
    let out = python(&["-c", rearrange, &init, "tutorial.safetensors"], d);
    assert!(out.status.success(), "{}", stderr(&out));
    let reference = path_str(&root().join("scripts/reference.py"));
    let args =
        [&reference, "--no-plot", "--init-weights", "tutorial.safetensors", "--trace", "tutorial.jsonl"];
    let out = python(&args, d);
    assert!(out.status.success(), "{}", stderr(&out));
    rs(&["--init-weights", &init, "--trace", "rust.jsonl"], d);

    // The tutorial's trace (parity-trace/1 too) in this model's terms: w1 is
    // [W_ih^T; W_hh^T], w2 is W_lin^T.
    let text = std::fs::read_to_string(d.join("tutorial.jsonl")).expect("the tutorial's trace");
    let tutorial: Vec<Value> = text.lines().skip(1).map(|l| serde_json::from_str(l).expect("JSON")).collect();
    let tutorial: Vec<&Value> = tutorial.iter().filter(|r| r["at"][0] == "train").collect();
    let (_, rust) = trace(&d.join("rust.jsonl"));
    assert_eq!(tutorial.len(), rust.len());
    let hex = |record: &Value, name: &str| -> Vec<u32> { words(&record["tensors"][name]) };
    let transposed = |w: &[u32], rows: usize, cols: usize| -> Vec<u32> {
        (0..cols * rows).map(|k| w[(k % rows) * cols + k / rows]).collect()
    };
    let h = 6;
    let as_tutorial = |r: &Value, name: &str| -> Vec<u32> {
        let t = |n: &str| words(&r["tensors"][n]);
        match name {
            "grad_w1" | "w1" => {
                let g = if name == "w1" { "" } else { ".grad" };
                [t(&format!("rnn.weight_ih_l0{g}")), transposed(&t(&format!("rnn.weight_hh_l0{g}")), h, h)]
                    .concat()
            }
            "grad_w2" => t("linear.weight.grad"),
            "w2" => t("linear.weight"),
            "context_in" => t("hidden_in"),
            "context" => t("hidden_out"),
            other => t(other),
        }
    };
    let order = ["input", "context_in", "context", "pred", "loss", "grad_w1", "grad_w2", "w1", "w2"];
    let mut first = None;
    'steps: for (tut, r) in tutorial.iter().zip(&rust) {
        let r: Value = serde_json::from_str(r).expect("JSON");
        for name in order {
            let (a, b) = (hex(tut, name), as_tutorial(&r, name));
            if let Some(k) = (0..a.len()).find(|&k| a[k] != b[k]) {
                first = Some((r["at"].clone(), name, k, a[k], b[k]));
                break 'steps;
            }
        }
    }
    // Step 0 starts from a zero hidden state, where the two forms compute the same
    // forward pass and gradients; the update is SGD's add_(grad, alpha=-lr) against
    // the tutorial's w -= lr * grad, and one weight rounds one ULP apart.
    assert_eq!(first, Some((json!(["train", 0, 0]), "w1", 0, 0x3a5b4d3c, 0x3a5b4d3d)));
    assert_eq!(
        (f32::from_bits(0x3a5b4d3c) as f64, f32::from_bits(0x3a5b4d3d) as f64),
        (0.0008365695830434561, 0.000836569641251117)
    );

    // After 300 epochs: the last epoch's totals, summed in float32 as both programs do.
    let total = |losses: Vec<f32>| losses.iter().fold(0f32, |s, l| s + l) as f64;
    let last_epoch = |v: &[u32]| total(v.iter().map(|b| f32::from_bits(*b)).collect());
    let tut_last: Vec<u32> = tutorial[tutorial.len() - 20..].iter().flat_map(|t| hex(t, "loss")).collect();
    let rust_last: Vec<u32> = rust[rust.len() - 20..]
        .iter()
        .flat_map(|l| words(&serde_json::from_str::<Value>(l).expect("JSON")["tensors"]["loss"]))
        .collect();
    assert_eq!((last_epoch(&tut_last), last_epoch(&rust_last)), (0.29203444719314575, 0.2920270562171936));
}

#[test]
fn the_python_examples_failures_are_one_line_each() {
    use std::os::unix::fs::FileTypeExt;
    let dir = scratch();
    let d = dir.path();
    std::fs::write(d.join("not.safetensors"), "not safetensors").unwrap();
    let script = path_str(&root().join("examples/rnn_nn.py"));
    // (flags, exit code, what the one line on stderr says)
    let cases: [(&[&str], i32, &str); 5] = [
        (&["--epochs", "x"], 2, "rnn_nn.py: error: argument --epochs: "),
        (&["--init-weights", "not.safetensors"], 2, "rnn_nn.py: error: --init-weights not.safetensors: "),
        (
            &["--epochs", "1", "--trace", "no/dir/t.jsonl"],
            2,
            "rnn_nn.py: error: --trace no/dir/t.jsonl: No such file",
        ),
        (
            &["--epochs", "1", "--save-weights", "no/dir/w.st"],
            1,
            "rnn_nn.py: error: --save-weights no/dir/w.st: No such file",
        ),
        (
            &["--epochs", "1", "--save-weights", "/dev/full"],
            1,
            "rnn_nn.py: error: --save-weights /dev/full: No space left",
        ),
    ];
    for (args, code, says) in cases {
        let out = python(&[&[script.as_str()], args].concat(), d);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: one line: {err}");
        assert!(err.starts_with(says), "{args:?}: {err}");
    }
    // The device is written into, never replaced by a file.
    assert!(std::fs::metadata("/dev/full").unwrap().file_type().is_char_device());
    assert_eq!(std::fs::read_dir(d).unwrap().count(), 1, "nothing left but the input");
}
