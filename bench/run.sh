#!/usr/bin/env bash
# Moldau vs Apache Kafka, same machine, same client (bench/loadgen on librdkafka), same run.
#
# Usage: bash bench/run.sh quick|full        (make bench-quick / make bench)
#
# quick: per broker: start-up to first acknowledged produce, idle RSS and CPU,
#        (1) produce max throughput, 100 B records, 8 partitions, acks=1,
#        (3) end-to-end latency at a fixed modest rate (BENCH_E2E_RATE, 5,000 records/s),
#        (4) RSS idle and peak under load, broker CPU seconds per GB of each throughput,
#        plus "broker-limited produce": loadgen raw-produce (pre-built Produce requests on
#        plain sockets, pipelined: near-zero client cost, so the broker is the limit).
# full:  quick plus 1 KB records, acks=all, e2e at 50% of Moldau's max, consume
#        e2e latency also at 10% and 50% of Moldau's max produce rate
#        measured in this run, consume throughput from a multi-GB log (warm page cache), restart after SIGKILL with
#        that log (~1,000 segments), and produce with fsync on every acknowledgement
#        (Kafka flush.messages=1, Moldau moldau.flush.on.ack=true), and broker-limited
#        produce of 1 KB records with acks=all, and broker-limited consume of the
#        multi-GB log (loadgen raw-fetch: Fetch requests on plain sockets, batch bodies
#        discarded unread).
# Both:  this machine's limits first, in the same run (bench/limits.sh: fio sequential
#        write with and without fdatasync, iperf3 over loopback, memcpy), and PNG plots
#        (bench/plot.py, matplotlib in bench/.venv) of throughput, latency and resources.
#
# Each broker runs alone (single node; Kafka 4.3.1 in KRaft combined mode with the
# settings of its shipped server.properties and kafka-server-start.sh's -Xmx1G -Xms1G
# G1), on its own ports and data dir under a temp dir; the two alternate: Moldau then
# Kafka in odd rounds, Kafka then Moldau in even rounds (BENCH_ROUNDS, default 1; the
# table shows the median over rounds). Brokers are stopped on exit.
#
# Environment: BENCH_ROUNDS (1), BENCH_SECS (15: seconds per throughput run),
#   BENCH_E2E_SECS (10), BENCH_E2E_RATE (5000), BENCH_CONSUME_GB (2, full), BENCH_TMPDIR (/tmp: data dirs),
#   BENCH_OUT (build/bench-results: logs, JSON lines, table), KAFKA_VERSION (4.3.1),
#   BUILD_DIR (build), MOLDAU_BIN (<BUILD_DIR>/moldau),
#   BENCH_RESTART_SEGMENTS (1000: segments the consume/restart log is cut into; with
#   BENCH_CONSUME_GB=10 this is the issue's ~10 GB in ~1,000 segments, the default 2 GB
#   keeps the run short on this disk), BENCH_LIMITS (1; 0 skips the machine limits),
#   BENCH_FIO_SIZE (1g), BENCH_PLOTS (1; 0 skips the plots), BENCH_PUBLISH (0; 1 also copies
#   the plots to docs/benchmarks/).
set -euo pipefail

