//! The `sine-rnn` binary: the tutorial's steps in order, with the scaffolding
//! (flags, device, files) around them.

use std::io::Write;
use std::time::Instant;

use anyhow::{Context, Result};
use tch::Device;

use sine_rnn::cli::{Args, Backend};
use sine_rnn::data::{sine_data, times_after, Config, SineData};
use sine_rnn::device::{self, DeviceChoice};
use sine_rnn::model::Weights;
use sine_rnn::native::{self, NativeWeights};
use sine_rnn::plot::{self, Format};
use sine_rnn::pyfmt::py_float;
use sine_rnn::report::{write_atomic, RunRecord};
use sine_rnn::train::{diverged_at, generate, predict, to_vec, train};
use sine_rnn::LIBTORCH_VERSION;
use sine_rnn::{idiomatic, manual};

/// Exit codes: 0 success, 1 a run-time failure, 2 a usage error, 3 divergence.
const EXIT_RUNTIME: u8 = 1;
const EXIT_USAGE: u8 = 2;
const EXIT_DIVERGED: u8 = 3;

/// A line on stderr. Unlike `eprintln!`, it does not panic when stderr is closed
/// (`sine-rnn 2>&1 | head -3`): a lost progress note is no reason to fail a run.
macro_rules! note {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

fn main() {
    let args = Args::parse_or_exit();
    // tch turns a libtorch exception (say, CUDA out of memory) into a panic: report
    // it in one line instead of a backtrace, and exit as any run-time failure.
    std::panic::set_hook(Box::new(|info| {
        let what = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("unknown failure");
        let first = what.lines().next().unwrap_or(what);
        note!("sine-rnn: error: libtorch failed: {first}");
    }));
    let choice = if args.backend == Backend::Native { DeviceChoice::Cpu } else { args.device };
    let code = match device::select(choice) {
        Err(e) => {
            note!("sine-rnn: error: {e:#}");
            EXIT_USAGE
        }
        Ok(device) => match std::panic::catch_unwind(|| run(&args, device)) {
            Ok(Ok(code)) => code,
            Ok(Err(e)) => {
                note!("sine-rnn: error: {e:#}");
                EXIT_RUNTIME
            }
            Err(_) => EXIT_RUNTIME, // the hook has said what happened
        },
    };
    exit_now(code)
}

/// Ends the process without running libtorch's static destructors, which
/// unregister its ~2,000 operators one by one: about 0.1 s (a tenth of the whole
/// run) spent tidying memory the kernel frees anyway. Our output is flushed and
/// our files are closed and renamed by the time we get here.
fn exit_now(code: u8) -> ! {
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    // SAFETY: _exit only ends the process; nothing of ours is left unwritten.
    unsafe { libc::_exit(code.into()) }
}

/// What a training run leaves behind, whichever backend ran it.
struct Trained {
    losses: Vec<f32>,
    predictions: Vec<f32>,
    w1: Vec<f32>,
    w2: Vec<f32>,
}

fn run(args: &Args, device: Device) -> Result<u8> {
    let cfg = args.config();
    let device_name = device::name(device);
    // Only a run that may use CUDA probes for it: `--device cpu` never loads it.
    let cuda = match (args.device, args.backend) {
        (DeviceChoice::Cpu, _) | (_, Backend::Native) => String::new(),
        _ => format!(" (CUDA: {})", device::cuda_status()),
    };
    let backend = match args.backend {
        Backend::Tch => "",
        Backend::TchManual => ", backend tch-manual",
        Backend::Idiomatic => ", backend idiomatic",
        Backend::Native => ", backend native",
    };
    note!("sine-rnn: libtorch {LIBTORCH_VERSION}, device {device_name}{cuda}{backend}");

    // Step 2: the data.
    let data = sine_data(cfg.seq_length, device);

    // Step 5: training; the tutorial's log line every 10th epoch, on stdout only.
    let started = Instant::now();
    let mut stdout = std::io::stdout().lock();
    let mut write_error = None;
    let mut reader_gone = false;
    let log = |i: usize, total: f32| {
        if i % 10 == 0 && write_error.is_none() && !reader_gone {
            match writeln!(stdout, "Epoch: {i} loss {}", py_float(total.into())) {
                // `sine-rnn | head -3`: the reader has what it wanted; carry on quietly.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => reader_gone = true,
                Err(e) => write_error = Some(e),
                Ok(()) => {}
            }
        }
    };
    let trained = match args.backend {
        // Step 3, the weights, is the same libtorch draw for all backends but the
        // idiomatic one, which lets nn::Init draw its own.
        Backend::Tch => train_tch(&cfg, &data, Weights::init(&cfg, device), train, log),
        Backend::TchManual => train_tch(&cfg, &data, Weights::init(&cfg, device), manual::train, log),
        Backend::Idiomatic => train_idiomatic(&cfg, &data, device, log)?,
        Backend::Native => train_native(&cfg, &data, &Weights::init(&cfg, device), log),
    };
    if let Some(e) = write_error {
        return Err(e).context("writing the log to stdout");
    }
    match stdout.flush() {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            return Err(e).context("writing the log to stdout")
        }
        _ => {}
    }
    let train_secs = started.elapsed().as_secs_f64();
    let steps = cfg.epochs * cfg.seq_length;
    note!(
        "sine-rnn: trained {} epochs x {} points in {:.6} s ({:.2} us per step)",
        cfg.epochs,
        cfg.seq_length,
        train_secs,
        if steps > 0 { 1e6 * train_secs / steps as f64 } else { 0.0 }
    );

    if let Some(path) = &args.json {
        let (h, i) = (cfg.hidden_size, cfg.input_size());
        let record = RunRecord {
            program: "sine-rnn",
            config: &cfg,
            libtorch_version: LIBTORCH_VERSION,
            device: &device_name,
            time_steps: &data.time_steps,
            values: &data.values,
            epoch_losses: &trained.losses,
            predictions: &trained.predictions,
            w1: (&trained.w1, [i, h]),
            w2: (&trained.w2, [h, cfg.output_size()]),
        };
        let text = serde_json::to_string_pretty(&record.to_json())?;
        write_atomic(path, text.as_bytes())?;
        note!("sine-rnn: wrote {}", path.display());
    }

    // A run whose loss blew up still printed what Python prints; say what happened
    // and keep any earlier plot rather than overwrite it with a picture of nothing.
    if let Some(epoch) = diverged_at(&trained.losses) {
        note!(
            "sine-rnn: the loss stopped being finite at epoch {epoch} (lr {}): training diverged; \
             try a smaller --lr, e.g. {}; no plot written",
            py_float(cfg.lr),
            py_float(cfg.lr / 10.0)
        );
        return Ok(EXIT_DIVERGED);
    }
    if trained.predictions.iter().any(|p| !p.is_finite()) {
        note!("sine-rnn: the predictions are not finite; try a smaller --lr; no plot written");
        return Ok(EXIT_DIVERGED);
    }

    // Step 6: the plot, with the closed-loop continuation if asked for.
    let generated = if args.generate > 0 && !args.no_plot {
        let w = Weights::from_vecs(&trained.w1, &trained.w2, cfg.hidden_size, device);
        generate(&data, &w, args.generate)
    } else {
        Vec::new()
    };
    if let Some(k) = generated.iter().position(|v| !v.is_finite()) {
        note!("sine-rnn: the generated wave stops being finite after {k} steps; it is drawn up to there");
    }
    let finite = generated.iter().take_while(|v| v.is_finite()).count();
    if !args.no_plot {
        let format = Format::from_path(&args.plot).unwrap_or(Format::Png);
        let n = cfg.seq_length;
        let later = times_after(&data.time_steps, finite);
        let bytes = plot::render(
            format,
            &data.time_steps,
            &data.values[..n],
            &trained.predictions,
            (&later, &generated[..finite]),
        )?;
        write_atomic(&args.plot, &bytes)?;
        note!("sine-rnn: wrote {}", args.plot.display());
    }
    if let Some(path) = &args.loss_plot {
        let format = Format::from_path(path).unwrap_or(Format::Png);
        write_atomic(path, &plot::render_losses(format, &trained.losses)?)?;
        note!("sine-rnn: wrote {}", path.display());
    }
    Ok(0)
}

