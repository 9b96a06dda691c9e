#!/usr/bin/env bash
# What breaks bit-parity, measured: builds the binary and examples/variants.rs, then
# traces the port and each variant and prints where each first differs (a markdown
# table; docs/parity-workbench.md shows it and says why).
#   scripts/variants.sh [--seed N] [--epochs N]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
(cd "$root" && cargo build --release --quiet --bin sine-rnn --example variants)
exec "$root/scripts/python" "$root/scripts/variants.py" "$@"
