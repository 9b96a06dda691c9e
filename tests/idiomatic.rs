//! How far the idiomatic tch version (VarStore, Init, Sgd) ends up from the port.

mod common;

use sine_rnn::backends::idiomatic;
use sine_rnn::steps::data::{sine_data, Config};
use sine_rnn::steps::model::Weights;
use sine_rnn::steps::train::{to_vec, train};
use tch::Device;

fn max_rel(a: &[f32], b: &[f32]) -> f64 {
    a.iter().zip(b).map(|(x, y)| ((*x as f64 - *y as f64) / *y as f64).abs()).fold(0.0, f64::max)
}

#[test]
fn idiomatic_and_port_logs_stay_close() {
    let _g = common::seed_lock();
    for cfg in
        [Config::default(), Config { seed: 1, ..Config::default() }, Config { seed: 2, ..Config::default() }]
    {
        let data = sine_data(cfg.seq_length, Device::Cpu);
        let mut w = Weights::init(&cfg, Device::Cpu);
        let (init1, init2) = (to_vec(&w.w1), to_vec(&w.w2));
        let port = train(&cfg, &data, &mut w, |_, _| {});

        // The backend's own draw: the same random numbers, scaled in float32 (as
        // `normal_` does from 16 elements on, not below), so equal to float32
        // rounding (not always to the bit), and of the configuration's shapes.
        let (vs, iw) = idiomatic::init(&cfg, Device::Cpu);
        let h = cfg.hidden_size as i64;
        assert_eq!((iw.w1.size(), iw.w2.size()), (vec![h + 1, h], vec![h, 1]));
        assert_eq!(vs.trainable_variables().len(), 2, "w1 and w2 are the store's variables");
        let (r1, r2) = (max_rel(&to_vec(&iw.w1), &init1), max_rel(&to_vec(&iw.w2), &init2));
        assert!(r1 < 1e-6 && r2 < 1e-6, "initial weights differ by {r1:e} / {r2:e}");

        let drawn = to_vec(&iw.w1);
        let idio = idiomatic::train(&cfg, &data, &vs, &iw, |_, _| {}).expect("training runs");
        let r = max_rel(&idio, &port);
        eprintln!("seed {}: largest relative difference of the epoch losses: {r:e}", cfg.seed);
        // Close, and not identical: the fused update rounds differently.
        assert!(r < 1e-4, "seed {}: {r:e}", cfg.seed);
        assert!(r > 0.0, "seed {}: unexpectedly identical", cfg.seed);
        // Training through the store moved the very tensors `init` returned.
        assert_ne!(to_vec(&iw.w1), drawn);
    }
}
