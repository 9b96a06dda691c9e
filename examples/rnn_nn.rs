//! examples/rnn_nn.py ported to tch's `nn`: the sine-wave task with an Elman RNN
//! and a linear read-out, both without biases, trained by SGD one step per point.
//! The same flags, log, trace records and weight files; docs/parity-workbench.md
//! ("Port your own model") compares the two with their traces.
//!
//!     cargo run --release --example rnn_nn
//!     cargo run --release --example rnn_nn -- --init-weights init.safetensors --trace rust.jsonl
//!
//! tch 0.26's `nn` has LSTM and GRU layers but no plain RNN, so the RNN here is two
//! variables under PyTorch's names and libtorch's own `rnn_tanh`, the op that
//! PyTorch's `nn.RNN(nonlinearity="tanh")` calls. Shapes are its default layout,
//! `[seq, batch, feature]`.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use anyhow::{bail, ensure, Context, Result};
use clap::{value_parser, Parser};
use serde_json::json;
use tch::nn::{self, Module, OptimizerConfig};
use tch::{Device, Kind, Tensor};

use parity_trace::Tracer;
use sine_rnn::pyfmt::py_float;
use sine_rnn::steps::data::linspace;

/// The sine-wave RNN with tch's nn: an RNN, a linear layer and SGD.
#[derive(Parser)]
#[command(allow_negative_numbers = true)] // `--lr -0.1` is a value, as for argparse
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
    /// Points to learn (the data has one more)
    #[arg(long, default_value_t = 20, value_parser = value_parser!(u64).range(1..=1_000_000))]
    seq_length: u64,
    /// Size of the hidden state
    #[arg(long, default_value_t = 6, value_parser = value_parser!(u64).range(1..=4096))]
    hidden_size: u64,
    /// Write every step's values here (parity-trace/1)
    #[arg(long)]
    trace: Option<PathBuf>,
    /// Write the weights after training here (safetensors)
    #[arg(long)]
    save_weights: Option<PathBuf>,
    /// Start from these weights (safetensors) instead of the seeded draw
    #[arg(long)]
    init_weights: Option<PathBuf>,
}

/// `nn.RNN(1, hidden, bias=False)` and `nn.Linear(hidden, 1, bias=False)`, their
/// variables named as PyTorch names them.
struct Model {
    w_ih: Tensor,
    w_hh: Tensor,
    linear: nn::Linear,
}

impl Model {
    /// Drawn as PyTorch draws them, in the same order and with the same bounds,
    /// computed the same way: `nn.RNN` takes U(-1/√hidden, 1/√hidden) for each
    /// weight; `nn.Linear` calls `kaiming_uniform_(a=√5)`, whose bound is
    /// √3 · √(2 / (1 + a²)) / √hidden (which is not always 1/√hidden in floating point).
    /// tch's own defaults (`nn::Init`'s Kaiming for ReLU) draw other numbers.
    fn new(vs: &nn::Path, hidden: i64) -> Model {
        let stdv = 1.0 / (hidden as f64).sqrt();
        let uniform = nn::Init::Uniform { lo: -stdv, up: stdv };
        let rnn = vs / "rnn";
        let w_ih = rnn.var("weight_ih_l0", &[hidden, 1], uniform);
        let w_hh = rnn.var("weight_hh_l0", &[hidden, hidden], uniform);
        let a = 5f64.sqrt();
        let bound = 3f64.sqrt() * ((2.0 / (1.0 + a * a)).sqrt() / (hidden as f64).sqrt());
        let ws_init = nn::Init::Uniform { lo: -bound, up: bound };
        let linear =
            nn::linear(vs / "linear", hidden, 1, nn::LinearConfig { ws_init, bs_init: None, bias: false });
        Model { w_ih, w_hh, linear }
    }

    /// `out, hidden = self.rnn(input, hidden); return self.linear(out), hidden`.
    fn forward(&self, input: &Tensor, hidden: &Tensor) -> (Tensor, Tensor) {
        // No biases, 1 layer, no dropout, training, one direction, not batch-first.
        let (out, hidden) =
            input.rnn_tanh(hidden, &[&self.w_ih, &self.w_hh], false, 1, 0.0, true, false, false);
        (self.linear.forward(&out), hidden)
    }

