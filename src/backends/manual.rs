//! `--backend tch-manual`: the port with autograd off. The same libtorch ops run
//! forward, then the backward pass is written out with the very ops autograd would
//! run (PyTorch's `derivatives.yaml` formulas for `div`, `sum`, `pow`, `sub`, `mm`
//! and `tanh`): PyTorch's bits, without the engine's bookkeeping (graph nodes,
//! saved tensors). Beside [`crate::steps::train`] it shows what autograd costs,
//! beside [`crate::backends::native`] what the dispatcher costs.

use tch::{Kind, Tensor};

use crate::steps::data::{Config, SineData};
use crate::steps::model::Weights;
use crate::steps::train::loss;
use crate::steps::watch::{TrainStep, Watch};

/// Trains `w` in place, as [`crate::steps::train::train`] does.
pub fn train(cfg: &Config, data: &SineData, w: &mut Weights, mut watch: impl Watch) -> Vec<f32> {
    let device = data.x.device();
    let n = data.x.size()[0];
    let (xs, ys): (Vec<Tensor>, Vec<Tensor>) =
        (0..n).map(|j| (data.x.narrow(0, j, 1), data.y.narrow(0, j, 1))).unzip();
    // d(loss)/d(loss) = 1, through `/ 2` (DivBackward): 1 / 2, a 0-dim tensor.
    let half = Tensor::ones([], (Kind::Float, device)) / 2;
    let mut losses = Vec::with_capacity(cfg.epochs);
    tch::no_grad(|| {
        for i in 0..cfg.epochs {
            let mut total_loss = Tensor::zeros([], (Kind::Float, device));
            let mut context = Tensor::zeros([1, cfg.hidden_size as i64], (Kind::Float, device));
            for (j, (input, target)) in xs.iter().zip(&ys).enumerate() {
                // Step 4, keeping `xh` for the backward pass.
                let xh = Tensor::cat(&[input, &context], 1);
                let new_context = xh.mm(&w.w1).tanh();
                let pred = new_context.mm(&w.w2);
                let loss = loss(&pred, target);
                total_loss += &loss;
                let diff = &pred - target;

                // SumBackward: expand; PowBackward: grad * (2 * diff^1); SubBackward: as is.
                let grad_pred = half.expand([1, 1], false) * (diff.pow_tensor_scalar(1.0) * 2.0);
                // MmBackward of `context · w2`.
                let grad_w2 = new_context.tr().mm(&grad_pred);
                let grad_context = grad_pred.mm(&w.w2.tr());
                // TanhBackward: grad * (1 - tanh²), libtorch's own kernel.
                let grad_pre = Tensor::tanh_backward(&grad_context, &new_context);
                // MmBackward of `xh · w1`.
                let grad_w1 = xh.tr().mm(&grad_pre);
                // AccumulateGrad: from the run's second step on, autograd adds each
                // gradient into the `.grad` that `zero_()` left, and +0 + (-0) is +0:
                // the zero rows of a zero context's step come out positive.
                let (grad_w1, grad_w2) =
                    if i == 0 && j == 0 { (grad_w1, grad_w2) } else { (grad_w1 + 0.0, grad_w2 + 0.0) };

                w.w1 -= &grad_w1 * cfg.lr;
                w.w2 -= &grad_w2 * cfg.lr;
                if watch.traces(i) {
                    let step = TrainStep {
                        input,
                        context_in: &context,
                        context: &new_context,
                        pred: &pred,
                        loss: &loss,
                        grad_w1: &grad_w1,
                        grad_w2: &grad_w2,
                        w1: &w.w1,
                        w2: &w.w2,
                    };
                    watch.step(i, j, &step);
                }
                context = new_context;
            }
            let total = total_loss.double_value(&[]) as f32;
            losses.push(total);
            if watch.epoch(i, total).is_break() {
                break;
            }
        }
    });
    losses
}
