#!/usr/bin/env bash
# Makes libtorch 2.13.0 available to this project's build, with no root and no
# change to the system Python.
#
# The PyPI wheel torch==2.13.0 *is* libtorch (torch/lib, torch/include,
# torch/share/cmake). We install it into a virtual environment cached outside
# the clone, then point a per-clone symlink (.libtorch, git-ignored) at its
# torch directory. The committed .cargo/config.toml sets LIBTORCH to that
# symlink, so cargo needs no environment variable; an explicit LIBTORCH still wins.
#
# What is installed depends on what this machine can use:
#   (no flag)   without an NVIDIA driver (libcuda.so.1 does not load): the CPU
#               runtime set, about 1.2 GB: torch without its dependencies, plus
#               exactly the libraries that libtorch_cpu.so and libc10.so name as
#               NEEDED and that torch/lib lacks (read from the ELF files after the
#               torch wheel is in place), each from the wheel, at the exact
#               version, that torch's own metadata pins. Enough for the Rust
#               binary; Python's `import torch` does not work on it.
#               With a driver: the full set below, so CUDA works.
#   --python    the full set, about 4.8 GB: torch with all its dependencies
#               (cuDNN, cuBLAS, NCCL, Triton, ...), numpy, matplotlib and
#               safetensors, for the Python reference, the parity harness and the
#               tests. Over the runtime set it installs only what is missing, into
#               the same environment.
#   --cpu       the CPU runtime set even where an NVIDIA driver is present.
#
# PYTHON=/path/to/python with a torch 2.13.0 (any local build suffix) links
# .libtorch to that interpreter's torch and downloads nothing; another torch
# version is refused. An interpreter without torch creates the cached
# environment, as by default.
#
# Idempotent: when everything is in place a rerun only checks and exits.
# Resumable: nothing is marked complete until the end, so a rerun after an
# interruption installs whatever is still missing.
#
# Environment:
#   SINE_RNN_CACHE   where the environment lives
#                    (default ${XDG_CACHE_HOME:-$HOME/.cache}/sine-rnn)
#   PYTHON           an interpreter whose torch 2.13.0 to use, or that creates
#                    the environment (default python3)
#   PIP_TIMEOUT      seconds per network attempt (default 10)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# The torch release, from the one file that names it for the build, the scripts and the tests.
TORCH_VERSION=$(sed -n '1{s/[[:space:]]//g;p;}' "$root/build/torch-version" 2>/dev/null || true)
if ! [[ "$TORCH_VERSION" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
  echo "fetch_libtorch: error: $root/build/torch-version should hold the torch version, one line such as 1.2.3 (it holds '$TORCH_VERSION'); restore it from git" >&2
  exit 1
fi
NUMPY_SPEC='numpy>=1.26,<3'
MATPLOTLIB_SPEC='matplotlib>=3.8,<4'
SAFETENSORS_SPEC='safetensors>=0.4,<1'
FULL_SET="torch==$TORCH_VERSION $NUMPY_SPEC $MATPLOTLIB_SPEC $SAFETENSORS_SPEC"

if [ -z "${SINE_RNN_CACHE:-}${XDG_CACHE_HOME:-}${HOME:-}" ]; then
  echo "fetch_libtorch: error: HOME is not set, so there is no default cache; set SINE_RNN_CACHE to where the environment should go" >&2
  exit 1
fi
cache=${SINE_RNN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sine-rnn}
# A relative cache means relative to where the script was run from; made absolute
# here, so the .libtorch link in the clone points at the right place.
case "$cache" in /*) ;; *) cache=$PWD/$cache ;; esac
venv=$cache/venv-torch-$TORCH_VERSION
# Stamps, each written only once its set is completely installed:
#   .sine-rnn-runtime   the CPU runtime set
#   .sine-rnn-complete  torch with all its dependencies (also written by earlier
#                       versions of this script, whose set was torch, numpy, matplotlib)
#   .sine-rnn-python    the full set; holds the requirement list it was made with
runtime_stamp=$venv/.sine-rnn-runtime
complete_stamp=$venv/.sine-rnn-complete
python_stamp=$venv/.sine-rnn-python
link=$root/.libtorch
python=${PYTHON:-python3}

say() { printf 'fetch_libtorch: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

usage() {
  cat <<EOF
usage: scripts/fetch_libtorch.sh [--python | --cpu]
  (no flag)  what this machine can use: the CPU runtime set (about 1.2 GB) without
             an NVIDIA driver, the full set (about 4.8 GB) with one
  --python   the full set: torch with its CUDA libraries, numpy, matplotlib and
             safetensors (the Python reference, the parity harness, the tests)
  --cpu      the CPU runtime set even where an NVIDIA driver is present
PYTHON=/path/to/python reuses that interpreter's torch $TORCH_VERSION (downloads nothing).
EOF
}

want=auto
for arg in "$@"; do
  case "$arg" in
    --python) [ "$want" = cpu ] && die "--python and --cpu exclude each other; give one"; want=python ;;
    --cpu) [ "$want" = python ] && die "--python and --cpu exclude each other; give one"; want=cpu ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown option '$arg'; use --python (the full set for the Python side and the tests), --cpu, or no flag" ;;
  esac
done

# The torch 2.13.0 wheels this project builds on exist for Linux x86_64 with glibc;
# anywhere else, say so before downloading anything.
system="$(uname -s 2>/dev/null || echo unknown) $(uname -m 2>/dev/null || echo unknown)"
if [ "$system" != "Linux x86_64" ] || ! getconf GNU_LIBC_VERSION >/dev/null 2>&1; then
  [ "$system" = "Linux x86_64" ] && system="$system without glibc"
  die "this system is $system; sine-rnn supports Linux x86_64 with glibc (the platform of the torch $TORCH_VERSION wheels it builds on), so nothing was downloaded"
fi

# Where the wheel put libtorch inside the environment (lib/pythonX.Y/site-packages/torch).
torch_dir() {
  local d
  for d in "$venv"/lib/python3*/site-packages/torch; do
    [ -f "$d/lib/libtorch_cpu.so" ] && { printf '%s\n' "$d"; return 0; }
  done
  return 1
}

has_headers() { [ -f "$1/include/torch/csrc/api/include/torch/torch.h" ]; }

# The __version__ of a torch directory, from its version.py (no import).
version_of() {
  sed -n "s/^__version__ *= *['\"]\\([^'\"]*\\)['\"].*/\\1/p" "$1/version.py" 2>/dev/null | head -n 1
}

# The shared libraries that a lib needs and the loader cannot find (ldd's "not found").
unresolved() {
  { ldd "$@" 2>/dev/null || true; } | awk '/=> not found/ {print $1}' | sort -u | tr '\n' ' ' | sed 's/ $//'
}

link_clone() {
  local dir=$1
  if [ "$(readlink "$link" 2>/dev/null)" != "$dir" ]; then
    ln -sfn "$dir" "$link" || die "cannot create the symlink $link"
    say "linked $link -> $dir"
  fi
}

# Checked first: nothing is downloaded for a clone whose .libtorch cannot be linked.
if [ -e "$link" ] && [ ! -L "$link" ]; then
  die "$link exists and is not a symlink; move it away and rerun (this script manages .libtorch as a link)"
fi

# --- PYTHON=/path/to/python: reuse that interpreter's torch --------------------
if [ -n "${PYTHON:-}" ]; then
  command -v "$python" >/dev/null 2>&1 \
    || die "no '$python' found: install Python 3.10-3.14 with venv and pip (Debian: apt install python3 python3-venv python3-pip), or set PYTHON"
  # find_spec locates the package without importing it (and without the current
  # directory, which could hold a torch source checkout).
  found=$("$python" -c '
import importlib.util, sys
sys.path[:] = [p for p in sys.path if p not in ("", ".")]
s = importlib.util.find_spec("torch")
print(s.submodule_search_locations[0] if s and s.submodule_search_locations else "")
' 2>/dev/null) || found=
  if [ -n "$found" ]; then
    dir=$(cd "$found" 2>/dev/null && pwd -P) \
      || die "$python did not answer as a Python interpreter with torch would (it printed: $(printf '%s' "$found" | head -c 200)); name a Python interpreter in PYTHON"
    got=$(version_of "$dir") || got=
    case "$got" in
      "$TORCH_VERSION"|"$TORCH_VERSION"+*) ;;
      *) die "$python has torch ${got:-of unknown version} ($dir), but this project needs torch $TORCH_VERSION (tch 0.26 binds libtorch $TORCH_VERSION): install torch==$TORCH_VERSION for that interpreter, or run this script without PYTHON to get a cached environment" ;;
    esac
    [ -f "$dir/lib/libtorch_cpu.so" ] \
      || die "the torch $got of $python ($dir) has no lib/libtorch_cpu.so, so it cannot be linked against; run this script without PYTHON to get a cached environment"
    has_headers "$dir" \
      || die "the torch $got of $python ($dir) has no C++ headers (include/torch/csrc/api/include/torch/torch.h); run this script without PYTHON to get a cached environment"
    missing=$(unresolved "$dir/lib/libtorch_cpu.so" "$dir/lib/libc10.so")
    [ -z "$missing" ] \
      || die "the torch $got of $python ($dir) cannot load: its libtorch_cpu.so needs $missing, which is not installed for it; reinstall torch==$TORCH_VERSION there, or run this script without PYTHON"
    if [ "$want" = python ]; then
      lacking=$("$python" -c '
import importlib.util, sys
sys.path[:] = [p for p in sys.path if p not in ("", ".")]
print(" ".join(m for m in ("numpy", "matplotlib", "safetensors") if importlib.util.find_spec(m) is None))
' 2>/dev/null) || lacking="numpy matplotlib safetensors"
      [ -z "$lacking" ] \
        || die "$python has torch $got but not $lacking, which the Python side needs: $python -m pip install '$NUMPY_SPEC' '$MATPLOTLIB_SPEC' '$SAFETENSORS_SPEC', then rerun"
    fi
    link_clone "$dir"
    say "using the torch $got of $python at $dir (nothing downloaded)"
    prefix=$(cd "$dir/../../../.." 2>/dev/null && pwd) || prefix=
    if [ -z "$prefix" ] || [ ! -x "$prefix/bin/python" ]; then
      say "note: scripts/python cannot tell the interpreter from .libtorch here; set SINE_RNN_PYTHON=$python to run the Python reference with it"
    fi
    exit 0
  fi
  say "$python has no torch: making the cached environment with it"
fi

# --- which set: what was asked for, and what is already in place --------------
# As src/tool/device.rs decides: a driver is present when libcuda.so.1 loads. Asked of
# the environment's own interpreter when there is one (it starts fastest).
driver_present() {
  local probe='import ctypes
try:
    ctypes.CDLL("libcuda.so.1")
    print("yes")
except OSError:
    print("no")' answer=
  [ -x "$venv/bin/python" ] && answer=$("$venv/bin/python" -S -c "$probe" 2>/dev/null) || answer=
  case "$answer" in
    yes|no) ;;
    *) answer=$("$python" -S -c "$probe" 2>/dev/null) || answer=no ;;
  esac
  [ "$answer" = yes ]
}
have_full_set() { [ -f "$python_stamp" ] && [ "$(cat "$python_stamp")" = "$FULL_SET" ]; }
have_torch_deps() { [ -f "$complete_stamp" ] || [ -f "$python_stamp" ]; }
have_runtime() { [ -f "$runtime_stamp" ] || have_torch_deps; }
describe() {
  if have_full_set; then echo "full set"
  elif have_torch_deps; then echo "torch with its CUDA libraries"
  else echo "CPU runtime set"
  fi
}

