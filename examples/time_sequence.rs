//! PyTorch's own time-sequence prediction example (pytorch/examples,
//! `time_sequence_prediction`: `generate_sine_wave.py`, then `train.py`) ported
//! to tch: two LSTM cells and a linear layer learn sine waves that start at
//! different phases, in float64, with L-BFGS; then the network goes on alone.
//! `examples/time_sequence.py` is the same program in PyTorch, with the same
//! flags; docs/time-sequence.md reads the two side by side. On the CPU, stdout is
//! byte for byte what PyTorch's `train.py` prints, and every traced float64 is
//! PyTorch's to the bit.
//!
//!     cargo run --release --example time_sequence -- --steps 15 --device cpu
//!     cargo run --release --example time_sequence -- --steps 1 --device cpu --trace rust.jsonl
//!
//! It uses nothing of sine-rnn's: only tch, the `parity-trace` crate (the
//! tracer, and Python's float format) and the crates any Rust program would.

use std::cell::RefCell;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::{value_parser, CommandFactory, Parser, ValueEnum};
use parity_trace::{py_float, Tracer};
use plotters::data::float::pretty_print_float;
use plotters::prelude::*;
use rand_mt::Mt;
use serde_json::json;
use tch::{Device, Kind, Reduction, Tensor};

#[path = "time_sequence/lbfgs.rs"]
mod lbfgs;
use lbfgs::{Evaluation, Lbfgs};

/// PyTorch's time-sequence prediction example. Every default is the original's,
/// and the command line reads as argparse reads the original's: a flag may be
/// shortened while it stays unambiguous (`--step 2`), and the last of a repeated
/// flag wins. Whole numbers are bounded by i64, as torch's sizes are; `--hidden`
/// by 2^31 - 1, so that 4 x hidden gate rows and hidden² weights are sizes too.
#[derive(Parser)]
#[command(infer_long_args = true, args_override_self = true, allow_hyphen_values = true)]
struct Args {
    /// L-BFGS steps to run
    #[arg(long, default_value_t = 15, value_parser = value_parser!(i64).range(0..))]
    steps: i64,
    /// Where to compute (the original's default is CUDA)
    #[arg(long, value_enum, default_value_t = Where::Cuda)]
    device: Where,
    /// Units in each LSTM cell
    #[arg(long, default_value_t = 51, value_parser = value_parser!(i64).range(1..=i32::MAX as i64))]
    hidden: i64,
    /// Sine waves (N); the first 3 are the test set
    #[arg(long, default_value_t = 100, value_parser = value_parser!(i64).range(4..))]
    sequences: i64,
    /// Points per wave (L)
    #[arg(long, default_value_t = 1000, value_parser = value_parser!(i64).range(2..))]
    length: i64,
    /// T: a wave is sin(x / T), shifted by up to 4T
    #[arg(long, default_value_t = 20, value_parser = value_parser!(i64).range(1..=100_000_000))]
    period: i64,
    /// numpy's seed for the shifts
    #[arg(long, default_value_t = 2)]
    data_seed: u32,
    /// The seed for the initial weights
    #[arg(long, default_value_t = 0)]
    seed: u32,
    /// Points to predict beyond each test wave
    #[arg(long, default_value_t = 1000, value_parser = value_parser!(i64).range(0..))]
    future: i64,
    /// L-BFGS's learning rate (finite, at least 0, as torch.optim.LBFGS asks)
    #[arg(long, default_value_t = 0.8, value_parser = learning_rate)]
    lr: f64,
    /// libtorch's threads (default: libtorch's choice, the number of cores, as for
    /// the original); large sums are split among them, so the bits depend on it
    #[arg(long, value_parser = value_parser!(i32).range(1..=1024))]
    threads: Option<i32>,
    /// Write every evaluation and iteration here (parity-trace/1)
    #[arg(long)]
    trace: Option<PathBuf>,
    /// Where each step's predict{step}.svg goes
    #[arg(long, default_value = ".")]
    plot_dir: PathBuf,
    /// Draw nothing
    #[arg(long)]
    no_plot: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Where {
    Cuda,
    Cpu,
}

fn learning_rate(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(x) if x.is_finite() && x >= 0.0 => Ok(x), // -0.0 too, as LBFGS's `0.0 <= lr`
        _ => Err(format!("must be a finite number, at least 0, not {text}")),
    }
}

