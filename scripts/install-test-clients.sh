#!/usr/bin/env bash
# Installs every Kafka client the integration tests (tests/) drive, and Apache Kafka's
# jars. Idempotent and quiet: a second run checks stamps and returns in about a second.
# Run by `make test-deps` after `scripts/install-deps.sh test` (Debian packages: kcat,
# python3-confluent-kafka, python3-kafka, openjdk-17, maven, ...).
#
#   tests/.venv            pytest + confluent-kafka + kafka-python (PyPI, tests/requirements.txt),
#                          built from the python3 on PATH (the pyenv CPython)
#   tests/js/node_modules  kafkajs and its codecs (npm, tests/js/package-lock.json)
#   tests/java/target      the Java client check program (kafka-clients 4.x, Maven Central)
#   ~/.cache/moldau/kafka-<version>/libs   Kafka's broker and tools (scripts/install-kafka.sh)
#   python3-lz4/-snappy/-zstandard         codecs for Debian's kafka-python 2.0.2
#
# Environment: PYTHON (default python3), KAFKA_VERSION, MOLDAU_CACHE.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
tests="$root/tests"
log=$(mktemp "${TMPDIR:-/tmp}/moldau-install-test-clients.XXXXXX")
trap 'rm -f "$log"' EXIT
t0=$(date +%s)
done_steps=()

die() {
  echo "install-test-clients: $*" >&2
  exit 1
}

# Runs a step with its output in $log; on failure shows the end of the log.
step() {
  local what=$1
  shift
  : >"$log"
  if ! "$@" >>"$log" 2>&1; then
    echo "install-test-clients: $what failed; its last output:" >&2
    tail -n 30 "$log" >&2
    exit 1
  fi
}

stamp_of() { cat "$@" 2>/dev/null | sha256sum | cut -c1-16; }

need() {
  command -v "$1" >/dev/null 2>&1 || die "'$1' not found; run 'make test-deps' (scripts/install-deps.sh test) first"
}
for tool in kcat java mvn node npm /usr/bin/python3; do need "$tool"; done

# --- Debian's kafka-python 2.0.2 needs these modules for snappy, lz4 and zstd.
# (They belong with the other Debian packages in scripts/install-deps.sh; installed
# here as well so that the tests do not depend on that list being up to date.)
if ! /usr/bin/python3 -c 'import lz4.frame, snappy, zstandard' >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO=sudo
  echo "install-test-clients: installing python3-lz4 python3-snappy python3-zstandard" >&2
  install_codecs() {
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get install -y -qq --no-install-recommends python3-lz4 python3-snappy python3-zstandard ||
      { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends \
          python3-lz4 python3-snappy python3-zstandard; }
  }
  step "apt-get install of Debian's python codec modules" install_codecs
  done_steps+=("debian codecs")
fi

# --- Python venv for pytest and the PyPI clients.
python=${PYTHON:-python3}
need "$python"
venv="$tests/.venv"
# Two stamps: the interpreter (a new one means a new venv) and the requirements (a
# change there is installed into the existing venv, so that a test run using the venv
# at that moment is not pulled from under it).
want_py=$(stamp_of <(command -v "$python") <("$python" -V 2>&1))
want=$(stamp_of "$tests/requirements.txt" <(command -v "$python") <("$python" -V 2>&1))
if [ "$(cat "$venv/.moldau-stamp" 2>/dev/null)" != "$want" ] || [ ! -x "$venv/bin/python" ]; then
  make_venv() {
    if [ "$(cat "$venv/.moldau-python-stamp" 2>/dev/null)" != "$want_py" ] || [ ! -x "$venv/bin/python" ]; then
      rm -rf "$venv"
      "$python" -m venv "$venv"
      echo "$want_py" >"$venv/.moldau-python-stamp"
    fi
    "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$tests/requirements.txt"
    "$venv/bin/python" -c 'import pytest, pytest_timeout, xdist, confluent_kafka, kafka, lz4.frame, snappy, zstandard'
  }
  step "python venv ($venv)" make_venv
  echo "$want" >"$venv/.moldau-stamp"
  done_steps+=("python venv")
fi

# --- kafkajs and its codecs.
js="$tests/js"
want=$(stamp_of "$js/package.json" "$js/package-lock.json")
if [ "$(cat "$js/node_modules/.moldau-stamp" 2>/dev/null)" != "$want" ]; then
  npm_install() {
    cd "$js"
    if [ -f package-lock.json ]; then
      npm ci --no-audit --no-fund --loglevel=error
    else
      npm install --no-audit --no-fund --loglevel=error
    fi
    node -e "require('kafkajs'); require('kafkajs-snappy'); require('lz4js'); require('zstd-codec')"
  }
  step "npm install (tests/js)" npm_install
  echo "$want" >"$js/node_modules/.moldau-stamp"
  done_steps+=("kafkajs")
fi

# --- The Java client check program.
java_dir="$tests/java"
want=$(stamp_of "$java_dir/pom.xml" $(find "$java_dir/src" -type f -name '*.java' | sort))
if [ "$(cat "$java_dir/target/.moldau-stamp" 2>/dev/null)" != "$want" ] ||
   [ ! -f "$java_dir/target/client-check.jar" ]; then
  step "maven build of tests/java" mvn -q -B -f "$java_dir/pom.xml" package
  echo "$want" >"$java_dir/target/.moldau-stamp"
  done_steps+=("java client")
fi

# --- Apache Kafka's jars (broker for --broker=kafka, CLI tools for the tests).
kafka_version=${KAFKA_VERSION:-4.3.1}
if [ ! -f "${MOLDAU_CACHE:-$HOME/.cache/moldau}/kafka-$kafka_version/.complete" ]; then
  step "scripts/install-kafka.sh $kafka_version" bash "$root/scripts/install-kafka.sh" "$kafka_version"
  done_steps+=("kafka $kafka_version jars")
fi

if [ ${#done_steps[@]} -gt 0 ]; then
  echo "install-test-clients: installed ${done_steps[*]} in $(( $(date +%s) - t0 ))s" >&2
fi