# Fast path: a completed environment that covers what is asked is only checked,
# never touched.
if dir=$(torch_dir) && has_headers "$dir"; then
  case "$want" in
    python) ok=$(have_full_set && echo y || true) ;;
    cpu) ok=$(have_runtime && echo y || true) ;;
    auto)
      if have_torch_deps; then ok=y
      elif have_runtime && ! driver_present; then ok=y
      else ok=
      fi ;;
  esac
  if [ -n "$ok" ]; then
    link_clone "$dir"
    say "libtorch $TORCH_VERSION ($(describe)) is in place at $dir"
    exit 0
  fi
fi

set_kind=full
case "$want" in
  python) say "installing the full set (--python): torch $TORCH_VERSION with its CUDA libraries, numpy, matplotlib and safetensors; about 4.8 GB in all, only what is missing is downloaded" ;;
  cpu) set_kind=runtime
       say "installing the CPU runtime set (--cpu): torch $TORCH_VERSION without its dependencies, plus the libraries libtorch itself loads; about 1.2 GB" ;;
  auto)
    if driver_present; then
      say "an NVIDIA driver is present (libcuda.so.1 loads), so the full set, for --device cuda: torch $TORCH_VERSION with its CUDA libraries, numpy, matplotlib and safetensors; about 4.8 GB (--cpu: the CPU runtime only, about 1.2 GB)"
    else
      set_kind=runtime
      say "no NVIDIA driver on this machine (libcuda.so.1 does not load), so the CPU runtime set: torch $TORCH_VERSION without its dependencies, plus the libraries libtorch itself loads; about 1.2 GB instead of 4.8 (the Python side: scripts/fetch_libtorch.sh --python)"
    fi ;;
