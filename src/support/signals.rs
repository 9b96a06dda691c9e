//! Ctrl-C and its kin: the first SIGINT, SIGTERM or SIGHUP asks training to stop
//! after the current epoch (the outputs are then written for the weights
//! reached); a second one ends the process at once, after removing any temporary
//! file a write had staged.
//!
//! The signals are taken by a thread of their own (signal-hook's iterator), so
//! the work done for them is ordinary code rather than a signal handler's; the
//! training loop only reads an atomic once an epoch.

use std::sync::atomic::{AtomicI32, Ordering};

use anyhow::{Context, Result};
use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

use crate::support::files;
use crate::support::process;

/// The first stop signal received, 0 while none has been.
static RECEIVED: AtomicI32 = AtomicI32::new(0);

/// Starts listening for SIGINT, SIGTERM and SIGHUP. From then on, none of them
/// ends the process by itself: see the module's notes.
pub fn install() -> Result<()> {
    let mut signals = Signals::new([SIGINT, SIGTERM, SIGHUP]).context("cannot set up signal handling")?;
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            for sig in signals.forever() {
                if RECEIVED.compare_exchange(0, sig, Ordering::SeqCst, Ordering::SeqCst).is_ok() {
                    continue; // the training loop sees it after this epoch
                }
                files::remove_staged_then(|| {
                    crate::note!("\nsine-rnn: {} again: stopping now, nothing more is written", name(sig));
                    process::exit_at_once(exit_code(sig))
                });
            }
        })
        .context("cannot start the signal thread")?;
    Ok(())
}

/// The first stop signal received so far, if any.
pub fn received() -> Option<i32> {
    match RECEIVED.load(Ordering::Relaxed) {
        0 => None,
        sig => Some(sig),
    }
}

/// The shell's exit status for a run stopped by `sig`: 128 + its number (130 for
/// SIGINT, 143 for SIGTERM, 129 for SIGHUP).
pub fn exit_code(sig: i32) -> u8 {
    (128 + sig).clamp(0, 255) as u8
}

/// The signal's name, for messages and the JSON record.
pub fn name(sig: i32) -> &'static str {
    match sig {
        SIGINT => "SIGINT",
        SIGTERM => "SIGTERM",
        SIGHUP => "SIGHUP",
        _ => "a signal",
    }
}
