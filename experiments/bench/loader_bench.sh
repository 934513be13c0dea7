#!/usr/bin/env bash
# graft's image loading pipeline vs PyTorch's DataLoader + torchvision, side by
# side on the same JPEG folder, the same worker count and the same batches:
# ImageFolder -> decode -> RandomResizedCrop(224) -> horizontal flip -> float
# CHW normalised with ImageNet's mean/std, shuffled, batches of BATCH. Each
# side times BATCHES batches after WARMUP untimed ones; the sides alternate
# (graft, torchvision, graft, ...) for ROUNDS rounds so drift in the machine
# hits both alike. Prints the median images/s of each, the ratio
# graft/torchvision, and the peak memory of each: the largest PSS of the whole
# process tree (main process + worker processes), summed, sampled every 50 ms
# by experiments/bench/peak_pss.py.
#
#   experiments/bench/loader_bench.sh [ROOT] [WORKERS]
#
# ROOT: a folder ROOT/<class>/<image>.jpg; without one, make_photo_folder.py
# builds 2,000 photo crops (300-640 px) under ~/.cache/graft/bench/photos
# (fetching about 62 MB of Debian wallpaper packages once). WORKERS: default
# `nproc`. Environment: BATCH (64), BATCHES (100), WARMUP (5), ROUNDS (3),
# GRAFT (build/bin/graft). The two commands timed, for W workers:
#   build/bin/graft data bench ROOT --workers W --batch-size 64 --batches 100 --warmup 5
#   /usr/bin/python3 experiments/bench/loader_torchvision.py ROOT --workers W --batch-size 64 --batches 100 --warmup 5
set -euo pipefail
# ROOT and GRAFT may be relative to where the script is called from.
root=$(realpath -m -- "${1:-${XDG_CACHE_HOME:-$HOME/.cache}/graft/bench/photos}")
graft=$(realpath -m -- "${GRAFT:-$(dirname "$0")/../../build/bin/graft}")
cd "$(dirname "$0")/../.."
bench=experiments/bench
workers=${2:-$(nproc)}
batch=${BATCH:-64}
batches=${BATCHES:-100}
warmup=${WARMUP:-5}
rounds=${ROUNDS:-3}

[ -x "$graft" ] || { echo "loader_bench: no $graft; build graft first (cmake --build build) or set GRAFT=path/to/graft" >&2; exit 1; }
if ! /usr/bin/python3 -c 'import torchvision, PIL' 2>/dev/null; then
  sudo=
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  echo "loader_bench: installing Debian's python3-torchvision and python3-pil" >&2
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq python3-torchvision python3-pil >&2
fi
if [ -z "${1:-}" ]; then
  /usr/bin/python3 $bench/make_photo_folder.py "$root" >&2
fi
[ -d "$root" ] || { echo "loader_bench: $root is not a folder; name a folder ROOT/<class>/<image>.jpg" >&2; exit 1; }

# Read every file once, so neither side's first round pays for the disk.
find "$root" -type f -exec cat {} + > /dev/null

log=$(mktemp /tmp/graft-loader-bench-XXXXXX)
trap 'rm -f "$log"' EXIT
args=("$root" --workers "$workers" --batch-size "$batch" --batches "$batches" --warmup "$warmup")
# Runs one side under peak_pss.py; prints "IMAGES_PER_S PEAK_MIB" from its
# final line and the monitor's, or shows the log and stops.
measure() {  # $1: graft | torchvision
  local name=$1 line peak
  case $name in
    graft) set -- "$graft" data bench "${args[@]}" ;;
    torchvision) set -- /usr/bin/python3 $bench/loader_torchvision.py "${args[@]}" ;;
  esac
  if ! /usr/bin/python3 $bench/peak_pss.py -- "$@" > "$log" 2>&1; then
    echo "loader_bench: $name failed ($*):" >&2
    cat "$log" >&2
    exit 1
  fi
  line=$(grep "^$name images/s: " "$log" | tail -n 1) || true
  peak=$(grep '^peak_pss_mib: ' "$log" | tail -n 1) || true
  if [ -z "$line" ] || [ -z "$peak" ]; then
    echo "loader_bench: $name printed no '$name images/s:' line ($*):" >&2
    cat "$log" >&2
    exit 1
  fi
  line=${line#"$name images/s: "}
  echo "${line%% *} ${peak#peak_pss_mib: }"
}

median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
largest() { printf '%s\n' "$@" | sort -g | tail -n 1; }

echo "== image loading: $root, $workers workers, batch $batch, $batches timed batches after $warmup, $rounds rounds =="
graft_rates=() graft_peaks=() tv_rates=() tv_peaks=()
for round in $(seq "$rounds"); do
  result=$(measure graft)
  read -r rate peak <<< "$result"
  graft_rates+=("$rate") graft_peaks+=("$peak")
  echo "round $round  graft        images/s $rate  peak PSS $peak MiB"
  result=$(measure torchvision)
  read -r rate peak <<< "$result"
  tv_rates+=("$rate") tv_peaks+=("$peak")
  echo "round $round  torchvision  images/s $rate  peak PSS $peak MiB"
done

graft_rate=$(median "${graft_rates[@]}")
tv_rate=$(median "${tv_rates[@]}")
graft_peak=$(largest "${graft_peaks[@]}")
tv_peak=$(largest "${tv_peaks[@]}")
echo "== median images/s over $rounds rounds; peak PSS: the largest of the rounds =="
echo "graft        images/s $graft_rate  peak PSS $graft_peak MiB"
echo "torchvision  images/s $tv_rate  peak PSS $tv_peak MiB"
awk -v a="$graft_rate" -v b="$tv_rate" -v m="$graft_peak" -v n="$tv_peak" \
  'BEGIN { printf "graft / torchvision: %.2fx images/s, %.2fx peak PSS\n", a / b, m / n }'