/// Step 5 on libtorch: the port proper (src/train.rs), or its autograd-free twin
/// (src/manual.rs).
fn train_tch<L: FnMut(usize, f32)>(
    cfg: &Config,
    data: &SineData,
    mut w: Weights,
    train: fn(&Config, &SineData, &mut Weights, L) -> Vec<f32>,
    log: L,
) -> Trained {
    let losses = train(cfg, data, &mut w, log);
    let predictions = predict(cfg, data, &w);
    Trained { losses, predictions, w1: to_vec(&w.w1), w2: to_vec(&w.w2) }
}

/// Step 5 with tch's nn module (src/idiomatic.rs); it draws its own weights.
fn train_idiomatic(
    cfg: &Config,
    data: &SineData,
    device: Device,
    log: impl FnMut(usize, f32),
) -> Result<Trained> {
    let (losses, w) = idiomatic::train(cfg, data, device, log)?;
    let predictions = predict(cfg, data, &w);
    Ok(Trained { losses, predictions, w1: to_vec(&w.w1), w2: to_vec(&w.w2) })
}

/// Step 5 in plain Rust (src/native.rs), from the same initial weights and data.
fn train_native(cfg: &Config, data: &SineData, w: &Weights, log: impl FnMut(usize, f32)) -> Trained {
    let n = cfg.seq_length;
    let (x, y) = (&data.values[..n], &data.values[1..]);
    let mut w = NativeWeights { hidden: cfg.hidden_size, w1: to_vec(&w.w1), w2: to_vec(&w.w2) };
    let losses = native::train(cfg, x, y, &mut w, log);
    let predictions = native::predict(x, &w);
    Trained { losses, predictions, w1: w.w1, w2: w.w2 }
}
