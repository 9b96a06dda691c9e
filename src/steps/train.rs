//! Step 5 of the tutorial: training by plain gradient descent, one point at a
//! time, then a prediction pass over the sequence.

use std::ops::ControlFlow;

use tch::{Kind, Tensor};

use crate::steps::data::{Config, SineData};
use crate::steps::model::{forward, Weights};

/// What a training loop reports as it runs, and how it is told to stop early.
pub trait Watch {
    /// After epoch `epoch`, with its total loss (the binary prints the tutorial's
    /// `Epoch: {i} loss {total}` line from here). `ControlFlow::Break` ends training
    /// after this epoch.
    fn epoch(&mut self, epoch: usize, total: f32) -> ControlFlow<()>;

    /// Whether [`Watch::step`] wants the steps of epoch `epoch` (only `--trace`
    /// does); when it does not, no value is copied out of the loop.
    fn traces(&self, _epoch: usize) -> bool {
        false
    }

    /// One training step's values, after the update and before the gradients are
    /// cleared.
    fn step(&mut self, _epoch: usize, _step: usize, _values: &StepValues) {}
}

/// Everything one training step saw and produced, as float32 values in row-major
/// order, in the order `--trace` records them.
#[derive(Debug, Clone, PartialEq)]
pub struct StepValues {
    pub input: Vec<f32>,
    /// The context the step started from.
    pub context_in: Vec<f32>,
    /// The new context, `tanh(xh · w1)`.
    pub context: Vec<f32>,
    pub pred: Vec<f32>,
    pub loss: Vec<f32>,
    pub grad_w1: Vec<f32>,
    pub grad_w2: Vec<f32>,
    /// The weights after this step's update.
    pub w1: Vec<f32>,
    pub w2: Vec<f32>,
}

impl StepValues {
    /// The names `--trace` gives the fields, in order.
    pub const NAMES: [&'static str; 9] =
        ["input", "context_in", "context", "pred", "loss", "grad_w1", "grad_w2", "w1", "w2"];

    /// Copies libtorch tensors out, in the order of [`StepValues::NAMES`].
    pub fn of(t: [&Tensor; 9]) -> StepValues {
        let [input, context_in, context, pred, loss, grad_w1, grad_w2, w1, w2] = t.map(to_vec);
        StepValues { input, context_in, context, pred, loss, grad_w1, grad_w2, w1, w2 }
    }

    /// The fields with their names, in order.
    pub fn named(&self) -> [(&'static str, &[f32]); 9] {
        let v = [
            &self.input,
            &self.context_in,
            &self.context,
            &self.pred,
            &self.loss,
            &self.grad_w1,
            &self.grad_w2,
            &self.w1,
            &self.w2,
        ];
        std::array::from_fn(|k| (Self::NAMES[k], v[k].as_slice()))
    }
}

/// A closure that only looks at each epoch's loss never stops training.
impl<F: FnMut(usize, f32)> Watch for F {
    fn epoch(&mut self, epoch: usize, total: f32) -> ControlFlow<()> {
        self(epoch, total);
        ControlFlow::Continue(())
    }
}

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
                let all = [&input, &context, &new_context, &pred, &loss, &g1, &g2, &w.w1, &w.w2];
                watch.step(i, j as usize, &StepValues::of(all));
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
/// squared error, as a 0-dim float32 tensor. Every libtorch backend scores with
/// this one expression; written as `square()` or as a mean it would round
/// differently and the log would no longer match PyTorch's to the bit.
pub fn loss(pred: &Tensor, target: &Tensor) -> Tensor {
    (pred - target).pow_tensor_scalar(2).sum(Kind::Float) / 2
}

/// The first epoch whose total loss is not finite (inf or nan): where training
/// diverged. Python prints such losses as `inf`/`nan` and carries on; so do we,
/// and then say so.
pub fn diverged_at(losses: &[f32]) -> Option<usize> {
    losses.iter().position(|l| !l.is_finite())
}

/// The tutorial's prediction pass: from a zero context, feed each `x[i]` and keep
/// the network's guess for `x[i + 1]`. No gradient is needed.
pub fn predict(data: &SineData, w: &Weights) -> Vec<f32> {
    tch::no_grad(|| {
        let mut predictions = Vec::with_capacity(data.x.size()[0] as usize);
        let _last_context = run_over_data(data, w, |_, _, _, pred| predictions.push(pred.shallow_clone()));
        to_vec(&Tensor::cat(&predictions, 0))
    })
}

/// Feeds every `x[i]` from a zero context (call it under `no_grad`), handing each
/// step's input, incoming context, new context and prediction to `each`; returns
/// the context left after the last point. The prediction pass, `--generate` and
/// `--trace` all walk the data this one way.
pub fn run_over_data(
    data: &SineData,
    w: &Weights,
    mut each: impl FnMut(&Tensor, &Tensor, &Tensor, &Tensor),
) -> Tensor {
    let hidden = w.w2.size()[0];
    let mut context = Tensor::zeros([1, hidden], (Kind::Float, data.x.device()));
    for i in 0..data.x.size()[0] {
        let input = data.x.narrow(0, i, 1);
        let (pred, new_context) = forward(&input, &context, w);
        each(&input, &context, &new_context, &pred);
        context = new_context;
    }
    context
}

/// Closed-loop generation: after the prediction pass over the data, feed the last
/// real value in, then keep feeding the network its own previous prediction, for
/// `steps` steps past the end of the data. Returns the generated values, which
/// belong at times `t[seq_length] + k * dt` for `k = 1..=steps`.
pub fn generate(data: &SineData, w: &Weights, steps: usize) -> Vec<f32> {
    tch::no_grad(|| {
        let mut context = run_over_data(data, w, |_, _, _, _| {});
        let n = data.y.size()[0];
        let mut input = data.y.narrow(0, n - 1, 1); // the last real point
        let mut generated = Vec::with_capacity(steps);
        for _ in 0..steps {
            let (pred, new_context) = forward(&input, &context, w);
            context = new_context;
            generated.push(pred.shallow_clone());
            input = pred;
        }
        if generated.is_empty() {
            Vec::new()
        } else {
            to_vec(&Tensor::cat(&generated, 0))
        }
    })
}

/// The values of a float32 tensor, in row-major order, on the host.
pub fn to_vec(t: &Tensor) -> Vec<f32> {
    let flat = t.detach().to_device(tch::Device::Cpu).reshape([-1]);
    // A float32 tensor always converts; anything else is a bug of ours, not input.
    Vec::<f32>::try_from(&flat).unwrap_or_else(|e| panic!("reading a {:?} tensor as f32: {e}", flat.kind()))
}
