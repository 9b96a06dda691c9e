//! PyTorch's time-sequence prediction example and its port
//! (examples/time_sequence.py, examples/time_sequence.rs):
//! - the port against PyTorch's goldens with no Python: stdout byte for byte, every
//!   traced float64 bit for bit, a diverging run's NaNs included;
//! - the two sides live on a configuration no golden has, and a learning rate one
//!   ULP off located by the comparer;
//! - the command line as argparse reads it, bad flags refused alike before any
//!   training, and failures while running one line and exit 1 on both sides;
//! - the port compiled outside this workspace, the parity-trace crate its only tie.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{example, path_str, root, scratch, stderr, stdout};
use sha2::{Digest, Sha256};

const GOLDEN: &str = "tests/golden/time_sequence";

/// The command that runs one side of the port: "rust" or "python".
fn program(name: &str) -> Command {
    match name {
        "rust" => Command::new(example("time_sequence")),
        _ => {
            let mut c = Command::new(root().join("scripts/python"));
            c.arg(root().join("examples/time_sequence.py"));
            c
        }
    }
}

/// One side of the port run with exactly `args` in `dir`.
fn side(name: &str, args: &[&str], dir: &Path) -> Output {
    program(name).args(args).current_dir(dir).output().unwrap_or_else(|e| {
        panic!("{name} side: {e} (scripts/fetch_libtorch.sh --python makes scripts/python)")
    })
}

/// The Rust port with `flags` on the CPU, drawing nothing, tracing into `dir`, on
/// two threads as the goldens were made (a large sum's bits depend on the count).
fn rust(flags: &[&str], dir: &Path) -> Output {
    let fixed = ["--device", "cpu", "--no-plot", "--threads", "2", "--trace", "rust.jsonl"];
    side("rust", &[flags, &fixed].concat(), dir)
}

/// The PyTorch twin, likewise.
fn python(flags: &[&str], dir: &Path) -> Output {
    let fixed = ["--device", "cpu", "--no-plot", "--threads", "2", "--trace", "python.jsonl"];
    side("python", &[flags, &fixed].concat(), dir)
}

/// A trace's record lines: everything after the header, which names the program.
fn records(trace: &str) -> Vec<&str> {
    trace.lines().skip(1).collect()
}

/// The golden configurations: name, what is kept, flags.
fn configs() -> Vec<(String, String, Vec<String>)> {
    let text = std::fs::read_to_string(root().join(GOLDEN).join("configs.txt")).expect("configs.txt");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let mut words = l.split_whitespace().map(String::from);
            let (name, keep) = (words.next().expect("a name"), words.next().expect("trace or digest"));
            (name, keep, words.collect())
        })
        .collect()
}

/// Runs the port on one golden configuration and holds it to PyTorch's stdout
/// and trace; a difference names its first line and the command that names the value.
fn check_golden(name: &str, keep: &str, flags: &[String]) {
    let dir = scratch();
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let out = rust(&flags, dir.path());
    assert!(out.status.success(), "{name}: {}", stderr(&out));
    let golden = |ext: &str| {
        let path = root().join(GOLDEN).join(format!("{name}.{ext}"));
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    };
    let expected = golden("stdout");
    assert!(!expected.is_empty(), "{name}.stdout is empty");
    if let Some(k) = stdout(&out).lines().zip(expected.lines()).position(|(a, b)| a != b) {
        panic!(
            "{name}: stdout line {} is {:?}, PyTorch printed {:?}",
            k + 1,
            stdout(&out).lines().nth(k),
            expected.lines().nth(k)
        );
    }
    assert_eq!(stdout(&out), expected, "{name}: stdout differs in length");

    let trace = std::fs::read_to_string(dir.path().join("rust.jsonl")).expect("the trace");
    let ours = records(&trace);
    let compare = format!("scripts/parity.sh --compare {GOLDEN}/{name}.jsonl rust.jsonl");
    match keep {
        "trace" => {
            let golden = golden("jsonl");
            let theirs = records(&golden);
            if let Some(k) = ours.iter().zip(&theirs).position(|(a, b)| a != b) {
                let at: serde_json::Value = serde_json::from_str(ours[k]).expect("a record");
                panic!(
                    "{name}: record {} (at {}) differs from PyTorch's; {compare} names the value",
                    k + 1,
                    at["at"]
                );
            }
            assert_eq!(ours.len(), theirs.len(), "{name}: the number of records differs");
        }
        "digest" => {
            let mut hash = Sha256::new();
            for line in ours {
                hash.update(line);
                hash.update("\n");
            }
            let hex: String = hash.finalize().iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!(hex, golden("sha256").trim(), "{name}: the trace differs from PyTorch's");
        }
        other => panic!("configs.txt: {name}: keep is trace or digest, not {other}"),
    }
}

