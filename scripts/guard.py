"""How compare.py, parity.py and reference.py read their flags and end: every failure
is one line, never a traceback. Ctrl-C, SIGTERM, SIGHUP and SIGQUIT end a run with
128 + the signal's number; a reader of stdout that goes away is no error (the rest
of stdout is dropped, as the binary drops it); a stdout that cannot be written (a
full disk) is. The standard library only, so that compare.py needs nothing else.
"""

import argparse
import os
import signal
import sys
import unicodedata


class Failure(Exception):
    """A failure the user can act on: the message is the whole line, `code` the exit
    code (None: the program's own failure code)."""

    def __init__(self, message, code=1):
        super().__init__(message)
        self.code = code


class Stopped(BaseException):
    """SIGTERM, SIGHUP or SIGQUIT: raised where the program is, so that its clean-up runs."""


class Parser(argparse.ArgumentParser):
    """argparse with a usage error as one line (a Failure, exit 2) and no prefix
    matching (`--seed=` is not `--seeds`)."""

    def __init__(self, **kwargs):
        super().__init__(allow_abbrev=False, **kwargs)

    def error(self, message):
        raise Failure(message, 2)


def _null(fd):
    """Points `fd` at /dev/null (its reader went away, or it was closed)."""
    null = os.open(os.devnull, os.O_RDWR)
    if null != fd:
        os.dup2(null, fd)
        os.close(null)


class _Stdout:
    """sys.stdout, but a reader that went away drops the rest of stdout, and any
    other failure to write it is a Failure (stdout is dropped then too, so that the
    interpreter's own flush at exit finds nothing to say)."""

    def __init__(self, stream):
        self._stream = stream

    def _guarded(self, call, *args):
        try:
            return call(*args)
        except OSError as e:
            _null(1)
            if not isinstance(e, BrokenPipeError):
                raise Failure("writing to stdout: {}".format(e.strerror or e), None)

    def write(self, text):
        self._guarded(self._stream.write, text)
        return len(text)

    def flush(self):
        self._guarded(self._stream.flush)

    def __getattr__(self, name):
        return getattr(self._stream, name)


# The most characters of a message an error line shows, as in the binary: one that
# quotes what a file holds (a weights header's 98 MB string) is cut in the middle,
# keeping its start and its end, where the reason usually is.
MAX_MESSAGE = 1000


def one_line(message):
    """The message cut to MAX_MESSAGE characters, its control characters escaped."""
    if len(message) > MAX_MESSAGE:
        half = MAX_MESSAGE // 2
        cut = len(message) - MAX_MESSAGE
        message = "{} [\u2026{} character{} cut\u2026] {}".format(
            message[:half], cut, "" if cut == 1 else "s", message[-half:])
    # Control characters, and the lone surrogates that stand for bytes of a file name
    # that are not UTF-8, as Python writes them in a string literal (\n, \x1b, \udcff).
    return "".join(c.encode("unicode_escape").decode("ascii") if unicodedata.category(c) in ("Cc", "Cs") else c
                   for c in message)


def _stop(signum, _frame):
    raise Stopped(signum)


def run(main, report, code=1):
    """Runs main() and exits with what it returns. A Failure exits with its code;
    an OSError, MemoryError or anything unexpected with `code`; each is one line,
    given to `report` (which prints it where the program's messages go)."""
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:  # started with the descriptor closed (`>&-`): as /dev/null
            _null(fd)
    stdout = sys.stdout or open(1, "w", closefd=False)
    if hasattr(stdout, "reconfigure"):  # Python 3.7+: each line as soon as it is printed, as the binary does;
        # a character the encoding lacks (a file name's byte that is not UTF-8) is escaped, not an error.
        stdout.reconfigure(line_buffering=True, errors="backslashreplace")
    sys.stdout = _Stdout(stdout)
    sys.stderr = sys.stderr or open(2, "w", closefd=False)
    for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
        signal.signal(signum, _stop)
    status, line = 0, None
    try:
        status = main()
        sys.stdout.flush()
    except Failure as e:
        status, line = code if e.code is None else e.code, str(e)
    except (KeyboardInterrupt, Stopped) as e:
        signum = e.args[0] if isinstance(e, Stopped) else signal.SIGINT
        status, line = 128 + signum, "stopped by {}".format(signal.Signals(signum).name)
    except OSError as e:
        status, line = code, "{}{}".format(e.strerror or e, ": {}".format(e.filename) if e.filename else "")
    except MemoryError:
        status, line = code, "out of memory"
    except Exception as e:  # a bug: still one line
        status, line = code, "internal error: {}: {} (please report it)".format(type(e).__name__, e)
    if line is not None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            if os.path.samestat(os.fstat(1), os.stat(os.devnull)):
                sys.stdout = sys.stderr  # stdout went away: the line goes where it can be seen
            report(one_line(line))
            sys.stdout.flush()
        except (Failure, OSError):  # stdout cannot take it (a full disk): stderr then
            sys.stdout = sys.stderr
            try:
                report(one_line(line))
            except OSError:
                pass
        try:
            sys.stderr.flush()
        except OSError:
            pass
    sys.exit(status)
