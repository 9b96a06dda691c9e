#!/usr/bin/env python3
"""Compares two parity-trace/1 files, whatever model wrote them.

    scripts/parity.sh --compare A.jsonl B.jsonl [--names A,B]
    python3 scripts/compare.py A.jsonl B.jsonl [--names A,B]

The format and this report are described in docs/parity-workbench.md ("The trace
format" and "Comparing any two traces"). Both files are read one line at a time,
side by side, and a line is at most LINE_LIMIT bytes, so memory stays small
whatever the input. Only the Python standard library is used: any Python 3.6 or
later runs it, with or without PyTorch.

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

from guard import Failure, run

FORMAT = "parity-trace/1"
USAGE = "usage: scripts/parity.sh --compare A.jsonl B.jsonl [--names A,B]"
# The longest line read (a record of about 8 million float32 values): memory is
# bounded by a few times this, per side.
LINE_LIMIT = 64 << 20
# How long a FIFO, a terminal or a device may take to give its first byte (or its end).
WAIT = 10
# Differing values are unpacked this many elements at a time.
CHUNK = 1 << 16

# dtype -> (hex digits per element, kind). The bits of an element are an unsigned
# integer of 4 x digits bits, written most significant digit first.
DTYPES = {
    "float16": (4, "float"),
    "bfloat16": (4, "float"),
    "float32": (8, "float"),
    "float64": (16, "float"),
    "int8": (2, "int"),
    "int16": (4, "int"),
    "int32": (8, "int"),
    "int64": (16, "int"),
    "uint8": (2, "uint"),
    "bool": (2, "bool"),
}
DIGITS = {dtype: digits for dtype, (digits, _) in DTYPES.items()}
UNSIGNED_CODE = {2: "B", 4: "H", 8: "I", 16: "Q"}
FLOAT_CODE = {"float16": "e", "float32": "f", "float64": "d"}
HEX = re.compile(r"[0-9a-f]*\Z").match
BOOL_BITS = re.compile(r"(?:0[01])*\Z").match
PLAIN_NAME = re.compile(r"[A-Za-z0-9_.:/+-]+\Z").match
# How many elements either side of the first differing one are shown.
AROUND = 5
# How many entries each list of the report shows before "... and N more".
LIST_LIMIT = 20


def cannot(message):
    """A file or usage problem: `cannot compare: <message>`, exit 2."""
    return Failure(message, 2)


def open_input(path):
    """`path` opened for reading, never waiting on it for good: a FIFO with no
    writer, a terminal or a device must give its first byte (or its end) within
    WAIT seconds."""
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


def read_line(file, path, number):
    """The next line (bytes, without its newline), or None at the end; one longer
    than LINE_LIMIT is refused rather than read."""
    try:
        raw = file.readline(LINE_LIMIT + 1)
    except OSError as e:
        raise cannot("{}:{}: cannot read: {}".format(path, number, e.strerror))
    if len(raw) > LINE_LIMIT and not raw.endswith(b"\n"):
        raise cannot("{}:{}: the line is longer than {} bytes, the most a line may be".format(
            path, number, LINE_LIMIT))
    return (raw[:-1] if raw.endswith(b"\n") else raw) if raw else None


class DuplicateKey(ValueError):
    pass


def no_duplicates(pairs):
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen = set()
        for key, _ in pairs:
            if key in seen:
                raise DuplicateKey("the key {} appears twice in one object".format(json.dumps(key)))
            seen.add(key)
    return obj


def no_constant(name):
    raise ValueError("{} is not a JSON value".format(name))


SCAN = json.JSONDecoder(object_pairs_hook=no_duplicates, parse_constant=no_constant).scan_once
WHITESPACE = re.compile(r"[ \t\n\r]*").match


def show_name(name):
    """A tensor name as the report writes it: as is when plain, else JSON-quoted."""
    return name if PLAIN_NAME(name) else json.dumps(name)


def show_position(at):
    return json.dumps(at)


def show_shape(shape):
    return "[" + ", ".join(str(d) for d in shape) + "]"


def elements(shape):
    n = 1
    for d in shape:
        n *= d
    return n


class Trace:
    """One trace file, read a line at a time. next() gives (line, at, tensors) for
    each record, validated, or None at the end of the file."""

    def __init__(self, path):
        self.path = path
        self.line = 0
        self.records = 0
        self.file = open_input(path)
        header = self._next_object()
        if header is None:
            raise self._error("empty file: line 1 must be the header {\"format\": \"parity-trace/1\", ...}")
        self._check_header(header)

    def _error(self, message):
        return cannot("{}:{}: {}".format(self.path, max(self.line, 1), message))

    def _next_object(self):
        raw = read_line(self.file, self.path, self.line + 1)
        if raw is None:
            return None
        self.line += 1
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise self._error("not UTF-8 (byte {} of the line)".format(e.start + 1))
        if not text.strip(" \t\r"):
            raise self._error("empty line: every line must be one JSON object")
        # JSONDecoder.decode without its overhead: the scanner, then nothing but
        # JSON whitespace after the value.
        start = 0 if text[0] not in " \t\r" else WHITESPACE(text, 0).end()
        try:
            obj, end = SCAN(text, start)
        except StopIteration as e:
            raise self._error("not JSON: Expecting value (column {})".format(e.value + 1))
        except DuplicateKey as e:
            raise self._error(str(e))
        except json.JSONDecodeError as e:
            raise self._error("not JSON: {} (column {})".format(e.msg, e.colno))
        except ValueError as e:
            raise self._error("not JSON: {}".format(e))
        except RecursionError:
            raise self._error("not JSON this reader can take: nested too deeply")
        if end != len(text):
            end = WHITESPACE(text, end).end()
            if end != len(text):
                raise self._error("not JSON: Extra data (column {}): one JSON object per line".format(end + 1))
        return obj

    def _check_header(self, header):
        if not isinstance(header, dict):
            raise self._error("the header must be a JSON object with \"format\": \"parity-trace/1\"")
        if header.get("format") != FORMAT:
            if "format" not in header:
                raise self._error("the header has no \"format\" (it must be \"parity-trace/1\")")
            raise self._error("the header's format is {}, not \"parity-trace/1\"".format(json.dumps(header["format"])))
        if not isinstance(header.get("program"), str):
            raise self._error("the header's \"program\" must be a string")
        if not isinstance(header.get("meta"), dict):
            raise self._error("the header's \"meta\" must be a JSON object")
        self.program = header["program"]

    def next(self):
        obj = self._next_object()
        if obj is None:
            return None
        if not isinstance(obj, dict):
            raise self._error("a record must be a JSON object with \"at\" and \"tensors\"")
        at = obj.get("at")
        if not isinstance(at, list) or not at:
            raise self._error("\"at\" must be a non-empty list of integers and strings")
        for item in at:
            if type(item) is not int and type(item) is not str:
                raise self._error("\"at\" must be a non-empty list of integers and strings, not {}".format(
                    show_position(at)))
        tensors = obj.get("tensors")
        if not isinstance(tensors, dict):
            raise self._error("\"tensors\" must be a JSON object (name -> tensor)")
        # The common case, checked quickly; anything unusual is checked again,
        # slowly, by _check_tensor, for the message.
        try:
            for t in tensors.values():
                dtype, shape, bits = t["dtype"], t["shape"], t["bits"]
                n = DIGITS[dtype]
                if type(shape) is not list:
                    raise TypeError
                for d in shape:
                    if type(d) is not int or d < 0:
                        raise TypeError
                    n *= d
                if type(bits) is not str or len(bits) != n or not HEX(bits) or (dtype == "bool" and not BOOL_BITS(bits)):
                    raise TypeError
        except Exception:
            for name, t in tensors.items():
                self._check_tensor(name, t)
            raise self._error("a tensor that is not as the format says")  # not reached: _check_tensor says which
        self.records += 1
        return self.line, at, tensors

    def _check_tensor(self, name, t):
        label = "tensor {}".format(show_name(name))
        if not isinstance(t, dict):
            raise self._error("{}: must be an object with \"dtype\", \"shape\" and \"bits\"".format(label))
        dtype, shape, bits = t.get("dtype"), t.get("shape"), t.get("bits")
        if not isinstance(dtype, str) or dtype not in DTYPES:
            if dtype is None:
                raise self._error("{}: no \"dtype\"".format(label))
            raise self._error("{}: unknown dtype {} (one of {})".format(label, json.dumps(dtype), ", ".join(DTYPES)))
        if not isinstance(shape, list) or not all(type(d) is int and d >= 0 for d in shape):
            if shape is None:
                raise self._error("{}: no \"shape\"".format(label))
            raise self._error("{}: the shape must be a list of non-negative integers, not {}".format(
                label, json.dumps(shape)))
        if not isinstance(bits, str):
            if bits is None:
                raise self._error("{}: no \"bits\"".format(label))
            raise self._error("{}: \"bits\" must be a string of hex digits".format(label))
        digits = DTYPES[dtype][0]
        n = elements(shape)
        if len(bits) != n * digits:
            raise self._error("{}: \"bits\" has {} hex digits; {} {} needs {} ({} elements x {})".format(
                label, len(bits), dtype, show_shape(shape), n * digits, n, digits))
        if not HEX(bits):
            bad = next(i for i, c in enumerate(bits) if c not in "0123456789abcdef")
            raise self._error("{}: \"bits\" must be lowercase hex digits; character {} is {}".format(
                label, bad + 1, json.dumps(bits[bad])))
        if dtype == "bool" and not BOOL_BITS(bits):
            bad = next(i for i in range(0, len(bits), 2) if bits[i:i + 2] not in ("00", "01"))
            raise self._error("{}: a bool element is 00 or 01, element {} is {}".format(label, bad // 2, bits[bad:bad + 2]))


# --- elements --------------------------------------------------------------------

def unsigned(bits, digits):
    """The elements' bit patterns as unsigned integers."""
    n = len(bits) // digits
    return struct.unpack(">{}{}".format(n, UNSIGNED_CODE[digits]), bytes.fromhex(bits))


