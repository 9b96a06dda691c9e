#!/usr/bin/env python3
"""The PyTorch sine-wave Elman RNN tutorial, as the Python reference for sine-rnn.

Written for PyTorch 2.13 and kept as close to the original tutorial as current
PyTorch allows; the only changes to the algorithm's code: `init.normal(w, 0.0, std)`
-> `w.normal_(0.0, std)`, `total_loss.data[0]` -> `total_loss.item()`, `Variable(t.data)`
-> `t.detach()`, and the weight update under `torch.no_grad()` instead of `.data`.
Everything else is the binary's scaffolding: the same flags, each taken once with
the same values (only --backend is the binary's alone; the plot's default name is
sine_wave_python.png), the same stdout, JSON record, trace and safetensors files
(docs/parity-workbench.md), and exit codes (0, 1 a run-time failure, 2 a usage
error, 3 diverged). Every failure is one line, `reference.py: error: ...`.

    scripts/python scripts/reference.py [flags]
"""

import argparse
import json
import math
import os
import re
import stat
import struct
import sys
import tempfile
import time

from guard import Failure, Parser, run

# The same CPU kernels on every x86-64 machine with AVX2: libtorch reads these when
# it first needs them, so they are set before torch is imported. A value already in
# the environment wins; --cpu-kernels machine leaves both to libtorch, as a plain
# `python` run does.
PORTABLE_KERNELS = (("MKL_CBWR", "COMPATIBLE"), ("ATEN_CPU_CAPABILITY", "avx2"))

EXIT_DIVERGED = 3
# sine-rnn's limits; --generate takes up to MAX_SEQ_LENGTH, --log-every up to
# MAX_EPOCHS. tests/parity.rs walks every edge through both programs.
MAX_HIDDEN_SIZE, MAX_SEQ_LENGTH, MAX_EPOCHS = 4096, 1_000_000, 10_000_000
# The flags that take a path: as for the binary, their value never starts with `-`
# (a file named -5 is ./-5), except `-` itself, stdout.
PATH_FLAGS = ("--plot", "--loss-plot", "--json", "--init-weights", "--save-weights", "--trace")


def usage(message):
    return Failure(message, 2)


def say(line):
    print("reference.py: " + line, file=sys.stderr)


def check_argv(argv):
    """What the binary refuses and argparse would take: a flag given twice, and a
    path flag followed by something that looks like a (negative number) flag."""
    seen = set()
    for arg, following in zip(argv, argv[1:] + [None]):
        if arg == "--":
            break
        name = arg.split("=", 1)[0]
        if arg.startswith("--") and name in seen:
            raise usage("the argument '{}' cannot be used multiple times".format(name))
        seen.add(name if arg.startswith("--") else None)
        if arg in PATH_FLAGS and following and following.startswith("-") and following != "-":
            raise usage("unexpected argument '{}' found".format(following))


def cpu_kernels(choice):
    """Sets the portable kernels unless --cpu-kernels machine; then the header's
    words for the kernels and the notes after it, as sine-rnn prints them. A value
    that is not ASCII is refused: no setting is spelled so, and torch cannot even
    report it."""
    for name, value in PORTABLE_KERNELS:
        if not os.environb.get(name.encode(), b"").isascii():
            raise usage("{} in the environment is not ASCII text; unset it or give a value such as {}".format(
                name, value))
    from_user = [name for name, _ in PORTABLE_KERNELS if name in os.environ]
    if choice != "machine":
        for name, value in PORTABLE_KERNELS:
            os.environ.setdefault(name, value)
    values = [(name, os.environ.get(name), portable) for name, portable in PORTABLE_KERNELS]
    settings = ", ".join("{} unset".format(n) if v is None else
                         "{}={}{}".format(n, v, " from the environment" if n in from_user else "")
                         for n, v, _ in values)
    notes = []
    if choice == "portable":
        notes = ["{0}={1} from the environment wins over the portable {0}={2}; the digits may differ from "
                 "other machines'".format(n, v, p) for n, v, p in values if v != p]
        choice = "portable, overridden" if notes else choice
        try:
            with open("/proc/cpuinfo") as f:
                flags = next((l.split(":", 1)[1].split() for l in f if l.startswith("flags")), [])
        except OSError:
            flags = []
        if not {"avx2", "fma"} <= set(flags):
            notes.append("this CPU has no AVX2, so libtorch cannot use the portable kernels: the digits may "
                         "differ from other machines'")
    return "CPU kernels {} ({})".format(choice, settings), notes


