#!/usr/bin/env bash
# Builds graft's libFuzzer targets (clang, ASan + UBSan, in build-fuzz/) and
# runs each on its corpus (fuzz/corpus/<target>/). README, "Fuzzing".
#
#   fuzz/run.sh --seconds 10 --seed 1     # every target, 10 s each, fixed mutations (CI)
#   fuzz/run.sh --runs 1000000 vec idx    # named targets, 1,000,000 inputs each
#   fuzz/run.sh --seeds                   # (re)write the checkpoint and derived-cache seeds
#
# New inputs a run finds go to build-fuzz/corpus/<target>/, not into the
# repo's corpus; a crash, hang, leak or unnamed error leaves its input in
# build-fuzz/findings/<target>/ and fails the script. Reproduce one with
#   build-fuzz/bin/fuzz_<target> build-fuzz/findings/<target>/crash-...
set -euo pipefail
cd "$(dirname "$0")/.."

targets_all=(experiment vec dictionary freedict idx npm_json digits_csv png jpeg checkpoint derived_cache npy image_list table)
limit=(-max_total_time=10)
seeds=0
seed=()
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) limit=(-max_total_time="$2"); shift 2 ;;
    --runs) limit=(-runs="$2"); shift 2 ;;
    --seeds) seeds=1; shift ;;
    --seed) seed=(-seed="$2"); shift 2 ;;
    -h|--help) sed -n 2,14p "$0"; exit 0 ;;
    -*) echo "fuzz/run.sh: unknown option $1 (--seconds S, --runs N, --seed S, --seeds)" >&2; exit 2 ;;
    *)
      if [[ ! " ${targets_all[*]} " == *" $1 "* ]]; then
        echo "fuzz/run.sh: no target '$1'; targets: ${targets_all[*]}" >&2; exit 2
      fi
      targets+=("$1"); shift ;;
  esac
done
[ ${#targets[@]} -gt 0 ] || targets=("${targets_all[@]}")

# clang and libFuzzer's runtime (Debian: clang, libclang-rt-14-dev).
if ! command -v clang++ >/dev/null || ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
  ./third_party/install-debian-packages.sh clang libclang-rt-14-dev
fi
# Configured every time (seconds): a target added since the last build is
# then known to the build below, which names the targets.
if [ ! -f build-fuzz/CMakeCache.txt ]; then
  cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DGRAFT_FUZZ=ON -DGRAFT_BUILD_TESTS=OFF
else
  cmake -S . -B build-fuzz >/dev/null
fi
cmake --build build-fuzz -j"$(nproc)" --target graft_cli $(printf 'fuzz_%s ' "${targets[@]}")

# LeakSanitizer stays on; libtorch's and OpenMP's start-up allocations that
# live until exit are not leaks of graft's, and are listed in this file.
export LSAN_OPTIONS="suppressions=$PWD/fuzz/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export OMP_NUM_THREADS=1

if [ "$seeds" = 1 ]; then
  # A real run's checkpoint (two moons, 20 steps), and a derived set as
  # cached_derived writes it.
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  cat > "$work/seed.yaml" <<'YAML'
name: fuzz_seed
output: out
data: {source: {name: two_moons}, target: {name: two_moons, rotation: 30}}
model: {name: mlp, hidden: [8]}
method: dann
steps: 20
checkpoint_every: 10
eval_every: 10
seeds: [0]
YAML
  (cd "$work" && "$OLDPWD/build-fuzz/bin/graft" run seed.yaml >/dev/null)
  mkdir -p fuzz/corpus/checkpoint fuzz/corpus/derived_cache
  cp "$work"/out/fuzz_seed/runs/*/checkpoint.pt fuzz/corpus/checkpoint/two_moons_dann.pt
  GRAFT_FUZZ_SEED_DIR="$work" build-fuzz/bin/fuzz_derived_cache -runs=0 fuzz/corpus/derived_cache >/dev/null 2>&1 || true
  cp "$work/derived/seed.pt" fuzz/corpus/derived_cache/seed.pt
  echo "seeds written: fuzz/corpus/checkpoint/two_moons_dann.pt, fuzz/corpus/derived_cache/seed.pt"
  exit 0
fi

failed=()
for t in "${targets[@]}"; do
  mkdir -p "build-fuzz/corpus/$t" "build-fuzz/findings/$t"
  echo "== fuzz_$t"
  if ! build-fuzz/bin/fuzz_"$t" "${limit[@]}" ${seed[@]+"${seed[@]}"} -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="build-fuzz/findings/$t/" "build-fuzz/corpus/$t" "fuzz/corpus/$t" \
      > "build-fuzz/findings/$t.log" 2>&1; then
    failed+=("$t")
    tail -40 "build-fuzz/findings/$t.log"
  fi
  grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb|^Done [0-9]+ runs' "build-fuzz/findings/$t.log" | tr '\n' ' '
  echo
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: findings in ${failed[*]}: build-fuzz/findings/ (logs beside them)" >&2
  exit 1
fi
echo "fuzz: ${#targets[@]} target(s), no finding"
