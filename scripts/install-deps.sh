#!/usr/bin/env bash
# Installs every Debian package Moldau needs to build, run and test.
# Idempotent: does nothing (and needs no network) when everything is already there.
# Usage: scripts/install-deps.sh [build|test|bench]   (default: build)
#   bench: what bench/run.sh needs beyond test (machine limits: fio, iperf3; perf for
#   profiling; python3-venv for bench/.venv, where run.sh installs matplotlib for plots).
set -euo pipefail
what=${1:-build}

build_pkgs=(build-essential cmake ninja-build pkg-config python3
  libasio-dev libssl-dev zlib1g-dev libsnappy-dev liblz4-dev libzstd-dev
  libfmt-dev libspdlog-dev libcli11-dev)
test_pkgs=(libgtest-dev libgmock-dev libbenchmark-dev clang libclang-rt-14-dev
  kcat librdkafka-dev python3-confluent-kafka python3-kafka
  openjdk-17-jdk-headless maven python3-lz4 python3-snappy python3-zstandard)

bench_pkgs=(fio iperf3 linux-perf python3-venv librdkafka-dev valgrind)

pkgs=("${build_pkgs[@]}")
[ "$what" = test ] && pkgs+=("${test_pkgs[@]}")
[ "$what" = bench ] && pkgs+=("${test_pkgs[@]}" "${bench_pkgs[@]}")

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
