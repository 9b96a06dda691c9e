#!/usr/bin/env bash
# Makes libtorch 2.13.0 available to this project's build, with no root and no
# change to the system Python.
#
# The official libtorch archives are not reachable from our machines, but the
# PyPI wheel torch==2.13.0 *is* libtorch (torch/lib, torch/include,
# torch/share/cmake). We install it, with numpy and matplotlib for the Python
# reference, into a virtual environment cached outside the clone, then point a
# per-clone symlink (.libtorch, git-ignored) at its torch directory. The
# committed .cargo/config.toml sets LIBTORCH to that symlink, so cargo needs no
# environment variable from the user; an explicit LIBTORCH still wins.
#
# Idempotent: when everything is in place a rerun only checks and exits.
#
# Environment:
#   SINE_RNN_CACHE   where the environment lives
#                    (default ${XDG_CACHE_HOME:-$HOME/.cache}/sine-rnn)
#   PYTHON           the interpreter that creates the environment (default python3)
#   PIP_TIMEOUT      seconds per network attempt (default 10)
set -euo pipefail

TORCH_VERSION=2.13.0
NUMPY_SPEC='numpy>=1.26,<3'
MATPLOTLIB_SPEC='matplotlib>=3.8,<4'

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${SINE_RNN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sine-rnn}
venv=$cache/venv-torch-$TORCH_VERSION
stamp=$venv/.sine-rnn-complete
link=$root/.libtorch
python=${PYTHON:-python3}

say() { printf 'fetch_libtorch: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# Where the wheel put libtorch inside the environment (lib/pythonX.Y/site-packages/torch).
torch_dir() {
  local d
  for d in "$venv"/lib/python3*/site-packages/torch; do
    [ -f "$d/lib/libtorch_cpu.so" ] && { printf '%s\n' "$d"; return 0; }
  done
  return 1
}

link_clone() {
  local dir=$1
  if [ -e "$link" ] && [ ! -L "$link" ]; then
    die "$link exists and is not a symlink; move it away and rerun (this script manages .libtorch as a link)"
  fi
  if [ "$(readlink "$link" 2>/dev/null)" != "$dir" ]; then
    ln -sfn "$dir" "$link" || die "cannot create the symlink $link"
    say "linked $link -> $dir"
  fi
}

# Fast path: a completed environment is only checked, never touched.
if [ -f "$stamp" ] && dir=$(torch_dir) && [ -f "$dir/include/torch/csrc/api/include/torch/torch.h" ]; then
  link_clone "$dir"
  say "libtorch $TORCH_VERSION is in place at $dir"
  exit 0
fi

command -v "$python" >/dev/null 2>&1 \
  || die "no '$python' found: install Python 3.10-3.14 with venv and pip (Debian: apt install python3 python3-venv python3-pip), or set PYTHON"
"$python" -c 'import sys; sys.exit(0 if (3, 10) <= sys.version_info[:2] <= (3, 14) else 1)' \
  || die "$python is $("$python" -V 2>&1); the torch $TORCH_VERSION wheel needs Python 3.10-3.14"
"$python" -c 'import venv, ensurepip' >/dev/null 2>&1 \
  || die "$python cannot create virtual environments: install its venv module (Debian: apt install python3-venv)"

mkdir -p "$cache" || die "cannot create the cache directory $cache"
# A venv whose creation was interrupted can have bin/python but no pip: recreate it.
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -m pip --version >/dev/null 2>&1; then
  say "creating the Python environment $venv"
  "$python" -m venv --clear "$venv" || die "could not create the virtual environment $venv (is the disk full?)"
fi

# pip gives up after a bounded number of short attempts when PyPI is unreachable
# (about 30 s, never endlessly). Nothing is marked complete until the end, so a
# rerun after an interruption installs whatever is still missing.
say "installing torch==$TORCH_VERSION (about 4.8 GB with its NVIDIA wheels), numpy and matplotlib"
log=$(mktemp "${TMPDIR:-/tmp}/fetch_libtorch.XXXXXX") || die "cannot create a temporary file in ${TMPDIR:-/tmp} (is the disk full?)"
trap 'rm -f "$log"' EXIT
if ! "$venv/bin/python" -m pip install --disable-pip-version-check --progress-bar off \
      --timeout "${PIP_TIMEOUT:-10}" --retries 2 \
      "torch==$TORCH_VERSION" "$NUMPY_SPEC" "$MATPLOTLIB_SPEC" 2>&1 | tee "$log" >&2; then
  free=$(df -Pk "$cache" | awk 'NR==2 {printf "%.1f", $4/1024/1024}')
  if grep -q 'No space left on device' "$log"; then
    die "the disk is full: $free GB free in $cache, and about 6 GB are needed. Free some space (or set SINE_RNN_CACHE to a larger disk) and rerun this script."
  elif grep -qiE 'Could not find a version|No matching distribution|NewConnectionError|Failed to establish|Network is unreachable|Temporary failure in name resolution|timed out' "$log"; then
    die "cannot download torch==$TORCH_VERSION: PyPI is unreachable from this machine (or has no wheel for it here). Check the network or your pip index settings, then rerun this script."
  else
    die "pip could not install torch==$TORCH_VERSION into $venv (see pip's message above; $free GB free in $cache). Rerun this script to resume."
  fi
fi

dir=$(torch_dir) || die "torch installed, but $venv has no torch/lib/libtorch_cpu.so"
got=$("$venv/bin/python" -c 'import torch; print(torch.__version__)') \
  || die "torch was installed but does not import; remove $venv and rerun"
case "$got" in
  "$TORCH_VERSION"|"$TORCH_VERSION"+*) ;;
  *) die "expected torch $TORCH_VERSION, found $got in $venv" ;;
esac
touch "$stamp"
link_clone "$dir"
say "libtorch $got ready at $dir"
say "Python reference: $venv/bin/python scripts/reference.py"