def forward(input, context_state, w1, w2):
    # Step 4: concatenate input and context, new context = tanh(xh . w1), out = context . w2.
    xh = torch.cat((input, context_state), 1)
    context_state = torch.tanh(xh.mm(w1))
    out = context_state.mm(w2)
    return (out, context_state)


def train(args, device, outputs):
    # Step 2: hyper-parameters and data.
    dtype = torch.float32
    input_size, hidden_size, output_size = args.hidden_size + 1, args.hidden_size, 1
    epochs, seq_length, lr = args.epochs, args.seq_length, args.lr

    time_steps = np.linspace(2, 10, seq_length + 1)
    data = np.sin(time_steps)
    data.resize((seq_length + 1, 1))
    x = torch.Tensor(data[:-1]).type(dtype).to(device)
    y = torch.Tensor(data[1:]).type(dtype).to(device)

    # Step 3: weights, drawn on the CPU after manual_seed (w1 first), then moved;
    # or, with --init-weights, read from a safetensors file instead of drawn.
    torch.manual_seed(args.seed)
    w1 = torch.FloatTensor(input_size, hidden_size).type(dtype)
    w1.normal_(0.0, 0.4)
    w2 = torch.FloatTensor(hidden_size, output_size).type(dtype)
    w2.normal_(0.0, 0.3)
    if args.init:
        w1, w2 = args.init["w1"], args.init["w2"]
    w1 = w1.to(device).requires_grad_(True)
    w2 = w2.to(device).requires_grad_(True)

    # Step 5: training.
    trace = None
    if args.trace:
        start, stop = args.trace_epochs or (0, None)
        meta = {"backend": "pytorch", "config": config_json(args), "device": "cuda:0" if device == "cuda" else device,
                "init": "seed" if args.init_weights is None else args.init_weights, "epochs": [start, stop]}
        trace = parity_trace.Tracer(outputs["--trace"], program="reference.py", meta=meta)
    losses = []
    started = time.perf_counter()
    for i in range(epochs):
        total_loss = 0
        context_state = torch.zeros((1, hidden_size), dtype=dtype, device=device, requires_grad=True)
        for j in range(x.size(0)):
            input = x[j:(j + 1)]
            target = y[j:(j + 1)]
            context_in = context_state  # kept for --trace
            (pred, context_state) = forward(input, context_state, w1, w2)
            loss = (pred - target).pow(2).sum() / 2
            total_loss += loss
            loss.backward()
            with torch.no_grad():
                w1 -= lr * w1.grad
                w2 -= lr * w2.grad
            if trace and start <= i and (stop is None or i < stop):
                trace.record(("train", i, j), input=input, context_in=context_in, context=context_state,
                             pred=pred, loss=loss, grad_w1=w1.grad, grad_w2=w2.grad, w1=w1, w2=w2)
            w1.grad.zero_()
            w2.grad.zero_()
            context_state = context_state.detach()
        total = total_loss.item()
        losses.append(total)
        if i % args.log_every == 0:
            print("Epoch: {} loss {}".format(i, total))
    sys.stdout.flush()
    train_secs = time.perf_counter() - started

    context_state = torch.zeros((1, hidden_size), dtype=dtype, device=device, requires_grad=False)
    predictions = []
    for i in range(x.size(0)):
        input = x[i:i + 1]
        (pred, context_state) = forward(input, context_state, w1, w2)
        predictions.append(pred.data.cpu().numpy().ravel()[0])
    # --generate: from the context the prediction pass left, feed the last real
    # point in, then each prediction back in (closed loop).
    generated = []
    if args.generate > 0 and all(math.isfinite(l) for l in losses) and all(math.isfinite(float(p)) for p in predictions):
        with torch.no_grad():
            input = y[-1:]
            for _ in range(args.generate):
                (pred, context_state) = forward(input, context_state, w1, w2)
                generated.append(pred.cpu().numpy().ravel()[0])
                input = pred
    steps = max(epochs * seq_length, 1)
    say("trained {} epochs x {} points in {:.6f} s ({:.2f} us per step)".format(
        epochs, seq_length, train_secs, 1e6 * train_secs / steps))

    if trace:
        outputs["--trace"].commit("the trace")
    if args.save_weights:
        if all(torch.isfinite(w).all() for w in (w1, w2)):
            import safetensors.torch
            tensors = {"w1": w1.detach().cpu(), "w2": w2.detach().cpu()}
            outputs["--save-weights"].write(safetensors.torch.save(tensors, metadata={"written_by": "reference.py"}))
            outputs["--save-weights"].commit()
        else:
            say("the weights are not finite; not saved to {}".format(args.save_weights))
    if args.json:
        record = {
            "format": "sine-rnn-run/1",
            "program": "reference.py",
            "backend": "pytorch",
            "config": config_json(args),
            "libtorch_version": torch.__version__,
            "device": str(torch.device(device)) if device == "cpu" else "cuda:0",
            "time_steps": [float(t) for t in time_steps],
            "data": f32_array(data.astype(np.float32).ravel()),
            "epoch_losses": f32_array(np.array(losses, dtype=np.float32)),
            "predictions": f32_array(np.array(predictions, dtype=np.float32)),
            "w1": f32_array(w1.detach().cpu().numpy()),
            "w2": f32_array(w2.detach().cpu().numpy()),
            "generated": f32_array(np.array(generated, dtype=np.float32)),
        }
        outputs["--json"].write(json.dumps(record, indent=2) + "\n")
        outputs["--json"].commit("the record")

    bad = [i for i, l in enumerate(losses) if not math.isfinite(l)]
    if bad or not all(math.isfinite(float(p)) for p in predictions):
        where = "at epoch {}".format(bad[0]) if bad else "in the predictions"
        say("the loss stopped being finite {}: training diverged; no plot written".format(where))
        return EXIT_DIVERGED

    # Step 6: the plot.
    if not args.no_plot or args.loss_plot:
        import matplotlib
        matplotlib.use("Agg")  # write a file, open no window
        import matplotlib.pyplot as pl
    if not args.no_plot:
        pl.scatter(time_steps[:-1], x.cpu().numpy(), s=90, label="Actual")
        pl.scatter(time_steps[1:], predictions, label="Predicted")
        finite = [g for g in generated if math.isfinite(float(g))]
        if finite:
            step = (time_steps[-1] - time_steps[0]) / seq_length
            later = [(seq_length + 1 + k) * step + time_steps[0] for k in range(len(finite))]
            pl.plot(later, np.sin(later), color="0.7", label="sin(t) past the data")
            pl.scatter(later, finite, marker="^", label="Generated (closed loop)")
        pl.xlabel("t")
        pl.ylabel("sin(t)")
        pl.legend()
        save(pl, outputs["--plot"])
    if args.loss_plot:
        pl.figure()
        pl.semilogy(range(len(losses)), losses, marker="o" if len(losses) == 1 else None)
        pl.xlabel("epoch")
        pl.ylabel("total loss (log scale)")
        pl.title("Total loss per epoch")
        save(pl, outputs["--loss-plot"])
    return 0


