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

/// Runs reference.py with `flags`, with neither kernel variable in its
/// environment but those of `env`; returns its stdout.
fn reference_stdout(flags: &[&str], env: &[(&str, &str)]) -> String {
    let mut cmd = common::golden::bare(root().join("scripts/python"));
    cmd.arg(root().join("scripts/reference.py")).args(flags).args(["--device", "cpu", "--no-plot"]);
    let dir = scratch();
    let out = cmd.envs(env.iter().copied()).current_dir(dir.path()).output().expect("scripts/python runs");
    assert!(out.status.success(), "reference.py {flags:?}: {}", stderr(&out));
    stdout(&out)
}

#[test]
fn machine_kernels_match_a_plain_pytorch_run_on_this_machine() {
    let flags = ["--seed", "4", "--epochs", "120"];
    let plain = reference_stdout(&[&flags[..], &["--cpu-kernels", "machine"]].concat(), &[]);
    let dir = scratch();
    let rust = common::golden::bare(common::BIN)
        .args(flags)
        .args(["--cpu-kernels", "machine", "--device", "cpu", "--no-plot"])
        .current_dir(dir.path())
        .output()
        .expect("the binary runs");
    assert_eq!(plain, stdout(&rust));
    // And the portable run is the golden one, whatever this CPU.
    let golden = std::fs::read_to_string(root().join("tests/golden/chaotic.stdout")).expect("golden stdout");
    let portable = reference_stdout(&["--seed", "4"], &[]);
    assert_eq!(portable, golden);
}