esac

command -v "$python" >/dev/null 2>&1 \
  || die "no '$python' found: install Python 3.10-3.14 with venv and pip (Debian: apt install python3 python3-venv python3-pip), or set PYTHON"
"$python" -c 'import sys; sys.exit(0 if (3, 10) <= sys.version_info[:2] <= (3, 14) else 1)' \
  || die "$python is $("$python" -V 2>&1); the torch $TORCH_VERSION wheel needs Python 3.10-3.14"
"$python" -c 'import venv, ensurepip' >/dev/null 2>&1 \
  || die "$python cannot create virtual environments: install its venv module (Debian: apt install python3-venv)"

mkdir -p "$cache" 2>/dev/null || die "cannot create the cache directory $cache; choose another with SINE_RNN_CACHE"
# Permission bits say little (root ignores them; read-only mounts ignore them): try.
probe=$cache/.sine-rnn-write-test.$$
if ! : 2>/dev/null >"$probe"; then
  die "the cache directory $cache is not writable (read-only, or not yours); choose another with SINE_RNN_CACHE"
fi
rm -f "$probe"
# A venv whose creation was interrupted can have bin/python but no pip: recreate it.
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -m pip --version >/dev/null 2>&1; then
  say "creating the Python environment $venv"
  # Python's own words only when it failed of itself: a Ctrl-C here is a stop, not a traceback.
  venv_log=$(mktemp "$cache/.venv-log.XXXXXX") || die "cannot write in $cache (is the disk full?)"
  # Ctrl-C reaches the whole process group: this shell too, which then says so.
  trap 'rm -f "$venv_log"; die "stopped while creating the environment $venv; rerun this script to resume"' INT TERM HUP
  status=0
  "$python" -m venv --clear "$venv" 2>"$venv_log" || status=$?
  trap - INT TERM HUP
  if (( status > 128 )); then
    rm -f "$venv_log"
    die "stopped while creating the environment $venv; rerun this script to resume"
  elif (( status )); then
    cat "$venv_log" >&2
    rm -f "$venv_log"
    die "could not create the virtual environment $venv (is the disk full?)"
  fi
  rm -f "$venv_log"
