#!/usr/bin/env bash
# Runs the tests that assert a learning outcome (CTest label `outcome`) under
# ATen CPU kernel paths (ATEN_CPU_CAPABILITY = default, avx2, avx512): other
# vector instructions round differently, training diverges from the first
# differing bit, and a claim must hold on every path, not only on the one the
# machine that wrote it takes (README, "Reproducibility").
# oneDNN dispatches on its own and changes results too; each lower path caps
# it to the matching instruction set (default: SSE4.1, avx2: AVX2), as on a
# CPU that has no more. OpenBLAS's kernels (OPENBLAS_CORETYPE) are left as the
# environment has them: set it yourself to cover them, e.g.
#   OPENBLAS_CORETYPE=Nehalem tests/kernel_paths.sh build
#
#   tests/kernel_paths.sh [BUILD_DIR] [PATH...]
#
# PATH: default, avx2 or avx512; none given: every path this CPU can take.
# A path the CPU cannot take is skipped with a note (it would stop on an
# illegal instruction); one it can take but ATen does not switch to fails.
set -euo pipefail
build=build
requested=()
for arg in "$@"; do
  case "$arg" in
    default|avx2|avx512) requested+=("$arg") ;;
    -*) echo "kernel_paths.sh: unknown flag '$arg'; usage: tests/kernel_paths.sh [BUILD_DIR] [default|avx2|avx512 ...]" >&2; exit 2 ;;
    *) build="$arg" ;;
  esac
done
graft="$build/bin/graft"
if [ ! -x "$graft" ]; then
  echo "kernel_paths.sh: no graft in '$build/bin': build first (cmake -S . -B $build && cmake --build $build -j2)" >&2
  exit 2
fi
read -r -a supported <<< "$("$graft" info kernel-paths)"
native=$(env -u ATEN_CPU_CAPABILITY "$graft" info | sed -n 's/^aten cpu capability: \([a-z0-9]*\).*/\1/p')
echo "kernel paths of this CPU ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)): ${supported[*]}; ATen picks $native"
if [ ${#requested[@]} -eq 0 ]; then requested=("${supported[@]}"); fi
status=0
for path in "${requested[@]}"; do
  if [[ " ${supported[*]} " != *" $path "* ]]; then
    echo "== $path: skipped, this CPU cannot take it"
    continue
  fi
  case "$path" in
    default) dnnl=SSE41 ;;
    avx2) dnnl=AVX2 ;;
    *) dnnl="${DNNL_MAX_CPU_ISA:-ALL}" ;;
  esac
  # The variable must take effect: a libtorch built without a path's kernels
  # ignores it and would run the same path twice.
  used=$(ATEN_CPU_CAPABILITY="$path" "$graft" info 2>/dev/null | sed -n 's/^aten cpu capability: \([a-z0-9]*\).*/\1/p')
  if [ "$used" != "$path" ]; then
    echo "== $path: ATEN_CPU_CAPABILITY=$path runs '$used' with this libtorch; FAILED" >&2
    status=1
    continue
  fi
  echo "== outcome tests with ATEN_CPU_CAPABILITY=$path DNNL_MAX_CPU_ISA=$dnnl${OPENBLAS_CORETYPE:+ OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE}"
  ATEN_CPU_CAPABILITY="$path" DNNL_MAX_CPU_ISA="$dnnl" ctest --test-dir "$build" -L outcome -j2 --output-on-failure || status=1
done
exit $status
