//! The library's pieces against independent computations: data (numpy's own
//! output), shapes, initial weights, gradients (central finite differences in f64),
//! and training progress.

mod common;

use sine_rnn::steps::data::times_after;
use sine_rnn::steps::data::{linspace, sine_data, Config};
use sine_rnn::steps::model::{forward, to_vec, Weights};
use sine_rnn::steps::train::{generate, loss, predict, train};
use tch::{Device, Kind, Tensor};

#[test]
fn data_matches_an_independent_computation() {
    for n in [1usize, 2, 3, 7, 20, 50, 333] {
        let data = sine_data(n, Device::Cpu);
        assert_eq!(data.x.size(), [n as i64, 1]);
        assert_eq!(data.y.size(), [n as i64, 1]);
        assert_eq!(data.x.kind(), Kind::Float);
        assert_eq!(data.time_steps.len(), n + 1);
        assert_eq!(data.time_steps[0], 2.0);
        assert_eq!(data.time_steps[n], 10.0);
        let (x, y) = (to_vec(&data.x), to_vec(&data.y));
        for (i, t) in data.time_steps.iter().enumerate() {
            // t_i = 2 + 8 i / n as one correctly rounded division; numpy's
            // i * step + start may differ from it by an ULP or two, never more.
            let exact = (2 * n + 8 * i) as f64 / n as f64;
            assert!((t - exact).abs() <= 4.0 * f64::EPSILON * exact, "t[{i}] for n={n}");
            let v = exact.sin() as f32;
            let got = if i < n { x[i] } else { y[n - 1] };
            assert!((got - v).abs() <= 2.0 * f32::EPSILON, "sin(t[{i}]) for n={n}: {got} vs {v}");
        }
        // y is x shifted by one point.
        assert_eq!(&x[1..], &y[..n - 1]);
    }
    // The tutorial's end points: sin(2) and sin(10).
    let data = sine_data(20, Device::Cpu);
    assert_eq!(to_vec(&data.x)[0], 2f64.sin() as f32);
    assert_eq!(to_vec(&data.y)[19], 10f64.sin() as f32);
}

/// numpy's own output (tests/fixtures/linspace.json, written by
/// scripts/make_fixtures.py): the time steps and the float32 values, bit for bit.
#[test]
fn data_is_bit_identical_to_numpys() {
    let fixture = common::read_json(&common::root().join("tests/fixtures/linspace.json"));
    let cases = fixture["cases"].as_array().expect("a list of cases");
    assert!(cases.len() >= 5);
    let hex = |v: &serde_json::Value| u64::from_str_radix(v.as_str().expect("hex bits"), 16).expect("hex");
    for case in cases {
        let n = case["seq_length"].as_u64().expect("seq_length") as usize;
        let t: Vec<u64> = case["time_steps_bits"].as_array().expect("bits").iter().map(hex).collect();
        let v: Vec<u32> =
            case["values_bits"].as_array().expect("bits").iter().map(|b| hex(b) as u32).collect();
        assert_eq!(linspace(2.0, 10.0, n + 1).iter().map(|x| x.to_bits()).collect::<Vec<_>>(), t, "n = {n}");
        let data = sine_data(n, Device::Cpu);
        assert_eq!(data.values.iter().map(|x| x.to_bits()).collect::<Vec<_>>(), v, "n = {n}");
    }
}

#[test]
fn shapes_follow_the_configuration() {
    let _g = common::seed_lock();
    for hidden in [1usize, 6, 16] {
        let cfg = Config { hidden_size: hidden, ..Config::default() };
        let w = Weights::init(&cfg, Device::Cpu);
        assert_eq!(w.w1.size(), [hidden as i64 + 1, hidden as i64]);
        assert_eq!(w.w2.size(), [hidden as i64, 1]);
        assert!(w.w1.requires_grad() && w.w2.requires_grad());
        let data = sine_data(cfg.seq_length, Device::Cpu);
        let context = Tensor::zeros([1, hidden as i64], (Kind::Float, Device::Cpu));
        let (out, context) = forward(&data.x.narrow(0, 0, 1), &context, &w);
        assert_eq!(out.size(), [1, 1]);
        assert_eq!(context.size(), [1, hidden as i64]);
        assert_eq!(predict(&data, &w).len(), cfg.seq_length);
    }
}

