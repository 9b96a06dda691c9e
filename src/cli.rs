//! The command line: the flags, their limits, and the checks made before training,
//! so that every mistake ends in one line and exit code 2 before a run is spent on
//! it. It is converted here, once, into the plain [`Options`] the run reads: no
//! other module knows clap.

use std::ops::Range;
use std::path::PathBuf;

use clap::builder::{PossibleValue, PossibleValuesParser, RangedI64ValueParser, TypedValueParser};
use clap::Parser;

use crate::backends::Backend;
use crate::steps::data::Config;
use crate::steps::plot::is_svg;
use crate::tool::device::DeviceChoice;
use crate::tool::files::{check_outputs, same_file, STDOUT};
use crate::tool::kernels::CpuKernels;
use crate::tool::options::Options;
use crate::tool::process::{self, EXIT_USAGE};
use crate::workbench::weights;

/// The largest sizes taken, as by scripts/reference.py (w1 is 64 MiB at 4096).
pub const MAX_HIDDEN_SIZE: usize = 4096;
pub const MAX_EPOCHS: usize = 10_000_000;
pub const MAX_SEQ_LENGTH: usize = 1_000_000;

/// The PyTorch sine-wave Elman RNN tutorial in Rust (tch). Prints the tutorial's
/// `Epoch: {i} loss {total}` lines on stdout, exactly as PyTorch does; everything
/// else goes to stderr.
#[derive(Debug, Clone, Parser)]
#[command(name = "sine-rnn", version)]
pub struct Args {
    // Numbers take negative values, so `--epochs -1` is told the range; paths do
    // not, so a name that starts with `-` is written `./-x`.
    /// Seed for libtorch's generator, as torch.manual_seed(seed)
    #[arg(long, allow_negative_numbers = true, default_value_t = 0, value_parser = parse_seed)]
    pub seed: u64,
    /// Passes over the sequence (0 trains nothing and only predicts; at most 10,000,000)
    #[arg(long, allow_negative_numbers = true, default_value_t = 300, value_parser = count(0, MAX_EPOCHS))]
    pub epochs: usize,
    /// Learning rate of the plain gradient-descent update (finite, > 0)
    #[arg(long, allow_negative_numbers = true, default_value_t = 0.1, value_parser = parse_lr)]
    pub lr: f64,
    /// Training points; the wave is sampled at seq-length + 1 times in [2, 10]
    #[arg(long, allow_negative_numbers = true, default_value_t = 20, value_parser = count(1, MAX_SEQ_LENGTH))]
    pub seq_length: usize,
    /// Hidden (context) units; the input size is hidden-size + 1
    #[arg(long, allow_negative_numbers = true, default_value_t = 6, value_parser = count(1, MAX_HIDDEN_SIZE))]
    pub hidden_size: usize,
    /// How to train the network
    #[arg(long, default_value = "tch", value_parser = one_of(&Backend::CHOICES))]
    pub backend: Backend,
    /// Where to run
    #[arg(long, default_value = "auto", value_parser = one_of(&DeviceChoice::CHOICES))]
    pub device: DeviceChoice,
    /// Scatter plot of actual vs predicted values (.png or .svg)
    #[arg(long, default_value = "sine_wave.png", value_parser = plot_path)]
    pub plot: PathBuf,
    /// Do not write the plot (wins over --plot, so a script can turn plotting off)
    #[arg(long)]
    pub no_plot: bool,
    /// Continue the wave this many steps past the data, feeding each prediction back in (drawn in the plot)
    #[arg(long, allow_negative_numbers = true, value_name = "N", default_value_t = 0, value_parser = count(0, MAX_SEQ_LENGTH))]
    pub generate: usize,
    /// Also draw every epoch's total loss, log scale (.png or .svg)
    #[arg(long, value_name = "PATH", value_parser = plot_path)]
    pub loss_plot: Option<PathBuf>,
    /// Also write a JSON record of the run (every epoch's loss, predictions, weights, bit-exact); - for stdout, after the log
    #[arg(long, value_name = "PATH", value_parser = any_path)]
    pub json: Option<PathBuf>,
    /// Print the tutorial's log line on stdout every N-th epoch
    #[arg(long, allow_negative_numbers = true, value_name = "N", default_value_t = 10, value_parser = count(1, MAX_EPOCHS))]
    pub log_every: usize,
    /// Start from these weights instead of the seeded draw (safetensors: float32 w1, w2)
    #[arg(long, value_name = "PATH", value_parser = any_path)]
    pub init_weights: Option<PathBuf>,
    /// Also save the trained weights (safetensors, as --init-weights and PyTorch read them)
    #[arg(long, value_name = "PATH", value_parser = any_path)]
    pub save_weights: Option<PathBuf>,
    /// Record every training step's values, bit-exact, for step-by-step parity (JSON Lines)
    #[arg(long, value_name = "PATH", value_parser = any_path)]
    pub trace: Option<PathBuf>,
    /// Epochs --trace records: A..B (B excluded), A..=B, A.., ..B or N [default: all]
    #[arg(long, allow_negative_numbers = true, value_name = "RANGE", requires = "trace", value_parser = epoch_range)]
    pub trace_epochs: Option<Range<usize>>,
    /// Which of libtorch's CPU kernels compute
    #[arg(long, default_value = "portable", value_parser = one_of(&CpuKernels::CHOICES))]
    pub cpu_kernels: CpuKernels,
}

