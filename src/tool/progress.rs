//! What the tool does while training runs, through the [`Watch`] the training
//! loops call: the tutorial's log on stdout, the progress line on stderr,
//! `--trace`, and a stop when a signal asked for one.

use std::io::{BufWriter, ErrorKind, StdoutLock, Write};
use std::ops::ControlFlow;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressState, ProgressStyle};

use crate::pyfmt::py_float;
use crate::steps::watch::{TrainStep, Watch};
use crate::tool::files::{self, Staged};
use crate::tool::options::Options;
use crate::tool::signals;
use crate::workbench::record::RunInfo;
use crate::workbench::train_trace::TrainTrace;

/// `--trace`'s file, staged as it is written, and its path for messages.
pub struct Trace {
    trace: TrainTrace<BufWriter<Staged>>,
    path: String,
}

impl Trace {
    fn start(path: &Path, opts: &Options, info: RunInfo) -> Result<Trace> {
        let shown = path.display().to_string();
        let init = opts.init.as_ref().map_or("seed".into(), |(p, _)| p.display().to_string());
        let out = BufWriter::with_capacity(1 << 16, files::create(path)?);
        let trace = TrainTrace::start(out, info, &init, opts.trace_epochs.clone())
            .with_context(|| format!("cannot write the trace {shown}"))?;
        Ok(Trace { trace, path: shown })
    }

    /// Ends the trace: everything written, ready to be put in place.
    pub fn finish(self) -> Result<Staged> {
        let staged = self.trace.finish().and_then(|out| out.into_inner().map_err(|e| e.into_error()));
        staged.with_context(|| format!("cannot write the trace {}", self.path))
    }
}

/// The tutorial's stdout: `Epoch: {i} loss {total}` every `every`-th epoch, the
/// loss as Python prints it. A reader that goes away (`| head -3`) had what it
/// wanted; any other write error is reported by [`finish`](EpochLog::finish).
pub struct EpochLog<W: Write> {
    out: W,
    every: usize,
    stopped: Option<std::io::Error>,
}

impl<W: Write> EpochLog<W> {
    /// A log of every `every`-th epoch (0 is taken as 1).
    pub fn new(out: W, every: usize) -> Self {
        EpochLog { out, every: every.max(1), stopped: None }
    }

    /// After each epoch, with its total loss.
    pub fn record(&mut self, epoch: usize, total: f32) {
        if epoch % self.every == 0 && self.stopped.is_none() {
            let written = writeln!(self.out, "Epoch: {epoch} loss {}", py_float(total.into()));
            self.stopped = written.err();
        }
    }

    /// Flushes; the first write error but a closed pipe.
    pub fn finish(mut self) -> Result<()> {
        let flushed = self.out.flush();
        match self.stopped.map_or(flushed, Err) {
            Err(e) if e.kind() != ErrorKind::BrokenPipe => Err(e).context("writing the log to stdout"),
            _ => Ok(()),
        }
    }
}

/// How often the progress line is redrawn (it ticks by itself in slow epochs).
const TICK: Duration = Duration::from_millis(200);

/// The progress line: epoch, loss, steps per second, elapsed and remaining time,
/// drawn by indicatif only where stderr is a terminal; short enough for 80
/// columns, where a wrapped line would leave a copy behind at each redraw.
fn progress_line(epochs: usize, points: usize) -> ProgressBar {
    let template = "{msg} [{bar:12}] {rate} steps/s, {elapsed} elapsed, {eta} left";
    let style = (ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar()))
        .with_key("rate", |state: &ProgressState, w: &mut dyn std::fmt::Write| {
            let _ = write!(w, "{:.0}", state.per_sec());
        })
        .progress_chars("=> ");
    let bar = ProgressBar::new((epochs * points) as u64).with_style(style);
    bar.set_message(format!("epoch 0/{epochs}"));
    bar.enable_steady_tick(TICK);
    bar
}

/// The binary's [`Watch`].
pub struct RunWatch {
    log: EpochLog<StdoutLock<'static>>,
    progress: ProgressBar,
    trace: Option<Trace>,
    epochs: usize,
    points: usize,
    /// When the progress line last changed.
    shown: Instant,
}

impl RunWatch {
    /// The log on stdout, the progress line, and `--trace`'s file with its header.
    pub fn start(opts: &Options, info: RunInfo) -> Result<RunWatch> {
        let cfg = &opts.config;
        let trace = opts.trace.as_deref().map(|path| Trace::start(path, opts, info)).transpose()?;
        Ok(RunWatch {
            log: EpochLog::new(std::io::stdout().lock(), opts.log_every),
            progress: progress_line(cfg.epochs, cfg.seq_length),
            trace,
            epochs: cfg.epochs,
            points: cfg.seq_length,
            shown: Instant::now(),
        })
    }

    /// Clears the progress line and flushes the log; returns the trace, unfinished.
    pub fn finish(self) -> Result<Option<Trace>> {
        self.progress.finish_and_clear();
        self.log.finish()?;
        Ok(self.trace)
    }
}

impl Watch for &mut RunWatch {
    fn epoch(&mut self, epoch: usize, total: f32) -> ControlFlow<()> {
        self.log.record(epoch, total);
        // One clock read an epoch between redraws, none where stderr is no terminal.
        if !self.progress.is_hidden() && self.shown.elapsed() >= TICK {
            self.shown = Instant::now();
            self.progress.set_position(((epoch + 1) * self.points) as u64);
            // A few digits: the log has them all.
            let fixed = (1e-3..1e4).contains(&total.abs());
            let loss = if fixed { format!("{total:.6}") } else { format!("{total:.4e}") };
            self.progress.set_message(format!("epoch {epoch}/{} loss {loss}", self.epochs));
        }
        signals::received().map_or(ControlFlow::Continue(()), |_| ControlFlow::Break(()))
    }

    fn traces(&self, epoch: usize) -> bool {
        self.trace.as_ref().is_some_and(|t| t.trace.traces(epoch))
    }

    fn step(&mut self, epoch: usize, step: usize, tensors: &TrainStep) {
        if let Some(trace) = &mut self.trace {
            trace.trace.record(epoch, step, tensors);
        }
    }
}
