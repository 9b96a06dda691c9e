#!/usr/bin/env bash
# Benchmark: the time-sequence example's Rust port against PyTorch on the same
# libtorch, whole runs, with each one's peak memory (scripts/bench_time_sequence.py).
#   scripts/bench_time_sequence.sh [--runs 3] [--steps 1] [--original DIR]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
(cd "$root" && cargo build --release --quiet --example time_sequence)
exec "$root/scripts/python" "$root/scripts/bench_time_sequence.py" "$@"
