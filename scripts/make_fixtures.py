#!/usr/bin/env python3
"""Writes tests/fixtures/linspace.json: numpy's own time steps and float32 sine
values for several sequence lengths, as exact bit patterns, so the Rust tests check
the data against numpy itself rather than against a formula of their own.

    scripts/python scripts/make_fixtures.py
"""

import json
import os

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LENGTHS = [1, 2, 3, 7, 20, 49, 50, 100, 333, 1000]


def main():
    cases = []
    for n in LENGTHS:
        # As the tutorial builds its data: linspace in float64, sin, then float32.
        t = np.linspace(2, 10, n + 1)
        values = np.sin(t).astype(np.float32)
        cases.append({
            "seq_length": n,
            "time_steps_bits": ["{:016x}".format(int(b)) for b in t.view(np.uint64)],
            "values_bits": ["{:08x}".format(int(b)) for b in values.view(np.uint32)],
        })
    out = os.path.join(ROOT, "tests", "fixtures", "linspace.json")
    with open(out, "w") as f:
        json.dump({"numpy_version": np.__version__, "cases": cases}, f, indent=1)
        f.write("\n")
    print("wrote {} ({} sequence lengths)".format(os.path.relpath(out, ROOT), len(cases)))


if __name__ == "__main__":
    main()
