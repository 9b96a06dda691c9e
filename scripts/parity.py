#!/usr/bin/env python3
"""Runs scripts/reference.py and the sine-rnn binary on the same configurations and
compares them: stdout byte for byte, exit codes, and every float32 they report
(each epoch's loss, the predictions, the final w1 and w2) bit for bit.

Prints, per configuration, a side-by-side table of the logged epochs (Python loss,
Rust loss, difference in ULPs), the largest differences, and a verdict:
  IDENTICAL  same stdout, same exit code, every float32 bit-identical;
  WITHIN     not identical, but every value within --tolerance (relative);
  DIFFERENT  anything else.
Exits 1 if any configuration is DIFFERENT. Use it through scripts/parity.sh.
"""

import argparse
import json
import math
import os
import shlex
import struct
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The configurations the tests cover, shared with tests/parity.rs.
CONFIG_FILE = os.path.join(ROOT, "tests", "parity_configs.txt")


def default_configs():
    with open(CONFIG_FILE) as f:
        return [line.strip() for line in f if line.strip() and not line.startswith("#")]


def f32_ordered(bits):
    """Maps float32 bit patterns onto integers in the order of the floats, so the
    difference of two of them counts the representable floats in between (ULPs)."""
    return bits if bits < 0x80000000 else 0x80000000 - bits


def ulps(a_bits, b_bits):
    a, b = int(a_bits, 16), int(b_bits, 16)
    if a == b:
        return 0
    fa, fb = (struct.unpack("<f", struct.pack("<I", x))[0] for x in (a, b))
    if math.isnan(fa) or math.isnan(fb):
        return math.inf
    return abs(f32_ordered(a) - f32_ordered(b))


def rel_diff(a_bits, b_bits):
    fa, fb = (struct.unpack("<f", struct.pack("<I", int(x, 16)))[0] for x in (a_bits, b_bits))
    if a_bits == b_bits or fa == fb:
        return 0.0
    if not (math.isfinite(fa) and math.isfinite(fb)):
        return math.inf
    return abs(fa - fb) / max(abs(fa), abs(fb), 1e-30)


def f32_step(x, n):
    """x rounded to float32, then moved n float32 ULPs. libtorch multiplies a float32
    gradient by the learning rate as a float32, so a float64 ULP is invisible."""
    bits = struct.unpack("<I", struct.pack("<f", x))[0]
    return struct.unpack("<f", struct.pack("<I", bits + n))[0]


def run(cmd, json_path):
    proc = subprocess.run(cmd + ["--no-plot", "--json", json_path], capture_output=True, cwd=ROOT)
    record = None
    if os.path.exists(json_path):
        with open(json_path) as f:
            record = json.load(f)
    return proc, record


