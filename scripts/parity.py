#!/usr/bin/env python3
"""Runs scripts/reference.py and the sine-rnn binary on the same configurations and
compares them: stdout byte for byte, exit codes, and every float32 they report
(each epoch's loss, the predictions, the final w1 and w2) bit for bit.

Prints, per configuration, a side-by-side table of the logged epochs (Python loss,
Rust loss, difference in ULPs), the largest differences, and a verdict:
  IDENTICAL  same stdout, same exit code, every float32 bit-identical;
  WITHIN     not identical, but every value within --tolerance (relative);
  DIFFERENT  anything else.
Exits 1 if any configuration is DIFFERENT, 2 when a side cannot run at all
("cannot compare: <reason>"). With --trace, both sides also record every step
and, for each configuration that is not IDENTICAL, the report names the first
float32 that differs:
  first difference: epoch <E>, step <J>, <tensor>[<flat index>]: python <value> rust <value> (<n> ULPs)
Use it through scripts/parity.sh.
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

# Beside this file: the reader of parity-trace/1 (this file has a compare() of its own).
from compare import CannotCompare as MalformedTrace, Trace as TraceReader

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


class CannotCompare(Exception):
    """A side ran but gave nothing comparable, or the configuration is unusable."""


REQUIRED_KEYS = ("data", "epoch_losses", "predictions", "w1", "w2")


def run(who, cmd, json_path, trace_path=None, trace_epochs=None):
    if trace_path:
        cmd = cmd + ["--trace", trace_path] + (["--trace-epochs", trace_epochs] if trace_epochs else [])
    proc = subprocess.run(cmd + ["--no-plot", "--json", json_path], capture_output=True, cwd=ROOT)
    record = None
    if os.path.exists(json_path):
        try:
            with open(json_path) as f:
                record = json.load(f)
            for key in REQUIRED_KEYS:
                if not (isinstance(record.get(key), dict) and "shape" in record[key] and "bits" in record[key]):
                    raise ValueError("no float32 array '{}'".format(key))
        except (ValueError, AttributeError, UnicodeDecodeError) as e:
            raise CannotCompare("the {} side wrote a record that is not a sine-rnn record ({})".format(who, e))
    return proc, record


def bits_to_float(b):
    return struct.unpack("<f", struct.pack("<I", int(b, 16)))[0]


def trace_lines(path):
    """The steps of the tutorial's trace (scripts/reference.py or sine-rnn --trace),
    read and checked by scripts/compare.py's reader of parity-trace/1, one at a
    time, as {"phase", "epoch", "step", name: [the float32 bit patterns, 8 hex
    digits each]}."""
    try:
        trace = TraceReader(path)
    except MalformedTrace as e:
        raise ValueError(str(e))
    try:
        while True:
            try:
                record = trace.next()
            except MalformedTrace as e:
                raise ValueError(str(e))
            if record is None:
                return
            _, (phase, epoch, step), tensors = record
            step_line = {"phase": phase, "epoch": epoch, "step": step}
            for name, t in tensors.items():
                if t["dtype"] != "float32":
                    raise ValueError("{}: {} is {}, not float32".format(path, name, t["dtype"]))
                step_line[name] = [t["bits"][k:k + 8] for k in range(0, len(t["bits"]), 8)]
            yield step_line
    finally:
        trace.close()


def where(line):
    return "epoch {}, step {}".format(line["epoch"], line["step"])


def first_difference(left_path, right_path, names=("Python", "Rust")):
    """Walks two traces in step and reports the first float32 that differs: the
    step, the tensor, the index, both values, the ULPs between them, then both
    sides of that tensor and the last step where everything agreed. Returns the
    report's lines (empty when the traces agree everywhere)."""
    last_agreed = None
    left, right = trace_lines(left_path), trace_lines(right_path)
    a_name, b_name = (n.lower() for n in names)
    while True:
        a, b = next(left, None), next(right, None)
        if a is None and b is None:
            return []
        if a is None or b is None:
            short, other = (names[0], b) if a is None else (names[1], a)
            return ["first difference: the {} trace ends before {}".format(short, where(other))]
        if (a["phase"], a["epoch"], a["step"]) != (b["phase"], b["epoch"], b["step"]):
            return ["first difference: the traces cover other steps ({} against {})".format(where(a), where(b))]
        for name in [k for k in a if k not in ("phase", "epoch", "step")]:
            pa, pb = a[name], b.get(name, [])
            if pa == pb:
                continue
            k = next((k for k, (x, y) in enumerate(zip(pa, pb)) if x != y), min(len(pa), len(pb)))
            if k >= min(len(pa), len(pb)):
                head = "first difference: epoch {}, step {}, {}: {} values in {}, {} in {}".format(
                    a["epoch"], a["step"], name, len(pa), a_name, len(pb), b_name)
            else:
                head = "first difference: epoch {}, step {}, {}[{}]: {} {} {} {} ({} ULPs)".format(
                    a["epoch"], a["step"], name, k, a_name, repr(bits_to_float(pa[k])), b_name,
                    repr(bits_to_float(pb[k])), ulps(pa[k], pb[k]))
            def show(v, k=k):
                """Up to 11 values around index k, the differing one marked with *."""
                lo, hi = max(0, k - 5), min(len(v), k + 6)
                items = ["{}{}".format("*" if i == k else "", repr(bits_to_float(v[i]))) for i in range(lo, hi)]
                return "[{}{}{}] (indices {}..{})".format("…, " if lo else "", ", ".join(items),
                                                          ", …" if hi < len(v) else "", lo, hi - 1)
            return [
                head,
                "  {} at {}, {}: {}".format(name, where(a), names[0], show(pa)),
                "  {} at {}, {}: {}".format(name, where(b), " " * (len(names[0]) - len(names[1])) + names[1], show(pb)),
                "  last step where everything agreed: {}".format(where(last_agreed) if last_agreed else
                                                                 "none (they differ from the first traced step)"),
            ]
        last_agreed = a