mode=${1:-quick}
case "$mode" in quick|full) ;; *) echo "usage: bench/run.sh quick|full" >&2; exit 2 ;; esac

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
BUILD_DIR=${BUILD_DIR:-build}
MOLDAU_BIN_GIVEN=${MOLDAU_BIN:+1}
MOLDAU_BIN=${MOLDAU_BIN:-$root/$BUILD_DIR/moldau}
KAFKA_VERSION=${KAFKA_VERSION:-4.3.1}
export KAFKA_VERSION
ROUNDS=${BENCH_ROUNDS:-1}
SECS=${BENCH_SECS:-15}
E2E_SECS=${BENCH_E2E_SECS:-10}
E2E_RATE=${BENCH_E2E_RATE:-5000}
CONSUME_GB=${BENCH_CONSUME_GB:-2}
RESTART_SEGMENTS=${BENCH_RESTART_SEGMENTS:-1000}
HZ=$(getconf CLK_TCK)
t_begin=$(date +%s)

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# ------------------------------------------------------------------ build
# fio, iperf3, perf, python3-venv, librdkafka-dev (a no-op when they are installed).
bash scripts/install-deps.sh bench >&2 || log "warning: scripts/install-deps.sh bench failed; missing tools are skipped"
if [ -z "${MOLDAU_BIN_GIVEN:-}" ] && [ -f "$BUILD_DIR/build.ninja" ]; then
  log "building moldau (incremental)"
  if ! cmake --build "$BUILD_DIR" --target moldau >/tmp/moldau-bench-build.$$.log 2>&1; then
    if [ -x "$MOLDAU_BIN" ]; then
      log "warning: build failed (see /tmp/moldau-bench-build.$$.log); benchmarking the existing $MOLDAU_BIN"
    else
      cat /tmp/moldau-bench-build.$$.log >&2; die "cannot build moldau"
    fi
  fi
  rm -f /tmp/moldau-bench-build.$$.log
fi
if [ ! -x "$MOLDAU_BIN" ]; then
  log "no $MOLDAU_BIN: running make build"
  make -C "$root" build >&2
fi
[ -x "$MOLDAU_BIN" ] || die "moldau binary not found at $MOLDAU_BIN"

LOADGEN=$root/$BUILD_DIR/bench-loadgen/loadgen
if [ ! -x "$LOADGEN" ] || [ -n "$(find bench/loadgen -newer "$LOADGEN" -name '*.[ch]*' 2>/dev/null)" ]; then
  log "building loadgen"
  mkdir -p "$(dirname "$LOADGEN")"
  # shellcheck disable=SC2046
  g++ -O2 -g -std=c++20 -Wall -Wextra -pthread bench/loadgen/loadgen.cc -o "$LOADGEN" \
      $(pkg-config --cflags --libs rdkafka)
fi

KAFKA_LIBS=$(bash scripts/install-kafka.sh "$KAFKA_VERSION")
[ -d "$KAFKA_LIBS" ] || die "Kafka install failed"

# ------------------------------------------------------------------ work dirs
work=$(mktemp -d "${BENCH_TMPDIR:-/tmp}/moldau-bench.XXXXXX")
out_root=${BENCH_OUT:-$root/$BUILD_DIR/bench-results}
out="$out_root/$(date +%Y%m%d-%H%M%S)-$mode"
mkdir -p "$out"
results="$out/results.txt"     # lines: broker metric value
: >"$results"
limits="$out/limits.txt"       # lines: limit.<name> value
: >"$limits"

