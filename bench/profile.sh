#!/usr/bin/env bash
# Profiles a Moldau broker under bench/loadgen load with `perf record -g`.
#
# Usage: bash bench/profile.sh <moldau-binary> <out-dir> [loadgen args...]
#   Starts the broker on a free port with a fresh data dir, runs loadgen with the given
#   arguments (default: raw-produce, 100 B records, 8 partitions, 15 s, 2 connections)
#   while `perf record -g` samples the broker, then writes <out-dir>/perf.data,
#   <out-dir>/report.txt (perf report --no-children, top symbols), <out-dir>/loadgen.json
#   and <out-dir>/cpu.txt (broker CPU seconds during the load, load average).
# Environment: LOADGEN (build-bench/bench-loadgen/loadgen or build/bench-loadgen/loadgen),
#   PERF_FREQ (999 Hz).
set -euo pipefail
bin=$(readlink -f "$1") outdir=$2; shift 2
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$outdir"
LOADGEN=${LOADGEN:-}
for c in "$root/build-bench/bench-loadgen/loadgen" "$root/build/bench-loadgen/loadgen"; do
  [ -z "$LOADGEN" ] && [ -x "$c" ] && LOADGEN=$c
done
[ -x "$LOADGEN" ] || { echo "profile.sh: no loadgen (run bench/run.sh once, or set LOADGEN)" >&2; exit 1; }
command -v perf >/dev/null || { echo "profile.sh: perf missing (scripts/install-deps.sh bench)" >&2; exit 1; }
[ $# -gt 0 ] || set -- raw-produce --topic prof --partitions 8 --record-size 100 --duration 15 --threads 2

work=$(mktemp -d /tmp/moldau-profile.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$bin" broker --config "$root/config/server.properties" "listeners=PLAINTEXT://127.0.0.1:$port" \
  "advertised.listeners=PLAINTEXT://127.0.0.1:$port" "log.dirs=$work/data" ${BROKER_OVERRIDES:-} >"$outdir/broker.log" 2>&1 &
bpid=$!
perf_pid=""
cleanup() {
  [ -n "$perf_pid" ] && kill -INT "$perf_pid" 2>/dev/null || true
  kill -TERM "$bpid" 2>/dev/null || true
  wait "$bpid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
# Wait for the first acknowledged produce, then create the topic before sampling.
for _ in $(seq 1 200); do
  timeout 20 "$LOADGEN" produce --bootstrap "127.0.0.1:$port" --topic warm --partitions 1 --count 1 --linger-ms 0 \
    >/dev/null 2>&1 && break
  sleep 0.1
done
cpu() { awk '{print $14+$15}' "/proc/$bpid/stat"; }
perf record -g -F "${PERF_FREQ:-999}" -p "$bpid" -o "$outdir/perf.data" >/dev/null 2>"$outdir/perf.err" &
perf_pid=$!
c0=$(cpu)
"$LOADGEN" "$@" --bootstrap "127.0.0.1:$port" >"$outdir/loadgen.json" 2>"$outdir/loadgen.err" || true
c1=$(cpu)
kill -INT "$perf_pid" 2>/dev/null || true
wait "$perf_pid" 2>/dev/null || true
perf_pid=""
hz=$(getconf CLK_TCK)
{
  echo "broker_cpu_s $(awk -v a="$c0" -v b="$c1" -v hz="$hz" 'BEGIN{printf "%.2f", (b-a)/hz}')"
  echo "loadavg $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$outdir/cpu.txt"
perf report -i "$outdir/perf.data" --no-children --stdio --percent-limit 0.7 2>/dev/null | grep -v '^$' | head -400 \
  >"$outdir/report.txt" || true
perf report -i "$outdir/perf.data" --no-children --stdio -g none --percent-limit 0.3 2>/dev/null |
  grep -E '^ +[0-9]' | head -60 >"$outdir/top.txt" || true
cat "$outdir/cpu.txt" "$outdir/loadgen.json"
head -40 "$outdir/top.txt"