def cannot_compare(reason):
    print("cannot compare: " + reason)
    sys.stdout.flush()
    return 2


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
    if prec.get("generated", {}).get("bits") or rrec.get("generated", {}).get("bits"):
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


# The kernel settings --recorded tries, with the CPU features each needs (the
# names /proc/cpuinfo gives them). MKL_CBWR picks MKL's code path (COMPATIBLE:
# no FMA; AVX2, AVX512, AVX512_E1: with), ATEN_CPU_CAPABILITY ATen's vector width.
MKL_BRANCHES = (("COMPATIBLE", ()), ("AVX2", ("avx2", "fma")),
                ("AVX512", ("avx512f", "avx512bw", "avx512dq", "avx512vl")),
                ("AVX512_E1", ("avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512_vnni")))
ATEN_CAPABILITIES = (("avx2", ("avx2", "fma")), ("avx512", ("avx512f", "avx512bw", "avx512dq", "avx512vl", "fma")),
                     ("default", ()))
PORTABLE = (("MKL_CBWR", "COMPATIBLE"), ("ATEN_CPU_CAPABILITY", "avx2"))


def cpu_flags():
    try:
        with open("/proc/cpuinfo") as f:
            return set(next((l.split(":", 1)[1].split() for l in f if l.startswith("flags")), []))
    except OSError:
        return set()


def log_lines(text):
    """The tutorial's log lines of a stdout, with their line numbers (from 1),
    without the spaces a terminal or an editor may have added at their ends."""
    return [(n, line.rstrip()) for n, line in enumerate(text.splitlines(), 1) if line.startswith("Epoch: ")]


def log_difference(recorded, rust_stdout):
    """None when the recorded log lines are Rust's first lines (a log cut short
    still counts), else `line N: recorded … rust …`."""
    rust = [line for _, line in log_lines(rust_stdout)]
    for k, (n, line) in enumerate(recorded):
        if k >= len(rust) or rust[k] != line:
            return "line {}: recorded {!r} rust {!r}".format(n, line, rust[k] if k < len(rust) else "(no more lines)")
    return None


def settings_words(settings):
    return " ".join("{}={}".format(name, value) for name, value in settings)


