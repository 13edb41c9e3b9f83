#!/usr/bin/env bash
# Ordo's compose topology (deploy/docker-compose.yml) started for real, on a Docker engine when
# there is one, else on Podman without a daemon (no registry needed).
#
#   scripts/compose.sh up    [--broker nats|rabbitmq] [--binary PATH] [--scale SERVICE=N ...]
#   scripts/compose.sh down  [-v]                       stops everything `up` started (-v: volumes)
#   scripts/compose.sh test  [--broker nats|rabbitmq] [--binary PATH] [--journey PATH]
#                            [--without CHECKS]
#                            up, the shopping journey with the checks below, then down -v
#   scripts/compose.sh ps | logs [SERVICE] | compose ARGS...   (what is running, its logs, any
#                            docker-compose command on this project)
#
# --binary PATH: put this `ordo` (a Release build on Debian 12, e.g. build/release/ordo) in the
#   image instead of compiling it inside the build stage (minutes on 2 cores): the Dockerfile's
#   build stage is replaced by a build context holding the binary (`--build-context build=DIR`).
# --journey PATH: the journey program (tests/deploy/compose_journey.cpp, built as the CMake target
#   compose_journey; default: build/release/tests/compose_journey), which speaks the API through
#   the typed client.
# --without discovery,rotation: skip the test steps that need the gateway's DNS discovery (3
#   instances each of orders and inventory seen in /ready) or `ordo users rotate-key` (tokens
#   signed before and after a key rotation accepted by every service).
#
# Docker: the official images (postgres:15, nats:2.9-alpine, rabbitmq:3.10-management) and
# `docker compose` (or docker-compose). Podman (as root): installs podman, runc, buildah,
# debootstrap, docker-compose, netavark, aardvark-dns and iptables from Debian's archive if
# missing; writes /etc/containers/containers.conf.d/50-ordo-compose.conf (runc: crun refuses
# hybrid cgroups; default_ulimits within the hard limits, as the containers cannot raise them);
# makes debian:12 and debian:12-slim with debootstrap when they are missing (no registry); builds
# the stand-ins of deploy/standins/; serves Podman's Docker API on a private socket for
# docker-compose; and, where no systemd runs Podman's health-check timers, runs `podman
# healthcheck run` in a loop itself, so that `depends_on: service_healthy` clears. `down` stops all of these again.
#
# Settings (environment): ORDO_GATEWAY_HOST_PORT (16580: the API on 127.0.0.1),
# ORDO_RABBITMQ_UI_HOST_PORT (16581), ORDO_COMPOSE_PROJECT (ordo-<hash of this checkout>),
# ORDO_COMPOSE_DIR (the state: /tmp/<project>), ORDO_COMPOSE_ENGINE (docker|podman: force one),
# ORDO_COMPOSE_READY_SECONDS (300: how long `up` waits for the gateway's /ready),
# DEBIAN_MIRROR (http://deb.debian.org/debian, for debootstrap).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "${root}"
checkout_id="$(printf '%s' "${root}" | sha256sum | cut -c1-8)"
project="${ORDO_COMPOSE_PROJECT:-ordo-${checkout_id}}"
state="${ORDO_COMPOSE_DIR:-/tmp/${project}}"
ports_chosen="${ORDO_GATEWAY_HOST_PORT:+yes}"
export ORDO_GATEWAY_HOST_PORT="${ORDO_GATEWAY_HOST_PORT:-16580}"
export ORDO_RABBITMQ_UI_HOST_PORT="${ORDO_RABBITMQ_UI_HOST_PORT:-$((ORDO_GATEWAY_HOST_PORT + 1))}"
ready_seconds="${ORDO_COMPOSE_READY_SECONDS:-300}"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
socket="${state}/podman.sock"

log() { echo "compose: $*" >&2; }
die() {
  log "$*"
  exit 1
}
elapsed() { echo "$((SECONDS - $1)) s"; }

# --- which engine ------------------------------------------------------------------------------

engine() {
  if [[ -n "${ORDO_COMPOSE_ENGINE:-}" ]]; then
    echo "${ORDO_COMPOSE_ENGINE}"
  elif [[ -f "${state}/engine" ]]; then
    cat "${state}/engine"
  elif command -v docker >/dev/null && docker info >/dev/null 2>&1; then
    echo docker
  else
    echo podman
  fi
}

