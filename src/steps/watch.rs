//! What a training loop tells its caller as it runs, for the binary's log,
//! progress line, stop signals and `--trace`; the steps need none of it.

use std::ops::ControlFlow;

use tch::Tensor;

/// What a training loop reports as it runs, and how it is told to stop early.
pub trait Watch {
    /// After epoch `epoch`, with its total loss (the binary prints the tutorial's
    /// `Epoch: {i} loss {total}` line from here). `ControlFlow::Break` ends training
    /// after this epoch.
    fn epoch(&mut self, epoch: usize, total: f32) -> ControlFlow<()>;

    /// Whether [`Watch::step`] wants the steps of epoch `epoch` (only `--trace`
    /// does); when it does not, the loop hands nothing over.
    fn traces(&self, _epoch: usize) -> bool {
        false
    }

    /// One training step's tensors by name, after the update and before the
    /// gradients are cleared: `input`, `context_in` (the context the step started
    /// from), `context`, `pred`, `loss`, `grad_w1`, `grad_w2`, `w1`, `w2`.
    fn step(&mut self, _epoch: usize, _step: usize, _tensors: &[(&str, &Tensor)]) {}
}

/// A closure that only looks at each epoch's loss never stops training.
impl<F: FnMut(usize, f32)> Watch for F {
    fn epoch(&mut self, epoch: usize, total: f32) -> ControlFlow<()> {
        self(epoch, total);
        ControlFlow::Continue(())
    }
}