def check_recorded(args, binary):
    """--recorded: a PyTorch stdout recorded anywhere against the Rust run of one
    configuration, under the portable kernels and then each setting this CPU can run."""
    if not args.config or len(args.config) != 1 or args.seeds:
        return cannot_compare("--recorded needs exactly one --config \"FLAGS\", the flags the log was recorded with")
    ignored = [flag for flag, given in (("--device", args.device != "cpu"), ("--baseline", args.baseline != "python"),
                                        ("--tolerance", args.tolerance != 0), ("--rust-flags", args.rust_flags),
                                        ("--perturb-lr-ulps", args.perturb_lr_ulps), ("--trace", args.trace),
                                        ("--trace-epochs", args.trace_epochs)) if given]
    if ignored:
        return cannot_compare("--recorded compares a log on this CPU with the flags of --config alone; "
                              "leave out {}".format(", ".join(ignored)))
    try:
        with open(args.recorded, "rb") as f:
            text = f.read(64 << 20)  # a log of 10,000,000 epochs is 600 MB; none worth comparing is this long
            if f.read(1):
                return cannot_compare("{} is larger than 64 MiB; give the log itself".format(args.recorded))
        recorded = log_lines(text.decode("utf-8", errors="replace"))
    except OSError as e:
        return cannot_compare("cannot read {}: {}".format(args.recorded, e.strerror))
    if not recorded:
        return cannot_compare("{} holds no `Epoch: <i> loss <total>` line".format(args.recorded))
    try:
        flags = shlex.split(args.config[0])
    except ValueError as e:
        return cannot_compare("--config {!r}: {}".format(args.config[0], e))
    if any(f == "--cpu-kernels" or f.startswith("--cpu-kernels=") for f in flags):
        return cannot_compare("--recorded chooses the CPU kernels itself; leave --cpu-kernels out of --config")
    # The log's own flags, and what the comparison needs that they lack.
    flags += ([] if any(f == "--device" or f.startswith("--device=") for f in flags) else ["--device", "cpu"])
    flags += ([] if "--no-plot" in flags else ["--no-plot"])

    def rust(settings):
        env = {k: v for k, v in os.environ.items() if k not in dict(PORTABLE)}
        env.update(settings)
        with tempfile.TemporaryDirectory(prefix="sine-rnn-recorded-") as tmp:
            return subprocess.run([binary] + flags, capture_output=True, env=env, cwd=tmp)

    command = " ".join(shlex.quote(f) for f in ["sine-rnn"] + flags)
    proc = rust(())
    if proc.returncode == 2 or proc.returncode >= 128:
        why = (proc.stderr.decode(errors="replace").strip().splitlines() or ["exit {}".format(proc.returncode)])[-1]
        return cannot_compare("sine-rnn did not run with --config {!r}: {}".format(args.config[0], why))
    rust_lines = len(log_lines(proc.stdout.decode(errors="replace")))
    if rust_lines > len(recorded):
        print("note: the log ends after {} of the run's {} lines; those are compared".format(len(recorded), rust_lines))
    portable = log_difference(recorded, proc.stdout.decode(errors="replace"))
    if portable is None:
        print("reproduced as is, with the portable kernels ({}): {} log lines identical".format(
            settings_words(PORTABLE), len(recorded)))
        print("  env -u MKL_CBWR -u ATEN_CPU_CAPABILITY {}".format(command))
        return 0
    print("not reproduced with the portable kernels ({}): first difference at {}".format(
        settings_words(PORTABLE), portable))
    flags_here, untried, reproduced = cpu_flags(), [], []
    for mkl, mkl_needs in MKL_BRANCHES:
        for aten, aten_needs in ATEN_CAPABILITIES:
            settings = (("MKL_CBWR", mkl), ("ATEN_CPU_CAPABILITY", aten))
            if settings == PORTABLE:
                continue
            missing = sorted(set(mkl_needs + aten_needs) - flags_here)
            if missing:
                untried.append("{} (needs {})".format(settings_words(settings), ", ".join(missing)))
            elif log_difference(recorded, rust(settings).stdout.decode(errors="replace")) is None:
                reproduced.append(settings)
    if reproduced:
        # Several settings can compute alike for this network; each of them is named.
        print("reproduced with: {}".format(settings_words(reproduced[0])))
        print("  {} {}".format(settings_words(reproduced[0]), command))
        for other in reproduced[1:]:
            print("also reproduced with: {}".format(settings_words(other)))
        return 1
    print("not reproduced: first difference at {}".format(portable))
    if untried:
        print("  could not try on this CPU: {}".format("; ".join(untried)))
    return 1


