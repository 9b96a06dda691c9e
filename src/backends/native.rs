//! `--backend native`: the same training in plain Rust `f32`, with no libtorch op
//! in the loop, using the hand-derived gradients of [`crate::backends::grad`].
//!
//! It starts from the very same weights (drawn by libtorch, as in Python) and data,
//! and follows the same update rule, but it is not bit-identical: libtorch's CPU
//! `tanh` is MKL's `vsTanh`, which is not correctly rounded in about 1 case in
//! 3,000 (ours is), and MKL's matrix product adds long rows in its own order. Those
//! last-bit differences drift over training: measured, the epoch losses stay within
//! 2.1e-5 relative of the tch backend's for the tutorial's configuration and within
//! 1.7e-4 for hidden size 16 over 50 points (tests/grad.rs).
//!
//! What it shows: the arithmetic of one step is a few hundred floating-point
//! operations, well under a microsecond; everything else the tch backend spends
//! (about 74 µs per step on our machine, docs/performance.md) is dispatch, autograd
//! bookkeeping and allocation.

use crate::backends::grad::{forward, gradients, loss};
use crate::steps::data::Config;

/// Weights as plain row-major vectors: `w1` is `[H+1, H]`, `w2` is `[H, 1]`.
#[derive(Debug, Clone, PartialEq)]
pub struct NativeWeights {
    pub hidden: usize,
    pub w1: Vec<f32>,
    pub w2: Vec<f32>,
}

/// Step 5 without libtorch: per point, forward, loss, gradients, update; the
/// context carried to the next point as a plain value (nothing to detach).
pub fn train(
    cfg: &Config,
    x: &[f32],
    y: &[f32],
    w: &mut NativeWeights,
    mut on_epoch: impl FnMut(usize, f32),
) -> Vec<f32> {
    // libtorch multiplies a float32 gradient by the learning rate as a float32.
    let lr = cfg.lr as f32;
    let mut losses = Vec::with_capacity(cfg.epochs);
    for i in 0..cfg.epochs {
        let mut total_loss = 0f32;
        let mut context = vec![0f32; w.hidden];
        for (xj, yj) in x.iter().zip(y) {
            let step = forward(*xj, &context, &w.w1, &w.w2);
            total_loss += loss(&step, *yj);
            let (g1, g2) = gradients(&step, *yj, &w.w2);
            w.w1.iter_mut().zip(&g1).for_each(|(v, g)| *v -= lr * g);
            w.w2.iter_mut().zip(&g2).for_each(|(v, g)| *v -= lr * g);
            context = step.c;
        }
        losses.push(total_loss);
        on_epoch(i, total_loss);
    }
    losses
}

/// The prediction pass from a zero context.
pub fn predict(x: &[f32], w: &NativeWeights) -> Vec<f32> {
    let mut context = vec![0f32; w.hidden];
    x.iter()
        .map(|xj| {
            let step = forward(*xj, &context, &w.w1, &w.w2);
            context = step.c;
            step.out
        })
        .collect()
}
