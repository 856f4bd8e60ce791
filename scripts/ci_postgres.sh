#!/usr/bin/env bash
# Install (when absent), start and provision a local PostgreSQL for the store tests.
#
#   eval "$(bash scripts/ci_postgres.sh)"    # sets ECOCAST_TEST_DATABASE_URL
#
# Idempotent: installs the Debian "postgresql" package only when no server is
# installed, creates a cluster only when none exists, starts it only when it is
# down, creates the role and database only when missing (and resets the role's
# password, so a second run prints a URL that works). Runs as root on Debian 12
# (uses sudo when not root). The only thing written to stdout is the export
# line; progress goes to stderr.
#
# Settings (environment): ECOCAST_PG_USER (ecocast), ECOCAST_PG_PASSWORD
# (ecocast), ECOCAST_PG_DATABASE (ecocast_test), ECOCAST_PG_CLUSTER (main) and
# ECOCAST_PG_PORT (5432; used only when the cluster has to be created).
set -euo pipefail

PG_USER="${ECOCAST_PG_USER:-ecocast}"
PG_PASSWORD="${ECOCAST_PG_PASSWORD:-ecocast}"
PG_DATABASE="${ECOCAST_PG_DATABASE:-ecocast_test}"
PG_PORT="${ECOCAST_PG_PORT:-5432}"
CLUSTER="${ECOCAST_PG_CLUSTER:-main}"

log() { echo "ci_postgres: $*" >&2; }
die() { log "error: $*"; exit 1; }

if [ "$(id -u)" -eq 0 ]; then
    as_root() { "$@"; }
else
    command -v sudo >/dev/null 2>&1 || die "run as root (or install sudo)"
    as_root() { sudo -n "$@"; }
fi
as_postgres() { as_root runuser -u postgres -- "$@"; }

for name in "$PG_USER" "$PG_DATABASE"; do
    [[ "$name" =~ ^[a-z_][a-z0-9_]*$ ]] || die "invalid role or database name '$name'"
done
[[ "$PG_PASSWORD" =~ ^[A-Za-z0-9_.-]+$ ]] || die "use a password of letters, digits, _ . -"

server_version() {  # newest installed server major version, or nothing
    local binary
    for binary in /usr/lib/postgresql/*/bin/postgres; do
        if [ -x "$binary" ]; then basename "$(dirname "$(dirname "$binary")")"; fi
    done | sort -V | tail -n 1
}

# 1. Install the server from Debian packages when absent.
VERSION="$(server_version)"
if [ -z "$VERSION" ] || ! command -v pg_ctlcluster >/dev/null 2>&1; then
    log "installing PostgreSQL from Debian packages"
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get update -qq >&2
    as_root apt-get install -y -qq --no-install-recommends postgresql >&2
    VERSION="$(server_version)"
    [ -n "$VERSION" ] || die "postgresql installed but no server binary found"
fi
log "PostgreSQL $VERSION"

# 2. Create the cluster when it does not exist (the package usually makes "main").
cluster_field() {  # $1: field number of `pg_lsclusters -h` (3 port, 4 status)
    pg_lsclusters -h 2>/dev/null | awk -v v="$VERSION" -v c="$CLUSTER" -v f="$1" \
        '$1 == v && $2 == c { print $f }'
}
if [ -z "$(cluster_field 2)" ]; then
    log "creating cluster $VERSION/$CLUSTER on port $PG_PORT"
    as_root pg_createcluster "$VERSION" "$CLUSTER" --port "$PG_PORT" >&2
fi

# 3. Start it when it is down.
if [ "$(cluster_field 4)" != "online" ]; then
    log "starting cluster $VERSION/$CLUSTER"
    as_root pg_ctlcluster "$VERSION" "$CLUSTER" start >&2
fi
PORT="$(cluster_field 3)"
for _ in $(seq 1 60); do
    pg_isready -q -h 127.0.0.1 -p "$PORT" && break
    sleep 0.5
done
pg_isready -q -h 127.0.0.1 -p "$PORT" || die "server on 127.0.0.1:$PORT does not accept connections"

# 4. Role and database.
psql_admin() { as_postgres psql -X -q -v ON_ERROR_STOP=1 -p "$PORT" -d postgres "$@"; }
psql_admin >&2 <<SQL
DO \$\$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PG_USER') THEN
        CREATE ROLE $PG_USER LOGIN PASSWORD '$PG_PASSWORD';
    ELSE
        ALTER ROLE $PG_USER LOGIN PASSWORD '$PG_PASSWORD';
    END IF;
END
\$\$;
SQL
if [ -z "$(psql_admin -tA -c "SELECT 1 FROM pg_database WHERE datname = '$PG_DATABASE'")" ]; then
    log "creating database $PG_DATABASE"
    as_postgres createdb -p "$PORT" -O "$PG_USER" "$PG_DATABASE"
fi

URL="postgresql+psycopg://$PG_USER:$PG_PASSWORD@127.0.0.1:$PORT/$PG_DATABASE"
as_root env PGPASSWORD="$PG_PASSWORD" psql -X -q -h 127.0.0.1 -p "$PORT" -U "$PG_USER" \
    -d "$PG_DATABASE" -c "SELECT 1" >/dev/null || die "cannot log in as $PG_USER"
log "ready: $PG_DATABASE on 127.0.0.1:$PORT"
echo "export ECOCAST_TEST_DATABASE_URL=$URL"