def tolerance(s):
    try:
        v = float(s)
    except ValueError:
        raise argparse.ArgumentTypeError("expected a number such as 1e-4, not '{}'".format(s))
    if not (math.isfinite(v) and v >= 0):
        raise argparse.ArgumentTypeError("the tolerance must be a finite number >= 0, not '{}'".format(s))
    return v


def positive_int(s):
    try:
        v = int(s)
    except ValueError:
        v = 0
    if v < 1:
        raise argparse.ArgumentTypeError("expected a whole number >= 1, not '{}'".format(s))
    return v


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--binary", default=None, help="the sine-rnn binary (default: target/release/sine-rnn, "
                   "else sine-rnn on PATH)")
    p.add_argument("--python", default=sys.executable, help="the Python that runs scripts/reference.py")
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    p.add_argument("--baseline", choices=["python", "rust-cpu"], default="python",
                   help="what the binary on --device is compared with: the Python reference on the same device "
                   "(default), or the binary itself on the CPU (CPU-vs-CUDA, with --tolerance)")
    p.add_argument("--tolerance", type=tolerance, default=0.0,
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
    p.add_argument("--every", type=positive_int, default=10, help="show every n-th epoch in the tables (default 10)")
    p.add_argument("--trace", action="store_true",
                   help="also trace every step on both sides and, where they are not identical, report the first "
                   "float32 that differs (epoch, step, tensor, index)")
    p.add_argument("--trace-epochs", default=None, metavar="RANGE",
                   help="with --trace: the epochs to trace, A..B (B excluded), A..=B, A.., ..B or N (default all)")
    p.add_argument("--recorded", default=None, metavar="FILE",
                   help="a PyTorch stdout recorded elsewhere: compare its log lines with the Rust run of --config, "
                   "then find the kernel setting that reproduces it (exit 0 as is, 1 otherwise)")
    args = p.parse_args()

    binary = args.binary or os.path.join(ROOT, "target", "release", "sine-rnn")
    if args.binary is None and not os.path.exists(binary):
        binary = "sine-rnn"
    if os.sep in binary:
        binary = os.path.abspath(binary)  # the sides run from the repository's root
    # Each side must be able to run at all, or there is nothing to compare.
    try:
        subprocess.run([binary, "--version"], capture_output=True, check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        return cannot_compare("the Rust binary {} does not run ({}); build it with cargo build --release".format(
            binary, getattr(e, "strerror", None) or e))
    if args.recorded is not None:
        return check_recorded(args, binary)
    if args.baseline == "python":
        try:
            probe = subprocess.run([args.python, "-c", "import torch, numpy, safetensors"], capture_output=True)
            failed = probe.returncode != 0
            last = (probe.stderr.decode(errors="replace").strip().splitlines() or ["it did not start"])[-1]
        except OSError as e:
            failed, last = True, e.strerror
        if failed:
            return cannot_compare("the Python reference cannot run with {} ({}); run scripts/fetch_libtorch.sh "
                                  "--python".format(args.python, last))

    if args.trace_epochs is not None and not args.trace:
        p.error("--trace-epochs needs --trace")
    configs = list(args.config or [])
    if any(not c.strip() for c in configs):
        p.error("--config: an empty configuration; give flags such as \"--seed 3\" (the tutorial's own is \"--seed 0\")")
    if args.seeds is not None:
        seeds = [s.strip() for s in args.seeds.split(",") if s.strip()]
        if not seeds:
            p.error("--seeds: no seed in '{}'; give seeds such as 0,1,2".format(args.seeds))
        configs += ["--seed {}".format(s) for s in seeds]
    if not configs:
        configs = default_configs()
    for flag, value in [("--config", c) for c in configs] + [("--rust-flags", args.rust_flags)]:
        try:
            shlex.split(value)
        except ValueError as e:
            return cannot_compare("{} {!r}: {}".format(flag, value, e))
    try:
        return compare_all(args, binary, configs)
    except CannotCompare as e:
        return cannot_compare(str(e))


def compare_all(args, binary, configs):
    """Runs and compares every configuration; the exit code."""
    verdicts = []
    with tempfile.TemporaryDirectory(prefix="sine-rnn-parity-") as tmp:
        for n, config in enumerate(configs):
            flags = shlex.split(config) + ["--device", args.device]
            rust_flags = list(flags) + shlex.split(args.rust_flags)
            if args.perturb_lr_ulps:
                try:
                    lr = float(flags[flags.index("--lr") + 1]) if "--lr" in flags else 0.1
                    bumped = repr(f32_step(lr, args.perturb_lr_ulps))
                except (IndexError, ValueError, OverflowError, struct.error):
                    raise CannotCompare("--perturb-lr-ulps {0}: the configuration {1!r} has no --lr that can be moved "
                                        "{0} float32 ULPs".format(args.perturb_lr_ulps, config))
                if "--lr" in rust_flags:
                    rust_flags[rust_flags.index("--lr") + 1] = bumped
                else:
                    rust_flags += ["--lr", bumped]
            print("== {} (device {}, against {}){}".format(config, args.device, args.baseline,
                  ", rust lr {} ULPs off".format(args.perturb_lr_ulps) if args.perturb_lr_ulps else ""))
            traces = [os.path.join(tmp, "{}{}.jsonl".format(side, n)) if args.trace else None
                      for side in ("left", "right")]
            if args.baseline == "python":
                names = ("Python", "Rust")
                left = run(names[0], [args.python, os.path.join(ROOT, "scripts", "reference.py")] + flags,
                           os.path.join(tmp, "py{}.json".format(n)), traces[0], args.trace_epochs)
            else:
                names = ("CPU", args.device.upper())
                left = run(names[0], [binary] + shlex.split(config) + ["--device", "cpu"], os.path.join(tmp, "cpu{}.json".format(n)),
                           traces[0], args.trace_epochs)
            right = run(names[1], [binary] + rust_flags, os.path.join(tmp, "rs{}.json".format(n)), traces[1], args.trace_epochs)
            # A side that refused to start (a usage error: no GPU for --device cuda, a bad flag) was not compared.
            refused = [(who, proc) for who, (proc, rec) in zip(names, (left, right)) if proc.returncode == 2 and rec is None]
            if refused:
                who, proc = refused[0]
                why = (proc.stderr.decode(errors="replace").strip().splitlines() or ["exit 2"])[-1]
                print("  cannot compare: the {} side did not run: {}\n".format(who, why))
                verdicts.append((config, "CANNOT COMPARE"))
                # A refusal (no GPU for --device cuda, a flag it lacks) holds for the rest too.
                break
            produced = [who for who, (proc, rec) in zip(names, (left, right)) if proc.returncode == 0 and rec is None]
            if produced:
                raise CannotCompare("the {} side ran but wrote no record (is {!r} a training run?)".format(
                    produced[0], config))
            try:
                verdict, problems = compare(left, right, args.tolerance, max(args.every, 1), names)
            except (TypeError, ValueError, AttributeError, KeyError) as e:
                raise CannotCompare("a record is not a sine-rnn record ({}: {})".format(type(e).__name__, e))
            for problem in problems:
                print("  note: " + problem)
            # With --trace the traces are compared always: equal records do not make
            # equal steps (the sign of a zero gradient, say).
            if args.trace:
                missing = [who for who, t in zip(names, traces) if not os.path.exists(t)]
                if missing:
                    raise CannotCompare("the {} side wrote no trace".format(missing[0]))
                try:
                    report = first_difference(traces[0], traces[1], names)
                except (ValueError, KeyError, TypeError, AttributeError) as e:
                    raise CannotCompare("a trace is not a sine-rnn trace ({})".format(e))
                if report and verdict == "IDENTICAL":
                    verdict = "DIFFERENT"
                for line in report or ["  no difference in the traced steps" +
                                       ("" if verdict == "IDENTICAL" else " (see the notes above)")]:
                    print(line)
            print("  verdict: {}\n".format(verdict))
            verdicts.append((config, verdict))
            sys.stdout.flush()

    print("summary ({} configurations, device {} against {}, tolerance {}):".format(
        len(verdicts), args.device, args.baseline, args.tolerance))
    for config, verdict in verdicts:
        print("  {:<14} {}".format(verdict, config))
    if any(v == "CANNOT COMPARE" for _, v in verdicts):
        untried = len(configs) - len(verdicts)
        return cannot_compare("{} of {} configurations could not run on both sides{}".format(
            sum(v == "CANNOT COMPARE" for _, v in verdicts), len(configs),
            "; the other {} were not tried".format(untried) if untried else ""))
    return 1 if any(v == "DIFFERENT" for _, v in verdicts) else 0


if __name__ == "__main__":
    sys.exit(main())
