#!/usr/bin/env python3
"""Benchmarks sine-rnn against scripts/reference.py on this machine, in one run.

For each program: the training loop as timed in-process (300 and 3000 epochs),
the default run end to end including the plot (whole process, wall clock), and
peak memory (/usr/bin/time -v). Medians of --runs runs. Prints a markdown table
with the speed-up of each sine-rnn backend over the reference. A benchmark, not a
test: it asserts nothing. Use it through scripts/bench.sh.
"""

import argparse
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRAINED = re.compile(r"trained \d+ epochs x \d+ points in ([0-9.]+) s")


def run(cmd, cwd):
    """(wall seconds, in-process training seconds, peak RSS in MB) of one run."""
    timed = ["/usr/bin/time", "-f", "MAXRSS %M"] + cmd
    t0 = time.perf_counter()
    p = subprocess.run(timed, cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit("bench: {} failed ({}):\n{}".format(" ".join(cmd), p.returncode, p.stderr))
    train = float(TRAINED.search(p.stderr).group(1))
    rss = int(re.search(r"MAXRSS (\d+)", p.stderr).group(1)) / 1024
    return wall, train, rss


def median_of(cmd, runs, cwd):
    samples = [run(cmd, cwd) for _ in range(runs)]
    return tuple(statistics.median(s[i] for s in samples) for i in range(3))


def machine():
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return "{}, {} cores, {:.0f} GiB, Linux {}, Python {}".format(
        cpu, os.cpu_count(), mem, platform.release(), platform.python_version())


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--binary", default=os.path.join(ROOT, "target", "release", "sine-rnn"))
    p.add_argument("--python", default=sys.executable)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--backends", default="tch,tch-manual,native")
    args = p.parse_args()

    import torch  # only for the version line
    reference = [args.python, os.path.join(ROOT, "scripts", "reference.py"), "--device", "cpu"]
    programs = [("reference.py", reference)]
    for b in args.backends.split(","):
        programs.append(("sine-rnn " + b, [args.binary, "--device", "cpu", "--backend", b]))

    print("machine: " + machine())
    print("libtorch/torch {} on the CPU, medians of {} runs each\n".format(torch.__version__, args.runs))
    rows = {}
    with tempfile.TemporaryDirectory(prefix="sine-rnn-bench-") as tmp:
        for name, cmd in programs:
            loop300 = median_of(cmd + ["--no-plot"], args.runs, tmp)[1]
            loop3000 = median_of(cmd + ["--no-plot", "--epochs", "3000"], args.runs, tmp)[1]
            wall, _, rss = median_of(cmd, args.runs, tmp)  # the default run, plot included
            rows[name] = (loop300, loop3000, wall, rss)
            print("  measured {:<22} loop {:.4f} s / {:.4f} s, run {:.3f} s, {:.0f} MB".format(
                name, loop300, loop3000, wall, rss), file=sys.stderr)

    base = rows["reference.py"]
    names = [n for n, _ in programs]
    print("| measure | " + " | ".join(names) + " |")
    print("|---|" + "---:|" * len(names))
    labels = ["training loop, 300 epochs (s)", "training loop, 3000 epochs (s)",
              "default run end to end, with plot (s)", "peak memory, default run (MB)"]
    for k, label in enumerate(labels):
        cells = []
        for n in names:
            v = rows[n][k]
            if k == 3:
                cells.append("{:.0f}".format(v))
            elif n == "reference.py":
                cells.append("{:.4f}".format(v) if v < 0.1 else "{:.3f}".format(v))
            else:
                cells.append("{} ({:.1f}x)".format("{:.4f}".format(v) if v < 0.1 else "{:.3f}".format(v),
                                                   base[k] / v if v > 0 else float("inf")))
        print("| {} | {} |".format(label, " | ".join(cells)))
    print("\n(x: how many times faster than reference.py; per training step, 300 epochs: " + ", ".join(
        "{} {:.1f} us".format(n, 1e6 * rows[n][0] / 6000) for n in names) + ")")


if __name__ == "__main__":
    main()
