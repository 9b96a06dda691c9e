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
import shutil
import struct
import subprocess
import sys
import tempfile

# Beside this file: the reader of parity-trace/1 (this file has a compare() of its own),
# and the one way out.
from compare import LINE_LIMIT, Trace as TraceReader, open_input, read_line
from guard import Failure, Parser, run as guarded

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


def cannot(reason):
    """Nothing could be compared: `cannot compare: <reason>`, exit 2."""
    return Failure(reason, 2)


REQUIRED_KEYS = ("data", "epoch_losses", "predictions", "w1", "w2")


def run(who, cmd, json_path, trace_path=None, trace_epochs=None):
    if trace_path:
        cmd = cmd + ["--trace", trace_path] + (["--trace-epochs", trace_epochs] if trace_epochs else [])
    proc = subprocess.run(cmd + ["--no-plot", "--json", json_path], capture_output=True)
    record = None
    if os.path.exists(json_path):
        try:
            with open(json_path) as f:
                record = json.load(f)
            for key in REQUIRED_KEYS:
                if not (isinstance(record.get(key), dict) and "shape" in record[key] and "bits" in record[key]):
                    raise ValueError("no float32 array '{}'".format(key))
        except (ValueError, AttributeError, UnicodeDecodeError) as e:
            raise cannot("the {} side wrote a record that is not a sine-rnn record ({})".format(who, e))
    return proc, record


def bits_to_float(b):
    return struct.unpack("<f", struct.pack("<I", int(b, 16)))[0]


def trace_lines(path):
    """The steps of the tutorial's trace (scripts/reference.py or sine-rnn --trace),
    read and checked by scripts/compare.py's reader of parity-trace/1, one at a
    time, as {"phase", "epoch", "step", name: [the float32 bit patterns, 8 hex
    digits each]}."""
    trace = TraceReader(path)
    while True:
        record = trace.next()
        if record is None:
            return
        _, (phase, epoch, step), tensors = record
        step_line = {"phase": phase, "epoch": epoch, "step": step}
        for name, t in tensors.items():
            if t["dtype"] != "float32":
                raise ValueError("{}: {} is {}, not float32".format(path, name, t["dtype"]))
            step_line[name] = [t["bits"][k:k + 8] for k in range(0, len(t["bits"]), 8)]
        yield step_line


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
# MKL runs its own AVX2 and AVX-512 paths on Intel processors only: elsewhere it
# falls back, silently, to the portable digits.
MKL_BRANCHES = (("COMPATIBLE", ()), ("AVX2", ("avx2", "fma")),
                ("AVX512", ("avx512f", "avx512bw", "avx512dq", "avx512vl")),
                ("AVX512_E1", ("avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512_vnni")))
ATEN_CAPABILITIES = (("avx2", ("avx2", "fma")), ("avx512", ("avx512f", "avx512bw", "avx512dq", "avx512vl", "fma")),
                     ("default", ()))
PORTABLE = (("MKL_CBWR", "COMPATIBLE"), ("ATEN_CPU_CAPABILITY", "avx2"))


