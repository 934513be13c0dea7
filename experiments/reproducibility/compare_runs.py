#!/usr/bin/env python3
"""Compares two results folders run by run, bit for bit.

    experiments/reproducibility/compare_runs.py OLD/quickstart NEW/quickstart

For every run.h5 under OLD/runs/ and its namesake under NEW/runs/: the
numbers (every column of /train and /eval, every /final metric) must be equal
bit for bit (NaN where NaN); other datasets (the class lists) and attributes
are compared and their differences listed, except those that say how long a
run took (wall time, throughput, the runtime string). Exits 1 on any
difference in the numbers.
"""
import sys
from pathlib import Path

import h5py
import numpy as np

NUMBERS = {"train", "eval", "final"}
TIMING = {"wall_time_s", "steps_per_s", "samples_per_s", "data_time_fraction", "step_time_s", "runtime"}


def datasets(group, prefix=""):
    out = {}
    for name, item in group.items():
        path = f"{prefix}/{name}"
        if isinstance(item, h5py.Group):
            out.update(datasets(item, path))
        else:
            out[path] = item[()]
    return out


def same_bits(a, b):
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if a.dtype.kind == "f":
        return a.tobytes() == b.tobytes()
    return bool(np.array_equal(a, b))


def main(old_root, new_root):
    old_runs = sorted(Path(old_root, "runs").glob("*/run.h5"))
    if not old_runs:
        sys.exit(f"{old_root}/runs: no run.h5 files")
    failed = False
    for old_path in old_runs:
        new_path = Path(new_root, "runs", old_path.parent.name, "run.h5")
        if not new_path.exists():
            print(f"{old_path.parent.name}: missing in {new_root}")
            failed = True
            continue
        with h5py.File(old_path) as old, h5py.File(new_path) as new:
            a, b = datasets(old), datasets(new)
            differ = [k for k in sorted(set(a) | set(b)) if k not in a or k not in b or not same_bits(a[k], b[k])]
            numbers = [k for k in differ if k.split("/")[1] in NUMBERS]
            others = [k for k in differ if k not in numbers]
            attrs = [k for k in sorted(set(old.attrs) | set(new.attrs))
                     if k not in TIMING and (k not in old.attrs or k not in new.attrs or old.attrs[k] != new.attrs[k])]
        count = sum(k.split("/")[1] in NUMBERS for k in a)
        verdict = "identical numbers" if not numbers else "DIFFERENT: " + ", ".join(numbers)
        print(f"{old_path.parent.name}: {count} columns, {verdict}"
              + (f"; other datasets that differ: {', '.join(others)}" if others else "")
              + (f"; attributes that differ: {', '.join(attrs)}" if attrs else ""))
        failed = failed or bool(numbers)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
