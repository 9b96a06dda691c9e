//! What the binary writes once training is over: the notes on stderr (timing,
//! interruption, divergence), the closed-loop continuation, and every output file,
//! staged and then put in place together.

use anyhow::Result;
use tch::Device;

use crate::backends::{prediction_steps, Trained};
use crate::note;
use crate::steps::data::{times_after, Config, SineData};
use crate::steps::model::Weights;
use crate::steps::plot::{self, Format};
use crate::steps::train::{diverged_at, generate};
use crate::support::cli::Args;
use crate::support::device;
use crate::support::files::{self, stage, Staged};
use crate::support::pyfmt::{py_float, readable_tenth};
use crate::support::report::{config_json, RunRecord};
use crate::support::signals;
use crate::support::trace::{EpochRange, TraceWriter};
use crate::support::weights;
use crate::LIBTORCH_VERSION;

/// `--trace`: the file and its header line, before the first step.
pub fn start_trace(args: &Args, cfg: &Config, device: Device) -> Result<Option<TraceWriter>> {
    let Some(path) = &args.trace else { return Ok(None) };
    let header = serde_json::json!({
        "program": "sine-rnn",
        "backend": args.backend.name(),
        "config": config_json(cfg),
        "device": device::name(device),
        "init": args.init_weights.as_ref().map_or("seed".to_string(), |p| p.display().to_string()),
    });
    let epochs = args.trace_epochs.clone().unwrap_or(EpochRange(0..usize::MAX));
    TraceWriter::create(path, header, &epochs).map(Some)
}

/// Says on stderr how training went: where a signal stopped it, how long it took,
/// whether it diverged. Returns whether the run is healthy (finite losses and
/// predictions), the only kind that is drawn.
pub fn report_training(cfg: &Config, trained: &Trained, interrupted: Option<i32>) -> bool {
    let epochs = trained.losses.len();
    if let Some(sig) = interrupted {
        let when = match epochs {
            0 => "before the first epoch".to_string(),
            n => format!("after epoch {} of {}", n - 1, cfg.epochs),
        };
        note!(
            "sine-rnn: {}: stopped {when}; writing the outputs for the weights reached",
            signals::name(sig)
        );
    }
    let secs = trained.train_time.as_secs_f64();
    let steps = epochs * cfg.seq_length;
    let per_step = if steps > 0 { 1e6 * secs / steps as f64 } else { 0.0 };
    note!(
        "sine-rnn: trained {epochs} epochs x {} points in {secs:.6} s ({per_step:.2} us per step)",
        cfg.seq_length
    );
    // A run whose loss blew up still printed what Python prints; say so, and keep
    // any earlier plot rather than overwrite it with a picture of nothing.
    let diverged = diverged_at(&trained.losses);
    if let Some(epoch) = diverged {
        note!(
            "sine-rnn: the loss stopped being finite at epoch {epoch} (lr {}): training diverged; \
             try a smaller --lr, e.g. {}; no plot written",
            py_float(cfg.lr),
            readable_tenth(cfg.lr)
        );
    } else if trained.predictions.iter().any(|p| !p.is_finite()) {
        note!("sine-rnn: the predictions are not finite; try a smaller --lr; no plot written");
    }
    diverged.is_none() && trained.predictions.iter().all(|p| p.is_finite())
}

/// `--generate`: the network fed its own predictions past the data, from the
/// trained weights (whatever backend trained them).
pub fn continue_wave(
    args: &Args,
    data: &SineData,
    trained: &Trained,
    device: Device,
    stopped: bool,
) -> Vec<f32> {
    if args.generate == 0 {
        return Vec::new();
    }
    if stopped {
        // A stopped run is not continued: the user asked for an end.
        note!("sine-rnn: --generate skipped: the run was stopped");
        return Vec::new();
    }
    let w = Weights::from_vecs(&trained.w1, &trained.w2, args.hidden_size, device);
    let generated = generate(data, &w, args.generate);
    if let Some(k) = generated.iter().position(|v| !v.is_finite()) {
        note!("sine-rnn: the generated wave stops being finite after {k} steps; it is drawn up to there");
    }
    generated
}

/// Everything a finished run hands to its outputs.
pub struct Finished<'a> {
    pub args: &'a Args,
    pub cfg: &'a Config,
    pub data: &'a SineData,
    pub trained: &'a Trained,
    pub generated: &'a [f32],
    pub device: Device,
    pub interrupted: Option<i32>,
    /// Finite losses and predictions: only then are the plots drawn.
    pub healthy: bool,
}

/// Writes every output aside (the trace's prediction pass, the weights, the JSON
/// record, and step 6's plots); nothing is in place yet.
pub fn stage_all(run: &Finished, trace: Option<TraceWriter>) -> Result<Vec<Staged>> {
    let Finished { args, cfg, data, trained, generated, device, .. } = *run;
    let mut staged: Vec<Staged> = Vec::new();
    if let Some(mut trace) = trace {
        let epochs = trained.losses.len();
        for (j, step) in prediction_steps(args.backend, data, trained, device).iter().enumerate() {
            trace.prediction(epochs, j, step);
        }
        staged.push(trace.finish()?);
    }
    if let Some(path) = &args.save_weights {
        if trained.w1.iter().chain(&trained.w2).all(|v| v.is_finite()) {
            staged.push(stage(path, &weights::to_safetensors(&trained.w1, &trained.w2, cfg.hidden_size)?)?);
        } else {
            note!("sine-rnn: the weights are not finite; not saved to {}", path.display());
        }
    }
    if let Some(path) = &args.json {
        let record = RunRecord {
            program: "sine-rnn",
            backend: args.backend.name(),
            config: cfg,
            libtorch_version: LIBTORCH_VERSION,
            device: &device::name(device),
            data,
            trained,
            generated,
            interrupted_by: run.interrupted.map(signals::name),
        };
        staged.push(stage(path, serde_json::to_string_pretty(&record.to_json())?.as_bytes())?);
    }
    if run.healthy && !args.no_plot {
        // Step 6: the plot, with the closed-loop continuation if there is one.
        let format = Format::from_path(&args.plot).unwrap_or(Format::Png);
        let finite = generated.iter().take_while(|v| v.is_finite()).count();
        let later = times_after(&data.time_steps, finite);
        let (actual, _) = data.xy_values();
        let generated = (&later[..], &generated[..finite]);
        let bytes = plot::render(format, &data.time_steps, actual, &trained.predictions, generated)?;
        staged.push(stage(&args.plot, &bytes)?);
    }
    if let (true, Some(path)) = (run.healthy, &args.loss_plot) {
        let format = Format::from_path(path).unwrap_or(Format::Png);
        staged.push(stage(path, &plot::render_losses(format, &trained.losses)?)?);
    }
    Ok(staged)
}

/// Puts every staged output in place, together, and says where each went.
pub fn commit_all(args: &Args, staged: Vec<Staged>) -> Result<()> {
    for path in files::commit_all(staged)? {
        if path.as_os_str() == files::STDOUT {
            // Only --json and --trace take `-`, and never both (the same file twice).
            let what =
                if args.json.as_ref().is_some_and(|p| p == &path) { "the record" } else { "the trace" };
            note!("sine-rnn: wrote {what} to stdout");
        } else {
            note!("sine-rnn: wrote {}", path.display());
        }
    }
    Ok(())
}