#[test]
fn the_port_matches_pytorchs_goldens_on_small_configurations() {
    let small: Vec<_> = configs().into_iter().filter(|(_, keep, _)| keep == "trace").collect();
    // Every whole trace kept is checked: none is left behind by a line gone from configs.txt.
    let mut kept: Vec<String> = std::fs::read_dir(root().join(GOLDEN))
        .expect("the goldens")
        .filter_map(|e| e.ok()?.file_name().to_str()?.strip_suffix(".jsonl").map(String::from))
        .collect();
    let mut named: Vec<String> = small.iter().map(|(name, _, _)| name.clone()).collect();
    kept.sort();
    named.sort();
    assert_eq!(kept, named, "the .jsonl goldens and the trace lines of configs.txt");
    for (name, keep, flags) in small {
        check_golden(&name, &keep, &flags);
    }
}

/// The original's defaults, one L-BFGS step: about a minute and a half on a 2-core VM.
#[test]
fn the_port_matches_pytorchs_golden_at_full_size() {
    let full: Vec<_> = configs().into_iter().filter(|(_, keep, _)| keep == "digest").collect();
    assert_eq!(full.len(), 1, "configs.txt has one full-size configuration");
    for (name, keep, flags) in full {
        check_golden(&name, &keep, &flags);
    }
}

/// A configuration no golden has, run by both sides now.
const LIVE: [&str; 16] = [
    "--hidden",
    "5",
    "--sequences",
    "6",
    "--length",
    "17",
    "--period",
    "6",
    "--data-seed",
    "11",
    "--seed",
    "3",
    "--future",
    "9",
    "--steps",
    "2",
];

#[test]
fn both_sides_live_print_the_same_and_trace_the_same_bits() {
    let dir = scratch();
    let flags = [&LIVE[..], &["--lr", "0.9"]].concat();
    let (r, p) = (rust(&flags, dir.path()), python(&flags, dir.path()));
    assert!(r.status.success() && p.status.success(), "{}{}", stderr(&r), stderr(&p));
    assert_eq!(stdout(&r), stdout(&p));
    assert_eq!(stdout(&r).lines().filter(|l| l.starts_with("STEP: ")).count(), 2);
    let read = |f: &str| std::fs::read_to_string(dir.path().join(f)).expect("a trace");
    let (rt, pt) = (read("rust.jsonl"), read("python.jsonl"));
    assert!(records(&rt).len() > 40, "every evaluation and iteration is traced");
    assert_eq!(records(&rt), records(&pt));
    let cmp = Command::new(root().join("scripts/parity.sh"))
        .args(["--compare", "python.jsonl", "rust.jsonl"])
        .current_dir(dir.path())
        .output()
        .expect("parity.sh runs");
    assert!(cmp.status.success(), "{}{}", stdout(&cmp), stderr(&cmp));
    assert!(stdout(&cmp).starts_with("IDENTICAL"), "{}", stdout(&cmp));
}