/// The process's flags as [`Options`], checked, and `--init-weights` read. On a
/// mistake, one line on stderr and exit 2; `--help` and `--version` print and exit 0.
pub fn parse_or_exit() -> Options {
    let args = Args::try_parse().unwrap_or_else(|e| {
        use clap::error::ErrorKind::{DisplayHelp, DisplayVersion};
        if matches!(e.kind(), DisplayHelp | DisplayVersion) {
            e.exit();
        }
        usage_error(&one_line(&e.to_string()))
    });
    args.into_options().unwrap_or_else(|why| usage_error(&why))
}

impl Args {
    /// The options, once every check that needs more than one flag, or the file
    /// system, has passed, and `--init-weights` is read.
    pub fn into_options(self) -> Result<Options, String> {
        if self.backend == Backend::Native && self.device == DeviceChoice::Cuda {
            return Err("--backend native runs on the CPU only; use --device cpu or auto".into());
        }
        if self.backend == Backend::Native && self.trace.is_some() {
            return Err(
                "--trace: --backend native has no tensors to trace; use --backend tch or tch-manual".into()
            );
        }
        if self.save_weights.as_ref().is_some_and(|p| same_file(p, STDOUT.as_ref())) {
            let why = "safetensors is binary, so it does not go to stdout; give a file name";
            return Err(format!("--save-weights: {why} (for a file named -, write ./-)"));
        }
        if let Some(start) = self.trace_epochs.as_ref().map(|r| r.start).filter(|&s| s >= self.epochs) {
            let trained = match self.epochs {
                0 => "trains no epoch (--epochs 0)".to_string(),
                n => format!("trains epochs 0 to {}", n - 1),
            };
            return Err(format!("--trace-epochs: the range starts at epoch {start}, but this run {trained}"));
        }
        let (seed, epochs, lr) = (self.seed, self.epochs, self.lr);
        let mut opts = Options {
            config: Config { seed, epochs, lr, seq_length: self.seq_length, hidden_size: self.hidden_size },
            backend: self.backend,
            device: if self.backend == Backend::Native { DeviceChoice::Cpu } else { self.device },
            cpu_kernels: self.cpu_kernels,
            init: None,
            generate: self.generate,
            log_every: self.log_every,
            plot: (!self.no_plot).then_some(self.plot),
            loss_plot: self.loss_plot,
            json: self.json,
            save_weights: self.save_weights,
            trace: self.trace,
            trace_epochs: self.trace_epochs.unwrap_or(0..usize::MAX),
        };
        let outputs = opts.outputs();
        check_outputs(&outputs)?;
        let Some(input) = self.init_weights else { return Ok(opts) };
        // The weights are read before anything is written: an output over them would
        // destroy them. --save-weights may update them in place.
        let why = "is the --init-weights file, which this run reads; give the output another name";
        let over = outputs.iter().find(|(flag, path)| *flag != "--save-weights" && same_file(&input, path));
        if let (true, Some((flag, path))) = (input.exists(), over) {
            return Err(format!("{flag}: {} {why}", path.display()));
        }
        let values =
            weights::read(&input, opts.config.hidden_size).map_err(|e| format!("--init-weights: {e}"))?;
        opts.init = Some((input, values));
        Ok(opts)
    }
}

