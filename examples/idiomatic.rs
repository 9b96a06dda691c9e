//! The tutorial's network the way tch's own examples write a model: the weights
//! live in an `nn::VarStore`, are drawn by `nn::Init`, and an `nn::Sgd` optimizer
//! updates them (`backward_step` is zero_grad, backward and step in one). The
//! data, forward pass and loss are the library's (src/steps), so the training
//! loop is the only difference from `sine-rnn`'s.
//!
//!     cargo run --release --example idiomatic -- --seed 1
//!
//! It takes the tutorial's flags, `--plot` included, and draws the binary's picture
//! with the library's plot (`sine_wave_idiomatic.png` unless told otherwise), but
//! has none of the binary's checks of the path, outputs staged or signal handling.
//!
//! It prints the tutorial's log, and not PyTorch's digits, for two reasons
//! (docs/teaching.md, "The idiomatic tch way"):
//! - `nn::Init::Randn { mean, stdev }` is `randn() * stdev + mean` in float32;
//!   `normal_(mean, std)` does the same from 16 elements on, but draws and scales
//!   a smaller tensor in float64 and rounds once, so w2 can start a bit or two off;
//! - SGD updates with `w.add_(grad, alpha = -lr)`, one rounding, where the
//!   tutorial's `w -= lr * grad` rounds twice.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{value_parser, Parser};
use tch::nn::{self, OptimizerConfig};
use tch::{Device, Kind, Tensor};

use sine_rnn::pyfmt::py_float;
use sine_rnn::steps::data::{sine_data, Config};
use sine_rnn::steps::model::{forward, Weights};
use sine_rnn::steps::plot;
use sine_rnn::steps::train::{loss, predict};
use sine_rnn::tool::kernels::{self, CpuKernels};

/// The sine-wave Elman RNN with tch's VarStore, Init and Sgd.
#[derive(Parser)]
struct Args {
    /// Seed for the initial weights
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Passes over the sequence
    #[arg(long, default_value_t = 300, value_parser = value_parser!(u64).range(..=10_000_000))]
    epochs: u64,
    /// SGD's learning rate
    #[arg(long, default_value_t = 0.1)]
    lr: f64,
    /// Training points (the wave has one more)
    #[arg(long, default_value_t = 20, value_parser = value_parser!(u64).range(1..=1_000_000))]
    seq_length: u64,
    /// Hidden (context) units
    #[arg(long, default_value_t = 6, value_parser = value_parser!(u64).range(1..=4096))]
    hidden_size: u64,
    /// Where the scatter plot goes (.png or .svg)
    #[arg(long, default_value = "sine_wave_idiomatic.png", value_parser = plot_path)]
    plot: PathBuf,
}

/// A name ending in `.png` or `.svg`, the formats the plot is drawn in.
fn plot_path(s: &str) -> Result<PathBuf, String> {
    let path = PathBuf::from(s);
    match plot::is_svg(&path) {
        Some(_) => Ok(path),
        None => Err("the plot path must end in .png or .svg".into()),
    }
}

fn main() -> Result<()> {
    let args = Args::parse();
    // The port's CPU kernels, so that a difference in the digits is this loop's.
    kernels::pin(CpuKernels::Portable);
    let (epochs, seq_length, hidden_size) =
        (args.epochs as usize, args.seq_length as usize, args.hidden_size as usize);
    let cfg = Config { seed: args.seed, epochs, lr: args.lr, seq_length, hidden_size };
    let data = sine_data(cfg.seq_length, Device::Cpu);

    // Step 3: w1 and w2 as variables of a store, drawn by nn::Init after the seed.
    tch::manual_seed(cfg.seed as i64);
    let vs = nn::VarStore::new(Device::Cpu);
    let (input, hidden) = (cfg.input_size() as i64, cfg.hidden_size as i64);
    let w = Weights {
        w1: vs.root().var("w1", &[input, hidden], nn::Init::Randn { mean: 0.0, stdev: 0.4 }),
        w2: vs.root().var("w2", &[hidden, 1], nn::Init::Randn { mean: 0.0, stdev: 0.3 }),
    };
    let mut opt = nn::Sgd::default().build(&vs, cfg.lr)?;

    // Step 5, with the optimizer doing what the tutorial writes out.
    for i in 0..cfg.epochs {
        let mut total_loss = Tensor::zeros([], (Kind::Float, Device::Cpu));
        let mut context = Tensor::zeros([1, hidden], (Kind::Float, Device::Cpu));
        for j in 0..data.x.size()[0] {
            let (pred, new_context) = forward(&data.x.narrow(0, j, 1), &context, &w);
            let loss = loss(&pred, &data.y.narrow(0, j, 1));
            total_loss += loss.detach();
            opt.backward_step(&loss);
            context = new_context.detach();
        }
        if i % 10 == 0 {
            println!("Epoch: {i} loss {}", py_float(total_loss.double_value(&[])));
        }
    }

    // Step 5's prediction pass and step 6's plot, the library's.
    let predictions = predict(&data, &w);
    let bytes = plot::render(&args.plot, &data, &predictions, &[])?;
    std::fs::write(&args.plot, bytes).with_context(|| format!("cannot write {}", args.plot.display()))?;
    eprintln!("wrote {}", args.plot.display());
    Ok(())
}
