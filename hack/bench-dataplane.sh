#!/usr/bin/env bash
# Starts `swarmgate proxy` as the benchmark candidate of
# ../shared/bench/dataplane/run.sh: writes a static routing table that sends
# $PREFIX to the comma-separated $BACKENDS, then runs the proxy on
# $CANDIDATE_ADDR with one OS thread (GOMAXPROCS=1), like nginx's one worker.
set -euo pipefail

: "${CANDIDATE_ADDR:?}" "${BACKENDS:?}" "${PREFIX:?}"
BIN=${SWARMGATE_BIN:-bin/swarmgate}
dir=$(mktemp -d /tmp/swarmgate-bench.XXXXXX)
trap 'rm -rf "$dir"' EXIT

backends=$(printf '%s\n' "${BACKENDS//,/$'\n'}" | awk 'NF { printf "%s{\"address\": \"%s\", \"task\": \"bench-%d\"}", (n++ ? ", " : ""), $1, n }')
cat >"$dir/routes.json" <<JSON
{"apiVersion": "swarmgate.io/v1alpha1", "generation": 1, "epoch": 1, "routes": [
  {"service": "bench", "host": "", "pathPrefix": "$PREFIX", "stripPrefix": false, "backends": [$backends]}
]}
JSON

# The admin API is not measured: port 0 lets the kernel pick a free one.
GOMAXPROCS=1 "$BIN" proxy --listen "$CANDIDATE_ADDR" --admin-listen 127.0.0.1:0 \
	--routes-file "$dir/routes.json" --log-level error ${SWARMGATE_PROXY_ARGS:-} &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid; rm -rf "$dir"' EXIT TERM INT
wait $pid
