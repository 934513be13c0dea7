#!/usr/bin/env bash
# Writes the quick start's two data sets to disk as TLlib-style list files of
# PNG images (experiments/data/exported/, not committed), then trains the
# quick start from those files and compares every number with a run of the
# quick start on the built-in sets: the data layer reads the same inputs from
# the files, so the run records must agree bit for bit.
#   build/bin/graft data fetch mnist_m && experiments/data/export_quickstart.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
out=experiments/data/exported
rm -rf "$out"
build/bin/graft data export "{name: mnist, channels: 3}" "$out/mnist" --format image_list
build/bin/graft data export mnist_m "$out/mnist_m" --format image_list
build/bin/graft run experiments/quickstart.yaml output=results --no-progress
build/bin/graft run experiments/data/quickstart_files.yaml output=results --no-progress
/usr/bin/python3 experiments/reproducibility/compare_runs.py results/quickstart results/quickstart_files
