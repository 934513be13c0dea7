#!/usr/bin/env bash
# Builds graft against libtorch 2.x on a machine that has only Debian 12's
# libtorch 1.13: Debian 13 (trixie)'s libtorch 2.6 packages are fetched from
# the Debian archive (InRelease signature checked with the archive keyring,
# then the sha256 of Packages.xz and of each .deb), unpacked into a cache (no
# install, nothing touches /usr), and every translation unit of the configured
# build is compiled against their headers; graft's library is then linked
# against their libtorch_cpu/libc10 with -z defs, so a symbol graft needs that
# 2.6 no longer exports fails here. Trixie's libraries need a newer glibc, so
# nothing is run. GPU machines build with PyTorch's own libtorch 2.x instead
# (README, "Scale and speed"). With --cuda, the NCCL path of
# core/distributed.cpp is compiled against trixie's CUDA build instead.
#   cmake -S . -B build && third_party/check-libtorch2.sh [--cuda] [build]
set -euo pipefail
cd "$(dirname "$0")/.."
cuda=0
if [ "${1:-}" = "--cuda" ]; then cuda=1; shift; fi
build=${1:-build}
[ -f "$build/compile_commands.json" ] || { echo "no $build/compile_commands.json: configure first (cmake -S . -B $build)" >&2; exit 2; }
cache=${GRAFT_DATA:-$HOME/.cache/graft}/libtorch-2.6-trixie
mirror=http://deb.debian.org/debian
mkdir -p "$cache/debs"

fetch() {  # url file
  [ -s "$2" ] && return 0
  curl -fsS --retry 3 -o "$2.part" "$1" || { echo "cannot download $1 (is deb.debian.org reachable?)" >&2; exit 1; }
  mv "$2.part" "$2"
}
check_sha256() {  # file expected
  local got
  got=$(sha256sum "$1" | cut -d' ' -f1)
  [ "$got" = "$2" ] || { echo "$1: sha256 $got, expected $2 (the archive changed? delete $cache and rerun)" >&2; exit 1; }
}
# unpack ROOT COMPONENT PACKAGE...: each package of trixie's COMPONENT (main,
# contrib, non-free), checked against the signed index, unpacked under ROOT.
unpack() {
  local root=$1 component=$2
  shift 2
  if [ ! -s "$cache/InRelease" ]; then
    fetch "$mirror/dists/trixie/InRelease" "$cache/InRelease"
    gpgv --keyring /usr/share/keyrings/debian-archive-keyring.gpg "$cache/InRelease" 2> "$cache/gpgv.log" ||
      { cat "$cache/gpgv.log" >&2; rm -f "$cache/InRelease"; echo "trixie's InRelease: bad signature" >&2; exit 1; }
  fi
  local index=$cache/Packages-$component
  if [ ! -s "$index" ]; then
    local sha
    sha=$(awk -v f="$component/binary-amd64/Packages.xz" '/^SHA256:/{s=1;next} /^[A-Za-z]/{s=0} s && $3==f{print $1}' "$cache/InRelease")
    fetch "$mirror/dists/trixie/$component/binary-amd64/Packages.xz" "$index.xz"
    check_sha256 "$index.xz" "$sha"
    xz -dc "$index.xz" > "$index"
  fi
  local package filename sha deb
  for package in "$@"; do
    read -r filename sha < <(awk -v p="$package" '$0=="Package: "p{f=1} f&&/^Filename:/{fn=$2} f&&/^SHA256:/{s=$2} f&&/^$/{print fn, s; exit}' "$index")
    [ -n "$filename" ] || { echo "trixie $component has no package $package" >&2; exit 1; }
    deb="$cache/debs/$(basename "$filename")"
    fetch "$mirror/$filename" "$deb"
    check_sha256 "$deb" "$sha"
    dpkg-deb -x "$deb" "$root"
  done
}

if [ "$cuda" = 1 ]; then
  # The NCCL path of core/distributed.cpp, compiled against the CUDA build of
  # libtorch 2.6 (contrib), CUDA 12.4's headers (non-free), NCCL's and
  # libcu++'s (about 1 GB of downloads, 2.7 GB unpacked). Compile only: there
  # is no GPU here to link or run against.
  if [ ! -e "$cache/cuda-root/.complete" ]; then
    echo "fetching Debian trixie's CUDA libtorch 2.6, CUDA and NCCL headers into $cache/cuda-root"
    rm -rf "$cache/cuda-root"
    unpack "$cache/cuda-root" contrib libtorch-cuda-dev libnccl-dev
    unpack "$cache/cuda-root" non-free nvidia-cuda-dev
    unpack "$cache/cuda-root" main libcu++-dev
    touch "$cache/cuda-root/.complete"
  fi
  root=$cache/cuda-root/usr/include
  # libtorch's CUDA target gives its users USE_C10D_NCCL when it has NCCL.
  for unit in core/distributed.cpp core/runtime.cpp; do
    g++ -std=c++17 -fopenmp -fsyntax-only -Wall -Wextra -Wno-unused-parameter -D_GLIBCXX_USE_CXX11_ABI=1 \
      -DGRAFT_HAVE_GLOO=1 -DUSE_C10D_GLOO -DUSE_DISTRIBUTED -DUSE_C10D_NCCL -DGRAFT_REQUIRE_NCCL -I. -isystem "$root" \
      -isystem "$root/torch/csrc/api/include" "$unit"
    echo "ok   $unit (libtorch 2.6 with CUDA 12.4 and NCCL)"
  done
  echo "libtorch 2.6 CUDA: the NCCL path compiles"
  exit 0
