#!/usr/bin/env bash
# Runs one experiment file under each CPU kernel path and prints the tables
# one after the other, to see which digits a machine with another CPU would
# print (README, "Reproducibility"). Every path gets its own results folder
# (results/kernel_paths/<path>/), so nothing is shared or redone.
#
#   experiments/reproducibility/kernel_paths.sh FILE [OVERRIDES...] [--blas] [--dnnl]
#
# Without flags: ATen's paths (ATEN_CPU_CAPABILITY = each one `graft info
# kernel-paths` lists). --blas: OpenBLAS's kernel families this x86-64 CPU can
# run (OPENBLAS_CORETYPE), on ATen's own path. --dnnl: oneDNN's instruction
# sets (DNNL_MAX_CPU_ISA). Only lower families than the CPU's own are tried.
set -euo pipefail
graft=${GRAFT:-build/bin/graft}
file=""
overrides=()
blas=0
dnnl=0
for arg in "$@"; do
  case "$arg" in
    --blas) blas=1 ;;
    --dnnl) dnnl=1 ;;
    -*) echo "kernel_paths.sh: unknown flag '$arg'; valid: --blas, --dnnl" >&2; exit 2 ;;
    *) if [ -z "$file" ]; then file="$arg"; else overrides+=("$arg"); fi ;;
  esac
done
if [ -z "$file" ]; then
  echo "usage: $0 FILE [OVERRIDES...] [--blas] [--dnnl]" >&2
  exit 2
fi
if [ ! -x "$graft" ]; then
  echo "kernel_paths.sh: no '$graft': build first, or set GRAFT=path/to/graft" >&2
  exit 2
fi
flags() { grep -m1 '^flags' /proc/cpuinfo | grep -qw "$1"; }
settings=()
if [ "$blas" -eq 1 ]; then
  # OpenBLAS's x86-64 families, newest first; each needs the instructions named.
  flags avx512f && settings+=("OPENBLAS_CORETYPE=SkylakeX")
  flags avx2 && settings+=("OPENBLAS_CORETYPE=Haswell")
  flags avx && settings+=("OPENBLAS_CORETYPE=Sandybridge")
  settings+=("OPENBLAS_CORETYPE=Nehalem" "OPENBLAS_CORETYPE=Prescott")
elif [ "$dnnl" -eq 1 ]; then
  flags avx512f && settings+=("DNNL_MAX_CPU_ISA=AVX512_CORE")
  flags avx2 && settings+=("DNNL_MAX_CPU_ISA=AVX2")
  flags avx && settings+=("DNNL_MAX_CPU_ISA=AVX")
  settings+=("DNNL_MAX_CPU_ISA=SSE41")
else
  for path in $("$graft" info kernel-paths); do settings+=("ATEN_CPU_CAPABILITY=$path"); done
fi
echo "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1); $("$graft" info | sed -n 's/^aten cpu capability: //p')"
for setting in "${settings[@]}"; do
  folder="results/kernel_paths/${setting#*=}"
  echo
  echo "== $setting ($folder)"
  env "$setting" "$graft" run "$file" "${overrides[@]}" "output=$folder" --no-progress 2>&1 |
    sed -n '/^variant/,/^$/p'
  env "$setting" "$graft" info | sed -n 's/^runtime: .*\(OpenBLAS core [^,]*\).*\(ATen CPU capability .*\)/recorded: \1, \2/p'
done
