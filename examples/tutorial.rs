//! The PyTorch sine-wave tutorial (an Elman recurrent network learns to predict
//! the next point of sin t) in one file of Rust, to read beside the Python from top
//! to bottom. Same six steps, same order, and on the CPU the same numbers to the
//! last bit: its stdout is byte for byte PyTorch's.
//!
//!     cargo run --release --example tutorial
//!     cargo run --release --example tutorial -- --seed 3 --hidden-size 8
//!
//! It stands alone, so it can be copied out of this repository into a crate of
//! its own with these dependencies (and libtorch 2.13.0, as tch 0.26 requires):
//!
//! ```toml
//! [dependencies]
//! anyhow = "1"
//! clap = { version = "4", features = ["derive"] }
//! dejavu = "2.37"  # a font compiled in, so the plot needs no system fonts
//! plotters = { version = "0.3.7", default-features = false, features = ["svg_backend", "ab_glyph", "point_series"] }
//! tch = "0.26"
//! ```
//!
//! Outside this repository, build it with `LIBTORCH` pointing at a libtorch 2.13.0
//! and run it with `LD_LIBRARY_PATH=$LIBTORCH/lib` (here, `.cargo/config.toml` and
//! `build.rs` see to both).
//!
//! The `sine-rnn` binary is the same program with a command-line tool around it:
//! other backends, CUDA, JSON records, traces, checks.

// Step 1: imports. `torch` is `tch`, `pylab` is `plotters`, numpy is plain Rust.
use anyhow::Result;
use clap::Parser;
use plotters::prelude::*;
use tch::{Device, Kind, Tensor};

/// Step 2's hyper-parameters, with the tutorial's values as defaults.
#[derive(Parser)]
struct Args {
    #[arg(long, default_value_t = 0)]
    seed: u64,
    #[arg(long, default_value_t = 300)]
    epochs: usize,
    #[arg(long, default_value_t = 0.1)]
    lr: f64,
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..))]
    seq_length: u64,
    #[arg(long, default_value_t = 6, value_parser = clap::value_parser!(u64).range(1..))]
    hidden_size: u64,
    /// Where the scatter plot goes (SVG).
    #[arg(long, default_value = "sine_wave.svg")]
    plot: String,
}

const FLOAT_CPU: (Kind, Device) = (Kind::Float, Device::Cpu);

fn main() -> Result<()> {
    let args = Args::parse();

    // Why a friend's digits may differ: libtorch picks its CPU code by processor
    // (fused multiply-adds in MKL's matrix products on recent Intel CPUs, wider
    // vectors in ATen's tanh and random draws), and each choice rounds the last
    // bits its own way. These two settings, read when libtorch first computes,
    // pick the same code on every x86-64 CPU with AVX2, so everyone prints the
    // same numbers. Run your PyTorch script with them too to compare with it
    // (`MKL_CBWR=COMPATIBLE ATEN_CPU_CAPABILITY=avx2 python tutorial.py`). A value
    // you set yourself wins.
    for (name, value) in [("MKL_CBWR", "COMPATIBLE"), ("ATEN_CPU_CAPABILITY", "avx2")] {
        match std::env::var_os(name) {
            None => std::env::set_var(name, value),
            Some(yours) if yours != value => {
                eprintln!(
                    "{name}={} is yours: the digits may differ from other machines'",
                    yours.to_string_lossy()
                )
            }
            Some(_) => {}
        }
    }

    // Step 2: hyper-parameters and data.
    let (seq_length, hidden_size) = (args.seq_length as i64, args.hidden_size as i64);
    let (input_size, output_size) = (hidden_size + 1, 1);
    let (epochs, lr) = (args.epochs, args.lr);

    // np.linspace(2, 10, seq_length + 1), with numpy's own arithmetic (i * step +
    // start, then the end point exactly), and np.sin in float64; then
    // torch.Tensor(...) rounds to float32 once. x is every point but the last, y
    // every point but the first.
    let step = 8.0 / seq_length as f64;
    let mut time_steps: Vec<f64> = (0..=seq_length).map(|i| i as f64 * step + 2.0).collect();
    time_steps[seq_length as usize] = 10.0;
    let data: Vec<f32> = time_steps.iter().map(|t| t.sin() as f32).collect();
    let x = Tensor::from_slice(&data[..seq_length as usize]).reshape([seq_length, 1]);
    let y = Tensor::from_slice(&data[1..]).reshape([seq_length, 1]);

    // Step 3: weights. w1 ~ N(0, 0.4), then w2 ~ N(0, 0.3), from the seeded
    // generator, in that order. There is no `Variable`: requiring grad is a flag.
    tch::manual_seed(args.seed as i64);
    let mut w1 = Tensor::empty([input_size, hidden_size], FLOAT_CPU);
    // In-place methods also return the tensor (as in PyTorch); it is w1 itself.
    let _ = w1.normal_(0.0, 0.4);
    let mut w1 = w1.set_requires_grad(true);
    let mut w2 = Tensor::empty([hidden_size, output_size], FLOAT_CPU);
    let _ = w2.normal_(0.0, 0.3);
    let mut w2 = w2.set_requires_grad(true);

    // Step 5: training, one point at a time.
    for i in 0..epochs {
        let mut total_loss = Tensor::zeros([], FLOAT_CPU);
        let mut context_state = Tensor::zeros([1, hidden_size], FLOAT_CPU).set_requires_grad(true);
        for j in 0..x.size()[0] {
            let input = x.narrow(0, j, 1); // x[j:(j+1)]
            let target = y.narrow(0, j, 1); // y[j:(j+1)]
            let (pred, new_context_state) = forward(&input, &context_state, &w1, &w2);
            // ½·error², summed: `.pow(2)`, not `.square()` or a mean (see
            // docs/parity-workbench.md for which rewrites keep PyTorch's bits).
            let loss = (pred - target).pow_tensor_scalar(2).sum(Kind::Float) / 2;
            total_loss += loss.detach(); // a float32 sum, as Python's `total_loss += loss`
            loss.backward();
            // `w1.data -= lr * w1.grad.data`: an update autograd must not record.
            tch::no_grad(|| {
                w1 -= w1.grad() * lr;
                w2 -= w2.grad() * lr;
            });
            w1.zero_grad();
            w2.zero_grad();
            // `Variable(context_state.data)`: keep the value, cut the graph.
            context_state = new_context_state.detach();
        }
        if i % 10 == 0 {
            println!("Epoch: {i} loss {}", py_repr(total_loss.double_value(&[])));
        }
    }

    // Step 5, continued: predict each next point from a zero context.
    let mut context_state = Tensor::zeros([1, hidden_size], FLOAT_CPU);
    let mut predictions = Vec::new();
    tch::no_grad(|| {
        for i in 0..x.size()[0] {
            let input = x.narrow(0, i, 1);
            let (pred, new_context_state) = forward(&input, &context_state, &w1, &w2);
            context_state = new_context_state;
            predictions.push(pred.double_value(&[0, 0]));
        }
    });

    // Step 6: actual values at t[:-1] (large), predictions at t[1:], a legend.
    plot(&args.plot, &time_steps, &data[..seq_length as usize], &predictions)?;
    Ok(())
}

