"""The sine-wave task as a PyTorch user writes it today: nn.RNN and nn.Linear
without biases, torch.optim.SGD, one step per point. examples/rnn_nn.rs is its port
to tch's nn; docs/parity-workbench.md ("Port your own model") compares the two with
their traces.

    python examples/rnn_nn.py
    python examples/rnn_nn.py --epochs 0 --save-weights init.safetensors   # the seeded weights
    python examples/rnn_nn.py --init-weights init.safetensors --trace python.jsonl

Shapes are nn.RNN's default layout, [seq, batch, feature]: each step's input is
[1, 1, 1], the hidden state [num_layers=1, batch=1, hidden]. --save-weights writes
the weights after training (before it, with --epochs 0) as safetensors under
PyTorch's own names: rnn.weight_ih_l0 [hidden, 1], rnn.weight_hh_l0 [hidden, hidden],
linear.weight [1, hidden].
"""

import argparse
import os
import sys

# Pin the CPU kernels before torch is imported: libtorch reads these when it first
# computes, and each processor's own kernels round the last bits their own way. A
# value set by the user wins, if it is text (torch cannot even report another).
for name, value in [("MKL_CBWR", "COMPATIBLE"), ("ATEN_CPU_CAPABILITY", "avx2")]:
    if not os.environ.setdefault(name, value).isascii():
        sys.exit(f"rnn_nn.py: error: {name} is not ASCII text; unset it or set it to {value}")
import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
from guard import Failure, Parser, run  # noqa: E402  (scripts/guard.py: every failure one line)
from parity_trace import Tracer  # noqa: E402  (scripts/parity_trace.py)


def positive(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def count(text):
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, not {value}")
    return value


parser = Parser(description="The sine-wave RNN with nn.RNN, nn.Linear and optim.SGD.",
                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
parser.add_argument("--seed", type=int, default=0, help="seed for the initial weights")
parser.add_argument("--epochs", type=count, default=300, help="passes over the sequence")
parser.add_argument("--lr", type=float, default=0.1, help="SGD's learning rate")
parser.add_argument("--seq-length", type=positive, default=20, help="points to learn (the data has one more)")
parser.add_argument("--hidden-size", type=positive, default=6, help="size of the hidden state")
parser.add_argument("--trace", help="write every step's values here (parity-trace/1)")
parser.add_argument("--save-weights", help="write the weights after training here (safetensors)")
parser.add_argument("--init-weights", help="start from these weights (safetensors) instead of the seeded draw")


class Model(nn.Module):
    def __init__(self, hidden_size):
        super().__init__()
        self.rnn = nn.RNN(1, hidden_size, bias=False, nonlinearity="tanh")
        self.linear = nn.Linear(hidden_size, 1, bias=False)

    def forward(self, input, hidden):
        out, hidden = self.rnn(input, hidden)
        return self.linear(out), hidden


def main():
    args = parser.parse_args()

    # The data, as the tutorial makes it: float64 sines, rounded to float32 once.
    seq_length, hidden_size = args.seq_length, args.hidden_size
    time_steps = np.linspace(2, 10, seq_length + 1)
    data = torch.tensor(np.sin(time_steps), dtype=torch.float32).reshape(seq_length + 1, 1, 1)
    x, y = data[:-1], data[1:]

    torch.manual_seed(args.seed)
    model = Model(hidden_size)
    if args.init_weights:
        try:
            weights = load_file(args.init_weights)
        except (OSError, SafetensorError) as e:
            raise Failure(f"--init-weights {args.init_weights}: {e}", 2)
        expected = {name: list(p.shape) for name, p in sorted(model.named_parameters())}
        found = {name: list(t.shape) for name, t in sorted(weights.items())}
        if found != expected or any(t.dtype != torch.float32 for t in weights.values()):
            raise Failure(f"--init-weights {args.init_weights}: holds {found}, not float32 tensors {expected}", 2)
        model.load_state_dict(weights)
    params = list(model.named_parameters())
    opt = torch.optim.SGD(model.parameters(), lr=args.lr)

    trace = None
    if args.trace:
        meta = {"seed": args.seed, "epochs": args.epochs, "lr": args.lr, "seq_length": seq_length,
                "hidden_size": hidden_size, "init_weights": args.init_weights, "torch": torch.__version__}
        try:
            trace = Tracer(args.trace, program="examples/rnn_nn.py", meta=meta)
        except OSError as e:
            raise Failure(f"--trace {args.trace}: {e.strerror}", 2)

    for i in range(args.epochs):
        total_loss = 0
        hidden = torch.zeros(1, 1, hidden_size)
        for j in range(seq_length):
            input, target = x[j:j + 1], y[j:j + 1]
            hidden_in = hidden
            pred, hidden = model(input, hidden_in)
            loss = ((pred - target) ** 2).sum() / 2
            total_loss += loss.detach()
            opt.zero_grad()
            loss.backward()
            opt.step()
            if trace:
                # Each parameter's gradient (step() leaves it as backward() made it),
                # then the parameter after the update.
                grads = {f"{name}.grad": p.grad for name, p in params}
                trace.record(("train", i, j), input=input, hidden_in=hidden_in, hidden_out=hidden,
                             pred=pred, loss=loss, **grads, **dict(params))
            hidden = hidden.detach()
        if i % 10 == 0:
            print(f"Epoch: {i} loss {total_loss.item()}")

    if trace:
        trace.close()
    if args.save_weights:
        # save() and a plain write rather than save_file(), which renames a file of its
        # own over the target: a device such as /dev/full would become a regular file.
        try:
            with open(args.save_weights, "wb") as f:
                f.write(save({name: p.detach().contiguous() for name, p in params}))
        except OSError as e:
            raise Failure(f"--save-weights {args.save_weights}: {e.strerror}")


if __name__ == "__main__":
    run(main, lambda line: print(f"rnn_nn.py: error: {line}", file=sys.stderr))
