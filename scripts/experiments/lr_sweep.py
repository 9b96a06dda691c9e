#!/usr/bin/env python3
"""The loss curve's fall-and-rise across seeds and learning rates (docs/teaching.md).

Runs target/release/sine-rnn (--backend tch-manual: the tutorial's numbers, faster)
for seeds 0-4 and learning rates 0.025-0.2, and prints, per run, the first running
minimum of the epoch loss that is followed by a rise of 50% or more.
Run: scripts/python scripts/experiments/lr_sweep.py [--epochs 2400]
"""
import argparse
import json
import os
import subprocess
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def losses(binary, seed, lr, epochs, tmp):
    path = os.path.join(tmp, "run.json")
    subprocess.run([binary, "--backend", "tch-manual", "--device", "cpu", "--no-plot", "--seed", str(seed),
                    "--lr", str(lr), "--epochs", str(epochs), "--json", path], capture_output=True, check=False)
    with open(path) as f:
        return json.load(f)["epoch_losses"]["values"]


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--epochs", type=int, default=2400)
    p.add_argument("--binary", default=os.path.join(ROOT, "target", "release", "sine-rnn"))
    args = p.parse_args()
    rises = 0
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(5):
            for lr in (0.025, 0.05, 0.1, 0.2):
                L = losses(args.binary, seed, lr, args.epochs, tmp)
                if any(v is None for v in L):
                    print("seed {} lr {:<5}: diverged".format(seed, lr))
                    continue
                best, at, rise = L[0], 0, None
                for i, v in enumerate(L):
                    if v < best:
                        best, at = v, i
                    elif v > 1.5 * best:
                        rise = (at, best, i)
                        break
                rises += rise is not None
                print("seed {} lr {:<5}: {}; last {:.4g}, lowest {:.4g} at {}".format(
                    seed, lr, "first min {:.4g} at epoch {}, x1.5 by {} (min epoch x lr = {:.1f})".format(
                        rise[1], rise[0], rise[2], rise[0] * lr) if rise else "no rise of 50%",
                    L[-1], min(L), L.index(min(L))))
    print("{} of 20 runs fall, then rise by 50% or more".format(rises))


if __name__ == "__main__":
    main()
