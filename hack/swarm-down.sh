#!/usr/bin/env bash
# swarm-down.sh undoes what swarm-up.sh did, and only that: it leaves the swarm
# if swarm-up.sh initialised it and stops dockerd if swarm-up.sh started it.
# An installed docker.io package stays installed (removing packages is the
# machine owner's call); a swarm or an engine that was already there stays up.
set -euo pipefail

STATE_DIR=${SWARMGATE_STATE_DIR:-/run/swarmgate}
STOP_TIMEOUT=${STOP_TIMEOUT:-30}

log() { printf 'swarm-down: %s\n' "$*" >&2; }

if [ -e "$STATE_DIR/swarm-inited" ]; then
  log "leaving the swarm that swarm-up.sh created"
  docker swarm leave --force >/dev/null || log "warning: docker swarm leave failed"
  rm -f "$STATE_DIR/swarm-inited"
else
  log "the swarm was not created by swarm-up.sh: left alone"
fi

if [ -e "$STATE_DIR/dockerd.pid" ]; then
  pid=$(cat "$STATE_DIR/dockerd.pid")
  if kill -0 "$pid" 2>/dev/null; then
    log "stopping the dockerd that swarm-up.sh started (pid $pid)"
    kill -TERM "$pid"
    deadline=$((SECONDS + STOP_TIMEOUT))
    while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then
      log "dockerd did not stop within ${STOP_TIMEOUT}s: sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$STATE_DIR/dockerd.pid"
else
  log "dockerd was not started by swarm-up.sh: left alone"
fi
