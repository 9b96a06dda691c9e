//! Command-line scaffolding: flags, their limits, and up-front checks, so that
//! every mistake ends in one line and exit code 2 before any training starts.

use std::ops::Range;
use std::path::PathBuf;

use clap::builder::RangedI64ValueParser;
use clap::Parser;

use crate::backends::Backend;
use crate::steps::data::Config;
use crate::steps::plot::Format;
use crate::support::device::DeviceChoice;
use crate::support::files::{check_outputs, same_file, STDOUT};
use crate::workbench::kernels::CpuKernels;
use crate::workbench::weights::{self, WeightValues};

/// The largest sizes taken (scripts/reference.py takes the same): w1 alone holds
/// (hidden + 1) × hidden floats, 64 MiB at 4096; every epoch's loss is kept (for
/// the record and the loss plot); the whole sequence lives in memory.
pub const MAX_HIDDEN_SIZE: usize = 4096;
pub const MAX_EPOCHS: usize = 10_000_000;
pub const MAX_SEQ_LENGTH: usize = 1_000_000;

/// The PyTorch sine-wave Elman RNN tutorial in Rust (tch). Prints the tutorial's
/// `Epoch: {i} loss {total}` lines on stdout, exactly as PyTorch does; everything
/// else goes to stderr.
#[derive(Debug, Clone, Parser)]
#[command(name = "sine-rnn", version)]
pub struct Args {
    // Numbers take `allow_negative_numbers`, so `--epochs -1` is told the range;
    // paths do not, so a name that starts with `-` is written `./-x`.
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
    #[arg(long, value_enum, default_value_t = Backend::Tch)]
    pub backend: Backend,
    /// Where to run
    #[arg(long, value_enum, default_value_t = DeviceChoice::Auto)]
    pub device: DeviceChoice,
    /// Scatter plot of actual vs predicted values (.png or .svg)
    #[arg(long, default_value = "sine_wave.png", value_parser = plot_path)]
    pub plot: PathBuf,
    /// Do not write the plot
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
    #[arg(long, value_enum, default_value_t = CpuKernels::Portable)]
    pub cpu_kernels: CpuKernels,
}

impl Args {
    /// Parses the process arguments. On a mistake, prints one line to stderr and
    /// exits with code 2; `--help` and `--version` print and exit 0.
    pub fn parse_or_exit() -> Args {
        let args = Args::try_parse().unwrap_or_else(|e| {
            use clap::error::ErrorKind::{DisplayHelp, DisplayVersion};
            if matches!(e.kind(), DisplayHelp | DisplayVersion) {
                e.exit();
            }
            usage_error(&one_line(&e.to_string()))
        });
        if let Err(why) = args.check() {
            usage_error(&why);
        }
        args
    }

    /// Checks that need more than one flag, or the file system: done before any
    /// training starts, so a typo does not cost a whole run.
    pub fn check(&self) -> Result<(), String> {
        if self.backend == Backend::Native && self.device == DeviceChoice::Cuda {
            return Err("--backend native runs on the CPU only; use --device cpu or auto".into());
        }
        if self.save_weights.as_ref().is_some_and(|p| same_file(p, STDOUT.as_ref())) {
            return Err(
                "--save-weights: safetensors is binary, so it does not go to stdout; give a file name \
                        (for a file named -, write ./-)"
                    .into(),
            );
        }
        if let Some(range) = &self.trace_epochs {
            if range.start >= self.epochs {
                let trained = match self.epochs {
                    0 => "trains no epoch (--epochs 0)".to_string(),
                    n => format!("trains epochs 0 to {}", n - 1),
                };
                return Err(format!(
                    "--trace-epochs: the range starts at epoch {}, but this run {trained}",
                    range.start
                ));
            }
        }
        let outputs = self.outputs();
        check_outputs(&outputs)?;
        // The run reads its weights before it writes anything: an output over them
        // would destroy them. --save-weights may update them in place.
        if let Some(input) = self.init_weights.as_ref().filter(|p| p.exists()) {
            if let Some((flag, path)) =
                outputs.into_iter().find(|(flag, path)| *flag != "--save-weights" && same_file(input, path))
            {
                return Err(format!(
                    "{flag}: {} is the --init-weights file, which this run reads; give the output another name",
                    path.display()
                ));
            }
        }
        Ok(())
    }

