//! The PyTorch sine-wave tutorial (an Elman recurrent network learns to predict
//! the next point of sin t) in one file of Rust. `examples/tutorial.py` is the
//! same program in PyTorch, step for step; docs/line-by-line.md reads the two side
//! by side. On the CPU both print the same lines, to the last digit.
//!
//!     cargo run --release --example tutorial
//!     cargo run --release --example tutorial -- --seed 3 --hidden-size 8
//!
//! The lesson is `Args`, `forward`, `main` and `plot`; what a program needs besides
//! (Python's float format, a font, a check of the plot's path, room for the
//! legend) comes after them, in one marked section.
//!
//! It stands alone: copied into a crate of its own, it builds with these
//! dependencies, `LIBTORCH` pointing at a libtorch 2.13.0 (as tch 0.26 requires),
//! and runs with `LD_LIBRARY_PATH=$LIBTORCH/lib`:
//!
//! ```toml
//! [dependencies]
//! anyhow = "1"
//! clap = { version = "4", features = ["derive"] }
//! dejavu = "2.37"  # a font compiled in, so the plot needs no system fonts
//! plotters = { version = "0.3.7", default-features = false, features = ["svg_backend", "ab_glyph", "point_series"] }
//! tch = "0.26"
//! ```

// Step 1: imports. `torch` is `tch`, `pylab` is `plotters`, numpy is plain Rust.
use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::{value_parser, Parser};
use plotters::prelude::*;
use tch::{kind::FLOAT_CPU, Kind, Tensor};

/// The sine-wave RNN tutorial. Every default is the tutorial's constant.
#[derive(Parser)]
#[command(allow_negative_numbers = true)] // `--lr -0.1` is a value, as for argparse
struct Args {
    /// Seed for the initial weights
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Passes over the sequence
    #[arg(long, default_value_t = 300, value_parser = value_parser!(u64).range(..=10_000_000))]
    epochs: u64,
    /// Learning rate of the update
    #[arg(long, default_value_t = 0.1)]
    lr: f64,
    /// Points to learn (the data has one more)
    #[arg(long, default_value_t = 20, value_parser = value_parser!(u64).range(1..=1_000_000))]
    seq_length: u64,
    /// Size of the context; the input has one more
    #[arg(long, default_value_t = 6, value_parser = value_parser!(u64).range(1..=4096))]
    hidden_size: u64,
    /// Where the scatter plot goes (SVG)
    #[arg(long, default_value = "sine_wave_tutorial.svg", value_parser = svg_path)]
    plot: PathBuf,
}

/// Step 4: one step of the network, defined before the loop that calls it.
fn forward(input: &Tensor, context_state: &Tensor, w1: &Tensor, w2: &Tensor) -> (Tensor, Tensor) {
    let xh = Tensor::cat(&[input, context_state], 1);
    let context_state = xh.mm(w1).tanh();
    let out = context_state.mm(w2);
    (out, context_state)
}

