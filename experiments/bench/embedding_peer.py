"""What the numpy peers of graft's cross-lingual alignment share
(vecmap_peer.py, alignment_speed_peer.py): graft's normalisation of word
vectors and CSLS's mean similarity to the k nearest neighbours, computed in
blocks. numpy only (no torch). Imported from the scripts' own folder, which
Python puts first on the import path."""
import numpy as np


def unit(m):
    """Rows scaled to length 1 (zero rows stay zero)."""
    return m / np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-8)


def normalize(m):
    """graft's `normalize: unit_center_unit`: unit rows, centred, unit rows again."""
    m = unit(m)
    m -= m.mean(0, keepdims=True)  # in place: unit() made a new array
    return unit(m)


def rows_for(columns):
    """Rows per block of similarities: a float32 block near 256 MB, graft's bound."""
    return max(1, (1 << 26) // columns)


def mean_topk(queries, keys, k=10):
    """Each query's mean similarity to its k most similar keys (CSLS's r)."""
    out = np.empty(len(queries), dtype=queries.dtype)
    rows = rows_for(len(keys))
    for i in range(0, len(queries), rows):
        sim = queries[i : i + rows].dot(keys.T)
        out[i : i + rows] = np.partition(sim, -k, axis=1)[:, -k:].mean(1)
    return out
