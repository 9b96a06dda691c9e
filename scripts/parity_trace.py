"""A tracer for any PyTorch program: named tensors at named positions, in the
model-independent format parity-trace/1 that the Rust side writes with
the Rust crate parity-trace, crates/parity-trace (docs/parity-workbench.md, "Port your own model").
The standard library and torch only: copy this file next to your script, or put
its directory on sys.path.

    from parity_trace import Tracer
    with Tracer("python.jsonl", program="my-model", meta={"seed": 0}) as trace:
        trace.record(("train", epoch, step), input=x, w1=w1, loss=loss)

A trace is JSON Lines: a header {"format":"parity-trace/1","program":...,"meta":{...}},
then one record per call, {"at":[...],"tensors":{"name":{"dtype":...,"shape":[...],
"bits":"..."},...}}. "bits" is every element's bit pattern in row-major order, as
unsigned hex of the dtype's width, most significant digit first: exact, whatever
the dtype. Record lines are written compactly, keys in this order and tensors in
the caller's, so that the Rust tracer writes the same bytes for the same tensors.
A name that is no Python identifier goes in with **{"rnn.weight_ih_l0": w} (any
string, "at" and "self" included). Whatever the format or scripts/compare.py would
refuse (a meta with NaN, a line over LINE_LIMIT bytes...) is refused at the call,
with a TypeError or ValueError, and nothing of it is written.
"""

import json
import sys

import torch

FORMAT = "parity-trace/1"
# The longest line the format allows, in bytes (scripts/compare.py's LINE_LIMIT).
LINE_LIMIT = 64 << 20

# The format's dtypes: PyTorch's names without "torch.".
DTYPES = {getattr(torch, name): name for name in
          ("float16", "bfloat16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool")}


def _dumps(value):
    # Compact, and non-ASCII written as UTF-8, as serde_json writes it; strict JSON.
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _unique(pairs):
    # Keys such as 1 and "1" both become "1": a key twice, which the format refuses.
    if len({key for key, _ in pairs}) != len(pairs):
        raise ValueError("the trace's meta has a key twice once written as JSON")
    return pairs


def _line(text):
    """A line as it will be written, or a ValueError if the format cannot hold it."""
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError as e:
        raise ValueError(f"not UTF-8 text: {e}") from None
    if size > LINE_LIMIT:
        raise ValueError(f"a line of {size} bytes; a trace's lines are at most {LINE_LIMIT}")
    return text + "\n"


def tensor_json(t):
    """One tensor as the format writes it: {"dtype": ..., "shape": [...], "bits": "..."}."""
    if not isinstance(t, torch.Tensor):
        raise TypeError(f"a trace holds tensors, not {type(t).__name__}")
    if t.dtype not in DTYPES:
        raise ValueError(f"dtype {t.dtype} is not one the trace format has")
    # The raw bytes: detached, on the host, contiguous; each element's bytes (in
    # the host's order) turned most significant first. Reading bytes rather than
    # values keeps -0.0, NaN payloads and subnormals exactly as they are.
    t = t.detach().cpu().contiguous()
    n, width = t.numel(), t.element_size()
    raw = t.reshape(n).view(torch.uint8).reshape(n, width)
    if sys.byteorder == "little":
        raw = raw.flip(1)
    bits = bytes(raw.reshape(n * width).tolist()).hex()
    return {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "bits": bits}


class Tracer:
    """Writes a trace line by line as the program runs: nothing is held in memory."""

    def __init__(self, path, program, meta=None):
        """`path`: a file name, or an open text stream to write into."""
        meta = {} if meta is None else meta
        if not isinstance(program, str):
            raise TypeError(f"the trace's program must be a str, not {type(program).__name__}")
        if not isinstance(meta, dict):
            raise TypeError(f"the trace's meta must be a dict (a JSON object), not {type(meta).__name__}")
        try:
            meta = _dumps(meta)
        except ValueError as e:  # NaN or an infinity
            raise ValueError(f"the trace's meta must be strict JSON: {e}") from None
        json.loads(meta, object_pairs_hook=_unique)
        # Written by hand, to keep the keys in the format's order; checked before
        # anything is opened, so a refused header leaves no file.
        header = _line(f'{{"format":"{FORMAT}","program":{_dumps(program)},"meta":{meta}}}')
        # A path, or a text stream the caller owns (and closes).
        self._owned = not hasattr(path, "write")
        self._out = open(path, "w", encoding="utf-8", newline="\n") if self._owned else path
        self._out.write(header)

    def record(self, at, /, **tensors):
        """One record: its position (a non-empty tuple or list of ints and strs)
        and named tensors (any shape, any dtype of the format, CPU or CUDA)."""
        if not isinstance(at, (tuple, list)) or not at:
            raise ValueError(f"a record's position must be a non-empty tuple or list, not {at!r}")
        for item in at:
            if isinstance(item, bool) or not isinstance(item, (int, str)):
                raise TypeError(f"a position's items are ints and strs, not {item!r}")
        parts = []
        for name, t in tensors.items():
            try:
                v = tensor_json(t)
            except (TypeError, ValueError) as e:
                raise type(e)(f"tensor {name!r}: {e}") from None
            shape = ",".join(str(d) for d in v["shape"])
            parts.append(f'{_dumps(name)}:{{"dtype":"{v["dtype"]}","shape":[{shape}],"bits":"{v["bits"]}"}}')
        self._out.write(_line(f'{{"at":{_dumps(list(at))},"tensors":{{{",".join(parts)}}}}}'))

    def close(self):
        if self._owned:
            self._out.close()
        else:
            self._out.flush()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False
