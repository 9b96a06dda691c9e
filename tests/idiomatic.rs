//! How far the idiomatic tch version (examples/idiomatic.rs: VarStore, Init, Sgd)
//! ends up from the port, whose log is PyTorch's.

mod common;

use std::process::Command;

use common::{example, scratch, sine_rnn, stderr, stdout};

/// The losses of a log's `Epoch: {i} loss {total}` lines, with their epochs.
fn losses(log: &str) -> Vec<(usize, f64)> {
    let line = |l: &str| {
        let (epoch, loss) = l.strip_prefix("Epoch: ")?.split_once(" loss ")?;
        Some((epoch.parse().ok()?, loss.parse().ok()?))
    };
    log.lines().map(|l| line(l).unwrap_or_else(|| panic!("not a log line: {l:?}"))).collect()
}

#[test]
fn idiomatic_and_port_logs_stay_close_and_are_not_identical() {
    let dir = scratch();
    for seed in ["0", "1", "2"] {
        let port = sine_rnn(&["--seed", seed, "--no-plot"], dir.path());
        assert!(port.status.success(), "{}", stderr(&port));
        let idio =
            Command::new(example("idiomatic")).args(["--seed", seed]).output().expect("the example runs");
        assert!(idio.status.success(), "{}", stderr(&idio));
        let (port, idio) = (losses(&stdout(&port)), losses(&stdout(&idio)));
        assert_eq!(port.len(), 30, "seed {seed}: the tutorial's 30 log lines");
        let epochs = |log: &[(usize, f64)]| log.iter().map(|p| p.0).collect::<Vec<_>>();
        assert_eq!(epochs(&idio), epochs(&port), "seed {seed}: the same epochs logged");
        let r = port.iter().zip(&idio).map(|(p, i)| ((i.1 - p.1) / p.1).abs()).fold(0.0, f64::max);
        eprintln!("seed {seed}: largest relative difference of the logged losses: {r:e}");
        // Close, and not identical: the fused update rounds differently.
        assert!(r < 1e-4, "seed {seed}: {r:e}");
        assert!(r > 0.0, "seed {seed}: unexpectedly identical");
    }
}
