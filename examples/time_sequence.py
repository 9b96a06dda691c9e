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
unless the environment already sets them. The command line reads as the
original's does (argparse: a flag may be shortened while unambiguous, the last of
a repeated flag wins). Each step's prediction is drawn to predict{step}_python.svg
(the original draws predict{step}.pdf). Every failure is one line: exit 2 for a
usage error, 1 for the rest (scripts/guard.py).
"""

import argparse
import math
import os
import re
import signal
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
import guard  # noqa: E402  (scripts/guard.py: the standard library only)

# A reader that leaves (`| head`) or Ctrl-C ends the run quietly, as for a C program.
signal.signal(signal.SIGPIPE, signal.SIG_DFL)
signal.signal(signal.SIGINT, signal.SIG_DFL)
PROGRAM = "time_sequence.py"


class Parser(argparse.ArgumentParser):
    """A usage error is one line and exit 2, as in the Rust port."""

    def error(self, message):
        sys.stderr.write(f"{PROGRAM}: error: {guard.one_line(message)}\n")
        sys.exit(2)


I64_MAX = 2**63 - 1  # torch's sizes and counts are int64


def whole(low, high=I64_MAX):
    """A whole number in [low, high], written as Rust reads one: ASCII digits and a
    sign (Python's int() would also take "1_0" and " 1")."""
    def parse(text):
        if not re.fullmatch(r"[+-]?[0-9]+", text):
            raise argparse.ArgumentTypeError(f"not a whole number: {text}")
        value = int(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be in {low}..{high}, not {value}")
        return value
    return parse


def learning_rate(text):
    """What torch.optim.LBFGS accepts (`0.0 <= lr`), and finite, written as Rust
    reads a float (no "_", no spaces, ASCII)."""
    value = float(text) if text.isascii() and not re.search(r"[_\s]", text) else math.nan
    if not (math.isfinite(value) and value >= 0.0):
        raise argparse.ArgumentTypeError(f"must be a finite number, at least 0, not {text}")
    return value


parser = Parser(description="PyTorch's time-sequence prediction example: two LSTM cells, L-BFGS, float64.",
                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
flag = parser.add_argument
flag("--steps", type=whole(0), default=15, help="L-BFGS steps to run")
flag("--device", choices=["cuda", "cpu"], default="cuda", help="where to compute (the original's default)")
flag("--hidden", type=whole(1, 2**31 - 1), default=51, help="units in each LSTM cell")
flag("--sequences", type=whole(4), default=100, help="sine waves (N); the first 3 are the test set")
flag("--length", type=whole(2), default=1000, help="points per wave (L)")
flag("--period", type=whole(1, 100_000_000), default=20, help="T: a wave is sin(x / T), shifted by up to 4T")
flag("--data-seed", type=whole(0, 2**32 - 1), default=2, help="numpy's seed for the shifts")
flag("--seed", type=whole(0, 2**32 - 1), default=0, help="the seed for the initial weights")
flag("--future", type=whole(0), default=1000, help="points to predict beyond each test wave")
flag("--lr", type=learning_rate, default=0.8, help="L-BFGS's learning rate")
flag("--threads", type=whole(1, 1024), help="libtorch's threads (default: its choice, the number of cores); "
     "large sums are split among them, so the bits depend on it")
flag("--trace", help="write every evaluation and iteration here (parity-trace/1)")
flag("--plot-dir", default=".", help="where each step's predict{step}_python.svg goes")
flag("--no-plot", action="store_true", help="draw nothing")
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

from parity_trace import Tracer  # noqa: E402  (scripts/parity_trace.py)


def sine_waves(waves, points, period, seed):
    """generate_sine_wave.py's data: wave k is sin((x + shift_k) / T) at the whole
    numbers x < L, each shift a whole number in [-4T, 4T) from numpy's legacy
    generator. The division is by 1.0 and then by T, both in float64, as there."""
    np.random.seed(seed)
    try:
        shifts = np.random.randint(-4 * period, 4 * period, waves)
        positions = np.arange(points) + shifts[:, np.newaxis]  # int64, one row per wave
        return np.sin(positions / 1.0 / period)
    except (MemoryError, ValueError):  # numpy's "array is too big" is a ValueError
        raise guard.Failure(f"{waves} waves of {points} points do not fit in memory")


class Sequence(nn.Module):
    """The original's model. The attribute names and their order are PyTorch's
    parameter names and L-BFGS's parameter order: they are part of the result."""

    def __init__(self, hidden):
        super().__init__()
        self.hidden = hidden
        self.lstm1 = nn.LSTMCell(1, hidden)
        self.lstm2 = nn.LSTMCell(hidden, hidden)
        self.linear = nn.Linear(hidden, 1)
        # No values; the original keeps it to know the model's device.
        self.dummy_param = nn.Parameter(torch.empty(0))

    def tick(self, x, state):
        """One time step through both cells and the read-out: (y, the new state)."""
        (h1, c1), (h2, c2) = state
        h1, c1 = self.lstm1(x, (h1, c1))
        h2, c2 = self.lstm2(h1, (h2, c2))
        return self.linear(h2), ((h1, c1), (h2, c2))

    def forward(self, input, future=0):
        """A y for each column of `input`, then `future` more, each from the last y."""
        zero = torch.zeros(input.size(0), self.hidden, dtype=torch.double, device=self.dummy_param.device)
        state = ((zero, zero), (zero, zero))
        ys = []
        for column in input.split(1, dim=1):
            y, state = self.tick(column, state)
            ys.append(y)
        for _ in range(future):
            y, state = self.tick(ys[-1], state)
            ys.append(y)
        return torch.cat(ys, dim=1)


def draw(path, prediction, known):
    """The three test waves: solid where the network read the wave, dashed where it
    went on alone (the original writes a PDF; this an SVG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(30, 10))
    axes.set_title("Predict future values for time sequences (dashed: predicted values)", fontsize=30)
    axes.set_xlabel("x", fontsize=20)
    axes.set_ylabel("y", fontsize=20)
    axes.tick_params(labelsize=20)
    for wave, color in zip(prediction, ["red", "green", "blue"]):
        axes.plot(range(known), wave[:known], color=color, linewidth=2)
        axes.plot(range(known, len(wave)), wave[known:], color=color, linewidth=2, linestyle="--")
    try:
        figure.savefig(path)
    except OSError as e:
        raise guard.Failure(f"{path}: {e.strerror or e}")
    finally:
        plt.close(figure)


def traced(optimizer, model, trace):
    """Hooks the trace into this one optimizer, torch unchanged: L-BFGS moves the
    parameters only through its _add_grad(step size, direction), so wrapping that
    sees every iteration. Returns what the closure calls after each evaluation,
    and what starts each step's count."""
    params = list(model.parameters())
    flat = lambda tensors: torch.cat([t.reshape(-1) for t in tensors])  # noqa: E731
    at = {"step": 0, "eval": 0, "iter": 0}
    move = optimizer._add_grad

    def add_grad(step_size, update):
        move(step_size, update)
        with torch.no_grad():
            trace.record(("iter", at["step"], at["iter"]), step_size=torch.tensor(float(step_size), dtype=torch.float64),
                         direction=update, params=flat(params))
        at["iter"] += 1

    def evaluated(loss):
        # One vector, as L-BFGS sees it; a gradient never made (dummy_param's) is zeros.
        grad = flat([p.grad if p.grad is not None else torch.zeros_like(p) for p in params])
        trace.record(("eval", at["step"], at["eval"]), loss=loss.detach(), grad=grad)
        at["eval"] += 1

    optimizer._add_grad = add_grad
    return evaluated, lambda step: at.update(step=step, eval=0, iter=0)


def train():
    if args.device == "cuda" and not torch.cuda.is_available():
        raise guard.Failure("--device cuda: no CUDA device here (the original's default); use --device cpu")
    device = torch.device(args.device)
    if args.threads:
        torch.set_num_threads(args.threads)
    data = sine_waves(args.sequences, args.length, args.period, args.data_seed)

    # train.py: the first three waves are the test set; each target is its input
    # one point later.
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    waves = torch.from_numpy(data).to(device)
    input, target = waves[3:, :-1], waves[3:, 1:]
    test_input, test_target = waves[:3, :-1], waves[:3, 1:]
    model = Sequence(args.hidden).double().to(device)  # float32 draws, then float64
    criterion = nn.MSELoss()
    optimizer = optim.LBFGS(model.parameters(), lr=args.lr)

    trace = None
    if args.trace:
        meta = {name: getattr(args, name) for name in
                ["steps", "device", "hidden", "sequences", "length", "period", "data_seed", "seed", "future", "lr"]}
        meta.update(threads=torch.get_num_threads(), torch=torch.__version__)
        try:
            trace = Tracer(args.trace, program="examples/time_sequence.py", meta=meta)
        except OSError as e:
            raise guard.Failure(f"--trace {args.trace}: {e.strerror or e}")
        trace.record(("data",), data=torch.from_numpy(data))
        trace.record(("init",), **dict(model.named_parameters()))
        evaluated, start = traced(optimizer, model, trace)

    for step in range(args.steps):
        print("STEP: ", step)
        if trace:
            start(step)

        def closure():
            optimizer.zero_grad()
            loss = criterion(model(input), target)
            print("loss:", loss.item())
            loss.backward()
            if trace:
                evaluated(loss)
            return loss

        optimizer.step(closure)
        with torch.no_grad():
            prediction = model(test_input, future=args.future)
            loss = criterion(prediction[:, :test_target.size(1)], test_target)
        print("test loss:", loss.item())
        if trace:
            trace.record(("test", step), loss=loss, prediction=prediction)
        if not args.no_plot:
            draw(os.path.join(args.plot_dir, f"predict{step}_python.svg"), prediction.cpu().numpy(), input.size(1))
    if trace:
        trace.close()


def main():
    try:
        train()
    except RuntimeError as e:  # libtorch's failures (out of memory...): their first line
        raise guard.Failure((str(e).splitlines() or ["RuntimeError"])[0])
    return 0


guard.run(main, lambda line: sys.stderr.write(f"{PROGRAM}: error: {line}\n"))
