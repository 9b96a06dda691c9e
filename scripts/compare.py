#!/usr/bin/env python3
"""Compares two parity-trace/1 files, whatever model wrote them.

    scripts/parity.sh --compare A.jsonl B.jsonl [--names A,B]
    python3 scripts/compare.py A.jsonl B.jsonl [--names A,B]

The format and this report are described in docs/parity-workbench.md ("The trace
format" and "Comparing any two traces"). Both files are read one line at a time,
side by side, and a line is at most LINE_LIMIT bytes, so memory stays small
whatever the input. Only the Python standard library is used: any Python 3.6 or
later runs it, with or without PyTorch. scripts/parity.py --trace uses it too.

Exit codes: 0 IDENTICAL, 1 DIFFERENT, 2 cannot compare (an unreadable file, a
malformed line, a usage error); the first line of the output is the verdict.
"""

import json
import math
import os
import re
import select
import stat
import struct
import sys

from guard import Failure, Parser, run

FORMAT = "parity-trace/1"
# The longest line read (a record of about 8 million float32 values): memory is
# bounded by a few times this, per side.
LINE_LIMIT = 64 << 20
# How long a FIFO, a terminal or a device may take to give its first byte (or its end).
WAIT = 10
# Differing values are unpacked this many elements at a time.
CHUNK = 1 << 16
# How many elements either side of the first differing one are shown.
AROUND = 5
# How many entries each list of the report shows before "... and N more".
LIST_LIMIT = 20

# dtype -> (hex digits per element, kind). The bits of an element are an unsigned
# integer of 4 x digits bits, written most significant digit first.
DTYPES = {
    "float16": (4, "float"), "bfloat16": (4, "float"), "float32": (8, "float"), "float64": (16, "float"),
    "int8": (2, "int"), "int16": (4, "int"), "int32": (8, "int"), "int64": (16, "int"),
    "uint8": (2, "uint"), "bool": (2, "bool"),
}
UNSIGNED_CODE = {2: "B", 4: "H", 8: "I", 16: "Q"}
FLOAT_CODE = {"float16": "e", "float32": "f", "float64": "d"}
HEX = re.compile(r"[0-9a-f]*\Z").match
BOOL_BITS = re.compile(r"(?:0[01])*\Z").match
PLAIN_NAME = re.compile(r"[A-Za-z0-9_.:/+-]+\Z").match


def cannot(message):
    """A file or usage problem: `cannot compare: <message>`, exit 2."""
    return Failure(message, 2)


