//! `--backend native`: the same training in plain Rust `f32`, with no libtorch op
//! in the loop, using the hand-derived gradients of [`crate::backends::grad`].
//!
//! It starts from the very same weights (drawn by libtorch, as in Python) and data
//! and follows the same update rule, but it is not bit-identical: libtorch's CPU
//! `tanh` is MKL's `vsTanh`, not correctly rounded in about 1 case in 3,000 (ours
//! is), and MKL's matrix product adds long rows in its own order. Those last-bit
//! differences drift over training; docs/parity-workbench.md gives how far, as
//! tests/grad.rs holds it, and where training is unstable the two runs part ways.
//!
//! What it shows: the arithmetic of one step is a few hundred floating-point
//! operations, well under a microsecond; everything else the tch backend spends
//! per step (docs/performance.md) is dispatch, autograd bookkeeping and allocation.

use crate::backends::grad::{forward, gradients, loss};
use crate::steps::data::Config;
use crate::steps::watch::{TrainStep, Watch};
use tch::Tensor;

/// Weights as plain row-major vectors: `w1` is `[H+1, H]`, `w2` is `[H, 1]`.
#[derive(Debug, Clone, PartialEq)]
pub struct NativeWeights {
    pub hidden: usize,
    pub w1: Vec<f32>,
    pub w2: Vec<f32>,
}

/// Step 5 without libtorch: per point, forward, loss, gradients, update; the
/// context carried to the next point as a plain value (nothing to detach).
pub fn train(cfg: &Config, x: &[f32], y: &[f32], w: &mut NativeWeights, mut watch: impl Watch) -> Vec<f32> {
    // libtorch multiplies a float32 gradient by the learning rate as a float32.
    let lr = cfg.lr as f32;
    let mut losses = Vec::with_capacity(cfg.epochs);
    for i in 0..cfg.epochs {
        let mut total_loss = 0f32;
        let mut context = vec![0f32; w.hidden];
        for (j, (xj, yj)) in x.iter().zip(y).enumerate() {
            let step = forward(*xj, &context, &w.w1, &w.w2);
            let step_loss = loss(&step, *yj);
            total_loss += step_loss;
            let (g1, g2) = gradients(&step, *yj, &w.w2);
            w.w1.iter_mut().zip(&g1).for_each(|(v, g)| *v -= lr * g);
            w.w2.iter_mut().zip(&g2).for_each(|(v, g)| *v -= lr * g);
            if watch.traces(i) {
                // As tensors of the shapes the libtorch backends trace, so the traces compare.
                let (h, t) = (w.hidden as i64, as_tensor);
                let tensors = TrainStep {
                    input: &t(&[*xj], &[1, 1]),
                    context_in: &t(&context, &[1, h]),
                    context: &t(&step.c, &[1, h]),
                    pred: &t(&[step.out], &[1, 1]),
                    loss: &t(&[step_loss], &[]),
                    grad_w1: &t(&g1, &[h + 1, h]),
                    grad_w2: &t(&g2, &[h, 1]),
                    w1: &t(&w.w1, &[h + 1, h]),
                    w2: &t(&w.w2, &[h, 1]),
                };
                watch.step(i, j, &tensors);
            }
            context = step.c;
        }
        losses.push(total_loss);
        if watch.epoch(i, total_loss).is_break() {
            break;
        }
    }
    losses
}

/// The prediction pass from a zero context.
pub fn predict(x: &[f32], w: &NativeWeights) -> Vec<f32> {
    let mut context = vec![0f32; w.hidden];
    let step = |xj: &f32| {
        let step = forward(*xj, &context, &w.w1, &w.w2);
        context = step.c;
        step.out
    };
    x.iter().map(step).collect()
}

/// Plain values as a float32 tensor of `shape`, for `--trace`.
fn as_tensor(values: &[f32], shape: &[i64]) -> Tensor {
    Tensor::from_slice(values).reshape(shape)
}
