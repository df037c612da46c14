#!/bin/sh
# Entrypoint of team-environments.local/postgres:15 (scripts/images.sh), for the variables the
# official postgres image reads and components/postgres.ts sets:
#
#   POSTGRES_PASSWORD  required on first start: the password of POSTGRES_USER (scram-sha-256)
#   POSTGRES_USER      superuser to create (default postgres)
#   POSTGRES_DB        database to create (default POSTGRES_USER)
#   PGDATA             data directory (image default /var/lib/postgresql/data/pgdata)
#   PGPORT             port to listen on (default 5432); libpq's own variable, so pg_isready,
#                      psql and the server all agree on it without further flags
#
# Runs as the postgres user (uid 70) with no capabilities, and writes only to PGDATA,
# /var/run/postgresql and /tmp. An empty PGDATA is initialised (the password is passed to initdb
# in a file under /tmp, never on a command line), POSTGRES_DB is created on a server that listens
# only on its Unix socket, then `postgres` is exec'd. An initialised PGDATA just starts.
# Arguments starting with "-" go to postgres; any other command is run instead of postgres.
set -eu

say() { printf 'entrypoint: %s\n' "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }

if [ "$#" -gt 0 ] && [ "${1#-}" = "$1" ] && [ "$1" != postgres ]; then
  exec "$@"
fi
if [ "${1:-}" = postgres ]; then shift; fi

[ "$(id -u)" != 0 ] || die "running as root: run as the postgres user (uid 70), e.g. runAsUser: 70"
: "${PGDATA:?PGDATA is not set}"
POSTGRES_USER="${POSTGRES_USER:-postgres}"
POSTGRES_DB="${POSTGRES_DB:-$POSTGRES_USER}"
export PGDATA

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  [ -n "${POSTGRES_PASSWORD:-}" ] ||
    die "POSTGRES_PASSWORD is not set: the database is uninitialised and needs a password for $POSTGRES_USER"
  mkdir -p "$PGDATA" || die "cannot create PGDATA $PGDATA (is its parent writable by uid $(id -u)?)"
  if [ -n "$(ls -A "$PGDATA")" ]; then
    die "PGDATA $PGDATA is not empty but holds no database (no PG_VERSION): refusing to initialise over it"
  fi
  chmod 700 "$PGDATA"
  say "initialising $PGDATA for user $POSTGRES_USER, database $POSTGRES_DB"
  pwfile="$(mktemp /tmp/pgpassword.XXXXXX)"
  trap 'rm -f "$pwfile"' EXIT
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  initdb --username="$POSTGRES_USER" --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 \
    --encoding=UTF8 --locale=C.UTF-8 --pgdata="$PGDATA" >/dev/null ||
    die "initdb of $PGDATA failed (its messages are above)"
  rm -f "$pwfile"
  printf '\nhost all all all scram-sha-256\n' >>"$PGDATA/pg_hba.conf"
  printf "\nlisten_addresses = '*'\n" >>"$PGDATA/postgresql.conf"
  if [ "$POSTGRES_DB" != postgres ]; then
    # Only the Unix socket while the database is created: clients see no server before it exists.
    pg_ctl --pgdata="$PGDATA" --options="-c listen_addresses=''" --wait --silent start ||
      die "the initialisation server did not start (its messages are above)"
    psql --no-psqlrc --quiet --set ON_ERROR_STOP=1 --set db="$POSTGRES_DB" \
      --username="$POSTGRES_USER" --dbname=postgres <<'SQL' || die "creating database $POSTGRES_DB failed"
CREATE DATABASE :"db";
SQL
    pg_ctl --pgdata="$PGDATA" --mode=fast --wait --silent stop
  fi
  trap - EXIT
  say "initialised; starting postgres"
fi

# A volume's fsGroup may have added group bits; postgres refuses a data directory other than 0700/0750.
chmod 700 "$PGDATA" 2>/dev/null || true
exec postgres "$@"
