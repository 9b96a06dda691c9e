//! The `sine-rnn` binary: parse the flags, pick the device, run the tutorial's
//! steps with the chosen backend, write the outputs.

use anyhow::Result;
use tch::Device;

use sine_rnn::backends::train_with;
use sine_rnn::note;
use sine_rnn::steps::data::sine_data;
use sine_rnn::steps::model::Weights;
use sine_rnn::steps::train::generate;
use sine_rnn::support::cli::Args;
use sine_rnn::support::device;
use sine_rnn::support::outputs;
use sine_rnn::support::process::{self, EXIT_DIVERGED, EXIT_OK, EXIT_RUNTIME, EXIT_USAGE};
use sine_rnn::support::signals;
use sine_rnn::support::watch::RunWatch;
use sine_rnn::workbench::kernels::{self, Kernels};
use sine_rnn::LIBTORCH_VERSION;

fn main() {
    if let Err(e) = signals::install() {
        note!("sine-rnn: error: {e:#}");
        process::exit_now(EXIT_RUNTIME);
    }
    let args = Args::parse_or_exit();
    // Before the first tensor operation, which is when libtorch reads them.
    let kernels = kernels::pin(args.cpu_kernels);
    process::install_panic_hook();
    let code = match device::select(args.device_choice()) {
        Err(e) => {
            note!("sine-rnn: error: {e:#}");
            EXIT_USAGE
        }
        Ok(device) => match std::panic::catch_unwind(|| run(&args, &kernels, device)) {
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

fn run(args: &Args, kernels: &Kernels, device: Device) -> Result<u8> {
    let cfg = args.config();
    let (placement, backend) = (device::describe(args.device_choice(), device), args.backend.name());
    note!(
        "sine-rnn: libtorch {LIBTORCH_VERSION}, device {placement}, backend {backend}, {}",
        kernels.describe()
    );
    for line in kernels.notes(kernels::cpu_has_avx2()) {
        note!("sine-rnn: {line}");
    }

    // Step 2: the data; steps 3 to 5: weights, training, prediction, watched by the
    // log on stdout, the progress line, `--trace` and the stop signals.
    let data = sine_data(cfg.seq_length, device);
    let mut watch = RunWatch::start(args, &cfg, device)?;
    let trained = signals::while_training(|| {
        train_with(args.backend, &cfg, &data, device, args.init.as_ref(), &mut watch)
    });
    let trace = watch.finish()?;
    let stopped = signals::received();
    outputs::tell(&cfg, &trained, stopped);

    // `--generate`: the trained network fed its own predictions past the data. A
    // stopped run is not continued: the user asked for an end.
    let mut generated = Vec::new();
    if args.generate > 0 && trained.healthy() {
        if stopped.is_some() {
            note!("sine-rnn: --generate skipped: the run was stopped");
        } else {
            let w = Weights::from_vecs(&trained.w1, &trained.w2, cfg.hidden_size, device);
            generated = generate(&data, &w, args.generate);
            if let Some(k) = generated.iter().position(|v| !v.is_finite()) {
                note!("sine-rnn: the generated wave stops being finite after {k} steps; it is drawn up to there");
            }
        }
    }

    // Step 6 and the other outputs: all written aside, then put in place together.
    outputs::write_all(args, &data, &trained, &generated, device, stopped, trace)?;
    Ok(match stopped {
        Some(sig) => signals::exit_code(sig),
        None if trained.healthy() => EXIT_OK,
        None => EXIT_DIVERGED,
    })
}
