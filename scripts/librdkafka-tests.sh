#!/usr/bin/env bash
# librdkafka's own test suite (tests/ in Debian's librdkafka 2.0.2 source) against Moldau.
#
# Usage:
#   scripts/librdkafka-tests.sh build
#       Fetches Debian's librdkafka source (`apt-get source`, the version of the installed
#       librdkafka-dev) into $MOLDAU_CACHE/librdkafka-src and builds librdkafka and the
#       suite's test-runner there. Cached: a second call only checks and exits.
#   scripts/librdkafka-tests.sh run BOOTSTRAP [TEST_ID...]
#       Runs each test (default: every test in tests/librdkafka/tests.txt that is not in
#       tests/librdkafka/skip-list.txt) against the already running broker at BOOTSTRAP
#       (host:port), one test-runner process per test, each under a timeout
#       ($LIBRDKAFKA_TEST_TIMEOUT seconds, default 120). Output per test goes to
#       $LIBRDKAFKA_TEST_OUT (default $MOLDAU_CACHE/librdkafka-out)/<id>.log.
#       Prints "PASS <id> <secs>s" / "FAIL <id> ..." lines and a summary; exits 1 if any failed.
#       TEST_SCENARIO=noautocreate selects the tests of that scenario (tests.txt says
#       which), to be run against a broker with auto.create.topics.enable=false.
#   scripts/librdkafka-tests.sh list [SCENARIO]
#       Prints the test numbers "run" runs by default in SCENARIO (default: default).
#   scripts/librdkafka-tests.sh path
#       Prints the test-runner's directory (after a build).
#
# Environment: MOLDAU_CACHE (default ~/.cache/moldau), LIBRDKAFKA_TEST_TIMEOUT,
#   LIBRDKAFKA_TEST_OUT, TEST_KAFKA_VERSION (default below; see tests/librdkafka/README.md).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
suite_dir="$root/tests/librdkafka"
cache=${MOLDAU_CACHE:-$HOME/.cache/moldau}
src_parent="$cache/librdkafka-src"
want_version=2.0.2
# The Kafka version the suite is told the broker speaks (see tests/librdkafka/README.md).
export TEST_KAFKA_VERSION=${TEST_KAFKA_VERSION:-3.9.0}

die() { echo "librdkafka-tests: $*" >&2; exit 1; }
log() { echo "librdkafka-tests: $*" >&2; }

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo

apt_updated=0
apt_update() {
  [ "$apt_updated" = 1 ] && return 0
  $SUDO apt-get update -qq || die "apt-get update failed"
  apt_updated=1
}

ensure_pkgs() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  apt_update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || die "apt-get install ${missing[*]} failed"
}

# Adds a deb-src entry for Debian's main archive if no deb-src line exists yet.
ensure_deb_src() {
  if grep -rqsE '^(deb-src|Types:.*deb-src)' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null; then
    return 0
  fi
  log "adding a deb-src entry (/etc/apt/sources.list.d/moldau-deb-src.sources)"
  local suite
  suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
  $SUDO tee /etc/apt/sources.list.d/moldau-deb-src.sources >/dev/null <<SRC
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: $suite $suite-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  apt_updated=0
  apt_update
}

src_dir() { echo "$src_parent/librdkafka-$want_version"; }

fetch_source() {
  local d; d=$(src_dir)
  [ -f "$d/tests/test.c" ] && return 0
  ensure_pkgs dpkg-dev
  ensure_deb_src
  mkdir -p "$src_parent"
  local tmp="$src_parent/.fetch.$$"
  rm -rf "$tmp"; mkdir -p "$tmp"
  log "apt-get source librdkafka=$want_version* into $src_parent"
  if ! (cd "$tmp" && apt-get source -qq "librdkafka=${want_version}-*" >/dev/null 2>"$tmp/apt.err" \
        || apt-get source -qq librdkafka >/dev/null 2>"$tmp/apt.err"); then
    cat "$tmp/apt.err" >&2
    rm -rf "$tmp"
    die "apt-get source librdkafka failed"
  fi
  local got
  got=$(find "$tmp" -maxdepth 1 -mindepth 1 -type d -name 'librdkafka-*' | head -1)
  [ -n "$got" ] && [ -f "$got/tests/test.c" ] || { rm -rf "$tmp"; die "apt-get source gave no librdkafka source tree"; }
  [ "$(basename "$got")" = "librdkafka-$want_version" ] \
    || log "warning: got $(basename "$got"), expected librdkafka-$want_version"
  rm -rf "$d"
  mv "$got" "$d"
  rm -rf "$tmp"
}