#[test]
fn a_learning_rate_one_ulp_off_is_found_at_the_first_iteration() {
    let dir = scratch();
    let off = f64::from_bits(0.8f64.to_bits() + 1).to_string();
    let (r, p) = (rust(&[&LIVE[..], &["--lr", &off]].concat(), dir.path()), python(&LIVE, dir.path()));
    assert!(r.status.success() && p.status.success(), "{}{}", stderr(&r), stderr(&p));
    let cmp = Command::new(root().join("scripts/parity.sh"))
        .args(["--compare", "python.jsonl", "rust.jsonl"])
        .current_dir(dir.path())
        .output()
        .expect("parity.sh runs");
    let report = stdout(&cmp);
    assert_eq!(cmp.status.code(), Some(1), "{report}{}", stderr(&cmp));
    assert!(report.contains(r#"first difference: at ["iter", 0, 0]: tensor step_size"#), "{report}");
    assert!(report.contains("distance: 1 ULPs"), "{report}");
    assert!(report.contains(r#"last position where everything agreed: ["eval", 0, 0]"#), "{report}");
}

/// A run of one short step that draws its plot: a bad flag given after it must
/// stop the program before any training (the last of a repeated flag wins).
const QUICK: [&str; 16] = [
    "--device",
    "cpu",
    "--threads",
    "2",
    "--steps",
    "1",
    "--hidden",
    "1",
    "--sequences",
    "4",
    "--length",
    "2",
    "--period",
    "1",
    "--future",
    "0",
];

#[test]
fn bad_flags_are_one_line_and_exit_2_on_both_sides() {
    let dir = scratch();
    for name in ["rust", "python"] {
        let out = side(name, &QUICK, dir.path());
        assert!(out.status.success(), "{name}: the quick run itself fails: {}", stderr(&out));
    }
    let cases: [&[&str]; 25] = [
        &["--hidden", "0"],
        &["--sequences", "3"],
        &["--length", "1"],
        &["--period", "0"],
        &["--future", "-1"],
        &["--steps", "-1"],
        &["--lr", "nan"],
        &["--lr", "inf"],
        &["--lr", "-1"],
        &["--lr", "-1e-3"],
        &["--steps", "1_0"],
        &["--hidden", "2147483648"],
        &["--future", "9223372036854775808"],
        &["--seed", "4294967296"],
        &["--data-seed", "-1"],
        &["--device", "tpu"],
        &["--no-such-flag"],
        &["--s", "1"],
        &["--plot-dir", "no/such/directory"],
        &["--threads", "0"],
        &["--steps"],
        // A word that starts with `-` is a flag unless it looks like a negative
        // number or holds a space (argparse's rule): these values lack.
        &["--lr", "-0."],
        &["--lr", "-0e0"],
        &["--plot-dir", "-1e5"],
        &["--trace", "--no-plot"],
    ];
    for flags in cases {
        let args = [&QUICK[..], flags].concat();
        for name in ["rust", "python"] {
            let out = side(name, &args, dir.path());
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(2), "{name} {flags:?}: {err}");
            assert_eq!(err.lines().count(), 1, "{name} {flags:?}: {err}");
            assert!(err.contains("error:") && stdout(&out).is_empty(), "{name} {flags:?}: {err}");
        }
    }
}

/// What an error quotes cannot make it more than one short line: control characters
/// are escaped and a huge value is cut in the middle, on both sides alike.
#[test]
fn an_error_quoting_odd_values_is_one_short_line_on_both_sides() {
    let dir = scratch();
    let nines = "9".repeat(3000);
    let cases: [(&[&str], i32, &str); 3] = [
        (&["--plot-dir", "no\nsuch\tdir"], 2, "--plot-dir no\\nsuch\\tdir: not a directory"),
        (&["--trace", "no/such\u{1b}/t.jsonl", "--no-plot"], 1, "--trace no/such\\x1b/t.jsonl: No such file"),
        (&["--hidden", &nines], 2, "99 [\u{2026}"),
    ];
    for (flags, code, says) in cases {
        for name in ["rust", "python"] {
            let out = side(name, &[&QUICK[..], flags].concat(), dir.path());
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(code), "{name} {flags:?}: {err}");
            assert_eq!(err.lines().count(), 1, "{name} {flags:?}: {err}");
            assert!(err.len() < 1100 && err.contains(says), "{name} {flags:?}: {err}");
            assert!(!err.trim_end().contains(|c: char| c.is_control()), "{name} {flags:?}: {err}");
        }
    }
}

/// A failure while running is one line on stderr and exit 1 on both sides, whatever
/// its class: memory (sizes that cannot fit; the run is held to 16 GB of address
/// space so that the outcome does not depend on the machine's memory), a file that
/// cannot be made, a full stdout.
#[test]
fn run_time_failures_are_one_line_and_exit_1_on_both_sides() {
    let dir = scratch();
    let cases: [(&[&str], &str); 5] = [
        (&["--sequences", "100000", "--length", "100000000"], "100000 waves of 100000000 points do not fit"),
        (&["--hidden", "2147483647"], "can't allocate memory"),
        (&["--trace", "no/such/directory/t.jsonl"], "--trace no/such/directory/t.jsonl: "),
        (&["--steps", "0", "--trace", "."], "--trace .: "),
        (&[], "writing to stdout: "),
    ];
    for (flags, says) in cases {
        for name in ["rust", "python"] {
            let mut program = match name {
                "rust" => vec![path_str(&example("time_sequence"))],
                _ => ["scripts/python", "examples/time_sequence.py"]
                    .map(|p| path_str(&root().join(p)))
                    .to_vec(),
            };
            program.extend([&QUICK[..], &["--no-plot"], flags].concat().into_iter().map(String::from));
            let sink = if flags.is_empty() { "/dev/full" } else { "/dev/null" };
            let out = Command::new("sh")
                .args(["-c", "ulimit -v 16000000 && exec \"$0\" \"$@\""])
                .args(&program)
                .current_dir(dir.path())
                .stdout(std::fs::File::create(sink).expect("a sink for stdout"))
                .output()
                .expect("sh runs");
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(1), "{name} {flags:?}: {err}");
            assert_eq!(err.lines().count(), 1, "{name} {flags:?}: {err}");
            assert!(err.contains("error: ") && err.contains(says), "{name} {flags:?}: {err}");
        }
    }
    assert!(!dir.path().join("no").exists(), "nothing is made on the way to a trace");
}

/// SIGTERM, SIGHUP and SIGQUIT stop either side at once with one line and 128 + the
/// signal, leaving a trace of whole lines that the comparer reads.
#[test]
fn a_stop_signal_ends_both_sides_in_one_line_with_a_readable_trace() {
    use std::io::{BufRead, BufReader};
    let dir = scratch();
    let flags =
        ["--hidden", "3", "--sequences", "4", "--length", "30", "--future", "5", "--steps", "100000000"];
    for (signal, signal_name) in
        [(libc::SIGTERM, "SIGTERM"), (libc::SIGHUP, "SIGHUP"), (libc::SIGQUIT, "SIGQUIT")]
    {
        for name in ["rust", "python"] {
            let trace = format!("{name}-{signal_name}.jsonl");
            let fixed = ["--device", "cpu", "--threads", "2", "--no-plot", "--trace", &trace];
            let mut child = program(name)
                .args([&flags[..], &fixed].concat())
                .current_dir(dir.path())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("the program starts");
            // Stopped in its third step: the trace then holds whole steps and more.
            let lines = BufReader::new(child.stdout.take().expect("piped")).lines();
            let third = lines.map_while(Result::ok).position(|l| l == "STEP:  2");
            assert!(third.is_some(), "{name}: no third step");
            // SAFETY: kill only sends a signal to the child started here.
            assert_eq!(unsafe { libc::kill(child.id() as i32, signal) }, 0);
            let out = child.wait_with_output().expect("the program ends");
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(128 + signal), "{name} {signal_name}: {err}");
            assert_eq!(err.lines().count(), 1, "{name} {signal_name}: {err}");
            assert!(
                err.ends_with(&format!(": error: stopped by {signal_name}\n")),
                "{name} {signal_name}: {err}"
            );
            let cmp = Command::new(root().join("scripts/python"))
                .args([path_str(&root().join("scripts/compare.py")), trace.clone(), trace.clone()])
                .current_dir(dir.path())
                .output()
                .expect("compare.py runs");
            assert_eq!(cmp.status.code(), Some(0), "{name} {signal_name}: {}{}", stdout(&cmp), stderr(&cmp));
            let text = std::fs::read_to_string(dir.path().join(&trace)).expect("the trace is kept");
            let at: Vec<serde_json::Value> = records(&text)
                .iter()
                .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["at"].clone())
                .collect();
            assert!(
                at.contains(&serde_json::json!(["test", 1])),
                "{name} {signal_name}: two whole steps: {at:?}"
            );
        }
    }
}

