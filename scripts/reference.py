#!/usr/bin/env python3
"""The PyTorch sine-wave Elman RNN tutorial, as the Python reference for sine-rnn.

Written for PyTorch 2.13 and kept as close to the original tutorial as current
PyTorch allows. The only changes to the algorithm's code:
  * `init.normal(w, 0.0, std)` -> `w.normal_(0.0, std)` (the old name is deprecated);
  * `total_loss.data[0]` -> `total_loss.item()` (indexing a 0-dim tensor fails);
  * `Variable(t.data)` -> `t.detach()` (Variable is a no-op wrapper since 0.4);
  * the weight update runs under `torch.no_grad()` instead of through `.data`.
Everything else is scaffolding shared with the Rust binary: the same flags
(--seed --epochs --lr --seq-length --hidden-size --device --plot --no-plot --json
--generate --loss-plot; only --backend is the binary's alone), the same stdout, the
same JSON record, the same exit codes. --trace, --trace-epochs, --save-weights and
--init-weights write and read the formats sine-rnn does (docs/parity-workbench.md).

Run it with the environment that scripts/fetch_libtorch.sh made:
    ~/.cache/sine-rnn/venv-torch-2.13.0/bin/python scripts/reference.py [flags]
(or scripts/python scripts/reference.py, which finds that environment).
"""

import argparse
import json
import math
import os
import sys
import tempfile
import time

# The same CPU kernels on every x86-64 machine with AVX2 (src/support/kernels.rs):
# libtorch reads these when it first needs them, so they are set before torch is
# imported. A value already in the environment wins; --cpu-kernels machine leaves
# both to libtorch, as a plain `python` run does.
PORTABLE_KERNELS = (("MKL_CBWR", "COMPATIBLE"), ("ATEN_CPU_CAPABILITY", "avx2"))


def pin_cpu_kernels(argv):
    """Sets the portable kernels unless argv asks for the machine's; returns the
    choice and the variables that came from the user's environment."""
    machine = any(a == "--cpu-kernels=machine" or (a == "--cpu-kernels" and b == "machine")
                  for a, b in zip(argv, argv[1:] + [""]))
    from_user = [name for name, _ in PORTABLE_KERNELS if name in os.environ]
    if not machine:
        for name, value in PORTABLE_KERNELS:
            os.environ.setdefault(name, value)
    return ("machine" if machine else "portable"), from_user


def describe_kernels(choice, from_user):
    """The header's words for the kernels and the notes after it, as sine-rnn
    prints them."""
    values = [(name, os.environ.get(name)) for name, _ in PORTABLE_KERNELS]
    settings = ", ".join("{} unset".format(n) if v is None else
                         "{}={}{}".format(n, v, " from the environment" if n in from_user else "")
                         for n, v in values)
    notes = []
    if choice == "portable":
        overridden = [(n, v, p) for (n, v), (_, p) in zip(values, PORTABLE_KERNELS) if v != p]
        choice = "portable, overridden" if overridden else choice
        for n, v, p in overridden:
            notes.append("{}={} from the environment wins over the portable {}={}; the digits may differ "
                         "from other machines'".format(n, v, n, p))
        try:
            with open("/proc/cpuinfo") as f:
                flags = next((l.split(":", 1)[1].split() for l in f if l.startswith("flags")), [])
        except OSError:
            flags = []
        if not {"avx2", "fma"} <= set(flags):
            notes.append("this CPU has no AVX2, so libtorch cannot use the portable kernels: the digits may "
                         "differ from other machines'")
    return "CPU kernels {} ({})".format(choice, settings), notes


KERNELS = pin_cpu_kernels(sys.argv[1:])

# Step 1: imports.
import numpy as np
import torch

EXIT_RUNTIME, EXIT_USAGE, EXIT_DIVERGED = 1, 2, 3
MAX_HIDDEN_SIZE, MAX_SEQ_LENGTH = 4096, 1_000_000


def forward(input, context_state, w1, w2):
    # Step 4: concatenate input and context, new context = tanh(xh . w1), out = context . w2.
    xh = torch.cat((input, context_state), 1)
    context_state = torch.tanh(xh.mm(w1))
    out = context_state.mm(w2)
    return (out, context_state)