/// generate_sine_wave.py: N waves of L points, sin(x / T), each shifted by an
/// integer in [-4T, 4T) from numpy's legacy generator, as numpy computes it.
fn sine_waves(args: &Args) -> Result<Vec<f64>> {
    let (n, l, t) = (args.sequences, args.length, args.period);
    let mut data = Vec::new();
    let size = usize::try_from(n).ok().and_then(|n| n.checked_mul(usize::try_from(l).ok()?));
    size.and_then(|size| data.try_reserve_exact(size).ok())
        .with_context(|| format!("{n} waves of {l} points do not fit in memory"))?;
    for shift in legacy_randint(args.data_seed, -4 * t, 4 * t, n) {
        // x / 1.0 / T in float64, then numpy's sin, which is the C library's.
        data.extend((0..l).map(|x| ((x + shift) as f64 / 1.0 / t as f64).sin()));
    }
    Ok(data)
}

/// `np.random.seed(seed); np.random.randint(low, high, n)`: numpy's legacy
/// RandomState is MT19937 seeded as `init_genrand(seed)`, and draws a bounded
/// integer by masking 32-bit outputs to the next power of two less one and
/// drawing again while the result is out of range.
fn legacy_randint(seed: u32, low: i64, high: i64, n: i64) -> impl Iterator<Item = i64> {
    let mut mt = Mt::new(seed);
    let range = (high - 1 - low) as u32; // high is excluded; at least 7 here
    let mask = u32::MAX >> range.leading_zeros();
    let mut draw = move || loop {
        let value = mt.next_u32() & mask;
        if value <= range {
            return low + value as i64;
        }
    };
    (0..n).map(move |_| draw())
}

/// `nn.LSTMCell`: libtorch's own `lstm_cell` op, as PyTorch's module calls it.
struct LstmCell {
    weight_ih: Tensor,
    weight_hh: Tensor,
    bias_ih: Tensor,
    bias_hh: Tensor,
}

impl LstmCell {
    /// PyTorch's init: each parameter in turn ~ U(-1/sqrt(hidden), 1/sqrt(hidden)).
    fn new(input: i64, hidden: i64) -> Result<LstmCell> {
        let stdv = 1.0 / (hidden as f64).sqrt();
        Ok(LstmCell {
            weight_ih: uniform(&[4 * hidden, input], stdv)?,
            weight_hh: uniform(&[4 * hidden, hidden], stdv)?,
            bias_ih: uniform(&[4 * hidden], stdv)?,
            bias_hh: uniform(&[4 * hidden], stdv)?,
        })
    }

    fn forward(&self, input: &Tensor, (h, c): &(Tensor, Tensor)) -> Result<(Tensor, Tensor)> {
        let (w_ih, w_hh) = (&self.weight_ih, &self.weight_hh);
        Ok(input.f_lstm_cell(&[h, c], w_ih, w_hh, Some(&self.bias_ih), Some(&self.bias_hh))?)
    }
}

/// A float32 draw, as nn's layers make their parameters before `.double()`.
fn uniform(shape: &[i64], bound: f64) -> Result<Tensor> {
    let mut t =
        Tensor::f_empty(shape, (Kind::Float, Device::Cpu)).with_context(|| format!("a {shape:?} weight"))?;
    Ok(t.f_uniform_(-bound, bound)?)
}

/// The original's `Sequence` module.
struct Sequence {
    hidden: i64,
    lstm1: LstmCell,
    lstm2: LstmCell,
    linear_weight: Tensor,
    linear_bias: Tensor,
    /// No values; the original has it to find the device, and L-BFGS sees it.
    dummy_param: Tensor,
}

impl Sequence {
    /// The draws in PyTorch's order: lstm1, lstm2, then `nn.Linear`'s
    /// kaiming_uniform_(a = sqrt 5) weight and its bias.
    fn new(hidden: i64) -> Result<Sequence> {
        let (lstm1, lstm2) = (LstmCell::new(1, hidden)?, LstmCell::new(hidden, hidden)?);
        let a = 5f64.sqrt();
        let gain = (2.0 / (1.0 + a * a)).sqrt();
        let bound = 3f64.sqrt() * (gain / (hidden as f64).sqrt());
        let linear_weight = uniform(&[1, hidden], bound)?;
        let linear_bias = uniform(&[1], 1.0 / (hidden as f64).sqrt())?;
        let dummy_param = Tensor::empty([0], (Kind::Float, Device::Cpu));
        Ok(Sequence { hidden, lstm1, lstm2, linear_weight, linear_bias, dummy_param })
    }

