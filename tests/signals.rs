//! Ctrl-C and its kin, through the binary: during training, the first SIGINT
//! (SIGTERM, SIGHUP, ...) stops training after the current epoch and writes the
//! outputs for the weights reached, with the record marked; a second one, or one
//! at any other moment, ends the run at once. No signal, SIGKILL included, leaves
//! a temporary file. Every stop signal is named; SIGXFSZ is not one (a file-size
//! limit is a write error instead).

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{read_json, scratch, BIN};

/// "At once", with room for a loaded machine: runs that did not stop would take
/// minutes more.
const PROMPTLY: Duration = Duration::from_secs(5);

/// Starts a run, stdout and stderr piped, and returns at once with its stdout.
fn spawn(args: &[&str], dir: &Path) -> (Child, BufReader<std::process::ChildStdout>) {
    let mut child = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let stdout = BufReader::new(child.stdout.take().expect("piped"));
    // Loading libtorch takes a while on a busy machine: wait until the run
    // catches SIGINT (its SigCgt mask in /proc says so).
    let t0 = Instant::now();
    while !catches_sigint(child.id()) {
        assert!(t0.elapsed() < Duration::from_secs(60), "the run never listened for signals");
        std::thread::sleep(Duration::from_millis(10));
    }
    (child, stdout)
}

fn catches_sigint(pid: u32) -> bool {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let mask = status.lines().find_map(|l| l.strip_prefix("SigCgt:")).map(str::trim).unwrap_or("0");
    u64::from_str_radix(mask, 16).is_ok_and(|m| m & (1 << (libc::SIGINT - 1)) != 0)
}

/// Starts a run and returns once it is training (its first log line is out).
fn start(args: &[&str], dir: &Path) -> (Child, BufReader<std::process::ChildStdout>) {
    let (child, mut stdout) = spawn(args, dir);
    let mut first = String::new();
    stdout.read_line(&mut first).expect("a first line");
    assert!(first.starts_with("Epoch: 0 loss "), "{first}");
    (child, stdout)
}

fn kill(child: &Child, sig: i32) {
    // SAFETY: kill only sends a signal to the child we started.
    assert_eq!(unsafe { libc::kill(child.id() as i32, sig) }, 0);
}

