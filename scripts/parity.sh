#!/usr/bin/env bash
# Parity check: the Rust binary against the Python reference, same seeds and
# configurations, compared bit for bit (see scripts/parity.py for the flags).
#   scripts/parity.sh                      # the test configurations, on the CPU
#   scripts/parity.sh --seeds 0,1,2        # the tutorial's configuration per seed
#   scripts/parity.sh --device cuda --tolerance 1e-4
#   scripts/parity.sh --trace --config "--seed 4 --epochs 12" --perturb-lr-ulps 1
#   scripts/parity.sh --recorded their_log.txt --config "--seed 0"   # a log recorded elsewhere
#   scripts/parity.sh --compare a.jsonl b.jsonl [--names Rust,PyTorch]  # any two parity-trace/1 files
# Builds target/release/sine-rnn first unless --binary is given. Exit codes: 0 all
# IDENTICAL (or WITHIN a tolerance), 1 something DIFFERENT, 2 cannot compare.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# --compare reads two trace files, whatever wrote them: no build, no PyTorch, only
# a Python 3 with its standard library (scripts/compare.py takes every argument).
for arg in "$@"; do
  if [ "$arg" = --compare ]; then
    command -v python3 >/dev/null 2>&1 && exec python3 "$root/scripts/compare.py" "$@"
    exec "$root/scripts/python" "$root/scripts/compare.py" "$@"
  fi
done
binary_given=0 recorded=0
for arg in "$@"; do
  case $arg in --binary|--binary=*) binary_given=1 ;; --recorded|--recorded=*) recorded=1 ;; esac
done
if (( !binary_given )) && command -v cargo >/dev/null 2>&1; then
  (cd "$root" && cargo build --release --quiet)
fi
# Without the Python side (only the runtime set, or nothing) there is nothing to
# compare with: say so, exit 2, never "DIFFERENT". A recorded log needs no
# PyTorch: any Python 3 reads it.
if ! why=$("$root/scripts/python" -c pass 2>&1); then
  if (( recorded )) && command -v python3 >/dev/null 2>&1; then
    exec python3 "$root/scripts/parity.py" "$@"
  fi
  echo "cannot compare: ${why##*$'\n'}"
  exit 2
fi
exec "$root/scripts/python" "$root/scripts/parity.py" "$@"
