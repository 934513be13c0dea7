#!/usr/bin/env bash
# graft on a GPU machine that has CUDA, CMake, a compiler and PyTorch (libtorch
# 2.x inside it) but no network and no Debian -dev packages: one prepared
# command builds graft against PyTorch's libtorch, runs the CUDA tests and
# times DANN on MNIST -> MNIST-M on the GPU against the machine's CPU cores.
#
#   here (network):  experiments/bench/gpu_machine.sh prepare
#       apt-get downloads the .deb files of graft's other dependencies and
#       copies the two derived data sets the timing needs into .gpu-carry/
#       (git-ignored; about 45 MB).
#   there:           experiments/bench/gpu_machine.sh run [OUT]
#       with .gpu-carry carried along: unpacks the .debs into a prefix of
#       their own (never over /), configures build-gpu/ against
#       torch.utils.cmake_prefix_path, builds, runs Cuda.* and the timings,
#       and writes logs and tables under OUT (default .gpu-carry/out).
#       TORCH_PREFIX=DIR uses another libtorch (a dry run on a machine without
#       CUDA: TORCH_PREFIX=/usr/lib/x86_64-linux-gnu/cmake builds against
#       Debian's and stops at the first CUDA run).
#
# Runtime libraries the host lacks (libcurl, needed by Debian's HDF5, and
# its own needs) are taken from the carried .debs; those the host has are
# used as they are.
set -euo pipefail
cd "$(dirname "$0")/../.."
carry=.gpu-carry

# Headers and CMake packages, the runtime libraries they link to, and the
# runtime libraries of Debian's libhdf5 (used only where the host has none).
dev_packages=(libyaml-cpp-dev libfmt-dev libhdf5-dev libgtest-dev libpng-dev libjpeg62-turbo-dev zlib1g-dev
  nlohmann-json3-dev libzip-dev)
runtime_packages=(libyaml-cpp0.7 libfmt9 libhdf5-103-1 libsz2 libaec0 libpng16-16 libjpeg62-turbo libzip4)
fallback_packages=(libcurl4 libnghttp2-14 libssh2-1 librtmp1 libpsl5 libldap-2.5-0 libsasl2-2 libgssapi-krb5-2
  libkrb5-3 libk5crypto3 libkrb5support0 libkeyutils1 libbrotli1 libidn2-0 libunistring2 libssl3 libzstd1
  libgnutls30 libhogweed6 libnettle8 libp11-kit0 libtasn1-6 libffi8 libgmp10)

prepare() {
  local cache=${GRAFT_DATA:-$HOME/.cache/graft}
  rm -rf "$carry"
  mkdir -p "$carry/debs/dev" "$carry/debs/runtime" "$carry/debs/fallback" "$carry/data/derived"
  (cd "$carry/debs/dev" && apt-get download -q "${dev_packages[@]}")
  (cd "$carry/debs/runtime" && apt-get download -q "${runtime_packages[@]}")
  (cd "$carry/debs/fallback" && apt-get download -q "${fallback_packages[@]}")
  for file in mnist-v1.pt mnist_m-v1-photos10-seed0.pt; do
    [ -f "$cache/derived/$file" ] ||
      { echo "$cache/derived/$file is missing: run build/bin/graft data fetch mnist_m and the quick start first" >&2; exit 1; }
    cp "$cache/derived/$file" "$carry/data/derived/"
  done
  (cd "$carry" && find . -type f ! -name SHA256SUMS -print0 | sort -z | xargs -0 sha256sum > SHA256SUMS)
  echo "prepared $carry ($(du -sh "$carry" | cut -f1)); carry it: run(carry=[\"$carry\"], command=\"$0 run \$OUT\")"
}