fi

if [ ! -e "$cache/root/.complete" ]; then
  echo "fetching Debian trixie's libtorch 2.6 into $cache"
  rm -rf "$cache/root"
  unpack "$cache/root" main libtorch-dev libtorch2.6
  touch "$cache/root/.complete"
fi

/usr/bin/python3 - "$build" "$cache/root" <<'PY'
"""Compile every unit of the build against libtorch 2.6 and link libgraft."""
import json, os, re, shlex, shutil, subprocess, sys, tempfile, time
from concurrent.futures import ThreadPoolExecutor

build, root = os.path.abspath(sys.argv[1]), sys.argv[2]
torch_include = "/usr/include/torch/csrc/api/include"
library_parts = ("graft_core.dir", "graft_methods.dir", "graft_datasets.dir")
work = tempfile.mkdtemp(prefix="graft-libtorch2-")
units = []
for entry in json.load(open(os.path.join(build, "compile_commands.json"))):
    if "cmake_pch" in entry["file"]:
        continue
    args, out, skip = shlex.split(entry["command"]), [], 0
    target = args[args.index("-o") + 1]
    for i, arg in enumerate(args):
        if skip:
            skip -= 1
        elif arg in ("-include", "-o"):  # 1.13's precompiled header; our own output path
            skip = 1
        elif arg in ("-Winvalid-pch", "-c"):
            pass
        elif arg == torch_include and args[i - 1] == "-isystem":
            out += [root + "/usr/include", "-isystem", root + torch_include]
        else:
            out.append(arg)
    in_library = any(part in target for part in library_parts)
    obj = os.path.join(work, f"{len(units)}.o")
    out += ["-c", "-o", obj] if in_library else ["-fsyntax-only"]
    units.append((os.path.relpath(entry["file"], os.path.dirname(build)), out, entry["directory"], obj if in_library else None))

def compile_unit(unit):
    name, args, directory, obj = unit
    start = time.time()
    done = subprocess.run(args, cwd=directory, capture_output=True, text=True)
    return name, done.returncode, done.stderr, time.time() - start, obj

failed, objects = 0, []
with ThreadPoolExecutor(os.cpu_count() or 2) as pool:
    for name, code, err, seconds, obj in pool.map(compile_unit, units):
        print(f"{'ok  ' if code == 0 else 'FAIL'} {seconds:5.1f}s {name}", flush=True)
        if code:
            failed += 1
            print("\n".join(line for line in err.splitlines() if "error" in line)[:4000])
        elif obj:
            objects.append(obj)
if failed:
    sys.exit(f"{failed} of {len(units)} translation units do not compile against libtorch 2.6")

# Link as the build links libgraft, with 2.6's libraries in place of 1.13's.
link = shlex.split(open(os.path.join(build, "CMakeFiles/graft.dir/link.txt")).read())
lib = root + "/usr/lib/x86_64-linux-gnu"
swapped = []
for arg in link:
    if arg.endswith(".o"):  # ours go where the build's went: before the libraries (--as-needed)
        if objects:
            swapped += objects
            objects = []
        continue
    # Plain paths and -Wl,--no-as-needed,"path" alike.
    swapped.append(re.sub(r"/usr/lib/x86_64-linux-gnu/(libtorch_cpu|libtorch|libc10)\.so[0-9.]*",
                          lambda m: f"{lib}/{m.group(1)}.so", arg))
left = [arg for arg in swapped if re.search(r"lib(torch|c10)[_a-z]*\.so", arg) and lib not in arg]
if left:  # a link line of another shape: linking against 1.13 would prove nothing
    sys.exit(f"libtorch 1.13 libraries left in the link line: {left}")
output = swapped.index("-o")
swapped[output + 1] = os.path.join(work, "libgraft.so")
command = swapped + ["-Wl,-z,defs", "-Wl,--allow-shlib-undefined", f"-Wl,-rpath-link,{lib}"]
done = subprocess.run(command, cwd=build, capture_output=True, text=True)
if done.returncode:
    print(done.stderr[:6000])
    sys.exit("libgraft does not link against libtorch 2.6")
print(f"libtorch 2.6: all {len(units)} translation units compile and libgraft links (-z defs: every symbol it uses is defined)")
shutil.rmtree(work)
PY
