#!/usr/bin/env bash
# How long `graft report` takes over a sweep of 1,000 runs, beside a Python
# peer that reads the same files with h5py and prints mean ± std per variant
# (report_peer.py: the reading a researcher would script by hand; it writes no
# page). The sweep: one real 500-step DANN run (report_runs.yaml: 500 rows of
# training scalars, 50 evaluations) copied into 10 variants x 100 seeds with
# shifted values (report_clone_runs.py). Each command runs ROUNDS times,
# alternating; prints the median wall time of each and graft's peak memory.
#
#   experiments/bench/report_bench.sh [VARIANTS] [SEEDS]
#
# Environment: ROUNDS (3), GRAFT (build/bin/graft), WORK (a temporary folder).
set -euo pipefail
graft=$(realpath -m -- "${GRAFT:-$(dirname "$0")/../../build/bin/graft}")
cd "$(dirname "$0")/../.."
variants=${1:-10}
seeds=${2:-100}
rounds=${ROUNDS:-3}
work=${WORK:-$(mktemp -d)}
python=/usr/bin/python3  # Debian's, with h5py and numpy

"$graft" run experiments/bench/report_runs.yaml output="$work/one" --no-progress >/dev/null 2>&1
rm -rf "$work/sweep"
"$python" experiments/bench/report_clone_runs.py "$work/one/report_bench/runs/dann__seed0/run.h5" "$work/sweep" \
  "$variants" "$seeds"
echo "sweep: $(find "$work/sweep" -name run.h5 | wc -l) runs, $(du -sh "$work/sweep" | cut -f1) on disk"

seconds() { # the wall time of a command, in seconds
  local start end
  start=$(date +%s%N)
  "$@" >/dev/null 2>&1
  end=$(date +%s%N)
  printf '%d.%03d\n' $(((end - start) / 1000000000)) $((((end - start) / 1000000) % 1000))
}
median() { sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
graft_times=() peer_times=()
for ((r = 1; r <= rounds; r++)); do
  graft_times+=("$(seconds "$graft" report "$work/sweep" --out "$work/report")")
  peer_times+=("$(seconds "$python" experiments/bench/report_peer.py "$work/sweep")")
done
# Peak resident memory from Debian's `time` package (GNU time).
/usr/bin/time -f '%M' -o "$work/peak_kb" "$graft" report "$work/sweep" --out "$work/report" >/dev/null 2>&1
peak_kb=$(cat "$work/peak_kb")
graft_median=$(printf '%s\n' "${graft_times[@]}" | median)
peer_median=$(printf '%s\n' "${peer_times[@]}" | median)
printf 'graft report (table + md, csv, tex, html): median %.2f s of %d rounds; peak RSS %d MiB; page %s\n' \
  "$graft_median" "$rounds" "$((peak_kb / 1024))" "$(du -h "$work/report/report.html" | cut -f1)"
printf 'python h5py + numpy peer (table only):   median %.2f s\n' "$peer_median"
echo "machine: $("$graft" info | head -2 | tr '\n' ' ')"
