#!/usr/bin/env bash
# swarm-up.sh makes a local single-node Docker Swarm available. It is idempotent:
# run it as often as you like, it only does what is missing.
#
#   1. No engine reachable, Debian, root: install docker.io (if dockerd is
#      missing) and start dockerd in the background, logging to $DOCKERD_LOG.
#   2. Engine not in a swarm: docker swarm init --advertise-addr 127.0.0.1.
#
# Whatever it did is recorded under $SWARMGATE_STATE_DIR so that swarm-down.sh
# undoes exactly that and nothing else (an engine or a swarm that was already
# there is left alone).
set -euo pipefail

STATE_DIR=${SWARMGATE_STATE_DIR:-/run/swarmgate}
DOCKERD_LOG=${DOCKERD_LOG:-/var/log/swarmgate-dockerd.log}
ADVERTISE_ADDR=${SWARM_ADVERTISE_ADDR:-127.0.0.1}
ENGINE_TIMEOUT=${ENGINE_TIMEOUT:-60}

log() { printf 'swarm-up: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

engine_up() { docker version >/dev/null 2>&1; }

install_engine() {
  [ -r /etc/debian_version ] || die "no Docker engine is reachable and this is not Debian: install and start Docker yourself"
  [ "$(id -u)" = 0 ] || die "no Docker engine is reachable: run this script as root to install docker.io, or start Docker yourself"
  log "installing docker.io with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  # The package must not start a service: there may be no init system, and
  # we start dockerd ourselves. policy-rc.d exit 101 = "action forbidden".
  local policy=/usr/sbin/policy-rc.d placed_policy=false
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 0755 "$policy"
    placed_policy=true
  fi
  # needrestart (a recommended package) must not restart anything either.
  export NEEDRESTART_MODE=l NEEDRESTART_SUSPEND=1
  # Refresh the package lists only when apt does not know the package, or
  # when the install fails on stale lists.
  local rc=0
  if ! apt-cache show docker.io >/dev/null 2>&1; then
    apt-get update -q >&2 || rc=$?
  fi
  if [ "$rc" = 0 ] && ! apt-get install -y -q docker.io >&2; then
    apt-get update -q >&2 && apt-get install -y -q docker.io >&2 || rc=$?
  fi
  if [ "$placed_policy" = true ]; then rm -f "$policy"; fi
  [ "$rc" = 0 ] || die "installing docker.io with apt-get failed (exit $rc)"
}

start_engine() {
  command -v dockerd >/dev/null 2>&1 || install_engine
  [ "$(id -u)" = 0 ] || die "dockerd must be started as root"
  mkdir -p "$(dirname "$DOCKERD_LOG")"
  log "starting dockerd (log: $DOCKERD_LOG)"
  # setsid detaches dockerd from this shell's session so it outlives make and CI steps.
  setsid dockerd >>"$DOCKERD_LOG" 2>&1 </dev/null &
  echo $! >"$STATE_DIR/dockerd.pid"
  local deadline=$((SECONDS + ENGINE_TIMEOUT))
  until engine_up; do
    if ! kill -0 "$(cat "$STATE_DIR/dockerd.pid")" 2>/dev/null; then
      tail -n 30 "$DOCKERD_LOG" >&2 || true
      rm -f "$STATE_DIR/dockerd.pid"
      die "dockerd exited during start; the end of $DOCKERD_LOG is above"
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      tail -n 30 "$DOCKERD_LOG" >&2 || true
      die "dockerd did not answer within ${ENGINE_TIMEOUT}s; the end of $DOCKERD_LOG is above"
    fi
    sleep 0.2
  done
  log "dockerd is up ($(docker version --format '{{.Server.Version}} (API {{.Server.APIVersion}})'))"
}

swarm_state() { docker info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null; }

init_swarm() {
  case "$(swarm_state)" in
  active)
    log "engine is already in a swarm"
    return
    ;;
  pending | locked | error)
    die "the engine's swarm state is '$(swarm_state)': fix it by hand (docker swarm leave --force?)"
    ;;
  esac
  log "docker swarm init --advertise-addr $ADVERTISE_ADDR"
  docker swarm init --advertise-addr "$ADVERTISE_ADDR" >/dev/null
  touch "$STATE_DIR/swarm-inited"
}

wait_node_ready() {
  local deadline=$((SECONDS + ENGINE_TIMEOUT))
  until [ "$(docker node ls --filter role=manager --format '{{.Status}}' 2>/dev/null | head -n1)" = Ready ]; do
    [ "$SECONDS" -lt "$deadline" ] || die "the swarm node is not Ready after ${ENGINE_TIMEOUT}s"
    sleep 0.2
  done
}

main() {
  command -v docker >/dev/null 2>&1 || [ -r /etc/debian_version ] || die "the docker CLI is missing"
  mkdir -p "$STATE_DIR"
  if engine_up; then
    log "a Docker engine is reachable"
  else
    start_engine
  fi
  init_swarm
  wait_node_ready
  [ "$(docker info --format '{{.Swarm.ControlAvailable}}')" = true ] ||
    die "this engine is a swarm worker: run swarmgate from a manager"
  log "swarm ready: $(docker node ls --format '{{.Hostname}} {{.Status}} {{.ManagerStatus}}' | head -n1)"
}

main "$@"