    /// Every file the run will write, with the flag that named it.
    pub fn outputs(&self) -> Vec<(&'static str, &std::path::Path)> {
        let plot = (!self.no_plot).then_some(&self.plot);
        [
            ("--plot", plot),
            ("--loss-plot", self.loss_plot.as_ref()),
            ("--json", self.json.as_ref()),
            ("--save-weights", self.save_weights.as_ref()),
            ("--trace", self.trace.as_ref()),
        ]
        .into_iter()
        .filter_map(|(flag, path)| Some((flag, path?.as_path())))
        .collect()
    }

    /// `--init-weights`, read and checked against `--hidden-size`; on any problem
    /// with the file, one line and exit 2, before training.
    pub fn init_weights_or_exit(&self) -> Option<WeightValues> {
        let path = self.init_weights.as_ref()?;
        match weights::read(path, self.hidden_size) {
            Ok(w) => Some(w),
            Err(why) => usage_error(&format!("--init-weights: {why}")),
        }
    }

    /// Where to run: `--device`, except that the native backend is CPU-only.
    pub fn device_choice(&self) -> DeviceChoice {
        if self.backend.uses_libtorch() {
            self.device
        } else {
            DeviceChoice::Cpu
        }
    }

    /// The tutorial's hyper-parameters, as chosen on the command line.
    pub fn config(&self) -> Config {
        Config {
            seed: self.seed,
            epochs: self.epochs,
            lr: self.lr,
            seq_length: self.seq_length,
            hidden_size: self.hidden_size,
        }
    }
}

/// clap's message on one line: the error, what is accepted and any tip, without
/// the usage block ("…not provided:" and what is missing make one sentence).
fn one_line(text: &str) -> String {
    let parts =
        text.lines().map(str::trim).take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more"));
    let parts: Vec<&str> =
        parts.filter(|l| !l.is_empty()).map(|l| l.strip_prefix("error: ").unwrap_or(l)).collect();
    let mut line = String::new();
    for part in parts {
        if !line.is_empty() {
            line.push_str(if line.ends_with(':') { " " } else { "; " });
        }
        line.push_str(part);
    }
    if line.is_empty() {
        line.push_str("invalid arguments");
    }
    line
}

fn parse_seed(s: &str) -> Result<u64, String> {
    s.trim().parse().map_err(|_| format!("the seed must be a whole number from 0 to {}", u64::MAX))
}

/// libtorch multiplies a float32 tensor by lr in float32: a rate that rounds to
/// 0 there trains nothing, and one that overflows to inf destroys the weights.
fn parse_lr(s: &str) -> Result<f64, String> {
    let lr: f64 = s.trim().parse().map_err(|_| "expected a number such as 0.1".to_string())?;
    let (single, s) = (lr as f32, s.trim());
    if !(lr.is_finite() && lr > 0.0) {
        return Err("the learning rate must be a finite number > 0, such as 0.1".into());
    }
    if single == 0.0 {
        let least = f32::from_bits(1);
        return Err(format!(
            "the learning rate {s} is 0 in float32, which libtorch computes in; the smallest it takes is {least:e}"
        ));
    }
    if single.is_infinite() {
        let most = f32::MAX;
        return Err(format!(
            "the learning rate {s} is infinite in float32, which libtorch computes in; the largest it takes is {most:e}"
        ));
    }
    Ok(lr)
}

/// Any path, the empty one included: the checks before training name what is wrong with it.
fn any_path(s: &str) -> Result<PathBuf, String> {
    Ok(PathBuf::from(s))
}

/// A whole number in `min..=max`, by clap's own range check; parsed as a signed
/// number first, so `-1` is told the range rather than taken for a flag.
fn count(min: usize, max: usize) -> RangedI64ValueParser<usize> {
    RangedI64ValueParser::new().range(min as i64..=max as i64)
}

fn plot_path(s: &str) -> Result<PathBuf, String> {
    let path = any_path(s)?;
    if Format::from_path(&path).is_none() {
        return Err("the plot path must end in .png or .svg".into());
    }
    Ok(path)
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
    let range = if let Some((a, b)) = s.split_once("..=") {
        num(a, Some(0))?..num(b, None)? + 1
    } else if let Some((a, b)) = s.split_once("..") {
        num(a, Some(0))?..num(b, Some(usize::MAX))?
    } else {
        let n = num(s, None)?;
        n..n + 1
    };
    if range.is_empty() {
        return Err(format!("the epoch range {s} is empty"));
    }
    Ok(range)
}

/// Prints one line and exits with the usage-error code.
pub fn usage_error(message: &str) -> ! {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "sine-rnn: error: {message} (see sine-rnn --help)");
    std::process::exit(2);
}
