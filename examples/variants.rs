//! Ways a porter might plausibly write the tutorial's maths differently, each one a
//! small change to the training loop of src/steps/train.rs. Some change the bits,
//! some do not; `scripts/variants.sh` traces each and reports where it first parts
//! from PyTorch (docs/parity-workbench.md has the table and the reasons).
//!
//!     cargo run --release --example variants -- --variant square --trace square.jsonl
//!
//! Teaching material only: the port itself (the `sine-rnn` binary) stays line for
//! line with the tutorial.

use std::fs::File;
use std::io::BufWriter;

use anyhow::Result;
use clap::{Parser, ValueEnum};
use tch::nn::OptimizerConfig;
use tch::{nn, Device, Kind, Tensor};

use parity_trace::Tracer;
use sine_rnn::pyfmt::py_float;
use sine_rnn::steps::data::{linspace, sine_data, Config, SineData};
use sine_rnn::steps::model::{forward, Weights};
use sine_rnn::steps::watch::TrainStep;
use sine_rnn::workbench::record::config_json;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Variant {
    /// The port itself, unchanged.
    Port,
    /// `(pred - target).square()` for `.pow(2)`.
    Square,
    /// `.pow(2).mean()` for `.pow(2).sum() / 2` (the "MSE" habit).
    Mean,
    /// `mse_loss(pred, target) / 2`: the same maths by PyTorch's own loss function.
    MseLoss,
    /// The epoch total summed in f64 on the host instead of a float32 tensor.
    F64Total,
    /// `w.add_(grad, alpha = -lr)` (what optimizers do) for `w -= lr * grad`.
    FusedUpdate,
    /// The gradients cleared between `backward()` and the update.
    ZeroBeforeUpdate,
    /// The gradients cleared before `backward()` (the optimizer habit) instead of after the update.
    ZeroBeforeBackward,
    /// w2 updated before w1.
    UpdateW2First,
    /// w2 drawn before w1.
    DrawW2First,
    /// `sin` taken in f32 instead of f64, then rounded.
    SinF32,
    /// `linspace` as `start + i * (stop - start) / (n - 1)`.
    NaiveLinspace,
}

#[derive(Parser)]
struct Args {
    #[arg(long, value_enum)]
    variant: Variant,
    #[arg(long)]
    trace: std::path::PathBuf,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    #[arg(long, default_value_t = 300)]
    epochs: usize,
}

fn main() -> Result<()> {
    let args = Args::parse();
    // The port's kernels, so that a difference is the variant's (src/tool/kernels.rs).
    sine_rnn::tool::kernels::pin(sine_rnn::tool::kernels::CpuKernels::Portable);
    let v = args.variant;
    let cfg = Config { seed: args.seed, epochs: args.epochs, ..Config::default() };
    let data = data(&cfg, v);
    let meta = serde_json::json!({
        "backend": format!("variant {v:?}"),
        "config": config_json(&cfg),
        "device": "cpu",
        "init": "seed",
    });
    let mut trace = Tracer::new(BufWriter::new(File::create(&args.trace)?), "examples/variants.rs", meta)?;

    let mut w = weights(&cfg, v);
    // The fused update is libtorch's own SGD step, over the very same weights.
    let vs = nn::VarStore::new(Device::Cpu);
    let mut sgd = None;
    if v == Variant::FusedUpdate {
        w = Weights { w1: vs.root().var_copy("w1", &w.w1), w2: vs.root().var_copy("w2", &w.w2) };
        sgd = Some(nn::Sgd::default().build(&vs, cfg.lr)?);
    }
    let mut last_total = f64::NAN;
    for i in 0..cfg.epochs {
        let mut total_loss = Tensor::zeros([], (Kind::Float, Device::Cpu));
        let mut total_f64 = 0f64;
        let mut context = Tensor::zeros([1, 6], (Kind::Float, Device::Cpu)).set_requires_grad(true);
        for j in 0..data.x.size()[0] {
            let input = data.x.narrow(0, j, 1);
            let target = data.y.narrow(0, j, 1);
            if v == Variant::ZeroBeforeBackward {
                w.w1.zero_grad();
                w.w2.zero_grad();
            }
            let (pred, new_context) = forward(&input, &context, &w);
            let loss = match v {
                Variant::Square => (&pred - &target).square().sum(Kind::Float) / 2,
                Variant::Mean => (&pred - &target).pow_tensor_scalar(2).mean(Kind::Float),
                Variant::MseLoss => pred.mse_loss(&target, tch::Reduction::Mean) / 2,
                _ => (&pred - &target).pow_tensor_scalar(2).sum(Kind::Float) / 2,
            };
            total_loss += loss.detach();
            total_f64 += loss.double_value(&[]);
            loss.backward();
            if v == Variant::ZeroBeforeUpdate {
                w.w1.zero_grad();
                w.w2.zero_grad();
            }
            let (g1, g2) = (w.w1.grad(), w.w2.grad());
            tch::no_grad(|| match (v, sgd.as_mut()) {
                (Variant::FusedUpdate, Some(opt)) => opt.step(),
                (Variant::UpdateW2First, _) => {
                    w.w2 -= w.w2.grad() * cfg.lr;
                    w.w1 -= w.w1.grad() * cfg.lr;
                }
                _ => {
                    w.w1 -= w.w1.grad() * cfg.lr;
                    w.w2 -= w.w2.grad() * cfg.lr;
                }
            });
            let tensors = TrainStep {
                input: &input,
                context_in: &context,
                context: &new_context,
                pred: &pred,
                loss: &loss,
                grad_w1: &g1,
                grad_w2: &g2,
                w1: &w.w1,
                w2: &w.w2,
            };
            trace.record(("train", i, j), &tensors.named())?;
            if v != Variant::ZeroBeforeBackward {
                w.w1.zero_grad();
                w.w2.zero_grad();
            }
            context = new_context.detach();
        }
        last_total = if v == Variant::F64Total { total_f64 } else { total_loss.double_value(&[]) };
    }
    trace.finish()?;
    println!("final loss {}", py_float(last_total));
    Ok(())
}

/// Step 2, or a variant of it.
fn data(cfg: &Config, v: Variant) -> SineData {
    let mut data = sine_data(cfg.seq_length, Device::Cpu);
    let n = cfg.seq_length + 1;
    let t: Vec<f64> = match v {
        Variant::NaiveLinspace => (0..n).map(|i| 2.0 + i as f64 * (10.0 - 2.0) / (n - 1) as f64).collect(),
        _ => linspace(2.0, 10.0, n),
    };
    let values: Vec<f32> =
        t.iter().map(|t| if v == Variant::SinF32 { (*t as f32).sin() } else { t.sin() as f32 }).collect();
    let column = |s: &[f32]| Tensor::from_slice(s).reshape([s.len() as i64, 1]);
    data.x = column(&values[..cfg.seq_length]);
    data.y = column(&values[1..]);
    data
}

/// Step 3, or a variant of it.
fn weights(cfg: &Config, v: Variant) -> Weights {
    if v != Variant::DrawW2First {
        return Weights::init(cfg, Device::Cpu);
    }
    tch::manual_seed(cfg.seed as i64);
    let mut w2 = Tensor::empty([6, 1], (Kind::Float, Device::Cpu));
    let _ = w2.normal_(0.0, 0.3);
    let mut w1 = Tensor::empty([7, 6], (Kind::Float, Device::Cpu));
    let _ = w1.normal_(0.0, 0.4);
    Weights::from_cpu(w1, w2, Device::Cpu)
}