/// Step 4: one step of the Elman network. The input and the previous context go
/// in side by side; the new context is tanh(xh · w1), the output context · w2.
fn forward(input: &Tensor, context_state: &Tensor, w1: &Tensor, w2: &Tensor) -> (Tensor, Tensor) {
    let xh = Tensor::cat(&[input, context_state], 1);
    let context_state = xh.mm(w1).tanh();
    let out = context_state.mm(w2);
    (out, context_state)
}

/// Step 6: `pl.scatter(time_steps[:-1], x, s=90, label="Actual")`,
/// `pl.scatter(time_steps[1:], predictions, label="Predicted")`, `pl.legend()`.
fn plot(path: &str, time_steps: &[f64], actual: &[f32], predictions: &[f64]) -> Result<()> {
    // plotters measures text with a real font; this one is compiled in.
    let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, dejavu::sans::regular());
    let root = SVGBackend::new(path, (900, 600)).into_drawing_area();
    root.fill(&WHITE)?;
    // The data's range, with room above it for the legend, so it hides no point.
    let values =
        actual.iter().map(|v| *v as f64).chain(predictions.iter().copied()).filter(|v| v.is_finite());
    let (lo, hi) = values.fold((-1.0f64, 1.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let mut chart = ChartBuilder::on(&root)
        .margin(16)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d(1.5..10.5, lo - 0.1..hi + 0.4 * (hi - lo))?;
    chart.configure_mesh().x_desc("t").y_desc("sin(t)").draw()?;
    let (blue, orange) = (RGBColor(0x1f, 0x77, 0xb4), RGBColor(0xff, 0x7f, 0x0e));
    let actual = time_steps.iter().zip(actual).map(|(t, v)| Circle::new((*t, *v as f64), 7, blue.filled()));
    chart.draw_series(actual)?.label("Actual").legend(move |p| Circle::new(p, 7, blue.filled()));
    let predicted =
        time_steps[1..].iter().zip(predictions).map(|(t, v)| Circle::new((*t, *v), 4, orange.filled()));
    chart.draw_series(predicted)?.label("Predicted").legend(move |p| Circle::new(p, 4, orange.filled()));
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE)
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    eprintln!("wrote {path}");
    Ok(())
}

/// Python prints a float as its `repr`: the fewest digits that read back as the
/// same number, rounded half to even, in exponent form below 1e-4 and from 1e16.
/// Rust's `{}` finds as many digits but lays them out otherwise, so the log is
/// formatted here to diff byte for byte against PyTorch's.
fn py_repr(x: f64) -> String {
    if !x.is_finite() {
        return (if x.is_nan() {
            "nan"
        } else if x > 0.0 {
            "inf"
        } else {
            "-inf"
        })
        .to_string();
    }
    let shortest = format!("{x:e}"); // "4.1456516832113266e-2"
    let digits = shortest.split('e').next().map_or(1, |m| m.chars().filter(char::is_ascii_digit).count());
    let sci = format!("{:.*e}", digits - 1, x); // exactly rounded to that many digits
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if (-4..16).contains(&exp) {
        format!("{:.*}", (digits as i32 - 1 - exp).max(1) as usize, x)
    } else {
        format!("{mantissa}e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs())
    }
}