def open_input(path):
    """`path` opened for reading (binary), never waiting on it for good: a FIFO
    with no writer, a terminal or a device must give its first byte (or its end)
    within WAIT seconds."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as e:
        raise cannot("{}: cannot read: {}".format(path, e.strerror))
    mode = os.fstat(fd).st_mode
    problem = "Is a directory" if stat.S_ISDIR(mode) else None
    if not problem and not stat.S_ISREG(mode) and not select.select([fd], [], [], WAIT)[0]:
        problem = "nothing came in {} s (a FIFO with no writer?)".format(WAIT)
    if problem:
        os.close(fd)
        raise cannot("{}: cannot read: {}".format(path, problem))
    os.set_blocking(fd, True)
    return open(fd, "rb")


class DuplicateKey(ValueError):
    pass


def _unique_keys(pairs):
    if len({key for key, _ in pairs}) != len(pairs):
        seen = set()
        key = next(key for key, _ in pairs if key in seen or seen.add(key))
        raise DuplicateKey("the key {} appears twice in one object".format(json.dumps(key)))
    return dict(pairs)


def _no_constant(name):
    raise ValueError("{} is not a JSON value".format(name))


# Strict JSON: no key twice in one object, no NaN or Infinity.
DECODER = json.JSONDecoder(object_pairs_hook=_unique_keys, parse_constant=_no_constant)


def show_name(name):
    """A tensor name as the report writes it: as is when plain, else JSON-quoted."""
    return name if PLAIN_NAME(name) else json.dumps(name)


def show_shape(shape):
    return "[" + ", ".join(str(d) for d in shape) + "]"


class Trace:
    """One trace file, read a line at a time. next() gives (line, at, tensors) for
    each record, validated, or None at the end of the file."""

    def __init__(self, path):
        self.path, self.line, self.records = path, 0, 0
        self.file = open_input(path)
        header = self._next_object()
        if header is None:
            raise self._error("empty file: line 1 must be the header {\"format\": \"parity-trace/1\", ...}")
        if not isinstance(header, dict):
            raise self._error("the header must be a JSON object with \"format\": \"parity-trace/1\"")
        if "format" not in header:
            raise self._error("the header has no \"format\" (it must be \"parity-trace/1\")")
        if header["format"] != FORMAT:
            raise self._error("the header's format is {}, not \"parity-trace/1\"".format(json.dumps(header["format"])))
        if not isinstance(header.get("program"), str):
            raise self._error("the header's \"program\" must be a string")
        if not isinstance(header.get("meta"), dict):
            raise self._error("the header's \"meta\" must be a JSON object")
        self.program = header["program"]

    def _error(self, message):
        return cannot("{}:{}: {}".format(self.path, max(self.line, 1), message))

    def _next_object(self):
        """The next line's JSON value, or None at the end; a line longer than
        LINE_LIMIT is refused rather than read."""
        try:
            raw = self.file.readline(LINE_LIMIT + 1)
        except OSError as e:
            raise cannot("{}:{}: cannot read: {}".format(self.path, self.line + 1, e.strerror))
        if not raw:
            return None
        self.line += 1
        if len(raw) > LINE_LIMIT and not raw.endswith(b"\n"):
            raise self._error("the line is longer than {} bytes, the most a line may be".format(LINE_LIMIT))
        # A byte-order mark (an editor's, or PowerShell's) before the header is skipped.
        skip = 3 if self.line == 1 and raw.startswith(b"\xef\xbb\xbf") else 0
        try:
            text = raw[skip:].decode("utf-8")
        except UnicodeDecodeError as e:
            raise self._error("not UTF-8 (byte {} of the line)".format(skip + e.start + 1))
        if not text.strip(" \t\r\n"):
            raise self._error("empty line: every line must be one JSON object")
        try:
            return DECODER.decode(text)
        except DuplicateKey as e:
            raise self._error(str(e))
        except json.JSONDecodeError as e:
            cut = "" if raw.endswith(b"\n") else "; the file ends in this line, with no newline: was its writer stopped?"
            raise self._error("not JSON: {} (column {}){}".format(e.msg, e.colno, cut))
        except ValueError as e:  # NaN, Infinity
            raise self._error("not JSON: {}".format(e))
        except RecursionError:
            raise self._error("not JSON this reader can take: nested too deeply")

    def next(self):
        obj = self._next_object()
        if obj is None:
            return None
        if not isinstance(obj, dict):
            raise self._error("a record must be a JSON object with \"at\" and \"tensors\"")
        at = obj.get("at")
        if not isinstance(at, list) or not at or any(type(item) not in (int, str) for item in at):
            raise self._error("\"at\" must be a non-empty list of integers and strings{}".format(
                ", not " + json.dumps(at) if isinstance(at, list) and at else ""))
        tensors = obj.get("tensors")
        if not isinstance(tensors, dict):
            raise self._error("\"tensors\" must be a JSON object (name -> tensor)")
        for name, t in tensors.items():
            problem = self._tensor_problem(t)
            if problem:
                raise self._error("tensor {}: {}".format(show_name(name), problem))
        self.records += 1
        return self.line, at, tensors

    @staticmethod
    def _tensor_problem(t):
        """What is wrong with one tensor, or None: the cheap tests first, since
        every tensor of every record passes through here."""
        if type(t) is not dict:
            return "must be an object with \"dtype\", \"shape\" and \"bits\""
        dtype, shape, bits = t.get("dtype"), t.get("shape"), t.get("bits")
        if type(dtype) is not str or dtype not in DTYPES:
            if dtype is None:
                return "no \"dtype\""
            return "unknown dtype {} (one of {})".format(json.dumps(dtype), ", ".join(DTYPES))
        if type(shape) is not list or not all(type(d) is int and d >= 0 for d in shape):
            return "no \"shape\"" if shape is None else \
                "the shape must be a list of non-negative integers, not {}".format(json.dumps(shape))
        if type(bits) is not str:
            return "no \"bits\"" if bits is None else "\"bits\" must be a string of hex digits"
        digits, n = DTYPES[dtype][0], 1
        for d in shape:
            n *= d
        if len(bits) != n * digits:
            return "\"bits\" has {} hex digits; {} {} needs {} ({} elements x {})".format(
                len(bits), dtype, show_shape(shape), n * digits, n, digits)
        if not HEX(bits):
            bad = next(i for i, c in enumerate(bits) if c not in "0123456789abcdef")
            return "\"bits\" must be lowercase hex digits; character {} is {}".format(bad + 1, json.dumps(bits[bad]))
        if dtype == "bool" and not BOOL_BITS(bits):
            bad = next(i for i in range(0, len(bits), 2) if bits[i:i + 2] not in ("00", "01"))
            return "a bool element is 00 or 01, element {} is {}".format(bad // 2, bits[bad:bad + 2])
        return None


# --- elements --------------------------------------------------------------------

def unsigned(bits, digits):
    """The elements' bit patterns as unsigned integers."""
    return struct.unpack(">{}{}".format(len(bits) // digits, UNSIGNED_CODE[digits]), bytes.fromhex(bits))


def value(dtype, u):
    """The number an element's bit pattern stands for (a Python float, int or bool)."""
    digits, kind = DTYPES[dtype]
    if dtype == "bfloat16":
        return struct.unpack(">f", struct.pack(">I", u << 16))[0]
    if kind == "float":
        return struct.unpack(">" + FLOAT_CODE[dtype], struct.pack(">" + UNSIGNED_CODE[digits], u))[0]
    if kind == "int":
        sign = 1 << (digits * 4 - 1)
        return u - 2 * sign if u >= sign else u
    return bool(u) if kind == "bool" else u


def ordered(u, width):
    """Maps a float's bit pattern onto an integer in the order of the floats (+0 and
    -0 both onto 0), so the difference of two counts the floats between (ULPs)."""
    sign = 1 << (width - 1)
    return u if u < sign else sign - u


class Element:
    """Two elements' values (a, b), their distance (ULPs for floats, None for a NaN
    against other bits) and relative difference."""

    def __init__(self, dtype, ua, ub):
        digits, kind = DTYPES[dtype]
        self.a, self.b = a, b = value(dtype, ua), value(dtype, ub)
        self.nan = kind == "float" and (a != a or b != b)
        self.inf = kind == "float" and not self.nan and (math.isinf(a) or math.isinf(b))
        if self.nan:
            self.distance = self.rel = None
            return
        if kind == "float":
            self.distance = abs(ordered(ua, digits * 4) - ordered(ub, digits * 4))
        else:
            a, b = int(a), int(b)
            self.distance = abs(a - b)
        # +0 against -0 is the same number; an infinity is infinitely far from the rest.
        m, d = max(abs(a), abs(b)), abs(a - b)
        self.rel = 0.0 if a == b else math.inf if self.inf else d / m if d != math.inf else abs(a / m - b / m)


def differing(bits_a, bits_b, digits):
    """(flat index, bits A, bits B) of each element that differs, unpacking CHUNK
    elements at a time, and only the chunks that differ."""
    step = CHUNK * digits
    for lo in range(0, len(bits_a), step):
        ca, cb = bits_a[lo:lo + step], bits_b[lo:lo + step]
        if ca != cb:
            for k, (x, y) in enumerate(zip(unsigned(ca, digits), unsigned(cb, digits))):
                if x != y:
                    yield lo // digits + k, x, y


def show_rel(r):
    return "0" if r == 0 else "inf" if r == math.inf else "{:.3g}".format(r)


def limited(entries):
    if len(entries) <= LIST_LIMIT:
        return entries
    return entries[:LIST_LIMIT] + ["... and {} more".format(len(entries) - LIST_LIMIT)]


# --- the comparison ----------------------------------------------------------------

class TensorStats:
    __slots__ = ("records", "differing_records", "differing_elements", "max_distance", "max_rel", "nan", "inf",
                 "dtypes", "kinds")

    def __init__(self):
        self.records = self.differing_records = self.differing_elements = self.max_distance = 0
        self.nan = self.inf = 0
        self.max_rel = 0.0
        self.dtypes, self.kinds = [], set()


class Comparison:
    """Two traces walked side by side; run() once, then identical() and report()."""

    def __init__(self, a, b, names=("A", "B")):
        self.a, self.b, self.names = a, b, names
        self.positions_compared = 0
        self.first = None  # one line: the earliest difference of any kind
        self.last_agreed = None  # (at, line A, line B) before the first difference
        self.first_value = None  # the report's lines for the first differing value
        self.only = [None, None]  # per side: (at, line) of the first position on that side only
        self.only_count = [0, 0]
        self.unaligned = None  # (at A, line A, at B, line B) where the positions parted
        self.unaligned_count = [0, 0]
        self.stats = {}  # name -> TensorStats, in the order first compared
        self.one_sided = {}  # (side, name) -> [records, first at]
        self.mismatches = {}  # name -> [records, first at, (dtype, shape) A, (dtype, shape) B]

    def run(self):
        a, b = self.a.next(), self.b.next()
        while a is not None or b is not None:
            if a is not None and b is not None and a[1] == b[1]:
                self.compare_records(a, b)
                a, b = self.a.next(), self.b.next()
                continue
            side = self.behind(a, b)
            if side is None:
                return self.part(a, b)
            line, at, _ = (a, b)[side]
            self.only_count[side] += 1
            self.only[side] = self.only[side] or (at, line)
            self.difference("position {} (line {}) on {} only".format(json.dumps(at), line, self.names[side]))
            if side == 0:
                a = self.a.next()
            else:
                b = self.b.next()

    @staticmethod
    def behind(a, b):
        """Which side holds a record the other lacks (0 or 1), or None when the
        positions cannot be ordered: then the traces part there."""
        if a is None or b is None:
            return 1 if a is None else 0
        pa, pb = a[1], b[1]
        if len(pa) == len(pb):
            for x, y in zip(pa, pb):
                if x != y:
                    return (0 if x < y else 1) if type(x) is int and type(y) is int else None
        return None

    def difference(self, line):
        if self.first is None:
            self.first = line

    def part(self, a, b):
        self.unaligned = (a[1], a[0], b[1], b[0])
        self.difference("the positions part: {} has {} (line {}) where {} has {} (line {})".format(
            self.names[0], json.dumps(a[1]), a[0], self.names[1], json.dumps(b[1]), b[0]))
        # The rest is still read: checked, and counted.
        for side, trace in ((0, self.a), (1, self.b)):
            n = 1
            while trace.next() is not None:
                n += 1
            self.unaligned_count[side] = n

    def compare_records(self, a, b):
        at, ta, tb = a[1], a[2], b[2]
        clean = True
        self.positions_compared += 1
        for name, va in ta.items():
            vb = tb.get(name)
            if vb is None:
                clean = False
                self.one_side(0, name, at)
                continue
            dtype, shape = va["dtype"], va["shape"]
            if dtype != vb["dtype"] or shape != vb["shape"]:
                clean = False
                self.mismatch(name, at, va, vb)
                continue
            st = self.stats.get(name) or self.stats.setdefault(name, TensorStats())
            st.records += 1
            if dtype not in st.dtypes:
                st.dtypes.append(dtype)
            if va["bits"] != vb["bits"]:
                clean = False
                self.values_differ(st, name, at, dtype, shape, va["bits"], vb["bits"])
        if tb.keys() != ta.keys():
            for name in tb:
                if name not in ta:
                    clean = False
                    self.one_side(1, name, at)
        if clean and self.first is None:
            self.last_agreed = (at, a[0], b[0])

    def one_side(self, side, name, at):
        self.one_sided.setdefault((side, name), [0, at])[0] += 1
        self.difference("at {}: tensor {} on {} only".format(json.dumps(at), show_name(name), self.names[side]))

    def mismatch(self, name, at, va, vb):
        sa, sb = (va["dtype"], va["shape"]), (vb["dtype"], vb["shape"])
        entry = self.mismatches.setdefault(name, [0, at, sa, sb])
        entry[0] += 1
        what = "dtype and shape" if sa[0] != sb[0] and sa[1] != sb[1] else "dtype" if sa[0] != sb[0] else "shape"
        self.difference("at {}: tensor {}: {} differs, {} {} on {}, {} {} on {}".format(
            json.dumps(at), show_name(name), what, sa[0], show_shape(sa[1]), self.names[0],
            sb[0], show_shape(sb[1]), self.names[1]))

    def values_differ(self, st, name, at, dtype, shape, bits_a, bits_b):
        digits, kind = DTYPES[dtype]
        st.kinds.add(kind)
        st.differing_records += 1
        first = None
        for k, x, y in differing(bits_a, bits_b, digits):
            first = k if first is None else first
            e = Element(dtype, x, y)
            st.differing_elements += 1
            st.nan += e.nan
            st.inf += e.inf
            if not e.nan:
                st.max_distance = max(st.max_distance, e.distance)
                st.max_rel = max(st.max_rel, e.rel)
        if self.first_value is None:
            self.first_value = self.show_first_value(name, at, dtype, shape, bits_a, bits_b, first)
        self.difference("at {}: tensor {}: a value differs, at flat index {}".format(
            json.dumps(at), show_name(name), first))

    def show_first_value(self, name, at, dtype, shape, bits_a, bits_b, k):
        digits, kind = DTYPES[dtype]
        n = len(bits_a) // digits
        lo, hi = max(0, k - AROUND), min(n, k + AROUND + 1)
        # Only the elements shown are unpacked: ua[i - lo] is element i.
        ua, ub = (unsigned(bits[lo * digits:hi * digits], digits) for bits in (bits_a, bits_b))
        e = Element(dtype, ua[k - lo], ub[k - lo])
        index, rest = [], k
        for d in reversed(shape):
            index.insert(0, rest % d)
            rest //= d
        lines = ["first value that differs: at {}, tensor {}, flat index {}, index {} (shape {}, {})".format(
            json.dumps(at), show_name(name), k, show_shape(index), show_shape(shape), dtype)]
        for side, u, v in ((0, ua[k - lo], e.a), (1, ub[k - lo], e.b)):
            lines.append("{} {} (bits {:0{}x})".format(self.label(side), repr(v), u, digits))
        if e.nan:
            lines.append("distance: none, a NaN against other bits (NaN mismatch)")
        elif kind == "float":
            lines.append("distance: {} ULPs{}".format(e.distance, " (inf mismatch)" if e.inf else
                                                      " (+0 against -0)" if e.distance == 0 else ""))
        else:
            lines.append("distance: {} (integer difference)".format(e.distance))
        if e.rel is not None:
            lines.append("relative difference: {}".format(show_rel(e.rel)))
        for side, (u, other) in enumerate(((ua, ub), (ub, ua))):
            items = ["{}{}".format("*" if x != y else "", repr(value(dtype, x))) for x, y in zip(u, other)]
            lines.append("{} {}[{}..{}]: {}{}{}".format(self.label(side), show_name(name), lo, hi - 1,
                                                       "..., " if lo else "", ", ".join(items),
                                                       ", ..." if hi < n else ""))
        return lines

    def label(self, side):
        width = max(len(n) for n in self.names)
        return (self.names[side] + ":").ljust(width + 1)

    # --- the report ------------------------------------------------------------

    def identical(self):
        return self.first is None

    def report(self):
        names = self.names
        out = ["IDENTICAL" if self.identical() else "DIFFERENT"]
        for side, trace in ((0, self.a), (1, self.b)):
            out.append("{} {}, program {}, {} records".format(self.label(side), trace.path,
                                                             json.dumps(trace.program), trace.records))
        out.append("positions compared: {}".format(self.positions_compared))
        if not self.identical():
            out.append("first difference: " + self.first)
            if self.last_agreed is None:
                out.append("last position where everything agreed: none (they differ from the first position)")
            else:
                at, la, lb = self.last_agreed
                out.append("last position where everything agreed: {} ({} line {}, {} line {})".format(
                    json.dumps(at), names[0], la, names[1], lb))
            out.extend(self.first_value or
                       ["first value that differs: none (every value compared is bit-identical)"])
            for side in (0, 1):
                first = self.only[side]
                out.append("positions on {} only: {}{}".format(names[side], self.only_count[side], ", the first {} "
                           "(line {})".format(json.dumps(first[0]), first[1]) if first else ""))
            if self.unaligned:
                at_a, la, at_b, lb = self.unaligned
                out.append("the positions part: {} {} (line {}), {} {} (line {}); not compared from there: "
                           "{} {} records, {} {} records".format(
                               names[0], json.dumps(at_a), la, names[1], json.dumps(at_b), lb,
                               names[0], self.unaligned_count[0], names[1], self.unaligned_count[1]))
            out.append("tensors on one side only: {}".format(len(self.one_sided) or "none"))
            out.extend(limited(["{} on {} only: {} records, the first at {}".format(
                show_name(name), names[side], n, json.dumps(at)) for (side, name), (n, at) in self.one_sided.items()]))
            out.append("shape or dtype mismatches: {}".format(len(self.mismatches) or "none"))
            out.extend(limited(["{}: {} {} on {}, {} {} on {}: {} records, the first at {}".format(
                show_name(name), sa[0], show_shape(sa[1]), names[0], sb[0], show_shape(sb[1]), names[1],
                n, json.dumps(at)) for name, (n, at, sa, sb) in self.mismatches.items()]))
        return out + self.table()

    def table(self):
        if not self.stats:
            return ["per tensor: none compared"]
        head = ("tensor", "dtype", "records", "differing", "elements", "max ULPs", "max rel diff", "notes")
        rows = [head]
        for name, st in self.stats.items():
            notes = ["NaN mismatch x{}".format(st.nan)] if st.nan else []
            notes += ["inf mismatch x{}".format(st.inf)] if st.inf else []
            notes += ["max ULPs: integer difference"] if st.kinds - {"float"} else []
            rows.append((show_name(name), "/".join(st.dtypes), str(st.records), str(st.differing_records),
                         str(st.differing_elements), str(st.max_distance), show_rel(st.max_rel), "; ".join(notes)))
        widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
        return ["per tensor, over the positions compared:"] + [
            "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]


# --- the command line ----------------------------------------------------------------

def two_names(text):
    parts = text.split(",")
    if len(parts) != 2 or not all(p.strip() for p in parts) or parts[0] == parts[1]:
        raise cannot("--names {}: two different, non-empty names separated by one comma, "
                     "as --names Rust,PyTorch".format(json.dumps(text)))
    return tuple(parts)


def main():
    p = Parser(prog="scripts/parity.sh --compare", usage="%(prog)s A.jsonl B.jsonl [--names A,B]")
    p.add_argument("--compare", nargs=2, default=[], metavar="TRACE", help="the two traces (as parity.sh gives them)")
    p.add_argument("files", nargs="*", help="the two traces")
    p.add_argument("--names", type=two_names, default=("A", "B"), help="what the report calls each side")
    args = p.parse_args()
    files = args.compare + args.files
    if len(files) != 2:
        raise cannot("two trace files are needed, {} given; {}".format(len(files), p.format_usage().strip()))
    comparison = Comparison(Trace(files[0]), Trace(files[1]), args.names)
    comparison.run()
    print("\n".join(comparison.report()))
    return 0 if comparison.identical() else 1


if __name__ == "__main__":
    run(main, lambda line: print("cannot compare: " + line), code=2)
