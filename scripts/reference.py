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
--generate --loss-plot --log-every; only --backend is the binary's alone), taking the
same values (the plot's default name is this program's own, sine_wave_python.png), the
same stdout, the same JSON record, the same exit codes. --trace, --trace-epochs, --save-weights and
--init-weights write and read the formats sine-rnn does (docs/parity-workbench.md).

Run it with the environment that scripts/fetch_libtorch.sh made:
    ~/.cache/sine-rnn/venv-torch-2.13.0/bin/python scripts/reference.py [flags]
(or scripts/python scripts/reference.py, which finds that environment).
"""

import argparse
import errno
import io
import json
import math
import os
import re
import stat
import struct
import sys
import tempfile
import time

# The same CPU kernels on every x86-64 machine with AVX2 (src/workbench/kernels.rs):
# libtorch reads these when it first needs them, so they are set before torch is
# imported. A value already in the environment wins; --cpu-kernels machine leaves
# both to libtorch, as a plain `python` run does.
PORTABLE_KERNELS = (("MKL_CBWR", "COMPATIBLE"), ("ATEN_CPU_CAPABILITY", "avx2"))


def pin_cpu_kernels(argv):
    """Sets the portable kernels unless argv asks for the machine's (the last
    --cpu-kernels wins, as argparse reads it); returns the choice and the
    variables that came from the user's environment."""
    choice = "portable"
    for a, b in zip(argv, argv[1:] + [""]):
        if a == "--":
            break
        if a.startswith("--cpu-kernels="):
            choice = a.split("=", 1)[1]
        elif a == "--cpu-kernels":
            choice = b
    from_user = [name for name, _ in PORTABLE_KERNELS if name in os.environ]
    if choice != "machine":
        for name, value in PORTABLE_KERNELS:
            os.environ.setdefault(name, value)
    return choice, from_user


def describe_kernels(choice, from_user):
    """The header's words for the kernels and the notes after it, as sine-rnn
    prints them (src/workbench/kernels.rs)."""
    values = [(name, os.environ.get(name)) for name, _ in PORTABLE_KERNELS]
    settings = ", ".join("{} unset".format(n) if v is None else
                         "{}={}{}".format(n, v, " from the environment" if n in from_user else "")
                         for n, v in values)
    notes = []
    for (n, v), (_, p) in zip(values, PORTABLE_KERNELS):
        if v is not None and choice == "portable" and v != p:
            notes.append("{}={} from the environment wins over the portable {}={}; the digits may differ "
                         "from other machines'".format(n, v, n, p))
    if choice == "portable":
        if any(v != p for (_, v), (_, p) in zip(values, PORTABLE_KERNELS)):
            choice = "portable, overridden"
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

import parity_trace  # beside this file: the trace format both programs write

EXIT_RUNTIME, EXIT_USAGE, EXIT_DIVERGED = 1, 2, 3
# sine-rnn's limits (src/support/cli.rs); --generate takes up to MAX_SEQ_LENGTH, --log-every
# up to MAX_EPOCHS. tests/parity.rs walks every edge through both programs.
MAX_HIDDEN_SIZE, MAX_SEQ_LENGTH, MAX_EPOCHS = 4096, 1_000_000, 10_000_000


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
                trace.step(i, j, input=input, context_in=context_in, context=context_state, pred=pred,
                           loss=loss, grad_w1=w1.grad, grad_w2=w2.grad, w1=w1, w2=w2)
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
    print("reference.py: trained {} epochs x {} points in {:.6f} s ({:.2f} us per step)".format(
        epochs, seq_length, train_secs, 1e6 * train_secs / steps), file=sys.stderr)

    if trace:
        trace.finish()
    if args.save_weights:
        if all(np.isfinite(w.detach().cpu().numpy()).all() for w in (w1, w2)):
            import safetensors.numpy
            tensors = {"w1": w1.detach().cpu().numpy(), "w2": w2.detach().cpu().numpy()}
            write_atomic(args.save_weights, safetensors.numpy.save(tensors, metadata={"written_by": "reference.py"}))
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
        write_atomic(args.json, (json.dumps(record, indent=2) + "\n").encode())

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


