"""A numpy peer of graft's VecMap supervised recipe (methods/cross_lingual/vecmap.h),
written from VecMap's map_embeddings.py steps, on graft's own benchmark files:
the same vectors, dictionaries, normalisation and scoring (CSLS, k = 10,
every gold translation counts, test words without vectors dropped). It prints
P@1 (CSLS, NN) for each step, the rows of experiments/cross_lingual/en_es_vecmap.yaml:

  /usr/bin/python3 experiments/bench/vecmap_peer.py [--pair en-es] [--recipe 3]

Paths default to graft's cache (GRAFT_CACHE or ~/.cache/graft)."""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from embedding_peer import mean_topk, normalize, unit  # noqa: E402
from sealed_file import unsealed  # noqa: E402


def read_vec(path):
    text = unsealed(open(path, "rb").read(), path).decode("utf-8")
    lines = text.splitlines()
    count, dim = map(int, lines[0].split())
    words, rows = [], []
    for line in lines[1 : count + 1]:
        parts = line.rstrip(" ").split(" ")
        words.append(parts[0])
        rows.append(np.asarray(parts[1 : dim + 1], dtype=np.float32))
    return words, np.vstack(rows)


def read_pairs(path):
    text = unsealed(open(path, "rb").read(), path).decode("utf-8")
    return [tuple(line.split()) for line in text.splitlines() if line.strip()]


def whitening(m):
    _, s, vt = np.linalg.svd(m, full_matrices=False)
    return vt.T.dot(np.diag(1 / s)).dot(vt)


def solve(x, z, src, trg, step):
    """Mapped source and target for one variant of the table."""
    x, z = x.astype(np.float64), z.astype(np.float64)
    if step == "orthogonal":
        u, _, vt = np.linalg.svd(z[trg].T.dot(x[src]))
        return x.dot(vt.T.dot(u.T)), z
    if step == "unconstrained":
        w = np.linalg.lstsq(x[src], z[trg], rcond=None)[0]
        return x.dot(w), z
    whiten = step != "multistep"
    reweight = 0.5 if step in ("whiten_reweight", "vecmap_supervised", "vecmap_supervised_dim150") else 0.0
    dewhiten = step in ("vecmap_supervised", "vecmap_supervised_dim150")
    wx1 = whitening(x[src]) if whiten else np.eye(x.shape[1])
    wz1 = whitening(z[trg]) if whiten else np.eye(z.shape[1])
    xw, zw = x.dot(wx1), z.dot(wz1)
    wx2, s, wz2t = np.linalg.svd(xw[src].T.dot(zw[trg]))
    wz2 = wz2t.T
    xw, zw = xw.dot(wx2) * s**reweight, zw.dot(wz2) * s**reweight
    if dewhiten:
        xw = xw.dot(wx2.T.dot(np.linalg.inv(wx1)).dot(wx2))
        zw = zw.dot(wz2.T.dot(np.linalg.inv(wz1)).dot(wz2))
    if step.endswith("dim150"):
        xw, zw = xw[:, :150], zw[:, :150]
    return xw, zw


def score(xw, zw, queries, gold, k=10):
    s, t = unit(xw), unit(zw)
    q = s[queries]
    sim = q.dot(t.T)
    r_t = mean_topk(t, s, k)
    csls = 2 * sim - mean_topk(q, t, k)[:, None] - r_t[None, :]
    hits = lambda best: 100.0 * np.mean([b in g for b, g in zip(best, gold)])
    return hits(csls.argmax(1)), hits(sim.argmax(1))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pair", default="en-es")
    parser.add_argument("--recipe", type=int, default=3)
    parser.add_argument("--cache", default=os.environ.get("GRAFT_CACHE", os.path.expanduser("~/.cache/graft")))
    args = parser.parse_args()
    folder = os.path.join(args.cache, "derived", "crosslingual-v2")
    source_language, target_language = args.pair.split("-")
    sw, x = read_vec(os.path.join(folder, f"vectors.{source_language}.vec"))
    tw, z = read_vec(os.path.join(folder, f"vectors.{target_language}.vec"))
    x, z = normalize(x), normalize(z)
    si = {w: i for i, w in enumerate(sw)}
    ti = {w: i for i, w in enumerate(tw)}
    prefix = os.path.join(folder, f"dictionary-v{args.recipe}.{args.pair}" if args.recipe != 2 else f"dictionary.{args.pair}")
    train = [(si[a], ti[b]) for a, b in read_pairs(prefix + ".train.txt") if a in si and b in ti]
    gold = {}
    for a, b in read_pairs(prefix + ".test.txt"):
        if a in si and b in ti:
            gold.setdefault(si[a], set()).add(ti[b])
    queries = sorted(gold)
    src, trg = [a for a, _ in train], [b for _, b in train]
    print(f"{len(train)} training pairs, {len(queries)} test words with vectors")
    print(f"{'variant':28s} {'P@1 CSLS':>9s} {'P@1 NN':>8s}")
    for step in ("orthogonal", "unconstrained", "whiten", "whiten_reweight", "vecmap_supervised",
                 "vecmap_supervised_dim150"):
        xw, zw = solve(x, z, src, trg, step)
        csls, nn = score(xw, zw, queries, [gold[q] for q in queries])
        print(f"{step:28s} {csls:9.2f} {nn:8.2f}")


if __name__ == "__main__":
    main()
