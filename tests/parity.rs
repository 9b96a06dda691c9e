//! Parity with PyTorch, run live: for every configuration in
//! tests/parity_configs.txt, scripts/reference.py and our binary (both libtorch
//! backends: autograd, and the hand-written backward pass) must print the same
//! bytes on stdout, exit the same way, and report bit-identical float32s (every
//! epoch's loss, the predictions, the final w1 and w2, the generated wave).
//! Then the harness itself must notice a one-ULP change in the learning rate.

mod common;

use common::{path_str, python, root, scratch, sine_rnn, stderr, stdout};
use std::process::Command;

fn configs() -> Vec<String> {
    let text = std::fs::read_to_string(root().join("tests/parity_configs.txt")).expect("parity_configs.txt");
    text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(String::from).collect()
}

/// Runs the reference once, then our binary with each libtorch backend, and
/// demands the same bytes and bits from each.
fn check(config: &str) {
    let dir = scratch();
    let mut flags: Vec<String> = config.split_whitespace().map(String::from).collect();
    flags.extend(["--device", "cpu", "--no-plot"].map(String::from));
    let with = |extra: &[&str], json: &str| -> Vec<String> {
        let mut f = flags.clone();
        f.extend(extra.iter().map(|s| s.to_string()));
        f.extend(["--json".to_string(), path_str(&dir.path().join(json))]);
        f
    };
    let reference = path_str(&root().join("scripts/reference.py"));
    let py_args = with(&[], "py.json");
    let py = python(
        &std::iter::once(reference.as_str()).chain(py_args.iter().map(String::as_str)).collect::<Vec<_>>(),
    );
    assert!(
        py.status.code().is_some_and(|c| c == 0 || c == 3),
        "{config}: reference failed: {}",
        stderr(&py)
    );
    let p = common::read_json(&dir.path().join("py.json"));

    for backend in ["tch", "tch-manual"] {
        let json = format!("{backend}.json");
        let rs_args = with(&["--backend", backend], &json);
        let rs = sine_rnn(&rs_args.iter().map(String::as_str).collect::<Vec<_>>(), dir.path());
        assert_eq!(stdout(&py), stdout(&rs), "{config} --backend {backend}: stdout differs");
        assert_eq!(py.status.code(), rs.status.code(), "{config} --backend {backend}: exit codes differ");
        let r = common::read_json(&dir.path().join(&json));
        for key in ["data", "epoch_losses", "predictions", "w1", "w2", "generated"] {
            assert_eq!(p[key]["shape"], r[key]["shape"], "{config} --backend {backend}: {key} shape");
            assert_eq!(
                p[key]["bits"], r[key]["bits"],
                "{config} --backend {backend}: {key} not bit-identical"
            );
        }
        assert_eq!(p["time_steps"], r["time_steps"], "{config}: time steps");
    }
}

#[test]
fn rust_and_pytorch_agree_bit_for_bit_on_every_test_configuration() {
    let configs = configs();
    assert!(configs.len() >= 8);
    // Two at a time: each pair is one Python process (slow start) and one of ours.
    std::thread::scope(|s| {
        let (even, odd): (Vec<_>, Vec<_>) = configs.iter().enumerate().partition(|(i, _)| i % 2 == 0);
        for half in [even, odd] {
            s.spawn(move || half.into_iter().for_each(|(_, c)| check(c)));
        }
    });
}

fn harness(args: &[&str]) -> std::process::Output {
    Command::new(root().join("scripts/parity.sh"))
        .args(["--binary", common::BIN])
        .args(args)
        .output()
        .expect("scripts/parity.sh runs")
}

#[test]
fn harness_reports_identical_runs_as_identical() {
    let out = harness(&["--config", "--seed 4 --epochs 12"]);
    let text = stdout(&out);
    assert!(out.status.success(), "{text}{}", stderr(&out));
    assert!(text.contains("verdict: IDENTICAL"), "{text}");
}

#[test]
fn harness_detects_a_learning_rate_one_ulp_off() {
    // With and without an explicit --lr: the perturbed value replaces it.
    for config in ["--seed 4 --epochs 12", "--seed 4 --epochs 12 --lr 0.05"] {
        let out = harness(&["--config", config, "--perturb-lr-ulps", "1"]);
        let text = stdout(&out);
        assert_eq!(out.status.code(), Some(1), "{text}{}", stderr(&out));
        assert!(text.contains("verdict: DIFFERENT"), "{text}");
        // Different for the right reason: both ran and wrote their records, and
        // the numbers moved; not a crash or a usage error on one side.
        assert!(!text.contains("wrote no JSON") && !text.contains("exit codes differ"), "{text}");
        assert!(text.contains("stdout differs"), "{text}");
        let w1 = text.lines().find(|l| l.trim_start().starts_with("w1:")).expect("a w1 line");
        assert!(!w1.contains("max difference     0 ULPs"), "{w1}");
    }
}