#[test]
fn the_golden_files_are_what_pytorch_writes_today() {
    let dir = scratch();
    let out = python(&[
        "scripts/golden.py",
        "--only",
        "tutorial",
        "--only",
        "generate",
        "--out",
        &path_str(dir.path()),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    for name in ["tutorial", "generate"] {
        for ext in ["stdout", "json", "safetensors"] {
            let file = format!("{name}.{ext}");
            let fresh = std::fs::read(dir.path().join(&file)).expect("written");
            let kept = std::fs::read(root().join("tests/golden").join(&file)).expect("kept");
            assert!(fresh == kept, "tests/golden/{file} is not what scripts/golden.py writes now");
        }
    }
}

/// `scripts/parity.sh --recorded FILE --config FLAGS` in a scratch directory.
fn recorded(log: &str, config: &str) -> (Option<i32>, String) {
    let dir = scratch();
    let file = dir.path().join("recorded.txt");
    std::fs::write(&file, log).expect("the log is written");
    let out = harness(&["--recorded", &path_str(&file), "--config", config]);
    (out.status.code(), stdout(&out) + &stderr(&out))
}

#[test]
fn a_log_recorded_with_the_portable_kernels_is_reproduced_as_is() {
    // PyTorch's log, from the golden files, with the lines a script prints around it.
    let golden = std::fs::read_to_string(root().join("tests/golden/tutorial.stdout")).expect("golden stdout");
    let log = format!("$ python tutorial.py\n{golden}(plot window closed)\n");
    let (code, text) = recorded(&log, "--seed 0");
    assert_eq!(code, Some(0), "{text}");
    assert!(text.starts_with("reproduced as is, with the portable kernels"), "{text}");
    assert!(text.contains("): 30 log lines identical\n"), "{text}");
    // The command runs as printed: the binary's own path.
    let command =
        format!("env -u MKL_CBWR -u ATEN_CPU_CAPABILITY {} --seed 0 --device cpu --no-plot", common::BIN);
    assert!(text.contains(&format!("\n  {command}\n")), "{text}");
    let out = Command::new("sh").args(["-c", &command]).current_dir(scratch().path()).output().unwrap();
    assert_eq!(stdout(&out), golden);
    // With a byte-order mark; cut short, with spaces at the ends of its lines; cut
    // mid-line (the partial line is not compared); with the flags it was run with,
    // spelled with `=`: the complete lines it has are compared.
    let short: String = golden.lines().take(5).map(|l| format!("{l}  \r\n")).collect();
    for (log, config) in [
        (format!("\u{feff}{short}"), "--seed 0 --device cpu --no-plot"),
        (format!("{short}Epoch: 50 loss 0.1"), "--seed=0 --epochs=300"),
    ] {
        let (code, text) = recorded(&log, config);
        assert_eq!(code, Some(0), "{text}");
        assert!(
            text.starts_with(
                "note: the log ends after 5 of the run's 30 lines; those are compared\nreproduced as is"
            ),
            "{config}: {text}"
        );
    }
    let (code, text) = recorded(&format!("{}\n", golden.lines().next().unwrap()), "--seed 0");
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("): 1 log line identical\n"), "{text}");
}

#[test]
fn a_log_that_no_kernel_setting_explains_is_not_reproduced_and_says_where() {
    let golden = std::fs::read_to_string(root().join("tests/golden/tutorial.stdout")).expect("golden stdout");
    let doctored = golden.replacen("Epoch: 60 loss 0.13", "Epoch: 60 loss 0.23", 1);
    assert_ne!(doctored, golden);
    let (code, text) = recorded(&doctored, "--seed 0");
    assert_eq!(code, Some(1), "{text}");
    let verdicts: Vec<&str> = text.lines().filter(|l| l.starts_with("not reproduced")).collect();
    assert_eq!(verdicts.len(), 1, "one verdict: {text}");
    assert!(
        verdicts[0].starts_with("not reproduced: first difference at line 7: recorded 'Epoch: 60 loss 0.23"),
        "{text}"
    );
    assert!(!text.contains("reproduced with:") && !text.contains("first line already differs"), "{text}");
    // Other flags than the log's: line 1 already differs, and the output says what that suggests.
    let (code, text) = recorded(&golden, "--seed 1");
    assert_eq!(code, Some(1), "{text}");
    assert!(text.starts_with("not reproduced: first difference at line 1: "), "{text}");
    assert!(text.contains("the first line already differs: were the flags of --config '--seed 1'"), "{text}");
}

/// parity.py's choice of settings for a CPU: (runnable, could not try).
fn settings(vendor: &str, flags: &str) -> (Vec<String>, Vec<String>) {
    let code = format!(
        "import sys; sys.path.insert(0, 'scripts'); import parity\n\
         run, untried = parity.settings({vendor:?}, set({flags:?}.split()))\n\
         print('|'.join(parity.words(s) for s in run)); print('|'.join(untried))"
    );
    let out = Command::new("python3").args(["-c", &code]).current_dir(root()).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let mut lines = text.lines().map(|l| l.split('|').filter(|s| !s.is_empty()).map(String::from).collect());
    (lines.next().unwrap_or_default(), lines.next().unwrap_or_default())
}

#[test]
fn recorded_names_the_settings_this_cpu_cannot_really_run() {
    let avx512 = "avx2 fma avx512f avx512bw avx512dq avx512vl avx512_vnni";
    // An AMD CPU with AVX-512: MKL's Intel paths fall back silently there, so only
    // the COMPATIBLE ones are run, and the others are named with the reason.
    let (run, untried) = settings("AuthenticAMD", avx512);
    assert_eq!(run[0], "MKL_CBWR=COMPATIBLE ATEN_CPU_CAPABILITY=avx2", "the portable setting first");
    assert!(run.iter().all(|s| s.starts_with("MKL_CBWR=COMPATIBLE ")), "{run:?}");
    assert_eq!(run.len(), 3, "{run:?}");
    assert_eq!(untried.len(), 9, "{untried:?}");
    assert!(
        untried.iter().all(|u| u.contains("needs an Intel CPU") && u.contains("AuthenticAMD")),
        "{untried:?}"
    );
    // The same flags on an Intel CPU: every setting runs.
    let (run, untried) = settings("GenuineIntel", avx512);
    assert_eq!((run.len(), untried.len()), (12, 0), "{run:?} {untried:?}");
    // An Intel CPU with AVX2 only: the AVX-512 settings need flags it lacks.
    let (run, untried) = settings("GenuineIntel", "avx2 fma");
    assert_eq!(run.len(), 4, "{run:?}");
    assert!(untried.iter().all(|u| u.contains("(needs avx512")), "{untried:?}");
}

#[test]
fn a_log_recorded_with_the_machines_kernels_is_traced_to_its_setting() {
    // A plain PyTorch run on this machine, and one with MKL's AVX2 path forced
    // and ATen's plain kernels (a log from some other kind of CPU).
    let mut logs = vec![(
        "--seed 4 --epochs 100",
        reference_stdout(&["--seed", "4", "--epochs", "100", "--cpu-kernels", "machine"], &[]),
    )];
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        let env = [("MKL_CBWR", "AVX2"), ("ATEN_CPU_CAPABILITY", "default")];
        logs.push(("--seed 3 --epochs 100", reference_stdout(&["--seed", "3", "--epochs", "100"], &env)));
    }
    for (config, log) in logs {
        let (code, text) = recorded(&log, config);
        if code == Some(0) {
            // This CPU's own kernels are the portable ones (as on AMD EPYC).
            assert!(text.starts_with("reproduced as is"), "{text}");
            continue;
        }
        assert_eq!(code, Some(1), "{text}");
        let command = text
            .lines()
            .skip_while(|l| !l.starts_with("reproduced with: "))
            .nth(1)
            .unwrap_or_else(|| panic!("{config}: not traced to a setting: {text}"));
        // The command it prints reproduces the log.
        let mut words = command.split_whitespace();
        let mut cmd = common::golden::bare(common::BIN);
        for setting in words.by_ref().take(2) {
            let (name, value) = setting.split_once('=').expect("NAME=value");
            cmd.env(name, value);
        }
        assert_eq!(words.next(), Some(common::BIN), "{command}");
        let out = cmd.args(words).current_dir(scratch().path()).output().expect("runs");
        assert_eq!(stdout(&out), log, "{config}: {command}");
    }
}