    /// `named_parameters()`: the module's own first, then each layer's.
    fn named_parameters(&self) -> Vec<(&'static str, &Tensor)> {
        let (l1, l2) = (&self.lstm1, &self.lstm2);
        vec![
            ("dummy_param", &self.dummy_param),
            ("lstm1.weight_ih", &l1.weight_ih),
            ("lstm1.weight_hh", &l1.weight_hh),
            ("lstm1.bias_ih", &l1.bias_ih),
            ("lstm1.bias_hh", &l1.bias_hh),
            ("lstm2.weight_ih", &l2.weight_ih),
            ("lstm2.weight_hh", &l2.weight_hh),
            ("lstm2.bias_ih", &l2.bias_ih),
            ("lstm2.bias_hh", &l2.bias_hh),
            ("linear.weight", &self.linear_weight),
            ("linear.bias", &self.linear_bias),
        ]
    }

    /// `seq.double()`, then `.to(device)`, each a leaf that requires its gradient.
    fn double_to(self, device: Device) -> Result<Sequence> {
        let leaf = |t: Tensor| -> Result<Tensor> {
            Ok(t.f_to_kind(Kind::Double)?.f_to_device(device)?.set_requires_grad(true))
        };
        let cell = |c: LstmCell| -> Result<LstmCell> {
            Ok(LstmCell {
                weight_ih: leaf(c.weight_ih)?,
                weight_hh: leaf(c.weight_hh)?,
                bias_ih: leaf(c.bias_ih)?,
                bias_hh: leaf(c.bias_hh)?,
            })
        };
        Ok(Sequence {
            hidden: self.hidden,
            lstm1: cell(self.lstm1)?,
            lstm2: cell(self.lstm2)?,
            linear_weight: leaf(self.linear_weight)?,
            linear_bias: leaf(self.linear_bias)?,
            dummy_param: leaf(self.dummy_param)?,
        })
    }

    /// One output per input column, then `future` more, each fed the last output.
    /// Fallible throughout: a size too large for memory is an error, not a panic.
    fn forward(&self, input: &Tensor, future: i64) -> Result<Tensor> {
        let zeros = || Tensor::f_zeros([input.size()[0], self.hidden], (Kind::Double, input.device()));
        let (mut state1, mut state2) = ((zeros()?, zeros()?), (zeros()?, zeros()?));
        let mut step = |input_t: &Tensor| -> Result<Tensor> {
            state1 = self.lstm1.forward(input_t, &state1)?;
            state2 = self.lstm2.forward(&state1.0, &state2)?;
            Ok(state2.0.f_linear(&self.linear_weight, Some(&self.linear_bias))?)
        };
        let mut outputs = Vec::new();
        for input_t in input.f_split(1, 1)? {
            outputs.push(step(&input_t)?);
        }
        for _ in 0..future {
            let last = outputs.last().context("the input has no column")?;
            outputs.push(step(last)?);
        }
        Ok(Tensor::f_cat(&outputs, 1)?)
    }
}

/// The device, loading libtorch's CUDA library first where a driver exists: tch
/// links it only as needed, so a CPU-only machine never maps the CUDA stack.
fn device(choice: Where) -> Result<Device> {
    if choice == Where::Cpu {
        return Ok(Device::Cpu);
    }
    let open = |name: &str| unsafe { libloading::Library::new(name) }.map(std::mem::forget);
    let loaded = open("libcuda.so.1").and_then(|()| open("libtorch_cuda.so"));
    if loaded.is_err() || !tch::Cuda::is_available() {
        bail!("--device cuda: no CUDA device here (the original's default); use --device cpu");
    }
    Ok(Device::Cuda(0))
}

