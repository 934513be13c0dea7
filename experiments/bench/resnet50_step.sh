#!/usr/bin/env bash
# One training step of TLlib's Office-31 DANN recipe at its real size
# (ResNet-50, 224 px, 32 + 32 images; experiments/bench/resnet50_step.yaml),
# graft beside the same step in PyTorch (resnet50_step_pytorch.py) on the same
# libtorch and thread count, interleaved round by round, in the default
# layout and channels-last. Prints seconds per step and graft's speed relative
# to PyTorch's (> 1: graft is faster), and what a full protocol run costs here.
#   experiments/bench/resnet50_step.sh [STEPS] [ROUNDS]     # default 3 steps a run, 4 rounds: ~18 min on 2 cores
set -euo pipefail
cd "$(dirname "$0")/../.."
steps=${1:-3}
rounds=${2:-4}
threads=$(nproc)
inputs=results/bench_resnet50_inputs
out=$(mktemp -d /tmp/graft-resnet50-XXXXXX)
trap 'rm -rf "$out"' EXIT

# 64 random images a domain, float32 (what the loader would hand over), and labels of 31 classes.
/usr/bin/python3 - "$inputs" <<'PY'
import os, sys
import numpy as np
rng = np.random.default_rng(0)
for domain in ("source", "target"):
    os.makedirs(f"{sys.argv[1]}/{domain}", exist_ok=True)
    np.save(f"{sys.argv[1]}/{domain}/x.npy", rng.standard_normal((64, 3, 224, 224), dtype=np.float32))
    np.save(f"{sys.argv[1]}/{domain}/label.npy", rng.integers(0, 31, 64))
PY

graft_s_per_step() {  # $1: output folder, then overrides
  local folder=$1
  shift
  build/bin/graft run experiments/bench/resnet50_step.yaml steps="$steps" threads="$threads" output="$folder" \
    data.source.path="$inputs/source" data.target.path="$inputs/target" "$@" \
    --no-progress > "$folder.log" 2>&1 || { cat "$folder.log" >&2; exit 1; }
  /usr/bin/python3 -c "
import h5py, sys
f = h5py.File(sys.argv[1])
print(f'{f.attrs[\"step_time_s\"] / f.attrs[\"steps_done\"]:.3f}')" "$(ls "$folder"/bench_resnet50_step/runs/*/run.h5)"
}

echo "== ResNet-50 DANN step, 224 px, 32 + 32 images, $steps steps a run, $threads threads, $rounds rounds =="
echo "cpu: $(build/bin/graft info | sed -n 's/^cpu: //p'); $(build/bin/graft info | grep 'aten cpu capability')"
# OpenBLAS on one thread, as graft sets it (runtime.cpp), so only the code differs.
pytorch_s_per_step() {
  OPENBLAS_NUM_THREADS=1 /usr/bin/python3 experiments/bench/resnet50_step_pytorch.py "$inputs" "$steps" "$threads" "$@" |
    awk '{print $3}'
}
# Runs of one program differ by ~10% from one to the next on this machine, and
# whichever runs first in a pair is not favoured: the order alternates by round
# (graft first in odd rounds, PyTorch first in even ones), and medians are compared.
declare -a g p gc pc
for round in $(seq 1 "$rounds"); do
  if (( round % 2 )); then
    g+=("$(graft_s_per_step "$out/g$round")"); p+=("$(pytorch_s_per_step)")
    gc+=("$(graft_s_per_step "$out/gc$round" model.channels_last=true)"); pc+=("$(pytorch_s_per_step channels_last)")
  else
    p+=("$(pytorch_s_per_step)"); g+=("$(graft_s_per_step "$out/g$round")")
    pc+=("$(pytorch_s_per_step channels_last)"); gc+=("$(graft_s_per_step "$out/gc$round" model.channels_last=true)")
  fi
  echo "round $round: graft ${g[-1]} s/step, pytorch ${p[-1]} s/step; channels-last: graft ${gc[-1]}, pytorch ${pc[-1]}"
done
/usr/bin/python3 - "${g[*]}" "${p[*]}" "${gc[*]}" "${pc[*]}" <<'PY'
import statistics, sys
g, p, gc, pc = ([float(v) for v in a.split()] for a in sys.argv[1:5])
m = statistics.median
print(f"median s/step: graft {m(g):.3f}, pytorch {m(p):.3f} -> graft speed / pytorch's {m(p) / m(g):.2f}x (NCHW)")
print(f"median s/step: graft {m(gc):.3f}, pytorch {m(pc):.3f} -> graft speed / pytorch's {m(pc) / m(gc):.2f}x (channels-last)")
best = min(m(g), m(gc))
print(f"one Office-31 DANN run (20,000 steps) at {best:.2f} s/step: {20000 * best / 3600:.1f} h on this CPU; "
      f"the protocol file's 72 runs (6 tasks x 4 methods x 3 seeds, shorter for ERM and DAN) are a GPU's work")
PY
