//! What a training loop tells its caller as it runs, for the binary's log,
//! progress line, stop signals and `--trace`; the steps need none of it.

use std::ops::ControlFlow;

use tch::Tensor;

use crate::steps::train::to_vec;

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
