//! The `sine-rnn` binary: parse the flags, pick the device, run the tutorial's
//! steps with the chosen backend, write the outputs.

use anyhow::Result;
use tch::Device;

use sine_rnn::backends::train_with;
use sine_rnn::note;
use sine_rnn::steps::data::sine_data;
use sine_rnn::support::cli::Args;
use sine_rnn::support::device;
use sine_rnn::support::epoch_log::EpochLog;
use sine_rnn::support::kernels::{self, Kernels};
use sine_rnn::support::outputs::{self, Finished};
use sine_rnn::support::process::{self, EXIT_DIVERGED, EXIT_OK, EXIT_RUNTIME, EXIT_USAGE};
use sine_rnn::support::progress::Progress;
use sine_rnn::support::signals;
use sine_rnn::support::watch::RunWatch;
use sine_rnn::support::weights::WeightValues;
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
    // Before the first tensor operation, which is when libtorch reads them.
    let kernels = kernels::pin(args.cpu_kernels);
    let init = args.init_weights_or_exit();
    process::install_panic_hook();
    let code = match device::select(args.device_choice()) {
        Err(e) => {
            note!("sine-rnn: error: {e:#}");
            EXIT_USAGE
        }
        Ok(device) => match std::panic::catch_unwind(|| run(&args, &kernels, init.as_ref(), device)) {
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

fn run(args: &Args, kernels: &Kernels, init: Option<&WeightValues>, device: Device) -> Result<u8> {
    let cfg = args.config();
    let where_ = device::describe(args.device_choice(), device);
    let backend = args.backend.name();
    note!(
        "sine-rnn: libtorch {LIBTORCH_VERSION}, device {where_}, backend {backend}, {}",
        kernels.describe()
    );
    for line in kernels.notes(kernels::cpu_has_avx2()) {
        note!("sine-rnn: {line}");
    }

    // Step 2: the data; steps 3 to 5: weights, training, prediction, with the
    // tutorial's log line on stdout every 10th epoch (`--log-every`), a progress
    // line on stderr when it is a terminal, and `--trace` if asked for.
    let data = sine_data(cfg.seq_length, device);
    let mut watch = RunWatch {
        log: EpochLog::new(std::io::stdout().lock(), args.log_every),
        progress: Progress::new(cfg.epochs, cfg.seq_length),
        trace: outputs::start_trace(args, &cfg, device)?,
    };
    let trained = signals::while_training(|| train_with(args.backend, &cfg, &data, device, init, &mut watch));
    let trace = watch.finish();
    let (trained, trace) = (trained?, trace?);

    let interrupted = signals::received();
    let healthy = outputs::report_training(&cfg, &trained, interrupted);
    let generated = if healthy {
        outputs::continue_wave(args, &data, &trained, device, interrupted.is_some())
    } else {
        Vec::new()
    };

    // Step 6 and the other outputs: all written aside, then put in place together.
    let run = Finished {
        args,
        cfg: &cfg,
        data: &data,
        trained: &trained,
        generated: &generated,
        device,
        interrupted,
        healthy,
    };
    outputs::commit_all(args, outputs::stage_all(&run, trace)?)?;
    Ok(match interrupted {
        Some(sig) => signals::exit_code(sig),
        None if healthy => EXIT_OK,
        None => EXIT_DIVERGED,
    })
}