/// Waits at most `limit` for the exit; returns the code, how long it took, the
/// rest of stdout and all of stderr.
fn finish(
    mut child: Child,
    mut stdout: BufReader<std::process::ChildStdout>,
    limit: Duration,
) -> (Option<i32>, Duration, String, String) {
    let t0 = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if t0.elapsed() > limit {
            let _ = child.kill();
            panic!("still running {limit:?} after the signal");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let took = t0.elapsed();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    (status.code(), took, rest, err)
}

fn stops_after_the_epoch(sig: i32, name: &str, code: i32) {
    let dir = scratch();
    let (child, stdout) =
        start(&["--epochs", "5000000", "--json", "r.json", "--loss-plot", "l.svg"], dir.path());
    std::thread::sleep(Duration::from_millis(300));
    kill(&child, sig);
    let (got, took, rest, err) = finish(child, stdout, Duration::from_secs(30));
    assert_eq!(got, Some(code), "{err}");
    assert!(took < PROMPTLY, "took {took:?}");
    let record = read_json(&dir.path().join("r.json"));
    assert_eq!(record["interrupted"], true);
    assert_eq!(record["signal"], name);
    let epochs = record["epochs_completed"].as_u64().unwrap();
    assert!((1..5_000_000).contains(&epochs), "{epochs}");
    assert_eq!(record["epoch_losses"]["shape"], serde_json::json!([epochs]));
    // The last epoch reached is named on stderr, and the log stopped there.
    let line = format!("sine-rnn: {name}: stopped after epoch {} of 5000000; ", epochs - 1);
    assert!(err.contains(&line), "{err}");
    assert!(rest.lines().all(|l| l.starts_with("Epoch: ")), "{rest}");
    assert!(dir.path().join("sine_wave.png").is_file() && dir.path().join("l.svg").is_file());
    assert!(common::temporary_files(dir.path()).is_empty());
}

#[test]
fn sigint_stops_after_the_epoch_writes_a_marked_record_and_exits_130() {
    stops_after_the_epoch(libc::SIGINT, "SIGINT", 130);
}

#[test]
fn sigterm_does_the_same_with_143() {
    stops_after_the_epoch(libc::SIGTERM, "SIGTERM", 143);
}

#[test]
fn sighup_does_the_same_with_129() {
    stops_after_the_epoch(libc::SIGHUP, "SIGHUP", 129);
}

#[test]
fn signals_without_a_name_in_signal_hook_are_named_in_the_record() {
    let rt = libc::SIGRTMIN() + 3;
    for (sig, name) in [(libc::SIGPWR, "SIGPWR"), (libc::SIGSTKFLT, "SIGSTKFLT"), (rt, "SIGRTMIN+3")] {
        stops_after_the_epoch(sig, name, 128 + sig);
    }
}

#[test]
fn every_stop_signal_has_a_name_of_its_own() {
    use sine_rnn::tool::signals::{name, stop_signals};
    let names: Vec<String> = stop_signals().into_iter().map(name).collect();
    assert!(names.iter().all(|n| n.starts_with("SIG")), "{names:?}");
    let distinct: std::collections::BTreeSet<&String> = names.iter().collect();
    assert_eq!(distinct.len(), names.len(), "{names:?}");
    assert_eq!(name(libc::SIGRTMAX()), format!("SIGRTMIN+{}", libc::SIGRTMAX() - libc::SIGRTMIN()));
}

#[test]
fn sigxfsz_is_not_a_stop_signal_a_run_goes_on() {
    // The kernel's answer to a write past `ulimit -f`; ignored so that the write
    // fails with an error naming the file (outputs.rs), and so is one sent by kill.
    let dir = scratch();
    let (child, stdout) = start(&["--epochs", "1000", "--json", "r.json"], dir.path());
    kill(&child, libc::SIGXFSZ);
    let (got, _, rest, err) = finish(child, stdout, Duration::from_secs(120));
    assert_eq!(got, Some(0), "{err}");
    assert!(rest.lines().last().is_some_and(|l| l.starts_with("Epoch: 990 loss ")), "{rest}");
    assert_eq!(read_json(&dir.path().join("r.json"))["interrupted"], false);
    assert!(!sine_rnn::tool::signals::stop_signals().contains(&libc::SIGXFSZ));
}

#[test]
fn a_second_sigint_during_a_long_epoch_exits_at_once_with_nothing_written() {
    let dir = scratch();
    // Epochs of seconds: the second signal comes while the first waits for the epoch's end.
    let args = ["--epochs", "100", "--hidden-size", "1500", "--seq-length", "200", "--json", "r.json"];
    let (mut child, stdout) = spawn(&args, dir.path());
    std::thread::sleep(Duration::from_millis(1500));
    assert!(child.try_wait().unwrap().is_none(), "still in its first epoch");
    kill(&child, libc::SIGINT);
    std::thread::sleep(Duration::from_millis(100));
    kill(&child, libc::SIGINT);
    let (got, took, _, err) = finish(child, stdout, Duration::from_secs(30));
    assert_eq!(got, Some(130), "{err}");
    assert!(took < PROMPTLY, "took {took:?}");
    assert!(err.contains("sine-rnn: SIGINT again: stopping now, nothing more is written"), "{err}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "nothing written, nothing left");
}

/// Whether the process holds an unnamed file in `dir`: its outputs are staged.
fn staged(child: &Child, dir: &Path) -> bool {
    let links: Vec<String> = std::fs::read_dir(format!("/proc/{}/fd", child.id()))
        .map(|fds| fds.filter_map(|e| std::fs::read_link(e.ok()?.path()).ok()))
        .into_iter()
        .flatten()
        .map(|l| l.to_string_lossy().into_owned())
        .collect();
    let dir = dir.canonicalize().unwrap();
    // The plot, staged: an unnamed file in the directory (the record waits in memory).
    links.iter().any(|l| l.starts_with(&format!("{}/#", dir.display())) && l.ends_with("(deleted)"))
}

#[test]
fn a_signal_while_an_output_waits_stops_at_once_and_leaves_nothing() {
    // The record goes to a FIFO nobody reads, so the run waits in its writes with
    // the plot staged beside its target: a signal now (after training) stops the
    // run at once, the plot is left as it was, and no file appears.
    for (sig, code) in [(libc::SIGINT, 130), (libc::SIGTERM, 143), (libc::SIGHUP, 129), (libc::SIGQUIT, 131)]
    {
        let dir = scratch();
        assert!(Command::new("mkfifo").arg(dir.path().join("pipe")).status().unwrap().success());
        std::fs::write(dir.path().join("p.png"), b"previous plot").unwrap();
        let (child, stdout) = start(&["--epochs", "3", "--json", "pipe", "--plot", "p.png"], dir.path());
        let t0 = Instant::now();
        while !staged(&child, dir.path()) {
            assert!(t0.elapsed() < Duration::from_secs(10), "the outputs were never staged");
            std::thread::sleep(Duration::from_millis(10));
        }
        kill(&child, sig);
        let (got, took, _, err) = finish(child, stdout, Duration::from_secs(30));
        assert_eq!(got, Some(code), "{err}");
        assert!(took < PROMPTLY, "took {took:?}");
        assert!(err.ends_with(": stopping now, nothing more is written\n"), "{err}");
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, ["p.png", "pipe"], "signal {sig}: {err}");
        assert_eq!(std::fs::read(dir.path().join("p.png")).unwrap(), b"previous plot");
    }
}

#[test]
fn every_terminating_signal_and_sigkill_leave_no_temporary_file() {
    // A long run with every output staged or streaming (the trace) when it dies.
    let signals = [libc::SIGUSR1, libc::SIGUSR2, libc::SIGVTALRM, libc::SIGPWR, libc::SIGALRM, libc::SIGKILL];
    for sig in signals {
        let dir = scratch();
        let args = ["--epochs", "100000", "--no-plot", "--trace", "t.jsonl", "--json", "r.json"];
        let (child, stdout) = start(&args, dir.path());
        kill(&child, sig);
        let (got, _, _, err) = finish(child, stdout, Duration::from_secs(10));
        if sig == libc::SIGKILL {
            assert_eq!(got, None, "killed");
        } else {
            // Heard as a stop signal: the epoch ends, the outputs are written.
            assert_eq!(got, Some(128 + sig), "signal {sig}: {err}");
            assert!(dir.path().join("r.json").is_file(), "signal {sig}: {err}");
        }
        assert!(common::temporary_files(dir.path()).is_empty(), "signal {sig}: {err}");
    }
}

#[test]
fn a_stop_signal_after_the_last_epoch_is_heard() {
    // Training is short, the continuation long: a signal during it ends the run.
    let dir = scratch();
    let args = ["--epochs", "2", "--generate", "1000000", "--no-plot", "--json", "g.json"];
    let (child, stdout) = start(&args, dir.path());
    std::thread::sleep(Duration::from_millis(1000));
    assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none(), "still generating, nothing written");
    kill(&child, libc::SIGINT);
    let (got, took, _, err) = finish(child, stdout, Duration::from_secs(30));
    assert_eq!(got, Some(130), "{err}");
    assert!(took < PROMPTLY, "took {took:?}");
    assert!(err.contains("sine-rnn: SIGINT: stopping now, nothing more is written"), "{err}");
    assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none(), "nothing written, nothing left");
}

