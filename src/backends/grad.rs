//! Step 5 by hand: what `loss.backward()` computes for this network, by the chain
//! rule, in plain `f32` (no autograd, no tch). With `xh = [x, h]`, `c = tanh(xh ·
//! w1)`, `out = c · w2` and `e = out − y`: `∂L/∂w2 = cᵀ e` and `∂L/∂w1 = xhᵀ (e w2ᵀ
//! ⊙ (1 − c²))`; nothing flows into `h`, which was detached (docs/teaching.md,
//! "What backward() computes", derives it).

/// Matrices are row-major: `w1[i * hidden + k]` is row `i`, column `k` of `[H+1, H]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// `[x, h]`, length `H + 1`.
    pub xh: Vec<f32>,
    /// `tanh(xh · w1)`, the new context, length `H`.
    pub c: Vec<f32>,
    /// `c · w2`.
    pub out: f32,
}

/// Step 4 in plain arithmetic: the forward pass of one point.
pub fn forward(x: f32, context: &[f32], w1: &[f32], w2: &[f32]) -> Step {
    let hidden = context.len();
    let mut xh = Vec::with_capacity(hidden + 1);
    xh.push(x);
    xh.extend_from_slice(context);
    let mut c = vec![0f32; hidden];
    for (i, xi) in xh.iter().enumerate() {
        let row = &w1[i * hidden..(i + 1) * hidden];
        for (ck, wik) in c.iter_mut().zip(row) {
            *ck += xi * wik;
        }
    }
    // tanh in f64, rounded once: correctly rounded, like libtorch's (MKL's) tanh in
    // all but about 1 case in 3,000; `f32::tanh` differs from it far more often.
    c.iter_mut().for_each(|v| *v = (*v as f64).tanh() as f32);
    let out = c.iter().zip(w2).map(|(ck, wk)| ck * wk).sum();
    Step { xh, c, out }
}

/// The loss `½ (out − y)²` of one point.
pub fn loss(step: &Step, y: f32) -> f32 {
    let e = step.out - y;
    e * e / 2.0
}

/// `(∂L/∂w1, ∂L/∂w2)` for one step, by the formulas above.
pub fn gradients(step: &Step, y: f32, w2: &[f32]) -> (Vec<f32>, Vec<f32>) {
    let hidden = step.c.len();
    let e = step.out - y;
    let g2: Vec<f32> = step.c.iter().map(|ck| ck * e).collect();
    // `1 − c²` as one fused multiply-add: libtorch's tanh_backward kernel is
    // compiled that way; matching it makes these gradients equal to autograd's,
    // value for value, for the same forward values (tests/grad.rs). The one bit that
    // can differ is the sign of a zero (here 0 · −x is −0; libtorch's matrix product
    // gives +0), and `w − lr·(±0)` is the same `w` either way.
    let ga: Vec<f32> = step.c.iter().zip(w2).map(|(ck, wk)| e * wk * ck.mul_add(-ck, 1.0)).collect();
    let mut g1 = vec![0f32; step.xh.len() * hidden];
    for (i, xi) in step.xh.iter().enumerate() {
        for (g, gak) in g1[i * hidden..(i + 1) * hidden].iter_mut().zip(&ga) {
            *g = xi * gak;
        }
    }
    (g1, g2)
}
