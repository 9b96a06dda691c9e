//! The binary and the one-file tutorial against PyTorch's outputs kept in
//! tests/golden/ (scripts/golden.py): no Python needed, so this runs on the CPU
//! runtime set too. Every run has neither MKL_CBWR nor ATEN_CPU_CAPABILITY in its
//! environment: the portable kernels must come from the programs themselves, and
//! then any x86-64 machine with AVX2 prints PyTorch's bits.

mod common;

use common::golden::{self, bare, bits, Golden};
use common::{scratch, stderr};

const HEADER: &str = "CPU kernels portable (MKL_CBWR=COMPATIBLE, ATEN_CPU_CAPABILITY=avx2)";

fn check(g: &Golden, backend: &str) {
    let dir = scratch();
    let (out, record) = golden::run(g, &["--backend", backend], dir.path());
    let what = format!("{} ({}) --backend {backend}", g.name, g.flags.join(" "));
    assert!(stderr(&out).lines().next().is_some_and(|l| l.ends_with(HEADER)), "{what}: {}", stderr(&out));
    assert_eq!(out.status.code(), Some(g.exit_code), "{what}: exit code; {}", stderr(&out));
    assert!(out.stdout == g.stdout, "{what}: stdout differs from PyTorch's:\n{}", common::stdout(&out));
    for key in ["data", "epoch_losses", "predictions", "generated"] {
        assert_eq!(record[key]["shape"], g.record[key]["shape"], "{what}: {key} shape");
        assert!(bits(&record, key) == bits(&g.record, key), "{what}: {key} not PyTorch's bits");
    }
    assert!(bits(&record, "w1") == g.w1, "{what}: w1 not PyTorch's bits");
    assert!(bits(&record, "w2") == g.w2, "{what}: w2 not PyTorch's bits");
}

#[test]
fn both_libtorch_backends_give_pytorchs_bits_on_every_golden_configuration() {
    golden::two_at_a_time(&golden::all(), |g| {
        check(g, "tch");
        check(g, "tch-manual");
    });
}

#[test]
fn the_tutorial_example_prints_pytorchs_golden_stdout() {
    for g in &golden::plain() {
        let dir = scratch();
        let out = bare(common::example("tutorial"))
            .args(&g.flags)
            .args(["--plot", "t.svg"])
            .current_dir(dir.path())
            .output()
            .expect("the example runs");
        assert!(
            out.stdout == g.stdout,
            "{}: the tutorial's stdout differs from PyTorch's:\n{}",
            g.name,
            common::stdout(&out)
        );
    }
}

#[test]
fn a_users_own_kernel_setting_wins_and_is_named() {
    let g = golden::all().into_iter().find(|g| g.name == "tutorial").expect("the tutorial's configuration");
    let dir = scratch();
    let out = bare(common::BIN)
        .args(["--epochs", "1", "--no-plot"])
        .env("MKL_CBWR", "AVX2")
        .current_dir(dir.path())
        .output()
        .expect("the binary runs");
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    let mut lines = err.lines();
    assert!(
        lines.next().is_some_and(|l| {
            l.ends_with("CPU kernels portable, overridden (MKL_CBWR=AVX2 from the environment, ATEN_CPU_CAPABILITY=avx2)")
        }),
        "{err}"
    );
    assert_eq!(
        lines.next(),
        Some(
            "sine-rnn: MKL_CBWR=AVX2 from the environment wins over the portable MKL_CBWR=COMPATIBLE; \
             the digits may differ from other machines'"
        ),
        "{err}"
    );
    // The user's portable value is theirs, but it is the portable one: no note.
    let out = bare(common::BIN)
        .args(g.flags.iter().map(String::as_str).chain(["--no-plot"]))
        .env("MKL_CBWR", "COMPATIBLE")
        .current_dir(dir.path())
        .output()
        .expect("the binary runs");
    let err = stderr(&out);
    assert!(
        err.lines().next().is_some_and(|l| l.ends_with(
            "CPU kernels portable (MKL_CBWR=COMPATIBLE from the environment, ATEN_CPU_CAPABILITY=avx2)"
        )),
        "{err}"
    );
    assert!(!err.contains("wins over"), "{err}");
    assert!(out.stdout == g.stdout, "{}", common::stdout(&out));
}

#[test]
fn machine_kernels_leave_the_environment_to_libtorch_and_say_so() {
    let dir = scratch();
    let out = bare(common::BIN)
        .args(["--epochs", "1", "--no-plot", "--cpu-kernels", "machine"])
        .current_dir(dir.path())
        .output()
        .expect("the binary runs");
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        err.lines()
            .next()
            .is_some_and(|l| l.ends_with("CPU kernels machine (MKL_CBWR unset, ATEN_CPU_CAPABILITY unset)")),
        "{err}"
    );
}

#[test]
fn an_unknown_kernel_choice_is_a_usage_error() {
    let out = bare(common::BIN)
        .args(["--cpu-kernels", "fast"])
        .current_dir(scratch().path())
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "sine-rnn: error: invalid value 'fast' for '--cpu-kernels <CPU_KERNELS>'; \
         [possible values: portable, machine] (see sine-rnn --help)\n"
    );
}