class Trace:
    """--trace: the run traced with parity_trace (the format sine-rnn writes with
    src/workbench/trace.rs), streamed to a temporary file that replaces the target
    at the end."""

    def __init__(self, path, args, device):
        self.epochs = args.trace_epochs or _Open(0)
        self.output = Output(path)
        self.text = io.TextIOWrapper(self.output.file, encoding="utf-8", newline="\n")
        meta = {"backend": "pytorch", "config": config_json(args),
                "device": "cuda:0" if device == "cuda" else str(device),
                "init": "seed" if args.init_weights is None else args.init_weights,
                "epochs": [self.epochs.start, self.epochs.stop]}
        self.tracer = parity_trace.Tracer(self.text, program="reference.py", meta=meta)

    def wants(self, epoch):
        return self.epochs.start <= epoch and (self.epochs.stop is None or epoch < self.epochs.stop)

    def step(self, epoch, step, **tensors):
        self.tracer.record(("train", epoch, step), **tensors)

    def finish(self):
        self.tracer.close()
        self.text.detach()  # the bytes stay in the output, which is committed now
        self.output.commit("the trace")


def config_json(args):
    return {"seed": args.seed, "epochs": args.epochs, "lr": args.lr, "seq_length": args.seq_length,
            "hidden_size": args.hidden_size, "input_size": args.hidden_size + 1, "output_size": 1}


def check_outputs(args):
    """What can be known before training, as sine-rnn checks it (src/support/cli.rs,
    files.rs), in the same words: plot formats, each output path, no file named
    twice, none over the --init-weights file. None when fine."""
    if args.trace_epochs is not None and not args.trace:
        return "--trace-epochs needs --trace"
    if args.trace_epochs is not None and args.trace_epochs.start >= args.epochs:
        trained = "trains no epoch (--epochs 0)" if args.epochs == 0 else "trains epochs 0 to {}".format(args.epochs - 1)
        return "--trace-epochs: the range starts at epoch {}, but this run {}".format(args.trace_epochs.start, trained)
    plots = ([("--plot", args.plot)] if not args.no_plot else []) + \
        ([("--loss-plot", args.loss_plot)] if args.loss_plot is not None else [])
    for flag, path in plots:
        if os.path.splitext(path)[1].lower() not in (".png", ".svg"):
            return "{}: the plot path must end in .png or .svg".format(flag)
    if args.save_weights is not None and same_file(args.save_weights, "-"):
        return ("--save-weights: safetensors is binary, so it does not go to stdout; give a file name "
                "(for a file named -, write ./-)")
    outputs = plots + [(f, p) for f, p in (("--json", args.json), ("--save-weights", args.save_weights),
                                           ("--trace", args.trace)) if p is not None]
    seen = []
    for flag, path in outputs:
        problem = check_output_path(path)
        if problem:
            return "{}: {}".format(flag, problem)
        same = next((other for other, known in seen if same_file(known, path)), None)
        if same:
            return "{} and {} name the same file ({}); give each output its own".format(same, flag, path)
        seen.append((flag, path))
    if args.init_weights is not None and os.path.exists(args.init_weights):
        for flag, path in outputs:
            if flag != "--save-weights" and same_file(args.init_weights, path):
                return "{}: {} is the --init-weights file, which this run reads; give the output another " \
                       "name".format(flag, path)
    return None


# How sine-rnn (Rust's io::ErrorKind) names the errors a directory can refuse a file with.
ERROR_KINDS = {errno.EACCES: "permission denied", errno.EPERM: "permission denied",
               errno.EROFS: "read-only filesystem or storage medium", errno.ENOENT: "entity not found",
               errno.ENOSPC: "no storage space", errno.EDQUOT: "filesystem quota exceeded"}


def check_output_path(path):
    """One output path, as sine-rnn's check_output_path: the problem, or None."""
    if path == "":
        return "the path is empty"
    if path == "-":
        return None
    if path.endswith(("/", "/.", "/..")) or path in (".", ".."):
        return "{} ends in '/' or '/.', so it names a directory; give a file name".format(path)
    if os.path.exists(path):
        st = os.stat(path)
        if stat.S_ISDIR(st.st_mode):
            return "{} is a directory; give a file name".format(path)
        if not stat.S_ISREG(st.st_mode):
            if stat.S_ISBLK(st.st_mode):
                return "{} is a block device (a disk); refusing to write over it".format(path)
            if stat.S_ISSOCK(st.st_mode):
                return "{} is a socket, which takes no file".format(path)
            if not os.access(path, os.W_OK):
                return "{} cannot be written to (Permission denied (os error 13))".format(path)
            return None
    try:
        real = follow_links(path)
    except OSError as e:
        return "cannot follow {}: {}".format(path, e.strerror)
    d = os.path.dirname(real) or "."
    try:
        if not stat.S_ISDIR(os.stat(d).st_mode):
            return "{} is not a directory".format(d)
    except FileNotFoundError:
        return "the directory {} does not exist".format(d)
    except OSError as e:
        return "{} is not a usable directory ({} (os error {}))".format(d, e.strerror, e.errno)
    if os.path.isfile(real) and not os.stat(real).st_mode & 0o222:
        return "{} is read-only; make it writable (chmod u+w) or choose another name".format(real)
    try:
        tempfile.TemporaryFile(dir=d).close()
    except OSError as e:
        return "cannot write in {} ({})".format(d, ERROR_KINDS.get(e.errno, (e.strerror or "").lower()))
    return None


