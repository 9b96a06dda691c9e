use sine_rnn::data::{sine_data, Config};
use sine_rnn::grad;
use sine_rnn::model::{forward, Weights};
use sine_rnn::train::to_vec;
use tch::{Device, Kind, Tensor};
fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}
fn main() {
    let cfg = Config::default();
    let data = sine_data(cfg.seq_length, Device::Cpu);
    let x = to_vec(&data.x);
    let y = to_vec(&data.y);
    let mut w = Weights::init(&cfg, Device::Cpu);
    let mut shown = 0;
    for epoch in 0..300 {
        let mut context = Tensor::zeros([1, 6], (Kind::Float, Device::Cpu));
        for j in 0..20 {
            let (w1, w2, ctx) = (to_vec(&w.w1), to_vec(&w.w2), to_vec(&context));
            let xh_t = Tensor::cat(&[&data.x.narrow(0, j as i64, 1), &context], 1);
            let a_t = to_vec(&xh_t.mm(&w.w1));
            let (pred, next) = forward(&data.x.narrow(0, j as i64, 1), &context, &w);
            let step = grad::forward(x[j], &ctx, &w1, &w2);
            let c_t = to_vec(&next);
            let out_t = to_vec(&pred)[0];
            if (bits(&c_t) != bits(&step.c) || out_t.to_bits() != step.out.to_bits()) && shown < 5 {
                shown += 1;
                let xh: Vec<f32> = std::iter::once(x[j]).chain(ctx.iter().copied()).collect();
                let mut pre = vec![0f32; 6];
                for k in 0..6 {
                    let mut acc = 0f32;
                    for i in 0..7 {
                        acc += xh[i] * w1[i * 6 + k];
                    }
                    pre[k] = acc;
                }
                println!(
                    "epoch {epoch} step {j}: a_tch {:?} a_rs {:?}\n c_tch {:?}\n c_rs  {:?}\n out {} {}",
                    bits(&a_t),
                    bits(&pre),
                    bits(&c_t),
                    bits(&step.c),
                    out_t,
                    step.out
                );
            }
            let loss = (&pred - data.y.narrow(0, j as i64, 1)).pow_tensor_scalar(2).sum(Kind::Float) / 2;
            loss.backward();
            let _ = y[j];
            tch::no_grad(|| {
                w.w1 -= w.w1.grad() * cfg.lr;
                w.w2 -= w.w2.grad() * cfg.lr;
            });
            w.w1.zero_grad();
            w.w2.zero_grad();
            context = next.detach();
        }
    }
}
