"""PyTorch's time-sequence prediction example (pytorch/examples,
time_sequence_prediction: generate_sine_wave.py, then train.py), in one file and
with its constants as flags. Two LSTM cells and a linear layer learn sine waves
that start at different phases, in float64, with L-BFGS; then the network goes on
alone for --future points. examples/time_sequence.rs is its port to tch, and
docs/time-sequence.md reads the two side by side.

    scripts/python examples/time_sequence.py --steps 2 --device cpu
    scripts/python examples/time_sequence.py --steps 1 --device cpu --trace python.jsonl

At the defaults its stdout is byte for byte what the original train.py prints
(`STEP:  0`, a `loss:` line per evaluation of the closure, `test loss:`), run with
the same kernels: this file pins them (MKL_CBWR=COMPATIBLE, ATEN_CPU_CAPABILITY=avx2)
unless the environment already sets them. Each step's prediction is drawn to
predict{step}_python.svg (the original draws predict{step}.pdf).
"""

import argparse
import math
import os
import signal
import sys

# A reader that leaves (`| head`) or Ctrl-C ends the run quietly, as for a C program.
signal.signal(signal.SIGPIPE, signal.SIG_DFL)
signal.signal(signal.SIGINT, signal.SIG_DFL)


class Parser(argparse.ArgumentParser):
    """A usage error is one line and exit 2, as in the Rust port."""

    def error(self, message):
        sys.stderr.write(f"time_sequence.py: error: {message}\n")
        sys.exit(2)


def count(low, high=None):
    def parse(text):
        value = int(text)
        if value < low or (high is not None and value > high):
            bounds = f"at least {low}" if high is None else f"in {low}..{high}"
            raise argparse.ArgumentTypeError(f"must be {bounds}, not {value}")
        return value
    return parse


def finite(text):
    value = float(text)
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, not {text}")
    return value


def seed(text):
    value = int(text)
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(f"must be in 0..2**32-1, not {value}")
    return value


