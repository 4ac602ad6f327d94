#!/usr/bin/env bash
# deploy.sh deploys (or updates) the swarmgate stack from deploy/stack.yml,
# creating the push token secret from random bytes when it is absent, and
# waits until the controller and the proxy run.
set -euo pipefail
cd "$(dirname "$0")/.."
. hack/lib.sh

require_manager
require_image "$SWARMGATE_IMAGE"
SWARMGATE_IMAGE_ID=$(docker image inspect --format '{{.Id}}' "$SWARMGATE_IMAGE")
export SWARMGATE_IMAGE_ID

# A busy port would leave the proxy task pending forever with a terse error
# in docker service ps: say it up front. Our own proxy holding it is fine.
if ! docker service inspect "${STACK}_proxy" >/dev/null 2>&1 &&
  (exec 3<>"/dev/tcp/127.0.0.1/$SWARMGATE_HTTP_PORT") 2>/dev/null; then
  die "port $SWARMGATE_HTTP_PORT is already in use on this host: choose another, e.g. make run SWARMGATE_HTTP_PORT=8080"
fi

if ! docker secret inspect "$TOKEN_SECRET" >/dev/null 2>&1; then
  log "creating secret $TOKEN_SECRET (32 random bytes, hex)"
  od -An -vtx1 -N32 /dev/urandom | tr -d ' \n' | docker secret create "$TOKEN_SECRET" - >/dev/null
fi

log "deploying stack $STACK ($SWARMGATE_IMAGE, HTTP on port $SWARMGATE_HTTP_PORT)"
# The images exist only locally: never ask a registry for them.
# Output only on failure: newer CLIs print a notice about --detach.
if ! out=$(docker stack deploy --resolve-image never --prune -c deploy/stack.yml "$STACK" 2>&1); then
  printf '%s\n' "$out" >&2
  die "docker stack deploy failed"
fi

for svc in controller proxy; do
  if ! wait_for "${STACK}_$svc to run" "${DEPLOY_TIMEOUT:-90}" service_converged "${STACK}_$svc"; then
    dump_logs
    die "${STACK}_$svc did not start; its tasks and logs are above (is port $SWARMGATE_HTTP_PORT free? set SWARMGATE_HTTP_PORT)"
  fi
done
log "stack $STACK is running"