def read_weights(path, hidden):
    """--init-weights: w1 [hidden+1, hidden] and w2 [hidden, 1], float32 and finite,
    read with the safetensors package (the reader the binary's crate is); only the
    two tensors are loaded, after their types and shapes are checked."""
    from safetensors import SafetensorError, safe_open

    if path == "":
        raise usage("--init-weights: the path is empty")
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise usage("--init-weights: {} does not exist".format(path))
    except OSError as e:
        raise usage("--init-weights: cannot read {} ({})".format(path, e.strerror))
    if stat.S_ISDIR(mode):
        raise usage("--init-weights: {} is a directory, not a safetensors file".format(path))
    if not stat.S_ISREG(mode):  # a FIFO would wait for a writer, a device never end
        raise usage("--init-weights: {} is not a regular file (a FIFO or a device), so not a safetensors "
                    "file".format(path))
    out = {}
    try:
        with safe_open(path, framework="pt") as f:
            names = sorted(f.keys())
            for key, shape in (("w1", [hidden + 1, hidden]), ("w2", [hidden, 1])):
                if key not in names:
                    raise usage("--init-weights: {} has no tensor '{}' (it holds{})".format(
                        path, key, ": " + ", ".join(names) if names else " no tensors"))
                info = f.get_slice(key)
                if info.get_dtype() != "F32":
                    raise usage("--init-weights: {}: '{}' is {}, but the weights must be float32 (F32)".format(
                        path, key, info.get_dtype()))
                if info.get_shape() != shape:
                    raise usage("--init-weights: {}: '{}' has shape {}, but --hidden-size {} needs {}".format(
                        path, key, info.get_shape(), hidden, shape))
                out[key] = f.get_tensor(key)
    except SafetensorError as e:
        why = str(e).replace("Error while deserializing header: ", "")
        raise usage("--init-weights: {} is not a safetensors file ({})".format(path, why))
    except OSError as e:
        raise usage("--init-weights: cannot read {} ({})".format(path, e.strerror or e))
    for key, t in out.items():
        bad = (~torch.isfinite(t)).flatten().nonzero()
        if len(bad):
            k = int(bad[0])
            raise usage("--init-weights: {}: '{}' holds {} at index {}; weights must be finite".format(
                path, key, float(t.flatten()[k]), k))
    return out


