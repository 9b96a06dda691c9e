//! L-BFGS as `torch.optim.LBFGS` computes it without a line search, written out
//! op for op after `torch/optim/lbfgs.py` (PyTorch 2.13) so that the two give the
//! same bits: read them side by side. tch has no L-BFGS of its own.
//!
//! Where PyTorch keeps a 0-dim tensor (`ys`, `ro`, `H_diag`, `al`, `be_i`), so does
//! this: libtorch's `al[i] - be_i` is a fused `a + (-1) * b`, which gives another
//! NaN than `f64`'s `-` when both are NaN, and a diverging run must stay PyTorch's
//! to the last bit too. Plain `f64` is kept only where PyTorch has a Python float
//! (`t`, the losses). The dot products (MKL's `ddot`) and the reductions (`sum`,
//! `max`) are libtorch's, whose order of additions is its own.

use std::collections::VecDeque;

use anyhow::Result;
use tch::{Kind, Tensor};

/// `optim.LBFGS(params, lr)` with PyTorch's defaults for everything else.
pub struct Lbfgs {
    params: Vec<Tensor>,
    lr: f64,
    max_iter: usize,
    max_eval: usize,
    tolerance_grad: f64,
    tolerance_change: f64,
    history_size: usize,
    state: State,
}

/// What PyTorch keeps in `optimizer.state` from one `step` to the next.
#[derive(Default)]
struct State {
    func_evals: usize,
    n_iter: usize,
    d: Option<Tensor>,
    t: f64,
    old_dirs: VecDeque<Tensor>,
    old_stps: VecDeque<Tensor>,
    ro: VecDeque<Tensor>,
    /// `H_diag`: the Python integer 1 until the first curvature pair.
    h_diag: Option<Tensor>,
    prev_flat_grad: Option<Tensor>,
    prev_loss: f64,
}

/// One evaluation of the model: the loss and each parameter's gradient, in the
/// order of the parameters (PyTorch's closure returns the loss and leaves the
/// gradients in `p.grad`).
pub struct Evaluation {
    pub loss: f64,
    pub grads: Vec<Tensor>,
}

impl Lbfgs {
    pub fn new(params: Vec<Tensor>, lr: f64) -> Lbfgs {
        let max_iter = 20;
        Lbfgs {
            params,
            lr,
            max_iter,
            max_eval: max_iter * 5 / 4,
            tolerance_grad: 1e-7,
            tolerance_change: 1e-9,
            history_size: 100,
            state: State::default(),
        }
    }