def value(dtype, u):
    """The number an element's bit pattern stands for (a Python float, int or bool)."""
    digits, kind = DTYPES[dtype]
    if kind == "float":
        if dtype == "bfloat16":
            return struct.unpack(">f", struct.pack(">I", u << 16))[0]
        return struct.unpack(">" + FLOAT_CODE[dtype], struct.pack(">" + UNSIGNED_CODE[digits], u))[0]
    if kind == "int":
        sign = 1 << (digits * 4 - 1)
        return u - 2 * sign if u >= sign else u
    if kind == "bool":
        return bool(u)
    return u


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


def ordered(u, width):
    """Maps a float's bit pattern onto an integer in the order of the floats (+0 and
    -0 both onto 0), so the difference of two counts the floats between (ULPs)."""
    sign = 1 << (width - 1)
    return u if u < sign else sign - u


class Element:
    """One differing element: its values, distance and relative difference."""

    def __init__(self, dtype, ua, ub):
        digits, kind = DTYPES[dtype]
        self.a, self.b = value(dtype, ua), value(dtype, ub)
        a, b = self.a, self.b
        self.nan = self.inf = False
        if kind == "float":
            if a != a or b != b:
                self.nan = True  # a NaN against anything with other bits
                self.distance = None
                self.rel = None
                return
            self.distance = abs(ordered(ua, digits * 4) - ordered(ub, digits * 4))
            if math.isinf(a) or math.isinf(b):
                self.inf = True
                self.rel = math.inf
                return
        else:
            a, b = int(a), int(b)
            self.distance = abs(a - b)
        if a == b:
            self.rel = 0.0  # +0 against -0: other bits, the same number
            return
        m = max(abs(a), abs(b))
        d = abs(a - b)
        self.rel = d / m if d != math.inf else abs(a / m - b / m)