/// A clap parser for one of a plain enum's `choices`: (value, name, help line).
fn one_of<T: Copy + Send + Sync + 'static>(
    choices: &'static [(T, &'static str, &'static str)],
) -> impl TypedValueParser<Value = T> {
    let values = choices.iter().map(|&(_, name, help)| PossibleValue::new(name).help(help));
    PossibleValuesParser::new(values).try_map(move |given: String| {
        choices.iter().find(|c| c.1 == given).map(|c| c.0).ok_or("not one of the choices")
    })
}

/// clap's message on one line, without the usage block ("…not provided:" and
/// what is missing make one sentence).
fn one_line(text: &str) -> String {
    let parts =
        text.lines().map(str::trim).take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more"));
    let parts = parts.filter(|l| !l.is_empty()).map(|l| l.strip_prefix("error: ").unwrap_or(l));
    let line = parts.fold(String::new(), |line, part| match line.as_str() {
        "" => part.to_string(),
        l if l.ends_with(':') => format!("{l} {part}"),
        l => format!("{l}; {part}"),
    });
    Some(line).filter(|l| !l.is_empty()).unwrap_or_else(|| "invalid arguments".into())
}

fn parse_seed(s: &str) -> Result<u64, String> {
    s.trim().parse().map_err(|_| format!("the seed must be a whole number from 0 to {}", u64::MAX))
}

/// libtorch multiplies a float32 tensor by lr in float32: a rate that rounds to
/// 0 there trains nothing, and one that overflows to inf destroys the weights.
fn parse_lr(s: &str) -> Result<f64, String> {
    let (s, why) = (s.trim(), "in float32, which libtorch computes in; the");
    let lr: f64 = s.parse().map_err(|_| "expected a number such as 0.1".to_string())?;
    match lr as f32 {
        _ if !(lr.is_finite() && lr > 0.0) => {
            Err("the learning rate must be a finite number > 0, such as 0.1".into())
        }
        0.0 => Err(format!("the learning rate {s} is 0 {why} smallest it takes is {:e}", f32::from_bits(1))),
        l if l.is_infinite() => {
            Err(format!("the learning rate {s} is infinite {why} largest it takes is {:e}", f32::MAX))
        }
        _ => Ok(lr),
    }
}

/// Any path, the empty one included: the checks before training say what is wrong.
fn any_path(s: &str) -> Result<PathBuf, String> {
    Ok(PathBuf::from(s))
}

/// A whole number in `min..=max`, by clap's range check; parsed signed, so `-1` is
/// told the range rather than taken for a flag.
fn count(min: usize, max: usize) -> RangedI64ValueParser<usize> {
    RangedI64ValueParser::new().range(min as i64..=max as i64)
}

fn plot_path(s: &str) -> Result<PathBuf, String> {
    match is_svg(s.as_ref()) {
        Some(_) => Ok(PathBuf::from(s)),
        None => Err("the plot path must end in .png or .svg".into()),
    }
}

/// `--trace-epochs`: `A..B` (B excluded, as in Rust and Python's `range`), `A..=B`,
/// `A..`, `..B`, or one epoch `N`; `usize::MAX` as the end means "to the last".
fn epoch_range(s: &str) -> Result<Range<usize>, String> {
    let bad = || format!("expected epochs as A..B, A..=B, A.., ..B or N (e.g. 10..20), not '{s}'");
    // An epoch is below the most --epochs allows, so no bound overflows.
    let num = |t: &str, default: Option<usize>| match (t.trim(), default) {
        ("", Some(d)) => Ok(d),
        (t, _) => match t.parse::<usize>() {
            Ok(n) if n < MAX_EPOCHS => Ok(n),
            Ok(_) => Err(format!("the epochs of a run are 0 to {} at most, not '{s}'", MAX_EPOCHS - 1)),
            Err(_) => Err(bad()),
        },
    };
    let range = match (s.split_once("..="), s.split_once("..")) {
        (Some((a, b)), _) => num(a, Some(0))?..num(b, None)? + 1,
        (_, Some((a, b))) => num(a, Some(0))?..num(b, Some(usize::MAX))?,
        _ => num(s, None).map(|n| n..n + 1)?,
    };
    if range.is_empty() {
        return Err(format!("the epoch range {s} is empty"));
    }
    Ok(range)
}

/// Prints one line and exits with the usage-error code.
pub fn usage_error(message: &str) -> ! {
    process::error_line(message, " (see sine-rnn --help)");
    process::exit_now(EXIT_USAGE)
}
