#!/usr/bin/env bash
# Builds every libFuzzer target (*_fuzz) with clang and runs each one.
#
# Usage: scripts/fuzz.sh short|long      (30 s or 10 min per target)
#
# Targets are found in the build (any CMake target named *_fuzz), so a new
# src/<dir>/<name>_fuzz.cc built by its CMakeLists needs no edit here. Seeds:
# fuzz/corpus/<target>/ when checked in, plus those written by a tool named
# <library>_fuzz_corpus (protocol_fuzz_corpus seeds request_fuzz). New inputs
# go to build-fuzz/corpus/<target>/, crashes to build-fuzz/artifacts/.
# Targets run side by side, JOBS (default 2) at a time, each for its full time.
# Exits non-zero when any target crashes or fails to build.
set -euo pipefail

mode="${1:-short}"
case "$mode" in
  short) seconds=30 ;;
  long) seconds=600 ;;
  *) echo "usage: $0 short|long" >&2; exit 2 ;;
esac

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${MOLDAU_FUZZ_BUILD_DIR:-$root/build-fuzz}"
jobs="${JOBS:-2}"

# clang 14 with GCC 12's libstdc++ builds the project as C++20 without extra
# flags (docs/protocol.md, "Fuzzing").
CC="${CC:-clang}" CXX="${CXX:-clang++}" cmake -S "$root" -B "$build" -G Ninja \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMOLDAU_FUZZ=ON -DMOLDAU_BENCH=OFF >/dev/null

# Phony targets named after executables; CMake's own helper targets excluded.
list_targets() {
  ninja -C "$build" -t targets all | sed -n "s/^\([A-Za-z0-9_]*$1\): phony\$/\1/p" \
    | grep -v '^cmake_' | sort -u || true
}
mapfile -t targets < <(list_targets _fuzz)
if [ "${#targets[@]}" -eq 0 ]; then
  echo "no *_fuzz targets (is MOLDAU_FUZZ wired up?)" >&2
  exit 1
fi
mapfile -t tools < <(list_targets _fuzz_corpus)
echo "fuzz targets: ${targets[*]}"
cmake --build "$build" -j "$jobs" --target "${targets[@]}" "${tools[@]}"

seeds="$build/seeds"
rm -rf "$seeds"
mkdir -p "$seeds" "$build/artifacts"
for tool in "${tools[@]}"; do
  bin="$(find "$build" -type f -name "$tool" -perm -u+x | head -n 1)"
  # protocol_fuzz_corpus seeds request_fuzz.
  case "$tool" in
    protocol_fuzz_corpus) "$bin" "$seeds/request_fuzz" ;;
    *) "$bin" "$seeds/${tool%_corpus}" ;;
  esac
done

export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
# Up to $jobs targets at once (each fuzzer is one process on one core; with 2 targets
# and 2 cores the short run takes 30 s instead of 60, each target still fuzzed for its
# full time). Each target's output goes to build-fuzz/logs/<target>.log and is printed
# when all are done.
logs="$build/logs"
mkdir -p "$logs"
run_one() {
  local t=$1 bin corpus rc=0
  bin="$(find "$build" -type f -name "$t" -perm -u+x | head -n 1)"
  corpus="$build/corpus/$t"
  mkdir -p "$corpus"
  local dirs=("$corpus")
  [ -d "$root/fuzz/corpus/$t" ] && dirs+=("$root/fuzz/corpus/$t")
  [ -d "$seeds/$t" ] && dirs+=("$seeds/$t")
  {
    echo "== $t: ${seconds}s, corpus ${dirs[*]}"
    "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
      -print_final_stats=1 -artifact_prefix="$build/artifacts/$t-" "${dirs[@]}" || rc=$?
  } >"$logs/$t.log" 2>&1
  echo "$rc" >"$logs/$t.rc"
}
running=0
for t in "${targets[@]}"; do
  rm -f "$logs/$t.rc"
  if [ "$running" -ge "$jobs" ]; then
    wait -n || true
    running=$((running - 1))
  fi
  echo "fuzzing $t for ${seconds}s"
  run_one "$t" &
  running=$((running + 1))
done
wait
failed=()
for t in "${targets[@]}"; do
  cat "$logs/$t.log"
  if [ "$(cat "$logs/$t.rc" 2>/dev/null)" != 0 ]; then
    failed+=("$t")
  fi
done

if [ "${#failed[@]}" -gt 0 ]; then
  echo "FAILED: ${failed[*]} (inputs in $build/artifacts/)" >&2
  exit 1
fi
echo "all fuzz targets ran clean: ${targets[*]}"