BROKER_PID=""
SAMPLER_PID=""
cleanup() {
  local rc=$?
  [ -n "$SAMPLER_PID" ] && kill "$SAMPLER_PID" 2>/dev/null || true
  if [ -n "$BROKER_PID" ] && kill -0 "$BROKER_PID" 2>/dev/null; then
    kill -TERM "$BROKER_PID" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$BROKER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$BROKER_PID" 2>/dev/null || true
  fi
  rm -rf "$work"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
# utime+stime of a process, in seconds (all threads).
cpu_secs() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
  stat=${stat##*) }
  # shellcheck disable=SC2086
  set -- $stat
  awk -v u="${12}" -v s="${13}" -v hz="$HZ" 'BEGIN{printf "%.2f", (u+s)/hz}'
}
rss_mb() {
  awk '/^VmRSS:/{printf "%.1f", $2/1024}' "/proc/$1/status" 2>/dev/null || echo 0
}
record() { echo "$1 $2 $3" >>"$results"; }
jget() {  # jget <json> <key>: a top-level or nested ("lat_us.p99") number from loadgen's line
  python3 -c 'import json,sys
d=json.loads(sys.argv[1])
for k in sys.argv[2].split("."):
    if k not in d: print("-"); sys.exit(0)  # e.g. consume has no latency
    d=d[k]
print(d)' "$1" "$2"
}

# ------------------------------------------------------------------ brokers
# start_broker <kind> <dir> [extra key=value...]; sets BROKER_PID, PORT, BOOT.
start_broker() {
  local kind=$1 dir=$2; shift 2
  mkdir -p "$dir/data"
  PORT=$(free_port)
  BOOT=127.0.0.1:$PORT
  if [ "$kind" = kafka ]; then
    if [ ! -f "$dir/server.properties" ]; then
      local cport; cport=$(free_port)
      # Kafka's shipped config/server.properties (KRaft combined mode), single node.
      cat >"$dir/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
num.network.threads=3
num.io.threads=8
socket.send.buffer.bytes=102400
socket.receive.buffer.bytes=102400
socket.request.max.bytes=104857600
log.dirs=$dir/data
num.partitions=1
num.recovery.threads.per.data.dir=1
offsets.topic.replication.factor=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
log.retention.hours=168
log.segment.bytes=1073741824
log.retention.check.interval.ms=300000
group.initial.rebalance.delay.ms=0
log.segment.delete.delay.ms=1000
EOF
      for kv in "$@"; do echo "$kv" >>"$dir/server.properties"; done
      local cid
      cid=$(python3 -c 'import base64,uuid; print(base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode())')
      bash tests/kafka_tool.sh kafka-storage format -t "$cid" -c "$dir/server.properties" \
        >>"$dir/broker.log" 2>&1 || die "kafka-storage format failed; see $dir/broker.log"
    else
      PORT=$(sed -n 's/^advertised.listeners=PLAINTEXT:\/\/127.0.0.1://p' "$dir/server.properties")
      BOOT=127.0.0.1:$PORT
    fi
    # kafka_tool.sh execs java: $! is the JVM's pid. Start-up is timed from here
    # (the one-time storage format above is setup, not start-up).
    LAUNCH_MS=$(now_ms)
    bash tests/kafka_tool.sh kafka-server-start "$dir/server.properties" >>"$dir/broker.log" 2>&1 &
    BROKER_PID=$!
  else
    if [ -f "$dir/port" ]; then PORT=$(cat "$dir/port"); BOOT=127.0.0.1:$PORT; fi
    echo "$PORT" >"$dir/port"
    LAUNCH_MS=$(now_ms)
    "$MOLDAU_BIN" broker --config "$root/config/server.properties" \
      "listeners=PLAINTEXT://$BOOT" "advertised.listeners=PLAINTEXT://$BOOT" \
      "log.dirs=$dir/data" log.segment.delete.delay.ms=1000 "$@" >>"$dir/broker.log" 2>&1 &
    BROKER_PID=$!
  fi
}

# Waits until a 1-record produce is acknowledged; prints the ms since $1. The probe
# (loadgen probe) is plain sockets: connect, Metadata with auto-creation, Produce, retried
# every 10 ms, so the broker's readiness and not a client library's back-off or metadata
# polling sets the time (the librdkafka probe used before added ~0.2-1 s).
wait_first_ack() {
  local t0=$1
  if timeout 200 "$LOADGEN" probe --bootstrap "$BOOT" --topic startup --duration 180 >/dev/null 2>>"$out/probe.err"; then
    echo $(( $(now_ms) - t0 ))
    return
  fi
  kill -0 "$BROKER_PID" 2>/dev/null || die "broker exited during start-up; see its log"
  die "broker did not acknowledge a produce within 180 s"
}

stop_broker() {
  local sig=${1:-TERM}
  [ -n "$BROKER_PID" ] || return 0
  kill "-$sig" "$BROKER_PID" 2>/dev/null || true
  for _ in $(seq 1 600); do kill -0 "$BROKER_PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$BROKER_PID" 2>/dev/null || true
  wait "$BROKER_PID" 2>/dev/null || true
  BROKER_PID=""
}

# Samples the broker's VmRSS every 0.5 s into $1 (peak kept by the reader).
start_sampler() {
  local f=$1 pid=$BROKER_PID
  : >"$f"
  ( while kill -0 "$pid" 2>/dev/null; do rss_mb "$pid" >>"$f"; echo >>"$f"; sleep 0.5; done ) &
  SAMPLER_PID=$!
}
stop_sampler() {  # sets PEAK_RSS
  [ -n "$SAMPLER_PID" ] && kill "$SAMPLER_PID" 2>/dev/null || true
  wait "$SAMPLER_PID" 2>/dev/null || true
  SAMPLER_PID=""
  PEAK_RSS=$(awk 'NF && $1+0>m{m=$1+0} END{printf "%.1f", m}' "$1")
}

# Waits (at most BENCH_SETTLE_SECS, 60) until the broker uses under 20% of a core over
# a second, so a run does not measure the previous run's aftermath (background flushes,
# GC, JIT after a max-rate run).
settle() {
  local b=$1 t0 c0 c1 waited=0
  t0=$(now_ms)
  while [ "$waited" -lt "${BENCH_SETTLE_SECS:-60}" ]; do
    c0=$(cpu_secs "$BROKER_PID"); sleep 1; c1=$(cpu_secs "$BROKER_PID")
    awk -v a="$c0" -v b="$c1" 'BEGIN{exit !((b-a) < 0.2)}' && break
    waited=$((waited + 1))
  done
  [ "$waited" -gt 0 ] && log "$b: waited $(( ($(now_ms) - t0) / 1000 )) s for the broker to settle"
  return 0
}

# run_load <broker> <name> <loadgen args...>: runs loadgen, records throughput, CPU s/GB,
# latency and peak RSS under "<name>.*".
run_load() {
  local b=$1 name=$2; shift 2
  local c0 c1 json peak
  settle "$b"
  c0=$(cpu_secs "$BROKER_PID")
  start_sampler "$out/$b.$name.rss"
  log "$b: $name: loadgen $*"
  json=$(timeout 600 "$LOADGEN" "$@" --bootstrap "$BOOT" 2>>"$out/$b.loadgen.err") || log "warning: loadgen reported errors ($b $name)"
  c1=$(cpu_secs "$BROKER_PID")
  stop_sampler "$out/$b.$name.rss"; peak=$PEAK_RSS
  if ! kill -0 "$BROKER_PID" 2>/dev/null; then
    wait "$BROKER_PID" 2>/dev/null; local st=$?
    log "ERROR: $b died during $name (exit status $st); last lines of its log:"
    tail -5 "$BROKER_DIR/broker.log" >&2 || true
    record "$b" "crashed_in_$name" "$st"
    BROKER_PID=""
    return 1
  fi
  [ -n "$json" ] || die "loadgen printed nothing for $b $name; see $out/$b.loadgen.err"
  echo "{\"broker\":\"$b\",\"name\":\"$name\",\"cpu_s\":$(awk -v a="$c0" -v b="$c1" 'BEGIN{print b-a}'),\"peak_rss_mb\":$peak,\"result\":$json}" >>"$out/runs.jsonl"
  local bytes rps mbps
  bytes=$(jget "$json" bytes); rps=$(jget "$json" records_per_s); mbps=$(jget "$json" mb_per_s)
  record "$b" "$name.rps" "$rps"
  record "$b" "$name.mbps" "$mbps"
  record "$b" "$name.cpu_per_gb" "$(awk -v a="$c0" -v c="$c1" -v by="$bytes" 'BEGIN{ if (by>0) printf "%.2f", (c-a)/(by/1e9); else print 0 }')"
  local q v
  for q in p50 p99 p999; do
    v=$(jget "$json" "lat_us.$q"); [ "$v" = - ] || record "$b" "$name.$q" "$v"
  done
  # e2e: how late a 1 ms sleep woke up in the load generator meanwhile (scheduling noise).
  v=$(jget "$json" oversleep_us.p99); [ "$v" = - ] || record "$b" "$name.oversleep_p99" "$v"
  record "$b" "load_rss_mb" "$peak"
  LAST_JSON=$json
  # Every throughput run writes gigabytes: drop its topic (not the consume log) so
  # a full run fits on this disk (a Moldau session wrote ~47 GB and filled it).
  local topic="" prev=""
  for a in "$@"; do [ "$prev" = --topic ] && topic=$a; prev=$a; done
  [ -n "$topic" ] && [ "$topic" != big ] && drop_topic "$topic"
  return 0
}

# drop_topic <topic>: deletes it (with the moldau CLI, a Kafka admin client, on either
# broker) and waits up to 30 s for its directories to go (both brokers run with
# log.segment.delete.delay.ms=1000). Not measured.
drop_topic() {
  "$MOLDAU_BIN" topic delete --if-exists -b "$BOOT" "$1" >/dev/null 2>>"$out/drop_topic.err" || {
    log "warning: could not delete topic $1"; return 0; }
  local i
  for i in $(seq 1 60); do
    [ -z "$(find "$BROKER_DIR/data" -maxdepth 1 -name "$1-[0-9]*" -print -quit 2>/dev/null)" ] && return 0
    sleep 0.5
  done
  log "warning: topic $1 still on disk 30 s after its deletion"
}

median() {  # median <broker> <metric>
  awk -v b="$1" -v m="$2" '$1==b && $2==m {v[n++]=$3+0} END{
    if (n==0) { print "-"; exit }
    for (i=0;i<n;i++) for (j=i+1;j<n;j++) if (v[j]<v[i]) {t=v[i];v[i]=v[j];v[j]=t}
    x = (n%2) ? v[int(n/2)] : (v[n/2-1]+v[n/2])/2; print x }' "$results"
}
max_of() {
  awk -v b="$1" -v m="$2" '$1==b && $2==m && $3+0>x {x=$3+0} END{print (x=="" ? "-" : x)}' "$results"
}

