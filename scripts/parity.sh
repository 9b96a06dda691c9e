#!/usr/bin/env bash
# Parity check: the Rust binary against the Python reference, same seeds and
# configurations, compared bit for bit (see scripts/parity.py for the flags).
#   scripts/parity.sh                      # the test configurations, on the CPU
#   scripts/parity.sh --seeds 0,1,2        # the tutorial's configuration per seed
#   scripts/parity.sh --device cuda --tolerance 1e-4
# Builds target/release/sine-rnn first unless --binary is given.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [[ " $* " != *" --binary "* ]] && command -v cargo >/dev/null 2>&1; then
  (cd "$root" && cargo build --release --quiet)
fi
exec "$root/scripts/python" "$root/scripts/parity.py" "$@"
