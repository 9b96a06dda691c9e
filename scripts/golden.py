#!/usr/bin/env python3
"""Writes PyTorch's outputs for the configurations in tests/golden/configs.txt into
tests/golden/, so that `cargo test` can check the Rust side against PyTorch with no
Python at all. Per configuration <name>:

  <name>.stdout       scripts/reference.py's stdout, byte for byte;
  <name>.json         its exit code, and the float32 bit patterns of the data, every
                      epoch's loss, the predictions and the generated wave;
  <name>.safetensors  the final w1 and w2 (float32, as PyTorch holds them).

reference.py runs under the portable CPU kernels (MKL_CBWR=COMPATIBLE,
ATEN_CPU_CAPABILITY=avx2; any value of either in this environment is removed), so
any x86-64 machine with AVX2 writes the same files.

    scripts/python scripts/golden.py                 # all of them
    scripts/python scripts/golden.py --only chaotic  # one
    scripts/python scripts/golden.py --out /tmp/g    # elsewhere, to compare
"""

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile

import numpy as np
import safetensors.numpy

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GOLDEN = os.path.join(ROOT, "tests", "golden")
KERNEL_VARS = ("MKL_CBWR", "ATEN_CPU_CAPABILITY")


def configs():
    """(name, flags) for each line of tests/golden/configs.txt."""
    with open(os.path.join(GOLDEN, "configs.txt")) as f:
        lines = [line.strip() for line in f if line.strip() and not line.startswith("#")]
    return [tuple(part.strip() for part in line.split(":", 1)) for line in lines]


def record(name, flags, out_dir):
    env = {k: v for k, v in os.environ.items() if k not in KERNEL_VARS}
    with tempfile.TemporaryDirectory(prefix="sine-rnn-golden-") as tmp:
        json_path = os.path.join(tmp, "run.json")
        proc = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "reference.py")] + shlex.split(flags) +
                              ["--device", "cpu", "--no-plot", "--json", json_path],
                              capture_output=True, env=env, cwd=tmp)
        header = proc.stderr.decode(errors="replace").splitlines()[:1]
        if proc.returncode not in (0, 3) or not os.path.exists(json_path):
            sys.exit("golden: {}: reference.py failed (exit {}): {}".format(
                name, proc.returncode, proc.stderr.decode(errors="replace").strip()[-400:]))
        if not header or "CPU kernels portable (" not in header[0]:
            sys.exit("golden: {}: reference.py did not run on the portable kernels: {}".format(name, header))
        with open(json_path) as f:
            run = json.load(f)

    def bits(key):
        return {"shape": run[key]["shape"], "bits": run[key]["bits"]}

    def array(key):
        words = np.array([int(b, 16) for b in run[key]["bits"]], dtype=np.uint32)
        return words.view(np.float32).reshape(run[key]["shape"])

    golden = {"format": "sine-rnn-golden/1", "name": name, "flags": flags, "exit_code": proc.returncode,
              "torch": run["libtorch_version"], "weights": name + ".safetensors"}
    golden.update({key: bits(key) for key in ("data", "epoch_losses", "predictions", "generated")})
    with open(os.path.join(out_dir, name + ".stdout"), "wb") as f:
        f.write(proc.stdout)
    with open(os.path.join(out_dir, name + ".json"), "w") as f:
        json.dump(golden, f, separators=(",", ":"))
        f.write("\n")
    weights = os.path.join(out_dir, name + ".safetensors")
    safetensors.numpy.save_file({"w1": array("w1"), "w2": array("w2")}, weights,
                                metadata={"written_by": "scripts/golden.py"})  # one key: a fixed order
    os.chmod(weights, 0o644)  # the package writes 0600; these are committed
    print("golden: {:<16} exit {}  {}".format(name, proc.returncode, flags))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--only", action="append", metavar="NAME", help="this configuration only (repeatable)")
    p.add_argument("--out", default=GOLDEN, metavar="DIR", help="where to write (default: tests/golden)")
    args = p.parse_args()
    chosen = configs()
    if args.only:
        unknown = sorted(set(args.only) - {name for name, _ in chosen})
        if unknown:
            sys.exit("golden: no configuration named {} in tests/golden/configs.txt".format(", ".join(unknown)))
        chosen = [(name, flags) for name, flags in chosen if name in args.only]
    os.makedirs(args.out, exist_ok=True)
    for name, flags in chosen:
        record(name, flags, args.out)


if __name__ == "__main__":
    main()