def follow_links(path):
    """Where a chain of symlinks ends (the end need not exist), as sine-rnn follows them."""
    for _ in range(40):
        if not os.path.islink(path):
            return path
        to = os.readlink(path)
        path = to if os.path.isabs(to) else os.path.join(os.path.dirname(path) or ".", to)
    raise OSError(errno.ELOOP, "too many levels of symbolic links")


def same_file(a, b):
    """Whether two paths name the same file: the same inode for what exists, the same
    real directory and name for what does not yet."""
    def identity(p):
        if p == "-":
            st = os.fstat(1)
            return ("node", st.st_dev, st.st_ino)
        try:
            st = os.stat(p)
            return ("node", st.st_dev, st.st_ino)
        except OSError:
            try:
                real = follow_links(p)
            except OSError:
                real = p
            return ("new", os.path.realpath(os.path.dirname(real) or "."), os.path.basename(real))
    return identity(a) == identity(b)


# Bits per element of each safetensors type, to check a header as sine-rnn does.
DTYPE_BITS = {"BOOL": 8, "U8": 8, "I8": 8, "F8_E5M2": 8, "F8_E4M3": 8, "F8_E8M0": 8, "F4": 4, "F6_E2M3": 6,
              "F6_E3M2": 6, "I16": 16, "U16": 16, "F16": 16, "BF16": 16, "I32": 32, "U32": 32, "F32": 32,
              "I64": 64, "U64": 64, "F64": 64, "C64": 64}
MAX_HEADER, MAX_DATA = 100_000_000, 256 << 20


def read_weights(path, hidden):
    """--init-weights: w1 [hidden+1, hidden] and w2 [hidden, 1], float32 and finite,
    from a safetensors file; any problem is one sentence (the caller exits 2), the
    one sine-rnn says (src/workbench/weights.rs). The header is read and checked
    first, so a file whose sizes cannot be right is read no further."""
    if path == "":
        raise ValueError("the path is empty")
    try:
        f = open(path, "rb")
    except FileNotFoundError:
        raise ValueError("{} does not exist".format(path))
    except IsADirectoryError:
        raise ValueError("{} is a directory, not a safetensors file".format(path))
    except OSError as e:
        raise ValueError("cannot read {} ({} (os error {}))".format(path, e.strerror, e.errno))

    def bad(why):
        return ValueError("{} is not a safetensors file ({})".format(path, why))

    with f:
        st = os.fstat(f.fileno())
        length = st.st_size if stat.S_ISREG(st.st_mode) else None
        prefix = f.read(8)
        if len(prefix) < 8:
            raise bad("header too small")
        n = struct.unpack("<Q", prefix)[0]
        if n > MAX_HEADER:
            raise bad("header too large")
        if length is not None and 8 + n > length:
            raise bad("invalid header length")
        raw = f.read(n)
        if len(raw) < n:
            raise bad("invalid header length")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise bad("invalid UTF-8 in header: {}".format(e))
        def whole(x):  # a JSON integer >= 0, as the Rust reader's usize
            if type(x) is not int or x < 0:
                raise ValueError("{!r} is not a whole number".format(x))
            return x
        try:
            header = json.loads(text)
            meta = header.pop("__metadata__", {})
            if not (isinstance(meta, dict) and all(isinstance(v, str) for v in meta.values())):
                raise ValueError("__metadata__ must map names to strings")
            infos = header
            for v in infos.values():
                v["start"], v["end"] = (whole(x) for x in v["data_offsets"])
                v["shape"] = [whole(d) for d in v["shape"]]
                if v["dtype"] not in DTYPE_BITS:
                    raise ValueError("unknown dtype {}".format(v["dtype"]))
        except (ValueError, TypeError, KeyError, AttributeError) as e:
            raise bad("invalid JSON in header: {}".format(e))
        # As sine-rnn: the size its header claims is checked before the offsets.
        end = max((v["end"] for v in infos.values()), default=0)
        if end > MAX_DATA:
            raise ValueError("cannot read {} (its header describes {} bytes of tensors, more than the {} a weights "
                             "file may hold)".format(path, end, MAX_DATA))
        end = 0
        for name, v in sorted(infos.items(), key=lambda kv: (kv[1]["start"], kv[1]["end"])):
            if v["start"] != end or v["end"] < v["start"]:
                raise bad("invalid offset for tensor `{}`".format(name))
            end = v["end"]
            bits = math.prod(v["shape"]) * DTYPE_BITS[v["dtype"]]
            if bits >= 2 ** 64:
                raise bad("overflow computing buffer size from shape and/or element type")
            if bits % 8:
                raise bad("The slice is slicing for subbytes dtypes, and the slice does not end up at a byte boundary, "
                          "this is invalid.")
            if v["end"] - v["start"] != bits // 8:
                raise bad("invalid shape, data type, or offset for tensor")
        data = f.read(end + 1)
        if len(data) != end:
            raise bad("incomplete metadata, file not fully covered")
    out = {}
    for key, shape in (("w1", [hidden + 1, hidden]), ("w2", [hidden, 1])):
        if key not in infos:
            holds = ": " + ", ".join(sorted(infos)) if infos else " no tensors"
            raise ValueError("{} has no tensor '{}' (it holds{})".format(path, key, holds))
        info = infos[key]
        if info["dtype"] != "F32":
            raise ValueError("{}: '{}' is {}, but the weights must be float32 (F32)".format(path, key, info["dtype"]))
        if info["shape"] != shape:
            raise ValueError("{}: '{}' has shape {}, but --hidden-size {} needs {}".format(
                path, key, info["shape"], hidden, shape))
        t = np.frombuffer(data[info["start"]:info["end"]], dtype="<f4").reshape(shape)
        bad_at = np.flatnonzero(~np.isfinite(t))
        if bad_at.size:
            raise ValueError("{}: '{}' holds {} at index {}; weights must be finite".format(
                path, key, repr(float(t.ravel()[bad_at[0]])), bad_at[0]))
        out[key] = np.ascontiguousarray(t, dtype=np.float32)
    return out