// `Result` is anyhow's: any error converts into it, `?` returns it early, and
// `main` returning one prints it and exits with status 1.
fn main() -> Result<()> {
    // Step 1, continued: pin the CPU kernels, before the first tensor operation,
    // which is when libtorch reads these two variables. Each processor's own
    // kernels round the last bits their own way; with these, every x86-64 CPU with
    // AVX2 prints the same numbers. A value you set yourself wins.
    for (name, value) in [("MKL_CBWR", "COMPATIBLE"), ("ATEN_CPU_CAPABILITY", "avx2")] {
        if std::env::var_os(name).is_none() {
            std::env::set_var(name, value);
        }
    }

    // Step 2: hyper-parameters. A bad flag is one line and exit status 2, now.
    let args = Args::parse();

    // Step 2, continued: the data. libtorch's sizes and indices are C++ `int64_t`,
    // so tch takes them as `i64`: hence `as i64`.
    let (input_size, hidden_size, output_size) = (args.hidden_size as i64 + 1, args.hidden_size as i64, 1);
    let (epochs, seq_length, lr) = (args.epochs, args.seq_length as usize, args.lr);
    // np.linspace(2, 10, seq_length + 1) with numpy's arithmetic: i * step + start,
    // then the end point exactly. np.sin in f64; torch.Tensor rounds to f32 once.
    let step = 8.0 / seq_length as f64;
    let mut time_steps: Vec<f64> = (0..=seq_length).map(|i| i as f64 * step + 2.0).collect();
    time_steps[seq_length] = 10.0;
    let data: Vec<f32> = time_steps.iter().map(|t| t.sin() as f32).collect();
    // A `Tensor` is a handle to libtorch's tensor, as a Python name is: `narrow`,
    // `reshape` and `shallow_clone` give other handles to the same storage, and only
    // `copy()` copies the values. It is not `Clone`, so no copy is ever implicit.
    let x = Tensor::from_slice(&data[..seq_length]).reshape([-1, 1]);
    let y = Tensor::from_slice(&data[1..]).reshape([-1, 1]);

    // Step 3: weights. `normal_` fills in place and returns the tensor, as in PyTorch.
    tch::manual_seed(args.seed as i64);
    let mut w1 =
        Tensor::empty([input_size, hidden_size], FLOAT_CPU).normal_(0.0, 0.4).set_requires_grad(true);
    let mut w2 =
        Tensor::empty([hidden_size, output_size], FLOAT_CPU).normal_(0.0, 0.3).set_requires_grad(true);

    // Step 5: training.
    for i in 0..epochs {
        let mut total_loss = Tensor::zeros([], FLOAT_CPU);
        let mut context_state = Tensor::zeros([1, hidden_size], FLOAT_CPU).set_requires_grad(true);
        for j in 0..x.size()[0] {
            let input = x.narrow(0, j, 1); // x[j:(j + 1)]: dimension, start, length
            let target = y.narrow(0, j, 1);
            let (pred, new_context_state) = forward(&input, &context_state, &w1, &w2);
            // `.pow(2).sum()`: tch names each overload (`pow_tensor_scalar`: a scalar
            // exponent) and spells out `sum`'s optional dtype (float32, as `.sum()` gives).
            let loss = (pred - target).pow_tensor_scalar(2).sum(Kind::Float) / 2;
            // Python's `total_loss += loss` keeps every step's graph alive until the
            // epoch ends; the detached loss adds the same float32 value without it.
            total_loss += loss.detach();
            loss.backward();
            // The closure borrows w1 and w2 mutably while it runs. In `w1 -= w1.grad() * lr`
            // the right side is done first: `grad()` borrows w1 only to return a new
            // handle, so that borrow has ended when `-=` takes w1 to change it in place.
            tch::no_grad(|| {
                w1 -= w1.grad() * lr;
                w2 -= w2.grad() * lr;
            });
            w1.zero_grad();
            w2.zero_grad();
            context_state = new_context_state.detach();
        }
        if i % 10 == 0 {
            println!("Epoch: {i} loss {}", py_repr(total_loss.double_value(&[])));
        }
    }

    // Step 5, continued: predict each next point, from a zero context. No gradient
    // is wanted, so under `no_grad` libtorch records no graph; the values are the same.
    let mut context_state = Tensor::zeros([1, hidden_size], FLOAT_CPU);
    let mut predictions = Vec::new();
    tch::no_grad(|| {
        for i in 0..x.size()[0] {
            let input = x.narrow(0, i, 1);
            let (pred, new_context_state) = forward(&input, &context_state, &w1, &w2);
            context_state = new_context_state;
            predictions.push(pred.double_value(&[]));
        }
    });

    // Step 6: the plot.
    plot(&args.plot, &time_steps, &data[..seq_length], &predictions)
}