E2E_LO=""; E2E_HI=""
echo "e2e_fix $E2E_RATE" >"$out/e2e_rates.txt"

# ------------------------------------------------------------------ machine limits
if [ "${BENCH_LIMITS:-1}" != 0 ]; then
  log "machine limits (fio, iperf3, memcpy); load average $(cut -d' ' -f1-3 /proc/loadavg)"
  bash bench/limits.sh "$limits" "${BENCH_TMPDIR:-/tmp}" "$root/$BUILD_DIR" || log "warning: bench/limits.sh failed"
fi

session() {  # session <broker> <round>
  local b=$1 r=$2 dir="$work/$b-$r"
  BROKER_DIR=$dir
  local kcfg=()
  log "=== round $r: $b"
  start_broker "$b" "$dir"
  local ms; ms=$(wait_first_ack "$LAUNCH_MS") && [ -n "$ms" ] || die "$b did not start; see $dir/broker.log"
  record "$b" startup_ms "$ms"
  log "$b: first acknowledged produce after $ms ms (pid $BROKER_PID)"

  # Idle: let start-up work settle, then measure RSS and CPU over 5 s.
  sleep 5
  local c0; c0=$(cpu_secs "$BROKER_PID")
  sleep 5
  record "$b" idle_cpu_pct "$(awk -v a="$c0" -v c="$(cpu_secs "$BROKER_PID")" 'BEGIN{printf "%.1f", (c-a)/5*100}')"
  record "$b" idle_rss_mb "$(rss_mb "$BROKER_PID")"

  # (1) produce max throughput, 100 B, 8 partitions, acks=1.
  run_load "$b" p100_a1 produce --topic p100-a1 --partitions 8 --record-size 100 --duration "$SECS" --rate max --acks 1 || { session_end "$b" "$r" "$dir"; return 0; }
  local p100_json=$LAST_JSON
  # Broker-limited produce: the same bytes, pre-built, 2 connections x 5 requests in flight.
  run_load "$b" raw100_a1 raw-produce --topic raw100-a1 --partitions 8 --record-size 100 --duration "$SECS" --acks 1 --threads 2 --inflight 5 --batch-size 65536 || { session_end "$b" "$r" "$dir"; return 0; }
  LAST_JSON=$p100_json
  if [ -z "$E2E_LO" ]; then
    # e2e rates from Moldau's max (Moldau runs first in round 1).
    local mx; mx=$(jget "$LAST_JSON" records_per_s)
    E2E_LO=$(awk -v x="$mx" 'BEGIN{r=int(x*0.10/100)*100; if (r<1000) r=1000; print r}')
    E2E_HI=$(awk -v x="$mx" 'BEGIN{r=int(x*0.50/100)*100; if (r<1000) r=1000; print r}')
    log "e2e rates: ${E2E_LO}/s (10% of Moldau's max), ${E2E_HI}/s (50%)"
    printf 'e2e_lo %s\ne2e_hi %s\n' "$E2E_LO" "$E2E_HI" >>"$out/e2e_rates.txt"
  fi
  if [ "$mode" = full ]; then
    run_load "$b" p1k_a1 produce --topic p1k-a1 --partitions 8 --record-size 1000 --duration "$SECS" --rate max --acks 1 || { session_end "$b" "$r" "$dir"; return 0; }
    run_load "$b" p100_all produce --topic p100-all --partitions 8 --record-size 100 --duration "$SECS" --rate max --acks all || { session_end "$b" "$r" "$dir"; return 0; }
    run_load "$b" p1k_all produce --topic p1k-all --partitions 8 --record-size 1000 --duration "$SECS" --rate max --acks all || { session_end "$b" "$r" "$dir"; return 0; }
    run_load "$b" raw1k_all raw-produce --topic raw1k-all --partitions 8 --record-size 1000 --duration "$SECS" --acks all --threads 2 --inflight 5 --batch-size 65536 || { session_end "$b" "$r" "$dir"; return 0; }
  fi

  # (3) end-to-end latency at a fixed rate, no linger (what a latency-minded user sets).
  run_load "$b" e2e_fix e2e --topic e2e-fix --partitions 8 --record-size 100 --duration "$E2E_SECS" --rate "$E2E_RATE" --acks 1 --linger-ms 0 || { session_end "$b" "$r" "$dir"; return 0; }
  if [ "$mode" = full ]; then
    run_load "$b" e2e_lo e2e --topic e2e-lo --partitions 8 --record-size 100 --duration "$E2E_SECS" --rate "$E2E_LO" --acks 1 --linger-ms 0 || { session_end "$b" "$r" "$dir"; return 0; }
    run_load "$b" e2e_hi e2e --topic e2e-hi --partitions 8 --record-size 100 --duration "$E2E_SECS" --rate "$E2E_HI" --acks 1 --linger-ms 0 || { session_end "$b" "$r" "$dir"; return 0; }

    # (7) fsync on every acknowledgement.
    local fcfg=flush.messages=1
    [ "$b" = moldau ] && fcfg=moldau.flush.on.ack=true
    run_load "$b" fsync_1k produce --topic fsync-1k --partitions 8 --record-size 1000 --duration "$SECS" --rate max --acks all --topic-config "$fcfg" || { session_end "$b" "$r" "$dir"; return 0; }

    # (2) and (6) run on a fresh broker holding only the consume log, so that the
    # restart recovers the same ~BENCH_CONSUME_GB on both brokers (not also what the
    # runs above wrote, which differs between brokers by their produce throughput).
    session_end "$b" "$r" "$dir"
    dir="$work/$b-$r-log"
    BROKER_DIR=$dir
    start_broker "$b" "$dir"
    ms=$(wait_first_ack "$LAUNCH_MS") && [ -n "$ms" ] || die "$b did not start; see $dir/broker.log"

    # (2) consume from a multi-GB log (written just before: warm page cache).
    # BENCH_CONSUME_GB may be a fraction (0.3) for a short run.
    local total segbytes
    total=$(awk -v g="$CONSUME_GB" 'BEGIN{printf "%d", g*1000000}')
    segbytes=$(awk -v g="$CONSUME_GB" -v n="$RESTART_SEGMENTS" 'BEGIN{s=int(g*1e9/n); if (s<1048576) s=1048576; printf "%d", s}')
    log "$b: writing ${CONSUME_GB} GB for the consume and restart runs (segment.bytes=$segbytes, ~${RESTART_SEGMENTS} segments)"
    "$LOADGEN" produce --bootstrap "$BOOT" --topic big --partitions 8 --record-size 1000 --count "$total" \
      --rate max --acks 1 --topic-config "segment.bytes=$segbytes" >>"$out/runs.load.jsonl" 2>>"$out/$b.loadgen.err"
    run_load "$b" consume_1k consume --topic big --threads 1 || { session_end "$b" "$r-log" "$dir"; return 0; }
    run_load "$b" consume_1k_t2 consume --topic big --threads 2 || { session_end "$b" "$r-log" "$dir"; return 0; }
    # Broker-limited consume of the same log: Fetch on plain sockets, batch bodies
    # discarded unread (near-zero client cost), 2 connections x 1 Fetch in flight.
    run_load "$b" rawfetch_1k raw-fetch --topic big --threads 2 || { session_end "$b" "$r-log" "$dir"; return 0; }

    # (6) restart after SIGKILL with that log.
    stop_broker KILL
    local nseg; nseg=$(find "$dir/data" -path '*big-*' -name '*.log' | wc -l)
    record "$b" restart_segments "$nseg"
    log "$b: SIGKILL, restarting with $nseg segments of topic big ($(du -sh "$dir/data" | cut -f1))"
    start_broker "$b" "$dir"
    ms=$(wait_first_ack "$LAUNCH_MS") && [ -n "$ms" ] || die "$b did not restart; see $dir/broker.log"
    record "$b" restart_ms "$ms"
    log "$b: first acknowledged produce after restart: $ms ms"
    session_end "$b" "$r-log" "$dir"
    return 0
  fi
  session_end "$b" "$r" "$dir"
}

