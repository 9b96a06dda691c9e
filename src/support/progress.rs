//! The progress line on stderr for long runs: epoch, loss, steps per second,
//! elapsed and remaining time. indicatif draws it only where stderr is a
//! terminal, a few times a second, and clears it at the end; stdout is not touched.

use indicatif::{ProgressBar, ProgressState, ProgressStyle};

/// The progress line over `epochs` epochs of `points` steps each.
pub struct Progress {
    bar: ProgressBar,
    epochs: usize,
    points: u64,
}

impl Progress {
    pub fn new(epochs: usize, points: usize) -> Self {
        // Short enough for an 80-column terminal, where a wrapped line would
        // leave a copy behind at each redraw.
        let style =
            ProgressStyle::with_template("{msg} [{bar:12}] {rate} steps/s, {elapsed} elapsed, {eta} left")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .with_key("rate", |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = write!(w, "{:.0}", state.per_sec());
                })
                .progress_chars("=> ");
        let bar = ProgressBar::new((epochs * points) as u64).with_style(style);
        bar.set_message(format!("epoch 0/{epochs}"));
        bar.enable_steady_tick(std::time::Duration::from_millis(200));
        Progress { bar, epochs, points: points as u64 }
    }

    /// After `epoch`, with its total `loss` (a few digits: the log has them all).
    pub fn epoch(&self, epoch: usize, loss: f32) {
        self.bar.set_position((epoch as u64 + 1) * self.points);
        let loss =
            if (1e-3..1e4).contains(&loss.abs()) { format!("{loss:.6}") } else { format!("{loss:.4e}") };
        self.bar.set_message(format!("epoch {epoch}/{} loss {loss}", self.epochs));
    }

    /// Removes the line from the terminal.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