/// Step 6: `pl.scatter(time_steps[:-1], x, s=90, label="Actual")`,
/// `pl.scatter(time_steps[1:], predictions, label="Predicted")`, `pl.legend()`.
fn plot(path: &Path, time_steps: &[f64], actual: &[f32], predictions: &[f64]) -> Result<()> {
    embed_font();
    let root = SVGBackend::new(path, (900, 600)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .margin(16)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d(1.5..10.5, value_range(actual, predictions))?;
    chart.configure_mesh().x_desc("t").y_desc("sin(t)").draw()?;
    // matplotlib's first two colours; s=90 and the default size as radii in pixels.
    let (blue, orange) = (RGBColor(0x1f, 0x77, 0xb4), RGBColor(0xff, 0x7f, 0x0e));
    let actual = time_steps.iter().zip(actual).map(|(t, v)| Circle::new((*t, *v as f64), 7, blue.filled()));
    chart.draw_series(actual)?.label("Actual").legend(move |p| Circle::new(p, 7, blue.filled()));
    // A prediction that is not finite (training diverged) has no place: matplotlib
    // leaves it out, and so does this.
    let predicted = time_steps[1..].iter().zip(predictions).filter(|(_, v)| v.is_finite());
    let predicted = predicted.map(|(t, v)| Circle::new((*t, *v), 4, orange.filled()));
    chart.draw_series(predicted)?.label("Predicted").legend(move |p| Circle::new(p, 4, orange.filled()));
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE)
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    eprintln!("wrote {}", path.display());
    Ok(())
}

// ---------------------------------------------------------------------------
// Not the lesson: what the program needs around it.
// ---------------------------------------------------------------------------

/// Python prints a float as its `repr`, which Rust's `{}` lays out otherwise: the
/// fewest digits that read back as `x` (as Rust's `{:e}`), but a tie rounded half
/// to even (`{:.*e}`), where Rust's shortest rounds up; positional for exponents
/// -4..16, else `1e-05`. (Beside a power of two the even rounding may not read back.)
fn py_repr(x: f64) -> String {
    if !x.is_finite() {
        return format!("{x}").to_lowercase(); // nan, inf, -inf
    }
    let shortest = format!("{x:e}");
    let digits = shortest.split('e').next().map_or(1, |m| m.chars().filter(char::is_ascii_digit).count());
    let even = format!("{x:.*e}", digits - 1);
    let sci = if even.parse() == Ok(x) { even } else { shortest };
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if (-4..16).contains(&exp) {
        format!("{x:.*}", (digits as i32 - 1 - exp).max(1) as usize)
    } else {
        format!("{mantissa}e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs())
    }
}

/// plotters measures text with a real font; this one is compiled in.
fn embed_font() {
    let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, dejavu::sans::regular());
}

/// The values' range, with room above for the legend, so that it hides no point.
fn value_range(actual: &[f32], predictions: &[f64]) -> std::ops::Range<f64> {
    let values =
        actual.iter().map(|v| *v as f64).chain(predictions.iter().copied()).filter(|v| v.is_finite());
    let (lo, hi) = values.fold((-1.0f64, 1.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    lo - 0.1..hi + 0.4 * (hi - lo)
}

/// `--plot`, checked before training, as clap checks the numbers: a name ending in
/// `.svg`, in a directory that exists and is writable, and no FIFO (whose write
/// would wait for a reader) nor directory in its place.
fn svg_path(s: &str) -> Result<PathBuf, String> {
    let path = PathBuf::from(s);
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if s.ends_with('/') || s.ends_with("/.") {
        Err("names a directory; give a file name".into())
    } else if !path.extension().is_some_and(|e| e.eq_ignore_ascii_case("svg")) {
        Err("the plot is written as SVG, so its name must end in .svg".into())
    } else if !dir.is_dir() {
        Err(format!("cannot find the directory {}", dir.display()))
    } else if dir.metadata().is_ok_and(|m| m.permissions().readonly()) {
        Err(format!("the directory {} is read-only", dir.display()))
    } else if !(path.is_file() || path.symlink_metadata().is_err()) {
        Err("exists and is not a regular file (nor a link to one)".into())
    } else {
        Ok(path)
    }
}
