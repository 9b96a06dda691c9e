//! The `sine-rnn` binary: parse the flags, pick the device, run the tutorial's
//! steps with the chosen backend, write the outputs.

use anyhow::Result;
use tch::Device;

use sine_rnn::backends::{prediction_steps, train_with, Trained};
use sine_rnn::note;
use sine_rnn::steps::data::{sine_data, times_after, Config, SineData};
use sine_rnn::steps::model::Weights;
use sine_rnn::steps::plot::{self, Format};
use sine_rnn::steps::train::{diverged_at, generate};
use sine_rnn::support::cli::Args;
use sine_rnn::support::device;
use sine_rnn::support::epoch_log::EpochLog;
use sine_rnn::support::files::{self, stage, Staged};
use sine_rnn::support::process::{self, EXIT_DIVERGED, EXIT_OK, EXIT_RUNTIME, EXIT_USAGE};
use sine_rnn::support::progress::Progress;
use sine_rnn::support::pyfmt::{py_float, readable_tenth};
use sine_rnn::support::report::{config_json, RunRecord};
use sine_rnn::support::signals;
use sine_rnn::support::trace::{EpochRange, TraceWriter};
use sine_rnn::support::watch::RunWatch;
use sine_rnn::support::weights::{self, WeightValues};
use sine_rnn::LIBTORCH_VERSION;

/// Runs before Rust's start-up code, which would hide a closed stdout.
#[used]
#[link_section = ".init_array"]
static RECORD_STDOUT: extern "C" fn() = process::record_stdout_at_start;

fn main() {
    if let Err(e) = process::check_stdout() {
        note!("sine-rnn: error: {e}");
        process::exit_now(EXIT_RUNTIME);
    }
    if let Err(e) = signals::install() {
        note!("sine-rnn: error: {e:#}");
        process::exit_now(EXIT_RUNTIME);
    }
    let args = Args::parse_or_exit();
    let init = args.init_weights_or_exit();
    process::install_panic_hook();
    let code = match device::select(args.device_choice()) {
        Err(e) => {
            note!("sine-rnn: error: {e:#}");
            EXIT_USAGE
        }
        Ok(device) => match std::panic::catch_unwind(|| run(&args, init.as_ref(), device)) {
            Ok(Ok(code)) => code,
            Ok(Err(e)) => {
                note!("sine-rnn: error: {e:#}");
                EXIT_RUNTIME
            }
            Err(_) => EXIT_RUNTIME, // the panic hook has said what happened
        },
    };
    process::exit_now(code)
}

fn run(args: &Args, init: Option<&WeightValues>, device: Device) -> Result<u8> {
    let cfg = args.config();
    let backend = args.backend.name();
    let where_ = device::describe(args.device_choice(), device);
    note!("sine-rnn: libtorch {LIBTORCH_VERSION}, device {where_}, backend {backend}");

    // Step 2: the data; steps 3 to 5: weights, training, prediction, with the
    // tutorial's log line on stdout every 10th epoch (`--log-every`), a progress
    // line on stderr when it is a terminal, and `--trace` if asked for.
    let data = sine_data(cfg.seq_length, device);
    let trace = match &args.trace {
        Some(path) => Some(start_trace(path, args, &cfg, device)?),
        None => None,
    };
    let mut watch = RunWatch {
        log: EpochLog::new(std::io::stdout().lock(), args.log_every),
        progress: Progress::new(cfg.epochs, cfg.seq_length),
        trace,
    };
    let trained = train_with(args.backend, &cfg, &data, device, init, &mut watch);
    watch.progress.finish();
    let trained = trained?;
    let RunWatch { log, trace, .. } = watch;
    log.finish()?;
    let epochs = trained.losses.len();
    let interrupted = signals::received();
    if let Some(sig) = interrupted {
        note!(
            "sine-rnn: {}: stopped after epoch {} of {}; writing the outputs for the weights reached",
            signals::name(sig),
            epochs as i64 - 1,
            cfg.epochs
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
    let healthy = diverged.is_none() && trained.predictions.iter().all(|p| p.is_finite());
    let generated = if healthy { continue_wave(args, &data, &trained, device) } else { Vec::new() };

    // Every output is staged first and moved into place together.
    let mut staged: Vec<Staged> = Vec::new();
    if let Some(mut trace) = trace {
        let epochs = trained.losses.len();
        for (j, [input, context_in, context, pred]) in
            prediction_steps(args.backend, &data, &trained, device).iter().enumerate()
        {
            trace.prediction(
                epochs,
                j,
                [("input", input), ("context_in", context_in), ("context", context), ("pred", pred)],
            );
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
            backend,
            config: &cfg,
            libtorch_version: LIBTORCH_VERSION,
            device: &device::name(device),
            data: &data,
            trained: &trained,
            generated: &generated,
            interrupted_by: interrupted.map(signals::name),
        };
        staged.push(stage(path, serde_json::to_string_pretty(&record.to_json())?.as_bytes())?);
    }
    if healthy {
        // Step 6: the plot.
        if !args.no_plot {
            let format = Format::from_path(&args.plot).unwrap_or(Format::Png);
            let finite = generated.iter().take_while(|v| v.is_finite()).count();
            let later = times_after(&data.time_steps, finite);
            let (actual, _) = data.xy_values();
            let bytes = plot::render(
                format,
                &data.time_steps,
                actual,
                &trained.predictions,
                (&later, &generated[..finite]),
            )?;
            staged.push(stage(&args.plot, &bytes)?);
        }
        if let Some(path) = &args.loss_plot {
            let format = Format::from_path(path).unwrap_or(Format::Png);
            staged.push(stage(path, &plot::render_losses(format, &trained.losses)?)?);
        }
    }
    for path in files::commit_all(staged)? {
        if path.as_os_str() == files::STDOUT {
            note!("sine-rnn: wrote the record to stdout");
        } else {
            note!("sine-rnn: wrote {}", path.display());
        }
    }
    Ok(match interrupted {
        Some(sig) => signals::exit_code(sig),
        None if healthy => EXIT_OK,
        None => EXIT_DIVERGED,
    })
}

/// `--trace`: the file and its header line, before the first step.
fn start_trace(path: &std::path::Path, args: &Args, cfg: &Config, device: Device) -> Result<TraceWriter> {
    let header = serde_json::json!({
        "program": "sine-rnn",
        "backend": args.backend.name(),
        "config": config_json(cfg),
        "device": device::name(device),
        "init": args.init_weights.as_ref().map_or("seed".to_string(), |p| p.display().to_string()),
    });
    let epochs = args.trace_epochs.clone().unwrap_or(EpochRange(0..usize::MAX));
    TraceWriter::create(path, header, &epochs)
}

/// `--generate`: the network fed its own predictions past the data, from the
/// trained weights (whatever backend trained them).
fn continue_wave(args: &Args, data: &SineData, trained: &Trained, device: Device) -> Vec<f32> {
    if args.generate == 0 {
        return Vec::new();
    }
    let w = Weights::from_vecs(&trained.w1, &trained.w2, args.hidden_size, device);
    let generated = generate(data, &w, args.generate);
    if let Some(k) = generated.iter().position(|v| !v.is_finite()) {
        note!("sine-rnn: the generated wave stops being finite after {k} steps; it is drawn up to there");
    }
    generated
}