fi

log=$(mktemp "${TMPDIR:-/tmp}/fetch_libtorch.XXXXXX") || die "cannot create a temporary file in ${TMPDIR:-/tmp} (is the disk full?)"
trap 'rm -f "$log"' EXIT

# pip_install WHAT GB ARGS...: pip gives up after a bounded number of short
# attempts when PyPI is unreachable (about 30 s, never endlessly).
pip_install() {
  local what=$1 gb=$2 free
  shift 2
  if ! "$venv/bin/python" -m pip install --disable-pip-version-check --progress-bar off \
        --timeout "${PIP_TIMEOUT:-10}" --retries 2 "$@" 2>&1 | tee "$log" >&2; then
    free=$(df -Pk "$cache" | awk 'NR==2 {printf "%.1f", $4/1024/1024}')
    if grep -q 'No space left on device' "$log"; then
      die "the disk is full: $free GB free in $cache, and about $gb GB are needed. Free some space (or set SINE_RNN_CACHE to a larger disk) and rerun this script."
    elif grep -qiE 'Could not find a version|No matching distribution|NewConnectionError|Failed to establish|Network is unreachable|Temporary failure in name resolution|timed out' "$log"; then
      die "cannot download $what: PyPI is unreachable from this machine (or has no wheel for it here). Check the network or your pip index settings, then rerun this script."
    else
      die "pip could not install $what into $venv (see pip's message above; $free GB free in $cache). Rerun this script to resume."
    fi
  fi
}