# --- the comparison ----------------------------------------------------------------

class TensorStats:
    __slots__ = ("records", "differing_records", "differing_elements", "max_distance", "max_rel", "nan", "inf",
                 "dtypes", "kinds")

    def __init__(self):
        self.records = self.differing_records = self.differing_elements = 0
        self.max_distance = 0
        self.max_rel = 0.0
        self.nan = self.inf = 0
        self.dtypes = []
        self.kinds = set()


class Comparison:
    def __init__(self, a, b, names):
        self.a, self.b, self.names = a, b, names
        self.positions_compared = 0
        self.first = None  # one line: the earliest difference of any kind
        self.last_agreed = None  # (at, line A, line B) before the first difference
        self.first_value = None  # the report's lines for the first differing value
        self.only = ([], [])  # per side: [count, first (at, line)]
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
                self.part(a, b)
                return
            rec = (a, b)[side]
            self.only_count[side] += 1
            if not self.only[side]:
                self.only[side].append((rec[1], rec[0]))
            if self.first is None:
                self.first = "position {} (line {}) on {} only".format(show_position(rec[1]), rec[0],
                                                                       self.names[side])
            if side == 0:
                a = self.a.next()
            else:
                b = self.b.next()

    @staticmethod
    def behind(a, b):
        """Which side holds a record the other lacks (0 or 1), or None when the
        positions cannot be ordered: then the traces part there."""
        if a is None:
            return 1
        if b is None:
            return 0
        pa, pb = a[1], b[1]
        if len(pa) != len(pb):
            return None
        for x, y in zip(pa, pb):
            if x != y:
                if type(x) is int and type(y) is int:
                    return 0 if x < y else 1
                return None
        return None

    def part(self, a, b):
        self.unaligned = (a[1], a[0], b[1], b[0])
        if self.first is None:
            self.first = "the positions part: {} has {} (line {}) where {} has {} (line {})".format(
                self.names[0], show_position(a[1]), a[0], self.names[1], show_position(b[1]), b[0])
        for side, trace in ((0, self.a), (1, self.b)):
            n = 1
            while trace.next() is not None:
                n += 1
            self.unaligned_count[side] = n

    def compare_records(self, a, b):
        at = a[1]
        ta, tb = a[2], b[2]
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
            st = self.stats.get(name)
            if st is None:
                st = self.stats[name] = TensorStats()
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
        entry = self.one_sided.get((side, name))
        if entry is None:
            entry = self.one_sided[(side, name)] = [0, at]
        entry[0] += 1
        if self.first is None:
            self.first = "at {}: tensor {} on {} only".format(show_position(at), show_name(name), self.names[side])

    def mismatch(self, name, at, va, vb):
        entry = self.mismatches.get(name)
        sa, sb = (va["dtype"], va["shape"]), (vb["dtype"], vb["shape"])
        if entry is None:
            entry = self.mismatches[name] = [0, at, sa, sb]
        entry[0] += 1
        if self.first is None:
            what = "dtype" if sa[0] != sb[0] else "shape"
            if sa[0] != sb[0] and sa[1] != sb[1]:
                what = "dtype and shape"
            self.first = "at {}: tensor {}: {} differs, {} {} on {}, {} {} on {}".format(
                show_position(at), show_name(name), what, sa[0], show_shape(sa[1]), self.names[0],
                sb[0], show_shape(sb[1]), self.names[1])

    def values_differ(self, st, name, at, dtype, shape, bits_a, bits_b):
        digits, kind = DTYPES[dtype]
        st.kinds.add(kind)
        st.differing_records += 1
        first = None
        for lo, x, y in differing(bits_a, bits_b, digits):
            if first is None:
                first = lo
            e = Element(dtype, x, y)
            st.differing_elements += 1
            if e.nan:
                st.nan += 1
                continue
            if e.inf:
                st.inf += 1
            if e.distance > st.max_distance:
                st.max_distance = e.distance
            if e.rel > st.max_rel:
                st.max_rel = e.rel
        if self.first_value is None:
            self.report_first_value(name, at, dtype, shape, bits_a, bits_b, first)
        if self.first is None:
            self.first = "at {}: tensor {}: a value differs, at flat index {}".format(
                show_position(at), show_name(name), first)

    def report_first_value(self, name, at, dtype, shape, bits_a, bits_b, k):
        digits, kind = DTYPES[dtype]
        n = len(bits_a) // digits
        lo, hi = max(0, k - AROUND), min(n, k + AROUND + 1)
        # Only the elements shown are unpacked: ua[i - lo] is element i.
        ua, ub = (unsigned(bits[lo * digits:hi * digits], digits) for bits in (bits_a, bits_b))
        e = Element(dtype, ua[k - lo], ub[k - lo])
        index, rest = [], k
        for d in reversed(shape):
            index.append(rest % d)
            rest //= d
        index.reverse()
        lines = ["first value that differs: at {}, tensor {}, flat index {}, index {} (shape {}, {})".format(
            show_position(at), show_name(name), k, show_shape(index), show_shape(shape), dtype)]
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
        for side, u in ((0, ua), (1, ub)):
            other = ub if side == 0 else ua
            items = ["{}{}".format("*" if x != y else "", repr(value(dtype, x))) for x, y in zip(u, other)]
            lines.append("{} {}[{}..{}]: {}{}{}".format(self.label(side), show_name(name), lo, hi - 1,
                                                       "..., " if lo else "", ", ".join(items),
                                                       ", ..." if hi < n else ""))
        self.first_value = lines

    def label(self, side):
        width = max(len(n) for n in self.names)
        name = self.names[side]
        return name + ":" + " " * (width - len(name))

    # --- the report ------------------------------------------------------------

    def identical(self):
        return self.first is None

    def report(self):
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
                    show_position(at), self.names[0], la, self.names[1], lb))
            if self.first_value:
                out.extend(self.first_value)
            else:
                out.append("first value that differs: none (every value compared is bit-identical)")
            for side in (0, 1):
                if self.only_count[side]:
                    at, line = self.only[side][0]
                    out.append("positions on {} only: {}, the first {} (line {})".format(
                        self.names[side], self.only_count[side], show_position(at), line))
                else:
                    out.append("positions on {} only: 0".format(self.names[side]))
            if self.unaligned:
                at_a, la, at_b, lb = self.unaligned
                out.append("the positions part: {} {} (line {}), {} {} (line {}); not compared from there: "
                           "{} {} records, {} {} records".format(
                               self.names[0], show_position(at_a), la, self.names[1], show_position(at_b), lb,
                               self.names[0], self.unaligned_count[0], self.names[1], self.unaligned_count[1]))
            out.append("tensors on one side only: {}".format(len(self.one_sided) or "none"))
            entries = ["{} on {} only: {} records, the first at {}".format(
                show_name(name), self.names[side], n, show_position(at))
                for (side, name), (n, at) in self.one_sided.items()]
            out.extend(limited(entries))
            out.append("shape or dtype mismatches: {}".format(len(self.mismatches) or "none"))
            entries = ["{}: {} {} on {}, {} {} on {}: {} records, the first at {}".format(
                show_name(name), sa[0], show_shape(sa[1]), self.names[0], sb[0], show_shape(sb[1]), self.names[1],
                n, show_position(at)) for name, (n, at, sa, sb) in self.mismatches.items()]
            out.extend(limited(entries))
        out.extend(self.table())
        return out

    def table(self):
        if not self.stats:
            return ["per tensor: none compared"]
        head = ("tensor", "dtype", "records", "differing", "elements", "max ULPs", "max rel diff", "notes")
        rows = []
        for name, st in self.stats.items():
            notes = []
            if st.nan:
                notes.append("NaN mismatch x{}".format(st.nan))
            if st.inf:
                notes.append("inf mismatch x{}".format(st.inf))
            if st.kinds and st.kinds != {"float"}:
                notes.append("max ULPs: integer difference")
            rows.append((show_name(name), "/".join(st.dtypes), str(st.records), str(st.differing_records),
                         str(st.differing_elements), str(st.max_distance), show_rel(st.max_rel), "; ".join(notes)))
        widths = [max(len(r[i]) for r in rows + [head]) for i in range(len(head))]
        lines = ["per tensor, over the positions compared:"]
        for r in [head] + rows:
            lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
        return lines


