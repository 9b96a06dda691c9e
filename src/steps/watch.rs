//! What a training loop tells its caller as it runs (the binary's log, progress
//! line, stop signals and `--trace`); the steps themselves need none of it.

use std::ops::ControlFlow;

use tch::Tensor;

/// What a training loop reports as it runs, and how it is told to stop early.
pub trait Watch {
    /// After epoch `epoch`, with its total loss (the binary prints the tutorial's
    /// log line from here); `Break` ends training after this epoch.
    fn epoch(&mut self, epoch: usize, total: f32) -> ControlFlow<()>;

    /// Whether [`Watch::step`] wants epoch `epoch`'s steps (only `--trace` does).
    fn traces(&self, _epoch: usize) -> bool {
        false
    }

    /// One training step's tensors, after the update, before the gradients are cleared.
    fn step(&mut self, _epoch: usize, _step: usize, _tensors: &TrainStep) {}
}

/// What one training step saw and made, by name, so that the compiler checks
/// what every loop hands over; `--trace`'s names are in [`TrainStep::named`].
pub struct TrainStep<'a> {
    pub input: &'a Tensor,
    /// The context the step started from.
    pub context_in: &'a Tensor,
    /// The new context, `tanh(xh · w1)`.
    pub context: &'a Tensor,
    pub pred: &'a Tensor,
    pub loss: &'a Tensor,
    pub grad_w1: &'a Tensor,
    pub grad_w2: &'a Tensor,
    /// The weights after the step's update.
    pub w1: &'a Tensor,
    pub w2: &'a Tensor,
}

impl<'a> TrainStep<'a> {
    /// The tensors under their trace names, in the order the step makes them.
    pub fn named(&self) -> [(&'static str, &'a Tensor); 9] {
        [
            ("input", self.input),
            ("context_in", self.context_in),
            ("context", self.context),
            ("pred", self.pred),
            ("loss", self.loss),
            ("grad_w1", self.grad_w1),
            ("grad_w2", self.grad_w2),
            ("w1", self.w1),
            ("w2", self.w2),
        ]
    }
}

/// A closure that only looks at each epoch's loss never stops training.
impl<F: FnMut(usize, f32)> Watch for F {
    fn epoch(&mut self, epoch: usize, total: f32) -> ControlFlow<()> {
        self(epoch, total);
        ControlFlow::Continue(())
    }
}
