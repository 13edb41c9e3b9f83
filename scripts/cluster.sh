#!/usr/bin/env bash
# The local launcher of Ordo's distributed mode, without Docker: PostgreSQL and NATS JetStream or
# RabbitMQ from Debian's packages on 127.0.0.1 (private data directories under --dir), then one
# process per service instance (`ordo serve --service=NAME`) and the gateway in front of them.
#
#   scripts/cluster.sh up      [--dir D] [--broker nats|rabbitmq] [--instances N] [--port 3000]
#                              [--port-base 15400] [--service-port-base 3001]
#                              [--binary build/release/ordo] [--fresh]
#   scripts/cluster.sh down    [--dir D]            stops every process it started, servers last
#   scripts/cluster.sh status  [--dir D]
#   scripts/cluster.sh servers up|down [--dir D] [--port-base B] [--only pg,nats,amqp] [--fresh]
#                              only the servers (the test suite's fixture); writes D/servers.env
#                              (the URLs; PostgreSQL also by its Unix socket, which the services
#                              started by `up` use)
#   scripts/cluster.sh server  stop|start pg|nats|amqp [--dir D]    (fault tests)
#   scripts/cluster.sh kill    INSTANCE [--dir D]   kill -9 one instance, e.g. inventory-2
#   scripts/cluster.sh start   INSTANCE [--dir D]   start it again
#
# Ports: PostgreSQL B, NATS B+1, AMQP B+2 (Erlang distribution B+3, epmd B+4, management UI
# B+5); services from --service-port-base (3001) upwards for instance 1, +10 per further
# instance; the gateway on --port. Settings reach every process through ORDO_* variables.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
dir="${ORDO_CLUSTER_DIR:-${root}/cluster}"
broker="nats"
instances=1
gateway_port=3000
service_port_base=3001
port_base=15400
binary="${root}/build/release/ordo"
only="pg,nats,amqp"
fresh=0
services=(users products orders inventory notifications)

die() {
  echo "cluster: $*" >&2
  exit 1
}
log() { echo "cluster: $*" >&2; }

