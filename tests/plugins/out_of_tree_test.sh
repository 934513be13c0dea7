#!/usr/bin/env bash
# The worked plugin example, exactly as a user outside graft's tree builds it:
# install graft, build docs/examples/mcc_plugin against the installed package,
# run its experiment (plugin method beside a built-in one) with the installed
# `graft`, and check the errors for a plugin that registers nothing.
#   usage: out_of_tree_test.sh <graft build dir> <graft source dir>
set -euo pipefail
build=$(realpath "$1")
source=$(realpath "$2")
work=$(mktemp -d /tmp/graft-plugin-test-XXXXXX)
trap 'rm -rf "$work"' EXIT

cmake --install "$build" --prefix "$work/prefix" > "$work/install.log"
cp -r "$source/docs/examples/mcc_plugin" "$work/mcc"
cd "$work/mcc"
cmake -S . -B build -DCMAKE_PREFIX_PATH="$work/prefix" > "$work/configure.log"
cmake --build build > "$work/build.log"
test -f build/libgraft_mcc.so

# A short comparison from the example's own YAML: the plugin's method and a built-in one.
"$work/prefix/bin/graft" run mcc_vs_source_only.yaml steps=200 "seeds=[0]" output="$work/results" --no-progress \
  > "$work/run.log" 2>&1 || { cat "$work/run.log"; exit 1; }
grep -E '^mcc +1/1' "$work/run.log" || { echo "no finished mcc row:"; cat "$work/run.log"; exit 1; }
grep -E '^source_only +1/1' "$work/run.log" || { echo "no finished source_only row:"; cat "$work/run.log"; exit 1; }
# The plugin's entries show where they came from.
GRAFT_PLUGINS="$work/mcc/build/libgraft_mcc.so" "$work/prefix/bin/graft" list methods | grep -E 'mcc.*libgraft_mcc.so'

# A plugin that registers nothing is refused with a clear error.
mkdir "$work/empty"
cat > "$work/empty/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.18)
project(empty_plugin LANGUAGES C CXX)
find_package(graft REQUIRED)
graft_add_plugin(graft_empty empty.cpp)
CMAKE
cat > "$work/empty/empty.cpp" <<'CPP'
#include <graft/core/plugins.h>
GRAFT_PLUGIN("empty");
CPP
cmake -S "$work/empty" -B "$work/empty/build" -DCMAKE_PREFIX_PATH="$work/prefix" > /dev/null
cmake --build "$work/empty/build" > /dev/null
if GRAFT_PLUGINS="$work/empty/build/libgraft_empty.so" "$work/prefix/bin/graft" list > "$work/empty.log" 2>&1; then
  echo "a plugin that registers nothing was accepted"; exit 1
fi
grep -q "registers nothing" "$work/empty.log" || { cat "$work/empty.log"; exit 1; }
# `graft new method --out-of-tree` writes a plugin project that builds and passes its own test as written.
"$work/prefix/bin/graft" new method smooth_ce --out-of-tree "$work/scaffold" > /dev/null
cmake -S "$work/scaffold" -B "$work/scaffold/build" -DCMAKE_PREFIX_PATH="$work/prefix" > /dev/null
cmake --build "$work/scaffold/build" > /dev/null
ctest --test-dir "$work/scaffold/build" --output-on-failure > "$work/scaffold.log" 2>&1 || { cat "$work/scaffold.log"; exit 1; }
echo "out-of-tree plugin: built, loaded from YAML, compared; empty plugin refused; scaffolded plugin builds and runs"