run() {
  local out=${1:-$carry/out}
  mkdir -p "$out"
  out=$(cd "$out" && pwd)
  (cd "$carry" && sha256sum --quiet -c SHA256SUMS) ||
    { echo "$carry: files differ from SHA256SUMS (damaged in transit?): run '$0 prepare' here again and carry it anew" >&2; exit 1; }
  local prefix=$PWD/$carry/prefix fallback=$PWD/$carry/fallback
  rm -rf "$prefix" "$fallback"
  mkdir -p "$prefix" "$fallback/lib"
  for deb in "$carry"/debs/dev/*.deb "$carry"/debs/runtime/*.deb; do dpkg-deb -x "$deb" "$prefix"; done
  for deb in "$carry"/debs/fallback/*.deb; do dpkg-deb -x "$deb" "$fallback/root"; done
  # A carried runtime library is used only when the host has none of that soname.
  for so in "$fallback"/root/{usr/,}lib/x86_64-linux-gnu/lib*.so.*; do
    [ -e "$so" ] || continue
    local name
    name=$(basename "$so")
    [[ $name =~ \.so\.[0-9]+$ ]] || continue
    ldconfig -p | awk '{print $1}' | grep -qx "$name" || ln -sf "$so" "$fallback/lib/$name"
  done
  local arch_lib=$prefix/usr/lib/x86_64-linux-gnu
  export LD_LIBRARY_PATH=$arch_lib:$arch_lib/hdf5/serial:$fallback/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  export GRAFT_DATA=$PWD/$carry/data

  local torch_prefix
  torch_prefix=${TORCH_PREFIX:-$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)')}
  {
    echo "== machine"
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
    python3 -c 'import torch;print("torch", torch.__version__, "cuda", torch.version.cuda,
      "cxx11 abi", torch._C._GLIBCXX_USE_CXX11_ABI)' || true
    echo "cpu cores: $(nproc)"
    echo "host libraries taken from the carry: $(ls "$fallback/lib" | tr '\n' ' ')"
  } 2>&1 | tee "$out/machine.txt"

  # Debian's yaml-cpp and fmt are built with the C++11 ABI; a libtorch built
  # with the old one cannot link against them.
  if [ "$(python3 -c 'import torch;print(int(torch._C._GLIBCXX_USE_CXX11_ABI))' 2>/dev/null || echo 1)" = 0 ]; then
    echo "this PyTorch uses the pre-C++11 string ABI; Debian's yaml-cpp and fmt cannot link with it" >&2
    exit 1
  fi
  echo "== build against $torch_prefix"
  local start=$SECONDS
  # HDF5 without its compiler wrapper: Debian's serial layout named directly.
  cmake -S . -B build-gpu -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix/usr;$torch_prefix" \
    -DHDF5_C_COMPILER_EXECUTABLE=HDF5_C_COMPILER_EXECUTABLE-NOTFOUND \
    -DHDF5_C_INCLUDE_DIR="$prefix/usr/include/hdf5/serial" -DHDF5_C_LIBRARY_hdf5="$arch_lib/hdf5/serial/libhdf5.so" \
    -DCMAKE_EXE_LINKER_FLAGS="-Wl,-rpath-link,$arch_lib:$arch_lib/hdf5/serial:$fallback/lib" \
    -DCMAKE_SHARED_LINKER_FLAGS="-Wl,-rpath-link,$arch_lib:$arch_lib/hdf5/serial:$fallback/lib" > "$out/configure.log" 2>&1 ||
    { tail -40 "$out/configure.log"; exit 1; }
  cmake --build build-gpu -j"$(nproc)" > "$out/build.log" 2>&1 || { grep -E "error|Error" "$out/build.log" | head -40; exit 1; }
  echo "built in $((SECONDS - start)) s"

  echo "== CUDA tests"
  build-gpu/bin/graft_tests --gtest_filter='Cuda.*' 2>&1 | tee "$out/cuda_tests.log" | grep -E "^\[ *(OK|FAILED|SKIPPED|PASSED) *\]|Failure" || true

  echo "== one DANN step, GPU vs CPU (experiments/bench/dann_step.yaml, 1000 steps)"
  for device in cuda cpu; do
    build-gpu/bin/graft run experiments/bench/dann_step.yaml device=$device output="$out/step_$device" --no-progress \
      > "$out/step_$device.log" 2>&1 || { tail -20 "$out/step_$device.log"; exit 1; }
    echo "$device: $(grep -E '^dann|^variant|^---' "$out/step_$device.log" | tail -1)"
  done

  echo "== data-parallel on one GPU: 2 processes, c10d Gloo on CUDA tensors (NCCL needs a GPU per rank)"
  build-gpu/bin/graft run experiments/bench/dann_step.yaml device=cuda steps=200 output="$out/nproc2" --nproc 2 \
    --no-progress > "$out/nproc2.log" 2>&1 && grep -A3 "^variant" "$out/nproc2.log" || { echo "FAILED:"; tail -15 "$out/nproc2.log"; }

  echo "== the MNIST -> MNIST-M reproduction, seed 0, on the GPU"
  build-gpu/bin/graft run experiments/domain_adaptation/mnist_to_mnist_m.yaml device=cuda 'seeds=[0]' \
    --variants source_only,dann,target_oracle \
    output="$out/reproduction" --no-progress > "$out/reproduction.log" 2>&1 || { tail -20 "$out/reproduction.log"; exit 1; }
  grep -B2 -A6 "^variant" "$out/reproduction.log" | tail -8
}

case ${1:-} in
  prepare) prepare ;;
  run) shift; run "$@" ;;
  *) echo "usage: $0 prepare | run [OUT]" >&2; exit 2 ;;
esac
