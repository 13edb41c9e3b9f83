#!/bin/sh
# First start: a cluster owned by POSTGRES_USER (with its password) and the database POSTGRES_DB,
# as the official image does. Then the server in the foreground, as the postgres user.
set -eu
user="${POSTGRES_USER:-postgres}"
database="${POSTGRES_DB:-${user}}"
: "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}"
chown postgres:postgres "${PGDATA}" /run/postgresql
chmod 0700 "${PGDATA}"
as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"; }
if [ ! -s "${PGDATA}/PG_VERSION" ]; then
  password_file="$(mktemp)"
  printf '%s\n' "${POSTGRES_PASSWORD}" >"${password_file}"
  chown postgres "${password_file}"
  as_postgres initdb --username="${user}" --pwfile="${password_file}" --auth-local=trust \
    --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  rm -f "${password_file}"
  echo "host all all all scram-sha-256" >>"${PGDATA}/pg_hba.conf"
  echo "listen_addresses = '*'" >>"${PGDATA}/postgresql.conf"
  if [ "${database}" != postgres ]; then
    as_postgres postgres --single -jE -D "${PGDATA}" postgres >/dev/null <<SQL
CREATE DATABASE "${database}" OWNER "${user}";
SQL
  fi
fi
exec setpriv --reuid=postgres --regid=postgres --init-groups -- postgres -D "${PGDATA}" "$@"
