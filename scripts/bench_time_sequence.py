"""Times the time-sequence example's whole run, the Rust port against PyTorch on
the same libtorch, runs interleaved so both meet the same machine; prints a
markdown table: wall-clock seconds (median, min, max), peak memory (the largest
resident set of any run) and PyTorch's time over the port's. scripts/bench_time_sequence.sh
builds the port and runs this.

    scripts/bench_time_sequence.sh [--runs 3] [--steps 1] [--original DIR]

--original DIR also times PyTorch's unmodified train.py from DIR (a copy of
pytorch/examples' time_sequence_prediction, where generate_sine_wave.py has
written traindata.pt), run from a scratch copy so its plots land there too.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(command, cwd):
    """Wall-clock seconds and peak resident memory (MiB) of one whole process. Its
    stderr goes to a file: a pipe nobody reads while waiting could fill and stall it."""
    with open(os.path.join(cwd, "stderr.txt"), "w+b") as stderr:
        start = time.perf_counter()
        child = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=stderr)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        if status != 0:
            stderr.seek(0)
            error = stderr.read().decode(errors="replace").strip().splitlines()
            sys.exit(f"bench_time_sequence: {' '.join(command)} failed: {error[-1] if error else status}")
    return seconds, usage.ru_maxrss / 1024


def positive(text):
    """A whole number of at least 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=positive, default=3, help="runs of each program")
    parser.add_argument("--steps", type=positive, default=1, help="L-BFGS steps of each run")
    parser.add_argument("--original", help="a directory with PyTorch's train.py and its traindata.pt")
    args = parser.parse_args()
    if args.original and not all(os.path.isfile(os.path.join(args.original, f)) for f in ["train.py", "traindata.pt"]):
        parser.error(f"--original {args.original}: needs train.py and traindata.pt (run generate_sine_wave.py there)")
    # Each program draws its plots in a directory of its own, removed at the end.
    with tempfile.TemporaryDirectory(prefix="bench-time-sequence-") as scratch:
        bench(args, scratch)


def bench(args, scratch):
    # The portable kernels for all, as the port and the twin set them themselves.
    os.environ.setdefault("MKL_CBWR", "COMPATIBLE")
    os.environ.setdefault("ATEN_CPU_CAPABILITY", "avx2")
    flags = ["--steps", str(args.steps), "--device", "cpu"]
    programs = {
        "Rust port (tch)": [os.path.join(ROOT, "target/release/examples/time_sequence"), *flags],
        "PyTorch twin": [sys.executable, os.path.join(ROOT, "examples/time_sequence.py"), *flags],
    }
    cwd = {}
    for k, name in enumerate(programs):
        cwd[name] = os.path.join(scratch, str(k))
        os.mkdir(cwd[name])
    if args.original:
        # A copy of train.py and its data, so that its plots land in the scratch too.
        os.environ["TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD"] = "1"  # its traindata.pt is a numpy array
        programs["PyTorch's train.py"] = [sys.executable, "train.py", "--steps", str(args.steps)]
        cwd["PyTorch's train.py"] = os.path.join(scratch, "original")
        os.mkdir(cwd["PyTorch's train.py"])
        for name in ["train.py", "traindata.pt"]:
            shutil.copy(os.path.join(args.original, name), cwd["PyTorch's train.py"])
    results = {name: [] for name in programs}
    for _ in range(args.runs):
        for name, command in programs.items():
            results[name].append(run(command, cwd[name]))
    rust = statistics.median(s for s, _ in results["Rust port (tch)"])
    print(f"{args.steps} step(s), full size, {args.runs} runs each, {os.cpu_count()} CPUs\n")
    print("| program | median s | min s | max s | peak memory MiB | time / Rust's |")
    print("|---|---|---|---|---|---|")
    for name, runs in results.items():
        seconds = [s for s, _ in runs]
        median = statistics.median(seconds)
        print(f"| {name} | {median:.1f} | {min(seconds):.1f} | {max(seconds):.1f} | "
              f"{max(m for _, m in runs):.0f} | {median / rust:.2f} |")


if __name__ == "__main__":
    main()