# Reads ELF files and wheel metadata; run by the interpreter that made the
# environment (the environment's own Python cannot import torch in the runtime set).
#   needs SITE   the NEEDED entries of torch/lib/libtorch_cpu.so and libc10.so that
#                torch/lib lacks, and which of them torch's pinned CUDA toolkit
#                requirement provides. Prints three lines: the cuda-toolkit pin,
#                the extras to take from it, the libraries they provide.
#   pins SITE EXTRAS   the wheels the installed cuda-toolkit names for EXTRAS, each
#                pinned to its exact version (NAME==V.* becomes NAME==V).
helper='
import glob, mmap, os, re, struct, sys

def needed(path):
    """DT_NEEDED entries of an ELF shared library, from its .dynamic section."""
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
        if m[:4] != b"\x7fELF":
            sys.exit(f"{path} is not an ELF file")
        is64, end = m[4] == 2, "<" if m[5] == 1 else ">"
        if is64:
            (shoff,) = struct.unpack_from(end + "Q", m, 0x28)
            shentsize, shnum = struct.unpack_from(end + "HH", m, 0x3A)
            shfmt, dynfmt = end + "IIQQQQIIQQ", end + "qQ"
        else:
            (shoff,) = struct.unpack_from(end + "I", m, 0x20)
            shentsize, shnum = struct.unpack_from(end + "HH", m, 0x2E)
            shfmt, dynfmt = end + "IIIIIIIIII", end + "iI"
        sections = [struct.unpack_from(shfmt, m, shoff + i * shentsize) for i in range(shnum)]
        names = []
        for _, kind, _, _, offset, size, strtab, *_ in sections:
            if kind != 6:  # SHT_DYNAMIC
                continue
            strings = sections[strtab][4]
            for at in range(offset, offset + size, struct.calcsize(dynfmt)):
                tag, value = struct.unpack_from(dynfmt, m, at)
                if tag == 0:
                    break
                if tag == 1:  # DT_NEEDED
                    start = strings + value
                    names.append(m[start:m.find(b"\0", start)].decode())
        return names

def metadata(site, dist):
    found = glob.glob(os.path.join(site, dist + "-*.dist-info", "METADATA"))
    if not found:
        sys.exit(f"no {dist} metadata in {site}")
    with open(found[0], encoding="utf-8") as f:
        return [l[len("Requires-Dist:"):].strip() for l in f if l.startswith("Requires-Dist:")]

cmd, site = sys.argv[1], sys.argv[2]
if cmd == "needs":
    lib = os.path.join(site, "torch", "lib")
    missing = []
    for so in ("libtorch_cpu.so", "libc10.so"):
        for name in needed(os.path.join(lib, so)):
            if name not in missing and not os.path.exists(os.path.join(lib, name)):
                missing.append(name)
    pin, extras = "", []
    for req in metadata(site, "torch"):
        r = re.match(r"cuda-toolkit\s*\[([^\]]*)\]\s*==\s*([^\s;,]+)", req)
        if r:
            pin, extras = "cuda-toolkit==" + r.group(2), [e.strip() for e in r.group(1).split(",")]
    take, provided = [], []
    for name in missing:
        r = re.match(r"lib(.+?)\.so", name)
        if r and r.group(1) in extras:
            take.append(r.group(1))
            provided.append(name)
    pairs = sorted(zip(take, provided))
    print(pin if take else "")
    print(",".join(t for t, _ in pairs))
    print(" ".join(p for _, p in pairs))
