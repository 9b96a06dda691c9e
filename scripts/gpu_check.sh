#!/usr/bin/env bash
# sine-rnn on a machine with an NVIDIA GPU: what the machine and libtorch see,
# parity on CUDA (Rust vs Python on the same libtorch: identical expected), CUDA vs
# CPU (within 1e-4 relative), a CPU-vs-CUDA timing table, and the time-sequence
# example's port against its PyTorch twin on CUDA. Exits non-zero on any failure.
#
#   scripts/gpu_check.sh
# Environment: SINE_RNN_BIN (the binary; default: target/release/sine-rnn, else
# sine-rnn on PATH), PYTHON (the Python with torch; default scripts/python),
# RUNS (timing runs, 5).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
# This clone's build first; a sine-rnn on PATH only where there is none.
if [ -n "${SINE_RNN_BIN:-}" ]; then
  bin=$SINE_RNN_BIN
elif [ -x "$root/target/release/sine-rnn" ]; then
  bin=$root/target/release/sine-rnn
else
  bin=$(command -v sine-rnn || echo "$root/target/release/sine-rnn")
fi
py=${PYTHON:-$root/scripts/python}
runs=${RUNS:-5}
fail=0

# Nothing below means anything without a GPU: say so in one line and stop.
if ! command -v nvidia-smi >/dev/null 2>&1 || ! nvidia-smi -L >/dev/null 2>&1; then
  echo "gpu_check: no NVIDIA GPU on this machine (nvidia-smi finds none); nothing to check" >&2
  exit 2
fi

echo "== GPU and driver"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || { echo "nvidia-smi failed"; fail=1; }

echo "== what PyTorch sees"
"$py" - <<'PY' || fail=1
import torch
print("torch", torch.__version__, "| CUDA build", torch.version.cuda)
print("CUDA available:", torch.cuda.is_available(), "| devices:", torch.cuda.device_count(),
      "| cuDNN:", torch.backends.cudnn.is_available(), torch.backends.cudnn.version())
if torch.cuda.is_available():
    print("device 0:", torch.cuda.get_device_name(0))
PY

echo "== what sine-rnn sees (--device auto, no GPU flag given)"
auto=$("$bin" --device auto --epochs 0 --no-plot 2>&1) || fail=1
printf '%s\n' "$auto"
grep -q 'device cuda:0' <<<"$auto" || { echo "FAIL: --device auto did not pick CUDA"; fail=1; }

echo "== parity on CUDA: Rust vs Python, same libtorch, zero tolerance"
"$py" scripts/parity.py --binary "$bin" --python "$py" --device cuda --every 50 || fail=1

echo "== CUDA vs CPU (Rust), tolerance 1e-4 relative"
"$py" scripts/parity.py --binary "$bin" --device cuda --baseline rust-cpu --tolerance 1e-4 --every 100 \
  --seeds 0,1,2 --config "--seed 7 --hidden-size 16 --seq-length 50 --epochs 40" || fail=1

echo "== timing: the default run, whole process and training loop ($runs runs each, median)"
"$py" - "$bin" "$runs" <<'PY' || fail=1
import re, statistics, subprocess, sys, time
binary, runs = sys.argv[1], int(sys.argv[2])
print("{:<6} {:>12} {:>12} {:>14}".format("device", "process s", "train s", "us per step"))
for device in ("cpu", "cuda"):
    wall, train = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        p = subprocess.run([binary, "--device", device, "--no-plot"], capture_output=True, text=True, check=True)
        wall.append(time.perf_counter() - t0)
        train.append(float(re.search(r"in ([0-9.]+) s", p.stderr).group(1)))
    w, t = statistics.median(wall), statistics.median(train)
    print("{:<6} {:>12.3f} {:>12.3f} {:>14.1f}".format(device, w, t, 1e6 * t / 6000))
PY

echo "== peak memory of the default run"
for device in cpu cuda; do
  /usr/bin/time -v "$bin" --device "$device" --no-plot 2>&1 >/dev/null | awk -v d="$device" '/Maximum resident/ {print d": "$6" kB"}' || true
done

echo "== time-sequence example on CUDA: Rust port vs PyTorch twin, then CUDA vs CPU"
ts_bin=$root/target/release/examples/time_sequence
ts_flags=(--hidden 8 --sequences 6 --length 40 --period 7 --future 20 --steps 2 --no-plot)
if [ -x "$ts_bin" ]; then
  ts=$(mktemp -d)
  "$ts_bin" "${ts_flags[@]}" --device cuda --trace "$ts/rust-cuda.jsonl" > "$ts/rust-cuda.txt" || fail=1
  "$py" examples/time_sequence.py "${ts_flags[@]}" --device cuda --trace "$ts/python-cuda.jsonl" > "$ts/python-cuda.txt" || fail=1
  "$ts_bin" "${ts_flags[@]}" --device cpu --trace "$ts/rust-cpu.jsonl" > "$ts/rust-cpu.txt" || fail=1
  cmp "$ts/rust-cuda.txt" "$ts/python-cuda.txt" && echo "stdout on CUDA: identical" || { echo "FAIL: stdout on CUDA differs"; fail=1; }
  scripts/parity.sh --compare "$ts/python-cuda.jsonl" "$ts/rust-cuda.jsonl" --names python-cuda,rust-cuda \
    > "$ts/same.txt" || fail=1
  head -n 12 "$ts/same.txt"
  echo "-- CUDA vs CPU (other kernels: where the two part, and by how much):"
  scripts/parity.sh --compare "$ts/rust-cpu.jsonl" "$ts/rust-cuda.jsonl" --names cpu,cuda > "$ts/apart.txt" || true
  head -n 12 "$ts/apart.txt"
  rm -rf "$ts"
else
  echo "FAIL: $ts_bin is missing; run cargo build --release --example time_sequence"; fail=1
fi

if [ "$fail" -ne 0 ]; then echo "gpu_check: FAILED"; exit 1; fi
echo "gpu_check: all checks passed"