# The compose command on this project, with the files of the topology `up` chose (state/files):
# `compose ARGS...`, or `compose_within SECONDS ARGS...` to bound it.
compose() { compose_within 0 "$@"; }
compose_within() {
  local seconds="$1" files=() file tool=()
  shift
  while read -r file; do
    [[ -n "${file}" ]] && files+=(-f "${file}")
  done <"${state}/files"
  if [[ "$(cat "${state}/engine")" == podman ]]; then
    tool=(env "DOCKER_HOST=unix://${socket}" docker-compose)
  elif docker compose version >/dev/null 2>&1; then
    tool=(docker compose)
  else
    tool=(docker-compose)
  fi
  # shellcheck disable=SC2046 # the profile flags are words
  timeout "${seconds}" "${tool[@]}" -p "${project}" "${files[@]}" $(cat "${state}/profiles") "$@"
}

container_tool() { cat "${state}/engine"; }  # docker or podman: exec, kill, ps

# --- Podman: the machine, the images, the API socket, health checks ------------------------------

as_root() {
  if [[ "$(id -u)" == 0 ]]; then "$@"; else sudo "$@"; fi
}

podman_packages() {
  local missing=() package
  # netavark + aardvark-dns: the compose network's DNS (services find each other by name). Podman
  # only recommends them; without them it falls back to CNI, whose networks have no DNS here.
  # iptables: netavark 1.4 sets up the network's NAT and forwarding with it ("netavark: No such
  # file or directory" starting any container on a machine without it).
  for package in podman runc buildah debootstrap docker-compose netavark aardvark-dns iptables; do
    dpkg-query -W -f='${Status}' "${package}" 2>/dev/null | grep -q "install ok installed" ||
      missing+=("${package}")
  done
  if ((${#missing[@]})); then
    log "installing ${missing[*]} (Debian)"
    as_root apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

podman_config() {
  local file=/etc/containers/containers.conf.d/50-ordo-compose.conf wanted
  wanted='# scripts/compose.sh: crun refuses this kind of machine'"'"'s hybrid cgroups; containers may not
# raise their limits above the hard ones here (no CAP_SYS_RESOURCE), so ask for those; netavark,
# not CNI, so that the compose network resolves service names (aardvark-dns).
[containers]
default_ulimits = ["nofile=HARD_NOFILE:HARD_NOFILE", "nproc=HARD_NPROC:HARD_NPROC"]
[engine]
runtime = "runc"
[network]
network_backend = "netavark"'
  local nofile nproc
  nofile="$(ulimit -Hn)"
  nproc="$(ulimit -Hu)"
  [[ "${nofile}" == unlimited ]] && nofile=1048576
  [[ "${nproc}" == unlimited ]] && nproc=1048576
  ((nproc > 32768)) && nproc=32768
  wanted="${wanted//HARD_NOFILE/${nofile}}"
  wanted="${wanted//HARD_NPROC/${nproc}}"
  if [[ "$(cat "${file}" 2>/dev/null)" != "${wanted}" ]]; then
    log "writing ${file} (runc, ulimits nofile=${nofile} nproc=${nproc})"
    as_root mkdir -p "$(dirname "${file}")"
    printf '%s\n' "${wanted}" | as_root tee "${file}" >/dev/null
  fi
  [[ "$(podman info --format '{{.Host.OCIRuntime.Name}}')" == runc ]] ||
    die "podman does not use runc despite ${file}"
  [[ "$(podman info --format '{{.Host.NetworkBackend}}')" == netavark ]] ||
    die "podman does not use netavark despite ${file}: its networks would have no DNS"
}

# debian:12 and debian:12-slim, one minbase debootstrap tagged twice (the Dockerfiles only
# install packages on top). Skipped when the image exists.
podman_base_images() {
  if podman image exists docker.io/library/debian:12 &&
    podman image exists docker.io/library/debian:12-slim; then
    return
  fi
  local started=${SECONDS} rootfs="${state}/rootfs"
  log "debian:12 from debootstrap (${mirror})"
  as_root rm -rf "${rootfs}"
  as_root debootstrap --variant=minbase bookworm "${rootfs}" "${mirror}" >"${state}/debootstrap.log" 2>&1 ||
    die "debootstrap failed: see ${state}/debootstrap.log"
  as_root rm -rf "${rootfs}"/var/cache/apt/archives/*.deb "${rootfs}"/var/lib/apt/lists/*
  tar -C "${rootfs}" -c . | podman import --change 'CMD ["bash"]' - docker.io/library/debian:12 >/dev/null 2>&1
  podman tag docker.io/library/debian:12 docker.io/library/debian:12-slim
  as_root rm -rf "${rootfs}"
  log "debian:12 and debian:12-slim imported in $(elapsed "${started}")"
}

# Layer caching makes these quick once built; a changed Dockerfile rebuilds.
podman_standins() {
  local name tag started
  for name in postgres:15 nats:2.9 rabbitmq:3.10-management; do
    [[ "${name}" == rabbitmq:* && "${broker}" != rabbitmq ]] && continue
    tag="localhost/ordo-standin-${name}"
    started=${SECONDS}
    podman build --network host --format docker -t "${tag}" "deploy/standins/${name%%:*}" \
      >"${state}/build-${name%%:*}.log" 2>&1 || die "building ${tag} failed: see ${state}/build-${name%%:*}.log"
    log "${tag} in $(elapsed "${started}")"
  done
}

podman_service_start() {
  if [[ -f "${state}/service.pid" ]] && kill -0 "$(cat "${state}/service.pid")" 2>/dev/null; then
    return
  fi
  rm -f "${socket}"
  setsid podman system service --time=0 "unix://${socket}" >"${state}/service.log" 2>&1 &
  echo $! >"${state}/service.pid"
  local deadline=$((SECONDS + 30))
  until curl -fsS --unix-socket "${socket}" http://d/_ping >/dev/null 2>&1; do
    ((SECONDS < deadline)) || die "podman system service did not answer: see ${state}/service.log"
    sleep 0.2
  done
}

# Podman schedules health checks with systemd timers. Without systemd they never run and every
# `depends_on: service_healthy` waits forever: run them here, every 2 s, for this project's
# running containers that have one. The loop ends when `down` removes its file.
podman_health_runner_start() {
  [[ -d /run/systemd/system ]] && return
  if [[ -f "${state}/health.pid" ]] && kill -0 "$(cat "${state}/health.pid")" 2>/dev/null; then
    return
  fi
  touch "${state}/health.run"
  # shellcheck disable=SC2016 # expanded by the inner bash
  setsid bash -c '
    while [[ -f "$1/health.run" ]]; do
      for id in $(podman ps -q --filter "label=com.docker.compose.project=$2"); do
        podman healthcheck run "${id}" >/dev/null 2>&1 &
      done
      wait
      sleep 2
    done' health-runner "${state}" "${project}" >"${state}/health.log" 2>&1 &
  echo $! >"${state}/health.pid"
}

stop_pid_file() {
  local file="$1" pid
  [[ -f "${file}" ]] || return 0
  pid="$(cat "${file}")"
  if kill -0 "${pid}" 2>/dev/null; then
    kill -- "-${pid}" 2>/dev/null || kill "${pid}" 2>/dev/null || true
    for _ in $(seq 50); do
      kill -0 "${pid}" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 -- "-${pid}" 2>/dev/null || true
  fi
  rm -f "${file}"
}

# --- the Ordo image --------------------------------------------------------------------------

build_ordo_image() {
  local tool context=() started=${SECONDS}
  tool="$(container_tool)"
  if [[ -n "${binary}" ]]; then
    [[ -x "${binary}" ]] || die "--binary ${binary}: not an executable"
    # The build stage's output path, filled with this binary.
    rm -rf "${state}/prebuilt"
    mkdir -p "${state}/prebuilt/src/build/release"
    strip -o "${state}/prebuilt/src/build/release/ordo" "${binary}"
    context=(--build-context "build=${state}/prebuilt")
    log "ordo:local from ${binary}"
  else
    log "ordo:local from the sources (the Dockerfile's build stage: minutes)"
  fi
  if [[ "${tool}" == podman ]]; then
    podman build --network host --format docker "${context[@]}" -f deploy/Dockerfile \
      -t localhost/ordo:local . >"${state}/build-ordo.log" 2>&1
  elif ((${#context[@]})); then
    docker buildx build --load "${context[@]}" -f deploy/Dockerfile -t ordo:local . \
      >"${state}/build-ordo.log" 2>&1
  else
    docker build -f deploy/Dockerfile -t ordo:local . >"${state}/build-ordo.log" 2>&1
  fi || die "building ordo:local failed: see ${state}/build-ordo.log"
  log "ordo:local in $(elapsed "${started}")"
}

# --- up / down ---------------------------------------------------------------------------------

wait_ready() {
  local deadline=$((SECONDS + ready_seconds)) url="http://127.0.0.1:${ORDO_GATEWAY_HOST_PORT}/ready"
  until curl -fsS -o /dev/null "${url}" 2>/dev/null; do
    if ((SECONDS >= deadline)); then
      compose ps >&2 || true
      die "${url} not 200 after ${ready_seconds} s"
    fi
    sleep 1
  done
}

up() {
  local started=${SECONDS} tool
  mkdir -p "${state}"
  tool="$(engine)"
  echo "${tool}" >"${state}/engine"
  {
    echo deploy/docker-compose.yml
    [[ "${broker}" == rabbitmq ]] && echo deploy/docker-compose.rabbitmq.yml
    [[ "${tool}" == podman ]] && echo deploy/standins/docker-compose.standins.yml
    for file in "${extra_files[@]}"; do echo "${file}"; done
  } >"${state}/files"
  if [[ "${broker}" == rabbitmq ]]; then echo "--profile rabbitmq" >"${state}/profiles"; else : >"${state}/profiles"; fi
  # Later `compose` commands must publish the same ports, or compose would recreate the gateway.
  echo "ORDO_GATEWAY_HOST_PORT=${ORDO_GATEWAY_HOST_PORT} ORDO_RABBITMQ_UI_HOST_PORT=${ORDO_RABBITMQ_UI_HOST_PORT}" >"${state}/ports"
  log "project ${project} on ${tool} (${broker}), state in ${state}, API on 127.0.0.1:${ORDO_GATEWAY_HOST_PORT}"

  if [[ "${tool}" == podman ]]; then
    [[ "$(id -u)" == 0 ]] || die "the Podman path runs as root (sudo scripts/compose.sh ...)"
    podman_packages
    podman_config
    podman_base_images
    podman_standins
  fi
  build_ordo_image
  if [[ "${tool}" == podman ]]; then
    podman_service_start
    podman_health_runner_start
  fi
  local scale_args=() item
  for item in "${scales[@]}"; do scale_args+=(--scale "${item}"); done
  compose_within "${ready_seconds}" up -d --no-build "${scale_args[@]}" >"${state}/up.log" 2>&1 || {
    cat "${state}/up.log" >&2
    die "compose up failed"
  }
  wait_ready
  log "up in $(elapsed "${started}"): http://127.0.0.1:${ORDO_GATEWAY_HOST_PORT}"
}

down() {
  local volumes=() tool
  [[ -f "${state}/engine" ]] || {
    log "nothing to stop (no ${state}/engine)"
    return 0
  }
  tool="$(cat "${state}/engine")"
  ((remove_volumes)) && volumes=(-v)
  if [[ "${tool}" == podman ]]; then
    podman_service_start  # compose needs the socket, even when `up` died half-way
  fi
  compose_within 300 down --remove-orphans "${volumes[@]}" >"${state}/down.log" 2>&1 ||
    log "compose down failed (see ${state}/down.log); removing by label"
  if [[ "${tool}" == podman ]]; then
    rm -f "${state}/health.run"
    stop_pid_file "${state}/health.pid"
    local leftover
    leftover="$(podman ps -aq --filter "label=com.docker.compose.project=${project}")"
    # shellcheck disable=SC2086 # one word per id
    [[ -z "${leftover}" ]] || podman rm -f ${leftover} >/dev/null 2>&1 || true
    if ((remove_volumes)); then
      leftover="$(podman volume ls -q --filter "label=com.docker.compose.project=${project}")"
      # shellcheck disable=SC2086 # one word per id
      [[ -z "${leftover}" ]] || podman volume rm -f ${leftover} >/dev/null 2>&1 || true
    fi
    stop_pid_file "${state}/service.pid"
    rm -f "${socket}"
  fi
  rm -f "${state}/engine"
  log "down"
}

# `test` on a machine where another checkout may run it too: the first free pair of ports from
# 16580 (up to 16598), unless ORDO_GATEWAY_HOST_PORT says which.
choose_free_ports() {
  [[ -n "${ports_chosen}" ]] && return
  local port
  for ((port = 16580; port < 16600; port += 2)); do
    if python3 -c 'import socket, sys
for p in sys.argv[1:]:
    s = socket.socket(); s.bind(("127.0.0.1", int(p))); s.close()' "${port}" "$((port + 1))" 2>/dev/null; then
      export ORDO_GATEWAY_HOST_PORT="${port}" ORDO_RABBITMQ_UI_HOST_PORT="$((port + 1))"
      return
    fi
  done
  die "no free pair of ports in 16580-16599"
}

# --- test --------------------------------------------------------------------------------------

run_test() {
  local started=${SECONDS} status=0
  journey="${journey:-${root}/build/release/tests/compose_journey}"
  [[ -x "${journey}" ]] ||
    die "no journey program at ${journey}: cmake --build --preset release --target compose_journey"
  extra_files+=(tests/deploy/docker-compose.test.yml)
  if [[ "$(engine)" == podman && "$(id -u)" != 0 ]]; then
    log "skipped: no Docker engine, and the Podman path needs root"
    return 77
  fi
  choose_free_ports
  if [[ -f "${state}/engine" ]]; then  # a run killed before its clean-up (a CTest timeout)
    log "removing what an earlier run left"
    remove_volumes=1
    down
  fi
  trap 'remove_volumes=1; down || true' EXIT
  trap 'exit 130' INT TERM
  up
  local checks=(--origin "http://127.0.0.1:${ORDO_GATEWAY_HOST_PORT}"
    --compose-script "${root}/scripts/compose.sh" --engine "$(container_tool)"
    --project "${project}")
  [[ ",${without}," == *,discovery,* ]] && checks+=(--without-discovery)
  [[ ",${without}," == *,rotation,* ]] && checks+=(--without-rotation)
  ORDO_COMPOSE_PROJECT="${project}" ORDO_COMPOSE_DIR="${state}" \
    "${journey}" "${checks[@]}" || status=$?
  if ((status)); then
    log "the journey failed; the last lines of each container's log:"
    compose logs --tail=30 >&2 2>&1 || true
  fi
  trap - EXIT
  remove_volumes=1
  down
  log "test $( ((status)) && echo FAILED || echo passed) in $(elapsed "${started}")"
  return "${status}"
}

# --- arguments ---------------------------------------------------------------------------------

command="${1:-}"
[[ -n "${command}" ]] || die "usage: scripts/compose.sh up|down|test|ps|logs|compose [options]"
shift
broker=nats
binary=""
journey=""
scales=()
extra_files=()
without=""
remove_volumes=0
case "${command}" in
  ps | logs | compose)
    [[ -f "${state}/engine" ]] || die "not up (no ${state}/engine)"
    # shellcheck disable=SC2046 # NAME=VALUE words
    [[ -f "${state}/ports" ]] && export $(cat "${state}/ports")
    case "${command}" in
      ps) compose ps ;;
      logs) compose logs "$@" ;;
      compose) compose "$@" ;;
    esac
    exit
    ;;
esac
while (($#)); do
  case "$1" in
    --broker) broker="$2"; shift 2 ;;
    --binary) binary="$(realpath "$2")"; shift 2 ;;
    --journey) journey="$(realpath "$2")"; shift 2 ;;
    --scale) scales+=("$2"); shift 2 ;;
    --without) without="$2"; shift 2 ;;
    -v | --volumes) remove_volumes=1; shift ;;
    *) die "unknown option $1" ;;
  esac
done
[[ "${broker}" == nats || "${broker}" == rabbitmq ]] || die "--broker nats|rabbitmq"
mkdir -p "${state}"
case "${command}" in
  up) up ;;
  down) down ;;
  test) run_test ;;
  *) die "unknown command ${command}: up|down|test|ps|logs|compose" ;;
esac