    /// The parameters in PyTorch's order (`model.named_parameters()`).
    fn named(&self) -> [(&'static str, &Tensor); 3] {
        [
            ("rnn.weight_ih_l0", &self.w_ih),
            ("rnn.weight_hh_l0", &self.w_hh),
            ("linear.weight", &self.linear.ws),
        ]
    }
}

fn main() {
    if let Err(e) = run() {
        eprintln!("rnn_nn: error: {e:#}");
        std::process::exit(1);
    }
}

fn run() -> Result<()> {
    // Pin the CPU kernels before the first tensor operation, as examples/rnn_nn.py
    // does before `import torch`. A value you set yourself wins.
    for (name, value) in [("MKL_CBWR", "COMPATIBLE"), ("ATEN_CPU_CAPABILITY", "avx2")] {
        if std::env::var_os(name).is_none() {
            std::env::set_var(name, value);
        }
    }
    let args = Args::parse();
    let (seq_length, hidden_size) = (args.seq_length as usize, args.hidden_size as i64);

    // The data, as the tutorial makes it: float64 sines, rounded to float32 once.
    let data: Vec<f32> = linspace(2.0, 10.0, seq_length + 1).iter().map(|t| t.sin() as f32).collect();
    let data = Tensor::from_slice(&data).reshape([-1, 1, 1]);
    let (x, y) = (data.narrow(0, 0, seq_length as i64), data.narrow(0, 1, seq_length as i64));

    tch::manual_seed(args.seed as i64);
    let vs = nn::VarStore::new(Device::Cpu);
    let model = Model::new(&vs.root(), hidden_size);
    if let Some(path) = &args.init_weights {
        load_weights(&model, path).with_context(|| format!("--init-weights {}", path.display()))?;
    }
    let mut opt = nn::Sgd::default().build(&vs, args.lr)?;

    let mut trace = match &args.trace {
        Some(path) => {
            let meta = json!({"seed": args.seed, "epochs": args.epochs, "lr": args.lr, "seq_length": seq_length,
                "hidden_size": hidden_size, "init_weights": args.init_weights, "libtorch": sine_rnn::LIBTORCH_VERSION});
            let file = File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
            Some(Tracer::new(BufWriter::new(file), "examples/rnn_nn.rs", meta)?)
        }
        None => None,
    };

    for i in 0..args.epochs {
        let mut total_loss = Tensor::zeros([], (Kind::Float, Device::Cpu));
        let mut hidden = Tensor::zeros([1, 1, hidden_size], (Kind::Float, Device::Cpu));
        for j in 0..seq_length as i64 {
            let (input, target) = (x.narrow(0, j, 1), y.narrow(0, j, 1));
            let (pred, hidden_out) = model.forward(&input, &hidden);
            let loss = (&pred - target).pow_tensor_scalar(2).sum(Kind::Float) / 2;
            total_loss += loss.detach();
            opt.zero_grad();
            loss.backward();
            opt.step();
            if let Some(trace) = &mut trace {
                // Each parameter's gradient (step() leaves it as backward() made it),
                // then the parameter after the update.
                let grads: Vec<(String, Tensor)> =
                    model.named().iter().map(|(name, p)| (format!("{name}.grad"), p.grad())).collect();
                let mut tensors = vec![
                    ("input", &input),
                    ("hidden_in", &hidden),
                    ("hidden_out", &hidden_out),
                    ("pred", &pred),
                    ("loss", &loss),
                ];
                tensors.extend(grads.iter().map(|(name, g)| (name.as_str(), g)));
                tensors.extend(model.named());
                trace.record(("train", i, j), &tensors).context("cannot write the trace")?;
            }
            hidden = hidden_out.detach();
        }
        if i % 10 == 0 {
            println!("Epoch: {i} loss {}", py_float(total_loss.double_value(&[])));
        }
    }

    if let Some(trace) = trace {
        trace.finish().context("cannot write the trace")?;
    }
    if let Some(path) = &args.save_weights {
        let named: Vec<(&str, Tensor)> = model.named().iter().map(|(n, p)| (*n, p.detach())).collect();
        Tensor::write_safetensors(&named, path)
            .with_context(|| format!("--save-weights {}", path.display()))?;
    }
    Ok(())
}

/// Replaces the seeded weights by a file's, refusing any file that does not hold
/// exactly the three float32 tensors of this model's shapes.
fn load_weights(model: &Model, path: &Path) -> Result<()> {
    let mut found = Tensor::read_safetensors(path).context("not a safetensors file that can be read")?;
    found.sort_by(|a, b| a.0.cmp(&b.0));
    let mut expected: Vec<(&str, Vec<i64>)> = model.named().iter().map(|(n, p)| (*n, p.size())).collect();
    expected.sort();
    let shapes: Vec<(&str, Vec<i64>)> = found.iter().map(|(n, t)| (n.as_str(), t.size())).collect();
    if shapes != expected {
        bail!("holds {shapes:?}, not float32 tensors {expected:?}");
    }
    for (name, t) in &found {
        ensure!(t.kind() == Kind::Float, "{name} is {:?}, not float32", t.kind());
    }
    tch::no_grad(|| {
        for (name, mut p) in model.named().map(|(n, p)| (n, p.shallow_clone())) {
            let (_, t) = found.iter().find(|(n, _)| n == name).expect("matched above");
            p.copy_(t);
        }
    });
    Ok(())
}
