//! The progress line on stderr for long runs, on a terminal only: epoch, loss,
//! steps per second, elapsed and remaining time, redrawn a few times a second
//! and cleared at the end. stdout is not touched.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

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
            // Short enough for an 80-column terminal: a longer line wraps, and
            // each redraw then leaves a line behind.
            let style = ProgressStyle::with_template(
                "{msg} [{bar:12}] {rate} steps/s, {elapsed} elapsed, {eta} left",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .with_key("rate", |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = write!(w, "{:.0}", state.per_sec());
            })
            .progress_chars("=> ");
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
        bar.set_message(format!("epoch {epoch}/{} loss {}", self.epochs, short(loss)));
    }

    /// Removes the line from the terminal.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// A loss in a few significant digits (the log on stdout has them all).
fn short(loss: f32) -> String {
    if (1e-3..1e4).contains(&loss.abs()) {
        format!("{loss:.6}")
    } else {
        format!("{loss:.4e}")
    }
}
