#!/usr/bin/env bash
# A short benchmark: builds Release if needed, then runs `ordo bench` and prints the table.
#
#   scripts/bench.sh [ordo bench args...]
#       embedded (one process, SQLite, in-process bus): every scenario for 5 s at 32 connections,
#       about a minute.
#   scripts/bench.sh --distributed [ordo bench args...]
#       the distributed modes, one after the other: pg-nats (PostgreSQL + NATS JetStream) and
#       pg-rabbitmq (PostgreSQL + RabbitMQ), each with 2 orders and 2 inventory instances, 1 of
#       each other service and a gateway, on servers started here by scripts/cluster.sh (their
#       own directory and ports: ORDO_BENCH_SERVERS_DIR, default build/release/bench-servers;
#       ORDO_BENCH_PORT_BASE, default 15800: PostgreSQL 15800, NATS 15801, AMQP 15802, RabbitMQ
#       internals up to 15805) and stopped on exit. Defaults to order-flow and db for 10 s at 32
#       connections, about two minutes.
#
# Extra arguments go to `ordo bench` (e.g. --json, --seconds 10, --sqlite-synchronous FULL,
# order-flow read).
set -euo pipefail
cd "$(dirname "$0")/.."
distributed=0
if [[ "${1:-}" == "--distributed" ]]; then
  distributed=1
  shift
fi
scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target ordo >/dev/null
if ((!distributed)); then
  exec build/release/ordo bench --seconds 5 --connections 32 "$@"
fi

servers_dir="${ORDO_BENCH_SERVERS_DIR:-${PWD}/build/release/bench-servers}"
port_base="${ORDO_BENCH_PORT_BASE:-15800}"
stop_servers() {
  scripts/cluster.sh servers down --dir "${servers_dir}" --port-base "${port_base}" >/dev/null 2>&1 ||
    echo "bench: could not stop the servers in ${servers_dir}" >&2
}
trap stop_servers EXIT
urls="$(scripts/cluster.sh servers up --dir "${servers_dir}" --port-base "${port_base}" --fresh)"
postgres_url="$(sed -n 's/^ORDO_TEST_POSTGRES_URL=//p' <<<"${urls}")"
nats_url="$(sed -n 's/^ORDO_TEST_NATS_URL=//p' <<<"${urls}")"
amqp_url="$(sed -n 's/^ORDO_TEST_AMQP_URL=//p' <<<"${urls}")"
args=("$@")
((${#args[@]})) || args=(order-flow db --seconds 10 --connections 32)
build/release/ordo --database-url "${postgres_url}" --bus-url "${nats_url}" bench --mode pg-nats \
  "${args[@]}"
build/release/ordo --database-url "${postgres_url}" --bus-url "${amqp_url}" bench --mode pg-rabbitmq \
  "${args[@]}"
