//! Command-line scaffolding: flags, their limits, and up-front checks, so that
//! every mistake ends in one line and exit code 2 before any training starts.

use std::path::PathBuf;

use clap::builder::RangedI64ValueParser;
use clap::Parser;

use crate::backends::Backend;
use crate::steps::data::Config;
use crate::steps::plot::Format;
use crate::support::device::DeviceChoice;
use crate::support::files::{check_outputs, same_file, STDOUT};
use crate::support::kernels::CpuKernels;
use crate::support::trace::EpochRange;
use crate::support::weights::{self, WeightValues};

/// Refused up front: w1 alone holds (hidden + 1) × hidden floats, and a step costs
/// O(hidden²); 4096 is 64 MiB of weights and already minutes per epoch.
pub const MAX_HIDDEN_SIZE: usize = 4096;
/// Refused up front: every epoch's loss is kept (for the JSON record and the loss
/// plot), and ten million epochs already take days.
pub const MAX_EPOCHS: usize = 10_000_000;
/// Refused up front: the whole sequence lives in memory and every epoch walks it.
pub const MAX_SEQ_LENGTH: usize = 1_000_000;

/// The flags that name an output file.
pub const PATH_FLAGS: &[&str] =
    &["--plot", "--loss-plot", "--json", "--save-weights", "--trace", "--init-weights"];

/// The PyTorch sine-wave Elman RNN tutorial in Rust (tch). Prints the tutorial's
/// `Epoch: {i} loss {total}` lines on stdout, exactly as PyTorch does; everything
/// else goes to stderr.
#[derive(Debug, Clone, Parser)]
#[command(name = "sine-rnn", version)]
pub struct Args {
    /// Seed for libtorch's generator, as torch.manual_seed(seed)
    #[arg(long, default_value_t = 0, allow_hyphen_values = true, value_parser = parse_seed)]
    pub seed: u64,
    /// Passes over the sequence (0 trains nothing and only predicts; at most 10,000,000)
    #[arg(long, default_value_t = 300, allow_hyphen_values = true, value_parser = count(0, MAX_EPOCHS))]
    pub epochs: usize,
    /// Learning rate of the plain gradient-descent update (finite, > 0)
    #[arg(long, default_value_t = 0.1, allow_hyphen_values = true, value_parser = parse_lr)]
    pub lr: f64,
    /// Training points; the wave is sampled at seq-length + 1 times in [2, 10]
    #[arg(long, default_value_t = 20, allow_hyphen_values = true, value_parser = count(1, MAX_SEQ_LENGTH))]
    pub seq_length: usize,
    /// Hidden (context) units; the input size is hidden-size + 1
    #[arg(long, default_value_t = 6, allow_hyphen_values = true, value_parser = count(1, MAX_HIDDEN_SIZE))]
    pub hidden_size: usize,
    /// How to train: autograd (tch, the port), backward by hand (tch-manual), tch::nn (idiomatic), plain Rust (native)
    #[arg(long, value_enum, default_value_t = Backend::Tch)]
    pub backend: Backend,
    /// Where to run: CUDA if a usable GPU is present (auto), or force one
    #[arg(long, value_enum, default_value_t = DeviceChoice::Auto)]
    pub device: DeviceChoice,
    /// Scatter plot of actual vs predicted values (.png or .svg)
    #[arg(long, default_value = "sine_wave.png", allow_hyphen_values = true, value_parser = parse_plot_path)]
    pub plot: PathBuf,
    /// Do not write the plot
    #[arg(long)]
    pub no_plot: bool,
    /// Continue the wave this many steps past the data, feeding each prediction back in (drawn in the plot)
    #[arg(long, value_name = "N", default_value_t = 0, allow_hyphen_values = true, value_parser = count(0, MAX_SEQ_LENGTH))]
    pub generate: usize,
    /// Also draw every epoch's total loss, log scale (.png or .svg)
    #[arg(long, value_name = "PATH", allow_hyphen_values = true, value_parser = parse_plot_path)]
    pub loss_plot: Option<PathBuf>,
    /// Also write a JSON record of the run (every epoch's loss, predictions, weights, bit-exact); - for stdout, after the log
    #[arg(long, value_name = "PATH", allow_hyphen_values = true, value_parser = parse_path)]
    pub json: Option<PathBuf>,
    /// Print the tutorial's log line on stdout every N-th epoch
    #[arg(long, value_name = "N", default_value_t = 10, allow_hyphen_values = true, value_parser = count(1, MAX_EPOCHS))]
    pub log_every: usize,
    /// Start from these weights instead of the seeded draw (safetensors: float32 w1, w2)
    #[arg(long, value_name = "PATH", allow_hyphen_values = true, value_parser = parse_path)]
    pub init_weights: Option<PathBuf>,
    /// Also save the trained weights (safetensors, as --init-weights and PyTorch read them)
    #[arg(long, value_name = "PATH", allow_hyphen_values = true, value_parser = parse_path)]
    pub save_weights: Option<PathBuf>,
    /// Record every training step's values, bit-exact, for step-by-step parity (JSON Lines)
    #[arg(long, value_name = "PATH", allow_hyphen_values = true, value_parser = parse_path)]
    pub trace: Option<PathBuf>,
    /// Epochs --trace records: A..B (B excluded), A..=B, A.., ..B or N [default: all]
    #[arg(long, value_name = "RANGE", requires = "trace", allow_hyphen_values = true)]
    pub trace_epochs: Option<EpochRange>,
    /// libtorch's CPU kernels: the same bits on any x86-64 CPU with AVX2 (portable), or this CPU's own (machine)
    #[arg(long, value_enum, default_value_t = CpuKernels::Portable)]
    pub cpu_kernels: CpuKernels,
}