/// Each step's prediction: the three test waves, solid where the network read
/// the wave, dashed where it went on alone (the original draws a PDF with matplotlib).
fn plot(path: &Path, prediction: &[Vec<f64>], known: usize) -> Result<()> {
    let font = "sans-serif";
    let _ = plotters::style::register_font(font, FontStyle::Normal, dejavu::sans::regular());
    let root = SVGBackend::new(path, (3000, 1000)).into_drawing_area();
    root.fill(&WHITE)?;
    let points = prediction.first().map_or(0, Vec::len);
    let (lo, hi) =
        prediction.iter().flatten().fold((-1.0f64, 1.0f64), |(lo, hi), y| (lo.min(*y), hi.max(*y)));
    let mut chart = ChartBuilder::on(&root)
        .caption("Predict future values for time sequences (dashed: predicted values)", (font, 40))
        .margin(30)
        .x_label_area_size(70)
        .y_label_area_size(90)
        .build_cartesian_2d(0.0..points as f64, lo..hi)?;
    chart
        .configure_mesh()
        .x_desc("x")
        .y_desc("y")
        .x_labels(points.clamp(2, 10)) // whole positions: no tick between two points
        .x_label_formatter(&|x| format!("{x:.0}"))
        // A tick at zero comes out of the range arithmetic as -1e-17 or -0.0: print 0.
        .y_label_formatter(&|y| pretty_print_float(if y.abs() < 1e-9 { 0.0 } else { *y }, true))
        .label_style((font, 24))
        .axis_desc_style((font, 30))
        .draw()?;
    for (wave, color) in prediction.iter().zip([RED, GREEN, BLUE]) {
        let style = color.stroke_width(3);
        let at = |(i, y): (usize, &f64)| (i as f64, *y);
        chart.draw_series(LineSeries::new(wave.iter().enumerate().take(known).map(at), style))?;
        let future = wave.iter().enumerate().skip(known).map(at);
        chart.draw_series(DashedLineSeries::new(future, 12, 8, style))?;
    }
    root.present()?;
    Ok(())
}

fn run(args: &Args) -> Result<()> {
    let device = device(args.device)?;
    if let Some(threads) = args.threads {
        tch::set_num_threads(threads);
    }
    let mut out = std::io::stdout().lock();
    // generate_sine_wave.py
    let (n, l) = (args.sequences, args.length);
    let data = Tensor::f_from_slice(&sine_waves(args)?)?.reshape([n, l]);

    // train.py: data[3:, :-1] and the like are views, as torch.from_numpy's are.
    tch::manual_seed(args.seed as i64);
    let data = data.to_device(device);
    let input = data.narrow(0, 3, n - 3).narrow(1, 0, l - 1);
    let target = data.narrow(0, 3, n - 3).narrow(1, 1, l - 1);
    let test_input = data.narrow(0, 0, 3).narrow(1, 0, l - 1);
    let test_target = data.narrow(0, 0, 3).narrow(1, 1, l - 1);
    let seq = Sequence::new(args.hidden)?.double_to(device)?;
    let params: Vec<Tensor> = seq.named_parameters().iter().map(|(_, p)| p.shallow_clone()).collect();
    // Opened once the data and the model exist, as the twin does: a run that fails
    // before leaves no file.
    let trace = match &args.trace {
        Some(path) => {
            let file = File::create(path).with_context(|| format!("--trace {}", path.display()))?;
            let meta = json!({
                "steps": args.steps, "device": if device == Device::Cpu { "cpu" } else { "cuda" },
                "hidden": args.hidden, "sequences": args.sequences, "length": args.length,
                "period": args.period, "data_seed": args.data_seed, "seed": args.seed,
                "future": args.future, "lr": args.lr, "threads": tch::get_num_threads(),
            });
            // Unbuffered: each record is one write of a whole line, so a run stopped
            // by a signal leaves a trace of whole lines that the comparer reads.
            let mut trace = Tracer::new(file, "examples/time_sequence.rs", meta)?;
            trace.record(["data"], &[("data", &data)])?;
            trace.record(["init"], &seq.named_parameters())?;
            Some(trace)
        }
        None => None,
    };
    // Shared by the closure and the update hook, which L-BFGS holds at once.
    let trace: RefCell<Option<Tracer<File>>> = RefCell::new(trace);

    let mut optimizer = Lbfgs::new(params.iter().map(Tensor::shallow_clone).collect(), args.lr);

    for i in 0..args.steps {
        writeln!(out, "STEP:  {i}").context("writing to stdout")?;
        let mut evals = 0;
        let closure = || -> Result<Evaluation> {
            let output = seq.forward(&input, 0)?;
            let loss = output.f_mse_loss(&target, Reduction::Mean)?;
            writeln!(out, "loss: {}", py_float(loss.double_value(&[]))).context("writing to stdout")?;
            // torch.autograd.grad rather than backward(): PyTorch's zero_grad() drops
            // the gradients, tch's zeroes them, and 0.0 + -0.0 would turn a -0.0 into 0.0.
            let mut grads = vec![params[0].zeros_like()]; // dummy_param's: no values
            grads.extend(Tensor::f_run_backward(&[&loss], &params[1..], false, false)?);
            if let Some(trace) = trace.borrow_mut().as_mut() {
                let flat = Tensor::cat(&grads.iter().map(|g| g.reshape(-1)).collect::<Vec<_>>(), 0);
                trace.record(("eval", i, evals), &[("loss", &loss), ("grad", &flat)])?;
            }
            evals += 1;
            Ok(Evaluation { loss: loss.double_value(&[]), grads })
        };
        let mut iters = 0;
        let moved = |t: f64, d: &Tensor| -> Result<()> {
            if let Some(trace) = trace.borrow_mut().as_mut() {
                let params =
                    Tensor::cat(&params.iter().map(|p| p.detach().reshape(-1)).collect::<Vec<_>>(), 0);
                let t = Tensor::from(t);
                trace.record(
                    ("iter", i, iters),
                    &[("step_size", &t), ("direction", d), ("params", &params)],
                )?;
            }
            iters += 1;
            Ok(())
        };
        optimizer.step(closure, moved)?;

        let prediction = tch::no_grad(|| seq.forward(&test_input, args.future))?;
        let predicted = prediction.narrow(1, 0, l - 1);
        let loss = predicted.mse_loss(&test_target, Reduction::Mean);
        writeln!(out, "test loss: {}", py_float(loss.double_value(&[]))).context("writing to stdout")?;
        if let Some(trace) = trace.borrow_mut().as_mut() {
            trace.record(("test", i), &[("loss", &loss), ("prediction", &prediction)])?;
        }
        if !args.no_plot {
            let rows = Vec::<Vec<f64>>::try_from(prediction.to_device(Device::Cpu))?;
            let path = args.plot_dir.join(format!("predict{i}.svg"));
            plot(&path, &rows, (l - 1) as usize).with_context(|| format!("drawing {}", path.display()))?;
        }
    }
    if let Some(trace) = trace.into_inner() {
        trace.finish()?;
    }
    Ok(())
}