class Output:
    """One output, written as the binary writes it. A file goes into a temporary file
    in its directory (the directory of the file a symlink points to), renamed over it
    by commit() and removed on any failure, so that nothing half-written or temporary
    is ever left. `-`, the run's own stdout by another name, and what is not a
    regular file (a FIFO, /dev/null) are written at commit(), from memory. Made
    before training, so that a target that cannot be written stops the run at once."""

    pending = []  # temporary files not yet in place, removed should the run fail

    def __init__(self, flag, path):
        if path == "":
            raise usage("{}: the path is empty".format(flag))
        self.flag, self.path, self.tmp, self.chunks = flag, path, None, []
        try:
            target = os.stat(path)
        except OSError:
            target = None
        if target and os.path.samestat(target, os.fstat(1)):
            self.path = "-"
        if self.path == "-" or (target and not stat.S_ISREG(target.st_mode) and not stat.S_ISDIR(target.st_mode)):
            return
        self.real = os.path.realpath(path)
        if path.endswith("/") or os.path.isdir(self.real):
            raise usage("{}: {} is a directory; give a file name".format(flag, path))
        try:
            fd, self.tmp = tempfile.mkstemp(dir=os.path.dirname(self.real),
                                            prefix="." + os.path.basename(self.real) + ".", suffix=".tmp")
        except OSError as e:
            raise usage("{}: cannot write {} ({})".format(flag, path, e.strerror))
        Output.pending.append(self)
        self.file = os.fdopen(fd, "wb")
        umask = os.umask(0o022)  # read, and put back: a new file is 0666 less the umask (mkstemp's is 0600)
        os.umask(umask)
        os.fchmod(fd, target.st_mode & 0o7777 if target else 0o666 & ~umask)

    def _io(self, call, *args):
        try:
            return call(*args)
        except OSError as e:
            raise Failure("cannot write {} {}: {}".format(self.flag, self.path, e.strerror or e))

    def write(self, data):
        """bytes or text (the trace's lines, as a text stream takes them)."""
        data = data.encode() if isinstance(data, str) else data
        if self.tmp:
            self._io(self.file.write, data)
        else:
            self.chunks.append(data)

    def flush(self):
        pass  # written out at commit()

    def commit(self, what=None):
        if self.tmp:
            self._io(self.file.close)
            self._io(os.replace, self.tmp, self.real)
            Output.pending.remove(self)
        elif self.path == "-":
            sys.stdout.write(b"".join(self.chunks).decode())
            sys.stdout.flush()
        else:
            with self._io(open, self.path, "ab") as f:  # a FIFO or a device: never replaced
                self._io(f.write, b"".join(self.chunks))
        say("wrote {}".format("{} to stdout".format(what) if self.path == "-" and what else self.path))

    @staticmethod
    def discard_pending():
        for out in Output.pending:
            os.unlink(out.tmp)
            try:
                out.file.close()
            except OSError:
                pass  # what was left to flush (a full disk, a size limit) goes with the file
        Output.pending.clear()


