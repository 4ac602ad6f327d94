# lib.sh: helpers shared by the hack/ scripts. Source it; do not run it.

STACK=${SWARMGATE_STACK:-swarmgate}
SWARMGATE_IMAGE=${SWARMGATE_IMAGE:-swarmgate:dev}
SWARMGATE_HTTP_PORT=${SWARMGATE_HTTP_PORT:-80}
TOKEN_SECRET=swarmgate_token
LEADER_CONFIG=swarmgate-leader
export SWARMGATE_IMAGE SWARMGATE_HTTP_PORT

log() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
die() { log "error: $*"; exit 1; }

require_manager() {
  docker version >/dev/null 2>&1 || die "no Docker engine is reachable: run hack/swarm-up.sh (or make swarm-up) first"
  [ "$(docker info --format '{{.Swarm.ControlAvailable}}' 2>/dev/null)" = true ] ||
    die "this engine is not a Swarm manager: run hack/swarm-up.sh (or make swarm-up) first"
}

require_image() {
  docker image inspect "$1" >/dev/null 2>&1 || die "image $1 is missing: run make docker-build first"
}

# wait_for DESCRIPTION TIMEOUT_SECONDS COMMAND...: poll COMMAND every 0.5 s.
wait_for() {
  local what=$1 timeout=$2
  shift 2
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      log "timed out after ${timeout}s waiting for $what"
      return 1
    fi
    sleep 0.5
  done
}

# dump_logs prints what a user needs to see when the stack does not work.
dump_logs() {
  {
    echo "---- docker service ls"
    docker service ls || true
    for svc in "${STACK}_controller" "${STACK}_proxy" "$@"; do
      echo "---- docker service ps $svc"
      docker service ps --no-trunc "$svc" 2>&1 | head -n 20 || true
      echo "---- docker service logs --tail 60 $svc"
      docker service logs --no-task-ids --tail 60 "$svc" 2>&1 || true
    done
  } >&2
}

# service_converged NAME: every desired task of service NAME runs and no
# rolling update of it is under way.
service_converged() {
  local replicas update
  update=$(docker service inspect --format '{{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}' "$1") || return 1
  case "$update" in "" | completed | rollback_completed) ;; *) return 1 ;; esac
  replicas=$(docker service ls --filter "name=$1" --format '{{.Name}} {{.Replicas}}' | awk -v n="$1" '$1 == n {print $2}')
  [ -n "$replicas" ] || return 1
  local running=${replicas%%/*} desired=${replicas#*/}
  desired=${desired%% *}
  [ "$desired" != 0 ] && [ "$running" = "$desired" ]
}
