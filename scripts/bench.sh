#!/usr/bin/env bash
# Benchmark: sine-rnn (each backend) against the Python reference on this machine,
# medians of 5 runs; prints a markdown table with the ratios (scripts/bench.py).
#   scripts/bench.sh [--runs N] [--backends tch,tch-manual,native]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
(cd "$root" && cargo build --release --quiet)
exec "$root/scripts/python" "$root/scripts/bench.py" "$@"
