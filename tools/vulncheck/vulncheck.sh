#!/bin/sh
# Checks returnbench's code and dependencies against the Go vulnerability
# database with govulncheck, offline: the tool is built from the Go module
# proxy at a pinned version, and the database is read from disk.
#
# Where the database comes from, in this order:
#   1. VULNDB_DIR: a folder that is already a govulncheck database
#      (index/modules.json, ID/...) or holds OSV reports (<id>.json), such
#      as a copy of the vulnerability database's data/osv folder.
#   2. The golang.org/x/vulndb module from the Go module proxy (VULNDB_VERSION,
#      default latest), whose data/osv folder holds every report.
# With neither, it fails: a check without data would pass and prove nothing.
# It also fails when the newest report is older than VULNDB_MAX_AGE_DAYS
# (default 45): a stale database finds nothing new.
set -eu

GOVULNCHECK_VERSION=${GOVULNCHECK_VERSION:-v1.8.0}
CACHE=${CACHE:-$HOME/.cache/returnbench}
GO=${GO:-go}
VULNDB_VERSION=${VULNDB_VERSION:-latest}
VULNDB_MAX_AGE_DAYS=${VULNDB_MAX_AGE_DAYS:-45}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

bin="$CACHE/bin/govulncheck-$GOVULNCHECK_VERSION"
if [ ! -x "$bin" ]; then
	echo "vulncheck: building govulncheck $GOVULNCHECK_VERSION into $CACHE/bin (once)"
	tmp=$(mktemp -d)
	GOBIN="$tmp" GOFLAGS= "$GO" install "golang.org/x/vuln/cmd/govulncheck@$GOVULNCHECK_VERSION"
	mkdir -p "$CACHE/bin"
	mv "$tmp/govulncheck" "$bin"
	rmdir "$tmp"
fi

db="$CACHE/vulndb"
if [ -n "${VULNDB_DIR:-}" ]; then
	if [ -f "$VULNDB_DIR/index/modules.json" ]; then
		db="$VULNDB_DIR"
		src=""
	else
		src="$VULNDB_DIR"
	fi
else
	# The module is large; go mod download keeps it in the module cache.
	# Outside the module, so that go.mod and go.sum stay as they are.
	mkdir -p "$CACHE"
	if ! info=$(cd "$CACHE" && GOFLAGS= "$GO" mod download -json "golang.org/x/vulndb@$VULNDB_VERSION" 2>&1); then
		echo "vulncheck: no vulnerability database: golang.org/x/vulndb@$VULNDB_VERSION could not be downloaded from the Go module proxy:" >&2
		echo "$info" | sed 's/^/    /' >&2
		echo "vulncheck: set VULNDB_DIR to a copy of the database (its data/osv folder, or a govulncheck database folder)." >&2
		exit 1
	fi
	dir=$(echo "$info" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
	src="$dir/data/osv"
	if [ ! -d "$src" ]; then
		echo "vulncheck: golang.org/x/vulndb@$VULNDB_VERSION has no data/osv folder in $dir" >&2
		exit 1
	fi
fi
if [ -n "$src" ]; then
	(cd "$root" && "$GO" run ./tools/vulncheck -src "$src" -out "$db")
fi

modified=$(sed -n 's/.*"modified":"\([0-9-]*\)T.*/\1/p' "$db/index/db.json")
if [ -z "$modified" ]; then
	echo "vulncheck: $db/index/db.json does not say when the database was last modified" >&2
	exit 1
fi
age=$(( ( $(date -u +%s) - $(date -u -d "$modified" +%s) ) / 86400 ))
if [ "$age" -gt "$VULNDB_MAX_AGE_DAYS" ]; then
	echo "vulncheck: the vulnerability database was last modified on $modified, $age days ago (limit $VULNDB_MAX_AGE_DAYS): get a newer one" >&2
	exit 1
fi
echo "vulncheck: govulncheck $GOVULNCHECK_VERSION, database of $modified ($age days old)"
cd "$root"
exec "$bin" -db "file://$db" ./...
