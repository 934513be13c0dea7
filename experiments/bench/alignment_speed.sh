#!/usr/bin/env bash
# Supervised alignment at MUSE's scale, graft beside its numpy peer on one
# machine: Procrustes + 5 refinement rounds + the CSLS evaluation, N x D
# vectors per language (default 200,000 x 300, MUSE's loader cap), synthetic
# (a clustered vocabulary and its noisy random rotation; 5,000 training pairs
# among the most frequent words, 1,500 test words after them). graft reads
# the .vec text files; the peer (alignment_speed_peer.py) reads .npy copies,
# so its time is the steps alone. Prints each side's P@1, seconds and peak
# memory (maximum resident set), and the ratio of the times.
#   experiments/bench/alignment_speed.sh [N] [D]
set -euo pipefail
cd "$(dirname "$0")/../.."
words=${1:-200000}
dim=${2:-300}
threads=$(nproc)
# ALIGNMENT_SPEED_DIR=DIR keeps the vectors and speed.yaml there (to rerun
# graft alone with other settings: graft run DIR/speed.yaml blas_threads=1
# output=DIR/b1, a new output since thread counts are not part of a run's identity).
if [ -n "${ALIGNMENT_SPEED_DIR:-}" ]; then
  out=$ALIGNMENT_SPEED_DIR
  mkdir -p "$out"
else
  out=$(mktemp -d /tmp/graft-align-XXXXXX)
  trap 'rm -rf "$out"' EXIT
fi

echo "== writing $words x $dim vectors per language =="
/usr/bin/python3 - "$out" "$words" "$dim" <<'PY'
import sys
import numpy as np
out, n, d = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(0)
centres = 2.0 * rng.standard_normal((64, d)).astype(np.float32)
assignment = (rng.random(n) ** 2 * 64).astype(np.int64)  # uneven clusters
x = centres[assignment] + rng.standard_normal((n, d)).astype(np.float32) * np.linspace(0.3, 1.2, d, dtype=np.float32)
q, _ = np.linalg.qr(rng.standard_normal((d, d)))
z = (x @ q.T.astype(np.float32) + 0.3 * rng.standard_normal((n, d)).astype(np.float32)).astype(np.float32)
for name, m, prefix in (("source", x, "s"), ("target", z, "t")):
    np.save(f"{out}/{name}.npy", m)
    with open(f"{out}/{name}.vec", "w") as f:
        f.write(f"{n} {d}\n")
        for i in range(n):
            f.write(prefix + str(i) + " " + " ".join(f"{v:.4f}" for v in m[i]) + "\n")
train = np.stack([np.arange(5000), np.arange(5000)], 1)
test = np.stack([np.arange(5000, 6500), np.arange(5000, 6500)], 1)
np.save(f"{out}/train.npy", train)
np.save(f"{out}/test.npy", test)
for name, pairs in (("train", train), ("test", test)):
    with open(f"{out}/{name}.txt", "w") as f:
        f.writelines(f"s{a} t{b}\n" for a, b in pairs)
PY

cat > "$out/speed.yaml" <<YAML
name: alignment_speed
data:
  source: {name: word_vectors, path: $out/source.vec}
  target: {name: word_vectors, path: $out/target.vec}
  dictionary: {name: bilingual_dictionary, train: $out/train.txt, test: $out/test.txt}
optimizer: {name: sgd, lr: 0.1}
steps: 6
eval_every: 0
checkpoint_every: 0
seeds: [0]
threads: $threads
report: [test.p1_nn, test.p1_csls, criterion.mean_cosine]
method: {name: procrustes}
output: $out/results
YAML

echo "== graft: procrustes, 5 refinement rounds, evaluation ($threads threads; reading the .vec files included) =="
/usr/bin/time -f "graft wall %e s, peak %M KiB" build/bin/graft run "$out/speed.yaml" --no-progress 2> "$out/graft.time" | grep -E "^procrustes"
cat "$out/graft.time" | tail -1
graft_s=$(sed -n 's/.*wall \([0-9.]*\) s.*/\1/p' "$out/graft.time" | tail -1)

echo "== numpy peer: the same steps from .npy ($threads BLAS threads) =="
OPENBLAS_NUM_THREADS=$threads /usr/bin/time -f "peer wall %e s, peak %M KiB" /usr/bin/python3 \
  experiments/bench/alignment_speed_peer.py "$out" 2> "$out/peer.time"
tail -1 "$out/peer.time"
peer_s=$(sed -n 's/.*wall \([0-9.]*\) s.*/\1/p' "$out/peer.time" | tail -1)
/usr/bin/python3 -c "print(f'peer / graft time: {$peer_s / $graft_s:.2f}x')"