/// argparse takes a word that starts with `-` as a flag's value only when it looks
/// like a negative number (`-1`, `-.5`: Python 3.11's rule) or holds a space; any
/// other such word is a flag, and the flag before it has no value. clap takes every
/// word as a value (`allow_hyphen_values`); this applies argparse's rule first.
fn values_as_argparse_reads_them(words: &[String]) -> Result<(), String> {
    let command = Args::command();
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    let negative = |w: &str| {
        w.strip_prefix('-').is_some_and(|n| {
            digits(n) || n.split_once('.').is_some_and(|(a, b)| (a.is_empty() || digits(a)) && digits(b))
        })
    };
    let is_flag = |w: &str| w.len() > 1 && w.starts_with('-') && !negative(w) && !w.contains(' ');
    let mut rest = words.iter().take_while(|w| *w != "--");
    while let Some(word) = rest.next() {
        let Some(name) = word.strip_prefix("--").filter(|n| !n.contains('=')) else { continue };
        // The flag a unique prefix names (infer_long_args), if it takes a value.
        let named: Vec<_> = command
            .get_arguments()
            .filter_map(|a| a.get_long().filter(|long| long.starts_with(name)).map(|long| (long, a)))
            .collect();
        let (long, flag) = match named.iter().find(|(long, _)| *long == name) {
            Some(exact) => *exact,
            None if named.len() == 1 => named[0],
            None => continue,
        };
        // `&&` consumes the next word only when the flag takes it as its value.
        if flag.get_action().takes_values() && rest.next().is_some_and(|value| is_flag(value)) {
            return Err(format!("argument --{long}: expected one argument"));
        }
    }
    Ok(())
}

