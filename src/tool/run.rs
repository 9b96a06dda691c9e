//! One run of the tool, in the tutorial's order: the data, the weights, training,
//! prediction, and the outputs, with everything the tool adds around them.

use anyhow::Result;
use tch::Device;

use crate::backends::train_with;
use crate::note;
use crate::steps::data::sine_data;
use crate::steps::train::generate;
use crate::tool::device;
use crate::tool::kernels::{self, Kernels};
use crate::tool::options::Options;
use crate::tool::outputs;
use crate::tool::process::{EXIT_DIVERGED, EXIT_OK};
use crate::tool::progress::RunWatch;
use crate::tool::signals;
use crate::workbench::record::{RunInfo, RunRecord};
use crate::LIBTORCH_VERSION;

/// Runs what `opts` asks on `device`, with the CPU kernels `kernels` pinned;
/// returns the exit code.
pub fn run(opts: &Options, kernels: &Kernels, device: Device) -> Result<u8> {
    let device_name = device::name(device);
    let info = RunInfo { backend: opts.backend.name(), config: &opts.config, device: &device_name };
    let placement = device::describe(opts.device, device);
    note!(
        "sine-rnn: libtorch {LIBTORCH_VERSION}, device {placement}, backend {}, {}",
        info.backend,
        kernels.describe()
    );
    for line in kernels.notes(kernels::cpu_has_avx2()) {
        note!("sine-rnn: {line}");
    }

    // Step 2: the data; steps 3 to 5: weights, training, prediction, watched by the
    // log on stdout, the progress line, `--trace` and the stop signals.
    let cfg = &opts.config;
    let data = sine_data(cfg.seq_length, device);
    let mut watch = RunWatch::start(opts, info)?;
    let init = opts.init.as_ref().map(|(_, values)| values);
    let trained = signals::while_training(|| train_with(opts.backend, cfg, &data, device, init, &mut watch));
    let trace = watch.finish()?;
    let stopped = signals::received();
    let interrupted_by = stopped.map(signals::name);
    outputs::tell(cfg, &trained, interrupted_by.as_deref());

    // `--generate`: the trained network fed its own predictions past the data. A
    // stopped run is not continued: the user asked for an end.
    let mut generated = Vec::new();
    if opts.generate > 0 && trained.healthy() {
        if stopped.is_some() {
            note!("sine-rnn: --generate skipped: the run was stopped");
        } else {
            generated = generate(&data, &trained.weights, opts.generate);
            if let Some(k) = generated.iter().position(|v| !v.is_finite()) {
                note!("sine-rnn: the generated wave stops being finite after {k} steps; it is drawn up to there");
            }
        }
    }

    // Step 6 and the other outputs: all written aside, then put in place together.
    let record = RunRecord {
        info,
        data: &data,
        trained: &trained,
        generated: &generated,
        interrupted_by: interrupted_by.as_deref(),
    };
    outputs::write_all(opts, &record, trace)?;
    Ok(match stopped {
        Some(sig) => signals::exit_code(sig),
        None if trained.healthy() => EXIT_OK,
        None => EXIT_DIVERGED,
    })
}
