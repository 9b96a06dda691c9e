//! Step 5 of the tutorial: training by plain gradient descent, one point at a
//! time, then a prediction pass over the sequence.

use tch::{Kind, Tensor};

use crate::steps::data::{Config, SineData};
use crate::steps::model::{forward, to_vec, Weights};
use crate::steps::watch::{TrainStep, Watch};

/// Trains `w` in place and returns every epoch's total loss (fewer than
/// `cfg.epochs` if `watch` stopped it).
pub fn train(cfg: &Config, data: &SineData, w: &mut Weights, mut watch: impl Watch) -> Vec<f32> {
    let device = data.x.device();
    let hidden = cfg.hidden_size as i64;
    let mut losses = Vec::with_capacity(cfg.epochs);
    for i in 0..cfg.epochs {
        // The epoch total stays a float32 tensor, summed one loss at a time, as
        // Python's `total_loss += loss` does; an f64 sum would print other digits.
        let mut total_loss = Tensor::zeros([], (Kind::Float, device));
        // Each epoch starts from a zero context. Like the tutorial's, it requires
        // grad; that changes no value, only what autograd records.
        let mut context = Tensor::zeros([1, hidden], (Kind::Float, device)).set_requires_grad(true);
        for j in 0..data.x.size()[0] {
            // Step 5a: one point of the sequence and the value that follows it.
            let input = data.x.narrow(0, j, 1); // x[j:(j+1)]
            let target = data.y.narrow(0, j, 1); // y[j:(j+1)]

            // Step 5b (step 4's forward pass): predict, and score it as ½·error².
            let (pred, new_context) = forward(&input, &context, w);
            let loss = loss(&pred, &target);
            // Detached: Python's `total_loss += loss` keeps every step's graph
            // alive until the epoch ends; the value is the same.
            total_loss += loss.detach();
            // Step 5c: autograd fills w1.grad and w2.grad with ∂loss/∂w.
            loss.backward();
            // Step 5d: `w.data -= lr * w.grad.data` in the tutorial; the update
            // itself must not be recorded by autograd.
            tch::no_grad(|| {
                w.w1 -= w.w1.grad() * cfg.lr;
                w.w2 -= w.w2.grad() * cfg.lr;
            });
            // (`--trace` only: this step's values, read before the gradients go.)
            if watch.traces(i) {
                let (g1, g2) = (w.w1.grad(), w.w2.grad());
                let step = TrainStep {
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
                watch.step(i, j as usize, &step);
            }
            // backward() adds into .grad, so clear it for the next point.
            w.w1.zero_grad();
            w.w2.zero_grad();
            // Step 5e: truncated backpropagation through time, one step deep: the
            // next point sees this context's value but not the graph that made it.
            context = new_context.detach();
        }
        // Step 5f: the epoch's total, read back as a number (`.item()`).
        let total = total_loss.double_value(&[]) as f32;
        losses.push(total);
        if watch.epoch(i, total).is_break() {
            break;
        }
    }
    losses
}

/// The tutorial's loss of one point, `(pred - target).pow(2).sum() / 2`: half the
/// squared error, as a 0-dim float32 tensor, in the tutorial's own op order. Every
/// libtorch backend scores with this one expression (docs/parity-workbench.md
/// measures which rewrites keep PyTorch's bits: a mean does not).
pub fn loss(pred: &Tensor, target: &Tensor) -> Tensor {
    (pred - target).pow_tensor_scalar(2).sum(Kind::Float) / 2
}

/// The first epoch whose total loss is not finite: where training diverged (Python
/// prints `inf`/`nan` and carries on; so do we, and then say so).
pub fn diverged_at(losses: &[f32]) -> Option<usize> {
    losses.iter().position(|l| !l.is_finite())
}

/// The tutorial's prediction pass: from a zero context, feed each `x[i]` and keep
/// the network's guess for `x[i + 1]`. No gradient is needed.
pub fn predict(data: &SineData, w: &Weights) -> Vec<f32> {
    tch::no_grad(|| prediction_pass(data, w).0)
}

/// The prediction pass (under `no_grad`): the predictions, and the context left
/// after the last point, from which `generate` goes on.
fn prediction_pass(data: &SineData, w: &Weights) -> (Vec<f32>, Tensor) {
    let mut context = Tensor::zeros([1, w.w2.size()[0]], (Kind::Float, data.x.device()));
    let mut predictions = Vec::with_capacity(data.x.size()[0] as usize);
    for i in 0..data.x.size()[0] {
        let (pred, new_context) = forward(&data.x.narrow(0, i, 1), &context, w);
        predictions.push(pred);
        context = new_context;
    }
    (to_vec(&Tensor::cat(&predictions, 0)), context)
}

/// Closed-loop generation: after the prediction pass, feed the last real value in,
/// then each prediction, for `steps` steps past the data (`t[n] + k * dt`).
pub fn generate(data: &SineData, w: &Weights, steps: usize) -> Vec<f32> {
    if steps == 0 {
        return Vec::new();
    }
    tch::no_grad(|| {
        let mut context = prediction_pass(data, w).1;
        let mut input = data.y.narrow(0, -1, 1); // the last real point
        let mut next = || {
            let (pred, new_context) = forward(&input, &context, w);
            (context, input) = (new_context, pred.shallow_clone());
            pred
        };
        // Read from the device once, at the end.
        to_vec(&Tensor::cat(&(0..steps).map(|_| next()).collect::<Vec<_>>(), 0))
    })
}