elif cmd == "pins":
    extras, pins = sys.argv[3].split(","), []
    for req in metadata(site, "cuda_toolkit"):
        spec, _, marker = req.partition(";")
        if any(re.search(r"extra\s*==\s*[\x27\"]%s[\x27\"]" % re.escape(e), marker) for e in extras):
            spec = re.sub(r"\s+", "", spec)
            spec = re.sub(r"==([0-9.]+)\.\*$", r"==\1", spec)
            if spec not in pins:
                pins.append(spec)
    print(" ".join(pins))
'

install_runtime() {
  local dir site plan toolkit extras libs pins missing
  pip_install "torch==$TORCH_VERSION" 3 --no-deps "torch==$TORCH_VERSION"
  dir=$(torch_dir) || die "torch installed, but $venv has no torch/lib/libtorch_cpu.so; remove $venv and rerun"
  site=$(dirname "$dir")
  plan=$("$python" -c "$helper" needs "$site") \
    || die "cannot read what $dir/lib/libtorch_cpu.so needs; remove $venv and rerun"
  toolkit=$(sed -n 1p <<<"$plan")
  extras=$(sed -n 2p <<<"$plan")
  libs=$(sed -n 3p <<<"$plan")
  if [ -n "$extras" ]; then
    pip_install "$toolkit" 3 --no-deps "$toolkit"
    pins=$("$python" -c "$helper" pins "$site" "$extras") \
      || die "cannot read the metadata of $toolkit in $site; remove $venv and rerun"
    say "libtorch_cpu.so and libc10.so load $libs: installing ${toolkit%%==*}[$extras]==${toolkit#*==} as torch pins it: $pins"
    # shellcheck disable=SC2086 # one argument per pinned wheel
    pip_install "$pins" 3 --no-deps $pins
  fi
  missing=$(unresolved "$dir/lib/libtorch_cpu.so" "$dir/lib/libc10.so")
  [ -z "$missing" ] \
    || die "libtorch_cpu.so still cannot find $missing, which neither torch's wheels nor this system provide; run scripts/fetch_libtorch.sh --python for the full set"
  touch "$runtime_stamp"
}

install_full() {
  local dir got
  # shellcheck disable=SC2086 # one argument per requirement
  pip_install "torch==$TORCH_VERSION" 6 $FULL_SET
  dir=$(torch_dir) || die "torch installed, but $venv has no torch/lib/libtorch_cpu.so; remove $venv and rerun"
  got=$("$venv/bin/python" -c 'import torch, numpy, matplotlib, safetensors; print(torch.__version__)') \
    || die "torch was installed but does not import; remove $venv and rerun"
  case "$got" in
    "$TORCH_VERSION"|"$TORCH_VERSION"+*) ;;
    *) die "expected torch $TORCH_VERSION, found $got in $venv" ;;
  esac
  touch "$complete_stamp"
  printf '%s\n' "$FULL_SET" >"$python_stamp"
}

if [ "$set_kind" = runtime ]; then install_runtime; else install_full; fi

dir=$(torch_dir) || die "torch installed, but $venv has no torch/lib/libtorch_cpu.so; remove $venv and rerun"
has_headers "$dir" || die "torch installed, but $dir has no C++ headers; remove $venv and rerun"
got=$(version_of "$dir")
case "$got" in
  "$TORCH_VERSION"|"$TORCH_VERSION"+*) ;;
  *) die "expected torch $TORCH_VERSION, found ${got:-no version.py} in $dir; remove $venv and rerun" ;;
esac
link_clone "$dir"
size=$(du -sh "$venv" 2>/dev/null | cut -f1) || size=
say "libtorch $got ($(describe), ${size:-?} in $venv) ready at $dir"
if [ "$set_kind" = runtime ]; then
  say "for the Python reference and the tests: scripts/fetch_libtorch.sh --python"
else
  say "Python reference: scripts/python scripts/reference.py"
fi