    /// `optimizer.step(closure)`: up to `max_iter` iterations, each evaluating
    /// `closure` once (but the last); `moved(t, d)` sees every update of the
    /// parameters, `p += t * d`, just after it is made. Returns the first loss.
    pub fn step(
        &mut self,
        mut closure: impl FnMut() -> Result<Evaluation>,
        mut moved: impl FnMut(f64, &Tensor) -> Result<()>,
    ) -> Result<f64> {
        let orig_loss = closure()?;
        let mut loss = orig_loss.loss;
        let mut current_evals = 1;
        self.state.func_evals += 1;
        let mut flat_grad = flat(&orig_loss.grads);
        let mut opt_cond = max_abs(&flat_grad) <= self.tolerance_grad;
        if opt_cond {
            return Ok(orig_loss.loss);
        }

        let mut n_iter = 0;
        while n_iter < self.max_iter {
            n_iter += 1;
            self.state.n_iter += 1;
            let state = &mut self.state;

            // The direction: steepest descent at first, then the two-loop recursion.
            let d = match (&state.d, &state.prev_flat_grad) {
                (Some(d), Some(prev_flat_grad)) if state.n_iter > 1 => {
                    let y = &flat_grad - prev_flat_grad;
                    let s = d * state.t;
                    let ys = y.dot(&s);
                    if ys.double_value(&[]) > 1e-10 {
                        if state.old_dirs.len() == self.history_size {
                            state.old_dirs.pop_front();
                            state.old_stps.pop_front();
                            state.ro.pop_front();
                        }
                        state.h_diag = Some(&ys / y.dot(&y));
                        state.ro.push_back(ys.reciprocal());
                        state.old_dirs.push_back(y);
                        state.old_stps.push_back(s);
                    }
                    let num_old = state.old_dirs.len();
                    let mut al: Vec<Tensor> = Vec::with_capacity(num_old);
                    let mut q = flat_grad.neg();
                    for i in (0..num_old).rev() {
                        let al_i = state.old_stps[i].dot(&q) * &state.ro[i];
                        add_scaled_(&mut q, -al_i.double_value(&[]), &state.old_dirs[i])?;
                        al.push(al_i); // al[num_old - 1] first
                    }
                    al.reverse();
                    let mut r = match &state.h_diag {
                        Some(h_diag) => &q * h_diag,
                        None => &q * 1.0,
                    };
                    for (i, al_i) in al.iter().enumerate() {
                        let be_i = state.old_dirs[i].dot(&r) * &state.ro[i];
                        add_scaled_(&mut r, (al_i - be_i).double_value(&[]), &state.old_stps[i])?;
                    }
                    r
                }
                _ => {
                    state.old_dirs.clear();
                    state.old_stps.clear();
                    state.ro.clear();
                    state.h_diag = None;
                    flat_grad.neg()
                }
            };
            state.prev_flat_grad = Some(flat_grad.copy());
            state.prev_loss = loss;

            // The step length: shorter at the very first iteration, when the
            // gradient is large; then the learning rate.
            state.t = if state.n_iter == 1 {
                let reciprocal = 1.0 / flat_grad.abs().sum(Kind::Double).double_value(&[]);
                (if reciprocal < 1.0 { reciprocal } else { 1.0 }) * self.lr
            } else {
                self.lr
            };
            let t = state.t;
            let gtd = flat_grad.dot(&d).double_value(&[]);
            state.d = Some(d.shallow_clone()); // the same tensor, as `state["d"] = d`
            if gtd > -self.tolerance_change {
                break;
            }

            // No line search: move by t along d, and evaluate there unless this
            // is the last iteration.
            self.add_grad(t, &d)?;
            moved(t, &d)?;
            let mut ls_func_evals = 0;
            if n_iter != self.max_iter {
                let evaluation = closure()?;
                loss = evaluation.loss;
                flat_grad = flat(&evaluation.grads);
                opt_cond = max_abs(&flat_grad) <= self.tolerance_grad;
                ls_func_evals = 1;
            }
            current_evals += ls_func_evals;
            self.state.func_evals += ls_func_evals;

            if n_iter == self.max_iter || current_evals >= self.max_eval || opt_cond {
                break;
            }
            // Lack of progress: the step or the loss no longer changes.
            if max_abs(&(&d * t)) <= self.tolerance_change {
                break;
            }
            if (loss - self.state.prev_loss).abs() < self.tolerance_change {
                break;
            }
        }
        Ok(orig_loss.loss)
    }

    /// `_add_grad`: each parameter `p += step_size * update[its slice]`.
    fn add_grad(&mut self, step_size: f64, update: &Tensor) -> Result<()> {
        let mut offset = 0;
        for p in &mut self.params {
            let numel = p.numel() as i64;
            tch::no_grad(|| add_scaled_(p, step_size, &update.narrow(0, offset, numel).view_as(p)))?;
            offset += numel;
        }
        Ok(())
    }
}

/// `x.add_(y, alpha=alpha)`, which tch does not offer (its `add_` has no `alpha`).
/// libtorch's CPU kernel for float64 under AVX2 computes `x + alpha * y` as one
/// fused multiply-add per element (`vfmadd`, a single rounding), and so does
/// `f64::mul_add`: the same bits, computed on the host.
fn add_scaled_(x: &mut Tensor, alpha: f64, y: &Tensor) -> Result<()> {
    let xs = Vec::<f64>::try_from(&x.flatten(0, -1))?;
    let ys = Vec::<f64>::try_from(&y.flatten(0, -1))?;
    let sum: Vec<f64> = xs.iter().zip(&ys).map(|(x, y)| alpha.mul_add(*y, *x)).collect();
    x.f_copy_(&Tensor::from_slice(&sum).view_as(x))?;
    Ok(())
}

/// `_gather_flat_grad`: every gradient in one vector, in the parameters' order.
fn flat(grads: &[Tensor]) -> Tensor {
    Tensor::cat(&grads.iter().map(|g| g.reshape(-1)).collect::<Vec<_>>(), 0)
}

fn max_abs(t: &Tensor) -> f64 {
    t.abs().max().double_value(&[])
}
