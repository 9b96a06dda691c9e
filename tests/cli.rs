//! The binary end to end: the log, the plot, the exit codes, bad input.

mod common;

use common::{path_str, scratch, sine_rnn, stderr, stdout, BIN};
use std::process::Command;

#[test]
fn default_run_prints_30_lines_and_writes_a_png() {
    let dir = scratch();
    let out = sine_rnn(&[], dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 30);
    for (k, line) in lines.iter().enumerate() {
        let prefix = format!("Epoch: {} loss ", 10 * k);
        let value = line.strip_prefix(&prefix).unwrap_or_else(|| panic!("line {k}: {line}"));
        assert!(value.parse::<f64>().is_ok_and(|v| v.is_finite() && v > 0.0), "{line}");
    }
    // Nothing but the tutorial's lines on stdout; the rest went to stderr.
    assert!(stderr(&out).contains("device cpu") || stderr(&out).contains("device cuda"));
    let png = std::fs::read(dir.path().join("sine_wave.png")).expect("sine_wave.png written");
    let decoder = png::Decoder::new(std::io::Cursor::new(png));
    let reader = decoder.read_info().expect("a PNG that decodes");
    let info = reader.info();
    assert_eq!((info.width, info.height), (900, 600));
}

#[test]
fn svg_plot_and_json_record() {
    let dir = scratch();
    let out = sine_rnn(&["--epochs", "3", "--plot", "wave.svg", "--json", "run.json"], dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let svg = std::fs::read_to_string(dir.path().join("wave.svg")).expect("wave.svg written");
    assert!(svg.starts_with("<svg") && svg.contains("Actual") && svg.contains("Predicted"));
    let json = common::read_json(&dir.path().join("run.json"));
    assert_eq!(json["config"]["epochs"], 3);
    assert_eq!(json["epoch_losses"]["bits"].as_array().map(|a| a.len()), Some(3));
    assert_eq!(json["w1"]["shape"], serde_json::json!([7, 6]));
    assert_eq!(json["predictions"]["shape"], serde_json::json!([20]));
    // No temporary files left behind.
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.starts_with('.')), "{names:?}");
}