pg_bin() {
  local candidate
  for candidate in /usr/lib/postgresql/*/bin; do
    [[ -x "${candidate}/pg_ctl" ]] && {
      echo "${candidate}"
      return
    }
  done
  die "PostgreSQL is not installed (apt-get install postgresql)"
}
rabbit_bin=/usr/lib/rabbitmq/bin

# initdb and postgres refuse to run as root: run them as the postgres user.
as_pg() {
  if [[ "$(id -u)" == 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

wait_port() {  # port seconds
  local deadline=$((SECONDS + $2))
  until (echo >"/dev/tcp/127.0.0.1/$1") 2>/dev/null; do
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
}

pid_alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

# --- the servers -------------------------------------------------------------------------------

# Resolved: the directory may be a link to /tmp when --dir is private to root (see start_pg).
pg_data() { echo "$(readlink -f "${dir}/pg")/data"; }

start_pg() {
  local bin port=$((port_base + 0)) data
  bin="$(pg_bin)"
  mkdir -p "${dir}/pg/run" "${dir}/logs"
  if [[ "$(id -u)" == 0 ]]; then
    # The postgres user must reach the directory: place it under /tmp when --dir is private.
    if ! runuser -u postgres -- test -x "${dir}"; then
      if [[ ! -L "${dir}/pg" ]]; then
        local private
        private="$(mktemp -d /tmp/ordo-pg.XXXXXX)"
        chmod 755 "${private}"
        rm -rf "${dir}/pg"
        ln -s "${private}" "${dir}/pg"
        mkdir -p "${dir}/pg/run"
      fi
    fi
    chown -R postgres "$(readlink -f "${dir}/pg")"
  fi
  data="$(pg_data)"
  if as_pg "${bin}/pg_ctl" -D "${data}" status >/dev/null 2>&1; then
    log "PostgreSQL already running on 127.0.0.1:${port}"
    return 0
  fi
  if [[ ! -f "${data}/PG_VERSION" ]]; then
    as_pg "${bin}/initdb" -D "${data}" -U ordo -A trust -E UTF8 --no-locale >"${dir}/pg/initdb.log" 2>&1 ||
      die "initdb failed: see ${dir}/pg/initdb.log"
    cat >>"${data}/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = ${port}
unix_socket_directories = '$(readlink -f "${dir}/pg")/run'
max_connections = 400
synchronous_commit = on
shared_buffers = 256MB
log_min_messages = warning
EOF
  fi
  as_pg "${bin}/pg_ctl" -D "${data}" -l "$(readlink -f "${dir}/pg")/postgres.log" -w -t 30 start >/dev/null ||
    die "PostgreSQL did not start: see ${dir}/pg/postgres.log"
  as_pg "${bin}/psql" -h 127.0.0.1 -p "${port}" -U ordo -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = 'ordo'" | grep -q 1 ||
    as_pg "${bin}/createdb" -h 127.0.0.1 -p "${port}" -U ordo ordo
  log "PostgreSQL on 127.0.0.1:${port}"
}

stop_pg() {
  local data
  data="$(pg_data)"
  [[ -f "${data}/postmaster.pid" ]] || return 0
  as_pg "$(pg_bin)/pg_ctl" -D "${data}" -m fast -w -t 30 stop >/dev/null 2>&1 || true
}

start_nats() {
  local port=$((port_base + 1))
  mkdir -p "${dir}/nats" "${dir}/logs" "${dir}/pids"
  pid_alive "${dir}/pids/nats.pid" && return 0
  setsid nats-server -js -sd "${dir}/nats" -a 127.0.0.1 -p "${port}" \
    -l "${dir}/logs/nats.log" -P "${dir}/pids/nats.pid" </dev/null >/dev/null 2>&1 &
  wait_port "${port}" 10 || die "NATS did not start: see ${dir}/logs/nats.log"
  log "NATS JetStream on 127.0.0.1:${port}"
}

stop_nats() {
  local pid_file="${dir}/pids/nats.pid" pid
  pid_alive "${pid_file}" || return 0
  pid="$(cat "${pid_file}")"
  kill -TERM "${pid}" 2>/dev/null || true
  for _ in $(seq 100); do
    kill -0 "${pid}" 2>/dev/null || break
    sleep 0.1
  done
  rm -f "${pid_file}"
}

rabbit_env() {
  local home
  home="$(readlink -f "${dir}")/rabbitmq"
  export RABBITMQ_NODENAME="ordo${port_base}@localhost"
  export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
  export RABBITMQ_NODE_PORT=$((port_base + 2))
  export RABBITMQ_DIST_PORT=$((port_base + 3))
  export ERL_EPMD_PORT=$((port_base + 4))
  export ERL_EPMD_ADDRESS=127.0.0.1
  export RABBITMQ_MNESIA_BASE="${home}/mnesia"
  export RABBITMQ_LOG_BASE="${home}/log"
  export RABBITMQ_CONFIG_FILE="${home}/rabbitmq"
  export RABBITMQ_ENABLED_PLUGINS_FILE="${home}/enabled_plugins"
  export RABBITMQ_PID_FILE="${home}/rabbitmq.pid"
  export HOME="${home}/home"
}

start_amqp() {
  (
    rabbit_env
    mkdir -p "${RABBITMQ_MNESIA_BASE}" "${RABBITMQ_LOG_BASE}" "${HOME}"
    if [[ "${ORDO_CLUSTER_RABBIT_UI:-0}" == 1 ]]; then
      echo "[rabbitmq_management]." >"${RABBITMQ_ENABLED_PLUGINS_FILE}"
    else
      echo "[]." >"${RABBITMQ_ENABLED_PLUGINS_FILE}"
    fi
    cat >"${RABBITMQ_CONFIG_FILE}.conf" <<EOF
listeners.tcp.default = 127.0.0.1:${RABBITMQ_NODE_PORT}
management.tcp.ip = 127.0.0.1
management.tcp.port = $((port_base + 5))
loopback_users = none
EOF
    "${rabbit_bin}/rabbitmqctl" -q status >/dev/null 2>&1 && exit 0
    setsid "${rabbit_bin}/rabbitmq-server" </dev/null >"${RABBITMQ_LOG_BASE}/startup.log" 2>&1 &
    local deadline=$((SECONDS + 60))
    # await_startup exits 69 until the node has registered with epmd: retry it.
    until "${rabbit_bin}/rabbitmqctl" -q await_startup --timeout 10 >/dev/null 2>&1; do
      ((SECONDS < deadline)) || {
        echo "cluster: RabbitMQ did not start: see ${RABBITMQ_LOG_BASE}" >&2
        exit 1
      }
      sleep 0.5
    done
  )
  log "RabbitMQ on 127.0.0.1:$((port_base + 2))"
}

stop_amqp() {
  [[ -d "${dir}/rabbitmq" ]] || return 0
  (
    rabbit_env
    # The pid first: a stopping node deletes its pid file, and reading it after the stop raced
    # with that (a failed cat ended `down` under set -e, leaving PostgreSQL and NATS running).
    local pid
    pid="$(cat "${RABBITMQ_PID_FILE}" 2>/dev/null || true)"
    "${rabbit_bin}/rabbitmqctl" -q stop >/dev/null 2>&1 || true
    if [[ -n "${pid}" ]]; then
      for _ in $(seq 100); do
        kill -0 "${pid}" 2>/dev/null || break
        sleep 0.1
      done
      kill -KILL "${pid}" 2>/dev/null || true
    fi
    # epmd refuses to stop while a node is still registered: wait for the node to leave.
    for _ in $(seq 100); do
      epmd -port "${ERL_EPMD_PORT}" -names 2>/dev/null | grep -q "^name " || break
      sleep 0.1
    done
    epmd -port "${ERL_EPMD_PORT}" -kill >/dev/null 2>&1 || true
  )
}

# The services on this machine reach PostgreSQL through its Unix-domain socket (libpq's URI form:
# the directory in host=): no TCP/IP stack, about 15% more from the same CPU than 127.0.0.1.
pg_socket_url() {
  echo "postgresql://ordo@/ordo?host=$(readlink -f "${dir}/pg")/run&port=$((port_base + 0))"
}

server_urls() {
  echo "ORDO_TEST_POSTGRES_URL=postgresql://ordo@127.0.0.1:$((port_base + 0))/ordo"
  echo "ORDO_POSTGRES_SOCKET_URL=$(pg_socket_url)"
  echo "ORDO_TEST_NATS_URL=nats://127.0.0.1:$((port_base + 1))"
  echo "ORDO_TEST_AMQP_URL=amqp://guest:guest@127.0.0.1:$((port_base + 2))/"
}

servers_up() {
  if ((fresh)); then
    servers_down
    [[ -L "${dir}/pg" ]] && rm -rf "$(readlink -f "${dir}/pg")"
    rm -rf "${dir}"
  fi
  mkdir -p "${dir}"
  echo "${port_base}" >"${dir}/port-base"
  [[ ",${only}," == *,pg,* ]] && start_pg
  [[ ",${only}," == *,nats,* ]] && start_nats
  [[ ",${only}," == *,amqp,* ]] && start_amqp
  server_urls >"${dir}/servers.env"
  cat "${dir}/servers.env"
}

servers_down() {
  # Each server is stopped even when stopping another failed; a failure is still reported.
  local status=0
  stop_amqp || status=1
  stop_nats || status=1
  stop_pg || status=1
  return "${status}"
}

# --- the services ------------------------------------------------------------------------------

service_port() {  # service instance
  local i base="${service_port_base}"
  for i in "${!services[@]}"; do
    [[ "${services[$i]}" == "$1" ]] && base=$((service_port_base + i))
  done
  echo $((base + ($2 - 1) * 10))
}

instances_of() {  # service
  case "$1" in
  orders | inventory) echo "${instances}" ;;
  *) echo 1 ;;
  esac
}

bus_url() {
  if [[ "${broker}" == rabbitmq ]]; then
    echo "amqp://guest:guest@127.0.0.1:$((port_base + 2))/"
  else
    echo "nats://127.0.0.1:$((port_base + 1))"
  fi
}

# Starts one instance in the background; its pid and arguments stay in D/pids so that `kill` and
# `start` (the fault tests) can stop it and bring it back the same way. Each service has a data
# directory of its own: nothing is shared through files (the users service keeps the token
# signing keys in its database, the others fetch its JWKS); the instances of notifications share
# theirs for the VAPID key of Web Push.
start_instance() {  # name service port [extra args...]
  local name="$1" service="$2" port="$3"
  shift 3
  mkdir -p "${dir}/logs" "${dir}/pids" "${dir}/data/${service}"
  local args=(serve --service="${service}" --port "${port}" --data-dir "${dir}/data/${service}"
    --database-url "$(pg_socket_url)" --bus-url "$(bus_url)" "$@")
  "${binary}" "${args[@]}" >>"${dir}/logs/${name}.log" 2>&1 &
  echo $! >"${dir}/pids/${name}.pid"
  echo "${service} ${port} $*" >"${dir}/pids/${name}.args"
}

wait_ready() {  # port seconds
  local deadline=$((SECONDS + $2))
  until curl -fs "http://127.0.0.1:$1/ready" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

cluster_up() {
  [[ -x "${binary}" ]] || die "no binary at ${binary}: build first (cmake --preset release && cmake --build --preset release)"
  if ((fresh)); then
    cluster_down
    rm -rf "${dir}"
  fi
  mkdir -p "${dir}"
  echo "${broker}" >"${dir}/broker"
  echo "${instances}" >"${dir}/instances"
  if [[ "${broker}" == rabbitmq ]]; then only="pg,amqp"; else only="pg,nats"; fi
  servers_up >/dev/null
  # Every process learns where every service's instances are: the gateway balances across them,
  # and orders asks products for a product it has not heard of yet.
  local upstreams=() service i origins
  for service in "${services[@]}"; do
    origins=""
    for i in $(seq "$(instances_of "${service}")"); do
      origins+="${origins:+,}http://127.0.0.1:$(service_port "${service}" "${i}")"
    done
    upstreams+=(--set "${service}.upstreams=${origins}")
  done
  for service in "${services[@]}"; do
    for i in $(seq "$(instances_of "${service}")"); do
      start_instance "${service}-${i}" "${service}" "$(service_port "${service}" "${i}")" "${upstreams[@]}"
    done
  done
  start_instance gateway gateway "${gateway_port}" "${upstreams[@]}"
  for pid_file in "${dir}"/pids/*.args; do
    read -r _ port _ <"${pid_file}"
    wait_ready "${port}" 60 || die "$(basename "${pid_file}" .args) is not ready: see ${dir}/logs"
  done
  log "ready: gateway http://127.0.0.1:${gateway_port} (${broker}, ${instances} instance(s) of orders and inventory; PostgreSQL at $(pg_socket_url); logs in ${dir}/logs)"
}

stop_instance() {  # name
  local pid_file="${dir}/pids/$1.pid" pid
  pid_alive "${pid_file}" || return 0
  pid="$(cat "${pid_file}")"
  kill -TERM "${pid}" 2>/dev/null || true
  for _ in $(seq 150); do
    kill -0 "${pid}" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL "${pid}" 2>/dev/null || true
}

cluster_down() {
  [[ -d "${dir}/pids" ]] || {
    servers_down
    return 0
  }
  stop_instance gateway
  local pid_file
  for pid_file in "${dir}"/pids/*.args; do
    [[ -e "${pid_file}" ]] || continue
    stop_instance "$(basename "${pid_file}" .args)" &
  done
  wait
  servers_down
  log "stopped"
}

cluster_status() {
  local pid_file name
  for pid_file in "${dir}"/pids/*.pid; do
    [[ -e "${pid_file}" ]] || continue
    name="$(basename "${pid_file}" .pid)"
    if pid_alive "${pid_file}"; then echo "${name}: running (pid $(cat "${pid_file}"))"; else echo "${name}: stopped"; fi
  done
}

# --- arguments ---------------------------------------------------------------------------------

command="${1:-}"
[[ -n "${command}" ]] || {
  sed -n '2,19p' "$0"
  exit 2
}
shift
positional=()
while (($#)); do
  case "$1" in
  --dir) dir="$2"; shift 2 ;;
  --broker) broker="$2"; shift 2 ;;
  --instances) instances="$2"; shift 2 ;;
  --port) gateway_port="$2"; shift 2 ;;
  --port-base) port_base="$2"; shift 2 ;;
  --service-port-base) service_port_base="$2"; shift 2 ;;
  --binary) binary="$2"; shift 2 ;;
  --only) only="$2"; shift 2 ;;
  --fresh) fresh=1; shift ;;
  -h | --help) sed -n '2,19p' "$0"; exit 0 ;;
  *) positional+=("$1"); shift ;;
  esac
done
[[ "${broker}" == nats || "${broker}" == rabbitmq ]] || die "--broker must be nats or rabbitmq"
# A directory that already holds servers keeps its ports.
[[ -f "${dir}/port-base" && "${command}" != servers ]] && port_base="$(cat "${dir}/port-base")"
[[ -f "${dir}/broker" && "${command}" != up ]] && broker="$(cat "${dir}/broker")"

case "${command}" in
up) cluster_up ;;
down) cluster_down ;;
status) cluster_status ;;
servers)
  case "${positional[0]:-}" in
  up) servers_up ;;
  down) servers_down ;;
  *) die "servers up|down" ;;
  esac
  ;;
server)
  action="${positional[0]:-}" name="${positional[1]:-}"
  case "${action}:${name}" in
  stop:pg) stop_pg ;;
  start:pg) start_pg ;;
  stop:nats) stop_nats ;;
  start:nats) start_nats ;;
  stop:amqp) stop_amqp ;;
  start:amqp) start_amqp ;;
  *) die "server stop|start pg|nats|amqp" ;;
  esac
  ;;
kill)
  name="${positional[0]:?instance name, e.g. inventory-2}"
  pid_alive "${dir}/pids/${name}.pid" && kill -KILL "$(cat "${dir}/pids/${name}.pid")"
  ;;
start)
  name="${positional[0]:?instance name, e.g. inventory-2}"
  read -r service port extra <"${dir}/pids/${name}.args"
  # shellcheck disable=SC2086
  start_instance "${name}" "${service}" "${port}" ${extra}
  ;;
*) die "unknown command ${command} (up, down, status, servers, server, kill, start)" ;;
esac
