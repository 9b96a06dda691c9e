//! What the binary does beside training, after every epoch (and, with `--trace`,
//! every step): the tutorial's stdout log, the progress line, the trace, and a
//! stop when a signal asked for one.

use std::io::{StdoutLock, Write};
use std::ops::ControlFlow;

use anyhow::Result;
use serde_json::json;
use tch::Device;

use crate::steps::data::Config;
use crate::steps::watch::{StepValues, Watch};
use crate::support::cli::Args;
use crate::support::device;
use crate::support::epoch_log::EpochLog;
use crate::support::progress::Progress;
use crate::support::signals;
use crate::workbench::record::config_json;
use crate::workbench::trace::TraceWriter;

/// The binary's [`Watch`].
pub struct RunWatch<W: Write = StdoutLock<'static>> {
    pub log: EpochLog<W>,
    pub progress: Progress,
    pub trace: Option<TraceWriter>,
}

impl RunWatch {
    /// The log on stdout, the progress line, and `--trace`'s file with its header.
    pub fn start(args: &Args, cfg: &Config, device: Device) -> Result<RunWatch> {
        let trace = match &args.trace {
            None => None,
            Some(path) => {
                let header = json!({
                    "program": "sine-rnn",
                    "backend": args.backend.name(),
                    "config": config_json(cfg),
                    "device": device::name(device),
                    "init": args.init_weights.as_ref().map_or("seed".into(), |p| p.display().to_string()),
                });
                let epochs = args.trace_epochs.clone().unwrap_or(0..usize::MAX);
                Some(TraceWriter::create(path, header, epochs)?)
            }
        };
        Ok(RunWatch {
            log: EpochLog::new(std::io::stdout().lock(), args.log_every),
            progress: Progress::new(cfg.epochs, cfg.seq_length),
            trace,
        })
    }
}

impl<W: Write> RunWatch<W> {
    /// Ends what ran beside training: the progress line cleared, the log flushed
    /// (its first write error, if any); the trace, still to be finished, returned.
    pub fn finish(self) -> Result<Option<TraceWriter>> {
        self.progress.finish();
        self.log.finish()?;
        Ok(self.trace)
    }
}

impl<W: Write> Watch for &mut RunWatch<W> {
    fn epoch(&mut self, epoch: usize, total: f32) -> ControlFlow<()> {
        self.log.record(epoch, total);
        self.progress.epoch(epoch, total);
        match signals::received() {
            Some(_) => ControlFlow::Break(()),
            None => ControlFlow::Continue(()),
        }
    }

    fn traces(&self, epoch: usize) -> bool {
        self.trace.as_ref().is_some_and(|t| t.traces(epoch))
    }

    fn step(&mut self, epoch: usize, step: usize, values: &StepValues) {
        if let Some(trace) = &mut self.trace {
            trace.step(epoch, step, values);
        }
    }
}
