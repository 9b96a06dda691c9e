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
use crate::steps::model::{WeightValues, Weights};
use crate::steps::train::{self, predict};
use crate::steps::watch::Watch;

/// The `--backend` choices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Tch,
    TchManual,
    Native,
}

impl Backend {
    /// Each backend with its name and what it is, for the command line.
    pub const CHOICES: [(Backend, &'static str, &'static str); 3] = [
        (Backend::Tch, Backend::Tch.name(), "The tutorial on libtorch: tensors, autograd, `no_grad` updates"),
        (
            Backend::TchManual,
            Backend::TchManual.name(),
            "The same libtorch ops with autograd off and the backward pass by hand (bit-identical)",
        ),
        (
            Backend::Native,
            Backend::Native.name(),
            "The same algorithm in plain Rust `f32`, CPU only, from the same initial weights",
        ),
    ];

    /// The name `--backend` takes, the logs and the JSON record use.
    pub const fn name(self) -> &'static str {
        match self {
            Backend::Tch => "tch",
            Backend::TchManual => "tch-manual",
            Backend::Native => "native",
        }
    }
}

/// What a run leaves, whichever backend ran it.
#[derive(Debug)]
pub struct Trained {
    /// Every epoch's total loss, and the prediction pass's guess for each `y[j]`.
    pub losses: Vec<f32>,
    pub predictions: Vec<f32>,
    /// The final weights as tensors on the run's device, which `--generate` goes on
    /// from (the native backend's on the CPU), and their values, read once.
    pub weights: Weights,
    pub values: WeightValues,
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
        Some(given) => Weights::from_values(given, device),
        None => Weights::init(cfg, device),
    };
    let started = Instant::now();
    let (losses, weights) = match backend {
        Backend::Tch => {
            let mut w = start(device);
            (train::train(cfg, data, &mut w, watch), w)
        }
        Backend::TchManual => {
            let mut w = start(device);
            (manual::train(cfg, data, &mut w, watch), w)
        }
        Backend::Native => {
            let mut values = start(Device::Cpu).values();
            let (x, y) = data.xy_values();
            let losses = native::train(cfg, x, y, &mut values, watch);
            let train_time = started.elapsed();
            let predictions = native::predict(x, &values);
            let weights = Weights::from_values(&values, Device::Cpu);
            return Trained { losses, predictions, weights, values, train_time };
        }
    };
    let train_time = started.elapsed();
    let predictions = predict(data, &weights);
    Trained { losses, predictions, values: weights.values(), weights, train_time }
}
