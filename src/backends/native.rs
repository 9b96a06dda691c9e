//! `--backend native`: the same training in plain Rust `f32`, no libtorch op in
//! the loop, with the hand-derived gradients of [`crate::backends::grad`]. Same
//! weights, data and update rule, but not bit-identical: libtorch's `tanh` (MKL's
//! `vsTanh`) is not correctly rounded in about 1 case in 3,000 (ours is), and its
//! matrix product adds long rows in its own order; the drift is measured in
//! docs/parity-workbench.md and held by tests/grad.rs. What it shows: a step's
//! arithmetic is well under a microsecond; the rest of what the tch backend
//! spends (docs/performance.md) is dispatch, autograd and allocation.

use crate::backends::grad::{forward, gradients, loss};
use crate::steps::data::Config;
use crate::steps::model::WeightValues;
use crate::steps::watch::Watch;

/// Step 5 without libtorch; the context goes on as a plain value (nothing to detach).
pub fn train(cfg: &Config, x: &[f32], y: &[f32], w: &mut WeightValues, mut watch: impl Watch) -> Vec<f32> {
    // libtorch multiplies a float32 gradient by the learning rate as a float32.
    let lr = cfg.lr as f32;
    let mut losses = Vec::with_capacity(cfg.epochs);
    for i in 0..cfg.epochs {
        let mut total_loss = 0f32;
        let mut context = vec![0f32; w.w2.len()];
        for (xj, yj) in x.iter().zip(y) {
            let step = forward(*xj, &context, &w.w1, &w.w2);
            total_loss += loss(&step, *yj);
            let (g1, g2) = gradients(&step, *yj, &w.w2);
            w.w1.iter_mut().zip(&g1).for_each(|(v, g)| *v -= lr * g);
            w.w2.iter_mut().zip(&g2).for_each(|(v, g)| *v -= lr * g);
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
pub fn predict(x: &[f32], w: &WeightValues) -> Vec<f32> {
    let mut context = vec![0f32; w.w2.len()];
    let next = |xj: &f32| {
        let step = forward(*xj, &context, &w.w1, &w.w2);
        context = step.c;
        step.out
    };
    x.iter().map(next).collect()
}