def save(pl, out):
    """Renders the current figure in memory, then writes it as any output."""
    import io
    buf = io.BytesIO()
    pl.savefig(buf, format=os.path.splitext(out.path)[1].lower().lstrip(".") or "png")
    out.write(buf.getvalue())
    out.commit()


def config_json(args):
    return {"seed": args.seed, "epochs": args.epochs, "lr": args.lr, "seq_length": args.seq_length,
            "hidden_size": args.hidden_size, "input_size": args.hidden_size + 1, "output_size": 1}


def f32_array(a):
    """A float32 array stored exactly: bit patterns in hex beside readable decimals."""
    flat = np.asarray(a, dtype=np.float32)
    return {
        "shape": list(flat.shape),
        "bits": ["{:08x}".format(int(b)) for b in flat.ravel().view(np.uint32)],
        "values": [float(v) if math.isfinite(float(v)) else None for v in flat.ravel()],
    }


# --- the flags' values, as sine-rnn (src/cli.rs) takes them ----------------

# A float as Rust's f64::from_str reads it (no `_`, no hex, `inf`, `infinity` and
# `nan` in any case), a whole number as i64::from_str (ASCII digits, an optional
# sign, no spaces). The seed and the learning rate are read after Rust's str::trim,
# which strips exactly the characters of Unicode's White_Space.
RUST_FLOAT = re.compile(r"[+-]?(inf|infinity|nan|([0-9]+\.?[0-9]*|\.[0-9]+)(e[+-]?[0-9]+)?)",
                        re.IGNORECASE | re.ASCII)
RUST_INT = re.compile(r"[+-]?[0-9]+")
UNSIGNED = re.compile(r"\+?[0-9]+")
RUST_WHITESPACE = "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009" \
                  "\u200a\u2028\u2029\u202f\u205f\u3000"


def whole(t):
    """int(t) for t in RUST_INT's form, however many digits (Python's int() refuses
    more than 4300): anything past 30 digits is only known to be beyond every limit."""
    digits = t.lstrip("+-").lstrip("0")
    return int(t) if len(digits) <= 30 else (-1 if t.startswith("-") else 1) * 10**31


def learning_rate(s):
    """--lr: finite and > 0, and neither 0 nor infinite once rounded to float32, the
    type libtorch multiplies the gradients by it in."""
    t = s.strip(RUST_WHITESPACE)
    if not RUST_FLOAT.fullmatch(t):
        raise argparse.ArgumentTypeError("expected a number such as 0.1")
    v = float(t)
    if not (math.isfinite(v) and v > 0):
        raise argparse.ArgumentTypeError("the learning rate must be a finite number > 0, such as 0.1")
    try:  # rounds to the nearest float32; OverflowError where that is infinite
        single = struct.unpack("<f", struct.pack("<f", v))[0]
    except OverflowError:
        single = math.inf
    if single == 0 or math.isinf(single):
        raise argparse.ArgumentTypeError(
            "the learning rate {} is {} in float32, which libtorch computes in; the {} it takes is {}".format(
                t, *(("0", "smallest", "1e-45") if single == 0 else ("infinite", "largest", "3.4028235e38"))))
    return v


def seed(s):
    """--seed: a whole number from 0 to 2^64-1."""
    t = s.strip(RUST_WHITESPACE)
    if not UNSIGNED.fullmatch(t) or whole(t) >= 2**64:
        raise argparse.ArgumentTypeError("the seed must be a whole number from 0 to {}".format(2**64 - 1))
    return int(t)


def count(lo, hi):
    """A whole number in lo..=hi, as sine-rnn's count() takes it."""
    def parse(s):
        if not RUST_INT.fullmatch(s):
            raise argparse.ArgumentTypeError("'{}' is not a whole number".format(s))
        if not lo <= whole(s) <= hi:
            raise argparse.ArgumentTypeError("{} is not in {}..={}".format(s, lo, hi))
        return int(s)
    return parse