def compare(py, rs, tolerance, show_every, names=("Python", "Rust")):
    (pproc, prec), (rproc, rrec) = py, rs
    problems = []
    if prec is None or rrec is None:
        for who, proc, rec in ((names[0], pproc, prec), (names[1], rproc, rrec)):
            if rec is None:
                problems.append("{} wrote no JSON (exit {}): {}".format(
                    who, proc.returncode, proc.stderr.decode(errors="replace").strip()[-400:]))
        return "DIFFERENT", problems
    same_stdout = pproc.stdout == rproc.stdout
    if not same_stdout:
        problems.append("stdout differs")
    if pproc.returncode != rproc.returncode:
        problems.append("exit codes differ: {} {}, {} {}".format(names[0], pproc.returncode, names[1], rproc.returncode))

    print("  {:>6}  {:>24}  {:>24}  {:>6}".format("epoch", names[0] + " loss", names[1] + " loss", "ULPs"))
    pl, rl = prec["epoch_losses"], rrec["epoch_losses"]
    for i, (pb, rb) in enumerate(zip(pl["bits"], rl["bits"])):
        if i % show_every == 0:
            pv, rv = (repr(struct.unpack("<f", struct.pack("<I", int(b, 16)))[0]) for b in (pb, rb))
            print("  {:>6}  {:>24}  {:>24}  {:>6}".format(i, pv, rv, ulps(pb, rb)))

    worst_rel = 0.0
    identical = same_stdout and pproc.returncode == rproc.returncode
    keys = ["data", "epoch_losses", "predictions", "w1", "w2"]
    if "generated" in prec and "generated" in rrec:
        keys.append("generated")  # --generate: the closed-loop continuation
    for key in keys:
        pa, ra = prec[key], rrec[key]
        if pa["shape"] != ra["shape"]:
            problems.append("{}: shapes differ, {} {} {} {}".format(key, names[0], pa["shape"], names[1], ra["shape"]))
            identical = False
            worst_rel = math.inf
            continue
        u = max((ulps(a, b) for a, b in zip(pa["bits"], ra["bits"])), default=0)
        r = max((rel_diff(a, b) for a, b in zip(pa["bits"], ra["bits"])), default=0.0)
        worst_rel = max(worst_rel, r)
        if u:
            identical = False
        print("  {:<13} max difference {:>5} ULPs ({:.3g} relative) over {} values".format(
            key + ":", u, r, len(pa["bits"])))
    if identical and not problems:
        return "IDENTICAL", problems
    if worst_rel <= tolerance and not any(p.startswith("exit") or " wrote no JSON" in p for p in problems) \
            and tolerance > 0:
        return "WITHIN", problems
    return "DIFFERENT", problems


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--binary", default=None, help="the sine-rnn binary (default: target/release/sine-rnn, "
                   "else sine-rnn on PATH)")
    p.add_argument("--python", default=sys.executable, help="the Python that runs scripts/reference.py")
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    p.add_argument("--baseline", choices=["python", "rust-cpu"], default="python",
                   help="what the binary on --device is compared with: the Python reference on the same device "
                   "(default), or the binary itself on the CPU (CPU-vs-CUDA, with --tolerance)")
    p.add_argument("--tolerance", type=float, default=0.0,
                   help="largest relative difference reported as WITHIN (0 on CPU: identical or nothing)")
    p.add_argument("--config", action="append", default=None, metavar="FLAGS",
                   help="a configuration as command-line flags, e.g. '--seed 3 --lr 0.05' (repeatable; "
                   "default: the test configurations)")
    p.add_argument("--seeds", default=None, help="comma-separated seeds: adds the default configuration per seed")
    p.add_argument("--perturb-lr-ulps", type=int, default=0,
                   help="give the Rust side a learning rate this many float32 ULPs off (checks that the "
                   "harness sees a difference)")
    p.add_argument("--rust-flags", default="", metavar="FLAGS",
                   help="extra flags for the Rust side only, e.g. '--backend tch-manual'")
    p.add_argument("--every", type=int, default=10, help="show every n-th epoch in the tables (default 10)")
    args = p.parse_args()

    binary = args.binary or os.path.join(ROOT, "target", "release", "sine-rnn")
    if args.binary is None and not os.path.exists(binary):
        binary = "sine-rnn"
    configs = list(args.config or [])
    if args.seeds:
        configs += ["--seed {}".format(s.strip()) for s in args.seeds.split(",") if s.strip()]
    if not configs:
        configs = default_configs()

    verdicts = []
    with tempfile.TemporaryDirectory(prefix="sine-rnn-parity-") as tmp:
        for n, config in enumerate(configs):
            flags = shlex.split(config) + ["--device", args.device]
            rust_flags = list(flags) + shlex.split(args.rust_flags)
            if args.perturb_lr_ulps:
                bumped = repr(f32_step(float(flags[flags.index("--lr") + 1]) if "--lr" in flags else 0.1,
                                       args.perturb_lr_ulps))
                if "--lr" in rust_flags:
                    rust_flags[rust_flags.index("--lr") + 1] = bumped
                else:
                    rust_flags += ["--lr", bumped]
            print("== {} (device {}, against {}){}".format(config, args.device, args.baseline,
                  ", rust lr {} ULPs off".format(args.perturb_lr_ulps) if args.perturb_lr_ulps else ""))
            if args.baseline == "python":
                names = ("Python", "Rust")
                left = run([args.python, os.path.join(ROOT, "scripts", "reference.py")] + flags,
                           os.path.join(tmp, "py{}.json".format(n)))
            else:
                names = ("CPU", args.device.upper())
                left = run([binary] + shlex.split(config) + ["--device", "cpu"], os.path.join(tmp, "cpu{}.json".format(n)))
            right = run([binary] + rust_flags, os.path.join(tmp, "rs{}.json".format(n)))
            verdict, problems = compare(left, right, args.tolerance, max(args.every, 1), names)
            for problem in problems:
                print("  note: " + problem)
            print("  verdict: {}\n".format(verdict))
            verdicts.append((config, verdict))
            sys.stdout.flush()

    print("summary ({} configurations, device {} against {}, tolerance {}):".format(
        len(verdicts), args.device, args.baseline, args.tolerance))
    for config, verdict in verdicts:
        print("  {:<10} {}".format(verdict, config))
    return 1 if any(v == "DIFFERENT" for _, v in verdicts) else 0


if __name__ == "__main__":
    sys.exit(main())
