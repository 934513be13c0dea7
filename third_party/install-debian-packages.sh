#!/usr/bin/env bash
# Installs the Debian 12 packages graft builds and runs with. Run as root (or
# with sudo). Does nothing when everything is installed already.
set -euo pipefail

packages=(
  g++ cmake make ccache            # toolchain; ccache keeps rebuilds short
  libtorch-dev                     # libtorch 1.13 (C++ API)
  libopenblas0-pthread             # fast BLAS: the reference BLAS is ~30x slower for libtorch's matmuls
  libyaml-cpp-dev                  # experiment files, with line/column marks for errors
  libfmt-dev                       # formatting
  libhdf5-dev                      # per-run results readable from h5py/pandas
  libboost-dev                     # header-only utilities
  libgtest-dev                     # tests
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "graft: these Debian packages are missing: ${missing[*]}" >&2
  echo "graft: run this script as root, or: sudo $0" >&2
  exit 1
fi
echo "graft: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