def cpu():
    """This CPU's vendor and feature flags, from /proc/cpuinfo."""
    fields = {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                fields.setdefault(key.strip(), value.strip())
    except OSError:
        pass
    return fields.get("vendor_id", "unknown"), set(fields.get("flags", "").split())


def settings(vendor, flags):
    """The settings --recorded can run here (the portable one first), and why each
    other one cannot really run on this CPU."""
    runnable, untried = [], []
    for mkl, mkl_needs in MKL_BRANCHES:
        for aten, aten_needs in ATEN_CAPABILITIES:
            setting = (("MKL_CBWR", mkl), ("ATEN_CPU_CAPABILITY", aten))
            missing = sorted(set(mkl_needs + aten_needs) - flags)
            if setting == PORTABLE:
                runnable.insert(0, setting)  # always run: the binary's own default
            elif missing:
                untried.append("{} (needs {})".format(words(setting), ", ".join(missing)))
            elif mkl != "COMPATIBLE" and vendor != "GenuineIntel":
                untried.append("{} (needs an Intel CPU: MKL runs its {} path on Intel processors only, and this "
                               "one is {})".format(words(setting), mkl, vendor))
            else:
                runnable.append(setting)
    return runnable, untried


def words(setting):
    return " ".join("{}={}".format(name, value) for name, value in setting)


def log_lines(text):
    """The tutorial's log lines of a stdout, with their line numbers (from 1): only
    complete lines (a log cut mid-line loses its last, partial one), without a
    byte-order mark or the spaces a terminal or an editor may have added."""
    lines = text.split("\n")[:-1]  # what follows the last newline is not a complete line
    return [(n, line.rstrip()) for n, line in enumerate(lines, 1) if line.startswith("Epoch: ")]


def log_difference(recorded, rust_stdout):
    """None when the recorded log lines are Rust's first lines (a log cut short
    still counts), else (line number, `line N: recorded … rust …`)."""
    rust = [line for _, line in log_lines(rust_stdout)]
    for k, (n, line) in enumerate(recorded):
        if k >= len(rust) or rust[k] != line:
            return k, "line {}: recorded {!r} rust {!r}".format(n, line, rust[k] if k < len(rust) else "(no more lines)")
    return None


def read_log(path):
    """The log's text: at most LINE_LIMIT bytes (a log of 1,000,000 epochs is 60 MB)."""
    with open_input(path) as f:
        data = f.read(LINE_LIMIT + 1)
    if len(data) > LINE_LIMIT:
        raise cannot("{} is larger than {} bytes; give the log itself".format(path, LINE_LIMIT))
    return data.decode("utf-8-sig", errors="replace").replace("\r\n", "\n")


def check_recorded(args, binary, config):
    """--recorded: a PyTorch stdout recorded anywhere against the Rust run of one
    configuration, under the portable kernels and then each setting this CPU can run."""
    ignored = [flag for flag, given in (("--device", args.device != "cpu"), ("--baseline", args.baseline != "python"),
                                        ("--tolerance", args.tolerance != 0), ("--rust-flags", args.rust_flags),
                                        ("--perturb-lr-ulps", args.perturb_lr_ulps), ("--trace", args.trace),
                                        ("--trace-epochs", args.trace_epochs)) if given]
    if ignored:
        raise cannot("--recorded compares a log on this CPU with the flags of --config alone; "
                     "leave out {}".format(", ".join(ignored)))
    recorded = log_lines(read_log(args.recorded))
    if not recorded:
        raise cannot("{} holds no complete `Epoch: <i> loss <total>` line".format(args.recorded))
    flags = shlex.split(config)
    if any(f == "--cpu-kernels" or f.startswith("--cpu-kernels=") for f in flags):
        raise cannot("--recorded chooses the CPU kernels itself; leave --cpu-kernels out of --config")
    # The log's own flags, and what the comparison needs that they lack.
    flags += ([] if any(f == "--device" or f.startswith("--device=") for f in flags) else ["--device", "cpu"])
    flags += ([] if "--no-plot" in flags else ["--no-plot"])

    def rust(setting):
        env = {k: v for k, v in os.environ.items() if k not in dict(PORTABLE)}
        env.update(setting)
        return subprocess.run([binary] + flags, capture_output=True, env=env).stdout.decode(errors="replace")

    first = subprocess.run([binary] + flags, capture_output=True)
    if first.returncode == 2 or first.returncode >= 128:
        why = (first.stderr.decode(errors="replace").strip().splitlines() or ["exit {}".format(first.returncode)])[-1]
        raise cannot("sine-rnn did not run with --config {!r}: {}".format(config, why))
    command = " ".join(shlex.quote(f) for f in [binary] + flags)
    rust_lines = len(log_lines(first.stdout.decode(errors="replace")))
    if rust_lines > len(recorded):
        print("note: the log ends after {} of the run's {} lines; those are compared".format(len(recorded), rust_lines))
    portable, *others = settings(*cpu())[0]
    difference = log_difference(recorded, rust(portable))
    if difference is None:
        print("reproduced as is, with the portable kernels ({}): {} log lines identical".format(
            words(PORTABLE), len(recorded)))
        print("  env -u MKL_CBWR -u ATEN_CPU_CAPABILITY {}".format(command))
        return 0
    reproduced = [setting for setting in others if log_difference(recorded, rust(setting)) is None]
    if reproduced:
        # Several settings can compute alike for this network; each of them is named.
        print("not reproduced with the portable kernels ({}): first difference at {}".format(
            words(PORTABLE), difference[1]))
        print("reproduced with: {}".format(words(reproduced[0])))
        print("  {} {}".format(words(reproduced[0]), command))
        for other in reproduced[1:]:
            print("also reproduced with: {}".format(words(other)))
        return 1
    print("not reproduced: first difference at {} (with the portable kernels, and no other setting this CPU "
          "can run reproduces it)".format(difference[1]))
    untried = settings(*cpu())[1]
    if untried:
        print("  could not try on this CPU: {}".format("; ".join(untried)))
    if any("Intel" in why for why in untried):
        print("  a log recorded with an Intel CPU's own MKL path needs an Intel CPU to reproduce")
    if difference[0] == 0:
        print("  the first line already differs: were the flags of --config {!r} the ones the log was "
              "recorded with?".format(config))
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
    p = Parser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
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
    # Absolute, so that a command printed runs as printed, from anywhere.
    binary = os.path.abspath(binary) if os.sep in binary else shutil.which(binary) or binary
    # Each side must be able to run at all, or there is nothing to compare.
    try:
        subprocess.run([binary, "--version"], capture_output=True, check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        raise cannot("the Rust binary {} does not run ({}); build it with cargo build --release".format(
            binary, getattr(e, "strerror", None) or e))
    # Relative paths in a configuration are the caller's: each side runs in this directory.
    configs = list(args.config or [])
    if any(not c.strip() for c in configs):
        raise cannot("--config: an empty configuration; give flags such as \"--seed 3\" (the tutorial's own is "
                     "\"--seed 0\")")
    for flag, value in [("--config", c) for c in configs] + [("--rust-flags", args.rust_flags)]:
        try:
            shlex.split(value)
        except ValueError as e:
            raise cannot("{} {}: {}".format(flag, json.dumps(value), e))
    if args.recorded is not None:
        if len(configs) != 1 or args.seeds:
            raise cannot("--recorded needs exactly one --config \"FLAGS\", the flags the log was recorded with")
        return check_recorded(args, binary, configs[0])
    if args.baseline == "python":
        try:
            probe = subprocess.run([args.python, "-c", "import torch, numpy, safetensors"], capture_output=True)
            failed = probe.returncode != 0
            last = (probe.stderr.decode(errors="replace").strip().splitlines() or ["it did not start"])[-1]
        except OSError as e:
            failed, last = True, e.strerror
        if failed:
            raise cannot("the Python reference cannot run with {} ({}); run scripts/fetch_libtorch.sh "
                         "--python".format(args.python, last))
    if args.trace_epochs is not None and not args.trace:
        raise cannot("--trace-epochs needs --trace")
    if args.seeds is not None:
        seeds = [s.strip() for s in args.seeds.split(",") if s.strip()]
        if not seeds:
            raise cannot("--seeds: no seed in '{}'; give seeds such as 0,1,2".format(args.seeds))
        configs += ["--seed {}".format(s) for s in seeds]
    return compare_all(args, binary, configs or default_configs())


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
                    raise cannot("--perturb-lr-ulps {0}: the configuration {1!r} has no --lr that can be moved "
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
                raise cannot("the {} side ran but wrote no record (is {!r} a training run?)".format(
                    produced[0], config))
            try:
                verdict, problems = compare(left, right, args.tolerance, max(args.every, 1), names)
            except (TypeError, ValueError, AttributeError, KeyError) as e:
                raise cannot("a record is not a sine-rnn record ({}: {})".format(type(e).__name__, e))
            for problem in problems:
                print("  note: " + problem)
            # With --trace the traces are compared always: equal records do not make
            # equal steps (the sign of a zero gradient, say).
            if args.trace:
                missing = [who for who, t in zip(names, traces) if not os.path.exists(t)]
                if missing:
                    raise cannot("the {} side wrote no trace".format(missing[0]))
                try:
                    report = first_difference(traces[0], traces[1], names)
                except (ValueError, KeyError, TypeError, AttributeError) as e:
                    raise cannot("a trace is not a sine-rnn trace ({})".format(e))
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
        raise cannot("{} of {} configurations could not run on both sides{}".format(
            sum(v == "CANNOT COMPARE" for _, v in verdicts), len(configs),
            "; the other {} were not tried".format(untried) if untried else ""))
    return 1 if any(v == "DIFFERENT" for _, v in verdicts) else 0


if __name__ == "__main__":
    guarded(main, lambda line: print("cannot compare: " + line), code=2)