def epoch_range(s):
    """--trace-epochs: A..B (B excluded), A..=B, A.., ..B or N, as sine-rnn reads it:
    ASCII digits only, each epoch below the most --epochs allows."""
    bad = argparse.ArgumentTypeError("expected epochs as A..B, A..=B, A.., ..B or N (e.g. 10..20), not '{}'".format(s))

    def num(t, default=None):
        t = t.strip()
        if not t and default is not None:
            return default
        if not re.fullmatch(r"\+?[0-9]+", t):
            raise bad
        if whole(t) >= MAX_EPOCHS:
            raise argparse.ArgumentTypeError("the epochs of a run are 0 to {} at most, not '{}'".format(
                MAX_EPOCHS - 1, s))
        return int(t)
    if "..=" in s:
        a, b = s.split("..=", 1)
        r = range(num(a, 0), num(b) + 1)
    elif ".." in s:
        a, b = s.split("..", 1)
        r = range(num(a, 0), num(b)) if b.strip() else _Open(num(a, 0))
    else:
        r = range(num(s), num(s) + 1)
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


class Output:
    """An output written aside, then put in place, as sine-rnn does
    (src/support/files.rs): a regular file (or none yet), through any symlinks, is
    replaced by a rename, keeping its mode (a new one gets 0o666 less the umask);
    `-` is stdout, and a FIFO or device is written into, never replaced; their
    content waits in memory."""

    def __init__(self, path):
        self.path, self.fd, special = path, 1 if path == "-" else None, False
        if path != "-" and os.path.exists(path):
            st = os.stat(path)
            # Our own stdout or stderr (`/dev/stdout`, or the file the shell opened): through its descriptor.
            mine = [fd for fd in (1, 2) if (os.fstat(fd).st_dev, os.fstat(fd).st_ino) == (st.st_dev, st.st_ino)]
            self.fd = mine[0] if mine else None
            special = not stat.S_ISREG(st.st_mode) and not stat.S_ISDIR(st.st_mode)
        if self.fd is not None or special:
            self.tmp, self.file = None, io.BytesIO()
            return
        self.real = follow_links(path)
        if os.path.exists(self.real):
            self.mode = os.stat(self.real).st_mode & 0o7777
        else:
            umask = os.umask(0)
            os.umask(umask)
            self.mode = 0o666 & ~umask
        fd, self.tmp = tempfile.mkstemp(dir=os.path.dirname(self.real) or ".", prefix=".reference-", suffix=".tmp")
        self.file = os.fdopen(fd, "wb")

    def commit(self, what):
        try:
            if self.tmp is None:
                data = self.file.getvalue()
                if self.fd is not None:
                    stream = sys.stdout if self.fd == 1 else sys.stderr
                    stream.flush()
                    stream.buffer.write(data)
                    stream.flush()
                else:
                    with open(self.path, "ab") as f:  # no truncation: a FIFO or device takes it as it is
                        f.write(data)
            else:
                self.file.close()
                os.chmod(self.tmp, self.mode)
                os.replace(self.tmp, self.real)
        except BaseException:
            if self.tmp is not None and os.path.exists(self.tmp):
                os.unlink(self.tmp)
            raise
        where = "{} to stdout".format(what) if self.path == "-" else self.path
        print("reference.py: wrote {}".format(where), file=sys.stderr)


