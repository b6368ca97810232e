#!/usr/bin/env bash
# Runs Moldau's integration tests (tests/test_*.py) against build/moldau with real
# clients. `make test` calls this after the C++ unit tests.
#
# Usage: tests/run.sh [pytest args...]
#   tests/run.sh                          every test, against build/moldau
#   tests/run.sh -m foundation            one area (markers: see tests/pytest.ini)
#   tests/run.sh --broker=kafka           against Apache Kafka (validates the tests)
#   MOLDAU_BIN=/path/to/moldau tests/run.sh
#
# The exit status is pytest's, except that "no tests collected" (5) is a failure (1).
# pytest's summary line is the last line printed.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)

bash "$root/scripts/install-test-clients.sh" || exit 1

export MOLDAU_BIN=${MOLDAU_BIN:-$root/build/moldau}
broker_is_kafka=0
for a in "$@"; do
  case "$a" in --broker=kafka) broker_is_kafka=1 ;; esac
done
if [ "$broker_is_kafka" = 0 ] && [ ! -x "$MOLDAU_BIN" ]; then
  echo "tests/run.sh: no moldau binary at $MOLDAU_BIN (run 'make build', or set MOLDAU_BIN)" >&2
  echo "0 passed, 1 failed" >&2
  exit 1
fi

cd "$here"
# Keep the test run modest on a shared 2-core machine.
nice -n 5 "$here/.venv/bin/python" -m pytest --durations=25 "$@"
rc=$?
if [ "$rc" = 5 ]; then
  echo "tests/run.sh: pytest collected no tests; treating that as a failure" >&2
  exit 1
fi
exit "$rc"
