"""The Python peer of `graft report`'s reading side: every run.h5 under ROOT
read with h5py (its final metrics, status and variant), then mean and sample
std per variant and metric with numpy, printed as a table. What a researcher
would write by hand; used by experiments/bench/report_bench.sh.

    python3 report_peer.py ROOT
"""
import collections
import glob
import os
import sys

import h5py
import numpy as np

values = collections.defaultdict(lambda: collections.defaultdict(list))
for path in sorted(glob.glob(os.path.join(sys.argv[1], "**", "run.h5"), recursive=True)):
    with h5py.File(path, "r") as f:
        if f.attrs["status"] != "finished":
            continue
        for name in f["final"]:
            values[f.attrs["variant"]][name].append(float(f["final"][name][()]))
for variant, metrics in values.items():
    cells = [f"{name} {100 * np.mean(v):.2f} ± {100 * np.std(v, ddof=1):.2f}" for name, v in sorted(metrics.items())]
    print(variant, len(next(iter(metrics.values()))), *cells, sep="  ")
