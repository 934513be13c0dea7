#!/usr/bin/env bash
# graft vs a plain PyTorch script, side by side on one machine: the DANN
# training step of Ganin et al.'s MNIST network (64 + 64 images, batches drawn
# every step) on the same libtorch 1.13 and the same thread count; then the
# time and peak memory of loading a 200,000 x 300 .vec file, graft's reader vs
# a plain Python loader. Prints both numbers and the ratios.
#   build/bin/graft data fetch mnist_m && experiments/bench/graft_vs_pytorch.sh [STEPS]
set -euo pipefail
cd "$(dirname "$0")/../.."
steps=${1:-1000}
threads=$(nproc)
out=$(mktemp -d /tmp/graft-bench-XXXXXX)
trap 'rm -rf "$out"' EXIT

echo "== DANN step, $steps steps, $threads threads (libtorch + BLAS as graft's defaults) =="
# Steps/s of the training loop only (run.h5's step_time_s), as the script measures its loop.
graft_steps_per_s() {  # $1: output folder, then overrides
  local folder=$1
  shift
  build/bin/graft run experiments/bench/dann_step.yaml steps="$steps" threads="$threads" output="$folder" "$@" \
    --no-progress > "$folder.log" 2>&1 || { cat "$folder.log" >&2; exit 1; }
  /usr/bin/python3 -c "
import h5py, sys
f = h5py.File(sys.argv[1])
print(f'{f.attrs[\"steps_done\"] / f.attrs[\"step_time_s\"]:.2f}')" "$(ls "$folder"/bench_dann_step/runs/*/run.h5)"
}
graft_rate=$(graft_steps_per_s "$out/nchw")
echo "graft steps/s $graft_rate (default NCHW layout)"
graft_cl_rate=$(graft_steps_per_s "$out/cl" model.channels_last=true)
echo "graft steps/s $graft_cl_rate (model.channels_last=true)"
# OpenBLAS on one thread, as graft sets it (runtime.cpp), so only the code differs.
python_line=$(OPENBLAS_NUM_THREADS=1 /usr/bin/python3 experiments/bench/dann_step_pytorch.py "$steps" "$threads")
echo "$python_line"
python_rate=${python_line##* }
/usr/bin/python3 -c "print(f'graft / pytorch: {$graft_rate / $python_rate:.2f}x (NCHW), {$graft_cl_rate / $python_rate:.2f}x (channels_last)')"

echo "== loading a 200,000 x 300 .vec file =="
/usr/bin/python3 - "$out/words.vec" <<'PY'
import random, sys
random.seed(0)
with open(sys.argv[1], "w") as f:
    f.write("200000 300\n")
    for i in range(200000):
        f.write(f"w{i} " + " ".join(f"{random.gauss(0, 0.3):.4f}" for _ in range(300)) + "\n")
PY
echo "file: $(du -h "$out/words.vec" | cut -f1); the matrix itself: $((200000 * 300 * 4 / 1048576)) MiB"
build/bin/graft data check-vec "$out/words.vec"
/usr/bin/python3 - "$out/words.vec" <<'PY'
# The loader people write (as MUSE's read_txt_embeddings): split each line,
# one numpy array per word, stacked at the end.
import resource, sys, time
import numpy as np
def peak_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
base = peak_mib()
start = time.perf_counter()
words, vectors = [], []
with open(sys.argv[1], encoding="utf-8") as f:
    next(f)
    for line in f:
        word, rest = line.rstrip().split(" ", 1)
        words.append(word)
        vectors.append(np.array(rest.split(" "), dtype=np.float32))
matrix = np.vstack(vectors)
elapsed = time.perf_counter() - start
print(f"python loader: {matrix.shape[0]} x {matrix.shape[1]} in {elapsed:.2f} s, peak memory +{peak_mib() - base:.0f} MiB")
PY
