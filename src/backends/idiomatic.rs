//! `--backend idiomatic`: the same model written the way tch's own examples write
//! models: parameters live in an `nn::VarStore`, are created by `nn::Init`, and are
//! updated by an `nn::Sgd` optimizer (`backward_step` = zero_grad, backward, step).
//!
//! It is not bit-identical to PyTorch's tutorial, for two honest reasons:
//! - `nn::Init::Randn { mean, stdev }` draws `randn` and then computes
//!   `z * stdev + mean` in float32. The tutorial's `normal_(mean, std)` also scales
//!   in float32 (the same bits, for mean 0) on a tensor of 16 elements or more, but
//!   draws and scales a smaller one in float64 and rounds once: w1 (16 elements or
//!   more from `--hidden-size 4` on) starts bit-identical, while w2, `[hidden, 1]`,
//!   can differ in its last bit or two below hidden 16 (docs/parity-workbench.md).
//! - libtorch's SGD updates with `w.add_(grad, alpha = -lr)`, one fused
//!   multiply-add, where the tutorial computes `lr * grad` and subtracts it: two
//!   roundings. Each update can differ in the last bit.
//!
//! Both differences are a few float32 ULPs per step; they accumulate over training
//! (tests/idiomatic.rs measures how far the logs end up apart).

use anyhow::Result;
use tch::{nn, nn::OptimizerConfig, Device, Kind, Tensor};

use crate::steps::data::{Config, SineData};
use crate::steps::model::{forward, Weights};
use crate::steps::train::loss;
use crate::steps::watch::{TrainStep, Watch};

/// Step 3 the tch way: `w1` and `w2` as variables of a `VarStore`, drawn by
/// `nn::Init` after the tutorial's `manual_seed`. The returned weights are views of
/// the store's variables, so training through the store updates them.
pub fn init(cfg: &Config, device: Device) -> (nn::VarStore, Weights) {
    tch::manual_seed(cfg.seed as i64);
    let vs = nn::VarStore::new(device);
    let root = vs.root();
    let (input, hidden, output) = (cfg.input_size() as i64, cfg.hidden_size as i64, cfg.output_size() as i64);
    let w = Weights {
        w1: root.var("w1", &[input, hidden], nn::Init::Randn { mean: 0.0, stdev: 0.4 }),
        w2: root.var("w2", &[hidden, output], nn::Init::Randn { mean: 0.0, stdev: 0.3 }),
    };
    (vs, w)
}

/// Step 5 with an `nn::Sgd` optimizer over the store's variables; returns every
/// epoch's total loss. `backward_step` is zero_grad, backward and step in one.
pub fn train(
    cfg: &Config,
    data: &SineData,
    vs: &nn::VarStore,
    w: &Weights,
    mut watch: impl Watch,
) -> Result<Vec<f32>> {
    let device = data.x.device();
    let mut opt = nn::Sgd::default().build(vs, cfg.lr)?;
    let mut losses = Vec::with_capacity(cfg.epochs);
    for i in 0..cfg.epochs {
        let mut total_loss = Tensor::zeros([], (Kind::Float, device));
        let mut context = Tensor::zeros([1, cfg.hidden_size as i64], (Kind::Float, device));
        for j in 0..data.x.size()[0] {
            let input = data.x.narrow(0, j, 1);
            let (pred, new_context) = forward(&input, &context, w);
            let loss = loss(&pred, &data.y.narrow(0, j, 1));
            total_loss += loss.detach();
            opt.backward_step(&loss);
            if watch.traces(i) {
                let (g1, g2) = (w.w1.grad(), w.w2.grad());
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
                watch.step(i, j as usize, &tensors);
            }
            context = new_context.detach();
        }
        let total = total_loss.double_value(&[]) as f32;
        losses.push(total);
        if watch.epoch(i, total).is_break() {
            break;
        }
    }
    Ok(losses)
}