impl Args {
    /// Parses the process arguments. On a mistake, prints one line to stderr and
    /// exits with code 2; `--help` and `--version` print and exit 0.
    pub fn parse_or_exit() -> Args {
        // `--json --epochs 3`: clap would complain of the `3`; name the real mistake.
        let raw: Vec<_> = std::env::args_os().collect();
        for pair in raw.windows(2) {
            if let (Some(flag), Some(value)) = (pair[0].to_str(), pair[1].to_str()) {
                if PATH_FLAGS.contains(&flag) {
                    if let Err(why) = parse_path(value) {
                        usage_error(&format!("{flag}: {why}"));
                    }
                }
            }
        }
        let parsed = Args::try_parse();
        if let Ok(args) = &parsed {
            if let Err(why) = args.check() {
                usage_error(&why);
            }
        }
        match parsed {
            Ok(args) => args,
            Err(e) => {
                use clap::error::ErrorKind::{DisplayHelp, DisplayVersion};
                if matches!(e.kind(), DisplayHelp | DisplayVersion) {
                    e.exit();
                }
                usage_error(&one_line(&e.to_string()));
            }
        }
    }

    /// Checks that need more than one flag, or the file system: done before any
    /// training starts, so a typo does not cost a whole run.
    pub fn check(&self) -> Result<(), String> {
        if self.backend == Backend::Native && self.device == DeviceChoice::Cuda {
            return Err("--backend native runs on the CPU only; use --device cpu or auto".into());
        }
        if self.save_weights.as_ref().is_some_and(|p| p.as_os_str() == STDOUT) {
            return Err(
                "--save-weights: safetensors is binary, so it does not go to stdout; give a file name \
                        (for a file named -, write ./-)"
                    .into(),
            );
        }
        if let Some(EpochRange(range)) = &self.trace_epochs {
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
        check_outputs(&self.outputs())?;
        // The run reads its weights before it writes anything: an output over them
        // would destroy them. --save-weights may update them in place.
        if let Some(input) = &self.init_weights {
            if let Some((flag, path)) = self
                .outputs()
                .into_iter()
                .find(|(flag, path)| *flag != "--save-weights" && same_file(input, path))
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
        let mut out = Vec::new();
        if !self.no_plot {
            out.push(("--plot", self.plot.as_path()));
        }
        if let Some(path) = &self.loss_plot {
            out.push(("--loss-plot", path.as_path()));
        }
        if let Some(path) = &self.json {
            out.push(("--json", path.as_path()));
        }
        if let Some(path) = &self.save_weights {
            out.push(("--save-weights", path.as_path()));
        }
        if let Some(path) = &self.trace {
            out.push(("--trace", path.as_path()));
        }
        out
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
/// the usage block.
fn one_line(text: &str) -> String {
    let mut parts = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with("Usage:") || line.starts_with("For more information") {
            break;
        }
        if !line.is_empty() {
            parts.push(line.strip_prefix("error: ").unwrap_or(line));
        }
    }
    if parts.is_empty() {
        return "invalid arguments".into();
    }
    // "…were not provided:" is followed by what was missing: one sentence, not two.
    parts.iter().fold(String::new(), |mut line, part| {
        if !line.is_empty() {
            line.push_str(if line.ends_with(':') { " " } else { "; " });
        }
        line.push_str(part);
        line
    })
}

fn parse_seed(s: &str) -> Result<u64, String> {
    s.trim().parse().map_err(|_| format!("the seed must be a whole number from 0 to {}", u64::MAX))
}

fn parse_lr(s: &str) -> Result<f64, String> {
    let lr: f64 = s.trim().parse().map_err(|_| "expected a number such as 0.1".to_string())?;
    if !(lr.is_finite() && lr > 0.0) {
        return Err("the learning rate must be a finite number > 0, such as 0.1".into());
    }
    // libtorch multiplies a float32 tensor by lr in float32: a rate that rounds to
    // 0 there trains nothing, and one that overflows to inf destroys the weights.
    let single = lr as f32;
    if single == 0.0 {
        return Err(format!(
            "the learning rate {} is 0 in float32, which libtorch computes in; the smallest it takes is {:e}",
            s.trim(),
            f32::from_bits(1)
        ));
    }
    if single.is_infinite() {
        return Err(format!(
            "the learning rate {} is infinite in float32, which libtorch computes in; the largest it takes is {:e}",
            s.trim(),
            f32::MAX
        ));
    }
    Ok(lr)
}

/// An output path. A value that starts with `-` is taken as a name (`-` itself
/// is stdout, for --json), except one that looks like a flag: `--json --epochs 3`
/// is a forgotten file name, not a file called `--epochs`.
fn parse_path(s: &str) -> Result<PathBuf, String> {
    if s.starts_with("--") || s == "-h" || s == "-V" {
        return Err(format!(
            "'{s}' looks like a flag, not a file name; give the file name after the flag \
             (for a file that really is named {s}, write ./{s})"
        ));
    }
    Ok(PathBuf::from(s))
}

/// A whole number in `min..=max`, by clap's own range check; parsed as a signed
/// number first, so `-1` is told the range rather than taken for a flag.
fn count(min: usize, max: usize) -> RangedI64ValueParser<usize> {
    RangedI64ValueParser::new().range(min as i64..=max as i64)
}

fn parse_plot_path(s: &str) -> Result<PathBuf, String> {
    let path = parse_path(s)?;
    if Format::from_path(&path).is_none() {
        return Err("the plot path must end in .png or .svg".into());
    }
    Ok(path)
}

/// Prints one line and exits with the usage-error code.
pub fn usage_error(message: &str) -> ! {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "sine-rnn: error: {message} (see sine-rnn --help)");
    std::process::exit(2);
}
