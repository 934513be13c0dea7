"""The numpy peer of graft's supervised alignment at scale (alignment_speed.sh):
the same steps as `procrustes` with `steps: 6` and its evaluation, on the
same vectors (read from the .npy copies the script wrote beside the .vec
files, so the peer's time is the steps alone), with batched matrix products
on the same OpenBLAS:

  normalise (unit, centre, unit); Procrustes on the training pairs; 5 rounds of
  mutual CSLS neighbours among the 15,000 most frequent words of each side
  (each word's r over the whole other vocabulary), Procrustes again; then P@1
  of the test words by NN and by CSLS (r of every target word over every
  mapped source word, k = 10), and MUSE's criterion over 10,000 words.

  /usr/bin/python3 experiments/bench/alignment_speed_peer.py FOLDER

Prints P@1 and the seconds of each step; the caller measures peak memory."""
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from embedding_peer import mean_topk, normalize, rows_for, unit  # noqa: E402


def procrustes(x, z, pairs):
    s, t = pairs[:, 0], pairs[:, 1]
    u, _, vt = np.linalg.svd(z[t].astype(np.float64).T.dot(x[s].astype(np.float64)))
    return u.dot(vt).astype(np.float32)  # W: mapped = x W^T


def mutual_csls(mapped, target, max_rank):
    s, t = mapped[:max_rank], target[:max_rank]
    r_s, r_t = mean_topk(s, target), mean_topk(t, mapped)
    forward = np.empty(len(s), dtype=np.int64)
    best_score = np.full(len(t), -np.inf, dtype=np.float32)
    best_row = np.zeros(len(t), dtype=np.int64)
    rows = rows_for(len(t))
    for i in range(0, len(s), rows):
        scores = 2 * s[i : i + rows].dot(t.T) - r_s[i : i + rows, None] - r_t[None, :]
        forward[i : i + rows] = scores.argmax(1)
        column_arg = scores.argmax(0)
        column_max = scores[column_arg, np.arange(len(t))]
        better = column_max > best_score
        best_score[better] = column_max[better]
        best_row[better] = column_arg[better] + i
    sources = np.arange(len(s))
    keep = best_row[forward] == sources
    return np.stack([sources[keep], forward[keep]], 1)


def retrieve(queries, keys, r_queries=None, r_keys=None):
    best = np.empty(len(queries), dtype=np.int64)
    rows = rows_for(len(keys))
    for i in range(0, len(queries), rows):
        sim = queries[i : i + rows].dot(keys.T)
        if r_queries is not None:
            sim = 2 * sim - r_queries[i : i + rows, None] - r_keys[None, :]
        best[i : i + rows] = sim.argmax(1)
    return best


def main():
    folder = sys.argv[1]
    clock = time.perf_counter()
    marks = []

    def mark(name):
        nonlocal clock
        now = time.perf_counter()
        marks.append((name, now - clock))
        clock = now

    x = normalize(np.load(f"{folder}/source.npy"))
    z = normalize(np.load(f"{folder}/target.npy"))
    train = np.load(f"{folder}/train.npy")
    test = np.load(f"{folder}/test.npy")  # (source row, target row), one gold translation each
    mark("load and normalise")
    w = procrustes(x, z, train)
    mark("procrustes")
    for _ in range(5):
        w = procrustes(x, z, mutual_csls(x.dot(w.T), z, 15000))
    mark("5 refinement rounds")
    s, t = unit(x.dot(w.T)), unit(z)
    queries = s[test[:, 0]]
    r_t = mean_topk(t, s)
    nn = retrieve(queries, t)
    csls = retrieve(queries, t, mean_topk(queries, t), r_t)
    criterion_s, criterion_t = s[:10000], t[:10000]
    best = retrieve(criterion_s, criterion_t, mean_topk(criterion_s, criterion_t), mean_topk(criterion_t, criterion_s))
    criterion = float((criterion_s * criterion_t[best]).sum(1).mean())
    mark("evaluation")
    print(f"peer P@1 NN {100 * np.mean(nn == test[:, 1]):.2f} CSLS {100 * np.mean(csls == test[:, 1]):.2f} "
          f"criterion {criterion:.4f}")
    print("peer seconds: " + ", ".join(f"{name} {seconds:.1f}" for name, seconds in marks) +
          f"; steps and evaluation {sum(s for n, s in marks[1:]):.1f}")


if __name__ == "__main__":
    main()
