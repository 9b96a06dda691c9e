#!/usr/bin/env python3
"""Runs scripts/reference.py and the sine-rnn binary on the same configurations and
compares them: stdout byte for byte, exit codes, and every float32 they report
(each epoch's loss, the predictions, the final w1 and w2) bit for bit.

Prints, per configuration, the logged epochs side by side (both losses and the ULPs
between them), the largest difference per array, and a verdict:
  IDENTICAL  same stdout, same exit code, every float32 bit-identical;
  WITHIN     not identical, but every value within --tolerance (relative);
  DIFFERENT  anything else.
Exits 1 if any configuration is DIFFERENT, 2 when a side cannot run at all
("cannot compare: <reason>"). With --trace both sides also trace every step, and
the traces are compared by scripts/compare.py: its report, from `first difference:`
on, names the earliest value that differs. --recorded compares a log recorded
elsewhere instead. Use it through scripts/parity.sh; docs/parity-workbench.md.
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

# Beside this file: the reader and comparer of parity-trace/1, and the one way out.
from compare import LINE_LIMIT, Comparison, Element, Trace, open_input
from guard import Failure, Parser, run

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The configurations the tests cover, shared with tests/parity.rs.
CONFIG_FILE = os.path.join(ROOT, "tests", "parity_configs.txt")
# The float32 arrays of a sine-rnn-run/1 record that are compared.
ARRAYS = ("data", "epoch_losses", "predictions", "w1", "w2")


def cannot(reason):
    """Nothing could be compared: `cannot compare: <reason>`, exit 2."""
    return Failure(reason, 2)


def f32(bits):
    return struct.unpack("<f", struct.pack("<I", int(bits, 16)))[0]


def distance(a_bits, b_bits):
    """(ULPs, relative difference) between two float32 bit patterns, as the
    comparer counts them; a NaN against other bits is infinitely far."""
    if a_bits == b_bits:
        return 0, 0.0
    e = Element("float32", int(a_bits, 16), int(b_bits, 16))
    return (math.inf, math.inf) if e.nan else (e.distance, e.rel)


def f32_step(x, n):
    """x rounded to float32, then moved n float32 ULPs. libtorch multiplies a float32
    gradient by the learning rate as a float32, so a float64 ULP is invisible."""
    bits = struct.unpack("<I", struct.pack("<f", x))[0]
    return struct.unpack("<f", struct.pack("<I", bits + n))[0]


def run_side(who, cmd, json_path, trace_path=None, trace_epochs=None):
    """Runs one side; (the process, its JSON record or None)."""
    if trace_path:
        cmd = cmd + ["--trace", trace_path] + (["--trace-epochs", trace_epochs] if trace_epochs else [])
    proc = subprocess.run(cmd + ["--no-plot", "--json", json_path], capture_output=True)
    record = None
    if os.path.exists(json_path):
        try:
            with open(json_path) as f:
                record = json.load(f)
            for key in ARRAYS:
                if not (isinstance(record.get(key), dict) and "shape" in record[key] and "bits" in record[key]):
                    raise ValueError("no float32 array '{}'".format(key))
        except (ValueError, AttributeError, UnicodeDecodeError) as e:
            raise cannot("the {} side wrote a record that is not a sine-rnn record ({})".format(who, e))
    return proc, record


def compare(left, right, tolerance, show_every, names):
    """The verdict on two sides' runs, and the notes that explain it."""
    (pproc, prec), (rproc, rrec) = left, right
    problems = []
    if prec is None or rrec is None:
        for who, proc, rec in ((names[0], pproc, prec), (names[1], rproc, rrec)):
            if rec is None:
                problems.append("{} wrote no JSON (exit {}): {}".format(
                    who, proc.returncode, proc.stderr.decode(errors="replace").strip()[-400:]))
        return "DIFFERENT", problems
    if pproc.stdout != rproc.stdout:
        problems.append("stdout differs")
    if pproc.returncode != rproc.returncode:
        problems.append("exit codes differ: {} {}, {} {}".format(names[0], pproc.returncode, names[1], rproc.returncode))

    row = "  {:>6}  {:>24}  {:>24}  {:>6}"
    print(row.format("epoch", names[0] + " loss", names[1] + " loss", "ULPs"))
    for i, (pb, rb) in enumerate(zip(prec["epoch_losses"]["bits"], rrec["epoch_losses"]["bits"])):
        if i % show_every == 0:
            print(row.format(i, repr(f32(pb)), repr(f32(rb)), distance(pb, rb)[0]))

    worst_rel, identical = 0.0, not problems
    keys = list(ARRAYS)
    if prec.get("generated", {}).get("bits") or rrec.get("generated", {}).get("bits"):
        keys.append("generated")  # --generate: the closed-loop continuation
    for key in keys:
        pa, ra = prec[key], rrec[key]
        if pa["shape"] != ra["shape"]:
            problems.append("{}: shapes differ, {} {} {} {}".format(key, names[0], pa["shape"], names[1], ra["shape"]))
            identical, worst_rel = False, math.inf
            continue
        pairs = [distance(a, b) for a, b in zip(pa["bits"], ra["bits"])]
        u, r = max((d[0] for d in pairs), default=0), max((d[1] for d in pairs), default=0.0)
        worst_rel = max(worst_rel, r)
        identical = identical and not u
        print("  {:<13} max difference {:>5} ULPs ({:.3g} relative) over {} values".format(
            key + ":", u, r, len(pa["bits"])))
    if identical:
        return "IDENTICAL", problems
    if 0 < tolerance and worst_rel <= tolerance and not any(p.startswith("exit") for p in problems):
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
    flags += [] if any(f == "--device" or f.startswith("--device=") for f in flags) else ["--device", "cpu"]
    flags += [] if "--no-plot" in flags else ["--no-plot"]

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
    (portable, *others), untried = settings(*cpu())
    difference = log_difference(recorded, rust(portable))
    if difference is None:
        print("reproduced as is, with the portable kernels ({}): {} log line{} identical".format(
            words(PORTABLE), len(recorded), "" if len(recorded) == 1 else "s"))
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
    if untried:
        print("  could not try on this CPU: {}".format("; ".join(untried)))
    if any("Intel" in why for why in untried):
        print("  a log recorded with an Intel CPU's own MKL path needs an Intel CPU to reproduce")
    if difference[0] == 0:
        print("  the first line already differs: were the flags of --config {!r} the ones the log was "
              "recorded with?".format(config))
    return 1


