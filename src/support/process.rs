//! How the process reports and ends: exit codes, stderr notes that never fail the
//! run, one-line panics, and the quick exit past libtorch's destructors.

use std::io::Write;
use std::panic::PanicHookInfo;

/// Success.
pub const EXIT_OK: u8 = 0;
/// A run-time failure (a file could not be written, libtorch failed).
pub const EXIT_RUNTIME: u8 = 1;
/// A usage error: one line on stderr, nothing trained.
pub const EXIT_USAGE: u8 = 2;
/// Training diverged: the log was printed, no plot was written.
pub const EXIT_DIVERGED: u8 = 3;

/// A line on stderr. Unlike `eprintln!`, it does not panic when stderr is closed
/// (`sine-rnn 2>&1 | head -3`): a lost progress note is no reason to fail a run.
#[macro_export]
macro_rules! note {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// Reports every panic in one line on stderr. tch turns a libtorch exception (CUDA
/// out of memory, say) into a panic inside tch: that is "libtorch failed" with
/// libtorch's first line. Any other panic is a bug of ours, reported as one with
/// its place in the source.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let _ = writeln!(std::io::stderr(), "sine-rnn: error: {}", describe_panic(info));
    }));
}

/// The one-line description [`install_panic_hook`] prints.
pub fn describe_panic(info: &PanicHookInfo<'_>) -> String {
    let payload = info.payload();
    let what = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or("unknown failure");
    let first = what.lines().next().unwrap_or(what);
    let file = info.location().map(|l| l.file()).unwrap_or("");
    if is_libtorch_panic(file, what) {
        format!("libtorch failed: {first}")
    } else {
        let place = info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
        format!("internal error{place}: {first} (please report it)")
    }
}

/// Whether a panic came out of libtorch: raised in tch's or torch-sys's own source,
/// or carrying a `TchError::Torch` (libtorch's C++ exception).
pub fn is_libtorch_panic(file: &str, message: &str) -> bool {
    let in_tch = ["tch-", "torch-sys-"].iter().any(|crate_dir| {
        file.split(['/', '\\']).any(|part| {
            part.starts_with(crate_dir) && part[crate_dir.len()..].starts_with(|c: char| c.is_ascii_digit())
        })
    });
    in_tch || message.contains("Torch(\"")
}

/// Ends the process without running libtorch's static destructors, which
/// unregister its ~2,000 operators one by one: about a tenth of a default run spent
/// tidying memory the kernel frees anyway. Everything of ours is flushed, closed and
/// renamed by the time this is called.
pub fn exit_now(code: u8) -> ! {
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    // SAFETY: _exit only ends the process; nothing of ours is left unwritten.
    unsafe { libc::_exit(code.into()) }
}

/// Ends the process at once, from any thread: unlike [`exit_now`] it does not take
/// stdout's lock (the training loop holds it; stdout is line-buffered, so every
/// log line is already out).
pub fn exit_at_once(code: u8) -> ! {
    // SAFETY: _exit only ends the process.
    unsafe { libc::_exit(code.into()) }
}