def show_rel(r):
    if r == 0:
        return "0"
    if r == math.inf:
        return "inf"
    return "{:.3g}".format(r)


def limited(entries):
    if len(entries) <= LIST_LIMIT:
        return entries
    return entries[:LIST_LIMIT] + ["... and {} more".format(len(entries) - LIST_LIMIT)]


# --- the command line ----------------------------------------------------------------

def parse_args(argv):
    files, names = [], ("A", "B")
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg in ("-h", "--help"):
            return None, None
        if arg == "--compare":
            if len(argv) - i - 1 < 2:
                raise cannot("--compare takes two trace files; " + USAGE)
            files.extend(argv[i + 1:i + 3])
            i += 3
            continue
        if arg == "--names" or arg.startswith("--names="):
            if arg == "--names":
                if i + 1 >= len(argv):
                    raise cannot("--names takes two names, as --names A,B")
                value, i = argv[i + 1], i + 2
            else:
                value, i = arg[len("--names="):], i + 1
            parts = value.split(",")
            if len(parts) != 2 or not all(p.strip() for p in parts) or parts[0] == parts[1]:
                raise cannot("--names {}: two different, non-empty names separated by one comma, "
                             "as --names Rust,PyTorch".format(json.dumps(value)))
            names = (parts[0], parts[1])
            continue
        if arg.startswith("-") and arg != "-":
            raise cannot("{}: not an option of --compare; {}".format(arg, USAGE))
        files.append(arg)
        i += 1
    if len(files) != 2:
        raise cannot("two trace files are needed, {} given; {}".format(len(files), USAGE))
    return files, names


def main():
    files, names = parse_args(sys.argv[1:])
    if files is None:
        print(__doc__.strip())
        return 0
    comparison = Comparison(Trace(files[0]), Trace(files[1]), names)
    comparison.run()
    print("\n".join(comparison.report()))
    return 0 if comparison.identical() else 1


if __name__ == "__main__":
    try:
        sys.stdout.reconfigure(errors="backslashreplace")
    except (AttributeError, ValueError):
        pass
    run(main, lambda line: print("cannot compare: " + line), code=2)
