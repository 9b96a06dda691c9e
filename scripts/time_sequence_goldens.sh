#!/usr/bin/env bash
# Writes tests/golden/time_sequence/ from PyTorch: for each line of its
# configs.txt, examples/time_sequence.py's stdout (name.stdout) and its trace,
# whole (name.jsonl) or as the SHA-256 of its record lines (name.sha256).
# tests/time_sequence.rs checks the Rust port against them with no Python.
#   scripts/time_sequence_goldens.sh [NAME...]   (default: every configuration)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dir=$root/tests/golden/time_sequence
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
known=$(grep -v '^#' "$dir/configs.txt" | awk 'NF { print $1 }')
for name in "$@"; do
  grep -qx -- "$name" <<<"$known" || { echo "configs.txt has no configuration $name" >&2; exit 2; }
done
grep -v '^#' "$dir/configs.txt" | while read -r name keep flags; do
  [ -n "$name" ] || continue
  if [ $# -gt 0 ] && [[ " $* " != *" $name "* ]]; then continue; fi
  echo "$name: $flags" >&2
  # shellcheck disable=SC2086  # the flags are words
  "$root/scripts/python" "$root/examples/time_sequence.py" $flags --device cpu --no-plot --threads 2 \
    --trace "$tmp/trace.jsonl" > "$tmp/stdout"
  mv "$tmp/stdout" "$dir/$name.stdout"
  case $keep in
    trace) mv "$tmp/trace.jsonl" "$dir/$name.jsonl" ;;
    digest) tail -n +2 "$tmp/trace.jsonl" | sha256sum | cut -d' ' -f1 > "$dir/$name.sha256" ;;
    *) echo "configs.txt: $name: keep is trace or digest, not $keep" >&2; exit 1 ;;
  esac
done
