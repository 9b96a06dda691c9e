//! The progress line on stderr for long runs, on a terminal only: epoch, loss,
//! steps per second, elapsed and remaining time, redrawn a few times a second
//! and cleared at the end. stdout is not touched.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::support::pyfmt::py_float;

/// How often the line is refreshed at most (and ticks by itself during slow epochs).
const EVERY: Duration = Duration::from_millis(200);

/// The progress line; a no-op where stderr is not a terminal.
pub struct Progress {
    bar: Option<ProgressBar>,
    epochs: usize,
    points: u64,
    last: Instant,
}

impl Progress {
    /// A line for `epochs` epochs of `points` steps each, shown only if stderr is
    /// a terminal.
    pub fn new(epochs: usize, points: usize) -> Self {
        let shown = std::io::stderr().is_terminal() && epochs > 0;
        Self::with_target(epochs, points, shown.then(ProgressDrawTarget::stderr))
    }

    /// The same, drawn on `target` (`None`: nothing at all).
    pub fn with_target(epochs: usize, points: usize, target: Option<ProgressDrawTarget>) -> Self {
        let bar = target.map(|target| {
            let style = ProgressStyle::with_template(
                "{msg} {wide_bar} {per_sec} steps, {elapsed_precise} elapsed, {eta_precise} left",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar());
            let bar = ProgressBar::with_draw_target(Some((epochs * points) as u64), target).with_style(style);
            bar.set_message(format!("epoch 0/{epochs}"));
            bar.enable_steady_tick(EVERY);
            bar
        });
        Progress { bar, epochs, points: points as u64, last: Instant::now() }
    }

    /// After `epoch` with its total `loss`: cheap (one clock read) between redraws.
    pub fn epoch(&mut self, epoch: usize, loss: f32) {
        let Some(bar) = &self.bar else { return };
        let now = Instant::now();
        if now.duration_since(self.last) < EVERY {
            return;
        }
        self.last = now;
        bar.set_position((epoch as u64 + 1) * self.points);
        bar.set_message(format!("epoch {epoch}/{} loss {}", self.epochs, py_float(loss.into())));
    }

    /// Removes the line from the terminal.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
