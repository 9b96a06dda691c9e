//! Steps 3 and 4 of the tutorial: the two weight matrices and the forward pass.

use tch::{Device, Kind, Tensor};

use crate::steps::data::Config;

/// The network's only parameters. The tutorial wraps them in `Variable`; in tch
/// (as in PyTorch ≥ 0.4) "requires grad" is a flag of the tensor itself.
#[derive(Debug)]
pub struct Weights {
    /// `[input_size, hidden_size]`: (input, context) → new context.
    pub w1: Tensor,
    /// `[hidden_size, output_size]`: context → prediction.
    pub w2: Tensor,
}

impl Weights {
    /// Step 3: `w1 ~ N(0, 0.4)` then `w2 ~ N(0, 0.3)`, from libtorch's CPU generator
    /// right after `manual_seed`, as the tutorial's `normal_` draws them; on the CPU
    /// even for a GPU run (one seed, one start everywhere), then moved.
    pub fn init(cfg: &Config, device: Device) -> Weights {
        // The seed is a u64 in Python too; the cast keeps its bits.
        tch::manual_seed(cfg.seed as i64);
        let (input, hidden, output) =
            (cfg.input_size() as i64, cfg.hidden_size as i64, Config::OUTPUT_SIZE as i64);
        let mut w1 = Tensor::empty([input, hidden], (Kind::Float, Device::Cpu));
        let _ = w1.normal_(0.0, 0.4);
        let mut w2 = Tensor::empty([hidden, output], (Kind::Float, Device::Cpu));
        let _ = w2.normal_(0.0, 0.3);
        Weights::from_cpu(w1, w2, device)
    }

    /// Weights on `device` from row-major float32 values (as the record holds them).
    pub fn from_values(values: &WeightValues, device: Device) -> Weights {
        let h = values.w2.len() as i64;
        Weights::from_cpu(
            Tensor::from_slice(&values.w1).reshape([h + 1, h]),
            Tensor::from_slice(&values.w2).reshape([h, 1]),
            device,
        )
    }

    /// The values, read back to the host.
    pub fn values(&self) -> WeightValues {
        WeightValues { w1: to_vec(&self.w1), w2: to_vec(&self.w2) }
    }

    /// Moves CPU weights to `device` and marks them as leaves that collect gradients.
    pub fn from_cpu(w1: Tensor, w2: Tensor, device: Device) -> Weights {
        Weights {
            w1: w1.to_device(device).set_requires_grad(true),
            w2: w2.to_device(device).set_requires_grad(true),
        }
    }
}

/// The two matrices as plain row-major float32 values: what files, the record and
/// the native backend hold. `w1` is `[hidden + 1, hidden]`, `w2` is `[hidden, 1]`.
#[derive(Debug, Clone, PartialEq)]
pub struct WeightValues {
    pub w1: Vec<f32>,
    pub w2: Vec<f32>,
}

/// The values of a float32 tensor, in row-major order, on the host.
pub fn to_vec(t: &Tensor) -> Vec<f32> {
    let flat = t.detach().to_device(Device::Cpu).reshape([-1]);
    // A float32 tensor always converts; anything else is a bug of ours, not input.
    Vec::<f32>::try_from(&flat).unwrap_or_else(|e| panic!("reading a {:?} tensor as f32: {e}", flat.kind()))
}

/// Step 4, one time step of the Elman network:
/// `xh = cat(input, context)`, `context = tanh(xh · w1)`, `out = context · w2`.
/// Returns `(out, new_context)`.
pub fn forward(input: &Tensor, context: &Tensor, w: &Weights) -> (Tensor, Tensor) {
    let xh = Tensor::cat(&[input, context], 1);
    let context = xh.mm(&w.w1).tanh();
    let out = context.mm(&w.w2);
    (out, context)
}