parser = Parser(description="PyTorch's time-sequence prediction example: two LSTM cells, L-BFGS, float64.",
                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
parser.add_argument("--steps", type=count(0), default=15, help="L-BFGS steps to run")
parser.add_argument("--device", choices=["cuda", "cpu"], default="cuda", help="where to compute (the original's default)")
parser.add_argument("--hidden", type=count(1), default=51, help="units in each LSTM cell")
parser.add_argument("--sequences", type=count(4), default=100, help="sine waves (N); the first 3 are the test set")
parser.add_argument("--length", type=count(2), default=1000, help="points per wave (L)")
parser.add_argument("--period", type=count(1, 100_000_000), default=20, help="T: a wave is sin(x / T), shifted by up to 4T")
parser.add_argument("--data-seed", type=seed, default=2, help="numpy's seed for the shifts")
parser.add_argument("--seed", type=seed, default=0, help="the seed for the initial weights")
parser.add_argument("--future", type=count(0), default=1000, help="points to predict beyond each test wave")
parser.add_argument("--lr", type=finite, default=0.8, help="L-BFGS's learning rate")
parser.add_argument("--threads", type=count(1, 1024), help="libtorch's threads (default: its choice, the number of cores); "
                    "large sums are split among them, so the bits depend on it")
parser.add_argument("--trace", help="write every evaluation and iteration here (parity-trace/1)")
parser.add_argument("--plot-dir", default=".", help="where each step's predict{step}_python.svg goes")
parser.add_argument("--no-plot", action="store_true", help="draw nothing")
args = parser.parse_args()
if not args.no_plot and not os.path.isdir(args.plot_dir):
    parser.error(f"--plot-dir {args.plot_dir}: not a directory")

# The flags are read before torch loads (a mistake costs no import), and the CPU
# kernels pinned before it: libtorch reads these when it first computes.
os.environ.setdefault("MKL_CBWR", "COMPATIBLE")
os.environ.setdefault("ATEN_CPU_CAPABILITY", "avx2")
import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn, optim  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
from parity_trace import Tracer  # noqa: E402  (scripts/parity_trace.py)

if args.device == "cuda" and not torch.cuda.is_available():
    sys.stderr.write("time_sequence.py: error: --device cuda: no CUDA device here; use --device cpu\n")
    sys.exit(1)
device = torch.device(args.device)
if args.threads:
    torch.set_num_threads(args.threads)

# generate_sine_wave.py: each wave is sin(x / T) on L integers, shifted by a
# random integer in [-4T, 4T), drawn with numpy's legacy generator.
N, L, T = args.sequences, args.length, args.period
np.random.seed(args.data_seed)
x = np.empty((N, L), "int64")
x[:] = np.array(range(L)) + np.random.randint(-4 * T, 4 * T, N).reshape(N, 1)
data = np.sin(x / 1.0 / T).astype("float64")


class Sequence(nn.Module):
    def __init__(self, hidden):
        super().__init__()
        self.hidden = hidden
        self.lstm1 = nn.LSTMCell(1, hidden)
        self.lstm2 = nn.LSTMCell(hidden, hidden)
        self.linear = nn.Linear(hidden, 1)
        # No values: it tells forward() which device the model is on.
        self.dummy_param = nn.Parameter(torch.empty(0))

    def forward(self, input, future=0):
        zeros = lambda: torch.zeros(input.size(0), self.hidden, dtype=torch.double).to(self.dummy_param.device)
        h_t, c_t, h_t2, c_t2 = zeros(), zeros(), zeros(), zeros()
        outputs = []
        for input_t in input.split(1, dim=1):
            h_t, c_t = self.lstm1(input_t, (h_t, c_t))
            h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
            output = self.linear(h_t2)
            outputs += [output]
        for _ in range(future):  # fed its own output
            h_t, c_t = self.lstm1(output, (h_t, c_t))
            h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
            output = self.linear(h_t2)
            outputs += [output]
        return torch.cat(outputs, dim=1)


# train.py
np.random.seed(args.seed)
torch.manual_seed(args.seed)
input = torch.from_numpy(data[3:, :-1]).to(device)
target = torch.from_numpy(data[3:, 1:]).to(device)
test_input = torch.from_numpy(data[:3, :-1]).to(device)
test_target = torch.from_numpy(data[:3, 1:]).to(device)
seq = Sequence(args.hidden)  # float32 draws, as nn's layers make them...
seq.double()  # ...then cast to float64
seq.to(device)
criterion = nn.MSELoss()
optimizer = optim.LBFGS(seq.parameters(), lr=args.lr)

trace = None
if args.trace:
    meta = {name: getattr(args, name) for name in
            ["steps", "device", "hidden", "sequences", "length", "period", "data_seed", "seed", "future", "lr"]}
    meta["threads"] = torch.get_num_threads()
    meta["torch"] = torch.__version__
    try:
        trace = Tracer(args.trace, program="examples/time_sequence.py", meta=meta)
    except OSError as e:
        sys.stderr.write(f"time_sequence.py: error: --trace {args.trace}: {e.strerror}\n")
        sys.exit(1)
    params = list(seq.parameters())
    # One vector, as L-BFGS sees them; a gradient never made (dummy_param's) is zeros.
    flat = lambda tensors: torch.cat([t.reshape(-1) for t in tensors])
    flat_grad = lambda: flat([p.grad if p.grad is not None else torch.zeros_like(p) for p in params])
    trace.record(("data",), data=torch.from_numpy(data))
    trace.record(("init",), **dict(seq.named_parameters()))
    # L-BFGS moves the parameters only through _add_grad(step size, direction):
    # wrapping it on this one optimizer sees every iteration, torch unchanged.
    add_grad = optimizer._add_grad
    position = {"step": 0, "eval": 0, "iter": 0}

    def traced_add_grad(step_size, update):
        add_grad(step_size, update)
        with torch.no_grad():
            trace.record(("iter", position["step"], position["iter"]),
                         step_size=torch.tensor(float(step_size), dtype=torch.float64),
                         direction=update, params=flat(params))
        position["iter"] += 1

    optimizer._add_grad = traced_add_grad

for i in range(args.steps):
    print("STEP: ", i)

    def closure():
        optimizer.zero_grad()
        out = seq(input)
        loss = criterion(out, target)
        print("loss:", loss.item())
        loss.backward()
        if trace:
            trace.record(("eval", i, position["eval"]), loss=loss.detach(), grad=flat_grad())
            position["eval"] += 1
        return loss

    if trace:
        position.update(step=i, eval=0, iter=0)
    optimizer.step(closure)
    with torch.no_grad():
        future = args.future
        pred = seq(test_input, future=future)
        loss = criterion(pred[:, :-future] if future else pred, test_target)
        print("test loss:", loss.item())
        if trace:
            trace.record(("test", i), loss=loss, prediction=pred)
        y = pred.detach().cpu().numpy()
    if not args.no_plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        plt.figure(figsize=(30, 10))
        plt.title("Predict future values for time sequences\n(Dashlines are predicted values)", fontsize=30)
        plt.xlabel("x", fontsize=20)
        plt.ylabel("y", fontsize=20)
        plt.xticks(fontsize=20)
        plt.yticks(fontsize=20)
        known = input.size(1)
        for yi, color in zip(y, "rgb"):
            plt.plot(np.arange(known), yi[:known], color, linewidth=2.0)
            plt.plot(np.arange(known, known + future), yi[known:], color + ":", linewidth=2.0)
        path = os.path.join(args.plot_dir, f"predict{i}_python.svg")
        try:
            plt.savefig(path)
        except OSError as e:
            sys.stderr.write(f"time_sequence.py: error: {path}: {e.strerror}\n")
            sys.exit(1)
        plt.close()

if trace:
    trace.close()
