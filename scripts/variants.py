#!/usr/bin/env python3
"""What breaks bit-parity, measured: runs the port (sine-rnn --trace) and every
variant of examples/variants.rs with a trace, finds where each first differs from
the port (which is bit-identical to PyTorch), and prints a markdown table. Use it
through scripts/variants.sh; docs/parity-workbench.md shows its output."""

import argparse
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from parity import first_difference  # noqa: E402  (the harness's own report)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VARIANTS = ["square", "mean", "mse-loss", "f64-total", "fused-update", "zero-before-update",
            "zero-before-backward", "update-w2-first", "draw-w2-first", "sin-f32", "naive-linspace"]
FIRST = re.compile(r"first difference: (.*)")


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--epochs", type=int, default=300)
    args = p.parse_args()
    binary = os.path.join(ROOT, "target", "release", "sine-rnn")
    example = os.path.join(ROOT, "target", "release", "examples", "variants")
    common = ["--seed", str(args.seed), "--epochs", str(args.epochs)]
    with tempfile.TemporaryDirectory(prefix="sine-rnn-variants-") as tmp:
        port = os.path.join(tmp, "port.jsonl")
        out = subprocess.run([binary, "--device", "cpu", "--no-plot", "--trace", port] + common,
                             capture_output=True, text=True, check=True)
        base = subprocess.run([example, "--variant", "port", "--trace", os.path.join(tmp, "p.jsonl")] + common,
                              capture_output=True, text=True, check=True)
        port_loss = float(base.stdout.split()[-1])
        check = first_difference(port, os.path.join(tmp, "p.jsonl"), ("port", "variant"))
        if check:
            sys.exit("variants: the example's unchanged loop does not match the port: " + check[0])
        print("| variant | first difference from the port (= PyTorch) | final loss | change |")
        print("|---|---|---:|---:|")
        print("| none (the port) | — | {} | — |".format(repr(port_loss)))
        for name in VARIANTS:
            path = os.path.join(tmp, name + ".jsonl")
            run = subprocess.run([example, "--variant", name, "--trace", path] + common,
                                 capture_output=True, text=True, check=True)
            loss = float(run.stdout.split()[-1])
            report = first_difference(port, path, ("port", "variant"))
            if report:
                first = FIRST.match(report[0]).group(1)
            elif loss != port_loss:
                first = "every step bit-identical; only the epoch totals differ"
            else:
                first = "none: bit-identical"
            change = "{:+.3g}".format(loss - port_loss) if loss != port_loss else "0"
            print("| `{}` | {} | {} | {} |".format(name, first, repr(loss), change))
            sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
