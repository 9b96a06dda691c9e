"""The PyTorch sine-wave tutorial: an Elman recurrent network learns to predict the
next point of sin t. Written for PyTorch 2.13; examples/tutorial.rs is the same
program in Rust, step for step, and prints the same lines to the last digit.

    python examples/tutorial.py
    python examples/tutorial.py --seed 3 --hidden-size 8
"""

# Step 1: imports. The CPU kernels are pinned first: libtorch reads these two
# variables when it first computes, and each processor's own kernels round the
# last bits their own way. With them, every x86-64 CPU with AVX2 prints the same
# numbers. A value you set yourself wins (if it is text: libtorch cannot report others).
import argparse
import os
import sys
for name, value in [("MKL_CBWR", "COMPATIBLE"), ("ATEN_CPU_CAPABILITY", "avx2")]:
    if not os.environ.setdefault(name, value).isascii():
        sys.exit(f"tutorial.py: error: {name} is not ASCII text; unset it or set it to {value}")
import matplotlib
matplotlib.use("Agg")  # write a file, open no window
import matplotlib.pyplot as pl
import numpy as np
import torch

# Step 2: hyper-parameters. The tutorial's constants, as flags with those defaults.
parser = argparse.ArgumentParser(description="The sine-wave RNN tutorial.",
                                 formatter_class=argparse.ArgumentDefaultsHelpFormatter)
parser.add_argument("--seed", type=int, default=0, help="seed for the initial weights")
parser.add_argument("--epochs", type=int, default=300, help="passes over the sequence")
parser.add_argument("--lr", type=float, default=0.1, help="learning rate of the update")
parser.add_argument("--seq-length", type=int, default=20, help="points to learn (the data has one more)")
parser.add_argument("--hidden-size", type=int, default=6, help="size of the context; the input has one more")
parser.add_argument("--plot", default="sine_wave_tutorial_python.png", help="where the scatter plot goes")
args = parser.parse_args()


# Step 4: one step of the network, defined before the loop that calls it.
def forward(input, context_state, w1, w2):
    xh = torch.cat((input, context_state), 1)
    context_state = torch.tanh(xh.mm(w1))
    out = context_state.mm(w2)
    return (out, context_state)


# Step 2, continued: the data.
input_size, hidden_size, output_size = args.hidden_size + 1, args.hidden_size, 1
epochs, seq_length, lr = args.epochs, args.seq_length, args.lr
time_steps = np.linspace(2, 10, seq_length + 1)
data = np.sin(time_steps)
data.resize((seq_length + 1, 1))
x = torch.Tensor(data[:-1])
y = torch.Tensor(data[1:])

# Step 3: weights.
torch.manual_seed(args.seed)
w1 = torch.empty(input_size, hidden_size).normal_(0.0, 0.4).requires_grad_()
w2 = torch.empty(hidden_size, output_size).normal_(0.0, 0.3).requires_grad_()

# Step 5: training.
for i in range(epochs):
    total_loss = 0
    context_state = torch.zeros((1, hidden_size), requires_grad=True)
    for j in range(x.size(0)):
        input = x[j:(j + 1)]
        target = y[j:(j + 1)]
        (pred, context_state) = forward(input, context_state, w1, w2)
        loss = (pred - target).pow(2).sum() / 2
        total_loss += loss
        loss.backward()
        with torch.no_grad():
            w1 -= lr * w1.grad
            w2 -= lr * w2.grad
        w1.grad.zero_()
        w2.grad.zero_()
        context_state = context_state.detach()
    if i % 10 == 0:
        print(f"Epoch: {i} loss {total_loss.item()}")

# Step 5, continued: predict each next point, from a zero context.
context_state = torch.zeros((1, hidden_size))
predictions = []
with torch.no_grad():
    for i in range(x.size(0)):
        input = x[i:(i + 1)]
        (pred, context_state) = forward(input, context_state, w1, w2)
        predictions.append(pred.item())

# Step 6: the plot.
pl.scatter(time_steps[:-1], x.numpy(), s=90, label="Actual")
pl.scatter(time_steps[1:], predictions, label="Predicted")
pl.xlabel("t")
pl.ylabel("sin(t)")
pl.legend()
pl.savefig(args.plot)