session_end() {
  stop_broker TERM
  cp "$3/broker.log" "$out/$1-$2.broker.log" 2>/dev/null || true
  rm -rf "$3"
}

for r in $(seq 1 "$ROUNDS"); do
  if [ $(( r % 2 )) -eq 1 ]; then order="moldau kafka"; else order="kafka moldau"; fi
  for b in $order; do session "$b" "$r"; done
done

# ------------------------------------------------------------------ table
ratio() {  # Moldau/Kafka
  awk -v m="$1" -v k="$2" 'BEGIN{ if (m=="-"||k=="-"||k+0==0) print "-"; else printf "%.2fx", m/k }'
}
fmt() { awk -v x="$1" 'BEGIN{ if (x=="-") print "-"; else if (x+0>=100) printf "%.0f", x; else printf "%.2f", x }'; }
row() {  # row <label> <metric> <better:higher|lower> [agg]
  local k m agg=${4:-median}
  if [ "$agg" = max ]; then k=$(max_of kafka "$2"); m=$(max_of moldau "$2"); else k=$(median kafka "$2"); m=$(median moldau "$2"); fi
  printf '%-44s %12s %12s %9s  %s\n' "$1" "$(fmt "$k")" "$(fmt "$m")" "$(ratio "$m" "$k")" "$3"
}
tput_rows() {  # tput_rows <label> <name>
  row "$1 records/s" "$2.rps" higher
  row "$1 MB/s" "$2.mbps" higher
  row "$1 broker CPU s/GB" "$2.cpu_per_gb" lower
}
{
  echo "Moldau vs Apache Kafka $KAFKA_VERSION ($mode, $ROUNDS round(s), ${SECS}s per throughput run; $(nproc) cores, load average at end: $(cut -d' ' -f1-3 /proc/loadavg))"
  printf '%-44s %12s %12s %9s  %s\n' "metric" "Kafka" "Moldau" "M/K" "better"
  printf '%s\n' "-------------------------------------------------------------------------------------------"
  row "produce 100B acks=1 (8 partitions) records/s" p100_a1.rps higher
  row "produce 100B acks=1 MB/s" p100_a1.mbps higher
  row "produce 100B acks=1 broker CPU s/GB" p100_a1.cpu_per_gb lower
  row "produce 100B acks=1 ack p99 us (queue-bound)" p100_a1.p99 lower
  tput_rows "broker-limited produce 100B acks=1" raw100_a1
  row "broker-limited produce 100B request p99 us" raw100_a1.p99 lower
  if [ "$mode" = full ]; then
    tput_rows "produce 1KB acks=1" p1k_a1
    tput_rows "produce 100B acks=all" p100_all
    tput_rows "produce 1KB acks=all" p1k_all
    tput_rows "broker-limited produce 1KB acks=all" raw1k_all
    tput_rows "produce 1KB fsync-on-ack" fsync_1k
    tput_rows "consume 1KB 1 thread" consume_1k
    tput_rows "consume 1KB 2 threads" consume_1k_t2
    tput_rows "broker-limited consume 1KB" rawfetch_1k
  fi
  row "e2e latency p50 us @${E2E_RATE}/s" e2e_fix.p50 lower
  row "e2e latency p99 us @${E2E_RATE}/s" e2e_fix.p99 lower
  row "e2e latency p99.9 us @${E2E_RATE}/s" e2e_fix.p999 lower
  row "  (machine noise: 1 ms sleep oversleep p99 us)" e2e_fix.oversleep_p99 -
  if [ "$mode" = full ]; then
    row "e2e latency p50 us @${E2E_LO}/s" e2e_lo.p50 lower
    row "e2e latency p99 us @${E2E_LO}/s" e2e_lo.p99 lower
    row "e2e latency p99.9 us @${E2E_LO}/s" e2e_lo.p999 lower
    row "e2e latency p50 us @${E2E_HI}/s" e2e_hi.p50 lower
    row "e2e latency p99 us @${E2E_HI}/s" e2e_hi.p99 lower
    row "e2e latency p99.9 us @${E2E_HI}/s" e2e_hi.p999 lower
  fi
  row "RSS idle MB" idle_rss_mb lower
  row "RSS peak under load MB" load_rss_mb lower max
  row "CPU idle %" idle_cpu_pct lower
  row "start-up to first ack ms" startup_ms lower
  if [ "$mode" = full ]; then
    row "restart after SIGKILL to first ack ms" restart_ms lower
    row "  (segments in the restarted log)" restart_segments -
  fi
  if grep -q ' crashed_in_' "$results"; then
    awk '$2 ~ /^crashed_in_/ {sub("crashed_in_","",$2); printf "CRASH: %s died during %s (exit status %s); later workloads of that session were skipped\n", $1, $2, $3}' "$results"
  fi
  echo "M/K = Moldau/Kafka; each 'better' column says which direction is good. Shared, noisy machine: compare ratios, not absolutes."
  if [ -s "$limits" ]; then
    echo "This machine's limits, same run: $(awk '{sub("^limit\\.","",$1); printf "%s%s=%s", (NR>1?", ":""), $1, $2}' "$limits")"
  fi
  echo "elapsed: $(( $(date +%s) - t_begin )) s; raw results: $out"
} | tee "$out/table.txt"

# ------------------------------------------------------------------ plots
if [ "${BENCH_PLOTS:-1}" != 0 ]; then
  venv=$root/bench/.venv
  if [ "$(cat "$venv/.moldau-stamp" 2>/dev/null)" != "$(cat bench/requirements.txt)" ]; then
    log "creating bench/.venv (matplotlib from bench/requirements.txt)"
    { rm -rf "$venv" && python3 -m venv "$venv" &&
      "$venv/bin/python" -m pip install -q --disable-pip-version-check -r bench/requirements.txt &&
      cat bench/requirements.txt >"$venv/.moldau-stamp"; } >&2 || log "warning: cannot make bench/.venv; no plots"
  fi
  publish=()
  [ "${BENCH_PUBLISH:-0}" = 1 ] && publish=("$root/docs/benchmarks")
  if [ -x "$venv/bin/python" ]; then
    "$venv/bin/python" bench/plot.py "$out" "${publish[@]}" >&2 || log "warning: plotting failed"
  fi
fi
