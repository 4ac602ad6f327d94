#!/usr/bin/env bash
# run-demo.sh is the end of make run: it deploys a 3-replica echo service
# labelled proxy.path=/demo, waits until the proxy routes it, and prints
# what to try next. make run has already brought up the Swarm, built the
# images and deployed the stack.
set -euo pipefail
cd "$(dirname "$0")/.."
. hack/lib.sh

DEMO_SERVICE=${DEMO_SERVICE:-swarmgate-demo}
ECHO_IMAGE=${ECHO_IMAGE:-swarmgate-echo:dev}
ROUTE_TIMEOUT=${ROUTE_TIMEOUT:-60}
host=127.0.0.1
[ "$SWARMGATE_HTTP_PORT" = 80 ] || host=127.0.0.1:$SWARMGATE_HTTP_PORT
url="http://$host/demo"

require_manager
require_image "$ECHO_IMAGE"
if docker service inspect "$DEMO_SERVICE" >/dev/null 2>&1; then
  log "service $DEMO_SERVICE exists: updating it to the current image"
  docker service update --quiet --detach --no-resolve-image --image "$ECHO_IMAGE" --force "$DEMO_SERVICE" >/dev/null
else
  log "creating service $DEMO_SERVICE (3 replicas of $ECHO_IMAGE, proxy.path=/demo)"
  docker service create --quiet --detach --no-resolve-image \
    --name "$DEMO_SERVICE" --replicas 3 --network swarmgate \
    --label proxy.path=/demo --label proxy.port=8000 \
    "$ECHO_IMAGE" >/dev/null
fi

routed() { [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url")" = 200 ]; }
if ! wait_for "$url to answer 200" "$ROUTE_TIMEOUT" routed; then
  log "last answer: $(curl -s -i --max-time 2 "$url" | head -n 1 || echo 'no answer')"
  dump_logs "$DEMO_SERVICE"
  die "$url is not routed after ${ROUTE_TIMEOUT}s: the controller and proxy logs are above"
fi

cat <<MSG

swarmgate is routing $url to the 3 tasks of $DEMO_SERVICE. Try:

  curl -s $url/hello?x=1          # JSON naming the task that answered
  for i in 1 2 3 4 5 6; do curl -s $url | grep -o '"hostname":"[^"]*"'; done
  curl -sN "$url/stream?n=5&interval=200ms"

Follow the controller while you change things:

  docker service logs -f swarmgate_controller
  docker service scale $DEMO_SERVICE=5
  docker service update --label-add proxy.path=/other $DEMO_SERVICE

Remove it all with: make undeploy

MSG