/// Flags read as argparse reads them: a unique prefix names its flag and the last
/// of a repeated flag wins, on both sides alike.
#[test]
fn abbreviated_and_repeated_flags_read_alike_on_both_sides() {
    let dir = scratch();
    let args = [&QUICK[..], &["--hid", "2", "--steps", "3", "--steps", "2", "--no-p"]].concat();
    let (r, p) = (side("rust", &args, dir.path()), side("python", &args, dir.path()));
    assert!(r.status.success() && p.status.success(), "{}{}", stderr(&r), stderr(&p));
    assert_eq!(stdout(&r), stdout(&p));
    assert_eq!(stdout(&r).lines().filter(|l| l.starts_with("STEP: ")).count(), 2, "{}", stdout(&r));
    let plain =
        side("rust", &[&QUICK[..], &["--hidden", "2", "--steps", "2", "--no-plot"]].concat(), dir.path());
    assert_eq!(stdout(&r), stdout(&plain), "--hid is --hidden");
    // Values that start with `-` and that argparse takes: a negative number (here
    // -0, which a learning rate may be), a word with a space.
    for name in ["rust", "python"] {
        let trace = format!("-{name} trace");
        let out =
            side(name, &[&QUICK[..], &["--lr", "-.0", "--trace", &trace, "--no-plot"]].concat(), dir.path());
        assert!(out.status.success(), "{name}: {}", stderr(&out));
        assert!(dir.path().join(&trace).is_file(), "{name}: {trace}");
    }
}

