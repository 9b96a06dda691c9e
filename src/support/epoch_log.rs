//! The tutorial's stdout: `Epoch: {i} loss {total}` every `every`-th epoch, with the
//! loss printed as Python prints a float, and nothing else on stdout.

use std::io::{ErrorKind, Write};

use anyhow::{Context, Result};

use crate::support::pyfmt::py_float;

/// Writes the epoch lines as training goes. Training never stops for the log: a
/// reader that goes away (`sine-rnn | head -3`) has what it wanted, so the rest is
/// dropped quietly; any other write error is kept and reported by [`finish`].
///
/// [`finish`]: EpochLog::finish
pub struct EpochLog<W: Write> {
    out: W,
    every: usize,
    error: Option<std::io::Error>,
    reader_gone: bool,
}

impl<W: Write> EpochLog<W> {
    /// A log of every `every`-th epoch (the tutorial's is 10; 0 is taken as 1).
    pub fn new(out: W, every: usize) -> Self {
        EpochLog { out, every: every.max(1), error: None, reader_gone: false }
    }

    /// Called after each epoch with its total loss.
    pub fn record(&mut self, epoch: usize, total: f32) {
        if epoch % self.every != 0 || self.error.is_some() || self.reader_gone {
            return;
        }
        if let Err(e) = writeln!(self.out, "Epoch: {epoch} loss {}", py_float(total.into())) {
            self.fail(e);
        }
    }

    /// Flushes; the first write error other than a closed pipe, if any.
    pub fn finish(mut self) -> Result<()> {
        if let Err(e) = self.out.flush() {
            self.fail(e);
        }
        match self.error {
            Some(e) => Err(e).context("writing the log to stdout"),
            None => Ok(()),
        }
    }

    fn fail(&mut self, e: std::io::Error) {
        if e.kind() == ErrorKind::BrokenPipe {
            self.reader_gone = true;
        } else if self.error.is_none() {
            self.error = Some(e);
        }
    }
}
