//! Stop signals: Ctrl-C and its kin. During training a first one stops it after
//! the current epoch, and the outputs are written for the weights reached. At any
//! other moment, for a second signal, or for Ctrl-\\ (SIGQUIT), the process ends
//! at once with 128 + the signal's number; staged outputs have no name until
//! committed (files.rs), so that leaves no file. A thread of their own takes the
//! signals (signal-hook), so the training loop only reads an atomic per epoch.
//!
//! One signal that ends a process by default is not heard: SIGXFSZ, which the
//! kernel sends to a process that writes past the file-size limit (`ulimit -f`).
//! It is ignored, for the whole run, so that such a write fails instead, and the
//! failure is one line naming the file (exit 1); a SIGXFSZ sent by `kill` is
//! therefore ignored too.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

use anyhow::{Context, Result};
use signal_hook::consts::{
    SIGALRM, SIGHUP, SIGINT, SIGPROF, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGVTALRM, SIGXCPU,
};
use signal_hook::iterator::Signals;

use crate::tool::files;
use crate::tool::process;

/// Every catchable signal whose default ends the process, but those a fault
/// raises (SIGSEGV, SIGBUS, ...) and SIGXFSZ (see above).
pub fn stop_signals() -> Vec<i32> {
    let named = [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM, SIGVTALRM, SIGPROF, SIGXCPU];
    let linux =
        [libc::SIGPWR, libc::SIGIO, libc::SIGSTKFLT].into_iter().chain(libc::SIGRTMIN()..=libc::SIGRTMAX());
    named.into_iter().chain(linux).collect()
}

/// The first stop signal received (0: none yet), and whether epochs are running.
static RECEIVED: AtomicI32 = AtomicI32::new(0);
static TRAINING: AtomicBool = AtomicBool::new(false);

/// Starts listening, and ignores SIGXFSZ (see above).
pub fn install() -> Result<()> {
    // SAFETY: setting a signal's disposition to "ignore" runs no code of ours.
    unsafe { libc::signal(libc::SIGXFSZ, libc::SIG_IGN) };
    let mut signals = Signals::new(stop_signals()).context("cannot set up signal handling")?;
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            for sig in signals.forever() {
                let first = RECEIVED.compare_exchange(0, sig, Ordering::SeqCst, Ordering::SeqCst);
                if first.is_ok() && sig != SIGQUIT && TRAINING.load(Ordering::SeqCst) {
                    continue; // the training loop sees it after this epoch
                }
                // Never between the link and the rename of a commit.
                let _committing = files::commit_lock();
                let what = match first {
                    Err(earlier) if earlier == sig => format!("{} again", name(sig)),
                    Err(earlier) => format!("{} after {}", name(sig), name(earlier)),
                    Ok(_) => name(sig),
                };
                // On a terminal, past the progress line (or the ^C the terminal echoed).
                let fresh_line = if std::io::stderr().is_terminal() { "\n" } else { "" };
                crate::note!("{fresh_line}sine-rnn: {what}: stopping now, nothing more is written");
                process::exit_at_once(exit_code(sig))
            }
        })
        .context("cannot start the signal thread")?;
    Ok(())
}

/// Runs `train` as the span in which a first signal ends training after its epoch
/// rather than the process. (A panic in it ends the process anyway.)
pub fn while_training<T>(train: impl FnOnce() -> T) -> T {
    TRAINING.store(true, Ordering::SeqCst);
    let trained = train();
    TRAINING.store(false, Ordering::SeqCst);
    trained
}

/// The first stop signal received so far, if any.
pub fn received() -> Option<i32> {
    Some(RECEIVED.load(Ordering::SeqCst)).filter(|&sig| sig != 0)
}

/// The shell's exit status for a run stopped by `sig`: 128 + its number.
pub fn exit_code(sig: i32) -> u8 {
    (128 + sig).clamp(0, 255) as u8
}

/// The signal's name, for messages and the JSON record: `SIGINT`, `SIGPWR`, and the
/// real-time signals as `SIGRTMIN+3` (as the C library numbers them); never nameless.
pub fn name(sig: i32) -> String {
    let linux = [(libc::SIGPWR, "SIGPWR"), (libc::SIGSTKFLT, "SIGSTKFLT"), (libc::SIGIO, "SIGIO")];
    match signal_hook::low_level::signal_name(sig).or_else(|| linux.iter().find(|s| s.0 == sig).map(|s| s.1))
    {
        Some(known) => known.to_string(),
        None if (libc::SIGRTMIN()..=libc::SIGRTMAX()).contains(&sig) => {
            format!("SIGRTMIN+{}", sig - libc::SIGRTMIN())
        }
        None => format!("signal {sig}"),
    }
}
