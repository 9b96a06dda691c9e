//! Step 2 of the tutorial: hyper-parameters and the training data.

use tch::{Device, Kind, Tensor};

/// The tutorial's hyper-parameters (its own values are the default).
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// `torch.manual_seed(seed)` before the weights are drawn.
    pub seed: u64,
    pub epochs: usize,
    pub lr: f64,
    /// Training points; the wave is sampled at `seq_length + 1` times.
    pub seq_length: usize,
    /// Context units, the width of the hidden layer.
    pub hidden_size: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config { seed: 0, epochs: 300, lr: 0.1, seq_length: 20, hidden_size: 6 }
    }
}

impl Config {
    /// One value out: the next point of the wave.
    pub const OUTPUT_SIZE: usize = 1;

    /// One input value and the context units, concatenated (7 in the tutorial).
    pub fn input_size(&self) -> usize {
        self.hidden_size + 1
    }
}

/// The sampled wave: `x` is every point but the last, `y` every point but the
/// first, so `y[j]` follows `x[j]`.
#[derive(Debug)]
pub struct SineData {
    /// `np.linspace(2, 10, seq_length + 1)`, kept in float64 for the plot.
    pub time_steps: Vec<f64>,
    /// `sin(time_steps)` rounded to float32, as `torch.Tensor(data)` does.
    pub values: Vec<f32>,
    /// Shape `[seq_length, 1]`, float32.
    pub x: Tensor,
    /// Shape `[seq_length, 1]`, float32.
    pub y: Tensor,
}

impl SineData {
    /// `x` and `y` as plain values.
    pub fn xy_values(&self) -> (&[f32], &[f32]) {
        let n = self.values.len() - 1;
        (&self.values[..n], &self.values[1..])
    }
}

/// `numpy.linspace(start, stop, num)` with numpy's own float64 arithmetic:
/// `i * step + start`, then the last point set to `stop` exactly. Any other way
/// (`start + i * (stop - start) / (num - 1)`) can differ in the last bit, and that
/// bit can survive the rounding to float32.
pub fn linspace(start: f64, stop: f64, num: usize) -> Vec<f64> {
    if num < 2 {
        return vec![start; num];
    }
    let step = (stop - start) / (num - 1) as f64;
    let mut t: Vec<f64> = (0..num).map(|i| i as f64 * step + start).collect();
    t[num - 1] = stop;
    t
}

/// The times of `extra` more points past `time_steps`, spaced and computed as
/// `linspace` computes its own.
pub fn times_after(time_steps: &[f64], extra: usize) -> Vec<f64> {
    let n = time_steps.len();
    if n < 2 {
        return Vec::new();
    }
    let step = (time_steps[n - 1] - time_steps[0]) / (n - 1) as f64;
    (n..n + extra).map(|i| i as f64 * step + time_steps[0]).collect()
}

/// The tutorial's data: sin at `seq_length + 1` evenly spaced times in [2, 10],
/// computed in float64 (as numpy does), then rounded once to float32.
pub fn sine_data(seq_length: usize, device: Device) -> SineData {
    let time_steps = linspace(2.0, 10.0, seq_length + 1);
    let values: Vec<f32> = time_steps.iter().map(|t| t.sin() as f32).collect();
    let column =
        |v: &[f32]| Tensor::from_slice(v).reshape([v.len() as i64, 1]).to_kind(Kind::Float).to_device(device);
    let x = column(&values[..seq_length]);
    let y = column(&values[1..]);
    SineData { time_steps, values, x, y }
}