def run(args, device):
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
        w1, w2 = (torch.from_numpy(args.init[k]) for k in ("w1", "w2"))
    w1 = w1.to(device).requires_grad_(True)
    w2 = w2.to(device).requires_grad_(True)

    # Step 5: training.
    trace = Trace(args.trace, args, device) if args.trace else None
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
            if trace and trace.wants(i):
                trace.step("train", i, j, [input, context_in, context_state, pred, loss, w1.grad, w2.grad, w1, w2])
            w1.grad.zero_()
            w2.grad.zero_()
            context_state = context_state.detach()
        total = total_loss.item()
        losses.append(total)
        if i % 10 == 0:
            print("Epoch: {} loss {}".format(i, total))
    sys.stdout.flush()
    train_secs = time.perf_counter() - started

    context_state = torch.zeros((1, hidden_size), dtype=dtype, device=device, requires_grad=False)
    predictions = []
    for i in range(x.size(0)):
        input = x[i:i + 1]
        context_in = context_state  # kept for --trace
        (pred, context_state) = forward(input, context_state, w1, w2)
        context_state = context_state
        predictions.append(pred.data.cpu().numpy().ravel()[0])
        if trace:
            trace.step("predict", epochs, i, [input, context_in, context_state, pred])
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
    print("reference.py: trained {} epochs x {} points in {:.6f} s ({:.2f} us per step)".format(
        epochs, seq_length, train_secs, 1e6 * train_secs / steps), file=sys.stderr)

    if trace:
        trace.finish()
    if args.save_weights:
        if all(np.isfinite(w.detach().cpu().numpy()).all() for w in (w1, w2)):
            import safetensors.numpy
            tensors = {"w1": w1.detach().cpu().numpy(), "w2": w2.detach().cpu().numpy()}
            write_atomic(args.save_weights, safetensors.numpy.save(tensors, metadata={"written_by": "reference.py"}))
            print("reference.py: wrote {}".format(args.save_weights), file=sys.stderr)
        else:
            print("reference.py: the weights are not finite; not saved to {}".format(args.save_weights),
                  file=sys.stderr)
    if args.json:
        record = {
            "format": "sine-rnn-run/1",
            "program": "reference.py",
            "backend": "pytorch",
            "config": {"seed": args.seed, "epochs": epochs, "lr": lr, "seq_length": seq_length,
                       "hidden_size": hidden_size, "input_size": input_size, "output_size": output_size},
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
        write_atomic(args.json, json.dumps(record, indent=2).encode())
        print("reference.py: wrote {}".format(args.json), file=sys.stderr)

    bad = [i for i, l in enumerate(losses) if not math.isfinite(l)]
    if bad or not all(math.isfinite(float(p)) for p in predictions):
        where = "at epoch {}".format(bad[0]) if bad else "in the predictions"
        print("reference.py: the loss stopped being finite {}: training diverged; no plot written".format(where),
              file=sys.stderr)
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
        save(pl, args.plot)
    if args.loss_plot:
        pl.figure()
        pl.semilogy(range(len(losses)), losses, marker="o" if len(losses) == 1 else None)
        pl.xlabel("epoch")
        pl.ylabel("total loss (log scale)")
        pl.title("Total loss per epoch")
        save(pl, args.loss_plot)
    return 0


def save(pl, path):
    """Renders the current figure in memory and writes it atomically."""
    import io
    buf = io.BytesIO()
    pl.savefig(buf, format=os.path.splitext(path)[1].lower().lstrip("."))
    write_atomic(path, buf.getvalue())
    print("reference.py: wrote {}".format(path), file=sys.stderr)


TRACE_NAMES = {
    "train": ["input", "context_in", "context", "pred", "loss", "grad_w1", "grad_w2", "w1", "w2"],
    "predict": ["input", "context_in", "context", "pred"],
}


class Trace:
    """--trace: every traced step's tensors as float32 bit patterns, one JSON object
    per line, in the format sine-rnn writes (src/support/trace.rs), streamed to a
    temporary file that replaces the target at the end."""

    def __init__(self, path, args, device):
        self.path, self.epochs = path, args.trace_epochs or _Open(0)
        d = os.path.dirname(os.path.abspath(path))
        fd, self.tmp = tempfile.mkstemp(dir=d, prefix=".reference-", suffix=".tmp")
        self.out = os.fdopen(fd, "w")
        header = {"format": "sine-rnn-trace/1", "program": "reference.py", "backend": "pytorch",
                  "config": config_json(args), "device": "cuda:0" if device == "cuda" else str(device),
                  "init": args.init_weights or "seed", "epochs": [self.epochs.start, self.epochs.stop]}
        self.out.write(json.dumps(header, sort_keys=True, separators=(",", ":")) + "\n")

    def wants(self, epoch):
        return self.epochs.start <= epoch and (self.epochs.stop is None or epoch < self.epochs.stop)

    def step(self, phase, epoch, step, tensors):
        parts = ['{{"phase":"{}","epoch":{},"step":{}'.format(phase, epoch, step)]
        for name, t in zip(TRACE_NAMES[phase], tensors):
            bits = t.detach().cpu().numpy().astype(np.float32).ravel().view(np.uint32)
            parts.append('"{}":[{}]'.format(name, ",".join('"{:08x}"'.format(int(b)) for b in bits)))
        self.out.write(",".join(parts) + "}\n")

    def finish(self):
        self.out.close()
        os.chmod(self.tmp, 0o644)
        os.replace(self.tmp, self.path)
        print("reference.py: wrote {}".format(self.path), file=sys.stderr)


def config_json(args):
    return {"seed": args.seed, "epochs": args.epochs, "lr": args.lr, "seq_length": args.seq_length,
            "hidden_size": args.hidden_size, "input_size": args.hidden_size + 1, "output_size": 1}


def check_outputs(args):
    """What can be known before training, as sine-rnn checks it: plot formats, the
    directories outputs go to, --trace-epochs only with --trace. None when fine."""
    if args.trace_epochs is not None and not args.trace:
        return "--trace-epochs needs --trace"
    plots = ([("--plot", args.plot)] if not args.no_plot else []) + \
        ([("--loss-plot", args.loss_plot)] if args.loss_plot else [])
    for flag, path in plots:
        if os.path.splitext(path)[1].lower() not in (".png", ".svg"):
            return "{}: the plot path must end in .png or .svg".format(flag)
    outputs = plots + [(f, p) for f, p in (("--json", args.json), ("--trace", args.trace),
                                           ("--save-weights", args.save_weights)) if p]
    for flag, path in outputs:
        if os.path.isdir(path):
            return "{}: {} is a directory; give a file name".format(flag, path)
        d = os.path.dirname(path) or "."
        if not os.path.isdir(d):
            return "{}: the directory {} does not exist".format(flag, d)
    return None


def read_weights(path, hidden):
    """--init-weights: w1 [hidden+1, hidden] and w2 [hidden, 1], float32 and finite,
    from a safetensors file; any problem is one sentence (the caller exits 2)."""
    import safetensors.numpy
    if not os.path.exists(path):
        raise ValueError("{} does not exist".format(path))
    try:
        tensors = safetensors.numpy.load_file(path)
    except Exception as e:  # the package raises its own error type for a malformed file
        raise ValueError("{} is not a safetensors file ({})".format(path, e))
    out = {}
    for key, shape in (("w1", [hidden + 1, hidden]), ("w2", [hidden, 1])):
        if key not in tensors:
            raise ValueError("{} has no tensor '{}' (it holds: {})".format(path, key, ", ".join(sorted(tensors))))
        t = tensors[key]
        if t.dtype != np.float32:
            # Named as the safetensors format names types, as sine-rnn does.
            kind = {"float64": "F64", "float16": "F16", "int64": "I64", "int32": "I32", "int16": "I16",
                    "int8": "I8", "uint8": "U8", "bool": "BOOL"}.get(str(t.dtype), str(t.dtype).upper())
            raise ValueError("{}: '{}' is {}, but the weights must be float32 (F32)".format(path, key, kind))
        if list(t.shape) != shape:
            raise ValueError("{}: '{}' has shape {}, but --hidden-size {} needs {}".format(
                path, key, list(t.shape), hidden, shape))
        bad = np.flatnonzero(~np.isfinite(t))
        if bad.size:
            raise ValueError("{}: '{}' holds {} at index {}; weights must be finite".format(
                path, key, repr(float(t.ravel()[bad[0]])), bad[0]))
        out[key] = np.ascontiguousarray(t)
    return out


def epoch_range(s):
    """--trace-epochs: A..B (B excluded), A..=B, A.., ..B or N, as sine-rnn reads it."""
    bad = argparse.ArgumentTypeError("expected epochs as A..B, A..=B, A.., ..B or N (e.g. 10..20), not '{}'".format(s))
    try:
        if "..=" in s:
            a, b = s.split("..=")
            r = range(int(a) if a else 0, int(b) + 1)
        elif ".." in s:
            a, b = s.split("..")
            r = range(int(a) if a else 0, int(b)) if b else _Open(int(a) if a else 0)
        else:
            r = range(int(s), int(s) + 1)
    except ValueError:
        raise bad
    if r.stop is not None and r.start >= r.stop:
        raise argparse.ArgumentTypeError("the epoch range {} is empty".format(s))
    return r


class _Open:
    """An epoch range with no end (`A..`)."""

    def __init__(self, start):
        self.start, self.stop = start, None


def f32_array(a):
    """A float32 array stored exactly: bit patterns in hex beside readable decimals."""
    a = np.asarray(a, dtype=np.float32)
    flat = a.ravel()
    return {
        "shape": list(a.shape),
        "bits": ["{:08x}".format(int(b)) for b in flat.view(np.uint32)],
        "values": [float(v) if math.isfinite(float(v)) else None for v in flat],
    }


def write_atomic(path, data):
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=d, prefix=".reference-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def positive_float(s):
    try:
        v = float(s)
    except ValueError:
        raise argparse.ArgumentTypeError("expected a number such as 0.1")
    if not (math.isfinite(v) and v > 0):
        raise argparse.ArgumentTypeError("the learning rate must be a finite number > 0, such as 0.1")
    return v


def bounded_int(what, lo, hi):
    def parse(s):
        try:
            v = int(s)
        except ValueError:
            raise argparse.ArgumentTypeError("{} must be a whole number".format(what))
        if not lo <= v <= hi:
            raise argparse.ArgumentTypeError("{} must be from {} to {}".format(what, lo, hi))
        return v
    return parse


def main():
    p = argparse.ArgumentParser(description="The PyTorch sine-wave Elman RNN tutorial (reference for sine-rnn).",
                                allow_abbrev=False)  # as sine-rnn: --cpu-kernels is read before argparse runs
    p.add_argument("--seed", type=bounded_int("the seed", 0, 2**64 - 1), default=0)
    p.add_argument("--epochs", type=bounded_int("the number of epochs", 0, 2**63 - 1), default=300)
    p.add_argument("--lr", type=positive_float, default=0.1)
    p.add_argument("--seq-length", type=bounded_int("the sequence length", 1, MAX_SEQ_LENGTH), default=20)
    p.add_argument("--hidden-size", type=bounded_int("the hidden size", 1, MAX_HIDDEN_SIZE), default=6)
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    p.add_argument("--plot", default="sine_wave.png")
    p.add_argument("--no-plot", action="store_true")
    p.add_argument("--json")
    p.add_argument("--generate", type=bounded_int("--generate", 0, MAX_SEQ_LENGTH), default=0)
    p.add_argument("--loss-plot")
    p.add_argument("--init-weights")
    p.add_argument("--save-weights")
    p.add_argument("--trace")
    p.add_argument("--trace-epochs", type=epoch_range, default=None)
    p.add_argument("--cpu-kernels", choices=["portable", "machine"], default="portable")
    args = p.parse_args()  # exits with code 2 on a bad flag, as the Rust binary does
    problem = check_outputs(args)
    if problem:
        print("reference.py: error: {}".format(problem), file=sys.stderr)
        return EXIT_USAGE
    args.init = None
    if args.init_weights:
        try:
            args.init = read_weights(args.init_weights, args.hidden_size)
        except ValueError as e:
            print("reference.py: error: --init-weights: {}".format(e), file=sys.stderr)
            return EXIT_USAGE

    if args.device == "cuda" and not torch.cuda.is_available():
        print("reference.py: error: --device cuda: no usable NVIDIA GPU found; use --device cpu or --device auto",
              file=sys.stderr)
        return EXIT_USAGE
    device = "cuda" if args.device == "cuda" or (args.device == "auto" and torch.cuda.is_available()) else "cpu"
    kernels, notes = describe_kernels(*KERNELS)
    print("reference.py: torch {}, device {}, {}".format(torch.__version__, device, kernels), file=sys.stderr)
    for note in notes:
        print("reference.py: " + note, file=sys.stderr)
    return run(args, device)


if __name__ == "__main__":
    sys.exit(main())