#[test]
fn a_recorded_log_that_cannot_be_compared_is_exit_2() {
    for (log, config, says) in [
        ("no log here\n", "--seed 0", "holds no complete `Epoch: <i> loss <total>` line"),
        ("Epoch: 0 loss 2.853710651397705", "--seed 0", "holds no complete `Epoch: <i> loss <total>` line"),
        ("Epoch: 0 loss 2.853710651397705\n", "", "--config: an empty configuration"),
        ("Epoch: 0 loss 2.853710651397705\n", "--seed 'oops", "--config"),
        ("Epoch: 0 loss 2.853710651397705\n", "--epochs abc", "sine-rnn did not run"),
    ] {
        let (code, text) = recorded(log, config);
        assert_eq!(code, Some(2), "{config}: {text}");
        assert!(text.starts_with("cannot compare: ") && text.contains(says), "{config}: {text}");
    }
    let golden = path_str(&root().join("tests/golden/tutorial.stdout"));
    for (extra, says) in [
        (&["--config", "--seed 0 --cpu-kernels machine"][..], "leave --cpu-kernels out of --config"),
        (&["--config", "--seed 0", "--tolerance", "1e-3"][..], "leave out --tolerance"),
        (&["--config", "--seed 0", "--rust-flags", "--backend native"][..], "leave out --rust-flags"),
    ] {
        let out = harness(&[&["--recorded", golden.as_str()][..], extra].concat());
        assert_eq!(out.status.code(), Some(2), "{extra:?}");
        assert!(
            stdout(&out).starts_with("cannot compare: ") && stdout(&out).contains(says),
            "{}",
            stdout(&out)
        );
    }
    let out = harness(&["--recorded", &golden]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stdout(&out).starts_with("cannot compare: --recorded needs exactly one --config"),
        "{}",
        stdout(&out)
    );
    for (log, says) in [
        (
            "/nonexistent/log.txt",
            "cannot compare: /nonexistent/log.txt: cannot read: No such file or directory\n",
        ),
        ("/", "cannot compare: /: cannot read: Is a directory\n"),
    ] {
        let out = harness(&["--recorded", log, "--config", "--seed 0"]);
        assert_eq!(out.status.code(), Some(2));
        assert_eq!(stdout(&out), says);
    }
}

#[test]
fn reference_py_names_the_kernels_as_the_binary_does() {
    let header = |program: &str, out: &std::process::Output| -> Vec<String> {
        let prefix = format!("{program}: ");
        stderr(out)
            .lines()
            .filter(|l| l.starts_with(&prefix) && !l.contains(" trained "))
            .map(|l| {
                let l = &l[prefix.len()..];
                // The two programs' own words before the kernels differ.
                l.find("CPU kernels").map_or(l, |k| &l[k..]).to_string()
            })
            .collect()
    };
    for (env, flags) in [
        (&[][..], &[][..]),
        (&[][..], &["--cpu-kernels", "machine"][..]),
        (&[("MKL_CBWR", "AVX2")][..], &[][..]),
        (&[("MKL_CBWR", "compatible")][..], &[][..]),
        (&[("MKL_CBWR", "COMPATIBLE")][..], &["--cpu-kernels=machine"][..]),
    ] {
        let args: Vec<&str> =
            ["--epochs", "1", "--no-plot", "--device", "cpu"].iter().chain(flags).copied().collect();
        let dir = scratch();
        let rs = common::golden::bare(common::BIN)
            .args(&args)
            .envs(env.iter().copied())
            .current_dir(dir.path())
            .output()
            .unwrap();
        let py = common::golden::bare(root().join("scripts/python"))
            .arg(root().join("scripts/reference.py"))
            .args(&args)
            .envs(env.iter().copied())
            .current_dir(dir.path())
            .output()
            .unwrap();
        let (r, p) = (header("sine-rnn", &rs), header("reference.py", &py));
        assert!(r[0].starts_with("CPU kernels "), "{r:?}");
        assert_eq!(r, p, "{env:?} {flags:?}");
        assert_eq!(stdout(&rs), stdout(&py), "{env:?} {flags:?}");
    }
}

#[test]
fn log_every_prints_the_same_epochs_on_both_sides() {
    let flags = ["--seed", "2", "--epochs", "30", "--log-every", "7"];
    let python = reference_stdout(&flags, &[]);
    let dir = scratch();
    let rust = sine_rnn(&[&flags[..], &["--device", "cpu", "--no-plot"]].concat(), dir.path());
    assert!(rust.status.success(), "{}", stderr(&rust));
    assert_eq!(python, stdout(&rust));
    let epochs: Vec<&str> = python.lines().filter_map(|l| l.split_whitespace().nth(1)).collect();
    assert_eq!(epochs, ["0", "7", "14", "21", "28"], "{python}");
}