def epoch_range(s):
    """--trace-epochs: A..B (B excluded), A..=B, A.., ..B or N; ASCII digits only,
    each epoch below the most --epochs allows; (start, stop), stop None for "to the end"."""
    def num(t, default=None):
        t = t.strip()
        if not t and default is not None:
            return default
        if not UNSIGNED.fullmatch(t):
            raise argparse.ArgumentTypeError("expected epochs as A..B, A..=B, A.., ..B or N (e.g. 10..20), "
                                             "not '{}'".format(s))
        if whole(t) >= MAX_EPOCHS:
            raise argparse.ArgumentTypeError("the epochs of a run are 0 to {} at most, not '{}'".format(
                MAX_EPOCHS - 1, s))
        return int(t)
    if "..=" in s:
        a, b = s.split("..=", 1)
        r = (num(a, 0), num(b) + 1)
    elif ".." in s:
        a, b = s.split("..", 1)
        r = (num(a, 0), num(b) if b.strip() else None)
    else:
        r = (num(s), num(s) + 1)
    if r[1] is not None and r[0] >= r[1]:
        raise argparse.ArgumentTypeError("the epoch range {} is empty".format(s))
    return r


def plot_path(s):
    if os.path.splitext(s)[1].lower() not in (".png", ".svg"):
        raise argparse.ArgumentTypeError("the plot path must end in .png or .svg")
    return s


def main():
    argv = sys.argv[1:]
    check_argv(argv)
    p = Parser(description="The PyTorch sine-wave Elman RNN tutorial (reference for sine-rnn).")
    p.add_argument("--seed", type=seed, default=0)
    p.add_argument("--epochs", type=count(0, MAX_EPOCHS), default=300)
    p.add_argument("--lr", type=learning_rate, default=0.1)
    p.add_argument("--seq-length", type=count(1, MAX_SEQ_LENGTH), default=20)
    p.add_argument("--hidden-size", type=count(1, MAX_HIDDEN_SIZE), default=6)
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    p.add_argument("--plot", type=plot_path, default="sine_wave_python.png")  # sine-rnn's is sine_wave.png
    p.add_argument("--no-plot", action="store_true")
    p.add_argument("--json")
    p.add_argument("--generate", type=count(0, MAX_SEQ_LENGTH), default=0)
    p.add_argument("--log-every", type=count(1, MAX_EPOCHS), default=10)
    p.add_argument("--loss-plot", type=plot_path)
    p.add_argument("--init-weights")
    p.add_argument("--save-weights")
    p.add_argument("--trace")
    p.add_argument("--trace-epochs", type=epoch_range)
    p.add_argument("--cpu-kernels", choices=["portable", "machine"], default="portable")
    args = p.parse_args(argv)
    if args.trace_epochs is not None and not args.trace:
        raise usage("--trace-epochs needs --trace")
    if args.trace_epochs is not None and args.trace_epochs[0] >= args.epochs:
        trained = "trains no epoch (--epochs 0)" if args.epochs == 0 else "trains epochs 0 to {}".format(args.epochs - 1)
        raise usage("--trace-epochs: the range starts at epoch {}, but this run {}".format(
            args.trace_epochs[0], trained))
    if args.save_weights == "-":
        raise usage("--save-weights: safetensors is binary, so it does not go to stdout; give a file name "
                    "(for a file named -, write ./-)")
    header, notes = cpu_kernels(args.cpu_kernels)
    try:
        paths = {flag: getattr(args, flag[2:].replace("-", "_")) for flag in PATH_FLAGS if flag != "--init-weights"}
        paths["--plot"] = None if args.no_plot else args.plot
        outputs = {flag: Output(flag, path) for flag, path in paths.items() if path is not None}

        # Step 1: imports.
        global np, torch, parity_trace
        import numpy as np
        import torch

        import parity_trace  # beside this file: the trace format both programs write

        args.init = read_weights(args.init_weights, args.hidden_size) if args.init_weights is not None else None
        if args.device == "cuda" and not torch.cuda.is_available():
            raise usage("--device cuda: no usable NVIDIA GPU found; use --device cpu or --device auto")
        device = "cuda" if args.device == "cuda" or (args.device == "auto" and torch.cuda.is_available()) else "cpu"
        say("torch {}, device {}, {}".format(torch.__version__, device, header))
        for note in notes:
            say(note)
        return train(args, device, outputs)
    finally:
        Output.discard_pending()


if __name__ == "__main__":
    run(main, lambda line: say("error: " + line))
