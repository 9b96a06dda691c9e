//! The hand-derived gradients against autograd at every step of a full default
//! training run, and the native backend against PyTorch's golden outputs.

mod common;

use common::golden;
use sine_rnn::backends::grad;
use sine_rnn::steps::data::{sine_data, Config};
use sine_rnn::steps::model::{forward, to_vec, Weights};
use sine_rnn::steps::train::loss;
use tch::{Device, Kind, Tensor};

/// ‖a − b‖ / ‖b‖ (0 when both are 0).
fn rel(a: &[f32], b: &[f32]) -> f64 {
    let num: f64 = a.iter().zip(b).map(|(x, y)| (*x as f64 - *y as f64).powi(2)).sum::<f64>().sqrt();
    let den: f64 = b.iter().map(|y| (*y as f64).powi(2)).sum::<f64>().sqrt();
    if num == 0.0 {
        0.0
    } else {
        num / den
    }
}

#[test]
fn hand_derived_gradients_match_autograd_at_every_step() {
    let _g = common::seed_lock();
    let cfg = Config::default();
    let data = sine_data(cfg.seq_length, Device::Cpu);
    let (x, y) = (to_vec(&data.x), to_vec(&data.y));
    let mut w = Weights::init(&cfg, Device::Cpu);
    let mut checked = 0;
    for epoch in 0..cfg.epochs {
        let mut context = Tensor::zeros([1, cfg.hidden_size as i64], (Kind::Float, Device::Cpu));
        for j in 0..cfg.seq_length {
            // The same values both ways: this step's weights and context.
            let (w1, w2, ctx) = (to_vec(&w.w1), to_vec(&w.w2), to_vec(&context));
            let (pred, next) = forward(&data.x.narrow(0, j as i64, 1), &context, &w);
            let loss = loss(&pred, &data.y.narrow(0, j as i64, 1));
            loss.backward();
            let (a1, a2) = (to_vec(&w.w1.grad()), to_vec(&w.w2.grad()));

            // Only the backward pass is under test here, so it starts from the forward
            // values libtorch computed (the native forward adds in another order).
            let xh: Vec<f32> = std::iter::once(x[j]).chain(ctx.iter().copied()).collect();
            let step = grad::Step { xh, c: to_vec(&next), out: to_vec(&pred)[0] };
            assert!(rel(&grad::forward(x[j], &ctx, &w1, &w2).c, &step.c) < 1e-6);
            let (g1, g2) = grad::gradients(&step, y[j], &w2);
            // src/backends/grad.rs claims autograd's values exactly: the same bits,
            // but for the sign of a zero (0.0 == -0.0 as floats, and as updates).
            assert_eq!(g1, a1, "epoch {epoch}, step {j}: dL/dw1");
            assert_eq!(g2, a2, "epoch {epoch}, step {j}: dL/dw2");
            checked += 1;

            tch::no_grad(|| {
                w.w1 -= w.w1.grad() * cfg.lr;
                w.w2 -= w.w2.grad() * cfg.lr;
            });
            w.w1.zero_grad();
            w.w2.zero_grad();
            context = next.detach();
        }
    }
    assert_eq!(checked, cfg.epochs * cfg.seq_length);
}

/// The largest |a − b| over two equally long lists.
fn max_abs(a: &[f32], b: &[f32]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (*x as f64 - *y as f64).abs()).fold(0.0, f64::max)
}

/// The native backend is not bit-identical: libtorch's CPU tanh is MKL's `vsTanh`,
/// which is not correctly rounded in about 1 case in 3,000 (ours is), and MKL's
/// matrix product adds long rows in its own order. Those last-bit differences drift
/// over training. Measured against PyTorch's golden outputs (the portable
/// kernels), so the bounds hold on any x86-64 CPU with AVX2: on the epoch losses
/// (relative), the predictions (absolute; the wave is within ±1) and the final
/// weights (relative, as whole matrices). Each bound is the measured figure with
/// a margin of about 2x (docs/parity-workbench.md has the figures).
#[test]
fn native_backend_stays_close_to_pytorch_on_every_golden_configuration() {
    let dir = common::scratch();
    for g in golden::all() {
        let (out, record) = golden::run(&g, &["--backend", "native"], dir.path());
        let what = format!("{} ({})", g.name, g.flags.join(" "));
        if g.exit_code == 3 {
            // PyTorch diverged: so does the native backend, if not at the same step.
            assert_eq!(out.status.code(), Some(3), "{what}: {}", common::stderr(&out));
            continue;
        }
        assert!(out.status.success(), "{what}: {}", common::stderr(&out));
        let (ours, theirs) =
            (golden::values(&record, "epoch_losses"), golden::values(&g.record, "epoch_losses"));
        assert_eq!(ours.len(), theirs.len(), "{what}");
        let relative = |(a, b): (&f32, &f32)| ((a - b) / b).abs() as f64;
        let (loss_bound, value_bound) = match native_bound(&g.name) {
            Bound::FirstEpoch(bound) => {
                let first = ours.iter().zip(&theirs).map(relative).next().unwrap_or(0.0);
                eprintln!("{what}: epoch 0 loss {first:.2e} (relative)");
                assert!(first <= bound, "{what}: the epoch-0 loss is {first:e} away, > {bound:e}");
                continue;
            }
            Bound::Whole { losses, values } => (losses, values),
        };
        let losses = ours.iter().zip(&theirs).map(relative).fold(0.0, f64::max);
        let predictions =
            max_abs(&golden::values(&record, "predictions"), &golden::values(&g.record, "predictions"));
        let floats = |w: &[u32]| w.iter().copied().map(f32::from_bits).collect::<Vec<_>>();
        let weights = rel(&golden::values(&record, "w1"), &floats(&g.w1))
            .max(rel(&golden::values(&record, "w2"), &floats(&g.w2)));
        eprintln!(
            "{what}: losses {losses:.2e} (relative), predictions {predictions:.2e}, weights {weights:.2e}"
        );
        assert!(losses <= loss_bound, "{what}: losses {losses:e} > {loss_bound:e}");
        assert!(predictions <= value_bound, "{what}: predictions {predictions:e} > {value_bound:e}");
        assert!(weights <= value_bound, "{what}: weights {weights:e} > {value_bound:e}");
    }
}

/// How close the native backend must stay on a golden configuration.
enum Bound {
    /// Every epoch's loss (relative), the predictions and the weights.
    Whole { losses: f64, values: f64 },
    /// The first epoch's loss only (relative): the runs part ways after it.
    FirstEpoch(f64),
}

/// The bounds, from figures measured under the portable kernels (so any CPU).
fn native_bound(name: &str) -> Bound {
    match name {
        // Measured: losses 1.67e-4, predictions 4.6e-5, weights 3.1e-5.
        "hidden-16" => Bound::Whole { losses: 5e-4, values: 1e-4 },
        // Hundreds of context units: MKL sums each long row in its own order from
        // the first step (epoch 0 within 8.6e-6), and training this wide at these
        // rates is unstable, so the runs part ways (0.78 relative by epoch 10).
        "hidden-128" | "hidden-512" => Bound::FirstEpoch(2e-5),
        // The rest measured at most 2.1e-5 (losses, the tutorial's), 6.8e-6
        // (predictions, the tutorial's), 2.1e-6 (weights, seed 4); several are
        // bit-identical.
        _ => Bound::Whole { losses: 5e-5, values: 2e-5 },
    }
}
