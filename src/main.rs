//! The `sine-rnn` binary: the tutorial's steps in order, with the scaffolding
//! (flags, device, files) around them.

use std::io::Write;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};

use sine_rnn::cli::Args;
use sine_rnn::data::sine_data;
use sine_rnn::device::{self, DeviceChoice};
use sine_rnn::model::Weights;
use sine_rnn::plot::{self, Format};
use sine_rnn::pyfmt::py_float;
use sine_rnn::report::{write_atomic, RunRecord};
use sine_rnn::train::{diverged_at, predict, to_vec, train};
use sine_rnn::LIBTORCH_VERSION;

/// Exit codes: 0 success, 1 a run-time failure, 2 a usage error, 3 divergence.
const EXIT_RUNTIME: u8 = 1;
const EXIT_USAGE: u8 = 2;
const EXIT_DIVERGED: u8 = 3;

fn main() -> ExitCode {
    let args = Args::parse_or_exit();
    let device = match device::select(args.device) {
        Ok(device) => device,
        Err(e) => {
            eprintln!("sine-rnn: error: {e:#}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    match run(&args, device) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("sine-rnn: error: {e:#}");
            ExitCode::from(EXIT_RUNTIME)
        }
    }
}

fn run(args: &Args, device: tch::Device) -> Result<u8> {
    let cfg = args.config();
    let device_name = device::name(device);
    // Only a run that may use CUDA probes for it: `--device cpu` never loads it.
    let cuda = match args.device {
        DeviceChoice::Cpu => String::new(),
        _ => format!(" (CUDA: {})", device::cuda_status()),
    };
    eprintln!("sine-rnn: libtorch {LIBTORCH_VERSION}, device {device_name}{cuda}");

    // Step 2: the data. Step 3: the weights.
    let data = sine_data(cfg.seq_length, device);
    let mut weights = Weights::init(&cfg, device);

    // Step 5: training; the tutorial's log line every 10th epoch, on stdout only.
    let started = Instant::now();
    let mut stdout = std::io::stdout().lock();
    let mut write_error = None;
    let losses = train(&cfg, &data, &mut weights, |i, total| {
        if i % 10 == 0 && write_error.is_none() {
            write_error = writeln!(stdout, "Epoch: {i} loss {}", py_float(total.into())).err();
        }
    });
    if let Some(e) = write_error {
        return Err(e).context("writing the log to stdout");
    }
    stdout.flush().context("writing the log to stdout")?;
    let train_secs = started.elapsed().as_secs_f64();
    let predictions = predict(&cfg, &data, &weights);
    let steps = cfg.epochs * cfg.seq_length;
    eprintln!(
        "sine-rnn: trained {} epochs x {} points in {:.3} s ({:.1} us per step)",
        cfg.epochs,
        cfg.seq_length,
        train_secs,
        if steps > 0 { 1e6 * train_secs / steps as f64 } else { 0.0 }
    );

    if let Some(path) = &args.json {
        let (w1, w2) = (to_vec(&weights.w1), to_vec(&weights.w2));
        let (h, i) = (cfg.hidden_size, cfg.input_size());
        let record = RunRecord {
            program: "sine-rnn",
            config: &cfg,
            libtorch_version: LIBTORCH_VERSION,
            device: &device_name,
            time_steps: &data.time_steps,
            values: &data.values,
            epoch_losses: &losses,
            predictions: &predictions,
            w1: (&w1, [i, h]),
            w2: (&w2, [h, cfg.output_size()]),
        };
        let text = serde_json::to_string_pretty(&record.to_json())?;
        write_atomic(path, text.as_bytes())?;
        eprintln!("sine-rnn: wrote {}", path.display());
    }

    // A run whose loss blew up still printed what Python prints; say what happened
    // and keep any earlier plot rather than overwrite it with a picture of nothing.
    if let Some(epoch) = diverged_at(&losses) {
        eprintln!(
            "sine-rnn: the loss stopped being finite at epoch {epoch} (lr {}): training diverged; \
             try a smaller --lr, e.g. {}; no plot written",
            py_float(cfg.lr),
            py_float(cfg.lr / 10.0)
        );
        return Ok(EXIT_DIVERGED);
    }
    if predictions.iter().any(|p| !p.is_finite()) {
        eprintln!("sine-rnn: the predictions are not finite; try a smaller --lr; no plot written");
        return Ok(EXIT_DIVERGED);
    }

    // Step 6: the plot.
    if !args.no_plot {
        let format = Format::from_path(&args.plot).unwrap_or(Format::Png);
        let n = cfg.seq_length;
        let bytes = plot::render(format, &data.time_steps, &data.values[..n], &predictions)?;
        write_atomic(&args.plot, &bytes)?;
        eprintln!("sine-rnn: wrote {}", args.plot.display());
    }
    Ok(0)
}
