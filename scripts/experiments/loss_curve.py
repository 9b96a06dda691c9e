#!/usr/bin/env python3
"""Why does the tutorial's loss fall, then climb back? An experiment (docs/teaching.md).

Trains the tutorial's network three ways from the same initial weights and prints,
per variant, the epochs where the total loss reaches a local minimum and then
rises by 50% or more:
  online-truncated  the tutorial: one update per point, context detached (1-step BPTT)
  batch-truncated   the same per-point gradients (context detached), summed over
                    the epoch, one update per epoch
  batch-full        the true gradient of the epoch loss (full backpropagation
                    through time: context not detached), one update per epoch
Batch-full is plain gradient descent on the very loss we plot; with a small enough
step it can only go down. If it goes down while batch-truncated climbs, the climb
comes from the truncated gradient, not from the online updates or the step size.

Run: scripts/python scripts/experiments/loss_curve.py [--seed 0] [--epochs 3000] [--lr 0.02]
"""
import argparse

import numpy as np
import torch


def data(seq_length):
    t = np.linspace(2, 10, seq_length + 1)
    d = np.sin(t).reshape(-1, 1)
    return torch.Tensor(d[:-1]), torch.Tensor(d[1:])


def init(seed, hidden):
    torch.manual_seed(seed)
    w1 = torch.FloatTensor(hidden + 1, hidden).normal_(0.0, 0.4)
    w2 = torch.FloatTensor(hidden, 1).normal_(0.0, 0.3)
    return w1.requires_grad_(), w2.requires_grad_()


def epoch(x, y, w1, w2, lr, variant):
    total = 0.0
    context = torch.zeros((1, w1.shape[1]))
    for j in range(x.size(0)):
        xh = torch.cat((x[j:j + 1], context), 1)
        context = torch.tanh(xh.mm(w1))
        loss = (context.mm(w2) - y[j:j + 1]).pow(2).sum() / 2
        total = total + loss
        if variant == "online-truncated":
            loss.backward()
            with torch.no_grad():
                w1 -= lr * w1.grad
                w2 -= lr * w2.grad
            w1.grad.zero_()
            w2.grad.zero_()
        elif variant == "batch-truncated":
            loss.backward()  # gradients add up over the epoch
        if variant != "batch-full":
            context = context.detach()
    if variant == "batch-full":
        total.backward()
    if variant != "online-truncated":
        with torch.no_grad():
            w1 -= lr * w1.grad
            w2 -= lr * w2.grad
        w1.grad.zero_()
        w2.grad.zero_()
    return total.item()


def rises(losses):
    """(epoch of a running minimum, its loss, epoch where the loss is 1.5x it) triples."""
    out, best, at, armed = [], losses[0], 0, True
    for i, v in enumerate(losses):
        if v < best:
            best, at, armed = v, i, True
        elif armed and v > 1.5 * best:
            out.append((at, best, i))
            armed = False
            best = v  # look for the next minimum from here
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--epochs", type=int, default=3000)
    p.add_argument("--lr", type=float, default=0.1, help="the step; per epoch, all variants move by lr x (sum of the gradients)")
    p.add_argument("--hidden-size", type=int, default=6)
    p.add_argument("--seq-length", type=int, default=20)
    args = p.parse_args()
    x, y = data(args.seq_length)
    for variant in ("online-truncated", "batch-truncated", "batch-full"):
        w1, w2 = init(args.seed, args.hidden_size)
        lr = args.lr
        losses = [epoch(x, y, w1, w2, lr, variant) for _ in range(args.epochs)]
        r = rises(losses)
        print("{:<17} lr {:<7g} loss: epoch 0 {:.4g}, min {:.4g} at {}, last {:.4g}; rises of 50%+: {}".format(
            variant, lr, losses[0], min(losses), losses.index(min(losses)), losses[-1],
            ", ".join("min {:.3g} at {} -> x1.5 by {}".format(b, a, c) for a, b, c in r) or "none"))


if __name__ == "__main__":
    main()
