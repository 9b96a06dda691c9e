//! examples/tutorial.rs, the one-file tutorial, against the `sine-rnn` binary:
//! the same stdout to the byte, and a scatter plot.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::{scratch, sine_rnn, stderr, stdout};

/// The example as `cargo test` builds it, beside this test's own binary
/// (`target/<profile>/deps/tutorial-…` → `target/<profile>/examples/tutorial`).
fn example() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    let profile_dir = exe.parent().and_then(|deps| deps.parent()).expect("target/<profile>");
    let path = profile_dir.join("examples/tutorial");
    assert!(
        path.exists(),
        "{} is missing: `cargo test` builds the examples; with a test filter, run \
         `cargo build --release --example tutorial` first",
        path.display()
    );
    path
}

#[test]
fn the_example_prints_what_the_binary_prints() {
    for config in [
        "",
        // Losses below 1e-4: Python's exponent form.
        "--seed 5 --seq-length 3 --epochs 200",
        "--seed 7 --hidden-size 16 --seq-length 50 --epochs 40 --lr 0.05",
    ] {
        let flags: Vec<&str> = config.split_whitespace().collect();
        let dir = scratch();
        let tutorial = Command::new(example())
            .args(&flags)
            .args(["--plot", "t.svg"])
            .current_dir(dir.path())
            .output()
            .expect("the example runs");
        assert!(tutorial.status.success(), "{config}: {}", stderr(&tutorial));
        let mut binary_flags = flags.clone();
        binary_flags.extend(["--device", "cpu", "--no-plot"]);
        let binary = sine_rnn(&binary_flags, dir.path());
        assert!(binary.status.success(), "{config}: {}", stderr(&binary));
        assert!(!stdout(&binary).is_empty());
        assert_eq!(stdout(&tutorial), stdout(&binary), "{config}: stdout differs");

        let svg = std::fs::read_to_string(dir.path().join("t.svg")).expect("the plot is written");
        assert!(svg.starts_with("<svg") && svg.contains("Actual") && svg.contains("Predicted"), "{config}");
        let points = svg.matches("<circle").count();
        let n: usize =
            flags.iter().position(|f| *f == "--seq-length").map_or(20, |k| flags[k + 1].parse().unwrap());
        // n actual points, n predictions, and one marker of each in the legend.
        assert_eq!(points, 2 * n + 2, "{config}");
    }
}