/// Every error is one line on stderr, as the twin's (scripts/guard.py): control
/// characters escaped as Python escapes them, and a message longer than 1,000
/// characters (one that quotes a huge value) cut in the middle.
fn error_line(message: &str) {
    let chars: Vec<char> = message.chars().collect();
    let shown = match chars.len().saturating_sub(1000) {
        0 => message.to_string(),
        cut => {
            let (start, end) = (&chars[..500], &chars[chars.len() - 500..]);
            let s = if cut == 1 { "" } else { "s" };
            format!(
                "{} [\u{2026}{cut} character{s} cut\u{2026}] {}",
                String::from_iter(start),
                String::from_iter(end)
            )
        }
    };
    let mut line = String::new();
    for c in shown.chars() {
        match c {
            '\t' => line.push_str("\\t"),
            '\n' => line.push_str("\\n"),
            '\r' => line.push_str("\\r"),
            c if c.is_control() => line.push_str(&format!("\\x{:02x}", c as u32)),
            c => line.push(c),
        }
    }
    eprintln!("time_sequence: error: {line}");
}

/// SIGTERM, SIGHUP or SIGQUIT end the run at once, with one line and exit 128 + the
/// signal, as they end the twin. Only `write` and `_exit`: nothing else is safe in
/// a signal handler.
extern "C" fn stopped(signal: libc::c_int) {
    let line: &[u8] = match signal {
        libc::SIGTERM => b"time_sequence: error: stopped by SIGTERM\n",
        libc::SIGHUP => b"time_sequence: error: stopped by SIGHUP\n",
        _ => b"time_sequence: error: stopped by SIGQUIT\n",
    };
    unsafe {
        libc::write(2, line.as_ptr().cast(), line.len());
        libc::_exit(128 + signal);
    }
}

fn main() {
    // Pin the CPU kernels before the first tensor operation (libtorch reads
    // these then): with them, every x86-64 CPU with AVX2 computes PyTorch's bits.
    for (name, value) in [("MKL_CBWR", "COMPATIBLE"), ("ATEN_CPU_CAPABILITY", "avx2")] {
        if std::env::var_os(name).is_none() {
            std::env::set_var(name, value);
        }
    }
    // A usage error is one line and exit 2, as argparse's exit code.
    let usage = |message: &str| -> ! {
        error_line(message);
        std::process::exit(2)
    };
    let words: Vec<String> = std::env::args_os().skip(1).map(|w| w.to_string_lossy().into_owned()).collect();
    values_as_argparse_reads_them(&words).unwrap_or_else(|line| usage(&line));
    let args = Args::try_parse().unwrap_or_else(|e| {
        if !e.use_stderr() {
            e.exit(); // --help
        }
        // clap's message, without the usage and the hint that follow a blank line.
        let message = e.to_string();
        usage(message.split("\n\n").next().unwrap_or_default().trim_start_matches("error: ").trim_end())
    });
    if !args.no_plot && !args.plot_dir.is_dir() {
        usage(&format!("--plot-dir {}: not a directory", args.plot_dir.display()));
    }
    // A reader that leaves (`| head`) ends the run quietly, as it ends PyTorch's
    // (Rust ignores SIGPIPE, and every write would then be an error).
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    // SAFETY: a zeroed sigaction is a valid one; every signal is blocked while the
    // handler runs, so a second signal cannot add a second line.
    let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
    action.sa_sigaction = stopped as extern "C" fn(libc::c_int) as libc::sighandler_t;
    unsafe { libc::sigfillset(&mut action.sa_mask) };
    for signal in [libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT] {
        unsafe { libc::sigaction(signal, &action, std::ptr::null_mut()) };
    }
    // Any failure is one line and exit 1. libtorch's messages go on with a C++
    // backtrace; an op this file calls infallibly (L-BFGS's arithmetic) panics with
    // `called Result::unwrap() on an Err value: Torch("…\n…")`: keep the message's
    // first line only.
    std::panic::set_hook(Box::new(|info| {
        let payload = info.payload();
        let text = (payload.downcast_ref::<String>().map(String::as_str))
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("an internal error");
        let text = text.split_once("Torch(\"").map_or(text, |(_, torch)| torch);
        let first = text.split("\\n").next().and_then(|t| t.lines().next()).unwrap_or_default();
        error_line(first.trim_end_matches("\")"));
    }));
    match std::panic::catch_unwind(|| run(&args)) {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            // libtorch's messages: their first line, as above; any other whole.
            let message = format!("{e:#}");
            let torch = e.chain().any(|cause| cause.is::<tch::TchError>());
            error_line(if torch { message.lines().next().unwrap_or_default() } else { &message });
            std::process::exit(1);
        }
        Err(_) => std::process::exit(1),
    }
}
