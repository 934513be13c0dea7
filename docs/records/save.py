"""Copies the records of a sweep's finished runs from results/<name>/ into
docs/records/<name>/ (each finished run's run.h5 and config.yaml, and the
sweep's experiment.yaml and sweep.yaml; README.md here says why):

  /usr/bin/python3 docs/records/save.py NAME...   (from the repository root; needs python3-h5py)
"""
import os
import shutil
import sys

import h5py


def finished(h5):
    with h5py.File(h5, "r") as f:
        status = f.attrs.get("status")
    return (status.decode() if isinstance(status, bytes) else status) == "finished"


def save(name):
    source, destination = os.path.join("results", name), os.path.join("docs", "records", name)
    if not os.path.isdir(source):
        raise SystemExit(f"{source}: no such results folder (run the experiment first)")
    os.makedirs(os.path.join(destination, "runs"), exist_ok=True)
    for sweep_file in ("experiment.yaml", "sweep.yaml"):
        shutil.copy(os.path.join(source, sweep_file), destination)
    saved = 0
    for run in sorted(os.listdir(os.path.join(source, "runs"))):
        run_folder = os.path.join(source, "runs", run)
        h5 = os.path.join(run_folder, "run.h5")
        if not os.path.exists(h5) or not finished(h5):
            continue
        os.makedirs(os.path.join(destination, "runs", run), exist_ok=True)
        for record in ("run.h5", "config.yaml"):
            shutil.copy(os.path.join(run_folder, record), os.path.join(destination, "runs", run, record))
        saved += 1
    print(f"{name}: {saved} finished run(s) saved in {destination}")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    for name in sys.argv[1:]:
        save(name)