/// What both programs must do with one flag's value.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Verdict {
    /// Taken, and the run is cheap enough to make: the same exit code and stdout.
    Runs,
    /// Taken, but a run would take hours: an output in a missing directory stops
    /// both right after the flags are read, with an error that names `--json` only.
    Parses,
    /// Refused: exit 2, with an error that names the flag.
    Refused,
}

#[test]
fn both_programs_take_the_same_values_up_to_each_limit_and_refuse_the_next() {
    use Verdict::{Parses, Refused, Runs};
    let cases = [
        // Each limit, the value past it, and the one below the least.
        ("--epochs", "0", Runs),
        ("--epochs", "10000000", Parses),
        ("--epochs", "10000001", Refused),
        ("--epochs", "-1", Refused),
        ("--seq-length", "1", Runs),
        ("--seq-length", "1000000", Parses),
        ("--seq-length", "1000001", Refused),
        ("--seq-length", "0", Refused),
        ("--hidden-size", "1", Runs),
        ("--hidden-size", "4096", Runs),
        ("--hidden-size", "4097", Refused),
        ("--hidden-size", "0", Refused),
        ("--generate", "0", Runs),
        ("--generate", "1000000", Parses),
        ("--generate", "1000001", Refused),
        ("--generate", "-1", Refused),
        ("--log-every", "1", Runs),
        ("--log-every", "10000000", Runs),
        ("--log-every", "10000001", Refused),
        ("--log-every", "0", Refused),
        ("--seed", "18446744073709551615", Runs),
        ("--seed", "18446744073709551616", Refused),
        ("--seed", "-0", Refused),
        // The learning rate as float32 sees it: the least one (7e-46 rounds to 0),
        // the largest (3.4028236e38 rounds to infinity), and past both.
        ("--lr", "1e-45", Runs),
        ("--lr", "7e-46", Refused),
        ("--lr", "1e-46", Refused),
        ("--lr", "3.4028235e38", Runs),
        ("--lr", "3.4028236e38", Refused),
        ("--lr", "1e39", Refused),
        // Numbers as Rust reads them: whole numbers unspaced, the seed and the
        // learning rate trimmed, no `_` in a float.
        ("--epochs", " 3", Refused),
        ("--seed", " 7", Runs),
        ("--lr", "1_0", Refused),
    ];
    let run = |(flag, value, verdict): (&str, &str, Verdict)| {
        let dir = scratch();
        let missing = path_str(&dir.path().join("missing/r.json"));
        let mut args = vec![flag, value, "--device", "cpu", "--no-plot"];
        for (base, v) in [("--epochs", "1"), ("--seq-length", "3")] {
            if base != flag {
                args.extend([base, v]);
            }
        }
        if verdict == Parses {
            args.extend(["--json", &missing]);
        }
        let rs = common::golden::bare(common::BIN).args(&args).current_dir(dir.path()).output().unwrap();
        let py = common::golden::bare(root().join("scripts/python"))
            .arg(root().join("scripts/reference.py"))
            .args(&args)
            .current_dir(dir.path())
            .output()
            .unwrap();
        let case = format!("{flag} '{value}'");
        assert_eq!(rs.status.code(), py.status.code(), "{case}: {}{}", stderr(&rs), stderr(&py));
        let (rs_says, py_says) = (stderr(&rs), stderr(&py));
        match verdict {
            Runs => {
                assert!(matches!(rs.status.code(), Some(0 | 3)), "{case}: {rs_says}");
                assert_eq!(stdout(&rs), stdout(&py), "{case}");
            }
            Parses => {
                assert_eq!(rs.status.code(), Some(2), "{case}");
                for said in [&rs_says, &py_says] {
                    assert!(said.contains("--json: ") && !said.contains(flag), "{case}: {said}");
                }
            }
            Refused => {
                assert_eq!(rs.status.code(), Some(2), "{case}");
                let last = |s: &str| s.lines().last().unwrap_or_default().to_string();
                for said in [last(&rs_says), last(&py_says)] {
                    assert!(said.contains(" error: ") && said.contains(flag), "{case}: {said}");
                }
                assert!(stdout(&rs).is_empty() && stdout(&py).is_empty(), "{case}");
            }
        }
    };
    // Four at a time: each case starts a Python (slow) and the binary.
    let cases = &cases;
    std::thread::scope(|s| {
        for k in 0..4 {
            s.spawn(move || cases.iter().skip(k).step_by(4).for_each(|c| run(*c)));
        }
    });
}