#[test]
fn a_fifo_with_no_writer_as_init_weights_yields_to_the_first_signal() {
    let dir = scratch();
    assert!(Command::new("mkfifo").arg(dir.path().join("w.st")).status().unwrap().success());
    let (child, stdout) = spawn(&["--init-weights", "w.st", "--no-plot"], dir.path());
    std::thread::sleep(Duration::from_millis(500));
    kill(&child, libc::SIGTERM);
    let (got, took, _, err) = finish(child, stdout, Duration::from_secs(30));
    assert_eq!(got, Some(143), "{err}");
    assert!(took < PROMPTLY, "took {took:?}");
}

#[test]
fn a_second_signal_names_both() {
    let dir = scratch();
    // Epochs of seconds: the second signal comes while the first waits for the epoch's end.
    let (child, stdout) =
        spawn(&["--epochs", "100", "--hidden-size", "1500", "--seq-length", "200", "--no-plot"], dir.path());
    std::thread::sleep(Duration::from_millis(1500));
    kill(&child, libc::SIGTERM);
    std::thread::sleep(Duration::from_millis(100));
    kill(&child, libc::SIGINT);
    let (got, _, _, err) = finish(child, stdout, Duration::from_secs(30));
    assert_eq!(got, Some(130), "{err}");
    assert!(err.contains("sine-rnn: SIGINT after SIGTERM: stopping now, nothing more is written"), "{err}");
}

#[test]
fn a_run_stopped_in_training_is_not_continued() {
    let dir = scratch();
    let (child, stdout) =
        start(&["--epochs", "100000", "--generate", "10", "--no-plot", "--json", "r.json"], dir.path());
    kill(&child, libc::SIGINT);
    let (got, _, _, err) = finish(child, stdout, Duration::from_secs(30));
    assert_eq!(got, Some(130), "{err}");
    assert!(err.contains("sine-rnn: --generate skipped: the run was stopped"), "{err}");
    let record = read_json(&dir.path().join("r.json"));
    assert_eq!(record["generated"]["shape"], serde_json::json!([0]), "{err}");
}