/// The port uses the tracer as any other crate would: its two files, copied into a
/// crate of their own outside this workspace that depends on parity-trace by a
/// path, as docs/parity-workbench.md shows, type-check there; and parity-trace
/// brings only serde, serde_json and tch.
#[test]
fn the_port_builds_outside_this_workspace_with_the_tracer_crate_only() {
    for file in ["examples/time_sequence.rs", "examples/time_sequence/lbfgs.rs"] {
        let text = std::fs::read_to_string(root().join(file)).expect(file);
        assert!(text.contains("use ") && !text.contains("sine_rnn"), "{file} uses sine-rnn's internals");
    }
    let dir = scratch();
    // `doc-only` skips torch-sys's C++ build, which a new target directory would
    // redo for minutes: `cargo check` compiles every Rust line and links nothing.
    let manifest = format!(
        "[package]\nname = \"my-port\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n\
         parity-trace = {{ path = {:?} }}\n\
         tch = {{ version = \"0.26\", features = [\"doc-only\"] }}\n\
         anyhow = \"1.0\"\nclap = {{ version = \"4.5\", features = [\"derive\"] }}\ndejavu = \"2.37\"\n\
         libc = \"0.2\"\nlibloading = \"0.8\"\nrand_mt = \"5\"\nserde_json = \"1.0\"\n\
         plotters = {{ version = \"0.3.7\", default-features = false, \
         features = [\"svg_backend\", \"ab_glyph\", \"line_series\"] }}\n",
        path_str(&root().join("crates/parity-trace"))
    );
    std::fs::write(dir.path().join("Cargo.toml"), manifest).expect("a manifest");
    std::fs::create_dir_all(dir.path().join("src/time_sequence")).expect("src/");
    std::fs::copy(root().join("examples/time_sequence.rs"), dir.path().join("src/main.rs")).expect("main.rs");
    let lbfgs = "time_sequence/lbfgs.rs";
    std::fs::copy(root().join("examples").join(lbfgs), dir.path().join("src").join(lbfgs)).expect("lbfgs.rs");
    std::fs::copy(root().join("Cargo.lock"), dir.path().join("Cargo.lock")).expect("the lock file");
    let cargo = |args: &[&str]| {
        Command::new(env!("CARGO"))
            .args(args)
            .current_dir(dir.path())
            // Kept between runs, beside this workspace's own builds.
            .env("CARGO_TARGET_DIR", root().join("target/outside-crate"))
            .output()
            .expect("cargo runs")
    };
    let out = cargo(&["tree", "--offline", "--package", "parity-trace", "--depth", "1", "--edges", "normal"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let tree = stdout(&out);
    // `├── serde v1.0.229`: the name is each line's second word.
    let direct: Vec<&str> = tree.lines().skip(1).filter_map(|l| l.split_whitespace().nth(1)).collect();
    assert_eq!(direct, ["serde", "serde_json", "tch"], "parity-trace's own dependencies:\n{tree}");
    let out = cargo(&["check", "--offline", "--quiet"]);
    assert!(out.status.success(), "the port outside this workspace: {}", stderr(&out));
}