#[test]
fn generate_and_loss_plot() {
    let dir = scratch();
    let out = sine_rnn(
        &["--epochs", "50", "--generate", "25", "--loss-plot", "loss.svg", "--plot", "w.svg"],
        dir.path(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let wave = std::fs::read_to_string(dir.path().join("w.svg")).unwrap();
    assert!(wave.contains("Generated"));
    let loss = std::fs::read_to_string(dir.path().join("loss.svg")).unwrap();
    assert!(loss.contains("Total loss per epoch"));
    let png = sine_rnn(&["--epochs", "5", "--no-plot", "--loss-plot", "loss.png"], dir.path());
    assert!(png.status.success(), "{}", stderr(&png));
    let bytes = std::fs::read(dir.path().join("loss.png")).unwrap();
    png::Decoder::new(std::io::Cursor::new(bytes)).read_info().expect("a PNG that decodes");
}

#[test]
fn the_record_names_the_backend_and_keeps_the_generated_wave_without_a_plot() {
    let dir = scratch();
    let out = sine_rnn(&["--epochs", "20", "--no-plot", "--generate", "7", "--json", "r.json"], dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let json = common::read_json(&dir.path().join("r.json"));
    assert_eq!(json["backend"], "tch");
    assert_eq!(json["generated"]["shape"], serde_json::json!([7]));
    assert!(json["generated"]["values"].as_array().unwrap().iter().all(|v| v.is_f64()));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "only the record is written");
    let native =
        sine_rnn(&["--epochs", "2", "--no-plot", "--backend", "native", "--json", "n.json"], dir.path());
    assert!(native.status.success(), "{}", stderr(&native));
    let json = common::read_json(&dir.path().join("n.json"));
    assert_eq!(
        (json["backend"].as_str(), json["generated"]["shape"].clone()),
        (Some("native"), serde_json::json!([0]))
    );
}

#[test]
fn no_plot_writes_nothing() {
    let dir = scratch();
    let out = sine_rnn(&["--epochs", "1", "--no-plot"], dir.path());
    assert!(out.status.success());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn runs_with_no_environment_at_all() {
    // The run path baked in by build.rs finds libtorch: no LD_LIBRARY_PATH, no LIBTORCH.
    let dir = scratch();
    let out = Command::new(BIN)
        .args(["--epochs", "1", "--no-plot"])
        .env_clear()
        .current_dir(dir.path())
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).lines().count(), 1);
}

#[test]
fn bad_flags_exit_2_with_one_line_before_training() {
    let dir = scratch();
    let sub = dir.path().join("sub");
    std::fs::create_dir(&sub).unwrap();
    let missing = path_str(&dir.path().join("no/such/dir/x.png"));
    let cases: Vec<Vec<String>> = [
        vec!["--lr", "0"],
        vec!["--lr", "-0.1"],
        vec!["--lr", "nan"],
        vec!["--lr", "inf"],
        vec!["--lr", "abc"],
        vec!["--epochs", "-1"],
        vec!["--epochs", "1.5"],
        vec!["--epochs", "99999999999"],
        vec!["--hidden-size", "0"],
        vec!["--hidden-size", "100000"],
        vec!["--seq-length", "0"],
        vec!["--seq-length", "99999999999"],
        vec!["--device", "tpu"],
        vec!["--backend", "idiomatic"],
        vec!["--backend", "native", "--trace", "t.jsonl"],
        vec!["--generate", "-1"],
        vec!["--trace-epochs", "5..2", "--trace", "t.jsonl"],
        vec!["--trace-epochs", "abc", "--trace", "t.jsonl"],
        vec!["--trace-epochs", "3"],
        vec!["--seed", "x"],
        vec!["--seed", "-1"],
        vec!["--bogus"],
        vec!["--plot", "wave.jpg"],
        vec!["--plot", missing.as_str()],
        vec!["--plot", "sub.png"],
        vec!["--json", missing.as_str()],
        vec!["--json", "sub"],
        vec!["--lr", "1e-46"],
        vec!["--lr", "1e-300"],
        vec!["--lr", "1e39"],
        vec!["--log-every", "0"],
        vec!["--log-every", "-1"],
        vec!["--hidden-size", "-3"],
        vec!["--seq-length", "-5"],
        vec!["--json", "sub/"],
        vec!["--json", "--epochs", "3"],
        vec!["--plot", "x.svg", "--loss-plot", "./x.svg"],
    ]
    .iter()
    .map(|c| c.iter().map(|s| s.to_string()).collect())
    .collect();
    // "sub.png" as a directory:
    std::fs::create_dir(dir.path().join("sub.png")).unwrap();
    for case in cases {
        let args: Vec<&str> = case.iter().map(String::as_str).collect();
        let out = sine_rnn(&args, dir.path());
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{case:?}: {err}");
        assert!(out.stdout.is_empty(), "{case:?} trained");
        assert_eq!(err.lines().count(), 1, "{case:?}: {err}");
        assert!(err.starts_with("sine-rnn: error: "), "{case:?}: {err}");
        assert!(!err.contains("panicked"), "{case:?}: {err}");
    }
}

#[test]
fn a_reader_that_goes_away_does_not_fail_the_run() {
    // `sine-rnn 2>&1 | head -1`: both stdout and stderr lose their reader.
    let dir = scratch();
    let script = format!("set -o pipefail; '{BIN}' --epochs 30 --plot p.png 2>&1 | head -1 >/dev/null");
    let out = Command::new("bash").args(["-c", &script]).current_dir(dir.path()).output().unwrap();
    assert!(out.status.success(), "exit {:?}: {}", out.status.code(), stderr(&out));
    assert!(dir.path().join("p.png").exists(), "the plot was still written");
}

/// `--device cuda` trains on the GPU where there is a usable one, and is a
/// one-line usage error everywhere else; either way the outcome is asserted.
#[test]
fn device_cuda_uses_the_gpu_or_says_why_not() {
    let out = sine_rnn(&["--device", "cuda", "--epochs", "10", "--no-plot"], scratch().path());
    let err = stderr(&out);
    if common::gpu() {
        assert!(out.status.success(), "{err}");
        assert!(err.contains("device cuda:0"), "{err}");
        assert_eq!(stdout(&out).lines().count(), 1);
    } else {
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains("no usable NVIDIA GPU found") && err.contains("--device cpu"), "{err}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn divergence_prints_the_log_exits_3_and_keeps_the_old_plot() {
    let dir = scratch();
    let plot = dir.path().join("sine_wave.png");
    std::fs::write(&plot, b"previous good plot").unwrap();
    let out = sine_rnn(&["--lr", "4", "--seed", "11", "--epochs", "40"], dir.path());
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let text = stdout(&out);
    assert_eq!(text.lines().count(), 4);
    assert!(text.contains("loss nan"), "{text}");
    assert!(stderr(&out).contains("epoch 1"), "{}", stderr(&out));
    assert_eq!(std::fs::read(&plot).unwrap(), b"previous good plot");
}

#[test]
fn help_documents_every_flag() {
    let out = Command::new(BIN).arg("-h").output().unwrap();
    assert!(out.status.success());
    let help = stdout(&out);
    let flags = [
        "--seed",
        "--epochs",
        "--lr",
        "--seq-length",
        "--hidden-size",
        "--device",
        "--plot",
        "--no-plot",
        "--json",
        "--backend",
        "--generate",
        "--loss-plot",
        "--init-weights",
        "--save-weights",
        "--trace",
        "--trace-epochs",
        "--log-every",
        "--cpu-kernels",
    ];
    for flag in flags {
        assert!(help.contains(flag), "{flag} missing from --help");
    }
    // One line per flag: the name, what it does, its default.
    let flag_lines: Vec<&str> = help.lines().filter(|l| l.trim_start().starts_with("--")).collect();
    assert_eq!(flag_lines.len(), flags.len(), "{help}");
    assert!(flag_lines.iter().all(|l| l.split_whitespace().count() > 3), "{help}");
    // --help, the long form, says what each choice of --backend, --device and
    // --cpu-kernels means.
    let long = stdout(&Command::new(BIN).arg("--help").output().unwrap());
    for choice in ["- tch-manual:", "- native:", "- auto:", "- cuda:", "- portable:", "- machine:"] {
        let line =
            long.lines().find(|l| l.trim_start().starts_with(choice)).unwrap_or_else(|| panic!("{choice}"));
        assert!(line.split_whitespace().count() > 4, "{line}");
    }
}

#[test]
fn a_learning_rate_that_is_zero_in_float32_is_refused_with_the_smallest_that_works() {
    let out = sine_rnn(&["--lr", "1e-46"], scratch().path());
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "sine-rnn: error: invalid value '1e-46' for '--lr <LR>': the learning rate 1e-46 is 0 in float32, \
         which libtorch computes in; the smallest it takes is 1e-45 (see sine-rnn --help)\n"
    );
    // The smallest float32 itself trains (and changes nothing visible).
    let ok = sine_rnn(&["--lr", "1e-45", "--epochs", "1", "--no-plot"], scratch().path());
    assert!(ok.status.success(), "{}", stderr(&ok));
}

#[test]
fn negative_numbers_get_each_flags_own_message() {
    for (flag, expected) in [
        ("--generate", "invalid value '-1' for '--generate <N>': -1 is not in 0..=1000000"),
        ("--epochs", "invalid value '-1' for '--epochs <EPOCHS>': -1 is not in 0..=10000000"),
        ("--log-every", "invalid value '-1' for '--log-every <N>': -1 is not in 1..=10000000"),
        ("--seed", "the seed must be a whole number from 0 to 18446744073709551615"),
        ("--lr", "the learning rate must be a finite number > 0"),
    ] {
        let out = sine_rnn(&[flag, "-1"], scratch().path());
        assert_eq!(out.status.code(), Some(2));
        assert!(stderr(&out).contains(expected), "{flag}: {}", stderr(&out));
    }
}

#[test]
fn the_divergence_hint_is_a_readable_number() {
    let out = sine_rnn(&["--lr", "1e30", "--epochs", "2"], scratch().path());
    assert_eq!(out.status.code(), Some(3));
    assert!(stderr(&out)
        .contains("(lr 1e+30): training diverged; try a smaller --lr, e.g. 1e+29; no plot written"));
}

#[test]
fn log_every_sets_the_stdout_lines() {
    let out = sine_rnn(&["--epochs", "7", "--no-plot", "--log-every", "3"], scratch().path());
    assert!(out.status.success());
    let epochs: Vec<String> =
        stdout(&out).lines().map(|l| l.split(' ').nth(1).unwrap_or("").to_string()).collect();
    assert_eq!(epochs, ["0", "3", "6"]);
}

#[test]
fn a_closed_stdout_is_not_an_error_the_log_is_dropped() {
    // Rust's start-up code gives a closed stdout /dev/null, as most tools do:
    // the run goes on, and its files are written.
    let dir = scratch();
    let closed = Command::new("sh")
        .args(["-c", &format!("exec '{BIN}' --epochs 1 --no-plot --json r.json >&-")])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(closed.status.code(), Some(0), "{}", stderr(&closed));
    assert_eq!(common::read_json(&dir.path().join("r.json"))["epochs_completed"], 1);
}

#[test]
fn a_path_that_is_not_utf8_is_refused_by_every_path_flag_alike() {
    use std::os::unix::ffi::OsStrExt;
    let dir = scratch();
    for (flag, name) in
        [("--json", &b"\xff.json"[..]), ("--plot", &b"\xff.png"[..]), ("--loss-plot", &b"\xff.svg"[..])]
    {
        let out = Command::new(BIN)
            .arg(flag)
            .arg(std::ffi::OsStr::from_bytes(name))
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{flag}");
        assert_eq!(
            stderr(&out),
            "sine-rnn: error: invalid UTF-8 was detected in one or more arguments (see sine-rnn --help)\n",
            "{flag}"
        );
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn the_record_keeps_a_seed_above_2_to_the_53_exact() {
    let dir = scratch();
    let seed = "18446744073709551615";
    let out = sine_rnn(&["--seed", seed, "--epochs", "1", "--no-plot", "--json", "r.json"], dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let text = std::fs::read_to_string(dir.path().join("r.json")).unwrap();
    assert!(text.contains(&format!("\"seed_decimal\": \"{seed}\"")), "{text}");
    assert!(text.contains(&format!("\"seed\": {seed},")), "{text}");
    let json = common::read_json(&dir.path().join("r.json"));
    assert_eq!((json["interrupted"].as_bool(), json["epochs_completed"].as_u64()), (Some(false), Some(1)));
}

#[test]
fn no_progress_line_when_stderr_is_not_a_terminal() {
    let out = sine_rnn(&["--epochs", "400", "--no-plot"], scratch().path());
    assert!(out.status.success());
    let err = stderr(&out);
    assert!(!err.contains(" elapsed, ") && !err.contains("epoch 0/"), "{err}");
    assert!(!err.contains('\r') && !err.contains('\x1b'), "{err:?}");
    assert!(err.lines().all(|l| l.starts_with("sine-rnn: ")), "only the run's notes: {err}");
    assert_eq!(stdout(&out).lines().count(), 40);
}

#[test]
fn a_terminal_gets_a_progress_line_on_stderr_and_stdout_stays_the_log() {
    // script(1) gives the run a terminal; stdout goes to a file.
    let dir = scratch();
    let cmd = format!("'{BIN}' --epochs 1500 --no-plot > log.txt");
    let out = Command::new("script")
        .args(["-qec", &cmd, "typescript"])
        .current_dir(dir.path())
        .stdin(std::process::Stdio::null())
        .output()
        .expect("script(1) from util-linux runs");
    assert!(out.status.success(), "{}", stderr(&out));
    let screen = stdout(&out);
    assert!(screen.contains("epoch ") && screen.contains(" loss "), "{screen:?}");
    assert!(
        screen.contains(" steps/s, ") && screen.contains(" elapsed, ") && screen.contains(" left"),
        "{screen:?}"
    );
    let log = std::fs::read_to_string(dir.path().join("log.txt")).unwrap();
    assert_eq!(log.lines().count(), 150);
    assert!(log.lines().all(|l| l.starts_with("Epoch: ")), "{log}");
}