def number(kind, check, rule):
    """An argparse type: kind(text), refused unless check(value) holds."""
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is None or not check(value):
            raise argparse.ArgumentTypeError("{}, not '{}'".format(rule, text))
        return value
    return parse


def main():
    p = Parser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--binary", help="the sine-rnn binary (default: target/release/sine-rnn, else sine-rnn on PATH)")
    p.add_argument("--python", default=sys.executable, help="the Python that runs scripts/reference.py")
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    p.add_argument("--baseline", choices=["python", "rust-cpu"], default="python",
                   help="what the binary on --device is compared with: the Python reference on the same device "
                   "(default), or the binary itself on the CPU (CPU-vs-CUDA, with --tolerance)")
    p.add_argument("--tolerance", type=number(float, lambda v: math.isfinite(v) and v >= 0,
                                                         "the tolerance must be a finite number >= 0"),
                   default=0.0, help="largest relative difference reported as WITHIN (default 0: identical or not)")
    p.add_argument("--config", action="append", default=[], metavar="FLAGS",
                   help="a configuration as flags, e.g. '--seed 3 --lr 0.05' (repeatable; default: the test "
                   "configurations, tests/parity_configs.txt)")
    p.add_argument("--seeds", help="comma-separated seeds: adds the default configuration per seed")
    p.add_argument("--perturb-lr-ulps", type=int, default=0,
                   help="give the Rust side a learning rate this many float32 ULPs off (the harness must see it)")
    p.add_argument("--rust-flags", default="", metavar="FLAGS", help="flags for the Rust side only, e.g. "
                   "'--backend tch-manual'")
    p.add_argument("--every", type=number(int, lambda v: v >= 1, "expected a whole number >= 1"), default=10,
                   help="show every n-th epoch in the tables (default 10)")
    p.add_argument("--trace", action="store_true", help="also trace every step on both sides and compare the "
                   "traces: the first value that differs (position, tensor, index)")
    p.add_argument("--trace-epochs", metavar="RANGE", help="with --trace: the epochs to trace, as sine-rnn takes them")
    p.add_argument("--recorded", metavar="FILE", help="a PyTorch stdout recorded elsewhere: compare its log lines "
                   "with the Rust run of --config, then find the kernel setting that reproduces it")
    args = p.parse_args()

    binary = args.binary or os.path.join(ROOT, "target", "release", "sine-rnn")
    if args.binary is None and not os.path.exists(binary):
        binary = "sine-rnn"
    # Absolute, so that a command printed runs as printed, from anywhere.
    binary = os.path.abspath(binary) if os.sep in binary else shutil.which(binary) or binary
    try:
        subprocess.run([binary, "--version"], capture_output=True, check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        raise cannot("the Rust binary {} does not run ({}); build it with cargo build --release".format(
            binary, getattr(e, "strerror", None) or e))
    # Relative paths in a configuration are the caller's: each side runs in this directory.
    configs = args.config
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
    if not configs:
        with open(CONFIG_FILE) as f:
            configs = [line.strip() for line in f if line.strip() and not line.startswith("#")]
    return compare_all(args, binary, configs)


def compare_all(args, binary, configs):
    """Runs and compares every configuration; the exit code."""
    verdicts = []
    with tempfile.TemporaryDirectory(prefix="sine-rnn-parity-") as tmp:
        for n, config in enumerate(configs):
            flags = shlex.split(config) + ["--device", args.device]
            rust_flags = flags + shlex.split(args.rust_flags)
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
            if args.baseline == "python":
                names, left_cmd = ("Python", "Rust"), [args.python, os.path.join(ROOT, "scripts", "reference.py")] + flags
            else:
                names, left_cmd = ("CPU", args.device.upper()), [binary] + shlex.split(config) + ["--device", "cpu"]
            traces = [os.path.join(tmp, "{}{}.jsonl".format(who, n)) if args.trace else None for who in names]
            sides = [run_side(who, cmd, os.path.join(tmp, "{}{}.json".format(who, n)), trace, args.trace_epochs)
                     for who, cmd, trace in zip(names, (left_cmd, [binary] + rust_flags), traces)]
            # A side that refused to start (a usage error: no GPU for --device cuda, a bad flag) was not compared.
            refused = [(who, proc) for who, (proc, rec) in zip(names, sides) if proc.returncode == 2 and rec is None]
            if refused:
                who, proc = refused[0]
                why = (proc.stderr.decode(errors="replace").strip().splitlines() or ["exit 2"])[-1]
                print("  cannot compare: the {} side did not run: {}\n".format(who, why))
                verdicts.append((config, "CANNOT COMPARE"))
                break  # such a refusal holds for the rest too
            produced = [who for who, (proc, rec) in zip(names, sides) if proc.returncode == 0 and rec is None]
            if produced:
                raise cannot("the {} side ran but wrote no record (is {!r} a training run?)".format(
                    produced[0], config))
            try:
                verdict, problems = compare(sides[0], sides[1], args.tolerance, args.every, names)
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
                traced = Comparison(Trace(traces[0]), Trace(traces[1]), names)
                traced.run()
                if traced.identical():
                    print("  no difference in the traced steps: {} positions compared{}".format(
                        traced.positions_compared, "" if verdict == "IDENTICAL" else " (see the notes above)"))
                else:
                    verdict = "DIFFERENT" if verdict == "IDENTICAL" else verdict
                    # The comparer's report, less its verdict and the two temporary files' names.
                    print("\n".join("  " + line for line in traced.report()[4:]))
            print("  verdict: {}\n".format(verdict))
            verdicts.append((config, verdict))

    print("summary ({} configurations, device {} against {}, tolerance {}):".format(
        len(verdicts), args.device, args.baseline, args.tolerance))
    for config, verdict in verdicts:
        print("  {:<14} {}".format(verdict, config))
    failed = sum(v == "CANNOT COMPARE" for _, v in verdicts)
    if failed:
        untried = len(configs) - len(verdicts)
        raise cannot("{} of {} configurations could not run on both sides{}".format(
            failed, len(configs), "; the other {} were not tried".format(untried) if untried else ""))
    return 1 if any(v == "DIFFERENT" for _, v in verdicts) else 0


if __name__ == "__main__":
    run(main, lambda line: print("cannot compare: " + line), code=2)