def write_atomic(path, data, what="the record"):
    out = Output(path)
    out.file.write(data)
    out.commit(what)


# The numbers sine-rnn takes (src/support/cli.rs), in Rust's grammar: a float as
# f64::from_str reads it (no `_`, no hex, `inf`, `infinity` and `nan` in any case),
# a whole number as i64::from_str (ASCII digits, an optional sign, no spaces). The
# seed and the learning rate are read after Rust's str::trim, which strips exactly
# the characters of Unicode's White_Space.
RUST_FLOAT = re.compile(r"[+-]?(inf|infinity|nan|([0-9]+\.?[0-9]*|\.[0-9]+)(e[+-]?[0-9]+)?)",
                        re.IGNORECASE | re.ASCII)
RUST_INT = re.compile(r"[+-]?[0-9]+")
RUST_WHITESPACE = "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009" \
                  "\u200a\u2028\u2029\u202f\u205f\u3000"


def whole(t):
    """int(t) for t in RUST_INT's form, however many digits (Python's int() refuses
    more than 4300): anything past 30 digits is only known to be beyond every limit."""
    digits = t.lstrip("+-").lstrip("0")
    return int(t) if len(digits) <= 30 else (-1 if t.startswith("-") else 1) * 10**31


def learning_rate(s):
    """--lr as sine-rnn takes it: finite and > 0, and neither 0 nor infinite once
    rounded to float32, the type libtorch multiplies the gradients by it in."""
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
    """--seed as sine-rnn takes it: a whole number from 0 to 2^64-1."""
    t = s.strip(RUST_WHITESPACE)
    if not re.fullmatch(r"\+?[0-9]+", t) or whole(t) >= 2**64:
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


def main():
    p = argparse.ArgumentParser(description="The PyTorch sine-wave Elman RNN tutorial (reference for sine-rnn).",
                                allow_abbrev=False)  # as sine-rnn: --cpu-kernels is read before argparse runs
    p.add_argument("--seed", type=seed, default=0)
    p.add_argument("--epochs", type=count(0, MAX_EPOCHS), default=300)
    p.add_argument("--lr", type=learning_rate, default=0.1)
    p.add_argument("--seq-length", type=count(1, MAX_SEQ_LENGTH), default=20)
    p.add_argument("--hidden-size", type=count(1, MAX_HIDDEN_SIZE), default=6)
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    p.add_argument("--plot", default="sine_wave_python.png")  # sine-rnn's is sine_wave.png: two runs, two files
    p.add_argument("--no-plot", action="store_true")
    p.add_argument("--json")
    p.add_argument("--generate", type=count(0, MAX_SEQ_LENGTH), default=0)
    p.add_argument("--log-every", type=count(1, MAX_EPOCHS), default=10)
    p.add_argument("--loss-plot")
    p.add_argument("--init-weights")
    p.add_argument("--save-weights")
    p.add_argument("--trace")
    p.add_argument("--trace-epochs", type=epoch_range, default=None)
    p.add_argument("--cpu-kernels", choices=["portable", "machine"], default="portable")
    args = p.parse_args()  # exits with code 2 on a bad flag, as the Rust binary does
    assert args.cpu_kernels == KERNELS[0], "the early scan of --cpu-kernels reads argv as argparse does"
    problem = check_outputs(args)
    if problem:
        print("reference.py: error: {}".format(problem), file=sys.stderr)
        return EXIT_USAGE
    args.init = None
    if args.init_weights is not None:
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
