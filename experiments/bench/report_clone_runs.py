"""Copies one graft run record into a sweep of many: VARIANTS x SEEDS run
folders under OUT/runs/, each a copy of RUN_H5 with its own variant, seed,
run_id and evaluation values shifted by a per-run offset, so every table cell
differs. Used by experiments/bench/report_bench.sh.

    python3 report_clone_runs.py RUN_H5 OUT VARIANTS SEEDS
"""
import os
import shutil
import sys

import h5py
import numpy as np

run_h5, out, variants, seeds = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
rng = np.random.default_rng(0)
for v in range(variants):
    for s in range(seeds):
        run_id = f"method{v}__seed{s}"
        folder = os.path.join(out, "runs", run_id)
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, "run.h5")
        shutil.copyfile(run_h5, path)
        with h5py.File(path, "r+") as f:
            f.attrs["variant"] = f"method{v}"
            f.attrs["run_id"] = run_id
            f.attrs["seed"] = np.int64(s)
            offset = 0.01 * v + 0.005 * rng.standard_normal()
            for name in f["eval"]:
                if name != "step":
                    f["eval"][name][...] = np.clip(f["eval"][name][...] + offset, 0, 1)
            for name in f["final"]:
                f["final"][name][...] = np.clip(f["final"][name][()] + offset, 0, 1)
