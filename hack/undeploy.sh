#!/usr/bin/env bash
# undeploy.sh removes the demo service, the swarmgate stack, the token
# secret, the proxies' state volume and the leader election record: all that
# make run and make deploy created. It leaves the Swarm up (see swarm-down.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
. hack/lib.sh

DEMO_SERVICE=${DEMO_SERVICE:-swarmgate-demo}

require_manager
if docker service inspect "$DEMO_SERVICE" >/dev/null 2>&1; then
  log "removing service $DEMO_SERVICE"
  docker service rm "$DEMO_SERVICE" >/dev/null
fi
if docker stack ls --format '{{.Name}}' | grep -qx "$STACK"; then
  log "removing stack $STACK"
  docker stack rm "$STACK" >/dev/null
fi
# The network, the secret and the volume can go only once the tasks that use
# them are gone.
wait_for "the tasks of stack $STACK to go" 60 sh -c "! docker ps -a -q --filter label=com.docker.stack.namespace=$STACK | grep -q ." ||
  log "warning: containers of $STACK still exist"
wait_for "network swarmgate to go" 30 sh -c '! docker network inspect swarmgate' ||
  log "warning: network swarmgate still exists (a service of yours still attached to it?)"
docker secret rm "$TOKEN_SECRET" >/dev/null 2>&1 && log "removed secret $TOKEN_SECRET" || true
# The persisted table and the leader record go together, so a redeploy
# starts clean: a controller whose epoch count started over would otherwise
# first have to raise its epoch above the one the old table carries.
docker volume rm "${STACK}_proxy-state" >/dev/null 2>&1 && log "removed volume ${STACK}_proxy-state" || true
docker config rm "$LEADER_CONFIG" >/dev/null 2>&1 && log "removed config $LEADER_CONFIG" || true
log "done"
