#!/usr/bin/env bash
# Make sure the PostgreSQL server the tests use answers; start the machine's
# cluster if it is installed but stopped. Fails with a clear message otherwise:
# the PostgreSQL half of the suite is never skipped.
set -uo pipefail
url="${RETURNBENCH_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}"
ready() { pg_isready -q -d "$url" 2>/dev/null; }
ready && exit 0
if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
  echo "PostgreSQL is not answering; starting the local cluster..."
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  for _ in $(seq 1 30); do ready && exit 0; sleep 1; done
fi
if ! command -v pg_isready >/dev/null 2>&1; then
  echo "make test needs PostgreSQL (the storage tests run on SQLite and PostgreSQL)." >&2
  echo "Install it (apt-get install postgresql) or point RETURNBENCH_TEST_POSTGRES at a server." >&2
  exit 1
fi
echo "PostgreSQL is not reachable at $url." >&2
echo "Start it, or set RETURNBENCH_TEST_POSTGRES=postgres://user@host:port/db?sslmode=disable." >&2
exit 1
