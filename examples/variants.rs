use sine_rnn::data::{sine_data, Config};
use sine_rnn::model::{forward, Weights};
use sine_rnn::train::{to_vec, train};
use std::time::Instant;
use tch::{Kind, Tensor};

fn v_rows_host_runbackward(cfg: &Config, data: &sine_rnn::data::SineData, w: &mut Weights) -> Vec<f32> {
    let device = data.x.device();
    let n = data.x.size()[0];
    let xs: Vec<Tensor> = (0..n).map(|j| data.x.narrow(0, j, 1)).collect();
    let ys: Vec<Tensor> = (0..n).map(|j| data.y.narrow(0, j, 1)).collect();
    let mut losses = vec![];
    for _ in 0..cfg.epochs {
        let mut total = 0f32;
        let mut context =
            Tensor::zeros([1, cfg.hidden_size as i64], (Kind::Float, device)).set_requires_grad(true);
        for j in 0..n as usize {
            let (pred, next) = forward(&xs[j], &context, w);
            let loss = (pred - &ys[j]).pow_tensor_scalar(2).sum(Kind::Float) / 2;
            total += loss.double_value(&[]) as f32;
            let g = Tensor::run_backward(&[&loss], &[&w.w1, &w.w2], false, false);
            tch::no_grad(|| {
                w.w1 -= &g[0] * cfg.lr;
                w.w2 -= &g[1] * cfg.lr;
            });
            context = next.detach();
        }
        losses.push(total);
    }
    losses
}

fn v_rows_only(cfg: &Config, data: &sine_rnn::data::SineData, w: &mut Weights) -> Vec<f32> {
    let device = data.x.device();
    let n = data.x.size()[0];
    let xs: Vec<Tensor> = (0..n).map(|j| data.x.narrow(0, j, 1)).collect();
    let ys: Vec<Tensor> = (0..n).map(|j| data.y.narrow(0, j, 1)).collect();
    let mut losses = vec![];
    for _ in 0..cfg.epochs {
        let mut total = 0f32;
        let mut context =
            Tensor::zeros([1, cfg.hidden_size as i64], (Kind::Float, device)).set_requires_grad(true);
        for j in 0..n as usize {
            let (pred, next) = forward(&xs[j], &context, w);
            let loss = (pred - &ys[j]).pow_tensor_scalar(2).sum(Kind::Float) / 2;
            total += loss.double_value(&[]) as f32;
            loss.backward();
            tch::no_grad(|| {
                w.w1 -= w.w1.grad() * cfg.lr;
                w.w2 -= w.w2.grad() * cfg.lr;
            });
            w.w1.zero_grad();
            w.w2.zero_grad();
            context = next.detach();
        }
        losses.push(total);
    }
    losses
}

fn main() {
    let threads: i32 = std::env::var("T").ok().and_then(|s| s.parse().ok()).unwrap_or(0);
    if threads > 0 {
        tch::set_num_threads(threads);
    }
    let epochs: usize = std::env::var("E").ok().and_then(|s| s.parse().ok()).unwrap_or(1000);
    let only = std::env::var("V").ok();
    let rounds: usize = if only.is_some() { 1 } else { 3 };
    let cfg = Config { epochs, ..Config::default() };
    let data = sine_data(cfg.seq_length, tch::Device::Cpu);
    let mut reference = None;
    for round in 0..rounds {
        for (name, f) in [
            (
                "base",
                (|c: &Config, d: &_, w: &mut Weights| train(c, d, w, |_, _| {}))
                    as fn(&Config, &sine_rnn::data::SineData, &mut Weights) -> Vec<f32>,
            ),
            ("rows+host", v_rows_only),
            ("rows+host+run_backward", v_rows_host_runbackward),
        ] {
            if only.as_deref().is_some_and(|o| o != name) {
                continue;
            }
            let mut w = Weights::init(&cfg, tch::Device::Cpu);
            let t = Instant::now();
            let l = f(&cfg, &data, &mut w);
            let dt = t.elapsed().as_secs_f64();
            let w1 = to_vec(&w.w1);
            let same = match &reference {
                None => {
                    reference = Some((l.clone(), w1.clone()));
                    true
                }
                Some((rl, rw)) => {
                    rl.iter().zip(&l).all(|(a, b)| a.to_bits() == b.to_bits())
                        && rw.iter().zip(&w1).all(|(a, b)| a.to_bits() == b.to_bits())
                }
            };
            println!(
                "round {round} {name:<24} {:.3} s  {:.1} us/step identical={same}",
                dt,
                dt * 1e6 / 20000.0
            );
        }
    }
}
