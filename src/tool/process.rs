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
/// (`sine-rnn 2>&1 | head -3`): a lost note is no reason to fail a run.
#[macro_export]
macro_rules! note {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// The most characters of a message an error line shows: one that quotes what a
/// file holds (a weights header's 98 MB string) is cut in the middle, keeping its
/// start and its end, where the reason usually is.
pub const MAX_MESSAGE: usize = 1000;

/// The one way an error is told: `sine-rnn: error: {message}{tail}` on one line of
/// stderr, the message cut to [`MAX_MESSAGE`] characters and its control characters
/// escaped, so no error, whatever it quotes, is more than a line.
pub fn error_line(message: &str, tail: &str) {
    let count = message.chars().count();
    let keep =
        |c: &(usize, char)| count <= MAX_MESSAGE || c.0 < MAX_MESSAGE / 2 || c.0 >= count - MAX_MESSAGE / 2;
    let mut shown = String::new();
    for (k, c) in message.chars().enumerate().filter(keep) {
        if k == count - MAX_MESSAGE / 2 && count > MAX_MESSAGE {
            let cut = count - MAX_MESSAGE;
            shown += &format!(" […{cut} character{} cut…] ", if cut == 1 { "" } else { "s" });
        }
        match c.is_control() {
            true => shown.extend(c.escape_default()),
            false => shown.push(c),
        }
    }
    crate::note!("sine-rnn: error: {shown}{tail}");
}

/// Reports every panic in one line on stderr (see [`describe_panic`]).
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| error_line(&describe_panic(info), "")));
}

/// tch turns a libtorch exception (CUDA out of memory, say) into a panic that
/// carries `Torch("…")`: that is "libtorch failed" with its first line. Any other
/// panic is a bug of ours, told with its place.
pub fn describe_panic(info: &PanicHookInfo<'_>) -> String {
    let payload = info.payload();
    let what = (payload.downcast_ref::<String>().map(String::as_str))
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or("unknown failure");
    let first = what.lines().next().unwrap_or(what);
    match info.location() {
        _ if what.contains("Torch(\"") => format!("libtorch failed: {first}"),
        Some(l) => format!("internal error at {}:{}: {first} (please report it)", l.file(), l.line()),
        None => format!("internal error: {first} (please report it)"),
    }
}

/// Ends the process without libtorch's static destructors (they unregister its
/// ~2,000 operators one by one: a tenth of a default run); ours are all done.
pub fn exit_now(code: u8) -> ! {
    let _ = std::io::stdout().flush();
    exit_at_once(code)
}

/// The same from any thread, without stdout's lock (training holds it; stdout is
/// line-buffered, so every log line is out).
pub fn exit_at_once(code: u8) -> ! {
    // SAFETY: _exit only ends the process.
    unsafe { libc::_exit(code.into()) }
}