# Bump when the packages, configure flags or make targets below change: a cached
# build made with another recipe is reconfigured and rebuilt (incrementally).
build_recipe="2: --disable-curl --disable-debug-symbols; rapidjson; make libs + tests build"

build() {
  local d; d=$(src_dir)
  local stamp="$d/.moldau-built"
  built() { [ -x "$d/tests/test-runner" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$build_recipe" ]; }
  built && return 0
  # Parallel test workers (pytest-xdist) call this at the same time: one fetches and
  # builds, the others wait here for it and then find the build.
  mkdir -p "$src_parent"
  exec 9>"$src_parent/.build.lock"
  local w0=$SECONDS
  flock -w 3600 9 || die "waited an hour for another build ($src_parent/.build.lock)"
  if built; then
    log "another process built it; waited $((SECONDS - w0)) s"
    exec 9>&-
    return 0
  fi
  # rapidjson-dev: 0053_stats checks the statistics JSON against its schema with it.
  ensure_pkgs build-essential python3 pkg-config libssl-dev zlib1g-dev libzstd-dev liblz4-dev \
    libsasl2-dev rapidjson-dev
  fetch_source
  local t0=$SECONDS
  log "building librdkafka $want_version and its test-runner in $d (make -j2, nice)"
  (
    cd "$d"
    if [ ! -f Makefile.config ] || [ "$(cat "$stamp" 2>/dev/null)" != "$build_recipe" ]; then
      # No --install-deps: nothing is downloaded; the system's zlib, zstd, lz4,
      # OpenSSL and Cyrus SASL are used. curl is only for OIDC, which is not tested.
      ./configure --disable-curl --disable-debug-symbols >"$d/.configure.log" 2>&1 \
        || { tail -40 "$d/.configure.log" >&2; exit 1; }
    fi
    nice -n 10 make -j2 libs >"$d/.build-lib.log" 2>&1 \
      || { tail -40 "$d/.build-lib.log" >&2; exit 1; }
    cd tests
    nice -n 10 make -j2 build >"$d/.build-tests.log" 2>&1 \
      || { tail -40 "$d/.build-tests.log" >&2; exit 1; }
  ) || die "build failed (logs: $d/.configure.log, .build-lib.log, .build-tests.log)"
  [ -x "$d/tests/test-runner" ] || die "build produced no tests/test-runner"
  echo "$build_recipe" >"$stamp"
  exec 9>&-
  log "built in $((SECONDS - t0)) s"
}

# The scenario of a test number in tests.txt ("default" unless it says scenario=<name>).
scenario_of() {
  awk -v t="$1" '$1 == t { for (i = 2; i <= NF; i++) if ($i ~ /^scenario=/) { sub(/^scenario=/, "", $i); print $i; exit } print "default"; exit }' \
    "$suite_dir/tests.txt"
}

# Test numbers to run by default in scenario $1: tests.txt minus skip-list.txt.
default_tests() {
  local scenario=$1 skip t
  skip=$(awk '!/^[[:space:]]*(#|$)/ {print $1}' "$suite_dir/skip-list.txt" 2>/dev/null || true)
  awk '!/^[[:space:]]*(#|$)/ {print $1}' "$suite_dir/tests.txt" | while read -r t; do
    grep -qxF "$t" <<<"$skip" && continue
    [ "$(scenario_of "$t")" = "$scenario" ] && echo "$t"
  done
  return 0
}

run() {
  local bootstrap=${1:-}; [ -n "$bootstrap" ] || die "usage: $0 run HOST:PORT [TEST_ID...]"
  shift
  local d; d=$(src_dir)
  [ -x "$d/tests/test-runner" ] || die "no test-runner; run '$0 build' first"
  local out=${LIBRDKAFKA_TEST_OUT:-$cache/librdkafka-out}
  local timeout_s=${LIBRDKAFKA_TEST_TIMEOUT:-120}
  mkdir -p "$out"
  out=$(cd "$out" && pwd)
  local scenario=${TEST_SCENARIO:-default}
  local tests=("$@")
  [ ${#tests[@]} -gt 0 ] || mapfile -t tests < <(default_tests "$scenario")
  [ ${#tests[@]} -gt 0 ] || die "no tests to run"

  # Tests open files relative to the suite's directory (0053 reads
  # ../src/statistics_schema.json), so they run in a directory beside tests/; the
  # test.conf for this broker is passed with RDKAFKA_TEST_CONF.
  # One per pytest-xdist worker, so that parallel workers never share a directory.
  local work="$d/moldau-run${PYTEST_XDIST_WORKER:+-$PYTEST_XDIST_WORKER}"
  mkdir -p "$work"
  local conf="$out/test.conf"
  {
    echo "metadata.broker.list=$bootstrap"
    [ -f "$suite_dir/test.conf" ] && grep -v '^[[:space:]]*#' "$suite_dir/test.conf" || true
  } >"$conf"

  # Tests that create topics with Kafka's own scripts (0052: a LogAppendTime topic)
  # call $KAFKA_PATH/bin/kafka-topics.sh --bootstrap-server $BROKERS: give them
  # bin/*.sh wrappers around tests/kafka_tool.sh (Kafka's jars from Maven Central).
  local kafka_path="$out/kafka-path" tool
  mkdir -p "$kafka_path/bin"
  for tool in kafka-topics kafka-configs kafka-consumer-groups kafka-console-producer \
              kafka-console-consumer kafka-get-offsets kafka-delete-records kafka-transactions; do
    printf '#!/usr/bin/env bash\nexec bash %q %s "$@"\n' "$root/tests/kafka_tool.sh" "$tool" \
      >"$kafka_path/bin/$tool.sh"
    chmod +x "$kafka_path/bin/$tool.sh"
  done

  local pass=0 fail=0 skipped=0 failed=() t rc t0 secs
  for t in "${tests[@]}"; do
    t0=$SECONDS
    rc=0
    # One test-runner per test number: TESTS=<number> runs every test with that number;
    # -L leaves out the local variants (mock cluster, no broker) of that number.
    # TEST_MODE=bare is what run-test.sh sets; the libraries are the ones built here.
    (
      cd "$work"
      export LD_LIBRARY_PATH="$d/src:$d/src-cpp${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
      export KAFKA_PATH="$kafka_path" BROKERS="$bootstrap"
      export TESTS="$t" TEST_SCENARIO="$scenario" TEST_MODE=bare RDKAFKA_TEST_CONF="$conf" RDKAFKA_GITVER="$want_version"
      # shellcheck disable=SC2086
      timeout -k 10 "$timeout_s" "$d/tests/test-runner" -L ${LIBRDKAFKA_TEST_ARGS:-}
    ) >"$out/$t.log" 2>&1 </dev/null || rc=$?
    secs=$((SECONDS - t0))
    # The summary table has one row per test that ran: "| 0012_produce_consume | PASSED |".
    local ran
    ran=$(grep -aE "^\|.*\b${t}_[A-Za-z0-9_]+ *\| +(PASSED|FAILED|SKIPPED|RUNNING)" "$out/$t.log" \
          | sed -E 's/\x1b\[[0-9;]*m//g; s/\x1b\(B//g' | awk -F'|' '{gsub(/ /,"",$2); gsub(/ /,"",$3); print $2 "=" $3}' | tr '\n' ' ' || true)
    if [ "$rc" = 0 ] && grep -q "=PASSED" <<<"$ran"; then
      pass=$((pass + 1)); echo "PASS $t ${secs}s ${ran}"
    elif [ "$rc" = 0 ]; then
      skipped=$((skipped + 1)); echo "SKIP $t ${secs}s (the runner ran nothing: ${ran:-no rows}) log: $out/$t.log"
    else
      fail=$((fail + 1)); failed+=("$t")
      local why
      why=$(sed -E 's/\x1b\[[0-9;]*m//g' "$out/$t.log" | grep -a -A1 '^### Test .* failed at' | grep -av '^--$' \
            | head -2 | tr '\n' ' ' | cut -c1-400 || true)
      if [ "$rc" = 124 ] || { [ "$rc" = 137 ] && [ "$secs" -ge "$timeout_s" ]; }; then
        echo "FAIL $t ${secs}s (killed after ${timeout_s}s) ${ran} log: $out/$t.log"
      else
        echo "FAIL $t ${secs}s (exit $rc) ${ran}${why:+: $why} log: $out/$t.log"
      fi
    fi
  done
  echo "librdkafka suite: $pass passed, $fail failed, $skipped ran nothing${failed:+ (failed: ${failed[*]})}"
  [ "$fail" = 0 ]
}

case "${1:-}" in
  build) build ;;
  run) shift; build; run "$@" ;;
  list) default_tests "${2:-default}" ;;
  path) echo "$(src_dir)/tests" ;;
  *) die "usage: $0 build | run HOST:PORT [TEST_ID...] | list [SCENARIO] | path" ;;
esac
