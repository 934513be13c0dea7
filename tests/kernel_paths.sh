#!/usr/bin/env bash
# Runs the tests that assert a learning outcome (CTest label `outcome`) under
# each ATen CPU kernel path this CPU can take (ATEN_CPU_CAPABILITY = default,
# avx2, avx512): other vector instructions round differently, training
# diverges from the first differing bit, and a claim must hold on every path,
# not only on the one the machine that wrote it takes (README, "Reproducibility").
# oneDNN dispatches on its own and changes results too; each lower path caps
# it to the matching instruction set (default: SSE4.1, avx2: AVX2), as on a
# CPU that has no more. OpenBLAS's kernels (OPENBLAS_CORETYPE) are left as the
# environment has them: set it yourself to cover them, e.g.
#   OPENBLAS_CORETYPE=Nehalem tests/kernel_paths.sh build
#
#   tests/kernel_paths.sh [BUILD_DIR] [--others]
#
# --others skips the path ATen picks by itself (the highest): the plain
# `ctest` run has covered it already; CI uses this after the README's command.
set -euo pipefail
build=build
others=0
for arg in "$@"; do
  case "$arg" in
    --others) others=1 ;;
    -*) echo "kernel_paths.sh: unknown flag '$arg'; valid: --others" >&2; exit 2 ;;
    *) build="$arg" ;;
  esac
done
graft="$build/bin/graft"
if [ ! -x "$graft" ]; then
  echo "kernel_paths.sh: no graft in '$build/bin': build first (cmake -S . -B $build && cmake --build $build -j2)" >&2
  exit 2
fi
read -r -a paths <<< "$("$graft" info kernel-paths)"
native=$(env -u ATEN_CPU_CAPABILITY "$graft" info | sed -n 's/^aten cpu capability: \([a-z0-9]*\).*/\1/p')
echo "kernel paths of this CPU ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)): ${paths[*]}; ATen picks $native"
status=0
for path in "${paths[@]}"; do
  if [ "$others" -eq 1 ] && [ "$path" = "$native" ]; then continue; fi
  case "$path" in
    default) dnnl=SSE41 ;;
    avx2) dnnl=AVX2 ;;
    *) dnnl="${DNNL_MAX_CPU_ISA:-ALL}" ;;
  esac
  echo "== outcome tests with ATEN_CPU_CAPABILITY=$path DNNL_MAX_CPU_ISA=$dnnl${OPENBLAS_CORETYPE:+ OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE}"
  ATEN_CPU_CAPABILITY="$path" DNNL_MAX_CPU_ISA="$dnnl" ctest --test-dir "$build" -L outcome -j2 --output-on-failure || status=1
done
exit $status
