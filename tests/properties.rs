//! Property tests over random small valid configurations: no panic, the right
//! shapes, and losses that are finite or reported as divergence.

mod common;

use proptest::prelude::*;
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
    fn the_binary_on_any_small_configuration(cfg in configs()) {
        let dir = common::scratch();
        let args = [
            "--seed".to_string(), cfg.seed.to_string(),
            "--epochs".into(), cfg.epochs.to_string(),
            "--lr".into(), cfg.lr.to_string(),
            "--seq-length".into(), cfg.seq_length.to_string(),
            "--hidden-size".into(), cfg.hidden_size.to_string(),
            "--device".into(), "cpu".into(),
            "--json".into(), "run.json".into(),
            "--plot".into(), "p.png".into(),
        ];
        let out = common::sine_rnn(&args.iter().map(String::as_str).collect::<Vec<_>>(), dir.path());
        let err = common::stderr(&out);
        prop_assert!(!err.contains("panicked"), "{}", err);
        prop_assert_eq!(common::stdout(&out).lines().count(), cfg.epochs.div_ceil(10));
        let json = common::read_json(&dir.path().join("run.json"));
        let finite = |key: &str| json[key]["values"].as_array().unwrap().iter().all(|v| v.is_number());
        let ok = finite("epoch_losses") && finite("predictions");
        // Exit 0 with a plot when everything is finite, else 3 (divergence) and no plot.
        prop_assert_eq!(out.status.code(), Some(if ok { 0 } else { 3 }), "{}", err);
        prop_assert_eq!(dir.path().join("p.png").exists(), ok);
    }
}
