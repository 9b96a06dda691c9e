//! Property tests over random small valid configurations: no panic, the right
//! shapes, and losses that are finite or reported as divergence.

mod common;

use proptest::prelude::*;
use sine_rnn::pyfmt::py_float;
use sine_rnn::steps::data::{sine_data, Config};
use sine_rnn::steps::model::Weights;
use sine_rnn::steps::train::{diverged_at, predict, train};
use tch::Device;

fn configs() -> impl Strategy<Value = Config> {
    (any::<u64>(), 0usize..5, 0.001f64..8.0, 1usize..16, 1usize..10).prop_map(
        |(seed, epochs, lr, seq_length, hidden_size)| Config { seed, epochs, lr, seq_length, hidden_size },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn training_any_small_configuration(cfg in configs()) {
        let _g = common::seed_lock();
        let data = sine_data(cfg.seq_length, Device::Cpu);
        let mut w = Weights::init(&cfg, Device::Cpu);
        let losses = train(&cfg, &data, &mut w, |_, _| {});
        let predictions = predict(&data, &w);
        prop_assert_eq!(losses.len(), cfg.epochs);
        prop_assert_eq!(predictions.len(), cfg.seq_length);
        prop_assert_eq!(w.w1.size(), vec![cfg.hidden_size as i64 + 1, cfg.hidden_size as i64]);
        prop_assert_eq!(w.w2.size(), vec![cfg.hidden_size as i64, 1]);
        match diverged_at(&losses) {
            None => prop_assert!(losses.iter().all(|l| l.is_finite() && *l >= 0.0)),
            Some(k) => {
                prop_assert!(!losses[k].is_finite());
                prop_assert!(losses[..k].iter().all(|l| l.is_finite()));
            }
        }
    }

    #[test]
    fn the_binary_exits_as_documented_on_any_small_configuration(cfg in configs()) {
        // What the run must find, computed here by the library's own steps (which
        // tests/golden.rs holds to PyTorch's bits): finite or not.
        let (losses, predictions) = {
            let _g = common::seed_lock();
            let data = sine_data(cfg.seq_length, Device::Cpu);
            let mut w = Weights::init(&cfg, Device::Cpu);
            (train(&cfg, &data, &mut w, |_, _| {}), predict(&data, &w))
        };
        let healthy = losses.iter().chain(&predictions).all(|v| v.is_finite());
        let dir = common::scratch();
        let args = [
            "--seed".to_string(), cfg.seed.to_string(),
            "--epochs".into(), cfg.epochs.to_string(),
            "--lr".into(), cfg.lr.to_string(),
            "--seq-length".into(), cfg.seq_length.to_string(),
            "--hidden-size".into(), cfg.hidden_size.to_string(),
            "--device".into(), "cpu".into(),
            "--plot".into(), "p.png".into(),
            // As this process computes: libtorch's own kernels for this CPU.
            "--cpu-kernels".into(), "machine".into(),
        ];
        let out = common::sine_rnn(&args.iter().map(String::as_str).collect::<Vec<_>>(), dir.path());
        let err = common::stderr(&out);
        prop_assert!(!err.contains("panicked"), "{}", err);
        // README: the tutorial's line every 10th epoch, as Python prints it.
        let expected: Vec<String> = losses.iter().step_by(10).enumerate()
            .map(|(k, l)| format!("Epoch: {} loss {}", 10 * k, py_float(*l as f64))).collect();
        let log = common::stdout(&out);
        prop_assert_eq!(log.lines().collect::<Vec<_>>(), expected);
        // README: exit 0 with a plot when everything is finite, else 3 and no plot.
        prop_assert_eq!(out.status.code(), Some(if healthy { 0 } else { 3 }), "{}", err);
        prop_assert_eq!(dir.path().join("p.png").exists(), healthy);
    }
}
