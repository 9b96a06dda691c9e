//! The ways to train the same network from the same data and weight draw, and the
//! one place that picks between them (`--backend`): `tch`, the port itself
//! ([`crate::steps::train`]); `tch-manual` ([`manual`]), the same libtorch ops with
//! the backward pass by hand; `native` ([`native`]), plain Rust `f32` with the
//! gradients of [`grad`]. (tch's own `nn` style is `examples/idiomatic.rs`.)

pub mod grad;
pub mod manual;
pub mod native;

use std::time::{Duration, Instant};

use tch::Device;

use crate::steps::data::{Config, SineData};
use crate::steps::model::Weights;
use crate::steps::train::{self, predict, to_vec};
use crate::steps::watch::Watch;
use crate::workbench::weights::WeightValues;
use native::NativeWeights;

/// The `--backend` flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Backend {
    /// The tutorial on libtorch: tensors, autograd, `no_grad` updates
    Tch,
    /// The same libtorch ops with autograd off and the backward pass by hand (bit-identical)
    TchManual,
    /// The same algorithm in plain Rust `f32`, CPU only, from the same initial weights
    Native,
}

impl Backend {
    /// The name `--backend` takes (`tch-manual`), for logs and the JSON record.
    pub fn name(self) -> String {
        clap::ValueEnum::to_possible_value(&self).map_or_else(String::new, |v| v.get_name().to_owned())
    }
}

/// What a run leaves, whichever backend ran it: plain values for the outputs.
#[derive(Debug, Clone, PartialEq)]
pub struct Trained {
    /// Every epoch's total loss, and the prediction pass's guess for each `y[j]`.
    pub losses: Vec<f32>,
    pub predictions: Vec<f32>,
    /// Final weights, row-major: `w1` is `[hidden + 1, hidden]`, `w2` is `[hidden, 1]`.
    pub w1: Vec<f32>,
    pub w2: Vec<f32>,
    /// The training loop alone: no start-up, no prediction pass, no output.
    pub train_time: Duration,
}

impl Trained {
    /// Finite losses and predictions: only such a run is drawn and continued.
    pub fn healthy(&self) -> bool {
        train::diverged_at(&self.losses).is_none() && self.predictions.iter().all(|p| p.is_finite())
    }
}

/// Steps 3 to 5 with the chosen backend: the seeded draw or `init` (`--init-weights`),
/// training (which `watch` hears of, and may stop), and the prediction pass.
pub fn train_with(
    backend: Backend,
    cfg: &Config,
    data: &SineData,
    device: Device,
    init: Option<&WeightValues>,
    watch: impl Watch,
) -> Trained {
    let start = |device| match init {
        Some(given) => Weights::from_vecs(&given.w1, &given.w2, cfg.hidden_size, device),
        None => Weights::init(cfg, device),
    };
    let started = Instant::now();
    let (losses, w) = match backend {
        Backend::Tch => {
            let mut w = start(device);
            (train::train(cfg, data, &mut w, watch), w)
        }
        Backend::TchManual => {
            let mut w = start(device);
            (manual::train(cfg, data, &mut w, watch), w)
        }
        Backend::Native => {
            let drawn = start(Device::Cpu);
            let mut w = NativeWeights { w1: to_vec(&drawn.w1), w2: to_vec(&drawn.w2) };
            let (x, y) = data.xy_values();
            let losses = native::train(cfg, x, y, &mut w, watch);
            let train_time = started.elapsed();
            let predictions = native::predict(x, &w);
            return Trained { losses, predictions, w1: w.w1, w2: w.w2, train_time };
        }
    };
    let train_time = started.elapsed();
    let predictions = predict(data, &w);
    Trained { losses, predictions, w1: to_vec(&w.w1), w2: to_vec(&w.w2), train_time }
}