fn mean_std(v: &[f32]) -> (f64, f64) {
    let n = v.len() as f64;
    let mean = v.iter().map(|x| *x as f64).sum::<f64>() / n;
    let var = v.iter().map(|x| (*x as f64 - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, var.sqrt())
}

#[test]
fn initial_weights_have_the_tutorials_statistics() {
    let _g = common::seed_lock();
    let cfg = Config { hidden_size: 300, ..Config::default() };
    let w = Weights::init(&cfg, Device::Cpu);
    let (w1, w2) = (to_vec(&w.w1), to_vec(&w.w2));
    let (m1, s1) = mean_std(&w1);
    let (m2, s2) = mean_std(&w2);
    // 5 standard errors: fails only if the distribution is wrong.
    assert!(m1.abs() < 5.0 * 0.4 / (w1.len() as f64).sqrt(), "w1 mean {m1}");
    assert!((s1 - 0.4).abs() < 0.02, "w1 std {s1}");
    assert!(m2.abs() < 5.0 * 0.3 / (w2.len() as f64).sqrt(), "w2 mean {m2}");
    assert!((s2 - 0.3).abs() < 0.05, "w2 std {s2}");
    // The seed decides everything; another seed gives other weights.
    let again = Weights::init(&cfg, Device::Cpu);
    assert_eq!(to_vec(&again.w1), w1);
    let other = Weights::init(&Config { seed: 1, ..cfg }, Device::Cpu);
    assert_ne!(to_vec(&other.w1), w1);
}

/// The loss of one point, in float64, for given weights (no autograd).
fn loss_f64(x: f64, target: f64, context: &[f64], w1: &[f64], w2: &[f64], hidden: usize) -> f64 {
    let xh: Vec<f64> = std::iter::once(x).chain(context.iter().copied()).collect();
    let mut out = 0.0;
    for k in 0..hidden {
        let a: f64 = xh.iter().enumerate().map(|(i, v)| v * w1[i * hidden + k]).sum();
        out += a.tanh() * w2[k];
    }
    (out - target).powi(2) / 2.0
}

#[test]
fn gradients_match_central_finite_differences() {
    let _g = common::seed_lock();
    let cfg = Config { hidden_size: 5, seq_length: 8, ..Config::default() };
    let h = cfg.hidden_size;
    let data = sine_data(cfg.seq_length, Device::Cpu);
    let w = Weights::init(&cfg, Device::Cpu);
    let (x, y) = (to_vec(&data.x), to_vec(&data.y));
    // Walk the sequence as training does, checking the gradient at several points
    // (from a zero context, then from the carried, detached context).
    let mut context = Tensor::zeros([1, h as i64], (Kind::Float, Device::Cpu)).set_requires_grad(true);
    for j in 0..cfg.seq_length as i64 {
        let (pred, next) = forward(&data.x.narrow(0, j, 1), &context, &w);
        let loss = loss(&pred, &data.y.narrow(0, j, 1));
        loss.backward();
        let (g1, g2) = (to_vec(&w.w1.grad()), to_vec(&w.w2.grad()));
        let _ = w.w1.grad().zero_();
        let _ = w.w2.grad().zero_();
        let ctx: Vec<f64> = to_vec(&context).iter().map(|v| *v as f64).collect();
        let w1: Vec<f64> = to_vec(&w.w1).iter().map(|v| *v as f64).collect();
        let w2: Vec<f64> = to_vec(&w.w2).iter().map(|v| *v as f64).collect();
        let (xj, yj) = (x[j as usize] as f64, y[j as usize] as f64);
        let eps = 1e-6;
        for (which, grads) in [(1, &g1), (2, &g2)] {
            let base = if which == 1 { &w1 } else { &w2 };
            for (i, g) in grads.iter().enumerate() {
                let (mut plus, mut minus) = (base.clone(), base.clone());
                plus[i] += eps;
                minus[i] -= eps;
                let f = |v: &Vec<f64>| {
                    if which == 1 {
                        loss_f64(xj, yj, &ctx, v, &w2, h)
                    } else {
                        loss_f64(xj, yj, &ctx, &w1, v, h)
                    }
                };
                let fd = (f(&plus) - f(&minus)) / (2.0 * eps);
                let tol = 1e-4 * fd.abs().max(1.0);
                assert!((*g as f64 - fd).abs() <= tol, "step {j}: dL/dw{which}[{i}] autograd {g} vs fd {fd}");
            }
        }
        context = next.detach();
    }
}

#[test]
fn the_loss_falls_over_training() {
    let _g = common::seed_lock();
    let cfg = Config::default();
    let data = sine_data(cfg.seq_length, Device::Cpu);
    let mut w = Weights::init(&cfg, Device::Cpu);
    let mut calls = 0;
    let losses = train(&cfg, &data, &mut w, |i, _| {
        assert_eq!(i, calls);
        calls += 1;
    });
    assert_eq!(losses.len(), 300);
    assert!(losses.iter().all(|l| l.is_finite()));
    let best = losses.iter().cloned().fold(f32::INFINITY, f32::min);
    assert!(losses[299] < losses[0] / 20.0, "first {} last {}", losses[0], losses[299]);
    assert!(best < 0.05, "best {best}");
    // Training changed the weights and left no gradient behind.
    assert!(w.w1.grad().abs().sum(Kind::Float).double_value(&[]) == 0.0);
    let predictions = predict(&data, &w);
    let (x, y) = (to_vec(&data.x), to_vec(&data.y));
    let mse =
        |guess: &[f32]| guess.iter().zip(&y).map(|(p, t)| (p - t).powi(2)).sum::<f32>() / y.len() as f32;
    // Better than the naive guess "the next value equals this one".
    assert!(mse(&predictions) < mse(&x), "prediction MSE {} vs naive {}", mse(&predictions), mse(&x));
}

#[test]
fn closed_loop_generation_continues_the_wave() {
    let _g = common::seed_lock();
    let cfg = Config::default();
    let data = sine_data(cfg.seq_length, Device::Cpu);
    let mut w = Weights::init(&cfg, Device::Cpu);
    train(&cfg, &data, &mut w, |_, _| {});
    let generated = generate(&data, &w, 40);
    assert_eq!(generated.len(), 40);
    assert!(generated.iter().all(|v| v.is_finite()));
    assert!(generate(&data, &w, 0).is_empty());
    // They belong at 10.4, 10.8, 11.2, ... (the data's spacing, continued).
    let t = times_after(&data.time_steps, 3);
    assert!((t[0] - 10.4).abs() < 1e-12 && (t[2] - 11.2).abs() < 1e-12, "{t:?}");
    // Feeding its own output back, the network keeps oscillating: the values change sign.
    assert!(generated.iter().any(|v| *v > 0.0) && generated.iter().any(|v| *v < 0.0));
}
