#!/usr/bin/env bash
# This machine's limits, measured in the same session as the broker runs:
#   fio sequential write (1 MiB blocks, page cache + one fsync at the end), once more at
#   once into the page-cache pages just freed (recycled), the same with
#   fdatasync after every 1 MiB write, 4 KiB writes with fdatasync after each (syncs/s:
#   what fsync-on-ack can reach at best), iperf3 over loopback (one stream), and memcpy
#   bandwidth (bench/tools/memcpy_bw.cc: 256 MiB and 64 KiB buffers).
#
# Usage: bash bench/limits.sh <out-file> <scratch-dir> <build-dir>
#   Writes lines "limit.<name> <value>" to <out-file> (appends). Tools that are missing
#   are reported and skipped (scripts/install-deps.sh bench installs them).
# Environment: BENCH_FIO_SIZE (1g: bytes written per sequential fio run), BENCH_LIMIT_SECS (5).
set -euo pipefail
out=$1 scratch=$2 build=$3
root=$(cd "$(dirname "$0")/.." && pwd)
size=${BENCH_FIO_SIZE:-1g}
secs=${BENCH_LIMIT_SECS:-5}
log() { printf '[limits %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
put() { echo "limit.$1 $2" >>"$out"; log "$1 = $2"; }

dir=$(mktemp -d "$scratch/moldau-limits.XXXXXX")
trap 'rm -rf "$dir"' EXIT

fio_json() {  # fio_json <name> <fio args...>: prints "MB/s IOPS" of the write side
  local name=$1; shift
  fio --name="$name" --directory="$dir" --rw=write --ioengine=psync --output-format=json "$@" 2>/dev/null |
    python3 -c 'import json,sys; j=json.load(sys.stdin)["jobs"][0]["write"]; print("%.1f %.0f" % (j["bw_bytes"]/1e6, j["iops"]))'
  rm -f "$dir/$name"*
}

if command -v fio >/dev/null; then
  log "fio: sequential write ${size}, 1 MiB blocks, buffered, fsync at the end"
  read -r mb _ < <(fio_json seq --bs=1M --size="$size" --end_fsync=1)
  put fio_seq_write_mb_s "$mb"
  # Again at once, into the page-cache pages the first run just freed. On this VM a
  # page the guest has not touched lately (free pages are reported back to the host)
  # costs a host fault on first write: fresh pages write several times slower than
  # recycled ones, and a broker's produce throughput follows (docs/benchmarks.md).
  log "fio: the same again at once (recycled page-cache pages)"
  read -r mb _ < <(fio_json seq2 --bs=1M --size="$size" --end_fsync=1)
  put fio_seq_write_recycled_mb_s "$mb"
  log "fio: sequential write, 1 MiB blocks, fdatasync after every write (${secs} s)"
  read -r mb _ < <(fio_json seqsync --bs=1M --size="$size" --fdatasync=1 --runtime="$secs" --time_based)
  put fio_seq_write_fdatasync_mb_s "$mb"
  log "fio: 4 KiB writes, fdatasync after each (${secs} s)"
  read -r mb iops < <(fio_json sync4k --bs=4k --size=64m --fdatasync=1 --runtime="$secs" --time_based)
  put fio_4k_fdatasync_per_s "$iops"
else
  log "fio not installed (scripts/install-deps.sh bench): skipped"
fi

if command -v iperf3 >/dev/null; then
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  iperf3 -s -1 -B 127.0.0.1 -p "$port" >/dev/null 2>&1 &
  spid=$!
  sleep 0.5
  log "iperf3: loopback, one stream, ${secs} s"
  gbit=$(iperf3 -c 127.0.0.1 -p "$port" -t "$secs" -J 2>/dev/null |
    python3 -c 'import json,sys; print("%.1f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/1e9))' || echo "-")
  kill "$spid" 2>/dev/null || true
  wait "$spid" 2>/dev/null || true
  put iperf3_loopback_gbit_s "$gbit"
else
  log "iperf3 not installed (scripts/install-deps.sh bench): skipped"
fi

mkdir -p "$build/bench-tools"
mb_bin=$build/bench-tools/memcpy_bw
if [ ! -x "$mb_bin" ] || [ "$root/bench/tools/memcpy_bw.cc" -nt "$mb_bin" ]; then
  g++ -O2 -std=c++20 -Wall -Wextra "$root/bench/tools/memcpy_bw.cc" -o "$mb_bin"
fi
log "memcpy: 256 MiB and 64 KiB buffers"
j=$("$mb_bin" "$secs")
put memcpy_256MiB_gb_s "$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["memcpy_256MiB_gb_s"])' "$j")"
put memcpy_64KiB_gb_s "$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["memcpy_64KiB_gb_s"])' "$j")"
